//! The mempool: transactions waiting for a block, admitted, bounded, and kept consistent with
//! the committed state.
//!
//! A plain synchronous structure that the consensus driver owns; time comes in as `now_ms`.
//!
//! - Admission ([`Mempool::insert_batch`]): every refusal has a reason with a stable code
//!   ([`AdmissionError`]). A transaction already pending is answered with its hash again (the
//!   same signed transaction is one transaction), and is neither checked nor verified twice.
//! - Bounds: at most `max_txs` transactions and `max_bytes` encoded bytes in all, and
//!   `max_per_account` per sender, with nonces below the committed nonce plus `nonce_window`.
//!   At most a quarter of `max_txs` may wait behind a nonce gap ([`MempoolConfig::max_waiting`]):
//!   under overload, clients whose earlier transactions were refused leave later ones that
//!   cannot run until those are sent again, and a pool full of them refused the ones that
//!   could (docs/PERFORMANCE.md, ninth session). The rest of the pool stays for transactions
//!   that can go into the next block. A refusal for the pool's transactions or bytes says
//!   when to send again, from the chain's recent commit rate ([`drain`]).
//! - Selection ([`Mempool::reap`]): arrival order across senders, each sender's consecutive
//!   nonces from its committed nonce; a gap waits.
//! - After each block ([`Mempool::on_commit`]): the included transactions leave, the expired
//!   ones are evicted, and those of every sender whose account the block changed are checked
//!   against the new state (no other sender's can have become invalid); each one evicted is
//!   returned with its reason, so every transaction ends with a definite status. Each
//!   sender's queue then holds its account in that state, and the pool keeps every account
//!   the block changed ([`known`]); admission and selection read those instead of the
//!   accounts trie.
//!
//! One signature rule everywhere: single, batch, cache. Admission verifies the signatures of
//! all new transactions that passed every other check in one [`crypto::verify_batch_checked`] call,
//! which gives, item by item, the answer of single [`crypto::verify`] (the cofactored RFC 8032
//! rule, see `vellum_protocol::crypto`). Those that verify enter the [`SignatureCache`], which
//! is the [`SignatureCheck`] the node passes to `apply_block`: a block of known transactions is
//! not verified again, and its unknown ones are verified in one batch by the same call.
//!
//! [`crypto::verify_batch_checked`]: vellum_protocol::crypto::verify_batch_checked
//! [`crypto::verify`]: vellum_protocol::crypto::verify
//! [`SignatureCheck`]: vellum_protocol::SignatureCheck

mod account_queue;
mod admission;
mod cache;
mod commit;
mod drain;
mod known;
mod reap;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use vellum_protocol::transaction::MAX_TX_BYTES;
use vellum_protocol::{Account, Address, Encode, Hash, LedgerState, SignedTransaction};

use self::account_queue::{AccountQueue, Slot};
use self::admission::Admission;
pub use self::admission::AdmissionError;
pub use self::cache::{CacheStats, SignatureCache};
pub use self::commit::Removal;
use self::drain::DrainRate;
use self::known::KnownAccounts;

/// The mempool's bounds, as the node's config file gives them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MempoolConfig {
    /// Most pending transactions.
    pub max_txs: usize,
    /// Most bytes of pending transactions, in their signed encoding.
    pub max_bytes: usize,
    /// Most pending transactions of one sender.
    pub max_per_account: usize,
    /// A nonce is admitted when below the sender's committed nonce plus this.
    pub nonce_window: u64,
    /// Most transaction hashes in the verified-signature cache (twice `max_txs` covers every
    /// pending transaction with room for those in flight; about 100 bytes each).
    pub signature_cache: usize,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            max_txs: 100_000,
            max_bytes: 64 << 20,
            max_per_account: 64,
            nonce_window: 64,
            signature_cache: 200_000,
        }
    }
}

