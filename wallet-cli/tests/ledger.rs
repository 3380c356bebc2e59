//! Signing commands against a fake node: refusals before signing, a wrong password, the
//! outcome of a transfer, and nonces for several transfers in a row with `--no-wait`.

mod support;

use support::fake_node::FakeNode;
use support::{Wallet, code, json_error, one_json, stderr, stdout};
use vellum_protocol::{Address, Amount, Operation};

fn recipient() -> String {
    Address([0x42; 20]).to_string()
}

fn setup(balance: u128) -> (Wallet, FakeNode, String) {
    let w = Wallet::new();
    let key = w.new_key("default");
    let node = FakeNode::start(balance, 2);
    (w, node, key["address"].as_str().unwrap().to_string())
}

#[test]
fn a_transfer_waits_and_reports_the_block_and_the_time() {
    let (w, node, _) = setup(10_000);
    let to = recipient();
    let out = w.run(&[
        "--rpc", &node.url, "transfer", "--json", "--to", &to, "--amount", "12.34", "--memo",
        "rent",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = one_json(&out.stdout);
    assert_eq!(v["status"], "committed");
    assert_eq!(v["height"], 6);
    assert!(v["elapsed_ms"].is_u64());
    assert_eq!(v["nonce"], 0);
    assert_eq!(
        v["summary"],
        format!("transfer 12.34 to {to} (memo \"rent\")")
    );
    let sent = node.submitted();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].tx.chain_id, "vellum-fake");
    assert_eq!(
        sent[0].tx.op,
        Operation::Transfer {
            to: to.parse().unwrap(),
            amount: Amount(1234),
            memo: "rent".into()
        }
    );
    assert!(
        !w.home().join("outbox").read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".json")),
        "a final transaction leaves the outbox"
    );
}

