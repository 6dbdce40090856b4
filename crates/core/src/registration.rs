//! Registering a recurring payment through the payment window (Eximbay's recurring-payment guide, §3.1).
//!
//! The payment window's form takes extra fields: `recurringPayment=Y`, `recurringAmount`
//! (`N(10,2)`, mandatory with `Y`), `recurringDate` (`YYYYMMDD`, strictly after today in
//! Korea; monthly after that), `recurringURL` (≤ 255, receives every charge result) and
//! `recurringEmail` (days before a charge to e-mail the buyer; the gateway's default is 3).
//! The result (on `return_url` / `status_url`) adds `recurringID`, `recurringRetry` and
//! `recurringNext`.
//!
//! Without `recurringDate` the registration counts from today (KST) and the next charge is
//! one month later; with it, the first recurring charge is on that date.

use crate::error::BuildError;
use crate::ids::{RecurringId, check_url};
use crate::money::{Amount, Currency};
use crate::notification::{Notification, NotificationError};
use crate::time::{Date, Timestamp};

/// The gateway's default for `recurringEmail`.
pub const DEFAULT_EMAIL_DAYS_BEFORE: u8 = 3;

/// The recurring-payment fields of a payment-window request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecurringRegistration {
    /// Amount charged each month.
    pub amount: Amount,
    /// First recurring charge, when not one month from today.
    pub first_charge: Option<Date>,
    /// Where every charge result is posted.
    pub url: String,
    /// Days before a charge to e-mail the buyer (1–99).
    pub email_days_before: u8,
}

impl RecurringRegistration {
    /// Monthly `amount`, results posted to `url`, first charge one month from today, e-mail
    /// three days before each charge.
    pub fn new(amount: Amount, url: impl Into<String>) -> Self {
        RecurringRegistration {
            amount,
            first_charge: None,
            url: url.into(),
            email_days_before: DEFAULT_EMAIL_DAYS_BEFORE,
        }
    }

    /// Starts the charges on a given date (must be after today in Korea when built).
    pub fn first_charge_on(mut self, date: Date) -> Self {
        self.first_charge = Some(date);
        self
    }

    /// When the reminder e-mail goes out.
    pub fn email_days_before(mut self, days: u8) -> Self {
        self.email_days_before = days;
        self
    }

    /// The form fields to add to the payment-window request, in the integration guide's order. `now` is
    /// the caller's clock: `recurringDate` must be after today in Korea.
    pub fn form_fields(
        &self,
        currency: &Currency,
        now: Timestamp,
    ) -> Result<Vec<(&'static str, String)>, BuildError> {
        self.amount
            .check_currency(currency)
            .map_err(BuildError::amount("recurringAmount"))?;
        check_url("recurringURL", &self.url)?;
        if !(1..=99).contains(&self.email_days_before) {
            return Err(BuildError::InvalidField {
                field: "recurringEmail",
                reason: "must be 1 to 99 days",
            });
        }
        let mut fields = vec![
            ("recurringPayment", "Y".to_owned()),
            ("recurringAmount", self.amount.as_str().to_owned()),
        ];
        if let Some(date) = self.first_charge {
            if date <= now.kst_date() {
                return Err(BuildError::InvalidField {
                    field: "recurringDate",
                    reason: "must be after today (KST)",
                });
            }
            fields.push(("recurringDate", date.to_yyyymmdd()));
        }
        fields.push(("recurringURL", self.url.clone()));
        fields.push(("recurringEmail", self.email_days_before.to_string()));
        Ok(fields)
    }

    /// The next charge date the gateway will use, computed the way it does.
    pub fn expected_next_charge(&self, now: Timestamp) -> Date {
        self.first_charge
            .unwrap_or_else(|| now.kst_date().add_months(1))
    }
}

/// What the payment-window result says about the registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistrationResult {
    /// The registration's id.
    pub recurring_id: RecurringId,
    /// `recurringRetry`, when present.
    pub retry: Option<u8>,
    /// `recurringNext`, when present and a valid date.
    pub next: Option<Date>,
}

impl RegistrationResult {
    /// Reads `recurringID`, `recurringRetry` and `recurringNext` from a (verified)
    /// notification.
    pub fn from_notification(notification: &Notification<'_>) -> Result<Self, NotificationError> {
        Ok(RegistrationResult {
            recurring_id: notification
                .recurring_id()
                .filter(|id| !id.as_str().is_empty())
                .ok_or(NotificationError::MissingField("recurringID"))?,
            retry: notification.recurring_retry(),
            next: notification.recurring_next(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-01-01T12:00:00+09:00
    const NOW: Timestamp = Timestamp(1_767_236_400);

    #[test]
    fn fields_in_order_with_defaults() {
        let reg = RecurringRegistration::new(
            Amount::parse("10.50").unwrap(),
            "https://shop.example/recurring",
        );
        let fields = reg.form_fields(&Currency::Usd, NOW).unwrap();
        let names: Vec<_> = fields.iter().map(|(k, _)| *k).collect();
        assert_eq!(
            names,
            [
                "recurringPayment",
                "recurringAmount",
                "recurringURL",
                "recurringEmail"
            ]
        );
        assert_eq!(fields[3].1, "3");
        assert_eq!(
            reg.expected_next_charge(NOW),
            Date::new(2026, 2, 1).unwrap()
        );
    }

    #[test]
    fn first_charge_must_be_after_today_kst() {
        let reg =
            RecurringRegistration::new(Amount::parse("1000").unwrap(), "https://shop.example/r");
        let today = reg.clone().first_charge_on(Date::new(2026, 1, 1).unwrap());
        assert!(today.form_fields(&Currency::Krw, NOW).is_err());
        let tomorrow = reg.clone().first_charge_on(Date::new(2026, 1, 2).unwrap());
        let fields = tomorrow.form_fields(&Currency::Krw, NOW).unwrap();
        assert!(fields.contains(&("recurringDate", "20260102".to_owned())));
        let fractional =
            RecurringRegistration::new(Amount::parse("1000.5").unwrap(), "https://x/r");
        assert!(fractional.form_fields(&Currency::Krw, NOW).is_err());
        assert!(
            reg.email_days_before(0)
                .form_fields(&Currency::Krw, NOW)
                .is_err()
        );
    }
}
