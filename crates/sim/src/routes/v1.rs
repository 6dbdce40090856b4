//! The v1 REST surface: Basic auth (`EC1000`), JSON content type (`EC1001`), 24-character
//! transaction ids (`EC1002`), POST only (`EC1003`), undeclared fields refused (`EC00`);
//! capture, cancel, retrieve, verify, ready, and recurring delete / adjust.

use http::{Method, Request, Response, StatusCode};
use serde_json::json;

use super::answers::{
    CapturedPayment, Foreign, Refund, RefundedPayment, RetrievedPayment, V1Answer,
};
use super::shared::{made_by_call, refused, wrong_mid};
use super::{Handled, gateway_error, json_response, not_found, wire};
use crate::behaviour::UnknownTransaction;
use crate::ledger::{CancelAmounts, CancelCommand, LedgerPayment, LedgerRefund, valid_amount};
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
) -> Result<V1Command, Box<Response<Vec<u8>>>> {
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
        return Ok(V1Command::TokenLookup(id));
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
    match parts.as_slice() {
        ["v1", "payments", "retrieve"] => body_of(body).map(V1Command::Retrieve),
        ["v1", "payments", "verify"] => body_of(body).map(V1Command::Verify),
        ["v1", "payments", "tokenbilling", id, "rebill"] => {
            body_of(body).map(|request| V1Command::Rebill((*id).to_owned(), Box::new(request)))
        }
        ["v1", "payments", "tokenbilling", id, "delete"] => {
            body_of(body).map(|request| V1Command::TokenDelete((*id).to_owned(), request))
        }
        ["v1", "payments", "confirm"] => {
            body_of(body).map(|request| V1Command::Confirm(Box::new(request)))
        }
        ["v1", "payments", "ready"] => {
            let raw: Option<serde_json::Value> = serde_json::from_slice(body).ok();
            body_of(body).map(|request| V1Command::Ready(Box::new(request), raw))
        }
        ["v1", "payments", "recurring", id, "delete"] => {
            body_of::<wire::V1DeleteRequest>(body).map(|_| V1Command::Terminate((*id).to_owned()))
        }
        ["v1", "payments", "recurring", id, "adjust"] => {
            body_of(body).map(|request| V1Command::Adjust((*id).to_owned(), request))
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
                body_of(body).map(|request: wire::CaptureRequest| {
                    let p = &request.payment;
                    let amount = valid_amount(&p.amount, &p.currency);
                    V1Command::Capture(tid, Box::new(request), amount)
                })
            } else {
                body_of(body).map(|request: wire::CancelRequest| {
                    let amounts = cancel_amounts(&request);
                    V1Command::Cancel(tid, Box::new(request), amounts)
                })
            }
        }
        _ => Err(Box::new(not_found())),
    }
}

/// Applies one parsed `/v1/…` request to the sandbox.
pub(crate) fn apply(sandbox: &mut Sandbox, command: V1Command) -> Handled {
    Handled::respond(match command {
        V1Command::Retrieve(request) => retrieve(sandbox, request),
        V1Command::Verify(request) => verify(sandbox, request),
        V1Command::Ready(request, raw) => ready(sandbox, *request, raw),
        V1Command::Terminate(id) => match sandbox.recurring.terminate(&id) {
            Ok(()) => json_response(
                StatusCode::OK,
                &json!({"rescode": "0000", "resmsg": "Success.", "recurring_id": id}),
            ),
            Err(refusal) => refused(refusal),
        },
        V1Command::Adjust(id, request) => {
            let today = sandbox.now().kst_date();
            match sandbox.recurring.adjust(&id, &request.adjust_amount, today) {
                Ok(()) => json_response(
                    StatusCode::OK,
                    &json!({"rescode": "0000", "resmsg": "Success.", "recurring_id": id}),
                ),
                Err(refusal) => refused(refusal),
            }
        }
        V1Command::Capture(tid, request, amount) => capture(sandbox, &tid, *request, amount),
        V1Command::Confirm(request) => confirm(sandbox, *request),
        V1Command::Rebill(id, request) => super::tokenbilling::rebill(sandbox, &id, *request),
        V1Command::TokenDelete(id, request) => super::tokenbilling::delete(sandbox, &id, &request),
        V1Command::TokenLookup(id) => super::tokenbilling::lookup(sandbox, &id),
        V1Command::Cancel(tid, request, amounts) => cancel(sandbox, &tid, *request, amounts),
    })
}

