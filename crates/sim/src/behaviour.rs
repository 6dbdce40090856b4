//! The sandbox's choices where the gateway's behaviour is not documented.
//!
//! The sandbox copies what Eximbay documents. Where the documents are silent, it does not
//! pretend to know: each such choice is a named option here, set in
//! [`SandboxConfig::behaviour`](crate::SandboxConfig::behaviour) or at run time with
//! `POST /_sim/behaviour`, and the client's tests run under every choice.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use eximbay_core::{Amount, Currency};

mod choices;
pub mod sources;

pub use choices::{
    BuyerCancelCode, CancelBeforeCapture, CashSaleTransactionId, FgkeyFailure, FieldPolicy,
    IdLengths, MissingRequired, RebillLines, Redelivery, RefundBalance, RetrieveByOrder,
    RetrieveLag, RetrieveShape, SecondConfirm, TokenDeleteBody, UndeclaredFields,
};

/// Every undocumented choice, with the defaults closest to what public material shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Behaviour {
    /// How amounts are written in answers and callbacks.
    pub echoed_amounts: EchoedAmounts,
    /// What a cancel with a `refund_id` already used on the payment does.
    pub repeated_refund_id: RepeatedRefundId,
    /// What an `F` (full) cancel after partial refunds does.
    pub full_refund_after_partial: FullRefundAfterPartial,
    /// What a retrieve of a transaction the ledger does not have answers.
    pub unknown_transaction: UnknownTransaction,
    /// Whether legacy DirectProcessor calls must be signed.
    pub legacy_signing: LegacySignature,
    /// The field names of the callbacks of the v1 (SDK) payment window.
    pub window_callback_names: CallbackNames,
    /// Whether a declined or cancelled payment window also POSTs to `status_url` (it always
    /// returns the browser to `return_url`).
    pub window_failures_to_status_url: bool,
    /// What the stored-card look-up (`GET /v1/payments/tokenbilling/{token_id}`) answers.
    pub token_lookup: TokenLookupAnswer,
    /// What a request field the inventory does not name gets, per surface.
    pub undeclared_fields: UndeclaredFields,
    /// Whether a legacy window form missing a field the guide marks R is refused.
    pub missing_required: MissingRequired,
    /// The shape of the v1 retrieve answer.
    pub retrieve_shape: RetrieveShape,
    /// Which payment a retrieve or QUERY by order id answers.
    pub retrieve_by_order: RetrieveByOrder,
    /// How long a new payment stays invisible to retrieve and QUERY.
    pub retrieve_lag: RetrieveLag,
    /// Whether a cash payment's sale keeps the registration's transaction id.
    pub cash_sale_transaction_id: CashSaleTransactionId,
    /// Whether a v1 cancel without `payment.balance` is refused.
    pub v1_refund_balance: RefundBalance,
    /// What a second confirm of one payer authentication gets.
    pub second_confirm: SecondConfirm,
    /// What a cancel of a never-captured authorization does.
    pub cancel_before_capture: CancelBeforeCapture,
    /// The body the stored-card delete takes.
    pub token_delete_body: TokenDeleteBody,
    /// Whether a rebill's product lines must add up to its amount.
    pub rebill_lines: RebillLines,
    /// The lengths of the merchant's ids accepted.
    pub id_lengths: IdLengths,
    /// The result code of a window the buyer cancelled.
    pub buyer_cancel_code: BuyerCancelCode,
    /// What a DirectProcessor request with a bad or missing fgkey gets.
    pub fgkey_failure: FgkeyFailure,
    /// How an unacknowledged callback is resent, and what counts as acknowledged.
    pub redelivery: Redelivery,
}

/// No source shows the stored-card look-up's answer beyond `rescode` / `resmsg`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenLookupAnswer {
    /// `rescode=0000` with `token_id` and `status` (`ACTIVE` or `DELETED`) for every token
    /// the sandbox made; `EC00` for an unknown one.
    #[default]
    StatusField,
    /// `rescode=0000` alone for an active token; `EC00` for a deleted or unknown one.
    RescodeOnly,
}

/// The field names of a payment window's results. The legacy window uses the legacy names;
/// for the v1 SDK flow the documents use snake_case, but the gateway's test host has been
/// seen sending the legacy names there too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackNames {
    /// `ref`, `cur`, `amt`, `txntype`, `transid`, `resdt`.
    #[default]
    Legacy,
    /// `order_id`, `currency`, `amount`, `transaction_type`, `transaction_id`,
    /// `transaction_date`; `card_holder`, `card_number1`, `card_number4`, `pay_to`,
    /// `payment_method` (as ilyoukim/indico_payment_eximbay reads them), `auth_code`,
    /// `access_country` (the rebill reference's spellings). Other v1 spellings are unknown:
    /// those fields keep their legacy names.
    V1,
}

