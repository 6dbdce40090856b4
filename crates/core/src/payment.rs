//! The life of one card payment, as a state machine.
//!
//! ```text
//!              capture                refund (part)           refund (rest)
//! Authorized ──────────▶ Captured ─────────────▶ PartiallyRefunded ──────────▶ Refunded
//!     │                     └──────────────── refund (all) ───────────────────────▲
//!     └── refund (all, before capture) ──▶ Voided
//!
//! any money-moving command whose outcome is unknown ──▶ NeedsReconcile ──retrieve──▶ (true state)
//! ```
//!
//! Commands (`capture`, `refund_full`, `refund_partial`, `reconcile`) only *read* the state:
//! they check that the command is legal and hand back the [`Operation`](crate::Operation)
//! to send. [`Payment::apply`] then takes the parsed outcome and moves the state, returning
//! a [`Transition`] or an [`InvalidTransition`] (leaving the state as it was).
//!
//! Invariant, after every step: `0 ≤ refunded ≤ captured ≤ amount`.

use rust_decimal::Decimal;

use crate::codes::{Lang, RemoteStatus, TransactionType};
use crate::error::GatewayError;
use crate::ids::{OrderId, RefundId, TransactionId};
use crate::money::{Amount, AmountError, Currency};
use crate::notification::{Notification, NotificationError};
use crate::ops::cancel::{Cancel, RefundKind, Refunded};
use crate::ops::capture::{Capture, Captured};
use crate::ops::retrieve::{KeyField, Retrieve, Retrieved};

/// Where a payment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum PaymentStatus {
    /// Authorized, not captured (`AUTHORIZE` payments).
    Authorized,
    /// Captured in full, nothing refunded.
    Captured,
    /// Part of the captured amount was refunded.
    PartiallyRefunded,
    /// Everything captured was refunded.
    Refunded,
    /// Cancelled before capture.
    Voided,
    /// A money-moving call ended with an unknown outcome; only `reconcile` is allowed.
    NeedsReconcile,
}

/// A command whose outcome is being applied.
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

/// What happened in a transition.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
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
    /// The gateway refused a command; nothing changed.
    Declined {
        /// The result code.
        rescode: String,
    },
    /// A command's outcome is unknown; the payment must be reconciled.
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

/// A state change (or a confirmed non-change).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Transition {
    /// Status before.
    pub from: PaymentStatus,
    /// Status after.
    pub to: PaymentStatus,
    /// What happened.
    pub event: PaymentEvent,
}

