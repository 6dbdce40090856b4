//! Every JSON answer of the gateway's surfaces, as structs serialised straight to bytes,
//! with no `serde_json::Value` tree built and dropped per request. Field names (the
//! `"partially_cancelable "` key with its trailing space, the `foregin_*` spelling) and
//! order are those of the integration guide's samples and the public references.
//!
//! **The rule for answers.** A gateway answer (what `/v1/…` returns) is a struct here:
//! its shape is the gateway's, reviewed in one place, and a typo in a key is a compile
//! error in the struct rather than a silent change on the wire. The legacy surfaces answer
//! `k=v` forms built as field lists (`routes/direct.rs`, `routes/legacy.rs`), signed as
//! lists. The one exception is the `/_sim/` test controls (`routes/test_controls.rs`,
//! `routes/pages.rs`), which answer with `json!`: their shapes are the sandbox's own, not
//! the gateway's, each is written once next to the control that answers it, and nothing
//! compares them with a document. (`serde_json`'s `preserve_order` keeps a `json!`
//! object's fields in the order written.)

use serde::Serialize;

/// The result alone: a refusal, or a success with nothing more to say (`verify`, a
/// rescode-only card look-up).
#[derive(Serialize)]
pub(crate) struct BareResult<'a> {
    pub rescode: &'a str,
    pub resmsg: &'a str,
}

/// Every v1 answer: the result, then the objects the operation has.
#[derive(Serialize)]
pub(crate) struct V1Answer<'a, P, R = (), F = ()> {
    pub rescode: &'a str,
    pub resmsg: &'a str,
    pub mid: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refund: Option<R>,
    pub payment: P,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub foreign: Option<F>,
}

impl<'a, P> V1Answer<'a, P> {
    /// A success answering `payment` only.
    pub fn success(mid: &'a str, payment: P) -> Self {
        V1Answer {
            rescode: "0000",
            resmsg: "Success.",
            mid,
            refund: None,
            payment,
            foreign: None,
        }
    }
}

/// `payment` of a capture answer.
#[derive(Serialize)]
pub(crate) struct CapturedPayment<'a> {
    pub order_id: &'a str,
    pub currency: &'a str,
    pub amount: String,
    pub transaction_id: &'a str,
    pub captured_date: &'a str,
    /// The gateway really sends this key with a trailing space.
    #[serde(rename = "partially_cancelable ")]
    pub partially_cancelable: &'a str,
}

/// `refund` of a refund answer.
#[derive(Serialize)]
pub(crate) struct Refund<'a> {
    pub refund_amount: String,
    pub refund_id: &'a str,
    pub refund_date: &'a str,
    pub refund_transaction_id: &'a str,
}

/// `payment` of a refund answer.
#[derive(Serialize)]
pub(crate) struct RefundedPayment<'a> {
    pub order_id: &'a str,
    pub currency: &'a str,
    pub amount: String,
    pub transaction_id: &'a str,
    pub balance: String,
    pub base_amount: String,
    pub base_rate: &'a str,
    pub dcc_rate: &'a str,
    pub payment_method: &'a str,
}

/// `foreign` of a refund answer, in the gateway's spelling.
#[derive(Serialize)]
pub(crate) struct Foreign<'a> {
    pub foregin_currency: &'a str,
    pub foregin_amount: String,
    pub foregin_rate: &'a str,
}

/// `payment` of a retrieve answer.
#[derive(Serialize)]
pub(crate) struct RetrievedPayment<'a> {
    pub order_id: &'a str,
    pub currency: &'a str,
    pub amount: String,
    pub transaction_id: &'a str,
    pub transaction_type: &'a str,
    pub status: &'a str,
    pub balance: String,
    /// The method code of cash payments is not documented: none is claimed (`null`).
    pub payment_method: Option<&'a str>,
    /// Only captured payments have a capture date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub captured_date: Option<&'a str>,
}

/// A success naming the one thing it acted on: a recurring delete or adjust
/// (`recurring_id`), a stored card's delete (`token_id`), `ready`'s `fgkey`.
#[derive(Serialize)]
pub(crate) struct Acted<'a> {
    pub rescode: &'a str,
    pub resmsg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recurring_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fgkey: Option<&'a str>,
}

impl<'a> Acted<'a> {
    /// `0000` with nothing named yet.
    pub fn success() -> Self {
        Acted {
            rescode: "0000",
            resmsg: "Success.",
            recurring_id: None,
            token_id: None,
            fgkey: None,
        }
    }
}

/// A stored card's look-up under `token_lookup: status_field`.
#[derive(Serialize)]
pub(crate) struct TokenStatus<'a> {
    pub rescode: &'a str,
    pub resmsg: &'a str,
    pub token_id: &'a str,
    /// `ACTIVE` or `DELETED`.
    pub status: &'a str,
}

/// A confirm's answer: the `transaction_id` at the top level, as the reference shows, and
/// in `payment`, as other v1 answers do.
#[derive(Serialize)]
pub(crate) struct Confirmed<'a> {
    pub rescode: &'a str,
    pub resmsg: &'a str,
    pub mid: &'a str,
    pub transaction_id: &'a str,
    pub payment: ConfirmedPayment<'a>,
}

/// `payment` of a confirm answer.
#[derive(Serialize)]
pub(crate) struct ConfirmedPayment<'a> {
    pub order_id: &'a str,
    pub currency: &'a str,
    pub amount: String,
    pub transaction_id: &'a str,
    pub transaction_type: &'a str,
}

/// A rebill's answer (the token page's reference).
#[derive(Serialize)]
pub(crate) struct Rebilled<'a> {
    pub rescode: &'a str,
    pub resmsg: &'a str,
    pub payment: RebilledPayment<'a>,
    pub card_info: CardInfo<'a>,
}

/// `payment` of a rebill answer.
#[derive(Serialize)]
pub(crate) struct RebilledPayment<'a> {
    pub order_id: &'a str,
    pub currency: &'a str,
    pub amount: String,
    pub transaction_id: &'a str,
    pub auth_code: String,
    pub transaction_date: &'a str,
    pub access_country: &'a str,
    pub payment_method: &'a str,
    pub pay_to: &'a str,
    pub lang: &'a str,
    pub payment_method_name: &'a str,
}

/// `card_info` of a rebill answer: the sandbox's test card.
#[derive(Serialize)]
pub(crate) struct CardInfo<'a> {
    pub card_holder: &'a str,
    pub card_number1: &'a str,
    pub card_number4: &'a str,
}