impl CallbackNames {
    /// The name of a result field under this naming (given by its legacy name).
    pub fn name(self, legacy: &'static str) -> &'static str {
        match (self, legacy) {
            (CallbackNames::Legacy, _) => legacy,
            (CallbackNames::V1, "ref") => "order_id",
            (CallbackNames::V1, "cur") => "currency",
            (CallbackNames::V1, "amt") => "amount",
            (CallbackNames::V1, "txntype") => "transaction_type",
            (CallbackNames::V1, "transid") => "transaction_id",
            (CallbackNames::V1, "resdt") => "transaction_date",
            // The names a public v1 integration reads from the status_url post
            // (ilyoukim/indico_payment_eximbay controllers.py) and the rebill reference's.
            (CallbackNames::V1, "cardholder") => "card_holder",
            (CallbackNames::V1, "cardno1") => "card_number1",
            (CallbackNames::V1, "cardno4") => "card_number4",
            (CallbackNames::V1, "payto") => "pay_to",
            (CallbackNames::V1, "paymethod") => "payment_method",
            (CallbackNames::V1, "authcode") => "auth_code",
            (CallbackNames::V1, "accesscountry") => "access_country",
            (CallbackNames::V1, other) => other,
        }
    }
}

/// How the gateway writes amounts it echoes. The sources disagree by surface: a capture
/// answer echoes `"1"` as sent (seed 000), a cancel answer writes `"1.00"` (seed 001), real
/// window results echo `amt` as sent (`1`, `1.0`: guide §2.1.3 Note 1, kanziw/eximbay's
/// recorded results), so the default follows each surface's source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EchoedAmounts {
    /// Each surface as its source shows ([`Surface::default_amounts`]).
    #[default]
    BySurface,
    /// As sent (an amount the gateway computes, such as a balance, with the scale the
    /// arithmetic gives it).
    AsSent,
    /// Always two decimals, whatever the currency (`1000.00` KRW).
    TwoDecimals,
    /// The currency's own decimals (`1000` KRW, `1.00` USD).
    CurrencyExponent,
}

/// Where an amount is echoed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    /// Window results, `status_url` / `recurringURL` callbacks.
    Callbacks,
    /// The capture answer (v1 and CAPTURE).
    Capture,
    /// The cancel / REFUND answer.
    Cancel,
    /// Retrieve and QUERY answers, confirm and rebill answers.
    Retrieve,
}

impl Surface {
    /// The surface's default: what its source shows.
    pub fn default_amounts(self) -> EchoedAmounts {
        match self {
            // Real payloads (guide §2.1.3 Note 1; kanziw/eximbay `amt: '1.0'`).
            Surface::Callbacks => EchoedAmounts::AsSent,
            // Seed 000: `"amount": "1"` back for `"1"`.
            Surface::Capture => EchoedAmounts::AsSent,
            // Seed 001: `"1.00"`.
            Surface::Cancel => EchoedAmounts::TwoDecimals,
            // No v1 sample; public replies reformat (`"1"` -> `"1.00"`, DESIGN §3).
            Surface::Retrieve => EchoedAmounts::TwoDecimals,
        }
    }
}

impl EchoedAmounts {
    /// The writing used on `surface`.
    pub fn on(self, surface: Surface) -> EchoedAmounts {
        match self {
            EchoedAmounts::BySurface => surface.default_amounts(),
            other => other,
        }
    }

    /// Writes an amount the way the gateway echoes it (`BySurface` writes as the retrieve
    /// surface does).
    pub fn write(self, value: Decimal, currency: &str) -> String {
        let decimals = match self.on(Surface::Retrieve) {
            EchoedAmounts::TwoDecimals => 2,
            EchoedAmounts::CurrencyExponent => Currency::from_code(currency).exponent() as usize,
            EchoedAmounts::AsSent | EchoedAmounts::BySurface => return value.to_string(),
        };
        format!("{value:.decimals$}")
    }

    /// Writes an amount text as registered, as echoed on `surface` (unreadable text is
    /// echoed as it is).
    pub(crate) fn write_text(self, surface: Surface, text: &str, currency: &str) -> String {
        match Amount::parse(text) {
            Ok(amount) => self.on(surface).write(amount.value(), currency),
            Err(_) => text.to_owned(),
        }
    }
}

/// The documents only say `refund_id` must be unique per refund request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RepeatedRefundId {
    /// Answer with the original refund; apply nothing.
    #[default]
    AnswerOriginal,
    /// Refuse with `EC00`; apply nothing.
    Refuse,
    /// Treat it as a new refund (the hostile reading: a client that resends a refund id
    /// refunds twice).
    RefundAgain,
}

/// The documents do not say whether `F` is accepted once part was refunded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FullRefundAfterPartial {
    /// Refuse with `EC00`: `F` only refunds an unrefunded payment.
    #[default]
    Refuse,
    /// Refund the rest of the balance.
    RefundBalance,
}

/// The retrieve vocabulary has `NONE`; whether an unknown id gets it or an error code is not
/// documented.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownTransaction {
    /// `rescode=0000` with `status=NONE`.
    #[default]
    StatusNone,
    /// `EC1002` (invalid transaction id).
    Ec1002,
}

/// Eximbay's recurring-payment guide lists no `ver`/`charset`/`fgkey` for `RC_TERMINATE` / `RC_ADJUST`; every other
/// DirectProcessor call in public integrations signs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegacySignature {
    /// Accept both: the integration guide's unsigned form, and a signed form whose fgkey verifies.
    #[default]
    Either,
    /// The integration guide's form only: `ver`, `charset` and `fgkey` are undeclared fields (`EC00`).
    Unsigned,
    /// A valid fgkey over all fields is required (`EC00` otherwise).
    Required,
}
