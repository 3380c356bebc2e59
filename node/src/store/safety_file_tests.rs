//! The safety slots: what survives a reopen, a torn write and a corrupt slot.

use vellum_consensus::{SafetyState, Step};
use vellum_protocol::{Block, CommitCertificate};

use super::{SLOTS, SafetyFile};
use crate::store::StoreError;
use crate::store::layout::{SafetyRecord, decode_safety_record, encode_safety_record};
use crate::store::suite::chain::TestChain;
use crate::store::suite::signed_state;

/// The slots hold the store's safety records: saved and read back through their encoding.
trait Records {
    fn save_record(
        &self,
        safety: &SafetyState,
        pending: &[(&Block, &CommitCertificate)],
    ) -> Result<(), StoreError>;
    fn record(&self) -> Result<Option<SafetyRecord>, StoreError>;
}

impl Records for SafetyFile {
    fn save_record(
        &self,
        safety: &SafetyState,
        pending: &[(&Block, &CommitCertificate)],
    ) -> Result<(), StoreError> {
        self.save(&encode_safety_record(
            safety,
            &Default::default(),
            None,
            pending,
        ))
    }
    fn record(&self) -> Result<Option<SafetyRecord>, StoreError> {
        let bytes = self.load()?;
        bytes.map(|b| decode_safety_record(&b)).transpose()
    }
}

fn only(safety: SafetyState) -> Option<SafetyRecord> {
    Some(SafetyRecord {
        safety,
        recovery: Default::default(),
        locked_block: None,
        pending: Vec::new(),
    })
}

/// The slot file a save with sequence `seq` went to (they alternate, the first to `a`).
fn slot_of(dir: &std::path::Path, seq: u64) -> std::path::PathBuf {
    dir.join(SLOTS[((seq - 1) % 2) as usize])
}

#[test]
fn the_last_save_wins_across_reopens_whichever_slot_it_went_to() {
    let dir = tempfile::tempdir().unwrap();
    let file = SafetyFile::open(dir.path()).unwrap();
    assert!(!file.has_record());
    assert_eq!(file.record().unwrap(), None);
    for height in 1..=5 {
        let s = signed_state(height, Step::Prevote);
        file.save_record(&s, &[]).unwrap();
        assert_eq!(file.record().unwrap(), only(s));
        let reopened = SafetyFile::open(dir.path()).unwrap();
        assert!(reopened.has_record());
        assert_eq!(reopened.record().unwrap(), only(s));
    }
    // The fifth save, after a reopen that found the fourth, went to the first slot again.
    let a = std::fs::read(slot_of(dir.path(), 5)).unwrap();
    assert_eq!(&a[4..12], &5u64.to_be_bytes());
}

#[test]
fn a_torn_newest_slot_falls_back_to_the_record_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = SafetyFile::open(dir.path()).unwrap();
    file.save_record(&signed_state(1, Step::Prevote), &[])
        .unwrap();
    file.save_record(&signed_state(1, Step::Precommit), &[])
        .unwrap();
    drop(file);
    // A crash in the middle of the second save: its slot holds only part of the record.
    let newest = slot_of(dir.path(), 2);
    let bytes = std::fs::read(&newest).unwrap();
    std::fs::write(&newest, &bytes[..bytes.len() - 7]).unwrap();
    let file = SafetyFile::open(dir.path()).unwrap();
    assert_eq!(file.record().unwrap(), only(signed_state(1, Step::Prevote)));
    // The next save overwrites the torn slot, not the record it fell back to.
    file.save_record(&signed_state(2, Step::Prevote), &[])
        .unwrap();
    assert_eq!(
        SafetyFile::open(dir.path()).unwrap().record().unwrap(),
        only(signed_state(2, Step::Prevote))
    );
    assert!(std::fs::read(slot_of(dir.path(), 1)).unwrap().len() > 16);
}

#[test]
fn a_torn_first_save_holds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    drop(SafetyFile::open(dir.path()).unwrap());
    std::fs::write(slot_of(dir.path(), 1), b"VSS1\0\0").unwrap();
    let file = SafetyFile::open(dir.path()).unwrap();
    assert_eq!(file.record().unwrap(), None);
    file.save_record(&signed_state(1, Step::Prevote), &[])
        .unwrap();
    assert_eq!(file.record().unwrap(), only(signed_state(1, Step::Prevote)));
}

#[test]
fn two_slots_that_both_fail_their_check_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = SafetyFile::open(dir.path()).unwrap();
    file.save_record(&signed_state(1, Step::Prevote), &[])
        .unwrap();
    file.save_record(&signed_state(1, Step::Precommit), &[])
        .unwrap();
    drop(file);
    for seq in [1, 2] {
        let path = slot_of(dir.path(), seq);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[20] ^= 1;
        std::fs::write(&path, bytes).unwrap();
    }
    let err = SafetyFile::open(dir.path()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("safety-a"), "{err}");
}

#[test]
fn a_short_record_over_a_long_one_reads_back_alone() {
    let mut chain = TestChain::new("safety-file", 5);
    let first = chain.mixed_block();
    let second = chain.mixed_block();
    let dir = tempfile::tempdir().unwrap();
    let file = SafetyFile::open(dir.path()).unwrap();
    let pending = [
        (&first.block, &first.certificate),
        (&second.block, &second.certificate),
    ];
    file.save_record(&signed_state(3, Step::Propose), &pending)
        .unwrap();
    let record = SafetyFile::open(dir.path())
        .unwrap()
        .record()
        .unwrap()
        .unwrap();
    assert_eq!(
        record.pending,
        vec![
            (first.block.clone(), first.certificate.clone()),
            (second.block.clone(), second.certificate.clone())
        ]
    );
    // Saves three and four reuse the slots of one and two, each shorter than before.
    file.save_record(&signed_state(3, Step::Prevote), &[])
        .unwrap();
    file.save_record(&signed_state(3, Step::Precommit), &[])
        .unwrap();
    assert_eq!(
        SafetyFile::open(dir.path()).unwrap().record().unwrap(),
        only(signed_state(3, Step::Precommit))
    );
}
