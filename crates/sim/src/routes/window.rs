//! The buyer's side: the payment window.
//!
//! * `POST /Gateway/BasicProcessor.krp` — the legacy form ([`eximbay_core::window`]): the
//!   fgkey is checked with the merchant's secret, then the fields (Σ lines = `amt`, the
//!   currency's decimals, return and status URLs); a bad request gets an error page with the
//!   gateway-style rescode and creates nothing.
//! * `GET /v1/javascriptSDK.js` — a stand-in for Eximbay's SDK: `EXIMBAY.request_pay(payload)`
//!   posts the payload to `POST /v1/window`, where its fgkey must be one `ready` returned for
//!   exactly that body.
//! * The window page shows the shop, order, lines, amount and currency and a prefilled test
//!   card, with three buttons: **Approve** (the payment is created, the signed status_url
//!   callback sent, and the browser returned to return_url with the same fields),
//!   **Decline** (a card decline, nothing moves) and **Cancel** (the buyer gave up).

use crate::authentications::Authentication;
use http::{Method, Request, StatusCode};
use serde_json::Value;

pub use super::window_pages::TEST_CARD;
use super::window_pages::{error_page, html, sdk, window_page};
use super::{Handled, text_response};
use crate::behaviour::CallbackNames;
use crate::callbacks::Callback;
use crate::commands::{NewPayment, NewRecurring};
use crate::ledger::valid_amount;
use crate::sandbox::{FrontDoor, Sandbox};
use crate::windows::{Flow, WindowLine, WindowSession};
use eximbay_core::window::SignedForm;

/// The result code a card decline in the window returns (the sandbox's choice of the
/// card-data family the gateway documents).
pub const WINDOW_DECLINE_RESCODE: &str = "HE01";
/// The result code of a window the buyer cancelled. Undocumented: the sandbox's choice.
pub const WINDOW_CANCEL_RESCODE: &str = "XX01";

/// Whether a path is one of the window's.
pub(crate) fn serves(path: &str) -> bool {
    path == eximbay_core::window::BASIC_PROCESSOR_PATH
        || path == "/v1/javascriptSDK.js"
        || path == "/v1/window"
        || path.starts_with("/window/")
}

/// One window request, read before the sandbox lock is taken: a legacy form is checked
/// whole (fgkey, mid, lines, URLs), a `request_pay` payload and a button press are parsed;
/// only what needs the sandbox's state is left for [`handle`].
#[derive(Debug)]
pub(crate) enum WindowRequest {
    /// A legacy form: the window to open, or why it is refused.
    LegacyForm(Result<Box<WindowSession>, &'static str>),
    /// The SDK script, made for the host it was asked from.
    Sdk(String),
    /// A `request_pay` payload (a JSON object), if the body carried one.
    RequestPay(Option<serde_json::Map<String, Value>>),
    /// A button pressed in window `id`.
    Finish { id: String, action: String },
    /// A method the path does not serve.
    NotAllowed,
}

/// Reads one window request with the sandbox's fixed [`FrontDoor`].
pub(crate) fn parse(
    front_door: &FrontDoor,
    request: &Request<Vec<u8>>,
    path: &str,
) -> WindowRequest {
    match (request.method(), path) {
        (&Method::POST, eximbay_core::window::BASIC_PROCESSOR_PATH) => {
            WindowRequest::LegacyForm(legacy_form(front_door, request).map(Box::new))
        }
        (&Method::GET, "/v1/javascriptSDK.js") => WindowRequest::Sdk(sdk(request)),
        (&Method::POST, "/v1/window") => WindowRequest::RequestPay(
            form_urlencoded::parse(request.body())
                .find(|(k, _)| k == "payload")
                .and_then(|(_, v)| serde_json::from_str(&v).ok()),
        ),
        (&Method::POST, _) => match path.strip_prefix("/window/") {
            Some(id) => WindowRequest::Finish {
                id: id.to_owned(),
                action: form_urlencoded::parse(request.body())
                    .find(|(k, _)| k == "action")
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default(),
            },
            None => WindowRequest::NotAllowed,
        },
        _ => WindowRequest::NotAllowed,
    }
}

/// Handles one window request read by [`parse`].
pub(crate) fn handle(sandbox: &mut Sandbox, request: WindowRequest) -> Handled {
    match request {
        WindowRequest::LegacyForm(Ok(session)) => open(sandbox, *session),
        WindowRequest::LegacyForm(Err(why)) => error_page("EC00", why),
        WindowRequest::Sdk(script) => Handled::respond(text_response(
            StatusCode::OK,
            "application/javascript",
            script,
        )),
        WindowRequest::RequestPay(payload) => request_pay(sandbox, payload),
        WindowRequest::Finish { id, action } => finish(sandbox, &id, &action),
        WindowRequest::NotAllowed => error_page("EC1003", "Method not allowed"),
    }
}

/// Reads form fields, refusing a repeated one (it would make the signed content ambiguous).
fn form_fields(body: &[u8]) -> Option<Vec<(String, String)>> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(body) {
        if fields.iter().any(|(seen, _)| *seen == k) {
            return None;
        }
        fields.push((k.into_owned(), v.into_owned()));
    }
    Some(fields)
}

