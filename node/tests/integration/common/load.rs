//! A steady load of transfers from a few accounts that survives nodes going away, and the check
//! that ends the tests using it: every accepted transaction committed exactly once, at the same
//! place on every node, and every account agrees.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use jsonrpsee::http_client::HttpClient;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use vellum_protocol::genesis::GenesisAccount;
use vellum_protocol::rpc::{BlockId, SubmitOutcome, TxStatus, VellumApiClient};
use vellum_protocol::{Address, Amount, Encode, Hash, Keypair, Operation, SignedTransaction};

use super::{Localnet, eventually, height, signed};

/// Accounts sending at once; one transaction each per tick.
pub const SENDERS: u8 = 8;
const TICK: Duration = Duration::from_millis(40);
const BALANCE: u128 = 1_000_000;

fn sender_key(i: u8) -> Keypair {
    Keypair::from_seed(&[i + 1; 32])
}

/// The senders' genesis accounts.
pub fn accounts() -> Vec<GenesisAccount> {
    (0..SENDERS)
        .map(|i| GenesisAccount {
            address: Address::from_public_key(&sender_key(i).public()),
            balance: Amount(BALANCE),
        })
        .collect()
}

/// Every transaction a node accepted, by sender and nonce.
pub type Accepted = BTreeMap<(u8, u64), Hash>;

/// The load while it runs.
pub struct Load {
    accepted: Arc<Mutex<Accepted>>,
    stop: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Load {
    /// Offers one transfer to `to` per sender per tick to `clients` in turn.
    pub fn start(clients: Vec<HttpClient>, chain_id: String, to: Address) -> Load {
        let accepted = Arc::new(Mutex::new(Accepted::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(offer(clients, chain_id, to, accepted.clone(), stop.clone()));
        Load {
            accepted,
            stop,
            task,
        }
    }

    /// Stops offering; what was accepted.
    pub async fn stop(self) -> Accepted {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
        self.accepted.lock().await.clone()
    }
}

/// Each nonce is signed once: a nonce that was refused, or whose answer was lost, is offered
/// again as the same bytes (a new signature would be another transaction for the same nonce,
/// refused for ever if the first one had been taken). "Nonce too low" for those bytes means
/// they were committed. "Nonce too high" means accepted transactions were lost before they
/// were committed (every validator stopped, and with them every mempool): as a wallet does
/// from its outbox, the load goes back to the account's next nonce and offers the same bytes
/// again from there.
async fn offer(
    clients: Vec<HttpClient>,
    chain_id: String,
    to: Address,
    accepted: Arc<Mutex<Accepted>>,
    stop: Arc<AtomicBool>,
) {
    let keys: Vec<Keypair> = (0..SENDERS).map(sender_key).collect();
    let mut next = vec![0u64; SENDERS as usize];
    let mut signed_by_nonce: Vec<HashMap<u64, SignedTransaction>> =
        vec![HashMap::new(); SENDERS as usize];
    let mut offered: Vec<Option<SignedTransaction>> = vec![None; SENDERS as usize];
    let mut turn = 0usize;
    // After `stop`, transactions accepted and then lost are still offered again, for a while.
    let mut stopped_at: Option<Instant> = None;
    loop {
        if stop.load(Ordering::Relaxed) {
            let since = *stopped_at.get_or_insert_with(Instant::now);
            let accepted = accepted.lock().await;
            let behind = (0..SENDERS).any(|i| {
                accepted
                    .range((i, 0)..=(i, u64::MAX))
                    .next_back()
                    .is_some_and(|((_, highest), _)| next[i as usize] <= *highest)
            });
            if !behind || since.elapsed() > Duration::from_secs(60) {
                break;
            }
        }
        for (i, key) in keys.iter().enumerate() {
            let nonce = next[i];
            offered[i].get_or_insert_with(|| {
                signed_by_nonce[i]
                    .entry(nonce)
                    .or_insert_with(|| {
                        let op = Operation::Transfer {
                            to,
                            amount: Amount(1),
                            memo: format!("load {nonce}"),
                        };
                        signed(&chain_id, key, nonce, op)
                    })
                    .clone()
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
            let named = |o: &SubmitOutcome, name: &str| match o {
                SubmitOutcome::Refused { error } => {
                    error.data.as_ref().is_some_and(|d| d["name"] == name)
                }
                SubmitOutcome::Accepted(_) => false,
            };
            for (i, outcome) in outcomes.iter().enumerate() {
                if matches!(outcome, SubmitOutcome::Accepted(_)) || named(outcome, "nonce_too_low")
                {
                    let tx = offered[i].take().expect("offered");
                    accepted.lock().await.insert((i as u8, next[i]), tx.hash());
                    next[i] += 1;
                } else if named(outcome, "nonce_too_high") {
                    let address = Address::from_public_key(&keys[i].public());
                    if let Ok(account) = clients[turn].account_get(address).await {
                        next[i] = account.pending_nonce.unwrap_or(account.nonce);
                        offered[i] = None;
                    }
                }
            }
        }
        tokio::time::sleep(TICK).await;
    }
}

/// Every accepted transaction is committed, every node reaches the same blocks, each
/// transaction is in `witness`'s chain exactly once where its status says, and every node
/// shows each sender's nonce and balance after exactly its accepted transfers.
pub async fn assert_exactly_once(
    ln: &Localnet,
    accepted: &Accepted,
    witness: usize,
    deadline: Instant,
) {
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
    let all: Vec<usize> = (0..ln.clients.len()).collect();
    for &i in &all {
        eventually(&format!("node{i} at height {top}"), deadline, || async {
            (height(&ln.clients[i]).await? >= top).then_some(())
        })
        .await;
    }
    ln.assert_same_blocks(&all, top, deadline).await;

    let mut place = HashMap::new();
    for h in 1..=top {
        let block = ln.clients[witness]
            .chain_get_block(BlockId::Height(h), None)
            .await
            .unwrap()
            .expect("a block at every height");
        for (index, tx) in block.tx_hashes.into_iter().enumerate() {
            let earlier = place.insert(tx, (h, index as u32));
            assert!(earlier.is_none(), "transaction {tx} committed twice");
        }
        // Within the RPC's rate limit of 1000 requests per second, which `assert_same_blocks`
        // has just drawn on: read back at full speed, the witness refused with -32005.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    for ((sender, nonce), hash) in accepted {
        let Some(&(height, index)) = place.get(hash) else {
            panic!("sender {sender} nonce {nonce} lost");
        };
        match ln.clients[witness].tx_get(*hash).await.unwrap().status {
            TxStatus::Committed {
                height: h,
                index: i,
                ..
            } => assert_eq!((h, i), (height, index), "sender {sender} nonce {nonce}"),
            other => panic!("sender {sender} nonce {nonce} on node{witness}: {other:?}"),
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
            assert_eq!(account.balance, Amount(BALANCE - sent as u128));
        }
    }
}
