//! Test controls under `/_sim/` (JSON in, JSON out):
//!
//! | endpoint | does |
//! |---|---|
//! | `GET /_sim/clock` | the test clock: `now` (UNIX seconds), `kst_date`, `kst_datetime` |
//! | `POST /_sim/clock` `{"advance_days": n}` or `{"advance_seconds": s}` | moves the clock, running due charges |
//! | `POST /_sim/payments` | creates a payment as if the buyer completed the payment window (`"method": "cash"`: registered, not paid yet; `"token_creation": true`: a stored card, its `token_id` in the answer; `"transaction_type": "PAYER_AUTH"`: an authentication only, its `payer_auth_id` in the answer) |
//! | `GET /_sim/tokens` | stored cards (the newest 1,000): `token_id`, the payment that stored it, `Active` / `Deleted`, rebills |
//! | `GET /_sim/authentications` | payer authentications (the newest 1,000): `payer_auth_id`, order, amount, the payment a confirm made |
//! | `POST /_sim/payments/{tid}/settle` | the buyer of a registered cash payment paid: `status=Sale` |
//! | `POST /_sim/payments/{tid}/expire` | a registered cash payment expired unpaid: `status=Void` |
//! | `GET /_sim/behaviour` / `POST /_sim/behaviour` | the choices where the gateway is undocumented ([`crate::behaviour`]) |
//! | `GET /_sim/behaviour/sources` | each choice's values, default and the source it stands on, and the fixed readings ([`crate::behaviour::sources`]) |
//! | `GET /_sim/ledger[?order_id=O][&after=TID&limit=N][&recurring_after=ID]` | payments (one order's, or a page of at most 1,000 with `next`), registrations (1,000 at most, `recurring_next`), the last 1,000 delivery attempts, delivery and inbox counters |
//! | `GET /_sim/checkout` | a sample order, signed with `PaymentForm`, sent to the payment window (try it by hand) |
//! | `POST /_sim/returned` | the sample order's return_url: shows what came back, verified |
//! | `POST /_sim/faults` | scripts a fault (or a list) for the next matching requests |
//! | `POST /_sim/recurring/{id}/decline_next` `{"count": n, "rescode": "HE01"}` | scripts failed charges |
//! | `POST /_sim/inbox[?nack=n]` | a merchant endpoint: verifies, records and acknowledges callbacks |
//! | `GET /_sim/inbox[?after=N&limit=M]` | what the inbox received: entries numbered after `N` (at most 1,000 and 1 MiB a page, `next` names the following page), and its counters |

use http::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::pages::{AuthenticationsPage, ClockRun, Page, TokensPage, clock_json};
use super::{Handled, Locked, json_response, text_response};
use crate::callbacks::Callback;
use crate::commands::NewPayment;
use crate::faults::Fault;
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

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    serde_json::from_slice(body).map_err(|e| e.to_string())
}

/// A `/_sim/…` request, read whole before the sandbox lock is taken: the route, the parsed
/// and checked body, and for the inbox the callback's fgkey. Only what reads or changes the
/// state is left for [`handle`].
#[derive(Debug)]
pub(crate) enum ControlRequest {
    /// The body does not parse, or asks for what is never allowed: answered 400.
    Refused(String),
    ClockRead,
    /// Seconds to move the test clock forward (checked: not negative, not too far).
    Advance(i64),
    NewPayment(Box<NewPayment>),
    /// A registered cash payment paid (`settle`) or expired.
    FinishCash {
        tid: String,
        settle: bool,
    },
    Checkout,
    Returned,
    BehaviourRead,
    BehaviourSources,
    BehaviourSet(crate::behaviour::Behaviour),
    Ledger(super::pages::LedgerQuery),
    Faults(Vec<Fault>),
    DeclineNext {
        id: String,
        count: u32,
        rescode: String,
    },
    /// A callback for the inbox: whether its fgkey is this sandbox's, and how many
    /// deliveries to refuse (`?nack=`).
    InboxPost {
        verified: bool,
        nack: u32,
    },
    /// A page of the inbox: entries numbered after `after`, at most `limit`.
    InboxRead {
        after: u64,
        limit: usize,
    },
    /// The stored cards (`GET /_sim/tokens`).
    Tokens,
    /// The payer authentications (`GET /_sim/authentications`).
    Authentications,
    Unknown,
}

