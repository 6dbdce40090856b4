//! Manual capture of an authorized payment (Eximbay's manual-capture guide).
//!
//! `POST /v1/payments/{transaction_id}/capture` with
//! `{"mid", "payment": {"order_id", "currency", "amount", "lang"}}`. Only payments made with
//! `AUTHORIZE` / `AUTHORIZE_PA` are captured this way; the gateway has no partial capture,
//! so the amount is the authorized amount.

use http::{Request, Response};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::{Operation, Order, PaymentFields, RawResponse, check_payment_fields, v1_post};
use crate::codes::Lang;
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::{OrderId, TransactionId};
use crate::money::{Amount, Currency, GatewayAmount};

/// Capture an authorized payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capture {
    /// The payment to capture (24 characters).
    pub transaction_id: TransactionId,
    /// The merchant's order id of the payment.
    pub order_id: OrderId,
    /// The payment's currency.
    pub currency: Currency,
    /// The authorized amount (no partial capture).
    pub amount: Amount,
    /// Language of the gateway's messages.
    pub lang: Lang,
}

#[derive(Serialize)]
struct CaptureBody<'a> {
    mid: &'a str,
    payment: PaymentFields<'a>,
}

#[derive(Deserialize)]
struct CapturedPaymentWire {
    order_id: Option<String>,
    currency: Option<Currency>,
    amount: Option<GatewayAmount>,
    transaction_id: Option<TransactionId>,
    captured_date: Option<String>,
    // The gateway really sends this key with a trailing space.
    #[serde(alias = "partially_cancelable ")]
    partially_cancelable: Option<String>,
}

/// A successful capture.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Captured {
    /// The gateway's message.
    pub resmsg: String,
    /// The merchant id echoed back.
    pub mid: Option<String>,
    /// The order id.
    pub order_id: Option<OrderId>,
    /// The currency.
    pub currency: Option<Currency>,
    /// The captured amount, exactly as the gateway wrote it.
    pub amount: GatewayAmount,
    /// The captured payment.
    pub transaction_id: TransactionId,
    /// `YYYYMMDDhhmmss`, as sent.
    pub captured_date: Option<String>,
    /// Whether the payment can later be partially refunded (`"Y"`/`"N"`; `None` when absent
    /// or another value).
    pub partially_cancelable: Option<bool>,
}

impl Operation for Capture {
    type Output = Captured;
    const NAME: &'static str = "capture";
    const MOVES_MONEY: bool = true;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        self.transaction_id.check_for_request()?;
        check_payment_fields(
            Order::Existing,
            &self.order_id,
            &self.currency,
            &self.amount,
            &self.lang,
        )?;
        let body = CaptureBody {
            mid: cfg.mid().as_str(),
            payment: PaymentFields {
                order_id: self.order_id.as_str(),
                currency: self.currency.code(),
                amount: self.amount.as_str(),
                balance: None,
                transaction_id: None,
                lang: self.lang.as_str(),
            },
        };
        let path = ["/v1/payments/", self.transaction_id.as_str(), "/capture"];
        v1_post(cfg, &path, &body)
    }

    fn parse<B: AsRef<[u8]>>(&self, resp: Response<B>) -> Result<Captured, ResponseError> {
        let raw = RawResponse::of(&resp);
        let reply = raw.v1::<CapturedPaymentWire, IgnoredAny, IgnoredAny>()?;
        let payment = raw.required(reply.payment, "payment")?;
        Ok(Captured {
            resmsg: reply.resmsg.unwrap_or_default(),
            mid: reply.mid,
            order_id: payment.order_id.map(OrderId::new),
            currency: payment.currency,
            amount: raw.required(payment.amount, "payment.amount")?,
            // The path names the payment, so an answer that omits it is still about it.
            transaction_id: payment
                .transaction_id
                .unwrap_or_else(|| self.transaction_id.clone()),
            captured_date: payment.captured_date,
            partially_cancelable: payment.partially_cancelable.as_deref().and_then(yes_no),
        })
    }
}

/// `"Y"` / `"N"`.
pub(crate) fn yes_no(flag: &str) -> Option<bool> {
    match flag.trim() {
        "Y" => Some(true),
        "N" => Some(false),
        _ => None,
    }
}
