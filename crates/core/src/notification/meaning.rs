//! What a gateway result means for the merchant: one reading per notification (and per
//! return post, which carries the same fields), so that nothing reads as paid unless money
//! moved.
//!
//! | `rescode` | `status` | transaction type | meaning |
//! |---|---|---|---|
//! | not `0000` | any | any | [`Meaning::Failed`] |
//! | `0000` | `Void` | any | [`Meaning::Voided`] |
//! | `0000` | `Registered` | any | [`Meaning::Registered`] |
//! | `0000` | `Sale` | `PAYMENT` | [`Meaning::MoneyReceived`] ([`Received::CashSale`]) |
//! | `0000` | absent | `PAYMENT`, `PAYMENT_PA` | [`Meaning::MoneyReceived`] (a sale, a token creation or a recurring charge) |
//! | `0000` | absent | `REBILL` | [`Meaning::MoneyReceived`] ([`Received::Rebill`]) |
//! | `0000` | absent or `Sale` | `AUTHORIZE`, `AUTHORIZE_PA` | [`Meaning::Authorized`] |
//! | `0000` | absent | `PAYER_AUTH` | [`Meaning::PayerAuthenticated`] |
//! | `0000` | anything else | anything else, or none | [`Meaning::Unreadable`] |
//!
//! Sources: an authorization lapses unless captured (guide §2.3/§2.4, digest §4.4–4.5); a
//! payer authentication is 3-D Secure only (guide §2.2, digest §4.3); cash methods are paid
//! on `Sale` only, `Registered` first and `Void` on expiry (guide §2.9, digest §7); a
//! token-creation payment is a sale that also issues `tokenID` (guide §2.5, digest §4.6);
//! recurring charge results carry `recurringID`/`recurringRetry` (seed 002).

use std::fmt;

use super::Notification;
use crate::codes::{NotificationStatus, ResultCode, TransactionType};

/// What a notification (or a window's return post) says happened. Read it with
/// [`Notification::meaning`] after verifying the fgkey.
///
/// Fraud screening is a separate question ([`Notification::holds_order`]): a payment can
/// be received and still be held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Meaning {
    /// Money moved: the merchant is paid (ship, unless fraud screening holds the order).
    MoneyReceived(Received),
    /// An authorization only (`AUTHORIZE`, `AUTHORIZE_PA`): nothing is charged until it is
    /// captured, and it lapses if it is not (issuers release it after about 7–14 days). The
    /// gateway gives no deadline; the only "capture by" date is the merchant's own expiry
    /// policy ([`Payment::with_authorization_expiry`](crate::Payment::with_authorization_expiry)).
    Authorized,
    /// A payer authentication (`PAYER_AUTH`, 3-D Secure) succeeded: nothing is charged;
    /// confirm it next ([`PayerAuthentication`](crate::PayerAuthentication)).
    PayerAuthenticated,
    /// A cash or bank-transfer order was registered (`status=Registered`): nothing is paid
    /// yet; wait for the `Sale` notification.
    Registered,
    /// Expired or cancelled before payment (`status=Void`): nothing was paid.
    Voided,
    /// The gateway reports a failure (`rescode` other than `0000`): nothing was charged by
    /// this result.
    Failed(ResultCode),
    /// A success this crate cannot read as any of the above (no transaction type, an
    /// unknown `status`, a type that is not a window result): treat it as not paid and look
    /// the order up with a retrieve. The text says what was missing or unknown.
    Unreadable(String),
}

/// How money was received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Received {
    /// A card or wallet sale (`PAYMENT`, or `PAYMENT_PA` after a payer authentication).
    Sale,
    /// A sale that also stored the card (token creation: a `tokenID` came with it);
    /// keep the token to charge it again with `REBILL`.
    SaleWithToken,
    /// A cash or bank-transfer payment the buyer has now paid (`status=Sale`).
    CashSale,
    /// A charge of a stored card (`REBILL`).
    Rebill,
    /// A monthly charge of a recurring registration (`recurringRetry` present).
    RecurringCharge,
}

impl Meaning {
    /// Whether money moved ([`Meaning::MoneyReceived`]).
    pub fn is_money_received(&self) -> bool {
        matches!(self, Meaning::MoneyReceived(_))
    }

