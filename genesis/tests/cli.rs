//! The `vellum-genesis` binary, run as a user runs it, in a temporary directory.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use vellum_genesis::multiaddr::TcpMultiaddr;
use vellum_genesis::{NodeConfig, check_genesis, read_genesis_file, read_key_file};
use vellum_protocol::{Address, Genesis, LedgerState};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vellum-genesis"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn init(out: &Path, validators: usize, extra: &[&str]) -> Output {
    let n = validators.to_string();
    let mut args = vec!["init", "--validators", &n, "--out", out.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn init_writes_a_four_validator_network_whose_files_agree() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let output = init(&out, 4, &[]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("http://127.0.0.1:"),
        "{}",
        text(&output)
    );

    let genesis = read_genesis_file(&out.join("genesis.json")).unwrap();
    check_genesis(&genesis).unwrap();
    let state = LedgerState::from_genesis(&genesis).unwrap();
    assert_eq!(genesis.validators.len(), 4);
    assert!(
        !state.total_supply().is_zero(),
        "the demo account is funded"
    );

    let mut ports = BTreeSet::new();
    for (i, validator) in genesis.validators.iter().enumerate() {
        let home = out.join(format!("node{i}"));
        let keys = home.join("keys");
        for file in [
            "config.toml",
            "genesis.json",
            "keys/consensus.json",
            "keys/node.json",
        ] {
            assert!(home.join(file).is_file(), "node{i}/{file}");
        }
        #[cfg(unix)]
        {
            assert_eq!(mode(&keys), 0o700, "{}", keys.display());
            assert_eq!(mode(&keys.join("consensus.json")), 0o600);
            assert_eq!(mode(&keys.join("node.json")), 0o600);
        }
        let copy: Genesis = read_genesis_file(&home.join("genesis.json")).unwrap();
        assert_eq!(copy, genesis, "node{i} has the same genesis");

        let config =
            NodeConfig::from_toml(&std::fs::read_to_string(home.join("config.toml")).unwrap())
                .unwrap();
        assert_eq!(config.validate(), vec![], "node{i}");
        assert_eq!(config.moniker, validator.name);
        assert_eq!(config.chain_id, genesis.chain_id);

        let consensus = read_key_file(&keys.join("consensus.json")).unwrap();
        assert_eq!(consensus.public(), validator.key, "node{i} consensus key");
        let node_key = read_json(&keys.join("node.json"));
        assert_eq!(node_key["type"], "ed25519");
        assert_eq!(node_key["peer_id"].as_str(), validator.node_id.as_deref());

        let listen: TcpMultiaddr = config.p2p.listen.parse().unwrap();
        for port in [
            listen.port,
            config.rpc.listen.port(),
            config.metrics.listen.port(),
        ] {
            assert!(ports.insert(port), "port {port} is used twice");
        }
        assert_eq!(
            validator.p2p_address.as_deref(),
            Some(format!(
                "{}/p2p/{}",
                config.p2p.listen,
                node_key["peer_id"].as_str().unwrap()
            ))
            .as_deref()
        );

        let peer_ids: BTreeSet<String> = config
            .p2p
            .peers
            .iter()
            .map(|p| {
                p.parse::<TcpMultiaddr>()
                    .unwrap()
                    .peer_id
                    .unwrap()
                    .to_string()
            })
            .collect();
        let others: BTreeSet<String> = genesis
            .validators
            .iter()
            .filter(|v| v.name != validator.name)
            .map(|v| v.node_id.clone().unwrap())
            .collect();
        assert_eq!(peer_ids, others, "node{i} peers with the other three");
        let addresses: Vec<&String> = genesis
            .validators
            .iter()
            .filter(|v| v.name != validator.name)
            .filter_map(|v| v.p2p_address.as_ref())
            .collect();
        assert_eq!(config.p2p.peers.iter().collect::<Vec<_>>(), addresses);
    }
    assert_eq!(ports.len(), 12);

    #[cfg(unix)]
    assert_eq!(mode(&out.join("keys")), 0o700);
    for (role, listed) in [
        ("issuer", &genesis.issuers),
        ("admin", &genesis.admins),
        (
            "demo",
            &genesis.accounts.iter().map(|a| a.address).collect(),
        ),
    ] {
        let path = out.join("keys").join(format!("{role}.json"));
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600, "{role}");
        let key = read_key_file(&path).unwrap();
        let address = Address::from_public_key(&key.public());
        assert!(listed.contains(&address), "{role} is in genesis");
        assert_eq!(read_json(&path)["address"], address.to_string());
    }

    let output = run(&["validate", out.join("genesis.json").to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let hash = genesis.hash().unwrap().to_hex();
    assert!(text(&output).starts_with("OK "), "{}", text(&output));
    assert!(text(&output).contains(&hash), "{}", text(&output));
}

#[test]
fn init_with_json_prints_one_document_and_takes_opening_balances() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let extra = "vl1t8efrmfdc3qxlmmfcxxrzkdu34yw0avkcjdcfq";
    let account = format!("{extra}=12.5");
    let output = init(
        &out,
        2,
        &["--json", "--chain-id", "vellum-test", "--account", &account],
    );
    assert!(output.status.success(), "{}", text(&output));
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["chain_id"], "vellum-test");
    assert_eq!(summary["nodes"].as_array().unwrap().len(), 2);
    assert!(
        summary["nodes"][1]["rpc_url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    let genesis = read_genesis_file(&out.join("genesis.json")).unwrap();
    let opening = genesis
        .accounts
        .iter()
        .find(|a| a.address.to_string() == extra)
        .unwrap();
    assert_eq!(opening.balance.0, 1250);
    assert_eq!(summary["genesis_hash"], genesis.hash().unwrap().to_hex());
}

#[test]
fn init_refuses_to_overwrite_a_genesis_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    assert!(init(&out, 1, &[]).status.success());
    let before = std::fs::read_to_string(out.join("genesis.json")).unwrap();

    let output = init(&out, 1, &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).contains("already exists"),
        "{}",
        text(&output)
    );
    assert!(text(&output).contains("--force"), "{}", text(&output));
    assert_eq!(
        std::fs::read_to_string(out.join("genesis.json")).unwrap(),
        before
    );

    let output = init(&out, 1, &["--force"]);
    assert!(output.status.success(), "{}", text(&output));
    assert_ne!(
        std::fs::read_to_string(out.join("genesis.json")).unwrap(),
        before
    );
}

