//! Recurring registrations on the test clock: monthly charges on the charge date, a failed
//! charge retried on the next two days, termination after the third failure, adjustments
//! refused on the charge day (KST).

use std::collections::BTreeMap;

use eximbay_core::Date;
use serde::Serialize;

use crate::commands::NewRecurring;
use crate::ledger::{Refusal, refuse, valid_amount};

/// Where a recurring registration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// Charging monthly.
    Active,
    /// The current charge failed; retried the next day.
    Retrying,
    /// Terminated by the merchant.
    TerminatedByMerchant,
    /// Terminated after the third failed charge.
    TerminatedAfterFailures,
}

impl RegistrationStatus {
    /// Whether no more charges will run.
    pub fn is_terminated(self) -> bool {
        matches!(
            self,
            RegistrationStatus::TerminatedByMerchant | RegistrationStatus::TerminatedAfterFailures
        )
    }
}

/// One recurring registration.
#[derive(Clone, Debug, Serialize)]
pub struct Registration {
    /// `recurringID`.
    pub recurring_id: String,
    /// The registering payment's order id.
    pub order_id: String,
    /// Currency code.
    pub currency: String,
    /// Monthly amount.
    pub amount: String,
    /// Where charge results go.
    pub url: String,
    /// The first recurring charge date; charge `k` is due `k` months later.
    pub first_charge: Date,
    /// Successful charges so far.
    pub charges_done: u32,
    /// Failed attempts at the current charge.
    pub failed_attempts: u32,
    /// When the next attempt runs (the due date, or the next day while retrying).
    pub next_attempt: Date,
    /// Status.
    pub status: RegistrationStatus,
    /// The day of the last charge attempt (KST).
    pub last_attempt: Option<Date>,
    /// Charges to decline next (scripted): how many, with which rescode.
    pub decline_next: u32,
    /// The rescode of scripted declines.
    pub decline_rescode: String,
}

impl Registration {
    /// The due date of the current charge.
    pub fn due(&self) -> Date {
        self.first_charge.add_months(self.charges_done)
    }

    /// A new registration (`recurringDate` after today in KST, or a month from today).
    pub fn plan(
        recurring_id: String,
        order_id: &str,
        currency: &str,
        new: &NewRecurring,
        today: Date,
    ) -> Result<Registration, String> {
        if valid_amount(&new.amount, currency).is_none() {
            return Err("invalid recurring amount".to_owned());
        }
        let first_charge = match &new.date {
            Some(date) => {
                let date = Date::parse_yyyymmdd(date).ok_or("recurringDate must be YYYYMMDD")?;
                if date <= today {
                    return Err("recurringDate must be after today (KST)".to_owned());
                }
                date
            }
            None => today.add_months(1),
        };
        Ok(Registration {
            recurring_id,
            order_id: order_id.to_owned(),
            currency: currency.to_owned(),
            amount: new.amount.clone(),
            url: new.url.clone(),
            first_charge,
            charges_done: 0,
            failed_attempts: 0,
            next_attempt: first_charge,
            status: RegistrationStatus::Active,
            last_attempt: None,
            decline_next: 0,
            decline_rescode: "HE01".to_owned(),
        })
    }
}

/// One charge attempt: the registration after it, and what it came to.
#[derive(Clone, Debug)]
pub struct ChargeAttempt {
    /// The registration after the attempt.
    pub registration: Registration,
    /// The result code (`0000`, or the scripted decline's).
    pub rescode: String,
    /// Which attempt at the current charge this was (1–3).
    pub attempt: u32,
}

impl ChargeAttempt {
    /// Whether the charge went through.
    pub fn charged(&self) -> bool {
        self.rescode == "0000"
    }
}

/// Registrations by recurring id.
#[derive(Clone, Debug, Default)]
pub struct Registrations {
    /// Registrations by recurring id.
    pub registrations: BTreeMap<String, Registration>,
}

impl Registrations {
    /// Records a registration.
    pub fn insert(&mut self, registration: Registration) {
        self.registrations
            .insert(registration.recurring_id.clone(), registration);
    }

    /// A registration that is not terminated.
    fn live(&mut self, recurring_id: &str) -> Result<&mut Registration, Refusal> {
        let registration = self
            .registrations
            .get_mut(recurring_id)
            .ok_or(refuse("EC00", "Invalid recurringID"))?;
        if registration.status.is_terminated() {
            return Err(refuse("EC00", "The recurring payment is terminated"));
        }
        Ok(registration)
    }

    /// The merchant terminates a registration.
    pub fn terminate(&mut self, recurring_id: &str) -> Result<(), Refusal> {
        self.live(recurring_id)?.status = RegistrationStatus::TerminatedByMerchant;
        Ok(())
    }

    /// The merchant changes the monthly amount; refused on the charge day — the day a
    /// charge is due or ran (a charge that ran at midnight still makes today the charge day).
    pub fn adjust(&mut self, recurring_id: &str, amount: &str, today: Date) -> Result<(), Refusal> {
        let registration = self.live(recurring_id)?;
        if valid_amount(amount, &registration.currency).is_none() {
            return Err(refuse("EC00", "Invalid adjustAmount"));
        }
        if registration.due() == today || registration.last_attempt == Some(today) {
            return Err(refuse(
                "EC00",
                "The amount cannot be changed on the charge day",
            ));
        }
        registration.amount = amount.to_owned();
        Ok(())
    }

    /// Scripts the next `count` charges of a registration to fail with `rescode`.
    pub fn decline_next(&mut self, recurring_id: &str, count: u32, rescode: &str) -> bool {
        match self.registrations.get_mut(recurring_id) {
            Some(r) => {
                r.decline_next = count;
                r.decline_rescode = rescode.to_owned();
                true
            }
            None => false,
        }
    }

    /// The earliest day a live registration's next attempt is due.
    pub fn next_attempt(&self) -> Option<Date> {
        self.registrations
            .values()
            .filter(|r| !r.status.is_terminated())
            .map(|r| r.next_attempt)
            .min()
    }

    /// The registrations with an attempt due on or before `today`.
    pub fn due(&self, today: Date) -> Vec<String> {
        self.registrations
            .values()
            .filter(|r| !r.status.is_terminated() && r.next_attempt <= today)
            .map(|r| r.recurring_id.clone())
            .collect()
    }

    /// Runs one charge attempt today: a scripted decline fails it (the third failure
    /// terminates the registration), anything else charges it.
    pub fn charge(&mut self, recurring_id: &str, today: Date) -> Option<ChargeAttempt> {
        let registration = self.registrations.get_mut(recurring_id)?;
        registration.last_attempt = Some(today);
        let declined = registration.decline_next > 0;
        let attempt = registration.failed_attempts + 1;
        let rescode = if declined {
            registration.decline_next -= 1;
            registration.decline_rescode.clone()
        } else {
            "0000".to_owned()
        };
        if declined {
            registration.failed_attempts = attempt;
            if attempt >= 3 {
                registration.status = RegistrationStatus::TerminatedAfterFailures;
            } else {
                registration.status = RegistrationStatus::Retrying;
                registration.next_attempt = today.succ();
            }
        } else {
            registration.charges_done += 1;
            registration.failed_attempts = 0;
            registration.status = RegistrationStatus::Active;
            registration.next_attempt = registration.due();
        }
        Some(ChargeAttempt {
            registration: registration.clone(),
            rescode,
            attempt,
        })
    }
}
