//! Test controls under `/_sim/` (JSON in, JSON out):
//!
//! | endpoint | does |
//! |---|---|
//! | `GET /_sim/clock` | the test clock: `now` (UNIX seconds), `kst_date`, `kst_datetime` |
//! | `POST /_sim/clock` `{"advance_days": n}` or `{"advance_seconds": s}` | moves the clock, running due charges |
//! | `POST /_sim/payments` | creates a payment as if the buyer completed the payment window (`"method": "cash"`: registered, not paid yet) |
//! | `POST /_sim/payments/{tid}/settle` | the buyer of a registered cash payment paid: `status=Sale` |
//! | `POST /_sim/payments/{tid}/expire` | a registered cash payment expired unpaid: `status=Void` |
//! | `GET /_sim/behaviour` / `POST /_sim/behaviour` | the choices where the gateway is undocumented ([`crate::behaviour`]) |
//! | `GET /_sim/ledger[?order_id=O][&after=TID&limit=N]` | payments (one order's, or a page of at most 1,000 with `next`), registrations, the last deliveries and inbox entries |
//! | `GET /_sim/checkout` | a sample order, signed with `PaymentForm`, sent to the payment window (try it by hand) |
//! | `POST /_sim/returned` | the sample order's return_url: shows what came back, verified |
//! | `POST /_sim/faults` | scripts a fault (or a list) for the next matching requests |
//! | `POST /_sim/recurring/{id}/decline_next` `{"count": n, "rescode": "HE01"}` | scripts failed charges |
//! | `POST /_sim/inbox[?nack=n]` | a merchant endpoint: verifies, records and acknowledges callbacks |
//! | `GET /_sim/inbox` | what the inbox received |

