//! The v1 REST surface: Basic auth (`EC1000`), JSON content type (`EC1001`), 24-character
//! transaction ids (`EC1002`), POST only (`EC1003`), undeclared fields refused (`EC00`);
//! capture, cancel, retrieve, verify, ready, and recurring delete / adjust.

use http::{Method, Request, Response, StatusCode};

use super::answers::{Acted, CapturedPayment, Foreign, Refund, RefundedPayment, V1Answer};
use super::shared::{refused, wrong_mid};
use super::{Handled, gateway_error, json_response, not_found, wire};
use crate::behaviour::Surface;
use crate::commands::{CancelAmounts, CancelCommand};
use crate::inventory::Route;
use crate::ledger::{LedgerPayment, LedgerRefund, valid_amount};
use crate::sandbox::Sandbox;
use rust_decimal::Decimal;

/// One `/v1/…` request, authenticated and parsed: what [`apply`] does under the sandbox
/// lock. Reading, authenticating and parsing need no state, so the server does them
/// before taking the lock.
#[derive(Debug)]
pub(crate) enum V1Command {
    Retrieve(wire::RetrieveRequest),
    Verify(wire::VerifyRequest),
    /// The request and the body as sent, kept so that request_pay can be held to it
    /// exactly.
    Ready(Box<wire::ReadyRequest>, Option<serde_json::Value>),
    Terminate(String),
    Adjust(String, wire::V1AdjustRequest),
    /// The request and its amount read for its currency.
    Capture(String, Box<wire::CaptureRequest>, Option<Decimal>),
    Confirm(Box<wire::ConfirmRequest>),
    Rebill(String, Box<wire::RebillRequest>),
    TokenDelete(String, wire::TokenDeleteRequest),
    TokenLookup(String),
    /// The request and its amounts read for its currency.
    Cancel(String, Box<wire::CancelRequest>, CancelAmounts),
}

/// Reads one `/v1/…` request: method, `Authorization` against `expected_authorization`,
/// content type, path and body. `Err` is the gateway's answer to a request it refuses
/// before looking at any state.
pub(crate) fn parse(
    expected_authorization: &str,
    request: &Request<Vec<u8>>,
    path: &str,
) -> Result<V1Request, Box<Response<Vec<u8>>>> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    // The stored-card look-up is the one read (GET, no body); everything else is a POST.
    let lookup = match parts.as_slice() {
        ["v1", "payments", "tokenbilling", id] => Some((*id).to_owned()),
        _ => None,
    };
    let method = if lookup.is_some() {
        Method::GET
    } else {
        Method::POST
    };
    if request.method() != method {
        return Err(Box::new(gateway_error("EC1003", "Method not allowed")));
    }
    let authorized = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .is_some_and(|given| given.as_bytes() == expected_authorization.as_bytes());
    if !authorized {
        return Err(Box::new(gateway_error("EC1000", "Authentication failed")));
    }
    if let Some(id) = lookup {
        return Ok(V1Request {
            command: Ok(V1Command::TokenLookup(id)),
            route: &LOOKUP,
            undeclared: Vec::new(),
        });
    }
    let json = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    if !json {
        return Err(Box::new(gateway_error(
            "EC1001",
            "Content-Type must be application/json",
        )));
    }
    let body = request.body().as_slice();
    let route_named = |name: &str| {
        crate::inventory::V1
            .iter()
            .find(|route| route.name == name)
            .ok_or_else(|| Box::new(not_found()))
    };
    let (route, command) = match parts.as_slice() {
        ["v1", "payments", "retrieve"] => {
            let route = route_named("POST /v1/payments/retrieve")?;
            (route, body_of(route, body)?.map(V1Command::Retrieve))
        }
        ["v1", "payments", "verify"] => {
            let route = route_named("POST /v1/payments/verify")?;
            (route, body_of(route, body)?.map(V1Command::Verify))
        }
        ["v1", "payments", "tokenbilling", id, "rebill"] => {
            let route = route_named("POST /v1/payments/tokenbilling/{token_id}/rebill")?;
            let id = (*id).to_owned();
            let read = body_of(route, body)?;
            (route, read.map(|r| V1Command::Rebill(id, Box::new(r))))
        }
        ["v1", "payments", "tokenbilling", id, "delete"] => {
            let route = route_named("POST /v1/payments/tokenbilling/{token_id}/delete")?;
            let id = (*id).to_owned();
            (
                route,
                body_of(route, body)?.map(|r| V1Command::TokenDelete(id, r)),
            )
        }
        ["v1", "payments", "confirm"] => {
            let route = route_named("POST /v1/payments/confirm")?;
            let read = body_of(route, body)?;
            (route, read.map(|r| V1Command::Confirm(Box::new(r))))
        }
        ["v1", "payments", "ready"] => {
            let route = route_named("POST /v1/payments/ready")?;
            let raw: Option<serde_json::Value> = serde_json::from_slice(body).ok();
            let read = body_of(route, body)?;
            (route, read.map(|r| V1Command::Ready(Box::new(r), raw)))
        }
        ["v1", "payments", "recurring", id, "delete"] => {
            let route = route_named("POST /v1/payments/recurring/{recurring_id}/delete")?;
            let id = (*id).to_owned();
            let read = body_of::<wire::V1DeleteRequest>(route, body)?;
            (route, read.map(|_| V1Command::Terminate(id)))
        }
        ["v1", "payments", "recurring", id, "adjust"] => {
            let route = route_named("POST /v1/payments/recurring/{recurring_id}/adjust")?;
            let id = (*id).to_owned();
            (
                route,
                body_of(route, body)?.map(|r| V1Command::Adjust(id, r)),
            )
        }
        ["v1", "payments", tid, operation @ ("capture" | "cancel")] => {
            if tid.len() != 24 {
                return Err(Box::new(gateway_error(
                    "EC1002",
                    "transaction_id must be 24 characters",
                )));
            }
            let tid = (*tid).to_owned();
            if *operation == "capture" {
                let route = route_named("POST /v1/payments/{transaction_id}/capture")?;
                let read = body_of(route, body)?.map(|request: wire::CaptureRequest| {
                    let p = &request.payment;
                    let amount = valid_amount(&p.amount, &p.currency);
                    V1Command::Capture(tid, Box::new(request), amount)
                });
                (route, read)
            } else {
                let route = route_named("POST /v1/payments/{transaction_id}/cancel")?;
                let read = body_of(route, body)?.map(|request: wire::CancelRequest| {
                    let amounts = cancel_amounts(&request);
                    V1Command::Cancel(tid, Box::new(request), amounts)
                });
                (route, read)
            }
        }
        _ => return Err(Box::new(not_found())),
    };
    Ok(V1Request {
        route,
        undeclared: command.undeclared,
        command: command.value,
    })
}

