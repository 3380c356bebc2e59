//! The wallet's home directory and its private files.
//!
//! Layout: `HOME/keys/NAME.json` (one encrypted key per file, see [`crate::keys::keystore`])
//! and `HOME/outbox/ADDRESS.json` (signed transactions not yet final, see [`crate::outbox`]).
//! Directories are created mode 0700 and files 0600, written to a temporary file and renamed
//! so that a crash never leaves half a key file.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::exit::WalletError;

/// The environment variable naming the home directory.
pub const HOME_ENV: &str = "VELLUM_WALLET_HOME";
/// The home directory under the user's home when nothing else is given.
pub const DEFAULT_DIR_NAME: &str = ".vellum-wallet";

/// The wallet's home directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletHome {
    root: PathBuf,
}

impl WalletHome {
    /// `--home` if given (clap also reads `$VELLUM_WALLET_HOME` into it), else `~/.vellum-wallet`.
    pub fn resolve(flag: Option<PathBuf>) -> Result<WalletHome, WalletError> {
        if let Some(root) = flag.filter(|p| !p.as_os_str().is_empty()) {
            return Ok(WalletHome { root });
        }
        match std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            Some(home) => Ok(WalletHome {
                root: PathBuf::from(home).join(DEFAULT_DIR_NAME),
            }),
            None => Err(WalletError::Usage(format!(
                "no wallet directory: $HOME is not set; pass --home DIR or set {HOME_ENV}"
            ))),
        }
    }

    pub fn at(root: impl Into<PathBuf>) -> WalletHome {
        WalletHome { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.root.join("keys")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.root.join("outbox")
    }

    /// Creates the home and `sub` inside it, private to their owner.
    pub fn ensure_private(&self, sub: &Path) -> Result<(), WalletError> {
        create_private_dir(&self.root)?;
        create_private_dir(sub)
    }
}

/// Creates `dir` (and its parents) and makes it private to its owner (0700 on unix).
pub fn create_private_dir(dir: &Path) -> Result<(), WalletError> {
    let err = |e: io::Error| WalletError::Local(format!("directory {}: {e}", dir.display()));
    fs::create_dir_all(dir).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(err)?;
    }
    Ok(())
}

/// Writes `bytes` to `path` with mode 0600: into a temporary file beside it, synced, then
/// renamed over `path`, so readers see the old file or the new one, never a part.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> Result<(), WalletError> {
    let err = |e: io::Error| WalletError::Local(format!("file {}: {e}", path.display()));
    let file_name = path
        .file_name()
        .ok_or_else(|| WalletError::Local(format!("{} is not a file path", path.display())))?;
    let tmp = path.with_file_name(format!(".{}.tmp", file_name.to_string_lossy()));
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let _ = fs::remove_file(&tmp);
    let mut file = options.open(&tmp).map_err(err)?;
    file.write_all(bytes).map_err(err)?;
    file.sync_all().map_err(err)?;
    drop(file);
    fs::rename(&tmp, path).map_err(err)?;
    Ok(())
}

/// The permission bits of `path` (unix), for checks that a key file is private.
#[cfg(unix)]
pub fn mode_of(path: &Path) -> io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(fs::metadata(path)?.permissions().mode() & 0o777)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_and_the_default_is_under_home() {
        let h = WalletHome::resolve(Some(PathBuf::from("/tmp/w"))).unwrap();
        assert_eq!(h.root(), Path::new("/tmp/w"));
        assert_eq!(h.keys_dir(), Path::new("/tmp/w/keys"));
        if std::env::var_os("HOME").is_some() {
            let d = WalletHome::resolve(None).unwrap();
            assert!(d.root().ends_with(DEFAULT_DIR_NAME));
        }
    }

    #[cfg(unix)]
    #[test]
    fn private_files_and_directories_have_owner_only_modes() {
        let dir = tempfile::tempdir().unwrap();
        let home = WalletHome::at(dir.path().join("w"));
        home.ensure_private(&home.keys_dir()).unwrap();
        assert_eq!(mode_of(home.root()).unwrap(), 0o700);
        assert_eq!(mode_of(&home.keys_dir()).unwrap(), 0o700);
        let f = home.keys_dir().join("a.json");
        write_private_file(&f, b"one").unwrap();
        write_private_file(&f, b"two").unwrap();
        assert_eq!(mode_of(&f).unwrap(), 0o600);
        assert_eq!(fs::read(&f).unwrap(), b"two");
        let leftovers: Vec<_> = fs::read_dir(home.keys_dir()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }
}
