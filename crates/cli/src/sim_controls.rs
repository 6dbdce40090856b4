//! `eximbay sim <subcommand>`: drives a running sandbox through its `/_sim/` controls, as
//! `stripe trigger` drives Stripe's test mode. Each subcommand prints the sandbox's JSON
//! answer — the ids the next command needs (`transaction_id`, `token_id`, `payer_auth_id`,
//! `recurring_id`) among them. A refusal by the sandbox exits 2 with its message; a sandbox
//! that cannot be reached exits 5.

use serde_json::{Map, Value, json};

use crate::args::{Global, SimCommand};
use crate::failure::{Failure, exit};

/// Where `eximbay sim` listens unless told otherwise.
const DEFAULT_SANDBOX: &str = "http://127.0.0.1:8080";

/// Runs one control subcommand against the sandbox at `--base-url`.
pub fn run(global: &Global, command: SimCommand) -> Result<(), Failure> {
    let base = global.base_url.as_deref().unwrap_or(DEFAULT_SANDBOX);
    let sandbox = Controls {
        base: base.trim_end_matches('/').to_owned(),
        agent: ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into(),
    };
    let answer = match command {
        SimCommand::Pay {
            order_id,
            currency,
            amount,
            transaction_type,
            cash,
            store_card,
            status_url,
            recurring_amount,
            recurring_url,
            recurring_date,
        } => {
            let mut body = json!({"order_id": order_id, "currency": currency, "amount": amount});
            let mut set = |key: &str, value: Value| {
                if let Some(fields) = body.as_object_mut() {
                    fields.insert(key.to_owned(), value);
                }
            };
            if let Some(kind) = transaction_type {
                set("transaction_type", json!(kind.to_ascii_uppercase()));
            }
            if cash {
                set("method", json!("cash"));
            }
            if store_card {
                set("token_creation", json!(true));
            }
            if let Some(url) = status_url {
                set("status_url", json!(url));
            }
            if let (Some(amount), Some(url)) = (recurring_amount, recurring_url) {
                set(
                    "recurring",
                    json!({"amount": amount, "url": url, "date": recurring_date}),
                );
            }
            sandbox.post("/_sim/payments", &body)?
        }
        SimCommand::Settle { transaction_id } => sandbox.post(
            &format!("/_sim/payments/{transaction_id}/settle"),
            &json!({}),
        )?,
        SimCommand::Expire { transaction_id } => sandbox.post(
            &format!("/_sim/payments/{transaction_id}/expire"),
            &json!({}),
        )?,
        SimCommand::Clock {
            advance_days: None,
            advance_seconds: None,
        } => sandbox.get("/_sim/clock")?,
        SimCommand::Clock {
            advance_days,
            advance_seconds,
        } => sandbox.post(
            "/_sim/clock",
            &json!({
                "advance_days": advance_days.unwrap_or(0),
                "advance_seconds": advance_seconds.unwrap_or(0),
            }),
        )?,
        SimCommand::Fault {
            path_contains,
            kind,
            count,
            rescode,
            status,
            ms,
        } => {
            let mut fault = Map::new();
            fault.insert("path_contains".into(), json!(path_contains));
            fault.insert("count".into(), json!(count));
            fault.insert("kind".into(), json!(kind.to_ascii_lowercase()));
            if let Some(rescode) = rescode {
                fault.insert("rescode".into(), json!(rescode));
            }
            if let Some(status) = status {
                fault.insert("status".into(), json!(status));
            }
            if let Some(ms) = ms {
                fault.insert("ms".into(), json!(ms));
            }
            sandbox.post("/_sim/faults", &Value::Object(fault))?
        }
        SimCommand::FailCharges {
            recurring_id,
            count,
            rescode,
        } => sandbox.post(
            &format!("/_sim/recurring/{recurring_id}/decline_next"),
            &json!({"count": count, "rescode": rescode}),
        )?,
        SimCommand::Behaviour { set } if set.is_empty() => sandbox.get("/_sim/behaviour")?,
        SimCommand::Behaviour { set } => {
            // The endpoint takes the whole set of choices: read it, change what was named.
            let mut behaviour = sandbox.get("/_sim/behaviour")?;
            let choices = behaviour
                .as_object_mut()
                .ok_or_else(|| Failure::usage("the sandbox's /_sim/behaviour is not an object"))?;
            for assignment in set {
                let (name, value) = assignment.split_once('=').ok_or_else(|| {
                    Failure::usage(format!("--set {assignment}: write it as NAME=VALUE"))
                })?;
                let Some(choice) = choices.get_mut(name) else {
                    let known: Vec<&String> = choices.keys().collect();
                    return Err(Failure::usage(format!(
                        "--set {name}: the sandbox has no such choice; its choices are {known:?}"
                    )));
                };
                // true, false and numbers as JSON; anything else is the name of an option.
                *choice = serde_json::from_str(value).unwrap_or_else(|_| json!(value));
            }
            sandbox.post("/_sim/behaviour", &behaviour)?
        }
        SimCommand::Payments {
            order_id,
            after,
            limit,
        } => {
            let mut query = form_urlencoded::Serializer::new(String::new());
            if let Some(order_id) = order_id {
                query.append_pair("order_id", &order_id);
            }
            if let Some(after) = after {
                query.append_pair("after", &after);
            }
            if let Some(limit) = limit {
                query.append_pair("limit", &limit.to_string());
            }
            sandbox.get(&format!("/_sim/ledger?{}", query.finish()))?
        }
        SimCommand::Tokens => sandbox.get("/_sim/tokens")?,
        SimCommand::Authentications => sandbox.get("/_sim/authentications")?,
    };
    say!("{answer}");
    Ok(())
}

/// The sandbox's control endpoints, over plain HTTP.
struct Controls {
    base: String,
    agent: ureq::Agent,
}

impl Controls {
    fn get(&self, path: &str) -> Result<Value, Failure> {
        let url = format!("{}{path}", self.base);
        self.answer(&url, self.agent.get(&url).call())
    }

    fn post(&self, path: &str, body: &Value) -> Result<Value, Failure> {
        let url = format!("{}{path}", self.base);
        let sent = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(body.to_string());
        self.answer(&url, sent)
    }

    /// The sandbox's JSON answer; its refusal (a 4xx with `{"error": …}`) as exit 2, an
    /// unreachable sandbox as exit 5.
    fn answer(
        &self,
        url: &str,
        sent: Result<http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value, Failure> {
        let mut response = sent.map_err(|e| Failure {
            code: exit::TRANSPORT,
            message: format!(
                "the sandbox at {} could not be reached ({e}); start it with `eximbay sim`, \
                 or point --base-url at it",
                self.base
            ),
            stdout: None,
        })?;
        let status = response.status();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| Failure::usage(format!("{url}: the answer could not be read: {e}")))?;
        let answer: Value = serde_json::from_str(&text).map_err(|_| {
            Failure::usage(format!(
                "{url} answered HTTP {status}, not JSON: is this a sandbox of eximbay-sim?"
            ))
        })?;
        if status.is_success() {
            Ok(answer)
        } else {
            let error = answer
                .get("error")
                .and_then(Value::as_str)
                .map_or_else(|| answer.to_string(), str::to_owned);
            Err(Failure::usage(format!("the sandbox refused it: {error}")))
        }
    }
}
