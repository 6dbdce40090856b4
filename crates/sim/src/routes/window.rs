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

use http::{Method, Request, StatusCode};
use serde_json::Value;

use super::window_form::{self, LegacyWindow};
pub use super::window_pages::TEST_CARD;
use super::window_pages::{error_page, html, sdk, window_page};
use super::{Handled, text_response};
use crate::behaviour::CallbackNames;
use crate::behaviour::{FieldPolicy, MissingRequired};
use crate::callbacks::Callback;
use crate::commands::NewPayment;
use crate::results;
use crate::sandbox::{FrontDoor, Sandbox};
use crate::windows::{Flow, WindowLine, WindowSession};
use eximbay_core::window::SignedForm;

/// The result code a card decline in the window returns (the sandbox's choice of the
/// card-data family the gateway documents).
pub const WINDOW_DECLINE_RESCODE: &str = "HE01";
/// The result code of a window the buyer cancelled by default. Undocumented: the sandbox's
/// choice ([`BuyerCancelCode`](crate::behaviour::BuyerCancelCode)).
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
    LegacyForm(Result<Box<LegacyWindow>, String>),
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
            WindowRequest::LegacyForm(window_form::read(front_door, request).map(Box::new))
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
        WindowRequest::LegacyForm(Ok(form)) => open_legacy(sandbox, *form),
        WindowRequest::LegacyForm(Err(why)) => error_page("EC00", &why),
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
            param1: body
                .pointer("/other_param/param1")
                .and_then(Value::as_str)
                .map(str::to_owned),
            ..NewPayment::new(
                text("/payment/order_id"),
                text("/payment/currency"),
                text("/payment/amount"),
            )
            .with_transaction_type(transaction_type)
            .with_status_url(text("/url/status_url"))
            .with_token_creation(text("/tokenbilling/token_creation") == "Y")
            .with_echo(
                ["param2", "param3"]
                    .iter()
                    .filter_map(|key| {
                        let value = body.pointer(&format!("/other_param/{key}"))?.as_str()?;
                        Some(((*key).to_owned(), value.to_owned()))
                    })
                    .chain(
                        [("email", "/buyer/email"), ("buyer", "/buyer/name")]
                            .iter()
                            .map(|(key, pointer)| ((*key).to_owned(), text(pointer))),
                    )
                    .collect(),
            )
        },
    };
    open(sandbox, session)
}

/// Opens a legacy form's window, once the behaviour's checks pass: undeclared fields
/// (`undeclared_fields.legacy_window`), fields marked R (`missing_required`), the guide's
/// lengths (`id_lengths`).
fn open_legacy(sandbox: &mut Sandbox, form: LegacyWindow) -> Handled {
    let behaviour = sandbox.behaviour();
    if let (FieldPolicy::Refuse, Some(field)) = (
        behaviour.undeclared_fields.legacy_window,
        form.undeclared.first(),
    ) {
        return error_page(
            "EC00",
            &format!(
                "{field} is not a field of {}",
                crate::inventory::LEGACY_WINDOW.name
            ),
        );
    }
    if let (MissingRequired::Refuse, Some(field)) =
        (behaviour.missing_required, form.missing.first())
    {
        return error_page(
            "EC00",
            &format!("{field} is required (guide §2.1.2 marks it R)"),
        );
    }
    let p = &form.session.payment;
    let email = p
        .echo
        .iter()
        .find(|(k, _)| k == "email")
        .map_or(0, |(_, v)| v.chars().count());
    if p.order_id.chars().count() > behaviour.id_lengths.order_id()
        || email > behaviour.id_lengths.email()
    {
        return error_page(
            "EC00",
            "ref is longer than 30 or email longer than 50 characters (guide §2.1.2)",
        );
    }
    open(sandbox, form.session)
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
        let p = &session.payment;
        let (payer_auth_id, sequence) =
            sandbox.record_authentication(&p.order_id, &p.currency, &p.amount);
        let fields = results::authentication_fields(
            &sandbox.result_stamp(),
            p,
            payer_auth_id,
            sequence,
            names,
        );
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
        let (rescode, resmsg) = if action == "decline" {
            (WINDOW_DECLINE_RESCODE, "Declined by the issuer (sandbox)")
        } else {
            (
                sandbox.behaviour().buyer_cancel_code.rescode(),
                "Cancelled by the buyer (sandbox)",
            )
        };
        let transid = sandbox.new_transaction_id();
        let failed = results::failure_fields(
            &sandbox.result_stamp(),
            &session.payment,
            transid,
            rescode,
            resmsg,
            names,
        );
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
