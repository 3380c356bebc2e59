//! Signing and sending one transaction: the checks before signing, the nonce, the submission
//! and its retries, and the one outcome reported.
//!
//! Order: the sender's account is checked (not frozen, enough balance once this wallet's
//! pending transactions are counted) before the password is asked; then, holding the
//! account's outbox lock, the nonce is chosen (see [`crate::outbox`]), the transaction is
//! signed, written to the outbox and submitted. A transport error during submission is retried
//! with the same bytes, and so is a full mempool's refusal, after the wait the node asks for
//! (`retry_after_ms`), for up to [`BUSY_WAIT`] in all; any other refusal removes it from the
//! outbox. Then, unless `--no-wait`, the
//! wallet waits for the final status (see [`crate::finality`]) and reports the block and the
//! time from submission to finality.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;
use vellum_protocol::rpc::{AccountView, ChainStatus, TxInfo, TxStatus, VellumApiClient};
use vellum_protocol::{Address, Amount, Encode, Keypair, Operation, Transaction};

use crate::amounts::show;
use crate::commands::Context;
use crate::exit::WalletError;
use crate::finality::wait_final;
use crate::keys::keystore::now_ms;
use crate::keys::secrets::{self, PasswordUse};
use crate::node::{Node, asked_wait, is_transport, wait_as_asked};
use crate::ops::describe;
use crate::outbox::{LockedOutbox, OutboxEntry};
use crate::output::Report;

/// How long a transaction stays valid: long enough to reach a block through a busy pool,
/// short enough that a lost one is soon known to be dead.
pub const EXPIRY: Duration = Duration::from_secs(300);
/// How long after the expiry the wallet still waits for the node to report the outcome.
const WAIT_GRACE: Duration = Duration::from_secs(30);
/// The longest a command waits in all for a full mempool to make room, sending the same
/// transaction again each time the node's refusal says to.
pub const BUSY_WAIT: Duration = Duration::from_secs(60);
/// Delays between submission attempts after transport errors.
const RETRY_DELAYS: [Duration; 3] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
];

/// One signing command's transaction.
#[derive(Debug, Clone)]
pub struct Request {
    /// The wallet key that signs.
    pub key_name: String,
    pub op: Operation,
    /// What the operation takes from the sender's balance (transfer, burn).
    pub spend: Amount,
    /// A nonce the user chose instead of the next free one.
    pub nonce: Option<u64>,
    pub wait: bool,
}

