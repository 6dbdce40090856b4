//! The life of a recurring (monthly) payment, as a state machine.
//!
//! ```text
//!          charge fails (1st, 2nd)           charge fails (3rd)
//! Active ───────────────────────▶ Retrying ─────────────────────▶ Terminated(FailedCharges)
//!   ▲  ◀──── charge succeeds ─────────┘
//!   └─ adjust (not on the charge day, KST) keeps it Active with the new amount
//! any live state ── terminate ──▶ Terminated(ByMerchant)
//! ```
//!
//! The gateway charges monthly on the charge date, retries a failed charge twice, and
//! terminates the registration after the third failure; every result is POSTed to the
//! `recurringURL` and applied here with [`Recurring::apply`].

use crate::codes::ResultCode;
use crate::ids::{RecurringId, TransactionId};
use crate::machine::{Finished, StateMachine, Transition};
use crate::money::{Amount, AmountError, Currency, GatewayAmount};
use crate::notification::{Notification, NotificationError};
use crate::ops::MerchantParams;
use crate::ops::recurring_adjust::{RecurringAdjust, RecurringAdjusted};
use crate::ops::recurring_terminate::{RecurringTerminate, RecurringTerminated};
use crate::ops::v1_recurring_adjust::{V1RecurringAdjust, V1RecurringAdjusted};
use crate::ops::v1_recurring_delete::{V1RecurringDelete, V1RecurringDeleted};
use crate::registration::RegistrationResult;
use crate::time::{Date, Timestamp};

/// Failed attempts after which the gateway terminates a registration.
pub const MAX_CHARGE_ATTEMPTS: u8 = 3;

/// Why a registration ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum TerminationReason {
    /// The merchant terminated it.
    ByMerchant,
    /// The gateway terminated it after the third failed charge.
    FailedCharges,
}

/// Where a recurring payment stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum RecurringStatus {
    /// Charging monthly.
    Active,
    /// The current charge failed `failed_attempts` times (1 or 2); the gateway retries.
    Retrying {
        /// Failed attempts so far.
        failed_attempts: u8,
    },
    /// No more charges.
    Terminated {
        /// Why.
        reason: TerminationReason,
    },
}

/// One charge result posted to `recurringURL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeResult {
    /// The registration.
    pub recurring_id: RecurringId,
    /// The charge's transaction, when sent.
    pub transaction_id: Option<TransactionId>,
    /// The result code (`0000` = charged).
    pub rescode: ResultCode,
    /// The charged amount, as sent.
    pub amount: Option<GatewayAmount>,
    /// `recurringRetry`: which attempt this was (1–3).
    pub attempt: Option<u8>,
    /// `recurringNext`: the next charge date.
    pub next: Option<Date>,
    /// The day (KST) the charge ran, from `resdt` (`YYYYMMDDhhmmss`).
    pub charged_on: Option<Date>,
}

impl ChargeResult {
    /// Where this result stands in the registration's history, when the gateway sent
    /// `recurringNext`: `(recurringNext, 0)` for a success (the charge before that date) and
    /// `(recurringNext, attempt)` for a failure (attempt `n` at the charge due that date).
    /// Along the real history these only grow, so a result at or below the last applied one
    /// is a duplicate or arrived out of order, and is ignored.
    pub fn position(&self) -> Option<(Date, u8)> {
        let next = self.next?;
        Some(if self.rescode.is_success() {
            (next, 0)
        } else {
            (next, self.attempt.unwrap_or(1).max(1))
        })
    }

    /// Reads a (verified) `recurringURL` notification.
    pub fn from_notification(notification: &Notification<'_>) -> Result<Self, NotificationError> {
        Ok(ChargeResult {
            recurring_id: notification
                .recurring_id()
                .ok_or(NotificationError::MissingField("recurringID"))?,
            transaction_id: notification.transaction_id(),
            rescode: notification
                .rescode()
                .ok_or(NotificationError::MissingField("rescode"))?,
            amount: notification.amount(),
            attempt: notification.recurring_retry(),
            next: notification.recurring_next(),
            charged_on: notification
                .get("resdt")
                .and_then(|d| d.get(..8))
                .and_then(Date::parse_yyyymmdd),
        })
    }
}

