//! The test vectors of `docs/PROTOCOL.md`, checked against this crate.
//!
//! The vectors live in the document, in the ```` ```text ```` fence under the `## Test vectors`
//! heading, one `key: value` per line. [`vectors`] recomputes every line from the inputs below
//! with this crate; the test fails unless the document holds exactly those lines, in that order,
//! so the document and the code cannot drift apart.
//!
//! After a deliberate change to the bytes, the failure message of
//! `the_document_vectors_match_the_code` prints the block the code produces, to paste into the
//! fence.

use vellum_protocol::address::ADDRESS_HRP;
use vellum_protocol::block::{MAX_BLOCK_TXS, tx_root};
use vellum_protocol::encoding::MAX_NESTING;
use vellum_protocol::transaction::{MAX_CHAIN_ID_LEN, MAX_MEMO_LEN, MAX_TX_BYTES};
use vellum_protocol::validator::MAX_VALIDATORS;
use vellum_protocol::{
    Address, Amount, CommitCertificate, Decode, Domain, Encode, Hash, Header, Keypair, Operation,
    Proposal, SignedProposal, SignedTransaction, SignedVote, Transaction, Validator, ValidatorSet,
    Vote, VoteKind, crypto,
};

const DOC: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/PROTOCOL.md"));

const CHAIN_ID: &str = "vellum-testnet";

fn seq(first: u8) -> [u8; 32] {
    std::array::from_fn(|i| first + i as u8)
}

