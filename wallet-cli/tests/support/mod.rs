//! Helpers for the tests that drive the built `vellum-wallet` binary: a wallet in a temporary
//! directory, and a small fake node that speaks just enough JSON-RPC over HTTP.

#![allow(dead_code)]

pub mod fake_node;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub const PASSWORD: &str = "correct horse battery staple";

/// A wallet home in a temporary directory, with a password file.
pub struct Wallet {
    dir: tempfile::TempDir,
    pub password_file: PathBuf,
}

impl Wallet {
    pub fn new() -> Wallet {
        let dir = tempfile::tempdir().unwrap();
        let password_file = dir.path().join("password");
        std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
        Wallet { dir, password_file }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A command with this wallet's home, fast test KDF, and no inherited wallet settings.
    pub fn command(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_vellum-wallet"));
        c.arg("--home")
            .arg(self.home())
            .env("VELLUM_WALLET_TEST_INSECURE_KDF", "1")
            .env_remove("VELLUM_WALLET_PASSWORD")
            .env_remove("VELLUM_RPC")
            .env_remove("VELLUM_WALLET_HOME")
            .stdin(Stdio::null());
        c
    }

    /// Runs the wallet with `args`, giving the password from the password file.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command()
            .arg("--password-file")
            .arg(&self.password_file)
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs the wallet with `args` and `stdin` as its standard input.
    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = self
            .command()
            .arg("--password-file")
            .arg(&self.password_file)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    /// `new --json` for `name`; returns its JSON.
    pub fn new_key(&self, name: &str) -> Value {
        let out = self.run(&["new", "--json", "--name", name]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        one_json(&out.stdout)
    }

    /// Writes `text` to a file in the test directory and returns its path.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

pub fn code(out: &Output) -> i32 {
    out.status.code().expect("the wallet exits with a code")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The one JSON document `bytes` holds; fails if there are zero or several.
pub fn one_json(bytes: &[u8]) -> Value {
    let docs: Vec<Value> = serde_json::Deserializer::from_slice(bytes)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(bytes)));
    assert_eq!(
        docs.len(),
        1,
        "exactly one JSON document: {}",
        String::from_utf8_lossy(bytes)
    );
    docs.into_iter().next().unwrap()
}

/// The `{"error": …}` document of a `--json` failure, from stderr.
pub fn json_error(out: &Output) -> Value {
    assert!(out.stdout.is_empty(), "nothing on stdout: {}", stdout(out));
    let v = one_json(&out.stderr);
    v["error"].clone()
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}
