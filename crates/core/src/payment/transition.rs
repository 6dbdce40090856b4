//! What applying an outcome says: the [`PaymentTransition`] and its [`PaymentEvent`], the
//! [`PaymentRefusal`] refusals (nothing changed), and the refunds a payment remembers.

use rust_decimal::Decimal;

use super::PaymentStatus;
use crate::ids::{RefundId, TransactionId};
use crate::machine::Transition;
use crate::money::{AmountError, Currency};

/// What happened in a payment's transition.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum PaymentEvent {
    /// The authorized amount was captured.
    Captured,
    /// An amount was refunded.
    Refunded {
        /// The refund id.
        refund_id: RefundId,
        /// The amount.
        amount: Decimal,
    },
    /// The authorization was cancelled before capture.
    Voided,
    /// A refund already applied was reported again; nothing changed.
    DuplicateRefund {
        /// The refund id.
        refund_id: RefundId,
    },
    /// A refund already applied was reported again with another amount; only a retrieve
    /// can say what the gateway did: the payment needs reconciling.
    RefundDiverged {
        /// The refund id.
        refund_id: RefundId,
        /// The amount applied under that id.
        applied: Decimal,
        /// What the gateway reported now.
        gateway: String,
    },
    /// A registered (cash / bank-transfer) payment was paid.
    Paid,
    /// A notification already applied (or superseded by a later one) arrived; nothing
    /// changed.
    DuplicateNotification,
    /// A notification contradicts the payment's state (a `Void` for a captured payment, a
    /// `Sale` for a voided one): the payment needs reconciling.
    NotificationDiverged {
        /// The notification's status.
        status: String,
    },
    /// A notification reports a failure; nothing changed.
    NotificationFailed {
        /// The result code.
        rescode: String,
    },
    /// The gateway declined a command; nothing changed.
    Declined {
        /// The result code.
        rescode: String,
    },
    /// The gateway rejected a command's request itself (`EC*`); nothing changed.
    Rejected {
        /// The result code.
        rescode: String,
    },
    /// A command's call failed where nothing can have been applied; nothing changed.
    FailedSafely,
    /// A command's outcome is unknown; a money-moving command puts the payment in
    /// `NeedsReconcile`.
    OutcomeUnknown,
    /// The gateway's balance after a refund differs from ours; reconcile.
    BalanceDiverged {
        /// What we computed.
        ours: Decimal,
        /// What the gateway reported.
        gateway: String,
    },
    /// The state was set from the gateway's record.
    Reconciled,
}

/// A payment's state change (or a confirmed non-change).
pub type PaymentTransition = Transition<PaymentStatus, PaymentEvent>;

/// A command or outcome that does not fit the payment's state. The state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PaymentRefusal {
    /// The command is not allowed in this status.
    #[error("{command} is not allowed when the payment is {status:?}")]
    NotAllowed {
        /// The command.
        command: &'static str,
        /// The status.
        status: PaymentStatus,
    },
    /// The payment's last outcome is unknown: reconcile first.
    #[error("the payment's last outcome is unknown: reconcile (retrieve) before anything else")]
    NeedsReconcile,
    /// The refund is larger than what is refundable.
    #[error("refund of {requested} exceeds the refundable balance {balance}")]
    ExceedsBalance {
        /// Requested.
        requested: Decimal,
        /// Refundable.
        balance: Decimal,
    },
    /// The amount does not fit the payment's currency.
    #[error("invalid amount: {0}")]
    InvalidAmount(#[from] AmountError),
    /// The outcome is about another payment.
    #[error("the outcome is about payment {got}, not {expected}")]
    WrongPayment {
        /// Ours.
        expected: TransactionId,
        /// Theirs.
        got: TransactionId,
    },
    /// The gateway reports an amount that cannot be right.
    #[error("the gateway reports {field} {got:?}, expected {expected}")]
    AmountMismatch {
        /// The field.
        field: &'static str,
        /// What we expected.
        expected: Decimal,
        /// What the gateway wrote.
        got: String,
    },
    /// An amount the gateway sent is not a number.
    #[error("the gateway's {field} {got:?} is not a plain decimal")]
    UnreadableAmount {
        /// The field.
        field: &'static str,
        /// What the gateway wrote.
        got: String,
    },
    /// The outcome does not fit the status.
    #[error("a {outcome} outcome does not apply to a {status:?} payment")]
    UnexpectedOutcome {
        /// The outcome.
        outcome: &'static str,
        /// The status.
        status: PaymentStatus,
    },
    /// The retrieve answer does not say where the payment stands.
    #[error("the gateway reports status {0:?}, which does not tell the payment's state")]
    UnrecognizedRemoteStatus(String),
    /// The retrieve answer is `NONE`: the gateway has no such transaction. Nothing can be
    /// concluded from that (least of all that the payment was voided): the payment stays as
    /// it was, in `NeedsReconcile` if it was there, until a person looks.
    #[error("the gateway reports no such transaction (status NONE); the payment stays as it was")]
    UnknownAtGateway,
    /// The notification's `status` is not one this crate knows.
    #[error("the notification reports status {0:?}, which does not tell the payment's state")]
    UnrecognizedNotificationStatus(String),
    /// The outcome is in another currency than the payment.
    #[error("the gateway reports currency {got}, the payment is in {expected}")]
    CurrencyMismatch {
        /// Ours.
        expected: Currency,
        /// Theirs.
        got: Currency,
    },
    /// The refund key was already used on this payment for another amount. Reusing it would
    /// send the same `refund_id` for a different refund; nothing was sent.
    #[error(
        "refund key already used on this payment for {applied} (refund id {refund_id}); \
         a refund of {requested} needs a key of its own"
    )]
    RefundKeyReused {
        /// The refund id the key derives.
        refund_id: RefundId,
        /// The amount refunded under it.
        applied: Decimal,
        /// The amount asked for now.
        requested: Decimal,
    },
    /// The refund with this key was already applied; it is not sent again (the gateway's
    /// handling of a repeated `refund_id` is not documented).
    #[error(
        "the refund with this key was already applied (refund id {refund_id}); nothing was sent"
    )]
    RefundAlreadyApplied {
        /// The refund id.
        refund_id: RefundId,
    },
    /// The authorization is older than the payment's expiry policy: the issuer has likely
    /// released it, and a capture would fail or, worse, succeed on a stale hold.
    #[error("the authorization of {authorized_at:?} is older than the {days}-day expiry policy")]
    AuthorizationExpired {
        /// When it was authorized.
        authorized_at: crate::time::Timestamp,
        /// The policy's limit.
        days: u32,
    },
    /// The capture answer said `partially_cancelable = N`: only a full refund is possible.
    #[error("the gateway marked this payment as not partially refundable; refund it in full")]
    PartialRefundNotAllowed,
}

/// A refund applied to a payment, kept so that a key is never reused for another amount and
/// a repeated answer is not counted twice.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AppliedRefund {
    /// The refund id.
    pub refund_id: RefundId,
    /// The amount, when known (payments stored before amounts were kept have none).
    pub amount: Option<Decimal>,
}

impl<'de> serde::Deserialize<'de> for AppliedRefund {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Payments stored before amounts were kept hold bare refund ids.
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Stored {
            Id(RefundId),
            Full {
                refund_id: RefundId,
                #[serde(default)]
                amount: Option<Decimal>,
            },
        }
        Ok(match Stored::deserialize(deserializer)? {
            Stored::Id(refund_id) => AppliedRefund {
                refund_id,
                amount: None,
            },
            Stored::Full { refund_id, amount } => AppliedRefund { refund_id, amount },
        })
    }
}
