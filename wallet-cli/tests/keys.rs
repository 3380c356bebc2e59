//! The key commands, driven through the built binary: new, recover, import, list, address,
//! export; exit codes for refusals, usage errors and an unreachable node.

mod support;

use serde_json::{Value, json};
use support::{Wallet, code, json_error, one_json, stderr, stdout};
use vellum_protocol::{Address, Keypair};

#[test]
fn new_prints_one_json_document_with_a_24_word_phrase_and_saves_a_private_key() {
    let w = Wallet::new();
    let out = w.run(&["new", "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = one_json(&out.stdout);
    assert_eq!(v["name"], "default");
    assert_eq!(v["path"], "m/44'/7373'/0'/0'/0'");
    assert_eq!(v["mnemonic"].as_str().unwrap().split(' ').count(), 24);
    assert!(v["address"].as_str().unwrap().starts_with("vl1"));
    assert!(v["warning"].as_str().unwrap().contains("WRITE DOWN"));
    assert!(
        out.stderr.is_empty(),
        "with --json stderr is for errors only"
    );
    let file = w.home().join("keys/default.json");
    let text = std::fs::read_to_string(&file).unwrap();
    let phrase = v["mnemonic"].as_str().unwrap();
    let first_two: Vec<&str> = phrase.split(' ').take(2).collect();
    assert!(!text.contains(phrase) && !text.contains(&first_two.join(" ")));
    #[cfg(unix)]
    {
        assert_eq!(support::mode(&file), 0o600);
        assert_eq!(support::mode(&w.home()), 0o700);
        assert_eq!(support::mode(&w.home().join("keys")), 0o700);
    }
}

#[test]
fn new_in_text_shows_the_numbered_words_and_the_warning() {
    let w = Wallet::new();
    let out = w.run(&["new", "--name", "alice"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("Key \"alice\" created."), "{text}");
    assert!(text.contains("24. "), "{text}");
    assert!(
        text.replace('\n', " ").contains("will not be shown again"),
        "{text}"
    );
}

#[test]
fn recover_from_the_phrase_of_new_gives_the_same_address() {
    let w = Wallet::new();
    let created = w.new_key("original");
    let phrase = created["mnemonic"].as_str().unwrap();
    let file = w.file("phrase.txt", &format!("{phrase}\n"));
    let out = w.run(&[
        "recover",
        "--json",
        "--name",
        "restored",
        "--mnemonic-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let restored = one_json(&out.stdout);
    assert_eq!(restored["address"], created["address"]);
    assert_eq!(restored["public_key"], created["public_key"]);
    assert!(
        restored.get("mnemonic").is_none(),
        "recover never prints the phrase"
    );

    let out = w.run_with_stdin(
        &["recover", "--json", "--name", "from-stdin"],
        &phrase.to_uppercase(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(one_json(&out.stdout)["address"], created["address"]);
}

#[test]
fn accounts_and_passphrases_give_other_addresses_of_the_same_phrase() {
    let w = Wallet::new();
    let created = w.new_key("a0");
    let phrase = w.file("p.txt", created["mnemonic"].as_str().unwrap());
    let pass = w.file("pass.txt", "TREZOR\n");
    let recover = |name: &str, extra: &[&str]| -> Value {
        let mut args = vec!["recover", "--json", "--name", name, "--mnemonic-file"];
        args.push(phrase.to_str().unwrap());
        args.extend_from_slice(extra);
        let out = w.run(&args);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        one_json(&out.stdout)
    };
    let a1 = recover("a1", &["--account", "1"]);
    assert_eq!(a1["path"], "m/44'/7373'/1'/0'/0'");
    let with_pass = recover("p0", &["--bip39-passphrase-file", pass.to_str().unwrap()]);
    let addresses = [&created["address"], &a1["address"], &with_pass["address"]];
    assert_ne!(addresses[0], addresses[1]);
    assert_ne!(addresses[0], addresses[2]);
    assert_ne!(addresses[1], addresses[2]);
}

#[test]
fn a_known_phrase_recovers_its_known_key() {
    // BIP39 vector "abandon … about" with no passphrase, at m/44'/7373'/0'/0'/0': the key is
    // derived here independently of the binary, through the library.
    let w = Wallet::new();
    let words = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about";
    let file = w.file("p.txt", words);
    let out = w.run(&[
        "recover",
        "--json",
        "--mnemonic-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let phrase = vellum_wallet::keys::mnemonic::Phrase::parse(words).unwrap();
    let key = phrase.account_key("", 0);
    assert_eq!(
        one_json(&out.stdout)["public_key"],
        key.public().to_string()
    );
}

#[test]
fn a_mistyped_phrase_is_a_usage_error_naming_the_word() {
    let w = Wallet::new();
    let file = w.file(
        "p.txt",
        "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abuot",
    );
    let out = w.run(&[
        "recover",
        "--json",
        "--mnemonic-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    let e = json_error(&out);
    assert!(e["message"].as_str().unwrap().contains("word 12"), "{e}");
}

#[test]
fn list_address_and_export_need_no_password_and_show_no_secret() {
    let w = Wallet::new();
    let a = w.new_key("alice");
    let b = w.new_key("bob");
    let no_password = |args: &[&str]| {
        let out = w.command().args(args).output().unwrap();
        assert_eq!(code(&out), 0, "{args:?}: {}", stderr(&out));
        out
    };
    let list = one_json(&no_password(&["list", "--json"]).stdout);
    let names: Vec<&str> = list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(list["keys"][1]["address"], b["address"]);

    let addr = no_password(&["address", "--key", "alice"]);
    assert_eq!(stdout(&addr).trim(), a["address"].as_str().unwrap());
    let addr = one_json(&no_password(&["address", "--json", "--key", "alice"]).stdout);
    assert_eq!(addr, json!({"name": "alice", "address": a["address"]}));

    let export = no_password(&["export", "--json", "--key", "bob"]);
    let v = one_json(&export.stdout);
    assert_eq!(v["public_key"], b["public_key"]);
    let shown = stdout(&export);
    for secret_field in ["secret", "ciphertext", "salt", "nonce"] {
        assert!(!shown.contains(secret_field), "{secret_field} in {shown}");
    }
    let text = stdout(&no_password(&["list"]));
    assert!(
        text.contains("alice") && text.contains("mnemonic m/44'/7373'/0'/0'/0'"),
        "{text}"
    );
}

#[test]
fn an_existing_key_name_is_refused_without_force() {
    let w = Wallet::new();
    let first = w.new_key("k");
    let out = w.run(&["new", "--json", "--name", "k"]);
    assert_eq!(code(&out), 1);
    assert!(
        json_error(&out)["message"]
            .as_str()
            .unwrap()
            .contains("--force")
    );
    let out = w.run(&["address", "--json", "--key", "k"]);
    assert_eq!(one_json(&out.stdout)["address"], first["address"]);
    let out = w.run(&["new", "--json", "--name", "k", "--force"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_ne!(one_json(&out.stdout)["address"], first["address"]);
}

fn genesis_key_file(seed: [u8; 32]) -> Value {
    let key = Keypair::from_seed(&seed);
    json!({
        "type": "ed25519",
        "public_key": key.public().to_string(),
        "secret_seed": hex::encode(seed),
        "address": Address::from_public_key(&key.public()).to_string(),
    })
}

#[test]
fn a_genesis_account_key_file_imports_and_a_tampered_one_is_refused() {
    let w = Wallet::new();
    let good = genesis_key_file([5; 32]);
    let file = w.file("issuer.json", &good.to_string());
    let out = w.run(&[
        "import",
        "--json",
        "--name",
        "issuer",
        "--key-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(one_json(&out.stdout)["address"], good["address"]);
    let export = one_json(&w.run(&["export", "--json", "--key", "issuer"]).stdout);
    assert_eq!(export["origin"]["kind"], "key_file");

    let mut bad = genesis_key_file([6; 32]);
    bad["address"] = good["address"].clone();
    let file = w.file("bad.json", &bad.to_string());
    let out = w.run(&[
        "import",
        "--json",
        "--name",
        "bad",
        "--key-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1);
    assert!(
        json_error(&out)["message"]
            .as_str()
            .unwrap()
            .contains("address")
    );
}

#[test]
fn usage_errors_exit_2_as_json_when_asked() {
    let w = Wallet::new();
    let out = w.run(&[
        "transfer",
        "--json",
        "--to",
        "vl1notanaddress",
        "--amount",
        "1",
    ]);
    assert_eq!(code(&out), 2);
    assert_eq!(json_error(&out)["kind"], "usage");
    let out = w.run(&["frobnicate"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("frobnicate"));
    let out = w.run(&["address", "--key", "nobody"]);
    assert_eq!(code(&out), 2, "an unknown key name: {}", stderr(&out));
    let out = w.run(&["new", "--name", "../escape"]);
    assert_eq!(code(&out), 2);
    let help = w.run(&["--help"]);
    assert_eq!(code(&help), 0);
    assert!(stdout(&help).contains("Exit codes"));
}

#[test]
fn no_password_and_no_terminal_is_a_usage_error_not_a_hang() {
    let w = Wallet::new();
    let out = w.command().args(["new", "--json"]).output().unwrap();
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        json_error(&out)["message"]
            .as_str()
            .unwrap()
            .contains("--password-file")
    );
}

#[test]
fn an_unreachable_node_exits_3() {
    let w = Wallet::new();
    let key = w.new_key("default");
    let addr = key["address"].as_str().unwrap();
    for args in [
        vec!["status", "--json"],
        vec!["balance", "--json", addr],
        vec!["history", "--json"],
        vec!["transfer", "--json", "--to", addr, "--amount", "1"],
    ] {
        let mut all = vec!["--rpc", "http://127.0.0.1:1"];
        all.extend(args.iter());
        let out = w.run(&all);
        assert_eq!(code(&out), 3, "{args:?}: {}", stderr(&out));
        let e = json_error(&out);
        assert_eq!(e["kind"], "unreachable");
        assert!(
            e["message"].as_str().unwrap().contains("127.0.0.1:1"),
            "{e}"
        );
    }
    let out = w.run(&["status", "--rpc", "http://127.0.0.1:1"]);
    assert_eq!(code(&out), 3);
    assert!(
        stderr(&out).starts_with("vellum-wallet: cannot reach the node"),
        "{}",
        stderr(&out)
    );
}
