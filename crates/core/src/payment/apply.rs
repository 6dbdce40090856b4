//! Applying parsed outcomes to a payment: the only place a payment's state changes.
//!
//! Every function here either moves the state and says how ([`PaymentEvent`]) or returns an
//! [`PaymentRefusal`] and leaves the payment exactly as it was.

use rust_decimal::Decimal;

use super::{
    AppliedRefund, Payment, PaymentCommand, PaymentEvent, PaymentNotice, PaymentOutcome,
    PaymentRefusal, PaymentStatus, PaymentTransition,
};
use crate::codes::{NotificationStatus, RemoteStatus, TransactionType};
use crate::ids::TransactionId;
use crate::machine::{Finished, StateMachine, Transition};
use crate::money::{Currency, GatewayAmount};
use crate::ops::cancel::Refunded;
use crate::ops::capture::Captured;
use crate::ops::retrieve::Retrieved;

impl StateMachine for Payment {
    type Status = PaymentStatus;
    type Event = PaymentEvent;
    type Command = PaymentCommand;
    type Answer = PaymentOutcome;
    type Refusal = PaymentRefusal;

    fn status(&self) -> PaymentStatus {
        self.status
    }

    /// A declined command is applied as [`PaymentOutcome::Declined`] (nothing changes), an
    /// unknown outcome as [`PaymentOutcome::Ambiguous`] (a money-moving command puts the
    /// payment in `NeedsReconcile`); a rejected request or a safe failure changes nothing.
    fn absorb(
        &mut self,
        command: PaymentCommand,
        finished: Finished<PaymentOutcome>,
    ) -> Result<PaymentTransition, PaymentRefusal> {
        let unchanged = |event| Transition {
            from: self.status,
            to: self.status,
            event,
        };
        match finished {
            Finished::Done(outcome) => self.apply(outcome),
            Finished::Declined(error) => self.apply(PaymentOutcome::Declined { command, error }),
            Finished::OutcomeUnknown => self.apply(PaymentOutcome::Ambiguous { command }),
            Finished::Rejected(error) => Ok(unchanged(PaymentEvent::Rejected {
                rescode: error.rescode.as_str().to_owned(),
            })),
            Finished::FailedSafely => Ok(unchanged(PaymentEvent::FailedSafely)),
        }
    }
}