    /// A short, stable name: `money_received`, `authorized`, `payer_authenticated`,
    /// `registered`, `voided`, `failed`, `unreadable` (the CLI prints it).
    pub fn as_str(&self) -> &'static str {
        match self {
            Meaning::MoneyReceived(_) => "money_received",
            Meaning::Authorized => "authorized",
            Meaning::PayerAuthenticated => "payer_authenticated",
            Meaning::Registered => "registered",
            Meaning::Voided => "voided",
            Meaning::Failed(_) => "failed",
            Meaning::Unreadable(_) => "unreadable",
        }
    }

    /// What the merchant does next, in one sentence.
    pub fn next_step(&self) -> &'static str {
        match self {
            Meaning::MoneyReceived(_) => "paid: fulfil the order unless fraud screening holds it",
            Meaning::Authorized => {
                "authorized only: capture it before it lapses; nothing is charged until then"
            }
            Meaning::PayerAuthenticated => {
                "payer authenticated only: nothing is charged; confirm it (PAYMENT_PA or AUTHORIZE_PA)"
            }
            Meaning::Registered => "registered only: nothing is paid; wait for status=Sale",
            Meaning::Voided => "voided: nothing was paid; do not fulfil",
            Meaning::Failed(_) => "failed: nothing was charged; do not fulfil",
            Meaning::Unreadable(_) => {
                "not readable as a payment: do not fulfil; look the order up with a retrieve"
            }
        }
    }
}

impl Received {
    /// A short, stable name: `sale`, `sale_with_token`, `cash_sale`, `rebill`,
    /// `recurring_charge`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Received::Sale => "sale",
            Received::SaleWithToken => "sale_with_token",
            Received::CashSale => "cash_sale",
            Received::Rebill => "rebill",
            Received::RecurringCharge => "recurring_charge",
        }
    }
}

impl fmt::Display for Meaning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Meaning::MoneyReceived(how) => write!(f, "money received ({})", how.as_str()),
            Meaning::Failed(code) => write!(f, "failed ({})", code.as_str()),
            Meaning::Unreadable(why) => write!(f, "unreadable ({why})"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// Reads a notification's meaning (see the module table).
pub(super) fn read(notification: &Notification<'_>) -> Meaning {
    let Some(rescode) = notification.rescode() else {
        return Meaning::Unreadable("no rescode".to_owned());
    };
    if !rescode.is_success() {
        return Meaning::Failed(rescode);
    }
    let status = notification.status();
    match &status {
        Some(NotificationStatus::Void) => return Meaning::Voided,
        Some(NotificationStatus::Registered) => return Meaning::Registered,
        Some(NotificationStatus::Other(other)) => {
            return Meaning::Unreadable(format!("status {other:?}"));
        }
        Some(NotificationStatus::Sale) | None => {}
    }
    let sale = status == Some(NotificationStatus::Sale);
    let Some(transaction_type) = notification.transaction_type() else {
        return Meaning::Unreadable("no transaction type".to_owned());
    };
    let has = |value: Option<&str>| value.is_some_and(|v| !v.trim().is_empty());
    match transaction_type {
        TransactionType::Authorize | TransactionType::AuthorizePa => Meaning::Authorized,
        TransactionType::Payment if sale => Meaning::MoneyReceived(Received::CashSale),
        TransactionType::Payment | TransactionType::PaymentPa if !sale => {
            if has(notification.token_id()) {
                Meaning::MoneyReceived(Received::SaleWithToken)
            } else if has(notification.either("recurringRetry", "recurring_retry")) {
                Meaning::MoneyReceived(Received::RecurringCharge)
            } else {
                Meaning::MoneyReceived(Received::Sale)
            }
        }
        TransactionType::Rebill if !sale => Meaning::MoneyReceived(Received::Rebill),
        TransactionType::PayerAuth if !sale => Meaning::PayerAuthenticated,
        other => Meaning::Unreadable(format!(
            "transaction type {}{}",
            other.as_str(),
            if sale { " with status Sale" } else { "" }
        )),
    }
}
