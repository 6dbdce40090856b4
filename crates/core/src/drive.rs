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
//! * [`apply_payment_result`] turns the result of a payment command into the payment's
//!   transition: a decline is applied (nothing changes) and returned as an error, an
//!   ambiguous outcome moves the payment to `NeedsReconcile`.
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
use crate::config::Config;
use crate::error::{BuildError, GatewayError, ResponseError};
use crate::ops::Operation;
use crate::payment::{InvalidTransition, Payment, PaymentCommand, PaymentOutcome, Transition};
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

/// Why a call did not produce its result.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The command is not allowed in the payment's state; nothing was sent.
    #[error("not sent: {0}")]
    InvalidCommand(#[from] InvalidTransition),
    /// The recurring command is not allowed in the registration's state (terminated, charge
    /// day); nothing was sent.
    #[error("not sent: {0}")]
    InvalidRecurringCommand(crate::recurring::InvalidRecurringTransition),
    /// The request could not be built; nothing was sent.
    #[error("not sent: {0}")]
    Build(#[from] BuildError),
    /// The request is not allowed to leave (plain http to a non-loopback host); nothing was
    /// sent.
    #[error("not sent: {0}")]
    Refused(String),
    /// The gateway declined the payment operation (final): a card or issuer decline
    /// (`HE*`), fraud screening (`DP*`), the acquirer, or a code this crate does not know.
    /// Tell the buyer or the operator; retrying the same request gets the same answer.
    #[error("{0}")]
    Declined(GatewayError),
    /// The gateway rejected the request itself (`EC*`: bad key, bad transaction id, a bad or
    /// undeclared field): an integration error to fix in code or configuration, not a
    /// decline. Nothing was applied.
    #[error("the gateway rejected the request: {0}")]
    Rejected(GatewayError),
    /// The outcome is unknown: the call may have been applied. Reconcile (retrieve) before
    /// anything else; never replay it blindly.
    #[error(
        "outcome unknown after {attempts} attempt(s) of {operation}: {detail}; reconcile with retrieve"
    )]
    Ambiguous {
        /// The operation.
        operation: &'static str,
        /// Attempts made.
        attempts: u32,
        /// What happened last.
        detail: String,
    },
    /// Every attempt failed before reaching the gateway (or the call moves no money);
    /// nothing was applied and the call may be retried later.
    #[error("{operation} failed after {attempts} attempt(s), nothing was applied: {detail}")]
    Transport {
        /// The operation.
        operation: &'static str,
        /// Attempts made.
        attempts: u32,
        /// What happened last.
        detail: String,
    },
    /// A final answer that is not a gateway result (a 4xx page).
    #[error("{0}")]
    Response(ResponseError),
    /// The gateway's outcome does not fit the payment's state (state unchanged).
    #[error("outcome could not be applied: {0}")]
    Apply(InvalidTransition),
    /// A payer-authentication confirm that does not fit the authentication: refused before
    /// sending (another amount or currency, another transaction type, not allowed in its
    /// state), or an answer that does not fit it (state unchanged).
    #[error("confirm: {0}")]
    Confirm(crate::authentication::InvalidConfirm),
    /// A stored-card command that does not fit the token: refused before sending (deleted,
    /// in doubt, a bad amount), or an answer that does not fit it (state unchanged).
    #[error("stored card: {0}")]
    Token(crate::token::InvalidTokenCommand),
}

impl ClientError {
    /// Whether the caller must reconcile before anything else: the call may have been
    /// applied. The payment was moved to `NeedsReconcile` (persist it).
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, ClientError::Ambiguous { .. })
    }

    /// Whether the gateway declined the operation (card, issuer, fraud screening): tell the
    /// buyer or the operator. Nothing changed.
    pub fn is_declined(&self) -> bool {
        matches!(self, ClientError::Declined(_))
    }

    /// Whether the gateway rejected the request itself (`EC*`): fix the integration. Nothing
    /// changed.
    pub fn is_rejected_request(&self) -> bool {
        matches!(self, ClientError::Rejected(_))
    }

    /// The gateway's answer, when it declined or rejected.
    pub fn gateway_error(&self) -> Option<&GatewayError> {
        match self {
            ClientError::Declined(error) | ClientError::Rejected(error) => Some(error),
            _ => None,
        }
    }

    /// Whether nothing was sent at all.
    pub fn nothing_sent(&self) -> bool {
        matches!(
            self,
            ClientError::InvalidCommand(_)
                | ClientError::InvalidRecurringCommand(_)
                | ClientError::Build(_)
                | ClientError::Refused(_)
        ) || matches!(self, ClientError::Confirm(invalid) if invalid.before_sending())
            || matches!(self, ClientError::Token(invalid) if invalid.before_sending())
    }
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

/// What a command did: the state machine's transition and the gateway's answer (refund
/// transaction id, dates, balances), both kept.
///
/// It reads as its transition (`applied.to`, `applied.event`), and the answer is in
/// `applied.response`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied<R, T = Transition> {
    /// How the state moved.
    pub transition: T,
    /// What the gateway answered.
    pub response: R,
}

impl<R, T> std::ops::Deref for Applied<R, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.transition
    }
}

/// Applies the result of a payment command to the payment and keeps the gateway's answer.
///
/// Success and declines are applied (a decline changes nothing) — a decline is then returned
/// as [`ClientError::Declined`]; an ambiguous result moves the payment to `NeedsReconcile`
/// and is returned as [`ClientError::Ambiguous`]. Other errors (a rejected request, a
/// transport failure, nothing sent) leave the payment as it was.
///
/// After an `Err`, the payment is already in its new state: persist it. In particular an
/// ambiguous outcome leaves it in `NeedsReconcile`, and only `reconcile` is allowed until the
/// gateway's record has been applied.
pub fn apply_payment_answer<T: Clone>(
    payment: &mut Payment,
    result: Result<T, ClientError>,
    command: PaymentCommand,
    wrap: impl FnOnce(T) -> PaymentOutcome,
) -> Result<Applied<T>, ClientError> {
    match result {
        Ok(response) => {
            let transition = payment
                .apply(wrap(response.clone()))
                .map_err(ClientError::Apply)?;
            Ok(Applied {
                transition,
                response,
            })
        }
        Err(error) => Err(apply_payment_failure(payment, error, command)),
    }
}

/// Applies the result of a payment command to the payment; like [`apply_payment_answer`]
/// without keeping the answer.
pub fn apply_payment_result<T>(
    payment: &mut Payment,
    result: Result<T, ClientError>,
    command: PaymentCommand,
    wrap: impl FnOnce(T) -> PaymentOutcome,
) -> Result<Transition, ClientError> {
    match result {
        Ok(output) => payment.apply(wrap(output)).map_err(ClientError::Apply),
        Err(error) => Err(apply_payment_failure(payment, error, command)),
    }
}

/// A failed command: a decline is applied (nothing changes), an ambiguous outcome moves the
/// payment to `NeedsReconcile`; the error is handed back.
fn apply_payment_failure(
    payment: &mut Payment,
    error: ClientError,
    command: PaymentCommand,
) -> ClientError {
    let outcome = match &error {
        ClientError::Declined(gateway) => PaymentOutcome::Declined {
            command,
            error: gateway.clone(),
        },
        ClientError::Ambiguous { .. } => PaymentOutcome::Ambiguous { command },
        _ => return error,
    };
    match payment.apply(outcome) {
        Ok(_) => error,
        Err(invalid) => ClientError::Apply(invalid),
    }
}

#[cfg(test)]
mod tests;

mod span;