/// A parsed outcome to apply to a recurring payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecurringOutcome {
    /// The merchant's terminate call succeeded.
    Terminated {
        /// The registration.
        recurring_id: RecurringId,
    },
    /// The merchant's adjust call succeeded.
    Adjusted {
        /// The registration.
        recurring_id: RecurringId,
        /// The new amount.
        amount: Amount,
    },
    /// A monthly charge result arrived.
    Charged(ChargeResult),
}

impl From<RecurringTerminated> for RecurringOutcome {
    fn from(t: RecurringTerminated) -> Self {
        RecurringOutcome::Terminated {
            recurring_id: t.recurring_id,
        }
    }
}

impl From<V1RecurringDeleted> for RecurringOutcome {
    fn from(t: V1RecurringDeleted) -> Self {
        RecurringOutcome::Terminated {
            recurring_id: t.recurring_id,
        }
    }
}

impl From<RecurringAdjusted> for RecurringOutcome {
    fn from(a: RecurringAdjusted) -> Self {
        RecurringOutcome::Adjusted {
            recurring_id: a.recurring_id,
            amount: a.amount,
        }
    }
}

impl From<V1RecurringAdjusted> for RecurringOutcome {
    fn from(a: V1RecurringAdjusted) -> Self {
        RecurringOutcome::Adjusted {
            recurring_id: a.recurring_id,
            amount: a.amount,
        }
    }
}

/// What happened in a recurring payment's transition.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum RecurringEvent {
    /// A charge succeeded; the next one is due on `next_charge`.
    Charged {
        /// Next charge date.
        next_charge: Date,
    },
    /// A charge failed.
    ChargeFailed {
        /// Failed attempts so far.
        failed_attempts: u8,
        /// The result code.
        rescode: String,
    },
    /// The amount changed.
    Adjusted {
        /// The new amount.
        amount: Amount,
    },
    /// The registration ended.
    Terminated {
        /// Why.
        reason: TerminationReason,
    },
    /// The same charge result arrived again; nothing changed.
    DuplicateCharge,
    /// An older charge result arrived after a newer one; nothing changed.
    StaleCharge,
    /// The gateway declined the merchant's call; nothing changed.
    Declined {
        /// The result code.
        rescode: String,
    },
    /// The gateway rejected the merchant's request itself (`EC*`); nothing changed.
    Rejected {
        /// The result code.
        rescode: String,
    },
    /// The merchant's call failed where nothing can have been applied; nothing changed.
    FailedSafely,
    /// Whether the merchant's call took effect is unknown. Nothing changed here: the next
    /// charge result shows it, and sending the call again is safe (a terminated registration
    /// is refused, an amount is set, not added).
    OutcomeUnknown,
}

/// A recurring payment's state change (or a confirmed non-change).
pub type RecurringTransition = Transition<RecurringStatus, RecurringEvent>;

/// A command or outcome that does not fit. The state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecurringRefusal {
    /// The registration is terminated.
    #[error("the recurring payment is terminated")]
    Terminated,
    /// The gateway refuses adjustments on the charge day (KST).
    #[error("the amount cannot be changed on the charge day ({0}, KST)")]
    ChargeDay(Date),
    /// The amount does not fit the currency.
    #[error("invalid amount: {0}")]
    InvalidAmount(#[from] AmountError),
    /// The outcome is about another registration.
    #[error("the outcome is about recurring payment {got}, not {expected}")]
    WrongRegistration {
        /// Ours.
        expected: RecurringId,
        /// Theirs.
        got: RecurringId,
    },
}

/// One recurring registration.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Recurring {
    recurring_id: RecurringId,
    currency: Currency,
    amount: Amount,
    next_charge: Date,
    status: RecurringStatus,
    last_charge: Option<TransactionId>,
    /// The day (KST) of the last charge attempt: still "the charge day" for the gateway.
    last_charge_day: Option<Date>,
    /// The position of the last applied charge result ([`ChargeResult::position`]).
    last_position: Option<(Date, u8)>,
}

impl Recurring {
    /// A registration charging `amount` monthly, next on `next_charge`.
    pub fn new(
        recurring_id: RecurringId,
        currency: Currency,
        amount: Amount,
        next_charge: Date,
    ) -> Self {
        Recurring {
            recurring_id,
            currency,
            amount,
            next_charge,
            status: RecurringStatus::Active,
            last_charge: None,
            last_charge_day: None,
            last_position: None,
        }
    }

