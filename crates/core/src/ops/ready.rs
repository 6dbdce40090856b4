//! Payment preparation: `POST /v1/payments/ready` returns the `fgkey` the payment window
//! (JavaScript SDK) needs, and [`Ready::request_pay`] builds what the page hands to
//! `EXIMBAY.request_pay`.
//!
//! Body `{"payment": {"transaction_type", "order_id", "currency", "amount", "lang",
//! "payment_method", "multi_payment_method"}, "merchant": {"mid", "shop", "partner_code"},
//! "buyer": {"name", "email", "phone_number"}, "url": {"return_url", "status_url"},
//! "product": [{"name", "quantity", "unit_price"}], "surcharge": [...], "other_param":
//! {"param1", "param2"}, "tax": {...}, "settings": {...}}` (optional parts only when set;
//! the fields are the developer pages' and the public v1 samples').
//! The SDK checks the fgkey against the very same objects, so the ready body and the
//! `request_pay` payload are serialised from one value: they cannot drift.

use std::collections::BTreeMap;

use http::{Request, Response};
use serde::Serialize;
use serde::de::IgnoredAny;

use super::{Line, MerchantParams, Operation, Order, RawResponse, check_payment_fields, v1_post};
use crate::codes::{Lang, PaymentMethod, TransactionType};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::{OrderId, check_free_text, check_required_text, check_url};
use crate::money::{Amount, Currency};

/// Longest URL the gateway takes.
pub use crate::ids::URL_MAX_LEN;

mod settings;

pub use settings::ReadySettings;

/// Prepare a payment window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ready {
    /// `PAYMENT` (captured automatically), `AUTHORIZE` (capture later), `PAYER_AUTH` or
    /// `REBILL`; any other type is refused before sending.
    pub transaction_type: TransactionType,
    /// The merchant's order id.
    pub order_id: OrderId,
    /// Currency.
    pub currency: Currency,
    /// Amount.
    pub amount: Amount,
    /// Language of the payment window.
    pub lang: Lang,
    /// `payment.payment_method`: open the window on this method (PayPal, Alipay, WeChat
    /// Pay, KakaoPay, a convenience store …); `P101`–`P128` are refused (answers only).
    pub payment_method: Option<PaymentMethod>,
    /// `payment.multi_payment_method`: the methods the window offers, sent as given (its
    /// format is not shown by any public source).
    pub multi_payment_method: Option<String>,
    /// `merchant.shop`: the shop's name, when it differs from the contracted one (≤ 255).
    pub shop: Option<String>,
    /// `merchant.partner_code`: assigned by Eximbay for non-standard processing (≤ 10).
    pub partner_code: Option<String>,
    /// Buyer's name (≤ 64).
    pub buyer_name: String,
    /// Buyer's e-mail (≤ 50).
    pub buyer_email: String,
    /// `buyer.phone_number` (≤ 32).
    pub buyer_phone: Option<String>,
    /// Where the buyer's browser returns.
    pub return_url: String,
    /// Where the gateway posts the authoritative result.
    pub status_url: String,
    /// `product`: the order's lines (optional; when given, they add up to the amount with
    /// the surcharges).
    pub products: Vec<Line>,
    /// `surcharge`: shipping, fees.
    pub surcharges: Vec<Line>,
    /// `other_param`: `param1`, `param2` echoed in the results (`param3` is not part of
    /// the v1 request and is refused).
    pub other_param: MerchantParams,
    /// `tax`: keys and values as Eximbay's SDK documentation names them
    /// (`receipt_status`, `amount_tax_free`, `amount_taxable`, `amount_vat`, …), sent as
    /// given.
    pub tax: BTreeMap<String, String>,
    /// `settings`: how the window opens (display type, device, DCC currency, app return),
    /// typed where documented.
    pub settings: ReadySettings,
    /// Store the card for later rebills (`tokenbilling: {token_creation: "Y"}`): the
    /// payment's notification then carries the token id.
    pub token_creation: bool,
}

