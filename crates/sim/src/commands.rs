//! The commands the state modules take, as plain values read from requests: a completed
//! payment window (`NewPayment`, with its recurring part) and a cancel (`CancelCommand`).

use rust_decimal::Decimal;
use serde::Deserialize;

/// `POST /_sim/payments`: a payment as if the buyer completed the payment window.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPayment {
    /// The merchant's order id.
    pub order_id: String,
    /// Currency code.
    pub currency: String,
    /// Amount.
    pub amount: String,
    /// `AUTHORIZE` (default for cards) or `PAYMENT` (the only type, and the default, for
    /// cash).
    #[serde(default)]
    pub transaction_type: Option<String>,
    /// `card` (default) or `cash`: a cash / bank-transfer payment is registered first
    /// (`status=Registered` with a `paymentURL`) and paid or expired later.
    #[serde(default)]
    pub method: Option<String>,
    /// Where the signed status callback goes.
    #[serde(default)]
    pub status_url: Option<String>,
    /// Merchant data echoed in the callback.
    #[serde(default)]
    pub param1: Option<String>,
    /// A recurring registration made with the payment.
    #[serde(default)]
    pub recurring: Option<NewRecurring>,
    /// Store the card (`tokenbilling.token_creation = "Y"`): the callback carries a
    /// `token_id` to rebill it with.
    #[serde(default)]
    pub token_creation: bool,
    /// What the payment window's request carried that its result echoes (`ver`, `email`,
    /// `param2`, `param3`, `paymethod`, `shipTo_*`) and the buyer's name; not part of the
    /// control API.
    #[serde(skip)]
    pub echo: Vec<(String, String)>,
}

/// The recurring part of a new payment (`recurringAmount`, `recurringURL`, `recurringDate`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRecurring {
    /// Monthly amount.
    pub amount: String,
    /// Where charge results go.
    pub url: String,
    /// First charge `YYYYMMDD` (default: one month from today, KST).
    #[serde(default)]
    pub date: Option<String>,
}

/// What a cancel request asks for: its text fields as the wire wrote them, its amounts
/// read for its currency.
#[derive(Clone, Copy, Debug)]
pub struct CancelCommand<'a> {
    /// `payment.order_id`.
    pub order_id: &'a str,
    /// `payment.currency`.
    pub currency: &'a str,
    /// `refund.refund_type`.
    pub refund_type: &'a str,
    /// `refund.refund_id`.
    pub refund_id: &'a str,
    /// The amounts.
    pub amounts: CancelAmounts,
}

/// The amounts of a cancel request, each read for the request's currency — `None` where
/// it is missing or not a valid amount in that currency. The server reads them before it
/// takes the sandbox lock; the ledger refuses a `None` with the gateway's code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CancelAmounts {
    /// `payment.amount`.
    pub amount: Option<Decimal>,
    /// `payment.balance` (the guard).
    pub balance: Option<Decimal>,
    /// Whether the request carried `payment.balance` at all (a missing balance is
    /// [`Behaviour::v1_refund_balance`](crate::Behaviour::v1_refund_balance)'s to judge; an
    /// unreadable one is always refused).
    pub balance_given: bool,
    /// `refund.refund_amount`.
    pub refund_amount: Option<Decimal>,
}