/// A body read against its route: the value, and the fields the inventory does not name
/// (taken out before reading; refused or ignored under the lock, as the behaviour says).
pub(crate) struct Read<T> {
    /// The body read, or why it cannot be (a required field missing), to be answered after
    /// the undeclared fields are judged.
    value: Result<T, String>,
    undeclared: Vec<String>,
}

impl<T> Read<T> {
    fn map<U>(self, f: impl FnOnce(T) -> U) -> Read<U> {
        Read {
            value: self.value.map(f),
            undeclared: self.undeclared,
        }
    }
}

/// One `/v1/…` request read: its command, its route in the inventory and its undeclared
/// fields.
#[derive(Debug)]
pub(crate) struct V1Request {
    command: Result<V1Command, String>,
    route: &'static Route,
    undeclared: Vec<String>,
}

/// The look-up has no body.
static LOOKUP: Route = Route {
    name: "GET /v1/payments/tokenbilling/{token_id}",
    fields: &[],
};

/// Applies one parsed `/v1/…` request to the sandbox: an undeclared field is refused first
/// when the behaviour says so.
pub(crate) fn apply(sandbox: &mut Sandbox, request: V1Request) -> Handled {
    let policy = sandbox.behaviour().undeclared_fields.v1;
    if let Some(message) = request.route.refuse_undeclared(&request.undeclared, policy) {
        return Handled::respond(gateway_error("EC00", &message));
    }
    let command = match request.command {
        Ok(command) => command,
        Err(message) => return Handled::respond(gateway_error("EC00", &message)),
    };
    Handled::respond(match command {
        V1Command::Retrieve(request) => super::retrieve::retrieve(sandbox, request),
        V1Command::Verify(request) => verify(sandbox, request),
        V1Command::Ready(request, raw) => ready(sandbox, *request, raw),
        V1Command::Terminate(id) => match sandbox.recurring.terminate(&id) {
            Ok(()) => json_response(
                StatusCode::OK,
                &Acted {
                    recurring_id: Some(&id),
                    ..Acted::success()
                },
            ),
            Err(refusal) => refused(refusal),
        },
        V1Command::Adjust(id, request) => {
            let today = sandbox.now().kst_date();
            match sandbox.recurring.adjust(&id, &request.adjust_amount, today) {
                Ok(()) => json_response(
                    StatusCode::OK,
                    &Acted {
                        recurring_id: Some(&id),
                        ..Acted::success()
                    },
                ),
                Err(refusal) => refused(refusal),
            }
        }
        V1Command::Capture(tid, request, amount) => capture(sandbox, &tid, *request, amount),
        V1Command::Confirm(request) => super::confirm::confirm(sandbox, *request),
        V1Command::Rebill(id, request) => super::tokenbilling::rebill(sandbox, &id, *request),
        V1Command::TokenDelete(id, request) => super::tokenbilling::delete(sandbox, &id, &request),
        V1Command::TokenLookup(id) => super::tokenbilling::lookup(sandbox, &id),
        V1Command::Cancel(tid, request, amounts) => cancel(sandbox, &tid, *request, amounts),
    })
}

