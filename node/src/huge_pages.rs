//! Transparent huge pages off for the node's own process.
//!
//! On a kernel that backs every large enough anonymous mapping with 2 MiB pages
//! (`/sys/kernel/mm/transparent_hugepage/enabled` = `always`, as on the machine this project
//! is measured on), a node's allocator and RocksDB's memtables are paid for in 2 MiB steps,
//! and each page mimalloc gives back and takes again is zeroed whole. A node's peak RSS at
//! 12,500 tx/s was 308-339 MiB with huge pages and 245-269 MiB without them, at the same
//! throughput (docs/PERFORMANCE.md, eleventh session).
//!
//! mimalloc turns them off for the process (`prctl(PR_SET_THP_DISABLE)`, which covers every
//! allocator in it) when `MIMALLOC_ALLOW_THP=0` is in the environment at start-up. The allocator
//! starts before `main`, so the node sets the variable and executes itself again, once; an
//! operator who set the variable (to `1` to keep huge pages) is left alone.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// The variable mimalloc reads at start-up.
pub const VARIABLE: &str = "MIMALLOC_ALLOW_THP";

/// Executes this program again with the same arguments and huge pages off, unless the
/// environment already says what to do. Returns only if it did not: `Ok` when there was
/// nothing to do, the error when the program could not be executed again.
pub fn turn_off_by_restarting(args: impl IntoIterator<Item = OsString>) -> io::Result<()> {
    if std::env::var_os(VARIABLE).is_some() {
        return Ok(());
    }
    let program = std::env::current_exe()?;
    Err(Command::new(program).args(args).env(VARIABLE, "0").exec())
}
