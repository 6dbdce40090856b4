//! What a `status_url` notification says about an existing payment, read once from the
//! (verified) notification into typed values and applied with
//! [`PaymentOutcome::Notified`](super::PaymentOutcome::Notified).

use crate::codes::{NotificationStatus, ResultCode, TransactionType};
use crate::ids::{OrderId, TransactionId};
use crate::money::{Currency, GatewayAmount};
use crate::notification::{Notification, NotificationError};

/// A verified `status_url` notification about one payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentNotice {
    /// The payment (`transaction_id` / `transid`).
    pub transaction_id: TransactionId,
    /// The order (`order_id` / `ref`), when sent: a cash `Sale` under a transaction id of
    /// its own is matched to its `Registered` payment by order and amount.
    pub order_id: Option<OrderId>,
    /// `status` (`Registered`, `Sale`, `Void`); `None` for card payments.
    pub status: Option<NotificationStatus>,
    /// The result code.
    pub rescode: ResultCode,
    /// `transaction_type` / `txntype`, when sent.
    pub transaction_type: Option<TransactionType>,
    /// `currency` / `cur`, when sent (checked against the payment's).
    pub currency: Option<Currency>,
    /// `amount` / `amt` exactly as sent (checked against the payment's, as a number).
    pub amount: Option<GatewayAmount>,
    /// Fraud screening said `REVIEW`, `REJECT` or `ERROR`: do not ship. The payment's state
    /// still follows the gateway's record; holding the order is the merchant's decision.
    pub holds_order: bool,
}

impl PaymentNotice {
    /// Reads a notification (verify its fgkey first).
    pub fn from_notification(notification: &Notification<'_>) -> Result<Self, NotificationError> {
        Ok(PaymentNotice {
            transaction_id: notification
                .transaction_id()
                .ok_or(NotificationError::MissingField("transaction id"))?,
            order_id: notification.order_id(),
            status: notification.status(),
            rescode: notification
                .rescode()
                .ok_or(NotificationError::MissingField("rescode"))?,
            transaction_type: notification.transaction_type(),
            currency: notification.currency(),
            amount: notification.amount(),
            holds_order: notification.holds_order(),
        })
    }
}
