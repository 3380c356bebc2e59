use super::*;
use crate::keys::peer_id_from_seed;

fn peer(n: u8) -> PeerId {
    peer_id_from_seed(&[n; 32])
}

#[test]
fn the_documented_example_parses_to_the_defaults_it_shows() {
    let text = format!(
        r#"
# Vellum node configuration (written by vellum-genesis)
moniker = "node0"
chain_id = "vellum-localnet"
genesis_file = "genesis.json"
data_dir = "data"
consensus_key_file = "keys/consensus.json"
node_key_file = "keys/node.json"

[p2p]
listen = "/ip4/127.0.0.1/tcp/26656"
peers = ["/ip4/127.0.0.1/tcp/26659/p2p/{}"]
observers = []

[rpc]
listen = "127.0.0.1:26657"
cors_origins = ["*"]
max_request_bytes = 1048576
max_connections = 256
requests_per_second = 1000

[metrics]
listen = "127.0.0.1:26658"

[mempool]
max_txs = 100000
max_bytes = 67108864
max_per_account = 64

[consensus]
heartbeat_ms = 0
"#,
        peer(1)
    );
    let config = NodeConfig::from_toml(&text).unwrap();
    let mut expected = NodeConfig::default();
    expected.p2p.peers = vec![format!("/ip4/127.0.0.1/tcp/26659/p2p/{}", peer(1))];
    assert_eq!(config, expected);
    assert_eq!(config.validate(), vec![]);
}

#[test]
fn an_empty_file_is_the_default_config() {
    assert_eq!(NodeConfig::from_toml("").unwrap(), NodeConfig::default());
    assert_eq!(NodeConfig::default().validate(), vec![]);
}

#[test]
fn a_written_config_reads_back_the_same() {
    let mut config = NodeConfig {
        moniker: "node3".into(),
        ..NodeConfig::default()
    };
    config.p2p.peers = vec![
        format!("/ip4/127.0.0.1/tcp/1000/p2p/{}", peer(1)),
        format!("/ip4/127.0.0.1/tcp/1003/p2p/{}", peer(2)),
    ];
    config.p2p.observers = vec![peer(9).to_string()];
    config.consensus.heartbeat_ms = 1000;
    let text = config.to_toml();
    assert!(text.starts_with("# Vellum node configuration"), "{text}");
    assert_eq!(NodeConfig::from_toml(&text).unwrap(), config);
}

#[test]
fn an_unknown_field_is_refused_with_its_line() {
    let err = NodeConfig::from_toml("moniker = \"a\"\n\n[rpc]\nlisten_addr = \"x\"\n").unwrap_err();
    let ConfigError::Parse {
        line,
        column,
        message,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!((*line, *column), (4, 1), "{err}");
    assert!(message.contains("listen_addr"), "{err}");
    assert!(
        err.to_string().starts_with("config.toml, line 4 column 1:"),
        "{err}"
    );
}

#[test]
fn a_wrong_type_or_a_bad_socket_address_names_its_line() {
    for (text, want_line) in [
        ("[rpc]\nmax_connections = \"many\"\n", 2),
        ("[mempool]\nmax_txs = -1\n", 2),
        ("moniker = \"n\"\n[metrics]\nlisten = \"localhost:80\"\n", 3),
        ("moniker = \"unterminated\n", 1),
    ] {
        match NodeConfig::from_toml(text) {
            Err(ConfigError::Parse { line, .. }) => assert_eq!(line, want_line, "{text}"),
            other => panic!("{text}: {other:?}"),
        }
    }
}

#[test]
fn validate_lists_every_fault_with_what_to_change() {
    let mut config = NodeConfig {
        moniker: " ".into(),
        ..NodeConfig::default()
    };
    config.p2p.listen = "127.0.0.1:26656".into();
    config.p2p.peers = vec![
        "/ip4/127.0.0.1/tcp/1".into(),
        format!("/ip4/127.0.0.1/tcp/2/p2p/{}", peer(1)),
        format!("/ip4/127.0.0.2/tcp/3/p2p/{}", peer(1)),
    ];
    config.p2p.observers = vec!["not-a-peer".into()];
    config.metrics.listen = config.rpc.listen;
    config.rpc.cors_origins = vec!["*".into(), "wallet.example".into()];
    config.rpc.max_connections = 0;
    config.mempool.max_per_account = config.mempool.max_txs + 1;
    let faults = config.validate();
    assert_eq!(
        faults,
        vec![
            ConfigFault::Empty { field: "moniker" },
            ConfigFault::BadListen {
                value: "127.0.0.1:26656".into(),
                reason: "a multiaddr starts with '/'".into()
            },
            ConfigFault::BadPeer {
                index: 0,
                value: "/ip4/127.0.0.1/tcp/1".into(),
                reason: "it has no /p2p/PEER_ID at the end".into()
            },
            ConfigFault::DuplicatePeer { index: 2, first: 1 },
            ConfigFault::BadObserver {
                index: 0,
                value: "not-a-peer".into()
            },
            ConfigFault::SharedPort {
                first: "rpc.listen",
                second: "metrics.listen",
                port: 26657
            },
            ConfigFault::BadCorsOrigin {
                index: 1,
                value: "wallet.example".into()
            },
            ConfigFault::Zero {
                field: "rpc.max_connections"
            },
            ConfigFault::PerAccountAboveTotal {
                per_account: 100_001,
                max_txs: 100_000
            },
        ]
    );
    for fault in &faults {
        let text = fault.to_string();
        assert!(text.contains(';') || text.contains("must"), "{text}");
    }
}

#[test]
fn a_p2p_port_shared_with_a_wildcard_listener_is_a_fault() {
    let mut config = NodeConfig::default();
    config.rpc.listen = "0.0.0.0:26656".parse().unwrap();
    assert_eq!(
        config.validate(),
        vec![ConfigFault::SharedPort {
            first: "p2p.listen",
            second: "rpc.listen",
            port: 26656
        }]
    );
    config.rpc.listen = "127.0.0.1:0".parse().unwrap();
    config.metrics.listen = "127.0.0.1:0".parse().unwrap();
    assert_eq!(config.validate(), vec![], "port 0 means any free port");
}

#[test]
fn load_names_the_file_in_its_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(CONFIG_FILE);
    assert!(matches!(
        NodeConfig::load(&path),
        Err(ConfigError::Io { .. })
    ));
    std::fs::write(&path, "[rpc]\nmax_connections = 0\n").unwrap();
    let err = NodeConfig::load(&path).unwrap_err();
    assert!(matches!(err, ConfigError::Invalid { .. }));
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("1. rpc.max_connections is 0"), "{text}");
    std::fs::write(&path, "[rpc\n").unwrap();
    let text = NodeConfig::load(&path).unwrap_err().to_string();
    assert!(
        text.starts_with(&format!("{}, line 1", path.display())),
        "{text}"
    );
}

#[test]
fn relative_paths_are_taken_from_the_home_directory() {
    let home = Path::new("/srv/vellum/node0");
    assert_eq!(
        NodeConfig::resolve(home, Path::new("keys/node.json")),
        home.join("keys/node.json")
    );
    assert_eq!(
        NodeConfig::resolve(home, Path::new("/etc/genesis.json")),
        PathBuf::from("/etc/genesis.json")
    );
}
