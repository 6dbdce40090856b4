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
//!   duplicates included, with [`ACK_BODY`], and apply it once ([`Deduplicator`]).

use std::borrow::Cow;
use std::collections::HashSet;

use crate::codes::{ResultCode, TransactionType};
use crate::config::SecretKey;
use crate::fgkey::{self, FGKEY_FIELD};
use crate::ids::{OrderId, RecurringId, TransactionId};
use crate::money::{Currency, GatewayAmount};
use crate::time::Date;

/// What the merchant answers to every notification, duplicates included.
pub const ACK_BODY: &str = "rescode=0000&resmsg=Success";
/// `Content-Type` of [`ACK_BODY`].
pub const ACK_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// Why a notification cannot be trusted or read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
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
}

/// A decoded notification body: fields in the order received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification<'a> {
    fields: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Notification<'a> {
    /// Decodes a form body. Invalid UTF-8 in a value is replaced (U+FFFD), which then fails
    /// signature verification rather than being read as something else.
    pub fn parse(body: &'a [u8]) -> Result<Self, NotificationError> {
        let mut fields: Vec<(Cow<'a, str>, Cow<'a, str>)> = Vec::with_capacity(24);
        let mut push = |key: Cow<'a, str>, value: Cow<'a, str>| {
            if fields.iter().any(|(k, _)| *k == key) {
                return Err(NotificationError::DuplicateField(key.into_owned()));
            }
            fields.push((key, value));
            Ok(())
        };
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
                            push(key, value)?;
                        }
                    } else if !segment.is_empty() {
                        let (key, value) = match raw.iter().position(|&b| b == b'=') {
                            Some(at) => (
                                segment.get(..at).unwrap_or_default(),
                                segment.get(at + 1..).unwrap_or_default(),
                            ),
                            None => (segment, ""),
                        };
                        push(Cow::Borrowed(key), Cow::Borrowed(value))?;
                    }
                    start = end + 1;
                }
            }
            Err(_) => {
                for (key, value) in form_urlencoded::parse(body) {
                    push(key, value)?;
                }
            }
        }
        if fields.is_empty() {
            return Err(NotificationError::Empty);
        }
        Ok(Notification { fields })
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

    fn either(&self, current: &str, legacy: &str) -> Option<&str> {
        self.get(current).or_else(|| self.get(legacy))
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

    /// `mid`.
    pub fn mid(&self) -> Option<&str> {
        self.get("mid")
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

    /// `recurringID`, for recurring registrations and charges.
    pub fn recurring_id(&self) -> Option<RecurringId> {
        self.get("recurringID").map(RecurringId::from)
    }

    /// `recurringRetry`: how many times this charge has been tried (1–3).
    pub fn recurring_retry(&self) -> Option<u8> {
        self.get("recurringRetry")
            .and_then(|r| r.trim().parse().ok())
    }

    /// `recurringNext`: the next charge date.
    pub fn recurring_next(&self) -> Option<Date> {
        self.get("recurringNext")
            .and_then(|d| Date::parse_yyyymmdd(d.trim()))
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

/// Remembers which transactions' notifications were already applied, so that a
/// redelivered `status_url` is acknowledged but not applied twice.
///
/// In memory: a service with several instances keeps the same set in its database, keyed the
/// same way ([`Deduplicator::key`]).
#[derive(Clone, Debug, Default)]
pub struct Deduplicator {
    seen: HashSet<String>,
}

impl Deduplicator {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The dedupe key of a notification: its transaction id.
    pub fn key(notification: &Notification<'_>) -> Result<TransactionId, NotificationError> {
        notification
            .transaction_id()
            .ok_or(NotificationError::MissingField("transaction id"))
    }

    /// Records the notification; `Ok(true)` the first time its transaction is seen,
    /// `Ok(false)` for a redelivery.
    pub fn first_delivery(
        &mut self,
        notification: &Notification<'_>,
    ) -> Result<bool, NotificationError> {
        let key = Self::key(notification)?;
        Ok(self.seen.insert(key.as_str().to_owned()))
    }

    /// How many distinct transactions were recorded.
    pub fn len(&self) -> usize {
        self.seen.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "mid=1849705C64&ref=ORDER-0001&cur=USD&amt=10.50&rescode=0000&resmsg=Success.&transid=1849705C6420260101000001&param1=&email=buyer%2B1%40example.com&resdt=20260101120000&fgkey=140C8599A2858E43633F1A1D1868F0D726524A14A32F061E9152DE69A83037A9";

    #[test]
    fn reads_both_spellings_and_verifies() {
        let n = Notification::parse(BODY.as_bytes()).unwrap();
        assert_eq!(n.order_id().unwrap().as_str(), "ORDER-0001");
        assert_eq!(n.amount().unwrap().as_str(), "10.50");
        assert_eq!(n.currency(), Some(Currency::Usd));
        assert_eq!(n.get("email"), Some("buyer+1@example.com"));
        assert_eq!(n.get("param1"), Some(""));
        assert!(n.is_success());
        let secret = SecretKey::new("289F40E6640124B2628640168C3C5464").unwrap();
        assert_eq!(n.verify(&secret), Ok(()));
        let tampered = BODY.replace("amt=10.50", "amt=10.51");
        let n = Notification::parse(tampered.as_bytes()).unwrap();
        assert_eq!(n.verify(&secret), Err(NotificationError::BadSignature));
    }

    #[test]
    fn refuses_repeated_fields_and_dedupes() {
        assert_eq!(
            Notification::parse(b"a=1&a=2"),
            Err(NotificationError::DuplicateField("a".into()))
        );
        assert_eq!(Notification::parse(b""), Err(NotificationError::Empty));
        let n = Notification::parse(BODY.as_bytes()).unwrap();
        let mut dedupe = Deduplicator::new();
        assert_eq!(dedupe.first_delivery(&n), Ok(true));
        assert_eq!(dedupe.first_delivery(&n), Ok(false));
    }
}
