//! The gateway's enumerations: languages, transaction types, payment methods, result codes.
//!
//! Every enumeration read from the gateway has an `Other`/`Unknown` variant that keeps the
//! text, so a new code never makes a response unreadable.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! code_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
            /// A value this crate does not know, kept as received.
            Other(String),
        }

        impl $name {
            /// Reads a code, ignoring surrounding whitespace (the gateway sends `SALE\n`);
            /// unknown codes become `Other`.
            pub fn from_code(code: &str) -> Self {
                match code.trim() {
                    $($text => $name::$variant,)*
                    other => $name::Other(other.to_owned()),
                }
            }

            /// The code as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)*
                    $name::Other(other) => other,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let code = std::borrow::Cow::<str>::deserialize(d)?;
                Ok($name::from_code(&code))
            }
        }
    };
}

// After the macro: the submodule uses it.
mod methods;

pub use methods::{ErrorCode, PaymentMethod};

code_enum!(
    /// Language of the gateway's pages and messages.
    Lang {
        /// Korean.
        Kr = "KR",
        /// English.
        En = "EN",
        /// Simplified Chinese.
        Cn = "CN",
        /// Japanese.
        Jp = "JP",
        /// Russian.
        Ru = "RU",
        /// Thai.
        Th = "TH",
        /// Traditional Chinese.
        Tw = "TW",
        /// Vietnamese.
        Vn = "VN",
    }
);

// The enum comes from a macro, so `#[default]` cannot be put on one variant.
#[allow(clippy::derivable_impls)]
impl Default for Lang {
    fn default() -> Self {
        Lang::En
    }
}

impl Lang {
    /// Only the eight declared languages are sent.
    pub fn is_sendable(&self) -> bool {
        !matches!(self, Lang::Other(_))
    }
}

code_enum!(
    /// How a payment was (or is to be) processed.
    TransactionType {
        /// Authorization and capture in one step (captured automatically).
        Payment = "PAYMENT",
        /// Authorization only; capture with the capture API.
        Authorize = "AUTHORIZE",
        /// Payer authentication only.
        PayerAuth = "PAYER_AUTH",
        /// Charge with a stored token.
        Rebill = "REBILL",
        /// Payment after payer authentication (captured automatically).
        PaymentPa = "PAYMENT_PA",
        /// Authorization after payer authentication; capture with the capture API.
        AuthorizePa = "AUTHORIZE_PA",
        /// Capture.
        Capture = "CAPTURE",
        /// Reversal of an authorization.
        AuthReversal = "AUTH_REVERSAL",
        /// Refund.
        Refund = "REFUND",
        /// Query.
        Query = "QUERY",
    }
);

impl TransactionType {
    /// Whether a payment of this type must be captured with the capture API.
    pub fn needs_manual_capture(&self) -> bool {
        matches!(
            self,
            TransactionType::Authorize | TransactionType::AuthorizePa
        )
    }
}

code_enum!(
    /// The state of a payment as the retrieve API reports it (`payment.status`).
    ///
    /// The gateway's vocabulary is these four values, read together with `balance` (the
    /// refundable rest): a fully refunded sale is `SALE` with balance 0, a reversed
    /// authorization `AUTH` with balance 0, a cancelled registration `REGISTERED` with
    /// balance 0. Values no public source shows (`CANCEL`, `PARTIAL_CANCEL`) are kept as
    /// [`RemoteStatus::Other`] and never relied on.
    RemoteStatus {
        /// A sale: captured (refunds lower the balance).
        Sale = "SALE",
        /// Authorized, not captured (balance 0: the authorization was reversed).
        Auth = "AUTH",
        /// Order registered, no money yet (a cash or bank-transfer payment awaiting the
        /// buyer; balance 0: the registration was cancelled or expired).
        Registered = "REGISTERED",
        /// The gateway has no such transaction.
        None = "NONE",
    }
);

/// The `status` of a `status_url` notification.
///
/// Cash and bank-transfer methods notify `Registered` first (with a `paymentURL` for the
/// buyer), `Sale` once the money arrived, and sometimes `Void` when the registration
/// expired. Card payments usually send no status. Only `Sale` (or no status) is paid.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum NotificationStatus {
    /// Registered, not paid yet.
    Registered,
    /// Paid.
    Sale,
    /// Cancelled or expired before payment.
    Void,
    /// A value this crate does not know, kept as received (trimmed).
    Other(String),
}

