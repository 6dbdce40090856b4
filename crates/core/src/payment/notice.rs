//! What a `status_url` notification says about an existing payment, read once from the
//! (verified) notification into typed values and applied with
//! [`PaymentOutcome::Notified`](super::PaymentOutcome::Notified).

use super::{Payment, PaymentStatus};
use crate::codes::{Lang, NotificationStatus, ResultCode, TransactionType};
use crate::ids::{OrderId, TransactionId};
use crate::money::{Amount, AmountError, Currency, GatewayAmount};
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

impl Payment {
    /// The payment a successful `status_url` notification reports (verify it first):
    /// `AUTHORIZE` / `AUTHORIZE_PA` payments start [`PaymentStatus::Authorized`],
    /// `PAYMENT` / `PAYMENT_PA` payments [`PaymentStatus::Captured`], and a cash or
    /// bank-transfer payment notified with `status=Registered` starts
    /// [`PaymentStatus::Registered`] (apply its later `Sale` or `Void` notification with
    /// [`PaymentOutcome::Notified`](super::PaymentOutcome::Notified)).
    ///
    /// The echoed amount is normalised to the currency's exponent (`"1000.00"` KRW becomes
    /// `1000`); a fraction the currency cannot have (`"1000.50"` KRW) is refused, as is a
    /// `status=Void` notification (nothing was paid).
    pub fn from_status_notification(
        notification: &Notification<'_>,
        lang: Lang,
    ) -> Result<Self, NotificationError> {
        match notification.rescode() {
            Some(code) if code.is_success() => {}
            Some(code) => return Err(NotificationError::NotSuccessful(code.as_str().to_owned())),
            None => return Err(NotificationError::MissingField("rescode")),
        }
        let registered = match notification.status() {
            None | Some(NotificationStatus::Sale) => false,
            Some(NotificationStatus::Registered) => true,
            Some(NotificationStatus::Void) => {
                return Err(NotificationError::NotPaid("Void".to_owned()));
            }
            Some(NotificationStatus::Other(_)) => {
                return Err(NotificationError::InvalidField("status"));
            }
        };
        let transaction_id = notification
            .transaction_id()
            .ok_or(NotificationError::MissingField("transaction id"))?;
        let order_id = notification
            .order_id()
            .ok_or(NotificationError::MissingField("order id"))?;
        let currency = notification
            .currency()
            .ok_or(NotificationError::MissingField("currency"))?;
        currency
            .check_sendable()
            .map_err(|_| NotificationError::InvalidField("currency"))?;
        let amount = notification
            .amount()
            .ok_or(NotificationError::MissingField("amount"))
            .and_then(|a| {
                Amount::from_gateway(a.as_str(), &currency)
                    .map_err(|_| NotificationError::InvalidField("amount"))
            })?;
        let start: fn(
            TransactionId,
            OrderId,
            Currency,
            Amount,
            Lang,
        ) -> Result<Payment, AmountError> = match notification.transaction_type() {
            _ if registered => Payment::registered,
            Some(TransactionType::Authorize | TransactionType::AuthorizePa) => Payment::authorized,
            Some(TransactionType::Payment | TransactionType::PaymentPa) => Payment::captured,
            Some(_) => return Err(NotificationError::InvalidField("transaction type")),
            None => return Err(NotificationError::MissingField("transaction type")),
        };
        let payment = start(transaction_id, order_id, currency, amount, lang)
            .map_err(|_| NotificationError::InvalidField("amount"))?;
        Ok(match notification.transaction_date() {
            Some(at) if payment.status == PaymentStatus::Authorized => {
                payment.with_authorized_at(at)
            }
            _ => payment,
        })
    }
}
