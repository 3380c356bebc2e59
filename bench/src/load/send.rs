//! The open-loop sender: each tick's batches leave when the tick is due by wall clock, each in
//! its own task, whatever became of the earlier ones; many batches may be in flight at once.
//! A sender that falls behind its schedule (a busy machine) sends the late tick at once and
//! reports how late it was, so the offered rate is never silently lower than asked.
//!
//! With a [`Resend`] policy, a batch's task sends the transactions refused for a reason that
//! may pass later (the pool was full, a nonce before them was refused, ...) again, to the
//! same node and in the same order, as a wallet does, until they are accepted or the
//! offering ends. It waits as long as the node's refusal asks (`retry_after_ms`, the longest
//! in the batch); when the node does not say, the pause doubles with each try (up to
//! [`MAX_RESEND_PAUSE`]). (A fixed pause of 250 ms at 15,000 tx/s offered sent 3.3 million
//! repeats in 60 s, 15,000 batches in flight: the clients' storm, not the network, was then
//! what the run measured.)
//! Without it, each transaction is sent once: every refusal then strands its sender's later
//! transactions behind the nonce gap it leaves.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonrpsee::core::ClientError;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClient;
use tokio::sync::watch;
use tokio::task::JoinSet;
use vellum_protocol::rpc::SubmitOutcome;
use vellum_protocol::rpc::error::retry_after_ms_of;

use super::{Batch, Plan, SubmitParams};
use crate::book::TxBook;

/// Refusals that may pass later: the transaction is sent again under a [`Resend`] policy.
pub const RETRYABLE: [&str; 7] = [
    "mempool_full",
    "account_limit",
    "nonce_too_high",
    "rate_limited",
    "unavailable",
    "request_timeout",
    "transport",
];

/// The longest pause before a refused transaction is sent again.
pub const MAX_RESEND_PAUSE: Duration = Duration::from_secs(4);

/// Send refused transactions again, `after` the first refusal (doubling with each further
/// one), until `until`.
#[derive(Debug, Clone, Copy)]
pub struct Resend {
    pub after: Duration,
    pub until: Instant,
}

/// How the sending went.
#[derive(Debug)]
pub struct SendStats {
    /// When the last batch left.
    pub last_sent: Instant,
    pub batches: u64,
    /// Most batches waiting for their answer at once.
    pub max_in_flight: usize,
    /// Per tick: how long after it was due it was sent.
    pub lateness: Vec<Duration>,
    /// Per batch: from sending to the answer.
    pub round_trips: Vec<Duration>,
    /// The run was stopped before the plan ended.
    pub stopped: bool,
}

/// Sends `plan` to `clients` (indexed by node), tick `k` at `start + k * interval`, until the
/// plan ends or `stop` turns true; returns once every batch sent has been answered (each is
/// bounded by the client's request timeout).
pub async fn send(
    plan: Plan,
    clients: Vec<HttpClient>,
    book: Arc<TxBook>,
    start: Instant,
    resend: Option<Resend>,
    mut stop: watch::Receiver<bool>,
) -> SendStats {
    let schedule = plan.schedule;
    let mut in_flight: JoinSet<Duration> = JoinSet::new();
    let mut stats = SendStats {
        last_sent: start,
        batches: 0,
        max_in_flight: 0,
        lateness: Vec::with_capacity(plan.ticks.len()),
        round_trips: Vec::with_capacity(plan.batches()),
        stopped: false,
    };
    for (k, tick) in plan.ticks.into_iter().enumerate() {
        let due = start + schedule.due(k as u64);
        if *stop.borrow() {
            stats.stopped = true;
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(due.into()) => {}
            _ = stop.changed() => { stats.stopped = true; break; }
        }
        let now = Instant::now();
        stats.lateness.push(now.saturating_duration_since(due));
        for batch in tick {
            let client = clients[batch.node].clone();
            in_flight.spawn(submit(client, batch, book.clone(), resend));
            stats.batches += 1;
        }
        stats.last_sent = now;
        stats.max_in_flight = stats.max_in_flight.max(in_flight.len());
        while let Some(done) = in_flight.try_join_next() {
            stats.round_trips.extend(done.ok());
        }
    }
    while let Some(done) = in_flight.join_next().await {
        stats.round_trips.extend(done.ok());
    }
    stats
}

/// Sends one batch and books the answers, sending the retryable refusals again under
/// `resend`; returns the first round trip.
async fn submit(
    client: HttpClient,
    batch: Batch,
    book: Arc<TxBook>,
    resend: Option<Resend>,
) -> Duration {
    let Batch {
        params,
        mut indices,
        ..
    } = batch;
    let mut params = Some(params);
    let mut first_round_trip = None;
    let mut pause = resend.map_or(Duration::ZERO, |r| r.after);
    loop {
        let sent = Instant::now();
        book.sent(&indices, sent);
        // Kept for a resend only; otherwise the parameters are handed over whole.
        let sending = match resend {
            Some(_) => params.clone(),
            None => params.take(),
        }
        .expect("parameters until the last send");
        let result: Result<Vec<SubmitOutcome>, ClientError> =
            client.request("tx_submitBatch", sending).await;
        first_round_trip.get_or_insert(sent.elapsed());
        let mut asked = None;
        let reasons: Vec<Option<String>> = match result {
            Ok(outcomes) if outcomes.len() == indices.len() => {
                asked = retry_after(&outcomes);
                outcomes.iter().map(refusal).collect()
            }
            Ok(_) => vec![Some("answer_count_mismatch".into()); indices.len()],
            Err(e) => vec![Some(batch_refusal(&e)); indices.len()],
        };
        book.answered(
            indices
                .iter()
                .copied()
                .zip(reasons.iter().map(|r| r.as_deref())),
        );
        let Some(policy) = resend else { break };
        let again = Instant::now() + asked.unwrap_or(pause);
        if again >= policy.until {
            break;
        }
        if asked.is_none() {
            pause = (pause * 2).min(MAX_RESEND_PAUSE.max(policy.after));
        }
        let txs = params.as_ref().map(SubmitParams::txs).unwrap_or_default();
        let (txs, again_indices) = to_send_again(txs, indices, &reasons);
        if txs.is_empty() {
            break;
        }
        params = Some(SubmitParams::new(&txs));
        indices = again_indices;
        tokio::time::sleep_until(again.into()).await;
    }
    first_round_trip.unwrap_or_default()
}

