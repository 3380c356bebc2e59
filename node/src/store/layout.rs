//! The columns a store is made of, their keys, and the values whose encoding lives here (the
//! safety state and the safety record): the layout table in the module documentation of
//! [`crate::store`] in code.

use std::sync::Mutex;

use vellum_consensus::{LockProof, Recovery, SafetyState, SignedPosition, Step};
use vellum_protocol::encoding::{Reader, Writer};
use vellum_protocol::validator::MAX_VALIDATORS;
use vellum_protocol::{
    Address, Block, CommitCertificate, Decode, DecodeError, Encode, Hash, Receipt, SignedVote,
};

use super::StoreError;
use super::checkpoint::Unsaved;
use super::recent::RecentTxs;

/// Storage format written into `meta` when a store is created; bump on any layout change.
/// Format 2 (the `outcomes` column; `txs` complete only up to the state checkpoint) reads a
/// format 1 store as it is: its `txs` is complete up to its latest block, which is more.
pub const FORMAT: u32 = 2;
/// The earlier format a store may be in, upgraded to [`FORMAT`] by writing the number.
pub const FORMAT_UPGRADABLE: u32 = 1;

/// One ordered key-value column (a RocksDB column family).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Column {
    Blocks,
    BlockHashes,
    Certificates,
    Txs,
    Outcomes,
    History,
    State,
    Meta,
    Wal,
}

impl Column {
    pub const ALL: [Column; 9] = [
        Column::Blocks,
        Column::BlockHashes,
        Column::Certificates,
        Column::Txs,
        Column::Outcomes,
        Column::History,
        Column::State,
        Column::Meta,
        Column::Wal,
    ];

    /// The column family's name on disk.
    pub fn name(self) -> &'static str {
        match self {
            Column::Blocks => "blocks",
            Column::BlockHashes => "block_hashes",
            Column::Certificates => "certificates",
            Column::Txs => "txs",
            Column::Outcomes => "outcomes",
            Column::History => "history",
            Column::State => "state",
            Column::Meta => "meta",
            Column::Wal => "wal",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// One write in a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    Put(Column, Vec<u8>, Vec<u8>),
    Delete(Column, Vec<u8>),
}

/// Writes applied all together or not at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteSet {
    pub writes: Vec<Write>,
}

impl Write {
    /// The column and key written.
    pub fn target(&self) -> (Column, &[u8]) {
        match self {
            Write::Put(column, key, _) | Write::Delete(column, key) => (*column, key),
        }
    }
}

impl WriteSet {
    pub fn with_capacity(n: usize) -> Self {
        WriteSet {
            writes: Vec::with_capacity(n),
        }
    }
    pub fn put(&mut self, column: Column, key: impl Into<Vec<u8>>, value: Vec<u8>) {
        self.writes.push(Write::Put(column, key.into(), value));
    }
    pub fn delete(&mut self, column: Column, key: impl Into<Vec<u8>>) {
        self.writes.push(Write::Delete(column, key.into()));
    }
}

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);
/// What [`ColumnStore::for_each`] calls on each entry.
pub type Visitor<'a> = dyn FnMut(&[u8], &[u8]) -> Result<(), StoreError> + 'a;

