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
            /// Reads a code; unknown codes become `Other`.
            pub fn from_code(code: &str) -> Self {
                match code {
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
    pub(crate) fn check_sendable(&self) -> Result<(), crate::BuildError> {
        match self {
            Lang::Other(_) => Err(crate::BuildError::InvalidField {
                field: "lang",
                reason: "must be one of KR EN CN JP RU TH TW VN",
            }),
            _ => Ok(()),
        }
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
    /// The payment method code (`payment_method`).
    PaymentMethod {
        /// Card (method not specified).
        Card = "P000",
        /// VISA.
        Visa = "P101",
        /// Mastercard.
        Master = "P102",
        /// American Express.
        Amex = "P103",
        /// JCB.
        Jcb = "P104",
    }
);

code_enum!(
    /// The state of a payment as the retrieve API reports it (`payment.status`).
    RemoteStatus {
        /// Captured (a confirmed sale).
        Sale = "SALE",
        /// Authorized, not captured yet.
        Auth = "AUTH",
        /// Order registered, no money yet (e.g. awaiting a bank transfer).
        Registered = "REGISTERED",
        /// No such transaction.
        None = "NONE",
        /// Cancelled or fully refunded.
        Cancel = "CANCEL",
        /// Partially refunded.
        PartialCancel = "PARTIAL_CANCEL",
    }
);

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
    /// Classifies a `rescode`.
    pub fn from_code(code: &str) -> Self {
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
        assert!(!ResultCode::from_code("0000 ").is_success());
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
        assert!(Lang::from_code("XX").check_sendable().is_err());
    }
}
