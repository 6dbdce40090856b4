//! The life of one payment, as a state machine.
//!
//! ```text
//!              capture                refund (part)           refund (rest)
//! Authorized ──────────▶ Captured ─────────────▶ PartiallyRefunded ──────────▶ Refunded
//!   ▲  │                     └──────────────── refund (all) ───────────────────────▲
//!   │  └── refund (all, before capture), or a Void notification ──▶ Voided
//!   │                                                                  ▲
//! Registered (cash / bank transfer, not paid) ── Sale notification ──▶ Captured (or Authorized)
//!   └───────────────────────────────────────── Void notification (expired) ─┘
//!
//! any money-moving command whose outcome is unknown ──▶ NeedsReconcile ──retrieve──▶ (true state)
//! ```
//!
//! The data flows one way, in the shape every machine shares ([`crate::machine`]): a command
//! ([`Payment::capture`], …) hands back an operation, and how its call finished is absorbed
//! ([`StateMachine::absorb`](crate::machine::StateMachine::absorb), with the command as a
//! [`PaymentCommand`]), its answer read as a [`PaymentOutcome`] and applied by
//! [`Payment::apply`] into a [`PaymentTransition`] (`apply.rs`). Verified `status_url`
//! notifications enter `apply` as [`PaymentNotice`]s (`notice.rs`).
//!
//! Commands (`capture`, `refund_full`, `refund_partial`, `reconcile`) only *read* the state:
//! they check that the command is legal and hand back the [`Operation`](crate::Operation)
//! to send. Absorbing moves the state, returning a [`PaymentTransition`] or a
//! [`PaymentRefusal`] (leaving the state as it was).
//!
//! Invariant, after every step: `0 ≤ refunded ≤ captured ≤ amount`.

use rust_decimal::Decimal;

use crate::codes::Lang;
use crate::error::GatewayError;
use crate::ids::{OrderId, RefundId, TransactionId};
use crate::money::{Amount, AmountError, Currency};
use crate::ops::MerchantParams;
use crate::ops::cancel::{Cancel, RefundKind, Refunded};
use crate::ops::capture::{Capture, Captured};
use crate::ops::query::Query;
use crate::ops::retrieve::{KeyField, Retrieve, Retrieved};
use crate::time::Timestamp;

mod apply;
mod expiry;
mod notice;
#[cfg(test)]
mod tests;
mod transition;

pub use notice::PaymentNotice;
pub use transition::{AppliedRefund, PaymentEvent, PaymentRefusal, PaymentTransition};

/// Where a payment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum PaymentStatus {
    /// Registered, not paid yet: a cash or bank-transfer payment waiting for the buyer
    /// (`status=Registered`). No money; nothing can be captured or refunded.
    Registered,
    /// Authorized, not captured (`AUTHORIZE` payments).
    Authorized,
    /// Captured in full, nothing refunded.
    Captured,
    /// Part of the captured amount was refunded.
    PartiallyRefunded,
    /// Everything captured was refunded.
    Refunded,
    /// Cancelled before capture: an authorization reversed, or a registration that expired
    /// or was cancelled before payment.
    Voided,
    /// A money-moving call ended with an unknown outcome; only `reconcile` is allowed.
    NeedsReconcile,
}

/// A command whose call is being absorbed (kept in doubt while its outcome is unknown).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PaymentCommand {
    /// A capture.
    Capture,
    /// A refund (full or partial) of `amount` with `refund_id`.
    Refund {
        /// The refund id sent.
        refund_id: RefundId,
        /// The amount sent.
        amount: Decimal,
    },
    /// A retrieve.
    Reconcile,
}

impl PaymentCommand {
    /// The command a cancel operation carries out.
    pub fn of_cancel(cancel: &Cancel) -> Self {
        PaymentCommand::Refund {
            refund_id: cancel.refund_id.clone(),
            amount: cancel.refund_amount().value(),
        }
    }

    fn moves_money(&self) -> bool {
        !matches!(self, PaymentCommand::Reconcile)
    }
}

/// A parsed gateway outcome to apply to a payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PaymentOutcome {
    /// A capture succeeded.
    Captured(Captured),
    /// A refund succeeded.
    Refunded(Refunded),
    /// A retrieve told the payment's true state.
    Retrieved(Retrieved),
    /// A verified `status_url` notification about the payment arrived.
    Notified(PaymentNotice),
    /// The gateway refused the command; nothing changed.
    Declined {
        /// The refused command.
        command: PaymentCommand,
        /// The gateway's answer.
        error: GatewayError,
    },
    /// The command may or may not have been applied.
    Ambiguous {
        /// The command in doubt.
        command: PaymentCommand,
    },
}

