//! Typed identifiers.
//!
//! Ids read from the gateway are accepted as they come (parsing never fails on an odd id);
//! the rules the gateway enforces are checked when an id is put into a request, through
//! `check_for_request`, so a malformed id is a typed [`BuildError`] and nothing is sent.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::BuildError;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id without checking it (checks run when a request is built).
            pub fn new(id: impl Into<String>) -> Self {
                $name(id.into())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                $name(id.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                $name(id)
            }
        }
    };
}

string_id!(
    /// The gateway's id of a payment (24 characters: MID + date + sequence).
    TransactionId
);
string_id!(
    /// The merchant's order reference.
    OrderId
);
string_id!(
    /// The merchant's id of one refund request; unique per refund, reused on retry.
    RefundId
);
string_id!(
    /// The gateway's id of a recurring registration (at most 20 characters).
    RecurringId
);

/// Length of a transaction id the gateway issues (`EC1002` otherwise).
pub const TRANSACTION_ID_LEN: usize = 24;
/// Longest recurring id (`AN 20`).
pub const RECURRING_ID_MAX_LEN: usize = 20;
/// Longest order id a new payment gets: the guide's `ref` is String 30 (guide §2.1.2,
/// §3.1.2, §3.2.2; digest §2, §5, §6).
pub const ORDER_ID_MAX_LEN: usize = 30;
/// Longest order id of a payment the gateway already holds, echoed in a capture, refund or
/// look-up. Such an id was accepted once (a payment made before this crate kept to the
/// guide's 30, or through another client), so the payment stays operable: stored payments
/// with longer ids load, and can still be captured, refunded and reconciled.
pub const EXISTING_ORDER_ID_MAX_LEN: usize = 255;
/// Longest refund id we send: the guide's `refundid` is String 30 (guide §3.1.2, digest §6).
pub const REFUND_ID_MAX_LEN: usize = 30;
/// Length of a derived refund id.
pub const DERIVED_REFUND_ID_LEN: usize = 20;

fn invalid(field: &'static str, reason: &'static str) -> BuildError {
    BuildError::InvalidField { field, reason }
}

/// Text without control characters, 1..=max bytes.
pub(crate) fn check_required_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<(), BuildError> {
    if value.is_empty() {
        return Err(invalid(field, "must not be empty"));
    }
    check_free_text(field, value, max)
}

impl TransactionId {
    /// A transaction id goes into the URL path: exactly 24 ASCII letters and digits.
    pub fn check_for_request(&self) -> Result<(), BuildError> {
        if self.0.len() != TRANSACTION_ID_LEN {
            return Err(invalid("transaction_id", "must be 24 characters"));
        }
        if !self.0.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(invalid(
                "transaction_id",
                "must be ASCII letters and digits",
            ));
        }
        Ok(())
    }
}

impl OrderId {
    /// The order id of a new payment (a window, a rebill): non-empty, at most 30 bytes (the
    /// guide's `ref`), no control characters.
    pub fn check_for_request(&self) -> Result<(), BuildError> {
        check_required_text("order_id", &self.0, ORDER_ID_MAX_LEN)
    }

    /// The order id of a payment the gateway already holds (capture, refund, look-up):
    /// non-empty, at most [`EXISTING_ORDER_ID_MAX_LEN`] bytes, no control characters.
    pub fn check_existing(&self) -> Result<(), BuildError> {
        check_required_text("order_id", &self.0, EXISTING_ORDER_ID_MAX_LEN)
    }
}

impl RefundId {
    /// Derives the refund id of one refund command from the payment and a key the caller
    /// chooses for that command (for example its own refund-request id).
    ///
    /// The same payment and key always give the same id, so a retried command reuses it and
    /// the gateway can recognise the retry; different keys give different ids. The id is the
    /// first 20 upper-case hex digits of `SHA-256(transaction_id ":" command_key)`.
    pub fn derive(transaction_id: &TransactionId, command_key: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(transaction_id.as_str())
            .chain_update(":")
            .chain_update(command_key)
            .finalize();
        let mut id = hex::encode_upper(digest);
        id.truncate(DERIVED_REFUND_ID_LEN);
        RefundId(id)
    }

