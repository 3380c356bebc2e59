//! BIP39 mnemonics: a new 24-word English phrase from the operating system's randomness, a
//! typed phrase checked word by word, and the 64-byte seed (PBKDF2-HMAC-SHA512, 2048 rounds,
//! salt `"mnemonic" || passphrase`, both NFKD-normalized) that SLIP-10 derivation starts from.
//!
//! A new phrase always has 24 words (256 bits of entropy from `getrandom`). A recovered one may
//! have 12, 15, 18, 21 or 24 words, so that phrases written by other BIP39 wallets work.

use bip39::{Language, Mnemonic};
use zeroize::Zeroizing;

use crate::exit::WalletError;
use crate::keys::slip10::{DerivationPath, ExtendedKey};
use vellum_protocol::Keypair;

/// Words in a phrase made by `new`.
pub const NEW_WORDS: usize = 24;

/// A checked BIP39 English phrase. Its words are wiped on drop.
pub struct Phrase(Mnemonic);

impl std::fmt::Debug for Phrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phrase({} words)", self.0.word_count())
    }
}

impl Phrase {
    /// A new 24-word phrase from 32 bytes of the operating system's randomness.
    pub fn generate() -> Result<Phrase, WalletError> {
        let mut entropy = Zeroizing::new([0u8; 32]);
        getrandom::fill(entropy.as_mut_slice()).map_err(|e| {
            WalletError::Local(format!(
                "the operating system's random generator failed: {e}"
            ))
        })?;
        Phrase::from_entropy(entropy.as_slice())
    }

    /// The phrase of `entropy` (16 to 32 bytes, a multiple of 4).
    pub fn from_entropy(entropy: &[u8]) -> Result<Phrase, WalletError> {
        Mnemonic::from_entropy_in(Language::English, entropy)
            .map(Phrase)
            .map_err(|e| WalletError::Usage(format!("entropy: {e}")))
    }

    /// Reads a typed phrase: words separated by any white space, in any case. An unknown word,
    /// a wrong number of words or a checksum that does not match is refused with the reason.
    pub fn parse(text: &str) -> Result<Phrase, WalletError> {
        let normalized = Zeroizing::new(
            text.split_whitespace()
                .map(str::to_lowercase)
                .collect::<Vec<_>>()
                .join(" "),
        );
        let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
        if !matches!(words.len(), 12 | 15 | 18 | 21 | 24) {
            return Err(WalletError::Usage(format!(
                "a recovery phrase has 12, 15, 18, 21 or 24 words; this one has {}",
                words.len()
            )));
        }
        Mnemonic::parse_in_normalized(Language::English, &normalized)
            .map(Phrase)
            .map_err(|e| match e {
                bip39::Error::UnknownWord(i) => WalletError::Usage(format!(
                    "word {} ({:?}) is not in the BIP39 English word list: check its spelling",
                    i + 1,
                    words.get(i).copied().unwrap_or("")
                )),
                bip39::Error::InvalidChecksum => WalletError::Usage(
                    "every word is valid but the phrase's checksum does not match: check the \
                     order of the words and that none is swapped for another"
                        .into(),
                ),
                other => WalletError::Usage(format!("the recovery phrase is not valid: {other}")),
            })
    }

    pub fn word_count(&self) -> usize {
        self.0.word_count()
    }

    /// The words, separated by single spaces. Shown to the user once, at `new`.
    pub fn words(&self) -> Zeroizing<String> {
        let mut s = Zeroizing::new(String::new());
        for (i, w) in self.0.words().enumerate() {
            if i > 0 {
                s.push(' ');
            }
            s.push_str(w);
        }
        s
    }

    /// The BIP39 seed, with an optional passphrase (empty when there is none).
    pub fn seed(&self, passphrase: &str) -> Zeroizing<[u8; 64]> {
        Zeroizing::new(self.0.to_seed(passphrase))
    }

    /// The signing key of Vellum account `account` of this phrase (see [`DerivationPath::vellum`]).
    pub fn account_key(&self, passphrase: &str, account: u32) -> Keypair {
        let seed = self.seed(passphrase);
        let node = ExtendedKey::master(seed.as_slice()).derive(&DerivationPath::vellum(account));
        Keypair::from_seed(&node.key)
    }
}

#[cfg(test)]
mod tests;