/// One payment and everything needed to move it on.
///
/// With the `serde` feature it persists as plain data; loading checks every amount and the
/// invariant, so a stored record that was tampered with (or corrupted) is refused rather
/// than trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
// `remote = "Self"` makes the derives plain functions, wrapped below by the trait impls
// that add the check on load.
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(remote = "Self")
)]
pub struct Payment {
    transaction_id: TransactionId,
    order_id: OrderId,
    currency: Currency,
    amount: Amount,
    lang: Lang,
    status: PaymentStatus,
    captured: Decimal,
    refunded: Decimal,
    applied_refunds: Vec<AppliedRefund>,
    in_doubt: Option<PaymentCommand>,
    /// `partially_cancelable` from the capture answer (`None`: not said).
    #[cfg_attr(feature = "serde", serde(default))]
    partially_cancelable: Option<bool>,
    /// When the authorization was made (the notification's `transaction_date`), when known.
    #[cfg_attr(feature = "serde", serde(default))]
    authorized_at: Option<Timestamp>,
    /// The merchant's limit on an authorization's age, in days (off when `None`).
    #[cfg_attr(feature = "serde", serde(default))]
    authorization_expires_after_days: Option<u32>,
    /// A cash payment whose `Sale` came under a transaction id of its own: the
    /// `Registered` notification's id (`transaction_id` is then the Sale's).
    #[cfg_attr(feature = "serde", serde(default))]
    registration_transaction_id: Option<TransactionId>,
}

#[cfg(feature = "serde")]
impl serde::Serialize for Payment {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Payment::serialize(self, serializer)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Payment {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let payment = Payment::deserialize(deserializer)?;
        payment
            .amount
            .check_currency(&payment.currency)
            .map_err(|e| D::Error::custom(format!("stored payment amount: {e}")))?;
        if !payment.invariant_holds() {
            return Err(D::Error::custom(
                "stored payment breaks 0 <= refunded <= captured <= amount or its status",
            ));
        }
        Ok(payment)
    }
}

impl Payment {
    /// A payment authorized through an `AUTHORIZE` / `AUTHORIZE_PA` window, to be captured.
    ///
    /// The amount must fit the currency (`AmountError` otherwise: a fractional KRW amount,
    /// an unsendable currency code), so no payment exists that no command could touch.
    pub fn authorized(
        transaction_id: TransactionId,
        order_id: OrderId,
        currency: Currency,
        amount: Amount,
        lang: Lang,
    ) -> Result<Self, AmountError> {
        Payment::starting(
            PaymentStatus::Authorized,
            transaction_id,
            order_id,
            currency,
            amount,
            lang,
        )
    }

    /// A payment starting in `status`, after checking the amount fits the currency.
    fn starting(
        status: PaymentStatus,
        transaction_id: TransactionId,
        order_id: OrderId,
        currency: Currency,
        amount: Amount,
        lang: Lang,
    ) -> Result<Self, AmountError> {
        amount.check_currency(&currency)?;
        let captured = if status == PaymentStatus::Captured {
            amount.value()
        } else {
            Decimal::ZERO
        };
        Ok(Payment {
            transaction_id,
            order_id,
            currency,
            amount,
            lang,
            status,
            captured,
            refunded: Decimal::ZERO,
            applied_refunds: Vec::new(),
            in_doubt: None,
            partially_cancelable: None,
            authorized_at: None,
            authorization_expires_after_days: None,
            registration_transaction_id: None,
        })
    }

    /// A cash or bank-transfer payment the gateway registered (`status=Registered`) and the
    /// buyer has not paid yet. The amount must fit the currency.
    pub fn registered(
        transaction_id: TransactionId,
        order_id: OrderId,
        currency: Currency,
        amount: Amount,
        lang: Lang,
    ) -> Result<Self, AmountError> {
        Payment::starting(
            PaymentStatus::Registered,
            transaction_id,
            order_id,
            currency,
            amount,
            lang,
        )
    }

    /// A payment made through a `PAYMENT` / `PAYMENT_PA` window: captured automatically.
    /// The amount must fit the currency.
    pub fn captured(
        transaction_id: TransactionId,
        order_id: OrderId,
        currency: Currency,
        amount: Amount,
        lang: Lang,
    ) -> Result<Self, AmountError> {
        Payment::starting(
            PaymentStatus::Captured,
            transaction_id,
            order_id,
            currency,
            amount,
            lang,
        )
    }

