//! The OpenRPC 1.2 document of the API, served by `rpc.discover`.
//!
//! Rule: every method and subscription the server registers is described here, with its
//! params, the schema of its result and one example; a test in the node checks this list
//! against the server's registered method names, both ways.

use serde_json::{Value, json};

/// One method of the document.
struct MethodDoc {
    name: &'static str,
    summary: &'static str,
    /// `(name, schema, required)`.
    params: &'static [(&'static str, &'static str, bool)],
    result: (&'static str, &'static str),
    example_params: fn() -> Value,
    example_result: fn() -> Value,
}

const HASH: &str = "9f2c1e6a4b7d08e3f5a6c2b19d4e7f80a1b2c3d4e5f60718293a4b5c6d7e8f90";
/// A valid example address (its checksum holds).
fn address() -> String {
    crate::Address([0x5a; 20]).to_string()
}

fn block_example() -> Value {
    json!({
        "hash": HASH, "chain_id": "vellum-local", "height": 42, "time_ms": 1_767_225_600_000u64,
        "prev_hash": HASH, "tx_root": HASH, "state_root": HASH, "proposer": HASH,
        "last_commit_hash": HASH, "validators_hash": HASH, "tx_hashes": [HASH],
        "commit": { "round": 0, "signers": [HASH] }
    })
}

fn entry_example() -> Value {
    json!({
        "cursor": "42:0", "height": 42, "index": 0, "tx_hash": HASH, "kind": "transfer",
        "role": "sender", "counterparty": address(), "amount": "1500", "time_ms": 1_767_225_600_000u64
    })
}

fn committed() -> Value {
    json!({ "hash": HASH, "status": "committed", "height": 42, "index": 0, "block_hash": HASH })
}

