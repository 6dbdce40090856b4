//! An order: what the buyer chose, and the core's state machines for its money.

use eximbay_core::{
    Amount, Currency, Payment, PaymentStatus, Recurring, RecurringStatus, TransactionId,
};
use serde::Serialize;

/// What was sold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderKind {
    /// A one-off item, through the v1 window (`ready` + `request_pay`).
    Item,
    /// A monthly subscription, through the legacy window with a recurring registration.
    Subscription,
}

impl OrderKind {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Item => "item",
            OrderKind::Subscription => "subscription",
        }
    }

    /// From what was stored.
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "item" => Some(OrderKind::Item),
            "subscription" => Some(OrderKind::Subscription),
            _ => None,
        }
    }
}

/// One order row.
#[derive(Clone, Debug)]
pub struct Order {
    /// The merchant's order id (`ref` / `order_id` on the wire).
    pub order_id: String,
    /// Item or subscription.
    pub kind: OrderKind,
    /// The product's name.
    pub product: String,
    /// `PAYMENT` (captured at once) or `AUTHORIZE` (captured at shipping).
    pub transaction_type: String,
    /// The order's currency.
    pub currency: Currency,
    /// The order's amount: a notification for any other amount is not this order's payment.
    pub amount: Amount,
    /// The buyer's name.
    pub buyer: String,
    /// The buyer's e-mail.
    pub email: String,
    /// The payment, once the gateway's `status_url` notification has arrived (or the
    /// sweeper found it with the gateway).
    pub payment: Option<Payment>,
    /// Payments of this order beyond the first: the buyer paid twice (two tabs, the back
    /// button). Each is recorded, flagged and refundable; none is ever dropped.
    pub extra_payments: Vec<Payment>,
    /// The subscription's registration, once notified.
    pub recurring: Option<Recurring>,
    /// Fraud screening's decision when it holds the order (`REVIEW`, `REJECT`, `ERROR`).
    pub hold: Option<String>,
    /// The compare-and-swap version.
    pub version: i64,
    /// When it was created (unix seconds, the shop's clock).
    pub created_at: i64,
    /// When it was created by the gateway's clock (unix seconds; the embedded sandbox's
    /// test clock when there is one). `None` for orders stored before it was recorded.
    pub placed_at_gateway: Option<i64>,
}

/// Where an order stands, for people and for the sweeper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// No payment notified yet.
    AwaitingPayment,
    /// Fraud screening holds it: do not ship.
    Held,
    /// A cash or bank-transfer payment the buyer has not paid yet.
    AwaitingTransfer,
    /// Authorized, to be captured when shipped.
    Authorized,
    /// Paid in full.
    Paid,
    /// Paid, part refunded.
    PartiallyRefunded,
    /// Everything refunded.
    Refunded,
    /// Cancelled before capture.
    Voided,
    /// A money-moving call ended with an unknown outcome: checking with the gateway.
    NeedsReconcile,
}

impl Stage {
    /// As stored (the `stage` column).
    pub fn key(self) -> &'static str {
        match self {
            Stage::AwaitingPayment => "awaiting_payment",
            Stage::Held => "held",
            Stage::AwaitingTransfer => "awaiting_transfer",
            Stage::Authorized => "authorized",
            Stage::Paid => "paid",
            Stage::PartiallyRefunded => "partially_refunded",
            Stage::Refunded => "refunded",
            Stage::Voided => "voided",
            Stage::NeedsReconcile => "needs_reconcile",
        }
    }

    /// For people.
    pub fn label(self) -> &'static str {
        match self {
            Stage::AwaitingPayment => "Awaiting payment",
            Stage::Held => "Held by fraud screening — do not ship",
            Stage::AwaitingTransfer => "Awaiting the buyer's transfer — do not ship",
            Stage::Authorized => "Authorized — capture when you ship",
            Stage::Paid => "Paid",
            Stage::PartiallyRefunded => "Paid, partly refunded",
            Stage::Refunded => "Refunded",
            Stage::Voided => "Cancelled",
            Stage::NeedsReconcile => "Checking with the gateway",
        }
    }
}

impl Order {
    /// Where it stands.
    pub fn stage(&self) -> Stage {
        if self.hold.is_some() {
            return Stage::Held;
        }
        // A payment in doubt (the first or an extra one) is what the operator must know.
        if self
            .payments()
            .any(|p| p.status() == PaymentStatus::NeedsReconcile)
        {
            return Stage::NeedsReconcile;
        }
        match self.payment.as_ref().map(Payment::status) {
            None => Stage::AwaitingPayment,
            Some(PaymentStatus::Registered) => Stage::AwaitingTransfer,
            Some(PaymentStatus::Authorized) => Stage::Authorized,
            Some(PaymentStatus::Captured) => Stage::Paid,
            Some(PaymentStatus::PartiallyRefunded) => Stage::PartiallyRefunded,
            Some(PaymentStatus::Refunded) => Stage::Refunded,
            Some(PaymentStatus::Voided) => Stage::Voided,
            // NeedsReconcile, and any status a later core adds: settle it with the gateway.
            Some(_) => Stage::NeedsReconcile,
        }
    }

    /// The payment with this transaction id (or, for a cash payment whose sale came under
    /// an id of its own, its registration's): the first, or an extra one.
    pub fn payment_by_id(&self, transaction_id: &str) -> Option<&Payment> {
        let id = TransactionId::new(transaction_id);
        self.payments().find(|p| p.is_known_as(&id))
    }

    /// The same, to change it.
    pub fn payment_by_id_mut(&mut self, transaction_id: &str) -> Option<&mut Payment> {
        self.payment
            .iter_mut()
            .chain(self.extra_payments.iter_mut())
            .find(|p| p.is_known_as(&TransactionId::new(transaction_id)))
    }

    /// Every payment of the order, the first one first.
    pub fn payments(&self) -> impl Iterator<Item = &Payment> {
        self.payment.iter().chain(self.extra_payments.iter())
    }

    /// Extra payments that still hold the buyer's money (not yet refunded or released):
    /// the order was paid more than once and one should be refunded.
    pub fn paid_twice(&self) -> bool {
        self.extra_payments
            .iter()
            .any(|p| !p.refundable().is_zero())
    }

    /// Whether the goods may leave the warehouse: paid (captured), not held.
    pub fn may_ship(&self) -> bool {
        matches!(self.stage(), Stage::Paid | Stage::Authorized)
    }

    /// The subscription's state, for people.
    pub fn subscription_label(&self) -> Option<String> {
        let recurring = self.recurring.as_ref()?;
        Some(match recurring.status() {
            RecurringStatus::Active => format!("Active — next charge {}", recurring.next_charge()),
            RecurringStatus::Retrying { failed_attempts } => format!(
                "Charge failed {failed_attempts}× — the gateway retries; next attempt {}",
                recurring.next_charge()
            ),
            RecurringStatus::Terminated { reason } => match reason {
                eximbay_core::recurring::TerminationReason::ByMerchant => {
                    "Ended — terminated by the shop".to_owned()
                }
                eximbay_core::recurring::TerminationReason::FailedCharges => {
                    "Ended — the gateway stopped it after three failed charges".to_owned()
                }
            },
            other => format!("{other:?}"),
        })
    }
}