/// A JSON body read against its route in the inventory, then into one of the sandbox's
/// wire types. A refusal (`EC00`) names the field and why, never the reader's path.
fn body_of<T: serde::de::DeserializeOwned>(
    route: &Route,
    body: &[u8],
) -> Result<Read<T>, Box<Response<Vec<u8>>>> {
    let refuse = |message: &str| Box::new(gateway_error("EC00", message));
    let mut value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| refuse(&format!("The body of {} is not JSON", route.name)))?;
    let checked = route.check_json(&mut value).map_err(|m| refuse(&m))?;
    // Every field was checked against the inventory: a body that still does not read is a
    // gap between the inventory and the wire types, reported as such.
    let value = match checked.missing.first() {
        Some(missing) => Err(format!("{missing} is required")),
        None => serde_json::from_value::<T>(value).map_err(|_| {
            format!(
                "The body of {} does not match the sandbox's reading of it",
                route.name
            )
        }),
    };
    Ok(Read {
        value,
        undeclared: checked.undeclared,
    })
}

/// A cancel request's amounts, read for its currency (outside the lock).
fn cancel_amounts(request: &wire::CancelRequest) -> CancelAmounts {
    let (p, r) = (&request.payment, &request.refund);
    CancelAmounts {
        amount: valid_amount(&p.amount, &p.currency),
        balance: p
            .balance
            .as_deref()
            .and_then(|b| valid_amount(b, &p.currency)),
        balance_given: p.balance.is_some(),
        refund_amount: valid_amount(&r.refund_amount, &p.currency),
    }
}

fn capture(
    sandbox: &mut Sandbox,
    tid: &str,
    request: wire::CaptureRequest,
    amount: Option<Decimal>,
) -> Response<Vec<u8>> {
    if let Some(response) = wrong_mid(sandbox, &request.mid) {
        return response;
    }
    let p = &request.payment;
    if !p.lang_is_valid() {
        return gateway_error("EC00", "Invalid lang");
    }
    let date = sandbox.kst_datetime();
    if let Err(refusal) = sandbox
        .ledger
        .capture(tid, &p.order_id, &p.currency, amount, &date)
    {
        return refused(refusal);
    }
    let Some(payment) = sandbox.ledger.payment(tid) else {
        return gateway_error("EC1002", "Invalid transaction_id");
    };
    json_response(
        StatusCode::OK,
        &V1Answer::success(
            &sandbox.config().mid,
            CapturedPayment {
                order_id: &payment.order_id,
                currency: &payment.currency,
                // The request's amount equals the total (checked above): echoed as sent.
                amount: sandbox.echo(
                    Surface::Capture,
                    amount.unwrap_or(payment.total()),
                    &payment.currency,
                ),
                transaction_id: tid,
                captured_date: &date,
                partially_cancelable: "Y",
            },
        ),
    )
}

fn refund_answer(
    sandbox: &Sandbox,
    payment: &LedgerPayment,
    refund_id: &str,
    refund: &LedgerRefund,
) -> Response<Vec<u8>> {
    let amount = |value| sandbox.echo(Surface::Cancel, value, &payment.currency);
    // The registered amount is echoed three times: written once.
    let total = amount(payment.total());
    json_response(
        StatusCode::OK,
        &V1Answer {
            rescode: "0000",
            resmsg: "Success.",
            mid: &sandbox.config().mid,
            refund: Some(Refund {
                refund_amount: amount(refund.amount),
                refund_id,
                refund_date: &refund.refund_date,
                refund_transaction_id: &refund.refund_transaction_id,
            }),
            payment: RefundedPayment {
                order_id: &payment.order_id,
                currency: &payment.currency,
                amount: total.clone(),
                transaction_id: &payment.transaction_id,
                balance: amount(payment.balance()),
                base_amount: total.clone(),
                base_rate: "1.000000",
                dcc_rate: "1.000000",
                payment_method: "P101",
            },
            foreign: Some(Foreign {
                foregin_currency: &payment.currency,
                foregin_amount: total,
                foregin_rate: "0",
            }),
        },
    )
}

