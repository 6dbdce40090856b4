//! Gateway operations: one file each, plain data with a pure [`Operation::to_http`] and a
//! pure [`Operation::parse`].
//!
//! Data flows one way: a command value → `http::Request<Vec<u8>>` (sent by any HTTP client)
//! → `http::Response<B>` → the operation's `Output` (or a [`ResponseError`]) → a state
//! machine transition.

use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{Method, Request, Response};
use serde::de::{DeserializeOwned, IgnoredAny};
use serde::{Deserialize, Serialize};

use crate::codes::{ErrorCode, Lang, ResultCode};
use crate::config::Config;
use crate::error::{BuildError, GatewayError, ResponseError};
use crate::ids::OrderId;
use crate::money::{Amount, Currency};

pub mod cancel;
pub mod capture;
pub mod confirm;
pub mod query;
pub mod ready;
pub mod recurring_adjust;
pub mod recurring_terminate;
pub mod retrieve;
pub mod token_delete;
pub mod token_lookup;
pub mod token_rebill;
pub mod v1_recurring_adjust;
pub mod v1_recurring_delete;
pub mod verify;

/// One gateway operation: a pure request builder and a pure response parser.
///
/// Implementations never perform I/O, read clocks or draw random numbers; the same value and
/// configuration always build the same bytes.
pub trait Operation {
    /// What a successful response parses into.
    type Output;
    /// A short stable name for logs and metrics (`"capture"`, `"cancel"`, …).
    const NAME: &'static str;
    /// Whether the call moves money (or, like a termination, changes something for good
    /// that a repeat would be refused for). A failure whose outcome is unknown on such a call
    /// is *ambiguous* and must be reconciled, never replayed blindly.
    const MOVES_MONEY: bool;

    /// Builds the HTTP request. Any invalid input is a [`BuildError`] and nothing is built.
    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError>;

    /// Parses the gateway's response. Never panics, whatever the bytes.
    fn parse<B: AsRef<[u8]>>(&self, resp: Response<B>) -> Result<Self::Output, ResponseError>;
}

/// `Content-Type` of v1 requests.
pub const JSON_CONTENT_TYPE: &str = "application/json";
/// `Content-Type` of legacy DirectProcessor requests.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// A v1 REST call: `POST {v1_base}` followed by the path's parts, with Basic auth and a JSON
/// body. The URL is written once into one allocation (ids are checked before they get here:
/// no escaping is needed).
pub(crate) fn v1_post<T: Serialize>(
    cfg: &Config,
    path: &[&str],
    body: &T,
) -> Result<Request<Vec<u8>>, BuildError> {
    let body = serde_json::to_vec(body).map_err(|e| BuildError::Http(e.to_string()))?;
    let url = v1_url(cfg, path);
    Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(AUTHORIZATION, cfg.authorization().clone())
        .header(CONTENT_TYPE, JSON_CONTENT_TYPE)
        .body(body)
        .map_err(|e| BuildError::Http(e.to_string()))
}

/// Checks every line (a name, a quantity of at least 1, a unit price in `currency`) and adds
/// them up, exactly (`field` and `price_field` name the lines and their price in errors).
pub(crate) fn lines_total<'a>(
    field: &'static str,
    price_field: &'static str,
    lines: impl IntoIterator<Item = &'a Line>,
    currency: &Currency,
) -> Result<rust_decimal::Decimal, BuildError> {
    let mut total = rust_decimal::Decimal::ZERO;
    for line in lines {
        crate::ids::check_required_text(field, &line.name, 100)?;
        if line.quantity == 0 {
            return Err(BuildError::InvalidField {
                field,
                reason: "quantity must be at least 1",
            });
        }
        line.unit_price
            .check_currency(currency)
            .map_err(BuildError::amount(price_field))?;
        total = line
            .unit_price
            .value()
            .checked_mul(line.quantity.into())
            .and_then(|line_total| total.checked_add(line_total))
            .ok_or(BuildError::InvalidField {
                field,
                reason: "total is out of range",
            })?;
    }
    Ok(total)
}

