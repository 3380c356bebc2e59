//! Reading the account key files `vellum-genesis init` writes (`keys/issuer.json`,
//! `keys/admin.json`, `keys/demo.json`), to import them into the keystore.
//!
//! Format (genesis `keys.rs`): `{"type":"ed25519","public_key":"<hex>","secret_seed":"<hex>",
//! "address":"vl1…"}`. As genesis does, everything the file states is checked: the seed gives the
//! public key, and the public key gives the address, so a damaged or edited file is refused
//! instead of importing someone else's key. A node's network key (with `peer_id`) and a
//! validator's consensus key (no `address`) are refused: they are not accounts.

use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

use serde::Deserialize;
use vellum_protocol::{Address, Keypair};
use zeroize::{Zeroize, Zeroizing};

use crate::exit::WalletError;

/// The JSON of a genesis key file. Its `Debug` never shows the seed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GenesisKeyFile {
    #[serde(rename = "type")]
    key_type: String,
    public_key: String,
    secret_seed: String,
    #[serde(default)]
    peer_id: Option<String>,
    #[serde(default)]
    address: Option<String>,
}

impl Drop for GenesisKeyFile {
    fn drop(&mut self) {
        self.secret_seed.zeroize();
    }
}

impl fmt::Debug for GenesisKeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GenesisKeyFile")
            .field("public_key", &self.public_key)
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// Reads and checks the account key file at `path`.
pub fn read_account_key_file(path: &Path) -> Result<Keypair, WalletError> {
    let shown = path.display();
    let text = Zeroizing::new(fs::read_to_string(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => WalletError::Usage(format!(
            "key file {shown} does not exist; `vellum-genesis init` writes account keys to \
             OUT/keys/issuer.json, admin.json and demo.json"
        )),
        _ => WalletError::Local(format!("key file {shown}: {e}")),
    })?);
    let refuse = |why: String| WalletError::refused(format!("key file {shown}: {why}"));
    let file: GenesisKeyFile =
        serde_json::from_str(&text).map_err(|e| refuse(format!("not a Vellum key file: {e}")))?;
    if file.key_type != "ed25519" {
        return Err(refuse(format!(
            "holds a {:?} key; Vellum accounts are \"ed25519\" keys",
            file.key_type
        )));
    }
    if file.peer_id.is_some() {
        return Err(refuse(
            "this is a node's network key, not an account key; import keys/issuer.json, \
             admin.json or demo.json"
                .into(),
        ));
    }
    let Some(address) = &file.address else {
        return Err(refuse(
            "this is a validator's consensus key (it has no address), not an account key; \
             import keys/issuer.json, admin.json or demo.json"
                .into(),
        ));
    };
    let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
        hex::decode(file.secret_seed.as_str())
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| refuse("secret_seed is not 32 bytes of hex (64 hex digits)".into()))?,
    );
    let key = Keypair::from_seed(&seed);
    let mismatch = |field: &str| {
        refuse(format!(
            "{field} does not belong to secret_seed; the file is damaged or was edited"
        ))
    };
    if !file
        .public_key
        .eq_ignore_ascii_case(&key.public().to_string())
    {
        return Err(mismatch("public_key"));
    }
    if *address != Address::from_public_key(&key.public()).to_string() {
        return Err(mismatch("address"));
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn account_json(seed: [u8; 32]) -> serde_json::Value {
        let key = Keypair::from_seed(&seed);
        json!({
            "type": "ed25519",
            "public_key": key.public().to_string(),
            "secret_seed": hex::encode(seed),
            "address": Address::from_public_key(&key.public()).to_string(),
        })
    }

    fn write(dir: &Path, v: &serde_json::Value) -> std::path::PathBuf {
        let p = dir.join("k.json");
        fs::write(&p, v.to_string()).unwrap();
        p
    }

    #[test]
    fn a_genesis_account_key_file_imports_as_its_key() {
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), &account_json([9; 32]));
        let key = read_account_key_file(&p).unwrap();
        assert_eq!(key.public(), Keypair::from_seed(&[9; 32]).public());
    }

    #[test]
    fn a_file_whose_seed_does_not_give_its_keys_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let mut v = account_json([1; 32]);
        v["address"] = account_json([2; 32])["address"].clone();
        let e = read_account_key_file(&write(d.path(), &v)).unwrap_err();
        assert!(e.to_string().contains("address does not belong"), "{e}");
        let mut v = account_json([1; 32]);
        v["public_key"] = account_json([2; 32])["public_key"].clone();
        let e = read_account_key_file(&write(d.path(), &v)).unwrap_err();
        assert!(e.to_string().contains("public_key does not belong"), "{e}");
    }

    #[test]
    fn node_and_consensus_keys_are_not_accounts() {
        let d = tempfile::tempdir().unwrap();
        let mut v = account_json([1; 32]);
        v["peer_id"] = "12D3Koo".into();
        let e = read_account_key_file(&write(d.path(), &v)).unwrap_err();
        assert!(e.to_string().contains("network key"), "{e}");
        let mut v = account_json([1; 32]);
        v.as_object_mut().unwrap().remove("address");
        let e = read_account_key_file(&write(d.path(), &v)).unwrap_err();
        assert!(e.to_string().contains("consensus key"), "{e}");
    }

    #[test]
    fn a_missing_or_foreign_file_is_refused_with_a_reason() {
        let e = read_account_key_file(Path::new("/nonexistent/issuer.json")).unwrap_err();
        assert!(e.to_string().contains("vellum-genesis init"), "{e}");
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.json");
        fs::write(&p, "{not json").unwrap();
        assert!(read_account_key_file(&p).is_err());
        let mut v = account_json([1; 32]);
        v["type"] = "secp256k1".into();
        let e = read_account_key_file(&write(d.path(), &v)).unwrap_err();
        assert!(e.to_string().contains("secp256k1"), "{e}");
    }
}
