//! Look a payment up on the legacy API: `txntype=QUERY` to DirectProcessor (guide §3.2, digest
//! §5). This is how merchants on the legacy payment window reconcile; its answer reads into
//! the same [`Retrieved`] as the v1 retrieve, so it applies to a payment wherever a retrieve
//! does ([`PaymentOutcome::Retrieved`](crate::payment::PaymentOutcome::Retrieved)).
//!
//! Request fields, in the guide's order (§3.2.2): `ver=230`, `mid`, `txntype=QUERY`,
//! `keyfield` (`TRANSID` or `REF`), `ref`, `cur`, `amt`, `transid` (when known; required with
//! `TRANSID`), `lang`, `param1..3` (when set), `charset=UTF-8`, and the `fgkey` over all of
//! them — the guide marks `ver` and `fgkey` required, so a QUERY is always signed and needs the
//! secret key.
//!
//! The answer is `k=v&k=v` text (§3.2.3): `status` (`SALE | AUTH | REGISTERED | NONE`) read
//! together with `balance` (the refundable rest), `transid`, `ref`, `cur`, `amt`,
//! `paymethod`. `keyfield=REF` answers the *last* transaction of the order, which the guide
//! does not define further (digest §5): reconcile by `TRANSID` whenever the id is known.
//! The answer's own `fgkey` is not checked: the guide does not say which fields it covers.

use http::{Request, Response};

use super::retrieve::{KeyField, Retrieved, check_lookup_key};
use super::{
    LegacyReply, MerchantParams, Operation, Order, RawResponse, check_payment_fields,
    signed_legacy_post,
};
use crate::codes::{Lang, PaymentMethod, RemoteStatus};
use crate::config::Config;
use crate::error::{BuildError, ResponseError};
use crate::ids::{OrderId, TransactionId};
use crate::money::{Amount, Currency, GatewayAmount};
use crate::window::FORM_VERSION;

/// Look a payment up with the legacy `QUERY`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// Which id to look up by (`TRANSID` or `REF` on the wire).
    pub key_field: KeyField,
    /// `ref`: the order id of the approval.
    pub order_id: OrderId,
    /// `transid`: the approval (required when `key_field` is `TransactionId`).
    pub transaction_id: Option<TransactionId>,
    /// `cur`: the approval's currency.
    pub currency: Currency,
    /// `amt`: the approval's amount.
    pub amount: Amount,
    /// `lang` of the gateway's messages.
    pub lang: Lang,
    /// `param1..3`, echoed back.
    pub params: MerchantParams,
}

impl KeyField {
    /// The legacy `keyfield` value (`REF` or `TRANSID`).
    pub fn legacy_str(self) -> &'static str {
        match self {
            KeyField::OrderId => "REF",
            KeyField::TransactionId => "TRANSID",
        }
    }
}

/// A field of the answer; an empty value (`balance=`) is no value.
fn field<'r>(reply: &'r LegacyReply, key: &str) -> Option<&'r str> {
    reply.get(key).filter(|value| !value.is_empty())
}

impl Operation for Query {
    type Output = Retrieved;
    const NAME: &'static str = "query";
    const MOVES_MONEY: bool = false;

    fn to_http(&self, cfg: &Config) -> Result<Request<Vec<u8>>, BuildError> {
        check_payment_fields(
            Order::Existing,
            &self.order_id,
            &self.currency,
            &self.amount,
            &self.lang,
        )?;
        check_lookup_key(
            self.transaction_id.as_ref(),
            self.key_field,
            "transid",
            "is required when keyfield is TRANSID",
        )?;
        let mut fields = vec![
            ("ver", FORM_VERSION),
            ("mid", cfg.mid().as_str()),
            ("txntype", "QUERY"),
            ("keyfield", self.key_field.legacy_str()),
            ("ref", self.order_id.as_str()),
            ("cur", self.currency.code()),
            ("amt", self.amount.as_str()),
        ];
        if let Some(tid) = &self.transaction_id {
            fields.push(("transid", tid.as_str()));
        }
        fields.push(("lang", self.lang.as_str()));
        fields.extend(self.params.fields()?);
        fields.push(("charset", "UTF-8"));
        signed_legacy_post(cfg, &fields)
    }

    fn parse<B: AsRef<[u8]>>(&self, resp: Response<B>) -> Result<Retrieved, ResponseError> {
        let raw = RawResponse::of(&resp);
        let reply = raw.legacy()?;
        let status = raw.required(field(&reply, "status"), "status")?;
        Ok(Retrieved {
            resmsg: reply.resmsg().to_owned(),
            order_id: field(&reply, "ref").map(OrderId::from),
            currency: field(&reply, "cur").map(Currency::from_code),
            amount: field(&reply, "amt").map(GatewayAmount::new),
            transaction_id: field(&reply, "transid").map(TransactionId::from),
            // The answer's `txntype` is `QUERY` itself, not how the payment was made.
            transaction_type: None,
            status: RemoteStatus::from_code(status),
            balance: field(&reply, "balance").map(GatewayAmount::new),
            // `resdt` is the transaction's time, not a capture's.
            captured_date: None,
            payment_method: field(&reply, "paymethod").map(PaymentMethod::from_code),
        })
    }
}
