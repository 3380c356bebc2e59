//! A process's CPU time and peak memory, and the whole machine's, read from Linux's `/proc`.
//!
//! CPU: `utime + stime` (fields 14 and 15 of `/proc/PID/stat`, in clock ticks) sampled at the
//! two ends of a window; their difference over the window's wall time is the share of one core
//! (200 % is two cores busy). Memory: `VmHWM` of `/proc/PID/status`, the peak resident set.
//! The machine: the first line of `/proc/stat` (ticks of every core by kind) at the two ends,
//! for how busy the cores were and how much time the hypervisor took from them (`steal`): on a
//! virtual machine a run whose cores were stolen from is slower for reasons of its own.

use std::time::Instant;

use serde::Serialize;

/// `utime + stime` in clock ticks, from the text of `/proc/PID/stat`. The command name (field
/// 2, in parentheses) may hold spaces and parentheses, so fields are counted after the last
/// `)`.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    // After the name come field 3 (state) onwards: utime is field 14, the 12th here.
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// `VmHWM` in kibibytes, from the text of `/proc/PID/status`.
pub fn parse_peak_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line["VmHWM:".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// CPU time used by a process so far, and when that was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuSample {
    pub ticks: u64,
    pub at: Instant,
}

/// Reads process `pid`'s CPU time (`None` once it has exited).
pub fn sample(pid: u32) -> Option<CpuSample> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    Some(CpuSample {
        ticks: parse_cpu_ticks(&text)?,
        at: Instant::now(),
    })
}

/// Reads this program's own CPU time.
pub fn sample_self() -> Option<CpuSample> {
    sample(std::process::id())
}

/// Process `pid`'s peak resident memory in MiB.
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_peak_rss_kib(&text).map(|kib| kib as f64 / 1024.0)
}

/// The CPU used between two samples, in % of one core.
pub fn cpu_percent(from: CpuSample, to: CpuSample, ticks_per_second: u64) -> Option<f64> {
    let wall = to.at.checked_duration_since(from.at)?.as_secs_f64();
    if wall <= 0.0 || ticks_per_second == 0 {
        return None;
    }
    let busy = to.ticks.checked_sub(from.ticks)? as f64 / ticks_per_second as f64;
    Some(100.0 * busy / wall)
}

/// The kernel's clock ticks per second (`getconf CLK_TCK`; 100 on every common Linux).
pub fn ticks_per_second() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

/// The machine's CPU ticks so far, summed over its cores (`/proc/stat`'s `cpu` line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineSample {
    /// user, nice, system, irq and softirq.
    pub busy: u64,
    pub steal: u64,
    /// Every kind: busy, idle, iowait and steal.
    pub total: u64,
}

/// The `cpu` line of `/proc/stat`: user nice system idle iowait irq softirq steal (guest time
/// is already counted in user).
pub fn parse_machine(stat: &str) -> Option<MachineSample> {
    let line = stat.lines().find(|l| l.starts_with("cpu "))?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(8)
        .map(|f| f.parse().ok())
        .collect::<Option<_>>()?;
    let [user, nice, system, idle, iowait, irq, softirq, steal] = v[..] else {
        return None;
    };
    let busy = user + nice + system + irq + softirq;
    Some(MachineSample {
        busy,
        steal,
        total: busy + idle + iowait + steal,
    })
}

/// Reads the machine's CPU ticks.
pub fn sample_machine() -> Option<MachineSample> {
    parse_machine(&std::fs::read_to_string("/proc/stat").ok()?)
}

/// The machine over a window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MachineUsage {
    pub cores: usize,
    /// % of all cores' time spent running (100: every core busy).
    pub busy_percent: f64,
    /// % of all cores' time the hypervisor gave to others.
    pub steal_percent: f64,
}

/// The machine's usage between two samples.
pub fn machine_usage(from: MachineSample, to: MachineSample) -> Option<MachineUsage> {
    let total = to.total.checked_sub(from.total).filter(|t| *t > 0)? as f64;
    Some(MachineUsage {
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        busy_percent: 100.0 * to.busy.checked_sub(from.busy)? as f64 / total,
        steal_percent: 100.0 * to.steal.checked_sub(from.steal)? as f64 / total,
    })
}

/// One process's usage over a window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Usage {
    pub name: String,
    pub pid: Option<u32>,
    /// % of one core over the window.
    pub cpu_percent: Option<f64>,
    pub peak_rss_mib: Option<f64>,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const STAT: &str = "4242 (vellum node) (x)) S 1 4242 4242 0 -1 4194560 1514 0 0 0 \
                        250 75 0 0 20 0 9 0 123456 1234567 890 18446744073709551615";

    #[test]
    fn cpu_ticks_are_utime_plus_stime_even_with_parentheses_in_the_name() {
        assert_eq!(parse_cpu_ticks(STAT), Some(325));
        assert_eq!(parse_cpu_ticks("12 (short) S 1"), None);
    }

    #[test]
    fn peak_rss_is_vm_hwm_in_kib() {
        let status =
            "Name:\tvellum-node\nVmPeak:\t  900000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 1 kB\n";
        assert_eq!(parse_peak_rss_kib(status), Some(123_456));
        assert_eq!(parse_peak_rss_kib("Name:\tx\n"), None);
    }

    #[test]
    fn cpu_percent_is_busy_time_over_wall_time() {
        let t0 = Instant::now();
        let a = CpuSample {
            ticks: 1000,
            at: t0,
        };
        let b = CpuSample {
            ticks: 1300,
            at: t0 + Duration::from_secs(2),
        };
        // 3 s of CPU in 2 s of wall time: one and a half cores.
        assert!((cpu_percent(a, b, 100).unwrap() - 150.0).abs() < 1e-9);
        assert_eq!(cpu_percent(b, a, 100), None);
    }

    #[test]
    fn the_machine_line_splits_busy_steal_and_total() {
        let stat = "cpu  700 10 50 200 5 1 4 30 0 0\ncpu0 350 5 25 100 2 0 2 15 0 0\n";
        let m = parse_machine(stat).unwrap();
        assert_eq!((m.busy, m.steal, m.total), (765, 30, 1000));
        assert_eq!(parse_machine("cpu 1 2 3\n"), None);
        let later = MachineSample {
            busy: 1265,
            steal: 130,
            total: 2000,
        };
        let u = machine_usage(m, later).unwrap();
        assert!((u.busy_percent - 50.0).abs() < 1e-9);
        assert!((u.steal_percent - 10.0).abs() < 1e-9);
        assert_eq!(machine_usage(later, m), None);
    }

    #[test]
    fn this_process_can_be_read() {
        assert!(sample_self().is_some());
        assert!(peak_rss_mib(std::process::id()).unwrap() > 0.0);
        assert!(sample_machine().is_some());
    }
}
