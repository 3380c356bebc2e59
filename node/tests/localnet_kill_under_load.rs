//! Kill a validator mid-commit, again and again, while transactions keep arriving: each time it
//! reopens its store, syncs the blocks it missed while the chain keeps growing, and rejoins; at
//! the end every node holds the same block at every height, every accepted transaction is
//! committed exactly once, at the same place on every node, and every account agrees. Real
//! processes on free 127.0.0.1 ports, bounded in time, cleaned up however the test ends.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Localnet, eventually, height, signed};
use jsonrpsee::http_client::HttpClient;
use tokio::sync::Mutex;
use vellum_genesis::init::InitOptions;
use vellum_protocol::genesis::GenesisAccount;
use vellum_protocol::rpc::{BlockId, SubmitOutcome, TxStatus, VellumApiClient};
use vellum_protocol::{Address, Amount, Encode, Hash, Keypair, Operation, SignedTransaction};

/// Times the validator is killed.
const KILLS: u64 = 20;
/// Accounts sending at once; one transaction each per tick.
const SENDERS: u8 = 8;
const TICK: Duration = Duration::from_millis(40);
/// The validator that is killed; the load goes to the others.
const VICTIM: usize = 3;

fn sender_key(i: u8) -> Keypair {
    Keypair::from_seed(&[i + 1; 32])
}

/// Every transaction a node accepted, by sender and nonce.
type Accepted = Arc<Mutex<BTreeMap<(u8, u64), Hash>>>;