/// A mempool setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mempool config: {0}")]
pub struct MempoolConfigError(&'static str);

impl MempoolConfig {
    /// Most pending transactions that wait behind a nonce gap: a quarter of `max_txs` (at
    /// least one).
    pub fn max_waiting(&self) -> usize {
        (self.max_txs / 4).max(1)
    }

    /// Checks the settings once, at start-up.
    pub fn validate(&self) -> Result<(), MempoolConfigError> {
        if self.max_txs == 0 || self.max_per_account == 0 || self.nonce_window == 0 {
            return Err(MempoolConfigError(
                "max_txs, max_per_account and nonce_window must be at least 1",
            ));
        }
        if self.max_bytes < MAX_TX_BYTES {
            return Err(MempoolConfigError(
                "max_bytes must hold at least one transaction of the largest size (1024 bytes)",
            ));
        }
        Ok(())
    }
}

/// A pending transaction.
#[derive(Debug, Clone)]
struct Entry {
    tx: SignedTransaction,
    hash: Hash,
    sender: Address,
    size: usize,
}

/// The pending transactions.
pub struct Mempool {
    config: MempoolConfig,
    /// By arrival: the sequence number is the order reaping follows.
    by_seq: BTreeMap<u64, Entry>,
    by_hash: HashMap<Hash, u64>,
    accounts: HashMap<Address, AccountQueue>,
    /// `(expiry_ms, seq)`, for eviction in expiry order.
    by_expiry: BTreeSet<(u64, u64)>,
    next_seq: u64,
    bytes: usize,
    /// Pending transactions not in their sender's ready run (the sum of
    /// [`AccountQueue::waiting`]).
    waiting: usize,
    cache: Arc<SignatureCache>,
    /// The chain's recent commit rate, for the full pool's `retry_after_ms`.
    drain: DrainRate,
    /// The state the last commit left ([`Mempool::on_commit`]): while the pool is asked about
    /// that state, each queue's account is the sender's account in it, and so is each of
    /// `known`'s.
    synced: Option<StateMark>,
    /// Accounts the recent commits changed, as they are in the `synced` state.
    known: KnownAccounts,
}

/// Which state a pool's queues hold the accounts of: a committed state is named by its height
/// and last block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StateMark {
    height: u64,
    block: Hash,
}

impl StateMark {
    fn of(state: &LedgerState) -> StateMark {
        StateMark {
            height: state.height(),
            block: state.last_block_hash(),
        }
    }
}

impl Mempool {
    pub fn new(config: MempoolConfig) -> Mempool {
        let cache = Arc::new(SignatureCache::new(config.signature_cache));
        let known = KnownAccounts::new(config.max_txs);
        Mempool {
            config,
            by_seq: BTreeMap::new(),
            by_hash: HashMap::new(),
            accounts: HashMap::new(),
            by_expiry: BTreeSet::new(),
            next_seq: 0,
            bytes: 0,
            waiting: 0,
            cache,
            drain: DrainRate::default(),
            synced: None,
            known,
        }
    }

    pub fn config(&self) -> &MempoolConfig {
        &self.config
    }

    /// The verified-signature cache, to pass to `apply_block` and `build_block`.
    pub fn signature_cache(&self) -> Arc<SignatureCache> {
        Arc::clone(&self.cache)
    }

    pub fn len(&self) -> usize {
        self.by_seq.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_seq.is_empty()
    }

    /// Encoded bytes of the pending transactions.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether the pool is at its bound of transactions: it then refuses every new one
    /// (those already pending are answered with their hash).
    pub fn is_full(&self) -> bool {
        self.len() >= self.config.max_txs
    }

    /// The refusal at `now_ms` of a transaction the pool has no room for.
    pub fn full_error(&self, now_ms: u64) -> AdmissionError {
        admission::full_of_transactions(&self.config, self.retry_after_ms(now_ms))
    }

    /// How long a client refused for the pool's size should wait at `now_ms` before it sends
    /// again ([`DrainRate::retry_after_ms`]).
    pub fn retry_after_ms(&self, now_ms: u64) -> u64 {
        self.drain.retry_after_ms(now_ms, self.len())
    }

    /// Pending transactions that wait behind a nonce gap.
    pub fn waiting(&self) -> usize {
        self.waiting
    }

    pub fn contains(&self, hash: &Hash) -> bool {
        self.by_hash.contains_key(hash)
    }

    pub fn get(&self, hash: &Hash) -> Option<&SignedTransaction> {
        let seq = self.by_hash.get(hash)?;
        self.by_seq.get(seq).map(|e| &e.tx)
    }

