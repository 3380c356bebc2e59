//! Pre-signing: every transaction of a run is signed before the clock starts, on several
//! threads, so that signing is never part of what is measured.

use vellum_protocol::{Amount, Encode, Hash, Operation, Transaction};

use crate::accounts::{Accounts, slot};

/// The signed load, in send order: the hex each batch carries and each transaction's hash.
#[derive(Debug, Default)]
pub struct SignedLoad {
    pub hex: Vec<String>,
    pub hashes: Vec<Hash>,
}

/// Signs transactions `0..count` (see [`crate::accounts`] for who sends what) on `threads`
/// threads; each expires at `expiry_ms`.
pub fn sign_all(
    accounts: &Accounts,
    chain_id: &str,
    count: u64,
    expiry_ms: u64,
    threads: usize,
) -> SignedLoad {
    let n = usize::try_from(count).expect("the load fits in memory");
    let mut hex = vec![String::new(); n];
    let mut hashes = vec![Hash::ZERO; n];
    let chunk = n.div_ceil(threads.max(1)).max(1);
    std::thread::scope(|scope| {
        for (c, (hex_part, hash_part)) in hex
            .chunks_mut(chunk)
            .zip(hashes.chunks_mut(chunk))
            .enumerate()
        {
            scope.spawn(move || {
                for (i, (h, d)) in hex_part.iter_mut().zip(hash_part).enumerate() {
                    let j = (c * chunk + i) as u64;
                    let s = slot(j, accounts.len());
                    let stx = Transaction {
                        chain_id: chain_id.to_string(),
                        sender: accounts.key(s.sender).public(),
                        nonce: s.nonce,
                        expiry_ms,
                        op: Operation::Transfer {
                            to: accounts.address(s.recipient),
                            amount: Amount(1),
                            memo: String::new(),
                        },
                    }
                    .sign(accounts.key(s.sender));
                    *d = stx.hash();
                    *h = hex::encode(stx.to_bytes());
                }
            });
        }
    });
    SignedLoad { hex, hashes }
}

#[cfg(test)]
mod tests {
    use vellum_protocol::SignedTransaction;
    use vellum_protocol::rpc::decode_signed_tx_hex;

    use super::*;

    #[test]
    fn every_transaction_decodes_verifies_and_has_its_hash_in_send_order() {
        let accounts = Accounts::new(3);
        let load = sign_all(&accounts, "vellum-bench", 10, 1_000, 4);
        assert_eq!(load.hex.len(), 10);
        for (j, (text, hash)) in load.hex.iter().zip(&load.hashes).enumerate() {
            let stx: SignedTransaction = decode_signed_tx_hex(text).unwrap();
            stx.verify_signature().unwrap();
            assert_eq!(stx.hash(), *hash);
            assert_eq!(stx.tx.nonce, j as u64 / 3);
            assert_eq!(stx.tx.sender, accounts.key(j % 3).public());
        }
    }
}
