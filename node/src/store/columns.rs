//! [`Store`] over any [`ColumnStore`]: what a commit writes and checks, and how each getter reads
//! the layout of [`crate::store`]. Written once, so every backend has the same semantics.

use std::sync::{Mutex, MutexGuard, PoisonError};

use vellum_consensus::{Recovery, SafetyState};
use vellum_protocol::encoding::{Reader, Writer};
use vellum_protocol::state::snapshot::touched_accounts;
use vellum_protocol::{Address, Block, CommitCertificate, Encode, Hash, LedgerState};

use super::checkpoint::{Unsaved, put_state, replay};
use super::history::entries_of;
use super::layout::{
    self, Column, ColumnStore, FORMAT, FORMAT_UPGRADABLE, SafetyRecord, WriteSet, corrupt, decode,
    decode_hash, decode_txs_value, decode_u64, height_key, history_key, meta,
};
use super::recent::encode_outcomes;
use super::{
    BlockCommit, ChainIdentity, HistoryCursor, HistoryEntry, HistoryPage, MAX_HISTORY_PAGE, Store,
    StoreError, TxRecord,
};

fn hold(lock: &Mutex<Unsaved>) -> MutexGuard<'_, Unsaved> {
    lock.lock().unwrap_or_else(PoisonError::into_inner)
}

fn invalid(height: u64, problem: impl Into<String>) -> StoreError {
    StoreError::InvalidCommit {
        height,
        problem: problem.into(),
    }
}

/// The latest block's height and hash (0 and zero at genesis).
fn tip(store: &impl ColumnStore) -> Result<(u64, Hash), StoreError> {
    let height = match store.get(Column::Meta, meta::LATEST_HEIGHT)? {
        Some(bytes) => decode_u64("latest height", &bytes)?,
        None => 0,
    };
    let hash = match store.get(Column::Meta, meta::LATEST_HASH)? {
        Some(bytes) => decode_hash("latest hash", &bytes)?,
        None => Hash::ZERO,
    };
    Ok((height, hash))
}

/// Checks that `commit` is self-consistent and follows the stored tip.
fn check_commit(
    c: &BlockCommit<'_>,
    chain: &ChainIdentity,
    (latest, latest_hash): (u64, Hash),
) -> Result<Hash, StoreError> {
    let header = &c.block.header;
    let height = header.height;
    if height != latest + 1 {
        return Err(StoreError::NotNextHeight {
            expected: latest + 1,
            got: height,
        });
    }
    if header.chain_id != chain.chain_id {
        return Err(invalid(
            height,
            format!("it is for chain {:?}", header.chain_id),
        ));
    }
    if header.prev_hash != latest_hash {
        let problem = format!(
            "it builds on {}, the stored block is {latest_hash}",
            header.prev_hash
        );
        return Err(invalid(height, problem));
    }
    let hash = c.block.hash();
    if c.certificate.height != height || c.certificate.block != hash {
        let problem = format!(
            "the certificate is for block {} at height {}",
            c.certificate.block, c.certificate.height
        );
        return Err(invalid(height, problem));
    }
    if c.receipts.len() != c.block.txs.len() {
        let problem = format!(
            "{} receipts for {} txs",
            c.receipts.len(),
            c.block.txs.len()
        );
        return Err(invalid(height, problem));
    }
    for (i, (tx, receipt)) in c.block.txs.iter().zip(c.receipts).enumerate() {
        if receipt.index as usize != i || receipt.tx_hash != tx.hash() {
            return Err(invalid(
                height,
                format!("receipt {i} is not for transaction {i}"),
            ));
        }
    }
    let s = c.state;
    if s.height() != height || s.last_block_hash() != hash || s.state_root() != header.state_root {
        return Err(invalid(
            height,
            "the state given is not the state after this block",
        ));
    }
    Ok(hash)
}

impl<C: ColumnStore> Store for C {
    fn init_genesis(
        &self,
        chain: &ChainIdentity,
        genesis_state: &LedgerState,
    ) -> Result<(), StoreError> {
        if genesis_state.height() != 0 {
            return Err(StoreError::GenesisNotAtZero(genesis_state.height()));
        }
        let mut writer = hold(self.writer_lock());
        match self.chain()? {
            Some(found) if found == *chain => return Ok(()),
            Some(found) => {
                return Err(StoreError::WrongChain {
                    expected: chain.clone(),
                    found,
                });
            }
            None => {}
        }
        if genesis_state.chain_id() != chain.chain_id {
            let problem = format!(
                "the genesis state is for chain {:?}",
                genesis_state.chain_id()
            );
            return Err(invalid(0, problem));
        }
        let mut writes = WriteSet::with_capacity(genesis_state.account_count() + 8);
        writes.put(Column::Meta, meta::FORMAT, FORMAT.to_be_bytes().to_vec());
        let mut id = Writer::new();
        id.str(&chain.chain_id);
        writes.put(Column::Meta, meta::CHAIN_ID, id.into_bytes());
        writes.put(
            Column::Meta,
            meta::GENESIS_HASH,
            chain.genesis_hash.0.to_vec(),
        );
        writes.put(
            Column::Meta,
            meta::LATEST_HEIGHT,
            0u64.to_be_bytes().to_vec(),
        );
        writes.put(Column::Meta, meta::LATEST_HASH, Hash::ZERO.0.to_vec());
        let addresses: Vec<Address> = genesis_state.accounts().map(|(a, _)| a).collect();
        put_state(&mut writes, genesis_state, addresses);
        writer.reset();
        self.recent_txs().reset();
        self.write(writes, true)
    }