/// Checks a legacy form whole; `Err` is why it is refused (an `EC00` error page).
fn legacy_form(
    front_door: &FrontDoor,
    request: &Request<Vec<u8>>,
) -> Result<WindowSession, &'static str> {
    let Some(fields) = form_fields(request.body()) else {
        return Err("A field appears twice");
    };
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    if get("fgkey").is_none() || !front_door.signer.verify_form(request.body()) {
        return Err("The fgkey does not match the fields");
    }
    if get("mid") != Some(&*front_door.mid) {
        return Err("Invalid mid");
    }
    let transaction_type = get("txntype").unwrap_or_default();
    if !matches!(transaction_type, "PAYMENT" | "AUTHORIZE" | "PAYER_AUTH") {
        return Err("txntype must be PAYMENT, AUTHORIZE or PAYER_AUTH");
    }
    let (currency, amount) = (
        get("cur").unwrap_or_default(),
        get("amt").unwrap_or_default(),
    );
    let Some(total) = valid_amount(amount, currency) else {
        return Err("Invalid amt for cur");
    };
    let mut lines = Vec::new();
    for (prefix, name) in [("item", "product"), ("surcharge", "name")] {
        for n in 1.. {
            let Some(line_name) = get(&format!("{prefix}_{n}_{name}")) else {
                break;
            };
            let quantity = get(&format!("{prefix}_{n}_quantity")).and_then(|q| q.parse().ok());
            let price = get(&format!("{prefix}_{n}_unitPrice")).unwrap_or_default();
            match (quantity, valid_amount(price, currency)) {
                (Some(quantity), Some(_)) if quantity > 0 && !line_name.is_empty() => {
                    lines.push(WindowLine {
                        name: line_name.to_owned(),
                        quantity,
                        unit_price: price.to_owned(),
                    })
                }
                _ => return Err("Invalid item or surcharge line"),
            }
        }
    }
    if lines.is_empty() || line_total(&lines, currency) != Some(total) {
        return Err("The items and surcharges must add up to amt");
    }
    let (Some(return_url), Some(status_url)) = (get("returnurl"), get("statusurl")) else {
        return Err("returnurl and statusurl are required");
    };
    let order_id = get("ref").unwrap_or_default();
    if order_id.is_empty() || return_url.is_empty() || status_url.is_empty() {
        return Err("ref, returnurl and statusurl are required");
    }
    let recurring = match get("recurringPayment") {
        Some("Y") => Some(NewRecurring {
            amount: get("recurringAmount").unwrap_or_default().to_owned(),
            url: get("recurringURL").unwrap_or_default().to_owned(),
            date: get("recurringDate").map(str::to_owned),
        }),
        _ => None,
    };
    let session = WindowSession {
        flow: Flow::Legacy,
        shop: get("shop").unwrap_or_default().to_owned(),
        lines,
        return_url: return_url.to_owned(),
        payment: NewPayment {
            order_id: order_id.to_owned(),
            currency: currency.to_owned(),
            amount: amount.to_owned(),
            transaction_type: Some(transaction_type.to_owned()),
            method: None,
            status_url: Some(status_url.to_owned()),
            param1: get("param1").map(str::to_owned),
            recurring,
            token_creation: false,
        },
    };
    Ok(session)
}

