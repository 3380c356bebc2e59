//! SHA-256 of a short message (at most 119 bytes: two blocks), padded in place on the stack
//! and handed to the compression function directly.
//!
//! The trie hashes its nodes (65 bytes), accounts (25) and keys (20), and addresses are
//! hashed from keys: thousands of short messages per block on every validator. Through the
//! `Digest` interface each one also paid for its buffering and finalization, about a fifth of
//! the hashing's time; the digest is the same (see the tests).

use sha2::block_api::compress256;

/// The longest message that fits in two blocks with its padding: one `0x80` byte and the
/// 64-bit length.
pub(super) const MAX_LEN: usize = 2 * 64 - 9;

/// SHA-256's initial state (FIPS 180-4, 5.3.3).
const INITIAL: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// SHA-256 of the concatenation of `parts`, whose lengths add up to `len <= MAX_LEN`.
pub(super) fn digest(parts: &[&[u8]], len: usize) -> [u8; 32] {
    debug_assert!(len <= MAX_LEN);
    let mut blocks = [[0u8; 64]; 2];
    let bytes = blocks.as_flattened_mut();
    let mut at = 0;
    for part in parts {
        bytes[at..at + part.len()].copy_from_slice(part);
        at += part.len();
    }
    bytes[len] = 0x80;
    let used = if len < 56 { 1 } else { 2 };
    bytes[used * 64 - 8..used * 64].copy_from_slice(&(len as u64 * 8).to_be_bytes());
    let mut state = INITIAL;
    compress256(&mut state, &blocks[..used]);
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn every_length_up_to_two_blocks_gives_sha256() {
        let message: Vec<u8> = (0..=MAX_LEN as u8)
            .map(|i| i.wrapping_mul(37) ^ 0x5a)
            .collect();
        for len in 0..=MAX_LEN {
            let whole = &message[..len];
            let expected: [u8; 32] = Sha256::digest(whole).into();
            assert_eq!(digest(&[whole], len), expected, "length {len}");
            // The same bytes in three parts, one of them empty.
            let (a, rest) = whole.split_at(len / 3);
            let (b, c) = rest.split_at(rest.len() / 2);
            assert_eq!(
                digest(&[a, &[], b, c], len),
                expected,
                "length {len} in parts"
            );
        }
    }

    #[test]
    fn the_empty_message_has_its_known_digest() {
        assert_eq!(
            hex::encode(digest(&[], 0)),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
