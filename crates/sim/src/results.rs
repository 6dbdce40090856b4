//! What a payment's result says: the fields of a payment window's result, posted to the
//! browser's `returnurl` and the `statusurl` callback, as guide §2.1.3 lists them (digest
//! §3), in its order. The sandbox's values for the card fields are its own (the test card);
//! the direct-merchant-only fields (`basecur` … `memberno`) and the AES-encrypted `cardno` /
//! `expirydt` (a key the gateway assigns) are left out; `dm_*` only come with fraud
//! screening, which the sandbox does not run.
//!
//! The fields are built from plain values ([`ResultStamp`] carries what they take from the
//! sandbox), so the sandbox's state module can use them and they never use it back.

use crate::behaviour::{CallbackNames, EchoedAmounts, Surface};
use crate::commands::NewPayment;
use crate::ledger::LedgerPayment;

/// The window request fields a result echoes when the request carried them.
const SHIP_TO: [&str; 8] = [
    "shipTo_city",
    "shipTo_country",
    "shipTo_firstName",
    "shipTo_lastName",
    "shipTo_phoneNumber",
    "shipTo_postalCode",
    "shipTo_state",
    "shipTo_street1",
];

/// The billing descriptor real payloads carry (kanziw/eximbay `test/res/MockResult.js`).
pub const PAY_TO: &str = "EXIMBAY.COM";

/// What every result takes from the sandbox: who writes it, when, and how it echoes
/// amounts.
pub(crate) struct ResultStamp<'a> {
    /// The merchant id.
    pub(crate) mid: &'a str,
    /// The test clock's time, `YYYYMMDDhhmmss` in KST.
    pub(crate) resdt: String,
    /// How amounts are written.
    pub(crate) echoed_amounts: EchoedAmounts,
}

/// What a request carried, by name.
fn echoed<'a>(echo: &'a [(String, String)], key: &str) -> Option<&'a str> {
    echo.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The fields of a successful payment's result (before `status`, token or recurring fields
/// and the fgkey), named as `names` says.
pub(crate) fn payment_fields(
    stamp: &ResultStamp<'_>,
    payment: &LedgerPayment,
    param1: Option<&str>,
    echo: &[(String, String)],
    names: CallbackNames,
) -> Vec<(&'static str, String)> {
    let text = |key: &str| echoed(echo, key).unwrap_or_default().to_owned();
    let mut fields = vec![
        ("ver", echoed(echo, "ver").unwrap_or("230").to_owned()),
        ("mid", stamp.mid.to_owned()),
        ("txntype", payment.transaction_type.clone()),
        ("ref", payment.order_id.clone()),
        ("cur", payment.currency.clone()),
        (
            "amt",
            (stamp.echoed_amounts).write_text(
                Surface::Callbacks,
                &payment.amount,
                &payment.currency,
            ),
        ),
        ("email", text("email")),
        ("param1", param1.unwrap_or_default().to_owned()),
        ("param2", text("param2")),
        ("param3", text("param3")),
        ("transid", payment.transaction_id.clone()),
        ("rescode", "0000".to_owned()),
        ("resmsg", "Success.".to_owned()),
    ];
    let card = !payment.cash;
    if card {
        fields.push(("authcode", authcode(&payment.transaction_id)));
    }
    fields.push(("resdt", stamp.resdt.clone()));
    if card {
        let holder = echoed(echo, "buyer").filter(|b| !b.is_empty());
        fields.push(("cardholder", holder.unwrap_or("TEST BUYER").to_owned()));
    }
    fields.push(("accesscountry", "KR".to_owned()));
    if card {
        fields.push(("cardno1", "4111".to_owned()));
        fields.push(("cardno4", "1111".to_owned()));
        let method = echoed(echo, "paymethod").filter(|m| !m.is_empty());
        // The test card is a VISA (App. C `P101`).
        fields.push(("paymethod", method.unwrap_or("P101").to_owned()));
    }
    fields.push(("payto", PAY_TO.to_owned()));
    for key in SHIP_TO {
        if let Some(value) = echoed(echo, key) {
            fields.push((key, value.to_owned()));
        }
    }
    fields
        .into_iter()
        .map(|(key, value)| (names.name(key), value))
        .collect()
}