    /// The payment's transaction id: the one captures, refunds and reconciles name. For a
    /// cash payment whose `Sale` came under a transaction id of its own, the Sale's (the
    /// transaction that holds the money); the registration's is
    /// [`Payment::registration_transaction_id`].
    pub fn transaction_id(&self) -> &TransactionId {
        &self.transaction_id
    }

    /// For a cash payment whose `Sale` notification carried a transaction id other than its
    /// `Registered` one: the registration's id. `None` when the gateway kept one id.
    pub fn registration_transaction_id(&self) -> Option<&TransactionId> {
        self.registration_transaction_id.as_ref()
    }

    /// Whether the gateway's id names this payment: its transaction id, or the id its
    /// registration had (notifications may come under either).
    pub fn is_known_as(&self, transaction_id: &TransactionId) -> bool {
        let id = transaction_id.as_str().trim();
        id == self.transaction_id.as_str()
            || self
                .registration_transaction_id
                .as_ref()
                .is_some_and(|r| r.as_str() == id)
    }

    /// The order id.
    pub fn order_id(&self) -> &OrderId {
        &self.order_id
    }

    /// The currency.
    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    /// The authorized amount.
    pub fn amount(&self) -> &Amount {
        &self.amount
    }

    /// Where the payment stands.
    pub fn status(&self) -> PaymentStatus {
        self.status
    }

    /// Captured so far (0 or the amount).
    pub fn captured_amount(&self) -> Decimal {
        self.captured
    }

    /// Refunded so far.
    pub fn refunded_amount(&self) -> Decimal {
        self.refunded
    }

    /// What a refund may still take back (before capture: the whole authorization, which a
    /// full refund voids).
    pub fn refundable(&self) -> Decimal {
        match self.status {
            PaymentStatus::Authorized => self.amount.value(),
            _ => self.captured - self.refunded,
        }
    }

    /// Whether the gateway allows partial refunds (`partially_cancelable` of the capture
    /// answer; `None` when it did not say).
    pub fn partially_cancelable(&self) -> Option<bool> {
        self.partially_cancelable
    }

    /// The refunds applied so far, in order.
    pub fn applied_refunds(&self) -> &[AppliedRefund] {
        &self.applied_refunds
    }

    /// The command whose outcome is unknown, while [`PaymentStatus::NeedsReconcile`].
    pub fn in_doubt(&self) -> Option<&PaymentCommand> {
        self.in_doubt.as_ref()
    }

    /// `0 ≤ refunded ≤ captured ≤ amount`, and the status agrees with the figures.
    pub fn invariant_holds(&self) -> bool {
        let figures = Decimal::ZERO <= self.refunded
            && self.refunded <= self.captured
            && self.captured <= self.amount.value();
        let status = match self.status {
            PaymentStatus::Registered | PaymentStatus::Authorized => {
                self.captured.is_zero() && self.refunded.is_zero()
            }
            PaymentStatus::Captured => {
                self.captured == self.amount.value() && self.refunded.is_zero()
            }
            PaymentStatus::PartiallyRefunded => {
                self.refunded > Decimal::ZERO && self.refunded < self.captured
            }
            PaymentStatus::Refunded => {
                self.captured > Decimal::ZERO && self.refunded == self.captured
            }
            PaymentStatus::Voided => self.captured.is_zero(),
            PaymentStatus::NeedsReconcile => self.in_doubt.is_some(),
        };
        figures && status
    }

    fn refuse_when_in_doubt(&self) -> Result<(), PaymentRefusal> {
        if self.status == PaymentStatus::NeedsReconcile {
            Err(PaymentRefusal::NeedsReconcile)
        } else {
            Ok(())
        }
    }

    /// The capture of an authorized payment.
    pub fn capture(&self) -> Result<Capture, PaymentRefusal> {
        self.refuse_when_in_doubt()?;
        if self.status != PaymentStatus::Authorized {
            return Err(PaymentRefusal::NotAllowed {
                command: "capture",
                status: self.status,
            });
        }
        Ok(Capture {
            transaction_id: self.transaction_id.clone(),
            order_id: self.order_id.clone(),
            currency: self.currency.clone(),
            amount: self.amount.clone(),
            lang: self.lang.clone(),
        })
    }