/// Ordered key-value columns with atomic batches: all a [`super::Store`] needs from a backend.
pub trait ColumnStore: Send + Sync {
    fn get(&self, column: Column, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;
    /// Applies every write or none; with `sync`, durable (fsynced) when it returns.
    fn write(&self, writes: WriteSet, sync: bool) -> Result<(), StoreError>;
    /// Up to `limit` entries whose key starts with `prefix` and sorts below `below`, greatest
    /// key first.
    fn scan_back(
        &self,
        column: Column,
        prefix: &[u8],
        below: &[u8],
        limit: usize,
    ) -> Result<Vec<Entry>, StoreError>;
    /// Calls `f` on every entry of `column`, in key order.
    fn for_each(&self, column: Column, f: &mut Visitor<'_>) -> Result<(), StoreError>;
    /// Held across a read-check-write sequence (a commit), so that two cannot interleave; it
    /// holds what the writer remembers between commits (the accounts changed since the last
    /// state checkpoint), which starts empty when the store opens.
    fn writer_lock(&self) -> &Mutex<Unsaved>;
    /// The `txs` entries of the blocks above the state checkpoint ([`RecentTxs`]), which
    /// starts unloaded when the store opens.
    fn recent_txs(&self) -> &RecentTxs;
    /// Writes `entries` (sorted by key, no key twice) into `column`, durable when this
    /// returns: for many keys at once, where a batch would insert them one by one.
    fn ingest_sorted(&self, column: Column, entries: Vec<Entry>) -> Result<(), StoreError> {
        let mut writes = WriteSet::with_capacity(entries.len());
        for (key, value) in entries {
            writes.put(column, key, value);
        }
        self.write(writes, true)
    }
    /// The safety record as last saved ([`encode_safety_record`]), `None` if none was. Kept in
    /// the `wal` column unless the store keeps it elsewhere (`RocksStore`: files of its own, so
    /// a signature never waits in a write group behind a block batch).
    fn load_safety_record(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(Column::Wal, SAFETY_RECORD_KEY)
    }
    /// Saves the safety record, durable when this returns.
    fn save_safety_record(&self, record: Vec<u8>) -> Result<(), StoreError> {
        let mut w = WriteSet::with_capacity(1);
        w.put(Column::Wal, SAFETY_RECORD_KEY, record);
        self.write(w, true)
    }
}

/// Names of the entries in `meta`.
pub mod meta {
    pub const FORMAT: &[u8] = b"format";
    pub const CHAIN_ID: &[u8] = b"chain_id";
    pub const GENESIS_HASH: &[u8] = b"genesis_hash";
    pub const LATEST_HEIGHT: &[u8] = b"latest_height";
    pub const LATEST_HASH: &[u8] = b"latest_hash";
    pub const STATE_FIELDS: &[u8] = b"state_fields";
}

/// The safety record's key in `wal`.
pub const SAFETY_RECORD_KEY: &[u8] = b"safety_record";
/// Where earlier versions kept the safety state in `wal` (read once, to move it).
pub const SAFETY_KEY: &[u8] = b"safety";
/// The prefix of the keys of pending blocks earlier versions kept in `wal` (then the height,
/// big-endian).
pub const PENDING_PREFIX: &[u8] = b"pending";

/// The key an earlier version gave a pending block (tests write that layout to move it).
#[cfg(test)]
pub fn pending_key(height: u64) -> Vec<u8> {
    [PENDING_PREFIX, &height.to_be_bytes()].concat()
}

/// The height a `wal` key names if it is a pending block's key.
pub fn pending_height(key: &[u8]) -> Option<u64> {
    let height = key.strip_prefix(PENDING_PREFIX)?.try_into().ok()?;
    Some(u64::from_be_bytes(height))
}

/// A `txs` value: height `u64` ‖ the receipt.
pub fn txs_value(height: u64, receipt: &Receipt) -> Vec<u8> {
    let mut value = Writer::with_capacity(64);
    value.u64(height);
    receipt.encode(&mut value);
    value.into_bytes()
}

/// The height and receipt of a `txs` value.
pub fn decode_txs_value(bytes: &[u8]) -> Result<(u64, Receipt), StoreError> {
    if bytes.len() < 8 {
        return Err(corrupt("tx index", "shorter than a height"));
    }
    let height = decode_u64("tx index", &bytes[..8])?;
    Ok((height, decode("receipt", &bytes[8..])?))
}

pub fn height_key(height: u64) -> [u8; 8] {
    height.to_be_bytes()
}

/// `address ‖ height ‖ index`: an account's entries sort by position in the chain.
pub fn history_key(address: &Address, height: u64, index: u32) -> [u8; 32] {
    let mut key = [0u8; 32];
    key[..20].copy_from_slice(&address.0);
    key[20..28].copy_from_slice(&height.to_be_bytes());
    key[28..].copy_from_slice(&index.to_be_bytes());
    key
}

/// Decodes a stored value, naming what was corrupt if it does not decode.
pub fn decode<T: Decode>(what: &'static str, bytes: &[u8]) -> Result<T, StoreError> {
    T::decode_exact(bytes).map_err(|e| corrupt(what, e))
}

pub fn corrupt(what: &'static str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what,
        detail: e.to_string(),
    }
}

pub fn decode_u64(what: &'static str, bytes: &[u8]) -> Result<u64, StoreError> {
    let array: [u8; 8] = bytes.try_into().map_err(|_| corrupt(what, "not 8 bytes"))?;
    Ok(u64::from_be_bytes(array))
}

pub fn decode_hash(what: &'static str, bytes: &[u8]) -> Result<Hash, StoreError> {
    let array: [u8; 32] = bytes
        .try_into()
        .map_err(|_| corrupt(what, "not 32 bytes"))?;
    Ok(Hash(array))
}

const SAFETY_VERSION: u8 = 1;

pub fn encode_safety(s: &SafetyState) -> Vec<u8> {
    let mut w = Writer::with_capacity(96);
    w.u8(SAFETY_VERSION);
    w.option(s.last_signed.as_ref(), |w, p| {
        w.u64(p.height);
        w.u32(p.round);
        w.u8(match p.step {
            Step::Propose => 0,
            Step::Prevote => 1,
            Step::Precommit => 2,
        });
        w.option(p.block.as_ref(), |w, h| w.raw(&h.0));
    });
    w.option(s.locked.as_ref(), |w, (round, block)| {
        w.u32(*round);
        w.raw(&block.0);
    });
    w.into_bytes()
}

pub fn decode_safety(bytes: &[u8]) -> Result<SafetyState, StoreError> {
    let read = |r: &mut Reader<'_>| -> Result<SafetyState, DecodeError> {
        if r.u8()? != SAFETY_VERSION {
            return Err(DecodeError::NonCanonical("safety state version"));
        }
        let last_signed = r.option("last signed", |r| {
            Ok(SignedPosition {
                height: r.u64()?,
                round: r.u32()?,
                step: match r.u8()? {
                    0 => Step::Propose,
                    1 => Step::Prevote,
                    2 => Step::Precommit,
                    tag => return Err(DecodeError::BadTag { what: "step", tag }),
                },
                block: r.option("signed block", Hash::decode)?,
            })
        })?;
        let locked = r.option("lock", |r| Ok((r.u32()?, Hash::decode(r)?)))?;
        r.finish()?;
        Ok(SafetyState {
            last_signed,
            locked,
        })
    };
    read(&mut Reader::new(bytes)).map_err(|e| corrupt("safety state", e))
}