/// Signs and sends `req` on the chain described by `chain`.
pub async fn send(
    ctx: &Context,
    node: &Node,
    chain: &ChainStatus,
    req: Request,
) -> Result<Report, WalletError> {
    let keystore = ctx.keystore();
    let stored = keystore.load(&req.key_name)?;
    let sender = stored.address;
    if let Operation::Transfer { to, .. } = &req.op
        && *to == sender
    {
        return Err(WalletError::Usage(format!(
            "--to is key {:?}'s own address: a transfer goes to another account",
            stored.name
        )));
    }

    // Checked before the password is asked, and again under the lock.
    let account = account_of(node, &sender).await?;
    let pending = {
        let mut locked = LockedOutbox::open(&ctx.home, &sender)?;
        locked.outbox.prune(account.nonce, now_ms());
        locked.outbox.pending_spend()
    };
    check_sender(&account, pending, req.spend, chain.decimals)?;

    let key = {
        let password = secrets::password(
            ctx.password_file.as_deref(),
            &stored.name,
            PasswordUse::Unlock,
        )?;
        keystore.unlock(&stored, password.as_bytes())?
    };

    let mut locked = LockedOutbox::open(&ctx.home, &sender)?;
    let (account, next_nonce) = reconcile(node, &sender, &mut locked).await?;
    check_sender(
        &account,
        locked.outbox.pending_spend(),
        req.spend,
        chain.decimals,
    )?;
    let entry = sign(&key, chain, req.nonce.unwrap_or(next_nonce), req.op.clone());
    locked.outbox.record(entry.clone());
    locked.save()?;

    let started = Instant::now();
    match submit(node, &entry.tx_hex).await {
        Ok(()) => {}
        Err(e) if is_transport(&e) => {
            return Err(WalletError::Unreachable(format!(
                "{e}; transaction {} (nonce {}) may or may not have reached the node: check \
                 it with `vellum-wallet tx {}`; the next command sends it again first",
                entry.hash, entry.nonce, entry.hash
            )));
        }
        Err(refusal) => {
            locked.outbox.remove(&entry.hash);
            locked.save()?;
            return Err(refusal);
        }
    }
    drop(locked);

    let summary = describe(&req.op, chain.decimals);
    let mut json = json!({
        "hash": entry.hash,
        "sender": sender,
        "nonce": entry.nonce,
        "expiry_ms": entry.expiry_ms,
        "op": req.op,
        "summary": summary,
    });
    if !req.wait {
        json["status"] = json!("pending");
        let text = format!(
            "submitted: {summary}\n  tx     {}\n  nonce  {}\nnot waiting for a block; follow it with `vellum-wallet tx {}`",
            entry.hash, entry.nonce, entry.hash
        );
        return Ok(Report::new(json, text));
    }

    let deadline = started + EXPIRY + WAIT_GRACE;
    let info = wait_final(node, &entry, deadline).await?;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    if let Ok(mut locked) = LockedOutbox::open(&ctx.home, &sender) {
        locked.outbox.remove(&entry.hash);
        let _ = locked.save();
    }
    outcome(json, &summary, &info, elapsed_ms)
}

/// The report of a final status: committed is success; rejected and expired are refusals.
fn outcome(
    mut json: Value,
    summary: &str,
    info: &TxInfo,
    elapsed_ms: u64,
) -> Result<Report, WalletError> {
    json["elapsed_ms"] = json!(elapsed_ms);
    match &info.status {
        TxStatus::Committed {
            height,
            index,
            block_hash,
        } => {
            json["status"] = json!("committed");
            json["height"] = json!(height);
            json["index"] = json!(index);
            json["block_hash"] = json!(block_hash);
            let text = format!(
                "committed: {summary}\n  tx     {}\n  block  {height} (index {index})\n  final  {elapsed_ms} ms after submission",
                info.hash
            );
            Ok(Report::new(json, text))
        }
        TxStatus::Rejected {
            code,
            reason,
            message,
            height,
        } => {
            json["status"] = json!("rejected");
            json["reject"] = json!({"code": code, "reason": reason, "message": message});
            json["height"] = json!(height);
            let place = height.map(|h| format!(" in block {h}")).unwrap_or_default();
            Err(WalletError::Refused {
                message: format!(
                    "transaction {} was rejected{place}: {message} ({reason})",
                    info.hash
                ),
                data: Some(json),
            })
        }
        _ => {
            json["status"] = json!("expired");
            Err(WalletError::Refused {
                message: format!(
                    "transaction {} expired before a block included it; nothing was spent: \
                     send it again",
                    info.hash
                ),
                data: Some(json),
            })
        }
    }
}

fn sign(key: &Keypair, chain: &ChainStatus, nonce: u64, op: Operation) -> OutboxEntry {
    let expiry_ms = now_ms() + EXPIRY.as_millis() as u64;
    let stx = Transaction {
        chain_id: chain.chain_id.clone(),
        sender: key.public(),
        nonce,
        expiry_ms,
        op,
    }
    .sign(key);
    OutboxEntry {
        nonce,
        hash: stx.hash(),
        expiry_ms,
        tx_hex: hex::encode(stx.to_bytes()),
    }
}