impl ControlRequest {
    /// Whether it reads a page of a growing state (answered with a copy serialised after
    /// the lock).
    #[cfg(feature = "server")]
    pub(crate) fn is_page(&self) -> bool {
        matches!(
            self,
            ControlRequest::Ledger(_)
                | ControlRequest::InboxRead { .. }
                | ControlRequest::Tokens
                | ControlRequest::Authentications
        )
    }
}

/// Reads a `/_sim/…` request without the sandbox's state: route, body, fgkey.
pub(crate) fn prepare(front_door: &FrontDoor, request: &Request<Vec<u8>>) -> ControlRequest {
    let body = request.body().as_slice();
    let path = request.uri().path();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let post = request.method() == Method::POST;
    let query: Vec<(String, String)> = request
        .uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let query_value = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let number = |key: &str, default: usize| match query_value(key).map(|v| v.parse::<usize>()) {
        None => Ok(default),
        Some(Ok(n)) => Ok(n),
        Some(Err(_)) => Err(format!("{key} must be a number")),
    };
    let parsed = match (parts.as_slice(), post) {
        (["_sim", "clock"], false) => Ok(ControlRequest::ClockRead),
        (["_sim", "clock"], true) => parse::<ClockChange>(body).and_then(|change| {
            if change.advance_days < 0 || change.advance_seconds < 0 {
                return Err("the test clock only moves forward: advance_days and advance_seconds must not be negative".to_owned());
            }
            let seconds = change
                .advance_days
                .saturating_mul(86_400)
                .saturating_add(change.advance_seconds);
            if seconds > crate::sandbox::MAX_ADVANCE_DAYS * 86_400 {
                return Err(format!(
                    "one advance moves the clock at most {} days",
                    crate::sandbox::MAX_ADVANCE_DAYS
                ));
            }
            Ok(ControlRequest::Advance(seconds))
        }),
        (["_sim", "payments"], true) => {
            parse::<NewPayment>(body).map(|new| ControlRequest::NewPayment(Box::new(new)))
        }
        (["_sim", "payments", tid, action @ ("settle" | "expire")], true) => {
            Ok(ControlRequest::FinishCash {
                tid: (*tid).to_owned(),
                settle: *action == "settle",
            })
        }
        (["_sim", "checkout"], false) => Ok(ControlRequest::Checkout),
        (["_sim", "tokens"], false) => Ok(ControlRequest::Tokens),
        (["_sim", "authentications"], false) => Ok(ControlRequest::Authentications),
        (["_sim", "returned"], true) => Ok(ControlRequest::Returned),
        (["_sim", "behaviour"], false) => Ok(ControlRequest::BehaviourRead),
        (["_sim", "behaviour", "sources"], false) => Ok(ControlRequest::BehaviourSources),
        (["_sim", "behaviour"], true) => parse(body).map(ControlRequest::BehaviourSet),
        (["_sim", "ledger"], false) => {
            number("limit", crate::sandbox::LEDGER_PAGE_MAX).map(|limit| {
                ControlRequest::Ledger(super::pages::LedgerQuery {
                    order_id: query_value("order_id"),
                    after: query_value("after"),
                    limit,
                    recurring_after: query_value("recurring_after"),
                })
            })
        }
        (["_sim", "faults"], true) => parse::<Faults>(body).map(|faults| {
            ControlRequest::Faults(match faults {
                Faults::One(fault) => vec![fault],
                Faults::Many(faults) => faults,
            })
        }),
        (["_sim", "recurring", id, "decline_next"], true) => {
            parse::<DeclineNext>(body).map(|d| ControlRequest::DeclineNext {
                id: (*id).to_owned(),
                count: d.count,
                rescode: d.rescode.unwrap_or_else(|| "HE01".to_owned()),
            })
        }
        (["_sim", "inbox"], true) => Ok(ControlRequest::InboxPost {
            verified: front_door.signer.verify_form(body),
            nack: query_value("nack").and_then(|v| v.parse().ok()).unwrap_or(0),
        }),
        (["_sim", "inbox"], false) => number("after", 0).and_then(|after| {
            let limit = number("limit", crate::callbacks::INBOX_PAGE_MAX)?;
            Ok(ControlRequest::InboxRead {
                after: after as u64,
                limit,
            })
        }),
        _ => Ok(ControlRequest::Unknown),
    };
    parsed.unwrap_or_else(ControlRequest::Refused)
}