#[test]
fn init_with_a_base_port_in_use_fails_and_names_the_port() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let output = init(&out, 2, &["--base-port", &port.to_string()]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let said = text(&output);
    assert!(
        said.contains(&format!("port {port} on 127.0.0.1 is already in use")),
        "{said}"
    );
    assert!(said.contains("--base-port"), "{said}");
    assert!(!out.join("genesis.json").exists());
}

#[test]
fn init_with_a_free_base_port_lays_nodes_out_three_ports_apart() {
    // A port the OS just handed out is almost surely free with its neighbours; retry if not.
    for _ in 0..5 {
        let base = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = base.min(65_000);
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("net");
        let output = init(&out, 2, &["--base-port", &base.to_string()]);
        if !output.status.success() && text(&output).contains("already in use") {
            continue;
        }
        assert!(output.status.success(), "{}", text(&output));
        let config = NodeConfig::load(&out.join("node1").join("config.toml")).unwrap();
        assert_eq!(
            config.p2p.listen,
            format!("/ip4/127.0.0.1/tcp/{}", base + 3)
        );
        assert_eq!(config.rpc.listen.port(), base + 4);
        assert_eq!(config.metrics.listen.port(), base + 5);
        return;
    }
    panic!("no free run of 6 ports found in 5 tries");
}

/// A valid genesis from `init`, then broken by `edit`.
fn broken_genesis(dir: &Path, edit: impl FnOnce(&mut Value)) -> PathBuf {
    let out = dir.join("net");
    assert!(init(&out, 4, &[]).status.success());
    let path = out.join("genesis.json");
    let mut json = read_json(&path);
    edit(&mut json);
    std::fs::write(&path, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    path
}

#[test]
fn validate_prints_every_fault_numbered_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = broken_genesis(dir.path(), |g| {
        let first = g["validators"][0].clone();
        g["validators"][1] = first;
        g["validators"][2]["power"] = 0.into();
    });
    let output = run(&["validate", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let said = text(&output);
    assert!(said.contains("3 fault(s)"), "{said}");
    assert!(
        said.contains("1. validators[1] repeats the name \"node0\""),
        "{said}"
    );
    assert!(
        said.contains("2. validators[1] (node0) repeats the key of validators[0]"),
        "{said}"
    );
    assert!(
        said.contains("3. validators[2] (node2) has power 0; give it at least 1"),
        "{said}"
    );
}

#[test]
fn validate_with_json_lists_faults_with_their_kind_and_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = broken_genesis(dir.path(), |g| {
        g["validators"][3]["power"] = 0.into();
        g["issuers"] = Value::Array(vec![]);
    });
    let output = run(&["validate", "--json", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["ok"], false);
    let kinds: Vec<&str> = report["faults"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fault"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["zero_power", "no_issuer"]);
    assert!(
        report["faults"][1]["message"]
            .as_str()
            .unwrap()
            .contains("issuers is empty")
    );
}

#[test]
fn validate_names_the_line_and_column_of_bad_json() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesis.json");
    std::fs::write(
        &path,
        "{\n  \"chain_id\": \"vellum-localnet\"\n  \"decimals\": 2\n}\n",
    )
    .unwrap();
    let output = run(&["validate", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let said = text(&output);
    assert!(said.contains("line 3 column 3"), "{said}");
    assert!(said.contains("expected `,` or `}`"), "{said}");
}

#[test]
fn validate_of_a_missing_file_says_so() {
    let output = run(&["validate", "/nonexistent/genesis.json"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output).contains("cannot read genesis file /nonexistent/genesis.json"));
}

#[test]
fn a_malformed_account_argument_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("net");
    let output = init(
        &out,
        1,
        &[
            "--account",
            "vl1t8efrmfdc3qxlmmfcxxrzkdu34yw0avkcjdcfq=1.234",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).contains("this currency has 2"),
        "{}",
        text(&output)
    );
    assert!(!out.exists());
}

#[test]
fn help_shows_the_commands_and_an_example() {
    let said = text(&run(&["--help"]));
    for want in [
        "init",
        "validate",
        "--json",
        "vellum-genesis init --validators 4 --out",
    ] {
        assert!(said.contains(want), "{want}: {said}");
    }
    let said = text(&run(&["init", "--help"]));
    for want in [
        "--validators",
        "--base-port",
        "P+3i",
        "--account",
        "--force",
    ] {
        assert!(said.contains(want), "{want}: {said}");
    }
}