/// `{v1_base}` followed by the path's parts, written once into one allocation.
fn v1_url(cfg: &Config, path: &[&str]) -> String {
    let base = cfg.v1_base_url();
    let mut url = String::with_capacity(base.len() + path.iter().map(|p| p.len()).sum::<usize>());
    url.push_str(base);
    for part in path {
        url.push_str(part);
    }
    url
}

/// A v1 REST read: `GET {v1_base}` followed by the path's parts, with Basic auth and no body.
pub(crate) fn v1_get(cfg: &Config, path: &[&str]) -> Result<Request<Vec<u8>>, BuildError> {
    let url = v1_url(cfg, path);
    Request::builder()
        .method(Method::GET)
        .uri(url)
        .header(AUTHORIZATION, cfg.authorization().clone())
        .body(Vec::new())
        .map_err(|e| BuildError::Http(e.to_string()))
}

/// Version and charset fields of a signed legacy call.
const LEGACY_SIGNED_FIELDS: [(&str, &str); 2] = [("ver", "230"), ("charset", "UTF-8")];

/// A legacy call: form POST to DirectProcessor, fields in the given order. In the integration guide's
/// form no credentials besides the MID travel (the recurring-payment guide declares none); with
/// [`LegacySigning::Fgkey`](crate::config::LegacySigning::Fgkey) `ver`, `charset` and an
/// `fgkey` over every sent field are added.
pub(crate) fn legacy_post(
    cfg: &Config,
    fields: &[(&str, &str)],
) -> Result<Request<Vec<u8>>, BuildError> {
    let mut fields = fields.to_vec();
    let fgkey;
    if cfg.legacy_signing() == crate::config::LegacySigning::Fgkey {
        let secret = cfg.secret_key().ok_or(BuildError::MissingSecretKey)?;
        fields.extend(LEGACY_SIGNED_FIELDS);
        fgkey = crate::fgkey::sign(secret, fields.iter().copied());
        fields.push((crate::fgkey::FGKEY_FIELD, &fgkey));
    }
    direct_processor_post(cfg, &fields)
}

/// A legacy call the integration guide marks signed (`ver`, `fgkey` required, e.g. QUERY,
/// guide §3.2.2): `fields` must already hold `ver` and `charset`; the `fgkey` over all of them
/// is appended, whatever [`LegacySigning`](crate::config::LegacySigning) says (that choice is
/// about the recurring guide's unsigned calls). Needs the secret key.
pub(crate) fn signed_legacy_post(
    cfg: &Config,
    fields: &[(&str, &str)],
) -> Result<Request<Vec<u8>>, BuildError> {
    let secret = cfg.secret_key().ok_or(BuildError::MissingSecretKey)?;
    let fgkey = crate::fgkey::sign(secret, fields.iter().copied());
    let mut fields = fields.to_vec();
    fields.push((crate::fgkey::FGKEY_FIELD, &fgkey));
    direct_processor_post(cfg, &fields)
}

/// The form POST to DirectProcessor, fields in the given order.
fn direct_processor_post(
    cfg: &Config,
    fields: &[(&str, &str)],
) -> Result<Request<Vec<u8>>, BuildError> {
    let body = serde_urlencoded::to_string(fields).map_err(|e| BuildError::Http(e.to_string()))?;
    Request::builder()
        .method(Method::POST)
        .uri(cfg.direct_processor_url())
        .header(CONTENT_TYPE, FORM_CONTENT_TYPE)
        .body(body.into_bytes())
        .map_err(|e| BuildError::Http(e.to_string()))
}

/// The `payment` object of v1 requests. Field order follows Eximbay's integration guide.
#[derive(Serialize)]
pub(crate) struct PaymentFields<'a> {
    pub order_id: &'a str,
    pub currency: &'a str,
    pub amount: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<&'a str>,
    pub lang: &'a str,
}

/// Whether a request starts a payment or names one the gateway already holds: a new order id
/// keeps to the guide's 30 characters, an existing one is echoed as it was accepted
/// ([`OrderId::check_existing`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// A new payment (ready).
    New,
    /// A payment the gateway holds (capture, cancel, retrieve, query, confirm).
    Existing,
}