    /// Non-empty, at most 30 printable ASCII characters (the guide's `refundid`).
    pub fn check_for_request(&self) -> Result<(), BuildError> {
        check_required_text("refund_id", &self.0, REFUND_ID_MAX_LEN)?;
        if !self.0.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "refund_id",
                "must be printable ASCII without spaces",
            ));
        }
        Ok(())
    }
}

string_id!(
    /// The payer authentication (3-D Secure) a `PAYER_AUTH` window returned
    /// (`payer_auth_id` / `payerauthid`), to confirm a payment with.
    PayerAuthId
);

/// The longest payer authentication id sent.
pub const PAYER_AUTH_ID_MAX_LEN: usize = 64;

impl PayerAuthId {
    /// Non-empty, at most 64 printable ASCII characters without spaces.
    pub fn check_for_request(&self) -> Result<(), BuildError> {
        check_required_text("payer_auth_id", &self.0, PAYER_AUTH_ID_MAX_LEN)?;
        if !self.0.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "payer_auth_id",
                "must be printable ASCII without spaces",
            ));
        }
        Ok(())
    }
}

string_id!(
    /// A stored card (`token_id`), left by a payment made with token creation and used to
    /// rebill it.
    TokenId
);

/// The longest token id sent (it goes into URL paths).
pub const TOKEN_ID_MAX_LEN: usize = 64;

impl TokenId {
    /// At most 64 ASCII letters, digits, `-` or `_` (it goes into v1 URL paths).
    pub fn check_for_request(&self) -> Result<(), BuildError> {
        if self.0.is_empty() {
            return Err(invalid("token_id", "must not be empty"));
        }
        if self.0.len() > TOKEN_ID_MAX_LEN {
            return Err(invalid("token_id", "must be at most 64 characters"));
        }
        if !self
            .0
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid(
                "token_id",
                "must be ASCII letters, digits, '-' or '_'",
            ));
        }
        Ok(())
    }
}

impl RecurringId {
    /// At most 20 ASCII letters, digits, `-` or `_` (it also goes into v1 URL paths).
    pub fn check_for_request(&self) -> Result<(), BuildError> {
        if self.0.is_empty() {
            return Err(invalid("recurringID", "must not be empty"));
        }
        if self.0.len() > RECURRING_ID_MAX_LEN {
            return Err(invalid("recurringID", "must be at most 20 characters"));
        }
        if !self
            .0
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(invalid(
                "recurringID",
                "must be ASCII letters, digits, '-' or '_'",
            ));
        }
        Ok(())
    }
}

/// Checks free text the merchant adds (reasons, `param1..3`, buyer names).
pub(crate) fn check_free_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<(), BuildError> {
    if value.len() > max {
        return Err(invalid(field, "is too long"));
    }
    if value.chars().any(char::is_control) {
        return Err(invalid(field, "must not contain control characters"));
    }
    Ok(())
}

/// Longest URL the gateway takes.
pub const URL_MAX_LEN: usize = 255;

/// A URL the gateway takes: required, at most [`URL_MAX_LEN`] characters, no spaces.
pub(crate) fn check_url(field: &'static str, url: &str) -> Result<(), BuildError> {
    check_required_text(field, url, URL_MAX_LEN)?;
    if url.chars().any(char::is_whitespace) {
        return Err(BuildError::InvalidField {
            field,
            reason: "must not contain spaces",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transaction_ids_are_checked_only_when_sent() {
        let parsed = TransactionId::new("short");
        assert_eq!(parsed.as_str(), "short");
        assert!(parsed.check_for_request().is_err());
        assert!(
            TransactionId::new("1849705C6420220922000016")
                .check_for_request()
                .is_ok()
        );
        assert!(
            TransactionId::new("1849705C642022092200001/")
                .check_for_request()
                .is_err()
        );
    }

    #[test]
    fn derived_refund_ids_are_stable_and_distinct() {
        let tid = TransactionId::new("1849705C6420220922000016");
        let a = RefundId::derive(&tid, "refund-1");
        assert_eq!(a, RefundId::derive(&tid, "refund-1"));
        assert_ne!(a, RefundId::derive(&tid, "refund-2"));
        assert_eq!(a.as_str().len(), DERIVED_REFUND_ID_LEN);
        assert!(a.check_for_request().is_ok());
    }
}
