//! Full or partial cancel (refund) of a payment (Eximbay's cancel and refund guide).
//!
//! `POST /v1/payments/{transaction_id}/cancel` with
//! `{"mid", "refund": {"refund_type", "refund_amount", "refund_id", "reason"},
//! "payment": {"order_id", "currency", "amount", "balance", "lang"}}` and, for bank-transfer
//! refunds, `"refund_account": {"user_name", "bank_code", "account_number"}`.
//!
//! * `balance` is the refundable amount *before* this refund. The gateway checks it, so it
//!   works as an optimistic-concurrency guard: it is always sent.
//! * `refund_id` must be unique per refund request and is reused when the same request is
//!   retried ([`RefundId::derive`]).
//! * Some of the integration guide's samples send `"oreder_id"`: a documentation typo that is never sent.
//! * The answer spells the foreign-currency fields `foregin_*`; both spellings are read and
//!   exposed as `foreign_*`.

use http::{Request, Response};
use serde::{Deserialize, Serialize};

use super::{Operation, Order, PaymentFields, RawResponse, check_payment_fields, v1_post};
use crate::codes::{Lang, PaymentMethod};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::{OrderId, RefundId, TransactionId, check_required_text};
use crate::money::{Amount, Currency, GatewayAmount};

/// Longest refund reason we send (the guide's `reason`: String 255).
pub const REASON_MAX_LEN: usize = 255;

/// The reason sent when the caller gives none. The guide marks `reason` required (guide
/// §3.1.2, digest §6) and every public v1 sample sends one, so a refund always carries a
/// reason; [`crate::Payment`]'s refund commands put this one into the [`Cancel`] they hand
/// back, where the caller sees it before anything is sent.
pub const DEFAULT_REFUND_REASON: &str = "Refund requested by the merchant";

/// How much to refund.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefundKind {
    /// `F`: the whole payment, nothing refunded before (`refund_amount` = `balance` = `amount`).
    Full,
    /// `P`: part of the refundable balance (up to all of it).
    Partial(Amount),
}

impl RefundKind {
    /// The refund of everything refundable: `F` while nothing was refunded (the balance is
    /// the whole amount), otherwise `P` for the balance — the gateway's `F` refunds only an
    /// unrefunded payment. The library's `refund_full` and the CLI's `--full` both use it.
    pub fn rest_of(amount: &Amount, balance: &Amount) -> RefundKind {
        if balance.value() == amount.value() {
            RefundKind::Full
        } else {
            RefundKind::Partial(balance.clone())
        }
    }
}

/// Bank account for refunds of bank-transfer payments.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct RefundAccount {
    /// Account holder.
    pub user_name: String,
    /// Bank code.
    pub bank_code: String,
    /// Account number.
    pub account_number: String,
}

impl std::fmt::Debug for RefundAccount {
    // An account number is personal data: keep it out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefundAccount")
            .field("bank_code", &self.bank_code)
            .finish_non_exhaustive()
    }
}

/// Refund all or part of a payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cancel {
    /// The payment.
    pub transaction_id: TransactionId,
    /// The merchant's order id.
    pub order_id: OrderId,
    /// The payment's currency.
    pub currency: Currency,
    /// The original payment amount.
    pub amount: Amount,
    /// What is refundable before this refund (the gateway's guard).
    pub balance: Amount,
    /// Full or partial.
    pub kind: RefundKind,
    /// Unique per refund request; the same on a retry.
    pub refund_id: RefundId,
    /// Why (shown to people). Always sent: `None` sends [`DEFAULT_REFUND_REASON`]; an
    /// empty reason is refused (the guide requires one).
    pub reason: Option<String>,
    /// Language of the gateway's messages.
    pub lang: Lang,
    /// For bank-transfer payments.
    pub refund_account: Option<RefundAccount>,
}