    /// The nonce `sender` should sign next: the first one after its run of consecutive
    /// pending nonces from its committed nonce (as of the last admission or commit). `None`
    /// when it has nothing pending: then the committed nonce is the next.
    pub fn pending_nonce(&self, sender: &Address) -> Option<u64> {
        self.accounts.get(sender).map(AccountQueue::run_end)
    }

    /// `sender`'s account in `state`. When `state` is the one the last commit left, which is
    /// what the node asks about, a sender with pending transactions has it in its queue and a
    /// sender a recent block changed has it in `known`: every account a commit changes is
    /// refreshed in [`Mempool::on_commit`], the others did not change. Otherwise the account
    /// is looked up in the accounts trie, which hashes the address and walks a dozen nodes:
    /// a tenth of a node's work outside signatures at 12,000 tx/s when every lookup did, and
    /// still 3% of the machine when only senders with empty queues did (docs/PERFORMANCE.md).
    fn committed_account(&self, state: &LedgerState, sender: &Address) -> Account {
        if self.synced == Some(StateMark::of(state)) {
            if let Some(queue) = self.accounts.get(sender) {
                return *queue.account();
            }
            if let Some(account) = self.known.get(sender) {
                return account;
            }
        }
        state.account(sender)
    }

    /// Admits what it can of `txs` on top of `state` at `now_ms`: one answer per transaction,
    /// in order, the hash or why it was refused. Earlier transactions of the batch count as
    /// pending for later ones (a sender's sequence may come in one batch).
    pub fn insert_batch(
        &mut self,
        txs: Vec<SignedTransaction>,
        state: &LedgerState,
        now_ms: u64,
    ) -> Vec<Result<Hash, AdmissionError>> {
        self.insert_round(txs, state, now_ms, true)
    }

    /// One admission round: checks everything but signatures, keeping the candidates in the
    /// pool tentatively so that later ones see them; verifies the candidates in one batch and
    /// takes out those that fail. If some failed, the refusals they may have caused (a
    /// conflict, a limit, funds) are retried once.
    fn insert_round(
        &mut self,
        txs: Vec<SignedTransaction>,
        state: &LedgerState,
        now_ms: u64,
        may_retry: bool,
    ) -> Vec<Result<Hash, AdmissionError>> {
        let mut results: Vec<Option<Result<Hash, AdmissionError>>> = vec![None; txs.len()];
        // Each candidate: its index, its sequence number in the pool, and its signed encoding
        // (kept for its signature's check).
        let mut candidates: Vec<(usize, u64, Vec<u8>)> = Vec::new();
        let mut candidate_of: HashMap<Hash, usize> = HashMap::new();
        let mut repeats: Vec<(usize, usize)> = Vec::new();
        let mut retry: Vec<(usize, SignedTransaction)> = Vec::new();
        let mut committed: HashMap<Address, Account> = HashMap::new();
        let retry_after_ms = self.retry_after_ms(now_ms);
        for (i, tx) in txs.into_iter().enumerate() {
            let bytes = tx.to_bytes();
            if bytes.len() > MAX_TX_BYTES {
                results[i] = Some(Err(admission::oversized(bytes.len()).into()));
                continue;
            }
            let hash = Hash::of(&[&bytes]);
            if self.by_hash.contains_key(&hash) {
                match candidate_of.get(&hash) {
                    Some(&first) => repeats.push((i, first)),
                    None => results[i] = Some(Ok(hash)),
                }
                continue;
            }
            let sender = tx.tx.sender_address();
            let account = *committed
                .entry(sender)
                .or_insert_with(|| self.committed_account(state, &sender));
            let check = Admission {
                state,
                config: &self.config,
                now_ms,
                pool_len: self.len(),
                pool_bytes: self.bytes,
                pool_waiting: self.waiting,
                retry_after_ms,
            }
            .check(
                &tx,
                bytes.len(),
                &sender,
                &account,
                self.accounts.get(&sender),
            );
            match check {
                Ok(()) => {
                    let entry = Entry {
                        tx,
                        hash,
                        sender,
                        size: bytes.len(),
                    };
                    candidates.push((i, self.add(entry, account), bytes));
                    candidate_of.insert(hash, i);
                }
                Err(e) => {
                    if may_retry && e.depends_on_pool() {
                        retry.push((i, tx));
                    }
                    results[i] = Some(Err(e));
                }
            }
        }

        let verified = {
            let items: Vec<(Hash, &SignedTransaction)> = candidates
                .iter()
                .map(|(_, seq, _)| {
                    let e = &self.by_seq[seq];
                    (e.hash, &e.tx)
                })
                .collect();
            let encoded: Vec<&[u8]> = candidates.iter().map(|(.., b)| b.as_slice()).collect();
            self.cache.verify_encoded(&items, &encoded)
        };
        let mut any_bad = false;
        for (&(i, seq, _), ok) in candidates.iter().zip(verified) {
            results[i] = Some(if ok {
                Ok(self.by_seq[&seq].hash)
            } else {
                any_bad = true;
                self.remove(seq);
                Err(vellum_protocol::RejectReason::BadSignature.into())
            });
        }
        for (i, first) in repeats {
            results[i] = results[first].clone();
        }
        if any_bad && !retry.is_empty() {
            let (indexes, again): (Vec<usize>, Vec<SignedTransaction>) = retry.into_iter().unzip();
            let answers = self.insert_round(again, state, now_ms, false);
            for (i, answer) in indexes.into_iter().zip(answers) {
                results[i] = Some(answer);
            }
        }
        results
            .into_iter()
            .map(|r| r.expect("every transaction has an answer"))
            .collect()
    }