impl NotificationStatus {
    /// Reads a status, ignoring case and surrounding whitespace.
    pub fn from_code(code: &str) -> Self {
        let code = code.trim();
        if code.eq_ignore_ascii_case("Registered") {
            NotificationStatus::Registered
        } else if code.eq_ignore_ascii_case("Sale") {
            NotificationStatus::Sale
        } else if code.eq_ignore_ascii_case("Void") {
            NotificationStatus::Void
        } else {
            NotificationStatus::Other(code.to_owned())
        }
    }

    /// The status as the gateway writes it (`Registered`, `Sale`, `Void`).
    pub fn as_str(&self) -> &str {
        match self {
            NotificationStatus::Registered => "Registered",
            NotificationStatus::Sale => "Sale",
            NotificationStatus::Void => "Void",
            NotificationStatus::Other(other) => other,
        }
    }
}

impl fmt::Display for NotificationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

code_enum!(
    /// The fraud-screening decision of a notification (`dm_decision`). Only `ACCEPT` (or no
    /// decision) lets goods ship: `REVIEW`, `REJECT` and `ERROR` hold the order.
    FraudDecision {
        /// Accepted by fraud screening.
        Accept = "ACCEPT",
        /// Held for manual review.
        Review = "REVIEW",
        /// Rejected by fraud screening.
        Reject = "REJECT",
        /// Screening failed; treat as not screened.
        Error = "ERROR",
    }
);

impl FraudDecision {
    /// Whether the order must be held (not shipped): anything but `ACCEPT`.
    pub fn holds_order(&self) -> bool {
        *self != FraudDecision::Accept
    }
}

/// The gateway's result code (`rescode`). Only `"0000"` is success; `resmsg` is never
/// compared.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// `0000`.
    Success,
    /// `EC00`: a parameter is missing or invalid.
    BadParameter,
    /// `EC1000`: authentication failed (API key).
    AuthenticationFailed,
    /// `EC1001`: wrong content type.
    UnsupportedContentType,
    /// `EC1002`: the transaction id is invalid (must be 24 characters).
    InvalidTransactionId,
    /// `EC1003`: wrong HTTP method.
    MethodNotAllowed,
    /// Other `EC…` codes.
    OtherRequestError(String),
    /// `EE00`–`EE99`: the gateway could not reach the upstream processor.
    UpstreamConnection(String),
    /// `EM00`: the gateway lost its server connection; the call may be retried.
    ServerDisconnected,
    /// `EX…`: gateway internal error.
    Internal(String),
    /// `HE…`: card data rejected.
    CardData(String),
    /// `DP…`: refused by fraud screening.
    FraudScreening(String),
    /// Anything else, kept as received.
    Unknown(String),
}

impl ResultCode {
    /// Classifies a `rescode`, ignoring surrounding whitespace.
    pub fn from_code(code: &str) -> Self {
        let code = code.trim();
        let owned = || code.to_owned();
        match code {
            "0000" => ResultCode::Success,
            "EC00" => ResultCode::BadParameter,
            "EC1000" => ResultCode::AuthenticationFailed,
            "EC1001" => ResultCode::UnsupportedContentType,
            "EC1002" => ResultCode::InvalidTransactionId,
            "EC1003" => ResultCode::MethodNotAllowed,
            "EM00" => ResultCode::ServerDisconnected,
            _ if code.starts_with("EC") => ResultCode::OtherRequestError(owned()),
            _ if code.starts_with("EE") => ResultCode::UpstreamConnection(owned()),
            _ if code.starts_with("EX") => ResultCode::Internal(owned()),
            _ if code.starts_with("HE") => ResultCode::CardData(owned()),
            _ if code.starts_with("DP") => ResultCode::FraudScreening(owned()),
            _ => ResultCode::Unknown(owned()),
        }
    }

