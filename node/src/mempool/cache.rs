//! The verified-signature cache: the hashes of transactions whose signature verified, so that a
//! transaction admitted to the mempool is not verified again when it arrives in a block.
//!
//! Rule: a hash enters the cache only after [`crypto::verify_batch_checked`] accepted its
//! transaction's signature, and the hash (SHA-256 of the signed encoding, signature included)
//! names exactly one signed transaction, so "in the cache" implies "verifies under the one
//! rule". The cache answers [`SignatureCheck`] for `apply_block` and `build_block`: known
//! transactions are accepted without work, the rest are verified in one batch and remembered
//! if good. It holds at most `capacity` hashes and forgets the oldest first.
//!
//! It also keeps the senders' keys decompressed ([`CheckedKey`], at most [`KEY_CAPACITY`]; all
//! forgotten when full): an account signs many transactions, and decompressing its key was a
//! third of the point decompressions a verification does.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use vellum_protocol::crypto::{self, CheckedItem};
use vellum_protocol::ledger::SignatureCheck;
use vellum_protocol::{CheckedKey, Domain, Hash, PublicKey, SignedTransaction};

/// Most sender keys kept decompressed (about 200 bytes each).
pub const KEY_CAPACITY: usize = 32_768;

/// Counters of the cache's work since it was made (for metrics and tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Transactions answered from the cache, without verification.
    pub hits: u64,
    /// Signatures verified.
    pub checked: u64,
    /// Calls to the batch verifier.
    pub batches: u64,
}

/// A bounded set of verified transaction hashes, shared between the mempool and the block
/// executor (`Send + Sync`; every method takes `&self`).
pub struct SignatureCache {
    capacity: usize,
    known: Mutex<Fifo>,
    keys: Mutex<HashMap<PublicKey, CheckedKey>>,
    hits: AtomicU64,
    checked: AtomicU64,
    batches: AtomicU64,
}

/// The hashes, and the order they came in for eviction.
struct Fifo {
    set: HashSet<Hash>,
    order: VecDeque<Hash>,
}

impl SignatureCache {
    /// A cache of at most `capacity` hashes (0: remember nothing, verify everything).
    pub fn new(capacity: usize) -> SignatureCache {
        SignatureCache {
            capacity,
            known: Mutex::new(Fifo::with_capacity(capacity)),
            keys: Mutex::new(HashMap::new()),
            hits: AtomicU64::new(0),
            checked: AtomicU64::new(0),
            batches: AtomicU64::new(0),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.lock().set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// True when the transaction with this hash is known to carry a valid signature.
    pub fn contains(&self, hash: &Hash) -> bool {
        self.lock().set.contains(hash)
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            checked: self.checked.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
        }
    }

    /// One answer per `(hash, transaction)`: true if the signature verifies. `hash` must be
    /// the transaction's [`SignedTransaction::hash`]. Unknown transactions are verified in one
    /// [`crypto::verify_batch_checked`] call, outside the lock, and the good ones are remembered.
    pub fn verify_hashed(&self, items: &[(Hash, &SignedTransaction)]) -> Vec<bool> {
        self.verify_indexed(items, |i| Cow::Owned(items[i].1.signing_body()))
    }

    /// [`Self::verify_hashed`] for transactions whose signed encoding the caller has already:
    /// `encoded[i]` must be `items[i]`'s, the bytes its hash is of. The signing body is that
    /// encoding without the signature at its end, so it is not encoded again.
    pub fn verify_encoded(
        &self,
        items: &[(Hash, &SignedTransaction)],
        encoded: &[&[u8]],
    ) -> Vec<bool> {
        self.verify_indexed(items, |i| {
            let tx = items[i].1;
            let bytes = encoded.get(i).copied().unwrap_or_default();
            let (body, signature) =
                bytes.split_at(bytes.len().saturating_sub(tx.signature.0.len()));
            if signature == tx.signature.0 {
                Cow::Borrowed(body)
            } else {
                Cow::Owned(tx.signing_body())
            }
        })
    }

    /// The work of [`Self::verify_hashed`], with `body(i)` the signing body of `items[i]`.
    fn verify_indexed<'b>(
        &self,
        items: &[(Hash, &SignedTransaction)],
        body: impl Fn(usize) -> Cow<'b, [u8]>,
    ) -> Vec<bool> {
        let mut answers = vec![false; items.len()];
        let unknown: Vec<usize> = {
            let known = self.lock();
            (0..items.len())
                .filter(|&i| {
                    answers[i] = known.set.contains(&items[i].0);
                    !answers[i]
                })
                .collect()
        };
        self.hits
            .fetch_add((items.len() - unknown.len()) as u64, Ordering::Relaxed);
        if unknown.is_empty() {
            return answers;
        }
        let keys = self.checked_keys(unknown.iter().map(|&i| &items[i].1.tx.sender));
        let bodies: Vec<Cow<'b, [u8]>> = unknown.iter().map(|&i| body(i)).collect();
        // Transactions whose key is no valid key stay refused without entering the batch.
        let (indices, signed): (Vec<usize>, Vec<CheckedItem<'_>>) = unknown
            .iter()
            .zip(&keys)
            .zip(&bodies)
            .filter_map(|((&i, key), body)| {
                Some((
                    i,
                    CheckedItem {
                        key: key.as_ref()?,
                        domain: Domain::Transaction,
                        body,
                        signature: &items[i].1.signature,
                    },
                ))
            })
            .unzip();
        let verified = crypto::verify_batch_checked(&signed);
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.checked
            .fetch_add(unknown.len() as u64, Ordering::Relaxed);
        let mut known = self.lock();
        for (&i, ok) in indices.iter().zip(verified) {
            if ok {
                answers[i] = true;
                known.insert(items[i].0, self.capacity);
            }
        }
        answers
    }

    /// Each key decompressed and checked, from the key cache where it is there; `None` for a
    /// key no signature can be valid under (not remembered).
    fn checked_keys<'k>(
        &self,
        senders: impl Iterator<Item = &'k PublicKey>,
    ) -> Vec<Option<CheckedKey>> {
        let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        senders
            .map(|sender| {
                if let Some(key) = keys.get(sender) {
                    return Some(*key);
                }
                let key = CheckedKey::new(sender).ok()?;
                if keys.len() >= KEY_CAPACITY {
                    keys.clear();
                }
                keys.insert(*sender, key);
                Some(key)
            })
            .collect()
    }