/// Checks the fields every payment-scoped request carries.
pub(crate) fn check_payment_fields(
    order: Order,
    order_id: &OrderId,
    currency: &Currency,
    amount: &Amount,
    lang: &Lang,
) -> Result<(), BuildError> {
    match order {
        Order::New => order_id.check_for_request()?,
        Order::Existing => order_id.check_existing()?,
    }
    amount
        .check_currency(currency)
        .map_err(BuildError::amount("amount"))?;
    check_lang(lang)
}

/// Only the eight declared languages are sent.
pub(crate) fn check_lang(lang: &Lang) -> Result<(), BuildError> {
    if lang.is_sendable() {
        Ok(())
    } else {
        Err(BuildError::InvalidField {
            field: "lang",
            reason: "must be one of KR EN CN JP RU TH TW VN",
        })
    }
}

/// Every v1 answer: a result code and message, and objects that depend on the operation.
/// Unknown fields are ignored; absent objects are `None`.
#[derive(Deserialize)]
#[serde(bound(deserialize = "P: Deserialize<'de>, R: Deserialize<'de>, F: Deserialize<'de>"))]
pub(crate) struct V1Reply<P, R = IgnoredAny, F = IgnoredAny> {
    pub rescode: Option<String>,
    pub resmsg: Option<String>,
    pub errcode: Option<String>,
    pub mid: Option<String>,
    /// Top-level in the confirm answer.
    pub transaction_id: Option<String>,
    pub payment: Option<P>,
    pub refund: Option<R>,
    pub foreign: Option<F>,
    /// In rebill answers.
    pub card_info: Option<token_rebill::CardInfo>,
    pub fgkey: Option<String>,
}

/// Just the result of a v1 answer, read when the full shape does not parse.
#[derive(Deserialize)]
struct V1Head {
    rescode: Option<String>,
    resmsg: Option<String>,
    errcode: Option<String>,
}

fn declined(
    status: u16,
    rescode: &str,
    resmsg: Option<String>,
    errcode: Option<String>,
) -> ResponseError {
    ResponseError::Declined(GatewayError {
        status,
        rescode: ResultCode::from_code(rescode),
        resmsg: resmsg.unwrap_or_default(),
        errcode: errcode.map(|code| ErrorCode::from_code(&code)),
    })
}

/// A response as the parsers see it: status and borrowed body bytes.
#[derive(Clone, Copy)]
pub(crate) struct RawResponse<'b> {
    pub status: http::StatusCode,
    pub body: &'b [u8],
    pub content_type: Option<&'b http::HeaderValue>,
}

impl<'b> RawResponse<'b> {
    pub fn of<B: AsRef<[u8]>>(resp: &'b Response<B>) -> Self {
        RawResponse {
            status: resp.status(),
            body: resp.body().as_ref(),
            content_type: resp.headers().get(CONTENT_TYPE),
        }
    }

    fn code(&self) -> u16 {
        self.status.as_u16()
    }

    fn http_status_error(&self) -> ResponseError {
        ResponseError::HttpStatus {
            status: self.code(),
            content_type: self
                .content_type
                .and_then(|v| v.to_str().ok())
                .map(crate::money::truncate_for_error),
            body: crate::error::BodyExcerpt::new(self.body),
        }
    }

    /// A [`ResponseError::Malformed`] for this response.
    pub fn malformed(&self, reason: impl Into<String>) -> ResponseError {
        ResponseError::malformed(self.code(), reason, self.body)
    }

    /// A field the operation cannot do without.
    pub fn required<T>(&self, value: Option<T>, field: &str) -> Result<T, ResponseError> {
        value.ok_or_else(|| self.malformed(format!("missing field {field}")))
    }

