//! Retrieve a payment's current state: `POST /v1/payments/retrieve`.
//!
//! Body `{"mid", "key_field", "payment": {"order_id", "currency", "amount", "transaction_id",
//! "lang"}}`, where `key_field` (`order_id` or `transaction_id`) says which id the gateway
//! looks the payment up by. This is the reconcile call: after an ambiguous failure of a
//! capture or refund, the payment's true state comes from here, never from a replay.
//!
//! # The answer's two shapes
//!
//! No public v1 retrieve answer has been found. The only documented answer of the kind, the
//! legacy `QUERY` (guide §3.2.3, digest §5), is flat: `status`, `balance`, `transid`, `ref`,
//! `cur`, `amt` next to `rescode`. So the answer is read in both shapes:
//!
//! * **nested**: `{"rescode", "resmsg", "payment": {"status", "balance", "transaction_id", …}}`;
//! * **flat**: `{"rescode", "resmsg", "status", "balance", "transaction_id", …}`, each field
//!   under its v1 name or its legacy one (`transid`, `ref`, `cur`, `amt`, `paymethod`,
//!   `txntype`).
//!
//! A field of the nested `payment` object wins; a field it lacks is taken from the top
//! level. Both shapes of one record read into the same [`Retrieved`].

use http::{Request, Response};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::{Operation, Order, PaymentFields, RawResponse, check_payment_fields, v1_post};
use crate::codes::{Lang, PaymentMethod, RemoteStatus, TransactionType};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::{OrderId, TransactionId};
use crate::money::{Amount, Currency, GatewayAmount};

/// Which id the gateway looks the payment up by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyField {
    /// The merchant's order id.
    OrderId,
    /// The gateway's transaction id (must then be set).
    TransactionId,
}

impl KeyField {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyField::OrderId => "order_id",
            KeyField::TransactionId => "transaction_id",
        }
    }
}

/// Look a payment up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retrieve {
    /// Which id to look up by.
    pub key_field: KeyField,
    /// The order id.
    pub order_id: OrderId,
    /// The transaction id (required when `key_field` is `TransactionId`).
    pub transaction_id: Option<TransactionId>,
    /// The payment's currency.
    pub currency: Currency,
    /// The payment's amount.
    pub amount: Amount,
    /// Language of the gateway's messages.
    pub lang: Lang,
}

#[derive(Serialize)]
struct RetrieveBody<'a> {
    mid: &'a str,
    key_field: &'a str,
    payment: PaymentFields<'a>,
}

/// The `payment` object of the nested shape.
#[derive(Deserialize)]
struct PaymentWire {
    order_id: Option<OrderId>,
    currency: Option<Currency>,
    amount: Option<GatewayAmount>,
    transaction_id: Option<TransactionId>,
    transaction_type: Option<TransactionType>,
    status: Option<RemoteStatus>,
    balance: Option<GatewayAmount>,
    captured_date: Option<String>,
    payment_method: Option<PaymentMethod>,
}

/// The record's fields at the top level of the answer (the flat shape), under their v1 names
/// or the legacy QUERY's. Both spellings are separate fields: an answer carrying both is
/// read, not refused as a duplicate (the v1 name wins).
#[derive(Deserialize)]
struct FlatWire {
    order_id: Option<OrderId>,
    #[serde(rename = "ref")]
    legacy_ref: Option<OrderId>,
    currency: Option<Currency>,
    cur: Option<Currency>,
    amount: Option<GatewayAmount>,
    amt: Option<GatewayAmount>,
    transaction_id: Option<TransactionId>,
    transid: Option<TransactionId>,
    transaction_type: Option<TransactionType>,
    status: Option<RemoteStatus>,
    balance: Option<GatewayAmount>,
    captured_date: Option<String>,
    payment_method: Option<PaymentMethod>,
    paymethod: Option<PaymentMethod>,
}

