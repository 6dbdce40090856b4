//! Which failures may be retried, and how long to wait: pure functions, no clock, no
//! randomness of their own.
//!
//! * **Safe**: the request certainly did not take effect (it never reached the gateway, or
//!   the gateway said "try again" with `EM00`, or the call moves no money). Retry with
//!   backoff.
//! * **Ambiguous**: a money-moving request may have been applied (read timeout, connection
//!   reset after the body was written, a 5xx or HTML page instead of a result). Never replay
//!   it blindly: reconcile with Retrieve first.
//! * **Final**: the gateway decided (`rescode`) or refused the request as malformed; a
//!   retry would get the same answer.

use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::error::ResponseError;

/// What may be done after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// Nothing happened; the same request may be sent again.
    Safe,
    /// The request may have been applied; reconcile before anything else.
    Ambiguous,
    /// The answer is final.
    Final,
}

/// How a transport failed, as far as the HTTP client can tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportFailure {
    /// The host name did not resolve.
    Dns,
    /// The connection was refused or could not be opened.
    Connect,
    /// The TLS handshake failed.
    Tls,
    /// The connection broke before the whole request was written.
    RequestNotWritten,
    /// No (complete) answer in time after the request was written.
    ReadTimeout,
    /// The connection was reset or closed after the request was written.
    ResetAfterWrite,
    /// The answer was larger than the configured limit.
    ResponseTooLarge,
    /// Anything else; its stage is unknown, so it is treated as having reached the gateway.
    Other,
}

impl TransportFailure {
    /// What happened, in words a person can act on.
    pub fn describe(self) -> &'static str {
        match self {
            TransportFailure::Dns => "the gateway's host name did not resolve",
            TransportFailure::Connect => "could not connect to the gateway",
            TransportFailure::Tls => "the TLS handshake with the gateway failed",
            TransportFailure::RequestNotWritten => "the request could not be sent",
            TransportFailure::ReadTimeout => "no answer in time after the request was sent",
            TransportFailure::ResetAfterWrite => "the connection broke after the request was sent",
            TransportFailure::ResponseTooLarge => "the answer was larger than allowed",
            TransportFailure::Other => "the call failed at an unknown stage",
        }
    }

    /// Whether the request may have reached the gateway.
    pub fn may_have_reached_gateway(self) -> bool {
        !matches!(
            self,
            TransportFailure::Dns
                | TransportFailure::Connect
                | TransportFailure::Tls
                | TransportFailure::RequestNotWritten
        )
    }
}

/// Classifies a transport failure of a call that does (or does not) move money.
pub fn classify_transport(failure: TransportFailure, moves_money: bool) -> RetryClass {
    if failure.may_have_reached_gateway() && moves_money {
        RetryClass::Ambiguous
    } else {
        RetryClass::Safe
    }
}

/// Classifies a response that is not a success.
///
/// A gateway result is final, except `EM00` (the gateway did not act: safe), and the codes
/// that leave the outcome unknown (`EE*`, `EX*`) or any result on a 5xx answer: for a
/// money-moving call those are ambiguous — the gateway may have acted before it failed —
/// and for any other call safe to retry.
pub fn classify_response(error: &ResponseError, moves_money: bool) -> RetryClass {
    let unknown_outcome = if moves_money {
        RetryClass::Ambiguous
    } else {
        RetryClass::Safe
    };
    match error {
        ResponseError::Declined(gateway) if gateway.rescode.is_retryable() => RetryClass::Safe,
        ResponseError::Declined(gateway)
            if gateway.rescode.leaves_outcome_unknown() || gateway.status >= 500 =>
        {
            unknown_outcome
        }
        ResponseError::Declined(_) => RetryClass::Final,
        // Rate limited: the gateway did not act.
        ResponseError::HttpStatus { status: 429, .. } => RetryClass::Safe,
        ResponseError::HttpStatus { status, .. } if (400..500).contains(status) => {
            RetryClass::Final
        }
        // A 5xx, an HTML error page or an unreadable 2xx: the call may have been applied.
        ResponseError::HttpStatus { .. } | ResponseError::Malformed { .. } => unknown_outcome,
    }
}

/// Exponential backoff with "equal jitter": the `n`-th retry waits a uniformly chosen time
/// in `[cap/2, cap]`, `cap = min(max_delay, initial_delay · 2ⁿ)`. The jitter comes from a
/// caller-supplied seed, so the same seed gives the same delays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Delay cap of the first retry.
    pub initial_delay: Duration,
    /// Largest delay.
    pub max_delay: Duration,
    /// Most attempts in all (the first one included).
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
            max_attempts: 3,
        }
    }
}

impl Backoff {
    /// Whether another attempt may follow `attempts_made` attempts.
    pub fn allows_another(&self, attempts_made: u32) -> bool {
        attempts_made < self.max_attempts
    }