    /// The code as received.
    pub fn as_str(&self) -> &str {
        match self {
            ResultCode::Success => "0000",
            ResultCode::BadParameter => "EC00",
            ResultCode::AuthenticationFailed => "EC1000",
            ResultCode::UnsupportedContentType => "EC1001",
            ResultCode::InvalidTransactionId => "EC1002",
            ResultCode::MethodNotAllowed => "EC1003",
            ResultCode::ServerDisconnected => "EM00",
            ResultCode::OtherRequestError(code)
            | ResultCode::UpstreamConnection(code)
            | ResultCode::Internal(code)
            | ResultCode::CardData(code)
            | ResultCode::FraudScreening(code)
            | ResultCode::Unknown(code) => code,
        }
    }

    /// `0000`.
    pub fn is_success(&self) -> bool {
        *self == ResultCode::Success
    }

    /// Codes that say the gateway did not act and asks to try again (`EM00`).
    pub fn is_retryable(&self) -> bool {
        *self == ResultCode::ServerDisconnected
    }

    /// Codes after which the outcome of a money-moving call is unknown: `EE*` (read/write
    /// errors toward the card processor, `EEEE` a duplicated page call whose first call may
    /// have gone through) and `EX*` (internal exceptions). Such a call must be reconciled,
    /// never treated as declined nor replayed blindly.
    pub fn leaves_outcome_unknown(&self) -> bool {
        matches!(
            self,
            ResultCode::UpstreamConnection(_) | ResultCode::Internal(_)
        )
    }

    /// `EC*`: the gateway refused the request itself (bad key, bad transaction id, a bad
    /// or undeclared field): an integration error to fix in code, not a buyer's decline.
    pub fn is_request_rejected(&self) -> bool {
        matches!(
            self,
            ResultCode::BadParameter
                | ResultCode::AuthenticationFailed
                | ResultCode::UnsupportedContentType
                | ResultCode::InvalidTransactionId
                | ResultCode::MethodNotAllowed
                | ResultCode::OtherRequestError(_)
        )
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ResultCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResultCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(ResultCode::from_code(&code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_codes_round_trip_and_unknowns_are_kept() {
        for code in [
            "0000", "EC00", "EC1000", "EC1001", "EC1002", "EC1003", "EM00", "EE17", "EX01", "HE02",
            "DP10", "ZZ99", "EC2000",
        ] {
            assert_eq!(ResultCode::from_code(code).as_str(), code);
        }
        assert!(ResultCode::from_code("0000").is_success());
        // Values arrive with trailing whitespace; the code is what is between.
        assert!(ResultCode::from_code("0000 \n").is_success());
        assert!(!ResultCode::from_code("00000").is_success());
        for unknown in ["EE01", "EE02", "EE99", "EEEE", "EX01", "EX99"] {
            assert!(
                ResultCode::from_code(unknown).leaves_outcome_unknown(),
                "{unknown}"
            );
        }
        for known in ["0000", "EM00", "EC00", "HE01", "DP10", "ZZ99"] {
            assert!(
                !ResultCode::from_code(known).leaves_outcome_unknown(),
                "{known}"
            );
        }
        assert!(ResultCode::from_code("EC1002").is_request_rejected());
        assert!(!ResultCode::from_code("HE01").is_request_rejected());
        assert_eq!(
            ResultCode::from_code("EE17"),
            ResultCode::UpstreamConnection("EE17".into())
        );
        assert!(ResultCode::from_code("EM00").is_retryable());
    }

    #[test]
    fn enumerations_keep_unknown_values() {
        assert_eq!(
            PaymentMethod::from_code("P999"),
            PaymentMethod::Other("P999".into())
        );
        assert_eq!(
            TransactionType::from_code("AUTHORIZE_PA").as_str(),
            "AUTHORIZE_PA"
        );
        assert!(TransactionType::AuthorizePa.needs_manual_capture());
        assert!(!TransactionType::Payment.needs_manual_capture());
        assert!(!Lang::from_code("XX").is_sendable());
        assert_eq!(RemoteStatus::from_code("SALE\n"), RemoteStatus::Sale);
        assert_eq!(
            RemoteStatus::from_code("CANCEL"),
            RemoteStatus::Other("CANCEL".into())
        );
        assert_eq!(
            NotificationStatus::from_code("registered "),
            NotificationStatus::Registered
        );
        assert!(FraudDecision::from_code("REVIEW").holds_order());
        assert!(!FraudDecision::from_code("ACCEPT").holds_order());
    }
}