impl FlatWire {
    /// The nested fields (when the answer has a `payment` object), each missing one filled
    /// from the top level.
    fn fill(self, nested: Option<PaymentWire>) -> PaymentWire {
        let nested = nested.unwrap_or(PaymentWire {
            order_id: None,
            currency: None,
            amount: None,
            transaction_id: None,
            transaction_type: None,
            status: None,
            balance: None,
            captured_date: None,
            payment_method: None,
        });
        PaymentWire {
            order_id: nested.order_id.or(self.order_id).or(self.legacy_ref),
            currency: nested.currency.or(self.currency).or(self.cur),
            amount: nested.amount.or(self.amount).or(self.amt),
            transaction_id: nested
                .transaction_id
                .or(self.transaction_id)
                .or(self.transid),
            // The legacy `txntype` of a QUERY answer is `QUERY` itself, not how the payment
            // was made: only the v1 name is read.
            transaction_type: nested.transaction_type.or(self.transaction_type),
            status: nested.status.or(self.status),
            balance: nested.balance.or(self.balance),
            captured_date: nested.captured_date.or(self.captured_date),
            payment_method: nested
                .payment_method
                .or(self.payment_method)
                .or(self.paymethod),
        }
    }
}

/// The payment as the gateway has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Retrieved {
    /// The gateway's message.
    pub resmsg: String,
    /// Order id.
    pub order_id: Option<OrderId>,
    /// Currency.
    pub currency: Option<Currency>,
    /// Original amount, as written by the gateway.
    pub amount: Option<GatewayAmount>,
    /// The payment.
    pub transaction_id: Option<TransactionId>,
    /// How the payment was made.
    pub transaction_type: Option<TransactionType>,
    /// Where the payment stands.
    pub status: RemoteStatus,
    /// What is still refundable, as written by the gateway.
    pub balance: Option<GatewayAmount>,
    /// `YYYYMMDDhhmmss`, when captured.
    pub captured_date: Option<String>,
    /// Payment method.
    pub payment_method: Option<PaymentMethod>,
}

/// Checks a look-up's key (retrieve's and the legacy QUERY's): a transaction id given is
/// well-formed, and one is given when the look-up is by transaction id — `field` and `reason`
/// name it as the wire does.
pub(crate) fn check_lookup_key(
    transaction_id: Option<&TransactionId>,
    key_field: KeyField,
    field: &'static str,
    reason: &'static str,
) -> Result<(), BuildError> {
    match (transaction_id, key_field) {
        (Some(tid), _) => tid.check_for_request(),
        (None, KeyField::TransactionId) => Err(BuildError::InvalidField { field, reason }),
        (None, KeyField::OrderId) => Ok(()),
    }
}

impl Operation for Retrieve {
    type Output = Retrieved;
    const NAME: &'static str = "retrieve";
    const MOVES_MONEY: bool = false;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        check_payment_fields(
            Order::Existing,
            &self.order_id,
            &self.currency,
            &self.amount,
            &self.lang,
        )?;
        check_lookup_key(
            self.transaction_id.as_ref(),
            self.key_field,
            "transaction_id",
            "is required when key_field is transaction_id",
        )?;
        let body = RetrieveBody {
            mid: cfg.mid().as_str(),
            key_field: self.key_field.as_str(),
            payment: PaymentFields {
                order_id: self.order_id.as_str(),
                currency: self.currency.code(),
                amount: self.amount.as_str(),
                balance: None,
                transaction_id: self.transaction_id.as_ref().map(TransactionId::as_str),
                lang: self.lang.as_str(),
            },
        };
        v1_post(cfg, &["/v1/payments/retrieve"], &body)
    }

    fn parse<B: AsRef<[u8]>>(&self, resp: Response<B>) -> Result<Retrieved, ResponseError> {
        let raw = RawResponse::of(&resp);
        let reply = raw.v1::<PaymentWire, IgnoredAny, IgnoredAny>()?;
        // The same bytes parsed once more for the flat shape's top-level fields (the
        // answer is small; see the module docs for why both shapes are read). A complete
        // nested answer does not depend on what else the top level holds.
        let payment = match (serde_json::from_slice::<FlatWire>(raw.body), reply.payment) {
            (Ok(flat), nested) => flat.fill(nested),
            (Err(_), Some(nested)) if nested.status.is_some() => nested,
            (Err(e), _) => return Err(raw.malformed(format!("retrieve answer: {e}"))),
        };
        Ok(Retrieved {
            resmsg: reply.resmsg.unwrap_or_default(),
            order_id: payment.order_id,
            currency: payment.currency,
            amount: payment.amount,
            transaction_id: payment.transaction_id,
            transaction_type: payment.transaction_type,
            status: raw.required(payment.status, "status (payment.status or top-level)")?,
            balance: payment.balance,
            captured_date: payment.captured_date,
            payment_method: payment.payment_method,
        })
    }
}
