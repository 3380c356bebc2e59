//! The outbox: this wallet's signed transactions of one account that are not known final yet,
//! in `HOME/outbox/ADDRESS.json`, and the nonce rule that uses it.
//!
//! Why: `account_get` gives the committed nonce, and `pending_nonce` only for the transactions
//! the asked node holds. A transaction sent to another node, or dropped by a restarted node,
//! would otherwise make the next one reuse or skip a nonce. So every transaction is written to
//! the outbox before it is submitted and leaves it once final. Before a new one is signed:
//!
//! 1. entries whose nonce is below the committed nonce (executed) or that expired are dropped;
//! 2. entries the node does not hold (nonce at or past its next nonce) are submitted again, the
//!    same bytes, which is always safe: the node answers with the same hash, or refuses (the
//!    entry is then dropped);
//! 3. the next nonce is the node's next nonce, past any further consecutive outbox entries.
//!
//! Commands for one account hold an exclusive lock on `ADDRESS.lock` from the nonce choice to
//! the submission, so two wallets on one machine never sign the same nonce. The pending spend
//! of the outbox also lowers the balance a transfer or burn may use.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use vellum_protocol::rpc::decode_signed_tx_hex;
use vellum_protocol::{Address, Amount, Hash, Operation};

use crate::exit::WalletError;
use crate::home::{WalletHome, write_private_file};

/// One signed transaction that is not known final.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub nonce: u64,
    pub hash: Hash,
    pub expiry_ms: u64,
    /// Hex of the signed transaction, to submit it again unchanged.
    pub tx_hex: String,
}

impl OutboxEntry {
    /// What the transaction takes from the sender's balance.
    pub fn spend(&self) -> Amount {
        match decode_signed_tx_hex(&self.tx_hex).map(|stx| stx.tx.op) {
            Ok(Operation::Transfer { amount, .. }) | Ok(Operation::Burn { amount }) => amount,
            _ => Amount::ZERO,
        }
    }
}

/// The outbox of one account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    pub entries: Vec<OutboxEntry>,
}

impl Outbox {
    /// Drops the entries that can no longer execute: nonces below `committed_nonce`, and
    /// transactions whose expiry has passed at `now_ms`.
    pub fn prune(&mut self, committed_nonce: u64, now_ms: u64) {
        self.entries
            .retain(|e| e.nonce >= committed_nonce && e.expiry_ms >= now_ms);
    }

    /// The entries at or past `node_next`, which the node does not hold, by nonce.
    pub fn unknown_to_node(&self, node_next: u64) -> Vec<OutboxEntry> {
        let mut v: Vec<_> = self
            .entries
            .iter()
            .filter(|e| e.nonce >= node_next)
            .cloned()
            .collect();
        v.sort_by_key(|e| e.nonce);
        v
    }

    /// The nonce to sign next: `node_next`, past consecutive outbox entries from there.
    pub fn next_nonce(&self, node_next: u64) -> u64 {
        let mut n = node_next;
        while self.entries.iter().any(|e| e.nonce == n) {
            n += 1;
        }
        n
    }

    /// What the entries take from the balance once they execute.
    pub fn pending_spend(&self) -> Amount {
        Amount(self.entries.iter().map(|e| e.spend().0).sum())
    }

    pub fn record(&mut self, entry: OutboxEntry) {
        self.remove(&entry.hash);
        self.entries.push(entry);
    }

    pub fn remove(&mut self, hash: &Hash) {
        self.entries.retain(|e| e.hash != *hash);
    }
}

/// The outbox file of one account, locked for this process while the value lives.
#[derive(Debug)]
pub struct LockedOutbox {
    path: PathBuf,
    _lock: File,
    pub outbox: Outbox,
}