/// Prunes the outbox against the chain, submits again what the node lacks, and returns the
/// fresh account and the nonce to sign next.
async fn reconcile(
    node: &Node,
    sender: &Address,
    locked: &mut LockedOutbox,
) -> Result<(AccountView, u64), WalletError> {
    let mut account = account_of(node, sender).await?;
    locked.outbox.prune(account.nonce, now_ms());
    let node_next = account.pending_nonce.unwrap_or(account.nonce);
    let missing = locked.outbox.unknown_to_node(node_next);
    if !missing.is_empty() {
        for entry in &missing {
            match submit(node, &entry.tx_hex).await {
                Ok(()) => {}
                Err(e) if is_transport(&e) => return Err(e),
                Err(_) => locked.outbox.remove(&entry.hash),
            }
        }
        locked.save()?;
        account = account_of(node, sender).await?;
        locked.outbox.prune(account.nonce, now_ms());
    }
    let node_next = account.pending_nonce.unwrap_or(account.nonce);
    Ok((account, locked.outbox.next_nonce(node_next)))
}

/// Refuses a frozen sender, or a spend beyond the balance less the pending spend.
pub fn check_sender(
    account: &AccountView,
    pending: Amount,
    spend: Amount,
    decimals: u8,
) -> Result<(), WalletError> {
    if account.frozen {
        return Err(WalletError::refused(format!(
            "account {} is frozen: it cannot send until an admin unfreezes it",
            account.address
        )));
    }
    if spend.is_zero() {
        return Ok(());
    }
    let available = account.balance.checked_sub(pending).unwrap_or(Amount::ZERO);
    if spend > available {
        let pending_note = if pending.is_zero() {
            String::new()
        } else {
            format!(
                " ({} of it is spent by this wallet's pending transactions)",
                show(pending, decimals)
            )
        };
        return Err(WalletError::Refused {
            message: format!(
                "insufficient funds: account {} has {}{pending_note}; this needs {}",
                account.address,
                show(account.balance, decimals),
                show(spend, decimals)
            ),
            data: Some(json!({
                "balance": account.balance,
                "pending": pending,
                "needed": spend,
            })),
        });
    }
    Ok(())
}

async fn account_of(node: &Node, address: &Address) -> Result<AccountView, WalletError> {
    node.api()
        .account_get(*address)
        .await
        .map_err(|e| node.error(e))
}

/// Submits `tx_hex`, again with the same bytes after a transport error, or after the wait a
/// full mempool asks for.
async fn submit(node: &Node, tx_hex: &str) -> Result<(), WalletError> {
    let mut delays = RETRY_DELAYS.iter();
    let mut busy_waited = Duration::ZERO;
    loop {
        match node.api().tx_submit(tx_hex.to_string()).await {
            Ok(_) => return Ok(()),
            Err(e) => {
                let e = node.error(e);
                if let Some(wait) = busy_retry(&e, busy_waited) {
                    wait_as_asked(wait).await;
                    busy_waited += wait;
                    continue;
                }
                match delays.next() {
                    Some(delay) if is_transport(&e) => tokio::time::sleep(*delay).await,
                    _ => return Err(e),
                }
            }
        }
    }
}