    /// The registration the payment-window result describes. When the result has no
    /// `recurringNext`, the date is computed as the gateway does (`expected_next_charge`).
    pub fn from_registration(
        result: &RegistrationResult,
        currency: Currency,
        amount: Amount,
        expected_next_charge: Date,
    ) -> Self {
        Recurring::new(
            result.recurring_id.clone(),
            currency,
            amount,
            result.next.unwrap_or(expected_next_charge),
        )
    }

    /// The registration's id.
    pub fn recurring_id(&self) -> &RecurringId {
        &self.recurring_id
    }

    /// The currency.
    pub fn currency(&self) -> &Currency {
        &self.currency
    }

    /// The monthly amount.
    pub fn amount(&self) -> &Amount {
        &self.amount
    }

    /// The next charge date (KST).
    pub fn next_charge(&self) -> Date {
        self.next_charge
    }

    /// Where it stands.
    pub fn status(&self) -> RecurringStatus {
        self.status
    }

    fn refuse_when_terminated(&self) -> Result<(), RecurringRefusal> {
        match self.status {
            RecurringStatus::Terminated { .. } => Err(RecurringRefusal::Terminated),
            _ => Ok(()),
        }
    }

    /// The legacy terminate call (`RC_TERMINATE`).
    pub fn terminate(
        &self,
        params: MerchantParams,
    ) -> Result<RecurringTerminate, RecurringRefusal> {
        self.refuse_when_terminated()?;
        Ok(RecurringTerminate {
            recurring_id: self.recurring_id.clone(),
            params,
        })
    }

    /// The legacy adjust call (`RC_ADJUST`). Refused on the charge day in Korea — the day a
    /// charge is due, or the day the last charge ran — which the gateway also refuses; `now`
    /// is the caller's clock.
    pub fn adjust(
        &self,
        amount: Amount,
        now: Timestamp,
        params: MerchantParams,
    ) -> Result<RecurringAdjust, RecurringRefusal> {
        self.check_adjustable(&amount, now)?;
        Ok(RecurringAdjust {
            recurring_id: self.recurring_id.clone(),
            currency: self.currency.clone(),
            amount,
            params,
        })
    }

    /// The v1 adjust call (`/v1/payments/recurring/{id}/adjust`), under the same rules as
    /// [`Recurring::adjust`]: refused when terminated and on the charge day in Korea.
    pub fn adjust_v1(
        &self,
        amount: Amount,
        now: Timestamp,
    ) -> Result<V1RecurringAdjust, RecurringRefusal> {
        self.check_adjustable(&amount, now)?;
        Ok(V1RecurringAdjust {
            recurring_id: self.recurring_id.clone(),
            currency: self.currency.clone(),
            amount,
        })
    }

    /// The v1 delete call (`/v1/payments/recurring/{id}/delete`): refused when terminated.
    pub fn delete_v1(&self) -> Result<V1RecurringDelete, RecurringRefusal> {
        self.refuse_when_terminated()?;
        Ok(V1RecurringDelete {
            recurring_id: self.recurring_id.clone(),
        })
    }

    /// The rules of both adjust calls: a live registration, an amount in its currency, and
    /// not the charge day (KST) — the day a charge is due, or the day the last charge ran.
    fn check_adjustable(&self, amount: &Amount, now: Timestamp) -> Result<(), RecurringRefusal> {
        self.refuse_when_terminated()?;
        amount.check_currency(&self.currency)?;
        let today = now.kst_date();
        if today == self.next_charge || self.last_charge_day == Some(today) {
            return Err(RecurringRefusal::ChargeDay(today));
        }
        Ok(())
    }

    fn check_same(&self, got: &RecurringId) -> Result<(), RecurringRefusal> {
        if *got == self.recurring_id {
            Ok(())
        } else {
            Err(RecurringRefusal::WrongRegistration {
                expected: self.recurring_id.clone(),
                got: got.clone(),
            })
        }
    }

    /// Applies an outcome: a call's answer, or a charge result. On error nothing changes.
    pub fn apply(
        &mut self,
        outcome: RecurringOutcome,
    ) -> Result<RecurringTransition, RecurringRefusal> {
        let from = self.status;
        let event = match outcome {
            RecurringOutcome::Terminated { recurring_id } => {
                self.check_same(&recurring_id)?;
                self.refuse_when_terminated()?;
                let reason = TerminationReason::ByMerchant;
                self.status = RecurringStatus::Terminated { reason };
                RecurringEvent::Terminated { reason }
            }
            RecurringOutcome::Adjusted {
                recurring_id,
                amount,
            } => {
                self.check_same(&recurring_id)?;
                self.refuse_when_terminated()?;
                amount.check_currency(&self.currency)?;
                self.amount = amount.clone();
                RecurringEvent::Adjusted { amount }
            }
            RecurringOutcome::Charged(charge) => self.apply_charge(charge)?,
        };
        Ok(RecurringTransition {
            from,
            to: self.status,
            event,
        })
    }