/// Every vector, computed by this crate, in the order the document lists them.
fn vectors() -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = Vec::new();
    let mut put = |k: &'static str, val: String| v.push((k, val));

    // Limits and tags.
    put("max_chain_id_len", MAX_CHAIN_ID_LEN.to_string());
    put("max_memo_len", MAX_MEMO_LEN.to_string());
    put("max_tx_bytes", MAX_TX_BYTES.to_string());
    put("max_block_txs", MAX_BLOCK_TXS.to_string());
    put("max_validators", MAX_VALIDATORS.to_string());
    put("max_nesting", MAX_NESTING.to_string());
    put("tag_tx_hex", hex::encode(Domain::Transaction.tag()));
    put("tag_proposal_hex", hex::encode(Domain::Proposal.tag()));
    put("tag_vote_hex", hex::encode(Domain::Vote.tag()));
    put("tag_address_hex", hex::encode(b"VELLUM/ADDRESS/v1\0"));
    put("address_hrp", ADDRESS_HRP.to_string());

    // Keys and addresses.
    let seed = seq(0x01);
    let key = Keypair::from_seed(&seed);
    let pk = key.public();
    let addr = Address::from_public_key(&pk);
    put("seed_hex", hex::encode(seed));
    put("public_key_hex", pk.to_string());
    put("address_hex", hex::encode(addr.0));
    put("address", addr.to_string());
    assert_eq!(addr.to_string().parse::<Address>().unwrap(), addr);

    let rseed = seq(0x21);
    let rkey = Keypair::from_seed(&rseed);
    let rpk = rkey.public();
    let raddr = Address::from_public_key(&rpk);
    put("recipient_seed_hex", hex::encode(rseed));
    put("recipient_public_key_hex", rpk.to_string());
    put("recipient_address_hex", hex::encode(raddr.0));
    put("recipient_address", raddr.to_string());

    put("chain_id", CHAIN_ID.to_string());

    // A Transfer.
    let memo = "coffee \u{2615}";
    let transfer = Transaction {
        chain_id: CHAIN_ID.to_string(),
        sender: pk,
        nonce: 7,
        expiry_ms: 1_767_225_600_000,
        op: Operation::Transfer {
            to: raddr,
            amount: Amount(1_234_500),
            memo: memo.to_string(),
        },
    };
    put("transfer_nonce", transfer.nonce.to_string());
    put("transfer_expiry_ms", transfer.expiry_ms.to_string());
    put("transfer_to", raddr.to_string());
    put("transfer_amount", 1_234_500u128.to_string());
    put("transfer_memo", memo.to_string());
    put("transfer_memo_utf8_hex", hex::encode(memo.as_bytes()));
    let signed_transfer = tx_vectors(&mut put, "transfer", transfer, &key);

    // A Mint.
    let mint = Transaction {
        chain_id: CHAIN_ID.to_string(),
        sender: pk,
        nonce: 8,
        expiry_ms: 1_767_225_660_000,
        op: Operation::Mint {
            to: raddr,
            amount: Amount(5_000_000),
        },
    };
    put("mint_nonce", mint.nonce.to_string());
    put("mint_expiry_ms", mint.expiry_ms.to_string());
    put("mint_to", raddr.to_string());
    put("mint_amount", 5_000_000u128.to_string());
    let signed_mint = tx_vectors(&mut put, "mint", mint, &key);

    // The transaction root of a block holding [transfer, mint].
    let root = tx_root(&[signed_transfer.clone(), signed_mint.clone()]);
    put("tx_root_of_transfer_mint", root.to_hex());
    put("tx_root_of_transfer", tx_root(&[signed_transfer]).to_hex());
    put("tx_root_of_nothing", tx_root(&[]).to_hex());

    // A validator set: the sender's key with power 7, the recipient's with power 3.
    let set = ValidatorSet::new(vec![
        Validator { key: pk, power: 7 },
        Validator { key: rpk, power: 3 },
    ])
    .unwrap();
    put("validator_power", "7".to_string());
    put("recipient_validator_power", "3".to_string());
    put("validator_set_encoding_hex", hex::encode(set.to_bytes()));
    put("validator_set_hash", set.hash().to_hex());
    assert_eq!(ValidatorSet::decode_exact(&set.to_bytes()).unwrap(), set);

    // A header at height 42.
    let header = Header {
        chain_id: CHAIN_ID.to_string(),
        height: 42,
        time_ms: 1_767_225_601_000,
        prev_hash: Hash([0x22; 32]),
        tx_root: root,
        state_root: Hash([0x33; 32]),
        proposer: pk,
        last_commit_hash: Hash([0x44; 32]),
        validators_hash: set.hash(),
    };
    put("header_height", header.height.to_string());
    put("header_time_ms", header.time_ms.to_string());
    put("header_prev_hash", header.prev_hash.to_hex());
    put("header_state_root", header.state_root.to_hex());
    put("header_last_commit_hash", header.last_commit_hash.to_hex());
    put("header_encoding_hex", hex::encode(header.to_bytes()));
    put("block_hash", header.hash().to_hex());
    assert_eq!(Header::decode_exact(&header.to_bytes()).unwrap(), header);
    let block = header.hash();

    // The sender's precommit for that block in round 1.
    let vote = Vote {
        kind: VoteKind::Precommit,
        height: 42,
        round: 1,
        block: Some(block),
        validator: pk,
    };
    let signed_vote = vote.sign(CHAIN_ID, &key);
    put("vote_round", vote.round.to_string());
    put("vote_encoding_hex", hex::encode(vote.to_bytes()));
    put(
        "vote_signing_bytes_hex",
        hex::encode([Domain::Vote.tag(), &vote.signing_body(CHAIN_ID)].concat()),
    );
    put("vote_signature_hex", signed_vote.signature.to_string());
    put(
        "signed_vote_encoding_hex",
        hex::encode(signed_vote.to_bytes()),
    );
    signed_vote.verify(CHAIN_ID).unwrap();
    assert_eq!(
        SignedVote::decode_exact(&signed_vote.to_bytes()).unwrap(),
        signed_vote
    );
    let nil = Vote {
        kind: VoteKind::Prevote,
        block: None,
        ..vote
    };
    put("nil_prevote_encoding_hex", hex::encode(nil.to_bytes()));

    // The sender's proposal of that block in round 1, with no proof-of-lock round.
    let proposal = Proposal {
        height: 42,
        round: 1,
        block,
        pol_round: None,
        proposer: pk,
    };
    let signed_proposal = proposal.sign(CHAIN_ID, &key);
    put("proposal_encoding_hex", hex::encode(proposal.to_bytes()));
    put(
        "proposal_signing_bytes_hex",
        hex::encode([Domain::Proposal.tag(), &proposal.signing_body(CHAIN_ID)].concat()),
    );
    put(
        "proposal_signature_hex",
        signed_proposal.signature.to_string(),
    );
    signed_proposal.verify(CHAIN_ID).unwrap();
    assert_eq!(
        SignedProposal::decode_exact(&signed_proposal.to_bytes()).unwrap(),
        signed_proposal
    );

    // The certificate made of that one precommit: 7 of 10 power is more than two thirds.
    let cert = CommitCertificate::from_precommits(42, 1, block, &[signed_vote]);
    cert.verify(CHAIN_ID, 42, block, &set).unwrap();
    put("certificate_encoding_hex", hex::encode(cert.to_bytes()));
    put("certificate_hash", cert.hash().to_hex());
    assert_eq!(
        CommitCertificate::decode_exact(&cert.to_bytes()).unwrap(),
        cert
    );

    // Amounts, with 2 decimals.
    put("amount_decimals", "2".to_string());
    put("amount_minor_units", "1234500".to_string());
    put("amount_display", Amount(1_234_500).display(2));
    put(
        "amount_json",
        serde_json::to_string(&Amount(1_234_500)).unwrap(),
    );
    put("amount_parse_text", "0.05".to_string());
    put(
        "amount_parse_minor_units",
        Amount::parse_display("0.05", 2).unwrap().0.to_string(),
    );
    assert_eq!(
        Amount::parse_display(&Amount(1_234_500).display(2), 2),
        Ok(Amount(1_234_500))
    );

    v
}

