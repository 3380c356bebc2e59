//! Batch signature verification, the largest cost of a transaction: microseconds per
//! signature in batches from 64 to 2,000 items (a node offered 12,000 tx/s verifies about 800
//! at a time), with every key distinct and with keys that sign several items of a batch.
//!
//! `cargo bench -p vellum-protocol --bench verify_batch` (std only: median of the runs).

use std::hint::black_box;
use std::time::Instant;

use vellum_protocol::crypto::{CheckedItem, verify_batch_checked};
use vellum_protocol::{CheckedKey, Domain, Keypair, Signature};

const BATCH: usize = 2000;
const RUNS: usize = 15;
/// Smaller batches: below 190 points curve25519-dalek multiplies by Straus's method, above by
/// Pippenger's.
const SMALL_BATCHES: [usize; 4] = [64, 128, 512, 1024];

/// `size` items signed by `keys` distinct keys in turn: `(key, body, signature)`.
fn signed(size: usize, keys: usize) -> Vec<(CheckedKey, Vec<u8>, Signature)> {
    let pairs: Vec<Keypair> = (0..keys)
        .map(|k| {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(k as u64 + 1).to_be_bytes());
            Keypair::from_seed(&seed)
        })
        .collect();
    (0..size)
        .map(|i| {
            let pair = &pairs[i % keys];
            let body = (i as u64).to_be_bytes().repeat(16);
            let signature = pair.sign(Domain::Transaction, &body);
            (
                CheckedKey::new(&pair.public()).expect("a strong key"),
                body,
                signature,
            )
        })
        .collect()
}

/// The median time of one signature in a batch, in microseconds.
fn per_signature_us(set: &[(CheckedKey, Vec<u8>, Signature)]) -> f64 {
    let items: Vec<CheckedItem<'_>> = set
        .iter()
        .map(|(key, body, signature)| CheckedItem {
            key,
            domain: Domain::Transaction,
            body,
            signature,
        })
        .collect();
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let answers = verify_batch_checked(black_box(&items));
            let elapsed = start.elapsed().as_secs_f64();
            assert!(answers.iter().all(|ok| *ok), "every signature is good");
            elapsed * 1e6 / set.len() as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[RUNS / 2]
}

fn main() {
    println!("median of {RUNS} runs");
    for size in SMALL_BATCHES {
        let us = per_signature_us(&signed(size, size));
        println!("batch of {size:>5}, every key distinct: {us:6.2} us per signature");
    }
    for keys in [BATCH, BATCH / 2, BATCH / 4, 100] {
        let us = per_signature_us(&signed(BATCH, keys));
        println!("batch of {BATCH:>5}, {keys:>5} distinct keys: {us:6.2} us per signature");
    }
}
