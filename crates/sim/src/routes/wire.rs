//! The sandbox's own reading of the gateway's request shapes.
//!
//! These types are deliberately independent of the core's operation types: end-to-end
//! tests then check the client's wire format against a second reading of Eximbay's integration guide, not
//! against itself. Every body is first checked against the inventory
//! ([`crate::inventory`]): its field kinds, its required fields, and the fields it does not
//! name (taken out, then refused or ignored as `undeclared_fields` says — a client that sent
//! the integration guide's typo `oreder_id` is refused by default). These types hold only
//! what the sandbox reads; every other inventoried field is accepted and ignored.

use serde::Deserialize;

/// The `payment` object of capture, cancel and retrieve requests.
#[derive(Debug, Deserialize)]
pub(crate) struct PaymentFields {
    pub order_id: String,
    pub currency: String,
    pub amount: String,
    #[serde(default)]
    pub balance: Option<String>,
    #[serde(default)]
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub lang: Option<String>,
}

/// `POST /v1/payments/{tid}/capture`.
#[derive(Debug, Deserialize)]
pub(crate) struct CaptureRequest {
    pub mid: String,
    pub payment: PaymentFields,
}

/// `POST /v1/payments/confirm`.
#[derive(Debug, Deserialize)]
pub(crate) struct ConfirmRequest {
    pub transaction_type: String,
    pub mid: String,
    pub payment: ConfirmPayment,
}

/// The `payment` object of a confirm request.
#[derive(Debug, Deserialize)]
pub(crate) struct ConfirmPayment {
    pub order_id: String,
    pub currency: String,
    pub amount: String,
    pub payer_auth_id: String,
    #[serde(default)]
    pub lang: Option<String>,
}

/// The `refund` object of a cancel request.
#[derive(Debug, Deserialize)]
pub(crate) struct RefundFields {
    pub refund_type: String,
    pub refund_amount: String,
    pub refund_id: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// `refund_account` of a cancel request.
#[derive(Debug, Deserialize)]
pub(crate) struct RefundAccount {
    pub user_name: String,
    pub bank_code: String,
    pub account_number: String,
}

/// `POST /v1/payments/{tid}/cancel`.
#[derive(Debug, Deserialize)]
pub(crate) struct CancelRequest {
    pub mid: String,
    pub refund: RefundFields,
    pub payment: PaymentFields,
    #[serde(default)]
    pub refund_account: Option<RefundAccount>,
}

/// `POST /v1/payments/retrieve`.
#[derive(Debug, Deserialize)]
pub(crate) struct RetrieveRequest {
    pub mid: String,
    pub key_field: String,
    pub payment: PaymentFields,
}

/// `POST /v1/payments/verify`.
#[derive(Debug, Deserialize)]
pub(crate) struct VerifyRequest {
    pub data: String,
}

/// `POST /v1/payments/ready`.
#[derive(Debug, Deserialize)]
pub(crate) struct ReadyRequest {
    pub payment: ReadyPayment,
    pub merchant: ReadyMerchant,
    pub buyer: ReadyBuyer,
    pub url: ReadyUrls,
    #[serde(default)]
    pub product: Vec<ReadyLine>,
    #[serde(default)]
    pub surcharge: Vec<ReadyLine>,
    /// `{"token_creation": "Y"}`: store the card (read again from the body at request_pay).
    #[serde(default)]
    pub tokenbilling: Option<TokenBilling>,
}

/// The ready body's `tokenbilling` object.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenBilling {
    pub token_creation: String,
}

/// `POST /v1/payments/tokenbilling/{token_id}/rebill`.
#[derive(Debug, Deserialize)]
pub(crate) struct RebillRequest {
    pub payment: RebillPayment,
    pub merchant: ReadyMerchant,
    #[serde(default)]
    pub product: Vec<ReadyLine>,
}

/// The `payment` object of a rebill request.
#[derive(Debug, Deserialize)]
pub(crate) struct RebillPayment {
    pub order_id: String,
    pub currency: String,
    pub amount: String,
}

/// `POST /v1/payments/tokenbilling/{token_id}/delete`.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenDeleteRequest {
    /// `{"merchant": {"mid"}}`, or absent in an empty body (see `token_delete_body`).
    #[serde(default)]
    pub merchant: Option<ReadyMerchant>,
}

/// A `product` or `surcharge` line of a ready request.
#[derive(Debug, Deserialize)]
pub(crate) struct ReadyLine {
    // Optional for rebills (the token page's sample sends an empty line); ready requires
    // them through the inventory.
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub quantity: String,
    #[serde(default)]
    pub unit_price: String,
}

/// `payment` of a ready request.
#[derive(Debug, Deserialize)]
pub(crate) struct ReadyPayment {
    pub transaction_type: String,
    pub order_id: String,
    pub currency: String,
    pub amount: String,
    pub lang: String,
}

/// `merchant` of a ready request.
#[derive(Debug, Deserialize)]
pub(crate) struct ReadyMerchant {
    pub mid: String,
}

/// `buyer` of a ready request.
#[derive(Debug, Deserialize)]
pub(crate) struct ReadyBuyer {
    pub name: String,
    pub email: String,
}

/// `url` of a ready request.
#[derive(Debug, Deserialize)]
pub(crate) struct ReadyUrls {
    pub return_url: String,
    pub status_url: String,
}

/// `POST /v1/payments/recurring/{id}/adjust`.
#[derive(Debug, Deserialize)]
pub(crate) struct V1AdjustRequest {
    pub adjust_amount: String,
}

/// `POST /v1/payments/recurring/{id}/delete`.
#[derive(Debug, Deserialize)]
pub(crate) struct V1DeleteRequest {}

/// The fields a signed legacy request adds (not in the recurring-payment guide; see
/// [`LegacySignature`](crate::behaviour::LegacySignature)).
pub(crate) const LEGACY_SIGNATURE_FIELDS: [&str; 3] = ["ver", "charset", "fgkey"];

const LANGS: [&str; 8] = ["KR", "EN", "CN", "JP", "RU", "TH", "TW", "VN"];

impl PaymentFields {
    /// `lang` is mandatory and one of the gateway's languages.
    pub(crate) fn lang_is_valid(&self) -> bool {
        self.lang
            .as_deref()
            .is_some_and(|lang| LANGS.contains(&lang))
    }
}

impl ConfirmPayment {
    /// `lang` is mandatory and one of the gateway's languages.
    pub(crate) fn lang_is_valid(&self) -> bool {
        self.lang
            .as_deref()
            .is_some_and(|lang| LANGS.contains(&lang))
    }
}

impl CancelRequest {
    /// The optional parts are well formed: a reason of at most 255 characters, and a refund
    /// account with all three fields.
    pub(crate) fn extras_are_valid(&self) -> bool {
        let reason_ok = self
            .refund
            .reason
            .as_deref()
            .is_none_or(|reason| reason.chars().count() <= 255);
        let account_ok = self.refund_account.as_ref().is_none_or(|a| {
            !a.user_name.is_empty() && !a.bank_code.is_empty() && !a.account_number.is_empty()
        });
        reason_ok && account_ok
    }
}