/// Pending blocks one safety record may hold (the block writer queues at most 64).
const MAX_PENDING: usize = 1024;

/// Most votes a safety record's recovery may hold in one list.
const MAX_RECOVERY_VOTES: usize = MAX_VALIDATORS;

/// What a safety record holds: the safety state and the core's recovery saved with it, the
/// body of the block it is locked on, and the decided blocks the block writer had not made
/// durable when it was saved (see `driver/writer.rs`). A block the store has committed since is
/// pending no more; readers skip it.
#[derive(Debug, Clone, PartialEq)]
pub struct SafetyRecord {
    pub safety: SafetyState,
    /// The node's own votes of its last rounds and its lock's proof (see
    /// `vellum_consensus::Recovery`).
    pub recovery: Recovery,
    /// The body of the block the lock names (`safety.locked`), so that a validator that
    /// restarts locked can propose it again: its precommit may be part of a quorum whose other
    /// members lost the body too.
    pub locked_block: Option<Block>,
    pub pending: Vec<(Block, CommitCertificate)>,
}

/// The safety state's encoding (`u32`-prefixed) ‖ `u32` count ‖ that many (`Block` ‖
/// `CommitCertificate`) ‖ option of the locked `Block` ‖ the recovery: a list of `SignedVote`
/// ‖ option of (`u32` round ‖ `Hash` ‖ list of `SignedVote`). Records of earlier versions end
/// before the locked block or before the recovery; what they lack reads as none.
pub fn encode_safety_record(
    safety: &SafetyState,
    recovery: &Recovery,
    locked_block: Option<&Block>,
    pending: &[(&Block, &CommitCertificate)],
) -> Vec<u8> {
    let blocks: usize = pending
        .iter()
        .map(|(b, _)| b.size_hint() + 512)
        .sum::<usize>()
        + locked_block.map_or(0, Block::size_hint);
    let votes =
        recovery.own_votes.len() + recovery.lock_proof.as_ref().map_or(0, |p| p.prevotes.len());
    let mut w = Writer::with_capacity(128 + blocks + votes * 200);
    w.bytes(&encode_safety(safety));
    w.u32(pending.len() as u32);
    for (block, certificate) in pending {
        block.encode(&mut w);
        certificate.encode(&mut w);
    }
    w.option(locked_block, |w, b| b.encode(w));
    w.list(&recovery.own_votes, |w, v| v.encode(w));
    w.option(recovery.lock_proof.as_ref(), |w, p| {
        w.u32(p.round);
        p.block.encode(w);
        w.list(&p.prevotes, |w, v| v.encode(w));
    });
    w.into_bytes()
}

