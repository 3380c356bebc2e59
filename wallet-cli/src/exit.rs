//! The one error type every command returns, and the exit code each kind of error maps to.
//!
//! Rule: 0 success; 1 refused (by the wallet, the node or the ledger: a rejected or expired
//! transaction, a wrong password, insufficient funds, an existing key name); 2 usage (bad
//! arguments: nothing was signed or sent); 3 the node cannot be reached, or gave no usable answer.

use serde_json::{Value, json};

/// Exit status of a command that succeeded.
pub const EXIT_OK: u8 = 0;
/// Exit status of a refusal by the wallet, the node or the ledger.
pub const EXIT_REFUSED: u8 = 1;
/// Exit status of invalid arguments.
pub const EXIT_USAGE: u8 = 2;
/// Exit status when the node cannot be reached.
pub const EXIT_UNREACHABLE: u8 = 3;

/// Why a command failed. Every message says what was wrong and, where it can, what to do.
#[derive(Debug, thiserror::Error)]
pub enum WalletError {
    /// Invalid arguments or input: nothing was signed or sent.
    #[error("{0}")]
    Usage(String),
    /// The wallet refuses: a wrong password, insufficient funds, a key name that exists, or a
    /// transaction the ledger rejected. `data` carries details for `--json`.
    #[error("{message}")]
    Refused {
        message: String,
        data: Option<Value>,
    },
    /// The node answered with a JSON-RPC error (see `docs/RPC.md`).
    #[error("the node refused: {message}")]
    Node {
        code: i32,
        message: String,
        data: Option<Value>,
    },
    /// The node cannot be reached, or its answer could not be read.
    #[error("{0}")]
    Unreachable(String),
    /// A local failure: the keystore directory, a file that cannot be read or written.
    #[error("{0}")]
    Local(String),
}

impl WalletError {
    /// A refusal with a message only.
    pub fn refused(message: impl Into<String>) -> WalletError {
        WalletError::Refused {
            message: message.into(),
            data: None,
        }
    }

    /// The process exit status for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            WalletError::Usage(_) => EXIT_USAGE,
            WalletError::Refused { .. } | WalletError::Node { .. } | WalletError::Local(_) => {
                EXIT_REFUSED
            }
            WalletError::Unreachable(_) => EXIT_UNREACHABLE,
        }
    }

    /// A stable name of the error's kind, for scripts.
    pub fn kind(&self) -> &'static str {
        match self {
            WalletError::Usage(_) => "usage",
            WalletError::Refused { .. } => "refused",
            WalletError::Node { .. } => "node",
            WalletError::Unreachable(_) => "unreachable",
            WalletError::Local(_) => "local",
        }
    }

    /// The `--json` form, printed on stderr:
    /// `{"error":{"kind","message","exit_code", "code"?, "data"?}}`.
    pub fn to_json(&self) -> Value {
        let mut error = json!({
            "kind": self.kind(),
            "message": self.to_string(),
            "exit_code": self.exit_code(),
        });
        match self {
            WalletError::Node { code, data, .. } => {
                error["code"] = json!(code);
                if let Some(data) = data {
                    error["data"] = data.clone();
                }
            }
            WalletError::Refused {
                data: Some(data), ..
            } => error["data"] = data.clone(),
            _ => {}
        }
        json!({ "error": error })
    }
}

impl From<std::io::Error> for WalletError {
    fn from(e: std::io::Error) -> Self {
        WalletError::Local(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_error_has_its_exit_code() {
        let cases = [
            (WalletError::Usage("bad".into()), EXIT_USAGE, "usage"),
            (WalletError::refused("no"), EXIT_REFUSED, "refused"),
            (
                WalletError::Node {
                    code: -32015,
                    message: "poor".into(),
                    data: None,
                },
                EXIT_REFUSED,
                "node",
            ),
            (
                WalletError::Unreachable("down".into()),
                EXIT_UNREACHABLE,
                "unreachable",
            ),
            (WalletError::Local("disk".into()), EXIT_REFUSED, "local"),
        ];
        for (error, code, kind) in cases {
            assert_eq!((error.exit_code(), error.kind()), (code, kind), "{error}");
        }
    }

    #[test]
    fn the_json_form_carries_the_node_code_and_reason() {
        let e = WalletError::Node {
            code: -32015,
            message: "the balance is 1000, the transaction needs 5000".into(),
            data: Some(json!({"code": 20, "name": "insufficient_funds"})),
        };
        let v = e.to_json();
        assert_eq!(v["error"]["kind"], "node");
        assert_eq!(v["error"]["exit_code"], 1);
        assert_eq!(v["error"]["code"], -32015);
        assert_eq!(v["error"]["data"]["name"], "insufficient_funds");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("the balance is 1000")
        );
    }
}