    /// Refunds everything still refundable: before capture this voids the authorization
    /// (`F`); after capture it is `F` when nothing was refunded yet and `P` for the rest
    /// otherwise. `command_key` identifies this refund command: retrying with the same key
    /// sends the same `refund_id`.
    pub fn refund_full(
        &self,
        command_key: &str,
        reason: Option<&str>,
    ) -> Result<Cancel, PaymentRefusal> {
        self.refuse_when_in_doubt()?;
        match self.status {
            PaymentStatus::Authorized
            | PaymentStatus::Captured
            | PaymentStatus::PartiallyRefunded => {
                let rest = self.refundable();
                let balance = if rest == self.amount.value() {
                    self.amount.clone()
                } else {
                    Amount::from_decimal(rest)?
                };
                let kind = RefundKind::rest_of(&self.amount, &balance);
                self.cancel(balance, kind, command_key, reason)
            }
            status => Err(PaymentRefusal::NotAllowed {
                command: "refund",
                status,
            }),
        }
    }

    /// Refunds part of a captured payment (up to all of what is refundable). Refunding more
    /// than the balance, or part of a payment the gateway marked `partially_cancelable = N`,
    /// is refused here, before anything is sent.
    pub fn refund_partial(
        &self,
        amount: Amount,
        command_key: &str,
        reason: Option<&str>,
    ) -> Result<Cancel, PaymentRefusal> {
        self.refuse_when_in_doubt()?;
        if !matches!(
            self.status,
            PaymentStatus::Captured | PaymentStatus::PartiallyRefunded
        ) {
            return Err(PaymentRefusal::NotAllowed {
                command: "partial refund",
                status: self.status,
            });
        }
        if self.partially_cancelable == Some(false) {
            return Err(PaymentRefusal::PartialRefundNotAllowed);
        }
        amount.check_currency(&self.currency)?;
        let balance = self.refundable();
        if amount.value() > balance {
            return Err(PaymentRefusal::ExceedsBalance {
                requested: amount.value(),
                balance,
            });
        }
        let balance = Amount::from_decimal(balance)?;
        self.cancel(balance, RefundKind::Partial(amount), command_key, reason)
    }

    /// The cancel operation of a refund command. A key whose refund was already applied is
    /// never sent again: for another amount it is a caller's mistake (the same `refund_id`
    /// would name two refunds), for the same amount the refund is done — and whether the
    /// gateway answers a repeated `refund_id` with the original refund is not documented.
    fn cancel(
        &self,
        balance: Amount,
        kind: RefundKind,
        command_key: &str,
        reason: Option<&str>,
    ) -> Result<Cancel, PaymentRefusal> {
        let cancel = Cancel::new(
            self.transaction_id.clone(),
            self.order_id.clone(),
            self.currency.clone(),
            self.amount.clone(),
            balance,
            kind,
            RefundId::derive(&self.transaction_id, command_key),
            self.lang.clone(),
        )
        // The guide requires a reason: the default one, in the operation the caller sees.
        .with_reason(reason.unwrap_or(crate::ops::cancel::DEFAULT_REFUND_REASON));
        let requested = cancel.refund_amount().value();
        if let Some(applied) = self.applied_refund(&cancel.refund_id) {
            return Err(match applied.amount {
                Some(amount) if amount != requested => PaymentRefusal::RefundKeyReused {
                    refund_id: cancel.refund_id,
                    applied: amount,
                    requested,
                },
                _ => PaymentRefusal::RefundAlreadyApplied {
                    refund_id: cancel.refund_id,
                },
            });
        }
        Ok(cancel)
    }

    fn applied_refund(&self, refund_id: &RefundId) -> Option<&AppliedRefund> {
        self.applied_refunds
            .iter()
            .find(|applied| applied.refund_id == *refund_id)
    }

    /// The retrieve that tells the payment's true state. Always allowed.
    pub fn reconcile(&self) -> Retrieve {
        Retrieve {
            key_field: KeyField::TransactionId,
            order_id: self.order_id.clone(),
            transaction_id: Some(self.transaction_id.clone()),
            currency: self.currency.clone(),
            amount: self.amount.clone(),
            lang: self.lang.clone(),
        }
    }

    /// The legacy `QUERY` (by `TRANSID`) that tells the payment's true state: the reconcile
    /// of merchants on the legacy payment window (it needs the secret key). Always allowed;
    /// its answer applies as [`PaymentOutcome::Retrieved`], like [`Payment::reconcile`]'s.
    pub fn reconcile_by_query(&self) -> Query {
        Query {
            key_field: KeyField::TransactionId,
            order_id: self.order_id.clone(),
            transaction_id: Some(self.transaction_id.clone()),
            currency: self.currency.clone(),
            amount: self.amount.clone(),
            lang: self.lang.clone(),
            params: MerchantParams::default(),
        }
    }
}