impl Cancel {
    /// A refund with only the required parts: no reason given (the request then carries
    /// [`DEFAULT_REFUND_REASON`]) and no refund account; set those with
    /// [`Cancel::with_reason`] and [`Cancel::with_refund_account`], so a field added later
    /// breaks no caller.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        transaction_id: TransactionId,
        order_id: OrderId,
        currency: Currency,
        amount: Amount,
        balance: Amount,
        kind: RefundKind,
        refund_id: RefundId,
        lang: Lang,
    ) -> Self {
        Cancel {
            transaction_id,
            order_id,
            currency,
            amount,
            balance,
            kind,
            refund_id,
            reason: None,
            lang,
            refund_account: None,
        }
    }

    /// Why (shown to people).
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Where a bank-transfer payment's refund goes.
    pub fn with_refund_account(mut self, refund_account: RefundAccount) -> Self {
        self.refund_account = Some(refund_account);
        self
    }

    /// `F` or `P`.
    pub fn refund_type(&self) -> &'static str {
        match self.kind {
            RefundKind::Full => "F",
            RefundKind::Partial(_) => "P",
        }
    }

    /// The amount this request refunds (the balance for a full refund).
    pub fn refund_amount(&self) -> &Amount {
        match &self.kind {
            RefundKind::Full => &self.balance,
            RefundKind::Partial(amount) => amount,
        }
    }

    fn check(&self) -> Result<(), BuildError> {
        self.transaction_id.check_for_request()?;
        check_payment_fields(
            Order::Existing,
            &self.order_id,
            &self.currency,
            &self.amount,
            &self.lang,
        )?;
        self.refund_id.check_for_request()?;
        self.balance
            .check_currency(&self.currency)
            .map_err(BuildError::amount("balance"))?;
        self.refund_amount()
            .check_currency(&self.currency)
            .map_err(BuildError::amount("refund_amount"))?;
        if self.balance.value() > self.amount.value() {
            return Err(BuildError::InvalidField {
                field: "balance",
                reason: "must not exceed the payment amount",
            });
        }
        match &self.kind {
            RefundKind::Full if self.balance.value() != self.amount.value() => {
                return Err(BuildError::InvalidField {
                    field: "refund_type",
                    reason: "F refunds a payment with nothing refunded yet; refund the rest with P",
                });
            }
            RefundKind::Partial(part) if part.value() > self.balance.value() => {
                return Err(BuildError::InvalidField {
                    field: "refund_amount",
                    reason: "must not exceed the balance",
                });
            }
            _ => {}
        }
        if let Some(reason) = &self.reason {
            check_required_text("reason", reason, REASON_MAX_LEN)?;
        }
        if let Some(account) = &self.refund_account {
            for (field, value) in [
                ("refund_account.user_name", &account.user_name),
                ("refund_account.bank_code", &account.bank_code),
                ("refund_account.account_number", &account.account_number),
            ] {
                check_required_text(field, value, 64)?;
            }
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct CancelBody<'a> {
    mid: &'a str,
    refund: RefundFields<'a>,
    payment: PaymentFields<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_account: Option<&'a RefundAccount>,
}

#[derive(Serialize)]
struct RefundFields<'a> {
    refund_type: &'a str,
    refund_amount: &'a str,
    refund_id: &'a str,
    reason: &'a str,
}

#[derive(Deserialize)]
struct RefundWire {
    refund_amount: Option<GatewayAmount>,
    refund_id: Option<RefundId>,
    refund_date: Option<String>,
    refund_transaction_id: Option<TransactionId>,
}

#[derive(Deserialize, Default)]
struct PaymentWire {
    order_id: Option<OrderId>,
    currency: Option<Currency>,
    amount: Option<GatewayAmount>,
    transaction_id: Option<TransactionId>,
    balance: Option<GatewayAmount>,
    base_amount: Option<GatewayAmount>,
    base_rate: Option<String>,
    dcc_rate: Option<String>,
    payment_method: Option<PaymentMethod>,
}

#[derive(Deserialize)]
struct ForeignWire {
    // The gateway misspells these as `foregin_*`.
    #[serde(alias = "foregin_currency")]
    foreign_currency: Option<Currency>,
    #[serde(alias = "foregin_amount")]
    foreign_amount: Option<GatewayAmount>,
    #[serde(alias = "foregin_rate")]
    foreign_rate: Option<String>,
}

/// A successful refund.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refunded {
    /// The gateway's message.
    pub resmsg: String,
    /// The merchant id echoed back.
    pub mid: Option<String>,
    /// The refund.
    pub refund: RefundResult,
    /// The payment after the refund.
    pub payment: RefundedPayment,
    /// Foreign-currency details (DCC), when sent.
    pub foreign: Option<ForeignAmount>,
}

/// The `refund` object of a refund answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RefundResult {
    /// Refunded amount, exactly as written by the gateway (`"1.00"`).
    pub refund_amount: GatewayAmount,
    /// The refund id.
    pub refund_id: RefundId,
    /// `YYYYMMDDhhmmss`.
    pub refund_date: Option<String>,
    /// The gateway's id of the refund transaction.
    pub refund_transaction_id: Option<TransactionId>,
}

