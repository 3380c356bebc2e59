//! A verified-signature cache shared by the simulated nodes of one run.
//!
//! The real node keeps such a cache so that a transaction verified at admission is not verified
//! again in a block; here it also keeps the simulation fast. A signature's validity is a pure
//! function of the transaction's bytes, so sharing the cache changes no outcome.

use std::collections::HashSet;
use std::sync::Mutex;

use vellum_protocol::ledger::{SignatureCheck, VerifyAll};
use vellum_protocol::{Hash, SignedTransaction};

/// Remembers the hashes of transactions whose signatures verified.
#[derive(Debug, Default)]
pub struct VerifiedCache {
    verified: Mutex<HashSet<Hash>>,
}

impl SignatureCheck for VerifiedCache {
    fn verified(&self, txs: &[SignedTransaction]) -> Vec<bool> {
        let hashes: Vec<Hash> = txs.iter().map(SignedTransaction::hash).collect();
        let mut known = self
            .verified
            .lock()
            .expect("the simulation is single-threaded");
        let unknown: Vec<usize> = (0..txs.len())
            .filter(|i| !known.contains(&hashes[*i]))
            .collect();
        let mut out = vec![true; txs.len()];
        if unknown.is_empty() {
            return out;
        }
        let fresh: Vec<SignedTransaction> = unknown.iter().map(|i| txs[*i].clone()).collect();
        for (i, ok) in unknown.iter().zip(VerifyAll.verified(&fresh)) {
            out[*i] = ok;
            if ok {
                known.insert(hashes[*i]);
            }
        }
        out
    }
}