const METHODS: &[MethodDoc] = &[
    MethodDoc {
        name: "chain_status",
        summary: "The chain as this node sees it.",
        params: &[],
        result: ("status", "ChainStatus"),
        example_params: || json!([]),
        example_result: || {
            json!({
                "chain_id": "vellum-local", "height": 42, "latest_block_hash": HASH,
                "latest_block_time_ms": 1_767_225_600_000u64, "validators": 4, "decimals": 2,
                "genesis_hash": HASH, "syncing": false, "peers": 3
            })
        },
    },
    MethodDoc {
        name: "chain_getBlock",
        summary: "A committed block by height or hash; null when there is none yet.",
        params: &[("id", "BlockId", true), ("full_txs", "boolean", false)],
        result: ("block", "BlockView"),
        example_params: || json!([42, false]),
        example_result: block_example,
    },
    MethodDoc {
        name: "chain_getValidators",
        summary: "The validators of the next height.",
        params: &[],
        result: ("validators", "ValidatorList"),
        example_params: || json!([]),
        example_result: || json!([{ "key": HASH, "address": address(), "power": 1 }]),
    },
    MethodDoc {
        name: "tx_submit",
        summary: "Submit one signed transaction (hex of its canonical encoding).",
        params: &[("tx_hex", "TxHex", true)],
        result: ("submitted", "SubmitResult"),
        example_params: || json!(["<hex of the signed transaction>"]),
        example_result: || json!({ "hash": HASH, "status": "pending" }),
    },
    MethodDoc {
        name: "tx_submitBatch",
        summary: "Submit many signed transactions; one answer each, in order.",
        params: &[("txs_hex", "TxHexList", true)],
        result: ("outcomes", "SubmitOutcomeList"),
        example_params: || json!([["<hex of the signed transaction>", "zz"]]),
        example_result: || {
            json!([{ "hash": HASH, "status": "pending" },
                { "error": { "code": -32602, "message": "the transaction is not valid hex of a \
                signed transaction: hex: Invalid character 'z' at position 0",
                "data": { "code": 1, "name": "malformed" } } }])
        },
    },
    MethodDoc {
        name: "tx_get",
        summary: "A transaction's status, and the transaction when known.",
        params: &[("hash", "Hash", true)],
        result: ("tx", "TxInfo"),
        example_params: || json!([HASH]),
        example_result: committed,
    },
    MethodDoc {
        name: "account_get",
        summary: "An account's balance, nonce and frozen flag.",
        params: &[("address", "Address", true)],
        result: ("account", "AccountView"),
        example_params: || json!([address()]),
        example_result: || {
            json!({ "address": address(), "balance": "250000", "nonce": 7, "pending_nonce": 8,
                "frozen": false })
        },
    },
    MethodDoc {
        name: "account_getHistory",
        summary: "An account's history, newest first, paged by cursor.",
        params: &[
            ("address", "Address", true),
            ("cursor", "Cursor", false),
            ("limit", "integer", false),
        ],
        result: ("page", "HistoryPage"),
        example_params: || json!([address(), null, 20]),
        example_result: || json!({ "entries": [entry_example()], "next_cursor": "42:0" }),
    },
    MethodDoc {
        name: "chain_subscribeBlocks",
        summary: "Blocks from `from_height` on, then each new one (notification `chain_block`).",
        params: &[("from_height", "integer", false)],
        result: ("subscription", "SubscriptionId"),
        example_params: || json!([40]),
        example_result: || json!("8177232416254217"),
    },
    MethodDoc {
        name: "chain_unsubscribeBlocks",
        summary: "End a chain_subscribeBlocks subscription.",
        params: &[("subscription", "SubscriptionId", true)],
        result: ("ended", "boolean"),
        example_params: || json!(["8177232416254217"]),
        example_result: || json!(true),
    },
    MethodDoc {
        name: "account_subscribe",
        summary: "History entries of an account after `cursor` (notification `account_event`).",
        params: &[("address", "Address", true), ("cursor", "Cursor", false)],
        result: ("subscription", "SubscriptionId"),
        example_params: || json!([address(), "41:3"]),
        example_result: || json!("2990271911742951"),
    },
    MethodDoc {
        name: "account_unsubscribe",
        summary: "End an account_subscribe subscription.",
        params: &[("subscription", "SubscriptionId", true)],
        result: ("ended", "boolean"),
        example_params: || json!(["2990271911742951"]),
        example_result: || json!(true),
    },
    MethodDoc {
        name: "tx_subscribeStatus",
        summary: "A transaction's status now, then each change until final (`tx_status`).",
        params: &[("hash", "Hash", true)],
        result: ("subscription", "SubscriptionId"),
        example_params: || json!([HASH]),
        example_result: || json!("5011349206123330"),
    },
    MethodDoc {
        name: "tx_unsubscribeStatus",
        summary: "End a tx_subscribeStatus subscription.",
        params: &[("subscription", "SubscriptionId", true)],
        result: ("ended", "boolean"),
        example_params: || json!(["5011349206123330"]),
        example_result: || json!(true),
    },
    MethodDoc {
        name: "rpc.discover",
        summary: "This OpenRPC document.",
        params: &[],
        result: ("document", "OpenRpcDocument"),
        example_params: || json!([]),
        example_result: || json!({ "openrpc": "1.2.6" }),
    },
];

/// The names of every method the document describes.
pub fn method_names() -> impl Iterator<Item = &'static str> {
    METHODS.iter().map(|m| m.name)
}

fn schema_ref(name: &str) -> Value {
    match name {
        "integer" | "boolean" | "string" => json!({ "type": name }),
        other => json!({ "$ref": format!("#/components/schemas/{other}") }),
    }
}

fn method(m: &MethodDoc) -> Value {
    let params: Vec<Value> = m
        .params
        .iter()
        .map(|(name, schema, required)| {
            json!({ "name": name, "required": required, "schema": schema_ref(schema) })
        })
        .collect();
    let examples = m
        .params
        .iter()
        .zip((m.example_params)().as_array().cloned().unwrap_or_default())
        .map(|((name, _, _), value)| json!({ "name": name, "value": value }))
        .collect::<Vec<_>>();
    json!({
        "name": m.name,
        "summary": m.summary,
        "paramStructure": "by-position",
        "params": params,
        "result": { "name": m.result.0, "schema": schema_ref(m.result.1) },
        "examples": [{
            "name": format!("{} example", m.name),
            "params": examples,
            "result": { "name": m.result.0, "value": (m.example_result)() },
        }],
    })
}

/// The whole OpenRPC document.
pub fn document() -> Value {
    json!({
        "openrpc": "1.2.6",
        "info": {
            "title": "Vellum node JSON-RPC",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Heights are numbers, amounts decimal strings of minor units, hashes \
                hex, addresses vl1… (Bech32m). See docs/RPC.md.",
        },
        "methods": METHODS.iter().map(method).collect::<Vec<_>>(),
        "components": { "schemas": super::schemas::schemas() },
    })
}
