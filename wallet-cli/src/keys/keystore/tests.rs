use super::*;
use crate::exit::{EXIT_REFUSED, EXIT_USAGE};

fn store() -> (tempfile::TempDir, Keystore) {
    let dir = tempfile::tempdir().unwrap();
    let ks = Keystore::new(
        WalletHome::at(dir.path().join("wallet")),
        KdfStrength::InsecureForTests,
    );
    (dir, ks)
}

fn origin() -> Origin {
    Origin::Mnemonic {
        path: "m/44'/7373'/0'/0'/0'".into(),
    }
}

#[test]
fn a_key_round_trips_and_its_public_parts_need_no_password() {
    let (_d, ks) = store();
    let key = Keypair::from_seed(&[7; 32]);
    let created = ks.create("alice", &key, origin(), b"pw", false).unwrap();
    let loaded = ks.load("alice").unwrap();
    assert_eq!(created, loaded);
    assert_eq!(loaded.public_key, key.public());
    assert_eq!(loaded.address, Address::from_public_key(&key.public()));
    let unlocked = ks.unlock(&loaded, b"pw").unwrap();
    assert_eq!(unlocked.seed(), key.seed());
}

#[test]
fn a_wrong_password_is_a_refusal_not_a_panic() {
    let (_d, ks) = store();
    let stored = ks
        .create(
            "k",
            &Keypair::from_seed(&[1; 32]),
            origin(),
            b"right",
            false,
        )
        .unwrap();
    let e = ks.unlock(&stored, b"wrong").unwrap_err();
    assert_eq!(e.exit_code(), EXIT_REFUSED);
    assert!(e.to_string().contains("wrong password"), "{e}");
}

#[test]
fn an_existing_name_is_kept_unless_forced() {
    let (_d, ks) = store();
    let a = Keypair::from_seed(&[1; 32]);
    let b = Keypair::from_seed(&[2; 32]);
    ks.create("k", &a, origin(), b"pw", false).unwrap();
    let e = ks.create("k", &b, origin(), b"pw", false).unwrap_err();
    assert_eq!(e.exit_code(), EXIT_REFUSED);
    assert!(e.to_string().contains("--force"), "{e}");
    assert_eq!(ks.load("k").unwrap().public_key, a.public());
    ks.create("k", &b, origin(), b"pw", true).unwrap();
    assert_eq!(ks.load("k").unwrap().public_key, b.public());
}

#[cfg(unix)]
#[test]
fn key_files_are_0600_in_0700_directories_and_open_ones_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, ks) = store();
    let stored = ks
        .create("k", &Keypair::from_seed(&[3; 32]), origin(), b"pw", false)
        .unwrap();
    let path = ks.path_of("k").unwrap();
    let root = dir.path().join("wallet");
    assert_eq!(crate::home::mode_of(&path).unwrap(), 0o600);
    assert_eq!(crate::home::mode_of(&root).unwrap(), 0o700);
    assert_eq!(crate::home::mode_of(&root.join("keys")).unwrap(), 0o700);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    let e = ks.unlock(&stored, b"pw").unwrap_err();
    assert!(e.to_string().contains("chmod 600"), "{e}");
}

#[test]
fn the_file_holds_no_secret_in_clear() {
    let (_d, ks) = store();
    let key = Keypair::from_seed(&[0xab; 32]);
    ks.create("k", &key, origin(), b"pw", false).unwrap();
    let text = fs::read_to_string(ks.path_of("k").unwrap()).unwrap();
    assert!(!text.contains(&hex::encode(key.seed())));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["public_key"], key.public().to_string());
    assert_eq!(v["origin"]["kind"], "mnemonic");
    assert_eq!(v["secret"]["kdf"]["name"], "argon2id");
    assert_eq!(v["secret"]["cipher"], "xchacha20-poly1305");
}

#[test]
fn an_edited_file_is_refused() {
    let (_d, ks) = store();
    ks.create("k", &Keypair::from_seed(&[4; 32]), origin(), b"pw", false)
        .unwrap();
    let path = ks.path_of("k").unwrap();
    let mut v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    v["public_key"] = Keypair::from_seed(&[5; 32]).public().to_string().into();
    fs::write(&path, v.to_string()).unwrap();
    let e = ks.load("k").unwrap_err();
    assert!(e.to_string().contains("damaged"), "{e}");
}

#[test]
fn names_are_checked_and_missing_keys_say_what_to_do() {
    let (_d, ks) = store();
    for bad in ["", "../x", ".hidden", "a/b", "sp ace", &"x".repeat(65)] {
        assert_eq!(
            ks.path_of(bad).unwrap_err().exit_code(),
            EXIT_USAGE,
            "{bad:?}"
        );
    }
    let e = ks.load("nobody").unwrap_err();
    assert_eq!(e.exit_code(), EXIT_USAGE);
    assert!(e.to_string().contains("vellum-wallet new"), "{e}");
}

#[test]
fn list_is_sorted_and_empty_without_a_keystore() {
    let (_d, ks) = store();
    assert!(ks.list().unwrap().is_empty());
    for (name, seed) in [("zed", 1u8), ("amy", 2), ("bob", 3)] {
        ks.create(
            name,
            &Keypair::from_seed(&[seed; 32]),
            Origin::KeyFile,
            b"p",
            false,
        )
        .unwrap();
    }
    let names: Vec<_> = ks.list().unwrap().into_iter().map(|k| k.name).collect();
    assert_eq!(names, ["amy", "bob", "zed"]);
}
