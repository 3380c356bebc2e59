//! An in-memory node for the RPC tests: the real ledger rule and mempool, blocks kept in a
//! list, and the event channels sent after each commit, as the driver will.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::broadcast;
use vellum_protocol::genesis::{ConsensusParams, GenesisAccount, GenesisValidator};
use vellum_protocol::rpc::{
    AccountEvent, AccountView, BlockId, BlockView, ChainStatus, HistoryEntry, HistoryPage,
    HistoryRole, SubmitError, SubmitResult, TxInfo, TxStatus, TxView, ValidatorView,
};
use vellum_protocol::{
    Address, Amount, Block, BlockContext, CommitCertificate, CommitSignature, Genesis, Hash,
    Keypair, LedgerState, Operation, Outcome, Signature, SignedTransaction, Transaction, VerifyAll,
    build_block,
};

use crate::mempool::{Mempool, MempoolConfig};
use crate::rpc::{BackendError, RpcBackend};

pub const CHAIN: &str = "rpc-test";
pub const GENESIS_MS: u64 = 1_000_000;
/// The fake node's clock: submissions are checked at this time.
pub const NOW: u64 = 2_000_000;

pub fn keypair(tag: u8) -> Keypair {
    Keypair::from_seed(&[tag; 32])
}

pub fn addr(k: &Keypair) -> Address {
    Address::from_public_key(&k.public())
}

pub fn signed(k: &Keypair, nonce: u64, op: Operation) -> SignedTransaction {
    Transaction {
        chain_id: CHAIN.into(),
        sender: k.public(),
        nonce,
        expiry_ms: NOW + 60_000,
        op,
    }
    .sign(k)
}

pub fn transfer(from: &Keypair, to: &Keypair, amount: u128, nonce: u64) -> SignedTransaction {
    let op = Operation::Transfer {
        to: addr(to),
        amount: Amount(amount),
        memo: String::new(),
    };
    signed(from, nonce, op)
}

struct Chain {
    state: LedgerState,
    mempool: Mempool,
    blocks: Vec<BlockView>,
    blocks_full: Vec<BlockView>,
    txs: HashMap<Hash, TxInfo>,
    history: HashMap<Address, Vec<HistoryEntry>>,
}

/// The fake node.
pub struct FakeNode {
    pub validator: Keypair,
    pub alice: Keypair,
    pub bob: Keypair,
    pub admin: Keypair,
    genesis_hash: Hash,
    chain: Mutex<Chain>,
    blocks_tx: broadcast::Sender<BlockView>,
    accounts_tx: broadcast::Sender<AccountEvent>,
    tx_events: broadcast::Sender<TxInfo>,
}

impl FakeNode {
    /// One validator; alice and bob hold 1000 each; an admin.
    pub fn new() -> FakeNode {
        let (validator, alice, bob, admin) = (keypair(1), keypair(2), keypair(3), keypair(4));
        let genesis = Genesis {
            chain_id: CHAIN.into(),
            genesis_time_ms: GENESIS_MS,
            decimals: 2,
            validators: vec![GenesisValidator {
                name: "v0".into(),
                key: validator.public(),
                power: 1,
                node_id: None,
                p2p_address: None,
            }],
            issuers: vec![addr(&keypair(5))],
            admins: vec![addr(&admin)],
            accounts: [&alice, &bob]
                .iter()
                .map(|k| GenesisAccount {
                    address: addr(k),
                    balance: Amount(1000),
                })
                .collect(),
            consensus: ConsensusParams::default(),
        };
        let state = LedgerState::from_genesis(&genesis).expect("a valid genesis");
        FakeNode {
            genesis_hash: genesis.hash().expect("a valid genesis"),
            validator,
            alice,
            bob,
            admin,
            chain: Mutex::new(Chain {
                state,
                mempool: Mempool::new(MempoolConfig::default()),
                blocks: Vec::new(),
                blocks_full: Vec::new(),
                txs: HashMap::new(),
                history: HashMap::new(),
            }),
            blocks_tx: broadcast::channel(1024).0,
            accounts_tx: broadcast::channel(1024).0,
            tx_events: broadcast::channel(1024).0,
        }
    }

    /// [`FakeNode::new`] with a mempool of `config`.
    pub fn with_mempool(config: MempoolConfig) -> FakeNode {
        let node = FakeNode::new();
        node.chain().mempool = Mempool::new(config);
        node
    }

