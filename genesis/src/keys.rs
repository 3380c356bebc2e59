//! Key files: one ed25519 key per JSON file, written readable by its owner only.
//!
//! A key file is `{"type":"ed25519","public_key":"<hex>","secret_seed":"<hex>"}`, plus
//! `"peer_id"` for a node's network key and `"address"` for an account key. Reading one checks
//! everything it states: the seed gives the public key, the peer id and the address written
//! beside it, so a damaged or hand-edited file is refused instead of signing as someone else.
//! On unix a key file readable by group or others is refused, as ssh does.

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use libp2p_identity::PeerId;
use serde::{Deserialize, Serialize};
use vellum_protocol::{Address, Keypair};

/// The only key type Vellum writes.
pub const KEY_TYPE: &str = "ed25519";

/// The JSON form of a key file. Its `Debug` never prints the seed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    #[serde(rename = "type")]
    pub key_type: String,
    pub public_key: String,
    pub secret_seed: String,
    /// The libp2p peer id, in a node's network key file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_id: Option<String>,
    /// The account address, in an account key file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyFile")
            .field("key_type", &self.key_type)
            .field("public_key", &self.public_key)
            .field("peer_id", &self.peer_id)
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl KeyFile {
    /// A validator's consensus key.
    pub fn consensus(seed: &[u8; 32]) -> KeyFile {
        KeyFile {
            key_type: KEY_TYPE.to_string(),
            public_key: Keypair::from_seed(seed).public().to_string(),
            secret_seed: hex::encode(seed),
            peer_id: None,
            address: None,
        }
    }

    /// A node's libp2p identity key, with its peer id.
    pub fn node(seed: &[u8; 32]) -> KeyFile {
        KeyFile {
            peer_id: Some(peer_id_from_seed(seed).to_string()),
            ..KeyFile::consensus(seed)
        }
    }

    /// An account's signing key, with its address.
    pub fn account(seed: &[u8; 32]) -> KeyFile {
        let public = Keypair::from_seed(seed).public();
        KeyFile {
            address: Some(Address::from_public_key(&public).to_string()),
            ..KeyFile::consensus(seed)
        }
    }
}

/// Why a key file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error(
        "key file {} does not exist; create the network's keys with `vellum-genesis init`",
        .path.display()
    )]
    Missing { path: PathBuf },
    #[error("key file {}: {source}", .path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error(
        "key file {} can be read by other users (mode {mode:o}); run `chmod 600 {}`",
        .path.display(), .path.display()
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("key file {} is not a Vellum key file: {message}", .path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error("key file {} holds a {found:?} key; Vellum uses \"{KEY_TYPE}\" keys", .path.display())]
    WrongType { path: PathBuf, found: String },
    #[error(
        "key file {}: {field} does not belong to secret_seed; the file is damaged or was edited, restore it from a backup",
        .path.display()
    )]
    Mismatch { path: PathBuf, field: &'static str },
    #[error("the operating system's random number generator failed: {0}")]
    Random(String),
}

/// 32 bytes from the operating system's random number generator.
pub fn random_seed() -> Result<[u8; 32], KeyFileError> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| KeyFileError::Random(e.to_string()))?;
    Ok(seed)
}

/// The libp2p peer id of the ed25519 key made from `seed`.
pub fn peer_id_from_seed(seed: &[u8; 32]) -> PeerId {
    libp2p_keypair(seed).public().to_peer_id()
}

fn libp2p_keypair(seed: &[u8; 32]) -> libp2p_identity::Keypair {
    // `ed25519_from_bytes` zeroes the buffer it is given, so it gets a copy.
    libp2p_identity::Keypair::ed25519_from_bytes(*seed).expect("any 32 bytes are an ed25519 seed")
}

/// Creates `dir` (and its parents) and makes it private to its owner (0700 on unix).
pub fn create_private_dir(dir: &Path) -> Result<(), KeyFileError> {
    let io_err = |source| KeyFileError::Io {
        path: dir.to_path_buf(),
        source,
    };
    fs::create_dir_all(dir).map_err(io_err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(io_err)?;
    }
    Ok(())
}

