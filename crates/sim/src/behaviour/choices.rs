//! The choices added for the public clients' requests (issue 24): each one an enum (or a
//! small struct of numbers) whose variants are the readings the sources leave open. The
//! source each stands on is listed by [`super::sources`].

use serde::{Deserialize, Serialize};

/// What a request field the inventory ([`crate::inventory`]) does not name gets: the
/// documents only tell merchants not to send such fields (guide §1.2, digest §1.2, §11).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldPolicy {
    /// Refused with `EC00`, naming the field.
    Refuse,
    /// Accepted and ignored.
    Ignore,
}

/// [`FieldPolicy`] per surface. The defaults are what each surface did before the inventory:
/// the v1 API and DirectProcessor refuse (a typo such as seed 001's `oreder_id` is caught),
/// the legacy payment window ignores (every official sample sends fields, such as empty
/// `rescode` / `resmsg`, that no request table lists).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UndeclaredFields {
    /// `/v1/…` JSON bodies.
    pub v1: FieldPolicy,
    /// `BasicProcessor.krp` forms.
    pub legacy_window: FieldPolicy,
    /// `DirectProcessor.krp` forms.
    pub direct_processor: FieldPolicy,
}

impl Default for UndeclaredFields {
    fn default() -> Self {
        UndeclaredFields {
            v1: FieldPolicy::Refuse,
            legacy_window: FieldPolicy::Ignore,
            direct_processor: FieldPolicy::Refuse,
        }
    }
}

/// Whether a legacy window form missing a field the guide marks R is refused: not
/// documented (digest §11), and the official samples themselves call some R blocks
/// optional (digest §2.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingRequired {
    /// Accepted (what the window needs to work — amounts, URLs, the fgkey — is still
    /// checked).
    #[default]
    Accept,
    /// Refused with `EC00`, naming the first missing field.
    Refuse,
}

/// The shape of the v1 retrieve answer: no public v1 retrieve answer was found; the one
/// documented answer of the kind (legacy QUERY, guide §3.2.3) is flat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetrieveShape {
    /// `{"rescode", "resmsg", "mid", "payment": {…, "status", "balance"}}`, as the other v1
    /// answers nest their payment.
    #[default]
    Nested,
    /// `{"rescode", "resmsg", "mid", …, "status", "balance"}`: the payment's fields at the
    /// top level, as QUERY answers.
    Flat,
}

/// Which payment a retrieve (or QUERY) by order id answers when an order has several
/// (duplicate refs are accepted, guide §2.1.2 Note 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetrieveByOrder {
    /// The latest: what the guide's QUERY by `REF` answers (guide §3.2.2, digest §5).
    #[default]
    Latest,
    /// The first recorded.
    First,
}

/// How long a new payment stays invisible to retrieve / QUERY: the guide says nothing of
/// freshness (digest §11). Both zero: visible at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetrieveLag {
    /// Test-clock seconds after its creation during which a payment is not found.
    pub seconds: u32,
    /// Retrieves of it that find nothing before one finds it.
    pub retrieves: u32,
}

/// Whether a cash payment's `Sale` keeps the `Registered` notification's transaction id:
/// not stated (digest §7); the QUERY table treats Registered → Sale as one approval.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CashSaleTransactionId {
    /// The same transaction id.
    #[default]
    Same,
    /// A new transaction id for the sale (the registration is left as it was).
    New,
}

/// Whether a v1 cancel without `payment.balance` is refused: seed 001 always sends it and
/// marks it neither required nor optional; the legacy REFUND checks it only when present
/// (guide §3.1.2, digest §6).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundBalance {
    /// Checked when present, as the legacy guide says.
    #[default]
    WhenPresent,
    /// Required (`EC00` without it).
    Required,
}

/// What a second confirm of one payer authentication gets: not documented.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondConfirm {
    /// Refused with `EC00`; nothing moves.
    #[default]
    Refuse,
    /// Answered with the payment the first confirm made; nothing moves.
    AnswerFirst,
}

/// What a cancel of an authorization that was never captured does: the v1 documents do not
/// say; the legacy guide names `AUTH_REVERSAL` without a field table (digest §4.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelBeforeCapture {
    /// The authorization is voided (QUERY: `AUTH` with balance 0, digest §5).
    #[default]
    Void,
    /// Refused with `EC00`.
    Refuse,
}

