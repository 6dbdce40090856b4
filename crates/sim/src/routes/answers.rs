//! The v1 answers the sandbox writes most often — refusals, capture, refund, retrieve — as structs
//! serialised straight to bytes, with no `serde_json::Value` tree built and dropped per
//! request. Field names (the `"partially_cancelable "` key with its trailing space, the
//! `foregin_*` spelling) and order are those of the integration guide's samples.

use serde::Serialize;

/// A refusal (and the bare success of `verify`): the result only.
#[derive(Serialize)]
pub(crate) struct Refusal<'a> {
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