/// How long to wait before sending again after `e`: the wait a full mempool asked for
/// ([`asked_wait`]), if the command, having waited `waited` already, may still wait that long
/// within [`BUSY_WAIT`].
fn busy_retry(e: &WalletError, waited: Duration) -> Option<Duration> {
    asked_wait(e).filter(|wait| waited + *wait <= BUSY_WAIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exit::EXIT_REFUSED;
    use vellum_protocol::Hash;
    use vellum_protocol::rpc::error::TX_BUSY;

    fn account(balance: u128, frozen: bool) -> AccountView {
        AccountView {
            address: Address([1; 20]),
            balance: Amount(balance),
            nonce: 0,
            pending_nonce: None,
            frozen,
        }
    }

    #[test]
    fn insufficient_funds_are_refused_before_signing_counting_pending_spends() {
        assert!(check_sender(&account(1000, false), Amount(0), Amount(1000), 2).is_ok());
        let e = check_sender(&account(1000, false), Amount(0), Amount(1001), 2).unwrap_err();
        assert_eq!(e.exit_code(), EXIT_REFUSED);
        assert!(e.to_string().contains("has 10.00; this needs 10.01"), "{e}");
        let e = check_sender(&account(1000, false), Amount(600), Amount(500), 2).unwrap_err();
        assert!(e.to_string().contains("6.00 of it is spent"), "{e}");
    }

    #[test]
    fn a_full_mempool_is_waited_out_only_as_long_as_the_wallet_may() {
        let asks = WalletError::Node {
            code: TX_BUSY,
            message: "the mempool is full".into(),
            data: Some(json!({"code": 100, "name": "mempool_full", "retry_after_ms": 2500})),
        };
        assert_eq!(
            busy_retry(&asks, Duration::ZERO),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(
            busy_retry(&asks, BUSY_WAIT - Duration::from_millis(2500)),
            Some(Duration::from_millis(2500))
        );
        assert_eq!(busy_retry(&asks, BUSY_WAIT - Duration::from_secs(2)), None);
    }

    #[test]
    fn a_frozen_sender_is_refused_even_for_free_operations() {
        let e = check_sender(&account(1000, true), Amount(0), Amount(0), 2).unwrap_err();
        assert!(e.to_string().contains("frozen"), "{e}");
    }

    fn info(status: TxStatus) -> TxInfo {
        TxInfo {
            hash: Hash([7; 32]),
            status,
            tx: None,
        }
    }

    #[test]
    fn a_committed_outcome_reports_block_and_time() {
        let r = outcome(
            json!({"hash": Hash([7; 32])}),
            "transfer 1.00 to x",
            &info(TxStatus::Committed {
                height: 42,
                index: 1,
                block_hash: Hash([8; 32]),
            }),
            812,
        )
        .unwrap();
        assert_eq!(r.json["status"], "committed");
        assert_eq!(r.json["height"], 42);
        assert_eq!(r.json["elapsed_ms"], 812);
        assert!(r.text.contains("block  42 (index 1)"), "{}", r.text);
        assert!(r.text.contains("812 ms"), "{}", r.text);
    }

    #[test]
    fn rejected_and_expired_outcomes_are_refusals_with_details() {
        let e = outcome(
            json!({}),
            "s",
            &info(TxStatus::Rejected {
                code: 20,
                reason: "insufficient_funds".into(),
                message: "the balance is 1".into(),
                height: Some(9),
            }),
            5,
        )
        .unwrap_err();
        assert_eq!(e.exit_code(), EXIT_REFUSED);
        assert!(e.to_string().contains("rejected in block 9"), "{e}");
        assert_eq!(e.to_json()["error"]["data"]["reject"]["code"], 20);
        let e = outcome(json!({}), "s", &info(TxStatus::Expired), 5).unwrap_err();
        assert!(e.to_string().contains("expired"), "{e}");
    }

    #[test]
    fn a_signed_entry_carries_the_chain_nonce_and_a_future_expiry() {
        let key = Keypair::from_seed(&[3; 32]);
        let chain = ChainStatus {
            chain_id: "vellum-test".into(),
            height: 1,
            latest_block_hash: Hash::ZERO,
            latest_block_time_ms: 0,
            validators: 1,
            decimals: 2,
            genesis_hash: Hash::ZERO,
            syncing: false,
            peers: 0,
        };
        let e = sign(&key, &chain, 7, Operation::Burn { amount: Amount(1) });
        let stx = vellum_protocol::rpc::decode_signed_tx_hex(&e.tx_hex).unwrap();
        assert_eq!((stx.tx.nonce, stx.tx.chain_id.as_str()), (7, "vellum-test"));
        assert_eq!(stx.hash(), e.hash);
        assert!(stx.verify_signature().is_ok());
        assert!(e.expiry_ms > now_ms());
    }
}
