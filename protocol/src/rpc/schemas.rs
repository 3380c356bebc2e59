//! JSON Schemas of the API's types, for the OpenRPC document's `components.schemas`.
//!
//! Rule: one schema per type of [`super::types`], with the same field names; the scalar
//! formats (hash, address, amount) are strings with a pattern.

use serde_json::{Map, Value, json};

/// `(type name, description, fields as (name, schema, required))`.
type ObjectDoc = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, bool)],
);

const OBJECTS: &[ObjectDoc] = &[
    (
        "ChainStatus",
        "The chain as one node sees it.",
        &[
            ("chain_id", "string", true),
            ("height", "integer", true),
            ("latest_block_hash", "Hash", true),
            ("latest_block_time_ms", "integer", true),
            ("validators", "integer", true),
            ("decimals", "integer", true),
            ("genesis_hash", "Hash", true),
            ("syncing", "boolean", true),
            ("peers", "integer", true),
        ],
    ),
    (
        "BlockView",
        "A committed block, its transactions' hashes and the certificate that finalized it.",
        &[
            ("hash", "Hash", true),
            ("chain_id", "string", true),
            ("height", "integer", true),
            ("time_ms", "integer", true),
            ("prev_hash", "Hash", true),
            ("tx_root", "Hash", true),
            ("state_root", "Hash", true),
            ("proposer", "Hash", true),
            ("last_commit_hash", "Hash", true),
            ("validators_hash", "Hash", true),
            ("tx_hashes", "HashList", true),
            ("txs", "TxViewList", false),
            ("commit", "CommitView", false),
        ],
    ),
    (
        "CommitView",
        "The signers of a block's commit certificate.",
        &[("round", "integer", true), ("signers", "HashList", true)],
    ),
    (
        "ValidatorView",
        "A validator: its key, address and voting power.",
        &[
            ("key", "Hash", true),
            ("address", "Address", true),
            ("power", "integer", true),
        ],
    ),
    (
        "TxView",
        "A transaction; `op` is tagged by `type` (transfer, mint, burn, freeze, ...).",
        &[
            ("hash", "Hash", true),
            ("chain_id", "string", true),
            ("sender", "Hash", true),
            ("sender_address", "Address", true),
            ("nonce", "integer", true),
            ("expiry_ms", "integer", true),
            ("op", "object", true),
            ("signature", "string", true),
        ],
    ),
    (
        "TxInfo",
        "A transaction's status (pending, committed, rejected, expired, unknown), with \
         height, index and block_hash when committed, code, reason and message when rejected.",
        &[
            ("hash", "Hash", true),
            ("status", "TxStatusName", true),
            ("height", "integer", false),
            ("index", "integer", false),
            ("block_hash", "Hash", false),
            ("code", "integer", false),
            ("reason", "string", false),
            ("message", "string", false),
            ("tx", "TxView", false),
        ],
    ),
    (
        "SubmitResult",
        "A submitted transaction's hash and status (the fields of TxInfo but `tx`).",
        &[("hash", "Hash", true), ("status", "TxStatusName", true)],
    ),
    (
        "AccountView",
        "An account as of the latest committed block.",
        &[
            ("address", "Address", true),
            ("balance", "Amount", true),
            ("nonce", "integer", true),
            ("pending_nonce", "integer", false),
            ("frozen", "boolean", true),
        ],
    ),
    (
        "HistoryEntry",
        "One line of an account's history.",
        &[
            ("cursor", "Cursor", true),
            ("height", "integer", true),
            ("index", "integer", true),
            ("tx_hash", "Hash", true),
            ("kind", "string", true),
            ("role", "string", true),
            ("counterparty", "Address", false),
            ("amount", "Amount", false),
            ("reject_code", "integer", false),
            ("time_ms", "integer", true),
        ],
    ),
    (
        "HistoryPage",
        "A page of history, newest first.",
        &[
            ("entries", "HistoryEntryList", true),
            ("next_cursor", "Cursor", false),
        ],
    ),
    (
        "AccountEvent",
        "The item of account_subscribe: the account and one new HistoryEntry's fields.",
        &[("address", "Address", true), ("cursor", "Cursor", true)],
    ),
    (
        "OpenRpcDocument",
        "An OpenRPC 1.2 document.",
        &[("openrpc", "string", true), ("methods", "array", true)],
    ),
];

fn field_schema(name: &str) -> Value {
    match name {
        "integer" | "boolean" | "string" | "object" | "array" => json!({ "type": name }),
        list if list.ends_with("List") => {
            let item = &list[..list.len() - 4];
            json!({ "type": "array", "items": field_schema(item) })
        }
        other => json!({ "$ref": format!("#/components/schemas/{other}") }),
    }
}

/// Every schema the document's methods name.
pub fn schemas() -> Value {
    let mut out = Map::new();
    for (name, description, fields) in OBJECTS {
        let properties: Map<String, Value> = fields
            .iter()
            .map(|(f, s, _)| (f.to_string(), field_schema(s)))
            .collect();
        let required: Vec<&str> = fields.iter().filter(|f| f.2).map(|f| f.0).collect();
        out.insert(
            name.to_string(),
            json!({ "type": "object", "description": description,
                "properties": properties, "required": required }),
        );
    }
    let scalars = [
        (
            "Hash",
            json!({ "type": "string", "pattern": "^(0x)?[0-9a-f]{64}$" }),
        ),
        (
            "Address",
            json!({ "type": "string", "pattern": "^vl1[02-9ac-hj-np-z]{38}$" }),
        ),
        (
            "Amount",
            json!({ "type": "string", "pattern": "^[0-9]+$",
            "description": "minor units as a decimal string" }),
        ),
        (
            "TxHex",
            json!({ "type": "string", "pattern": "^(0x)?([0-9a-fA-F]{2})+$",
            "description": "hex of the canonical encoding of a signed transaction" }),
        ),
        (
            "Cursor",
            json!({ "type": "string", "description": "an opaque history cursor" }),
        ),
        ("SubscriptionId", json!({ "type": ["string", "integer"] })),
        (
            "BlockId",
            json!({ "oneOf": [{ "type": "integer", "minimum": 0 },
            { "$ref": "#/components/schemas/Hash" }] }),
        ),
        (
            "TxStatusName",
            json!({ "enum":
            ["pending", "committed", "rejected", "expired", "unknown"] }),
        ),
        (
            "SubmitOutcome",
            json!({ "oneOf": [{ "$ref": "#/components/schemas/SubmitResult" },
            { "type": "object", "required": ["error"] }] }),
        ),
    ];
    for (name, schema) in scalars {
        out.insert(name.to_string(), schema);
    }
    Value::Object(out)
}
