//! A fake node: a thread that answers JSON-RPC over HTTP/1.1 (keep-alive) for the methods the
//! wallet calls, with an account of a set balance. It refuses WebSocket upgrades, so a wallet
//! that waits for finality falls back to polling `tx_get`. It never reports `pending_nonce`,
//! so the wallet must count its own pending transactions (its outbox) to pick nonces.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use vellum_protocol::rpc::decode_signed_tx_hex;
use vellum_protocol::{Hash, SignedTransaction};

/// What the fake node holds and saw.
#[derive(Debug, Default)]
pub struct FakeState {
    pub decimals: u8,
    /// Balance in minor units of every account.
    pub balance: u128,
    /// The committed nonce of every account.
    pub nonce: u64,
    /// Every distinct transaction submitted, in order.
    pub submitted: Vec<SignedTransaction>,
    /// Submissions, counting repeats.
    pub submit_calls: usize,
    /// Hashes `tx_get` reports committed; others are pending.
    pub committed: HashMap<Hash, u64>,
    /// Commit every transaction as soon as it is submitted.
    pub auto_commit: bool,
    /// Take this many submissions, then close the connection without answering them, as a
    /// network that fails after the request left.
    pub lose_submit_answers: usize,
    /// Refuse this many submissions as a full mempool that asks for `full_retry_ms`.
    pub full_for: usize,
    pub full_retry_ms: u64,
}

pub struct FakeNode {
    pub url: String,
    pub state: Arc<Mutex<FakeState>>,
}

impl FakeNode {
    pub fn start(balance: u128, decimals: u8) -> FakeNode {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(FakeState {
            decimals,
            balance,
            auto_commit: true,
            ..FakeState::default()
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let state = shared.clone();
                std::thread::spawn(move || serve(stream, state));
            }
        });
        FakeNode { url, state }
    }

    pub fn submitted(&self) -> Vec<SignedTransaction> {
        self.state.lock().unwrap().submitted.clone()
    }
}

fn serve(stream: TcpStream, state: Arc<Mutex<FakeState>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        if !request_line.starts_with("POST") {
            let _ = writer.write_all(
                b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
            return;
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let answer = answer(&request, &state).to_string();
        if request["method"] == "tx_submit" {
            let mut s = state.lock().unwrap();
            if s.lose_submit_answers > 0 {
                s.lose_submit_answers -= 1;
                return;
            }
        }
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
            answer.len()
        );
        if writer.write_all(response.as_bytes()).is_err() {
            return;
        }
    }
}

fn answer(request: &Value, state: &Mutex<FakeState>) -> Value {
    let id = request["id"].clone();
    let params = &request["params"];
    let mut s = state.lock().unwrap();
    let result = match request["method"].as_str().unwrap_or("") {
        "chain_status" => json!({
            "chain_id": "vellum-fake", "height": 5, "latest_block_hash": Hash([1; 32]),
            "latest_block_time_ms": 1_767_225_600_000u64, "validators": 1,
            "decimals": s.decimals, "genesis_hash": Hash([2; 32]), "syncing": false, "peers": 0,
        }),
        "chain_getValidators" => json!([]),
        "account_get" => json!({
            "address": params[0], "balance": s.balance.to_string(), "nonce": s.nonce,
            "frozen": false,
        }),
        "tx_submit" => {
            s.submit_calls += 1;
            let stx = match decode_signed_tx_hex(params[0].as_str().unwrap_or("")) {
                Ok(stx) => stx,
                Err(e) => return error(id, -32602, &e.to_string()),
            };
            if stx.verify_signature().is_err() {
                return error(id, -32012, "the signature does not verify");
            }
            if s.full_for > 0 {
                s.full_for -= 1;
                let data = json!({
                    "code": 100, "name": "mempool_full", "retry_after_ms": s.full_retry_ms
                });
                let message = "the mempool is full (10 transactions); retry soon";
                return json!({"jsonrpc": "2.0", "id": id,
                              "error": {"code": -32017, "message": message, "data": data}});
            }
            let hash = stx.hash();
            if !s.submitted.iter().any(|t| t.hash() == hash) {
                s.submitted.push(stx);
            }
            if s.auto_commit {
                s.committed.insert(hash, 6);
            }
            json!({"hash": hash, "status": "pending"})
        }
        "tx_get" => {
            let hash = Hash::from_hex(params[0].as_str().unwrap_or("")).unwrap_or(Hash::ZERO);
            match s.committed.get(&hash) {
                Some(height) => json!({"hash": hash, "status": "committed", "height": height,
                                       "index": 0, "block_hash": Hash([3; 32])}),
                None if s.submitted.iter().any(|t| t.hash() == hash) => {
                    json!({"hash": hash, "status": "pending"})
                }
                None => json!({"hash": hash, "status": "unknown"}),
            }
        }
        _ => return error(id, -32601, "method not found"),
    };
    json!({"jsonrpc": "2.0", "id": id, "result": result})
}

fn error(id: Value, code: i32, message: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code, "message": message}})
}