    fn chain(&self) -> std::sync::MutexGuard<'_, Chain> {
        self.chain.lock().expect("the fake node's lock")
    }

    /// Commits the next block with what the mempool holds; sends the events after the block
    /// is readable. Returns its height.
    pub fn commit_block(&self) -> u64 {
        let mut events = (Vec::new(), Vec::new());
        let (view, height) = {
            let mut c = self.chain();
            let time_ms = c.state.last_time_ms().max(GENESIS_MS) + 1000;
            let txs = c.mempool.reap_at(&c.state, time_ms, 1000, 1 << 20);
            let ctx = BlockContext {
                time_ms,
                proposer: self.validator.public(),
                last_commit: None,
            };
            let (block, next, receipts) = build_block(&c.state, txs, ctx, 1000, &VerifyAll);
            let height = block.height();
            let cert = CommitCertificate {
                height,
                round: 0,
                block: block.hash(),
                signatures: vec![CommitSignature {
                    validator: self.validator.public(),
                    signature: Signature([0; 64]),
                }],
            };
            for (receipt, stx) in receipts.iter().zip(&block.txs) {
                let status = match &receipt.outcome {
                    Outcome::Committed => TxStatus::Committed {
                        height,
                        index: receipt.index,
                        block_hash: block.hash(),
                    },
                    Outcome::Rejected(reason) => TxStatus::rejected(reason, Some(height)),
                };
                let info = TxInfo {
                    hash: receipt.tx_hash,
                    status,
                    tx: Some(TxView::from(stx)),
                };
                c.txs.insert(receipt.tx_hash, info.clone());
                events.0.push(info);
                for (address, entry) in entries_of(&block, receipt.index, stx) {
                    c.history.entry(address).or_default().push(entry.clone());
                    events.1.push(AccountEvent { address, entry });
                }
            }
            let included: Vec<Hash> = block.txs.iter().map(SignedTransaction::hash).collect();
            let changed = next.changed_accounts(&c.state);
            c.mempool.on_commit(&included, &changed, &next, time_ms);
            c.state = next;
            c.blocks.push(BlockView::new(&block, Some(&cert), false));
            c.blocks_full
                .push(BlockView::new(&block, Some(&cert), true));
            (c.blocks.last().cloned().expect("just pushed"), height)
        };
        let _ = self.blocks_tx.send(view);
        for info in events.0 {
            let _ = self.tx_events.send(info);
        }
        for event in events.1 {
            let _ = self.accounts_tx.send(event);
        }
        height
    }
}

/// The history entries a transaction gives: its sender's, and its recipient's.
fn entries_of(block: &Block, index: u32, stx: &SignedTransaction) -> Vec<(Address, HistoryEntry)> {
    let entry = |role, counterparty, amount| HistoryEntry {
        cursor: format!("{}:{index}", block.height()),
        height: block.height(),
        index,
        tx_hash: stx.hash(),
        kind: stx.tx.op.name().to_string(),
        role,
        counterparty,
        amount,
        reject_code: None,
        time_ms: block.header.time_ms,
    };
    let sender = stx.tx.sender_address();
    match &stx.tx.op {
        Operation::Transfer { to, amount, .. } => vec![
            (sender, entry(HistoryRole::Sender, Some(*to), Some(*amount))),
            (
                *to,
                entry(HistoryRole::Recipient, Some(sender), Some(*amount)),
            ),
        ],
        Operation::Freeze { account } | Operation::Unfreeze { account } => vec![
            (sender, entry(HistoryRole::Sender, Some(*account), None)),
            (*account, entry(HistoryRole::Subject, Some(sender), None)),
        ],
        _ => vec![(sender, entry(HistoryRole::Sender, None, None))],
    }
}

fn parse_cursor(cursor: &str) -> Result<(u64, u32), BackendError> {
    let bad = || BackendError::BadCursor(cursor.to_string());
    let (h, i) = cursor.split_once(':').ok_or_else(bad)?;
    Ok((h.parse().map_err(|_| bad())?, i.parse().map_err(|_| bad())?))
}

impl RpcBackend for FakeNode {
    fn status(&self) -> Result<ChainStatus, BackendError> {
        let c = self.chain();
        Ok(ChainStatus {
            chain_id: c.state.chain_id().to_string(),
            height: c.state.height(),
            latest_block_hash: c.state.last_block_hash(),
            latest_block_time_ms: c.state.last_time_ms(),
            validators: c.state.validators().len() as u32,
            decimals: c.state.decimals(),
            genesis_hash: self.genesis_hash,
            syncing: false,
            peers: 0,
        })
    }

