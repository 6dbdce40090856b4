//! Charge a stored card again: `POST /v1/payments/tokenbilling/{token_id}/rebill`.
//!
//! Body `{"payment": {"order_id", "currency", "amount"}, "merchant": {"mid"}, "product":
//! [{"name", "quantity", "unit_price"}]}`; the answer `{rescode, resmsg, payment: {order_id,
//! currency, amount, transaction_id, auth_code, transaction_date, access_country,
//! payment_method, pay_to, lang, payment_method_name}, card_info: {card_holder,
//! card_number1, card_number4}}`. Source: Eximbay's token-billing reference as public
//! integration samples show it. A rebill moves money: its unknown outcome is reconciled by
//! `order_id` (there is no transaction id until it answers), never replayed.

use http::{Request, Response};
use serde::de::IgnoredAny;
use serde::{Deserialize, Serialize};

use super::{Line, Operation, RawResponse, v1_post};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::{OrderId, TokenId, TransactionId};
use crate::money::{Amount, Currency, GatewayAmount};

/// Charge a stored card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRebill {
    /// The stored card.
    pub token_id: TokenId,
    /// A new order id for this charge.
    pub order_id: OrderId,
    /// The currency.
    pub currency: Currency,
    /// The amount (Σ of the products when any are given).
    pub amount: Amount,
    /// What is charged for (may be empty).
    pub products: Vec<Line>,
}

#[derive(Serialize)]
struct RebillBody<'a> {
    payment: RebillPayment<'a>,
    merchant: MerchantMid<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    product: Vec<ProductFields<'a>>,
}

#[derive(Serialize)]
struct RebillPayment<'a> {
    order_id: &'a str,
    currency: &'a str,
    amount: &'a str,
}

#[derive(Serialize)]
pub(crate) struct MerchantMid<'a> {
    pub mid: &'a str,
}

#[derive(Serialize)]
struct ProductFields<'a> {
    name: &'a str,
    quantity: String,
    unit_price: &'a str,
}

#[derive(Deserialize)]
struct RebilledWire {
    order_id: Option<OrderId>,
    currency: Option<Currency>,
    amount: Option<GatewayAmount>,
    transaction_id: Option<TransactionId>,
    auth_code: Option<String>,
    transaction_date: Option<String>,
    access_country: Option<String>,
    payment_method: Option<String>,
    pay_to: Option<String>,
    payment_method_name: Option<String>,
}

/// The card a rebill charged (masked as the gateway sends it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardInfo {
    /// The card holder's name.
    pub card_holder: Option<String>,
    /// The card number's first digits.
    pub card_number1: Option<String>,
    /// The card number's last four digits.
    pub card_number4: Option<String>,
}

/// A successful rebill: a new, captured payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rebilled {
    /// The gateway's message.
    pub resmsg: String,
    /// The new payment.
    pub transaction_id: TransactionId,
    /// The order id, when echoed.
    pub order_id: Option<OrderId>,
    /// The currency, when echoed.
    pub currency: Option<Currency>,
    /// The charged amount, exactly as written.
    pub amount: GatewayAmount,
    /// The issuer's approval code.
    pub auth_code: Option<String>,
    /// `YYYYMMDDhhmmss` (KST), as sent.
    pub transaction_date: Option<String>,
    /// Where the buyer was.
    pub access_country: Option<String>,
    /// The method code.
    pub payment_method: Option<String>,
    /// The method's name.
    pub payment_method_name: Option<String>,
    /// The statement descriptor.
    pub pay_to: Option<String>,
    /// The card charged.
    pub card_info: Option<CardInfo>,
}

impl Operation for TokenRebill {
    type Output = Rebilled;
    const NAME: &'static str = "token_rebill";
    const MOVES_MONEY: bool = true;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        self.token_id.check_for_request()?;
        self.order_id.check_for_request()?;
        self.amount
            .check_currency(&self.currency)
            .map_err(BuildError::amount("amount"))?;
        if !self.products.is_empty() {
            let total =
                super::lines_total("product", "unit_price", &self.products, &self.currency)?;
            if total != self.amount.value() {
                return Err(BuildError::InvalidField {
                    field: "product",
                    reason: "the products' quantity × unit_price must add up to the amount",
                });
            }
        }
        let body = RebillBody {
            payment: RebillPayment {
                order_id: self.order_id.as_str(),
                currency: self.currency.code(),
                amount: self.amount.as_str(),
            },
            merchant: MerchantMid {
                mid: cfg.mid().as_str(),
            },
            product: self
                .products
                .iter()
                .map(|line| ProductFields {
                    name: &line.name,
                    quantity: line.quantity.to_string(),
                    unit_price: line.unit_price.as_str(),
                })
                .collect(),
        };
        let path = [
            "/v1/payments/tokenbilling/",
            self.token_id.as_str(),
            "/rebill",
        ];
        v1_post(cfg, &path, &body)
    }

    fn parse<B: AsRef<[u8]>>(&self, resp: Response<B>) -> Result<Rebilled, ResponseError> {
        let raw = RawResponse::of(&resp);
        let reply = raw.v1::<RebilledWire, IgnoredAny, IgnoredAny>()?;
        let payment = raw.required(reply.payment, "payment")?;
        let transaction_id = raw.required(payment.transaction_id, "payment.transaction_id")?;
        if transaction_id.check_for_request().is_err() {
            return Err(raw.malformed("payment.transaction_id is not a 24-character id"));
        }
        Ok(Rebilled {
            resmsg: reply.resmsg.unwrap_or_default(),
            transaction_id,
            order_id: payment.order_id,
            currency: payment.currency,
            amount: raw.required(payment.amount, "payment.amount")?,
            auth_code: payment.auth_code,
            transaction_date: payment.transaction_date,
            access_country: payment.access_country,
            payment_method: payment.payment_method,
            payment_method_name: payment.payment_method_name,
            pay_to: payment.pay_to,
            card_info: reply.card_info,
        })
    }
}
