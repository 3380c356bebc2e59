//! Tests of reason codes and receipt encodings.

use super::*;

/// Every reason once: (reason, code, name, invalidates the block).
fn table() -> Vec<(RejectReason, u16, &'static str, bool)> {
    use RejectReason::*;
    let key = PublicKey([3; 32]);
    vec![
        (Malformed { detail: "x".into() }, 1, "malformed", true),
        (
            Oversized {
                size: 2000,
                max: 1024,
            },
            2,
            "oversized",
            true,
        ),
        (WrongChainId, 3, "wrong_chain_id", true),
        (BadSignature, 4, "bad_signature", true),
        (
            NonceTooLow {
                expected: 5,
                got: 4,
            },
            5,
            "nonce_too_low",
            true,
        ),
        (
            NonceTooHigh {
                expected: 5,
                got: 6,
            },
            6,
            "nonce_too_high",
            true,
        ),
        (Expired, 7, "expired", true),
        (MemoTooLong, 8, "memo_too_long", true),
        (
            InsufficientFunds {
                balance: Amount(1),
                needed: Amount(2),
            },
            20,
            "insufficient_funds",
            false,
        ),
        (SenderFrozen, 21, "sender_frozen", false),
        (ZeroAmount, 22, "zero_amount", false),
        (SelfTransfer, 23, "self_transfer", false),
        (NotIssuer, 24, "not_issuer", false),
        (NotAdmin, 25, "not_admin", false),
        (BalanceOverflow, 26, "balance_overflow", false),
        (SupplyOverflow, 27, "supply_overflow", false),
        (
            InvalidValidatorChange(ValidatorChangeError::ZeroPower),
            28,
            "invalid_validator_change",
            false,
        ),
        (
            InvalidValidatorChange(ValidatorChangeError::BadKey { key }),
            28,
            "invalid_validator_change",
            false,
        ),
        (
            InvalidValidatorChange(ValidatorChangeError::UnknownValidator { key }),
            28,
            "invalid_validator_change",
            false,
        ),
        (
            InvalidValidatorChange(ValidatorChangeError::LastValidator),
            28,
            "invalid_validator_change",
            false,
        ),
        (
            InvalidValidatorChange(ValidatorChangeError::TooMany),
            28,
            "invalid_validator_change",
            false,
        ),
        (
            InvalidValidatorChange(ValidatorChangeError::PowerOverflow),
            28,
            "invalid_validator_change",
            false,
        ),
    ]
}

#[test]
fn each_reason_has_its_stable_code_name_and_block_effect() {
    for (reason, code, name, invalidates) in table() {
        assert_eq!(reason.code(), code, "{reason:?}");
        assert_eq!(reason.name(), name, "{reason:?}");
        assert_eq!(reason.invalidates_block(), invalidates, "{reason:?}");
        assert!(!reason.to_string().is_empty());
    }
}

#[test]
fn each_receipt_round_trips_through_bytes_and_json() {
    for (i, (reason, _, name, _)) in table().into_iter().enumerate() {
        let receipt = Receipt {
            tx_hash: Hash([i as u8; 32]),
            index: i as u32,
            outcome: Outcome::Rejected(reason),
        };
        let bytes = receipt.to_bytes();
        assert_eq!(Receipt::decode_exact(&bytes).unwrap(), receipt);
        let json = serde_json::to_string(&receipt).unwrap();
        assert!(json.contains(&format!("\"reason\":\"{name}\"")), "{json}");
        assert_eq!(serde_json::from_str::<Receipt>(&json).unwrap(), receipt);
    }
    let ok = Receipt {
        tx_hash: Hash::ZERO,
        index: 0,
        outcome: Outcome::Committed,
    };
    assert_eq!(
        serde_json::to_value(&ok).unwrap()["outcome"]["status"],
        "committed"
    );
    assert_eq!(Receipt::decode_exact(&ok.to_bytes()).unwrap(), ok);
}

#[test]
fn an_unknown_code_is_refused() {
    let mut w = Writer::new();
    w.u16(999);
    assert!(RejectReason::decode_exact(&w.into_bytes()).is_err());
}

#[test]
fn a_long_malformed_detail_is_cut_on_a_character_boundary() {
    let reason = RejectReason::Malformed {
        detail: "é".repeat(200),
    };
    let back = RejectReason::decode_exact(&reason.to_bytes()).unwrap();
    let RejectReason::Malformed { detail } = back else {
        panic!("wrong variant")
    };
    assert_eq!(detail.len(), 256);
}