impl Ready {
    /// A ready request with only the required parts; set the optional ones on the value.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        transaction_type: TransactionType,
        order_id: OrderId,
        currency: Currency,
        amount: Amount,
        lang: Lang,
        buyer: (impl Into<String>, impl Into<String>),
        return_url: impl Into<String>,
        status_url: impl Into<String>,
    ) -> Self {
        Ready {
            transaction_type,
            order_id,
            currency,
            amount,
            lang,
            payment_method: None,
            multi_payment_method: None,
            shop: None,
            partner_code: None,
            buyer_name: buyer.0.into(),
            buyer_email: buyer.1.into(),
            buyer_phone: None,
            return_url: return_url.into(),
            status_url: status_url.into(),
            products: Vec::new(),
            surcharges: Vec::new(),
            other_param: MerchantParams::default(),
            tax: BTreeMap::new(),
            settings: ReadySettings::default(),
            token_creation: false,
        }
    }
}

/// The ready body, and (with the fgkey) the `request_pay` payload: one value, so the two
/// are the same bytes.
#[derive(Serialize)]
struct ReadyBody<'a> {
    payment: ReadyPayment<'a>,
    merchant: Merchant<'a>,
    buyer: Buyer<'a>,
    url: Urls<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    product: Vec<LineFields<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    surcharge: Vec<LineFields<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    other_param: BTreeMap<&'static str, &'a str>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    tax: &'a BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    settings: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tokenbilling: Option<TokenBilling>,
}

#[derive(Serialize)]
struct TokenBilling {
    token_creation: &'static str,
}

#[derive(Serialize)]
struct LineFields<'a> {
    name: &'a str,
    quantity: String,
    unit_price: &'a str,
}

/// `EXIMBAY.request_pay`'s argument: the fgkey the ready call returned, then the ready body.
#[derive(Serialize)]
struct RequestPay<'a> {
    fgkey: &'a str,
    #[serde(flatten)]
    body: ReadyBody<'a>,
}

#[derive(Serialize)]
struct ReadyPayment<'a> {
    transaction_type: &'a str,
    order_id: &'a str,
    currency: &'a str,
    amount: &'a str,
    lang: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payment_method: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    multi_payment_method: Option<&'a str>,
}

#[derive(Serialize)]
struct Merchant<'a> {
    mid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    shop: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    partner_code: Option<&'a str>,
}

#[derive(Serialize)]
struct Buyer<'a> {
    name: &'a str,
    email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    phone_number: Option<&'a str>,
}

#[derive(Serialize)]
struct Urls<'a> {
    return_url: &'a str,
    status_url: &'a str,
}

/// The payment window may be opened with this fgkey.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Prepared {
    /// The gateway's message.
    pub resmsg: String,
    /// The signature for the payment window.
    pub fgkey: String,
}

