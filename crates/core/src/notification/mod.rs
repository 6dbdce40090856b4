//! Notifications the gateway POSTs to the merchant (`status_url`, `return_url`,
//! `recurringURL`) as `application/x-www-form-urlencoded` bodies.
//!
//! * [`Notification::parse`] keeps every field, decoded, in the order received, borrowing
//!   from the body where no decoding was needed. A key that appears twice is refused: it
//!   would make the signed content ambiguous.
//! * Accessors accept both key spellings the gateway has used over the years
//!   (`transaction_id|transid`, `order_id|ref`, `amount|amt`, `currency|cur`,
//!   `version|ver`, `transaction_type|txntype`, `payer_auth_id|payerauthid`).
//! * [`Notification::verify`] checks the `fgkey` with the secret key ([`crate::fgkey`]).
//! * `status_url` is authoritative and may arrive several times: answer every delivery,
//!   duplicates included, with [`ACK_BODY`], and apply it once ([`Deduplicator`]). One
//!   transaction may legitimately notify more than once with *different* content — a cash
//!   payment notifies `status=Registered`, later `Sale` (or `Void`); a failure may be
//!   followed by a success — so a delivery's identity is its transaction id, `status` and
//!   `rescode` together ([`NotificationKey`]).
//! * What a result means is one type, [`Meaning`] ([`Notification::meaning`]): money
//!   received, authorized (capture it), payer authenticated (confirm it), registered (cash:
//!   wait for the sale), voided, failed, or unreadable. Only money received is paid
//!   ([`Notification::is_paid`]); an `AUTHORIZE` or `PAYER_AUTH` success is not. A fraud
//!   screening decision of `REVIEW`, `REJECT` or `ERROR` holds the order
//!   ([`Notification::holds_order`]), whatever the meaning.

use std::borrow::Cow;

use crate::codes::{FraudDecision, NotificationStatus, PaymentMethod, ResultCode, TransactionType};
use crate::config::SecretKey;
use crate::fgkey::{self, FGKEY_FIELD};
use crate::ids::{OrderId, RecurringId, TransactionId};
use crate::money::{Currency, GatewayAmount};
use crate::time::{Date, Timestamp};

mod dedupe;
mod documented;
mod meaning;

pub use dedupe::{Deduplicator, NotificationKey, NotificationSubject};
pub use documented::DOCUMENTED_FIELDS;
pub use meaning::{Meaning, Received};

/// Largest notification body read (real ones are a few hundred bytes).
pub const MAX_NOTIFICATION_BYTES: usize = 64 * 1024;

