//! What went wrong, as an exit code a script can branch on, a JSON object on stdout where
//! the gateway answered, and a message on stderr that never holds a key.
//!
//! | code | meaning | from |
//! |---|---|---|
//! | 0 | success | |
//! | 1 | the notification did not verify | `notification verify` |
//! | 2 | bad usage or invalid input; nothing was sent | arguments, amounts, ids, configuration |
//! | 3 | declined: card, issuer, fraud screening, acquirer | `HE*`, `DP*`, other final codes, a final 4xx page |
//! | 4 | outcome unknown: reconcile with `eximbay retrieve` | `EE*`, `EX*`, any 5xx, timeouts and resets after sending, on a capture or refund; a success answer about another payment |
//! | 5 | failed before anything was sent; safe to retry | DNS, connect, TLS, retries exhausted |
//! | 6 | the gateway rejected the request itself: fix the call or the configuration | `EC*` (bad key, bad transaction id, bad or undeclared field) |
//! | 7 | the gateway has no record of it now | `retrieve` answered `NONE` (not proof that nothing was made: a payment just made may not be visible yet) |

use eximbay_core::ClientError;
use serde_json::{Value, json};

/// Exit codes.
pub mod exit {
    /// The notification did not verify.
    pub const NOT_VERIFIED: u8 = 1;
    /// Bad usage or invalid input; nothing was sent.
    pub const USAGE: u8 = 2;
    /// The gateway declined.
    pub const DECLINED: u8 = 3;
    /// The outcome is unknown.
    pub const AMBIGUOUS: u8 = 4;
    /// Nothing was sent; safe to retry.
    pub const TRANSPORT: u8 = 5;
    /// The gateway rejected the request itself.
    pub const REJECTED: u8 = 6;
    /// The gateway has no record of what was retrieved, now.
    pub const NO_RECORD_NOW: u8 = 7;
}

/// A failure, with its exit code.
pub struct Failure {
    pub code: u8,
    pub message: String,
    pub stdout: Option<Value>,
}

impl Failure {
    /// Bad usage or invalid input (exit 2).
    pub fn usage(message: impl std::fmt::Display) -> Self {
        Failure {
            code: exit::USAGE,
            message: message.to_string(),
            stdout: None,
        }
    }

    /// `retrieve` answered `NONE` (exit 7): the answer is printed, the exit code says it is
    /// no record, not a payment.
    pub fn no_record_now(answer: Value) -> Self {
        Failure {
            code: exit::NO_RECORD_NOW,
            message: "the gateway has no record of it now (NONE). That is not proof that \
                      nothing was made: a payment just made may not be visible yet; retrieve \
                      again later before sending anything again"
                .to_owned(),
            stdout: Some(answer),
        }
    }

    /// A capture or refund answered with success about another payment (exit 4): what
    /// became of the one asked for is unknown. The answer is printed with
    /// `"outcome": "unknown"`.
    pub fn another_payment(
        answer: Value,
        asked: &eximbay_core::TransactionId,
        answered: &eximbay_core::TransactionId,
    ) -> Self {
        Failure {
            code: exit::AMBIGUOUS,
            message: format!(
                "the gateway answered about payment {answered}, not {asked}: the outcome is \
                 unknown; reconcile with `eximbay retrieve` before sending anything again"
            ),
            stdout: Some(answer),
        }
    }

    /// The notification did not verify (exit 1).
    pub fn not_verified(message: impl std::fmt::Display) -> Self {
        Failure {
            code: exit::NOT_VERIFIED,
            message: message.to_string(),
            stdout: None,
        }
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        let message = error.to_string();
        let answered = |outcome: &str, gateway: &eximbay_core::GatewayError| {
            json!({
                "outcome": outcome,
                "status": gateway.status,
                "rescode": gateway.rescode.as_str(),
                "resmsg": gateway.resmsg,
                "errcode": gateway.errcode,
            })
        };
        let (code, stdout) = match &error {
            ClientError::Declined(gateway) => (exit::DECLINED, Some(answered("declined", gateway))),
            ClientError::Rejected(gateway) => (exit::REJECTED, Some(answered("rejected", gateway))),
            ClientError::Response(response) => (
                exit::DECLINED,
                Some(json!({"outcome": "declined", "status": response.status()})),
            ),
            // An answer the state does not fit does not say what the gateway did.
            ClientError::Ambiguous { .. } | ClientError::Machine { sent: true, .. } => (
                exit::AMBIGUOUS,
                Some(json!({"outcome": "unknown", "next": "reconcile with `eximbay retrieve`"})),
            ),
            ClientError::Transport { .. } => (exit::TRANSPORT, None),
            ClientError::Machine { sent: false, .. }
            | ClientError::Build(_)
            | ClientError::Refused(_) => (exit::USAGE, None),
            // A kind this version does not know (the enum is non-exhaustive): whether
            // anything was sent is what `nothing_sent` says.
            other if other.nothing_sent() => (exit::USAGE, None),
            _ => (
                exit::AMBIGUOUS,
                Some(json!({"outcome": "unknown", "next": "reconcile with `eximbay retrieve`"})),
            ),
        };
        Failure {
            code,
            message,
            stdout,
        }
    }
}