    fn chain(&self) -> Result<Option<ChainIdentity>, StoreError> {
        if let Some(bytes) = self.get(Column::Meta, meta::FORMAT)? {
            let array: [u8; 4] = bytes[..]
                .try_into()
                .map_err(|_| corrupt("format", "length"))?;
            let found = u32::from_be_bytes(array);
            if found != FORMAT && found != FORMAT_UPGRADABLE {
                return Err(StoreError::UnsupportedFormat {
                    expected: FORMAT,
                    found,
                });
            }
        }
        let Some(id) = self.get(Column::Meta, meta::CHAIN_ID)? else {
            return Ok(None);
        };
        let chain_id = Reader::new(&id)
            .string("chain id", 1024)
            .map_err(|e| corrupt("chain id", e))?;
        let genesis = self.get(Column::Meta, meta::GENESIS_HASH)?;
        let genesis_hash = decode_hash("genesis hash", genesis.as_deref().unwrap_or_default())?;
        Ok(Some(ChainIdentity {
            chain_id,
            genesis_hash,
        }))
    }

    fn commit_block(&self, c: &BlockCommit<'_>) -> Result<(), StoreError> {
        commit(self, c)
    }

    fn latest_height(&self) -> Result<u64, StoreError> {
        Ok(tip(self)?.0)
    }

    fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        let bytes = self.get(Column::Blocks, &height_key(height))?;
        bytes.map(|b| decode("block", &b)).transpose()
    }

    fn block_by_hash(&self, hash: &Hash) -> Result<Option<Block>, StoreError> {
        match self.get(Column::BlockHashes, &hash.0)? {
            Some(bytes) => self.block(decode_u64("block hash index", &bytes)?),
            None => Ok(None),
        }
    }

    fn certificate(&self, height: u64) -> Result<Option<CommitCertificate>, StoreError> {
        let bytes = self.get(Column::Certificates, &height_key(height))?;
        bytes.map(|b| decode("certificate", &b)).transpose()
    }

    fn tx(&self, hash: &Hash) -> Result<Option<TxRecord>, StoreError> {
        let found = match self.recent_txs().get(self, hash)? {
            Some(found) => found,
            None => match self.get(Column::Txs, &hash.0)? {
                Some(bytes) => decode_txs_value(&bytes)?,
                None => return Ok(None),
            },
        };
        let (height, receipt) = found;
        let Some(block) = self.block(height)? else {
            // Written to `txs` before a checkpoint's batch that did not land (`recent.rs`).
            if height > tip(self)?.0 {
                return Ok(None);
            }
            return Err(corrupt("tx index", format!("block {height} is missing")));
        };
        let tx = block
            .txs
            .get(receipt.index as usize)
            .cloned()
            .ok_or_else(|| corrupt("tx index", "index past the block's transactions"))?;
        if tx.hash() != *hash {
            let detail = format!("block {height} holds another transaction there");
            return Err(corrupt("tx index", detail));
        }
        Ok(Some(TxRecord {
            height,
            index: receipt.index,
            tx,
            receipt,
        }))
    }

    fn account_history(
        &self,
        address: &Address,
        before: Option<&HistoryCursor>,
        limit: usize,
    ) -> Result<HistoryPage, StoreError> {
        let limit = limit.clamp(1, MAX_HISTORY_PAGE);
        let below = match before {
            Some(c) => history_key(address, c.height, c.index),
            None => history_key(address, u64::MAX, u32::MAX),
        };
        let found = self.scan_back(Column::History, &address.0, &below, limit + 1)?;
        let mut entries = found
            .iter()
            .map(|(_, v)| decode::<HistoryEntry>("history entry", v))
            .collect::<Result<Vec<_>, _>>()?;
        let more = entries.len() > limit;
        entries.truncate(limit);
        let next = match entries.last() {
            Some(last) if more => Some(HistoryCursor {
                height: last.height,
                index: last.index,
            }),
            _ => None,
        };
        Ok(HistoryPage { entries, next })
    }

    fn load_state(&self) -> Result<Option<LedgerState>, StoreError> {
        if self.chain()?.is_none() {
            return Ok(None);
        }
        replay(self, tip(self)?).map(Some)
    }

    fn save_safety(&self, safety: &SafetyState) -> Result<(), StoreError> {
        self.save_safety_with(safety, &Recovery::default(), None, &[])
    }

    fn save_safety_with(
        &self,
        safety: &SafetyState,
        recovery: &Recovery,
        locked_block: Option<&Block>,
        pending: &[(&Block, &CommitCertificate)],
    ) -> Result<(), StoreError> {
        self.save_safety_record(layout::encode_safety_record(
            safety,
            recovery,
            locked_block,
            pending,
        ))
    }

    fn safety_record(&self) -> Result<Option<SafetyRecord>, StoreError> {
        safety_record(self)
    }

    fn forget_pending(&self, height: u64) -> Result<(), StoreError> {
        let Some(mut record) = safety_record(self)? else {
            return Ok(());
        };
        let before = record.pending.len();
        record.pending.retain(|(b, _)| b.height() > height);
        if record.pending.len() == before {
            return Ok(());
        }
        let pending: Vec<_> = record.pending.iter().map(|(b, c)| (b, c)).collect();
        self.save_safety_with(
            &record.safety,
            &record.recovery,
            record.locked_block.as_ref(),
            &pending,
        )
    }

    fn pending_blocks(&self, height: u64) -> Result<Vec<(Block, CommitCertificate)>, StoreError> {
        // The record keeps a block until a later save leaves it out; committed, it is pending
        // no more.
        let above = height.max(tip(self)?.0);
        let mut pending = safety_record(self)?.map(|r| r.pending).unwrap_or_default();
        pending.retain(|(b, _)| b.height() > above);
        Ok(pending)
    }

    fn load_safety(&self) -> Result<Option<SafetyState>, StoreError> {
        Ok(safety_record(self)?.map(|r| r.safety))
    }
}

