//! The request rate limit: one token bucket shared by every connection, as RPC middleware.
//!
//! Rule: each call costs one token and each entry of a batch one token; the bucket holds one
//! second of requests and refills continuously. A call finding no token is answered with
//! [`RATE_LIMITED`](vellum_protocol::rpc::error::RATE_LIMITED) and is not executed; a batch
//! that does not fit whole has every call in it answered so; a lone notification finding no
//! token is dropped.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use jsonrpsee::server::middleware::rpc::{
    Batch, BatchEntry, BatchEntryErr, MethodResponse, Notification, Request, RpcServiceT,
};
use vellum_protocol::rpc::error::rate_limited;

/// Tokens refilled at a fixed rate up to one second's worth.
#[derive(Debug)]
pub struct TokenBucket {
    per_second: u32,
    state: Mutex<(f64, Instant)>,
}

impl TokenBucket {
    pub fn new(per_second: u32) -> TokenBucket {
        TokenBucket {
            per_second,
            state: Mutex::new((f64::from(per_second), Instant::now())),
        }
    }

    /// Takes `n` tokens if the bucket holds them.
    pub fn try_take(&self, n: usize) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, last) = &mut *state;
        let now = Instant::now();
        let rate = f64::from(self.per_second);
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(rate);
        *last = now;
        if *tokens >= n as f64 {
            *tokens -= n as f64;
            true
        } else {
            false
        }
    }
}

/// The middleware: `service` behind `bucket`.
#[derive(Debug, Clone)]
pub struct RateLimit<S> {
    service: S,
    bucket: Arc<TokenBucket>,
}

impl<S> RateLimit<S> {
    pub fn new(service: S, bucket: Arc<TokenBucket>) -> RateLimit<S> {
        RateLimit { service, bucket }
    }
}

impl<S> RpcServiceT for RateLimit<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Clone
        + Send
        + Sync
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(&self, req: Request<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        let admitted = self.bucket.try_take(1);
        let per_second = self.bucket.per_second;
        let service = self.service.clone();
        async move {
            if admitted {
                service.call(req).await
            } else {
                MethodResponse::error(req.id, rate_limited(per_second))
            }
        }
    }

    fn batch<'a>(&self, mut batch: Batch<'a>) -> impl Future<Output = MethodResponse> + Send + 'a {
        if !self.bucket.try_take(batch.len()) {
            for entry in batch.iter_mut() {
                if let Ok(BatchEntry::Call(req)) = entry {
                    let refusal = rate_limited(self.bucket.per_second);
                    *entry = Err(BatchEntryErr::new(req.id.clone(), refusal));
                }
            }
        }
        self.service.batch(batch)
    }

    fn notification<'a>(
        &self,
        n: Notification<'a>,
    ) -> impl Future<Output = MethodResponse> + Send + 'a {
        let admitted = self.bucket.try_take(1);
        let service = self.service.clone();
        async move {
            if admitted {
                service.notification(n).await
            } else {
                MethodResponse::notification()
            }
        }
    }
}
