//! The commands the state modules take, as plain values read from requests: a completed
//! payment window (`NewPayment`, with its recurring part) and a cancel (`CancelCommand`).
//!
//! `NewPayment` and `NewRecurring` are `#[non_exhaustive]` and made with `new(required…)`
//! and `with_*` setters (or read from JSON), so a field added later breaks no caller.

use rust_decimal::Decimal;
use serde::Deserialize;

/// `POST /_sim/payments`: a payment as if the buyer completed the payment window. Made with
/// [`NewPayment::new`] and the `with_*` setters, or read from the control's JSON.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
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
    pub(crate) echo: Vec<(String, String)>,
}

impl NewPayment {
    /// A card payment of `amount` in `currency` for the order `order_id`, with every optional
    /// part left out: an `AUTHORIZE`, notifying no one, storing no card, registering no
    /// recurring payment.
    pub fn new(
        order_id: impl Into<String>,
        currency: impl Into<String>,
        amount: impl Into<String>,
    ) -> Self {
        NewPayment {
            order_id: order_id.into(),
            currency: currency.into(),
            amount: amount.into(),
            transaction_type: None,
            method: None,
            status_url: None,
            param1: None,
            recurring: None,
            token_creation: false,
            echo: Vec::new(),
        }
    }

    /// The transaction type (`AUTHORIZE`, `PAYMENT`, …).
    pub fn with_transaction_type(mut self, transaction_type: impl Into<String>) -> Self {
        self.transaction_type = Some(transaction_type.into());
        self
    }

    /// The method: `card` or `cash`.
    pub fn with_method(mut self, method: impl Into<String>) -> Self {
        self.method = Some(method.into());
        self
    }

    /// Where the signed status callback goes.
    pub fn with_status_url(mut self, status_url: impl Into<String>) -> Self {
        self.status_url = Some(status_url.into());
        self
    }

    /// Merchant data echoed in the callback.
    pub fn with_param1(mut self, param1: impl Into<String>) -> Self {
        self.param1 = Some(param1.into());
        self
    }

    /// A recurring registration made with the payment.
    pub fn with_recurring(mut self, recurring: NewRecurring) -> Self {
        self.recurring = Some(recurring);
        self
    }

    /// Whether the card is stored (token billing).
    pub fn with_token_creation(mut self, token_creation: bool) -> Self {
        self.token_creation = token_creation;
        self
    }

    /// What the payment window's request carried that its result echoes.
    pub(crate) fn with_echo(mut self, echo: Vec<(String, String)>) -> Self {
        self.echo = echo;
        self
    }
}

/// The recurring part of a new payment (`recurringAmount`, `recurringURL`, `recurringDate`).
/// Made with [`NewRecurring::new`], or read from the control's JSON.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct NewRecurring {
    /// Monthly amount.
    pub amount: String,
    /// Where charge results go.
    pub url: String,
    /// First charge `YYYYMMDD` (default: one month from today, KST).
    #[serde(default)]
    pub date: Option<String>,
}

impl NewRecurring {
    /// A monthly charge of `amount`, its results posted to `url`, first charged a month
    /// from today (KST).
    pub fn new(amount: impl Into<String>, url: impl Into<String>) -> Self {
        NewRecurring {
            amount: amount.into(),
            url: url.into(),
            date: None,
        }
    }

    /// The first charge's date, `YYYYMMDD`.
    pub fn with_date(mut self, date: impl Into<String>) -> Self {
        self.date = Some(date.into());
        self
    }
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