/// The `payment` object of a refund answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RefundedPayment {
    /// Order id.
    pub order_id: Option<OrderId>,
    /// Currency.
    pub currency: Option<Currency>,
    /// Original amount.
    pub amount: Option<GatewayAmount>,
    /// The payment.
    pub transaction_id: TransactionId,
    /// What is still refundable.
    pub balance: Option<GatewayAmount>,
    /// Amount in the base currency.
    pub base_amount: Option<GatewayAmount>,
    /// Base rate, as sent.
    pub base_rate: Option<String>,
    /// DCC rate, as sent.
    pub dcc_rate: Option<String>,
    /// Payment method.
    pub payment_method: Option<PaymentMethod>,
}

/// The `foreign` object (`foregin_*` on the wire).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForeignAmount {
    /// Currency the buyer paid in.
    pub foreign_currency: Option<Currency>,
    /// Amount the buyer paid.
    pub foreign_amount: Option<GatewayAmount>,
    /// Rate, as sent.
    pub foreign_rate: Option<String>,
}

impl Operation for Cancel {
    type Output = Refunded;
    const NAME: &'static str = "cancel";
    const MOVES_MONEY: bool = true;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        self.check()?;
        let body = CancelBody {
            mid: cfg.mid().as_str(),
            refund: RefundFields {
                refund_type: self.refund_type(),
                refund_amount: self.refund_amount().as_str(),
                refund_id: self.refund_id.as_str(),
                reason: self.reason.as_deref().unwrap_or(DEFAULT_REFUND_REASON),
            },
            payment: PaymentFields {
                order_id: self.order_id.as_str(),
                currency: self.currency.code(),
                amount: self.amount.as_str(),
                balance: Some(self.balance.as_str()),
                transaction_id: None,
                lang: self.lang.as_str(),
            },
            refund_account: self.refund_account.as_ref(),
        };
        let path = ["/v1/payments/", self.transaction_id.as_str(), "/cancel"];
        v1_post(cfg, &path, &body)
    }

    /// Parses the answer. A success that is not about *this* refund — another refund
    /// amount or another `refund_id` (the answer to an earlier refund under a reused key) —
    /// is [`ResponseError::Malformed`]: what the gateway did is then unknown, so a caller
    /// reconciles rather than believing the requested amount went back.
    fn parse<B: AsRef<[u8]>>(&self, resp: Response<B>) -> Result<Refunded, ResponseError> {
        let raw = RawResponse::of(&resp);
        let reply = raw.v1::<PaymentWire, RefundWire, ForeignWire>()?;
        let refund = raw.required(reply.refund, "refund")?;
        let payment = reply.payment.unwrap_or_default();
        let refund_amount = raw.required(refund.refund_amount, "refund.refund_amount")?;
        let requested = self.refund_amount();
        if refund_amount.to_decimal() != Some(requested.value()) {
            return Err(raw.malformed(format!(
                "the gateway reports refund_amount {:?} for a refund of {requested}",
                refund_amount.as_str()
            )));
        }
        // Answers about this request carry its refund id; keep ours if omitted.
        let refund_id = refund.refund_id.unwrap_or_else(|| self.refund_id.clone());
        if refund_id.as_str().trim() != self.refund_id.as_str() {
            return Err(raw.malformed(format!(
                "the gateway answers about refund_id {refund_id}, not {}",
                self.refund_id
            )));
        }
        Ok(Refunded {
            resmsg: reply.resmsg.unwrap_or_default(),
            mid: reply.mid,
            refund: RefundResult {
                refund_amount,
                refund_id: self.refund_id.clone(),
                refund_date: refund.refund_date,
                refund_transaction_id: refund.refund_transaction_id,
            },
            payment: RefundedPayment {
                order_id: payment.order_id,
                currency: payment.currency,
                amount: payment.amount,
                transaction_id: payment
                    .transaction_id
                    .unwrap_or_else(|| self.transaction_id.clone()),
                balance: payment.balance,
                base_amount: payment.base_amount,
                base_rate: payment.base_rate,
                dcc_rate: payment.dcc_rate,
                payment_method: payment.payment_method,
            },
            foreign: reply.foreign.map(|f| ForeignAmount {
                foreign_currency: f.foreign_currency,
                foreign_amount: f.foreign_amount,
                foreign_rate: f.foreign_rate,
            }),
        })
    }
}