/// The transactions (and their numbers) whose refusal may pass later, in their order.
fn to_send_again(
    txs: Vec<String>,
    indices: Vec<u32>,
    reasons: &[Option<String>],
) -> (Vec<String>, Vec<u32>) {
    txs.into_iter()
        .zip(indices)
        .zip(reasons)
        .filter(|(_, r)| r.as_deref().is_some_and(|r| RETRYABLE.contains(&r)))
        .map(|(pair, _)| pair)
        .unzip()
}

/// The reason a transaction was refused: the stable name the node gives (`mempool_full`,
/// `account_limit`, ...), else its JSON-RPC code.
fn refusal(outcome: &SubmitOutcome) -> Option<String> {
    match outcome {
        SubmitOutcome::Accepted(_) => None,
        SubmitOutcome::Refused { error } => Some(
            error
                .data
                .as_ref()
                .and_then(|d| d.get("name"))
                .and_then(|n| n.as_str())
                .map_or_else(|| format!("rpc_error_{}", error.code), str::to_string),
        ),
    }
}

/// The longest wait the node asked for among a batch's refusals (`data.retry_after_ms`).
fn retry_after(outcomes: &[SubmitOutcome]) -> Option<Duration> {
    outcomes
        .iter()
        .filter_map(|o| match o {
            SubmitOutcome::Refused { error } => error.data.as_ref().and_then(retry_after_ms_of),
            SubmitOutcome::Accepted(_) => None,
        })
        .max()
        .map(Duration::from_millis)
}

/// The reason a whole batch failed, counted for each of its transactions.
fn batch_refusal(e: &ClientError) -> String {
    match e {
        ClientError::Call(obj) => match obj.code() {
            -32005 => "rate_limited".into(),
            -32001 => "unavailable".into(),
            -32602 => "invalid_params".into(),
            code => format!("rpc_error_{code}"),
        },
        ClientError::RequestTimeout => "request_timeout".into(),
        ClientError::Transport(_) | ClientError::RestartNeeded(_) => "transport".into(),
        ClientError::ParseError(_) => "unparsable_answer".into(),
        _ => "client_error".into(),
    }
}

#[cfg(test)]
mod tests {
    use vellum_protocol::rpc::ErrorView;

    use super::*;

    #[test]
    fn a_refusal_is_counted_by_the_nodes_stable_name_or_its_code() {
        let named = SubmitOutcome::Refused {
            error: ErrorView {
                code: -32017,
                message: "full".into(),
                data: Some(serde_json::json!({"code": 100, "name": "mempool_full"})),
            },
        };
        let bare = SubmitOutcome::Refused {
            error: ErrorView {
                code: -32603,
                message: "?".into(),
                data: None,
            },
        };
        assert_eq!(refusal(&named).as_deref(), Some("mempool_full"));
        assert_eq!(refusal(&bare).as_deref(), Some("rpc_error_-32603"));
    }

    #[test]
    fn a_batch_waits_as_long_as_its_longest_asked_wait() {
        let full = |ms: u64| SubmitOutcome::Refused {
            error: ErrorView {
                code: -32017,
                message: "full".into(),
                data: Some(serde_json::json!({
                    "code": 100, "name": "mempool_full", "retry_after_ms": ms
                })),
            },
        };
        let gap = SubmitOutcome::Refused {
            error: ErrorView {
                code: -32013,
                message: "gap".into(),
                data: Some(serde_json::json!({"code": 6, "name": "nonce_too_high"})),
            },
        };
        assert_eq!(
            retry_after(&[full(300), gap.clone(), full(1_200)]),
            Some(Duration::from_millis(1_200))
        );
        assert_eq!(retry_after(&[gap]), None);
    }

    #[test]
    fn only_refusals_that_may_pass_later_are_sent_again_in_their_order() {
        let txs: Vec<String> = ["a", "b", "c", "d", "e"].map(String::from).to_vec();
        let reasons = [
            None,
            Some("mempool_full".to_string()),
            Some("bad_signature".to_string()),
            Some("nonce_too_high".to_string()),
            Some("transport".to_string()),
        ];
        let (again, indices) = to_send_again(txs, vec![10, 11, 12, 13, 14], &reasons);
        assert_eq!(again, ["b", "d", "e"]);
        assert_eq!(indices, [11, 13, 14]);
    }

    #[test]
    fn a_rate_limited_batch_is_named_so() {
        let e = ClientError::Call(jsonrpsee::types::ErrorObjectOwned::owned(
            -32005,
            "slow down",
            None::<()>,
        ));
        assert_eq!(batch_refusal(&e), "rate_limited");
        assert_eq!(
            batch_refusal(&ClientError::RequestTimeout),
            "request_timeout"
        );
    }
}