/// A JSON body in one of the sandbox's wire types; undeclared fields are `EC00`.
fn body_of<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Box<Response<Vec<u8>>>> {
    serde_json::from_slice::<T>(body).map_err(|error| {
        Box::new(gateway_error(
            "EC00",
            &format!("Invalid parameter: {error}"),
        ))
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
    let Some(payment) = sandbox.ledger.payments.get(tid) else {
        return gateway_error("EC1002", "Invalid transaction_id");
    };
    json_response(
        StatusCode::OK,
        &V1Answer::success(
            &sandbox.config().mid,
            CapturedPayment {
                order_id: &payment.order_id,
                currency: &payment.currency,
                amount: sandbox.echo(payment.total(), &payment.currency),
                transaction_id: tid,
                captured_date: &date,
                partially_cancelable: "Y",
            },
        ),
    )
}

/// A confirm after payer authentication: the authentication must be known, unused, and for
/// the same order, currency and amount; the payment is made (`PAYMENT_PA` captured,
/// `AUTHORIZE_PA` to be captured) and answered with its `transaction_id` at the top level,
/// as the reference shows, and in `payment`, as other v1 answers do.
fn confirm(sandbox: &mut Sandbox, request: wire::ConfirmRequest) -> Response<Vec<u8>> {
    if let Some(response) = wrong_mid(sandbox, &request.mid) {
        return response;
    }
    let p = &request.payment;
    if !matches!(
        request.transaction_type.as_str(),
        "PAYMENT_PA" | "AUTHORIZE_PA"
    ) {
        return gateway_error("EC00", "Invalid transaction_type");
    }
    if !p.lang_is_valid() {
        return gateway_error("EC00", "Invalid lang");
    }
    if let Err(refusal) =
        sandbox
            .authentications
            .check_confirm(&p.payer_auth_id, &p.order_id, &p.currency, &p.amount)
    {
        return refused(refusal);
    }
    let tid = match made_by_call(
        sandbox,
        &p.order_id,
        &p.currency,
        &p.amount,
        &request.transaction_type,
    ) {
        Ok((tid, _)) => tid,
        Err(response) => return *response,
    };
    sandbox.authentications.confirmed(&p.payer_auth_id, &tid);
    json_response(
        StatusCode::OK,
        &json!({
            "rescode": "0000", "resmsg": "Success.", "mid": sandbox.config().mid,
            "transaction_id": tid,
            "payment": {
                "order_id": p.order_id, "currency": p.currency,
                "amount": sandbox.echo(valid_amount(&p.amount, &p.currency).unwrap_or_default(), &p.currency),
                "transaction_id": tid, "transaction_type": request.transaction_type,
            }
        }),
    )
}

fn refund_answer(
    sandbox: &Sandbox,
    payment: &LedgerPayment,
    refund_id: &str,
    refund: &LedgerRefund,
) -> Response<Vec<u8>> {
    let amount = |value| sandbox.echo(value, &payment.currency);
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
        Ok((_, refund)) => match sandbox.ledger.payments.get(tid) {
            Some(payment) => refund_answer(sandbox, payment, &r.refund_id, &refund),
            None => gateway_error("EC1002", "Invalid transaction_id"),
        },
        Err(refusal) => refused(refusal),
    }
}

fn retrieve(sandbox: &mut Sandbox, request: wire::RetrieveRequest) -> Response<Vec<u8>> {
    if let Some(response) = wrong_mid(sandbox, &request.mid) {
        return response;
    }
    if !request.payment.lang_is_valid() {
        return gateway_error("EC00", "Invalid lang");
    }
    let found = sandbox.ledger.find(
        &request.key_field,
        request.payment.transaction_id.as_deref(),
        &request.payment.order_id,
    );
    let payment = match found {
        Ok(Some(payment)) => payment,
        Ok(None) => {
            return match sandbox.behaviour().unknown_transaction {
                UnknownTransaction::Ec1002 => gateway_error("EC1002", "No such transaction"),
                UnknownTransaction::StatusNone => json_response(
                    StatusCode::OK,
                    &json!({"rescode": "0000", "resmsg": "Success.", "mid": sandbox.config().mid,
                            "payment": {"status": "NONE"}}),
                ),
            };
        }
        Err(refusal) => return refused(refusal),
    };
    let amount = |value| sandbox.echo(value, &payment.currency);
    json_response(
        StatusCode::OK,
        &V1Answer::success(
            &sandbox.config().mid,
            RetrievedPayment {
                order_id: &payment.order_id,
                currency: &payment.currency,
                amount: amount(payment.total()),
                transaction_id: &payment.transaction_id,
                transaction_type: &payment.transaction_type,
                status: payment.remote_status(),
                balance: amount(payment.balance()),
                payment_method: if payment.cash { None } else { Some("P101") },
                captured_date: payment.captured_date.as_deref(),
            },
        ),
    )
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
        &json!({"rescode": "0000", "resmsg": "Success.", "fgkey": fgkey}),
    )
}
