//! Commit certificates: the precommits of more than two thirds of the voting power for one
//! block in one round, which prove the block final.
//!
//! A certificate lists `(validator, signature)` pairs sorted by validator key with no repeats;
//! each signature is the validator's precommit for `(height, round, block)`. It is stored with
//! the block, and its hash goes into the next block's header.

use serde::{Deserialize, Serialize};

use crate::crypto::{self, CheckedItem, Domain, Hash, PublicKey, Signature};
use crate::encoding::{Decode, DecodeError, Encode, Reader, Writer};
use crate::validator::{MAX_VALIDATORS, ValidatorSet};
use crate::vote::{SignedVote, Vote, VoteKind};

/// One validator's precommit signature inside a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitSignature {
    pub validator: PublicKey,
    pub signature: Signature,
}

/// Proof that a block was committed at a height.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitCertificate {
    pub height: u64,
    pub round: u32,
    pub block: Hash,
    pub signatures: Vec<CommitSignature>,
}

/// Why a certificate does not prove a commit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertificateError {
    #[error("the certificate is for height {got}, expected {expected}")]
    WrongHeight { expected: u64, got: u64 },
    #[error("the certificate is for block {got}, expected {expected}")]
    WrongBlock { expected: Hash, got: Hash },
    #[error("signers are not sorted by key or a signer appears twice")]
    NotCanonical,
    #[error("{0} is not a validator of this height")]
    UnknownValidator(PublicKey),
    #[error("the precommit signature of {0} does not verify")]
    BadSignature(PublicKey),
    #[error("the signers hold {power} of {total} voting power, not more than two thirds")]
    NoQuorum { power: u64, total: u64 },
}

impl CommitCertificate {
    /// Builds a certificate from precommits for one `(height, round, block)`; the caller has
    /// checked them. Signers are sorted so the certificate has one encoding.
    pub fn from_precommits(height: u64, round: u32, block: Hash, votes: &[SignedVote]) -> Self {
        let mut signatures: Vec<CommitSignature> = votes
            .iter()
            .filter(|v| {
                v.vote.kind == VoteKind::Precommit
                    && v.vote.height == height
                    && v.vote.round == round
                    && v.vote.block == Some(block)
            })
            .map(|v| CommitSignature {
                validator: v.vote.validator,
                signature: v.signature,
            })
            .collect();
        signatures.sort_by_key(|s| s.validator);
        signatures.dedup_by_key(|s| s.validator);
        CommitCertificate {
            height,
            round,
            block,
            signatures,
        }
    }

    pub fn hash(&self) -> Hash {
        Hash::of(&[&self.to_bytes()])
    }

    /// The precommit vote a signer signed.
    pub fn vote_of(&self, validator: PublicKey) -> Vote {
        Vote {
            kind: VoteKind::Precommit,
            height: self.height,
            round: self.round,
            block: Some(self.block),
            validator,
        }
    }

    /// Checks that the certificate proves `block` committed at `height` under `validators`.
    pub fn verify(
        &self,
        chain_id: &str,
        height: u64,
        block: Hash,
        validators: &ValidatorSet,
    ) -> Result<(), CertificateError> {
        self.verify_known(chain_id, height, block, validators, |_| false)
    }

    /// [`CommitCertificate::verify`], taking the signature of each precommit for which `known`
    /// says true as verified already (a host that verified those votes when they arrived need
    /// not verify them again here). Every other check is made as in `verify`.
    pub fn verify_known(
        &self,
        chain_id: &str,
        height: u64,
        block: Hash,
        validators: &ValidatorSet,
        known: impl Fn(&SignedVote) -> bool,
    ) -> Result<(), CertificateError> {
        if self.height != height {
            return Err(CertificateError::WrongHeight {
                expected: height,
                got: self.height,
            });
        }
        if self.block != block {
            return Err(CertificateError::WrongBlock {
                expected: block,
                got: self.block,
            });
        }
        if self
            .signatures
            .windows(2)
            .any(|w| w[0].validator >= w[1].validator)
        {
            return Err(CertificateError::NotCanonical);
        }
        let mut power = 0u64;
        for s in &self.signatures {
            match validators.get(&s.validator) {
                Some(v) => power += v.power,
                None => return Err(CertificateError::UnknownValidator(s.validator)),
            }
        }
        if !validators.is_quorum(power) {
            return Err(CertificateError::NoQuorum {
                power,
                total: validators.total_power(),
            });
        }
        let mut unknown = Vec::with_capacity(self.signatures.len());
        for s in &self.signatures {
            let vote = SignedVote {
                vote: self.vote_of(s.validator),
                signature: s.signature,
            };
            if known(&vote) {
                continue;
            }
            // A member whose key no signature is valid under: its signature cannot verify.
            let key = validators
                .checked_key(&s.validator)
                .ok_or(CertificateError::BadSignature(s.validator))?;
            unknown.push((key, vote.vote.signing_body(chain_id), s));
        }
        let items: Vec<CheckedItem<'_>> = unknown
            .iter()
            .map(|(key, body, s)| CheckedItem {
                key,
                domain: Domain::Vote,
                body,
                signature: &s.signature,
            })
            .collect();
        let ok = crypto::verify_batch_checked(&items);
        if let Some(i) = ok.iter().position(|ok| !ok) {
            return Err(CertificateError::BadSignature(unknown[i].2.validator));
        }
        Ok(())
    }
}