/// Carries out a prepared `/_sim/…` request on the sandbox's state.
pub(crate) fn handle(
    sandbox: &mut Sandbox,
    request: &Request<Vec<u8>>,
    read: ControlRequest,
) -> Locked {
    let ok = |body: &Value| handled(json_response(StatusCode::OK, body), Vec::new());
    let handled = match read {
        ControlRequest::Refused(message) => bad_request(message),
        ControlRequest::ClockRead => ok(&clock_json(sandbox)),
        ControlRequest::Advance(seconds) => {
            return Locked::Advance(ClockRun::new(sandbox, seconds));
        }
        ControlRequest::NewPayment(new)
            if new
                .transaction_type
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("PAYER_AUTH")) =>
        {
            if new.method.is_some() || new.recurring.is_some() || new.token_creation {
                bad_request(
                    "a PAYER_AUTH is an authentication only: no method, recurring or token_creation",
                )
            } else {
                match sandbox.authenticate_payer(&new.order_id, &new.currency, &new.amount) {
                    Ok(payer_auth_id) => ok(&json!({
                        "payer_auth_id": payer_auth_id,
                        "order_id": new.order_id,
                        "currency": new.currency,
                        "amount": new.amount,
                        "transaction_type": "PAYER_AUTH",
                    })),
                    Err(message) => bad_request(message),
                }
            }
        }
        ControlRequest::NewPayment(new) => match sandbox.create_payment(*new) {
            Ok((payment, registration, callbacks)) => {
                let answer = json!({
                    "transaction_id": payment.transaction_id,
                    "token_id": sandbox.tokens.of_payment(&payment.transaction_id),
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
        },
        ControlRequest::FinishCash { tid, settle } => {
            let result = if settle {
                sandbox.settle_cash(&tid)
            } else {
                sandbox.expire_cash(&tid)
            };
            match result {
                Ok(callbacks) => handled(
                    json_response(
                        StatusCode::OK,
                        &json!({"transaction_id": tid, "status": if settle { "Sale" } else { "Void" }}),
                    ),
                    callbacks,
                ),
                Err(message) => bad_request(message),
            }
        }
        ControlRequest::Checkout => super::checkout::checkout(sandbox, request),
        ControlRequest::Returned => super::checkout::returned(sandbox, request),
        ControlRequest::BehaviourRead => ok(&json!(sandbox.behaviour())),
        ControlRequest::BehaviourSources => ok(&json!({
            "choices": crate::behaviour::sources::CHOICES,
            "fixed": crate::behaviour::sources::FIXED_READINGS,
        })),
        ControlRequest::BehaviourSet(behaviour) => {
            sandbox.set_behaviour(behaviour);
            ok(&json!(behaviour))
        }
        ControlRequest::Ledger(query) => {
            return Locked::Page(Page::Ledger(Box::new(sandbox.ledger_page(
                query.order_id.as_deref(),
                query.after.as_deref(),
                query.limit,
                query.recurring_after.as_deref(),
            ))));
        }
        ControlRequest::Faults(faults) if faults.len() > sandbox.fault_room() => {
            bad_request(format!(
                "at most {} faults are queued at once ({} more now)",
                crate::faults::MAX_FAULTS,
                sandbox.fault_room()
            ))
        }
        ControlRequest::Faults(faults) => {
            let queued = faults.len();
            for fault in faults {
                sandbox.add_fault(fault);
            }
            ok(&json!({"queued": queued}))
        }
        ControlRequest::DeclineNext { id, count, rescode } => {
            if sandbox.decline_next_charges(&id, count, &rescode) {
                ok(&json!({"recurring_id": id, "decline_next": count}))
            } else {
                handled(
                    json_response(
                        StatusCode::NOT_FOUND,
                        &json!({"error": "no such recurring id"}),
                    ),
                    Vec::new(),
                )
            }
        }
        ControlRequest::InboxPost { verified, nack } => {
            let response = if sandbox.inbox.receive(request.body(), verified, nack) {
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
            handled(response, Vec::new())
        }
        ControlRequest::InboxRead { after, limit } => {
            return Locked::Page(Page::Inbox(sandbox.inbox.page(after, limit)));
        }
        ControlRequest::Tokens => {
            return Locked::Page(Page::Tokens(TokensPage::copy(&sandbox.tokens)));
        }
        ControlRequest::Authentications => {
            return Locked::Page(Page::Authentications(AuthenticationsPage::copy(
                &sandbox.authentications,
            )));
        }
        ControlRequest::Unknown => handled(
            json_response(
                StatusCode::NOT_FOUND,
                &json!({"error": "unknown control endpoint"}),
            ),
            Vec::new(),
        ),
    };
    Locked::Done(handled)
}