fn decode_recovery(r: &mut Reader<'_>) -> Result<Recovery, DecodeError> {
    let votes = |r: &mut Reader<'_>| r.list("votes", MAX_RECOVERY_VOTES, 100, SignedVote::decode);
    Ok(Recovery {
        own_votes: votes(r)?,
        lock_proof: r.option("lock proof", |r| {
            Ok(LockProof {
                round: r.u32()?,
                block: Hash::decode(r)?,
                prevotes: votes(r)?,
            })
        })?,
    })
}

pub fn decode_safety_record(bytes: &[u8]) -> Result<SafetyRecord, StoreError> {
    let read = |r: &mut Reader<'_>| {
        let safety = r.bytes("safety state", 1024)?.to_vec();
        let n = r.u32()? as usize;
        if n > MAX_PENDING {
            return Err(DecodeError::NonCanonical("pending block count"));
        }
        let mut pending = Vec::with_capacity(n);
        for _ in 0..n {
            pending.push(decode_pending(r)?);
        }
        let locked_block = match r.remaining() {
            0 => None,
            _ => r.option("locked block", Block::decode)?,
        };
        let recovery = match r.remaining() {
            0 => Recovery::default(),
            _ => decode_recovery(r)?,
        };
        r.finish()?;
        Ok((safety, recovery, locked_block, pending))
    };
    let (safety, recovery, locked_block, pending) =
        read(&mut Reader::new(bytes)).map_err(|e| corrupt("safety record", e))?;
    Ok(SafetyRecord {
        safety: decode_safety(&safety)?,
        recovery,
        locked_block,
        pending,
    })
}

/// One pending block with its certificate (in a safety record, or alone under an earlier
/// version's `pending` key).
pub fn decode_pending(r: &mut Reader<'_>) -> Result<(Block, CommitCertificate), DecodeError> {
    Ok((Block::decode(r)?, CommitCertificate::decode(r)?))
}

#[cfg(test)]
mod tests {
    use vellum_consensus::{Recovery, Step};

    use super::{decode_safety_record, encode_safety_record};
    use crate::store::suite::chain::TestChain;
    use crate::store::suite::{recovery_locked_on, signed_state};

    #[test]
    fn records_of_earlier_versions_read_with_what_they_lack_as_none() {
        let mut chain = TestChain::new("safety-record", 5);
        let first = chain.mixed_block();
        let locked = chain.mixed_block();
        let pending = [(&first.block, &first.certificate)];
        let recovery = recovery_locked_on(locked.block.hash());
        let safety = signed_state(2, Step::Precommit);
        let current = encode_safety_record(&safety, &recovery, Some(&locked.block), &pending);
        let decoded = decode_safety_record(&current).unwrap();
        assert_eq!(decoded.recovery, recovery);
        assert_eq!(decoded.locked_block, Some(locked.block.clone()));
        assert_eq!(decoded.pending.len(), 1);
        // The previous version ended after the locked block: the same bytes without the
        // recovery (an empty list and a none, five bytes).
        let none = Recovery::default();
        let previous = encode_safety_record(&safety, &none, Some(&locked.block), &pending);
        let decoded = decode_safety_record(&previous[..previous.len() - 5]).unwrap();
        assert_eq!(decoded.recovery, none);
        assert_eq!(decoded.locked_block, Some(locked.block.clone()));
        // The one before ended after the pending blocks.
        let earliest = encode_safety_record(&safety, &none, None, &pending);
        let decoded = decode_safety_record(&earliest[..earliest.len() - 6]).unwrap();
        assert_eq!((decoded.recovery, decoded.locked_block), (none, None));
        assert_eq!(decoded.pending, vec![(first.block, first.certificate)]);
        // Anything but well-formed fields after them is refused.
        for cut in [3, 10, 200] {
            let torn = &current[..current.len() - cut];
            assert!(decode_safety_record(torn).is_err(), "cut {cut}");
        }
    }
}