/// Writes `key` to `path`, replacing it, readable and writable by its owner only (0600).
pub fn write_key_file(path: &Path, key: &KeyFile) -> Result<(), KeyFileError> {
    let mut text = serde_json::to_string_pretty(key).expect("a key file always serializes");
    text.push('\n');
    write_private_file(path, text.as_bytes()).map_err(|source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `bytes` to `path` with mode 0600, also when the file already existed.
pub(crate) fn write_private_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // An existing file keeps its mode through `open`; narrow it before writing the secret.
        if path.exists() {
            fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
        }
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Reads a consensus or account key file and checks it (see the module comment).
pub fn read_key_file(path: &Path) -> Result<Keypair, KeyFileError> {
    let seed = read_checked_seed(path)?;
    Ok(Keypair::from_seed(&seed))
}

/// Reads a node's network key file as a libp2p identity, checking it like [`read_key_file`].
pub fn read_node_key_file(path: &Path) -> Result<libp2p_identity::Keypair, KeyFileError> {
    let seed = read_checked_seed(path)?;
    Ok(libp2p_keypair(&seed))
}

fn read_checked_seed(path: &Path) -> Result<[u8; 32], KeyFileError> {
    let text = fs::read_to_string(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => KeyFileError::Missing {
            path: path.to_path_buf(),
        },
        _ => KeyFileError::Io {
            path: path.to_path_buf(),
            source,
        },
    })?;
    check_mode(path)?;
    let corrupt = |message: String| KeyFileError::Corrupt {
        path: path.to_path_buf(),
        message,
    };
    let key: KeyFile = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    if key.key_type != KEY_TYPE {
        return Err(KeyFileError::WrongType {
            path: path.to_path_buf(),
            found: key.key_type,
        });
    }
    let seed: [u8; 32] = hex::decode(&key.secret_seed)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| corrupt("secret_seed is not 32 bytes of hex (64 hex digits)".into()))?;
    let expected = match (&key.peer_id, &key.address) {
        (Some(_), _) => KeyFile::node(&seed),
        (None, Some(_)) => KeyFile::account(&seed),
        (None, None) => KeyFile::consensus(&seed),
    };
    let mismatch = |field| KeyFileError::Mismatch {
        path: path.to_path_buf(),
        field,
    };
    if !key.public_key.eq_ignore_ascii_case(&expected.public_key) {
        return Err(mismatch("public_key"));
    }
    if key.address.is_some() && key.address != expected.address {
        return Err(mismatch("address"));
    }
    if key.peer_id.is_some() && key.peer_id != expected.peer_id {
        return Err(mismatch("peer_id"));
    }
    Ok(seed)
}

#[cfg(unix)]
fn check_mode(path: &Path) -> Result<(), KeyFileError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(path)
        .map_err(|source| KeyFileError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::TooOpen {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_mode(_path: &Path) -> Result<(), KeyFileError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, key: &KeyFile) -> PathBuf {
        let path = dir.join(name);
        write_key_file(&path, key).unwrap();
        path
    }

    #[test]
    fn each_kind_of_key_file_reads_back_to_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let seed = [7u8; 32];
        let want = Keypair::from_seed(&seed).public();
        for (name, key) in [
            ("consensus.json", KeyFile::consensus(&seed)),
            ("node.json", KeyFile::node(&seed)),
            ("account.json", KeyFile::account(&seed)),
        ] {
            let path = write(dir.path(), name, &key);
            assert_eq!(read_key_file(&path).unwrap().public(), want, "{name}");
        }
        let node = read_node_key_file(&dir.path().join("node.json")).unwrap();
        assert_eq!(node.public().to_peer_id(), peer_id_from_seed(&seed));
    }

    #[test]
    fn a_missing_key_file_says_how_to_create_one() {
        let err = read_key_file(Path::new("/nonexistent/consensus.json")).unwrap_err();
        assert!(matches!(err, KeyFileError::Missing { .. }));
        assert!(err.to_string().contains("vellum-genesis init"), "{err}");
    }

    #[test]
    fn a_key_file_whose_public_key_does_not_match_its_seed_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut key = KeyFile::account(&[1; 32]);
        key.public_key = KeyFile::consensus(&[2; 32]).public_key;
        let path = write(dir.path(), "edited.json", &key);
        let err = read_key_file(&path).unwrap_err();
        assert!(
            matches!(
                err,
                KeyFileError::Mismatch {
                    field: "public_key",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn a_key_file_with_a_wrong_address_or_peer_id_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut key = KeyFile::account(&[1; 32]);
        key.address = KeyFile::account(&[2; 32]).address;
        let path = write(dir.path(), "a.json", &key);
        assert!(matches!(
            read_key_file(&path).unwrap_err(),
            KeyFileError::Mismatch {
                field: "address",
                ..
            }
        ));
        let mut key = KeyFile::node(&[1; 32]);
        key.peer_id = KeyFile::node(&[2; 32]).peer_id;
        let path = write(dir.path(), "n.json", &key);
        assert!(matches!(
            read_node_key_file(&path).unwrap_err(),
            KeyFileError::Mismatch {
                field: "peer_id",
                ..
            }
        ));
    }

    #[test]
    fn corrupt_and_foreign_key_files_are_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        write_private_file(&path, b"{not json").unwrap();
        assert!(matches!(
            read_key_file(&path).unwrap_err(),
            KeyFileError::Corrupt { .. }
        ));
        let mut key = KeyFile::consensus(&[1; 32]);
        key.secret_seed.truncate(10);
        write_key_file(&path, &key).unwrap();
        let err = read_key_file(&path).unwrap_err();
        assert!(err.to_string().contains("64 hex digits"), "{err}");
        key = KeyFile::consensus(&[1; 32]);
        key.key_type = "secp256k1".into();
        write_key_file(&path, &key).unwrap();
        assert!(matches!(
            read_key_file(&path).unwrap_err(),
            KeyFileError::WrongType { .. }
        ));
    }

    #[cfg(unix)]
    #[test]
    fn key_files_are_private_and_an_open_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        write_key_file(&path, &KeyFile::consensus(&[3; 32])).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "an overwritten key file is narrowed to 0600");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let err = read_key_file(&path).unwrap_err();
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[test]
    fn debug_output_never_shows_the_seed() {
        let key = KeyFile::consensus(&[0xab; 32]);
        assert!(!format!("{key:?}").contains(&key.secret_seed));
    }

    #[test]
    fn random_seeds_differ() {
        assert_ne!(random_seed().unwrap(), random_seed().unwrap());
    }
}
