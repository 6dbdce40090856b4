//! [`ClientError`]: why a call did not produce its result — the phases of a call (not
//! built, not allowed to leave, declined, rejected, outcome unknown, failed safely, an
//! answer that is not a gateway result), and one variant that nests the state machines'
//! refusals ([`Refusal`]).
//!
//! The drive loops ([`crate::drive`]) produce every variant but [`ClientError::Machine`];
//! the facades ([`crate::client`]) add that one when a machine refuses a command (nothing
//! is sent) or an answer (the state is unchanged).

use crate::authentication::AuthenticationRefusal;
use crate::error::{BuildError, GatewayError, ResponseError};
use crate::machine::Finished;
use crate::payment::PaymentRefusal;
use crate::recurring::RecurringRefusal;
use crate::token::TokenRefusal;

/// Why a call did not produce its result.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A state machine refused: the command, before anything was sent (`sent: false`), or
    /// the gateway's answer, which does not fit the state (`sent: true`; the state is
    /// unchanged, and what the gateway did is not known from it: reconcile).
    #[error("{}{refusal}", if *sent { "the answer could not be applied: " } else { "not sent: " })]
    Machine {
        /// Which machine refused, and why.
        refusal: Refusal,
        /// Whether the call was sent (the refusal is of its answer).
        sent: bool,
    },
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
}

/// A state machine's refusal of a command or of an answer; the machine is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The payment refused.
    #[error("{0}")]
    Payment(#[from] PaymentRefusal),
    /// The recurring registration refused (terminated, the charge day, another
    /// registration's answer).
    #[error("{0}")]
    Recurring(#[from] RecurringRefusal),
    /// The stored card refused (deleted, in doubt, a bad amount, an answer that does not
    /// fit).
    #[error("stored card: {0}")]
    Token(#[from] TokenRefusal),
    /// The payer authentication refused (another amount, currency or transaction type, not
    /// allowed in its state, an answer that does not fit).
    #[error("confirm: {0}")]
    Authentication(#[from] AuthenticationRefusal),
}

impl ClientError {
    /// A machine's refusal of a command: nothing was sent.
    pub fn not_sent(refusal: impl Into<Refusal>) -> Self {
        ClientError::Machine {
            refusal: refusal.into(),
            sent: false,
        }
    }

    /// A machine's refusal of the gateway's answer: the state is unchanged.
    pub fn misfit(refusal: impl Into<Refusal>) -> Self {
        ClientError::Machine {
            refusal: refusal.into(),
            sent: true,
        }
    }

    /// Whether the caller must reconcile before anything else: the call may have been
    /// applied. The machine was put in doubt (persist it).
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

    /// The machine's refusal, when one refused the command or the answer.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            ClientError::Machine { refusal, .. } => Some(refusal),
            _ => None,
        }
    }

    /// Whether nothing was sent at all.
    pub fn nothing_sent(&self) -> bool {
        matches!(
            self,
            ClientError::Machine { sent: false, .. }
                | ClientError::Build(_)
                | ClientError::Refused(_)
        )
    }

    /// How the call finished, for a machine to absorb; `None` when nothing was sent. An
    /// answer a machine refused reads as an unknown outcome: it does not say what the
    /// gateway did.
    pub fn finished<T>(&self) -> Option<Finished<T>> {
        match self {
            ClientError::Machine { sent: false, .. }
            | ClientError::Build(_)
            | ClientError::Refused(_) => None,
            ClientError::Declined(error) => Some(Finished::Declined(error.clone())),
            ClientError::Rejected(error) => Some(Finished::Rejected(error.clone())),
            ClientError::Transport { .. } | ClientError::Response(_) => {
                Some(Finished::FailedSafely)
            }
            ClientError::Ambiguous { .. } | ClientError::Machine { sent: true, .. } => {
                Some(Finished::OutcomeUnknown)
            }
        }
    }
}
