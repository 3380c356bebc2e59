use super::*;
use crate::network::fixtures::{block, certificate, proposal, tx, vote};
use crate::network::outline::BlockOutline;

fn round_trip<T: Encode + Decode + PartialEq + std::fmt::Debug>(value: &T) {
    let bytes = value.to_bytes();
    assert_eq!(&T::decode_exact(&bytes).unwrap(), value);
    for cut in [0, 1, bytes.len() / 2, bytes.len() - 1] {
        assert!(
            T::decode_exact(&bytes[..cut]).is_err(),
            "truncated at {cut} decoded"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(T::decode_exact(&longer), Err(DecodeError::TrailingBytes(1)));
}

#[test]
fn every_message_round_trips_and_refuses_truncation() {
    let b = block(5, 3);
    round_trip(&ConsensusMessage::Vote(vote(1, 5, Some(b.hash()))));
    round_trip(&ConsensusMessage::Proposal {
        proposal: proposal(&b),
        block: Box::new(b.clone()),
    });
    round_trip(&ConsensusMessage::CompactProposal {
        proposal: proposal(&b),
        outline: Box::new(BlockOutline::of(&b)),
        tx_hashes: b.txs.iter().map(|t| t.hash()).collect(),
    });
    round_trip(&TxBatch((0..10).map(tx).collect()));
    round_trip(&SyncRequest::Blocks {
        from_height: 3,
        max: 10,
    });
    round_trip(&SyncRequest::Block { hash: b.hash() });
    round_trip(&SyncResponse::Blocks(vec![(b.clone(), certificate(&b))]));
    round_trip(&SyncResponse::Block(Some(Box::new(b))));
    round_trip(&SyncResponse::Block(None));
}

#[test]
fn an_unknown_tag_is_refused() {
    let err = ConsensusMessage::decode_exact(&[9]).unwrap_err();
    assert_eq!(
        err,
        DecodeError::BadTag {
            what: "consensus message",
            tag: 9
        }
    );
}

#[test]
fn a_batch_over_the_count_limit_is_refused_before_allocating() {
    let mut w = Writer::new();
    w.u32(MAX_BATCH_TXS as u32 + 1);
    let err = TxBatch::decode_exact(&w.into_bytes()).unwrap_err();
    assert!(matches!(
        err,
        DecodeError::TooLong {
            what: "transaction batch",
            ..
        }
    ));
}

#[test]
fn input_over_the_byte_limit_is_refused_before_decoding() {
    let bytes = vec![0u8; 101];
    let err = decode_bounded::<TxBatch>("batch", &bytes, 100).unwrap_err();
    assert_eq!(
        err,
        DecodeError::TooLong {
            what: "batch",
            len: 101,
            max: 100
        }
    );
}

#[test]
fn split_keeps_every_batch_within_its_limits() {
    let txs: Vec<_> = (0..(MAX_BATCH_TXS as u64 + 10)).map(tx).collect();
    let batches = TxBatch::split(txs.clone());
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].0.len(), MAX_BATCH_TXS);
    assert!(
        batches
            .iter()
            .all(|b| b.to_bytes().len() <= MAX_BATCH_BYTES)
    );
    let rejoined: Vec<_> = batches.into_iter().flat_map(|b| b.0).collect();
    assert_eq!(rejoined, txs);
}

#[test]
fn an_envelope_opens_to_its_message_and_a_short_one_is_refused() {
    let msg = ConsensusMessage::Vote(vote(1, 5, None)).to_bytes();
    let (first, second) = (seal(7, &msg), seal(8, &msg));
    assert_ne!(first, second, "two publications must differ");
    assert_eq!(open(&first).unwrap(), &msg[..]);
    assert_eq!(open(&second).unwrap(), &msg[..]);
    assert!(open(&first[..ENVELOPE_BYTES - 1]).is_err());
}

#[test]
fn a_compact_proposal_is_a_fraction_of_the_full_one_and_fills_back_to_its_block() {
    let b = block(5, 100);
    let hashes: Vec<Hash> = b.txs.iter().map(|t| t.hash()).collect();
    let outline = BlockOutline::of(&b);
    assert_eq!(outline.hash(), b.hash());
    assert_eq!(outline.fill(b.txs.clone()), b);
    let compact = ConsensusMessage::CompactProposal {
        proposal: proposal(&b),
        outline: Box::new(outline),
        tx_hashes: hashes,
    }
    .to_bytes();
    let full = ConsensusMessage::Proposal {
        proposal: proposal(&b),
        block: Box::new(b),
    }
    .to_bytes();
    assert!(
        compact.len() * 3 < full.len(),
        "{} against {}",
        compact.len(),
        full.len()
    );
}

#[test]
fn a_compact_proposal_over_the_block_limit_is_refused_before_allocating() {
    let b = block(5, 1);
    let mut w = Writer::new();
    w.u8(2);
    proposal(&b).encode(&mut w);
    BlockOutline::of(&b).encode(&mut w);
    w.u32(MAX_BLOCK_TXS as u32 + 1);
    let err = ConsensusMessage::decode_exact(&w.into_bytes()).unwrap_err();
    assert!(matches!(
        err,
        DecodeError::TooLong {
            what: "proposal transaction hashes",
            ..
        }
    ));
}
