//! DirectProcessor as the guide documents it: `QUERY` (guide §3.2, digest §5), `REFUND`
//! (§3.1, digest §6), `CAPTURE` (§2.4, digest §4.5), `PAYMENT_PA` / `AUTHORIZE_PA` (§2.3,
//! digest §4.4) and `REBILL` (§2.6, digest §4.7). Each answers `name=value` text with the
//! fields of its response table, in the table's order, signed with an fgkey over all of
//! them (the guide marks the answer's fgkey R, CAPTURE's O; which fields it covers is not
//! said: all of them, as for requests).

use rust_decimal::Decimal;

use super::confirm::confirm_payment;
use super::shared::make_payment;
use crate::behaviour::{RebillLines, RefundBalance, Surface, UnknownTransaction};
use crate::commands::{CancelAmounts, CancelCommand};
use crate::ledger::valid_amount;
use crate::results;
use crate::sandbox::Sandbox;

/// A DirectProcessor request's fields, by name.
pub(crate) struct Form<'a>(pub &'a [(String, String)]);

impl Form<'_> {
    /// A field's value; absent is `None`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A field's value; absent is empty.
    pub fn text(&self, key: &str) -> String {
        self.get(key).unwrap_or_default().to_owned()
    }
}

/// An answer's fields, in order (the fgkey is added when it is written).
pub(crate) type Answer = Vec<(&'static str, String)>;

/// The answer to a refused request: the request's identifying fields echoed, then the
/// result (the guide echoes `ver` … `transid` on every answer).
pub(crate) fn refusal(form: &Form<'_>, txntype: &str, rescode: &str, resmsg: &str) -> Answer {
    let mut answer: Answer = vec![
        ("ver", form.get("ver").unwrap_or("230").to_owned()),
        ("mid", form.text("mid")),
        ("txntype", txntype.to_owned()),
        ("ref", form.text("ref")),
        ("cur", form.text("cur")),
        ("amt", form.text("amt")),
    ];
    answer.extend(params(form));
    if let Some(transid) = form.get("transid") {
        answer.push(("transid", transid.to_owned()));
    }
    answer.push(("rescode", rescode.to_owned()));
    answer.push(("resmsg", resmsg.to_owned()));
    answer.push(("resdt", String::new()));
    answer
}

fn params(form: &Form<'_>) -> Answer {
    ["param1", "param2", "param3"]
        .into_iter()
        .map(|key| (key, form.text(key)))
        .collect()
}

/// `QUERY`: by `TRANSID` (the default) or `REF` (the latest of the order, or the first, as
/// `retrieve_by_order` says), hidden for `retrieve_lag`; `status` and `balance` as the
/// guide's table (§3.2.3).
pub(crate) fn query(sandbox: &mut Sandbox, form: &Form<'_>) -> Answer {
    let (key_field, transid) = match form.get("keyfield").unwrap_or("TRANSID") {
        "TRANSID" => match form.get("transid").filter(|t| !t.is_empty()) {
            Some(tid) => ("transaction_id", Some(tid)),
            None => {
                return refusal(
                    form,
                    "QUERY",
                    "EC00",
                    "transid is required with keyfield TRANSID",
                );
            }
        },
        "REF" => ("order_id", None),
        _ => return refusal(form, "QUERY", "EC00", "keyfield must be REF or TRANSID"),
    };
    let found = match super::retrieve::look_up(sandbox, key_field, transid, &form.text("ref")) {
        Ok(found) => found,
        Err(refused) => return refusal(form, "QUERY", refused.rescode, refused.message),
    };
    let payment = found.and_then(|tid| sandbox.ledger.payment(&tid));
    let Some(payment) = payment else {
        return match sandbox.behaviour().unknown_transaction {
            UnknownTransaction::Ec1002 => refusal(form, "QUERY", "EC1002", "No such transaction"),
            UnknownTransaction::StatusNone => {
                let mut answer = refusal(form, "QUERY", "0000", "Success.");
                answer.push(("status", "NONE".to_owned()));
                answer
            }
        };
    };
    let echo = |value| sandbox.echo(Surface::Retrieve, value, &payment.currency);
    let mut answer: Answer = vec![
        ("ver", form.get("ver").unwrap_or("230").to_owned()),
        ("mid", sandbox.config().mid.clone()),
        ("txntype", "QUERY".to_owned()),
        ("ref", payment.order_id.clone()),
        ("cur", payment.currency.clone()),
        (
            "amt",
            sandbox.echo_text(Surface::Callbacks, &payment.amount, &payment.currency),
        ),
    ];
    answer.extend(params(form));
    answer.extend([
        ("status", payment.remote_status().to_owned()),
        ("transid", payment.transaction_id.clone()),
        ("rescode", "0000".to_owned()),
        ("resmsg", "Success.".to_owned()),
    ]);
    if !payment.cash {
        answer.push(("authcode", results::authcode(&payment.transaction_id)));
    }
    answer.push((
        "resdt",
        payment
            .captured_date
            .clone()
            .unwrap_or_else(|| sandbox.kst_datetime()),
    ));
    if !payment.cash {
        answer.push(("cardno1", "4111".to_owned()));
        answer.push(("cardno4", "1111".to_owned()));
    }
    answer.push(("balance", echo(payment.balance())));
    if !payment.cash {
        answer.push(("paymethod", "P101".to_owned()));
    }
    answer
}

/// `REFUND`: `refundtype=P` is partial, anything else full (Note 4); `refundamt` absent on a
/// full refund refunds the balance; `balance` is checked only when present.
pub(crate) fn refund(sandbox: &mut Sandbox, form: &Form<'_>) -> Answer {
    let tid = form.text("transid");
    let currency = form.text("cur");
    let Some(payment) = sandbox.ledger.payment(&tid) else {
        return refusal(form, "REFUND", "EC1002", "Invalid transid");
    };
    let partial = form.get("refundtype") == Some("P");
    let refund_amount = match form.get("refundamt").filter(|a| !a.is_empty()) {
        Some(text) => valid_amount(text, &currency),
        None if !partial => Some(payment.balance()),
        None => None,
    };
    let balance = form.get("balance").filter(|b| !b.is_empty());
    let refund_id = form.text("refundid");
    let command = CancelCommand {
        order_id: form.get("ref").unwrap_or_default(),
        currency: &currency,
        refund_type: if partial { "P" } else { "F" },
        refund_id: &refund_id,
        amounts: CancelAmounts {
            amount: valid_amount(&form.text("amt"), &currency),
            balance: balance.and_then(|b| valid_amount(b, &currency)),
            balance_given: balance.is_some(),
            refund_amount,
        },
    };
    // The guide checks the balance only when present, whatever the v1 choice.
    let mut behaviour = sandbox.behaviour();
    behaviour.v1_refund_balance = RefundBalance::WhenPresent;
    let date = sandbox.kst_datetime();
    let mid = sandbox.config().mid.clone();
    let refund_tid = |ledger: &mut crate::ledger::Ledger| ledger.new_transaction_id(&mid);
    let refund = match sandbox
        .ledger
        .cancel(&tid, command, behaviour, refund_tid, &date)
    {
        Ok((_, refund)) => refund,
        Err(refused) => return refusal(form, "REFUND", refused.rescode, refused.message),
    };
    let Some(payment) = sandbox.ledger.payment(&tid) else {
        return refusal(form, "REFUND", "EC1002", "Invalid transid");
    };
    let echo = |value| sandbox.echo(Surface::Cancel, value, &payment.currency);
    let mut answer: Answer = vec![
        ("ver", form.get("ver").unwrap_or("230").to_owned()),
        ("mid", sandbox.config().mid.clone()),
        ("txntype", "REFUND".to_owned()),
        ("ref", payment.order_id.clone()),
        ("cur", payment.currency.clone()),
        ("amt", echo(payment.total())),
        ("refundamt", echo(refund.amount)),
    ];
    answer.extend(params(form));
    answer.extend([
        ("transid", payment.transaction_id.clone()),
        ("refundid", refund_id),
        ("rescode", "0000".to_owned()),
        ("resmsg", "Success.".to_owned()),
        ("authcode", results::authcode(&payment.transaction_id)),
        ("resdt", refund.refund_date.clone()),
        ("refundtransid", refund.refund_transaction_id.clone()),
        ("balance", echo(payment.balance())),
    ]);
    answer
}

/// `CAPTURE`: an `AUTHORIZE` / `AUTHORIZE_PA` payment, once, whole (no partial capture,
/// Note 4); the answer's `transid` is the original's (the guide does not say).
pub(crate) fn capture(sandbox: &mut Sandbox, form: &Form<'_>) -> Answer {
    let (tid, currency) = (form.text("transid"), form.text("cur"));
    let amount = valid_amount(&form.text("amt"), &currency);
    let date = sandbox.kst_datetime();
    let captured = sandbox.ledger.capture(
        &tid,
        form.get("ref").unwrap_or_default(),
        &currency,
        amount,
        &date,
    );
    if let Err(refused) = captured {
        return refusal(form, "CAPTURE", refused.rescode, refused.message);
    }
    let echoed = sandbox.echo(Surface::Capture, amount.unwrap_or(Decimal::ZERO), &currency);
    let mut answer: Answer = vec![
        ("ver", form.get("ver").unwrap_or("230").to_owned()),
        ("mid", sandbox.config().mid.clone()),
        ("txntype", "CAPTURE".to_owned()),
        ("ref", form.text("ref")),
        ("cur", currency),
        ("amt", echoed),
        ("lang", form.text("lang")),
    ];
    answer.extend(params(form));
    answer.extend([
        ("transid", tid),
        ("rescode", "0000".to_owned()),
        ("resmsg", "Success.".to_owned()),
        ("resdt", date),
        ("allowedpvoid", "Y".to_owned()),
    ]);
    answer
}

/// `PAYMENT_PA` / `AUTHORIZE_PA`: the payer authentication confirmed into a payment; the
/// answer is a window result's fields (§2.3.3 reuses §2.1.3).
pub(crate) fn after_payer_auth(sandbox: &mut Sandbox, form: &Form<'_>, txntype: &str) -> Answer {
    let confirmed = confirm_payment(
        sandbox,
        txntype,
        &form.text("payerauthid"),
        &form.text("ref"),
        &form.text("cur"),
        &form.text("amt"),
    );
    let tid = match confirmed {
        Ok(tid) => tid,
        Err((rescode, message)) => return refusal(form, txntype, rescode, &message),
    };
    let Some(payment) = sandbox.ledger.payment(&tid).cloned() else {
        return refusal(form, txntype, "EC1002", "Invalid payerauthid");
    };
    let echo = echoed_fields(form);
    results::payment_fields(
        &sandbox.result_stamp(),
        &payment,
        form.get("param1"),
        &echo,
        crate::behaviour::CallbackNames::Legacy,
    )
}

/// What a result echoes from the request (as the window's).
fn echoed_fields(form: &Form<'_>) -> Vec<(String, String)> {
    ["ver", "email", "param2", "param3", "paymethod", "buyer"]
        .into_iter()
        .filter_map(|key| form.get(key).map(|v| (key.to_owned(), v.to_owned())))
        .collect()
}

/// `REBILL`: a captured payment on a stored card (`tokenID`, from a token-creation result);
/// the window's fields otherwise (§2.6.2), the lines checked as `rebill_lines` says.
pub(crate) fn rebill(sandbox: &mut Sandbox, form: &Form<'_>) -> Answer {
    let token_id = form.text("tokenID");
    if let Err(refused) = sandbox.tokens.usable(&token_id) {
        return refusal(form, "REBILL", refused.rescode, "Invalid tokenID");
    }
    let (order_id, currency, amount) = (form.text("ref"), form.text("cur"), form.text("amt"));
    let Some(total) = valid_amount(&amount, &currency) else {
        return refusal(form, "REBILL", "EC00", "Invalid amt for cur");
    };
    if sandbox.behaviour().rebill_lines == RebillLines::Checked {
        let sum: Option<Decimal> = form
            .0
            .iter()
            .filter(|(k, _)| k.starts_with("item_") && k.ends_with("_unitPrice"))
            .map(|(k, price)| {
                let quantity = form.get(&k.replace("_unitPrice", "_quantity"))?;
                let quantity: u32 = quantity.parse().ok().filter(|q| *q > 0)?;
                Some(valid_amount(price, &currency)? * Decimal::from(quantity))
            })
            .sum();
        if sum != Some(total) {
            return refusal(form, "REBILL", "EC00", "The items must add up to amt");
        }
    }
    let tid = match make_payment(sandbox, &order_id, &currency, &amount, "REBILL") {
        Ok((tid, _)) => tid,
        Err((rescode, message)) => return refusal(form, "REBILL", rescode, &message),
    };
    sandbox.tokens.rebilled(&token_id, &tid);
    let product = form
        .0
        .iter()
        .find(|(k, _)| k.starts_with("item_") && k.ends_with("_product"))
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    vec![
        ("ver", form.get("ver").unwrap_or("230").to_owned()),
        ("mid", sandbox.config().mid.clone()),
        ("txntype", "REBILL".to_owned()),
        ("ref", order_id),
        ("cur", currency),
        ("amt", amount),
        ("shop", form.text("shop")),
        ("buyer", form.text("buyer")),
        ("tel", form.text("tel")),
        ("email", form.text("email")),
        ("product", product),
        ("transid", tid.clone()),
        ("rescode", "0000".to_owned()),
        ("resmsg", "Success.".to_owned()),
        ("authcode", results::authcode(&tid)),
        ("cardco", "VISA".to_owned()),
        ("resdt", sandbox.kst_datetime()),
        ("cardholder", form.text("buyer")),
        ("accesscountry", "KR".to_owned()),
        ("tokenID", token_id),
    ]
}