    /// How many sender keys are kept decompressed.
    #[cfg(test)]
    pub(crate) fn key_count(&self) -> usize {
        self.keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Remembers `hash` as verified, as if its signature had verified: for tests only, since
    /// only [`Self::verify_hashed`] may vouch for a signature.
    #[cfg(test)]
    pub(crate) fn record(&self, hash: Hash) {
        self.lock().insert(hash, self.capacity);
    }

    /// The set stays consistent whatever panicked while holding the lock (each change is one
    /// insert or remove), so a poisoned lock is used as is.
    fn lock(&self) -> MutexGuard<'_, Fifo> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Fifo {
    /// Room for `capacity` hashes from the start (about 15 MB for the default 200,000): a set
    /// that grows to it doubles its table 17 times, each time into new memory. In a profile
    /// 22-28 s into a 12,000 tx/s run that growth was 1.5% of a node's CPU, mostly the kernel
    /// zeroing the new pages.
    fn with_capacity(capacity: usize) -> Fifo {
        Fifo {
            set: HashSet::with_capacity(capacity),
            order: VecDeque::with_capacity(capacity),
        }
    }

    fn insert(&mut self, hash: Hash, capacity: usize) {
        if capacity == 0 || !self.set.insert(hash) {
            return;
        }
        self.order.push_back(hash);
        while self.order.len() > capacity {
            if let Some(oldest) = self.order.pop_front() {
                self.set.remove(&oldest);
            }
        }
    }
}

impl SignatureCheck for SignatureCache {
    fn verified(&self, txs: &[SignedTransaction]) -> Vec<bool> {
        let items: Vec<(Hash, &SignedTransaction)> = txs.iter().map(|t| (t.hash(), t)).collect();
        self.verify_hashed(&items)
    }
    fn verified_hashed(&self, txs: &[SignedTransaction], hashes: &[Hash]) -> Vec<bool> {
        let items: Vec<(Hash, &SignedTransaction)> = hashes.iter().copied().zip(txs).collect();
        self.verify_hashed(&items)
    }
}

impl fmt::Debug for SignatureCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignatureCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .field("stats", &self.stats())
            .finish()
    }
}