    /// Removes the transactions that expired before `now_ms` (`expiry_ms < now_ms`), oldest
    /// expiry first; returns their hashes.
    pub fn evict_expired(&mut self, now_ms: u64) -> Vec<Hash> {
        self.expired(now_ms)
            .into_iter()
            .filter_map(|seq| self.remove(seq).map(|e| e.hash))
            .collect()
    }

    /// The sequence numbers of the transactions expired before `now_ms`, oldest expiry first.
    fn expired(&self, now_ms: u64) -> Vec<u64> {
        self.by_expiry
            .range(..(now_ms, 0))
            .map(|&(_, seq)| seq)
            .collect()
    }

    /// Adds an admitted transaction to every index, with its sender's committed account;
    /// returns its sequence number.
    fn add(&mut self, entry: Entry, committed: Account) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = Slot {
            seq,
            cost: admission::cost(&entry.tx.tx.op),
            hash: entry.hash,
        };
        let queue = self
            .accounts
            .entry(entry.sender)
            .or_insert_with(|| AccountQueue::new(committed));
        count_waiting(&mut self.waiting, queue, |q| {
            q.set_account(committed);
            q.insert(entry.tx.tx.nonce, slot);
        });
        self.by_hash.insert(entry.hash, seq);
        self.by_expiry.insert((entry.tx.tx.expiry_ms, seq));
        self.bytes += entry.size;
        self.by_seq.insert(seq, entry);
        seq
    }

    /// Takes a transaction out of every index.
    fn remove(&mut self, seq: u64) -> Option<Entry> {
        let entry = self.by_seq.remove(&seq)?;
        self.by_hash.remove(&entry.hash);
        self.by_expiry.remove(&(entry.tx.tx.expiry_ms, seq));
        self.bytes -= entry.size;
        if let Some(queue) = self.accounts.get_mut(&entry.sender) {
            count_waiting(&mut self.waiting, queue, |q| {
                q.remove(entry.tx.tx.nonce);
            });
            if queue.is_empty() {
                self.accounts.remove(&entry.sender);
            }
        }
        Some(entry)
    }
}

/// Changes `queue` by `change`, keeping `waiting` (the pool's count of transactions behind a
/// gap) equal to the sum of its queues' [`AccountQueue::waiting`].
fn count_waiting(
    waiting: &mut usize,
    queue: &mut AccountQueue,
    change: impl FnOnce(&mut AccountQueue),
) {
    let before = queue.waiting();
    change(queue);
    *waiting = *waiting - before + queue.waiting();
}

impl fmt::Debug for Mempool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mempool")
            .field("len", &self.len())
            .field("bytes", &self.bytes)
            .field("senders", &self.accounts.len())
            .field("known_accounts", &self.known.len())
            .field("config", &self.config)
            .finish()
    }
}