    /// How long to wait before retry number `retry` (0 for the first retry).
    pub fn delay(&self, retry: u32, seed: u64) -> Duration {
        let doubling = 2_u128.saturating_pow(retry.min(64));
        let cap = self
            .initial_delay
            .as_nanos()
            .saturating_mul(doubling)
            .min(self.max_delay.as_nanos());
        let half = cap / 2;
        let jitter = (cap - half).saturating_mul(u128::from(jitter_fraction(seed, retry))) >> 64;
        let nanos = half.saturating_add(jitter);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

/// A uniformly distributed `u64` derived from the seed and the retry number.
fn jitter_fraction(seed: u64, retry: u32) -> u64 {
    let digest = Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(retry.to_le_bytes())
        .finalize();
    let mut first = [0_u8; 8];
    first.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    u64::from_le_bytes(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::ResultCode;
    use crate::error::{BodyExcerpt, GatewayError};

    #[test]
    fn every_transport_failure_is_described_in_its_own_words() {
        let all = [
            TransportFailure::Dns,
            TransportFailure::Connect,
            TransportFailure::Tls,
            TransportFailure::RequestNotWritten,
            TransportFailure::ReadTimeout,
            TransportFailure::ResetAfterWrite,
            TransportFailure::ResponseTooLarge,
            TransportFailure::Other,
        ];
        let words: std::collections::BTreeSet<_> = all.iter().map(|f| f.describe()).collect();
        assert_eq!(words.len(), all.len(), "one description each");
        assert!(words.iter().all(|w| w.len() > 10 && w.contains("the")));
        assert_eq!(
            TransportFailure::Dns.describe(),
            "the gateway's host name did not resolve"
        );
    }

    #[test]
    fn transport_failures() {
        assert_eq!(
            classify_transport(TransportFailure::Connect, true),
            RetryClass::Safe
        );
        assert_eq!(
            classify_transport(TransportFailure::Dns, true),
            RetryClass::Safe
        );
        assert_eq!(
            classify_transport(TransportFailure::ReadTimeout, true),
            RetryClass::Ambiguous
        );
        assert_eq!(
            classify_transport(TransportFailure::ResetAfterWrite, true),
            RetryClass::Ambiguous
        );
        assert_eq!(
            classify_transport(TransportFailure::ReadTimeout, false),
            RetryClass::Safe
        );
    }

    #[test]
    fn responses() {
        let declined_with = |status: u16, code: &str| {
            ResponseError::Declined(GatewayError {
                status,
                rescode: ResultCode::from_code(code),
                resmsg: String::new(),
                errcode: None,
            })
        };
        let declined = |code: &str| declined_with(200, code);
        assert_eq!(classify_response(&declined("EM00"), true), RetryClass::Safe);
        // Errors toward the card processor and internal exceptions: the money may have moved.
        for code in ["EE01", "EE02", "EE99", "EEEE", "EX01", "EX77"] {
            assert_eq!(
                classify_response(&declined(code), true),
                RetryClass::Ambiguous,
                "{code}"
            );
            assert_eq!(classify_response(&declined(code), false), RetryClass::Safe);
        }
        // Any 5xx is ambiguous whatever its rescode says, except EM00 (did not act).
        assert_eq!(
            classify_response(&declined_with(503, "ES99"), true),
            RetryClass::Ambiguous
        );
        assert_eq!(
            classify_response(&declined_with(500, "HE01"), true),
            RetryClass::Ambiguous
        );
        assert_eq!(
            classify_response(&declined_with(503, "EM00"), true),
            RetryClass::Safe
        );
        assert_eq!(
            classify_response(&declined("HE01"), true),
            RetryClass::Final
        );
        assert_eq!(
            classify_response(&declined("EC00"), true),
            RetryClass::Final
        );
        let html = ResponseError::HttpStatus {
            status: 502,
            content_type: Some("text/html".into()),
            body: BodyExcerpt::new(b"<html>"),
        };
        assert_eq!(classify_response(&html, true), RetryClass::Ambiguous);
        assert_eq!(classify_response(&html, false), RetryClass::Safe);
        let not_found = ResponseError::HttpStatus {
            status: 404,
            content_type: None,
            body: BodyExcerpt::new(b""),
        };
        assert_eq!(classify_response(&not_found, true), RetryClass::Final);
    }

    #[test]
    fn backoff_is_deterministic_and_bounded() {
        let backoff = Backoff::default();
        for retry in 0..10 {
            let a = backoff.delay(retry, 42);
            assert_eq!(a, backoff.delay(retry, 42));
            let cap = (backoff.initial_delay * 2_u32.pow(retry)).min(backoff.max_delay);
            assert!(a >= cap / 2 && a <= cap, "{retry}: {a:?} vs {cap:?}");
        }
        assert_ne!(backoff.delay(0, 1), backoff.delay(0, 2));
        assert!(backoff.allows_another(2));
        assert!(!backoff.allows_another(3));
        assert!(backoff.delay(u32::MAX, 7) <= backoff.max_delay);
    }
}
