//! The only two drive loops: run one operation to its outcome over an HTTP client, with the
//! retry classifier and backoff, and sleep injected (the core has no runtime and no clock).
//!
//! * [`SyncHttpClient`] / [`AsyncHttpClient`] carry a request and either return the
//!   response (whatever its status) or a [`TransportError`] that says how far the request
//!   got ([`TransportFailure`]). Both are implemented for closures, so any HTTP client plugs
//!   in with a few lines.
//! * [`send_blocking`] / [`send`] retry *safe* failures (nothing reached the gateway, `EM00`,
//!   rate limiting, any failure of a call that moves no money) with backoff, up to
//!   [`Backoff::max_attempts`]. An *ambiguous* failure of a money-moving call is never
//!   replayed: it ends the call with [`ClientError::Ambiguous`].
//!
//! The loops know operations and transport and gateway failures, nothing of the state
//! machines: what a finished call means for a payment, a registration, a stored card or an
//! authentication is each machine's to absorb ([`crate::machine`]), and the facades
//! ([`crate::client`]) join the two.
//!
//! With the `tracing` feature (on in the adapters), each call runs in a `tracing` span
//! `eximbay.call` with the fields `operation`, `attempts`,
//! `outcome` (`ok`, `declined`, `ambiguous`, `failed`) and `rescode`; each HTTP request in it
//! is a child span `eximbay.attempt` with the OpenTelemetry HTTP-client attributes
//! (`http.request.method`, `server.address`, `server.port`, `url.template` with the ids as
//! placeholders, `http.response.status_code`, `http.request.resend_count` from the second
//! attempt on, `error.type`, and `otel.name` / `otel.kind` for `tracing-opentelemetry`) and
//! `latency_ms` (filled in by the adapters, which own the clock). Bodies, keys and ids are
//! never recorded.

use std::future::Future;
use std::time::Duration;

use http::{Request, Response};

use self::span::Span;
use crate::client_error::ClientError;
use crate::config::Config;
use crate::error::ResponseError;
use crate::ops::Operation;
use crate::retry::{Backoff, RetryClass, TransportFailure, classify_response, classify_transport};

/// A transport failure, with how far the request got.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    /// The stage at which the transport failed.
    pub failure: TransportFailure,
    /// A description for people (never contains the request's headers or body); adapters
    /// start it with [`TransportFailure::describe`].
    pub message: String,
}

impl TransportError {
    /// A transport error.
    pub fn new(failure: TransportFailure, message: impl Into<String>) -> Self {
        TransportError {
            failure,
            message: message.into(),
        }
    }
}