#[test]
fn insufficient_funds_are_refused_before_anything_is_signed() {
    let (w, node, _) = setup(1_000);
    let out = w.run(&[
        "--rpc",
        &node.url,
        "transfer",
        "--json",
        "--to",
        &recipient(),
        "--amount",
        "10.01",
    ]);
    assert_eq!(code(&out), 1);
    let e = json_error(&out);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("insufficient funds"),
        "{e}"
    );
    assert!(e["message"].as_str().unwrap().contains("has 10.00"), "{e}");
    let out = w.run(&["--rpc", &node.url, "burn", "--amount", "11"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert_eq!(node.state.lock().unwrap().submit_calls, 0);
}

#[test]
fn bad_amounts_are_usage_errors_and_nothing_is_signed() {
    let (w, node, own) = setup(10_000);
    for amount in ["0", "-1", "1.234", "ten", "0.00"] {
        let out = w.run(&[
            "--rpc",
            &node.url,
            "transfer",
            "--json",
            "--to",
            &recipient(),
            "--amount",
            amount,
        ]);
        assert_eq!(code(&out), 2, "{amount}: {}", stderr(&out));
        assert_eq!(json_error(&out)["kind"], "usage");
    }
    let out = w.run(&[
        "--rpc", &node.url, "transfer", "--to", &own, "--amount", "1",
    ]);
    assert_eq!(code(&out), 2, "a transfer to oneself: {}", stderr(&out));
    let long_memo = "m".repeat(257);
    let out = w.run(&[
        "--rpc",
        &node.url,
        "transfer",
        "--to",
        &recipient(),
        "--amount",
        "1",
        "--memo",
        &long_memo,
    ]);
    assert_eq!(code(&out), 2);
    assert_eq!(node.state.lock().unwrap().submit_calls, 0);
}

#[test]
fn a_wrong_password_exits_1_and_signs_nothing() {
    let (w, node, _) = setup(10_000);
    let wrong = w.file("wrong", "not the password\n");
    let out = w
        .command()
        .args([
            "--rpc",
            &node.url,
            "--password-file",
            wrong.to_str().unwrap(),
        ])
        .args(["transfer", "--json", "--to", &recipient(), "--amount", "1"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let e = json_error(&out);
    assert_eq!(e["kind"], "refused");
    assert!(
        e["message"].as_str().unwrap().contains("wrong password"),
        "{e}"
    );
    assert_eq!(node.state.lock().unwrap().submit_calls, 0);

    let out = w
        .command()
        .env("VELLUM_WALLET_PASSWORD", support::PASSWORD)
        .args([
            "--rpc",
            &node.url,
            "transfer",
            "--to",
            &recipient(),
            "--amount",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(
        code(&out),
        0,
        "the password from the environment: {}",
        stderr(&out)
    );
}

#[test]
fn no_wait_transfers_in_a_row_get_consecutive_nonces_and_count_pending_spends() {
    let (w, node, _) = setup(500);
    node.state.lock().unwrap().auto_commit = false;
    for _ in 0..3 {
        let out = w.run(&[
            "--rpc",
            &node.url,
            "transfer",
            "--json",
            "--no-wait",
            "--to",
            &recipient(),
            "--amount",
            "1.50",
        ]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        assert_eq!(one_json(&out.stdout)["status"], "pending");
    }
    let nonces: Vec<u64> = node.submitted().iter().map(|t| t.tx.nonce).collect();
    assert_eq!(
        nonces,
        [0, 1, 2],
        "the node reports no pending nonce; the outbox does"
    );

    // 5.00 - 3 × 1.50 pending leaves 0.50.
    let out = w.run(&[
        "--rpc",
        &node.url,
        "transfer",
        "--json",
        "--no-wait",
        "--to",
        &recipient(),
        "--amount",
        "1",
    ]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        json_error(&out)["message"]
            .as_str()
            .unwrap()
            .contains("spent by this wallet's pending transactions")
    );

    // Once the node's committed nonce passes them, they leave the outbox.
    {
        let mut s = node.state.lock().unwrap();
        s.nonce = 3;
        s.balance = 50;
    }
    let out = w.run(&[
        "--rpc",
        &node.url,
        "transfer",
        "--json",
        "--no-wait",
        "--to",
        &recipient(),
        "--amount",
        "0.5",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(one_json(&out.stdout)["nonce"], 3);
}

#[test]
fn the_nonce_flag_overrides_the_choice() {
    let (w, node, _) = setup(10_000);
    let out = w.run(&[
        "--rpc",
        &node.url,
        "transfer",
        "--json",
        "--no-wait",
        "--nonce",
        "9",
        "--to",
        &recipient(),
        "--amount",
        "1",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(node.submitted()[0].tx.nonce, 9);
}

#[test]
fn balance_history_free_commands_and_text_output() {
    let (w, node, own) = setup(123_456);
    let out = w.run(&["--rpc", &node.url, "balance", "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = one_json(&out.stdout);
    assert_eq!(v["address"], own);
    assert_eq!(v["balance"], "1234.56");
    assert_eq!(v["balance_units"], "123456");
    let out = w.run(&["--rpc", &node.url, "balance"]);
    assert!(
        stdout(&out).contains("balance  1234.56"),
        "{}",
        stdout(&out)
    );
    let out = w.run(&[
        "--rpc",
        &node.url,
        "transfer",
        "--to",
        &recipient(),
        "--amount",
        "1",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("committed: transfer 1.00 to"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("polling tx_get"),
        "the fake node has no WebSocket: the wallet polls, and says so"
    );
    let out = w.run(&["--rpc", &node.url, "status", "--json"]);
    assert_eq!(one_json(&out.stdout)["chain_id"], "vellum-fake");
    let out = w.run(&["--rpc", &node.url, "freeze", "--json", &recipient()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        one_json(&out.stdout)["summary"],
        format!("freeze {}", recipient())
    );
}

/// `transfer --amount 1` to [`recipient`] through `node`, with `--json` when `json`.
fn transfer_one(w: &Wallet, node: &FakeNode, json: bool) -> std::process::Output {
    let mut args = vec!["--rpc", &node.url, "transfer", "--to"];
    let to = recipient();
    args.extend([to.as_str(), "--amount", "1"]);
    if json {
        args.push("--json");
    }
    w.run(&args)
}

#[test]
fn a_lost_submit_answer_is_retried_with_the_same_bytes_and_one_outcome_is_reported() {
    let (w, node, _) = setup(10_000);
    node.state.lock().unwrap().lose_submit_answers = 2;
    let out = transfer_one(&w, &node, true);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(one_json(&out.stdout)["status"], "committed");
    let s = node.state.lock().unwrap();
    assert_eq!(s.submit_calls, 3, "two answers lost, the third arrived");
    assert_eq!(s.submitted.len(), 1, "the same transaction each time");
}

#[test]
fn a_full_mempool_is_waited_out_as_the_node_asks_with_the_same_bytes() {
    let (w, node, _) = setup(10_000);
    {
        let mut s = node.state.lock().unwrap();
        s.full_for = 2;
        s.full_retry_ms = 150;
    }
    let out = transfer_one(&w, &node, false);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let err = stderr(&out);
    assert_eq!(
        err.matches("the node's mempool is full; sending again in 0.1 s as it asks")
            .count(),
        2,
        "{err}"
    );
    let s = node.state.lock().unwrap();
    assert_eq!(s.submit_calls, 3, "refused twice, admitted the third time");
    assert_eq!(s.submitted.len(), 1, "the same transaction each time");
}

#[test]
fn a_mempool_full_for_longer_than_the_wallet_waits_is_a_refusal_that_frees_the_nonce() {
    let (w, node, _) = setup(10_000);
    {
        let mut s = node.state.lock().unwrap();
        s.full_for = 1;
        s.full_retry_ms = 61_000;
    }
    let out = transfer_one(&w, &node, true);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let e = json_error(&out);
    assert_eq!(e["data"]["name"], "mempool_full", "{e}");
    assert_eq!(e["data"]["retry_after_ms"], 61_000, "{e}");
    assert_eq!(
        node.state.lock().unwrap().submit_calls,
        1,
        "no wait past the limit"
    );
    // The refused transaction left the outbox (it is not sent again first), and the next
    // one takes its nonce.
    let out = transfer_one(&w, &node, true);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let sent = node.submitted();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].tx.nonce, 0);
}

#[test]
fn a_node_lost_after_signing_exits_3_and_the_next_command_sends_the_transaction_first() {
    let (w, node, _) = setup(10_000);
    node.state.lock().unwrap().lose_submit_answers = 100;
    let out = w.run(&[
        "--rpc",
        &node.url,
        "transfer",
        "--json",
        "--to",
        &recipient(),
        "--amount",
        "1",
    ]);
    assert_eq!(code(&out), 3, "{}", stderr(&out));
    let e = json_error(&out);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("may or may not have reached"),
        "{e}"
    );
    let first = node.submitted()[0].hash();
    {
        let mut s = node.state.lock().unwrap();
        s.lose_submit_answers = 0;
        s.submitted.clear();
    }
    let out = w.run(&[
        "--rpc",
        &node.url,
        "transfer",
        "--json",
        "--no-wait",
        "--to",
        &recipient(),
        "--amount",
        "2",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let sent = node.submitted();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[0].hash(),
        first,
        "the outbox's transaction goes first, unchanged"
    );
    assert_eq!((sent[0].tx.nonce, sent[1].tx.nonce), (0, 1));
}
