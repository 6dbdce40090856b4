//! The legacy server-to-server surface: `POST /Gateway/DirectProcessor.krp` with
//! `RC_TERMINATE` and `RC_ADJUST`, answered as `k=v&k=v` text ending in a newline.

use http::{Request, StatusCode};

use super::{Handled, text_response, wire};
use crate::behaviour::LegacySignature;
use crate::callbacks::Signer;
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
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let txntype = get("txntype").unwrap_or_default();
    let recurring_id = get("recurringID").unwrap_or_default();
    let reply = |rescode: &str, resmsg: &str| {
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("mid", &get("mid").unwrap_or_default());
        form.append_pair("txntype", &txntype);
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
    let Some(declared) = wire::legacy_declared_fields(&txntype) else {
        return reply("EC00", "Invalid txntype");
    };
    let signing = sandbox.behaviour().legacy_signing;
    let is_declared = |key: &str| {
        declared.contains(&key)
            || (signing != LegacySignature::Unsigned
                && wire::LEGACY_SIGNATURE_FIELDS.contains(&key))
    };
    if let Some((undeclared, _)) = fields.iter().find(|(k, _)| !is_declared(k)) {
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