/// Offers one transfer per sender per tick to nodes 0..VICTIM in turn, until `stop`. Each
/// nonce is signed once: a nonce that was refused, or whose answer was lost, is offered again
/// as the same bytes (a new signature would be another transaction for the same nonce, refused
/// for ever if the first one had been taken). "Nonce too low" for those bytes means they were
/// committed.
async fn load(
    clients: Vec<HttpClient>,
    chain_id: String,
    to: Address,
    accepted: Accepted,
    stop: Arc<AtomicBool>,
) {
    let keys: Vec<Keypair> = (0..SENDERS).map(sender_key).collect();
    let mut next = vec![0u64; SENDERS as usize];
    let mut offered: Vec<Option<SignedTransaction>> = vec![None; SENDERS as usize];
    let mut turn = 0usize;
    while !stop.load(Ordering::Relaxed) {
        for (i, key) in keys.iter().enumerate() {
            offered[i].get_or_insert_with(|| {
                let op = Operation::Transfer {
                    to,
                    amount: Amount(1),
                    memo: format!("load {}", next[i]),
                };
                signed(&chain_id, key, next[i], op)
            });
        }
        let batch: Vec<String> = offered
            .iter()
            .map(|t| hex::encode(t.as_ref().expect("signed above").to_bytes()))
            .collect();
        turn = (turn + 1) % clients.len();
        let answer = clients[turn].tx_submit_batch(batch).await;
        if let Err(e) = &answer {
            eprintln!("load: node{turn}: {e}");
        }
        if let Ok(outcomes) = answer {
            for o in &outcomes {
                if let SubmitOutcome::Refused { error } = o {
                    eprintln!(
                        "load: node{turn} refused: {} {:?}",
                        error.message, error.data
                    );
                }
            }
            let mut accepted = accepted.lock().await;
            for (i, outcome) in outcomes.into_iter().enumerate() {
                let taken = match &outcome {
                    SubmitOutcome::Accepted(_) => true,
                    SubmitOutcome::Refused { error } => error
                        .data
                        .as_ref()
                        .is_some_and(|d| d["name"] == "nonce_too_low"),
                };
                if taken {
                    let tx = offered[i].take().expect("offered");
                    accepted.insert((i as u8, next[i]), tx.hash());
                    next[i] += 1;
                }
            }
        }
        tokio::time::sleep(TICK).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_killed_twenty_times_under_load_loses_and_repeats_nothing() {
    let deadline = Instant::now() + Duration::from_secs(240);
    let mut options = InitOptions::new(4, "");
    options.accounts = (0..SENDERS)
        .map(|i| GenesisAccount {
            address: Address::from_public_key(&sender_key(i).public()),
            balance: Amount(1_000_000),
        })
        .collect();
    let mut ln = Localnet::start(options, deadline).await;
    let to = ln.net.issuer.address;

    let accepted: Accepted = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let load = tokio::spawn(load(
        ln.clients[..VICTIM].to_vec(),
        ln.net.chain_id.clone(),
        to,
        accepted.clone(),
        stop.clone(),
    ));

    for kill in 0..KILLS {
        // Let it rejoin: up to the height the others had when it came back.
        let target = height(&ln.clients[0]).await.unwrap();
        eventually(
            &format!("node{VICTIM} synced (kill {kill})"),
            deadline,
            || async { (height(&ln.clients[VICTIM]).await? >= target).then_some(()) },
        )
        .await;
        // A different moment of the commit cycle each time.
        tokio::time::sleep(Duration::from_millis(37 * (kill % 11) + 5)).await;
        ln.kill(VICTIM);
        tokio::time::sleep(Duration::from_millis(100)).await;
        ln.restart(VICTIM);
        ln.wait_rpc(VICTIM, deadline).await;
    }
    stop.store(true, Ordering::Relaxed);
    load.await.unwrap();
    let accepted = accepted.lock().await.clone();
    eprintln!(
        "{} transactions accepted during {KILLS} kills",
        accepted.len()
    );
    assert!(
        accepted.len() >= 200,
        "too little load to mean anything: {} transactions",
        accepted.len()
    );

    // Everything accepted commits; the victim catches up to the same height.
    let mut top = 0;
    for hash in accepted.values() {
        top = top.max(
            eventually("every accepted transaction committed", deadline, || async {
                match ln.clients[0].tx_get(*hash).await.ok()?.status {
                    TxStatus::Committed { height, .. } => Some(height),
                    _ => None,
                }
            })
            .await,
        );
    }
    for i in 1..4 {
        eventually(&format!("node{i} at height {top}"), deadline, || async {
            (height(&ln.clients[i]).await? >= top).then_some(())
        })
        .await;
    }
    ln.assert_same_blocks(&[0, 1, 2, 3], top, deadline).await;

    // Each transaction exactly once in the victim's chain, and its index says where.
    let mut place = HashMap::new();
    for h in 1..=top {
        let block = ln.clients[VICTIM]
            .chain_get_block(BlockId::Height(h), None)
            .await
            .unwrap()
            .expect("a block at every height");
        for (index, tx) in block.tx_hashes.into_iter().enumerate() {
            let earlier = place.insert(tx, (h, index as u32));
            assert!(earlier.is_none(), "transaction {tx} committed twice");
        }
    }
    for ((sender, nonce), hash) in &accepted {
        let Some(&(height, index)) = place.get(hash) else {
            panic!("sender {sender} nonce {nonce} lost");
        };
        match ln.clients[VICTIM].tx_get(*hash).await.unwrap().status {
            TxStatus::Committed {
                height: h,
                index: i,
                ..
            } => assert_eq!((h, i), (height, index), "sender {sender} nonce {nonce}"),
            other => panic!("sender {sender} nonce {nonce} on node{VICTIM}: {other:?}"),
        }
        // Within the RPC's rate limit of 1000 requests per second.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    for i in 0..SENDERS {
        let address = Address::from_public_key(&sender_key(i).public());
        let sent = accepted.keys().filter(|(s, _)| *s == i).count() as u64;
        for c in &ln.clients {
            let account = c.account_get(address).await.unwrap();
            assert_eq!(account.nonce, sent);
            assert_eq!(account.balance, Amount(1_000_000 - sent as u128));
        }
    }
    let log = std::fs::read_to_string(ln.log(VICTIM)).unwrap();
    assert!(!log.contains("panicked"), "node{VICTIM} panicked");
}
