//! The one home of the eximbay-rs test helpers (as rustls-test is rustls's): the seeds'
//! credentials, a canonical rendering of requests for snapshots, a small scripted gateway
//! ledger that reads requests from their bytes (independently of the core's types) and
//! answers like the gateway, and in modules of their own the sandbox for tests
//! ([`sandbox::start_sandbox`], the one function that starts one), a misbehaving loopback
//! server, a throwaway PostgreSQL server and a headless Chromium. The cross-crate suites,
//! the CLI's and the merchant example's tests use them (a dev-dependency); this crate
//! depends on neither of those two, so the graph has no cycle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod browser;
pub mod loopback;
pub mod postgres;
pub mod sandbox;

use std::collections::{BTreeMap, BTreeSet};

use http::{Request, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use eximbay_core::{ApiKey, Config, Environment, Mid, SecretKey};

/// The seeds' sample MID.
pub const MID: &str = "1849705C64";
/// The seeds' sample test API key.
pub const API_KEY: &str = "test_1849705C642C217E0B2D";
/// `Basic base64("test_1849705C642C217E0B2D:")`, as in every seed sample.
pub const SEED_AUTHORIZATION: &str = "Basic dGVzdF8xODQ5NzA1QzY0MkMyMTdFMEIyRDo=";
/// The public test secret key.
pub const SECRET_KEY: &str = "289F40E6640124B2628640168C3C5464";
/// A transaction id of the seeds.
pub const TID: &str = "1849705C6420220922000016";

/// The test-environment configuration with the seeds' credentials and the public secret.
pub fn test_config() -> Config {
    Config::new(
        Environment::Test,
        Mid::new(MID).unwrap(),
        ApiKey::new(API_KEY).unwrap(),
    )
    .unwrap()
    .with_secret_key(SecretKey::new(SECRET_KEY).unwrap())
}

/// Renders a request for a snapshot: method and URI, headers sorted by name with the
/// `Authorization` value redacted, then the body (pretty JSON in field order, or one
/// decoded `k=v` per line for forms).
pub fn render_request(req: &Request<Vec<u8>>) -> String {
    let mut out = format!("{} {}\n", req.method(), req.uri());
    let mut headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .map(|(name, value)| {
            let shown = if name == http::header::AUTHORIZATION {
                let sensitive = if value.is_sensitive() {
                    "sensitive"
                } else {
                    "NOT SENSITIVE"
                };
                format!("Basic [redacted, {sensitive}]")
            } else {
                value.to_str().unwrap().to_owned()
            };
            (name.as_str().to_owned(), shown)
        })
        .collect();
    headers.sort();
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push('\n');
    let content_type = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    if content_type.starts_with("application/json") {
        let value: Value = serde_json::from_slice(req.body()).unwrap();
        out.push_str(&serde_json::to_string_pretty(&value).unwrap());
    } else {
        for (k, v) in form_urlencoded::parse(req.body()) {
            out.push_str(&format!("{k}={v}\n"));
        }
    }
    out
}

/// A response with a status and a body.
pub fn response(status: u16, body: impl Into<Vec<u8>>) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .body(body.into())
        .unwrap()
}

/// A JSON response.
pub fn json_response(status: u16, body: &Value) -> Response<Vec<u8>> {
    response(status, serde_json::to_vec(body).unwrap())
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// How the scripted gateway should treat the next request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// Process it and answer.
    Answer,
    /// Refuse it with a decline code, changing nothing.
    Decline,
    /// Process it, then lose the answer.
    ApplyThenDrop,
    /// Lose the request before it is processed.
    DropBeforeApply,
}

/// What the scripted gateway answered.
#[derive(Debug)]
pub enum Reply {
    /// An HTTP answer.
    Response(Response<Vec<u8>>),
    /// No answer (the connection was lost).
    Lost,
}

/// One payment in the scripted gateway's ledger, in the gateway's terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerEntry {
    /// Order id.
    pub order_id: String,
    /// Currency code.
    pub currency: String,
    /// Amount, as registered.
    pub amount: String,
    /// Whether capture is manual (AUTHORIZE).
    pub manual_capture: bool,
    /// A cash / bank-transfer payment: registered first, paid (captured) or expired later.
    pub cash: bool,
    /// Captured.
    pub captured: bool,
    /// Voided before capture.
    pub voided: bool,
    /// Refunded so far.
    pub refunded: Decimal,
    /// Refunds by refund id: (amount, refund transaction id).
    pub refunds: BTreeMap<String, (Decimal, String)>,
    /// Number of capture requests that were applied (must never exceed 1).
    pub captures_applied: u32,
}