/// What the merchant answers to every notification, duplicates included.
pub const ACK_BODY: &str = "rescode=0000&resmsg=Success";
/// `Content-Type` of [`ACK_BODY`].
pub const ACK_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Why a notification cannot be trusted or read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// The body has no fields.
    #[error("the notification body is empty")]
    Empty,
    /// A key appears more than once.
    #[error("the notification repeats the field {0:?}")]
    DuplicateField(String),
    /// There is no `fgkey` to verify.
    #[error("the notification has no fgkey")]
    MissingFgkey,
    /// The `fgkey` does not match the content (forged, altered, or another secret key).
    #[error("the notification's fgkey does not match its content")]
    BadSignature,
    /// A field needed for this use is missing.
    #[error("the notification has no {0}")]
    MissingField(&'static str),
    /// A field needed for this use is not valid.
    #[error("the notification's {0} is not valid")]
    InvalidField(&'static str),
    /// The notification reports a failure (`rescode` other than `0000`).
    #[error("the notification reports rescode {0}")]
    NotSuccessful(String),
    /// The body is larger than [`MAX_NOTIFICATION_BYTES`]; nothing was read.
    #[error("the notification body is {0} bytes, over the {MAX_NOTIFICATION_BYTES}-byte limit")]
    TooLarge(usize),
    /// Strict mode: a key Eximbay does not document for notifications.
    #[error("the notification carries the undocumented field {0:?}")]
    UndocumentedField(String),
    /// The notification reports a payment that was never paid (`status=Void`).
    #[error("the notification reports status {0}: nothing was paid")]
    NotPaid(String),
}

/// A decoded notification body: fields in the order received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification<'a> {
    fields: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Notification<'a> {
    /// Decodes a form body. Invalid UTF-8 in a value is replaced (U+FFFD), which then fails
    /// signature verification rather than being read as something else. A body over
    /// [`MAX_NOTIFICATION_BYTES`] is refused before anything is read; the work is linear in
    /// the body (keys are checked for repeats by sorting once).
    pub fn parse(body: &'a [u8]) -> Result<Self, NotificationError> {
        if body.len() > MAX_NOTIFICATION_BYTES {
            return Err(NotificationError::TooLarge(body.len()));
        }
        let mut fields: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::with_capacity(24);
        let mut push = |key: Cow<'a, str>, value: Cow<'a, str>| fields.push((key, value));
        match std::str::from_utf8(body) {
            // Fast path: a field without `%` or `+` decodes to itself, so it is borrowed as
            // it is; the others go through `form_urlencoded`. Same result, fewer copies.
            Ok(text) => {
                // `&`, `=`, `%` and `+` are ASCII, so every cut below is a char boundary.
                let bytes = text.as_bytes();
                let mut start = 0;
                while start <= bytes.len() {
                    let rest = bytes.get(start..).unwrap_or_default();
                    let end = rest
                        .iter()
                        .position(|&b| b == b'&')
                        .map_or(bytes.len(), |p| start + p);
                    let segment = text.get(start..end).unwrap_or_default();
                    let raw = segment.as_bytes();
                    if raw.iter().any(|&b| b == b'%' || b == b'+') {
                        for (key, value) in form_urlencoded::parse(raw) {
                            push(key, value);
                        }
                    } else if !segment.is_empty() {
                        let (key, value) = match raw.iter().position(|&b| b == b'=') {
                            Some(at) => (
                                segment.get(..at).unwrap_or_default(),
                                segment.get(at + 1..).unwrap_or_default(),
                            ),
                            None => (segment, ""),
                        };
                        push(Cow::Borrowed(key), Cow::Borrowed(value));
                    }
                    start = end + 1;
                }
            }
            Err(_) => {
                for (key, value) in form_urlencoded::parse(body) {
                    push(key, value);
                }
            }
        }
        if fields.is_empty() {
            return Err(NotificationError::Empty);
        }
        let mut keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_ref()).collect();
        keys.sort_unstable();
        if let Some(repeated) = keys.windows(2).find_map(|pair| match pair {
            [a, b] if a == b => Some(*a),
            _ => None,
        }) {
            return Err(NotificationError::DuplicateField(repeated.to_owned()));
        }
        Ok(Notification { fields })
    }

    /// Strict mode: refuses a key outside the fields Eximbay documents for notifications
    /// ([`DOCUMENTED_FIELDS`]).
    ///
    /// The fgkey joins decoded values with `&` and `=`, so it cannot tell where one field
    /// ends: a genuine notification whose free-text value (a buyer's name or e-mail) is
    /// `a@b.c&fake=1` verifies just as well re-posted as the two fields `email=a@b.c` and
    /// `fake=1`. Checking values for `&` cannot catch it (the re-split values hold none, and
    /// `paymentURL` legitimately holds both). Strict mode refuses the invented key; a
    /// repeated key is refused always. What it cannot refuse is a *documented* key that the
    /// genuine notification did not carry: before acting on an optional field — `status`,
    /// `dm_decision`, the recurring fields — of a notification that also carries buyer-chosen
    /// free text (`buyer`, `email`, `param1..3`), confirm it with the gateway's remote
    /// [`Verify`](crate::ops::verify::Verify).
    pub fn check_documented(&self) -> Result<(), NotificationError> {
        match self
            .fields
            .iter()
            .find(|(k, _)| !DOCUMENTED_FIELDS.contains(&k.as_ref()))
        {
            Some((key, _)) => Err(NotificationError::UndocumentedField(key.to_string())),
            None => Ok(()),
        }
    }

    /// [`Notification::verify`] in strict mode: the keys are all documented
    /// ([`Notification::check_documented`]) and the fgkey matches.
    pub fn verify_strict(&self, secret: &SecretKey) -> Result<(), NotificationError> {
        self.check_documented()?;
        self.verify(secret)
    }

    /// Detaches the notification from the body it was parsed from.
    pub fn into_owned(self) -> Notification<'static> {
        Notification {
            fields: self
                .fields
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                .collect(),
        }
    }

    /// The decoded value of a field, by its exact (case-sensitive) name.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// The fields in the order received.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(k, v)| (k.as_ref(), v.as_ref()))
    }

    /// The value under either spelling, trimmed: values arrive with trailing whitespace
    /// (`"USD\n"`). Only typed reading trims; the fgkey is checked over the values as sent.
    fn either(&self, current: &str, legacy: &str) -> Option<&str> {
        self.get(current)
            .or_else(|| self.get(legacy))
            .map(str::trim)
    }

    /// `transaction_id` or `transid`.
    pub fn transaction_id(&self) -> Option<TransactionId> {
        self.either("transaction_id", "transid")
            .map(TransactionId::from)
    }

    /// `order_id` or `ref`.
    pub fn order_id(&self) -> Option<OrderId> {
        self.either("order_id", "ref").map(OrderId::from)
    }

    /// `amount` or `amt`, exactly as sent.
    pub fn amount(&self) -> Option<GatewayAmount> {
        self.either("amount", "amt").map(GatewayAmount::new)
    }

    /// `currency` or `cur`.
    pub fn currency(&self) -> Option<Currency> {
        self.either("currency", "cur").map(Currency::from_code)
    }

    /// `version` or `ver`.
    pub fn version(&self) -> Option<&str> {
        self.either("version", "ver")
    }

    /// `transaction_type` or `txntype`.
    pub fn transaction_type(&self) -> Option<TransactionType> {
        self.either("transaction_type", "txntype")
            .map(TransactionType::from_code)
    }

    /// `payer_auth_id` or `payerauthid`.
    pub fn payer_auth_id(&self) -> Option<&str> {
        self.either("payer_auth_id", "payerauthid")
    }

    /// `mid` (trimmed).
    pub fn mid(&self) -> Option<&str> {
        self.get("mid").map(str::trim)
    }

    /// `rescode`, classified.
    pub fn rescode(&self) -> Option<ResultCode> {
        self.get("rescode").map(|c| ResultCode::from_code(c.trim()))
    }

    /// `resmsg`.
    pub fn resmsg(&self) -> Option<&str> {
        self.get("resmsg")
    }

    /// Whether the notification reports a success (`rescode=0000`).
    pub fn is_success(&self) -> bool {
        self.rescode().is_some_and(|c| c.is_success())
    }

    /// `recurringID` or `recurring_id`, for recurring registrations and charges.
    pub fn recurring_id(&self) -> Option<RecurringId> {
        self.either("recurringID", "recurring_id")
            .map(RecurringId::from)
    }

    /// `recurringRetry` or `recurring_retry`: how many times this charge has been tried
    /// (1–3).
    pub fn recurring_retry(&self) -> Option<u8> {
        self.either("recurringRetry", "recurring_retry")
            .and_then(|r| r.trim().parse().ok())
    }

    /// `recurringNext` or `recurring_next`: the next charge date.
    pub fn recurring_next(&self) -> Option<Date> {
        self.either("recurringNext", "recurring_next")
            .and_then(|d| Date::parse_yyyymmdd(d.trim()))
    }

    /// `status`: `Registered` (cash / bank transfer, not paid yet), `Sale` (paid) or `Void`
    /// (expired or cancelled before payment). `None` for card payments, which are paid when
    /// successful.
    pub fn status(&self) -> Option<NotificationStatus> {
        self.get("status")
            .filter(|s| !s.trim().is_empty())
            .map(NotificationStatus::from_code)
    }

    /// What the result means for the merchant ([`Meaning`]): money received, authorized,
    /// payer authenticated, registered, voided, failed or unreadable. Verify the fgkey
    /// first; the meaning of an unverified body is the sender's word.
    pub fn meaning(&self) -> Meaning {
        meaning::read(self)
    }

    /// Whether money moved ([`Meaning::MoneyReceived`]): a sale (`PAYMENT`, `PAYMENT_PA`,
    /// `REBILL`, a recurring charge, a cash `status=Sale`). An authorization, a payer
    /// authentication, a registration, a void, a failure and anything unreadable are not
    /// paid.
    pub fn is_paid(&self) -> bool {
        self.meaning().is_money_received()
    }

    /// `paymentURL`: where a buyer of a cash or bank-transfer method completes the payment
    /// (sent with `status=Registered`).
    pub fn payment_url(&self) -> Option<&str> {
        self.either("paymentURL", "payment_url")
    }

    /// `dm_decision`: the fraud-screening decision, when screening ran.
    pub fn dm_decision(&self) -> Option<FraudDecision> {
        self.get("dm_decision")
            .filter(|d| !d.trim().is_empty())
            .map(|d| FraudDecision::from_code(&d.trim().to_ascii_uppercase()))
    }

    /// `dm_review`: what sent the payment to review, as sent (trimmed; `None` when empty).
    pub fn dm_review(&self) -> Option<&str> {
        self.get("dm_review")
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// `dm_reject`: what made screening reject the payment, as sent (trimmed; `None` when
    /// empty).
    pub fn dm_reject(&self) -> Option<&str> {
        self.get("dm_reject")
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    /// Whether fraud screening says not to ship: a decision of `REVIEW`, `REJECT` or
    /// `ERROR` (any decision but `ACCEPT`). The payment may still be authorized or captured
    /// at the gateway; hold the order until a person decides (and refund a rejected one).
    pub fn holds_order(&self) -> bool {
        self.dm_decision().is_some_and(|d| d.holds_order())
    }

    /// `payment_method` or `paymethod` (`P101` VISA, …).
    pub fn payment_method(&self) -> Option<PaymentMethod> {
        self.either("payment_method", "paymethod")
            .map(PaymentMethod::from_code)
    }

    /// `card_holder`: the name on the card, as sent.
    pub fn card_holder(&self) -> Option<&str> {
        self.either("card_holder", "cardholder")
    }

    /// `card_number1`: the card number's first digits (the rest is masked by the gateway).
    pub fn card_number_first(&self) -> Option<&str> {
        self.either("card_number1", "cardno1")
    }

    /// `card_number4`: the card number's last four digits.
    pub fn card_number_last(&self) -> Option<&str> {
        self.either("card_number4", "cardno4")
    }

    /// `auth_code` or `authcode`: the issuer's approval code.
    pub fn auth_code(&self) -> Option<&str> {
        self.either("auth_code", "authcode")
    }

    /// `foreign_currency` (the wire also spells it `foregin_currency`): the currency the
    /// buyer paid in (DCC).
    pub fn foreign_currency(&self) -> Option<Currency> {
        self.either("foreign_currency", "foregin_currency")
            .map(Currency::from_code)
    }

    /// `foreign_amount` (or `foregin_amount`): the amount the buyer paid, exactly as sent.
    pub fn foreign_amount(&self) -> Option<GatewayAmount> {
        self.either("foreign_amount", "foregin_amount")
            .map(GatewayAmount::new)
    }

    /// `foreign_rate` (or `foregin_rate`): the conversion rate, as sent.
    pub fn foreign_rate(&self) -> Option<&str> {
        self.either("foreign_rate", "foregin_rate")
    }

    /// `transaction_date` or `resdt`: when the gateway processed it (Korean local time
    /// `YYYYMMDDhhmmss`, read as a [`Timestamp`]); `None` when absent or not such a time.
    pub fn transaction_date(&self) -> Option<Timestamp> {
        self.either("transaction_date", "resdt")
            .and_then(Timestamp::parse_kst_datetime)
    }

    /// `cavv` of a payer authentication (3-D Secure), as sent.
    pub fn cavv(&self) -> Option<&str> {
        self.get("cavv").map(str::trim)
    }

    /// `xid` of a payer authentication, as sent.
    pub fn xid(&self) -> Option<&str> {
        self.get("xid").map(str::trim)
    }

    /// `eci` of a payer authentication (the e-commerce indicator), as sent.
    pub fn eci(&self) -> Option<&str> {
        self.get("eci").map(str::trim)
    }

    /// `token_id`: the stored card a payment with token creation left, as sent.
    pub fn token_id(&self) -> Option<&str> {
        self.either("token_id", "tokenID")
    }

    /// `dcc_rate`: the DCC rate, as sent.
    pub fn dcc_rate(&self) -> Option<&str> {
        self.get("dcc_rate")
    }

    /// `base_amount`: the amount in the merchant's base currency, exactly as sent.
    pub fn base_amount(&self) -> Option<GatewayAmount> {
        self.get("base_amount").map(GatewayAmount::new)
    }

    /// `fgkey`.
    pub fn fgkey(&self) -> Option<&str> {
        self.get(FGKEY_FIELD)
    }

    /// Checks the `fgkey` against all other fields with the secret key.
    pub fn verify(&self, secret: &SecretKey) -> Result<(), NotificationError> {
        let fgkey = self.fgkey().ok_or(NotificationError::MissingFgkey)?;
        if fgkey::verify(secret, self.iter(), fgkey) {
            Ok(())
        } else {
            Err(NotificationError::BadSignature)
        }
    }
}

#[cfg(test)]
mod genuine_tests;
#[cfg(test)]
mod tests;
