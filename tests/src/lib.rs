//! The one home of the eximbay-rs test helpers (as rustls-test is rustls's): the seeds'
//! credentials, a canonical rendering of requests for snapshots, a scripted gateway (the
//! sandbox in-process, each request met by a script: answered, declined, lost before or
//! after it applied), and in modules of their own the sandbox for tests
//! ([`sandbox::start_sandbox`], the one function that starts one), a misbehaving loopback
//! server, a throwaway PostgreSQL server and a headless Chromium. The cross-crate suites,
//! the CLI's and the merchant example's tests use them (a dev-dependency); this crate
//! depends on neither of those two, so the graph has no cycle.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod browser;
pub mod loopback;
pub mod postgres;
pub mod sandbox;

use std::collections::BTreeSet;

use http::{Request, Response};
use serde_json::Value;

use eximbay_core::{ApiKey, Config, Environment, Mid, SecretKey};
use eximbay_sim::{
    Behaviour, Fault, FaultKind, LedgerPayment, NewPayment, RefundBalance, Sandbox, SandboxConfig,
};

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

/// How the scripted gateway should treat the next request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// Process it and answer.
    Answer,
    /// Refuse it with a decline code (`HE01`), changing nothing.
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

/// The gateway for the sans-IO tests of the core's machines, the adapters' loopback runs
/// and the lifecycle example: the sandbox ([`eximbay_sim::Sandbox`], in-process) with a
/// script for each request. Payments are registered under the transaction ids the tests
/// name ([`TID`]).
///
/// It was once a second gateway model of its own, a small ledger reading untyped JSON.
/// That second picture of the gateway stood on no source and no named choice (DESIGN §5),
/// so the tests could pass against a gateway that nothing documents; it is the sandbox now,
/// under its defaults except one stricter choice: `v1_refund_balance: required` (every
/// seed sample sends the `balance` guard, and the client must too). A decline is the
/// sandbox's own scripted fault; a lost request never reaches it.
#[derive(Clone, Debug)]
pub struct ScriptedGateway {
    /// The sandbox that answers.
    pub sandbox: Sandbox,
}

impl Default for ScriptedGateway {
    fn default() -> Self {
        let behaviour = Behaviour {
            v1_refund_balance: RefundBalance::Required,
            ..Behaviour::default()
        };
        ScriptedGateway {
            sandbox: Sandbox::new(SandboxConfig {
                behaviour,
                ..SandboxConfig::default()
            }),
        }
    }
}

impl ScriptedGateway {
    /// Registers an authorized (`AUTHORIZE`) payment under `tid`.
    pub fn authorize(&mut self, tid: &str, order_id: &str, currency: &str, amount: &str) {
        let new = NewPayment::new(order_id, currency, amount).with_transaction_type("AUTHORIZE");
        self.register(tid, &new);
    }

    /// Registers a cash payment (`PAYMENT`) the buyer has not paid yet under `tid`.
    pub fn register_cash(&mut self, tid: &str, order_id: &str, currency: &str, amount: &str) {
        self.register(
            tid,
            &NewPayment::new(order_id, currency, amount).with_method("cash"),
        );
    }

    /// Opens `new` in the sandbox's ledger under the transaction id `tid`.
    fn register(&mut self, tid: &str, new: &NewPayment) {
        let mid = self.sandbox.config().mid.clone();
        let date = self.sandbox.kst_datetime();
        let mut payment = self.sandbox.ledger.open(new, &mid, &date).unwrap();
        payment.transaction_id = tid.to_owned();
        self.sandbox.ledger.insert(payment).unwrap();
    }

    /// The buyer of a registered cash payment paid (`status=Sale`); `false` when the
    /// payment is not awaiting payment.
    pub fn settle_cash(&mut self, tid: &str) -> bool {
        self.sandbox.settle_cash(tid).is_ok()
    }

    /// A registered cash payment expired unpaid (`status=Void`); `false` when the payment
    /// is not awaiting payment.
    pub fn expire_cash(&mut self, tid: &str) -> bool {
        self.sandbox.expire_cash(tid).is_ok()
    }

    /// The payment registered under `tid`, as the sandbox's ledger holds it.
    pub fn payment(&self, tid: &str) -> &LedgerPayment {
        self.sandbox.ledger.payment(tid).unwrap()
    }

    /// Every refund id the gateway applied. Panics if a refund was applied twice under
    /// one id (the ids' refunds would not add up to what was refunded).
    pub fn applied_refund_ids(&self) -> BTreeSet<String> {
        let mut ids = BTreeSet::new();
        for payment in self.sandbox.ledger.payments() {
            if payment.captured {
                let kept: rust_decimal::Decimal = payment.refunds.values().map(|r| r.amount).sum();
                assert_eq!(
                    kept, payment.refunded,
                    "a refund id was applied twice on {}",
                    payment.transaction_id
                );
            }
            ids.extend(payment.refunds.keys().cloned());
        }
        ids
    }

    /// Handles one request according to the script.
    pub fn handle(&mut self, req: &Request<Vec<u8>>, script: Script) -> Reply {
        match script {
            Script::DropBeforeApply => return Reply::Lost,
            Script::Decline => {
                let added = self.sandbox.add_fault(Fault {
                    path_contains: String::new(),
                    count: 1,
                    kind: FaultKind::Decline {
                        rescode: "HE01".to_owned(),
                        status: None,
                    },
                });
                assert!(added, "the fault queue has room");
            }
            Script::Answer | Script::ApplyThenDrop => {}
        }
        let answer = self.sandbox.handle(req).response;
        match script {
            Script::ApplyThenDrop => Reply::Lost,
            _ => Reply::Response(answer),
        }
    }
}