impl LedgerEntry {
    fn balance(&self) -> Decimal {
        if self.voided {
            Decimal::ZERO
        } else {
            dec(&self.amount) - self.refunded
        }
    }
}

/// A scripted, in-memory gateway that understands capture, cancel and retrieve requests
/// by reading their JSON, checks what the real gateway checks (`balance` guard, unique
/// `refund_id`, capture once), and answers in the gateway's wire format, quirks included.
#[derive(Clone, Debug, Default)]
pub struct ScriptedGateway {
    /// Payments by transaction id.
    pub ledger: BTreeMap<String, LedgerEntry>,
    /// Every refund id ever applied (to prove none is applied twice).
    pub applied_refund_ids: BTreeSet<String>,
    sequence: u32,
}

impl ScriptedGateway {
    /// Registers an authorized (`AUTHORIZE`) payment.
    pub fn authorize(&mut self, tid: &str, order_id: &str, currency: &str, amount: &str) {
        self.ledger.insert(
            tid.to_owned(),
            LedgerEntry {
                order_id: order_id.to_owned(),
                currency: currency.to_owned(),
                amount: amount.to_owned(),
                manual_capture: true,
                cash: false,
                captured: false,
                voided: false,
                refunded: Decimal::ZERO,
                refunds: BTreeMap::new(),
                captures_applied: 0,
            },
        );
    }

    /// Registers a cash payment (`PAYMENT`) the buyer has not paid yet.
    pub fn register_cash(&mut self, tid: &str, order_id: &str, currency: &str, amount: &str) {
        self.authorize(tid, order_id, currency, amount);
        if let Some(entry) = self.ledger.get_mut(tid) {
            entry.manual_capture = false;
            entry.cash = true;
        }
    }

    /// The buyer of a registered cash payment paid (`status=Sale`); `false` when the
    /// payment is not awaiting payment.
    pub fn settle_cash(&mut self, tid: &str) -> bool {
        match self.ledger.get_mut(tid) {
            Some(e) if e.cash && !e.captured && !e.voided => {
                e.captured = true;
                true
            }
            _ => false,
        }
    }

    /// A registered cash payment expired unpaid (`status=Void`); `false` when the payment
    /// is not awaiting payment.
    pub fn expire_cash(&mut self, tid: &str) -> bool {
        match self.ledger.get_mut(tid) {
            Some(e) if e.cash && !e.captured && !e.voided => {
                e.voided = true;
                true
            }
            _ => false,
        }
    }

    fn decline(code: &str, msg: &str) -> Response<Vec<u8>> {
        json_response(200, &json!({"rescode": code, "resmsg": msg}))
    }

    /// Handles one request according to the script.
    pub fn handle(&mut self, req: &Request<Vec<u8>>, script: Script) -> Reply {
        if script == Script::DropBeforeApply {
            return Reply::Lost;
        }
        if script == Script::Decline {
            return Reply::Response(Self::decline("HE01", "Declined by issuer"));
        }
        let answer = self.process(req);
        match script {
            Script::ApplyThenDrop => Reply::Lost,
            _ => Reply::Response(answer),
        }
    }

    fn process(&mut self, req: &Request<Vec<u8>>) -> Response<Vec<u8>> {
        let auth = req.headers().get(http::header::AUTHORIZATION);
        if auth.map(|v| v.to_str().unwrap()) != Some(SEED_AUTHORIZATION) {
            return Self::decline("EC1000", "Authentication failed");
        }
        let body: Value = match serde_json::from_slice(req.body()) {
            Ok(body) => body,
            Err(_) => return Self::decline("EC00", "Invalid JSON"),
        };
        let path = req.uri().path().to_owned();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match parts.as_slice() {
            ["v1", "payments", "retrieve"] => self.retrieve(&body),
            ["v1", "payments", tid, "capture"] => self.capture(tid, &body),
            ["v1", "payments", tid, "cancel"] => self.cancel(tid, &body),
            _ => response(404, "<html><body>Not Found</body></html>"),
        }
    }

    fn capture(&mut self, tid: &str, body: &Value) -> Response<Vec<u8>> {
        let Some(entry) = self.ledger.get_mut(tid) else {
            return Self::decline("EC1002", "Invalid transaction_id");
        };
        let payment = &body["payment"];
        if payment["amount"].as_str().map(dec) != Some(dec(&entry.amount)) {
            return Self::decline("EC00", "amount mismatch");
        }
        if !entry.manual_capture || entry.captured || entry.voided {
            return Self::decline("EC00", "Not capturable");
        }
        entry.captured = true;
        entry.captures_applied += 1;
        json_response(
            200,
            &json!({
                "rescode": "0000", "resmsg": "Success.", "mid": MID,
                "payment": {
                    "order_id": entry.order_id, "currency": entry.currency, "amount": entry.amount,
                    "transaction_id": tid, "captured_date": "20220922114212",
                    "partially_cancelable ": "Y"
                }
            }),
        )
    }