impl Ready {
    /// Checks every value and borrows them into the body both calls serialise.
    fn body<'a>(&'a self, cfg: &'a Config) -> Result<ReadyBody<'a>, BuildError> {
        check_payment_fields(
            Order::New,
            &self.order_id,
            &self.currency,
            &self.amount,
            &self.lang,
        )?;
        // The payment window starts these four; the others (capture, refund, …) are calls of
        // their own.
        if !matches!(
            self.transaction_type,
            TransactionType::Payment
                | TransactionType::PayerAuth
                | TransactionType::Authorize
                | TransactionType::Rebill
        ) {
            return Err(BuildError::InvalidField {
                field: "transaction_type",
                reason: "must be PAYMENT, PAYER_AUTH, AUTHORIZE or REBILL",
            });
        }
        // The guide's lengths (guide §2.1.2, digest §2), the v1 pages giving none of their own.
        check_free_text("buyer.name", &self.buyer_name, 64)?;
        if !self.buyer_email.contains('@') {
            return Err(BuildError::InvalidField {
                field: "buyer.email",
                reason: "must be an e-mail address",
            });
        }
        check_free_text("buyer.email", &self.buyer_email, 50)?;
        if let Some(phone) = &self.buyer_phone {
            check_required_text("buyer.phone_number", phone, 32)?;
        }
        if let Some(method) = &self.payment_method {
            method.check_requestable("payment.payment_method")?;
        }
        for (field, value, max) in [
            (
                "payment.multi_payment_method",
                &self.multi_payment_method,
                255,
            ),
            ("merchant.shop", &self.shop, 255),
            ("merchant.partner_code", &self.partner_code, 10),
        ] {
            if let Some(value) = value {
                check_required_text(field, value, max)?;
            }
        }
        let settings = self.settings.entries(self.payment_method.as_ref())?;
        check_url("url.return_url", &self.return_url)?;
        check_url("url.status_url", &self.status_url)?;
        if self.other_param.param3.is_some() {
            return Err(BuildError::InvalidField {
                field: "other_param",
                reason: "takes param1 and param2 only",
            });
        }
        let other_param: BTreeMap<&'static str, &str> =
            self.other_param.fields()?.into_iter().collect();
        for (key, value) in &self.tax {
            check_required_text("tax", key, 40)?;
            check_free_text("tax", value, 255)?;
        }
        let line_fields = |lines: &'a [Line], field: &'static str| {
            lines
                .iter()
                .map(|line| {
                    check_required_text(field, &line.name, 100)?;
                    line.unit_price
                        .check_currency(&self.currency)
                        .map_err(BuildError::amount("unit_price"))?;
                    if line.quantity == 0 {
                        return Err(BuildError::InvalidField {
                            field,
                            reason: "quantity must be at least 1",
                        });
                    }
                    Ok(LineFields {
                        name: &line.name,
                        quantity: line.quantity.to_string(),
                        unit_price: line.unit_price.as_str(),
                    })
                })
                .collect::<Result<Vec<_>, BuildError>>()
        };
        let product = line_fields(&self.products, "product")?;
        let surcharge = line_fields(&self.surcharges, "surcharge")?;
        if !self.products.is_empty() {
            let total: rust_decimal::Decimal = self
                .products
                .iter()
                .chain(&self.surcharges)
                .map(|l| l.unit_price.value() * rust_decimal::Decimal::from(l.quantity))
                .sum();
            if total != self.amount.value() {
                return Err(BuildError::InvalidField {
                    field: "payment.amount",
                    reason: "must equal the sum of the products and surcharges",
                });
            }
        }
        Ok(ReadyBody {
            payment: ReadyPayment {
                transaction_type: self.transaction_type.as_str(),
                order_id: self.order_id.as_str(),
                currency: self.currency.code(),
                amount: self.amount.as_str(),
                lang: self.lang.as_str(),
                payment_method: self.payment_method.as_ref().map(PaymentMethod::as_str),
                multi_payment_method: self.multi_payment_method.as_deref(),
            },
            merchant: Merchant {
                mid: cfg.mid().as_str(),
                shop: self.shop.as_deref(),
                partner_code: self.partner_code.as_deref(),
            },
            buyer: Buyer {
                name: &self.buyer_name,
                email: &self.buyer_email,
                phone_number: self.buyer_phone.as_deref(),
            },
            url: Urls {
                return_url: &self.return_url,
                status_url: &self.status_url,
            },
            product,
            surcharge,
            other_param,
            tax: &self.tax,
            settings,
            tokenbilling: self.token_creation.then_some(TokenBilling {
                token_creation: "Y",
            }),
        })
    }

    /// The JSON the checkout page passes to `EXIMBAY.request_pay(…)`: the fgkey `ready`
    /// returned, followed by exactly the objects of the ready body (serialised from the same
    /// value, so the SDK's fgkey check holds).
    pub fn request_pay(&self, cfg: &Config, prepared: &Prepared) -> Result<String, BuildError> {
        let payload = RequestPay {
            fgkey: &prepared.fgkey,
            body: self.body(cfg)?,
        };
        serde_json::to_string(&payload).map_err(|e| BuildError::Http(e.to_string()))
    }
}

impl Operation for Ready {
    type Output = Prepared;
    const NAME: &'static str = "ready";
    const MOVES_MONEY: bool = false;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        v1_post(cfg, &["/v1/payments/ready"], &self.body(cfg)?)
    }

    fn parse<B: AsRef<[u8]>>(&self, resp: Response<B>) -> Result<Prepared, ResponseError> {
        let raw = RawResponse::of(&resp);
        let reply = raw.v1::<IgnoredAny, IgnoredAny, IgnoredAny>()?;
        Ok(Prepared {
            resmsg: reply.resmsg.unwrap_or_default(),
            fgkey: raw.required(reply.fgkey, "fgkey")?,
        })
    }
}