fn safety_record(store: &impl ColumnStore) -> Result<Option<SafetyRecord>, StoreError> {
    let bytes = store.load_safety_record()?;
    bytes.map(|b| layout::decode_safety_record(&b)).transpose()
}

/// Writes one committed block, synced (see [`Store::commit_block`]).
fn commit<C: ColumnStore>(store: &C, c: &BlockCommit<'_>) -> Result<(), StoreError> {
    let mut writer = hold(store.writer_lock());
    let chain = store.chain()?.ok_or(StoreError::NoGenesis)?;
    let (latest, latest_hash) = tip(store)?;
    let hash = check_commit(c, &chain, (latest, latest_hash))?;
    let height = c.block.height();
    let history = entries_of(c.block, c.receipts, c.time_ms);
    let accounts = match c.changed {
        Some(changed) => changed.iter().map(|(address, _)| *address).collect(),
        None => touched_accounts(c.block),
    };
    let mut w = WriteSet::with_capacity(8 + c.receipts.len() + history.len());
    w.put(Column::Blocks, height_key(height), c.block.to_bytes());
    w.put(Column::BlockHashes, hash.0, height_key(height).to_vec());
    w.put(
        Column::Certificates,
        height_key(height),
        c.certificate.to_bytes(),
    );
    // The certificate the next proposer chose for the parent is the canonical one.
    if let Some(last) = &c.block.last_commit
        && last.height == latest
        && last.block == latest_hash
    {
        w.put(Column::Certificates, height_key(latest), last.to_bytes());
    }
    // The block's `txs` entries wait in memory for the next checkpoint (`recent.rs`).
    w.put(
        Column::Outcomes,
        height_key(height),
        encode_outcomes(c.receipts),
    );
    for (address, entry) in &history {
        w.put(
            Column::History,
            history_key(address, height, entry.index),
            entry.to_bytes(),
        );
    }
    let recent = store.recent_txs();
    let waiting = recent.len(store)? + c.receipts.len();
    let checkpoint = writer.record(store, height, accounts, waiting, c.state, &mut w)?;
    if checkpoint {
        store.ingest_sorted(Column::Txs, recent.entries_with(store, height, c.receipts)?)?;
    }
    w.put(
        Column::Meta,
        meta::LATEST_HEIGHT,
        height_key(height).to_vec(),
    );
    w.put(Column::Meta, meta::LATEST_HASH, hash.0.to_vec());
    store.write(w, true)?;
    if checkpoint {
        writer.written(height);
        recent.clear();
    } else {
        recent.add(height, c.receipts);
    }
    Ok(())
}

/// Marks a store of the earlier format as of this one: a format 1 store holds the entries of
/// every block in `txs`, more than format 2 asks (`recent.rs`), and no outcomes, which format
/// 2 reads as that. An earlier node then refuses the store, whose `txs` it would take for
/// complete.
pub fn upgrade_format(store: &impl ColumnStore) -> Result<(), StoreError> {
    let Some(bytes) = store.get(Column::Meta, meta::FORMAT)? else {
        return Ok(());
    };
    if bytes[..] == FORMAT_UPGRADABLE.to_be_bytes() {
        let mut w = WriteSet::with_capacity(1);
        w.put(Column::Meta, meta::FORMAT, FORMAT.to_be_bytes().to_vec());
        store.write(w, true)?;
        tracing::info!(
            from = FORMAT_UPGRADABLE,
            to = FORMAT,
            "upgraded the store's format"
        );
    }
    Ok(())
}
