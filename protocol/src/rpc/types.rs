//! The JSON shapes of the RPC API: what a client sends and receives.
//!
//! Rules: field names are snake_case, like the rest of the protocol's JSON; heights, nonces and
//! times are JSON numbers; amounts are decimal strings of minor units (through [`Amount`]'s
//! serde); hashes, keys and signatures are lower-case hex; addresses are `vl1…`.

use serde::{Deserialize, Serialize};

use crate::{
    Address, Amount, Block, CommitCertificate, Hash, Operation, PublicKey, RejectReason, Signature,
    SignedTransaction, Validator,
};

/// Most history entries one `account_getHistory` page holds.
pub const MAX_HISTORY_PAGE: u32 = 100;
/// Entries in a history page when the client names no limit.
pub const DEFAULT_HISTORY_PAGE: u32 = 20;
/// Most transactions one `tx_submitBatch` call carries.
pub const MAX_SUBMIT_BATCH: usize = 1000;

/// The chain as one node sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainStatus {
    pub chain_id: String,
    /// Height of the latest committed (final) block.
    pub height: u64,
    pub latest_block_hash: Hash,
    pub latest_block_time_ms: u64,
    /// Number of validators of the next height.
    pub validators: u32,
    /// Decimals of the currency, from genesis.
    pub decimals: u8,
    pub genesis_hash: Hash,
    /// True while the node is catching up with its peers.
    pub syncing: bool,
    pub peers: u32,
}

/// A block by height or by hash: a JSON number or a hex string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BlockId {
    Height(u64),
    Hash(Hash),
}

/// A transaction as JSON, with its hash and the sender's address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxView {
    pub hash: Hash,
    pub chain_id: String,
    pub sender: PublicKey,
    pub sender_address: Address,
    pub nonce: u64,
    pub expiry_ms: u64,
    pub op: Operation,
    pub signature: Signature,
}

impl From<&SignedTransaction> for TxView {
    fn from(stx: &SignedTransaction) -> Self {
        TxView {
            hash: stx.hash(),
            chain_id: stx.tx.chain_id.clone(),
            sender: stx.tx.sender,
            sender_address: stx.tx.sender_address(),
            nonce: stx.tx.nonce,
            expiry_ms: stx.tx.expiry_ms,
            op: stx.tx.op.clone(),
            signature: stx.signature,
        }
    }
}

/// The commit certificate that made a block final: who signed its precommits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitView {
    pub round: u32,
    pub signers: Vec<PublicKey>,
}

impl From<&CommitCertificate> for CommitView {
    fn from(cert: &CommitCertificate) -> Self {
        CommitView {
            round: cert.round,
            signers: cert.signatures.iter().map(|s| s.validator).collect(),
        }
    }
}

/// A committed block: its header, its transactions' hashes (and the transactions when asked
/// for), and the certificate that finalized it. Also the item of `chain_subscribeBlocks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockView {
    pub hash: Hash,
    pub chain_id: String,
    pub height: u64,
    pub time_ms: u64,
    pub prev_hash: Hash,
    pub tx_root: Hash,
    pub state_root: Hash,
    pub proposer: PublicKey,
    pub last_commit_hash: Hash,
    pub validators_hash: Hash,
    pub tx_hashes: Vec<Hash>,
    /// The transactions themselves, when the client asked for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txs: Option<Vec<TxView>>,
    /// The certificate of this block, once the node has it.
    pub commit: Option<CommitView>,
}

impl BlockView {
    /// The view of `block`, finalized by `commit`; `full` includes the transactions.
    pub fn new(block: &Block, commit: Option<&CommitCertificate>, full: bool) -> BlockView {
        let h = &block.header;
        BlockView {
            hash: block.hash(),
            chain_id: h.chain_id.clone(),
            height: h.height,
            time_ms: h.time_ms,
            prev_hash: h.prev_hash,
            tx_root: h.tx_root,
            state_root: h.state_root,
            proposer: h.proposer,
            last_commit_hash: h.last_commit_hash,
            validators_hash: h.validators_hash,
            tx_hashes: block.txs.iter().map(SignedTransaction::hash).collect(),
            txs: full.then(|| block.txs.iter().map(TxView::from).collect()),
            commit: commit.map(CommitView::from),
        }
    }
}

/// One validator of the current set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidatorView {
    pub key: PublicKey,
    pub address: Address,
    pub power: u64,
}

impl From<&Validator> for ValidatorView {
    fn from(v: &Validator) -> Self {
        ValidatorView {
            key: v.key,
            address: Address::from_public_key(&v.key),
            power: v.power,
        }
    }
}

