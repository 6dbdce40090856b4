//! Confirm a payment after payer authentication (3-D Secure): `POST /v1/payments/confirm`.
//!
//! Body `{"transaction_type", "mid", "payment": {"order_id", "currency", "amount",
//! "payer_auth_id", "lang"}}`; the answer carries `rescode`, `resmsg` and the new payment's
//! `transaction_id`. `PAYMENT_PA` authorizes and captures; `AUTHORIZE_PA` authorizes only (capture
//! later). Sources: the path and body are inferred from public integration code that cites
//! Eximbay's API reference; the legacy integration guide says the amount and currency must
//! equal the authentication's, which [`crate::authentication::PayerAuthentication::confirm`]
//! checks before anything is built.

use http::{Request, Response};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::{Operation, Order, RawResponse, check_payment_fields, v1_post};
use crate::codes::{Lang, TransactionType};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::{OrderId, PayerAuthId, TransactionId};
use crate::money::{Amount, Currency, GatewayAmount};

/// Authorize (or pay) with a payer authentication.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Confirm {
    /// `PAYMENT_PA` (captured at once) or `AUTHORIZE_PA` (captured later).
    pub transaction_type: TransactionType,
    /// The order the authentication was made for.
    pub order_id: OrderId,
    /// The authentication's currency.
    pub currency: Currency,
    /// The authentication's amount.
    pub amount: Amount,
    /// The authentication.
    pub payer_auth_id: PayerAuthId,
    /// Language of the gateway's messages.
    pub lang: Lang,
}

#[derive(Serialize)]
struct ConfirmBody<'a> {
    transaction_type: &'a str,
    mid: &'a str,
    payment: ConfirmPayment<'a>,
}

#[derive(Serialize)]
struct ConfirmPayment<'a> {
    order_id: &'a str,
    currency: &'a str,
    amount: &'a str,
    payer_auth_id: &'a str,
    lang: &'a str,
}

#[derive(Deserialize)]
struct ConfirmedPaymentWire {
    order_id: Option<OrderId>,
    currency: Option<Currency>,
    amount: Option<GatewayAmount>,
    transaction_id: Option<TransactionId>,
}

/// A confirmed payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Confirmed {
    /// The gateway's message.
    pub resmsg: String,
    /// The new payment.
    pub transaction_id: TransactionId,
    /// What was confirmed (`PAYMENT_PA` or `AUTHORIZE_PA`), as sent.
    pub transaction_type: TransactionType,
    /// The order id, when echoed.
    pub order_id: Option<OrderId>,
    /// The currency, when echoed.
    pub currency: Option<Currency>,
    /// The amount, when echoed, exactly as written.
    pub amount: Option<GatewayAmount>,
}

impl Operation for Confirm {
    type Output = Confirmed;
    const NAME: &'static str = "confirm";
    const MOVES_MONEY: bool = true;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        if !matches!(
            self.transaction_type,
            TransactionType::PaymentPa | TransactionType::AuthorizePa
        ) {
            return Err(BuildError::InvalidField {
                field: "transaction_type",
                reason: "must be PAYMENT_PA or AUTHORIZE_PA",
            });
        }
        check_payment_fields(
            Order::Existing,
            &self.order_id,
            &self.currency,
            &self.amount,
            &self.lang,
        )?;
        self.payer_auth_id.check_for_request()?;
        let body = ConfirmBody {
            transaction_type: self.transaction_type.as_str(),
            mid: cfg.mid().as_str(),
            payment: ConfirmPayment {
                order_id: self.order_id.as_str(),
                currency: self.currency.code(),
                amount: self.amount.as_str(),
                payer_auth_id: self.payer_auth_id.as_str(),
                lang: self.lang.as_str(),
            },
        };
        v1_post(cfg, &["/v1/payments/confirm"], &body)
    }

    fn parse<B: AsRef<[u8]>>(&self, resp: Response<B>) -> Result<Confirmed, ResponseError> {
        let raw = RawResponse::of(&resp);
        let reply = raw.v1::<ConfirmedPaymentWire, IgnoredAny, IgnoredAny>()?;
        let payment = reply.payment;
        // Top-level as the reference shows it; inside `payment` as other v1 answers do.
        let transaction_id = reply
            .transaction_id
            .map(TransactionId::new)
            .or_else(|| payment.as_ref().and_then(|p| p.transaction_id.clone()));
        let transaction_id = raw.required(transaction_id, "transaction_id")?;
        if transaction_id.check_for_request().is_err() {
            return Err(raw.malformed("transaction_id is not a 24-character id"));
        }
        let (order_id, currency, amount) = match payment {
            Some(p) => (p.order_id, p.currency, p.amount),
            None => (None, None, None),
        };
        Ok(Confirmed {
            resmsg: reply.resmsg.unwrap_or_default(),
            transaction_id,
            transaction_type: self.transaction_type.clone(),
            order_id,
            currency,
            amount,
        })
    }
}