/// A blocking HTTP client: sends the request and returns the response whatever its status.
pub trait SyncHttpClient {
    /// Sends one request.
    fn call(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>;
}

impl<F> SyncHttpClient for F
where
    F: Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>,
{
    fn call(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        self(request)
    }
}

/// An async HTTP client: sends the request and returns the response whatever its status.
pub trait AsyncHttpClient {
    /// Sends one request.
    fn call(
        &self,
        request: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send;
}

impl<F, Fut> AsyncHttpClient for F
where
    F: Fn(Request<Vec<u8>>) -> Fut,
    Fut: Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send,
{
    fn call(
        &self,
        request: Request<Vec<u8>>,
    ) -> impl Future<Output = Result<Response<Vec<u8>>, TransportError>> + Send {
        self(request)
    }
}

/// Retries and their pacing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts and delays.
    pub backoff: Backoff,
    /// Seed of the jitter (an adapter draws one per call; tests fix it).
    pub jitter_seed: u64,
}

/// What one attempt came to.
enum Step<T> {
    Done(T),
    Retry(String),
    Stop(ClientError),
}

/// Reads one attempt's result: its HTTP facts go on the current span (the attempt's), the
/// call's outcome and rescode on `span` (the call's).
fn judge<O: Operation>(
    op: &O,
    result: Result<Response<Vec<u8>>, TransportError>,
    attempts: u32,
    span: &Span,
) -> Step<O::Output> {
    span::record_attempt(&Span::current(), &result);
    let (class, detail, error) = match result {
        Ok(response) => match op.parse(response) {
            Ok(output) => {
                span.record("outcome", "ok");
                span.record("rescode", "0000");
                return Step::Done(output);
            }
            Err(error) => {
                if let Some(gateway) = error.gateway_error() {
                    span.record("rescode", gateway.rescode.as_str());
                }
                let class = classify_response(&error, O::MOVES_MONEY);
                (class, error.to_string(), Some(error))
            }
        },
        Err(transport) => (
            classify_transport(transport.failure, O::MOVES_MONEY),
            transport.to_string(),
            None,
        ),
    };
    match class {
        RetryClass::Safe => Step::Retry(detail),
        RetryClass::Ambiguous => {
            span.record("outcome", "ambiguous");
            Step::Stop(ClientError::Ambiguous {
                operation: O::NAME,
                attempts,
                detail,
            })
        }
        RetryClass::Final => {
            span.record("outcome", "declined");
            Step::Stop(match error {
                Some(ResponseError::Declined(gateway)) if gateway.rescode.is_request_rejected() => {
                    ClientError::Rejected(gateway)
                }
                Some(ResponseError::Declined(gateway)) => ClientError::Declined(gateway),
                Some(other) => ClientError::Response(other),
                None => ClientError::Transport {
                    operation: O::NAME,
                    attempts,
                    detail,
                },
            })
        }
    }
}

fn exhausted(operation: &'static str, attempts: u32, detail: String) -> ClientError {
    Span::current().record("outcome", "failed");
    ClientError::Transport {
        operation,
        attempts,
        detail,
    }
}

/// Runs an operation to its outcome over a blocking client.
pub fn send_blocking<O, C>(
    client: &C,
    cfg: &Config,
    op: &O,
    policy: &RetryPolicy,
    mut sleep: impl FnMut(Duration),
) -> Result<O::Output, ClientError>
where
    O: Operation,
    C: SyncHttpClient + ?Sized,
{
    let request = op.to_http(cfg)?;
    let span = span::call_span(O::NAME);
    let _entered = span.enter();
    let mut attempts = 0;
    loop {
        attempts += 1;
        span.record("attempts", attempts);
        let attempt = span::attempt_span(&span, &request, attempts);
        let step = attempt.in_scope(|| judge(op, client.call(request.clone()), attempts, &span));
        match step {
            Step::Done(output) => return Ok(output),
            Step::Stop(error) => return Err(error),
            Step::Retry(detail) if !policy.backoff.allows_another(attempts) => {
                return Err(exhausted(O::NAME, attempts, detail));
            }
            Step::Retry(detail) => {
                span::retrying(attempts, &detail);
                sleep(policy.backoff.delay(attempts - 1, policy.jitter_seed));
            }
        }
    }
}

/// Runs an operation to its outcome over an async client; `sleep` is the runtime's timer.
pub async fn send<O, C, S, F>(
    client: &C,
    cfg: &Config,
    op: &O,
    policy: &RetryPolicy,
    sleep: S,
) -> Result<O::Output, ClientError>
where
    O: Operation,
    C: AsyncHttpClient + ?Sized,
    S: Fn(Duration) -> F,
    F: Future<Output = ()>,
{
    let request = op.to_http(cfg)?;
    let span = span::call_span(O::NAME);
    let mut attempts = 0;
    loop {
        attempts += 1;
        span.record("attempts", attempts);
        let attempt = span::attempt_span(&span, &request, attempts);
        let result = span::within(&attempt, client.call(request.clone())).await;
        let step = attempt.in_scope(|| judge(op, result, attempts, &span));
        match step {
            Step::Done(output) => return Ok(output),
            Step::Stop(error) => return Err(error),
            Step::Retry(detail) if !policy.backoff.allows_another(attempts) => {
                return Err(span.in_scope(|| exhausted(O::NAME, attempts, detail)));
            }
            Step::Retry(_) => sleep(policy.backoff.delay(attempts - 1, policy.jitter_seed)).await,
        }
    }
}

mod span;