/// Where a transaction is in its one life: pending, then committed, rejected or expired.
/// `unknown` means this node has never seen it (or refused it at submission).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxStatus {
    Pending,
    Committed {
        height: u64,
        index: u32,
        block_hash: Hash,
    },
    Rejected {
        /// The ledger's reason code (see `docs/RPC.md`).
        code: u16,
        /// The reason's stable name, e.g. `insufficient_funds`.
        reason: String,
        /// What was wrong, for a person.
        message: String,
        /// The block that carried it, when a block did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        height: Option<u64>,
    },
    Expired,
    Unknown,
}

impl TxStatus {
    /// The rejected status for a ledger reason.
    pub fn rejected(reason: &RejectReason, height: Option<u64>) -> TxStatus {
        TxStatus::Rejected {
            code: reason.code(),
            reason: reason.name().to_string(),
            message: reason.to_string(),
            height,
        }
    }

    /// True when the status never changes again.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            TxStatus::Committed { .. } | TxStatus::Rejected { .. } | TxStatus::Expired
        )
    }
}

/// A transaction's status, and the transaction itself when the node knows it. Also the item
/// of `tx_subscribeStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxInfo {
    pub hash: Hash,
    #[serde(flatten)]
    pub status: TxStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx: Option<TxView>,
}

/// The answer to a submission: the transaction's hash and where it is now. Submitting the same
/// signed transaction again answers with the same hash and its current status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitResult {
    pub hash: Hash,
    #[serde(flatten)]
    pub status: TxStatus,
}

/// One answer of `tx_submitBatch`: accepted, or refused with the error `tx_submit` would give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SubmitOutcome {
    Accepted(SubmitResult),
    Refused { error: ErrorView },
}

/// A JSON-RPC error object, as an item of a batch answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorView {
    pub code: i32,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<serde_json::Value>,
}

/// An account as of the latest committed block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub address: Address,
    pub balance: Amount,
    /// The nonce its next transaction must carry once all committed ones are counted.
    pub nonce: u64,
    /// The nonce to sign next counting this node's pending transactions, if it has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_nonce: Option<u64>,
    pub frozen: bool,
}

/// How an account took part in a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryRole {
    /// It signed the transaction.
    Sender,
    /// It received the transfer or the minted amount.
    Recipient,
    /// It was frozen or unfrozen.
    Subject,
}

/// One line of an account's history. `cursor` names its place: pass it back to page on or to
/// resume a subscription after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub cursor: String,
    pub height: u64,
    pub index: u32,
    pub tx_hash: Hash,
    /// The operation's name, e.g. `transfer`.
    pub kind: String,
    pub role: HistoryRole,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counterparty: Option<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// The ledger's reason code when the transaction was rejected; absent when it executed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reject_code: Option<u16>,
    pub time_ms: u64,
}

impl HistoryEntry {
    /// Its place in the chain's order: entries sort by it.
    pub fn position(&self) -> (u64, u32) {
        (self.height, self.index)
    }
}

/// One page of history, newest first; `next_cursor` fetches the older page after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryPage {
    pub entries: Vec<HistoryEntry>,
    pub next_cursor: Option<String>,
}

/// The item of `account_subscribe`: a new history entry of the watched account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEvent {
    pub address: Address,
    #[serde(flatten)]
    pub entry: HistoryEntry,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_committed_status_is_flat_json_and_round_trips() {
        let info = TxInfo {
            hash: Hash([1; 32]),
            status: TxStatus::Committed {
                height: 7,
                index: 2,
                block_hash: Hash([2; 32]),
            },
            tx: None,
        };
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(json["status"], "committed");
        assert_eq!(
            (json["height"].as_u64(), json["index"].as_u64()),
            (Some(7), Some(2))
        );
        assert_eq!(serde_json::from_value::<TxInfo>(json).unwrap(), info);
    }

    #[test]
    fn amounts_are_strings_and_block_ids_are_numbers_or_hashes() {
        let account = AccountView {
            address: Address([3; 20]),
            balance: Amount(u128::MAX),
            nonce: 1,
            pending_nonce: None,
            frozen: false,
        };
        let json = serde_json::to_value(&account).unwrap();
        assert_eq!(json["balance"], u128::MAX.to_string());
        assert!(json.get("pending_nonce").is_none());
        let by_height: BlockId = serde_json::from_str("42").unwrap();
        let by_hash: BlockId = serde_json::from_value(Hash([9; 32]).to_hex().into()).unwrap();
        assert_eq!(
            (by_height, by_hash),
            (BlockId::Height(42), BlockId::Hash(Hash([9; 32])))
        );
    }
}