use http::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Handled, json_response, text_response};
use crate::callbacks::Callback;
use crate::faults::Fault;
use crate::ledger::NewPayment;
use crate::sandbox::{FrontDoor, Sandbox};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClockChange {
    #[serde(default)]
    advance_days: i64,
    #[serde(default)]
    advance_seconds: i64,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Faults {
    One(Fault),
    Many(Vec<Fault>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeclineNext {
    count: u32,
    #[serde(default)]
    rescode: Option<String>,
}

fn bad_request(message: impl std::fmt::Display) -> Handled {
    handled(
        json_response(
            StatusCode::BAD_REQUEST,
            &json!({"error": message.to_string()}),
        ),
        Vec::new(),
    )
}

fn handled(response: Response<Vec<u8>>, callbacks: Vec<Callback>) -> Handled {
    Handled::with_callbacks(response, callbacks)
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Box<Handled>> {
    serde_json::from_slice(body).map_err(|e| Box::new(bad_request(e)))
}

fn clock_json(sandbox: &Sandbox) -> Value {
    json!({
        "now": sandbox.now().0,
        "kst_date": sandbox.now().kst_date().to_yyyymmdd(),
        "kst_datetime": sandbox.kst_datetime(),
    })
}

/// What a control request needs checked before the sandbox lock is taken: the fgkey of a
/// callback POSTed to the inbox (the only signature a control route checks).
#[derive(Debug)]
pub(crate) struct ControlRequest {
    /// For `POST /_sim/inbox`: whether the body carries this sandbox's valid fgkey.
    inbox_fgkey_valid: Option<bool>,
}

/// Checks what a `/_sim/…` request can be checked for without the sandbox's state.
pub(crate) fn prepare(front_door: &FrontDoor, request: &Request<Vec<u8>>) -> ControlRequest {
    let inbox_post = request.method() == Method::POST && request.uri().path() == "/_sim/inbox";
    ControlRequest {
        inbox_fgkey_valid: inbox_post.then(|| front_door.signer.verify_form(request.body())),
    }
}

/// Routes a `/_sim/…` request.
pub(crate) fn handle(
    sandbox: &mut Sandbox,
    request: &Request<Vec<u8>>,
    path: &str,
    read: ControlRequest,
) -> Handled {
    let body = request.body().as_slice();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let post = request.method() == Method::POST;
    let result = match (parts.as_slice(), post) {
        (["_sim", "clock"], false) => Ok(handled(
            json_response(StatusCode::OK, &clock_json(sandbox)),
            Vec::new(),
        )),
        (["_sim", "clock"], true) => parse::<ClockChange>(body).map(|change| {
            if change.advance_days < 0 || change.advance_seconds < 0 {
                return bad_request("the test clock only moves forward: advance_days and advance_seconds must not be negative");
            }
            let seconds = change
                .advance_days
                .saturating_mul(86_400)
                .saturating_add(change.advance_seconds);
            if seconds > crate::sandbox::MAX_ADVANCE_DAYS * 86_400 {
                return bad_request(format!(
                    "one advance moves the clock at most {} days",
                    crate::sandbox::MAX_ADVANCE_DAYS
                ));
            }
            let callbacks = sandbox.advance(seconds);
            let clock = json!({
                "now": sandbox.now().0,
                "kst_date": sandbox.now().kst_date().to_yyyymmdd(),
                "kst_datetime": sandbox.kst_datetime(),
                "charges": callbacks.len(),
            });
            handled(json_response(StatusCode::OK, &clock), callbacks)
        }),
        (["_sim", "payments"], true) => {
            parse::<NewPayment>(body).map(|new| match sandbox.create_payment(new) {
                Ok((payment, registration, callbacks)) => {
                    let answer = json!({
                        "transaction_id": payment.transaction_id,
                        "order_id": payment.order_id,
                        "currency": payment.currency,
                        "amount": payment.amount,
                        "transaction_type": payment.transaction_type,
                        "recurring_id": registration.as_ref().map(|r| &r.recurring_id),
                        "recurring_next": registration.as_ref().map(|r| r.first_charge.to_yyyymmdd()),
                    });
                    handled(json_response(StatusCode::OK, &answer), callbacks)
                }
                Err(message) => bad_request(message),
            })
        }
        (["_sim", "payments", tid, action @ ("settle" | "expire")], true) => {
            let result = if *action == "settle" {
                sandbox.settle_cash(tid)
            } else {
                sandbox.expire_cash(tid)
            };
            Ok(match result {
                Ok(callbacks) => handled(
                    json_response(
                        StatusCode::OK,
                        &json!({"transaction_id": tid, "status": if *action == "settle" { "Sale" } else { "Void" }}),
                    ),
                    callbacks,
                ),
                Err(message) => bad_request(message),
            })
        }
        (["_sim", "checkout"], false) => Ok(super::checkout::checkout(sandbox, request)),
        (["_sim", "returned"], true) => Ok(super::checkout::returned(sandbox, request)),
        (["_sim", "behaviour"], false) => Ok(handled(
            json_response(StatusCode::OK, &json!(sandbox.behaviour())),
            Vec::new(),
        )),
        (["_sim", "behaviour"], true) => parse::<crate::behaviour::Behaviour>(body).map(|behaviour| {
            sandbox.set_behaviour(behaviour);
            handled(json_response(StatusCode::OK, &json!(behaviour)), Vec::new())
        }),
        (["_sim", "ledger"], false) => {
            let query: Vec<(String, String)> = request
                .uri()
                .query()
                .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
                .unwrap_or_default();
            let get = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
            let limit = match get("limit").map(str::parse::<usize>) {
                None => crate::sandbox::LEDGER_PAGE_MAX,
                Some(Ok(limit)) => limit,
                Some(Err(_)) => return bad_request("limit must be a number"),
            };
            Ok(handled(
                json_response(
                    StatusCode::OK,
                    &sandbox.ledger_json(get("order_id"), get("after"), limit),
                ),
                Vec::new(),
            ))
        }
        (["_sim", "faults"], true) => parse::<Faults>(body).map(|faults| {
            let faults = match faults {
                Faults::One(fault) => vec![fault],
                Faults::Many(faults) => faults,
            };
            let queued = faults.len();
            for fault in faults {
                sandbox.add_fault(fault);
            }
            handled(
                json_response(StatusCode::OK, &json!({"queued": queued})),
                Vec::new(),
            )
        }),
        (["_sim", "recurring", id, "decline_next"], true) => parse::<DeclineNext>(body).map(|d| {
            let rescode = d.rescode.unwrap_or_else(|| "HE01".to_owned());
            if sandbox.decline_next_charges(id, d.count, &rescode) {
                handled(
                    json_response(
                        StatusCode::OK,
                        &json!({"recurring_id": id, "decline_next": d.count}),
                    ),
                    Vec::new(),
                )
            } else {
                handled(
                    json_response(
                        StatusCode::NOT_FOUND,
                        &json!({"error": "no such recurring id"}),
                    ),
                    Vec::new(),
                )
            }
        }),
        (["_sim", "inbox"], true) => {
            let nack = request
                .uri()
                .query()
                .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "nack"))
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let verified = read
                .inbox_fgkey_valid
                .unwrap_or_else(|| sandbox.verify_form(body));
            let response = if sandbox.inbox.receive(body, verified, nack) {
                text_response(
                    StatusCode::OK,
                    "application/x-www-form-urlencoded",
                    eximbay_core::notification::ACK_BODY.to_owned(),
                )
            } else {
                text_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain",
                    "not now".to_owned(),
                )
            };
            Ok(handled(response, Vec::new()))
        }
        (["_sim", "inbox"], false) => Ok(handled(
            json_response(StatusCode::OK, &json!(&sandbox.inbox)),
            Vec::new(),
        )),
        _ => Err(Box::new(handled(
            json_response(
                StatusCode::NOT_FOUND,
                &json!({"error": "unknown control endpoint"}),
            ),
            Vec::new(),
        ))),
    };
    result.unwrap_or_else(|error| *error)
}