/// The sandbox's approval number for a transaction: its last six characters (digits in the
/// sandbox's ids).
pub(crate) fn authcode(transaction_id: &str) -> String {
    let start = transaction_id.len().saturating_sub(6);
    transaction_id.get(start..).unwrap_or_default().to_owned()
}

/// The fields of an approved `PAYER_AUTH` window (guide §2.2.3, digest §4.3): the buyer is
/// authenticated (3-D Secure), no money moved; the merchant authorizes later with the
/// `payerauthid` (24 characters, as the guide's length) and `cavv`, `xid`, `eci`. The values
/// are the sandbox's own, derived from the sequence number `payer_auth_id` was made from.
pub(crate) fn authentication_fields(
    stamp: &ResultStamp<'_>,
    p: &NewPayment,
    payer_auth_id: String,
    sequence: u64,
    names: CallbackNames,
) -> Vec<(&'static str, String)> {
    let text = |key: &str| echoed(&p.echo, key).unwrap_or_default().to_owned();
    [
        ("ver", echoed(&p.echo, "ver").unwrap_or("230").to_owned()),
        ("mid", stamp.mid.to_owned()),
        ("txntype", "PAYER_AUTH".to_owned()),
        ("ref", p.order_id.clone()),
        ("cur", p.currency.clone()),
        ("amt", p.amount.clone()),
        ("email", text("email")),
        ("param1", p.param1.clone().unwrap_or_default()),
        ("param2", text("param2")),
        ("param3", text("param3")),
        ("payerauthid", payer_auth_id),
        ("rescode", "0000".to_owned()),
        ("resmsg", "Success.".to_owned()),
        ("cavv", format!("AAABCZIhcQAAAABZlyFxAAAAAA{sequence:02}")),
        ("xid", format!("SIMXID{sequence:022}")),
        ("eci", "05".to_owned()),
        ("resdt", stamp.resdt.clone()),
    ]
    .into_iter()
    .map(|(key, value)| {
        let key = match (names, key) {
            (CallbackNames::V1, "payerauthid") => "payer_auth_id",
            (names, key) => names.name(key),
        };
        (key, value)
    })
    .collect()
}

/// The fields of a declined or cancelled window: nothing moved, but the attempt has a
/// transaction id, as real failure payloads do (kanziw/eximbay `test/res/MockResult.js`:
/// `S023`, `XXXX`, each with a `transid`): `transid` is the attempt's.
pub(crate) fn failure_fields(
    stamp: &ResultStamp<'_>,
    p: &NewPayment,
    transid: String,
    rescode: &str,
    resmsg: &str,
    names: CallbackNames,
) -> Vec<(&'static str, String)> {
    let text = |key: &str| echoed(&p.echo, key).unwrap_or_default().to_owned();
    [
        ("ver", echoed(&p.echo, "ver").unwrap_or("230").to_owned()),
        ("mid", stamp.mid.to_owned()),
        ("txntype", p.transaction_type.clone().unwrap_or_default()),
        ("ref", p.order_id.clone()),
        ("cur", p.currency.clone()),
        ("amt", p.amount.clone()),
        ("email", text("email")),
        ("param1", p.param1.clone().unwrap_or_default()),
        ("param2", text("param2")),
        ("param3", text("param3")),
        ("transid", transid),
        ("rescode", rescode.to_owned()),
        ("resmsg", resmsg.to_owned()),
        ("resdt", stamp.resdt.clone()),
        ("accesscountry", "KR".to_owned()),
        ("payto", PAY_TO.to_owned()),
    ]
    .into_iter()
    .map(|(key, value)| (names.name(key), value))
    .collect()
}
