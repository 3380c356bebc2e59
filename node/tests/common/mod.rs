//! Shared by the multi-process tests: start `vellum-node` processes on a home, kill them when
//! the test ends however it ends, and wait for a condition with a deadline.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};

/// Kills and reaps the node processes on drop.
pub struct Nodes(pub Vec<Option<Child>>);

impl Drop for Nodes {
    fn drop(&mut self) {
        for child in self.0.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn start(home: &Path, log: &Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("log");
    Command::new(env!("CARGO_BIN_EXE_vellum-node"))
        .args(["start", "--home"])
        .arg(home)
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("vellum-node starts")
}

pub fn client(url: &str) -> HttpClient {
    HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(5))
        .build(url)
        .unwrap()
}

pub async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    deadline: Instant,
    mut f: impl FnMut() -> F,
) -> T {
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