    fn block(&self, id: BlockId, full_txs: bool) -> Result<Option<BlockView>, BackendError> {
        let c = self.chain();
        let list = if full_txs { &c.blocks_full } else { &c.blocks };
        Ok(match id {
            BlockId::Height(h) => list.iter().find(|b| b.height == h).cloned(),
            BlockId::Hash(hash) => list.iter().find(|b| b.hash == hash).cloned(),
        })
    }

    fn validators(&self) -> Result<Vec<ValidatorView>, BackendError> {
        let c = self.chain();
        Ok(c.state
            .validators()
            .validators()
            .iter()
            .map(ValidatorView::from)
            .collect())
    }

    fn refusing(&self) -> Option<SubmitError> {
        let c = self.chain();
        c.mempool
            .is_full()
            .then(|| SubmitError::from(c.mempool.full_error(NOW)))
    }

    fn submit(&self, txs: Vec<SignedTransaction>) -> Vec<Result<SubmitResult, SubmitError>> {
        let mut c = self.chain();
        let mut admitted = Vec::new();
        let mut answers = Vec::with_capacity(txs.len());
        for stx in txs {
            let hash = stx.hash();
            if let Some(known) = c.txs.get(&hash) {
                let status = known.status.clone();
                answers.push(Ok(SubmitResult { hash, status }));
                continue;
            }
            let state = c.state.clone();
            let answer = c
                .mempool
                .insert_batch(vec![stx.clone()], &state, NOW)
                .remove(0);
            answers.push(match answer {
                Ok(hash) => {
                    let info = TxInfo {
                        hash,
                        status: TxStatus::Pending,
                        tx: Some(TxView::from(&stx)),
                    };
                    c.txs.insert(hash, info.clone());
                    admitted.push(info);
                    Ok(SubmitResult {
                        hash,
                        status: TxStatus::Pending,
                    })
                }
                Err(e) => Err(SubmitError::from(e)),
            });
        }
        drop(c);
        for info in admitted {
            let _ = self.tx_events.send(info);
        }
        answers
    }

    fn tx_status(&self, hash: &Hash) -> Result<TxInfo, BackendError> {
        let c = self.chain();
        Ok(c.txs.get(hash).cloned().unwrap_or(TxInfo {
            hash: *hash,
            status: TxStatus::Unknown,
            tx: None,
        }))
    }

    fn account(&self, address: &Address) -> Result<AccountView, BackendError> {
        let c = self.chain();
        let account = c.state.account(address);
        Ok(AccountView {
            address: *address,
            balance: account.balance,
            nonce: account.nonce,
            pending_nonce: c.mempool.pending_nonce(address),
            frozen: account.frozen,
        })
    }

    fn history(
        &self,
        address: &Address,
        before: Option<&str>,
        limit: u32,
    ) -> Result<HistoryPage, BackendError> {
        let before = before.map(parse_cursor).transpose()?;
        let c = self.chain();
        let all = c.history.get(address).cloned().unwrap_or_default();
        let entries: Vec<HistoryEntry> = all
            .into_iter()
            .rev()
            .filter(|e| before.is_none_or(|b| e.position() < b))
            .take(limit as usize)
            .collect();
        let next_cursor = (entries.len() == limit as usize)
            .then(|| entries.last().map(|e| e.cursor.clone()))
            .flatten();
        Ok(HistoryPage {
            entries,
            next_cursor,
        })
    }

    fn history_after(
        &self,
        address: &Address,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<HistoryEntry>, BackendError> {
        let after = after.map(parse_cursor).transpose()?;
        let c = self.chain();
        let all = c.history.get(address).cloned().unwrap_or_default();
        Ok(all
            .into_iter()
            .filter(|e| after.is_none_or(|a| e.position() > a))
            .take(limit as usize)
            .collect())
    }

    fn block_events(&self) -> broadcast::Receiver<BlockView> {
        self.blocks_tx.subscribe()
    }

    fn account_events(&self) -> broadcast::Receiver<AccountEvent> {
        self.accounts_tx.subscribe()
    }

    fn tx_events(&self) -> broadcast::Receiver<TxInfo> {
        self.tx_events.subscribe()
    }
}