fn cancel(
    sandbox: &mut Sandbox,
    tid: &str,
    request: wire::CancelRequest,
    amounts: CancelAmounts,
) -> Response<Vec<u8>> {
    if let Some(response) = wrong_mid(sandbox, &request.mid) {
        return response;
    }
    let (p, r) = (&request.payment, &request.refund);
    if !p.lang_is_valid() || !request.extras_are_valid() {
        return gateway_error("EC00", "Invalid lang, reason or refund_account");
    }
    let command = CancelCommand {
        order_id: &p.order_id,
        currency: &p.currency,
        refund_type: &r.refund_type,
        refund_id: &r.refund_id,
        amounts,
    };
    let date = sandbox.kst_datetime();
    let (mid, behaviour) = (sandbox.config().mid.clone(), sandbox.behaviour());
    let refund_tid = |ledger: &mut crate::ledger::Ledger| ledger.new_transaction_id(&mid);
    match sandbox
        .ledger
        .cancel(tid, command, behaviour, refund_tid, &date)
    {
        Ok((_, refund)) => match sandbox.ledger.payment(tid) {
            Some(payment) => refund_answer(sandbox, payment, &r.refund_id, &refund),
            None => gateway_error("EC1002", "Invalid transaction_id"),
        },
        Err(refusal) => refused(refusal),
    }
}

fn verify(sandbox: &mut Sandbox, request: wire::VerifyRequest) -> Response<Vec<u8>> {
    if sandbox.verify_form(request.data.as_bytes()) {
        gateway_error("0000", "Success.")
    } else {
        gateway_error("EC00", "Verification failed")
    }
}

fn ready(
    sandbox: &mut Sandbox,
    request: wire::ReadyRequest,
    raw: Option<serde_json::Value>,
) -> Response<Vec<u8>> {
    if let Some(response) = wrong_mid(sandbox, &request.merchant.mid) {
        return response;
    }
    if request
        .tokenbilling
        .as_ref()
        .is_some_and(|t| !matches!(t.token_creation.as_str(), "Y" | "N"))
    {
        return gateway_error("EC00", "tokenbilling.token_creation must be Y or N");
    }
    let lengths = sandbox.behaviour().id_lengths;
    if request.payment.order_id.chars().count() > lengths.order_id() {
        return gateway_error(
            "EC00",
            "payment.order_id is longer than 30 characters (id_lengths: guide)",
        );
    }
    if request.buyer.email.chars().count() > lengths.email() {
        return gateway_error(
            "EC00",
            "buyer.email is longer than 50 characters (id_lengths: guide)",
        );
    }
    let p = &request.payment;
    if valid_amount(&p.amount, &p.currency).is_none() {
        return gateway_error("EC00", "Invalid amount");
    }
    if !matches!(
        p.transaction_type.as_str(),
        "PAYMENT" | "AUTHORIZE" | "PAYER_AUTH" | "REBILL"
    ) {
        return gateway_error("EC00", "Invalid transaction_type");
    }
    if !request.product.is_empty() {
        let lines = request.product.iter().chain(&request.surcharge);
        let total: Option<rust_decimal::Decimal> = lines
            .map(|line| {
                let quantity: u32 = line.quantity.parse().ok().filter(|q| *q > 0)?;
                let price = valid_amount(&line.unit_price, &p.currency)?;
                (!line.name.is_empty()).then(|| price * rust_decimal::Decimal::from(quantity))
            })
            .sum();
        if total != valid_amount(&p.amount, &p.currency) {
            return gateway_error(
                "EC00",
                "product and surcharge lines must add up to the amount",
            );
        }
    }
    let fields = [
        ("mid", sandbox.config().mid.as_str()),
        ("ref", p.order_id.as_str()),
        ("cur", p.currency.as_str()),
        ("amt", p.amount.as_str()),
        ("txntype", p.transaction_type.as_str()),
        ("lang", p.lang.as_str()),
        ("buyer", request.buyer.name.as_str()),
        ("email", request.buyer.email.as_str()),
        ("returnurl", request.url.return_url.as_str()),
        ("statusurl", request.url.status_url.as_str()),
    ];
    // The whole body is signed too, so two ready calls that differ anywhere (a product
    // line) get different fgkeys, and request_pay is held to its own body.
    let whole = raw.as_ref().map(|r| r.to_string()).unwrap_or_default();
    let fgkey = sandbox
        .signer()
        .fgkey(fields.into_iter().chain([("body", whole.as_str())]));
    if let Some(raw) = raw {
        sandbox.windows.remember_ready(fgkey.clone(), raw);
    }
    json_response(
        StatusCode::OK,
        &Acted {
            fgkey: Some(&fgkey),
            ..Acted::success()
        },
    )
}
