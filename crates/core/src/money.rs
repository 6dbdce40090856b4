//! Money: currencies with their minor-unit exponents and exact decimal amounts.
//!
//! No floating point is used anywhere near an amount. An [`Amount`] keeps the exact
//! text the caller wrote (`"1"` stays `"1"`, `"0.5"` stays `"0.5"`) so that what we send
//! is byte for byte what the merchant has on record; its [`Decimal`] value is used for
//! arithmetic. Amount strings that come back from the gateway are kept as
//! [`GatewayAmount`], whose text is never rewritten.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest number of integer digits the gateway accepts (`N(10,2)` in Eximbay's integration guide).
pub const MAX_INTEGER_DIGITS: usize = 10;
/// The largest number of decimals the gateway accepts for any currency.
pub const MAX_DECIMALS: u32 = 2;

macro_rules! currencies {
    ($($(#[$doc:meta])* $variant:ident = $code:literal,)*) => {
        /// An ISO 4217 currency as the gateway knows it.
        ///
        /// The minor-unit exponent follows the gateway: KRW, JPY and VND have none, every other
        /// currency (including ones this crate does not know, kept as [`Currency::Unknown`]) has
        /// two.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Currency {
            $($(#[$doc])* $variant,)*
            /// A code this crate does not know; kept exactly as received.
            Unknown(String),
        }

        impl Currency {
            /// Reads a currency code, ignoring surrounding whitespace. Unknown codes are kept as
            /// [`Currency::Unknown`]; whether
            /// such a code may be *sent* is checked when a request is built
            /// ([`Currency::check_sendable`]).
            pub fn from_code(code: &str) -> Self {
                // Values arrive with trailing whitespace; a code is what is between.
                let code = code.trim();
                match code {
                    $($code => Currency::$variant,)*
                    other => Currency::Unknown(other.to_owned()),
                }
            }

            /// The three-letter code.
            pub fn code(&self) -> &str {
                match self {
                    $(Currency::$variant => $code,)*
                    Currency::Unknown(code) => code,
                }
            }

            /// Every currency this crate knows (the guide's request currencies, App. A.1, and
            /// its DCC currencies, App. A.2), in declaration order.
            pub const KNOWN: &'static [Currency] = &[$(Currency::$variant,)*];
        }
    };
}

currencies! {
    /// United States dollar.
    Usd = "USD",
    /// Euro.
    Eur = "EUR",
    /// Pound sterling.
    Gbp = "GBP",
    /// Japanese yen (no minor unit).
    Jpy = "JPY",
    /// South Korean won (no minor unit).
    Krw = "KRW",
    /// Vietnamese dong (no minor unit).
    Vnd = "VND",
    /// Chinese yuan.
    Cny = "CNY",
    /// Hong Kong dollar.
    Hkd = "HKD",
    /// Singapore dollar.
    Sgd = "SGD",
    /// New Taiwan dollar.
    Twd = "TWD",
    /// Thai baht.
    Thb = "THB",
    /// Australian dollar.
    Aud = "AUD",
    /// Canadian dollar.
    Cad = "CAD",
    /// Russian ruble.
    Rub = "RUB",
    /// Malaysian ringgit (DCC).
    Myr = "MYR",
    /// Philippine peso (DCC).
    Php = "PHP",
    /// Mongolian tögrög (DCC; two decimals, as the guide's App. A.2 lists it).
    Mnt = "MNT",
    /// New Zealand dollar (DCC).
    Nzd = "NZD",
    /// UAE dirham (DCC).
    Aed = "AED",
    /// Macanese pataca (DCC).
    Mop = "MOP",
    /// Brazilian real (DCC).
    Brl = "BRL",
    /// Kazakhstani tenge (DCC).
    Kzt = "KZT",
    /// Norwegian krone (DCC).
    Nok = "NOK",
    /// Saudi riyal (DCC).
    Sar = "SAR",
    /// Turkish lira (DCC).
    Try = "TRY",
}

impl Currency {
    /// Number of decimals of the currency's minor unit (0 for KRW, JPY and VND, else 2).
    pub fn exponent(&self) -> u32 {
        match self {
            Currency::Krw | Currency::Jpy | Currency::Vnd => 0,
            _ => 2,
        }
    }

    /// Whether the guide lists it as a DCC currency (App. A.2, digest §9.5): the currencies
    /// a buyer may be shown and charged in (`siteforeigncur` / `site_foreign_currency`).
    pub fn is_dcc(&self) -> bool {
        matches!(
            self,
            Currency::Usd
                | Currency::Sgd
                | Currency::Eur
                | Currency::Gbp
                | Currency::Jpy
                | Currency::Cny
                | Currency::Thb
                | Currency::Rub
                | Currency::Hkd
                | Currency::Cad
                | Currency::Aud
                | Currency::Twd
                | Currency::Myr
                | Currency::Vnd
                | Currency::Php
                | Currency::Mnt
                | Currency::Nzd
                | Currency::Aed
                | Currency::Mop
                | Currency::Brl
                | Currency::Kzt
                | Currency::Nok
                | Currency::Sar
                | Currency::Try
        )
    }

    /// A currency can be sent when its code is three ASCII upper-case letters.
    pub fn check_sendable(&self) -> Result<(), AmountError> {
        let code = self.code();
        if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(())
        } else {
            Err(AmountError::InvalidCurrency(code.to_owned()))
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = std::borrow::Cow::<str>::deserialize(d)?;
        Ok(Currency::from_code(&code))
    }
}

/// Why an amount (or a currency) cannot be sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AmountError {
    /// The text is empty.
    #[error("amount is empty")]
    Empty,
    /// The text is not a plain decimal number (digits, at most one `.`, no sign, no spaces,
    /// no thousands separators, no leading zeros, no exponent).
    #[error("amount {0:?} is not a plain decimal number such as \"10\" or \"10.50\"")]
    Malformed(String),
    /// Zero or negative amounts are never sent.
    #[error("amount must be greater than zero")]
    NotPositive,
    /// More than two decimals.
    #[error("amount has more than {MAX_DECIMALS} decimals")]
    TooManyDecimals,
    /// More than ten integer digits.
    #[error("amount has more than {MAX_INTEGER_DIGITS} integer digits")]
    TooManyIntegerDigits,
    /// Decimals on a currency without a minor unit (KRW, JPY, VND).
    #[error("{currency} has no minor unit: the amount must be a whole number")]
    FractionalForCurrency {
        /// The currency code.
        currency: String,
    },
    /// The currency code cannot be sent.
    #[error("currency code {0:?} is not three upper-case letters")]
    InvalidCurrency(String),
    /// Arithmetic left the representable range.
    #[error("amount is out of range")]
    OutOfRange,
}

/// An exact, positive amount in the form the gateway accepts (`N(10,2)`), keeping the
/// caller's text.
///
/// Construction checks everything that does not depend on the currency; the currency's
/// exponent is checked by [`Amount::check_currency`], which every request builder calls.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Amount {
    text: String,
    value: Decimal,
}

impl Amount {
    /// Parses a plain decimal such as `"1"`, `"0.5"` or `"10.50"`.
    pub fn parse(text: &str) -> Result<Self, AmountError> {
        let (int_part, frac_part) = match text.split_once('.') {
            Some((int_part, frac_part)) => (int_part, Some(frac_part)),
            None => (text, None),
        };
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let leading_zero = int_part.len() > 1 && int_part.starts_with('0');
        if !digits_only(int_part) || frac_part.is_some_and(|f| !digits_only(f)) || leading_zero {
            return Err(AmountError::Malformed(truncate_for_error(text)));
        }
        if int_part.len() > MAX_INTEGER_DIGITS {
            return Err(AmountError::TooManyIntegerDigits);
        }
        if frac_part.is_some_and(|f| f.len() > MAX_DECIMALS as usize) {
            return Err(AmountError::TooManyDecimals);
        }
        // At most 10 + 2 digits: always representable exactly.
        let value = Decimal::from_str_exact(text)
            .map_err(|_| AmountError::Malformed(truncate_for_error(text)))?;
        if value <= Decimal::ZERO {
            return Err(AmountError::NotPositive);
        }
        Ok(Amount {
            text: text.to_owned(),
            value,
        })
    }

    /// Parses an amount a person typed for a currency: as [`Amount::parse`], except that a
    /// zero fraction on a currency without minor unit is whole (`"10000.00"` KRW is sent as
    /// `"10000"`); a non-zero one is refused, as are decimals the currency does not have.
    pub fn parse_in(text: &str, currency: &Currency) -> Result<Self, AmountError> {
        let amount = Amount::parse(text)?;
        let amount = if currency.exponent() == 0 && amount.value().fract().is_zero() {
            Amount::from_decimal(amount.value().trunc())?
        } else {
            amount
        };
        amount.check_currency(currency)?;
        Ok(amount)
    }

    /// Builds an amount from a decimal, keeping its scale (`Decimal` `1.50` becomes `"1.50"`).
    pub fn from_decimal(value: Decimal) -> Result<Self, AmountError> {
        Amount::parse(&value.to_string())
    }

    /// Builds the canonical amount for a number of minor units (`1050` USD → `"10.50"`,
    /// `1000` KRW → `"1000"`).
    pub fn from_minor_units(units: i64, currency: &Currency) -> Result<Self, AmountError> {
        let value = Decimal::try_from_i128_with_scale(i128::from(units), currency.exponent())
            .map_err(|_| AmountError::OutOfRange)?;
        Amount::from_decimal(value)
    }

    /// Reads an amount the gateway echoed back, normalised to the currency's exponent.
    ///
    /// The gateway reformats amounts (`"1"` comes back `"1.00"` or `"1.0"`, a KRW `1000` as
    /// `"1000.00"`), and may pad them with whitespace. The result is written with exactly the
    /// currency's decimals (`"1.00"` for USD, `"1000"` for KRW), so a payment created from a
    /// notification or a retrieve can be captured and refunded. A non-zero fraction a
    /// currency cannot have (`"1000.50"` KRW, `"1.005"` USD) is an error, never rounded.
    pub fn from_gateway(text: &str, currency: &Currency) -> Result<Self, AmountError> {
        let trimmed = text.trim();
        let value = GatewayAmount::new(trimmed)
            .to_decimal()
            .ok_or_else(|| AmountError::Malformed(truncate_for_error(trimmed)))?;
        let exponent = currency.exponent();
        if value.normalize().scale() > exponent {
            return Err(if exponent == 0 {
                AmountError::FractionalForCurrency {
                    currency: currency.code().to_owned(),
                }
            } else {
                AmountError::TooManyDecimals
            });
        }
        let mut normalised = value;
        normalised.rescale(exponent);
        let amount = Amount::from_decimal(normalised)?;
        amount.check_currency(currency)?;
        Ok(amount)
    }

    /// The number of minor units, after checking the amount fits the currency.
    pub fn to_minor_units(&self, currency: &Currency) -> Result<i64, AmountError> {
        self.check_currency(currency)?;
        let scaled = self
            .value
            .checked_mul(Decimal::from(10_i64.pow(currency.exponent())))
            .ok_or(AmountError::OutOfRange)?;
        i64::try_from(scaled.trunc()).map_err(|_| AmountError::OutOfRange)
    }

    /// Checks the amount against the currency: a currency without a minor unit takes whole
    /// numbers only, written without a decimal point (the gateway's KRW format is `"1000"`,
    /// and we send the caller's text as it is, so `"1000.0"` is refused rather than rewritten).
    pub fn check_currency(&self, currency: &Currency) -> Result<(), AmountError> {
        currency.check_sendable()?;
        let decimals = self.text.split_once('.').map_or(0, |(_, f)| f.len());
        if currency.exponent() == 0 && self.text.contains('.') {
            return Err(AmountError::FractionalForCurrency {
                currency: currency.code().to_owned(),
            });
        }
        if decimals > currency.exponent() as usize {
            return Err(AmountError::TooManyDecimals);
        }
        Ok(())
    }

    /// The exact text that is sent.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The exact value.
    pub fn value(&self) -> Decimal {
        self.value
    }
}

impl fmt::Debug for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Amount({})", self.text)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Amount {
    type Err = AmountError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Amount::parse(s)
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        Amount::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// An amount string as the gateway sent it (`"1.00"`, `"0.00"`), kept exactly.
///
/// Unlike [`Amount`] it may be zero (a balance) and is not validated when parsed, so an odd
/// value never makes a whole response unreadable; [`GatewayAmount::to_decimal`] says
/// whether it is a number.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct GatewayAmount(String);

impl GatewayAmount {
    /// Wraps a gateway amount string.
    pub fn new(text: impl Into<String>) -> Self {
        GatewayAmount(text.into())
    }

    /// The exact text the gateway sent.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The exact value, when the text is a plain non-negative decimal.
    pub fn to_decimal(&self) -> Option<Decimal> {
        let text = self.0.trim();
        let plain = !text.is_empty()
            && text.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && text.bytes().filter(|b| *b == b'.').count() <= 1;
        if !plain {
            return None;
        }
        Decimal::from_str_exact(text).ok()
    }
}

impl fmt::Display for GatewayAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&Amount> for GatewayAmount {
    fn from(amount: &Amount) -> Self {
        GatewayAmount(amount.as_str().to_owned())
    }
}

/// Keeps error messages short when the input is huge.
pub(crate) fn truncate_for_error(text: &str) -> String {
    const LIMIT: usize = 32;
    match text.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
