//! `vellum-wallet`: see the library's documentation and `vellum-wallet --help`.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(vellum_wallet::run(std::env::args_os().collect()))
}
