//! Keys: where they come from (a BIP39 phrase through SLIP-10, or a genesis key file), how they
//! are kept (an encrypted keystore), and the secrets a person types to use them.
//!
//! - [`mnemonic`]: 24-word phrases, typed phrases checked word by word, the BIP39 seed.
//! - [`slip10`]: SLIP-0010 ed25519 derivation and Vellum's path `m/44'/7373'/ACCOUNT'/0'/0'`.
//! - [`sealing`]: Argon2id + XChaCha20-Poly1305 around one 32-byte secret.
//! - [`keystore`]: one JSON file per named key; public parts in clear, the secret sealed.
//! - [`key_file`]: reading and checking `vellum-genesis` account key files for import.
//! - [`secrets`]: the password, phrase and passphrase from a file, the environment or a prompt.

pub mod key_file;
pub mod keystore;
pub mod mnemonic;
pub mod sealing;
pub mod secrets;
pub mod slip10;