impl Encode for CommitSignature {
    fn encode(&self, w: &mut Writer) {
        self.validator.encode(w);
        self.signature.encode(w);
    }
}

impl Decode for CommitSignature {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CommitSignature {
            validator: PublicKey::decode(r)?,
            signature: Signature::decode(r)?,
        })
    }
}

impl Encode for CommitCertificate {
    fn encode(&self, w: &mut Writer) {
        w.u64(self.height);
        w.u32(self.round);
        self.block.encode(w);
        w.list(&self.signatures, |w, s| s.encode(w));
    }
}

impl Decode for CommitCertificate {
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CommitCertificate {
            height: r.u64()?,
            round: r.u32()?,
            block: Hash::decode(r)?,
            signatures: r.list(
                "certificate signatures",
                MAX_VALIDATORS,
                96,
                CommitSignature::decode,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Keypair;
    use crate::validator::Validator;

    fn setup() -> (Vec<Keypair>, ValidatorSet) {
        let keys: Vec<Keypair> = (1..=4u8).map(|i| Keypair::from_seed(&[i; 32])).collect();
        let set = ValidatorSet::new(
            keys.iter()
                .map(|k| Validator {
                    key: k.public(),
                    power: 1,
                })
                .collect(),
        )
        .unwrap();
        (keys, set)
    }

    fn precommit(k: &Keypair, block: Hash) -> SignedVote {
        Vote {
            kind: VoteKind::Precommit,
            height: 5,
            round: 1,
            block: Some(block),
            validator: k.public(),
        }
        .sign("test", k)
    }

    #[test]
    fn three_of_four_precommits_prove_a_commit() {
        let (keys, set) = setup();
        let b = Hash([9; 32]);
        let votes: Vec<_> = keys[..3].iter().map(|k| precommit(k, b)).collect();
        let cert = CommitCertificate::from_precommits(5, 1, b, &votes);
        assert_eq!(cert.verify("test", 5, b, &set), Ok(()));
        assert_eq!(
            CommitCertificate::decode_exact(&cert.to_bytes()).unwrap(),
            cert
        );
    }

    #[test]
    fn two_of_four_or_a_forged_signature_is_refused() {
        let (keys, set) = setup();
        let b = Hash([9; 32]);
        let votes: Vec<_> = keys[..2].iter().map(|k| precommit(k, b)).collect();
        let cert = CommitCertificate::from_precommits(5, 1, b, &votes);
        assert_eq!(
            cert.verify("test", 5, b, &set),
            Err(CertificateError::NoQuorum { power: 2, total: 4 })
        );

        let votes: Vec<_> = keys[..3].iter().map(|k| precommit(k, b)).collect();
        let mut cert = CommitCertificate::from_precommits(5, 1, b, &votes);
        cert.signatures[1].signature.0[0] ^= 1;
        assert!(matches!(
            cert.verify("test", 5, b, &set),
            Err(CertificateError::BadSignature(_))
        ));
        assert!(matches!(
            CommitCertificate::from_precommits(5, 1, b, &votes).verify("other-chain", 5, b, &set),
            Err(CertificateError::BadSignature(_))
        ));
    }

    #[test]
    fn a_repeated_signer_is_refused() {
        let (keys, set) = setup();
        let b = Hash([9; 32]);
        let votes: Vec<_> = keys[..3].iter().map(|k| precommit(k, b)).collect();
        let mut cert = CommitCertificate::from_precommits(5, 1, b, &votes);
        cert.signatures[2] = cert.signatures[1];
        assert_eq!(
            cert.verify("test", 5, b, &set),
            Err(CertificateError::NotCanonical)
        );
    }

    #[test]
    fn known_precommits_skip_only_their_own_signature() {
        let (keys, set) = setup();
        let b = Hash([9; 32]);
        let votes: Vec<_> = keys[..3].iter().map(|k| precommit(k, b)).collect();
        let mut cert = CommitCertificate::from_precommits(5, 1, b, &votes);
        cert.signatures[1].signature.0[0] ^= 1;
        let forged = SignedVote {
            vote: cert.vote_of(cert.signatures[1].validator),
            signature: cert.signatures[1].signature,
        };
        // The forged signature counts only where the host says it verified that very vote.
        assert_eq!(
            cert.verify_known("test", 5, b, &set, |v| *v == forged),
            Ok(())
        );
        let honest: Vec<SignedVote> = votes.clone();
        assert!(matches!(
            cert.verify_known("test", 5, b, &set, |v| honest.contains(v)),
            Err(CertificateError::BadSignature(k)) if k == forged.vote.validator
        ));
        // Knowing every signature skips no other check.
        assert_eq!(
            cert.verify_known("test", 6, b, &set, |_| true),
            Err(CertificateError::WrongHeight {
                expected: 6,
                got: 5
            })
        );
        let two = CommitCertificate::from_precommits(5, 1, b, &votes[..2]);
        assert!(matches!(
            two.verify_known("test", 5, b, &set, |_| true),
            Err(CertificateError::NoQuorum { .. })
        ));
    }
}
