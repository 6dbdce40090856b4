//! Payment preparation: `POST /v1/payments/ready` returns the `fgkey` the payment window
//! (JavaScript SDK) needs.
//!
//! Body `{"payment": {"transaction_type", "order_id", "currency", "amount", "lang"},
//! "merchant": {"mid"}, "buyer": {"name", "email"}, "url": {"return_url", "status_url"}}`.

use http::{Request, Response};
use serde::Serialize;
use serde::de::IgnoredAny;

use super::{Operation, RawResponse, check_payment_fields, v1_post};
use crate::codes::{Lang, TransactionType};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::{OrderId, check_free_text, check_required_text};
use crate::money::{Amount, Currency};

/// Longest URL the gateway takes.
pub const URL_MAX_LEN: usize = 255;

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
    /// Buyer's name.
    pub buyer_name: String,
    /// Buyer's e-mail.
    pub buyer_email: String,
    /// Where the buyer's browser returns.
    pub return_url: String,
    /// Where the gateway posts the authoritative result.
    pub status_url: String,
}

#[derive(Serialize)]
struct ReadyBody<'a> {
    payment: ReadyPayment<'a>,
    merchant: Merchant<'a>,
    buyer: Buyer<'a>,
    url: Urls<'a>,
}

#[derive(Serialize)]
struct ReadyPayment<'a> {
    transaction_type: &'a str,
    order_id: &'a str,
    currency: &'a str,
    amount: &'a str,
    lang: &'a str,
}

#[derive(Serialize)]
struct Merchant<'a> {
    mid: &'a str,
}

#[derive(Serialize)]
struct Buyer<'a> {
    name: &'a str,
    email: &'a str,
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

pub(crate) fn check_url(field: &'static str, url: &str) -> Result<(), BuildError> {
    check_required_text(field, url, URL_MAX_LEN)?;
    if url.chars().any(char::is_whitespace) {
        return Err(BuildError::InvalidField {
            field,
            reason: "must not contain spaces",
        });
    }
    Ok(())
}

impl Operation for Ready {
    type Output = Prepared;
    const NAME: &'static str = "ready";
    const MOVES_MONEY: bool = false;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        check_payment_fields(&self.order_id, &self.currency, &self.amount, &self.lang)?;
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
        check_free_text("buyer.name", &self.buyer_name, 50)?;
        if !self.buyer_email.contains('@') {
            return Err(BuildError::InvalidField {
                field: "buyer.email",
                reason: "must be an e-mail address",
            });
        }
        check_free_text("buyer.email", &self.buyer_email, 100)?;
        check_url("url.return_url", &self.return_url)?;
        check_url("url.status_url", &self.status_url)?;
        let body = ReadyBody {
            payment: ReadyPayment {
                transaction_type: self.transaction_type.as_str(),
                order_id: self.order_id.as_str(),
                currency: self.currency.code(),
                amount: self.amount.as_str(),
                lang: self.lang.as_str(),
            },
            merchant: Merchant {
                mid: cfg.mid().as_str(),
            },
            buyer: Buyer {
                name: &self.buyer_name,
                email: &self.buyer_email,
            },
            url: Urls {
                return_url: &self.return_url,
                status_url: &self.status_url,
            },
        };
        v1_post(cfg, "/v1/payments/ready", &body)
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
