//! The legacy server-to-server surface: `POST /Gateway/DirectProcessor.krp`, answered as
//! `k=v&k=v` text ending in a newline: the guide's `QUERY`, `REFUND`, `CAPTURE`,
//! `PAYMENT_PA`, `AUTHORIZE_PA` and `REBILL` (`routes::direct`), always signed, and the
//! recurring guide's `RC_TERMINATE` and `RC_ADJUST` (signed as `legacy_signing` says).
//! Fields are checked against the inventory for the `txntype`; what it does not name is
//! refused or ignored as `undeclared_fields.direct_processor` says.

use http::{Request, StatusCode};

use super::{Handled, direct, text_response, wire};
use crate::behaviour::{FieldPolicy, LegacySignature};
use crate::callbacks::Signer;
use crate::inventory;
use crate::ledger::refuse;
use crate::sandbox::Sandbox;

/// One DirectProcessor form, read and its fgkey checked before the sandbox lock is taken
/// (whether a valid fgkey is *required* is the sandbox's behaviour, decided under it).
#[derive(Debug)]
pub(crate) struct LegacyForm {
    fields: Vec<(String, String)>,
    /// The form carries an fgkey, and it is this sandbox's over the other fields.
    fgkey_valid: bool,
}

/// Reads a DirectProcessor form and checks its fgkey.
pub(crate) fn parse(signer: &Signer, request: &Request<Vec<u8>>) -> LegacyForm {
    let fields: Vec<(String, String)> = form_urlencoded::parse(request.body())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let signed = fields.iter().any(|(k, _)| k == "fgkey");
    LegacyForm {
        fgkey_valid: signed && signer.verify_form(request.body()),
        fields,
    }
}

/// Handles one DirectProcessor form.
pub(crate) fn handle(sandbox: &mut Sandbox, form: LegacyForm) -> Handled {
    let LegacyForm {
        fields,
        fgkey_valid,
    } = form;
    let txntype = fields
        .iter()
        .find(|(k, _)| k == "txntype")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if matches!(txntype.as_str(), "RC_TERMINATE" | "RC_ADJUST") {
        return recurring(sandbox, &fields, fgkey_valid, &txntype);
    }
    let form = direct::Form(&fields);
    let behaviour = sandbox.behaviour();
    let answer = if inventory::direct_processor_route(&txntype).is_none() {
        direct::refusal(&form, &txntype, "EC00", "Invalid txntype")
    } else if let Some(field) = undeclared(
        &fields,
        &txntype,
        behaviour.undeclared_fields.direct_processor,
    ) {
        direct::refusal(
            &form,
            &txntype,
            "EC00",
            &format!("{field} is not a field of DirectProcessor.krp txntype={txntype}"),
        )
    } else if !fgkey_valid {
        // The guide marks the fgkey R on every one of these; what a bad one gets is not
        // documented (`fgkey_failure`).
        direct::refusal(
            &form,
            &txntype,
            behaviour.fgkey_failure.rescode(),
            "Invalid fgkey",
        )
    } else if form.get("mid") != Some(sandbox.config().mid.as_str()) {
        direct::refusal(&form, &txntype, "EC00", "Invalid mid")
    } else {
        match txntype.as_str() {
            "QUERY" => direct::query(sandbox, &form),
            "REFUND" => direct::refund(sandbox, &form),
            "CAPTURE" => direct::capture(sandbox, &form),
            "PAYMENT_PA" | "AUTHORIZE_PA" => direct::after_payer_auth(sandbox, &form, &txntype),
            "REBILL" => direct::rebill(sandbox, &form),
            _ => direct::refusal(&form, &txntype, "EC00", "Invalid txntype"),
        }
    };
    let body = sandbox.signed_form(&answer);
    Handled::respond(text_response(StatusCode::OK, "text/plain", body + "\n"))
}

/// The first field the inventory does not name for `txntype`, when `policy` refuses it.
fn undeclared<'a>(
    fields: &'a [(String, String)],
    txntype: &str,
    policy: FieldPolicy,
) -> Option<&'a str> {
    if policy == FieldPolicy::Ignore {
        return None;
    }
    fields
        .iter()
        .map(|(k, _)| k.as_str())
        .find(|k| !inventory::direct_processor_declares(txntype, k))
}

/// `RC_TERMINATE` / `RC_ADJUST` (seed 002): unsigned replies with the recurring guide's
/// fields.
fn recurring(
    sandbox: &mut Sandbox,
    fields: &[(String, String)],
    fgkey_valid: bool,
    txntype: &str,
) -> Handled {
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let recurring_id = get("recurringID").unwrap_or_default();
    let reply = |rescode: &str, resmsg: &str| {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("mid", &get("mid").unwrap_or_default());
        form.append_pair("txntype", txntype);
        form.append_pair("recurringID", &recurring_id);
        form.append_pair("rescode", rescode);
        form.append_pair("resmsg", resmsg);
        for param in ["param1", "param2", "param3"] {
            form.append_pair(param, &get(param).unwrap_or_default());
        }
        // The gateway's replies end with a newline.
        Handled::respond(text_response(
            StatusCode::OK,
            "text/plain",
            form.finish() + "\n",
        ))
    };
    let signing = sandbox.behaviour().legacy_signing;
    let policy = sandbox.behaviour().undeclared_fields.direct_processor;
    let is_declared = |key: &str| {
        let signature = wire::LEGACY_SIGNATURE_FIELDS.contains(&key);
        inventory::direct_processor_declares(txntype, key)
            && (!signature || signing != LegacySignature::Unsigned)
    };
    if policy == FieldPolicy::Refuse
        && let Some((undeclared, _)) = fields.iter().find(|(k, _)| !is_declared(k))
    {
        return reply("EC00", &format!("Undeclared parameter {undeclared}"));
    }
    let signed = get("fgkey").is_some();
    if (signed || signing == LegacySignature::Required) && !fgkey_valid {
        return reply("EC00", "Invalid fgkey");
    }
    if get("mid").as_deref() != Some(sandbox.config().mid.as_str()) {
        return reply("EC00", "Invalid mid");
    }
    let today = sandbox.now().kst_date();
    let result = if txntype == "RC_TERMINATE" {
        sandbox.recurring.terminate(&recurring_id)
    } else if get("adjustType").as_deref() != Some("A") {
        Err(refuse("EC00", "adjustType must be A"))
    } else {
        let amount = get("adjustAmount").unwrap_or_default();
        sandbox.recurring.adjust(&recurring_id, &amount, today)
    };
    match result {
        Ok(()) => reply("0000", "Success."),
        Err(refusal) => reply(refusal.rescode, refusal.message),
    }
}