impl Payment {
    /// Applies a parsed outcome: a call's answer, or a verified notification. On error the
    /// payment is unchanged.
    pub fn apply(&mut self, outcome: PaymentOutcome) -> Result<PaymentTransition, PaymentRefusal> {
        let from = self.status;
        let event = match outcome {
            PaymentOutcome::Captured(captured) => self.apply_captured(&captured)?,
            PaymentOutcome::Refunded(refunded) => self.apply_refunded(&refunded)?,
            PaymentOutcome::Retrieved(retrieved) => self.apply_retrieved(&retrieved)?,
            PaymentOutcome::Notified(notice) => self.apply_notice(&notice)?,
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

    fn check_same_payment(&self, got: &TransactionId) -> Result<(), PaymentRefusal> {
        if got.as_str().trim() == self.transaction_id.as_str() {
            Ok(())
        } else {
            Err(PaymentRefusal::WrongPayment {
                expected: self.transaction_id.clone(),
                got: got.clone(),
            })
        }
    }

    /// An echoed currency, when sent, must be the payment's.
    fn check_same_currency(&self, got: Option<&Currency>) -> Result<(), PaymentRefusal> {
        match got {
            Some(got) if Currency::from_code(got.code().trim()) != self.currency => {
                Err(PaymentRefusal::CurrencyMismatch {
                    expected: self.currency.clone(),
                    got: got.clone(),
                })
            }
            _ => Ok(()),
        }
    }

    /// An echoed payment amount, when sent, must be the payment's (compared as numbers: the
    /// gateway writes `"1"` as `"1.00"`).
    fn check_same_amount(
        &self,
        field: &'static str,
        got: Option<&GatewayAmount>,
    ) -> Result<(), PaymentRefusal> {
        let Some(got) = got else { return Ok(()) };
        if gateway_decimal(field, got.as_str())? == self.amount.value() {
            Ok(())
        } else {
            Err(PaymentRefusal::AmountMismatch {
                field,
                expected: self.amount.value(),
                got: got.as_str().to_owned(),
            })
        }
    }

    /// An amount the gateway wrote, in the payment's currency: read as a number, and
    /// written with the currency's decimals (the gateway echoes a KRW `5000` as `5000.00`;
    /// what we compute from it and later send must be `5000`). A fraction the currency
    /// cannot have is unreadable.
    fn gateway_money(&self, field: &'static str, text: &str) -> Result<Decimal, PaymentRefusal> {
        let mut value = gateway_decimal(field, text)?;
        let exponent = self.currency.exponent();
        if value.normalize().scale() > exponent {
            return Err(PaymentRefusal::UnreadableAmount {
                field,
                got: text.to_owned(),
            });
        }
        value.rescale(exponent);
        Ok(value)
    }

    fn apply_captured(&mut self, captured: &Captured) -> Result<PaymentEvent, PaymentRefusal> {
        self.check_same_payment(&captured.transaction_id)?;
        if self.status != PaymentStatus::Authorized {
            return Err(PaymentRefusal::UnexpectedOutcome {
                outcome: "capture",
                status: self.status,
            });
        }
        self.check_same_currency(captured.currency.as_ref())?;
        self.check_same_amount("payment.amount", Some(&captured.amount))?;
        self.captured = self.amount.value();
        self.status = PaymentStatus::Captured;
        self.partially_cancelable = captured.partially_cancelable;
        Ok(PaymentEvent::Captured)
    }

    fn apply_refunded(&mut self, refunded: &Refunded) -> Result<PaymentEvent, PaymentRefusal> {
        self.check_same_payment(&refunded.payment.transaction_id)?;
        let refund_id = refunded.refund.refund_id.clone();
        let amount = self.gateway_money(
            "refund.refund_amount",
            refunded.refund.refund_amount.as_str(),
        )?;
        if let Some(applied) = self.applied_refund(&refund_id) {
            return Ok(match applied.amount {
                // The same id with another amount: the gateway and we disagree about what
                // this refund was. Only a retrieve can tell.
                Some(applied) if applied != amount => {
                    self.in_doubt = Some(PaymentCommand::Reconcile);
                    self.status = PaymentStatus::NeedsReconcile;
                    PaymentEvent::RefundDiverged {
                        refund_id,
                        applied,
                        gateway: refunded.refund.refund_amount.as_str().to_owned(),
                    }
                }
                _ => PaymentEvent::DuplicateRefund { refund_id },
            });
        }
        if amount <= Decimal::ZERO {
            return Err(PaymentRefusal::AmountMismatch {
                field: "refund.refund_amount",
                expected: self.refundable(),
                got: refunded.refund.refund_amount.as_str().to_owned(),
            });
        }
        let event = match self.status {
            PaymentStatus::Authorized => {
                if amount != self.amount.value() {
                    return Err(PaymentRefusal::AmountMismatch {
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
                    return Err(PaymentRefusal::ExceedsBalance {
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
                return Err(PaymentRefusal::UnexpectedOutcome {
                    outcome: "refund",
                    status,
                });
            }
        };
        self.applied_refunds.push(AppliedRefund {
            refund_id,
            amount: Some(amount),
        });
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

    /// Reads the gateway's record: `status` (`SALE | AUTH | REGISTERED | NONE`) together
    /// with `balance` (the refundable rest) and the payment's amount.
    ///
    /// | status | balance | state |
    /// |---|---|---|
    /// | `AUTH` | = amount | Authorized |
    /// | `AUTH` | 0 | Voided (the authorization was reversed) |
    /// | `SALE` | = amount | Captured |
    /// | `SALE` | 0 < b < amount | PartiallyRefunded |
    /// | `SALE` | 0 | Refunded |
    /// | `REGISTERED` | 0 | Voided (the registration was cancelled or expired) |
    /// | `REGISTERED` | other or absent | Registered |
    /// | `NONE` | — | error [`PaymentRefusal::UnknownAtGateway`], state unchanged |
    ///
    /// A balance that is missing (for `AUTH` / `SALE`), unreadable or outside these rows is
    /// an error and nothing changes.
    fn apply_retrieved(&mut self, retrieved: &Retrieved) -> Result<PaymentEvent, PaymentRefusal> {
        if let Some(tid) = &retrieved.transaction_id {
            self.check_same_payment(tid)?;
        }
        self.check_same_currency(retrieved.currency.as_ref())?;
        self.check_same_amount("payment.amount", retrieved.amount.as_ref())?;
        let amount = self.amount.value();
        let balance_text = retrieved.balance.as_ref().map(GatewayAmount::as_str);
        let balance = |text: Option<&str>| -> Result<Decimal, PaymentRefusal> {
            let text = text.unwrap_or_default();
            let balance = self.gateway_money("payment.balance", text)?;
            if balance > amount {
                return Err(PaymentRefusal::AmountMismatch {
                    field: "payment.balance",
                    expected: amount,
                    got: text.to_owned(),
                });
            }
            Ok(balance)
        };
        let nothing = Decimal::ZERO;
        let (status, captured, refunded) = match &retrieved.status {
            RemoteStatus::Auth => {
                let balance = balance(balance_text)?;
                if balance.is_zero() {
                    (PaymentStatus::Voided, nothing, nothing)
                } else if balance == amount {
                    (PaymentStatus::Authorized, nothing, nothing)
                } else {
                    // No partial capture or partial reversal exists: a part balance on an
                    // authorization cannot be read.
                    return Err(PaymentRefusal::AmountMismatch {
                        field: "payment.balance",
                        expected: amount,
                        got: balance_text.unwrap_or_default().to_owned(),
                    });
                }
            }
            RemoteStatus::Sale => {
                let refunded = amount - balance(balance_text)?;
                let status = if refunded.is_zero() {
                    PaymentStatus::Captured
                } else if refunded == amount {
                    PaymentStatus::Refunded
                } else {
                    PaymentStatus::PartiallyRefunded
                };
                (status, amount, refunded)
            }
            RemoteStatus::Registered => match balance_text {
                Some(text) if balance(Some(text))?.is_zero() => {
                    (PaymentStatus::Voided, nothing, nothing)
                }
                _ => (PaymentStatus::Registered, nothing, nothing),
            },
            RemoteStatus::None => return Err(PaymentRefusal::UnknownAtGateway),
            RemoteStatus::Other(other) => {
                return Err(PaymentRefusal::UnrecognizedRemoteStatus(other.clone()));
            }
        };
        // A refund in doubt that the gateway's figures show as done is recorded as applied,
        // so a late or repeated answer for it is not counted twice.
        if let Some(PaymentCommand::Refund {
            refund_id,
            amount: in_doubt,
        }) = &self.in_doubt
        {
            if refunded >= self.refunded + *in_doubt && self.applied_refund(refund_id).is_none() {
                self.applied_refunds.push(AppliedRefund {
                    refund_id: refund_id.clone(),
                    amount: Some(*in_doubt),
                });
            }
        }
        self.status = status;
        self.captured = captured;
        self.refunded = refunded;
        self.in_doubt = None;
        Ok(PaymentEvent::Reconciled)
    }

    /// Applies a verified `status_url` notification about this payment.
    ///
    /// * a failure (`rescode` other than `0000`) changes nothing;
    /// * `Registered` → nothing new (the payment was registered, or has moved on since);
    /// * `Sale` (or no status) pays a registered payment (Captured, or Authorized for an
    ///   `AUTHORIZE` payment) and is a redelivery for a paid one;
    /// * `Void` voids a registered payment or an uncaptured authorization;
    /// * a `Sale` for a voided payment or a `Void` for a captured one contradicts what we
    ///   know: the payment needs reconciling.
    fn apply_notice(&mut self, notice: &PaymentNotice) -> Result<PaymentEvent, PaymentRefusal> {
        if !self.is_known_as(&notice.transaction_id) {
            return self.apply_sale_under_new_id(notice);
        }
        if !notice.rescode.is_success() {
            return Ok(PaymentEvent::NotificationFailed {
                rescode: notice.rescode.as_str().to_owned(),
            });
        }
        self.check_same_currency(notice.currency.as_ref())?;
        self.check_same_amount("amount", notice.amount.as_ref())?;
        // While a command is in doubt only a retrieve settles the state; the notification is
        // acknowledged and the reconcile will read its effect.
        if self.status == PaymentStatus::NeedsReconcile {
            return Ok(PaymentEvent::DuplicateNotification);
        }
        let diverged = |payment: &mut Payment, status: &NotificationStatus| {
            payment.in_doubt = Some(PaymentCommand::Reconcile);
            payment.status = PaymentStatus::NeedsReconcile;
            PaymentEvent::NotificationDiverged {
                status: status.as_str().to_owned(),
            }
        };
        let status = notice.status.clone().unwrap_or(NotificationStatus::Sale);
        Ok(match (&status, self.status) {
            (NotificationStatus::Registered, _) => PaymentEvent::DuplicateNotification,
            (NotificationStatus::Sale, PaymentStatus::Registered) => {
                let authorize_only = matches!(
                    notice.transaction_type,
                    Some(TransactionType::Authorize | TransactionType::AuthorizePa)
                );
                if authorize_only {
                    self.status = PaymentStatus::Authorized;
                } else {
                    self.status = PaymentStatus::Captured;
                    self.captured = self.amount.value();
                }
                PaymentEvent::Paid
            }
            (NotificationStatus::Sale, PaymentStatus::Voided) => diverged(self, &status),
            (NotificationStatus::Sale, _) => PaymentEvent::DuplicateNotification,
            (NotificationStatus::Void, PaymentStatus::Registered | PaymentStatus::Authorized) => {
                self.status = PaymentStatus::Voided;
                PaymentEvent::Voided
            }
            (NotificationStatus::Void, PaymentStatus::Voided) => {
                PaymentEvent::DuplicateNotification
            }
            (NotificationStatus::Void, _) => diverged(self, &status),
            (NotificationStatus::Other(other), _) => {
                return Err(PaymentRefusal::UnrecognizedNotificationStatus(
                    other.clone(),
                ));
            }
        })
    }
}

impl Payment {
    /// A `Sale` under a transaction id this payment does not know: the sale of this cash
    /// registration if it names the same order, amount and currency (the gateway does not
    /// say whether a registration and its sale share an id, digest §7, §11; the one public
    /// plugin that handles them matches the sale to the order and takes the sale's id).
    /// Applied once: the payment is paid, its transaction id becomes the sale's, and the
    /// registration's id is kept. Anything else is another payment's notification, refused
    /// with nothing changed.
    fn apply_sale_under_new_id(
        &mut self,
        notice: &PaymentNotice,
    ) -> Result<PaymentEvent, PaymentRefusal> {
        let wrong_payment = || PaymentRefusal::WrongPayment {
            expected: self.transaction_id.clone(),
            got: notice.transaction_id.clone(),
        };
        let same_order = notice
            .order_id
            .as_ref()
            .is_some_and(|order| order.as_str().trim() == self.order_id.as_str());
        let is_sale = matches!(notice.status, Some(NotificationStatus::Sale));
        if self.status != PaymentStatus::Registered
            || !is_sale
            || !same_order
            || !notice.rescode.is_success()
            || notice.amount.is_none()
        {
            return Err(wrong_payment());
        }
        self.check_same_currency(notice.currency.as_ref())?;
        self.check_same_amount("amount", notice.amount.as_ref())?;
        let sale = TransactionId::new(notice.transaction_id.as_str().trim());
        let registration = std::mem::replace(&mut self.transaction_id, sale);
        self.registration_transaction_id = Some(registration);
        self.apply_notice(notice)
    }
}

pub(super) fn gateway_decimal(field: &'static str, text: &str) -> Result<Decimal, PaymentRefusal> {
    GatewayAmount::new(text)
        .to_decimal()
        .ok_or_else(|| PaymentRefusal::UnreadableAmount {
            field,
            got: text.to_owned(),
        })
}