impl LockedOutbox {
    /// Waits for the account's lock, then reads its outbox (empty when there is none).
    pub fn open(home: &WalletHome, address: &Address) -> Result<LockedOutbox, WalletError> {
        let dir = home.outbox_dir();
        home.ensure_private(&dir)?;
        let lock_path = dir.join(format!("{address}.lock"));
        let io_err = |e: io::Error| WalletError::Local(format!("{}: {e}", lock_path.display()));
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_err)?;
        lock.lock().map_err(io_err)?;
        let path = dir.join(format!("{address}.json"));
        let outbox = match fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| {
                WalletError::Local(format!(
                    "{} is damaged ({e}); delete it: the node still knows every pending \
                     transaction",
                    path.display()
                ))
            })?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Outbox::default(),
            Err(e) => return Err(WalletError::Local(format!("{}: {e}", path.display()))),
        };
        Ok(LockedOutbox {
            path,
            _lock: lock,
            outbox,
        })
    }

    /// Writes the outbox back (or removes the file when it is empty).
    pub fn save(&self) -> Result<(), WalletError> {
        if self.outbox.entries.is_empty() {
            return match fs::remove_file(&self.path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(WalletError::Local(format!("{}: {e}", self.path.display()))),
            };
        }
        let text = serde_json::to_string_pretty(&self.outbox).expect("an outbox serializes");
        write_private_file(&self.path, text.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vellum_protocol::{Encode, Keypair, Transaction};

    fn entry(nonce: u64, expiry_ms: u64, op: Operation) -> OutboxEntry {
        let key = Keypair::from_seed(&[1; 32]);
        let stx = Transaction {
            chain_id: "t".into(),
            sender: key.public(),
            nonce,
            expiry_ms,
            op,
        }
        .sign(&key);
        OutboxEntry {
            nonce,
            hash: stx.hash(),
            expiry_ms,
            tx_hex: hex::encode(stx.to_bytes()),
        }
    }

    fn transfer(amount: u128) -> Operation {
        Operation::Transfer {
            to: Address([2; 20]),
            amount: Amount(amount),
            memo: String::new(),
        }
    }

    #[test]
    fn the_next_nonce_skips_the_outbox_run_after_the_node_next() {
        let mut o = Outbox::default();
        assert_eq!(o.next_nonce(5), 5);
        for n in [5, 6, 8] {
            o.record(entry(n, 1_000, transfer(1)));
        }
        assert_eq!(o.next_nonce(5), 7, "8 is not consecutive");
        assert_eq!(o.next_nonce(7), 7);
        assert_eq!(
            o.unknown_to_node(6)
                .iter()
                .map(|e| e.nonce)
                .collect::<Vec<_>>(),
            [6, 8]
        );
    }

    #[test]
    fn executed_and_expired_entries_are_pruned() {
        let mut o = Outbox::default();
        o.record(entry(3, 10_000, transfer(1)));
        o.record(entry(4, 500, transfer(1)));
        o.record(entry(5, 10_000, transfer(1)));
        o.prune(4, 1_000);
        assert_eq!(
            o.entries.iter().map(|e| e.nonce).collect::<Vec<_>>(),
            [5],
            "3 executed, 4 expired"
        );
    }

    #[test]
    fn the_pending_spend_counts_transfers_and_burns_only() {
        let mut o = Outbox::default();
        o.record(entry(0, 1, transfer(150)));
        o.record(entry(1, 1, Operation::Burn { amount: Amount(50) }));
        o.record(entry(
            2,
            1,
            Operation::Mint {
                to: Address([3; 20]),
                amount: Amount(999),
            },
        ));
        assert_eq!(o.pending_spend(), Amount(200));
        let h = o.entries[0].hash;
        o.remove(&h);
        assert_eq!(o.pending_spend(), Amount(50));
    }

    #[test]
    fn the_outbox_file_round_trips_and_disappears_when_empty() {
        let d = tempfile::tempdir().unwrap();
        let home = WalletHome::at(d.path());
        let addr = Address([9; 20]);
        let mut locked = LockedOutbox::open(&home, &addr).unwrap();
        locked.outbox.record(entry(0, 99, transfer(5)));
        locked.save().unwrap();
        drop(locked);
        let mut again = LockedOutbox::open(&home, &addr).unwrap();
        assert_eq!(again.outbox.entries.len(), 1);
        again.outbox.entries.clear();
        again.save().unwrap();
        assert!(!home.outbox_dir().join(format!("{addr}.json")).exists());
    }
}