/// The body `POST /v1/payments/tokenbilling/{id}/delete` takes: no reachable copy of the
/// token page shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenDeleteBody {
    /// `{"merchant": {"mid"}}` or `{}`.
    #[default]
    Either,
    /// `{"merchant": {"mid"}}` only.
    Merchant,
    /// `{}` only.
    Empty,
}

/// Whether a rebill's product lines must add up to its amount: the token page's own rebill
/// sample sends an empty product line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RebillLines {
    /// Not checked (the documents' own sample runs).
    #[default]
    Ignored,
    /// Lines, when given, must add up to the amount (`EC00` otherwise).
    Checked,
}

/// The lengths of the merchant's ids the sandbox accepts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdLengths {
    /// The sandbox's own limits before the guide was read: a `refund_id` of up to 64
    /// characters, any `order_id` / `ref`, any `email`.
    #[default]
    Lenient,
    /// The legacy guide's limits (guide §2.1.2, §3.1.2): `ref` / `order_id` and
    /// `refundid` / `refund_id` 30, `email` 50.
    Guide,
}

impl IdLengths {
    /// The longest `refund_id` accepted.
    pub fn refund_id(self) -> usize {
        match self {
            IdLengths::Lenient => 64,
            IdLengths::Guide => 30,
        }
    }

    /// The longest `order_id` / `ref` accepted.
    pub fn order_id(self) -> usize {
        match self {
            IdLengths::Lenient => usize::MAX,
            IdLengths::Guide => 30,
        }
    }

    /// The longest `email` accepted.
    pub fn email(self) -> usize {
        match self {
            IdLengths::Lenient => usize::MAX,
            IdLengths::Guide => 50,
        }
    }
}

/// The result code of a payment window the buyer cancelled: no source shows one.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuyerCancelCode {
    /// `XX01`, the sandbox's own code.
    #[default]
    Xx01,
    /// `XXXX`, the code a real failure payload carries (kanziw/eximbay
    /// `test/res/MockResult.js`).
    Xxxx,
}

impl BuyerCancelCode {
    /// The code.
    pub fn rescode(self) -> &'static str {
        match self {
            BuyerCancelCode::Xx01 => "XX01",
            BuyerCancelCode::Xxxx => "XXXX",
        }
    }
}

/// What a DirectProcessor request with a bad or missing fgkey gets: its rescode is not
/// documented (digest §11).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FgkeyFailure {
    /// `rescode=EC00` (the bad-parameter family) in the usual `name=value` answer.
    #[default]
    Ec00,
    /// `rescode=XXXX`, the failure code real payloads show.
    Xxxx,
}

impl FgkeyFailure {
    /// The code.
    pub fn rescode(self) -> &'static str {
        match self {
            FgkeyFailure::Ec00 => "EC00",
            FgkeyFailure::Xxxx => "XXXX",
        }
    }
}

/// How the sandbox resends a callback the merchant did not acknowledge. The guide says a
/// notification is resent 3 times (guide §2.1.3 Note 4, digest §3.2); what counts as
/// acknowledged is not documented. The pause between attempts is
/// `ServerOptions::callback_retry_delay` (200 ms unless set).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Redelivery {
    /// The first delivery and 3 resends; delivered = HTTP 2xx with `rescode=0000` in the body
    /// (the acknowledgement the guide asks merchants to write).
    #[default]
    Guide,
    /// The first delivery and 3 resends; any HTTP 2xx counts as delivered, whatever the body.
    Any2xx,
    /// One delivery, never resent: the worst case of a notification lost for good.
    Once,
}

impl Redelivery {
    /// How many times a callback is sent at most.
    pub fn attempts(self) -> u32 {
        match self {
            Redelivery::Guide | Redelivery::Any2xx => crate::callbacks::CALLBACK_ATTEMPTS,
            Redelivery::Once => 1,
        }
    }

    /// Whether an answer of this status and body delivers the callback.
    pub fn delivered(self, success_status: bool, body: &str) -> bool {
        match self {
            Redelivery::Guide | Redelivery::Once => success_status && body.contains("rescode=0000"),
            Redelivery::Any2xx => success_status,
        }
    }
}