/// The encoding, signing bytes, signature, signed encoding and hash of one transaction.
fn tx_vectors(
    put: &mut impl FnMut(&'static str, String),
    name: &'static str,
    tx: Transaction,
    key: &Keypair,
) -> SignedTransaction {
    let keys: [&'static str; 5] = match name {
        "transfer" => [
            "transfer_encoding_hex",
            "transfer_signing_bytes_hex",
            "transfer_signature_hex",
            "transfer_signed_encoding_hex",
            "transfer_tx_hash",
        ],
        "mint" => [
            "mint_encoding_hex",
            "mint_signing_bytes_hex",
            "mint_signature_hex",
            "mint_signed_encoding_hex",
            "mint_tx_hash",
        ],
        other => panic!("no vector names for {other}"),
    };
    let body = tx.to_bytes();
    let signed = tx.sign(key);
    put(keys[0], hex::encode(&body));
    put(
        keys[1],
        hex::encode([Domain::Transaction.tag(), &body].concat()),
    );
    put(keys[2], signed.signature.to_string());
    put(keys[3], hex::encode(signed.to_bytes()));
    put(keys[4], signed.hash().to_hex());

    signed.verify_signature().unwrap();
    assert_eq!(
        SignedTransaction::decode_bounded(&signed.to_bytes()).unwrap(),
        signed
    );
    assert_eq!(signed.hash(), Hash::of(&[&signed.to_bytes()]));
    assert!(
        crypto::verify(
            &signed.tx.sender,
            Domain::Transaction,
            &body,
            &signed.signature
        )
        .is_ok()
    );
    signed
}

/// The `key: value` lines of the text fence under `## Test vectors`.
fn doc_vectors() -> Vec<(String, String)> {
    let section = DOC
        .split_once("\n## Test vectors")
        .expect("docs/PROTOCOL.md has a \"## Test vectors\" heading")
        .1;
    let fence = section
        .split_once("```text\n")
        .expect("a ```text fence under \"## Test vectors\"")
        .1;
    let body = fence
        .split_once("\n```")
        .expect("the ```text fence is closed")
        .0;
    body.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (k, v) = l
                .split_once(": ")
                .unwrap_or_else(|| panic!("not a `key: value` line: {l:?}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn the_document_vectors_match_the_code() {
    let expected = vectors();
    let doc = doc_vectors();
    let mut errors = Vec::new();
    for (i, (k, v)) in expected.iter().enumerate() {
        match doc.iter().position(|(dk, _)| dk == k) {
            None => errors.push(format!("missing in the document: {k}: {v}")),
            Some(j) => {
                if doc[j].1 != *v {
                    errors.push(format!("{k}:\n  document: {}\n  code:     {v}", doc[j].1));
                }
                if j != i {
                    errors.push(format!("{k} is at line {j} of the block, expected {i}"));
                }
            }
        }
    }
    for (k, _) in &doc {
        if !expected.iter().any(|(ek, _)| ek == k) {
            errors.push(format!("the document has a vector the code does not: {k}"));
        }
    }
    assert!(
        errors.is_empty(),
        "docs/PROTOCOL.md test vectors differ from the code:\n{}\n\nIf the bytes changed on \
         purpose, the block the code produces is:\n```text\n{}\n```",
        errors.join("\n"),
        expected
            .iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_vectors_refuse_truncation_and_trailing_bytes() {
    let doc = doc_vectors();
    let get = |k: &str| {
        let v = &doc.iter().find(|(dk, _)| dk == k).unwrap().1;
        hex::decode(v).unwrap()
    };
    let bytes = get("transfer_signed_encoding_hex");
    assert!(SignedTransaction::decode_exact(&bytes).is_ok());
    assert!(SignedTransaction::decode_exact(&bytes[..bytes.len() - 1]).is_err());
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(SignedTransaction::decode_exact(&longer).is_err());
}
