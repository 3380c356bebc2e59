//! What a command prints: for a person, lines of text; with `--json`, exactly one JSON document
//! on stdout. Errors go to stderr, as text or as `{"error": …}` with `--json`.
//!
//! Commands build a [`Report`] and never print their result themselves, so the two forms cannot
//! drift apart and `--json` output stays a single document. Notes for a person (warnings,
//! progress) go to stderr through [`note`], never to stdout, and not at all with `--json`.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::exit::WalletError;

/// A command's result in both forms.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The `--json` document.
    pub json: Value,
    /// The text for a person; each line ends with a newline.
    pub text: String,
}

impl Report {
    pub fn new(json: Value, text: impl Into<String>) -> Report {
        let mut text = text.into();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        Report { json, text }
    }
}

/// How the process prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl Format {
    pub fn from_flag(json: bool) -> Format {
        if json { Format::Json } else { Format::Text }
    }
}

/// Prints a command's result on stdout.
pub fn print_report(format: Format, report: &Report) {
    let mut out = std::io::stdout().lock();
    let _ = match format {
        Format::Json => writeln!(out, "{}", report.json),
        Format::Text => write!(out, "{}", report.text),
    };
    let _ = out.flush();
}

/// Prints an error on stderr.
pub fn print_error(format: Format, error: &WalletError) {
    let mut err = std::io::stderr().lock();
    let _ = match format {
        Format::Json => writeln!(err, "{}", error.to_json()),
        Format::Text => writeln!(err, "vellum-wallet: {error}"),
    };
}

/// Set with `--json`: stderr then carries only the error document, if any.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Silences [`note`] for the rest of the process (with `--json`).
pub fn quiet_notes() {
    QUIET.store(true, Ordering::Relaxed);
}

/// A note for a person on stderr: progress, a warning. Never part of the result, and not
/// printed with `--json`, where stderr holds nothing but an error document.
pub fn note(text: &str) {
    if QUIET.load(Ordering::Relaxed) {
        return;
    }
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// A time in milliseconds since the Unix epoch as UTC text, `2026-01-01 00:00:00`.
pub fn utc(ms: u64) -> String {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn utc_times_are_civil_dates() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(1_767_225_600_000), "2026-01-01 00:00:00");
        assert_eq!(utc(951_782_400_000 + 3_723_000), "2000-02-29 01:02:03");
    }

    #[test]
    fn a_report_text_always_ends_with_a_newline() {
        let r = Report::new(json!({"a": 1}), "line");
        assert_eq!(r.text, "line\n");
        assert_eq!(Report::new(json!(null), "").text, "");
    }

    #[test]
    fn the_json_form_is_one_line_one_document() {
        let r = Report::new(json!({"address": "vl1x", "balance": "1.00"}), "x");
        let line = r.json.to_string();
        assert!(!line.contains('\n'));
        assert_eq!(serde_json::from_str::<Value>(&line).unwrap(), r.json);
    }
}