    fn cancel(&mut self, tid: &str, body: &Value) -> Response<Vec<u8>> {
        self.sequence += 1;
        let sequence = self.sequence;
        let Some(entry) = self.ledger.get_mut(tid) else {
            return Self::decline("EC1002", "Invalid transaction_id");
        };
        let refund = &body["refund"];
        let payment = &body["payment"];
        let refund_id = refund["refund_id"].as_str().unwrap_or_default().to_owned();
        if payment.get("oreder_id").is_some() {
            return Self::decline("EC00", "unknown field oreder_id");
        }
        let answer = |entry: &LedgerEntry, amount: Decimal, refund_tid: &str| {
            json_response(
                200,
                &json!({
                    "rescode": "0000", "resmsg": "Success.", "mid": MID,
                    "refund": {
                        "refund_amount": format!("{amount:.2}"), "refund_id": refund_id,
                        "refund_date": "20220922113927", "refund_transaction_id": refund_tid
                    },
                    "payment": {
                        "order_id": entry.order_id, "currency": entry.currency,
                        "amount": entry.amount, "transaction_id": tid,
                        "balance": format!("{:.2}", entry.balance()),
                        "payment_method": "P101"
                    },
                    "foreign": {"foregin_currency": entry.currency, "foregin_amount": entry.amount, "foregin_rate": "0"}
                }),
            )
        };
        // A repeated refund id is answered with the original refund, changing nothing.
        if let Some((amount, refund_tid)) = entry.refunds.get(&refund_id).cloned() {
            return answer(entry, amount, &refund_tid);
        }
        let Some(amount) = refund["refund_amount"].as_str().map(dec) else {
            return Self::decline("EC00", "refund_amount missing");
        };
        let Some(balance) = payment["balance"].as_str().map(dec) else {
            return Self::decline("EC00", "balance missing");
        };
        if balance != entry.balance() {
            return Self::decline("EC00", "balance does not match");
        }
        if entry.cash && !entry.captured {
            return Self::decline("EC00", "not paid yet");
        }
        if entry.voided || amount <= Decimal::ZERO || amount > entry.balance() {
            return Self::decline("EC00", "refund_amount exceeds balance");
        }
        match refund["refund_type"].as_str() {
            Some("F") if amount == dec(&entry.amount) && entry.refunded.is_zero() => {}
            Some("P") if entry.captured => {}
            _ => return Self::decline("EC00", "invalid refund_type"),
        }
        if entry.captured {
            entry.refunded += amount;
        } else {
            entry.voided = true;
        }
        let refund_tid = format!("{MID}2022092299{sequence:04}");
        entry
            .refunds
            .insert(refund_id.clone(), (amount, refund_tid.clone()));
        assert!(
            self.applied_refund_ids.insert(refund_id.clone()),
            "refund id {refund_id} applied twice"
        );
        let entry = &self.ledger[tid];
        answer(entry, amount, &refund_tid)
    }

    fn retrieve(&self, body: &Value) -> Response<Vec<u8>> {
        let tid = body["payment"]["transaction_id"]
            .as_str()
            .unwrap_or_default();
        let Some(entry) = self.ledger.get(tid) else {
            return Self::decline("EC1002", "Invalid transaction_id");
        };
        // The gateway's vocabulary: SALE, AUTH or REGISTERED, read with the balance (a
        // reversed authorization is AUTH with balance 0, a refunded sale SALE with balance 0,
        // an expired registration REGISTERED with balance 0).
        let status = if entry.captured || (!entry.manual_capture && !entry.cash) {
            "SALE"
        } else if entry.cash {
            "REGISTERED"
        } else {
            "AUTH"
        };
        let mut payment = json!({
            "order_id": entry.order_id, "currency": entry.currency, "amount": entry.amount,
            "transaction_id": tid, "transaction_type": "AUTHORIZE", "status": status,
            "balance": format!("{:.2}", entry.balance()),
        });
        if entry.captured {
            payment["captured_date"] = json!("20220922114212");
        }
        json_response(
            200,
            &json!({"rescode": "0000", "resmsg": "Success.", "mid": MID, "payment": payment}),
        )
    }
}