    fn apply_charge(&mut self, charge: ChargeResult) -> Result<RecurringEvent, RecurringRefusal> {
        self.check_same(&charge.recurring_id)?;
        if charge.transaction_id.is_some() && charge.transaction_id == self.last_charge {
            return Ok(RecurringEvent::DuplicateCharge);
        }
        let position = charge.position();
        if position.is_some() && position <= self.last_position {
            return Ok(RecurringEvent::StaleCharge);
        }
        self.refuse_when_terminated()?;
        let previous_failures = match self.status {
            RecurringStatus::Retrying { failed_attempts } => failed_attempts,
            _ => 0,
        };
        self.last_charge = charge.transaction_id.clone();
        if position.is_some() {
            self.last_position = position;
        }
        self.last_charge_day = Some(charge.charged_on.unwrap_or(self.next_charge));
        if charge.rescode.is_success() {
            self.next_charge = charge
                .next
                .unwrap_or_else(|| self.next_charge.add_months(1));
            self.status = RecurringStatus::Active;
            return Ok(RecurringEvent::Charged {
                next_charge: self.next_charge,
            });
        }
        // A failure names the date of the charge being retried.
        if let Some(due) = charge.next {
            self.next_charge = due;
        }
        // The gateway numbers its attempts; without a number, count on from ours.
        let failed_attempts = charge
            .attempt
            .unwrap_or(previous_failures.saturating_add(1))
            .clamp(1, MAX_CHARGE_ATTEMPTS);
        self.status = if failed_attempts >= MAX_CHARGE_ATTEMPTS {
            RecurringStatus::Terminated {
                reason: TerminationReason::FailedCharges,
            }
        } else {
            RecurringStatus::Retrying { failed_attempts }
        };
        Ok(RecurringEvent::ChargeFailed {
            failed_attempts,
            rescode: charge.rescode.as_str().to_owned(),
        })
    }
}

impl StateMachine for Recurring {
    type Status = RecurringStatus;
    type Event = RecurringEvent;
    /// A registration keeps no call in doubt: the next charge result shows what took effect.
    type Command = ();
    type Answer = RecurringOutcome;
    type Refusal = RecurringRefusal;

    fn status(&self) -> RecurringStatus {
        self.status
    }

    /// An answer is applied; a declined, rejected, failed or unknown call changes nothing.
    fn absorb(
        &mut self,
        _command: (),
        finished: Finished<RecurringOutcome>,
    ) -> Result<RecurringTransition, RecurringRefusal> {
        let event = match finished {
            Finished::Done(outcome) => return self.apply(outcome),
            Finished::Declined(error) => RecurringEvent::Declined {
                rescode: error.rescode.as_str().to_owned(),
            },
            Finished::Rejected(error) => RecurringEvent::Rejected {
                rescode: error.rescode.as_str().to_owned(),
            },
            Finished::FailedSafely => RecurringEvent::FailedSafely,
            Finished::OutcomeUnknown => RecurringEvent::OutcomeUnknown,
        };
        Ok(Transition {
            from: self.status,
            to: self.status,
            event,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(rescode: &str, attempt: Option<u8>, next: Option<Date>) -> ChargeResult {
        ChargeResult {
            recurring_id: RecurringId::new("RC1"),
            transaction_id: None,
            rescode: ResultCode::from_code(rescode),
            amount: None,
            attempt,
            next,
            charged_on: None,
        }
    }

    #[test]
    fn a_charge_result_knows_its_place_in_the_history() {
        let next = Date::new(2026, 3, 1);
        assert_eq!(
            result("0000", Some(1), next).position(),
            Some((next.unwrap(), 0))
        );
        assert_eq!(
            result("HE01", Some(2), next).position(),
            Some((next.unwrap(), 2))
        );
        assert_eq!(
            result("HE01", None, next).position(),
            Some((next.unwrap(), 1))
        );
        assert_eq!(
            result("HE01", Some(0), next).position(),
            Some((next.unwrap(), 1))
        );
        assert_eq!(result("0000", Some(1), None).position(), None);
    }
}