    /// Reads a v1 answer. Success is `rescode == "0000"` with a 2xx status, nothing else.
    pub fn v1<P, R, F>(&self) -> Result<V1Reply<P, R, F>, ResponseError>
    where
        P: DeserializeOwned,
        R: DeserializeOwned,
        F: DeserializeOwned,
    {
        let code = self.code();
        let ok = self.status.is_success();
        match serde_json::from_slice::<V1Reply<P, R, F>>(self.body) {
            // Values may carry trailing whitespace (`"0000\n"`): the code is what is between.
            Ok(reply) => match reply.rescode.as_deref().map(str::trim) {
                Some("0000") if ok => Ok(reply),
                Some("0000") => Err(self.malformed("success code with a non-2xx HTTP status")),
                Some(other) => Err(declined(code, other, reply.resmsg, reply.errcode)),
                None if ok => Err(self.malformed("no rescode")),
                None => Err(self.http_status_error()),
            },
            Err(error) => {
                // The full shape did not parse; a refusal may still be readable.
                if let Ok(V1Head {
                    rescode: Some(rescode),
                    resmsg,
                    errcode,
                }) = serde_json::from_slice::<V1Head>(self.body)
                {
                    if rescode.trim() != "0000" {
                        return Err(declined(code, &rescode, resmsg, errcode));
                    }
                }
                if ok {
                    Err(self.malformed(error.to_string()))
                } else {
                    Err(self.http_status_error())
                }
            }
        }
    }

    /// Reads a legacy `k=v&k=v` reply; success is `rescode=0000` with a 2xx status.
    pub fn legacy(&self) -> Result<LegacyReply, ResponseError> {
        let fields: Vec<(String, String)> = form_urlencoded::parse(self.body.trim_ascii())
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .filter(|(k, _)| !k.is_empty())
            .collect();
        let reply = LegacyReply { fields };
        match reply.get("rescode") {
            Some("0000") if self.status.is_success() => Ok(reply),
            Some(rescode) if rescode != "0000" => Err(declined(
                self.code(),
                rescode,
                reply.get("resmsg").map(str::to_owned),
                None,
            )),
            _ if !self.status.is_success() => Err(self.http_status_error()),
            _ => Err(self.malformed("no rescode in the reply")),
        }
    }
}

/// The `k=v&k=v` text a legacy DirectProcessor call answers with, decoded and trimmed, in
/// the order received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LegacyReply {
    fields: Vec<(String, String)>,
}

impl LegacyReply {
    /// The trimmed value of a field.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All fields in the order received.
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// The gateway's message.
    pub fn resmsg(&self) -> &str {
        self.get("resmsg").unwrap_or_default()
    }

    /// `recurringID` (or `recurring_id`), echoed back.
    pub fn recurring_id(&self) -> Option<&str> {
        self.get("recurringID").or_else(|| self.get("recurring_id"))
    }

    /// `param1`..`param3`, echoed back.
    pub fn params(&self) -> [Option<&str>; 3] {
        [self.get("param1"), self.get("param2"), self.get("param3")]
    }
}

/// One line of the order (`item_N_product`, `item_N_quantity`, `item_N_unitPrice`), or a
/// surcharge (`surcharge_N_name`, `surcharge_N_quantity`, `surcharge_N_unitPrice`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// What it is.
    pub name: String,
    /// How many.
    pub quantity: u32,
    /// The price of one.
    pub unit_price: Amount,
}

impl Line {
    /// A line of `quantity` × `unit_price`.
    pub fn new(name: impl Into<String>, quantity: u32, unit_price: Amount) -> Self {
        Line {
            name: name.into(),
            quantity,
            unit_price,
        }
    }
}

/// `param1`..`param3`: merchant data the legacy API echoes back (≤ 255 each).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MerchantParams {
    /// `param1`.
    pub param1: Option<String>,
    /// `param2`.
    pub param2: Option<String>,
    /// `param3`.
    pub param3: Option<String>,
}

impl MerchantParams {
    /// The set parameters as form fields, after checking them.
    pub(crate) fn fields(&self) -> Result<Vec<(&'static str, &str)>, BuildError> {
        let mut fields = Vec::new();
        for (name, value) in [
            ("param1", &self.param1),
            ("param2", &self.param2),
            ("param3", &self.param3),
        ] {
            if let Some(value) = value {
                crate::ids::check_free_text(name, value, 255)?;
                fields.push((name, value.as_str()));
            }
        }
        Ok(fields)
    }
}