/// A command or outcome that does not fit the payment's state. The state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTransition {
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
    applied_refunds: Vec<RefundId>,
    in_doubt: Option<PaymentCommand>,
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
    pub fn authorized(
        transaction_id: TransactionId,
        order_id: OrderId,
        currency: Currency,
        amount: Amount,
        lang: Lang,
    ) -> Self {
        Payment {
            transaction_id,
            order_id,
            currency,
            amount,
            lang,
            status: PaymentStatus::Authorized,
            captured: Decimal::ZERO,
            refunded: Decimal::ZERO,
            applied_refunds: Vec::new(),
            in_doubt: None,
        }
    }

    /// A payment made through a `PAYMENT` / `PAYMENT_PA` window: captured automatically.
    pub fn captured(
        transaction_id: TransactionId,
        order_id: OrderId,
        currency: Currency,
        amount: Amount,
        lang: Lang,
    ) -> Self {
        let mut payment = Payment::authorized(transaction_id, order_id, currency, amount, lang);
        payment.status = PaymentStatus::Captured;
        payment.captured = payment.amount.value();
        payment
    }

    /// The payment a successful `status_url` notification reports (verify it first):
    /// `AUTHORIZE` / `AUTHORIZE_PA` payments start [`PaymentStatus::Authorized`],
    /// `PAYMENT` / `PAYMENT_PA` payments [`PaymentStatus::Captured`].
    pub fn from_status_notification(
        notification: &Notification<'_>,
        lang: Lang,
    ) -> Result<Self, NotificationError> {
        match notification.rescode() {
            Some(code) if code.is_success() => {}
            Some(code) => return Err(NotificationError::NotSuccessful(code.as_str().to_owned())),
            None => return Err(NotificationError::MissingField("rescode")),
        }
        let transaction_id = notification
            .transaction_id()
            .ok_or(NotificationError::MissingField("transaction id"))?;
        let order_id = notification
            .order_id()
            .ok_or(NotificationError::MissingField("order id"))?;
        let currency = notification
            .currency()
            .ok_or(NotificationError::MissingField("currency"))?;
        let amount = notification
            .amount()
            .ok_or(NotificationError::MissingField("amount"))
            .and_then(|a| {
                Amount::parse(a.as_str()).map_err(|_| NotificationError::InvalidField("amount"))
            })?;
        let start: fn(TransactionId, OrderId, Currency, Amount, Lang) -> Payment =
            match notification.transaction_type() {
                Some(TransactionType::Authorize | TransactionType::AuthorizePa) => {
                    Payment::authorized
                }
                Some(TransactionType::Payment | TransactionType::PaymentPa) => Payment::captured,
                Some(_) => return Err(NotificationError::InvalidField("transaction type")),
                None => return Err(NotificationError::MissingField("transaction type")),
            };
        Ok(start(transaction_id, order_id, currency, amount, lang))
    }

    /// The payment's transaction id.
    pub fn transaction_id(&self) -> &TransactionId {
        &self.transaction_id
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
            PaymentStatus::Authorized => self.captured.is_zero() && self.refunded.is_zero(),
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

    fn refuse_when_in_doubt(&self) -> Result<(), InvalidTransition> {
        if self.status == PaymentStatus::NeedsReconcile {
            Err(InvalidTransition::NeedsReconcile)
        } else {
            Ok(())
        }
    }

    /// The capture of an authorized payment.
    pub fn capture(&self) -> Result<Capture, InvalidTransition> {
        self.refuse_when_in_doubt()?;
        if self.status != PaymentStatus::Authorized {
            return Err(InvalidTransition::NotAllowed {
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
    ) -> Result<Cancel, InvalidTransition> {
        self.refuse_when_in_doubt()?;
        match self.status {
            PaymentStatus::Authorized | PaymentStatus::Captured => {
                Ok(self.cancel(self.amount.clone(), RefundKind::Full, command_key, reason))
            }
            PaymentStatus::PartiallyRefunded => {
                let rest = Amount::from_decimal(self.refundable())?;
                Ok(self.cancel(rest.clone(), RefundKind::Partial(rest), command_key, reason))
            }
            status => Err(InvalidTransition::NotAllowed {
                command: "refund",
                status,
            }),
        }
    }

    /// Refunds part of a captured payment (up to all of what is refundable). Refunding more
    /// than the balance is refused here, before anything is sent.
    pub fn refund_partial(
        &self,
        amount: Amount,
        command_key: &str,
        reason: Option<&str>,
    ) -> Result<Cancel, InvalidTransition> {
        self.refuse_when_in_doubt()?;
        if !matches!(
            self.status,
            PaymentStatus::Captured | PaymentStatus::PartiallyRefunded
        ) {
            return Err(InvalidTransition::NotAllowed {
                command: "partial refund",
                status: self.status,
            });
        }
        amount.check_currency(&self.currency)?;
        let balance = self.refundable();
        if amount.value() > balance {
            return Err(InvalidTransition::ExceedsBalance {
                requested: amount.value(),
                balance,
            });
        }
        let balance = Amount::from_decimal(balance)?;
        Ok(self.cancel(balance, RefundKind::Partial(amount), command_key, reason))
    }

    fn cancel(
        &self,
        balance: Amount,
        kind: RefundKind,
        command_key: &str,
        reason: Option<&str>,
    ) -> Cancel {
        Cancel {
            transaction_id: self.transaction_id.clone(),
            order_id: self.order_id.clone(),
            currency: self.currency.clone(),
            amount: self.amount.clone(),
            balance,
            kind,
            refund_id: RefundId::derive(&self.transaction_id, command_key),
            reason: reason.map(str::to_owned),
            lang: self.lang.clone(),
            refund_account: None,
        }
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

    /// Applies a parsed outcome. On error the payment is unchanged.
    pub fn apply(&mut self, outcome: PaymentOutcome) -> Result<Transition, InvalidTransition> {
        let from = self.status;
        let event = match outcome {
            PaymentOutcome::Captured(captured) => self.apply_captured(&captured)?,
            PaymentOutcome::Refunded(refunded) => self.apply_refunded(&refunded)?,
            PaymentOutcome::Retrieved(retrieved) => self.apply_retrieved(&retrieved)?,
            PaymentOutcome::Declined { error, .. } => PaymentEvent::Declined {
                rescode: error.rescode.as_str().to_owned(),
            },
            PaymentOutcome::Ambiguous { command } => {
                if command.moves_money() {
                    self.status = PaymentStatus::NeedsReconcile;
                    // Keep the first command in doubt: it is the one that may have moved money.
                    if self.in_doubt.is_none() {
                        self.in_doubt = Some(command);
                    }
                }
                PaymentEvent::OutcomeUnknown
            }
        };
        Ok(Transition {
            from,
            to: self.status,
            event,
        })
    }

    fn check_same_payment(&self, got: &TransactionId) -> Result<(), InvalidTransition> {
        if *got == self.transaction_id {
            Ok(())
        } else {
            Err(InvalidTransition::WrongPayment {
                expected: self.transaction_id.clone(),
                got: got.clone(),
            })
        }
    }

    fn apply_captured(&mut self, captured: &Captured) -> Result<PaymentEvent, InvalidTransition> {
        self.check_same_payment(&captured.transaction_id)?;
        if self.status != PaymentStatus::Authorized {
            return Err(InvalidTransition::UnexpectedOutcome {
                outcome: "capture",
                status: self.status,
            });
        }
        let amount = gateway_decimal("payment.amount", captured.amount.as_str())?;
        if amount != self.amount.value() {
            return Err(InvalidTransition::AmountMismatch {
                field: "payment.amount",
                expected: self.amount.value(),
                got: captured.amount.as_str().to_owned(),
            });
        }
        self.captured = amount;
        self.status = PaymentStatus::Captured;
        Ok(PaymentEvent::Captured)
    }

    fn apply_refunded(&mut self, refunded: &Refunded) -> Result<PaymentEvent, InvalidTransition> {
        self.check_same_payment(&refunded.payment.transaction_id)?;
        let refund_id = refunded.refund.refund_id.clone();
        if self.applied_refunds.contains(&refund_id) {
            return Ok(PaymentEvent::DuplicateRefund { refund_id });
        }
        let amount = gateway_decimal(
            "refund.refund_amount",
            refunded.refund.refund_amount.as_str(),
        )?;
        if amount <= Decimal::ZERO {
            return Err(InvalidTransition::AmountMismatch {
                field: "refund.refund_amount",
                expected: self.refundable(),
                got: refunded.refund.refund_amount.as_str().to_owned(),
            });
        }
        let event = match self.status {
            PaymentStatus::Authorized => {
                if amount != self.amount.value() {
                    return Err(InvalidTransition::AmountMismatch {
                        field: "refund.refund_amount",
                        expected: self.amount.value(),
                        got: refunded.refund.refund_amount.as_str().to_owned(),
                    });
                }
                self.status = PaymentStatus::Voided;
                PaymentEvent::Voided
            }
            PaymentStatus::Captured | PaymentStatus::PartiallyRefunded => {
                let balance = self.refundable();
                if amount > balance {
                    return Err(InvalidTransition::ExceedsBalance {
                        requested: amount,
                        balance,
                    });
                }
                self.refunded += amount;
                self.status = if self.refunded == self.captured {
                    PaymentStatus::Refunded
                } else {
                    PaymentStatus::PartiallyRefunded
                };
                PaymentEvent::Refunded {
                    refund_id: refund_id.clone(),
                    amount,
                }
            }
            status => {
                return Err(InvalidTransition::UnexpectedOutcome {
                    outcome: "refund",
                    status,
                });
            }
        };
        self.applied_refunds.push(refund_id);
        // The gateway's own balance must agree with ours; if not, only a retrieve can say
        // which is right.
        if let Some(gateway_balance) = &refunded.payment.balance {
            let ours = self.refundable_after_refund();
            if gateway_balance.to_decimal() != Some(ours) {
                self.in_doubt = Some(PaymentCommand::Reconcile);
                self.status = PaymentStatus::NeedsReconcile;
                return Ok(PaymentEvent::BalanceDiverged {
                    ours,
                    gateway: gateway_balance.as_str().to_owned(),
                });
            }
        }
        Ok(event)
    }

    fn refundable_after_refund(&self) -> Decimal {
        match self.status {
            PaymentStatus::Voided => Decimal::ZERO,
            _ => self.captured - self.refunded,
        }
    }

    fn apply_retrieved(
        &mut self,
        retrieved: &Retrieved,
    ) -> Result<PaymentEvent, InvalidTransition> {
        if let Some(tid) = &retrieved.transaction_id {
            self.check_same_payment(tid)?;
        }
        let amount = self.amount.value();
        let balance = || -> Result<Decimal, InvalidTransition> {
            let text = retrieved.balance.as_ref().map_or("", |b| b.as_str());
            let balance = gateway_decimal("payment.balance", text)?;
            if balance > amount {
                return Err(InvalidTransition::AmountMismatch {
                    field: "payment.balance",
                    expected: amount,
                    got: text.to_owned(),
                });
            }
            Ok(balance)
        };
        let (status, captured, refunded) = match &retrieved.status {
            RemoteStatus::Auth => (PaymentStatus::Authorized, Decimal::ZERO, Decimal::ZERO),
            RemoteStatus::Sale | RemoteStatus::PartialCancel => {
                let refunded = amount - balance()?;
                let status = if refunded.is_zero() {
                    PaymentStatus::Captured
                } else if refunded == amount {
                    PaymentStatus::Refunded
                } else {
                    PaymentStatus::PartiallyRefunded
                };
                (status, amount, refunded)
            }
            RemoteStatus::Cancel => {
                // `captured` is never reset once money was captured (a full refund keeps it).
                let was_captured = self.captured > Decimal::ZERO
                    || retrieved.captured_date.is_some()
                    || matches!(self.in_doubt, Some(PaymentCommand::Capture));
                if was_captured {
                    (PaymentStatus::Refunded, amount, amount)
                } else {
                    (PaymentStatus::Voided, Decimal::ZERO, Decimal::ZERO)
                }
            }
            other => {
                return Err(InvalidTransition::UnrecognizedRemoteStatus(
                    other.as_str().to_owned(),
                ));
            }
        };
        // A refund in doubt that the gateway's figures show as done is recorded as applied,
        // so a late or repeated answer for it is not counted twice.
        if let Some(PaymentCommand::Refund {
            refund_id,
            amount: in_doubt,
        }) = &self.in_doubt
        {
            if refunded >= self.refunded + *in_doubt && !self.applied_refunds.contains(refund_id) {
                self.applied_refunds.push(refund_id.clone());
            }
        }
        self.status = status;
        self.captured = captured;
        self.refunded = refunded;
        self.in_doubt = None;
        Ok(PaymentEvent::Reconciled)
    }
}

fn gateway_decimal(field: &'static str, text: &str) -> Result<Decimal, InvalidTransition> {
    crate::money::GatewayAmount::new(text)
        .to_decimal()
        .ok_or_else(|| InvalidTransition::UnreadableAmount {
            field,
            got: text.to_owned(),
        })
}
