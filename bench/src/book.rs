//! What happened to each offered transaction: when its batch was sent, how the node answered,
//! and when the block that carried it arrived on the subscription. Indexed by the
//! transaction's number in the plan; the sender and the observer write it concurrently.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Instant;

use vellum_protocol::Hash;

/// How the node answered a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// Not sent (the run stopped first), or its batch has not been answered yet.
    None,
    Accepted,
    /// Refused, with the index of the reason in [`Records::reasons`].
    Refused(u16),
}

/// When a transaction's block arrived, and its height.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Commit {
    pub at: Instant,
    pub height: u64,
}

/// The records, one entry per planned transaction.
#[derive(Debug, Default)]
pub struct Records {
    pub sent: Vec<Option<Instant>>,
    pub answer: Vec<Answer>,
    pub committed: Vec<Option<Commit>>,
    /// Refusal reasons, interned: `Answer::Refused(i)` is `reasons[i]`.
    pub reasons: Vec<String>,
    /// Transactions in observed blocks that are not in the plan (none on a fresh chain).
    pub foreign: u64,
    /// Sends after a transaction's first (a resend policy's).
    pub resent: u64,
}

impl Records {
    /// Refused transactions by reason.
    pub fn refused_by_reason(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for a in &self.answer {
            if let Answer::Refused(r) = a {
                *counts
                    .entry(self.reasons[usize::from(*r)].clone())
                    .or_insert(0) += 1;
            }
        }
        counts
    }

    /// Accepted transactions not committed yet.
    pub fn accepted_pending(&self) -> usize {
        self.answer
            .iter()
            .zip(&self.committed)
            .filter(|(a, c)| **a == Answer::Accepted && c.is_none())
            .count()
    }
}

/// The shared book of one run.
#[derive(Debug)]
pub struct TxBook {
    index: HashMap<Hash, u32>,
    records: Mutex<Records>,
}

impl TxBook {
    /// A book for the transactions with these hashes, in plan order.
    pub fn new(hashes: &[Hash]) -> TxBook {
        let n = hashes.len();
        let index = hashes
            .iter()
            .enumerate()
            .map(|(j, h)| (*h, u32::try_from(j).expect("fewer than 2^32 transactions")))
            .collect();
        TxBook {
            index,
            records: Mutex::new(Records {
                sent: vec![None; n],
                answer: vec![Answer::None; n],
                committed: vec![None; n],
                ..Records::default()
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Records> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The batch holding `indices` left at `at`. A transaction sent again keeps its first
    /// send instant: its latency is the client's, from the first try.
    pub fn sent(&self, indices: &[u32], at: Instant) {
        let mut r = self.lock();
        for &j in indices {
            if r.sent[j as usize].is_some() {
                r.resent += 1;
            } else {
                r.sent[j as usize] = Some(at);
            }
        }
    }

    /// The node's answers to a batch: `None` for accepted, `Some(reason)` for refused.
    pub fn answered<'a>(&self, answers: impl IntoIterator<Item = (u32, Option<&'a str>)>) {
        let mut r = self.lock();
        for (j, refusal) in answers {
            let answer = match refusal {
                None => Answer::Accepted,
                Some(reason) => Answer::Refused(intern(&mut r.reasons, reason)),
            };
            r.answer[j as usize] = answer;
        }
    }

    /// A block carrying `hashes` arrived at `at`.
    pub fn committed(&self, hashes: &[Hash], at: Instant, height: u64) {
        let mut r = self.lock();
        for h in hashes {
            match self.index.get(h) {
                Some(&j) => {
                    let slot = &mut r.committed[j as usize];
                    if slot.is_none() {
                        *slot = Some(Commit { at, height });
                    }
                }
                None => r.foreign += 1,
            }
        }
    }

    /// Accepted transactions not committed yet.
    pub fn accepted_pending(&self) -> usize {
        self.lock().accepted_pending()
    }

    /// Planned transactions committed so far.
    pub fn committed_count(&self) -> usize {
        self.lock().committed.iter().filter(|c| c.is_some()).count()
    }

    /// Runs `f` on the records (for the final figures).
    pub fn with<T>(&self, f: impl FnOnce(&Records) -> T) -> T {
        f(&self.lock())
    }
}

fn intern(reasons: &mut Vec<String>, reason: &str) -> u16 {
    let i = match reasons.iter().position(|r| r == reason) {
        Some(i) => i,
        None => {
            reasons.push(reason.to_string());
            reasons.len() - 1
        }
    };
    u16::try_from(i).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_transactions_are_pending_until_a_block_carries_them() {
        let hashes = [Hash([1; 32]), Hash([2; 32]), Hash([3; 32])];
        let book = TxBook::new(&hashes);
        let now = Instant::now();
        book.sent(&[0, 1, 2], now);
        book.answered([(0, None), (1, Some("mempool_full")), (2, None)]);
        assert_eq!(book.accepted_pending(), 2);
        book.committed(&[hashes[0], Hash([9; 32])], now, 5);
        assert_eq!(book.accepted_pending(), 1);
        book.with(|r| {
            assert_eq!(r.foreign, 1);
            assert_eq!(r.committed[0].map(|c| c.height), Some(5));
            assert_eq!(r.refused_by_reason().get("mempool_full"), Some(&1));
        });
    }

    #[test]
    fn a_transaction_sent_again_keeps_its_first_send_and_its_last_answer() {
        let book = TxBook::new(&[Hash([1; 32])]);
        let first = Instant::now();
        book.sent(&[0], first);
        book.answered([(0, Some("mempool_full"))]);
        book.sent(&[0], first + std::time::Duration::from_millis(250));
        book.answered([(0, None)]);
        book.with(|r| {
            assert_eq!((r.sent[0], r.resent), (Some(first), 1));
            assert_eq!(r.answer[0], Answer::Accepted);
            assert!(r.refused_by_reason().is_empty());
        });
    }

    #[test]
    fn a_block_seen_twice_keeps_the_first_arrival() {
        let hashes = [Hash([1; 32])];
        let book = TxBook::new(&hashes);
        let first = Instant::now();
        book.committed(&hashes, first, 1);
        book.committed(&hashes, first + std::time::Duration::from_secs(1), 1);
        book.with(|r| assert_eq!(r.committed[0].map(|c| c.at), Some(first)));
    }
}