fn line_total(lines: &[WindowLine], currency: &str) -> Option<rust_decimal::Decimal> {
    lines
        .iter()
        .map(|l| {
            Some(valid_amount(&l.unit_price, currency)? * rust_decimal::Decimal::from(l.quantity))
        })
        .sum()
}

/// `request_pay`: the payload's fgkey must be one `ready` returned, for exactly this body.
fn request_pay(sandbox: &mut Sandbox, payload: Option<serde_json::Map<String, Value>>) -> Handled {
    let Some(mut payload) = payload else {
        return error_page("EC00", "request_pay needs a JSON payload");
    };
    let fgkey = payload
        .remove("fgkey")
        .and_then(|f| f.as_str().map(str::to_owned))
        .unwrap_or_default();
    let body = Value::Object(payload);
    if sandbox.windows.ready_body(&fgkey) != Some(&body) {
        return error_page(
            "EC00",
            "The fgkey does not match a ready call for this payload",
        );
    }
    let text = |pointer: &str| {
        body.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let transaction_type = text("/payment/transaction_type");
    if !matches!(
        transaction_type.as_str(),
        "PAYMENT" | "AUTHORIZE" | "PAYER_AUTH"
    ) {
        return error_page(
            "EC00",
            "transaction_type must be PAYMENT, AUTHORIZE or PAYER_AUTH (others are not served by this sandbox)",
        );
    }
    let lines = ["product", "surcharge"]
        .iter()
        .flat_map(|key| {
            body.get(*key)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .map(|line| WindowLine {
            name: line
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            quantity: line
                .get("quantity")
                .and_then(Value::as_str)
                .and_then(|q| q.parse().ok())
                .unwrap_or(1),
            unit_price: line
                .get("unit_price")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        })
        .collect();
    let session = WindowSession {
        flow: Flow::V1,
        shop: sandbox.config().mid.clone(),
        lines,
        return_url: text("/url/return_url"),
        payment: NewPayment {
            order_id: text("/payment/order_id"),
            currency: text("/payment/currency"),
            amount: text("/payment/amount"),
            transaction_type: Some(transaction_type),
            method: None,
            status_url: Some(text("/url/status_url")),
            param1: body
                .pointer("/other_param/param1")
                .and_then(Value::as_str)
                .map(str::to_owned),
            recurring: None,
            token_creation: text("/tokenbilling/token_creation") == "Y",
        },
    };
    open(sandbox, session)
}

/// Opens the window and shows it.
fn open(sandbox: &mut Sandbox, session: WindowSession) -> Handled {
    let page = window_page(&session);
    let id = sandbox.windows.open(session);
    html(StatusCode::OK, page.replace("{WINDOW_ID}", &id))
}

/// Approve, Decline or Cancel: the window closes, the browser goes back to return_url with
/// the signed result, and the status_url callback carries the same fields.
fn finish(sandbox: &mut Sandbox, id: &str, action: &str) -> Handled {
    if !matches!(action, "approve" | "decline" | "cancel") || sandbox.windows.get(id).is_none() {
        return error_page("EC00", "No such open payment window, or no such action");
    }
    let Some(session) = sandbox.windows.close(id) else {
        return error_page("EC00", "No such open payment window");
    };
    let names = match session.flow {
        Flow::Legacy => CallbackNames::Legacy,
        Flow::V1 => sandbox.behaviour().window_callback_names,
    };
    let payer_auth = session.payment.transaction_type.as_deref() == Some("PAYER_AUTH");
    let (body, callbacks) = if action == "approve" && payer_auth {
        let fields = authentication_fields(sandbox, &session, names);
        let body = sandbox.signed_form(&fields);
        let callbacks = session
            .payment
            .status_url
            .iter()
            .map(|url| Callback {
                url: url.clone(),
                body: body.clone(),
                transaction_id: String::new(),
            })
            .collect();
        (body, callbacks)
    } else if action == "approve" {
        match sandbox.create_payment_named(session.payment.clone(), names) {
            Ok((_, _, callbacks)) => {
                let body = callbacks
                    .first()
                    .map(|c| c.body.clone())
                    .unwrap_or_default();
                (body, callbacks)
            }
            Err(message) => return error_page("EC00", &message),
        }
    } else {
        let rescode = if action == "decline" {
            WINDOW_DECLINE_RESCODE
        } else {
            WINDOW_CANCEL_RESCODE
        };
        let failed = failure_fields(sandbox, &session, rescode, names);
        let body = sandbox.signed_form(&failed);
        let callbacks = match (
            &session.payment.status_url,
            sandbox.behaviour().window_failures_to_status_url,
        ) {
            (Some(url), true) => vec![Callback {
                url: url.clone(),
                body: body.clone(),
                transaction_id: String::new(),
            }],
            _ => Vec::new(),
        };
        (body, callbacks)
    };
    let back = SignedForm {
        action: session.return_url,
        fields: form_urlencoded::parse(body.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    };
    Handled::with_callbacks(
        text_response(StatusCode::OK, "text/html; charset=utf-8", back.html()),
        callbacks,
    )
}

/// The fields of an approved `PAYER_AUTH` window: the buyer is authenticated (3-D Secure),
/// no money moved; the merchant authorizes later with the `payerauthid` (and `cavv`, `xid`,
/// `eci`). The values are the sandbox's own, derived from its sequence.
fn authentication_fields(
    sandbox: &mut Sandbox,
    session: &WindowSession,
    names: CallbackNames,
) -> Vec<(&'static str, String)> {
    let sequence = sandbox.ledger.next_sequence();
    let p = &session.payment;
    sandbox.authentications.record(
        format!("PA{sequence:018}"),
        Authentication {
            order_id: p.order_id.clone(),
            currency: p.currency.clone(),
            amount: p.amount.clone(),
            confirmed: None,
        },
    );
    [
        ("mid", sandbox.config().mid.clone()),
        ("ref", p.order_id.clone()),
        ("cur", p.currency.clone()),
        ("amt", p.amount.clone()),
        ("txntype", "PAYER_AUTH".to_owned()),
        ("rescode", "0000".to_owned()),
        ("resmsg", "Success.".to_owned()),
        ("payerauthid", format!("PA{sequence:018}")),
        ("cavv", format!("AAABCZIhcQAAAABZlyFxAAAAAA{sequence:02}")),
        ("xid", format!("SIMXID{sequence:022}")),
        ("eci", "05".to_owned()),
        ("resdt", sandbox.kst_datetime()),
        ("param1", p.param1.clone().unwrap_or_default()),
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

/// The fields of a declined or cancelled window: no transaction, nothing moved.
fn failure_fields(
    sandbox: &Sandbox,
    session: &WindowSession,
    rescode: &str,
    names: CallbackNames,
) -> Vec<(&'static str, String)> {
    let p = &session.payment;
    [
        ("mid", sandbox.config().mid.clone()),
        ("ref", p.order_id.clone()),
        ("cur", p.currency.clone()),
        ("amt", p.amount.clone()),
        ("txntype", p.transaction_type.clone().unwrap_or_default()),
        ("rescode", rescode.to_owned()),
        (
            "resmsg",
            if rescode == WINDOW_DECLINE_RESCODE {
                "Declined by the issuer (sandbox)".to_owned()
            } else {
                "Cancelled by the buyer (sandbox)".to_owned()
            },
        ),
        ("resdt", sandbox.kst_datetime()),
        ("param1", p.param1.clone().unwrap_or_default()),
    ]
    .into_iter()
    .map(|(key, value)| (names.name(key), value))
    .collect()
}
