//! The sans-IO sandbox: a ledger, a test clock, scripted faults and signed callbacks.
//!
//! [`Sandbox::handle`] takes a request and returns what to answer, how (now, after a delay,
//! or not at all: the connection is dropped after the request was applied) and which
//! signed callbacks to deliver. The server ([`crate::server`]) does the I/O; tests can call
//! `handle` in-process.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use eximbay_core::{Amount, Currency, Date, SecretKey, Timestamp, fgkey};
use http::{Method, Request, Response, StatusCode};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::behaviour::{
    Behaviour, FullRefundAfterPartial, LegacySignature, RepeatedRefundId, UnknownTransaction,
};
use crate::wire;

/// The public test MID, API key and secret the sandbox uses unless configured otherwise.
pub const DEFAULT_MID: &str = "1849705C64";
/// Default API key (Eximbay's public test key).
pub const DEFAULT_API_KEY: &str = "test_1849705C642C217E0B2D";
/// Default secret key (the public test secret).
pub const DEFAULT_SECRET_KEY: &str = "289F40E6640124B2628640168C3C5464";
/// Attempts at delivering one callback (the first and three retries).
pub const CALLBACK_ATTEMPTS: u32 = 4;

/// Who the sandbox is.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The merchant id it serves.
    pub mid: String,
    /// The API key it accepts.
    pub api_key: String,
    /// The secret it signs callbacks with.
    pub secret_key: String,
    /// The test clock's start.
    pub start: Timestamp,
    /// The choices where the gateway's behaviour is not documented.
    pub behaviour: Behaviour,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            mid: DEFAULT_MID.to_owned(),
            api_key: DEFAULT_API_KEY.to_owned(),
            secret_key: DEFAULT_SECRET_KEY.to_owned(),
            // 2026-01-01T12:00:00+09:00
            start: Timestamp(1_767_236_400),
            behaviour: Behaviour::default(),
        }
    }
}

/// How to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Answer now.
    Respond,
    /// Answer after a delay.
    Delay(Duration),
    /// The request was applied; drop the connection without answering.
    Drop,
}

/// A signed form POST to the merchant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Callback {
    /// `status_url` or `recurringURL`.
    pub url: String,
    /// The form body, fgkey included.
    pub body: String,
    /// The transaction it is about.
    pub transaction_id: String,
}

/// What to do with one request.
#[derive(Debug)]
pub struct Handled {
    /// The answer.
    pub response: Response<Vec<u8>>,
    /// How to deliver it.
    pub disposition: Disposition,
    /// Callbacks to deliver (until acknowledged, [`CALLBACK_ATTEMPTS`] at most).
    pub callbacks: Vec<Callback>,
}

impl Handled {
    fn respond(response: Response<Vec<u8>>) -> Self {
        Handled {
            response,
            disposition: Disposition::Respond,
            callbacks: Vec::new(),
        }
    }
}

/// A scripted fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// HTTP 500 with a plain body; nothing applied.
    Http500,
    /// HTTP 502 with an HTML page (a proxy in front of the gateway); nothing applied.
    Html502,
    /// Apply, then answer after `ms` milliseconds.
    Delay {
        /// The delay.
        ms: u64,
    },
    /// Refuse with this `rescode` (in a JSON body with HTTP `status`, 200 unless given);
    /// nothing applied.
    Decline {
        /// The result code.
        rescode: String,
        /// The HTTP status of the answer (`503` with `ES99`, say).
        #[serde(default)]
        status: Option<u16>,
    },
    /// Apply, then drop the connection without answering (the ambiguous case).
    ApplyThenDrop,
}

/// A fault for the next `count` requests whose path contains `path_contains`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// Substring of the request path (`/capture`, `/cancel`, `DirectProcessor`, …).
    #[serde(default)]
    pub path_contains: String,
    /// How many requests it applies to.
    #[serde(default = "one")]
    pub count: u32,
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
}

fn one() -> u32 {
    1
}

/// One payment in the ledger.
#[derive(Clone, Debug, Serialize)]
pub struct LedgerPayment {
    /// The gateway's id.
    pub transaction_id: String,
    /// The merchant's order id.
    pub order_id: String,
    /// Currency code.
    pub currency: String,
    /// Amount as registered.
    pub amount: String,
    /// `AUTHORIZE` or `PAYMENT`.
    pub transaction_type: String,
    /// Paid by a cash or bank-transfer method (registered first, paid later).
    pub cash: bool,
    /// Registered, the buyer has not paid yet (cash and bank-transfer methods).
    pub awaiting_payment: bool,
    /// Captured (manually, or automatically for `PAYMENT`).
    pub captured: bool,
    /// Cancelled before capture (or, for cash methods, expired before payment).
    pub voided: bool,
    /// Refunded so far.
    pub refunded: Decimal,
    /// Refunds by refund id.
    pub refunds: BTreeMap<String, LedgerRefund>,
    /// Capture requests applied (never more than one).
    pub captures_applied: u32,
    /// Where the status callback goes.
    pub status_url: Option<String>,
    /// `YYYYMMDDhhmmss` (KST) of the capture.
    pub captured_date: Option<String>,
}

/// One refund.
#[derive(Clone, Debug, Serialize)]
pub struct LedgerRefund {
    /// Amount.
    pub amount: Decimal,
    /// The refund's own transaction id.
    pub refund_transaction_id: String,
    /// `YYYYMMDDhhmmss` (KST).
    pub refund_date: String,
}

impl LedgerPayment {
    fn total(&self) -> Decimal {
        Amount::parse(&self.amount)
            .map(|a| a.value())
            .unwrap_or_default()
    }

    /// What is still refundable.
    pub fn balance(&self) -> Decimal {
        if self.voided {
            Decimal::ZERO
        } else {
            self.total() - self.refunded
        }
    }

    /// The retrieve `status`: the gateway's vocabulary is `SALE | AUTH | REGISTERED | NONE`,
    /// read with `balance` — a refunded sale is `SALE` with balance 0, a reversed
    /// authorization `AUTH` with balance 0, an expired registration `REGISTERED` with 0.
    fn remote_status(&self) -> &'static str {
        if self.captured {
            "SALE"
        } else if self.cash {
            "REGISTERED"
        } else {
            "AUTH"
        }
    }
}

/// Where a recurring registration stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// Charging monthly.
    Active,
    /// The current charge failed; retried the next day.
    Retrying,
    /// Terminated by the merchant.
    TerminatedByMerchant,
    /// Terminated after the third failed charge.
    TerminatedAfterFailures,
}

impl RegistrationStatus {
    /// Whether no more charges will run.
    pub fn is_terminated(self) -> bool {
        matches!(
            self,
            RegistrationStatus::TerminatedByMerchant | RegistrationStatus::TerminatedAfterFailures
        )
    }
}

/// One recurring registration.
#[derive(Clone, Debug, Serialize)]
pub struct Registration {
    /// `recurringID`.
    pub recurring_id: String,
    /// The registering payment's order id.
    pub order_id: String,
    /// Currency code.
    pub currency: String,
    /// Monthly amount.
    pub amount: String,
    /// Where charge results go.
    pub url: String,
    /// The first recurring charge date; charge `k` is due `k` months later.
    pub first_charge: Date,
    /// Successful charges so far.
    pub charges_done: u32,
    /// Failed attempts at the current charge.
    pub failed_attempts: u32,
    /// When the next attempt runs (the due date, or the next day while retrying).
    pub next_attempt: Date,
    /// Status.
    pub status: RegistrationStatus,
    /// The day of the last charge attempt (KST).
    pub last_attempt: Option<Date>,
    /// Charges to decline next (scripted): how many, with which rescode.
    pub decline_next: u32,
    /// The rescode of scripted declines.
    pub decline_rescode: String,
}

impl Registration {
    /// The due date of the current charge.
    pub fn due(&self) -> Date {
        self.first_charge.add_months(self.charges_done)
    }
}

/// One callback delivery attempt, as logged by the server.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    /// Where.
    pub url: String,
    /// About which transaction.
    pub transaction_id: String,
    /// Attempt number (1-based).
    pub attempt: u32,
    /// Whether the merchant acknowledged it.
    pub acknowledged: bool,
}

/// A notification the built-in merchant inbox received.
#[derive(Clone, Debug, Serialize)]
pub struct InboxEntry {
    /// The raw form body.
    pub body: String,
    /// Whether its fgkey verified with the sandbox's secret.
    pub verified: bool,
    /// Whether the inbox acknowledged it.
    pub acknowledged: bool,
}

/// The whole sandbox state.
#[derive(Debug)]
pub struct Sandbox {
    cfg: SandboxConfig,
    secret: Option<SecretKey>,
    now: Timestamp,
    sequence: u64,
    /// Payments by transaction id.
    pub payments: BTreeMap<String, LedgerPayment>,
    /// Registrations by recurring id.
    pub registrations: BTreeMap<String, Registration>,
    faults: Vec<Fault>,
    /// Callback deliveries, as reported by the server.
    pub deliveries: Vec<Delivery>,
    /// What the built-in merchant inbox received.
    pub inbox: Vec<InboxEntry>,
    inbox_refusals: BTreeMap<String, u32>,
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response<Vec<u8>> {
    let mut response = Response::new(serde_json::to_vec(body).unwrap_or_default());
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

fn gateway_error(rescode: &str, resmsg: &str) -> Response<Vec<u8>> {
    json_response(
        StatusCode::OK,
        &json!({"rescode": rescode, "resmsg": resmsg}),
    )
}

fn text_response(
    status: StatusCode,
    content_type: &'static str,
    body: String,
) -> Response<Vec<u8>> {
    let mut response = Response::new(body.into_bytes());
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    response
}

/// A 24-character transaction id: MID + KST date + the last six digits of the sequence.
fn transaction_id(mid: &str, now: Timestamp, sequence: u64) -> String {
    format!(
        "{mid}{}{:06}",
        now.kst_date().to_yyyymmdd(),
        sequence % 1_000_000
    )
}

/// Checks an amount string for a currency the way the gateway does.
fn valid_amount(text: &str, currency: &str) -> Option<Decimal> {
    let amount = Amount::parse(text).ok()?;
    amount.check_currency(&Currency::from_code(currency)).ok()?;
    Some(amount.value())
}

impl Sandbox {
    /// A sandbox with an empty ledger.
    pub fn new(cfg: SandboxConfig) -> Self {
        let secret = SecretKey::new(&cfg.secret_key).ok();
        Sandbox {
            now: cfg.start,
            cfg,
            secret,
            sequence: 0,
            payments: BTreeMap::new(),
            registrations: BTreeMap::new(),
            faults: Vec::new(),
            deliveries: Vec::new(),
            inbox: Vec::new(),
            inbox_refusals: BTreeMap::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SandboxConfig {
        &self.cfg
    }

    /// The test clock.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// The choices where the gateway's behaviour is not documented.
    pub fn behaviour(&self) -> Behaviour {
        self.cfg.behaviour
    }

    /// Changes those choices (tests run the client under each).
    pub fn set_behaviour(&mut self, behaviour: Behaviour) {
        self.cfg.behaviour = behaviour;
    }

    /// Writes an amount the way the gateway echoes it ([`Behaviour::echoed_amounts`]).
    pub fn echo(&self, value: Decimal, currency: &str) -> String {
        self.cfg.behaviour.echoed_amounts.write(value, currency)
    }

    /// Echoes an amount text as registered (unreadable text is echoed as it is).
    fn echo_text(&self, text: &str, currency: &str) -> String {
        match Amount::parse(text) {
            Ok(amount) => self.echo(amount.value(), currency),
            Err(_) => text.to_owned(),
        }
    }

    /// Adds scripted faults.
    pub fn add_fault(&mut self, fault: Fault) {
        self.faults.push(fault);
    }

    /// Removes every scripted fault not used yet.
    pub fn clear_faults(&mut self) {
        self.faults.clear();
    }

    /// Signs form fields with the sandbox secret and encodes them.
    pub fn signed_form(&self, fields: &[(&str, String)]) -> String {
        let pairs = fields.iter().map(|(k, v)| (*k, v.as_str()));
        let fgkey = self
            .secret
            .as_ref()
            .map(|secret| fgkey::sign(secret, pairs))
            .unwrap_or_default();
        let mut form = form_urlencoded::Serializer::new(String::new());
        for (k, v) in fields {
            form.append_pair(k, v);
        }
        form.append_pair("fgkey", &fgkey);
        form.finish()
    }

    fn next_sequence(&mut self) -> u64 {
        self.sequence += 1;
        self.sequence
    }

    /// A new 24-character transaction id: MID + KST date + sequence.
    fn new_transaction_id(&mut self) -> String {
        let sequence = self.next_sequence();
        transaction_id(&self.cfg.mid, self.now, sequence)
    }

    /// `YYYYMMDDhhmmss` in KST.
    pub fn kst_datetime(&self) -> String {
        let local = self.now.0 + eximbay_core::time::KST_OFFSET_SECONDS;
        let seconds = local.rem_euclid(86_400);
        format!(
            "{}{:02}{:02}{:02}",
            self.now.kst_date().to_yyyymmdd(),
            seconds / 3600,
            seconds / 60 % 60,
            seconds % 60
        )
    }

    /// Handles one request.
    pub fn handle(&mut self, request: &Request<Vec<u8>>) -> Handled {
        let path = request.uri().path().to_owned();
        if path.starts_with("/_sim/") {
            return self.control(request, &path);
        }
        let fault = self.take_fault(&path);
        match &fault {
            Some(FaultKind::Http500) => {
                return Handled::respond(text_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "text/plain",
                    "Internal Server Error".to_owned(),
                ));
            }
            Some(FaultKind::Html502) => {
                return Handled::respond(text_response(
                    StatusCode::BAD_GATEWAY,
                    "text/html",
                    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>".to_owned(),
                ));
            }
            Some(FaultKind::Decline { rescode, status }) => {
                let mut response = gateway_error(rescode, "Declined (scripted)");
                if let Some(status) = status.and_then(|s| StatusCode::from_u16(s).ok()) {
                    *response.status_mut() = status;
                }
                return Handled::respond(response);
            }
            _ => {}
        }
        let mut handled = if path == crate::DIRECT_PROCESSOR_PATH {
            self.legacy(request)
        } else if path.starts_with("/v1/") {
            self.v1(request, &path)
        } else {
            Handled::respond(text_response(
                StatusCode::NOT_FOUND,
                "text/html",
                "<html><body>Not Found</body></html>".to_owned(),
            ))
        };
        handled.disposition = match fault {
            Some(FaultKind::Delay { ms }) => Disposition::Delay(Duration::from_millis(ms)),
            Some(FaultKind::ApplyThenDrop) => Disposition::Drop,
            _ => Disposition::Respond,
        };
        handled
    }

    fn take_fault(&mut self, path: &str) -> Option<FaultKind> {
        let index = self
            .faults
            .iter()
            .position(|f| f.count > 0 && path.contains(&f.path_contains))?;
        let fault = self.faults.get_mut(index)?;
        fault.count -= 1;
        let kind = fault.kind.clone();
        self.faults.retain(|f| f.count > 0);
        Some(kind)
    }

    // ---- v1 ------------------------------------------------------------------------

    fn authorized(&self, request: &Request<Vec<u8>>) -> bool {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.cfg.api_key))
        );
        request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|given| given == expected)
    }

    fn v1(&mut self, request: &Request<Vec<u8>>, path: &str) -> Handled {
        if request.method() != Method::POST {
            return Handled::respond(gateway_error("EC1003", "Method not allowed"));
        }
        if !self.authorized(request) {
            return Handled::respond(gateway_error("EC1000", "Authentication failed"));
        }
        let json = request
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/json"));
        if !json {
            return Handled::respond(gateway_error(
                "EC1001",
                "Content-Type must be application/json",
            ));
        }
        let body = request.body().as_slice();
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match parts.as_slice() {
            ["v1", "payments", "retrieve"] => self.with_body(body, |s, r| s.retrieve(r)),
            ["v1", "payments", "verify"] => self.with_body(body, |s, r| s.verify(r)),
            ["v1", "payments", "ready"] => self.with_body(body, |s, r| s.ready(r)),
            ["v1", "payments", "recurring", id, "delete"] => {
                let id = (*id).to_owned();
                self.with_body(body, move |s, _: wire::V1DeleteRequest| s.terminate(&id))
            }
            ["v1", "payments", "recurring", id, "adjust"] => {
                let id = (*id).to_owned();
                self.with_body(body, move |s, r: wire::V1AdjustRequest| {
                    s.adjust(&id, &r.adjust_amount).map_or_else(
                        |(code, msg)| gateway_error(code, msg),
                        |_| json_response(StatusCode::OK, &json!({"rescode": "0000", "resmsg": "Success.", "recurring_id": id})),
                    )
                })
            }
            ["v1", "payments", tid, operation @ ("capture" | "cancel")] => {
                if tid.len() != 24 {
                    return Handled::respond(gateway_error(
                        "EC1002",
                        "transaction_id must be 24 characters",
                    ));
                }
                let tid = (*tid).to_owned();
                if *operation == "capture" {
                    self.with_body(body, move |s, r| s.capture(&tid, r))
                } else {
                    self.with_body(body, move |s, r| s.cancel(&tid, r))
                }
            }
            _ => Handled::respond(text_response(
                StatusCode::NOT_FOUND,
                "text/html",
                "<html><body>Not Found</body></html>".to_owned(),
            )),
        }
    }

    fn with_body<T: serde::de::DeserializeOwned>(
        &mut self,
        body: &[u8],
        handler: impl FnOnce(&mut Self, T) -> Response<Vec<u8>>,
    ) -> Handled {
        match serde_json::from_slice::<T>(body) {
            Ok(parsed) => Handled::respond(handler(self, parsed)),
            Err(error) => Handled::respond(gateway_error(
                "EC00",
                &format!("Invalid parameter: {error}"),
            )),
        }
    }

    fn wrong_mid(&self, mid: &str) -> Option<Response<Vec<u8>>> {
        (mid != self.cfg.mid).then(|| gateway_error("EC00", "Invalid mid"))
    }

    fn capture(&mut self, tid: &str, request: wire::CaptureRequest) -> Response<Vec<u8>> {
        if let Some(response) = self.wrong_mid(&request.mid) {
            return response;
        }
        let date = self.kst_datetime();
        let Some(payment) = self.payments.get_mut(tid) else {
            return gateway_error("EC1002", "Invalid transaction_id");
        };
        let p = &request.payment;
        if !p.lang_is_valid() {
            return gateway_error("EC00", "Invalid lang");
        }
        if p.order_id != payment.order_id || p.currency != payment.currency {
            return gateway_error("EC00", "order_id or currency does not match the payment");
        }
        if valid_amount(&p.amount, &p.currency) != Some(payment.total()) {
            return gateway_error(
                "EC00",
                "amount must be the authorized amount (no partial capture)",
            );
        }
        if payment.transaction_type != "AUTHORIZE" {
            // No documented code says "not capturable"; `EX*` means an internal exception
            // (outcome unknown), so the refusal is a request error.
            return gateway_error("EC00", "Only AUTHORIZE payments are captured manually");
        }
        if payment.captured || payment.voided || payment.awaiting_payment {
            return gateway_error("EC00", "The payment is not capturable");
        }
        payment.captured = true;
        payment.captures_applied += 1;
        payment.captured_date = Some(date.clone());
        let amount = self
            .cfg
            .behaviour
            .echoed_amounts
            .write(payment.total(), &payment.currency);
        json_response(
            StatusCode::OK,
            &json!({
                "rescode": "0000", "resmsg": "Success.", "mid": self.cfg.mid,
                "payment": {
                    "order_id": payment.order_id, "currency": payment.currency,
                    "amount": amount, "transaction_id": tid,
                    "captured_date": date, "partially_cancelable ": "Y"
                }
            }),
        )
    }

    fn cancel(&mut self, tid: &str, request: wire::CancelRequest) -> Response<Vec<u8>> {
        if let Some(response) = self.wrong_mid(&request.mid) {
            return response;
        }
        let date = self.kst_datetime();
        let mid = self.cfg.mid.clone();
        let behaviour = self.cfg.behaviour;
        let gateway_amount =
            |value: Decimal, currency: &str| behaviour.echoed_amounts.write(value, currency);
        let Some(payment) = self.payments.get_mut(tid) else {
            return gateway_error("EC1002", "Invalid transaction_id");
        };
        let p = &request.payment;
        let r = &request.refund;
        let answer = |payment: &LedgerPayment, refund_id: &str, refund: &LedgerRefund| {
            json_response(
                StatusCode::OK,
                &json!({
                    "rescode": "0000", "resmsg": "Success.", "mid": mid,
                    "refund": {
                        "refund_amount": gateway_amount(refund.amount, &payment.currency),
                        "refund_id": refund_id,
                        "refund_date": refund.refund_date,
                        "refund_transaction_id": refund.refund_transaction_id,
                    },
                    "payment": {
                        "order_id": payment.order_id, "currency": payment.currency,
                        "amount": gateway_amount(payment.total(), &payment.currency),
                        "transaction_id": payment.transaction_id,
                        "balance": gateway_amount(payment.balance(), &payment.currency),
                        "base_amount": gateway_amount(payment.total(), &payment.currency),
                        "base_rate": "1.000000", "dcc_rate": "1.000000", "payment_method": "P101"
                    },
                    "foreign": {
                        "foregin_currency": payment.currency,
                        "foregin_amount": gateway_amount(payment.total(), &payment.currency),
                        "foregin_rate": "0"
                    }
                }),
            )
        };
        // The same refund id again: undocumented, so the sandbox's answer is a named choice.
        if let Some(refund) = payment.refunds.get(&r.refund_id) {
            match behaviour.repeated_refund_id {
                RepeatedRefundId::AnswerOriginal => return answer(payment, &r.refund_id, refund),
                RepeatedRefundId::Refuse => {
                    return gateway_error("EC00", "refund_id was already used");
                }
                RepeatedRefundId::RefundAgain => {}
            }
        }
        if r.refund_id.is_empty() || r.refund_id.len() > 64 {
            return gateway_error("EC00", "Invalid refund_id");
        }
        if !p.lang_is_valid() || !request.extras_are_valid() {
            return gateway_error("EC00", "Invalid lang, reason or refund_account");
        }
        if p.order_id != payment.order_id || p.currency != payment.currency {
            return gateway_error("EC00", "order_id or currency does not match the payment");
        }
        if valid_amount(&p.amount, &p.currency) != Some(payment.total()) {
            return gateway_error("EC00", "amount does not match the payment");
        }
        let Some(balance) = p
            .balance
            .as_deref()
            .and_then(|b| valid_amount(b, &p.currency))
        else {
            return gateway_error("EC00", "balance is missing or invalid");
        };
        if balance != payment.balance() {
            return gateway_error("EC00", "balance does not match the refundable amount");
        }
        let Some(amount) = valid_amount(&r.refund_amount, &p.currency) else {
            return gateway_error("EC00", "Invalid refund_amount");
        };
        if payment.awaiting_payment {
            return gateway_error("EC00", "The payment has not been paid");
        }
        if payment.voided || amount > payment.balance() {
            return gateway_error("EC00", "refund_amount exceeds the balance");
        }
        let full_after_partial = behaviour.full_refund_after_partial
            == FullRefundAfterPartial::RefundBalance
            && !payment.refunded.is_zero()
            && amount == payment.balance();
        match r.refund_type.as_str() {
            "F" if amount == payment.total() && payment.refunded.is_zero() => {}
            "F" if full_after_partial => {}
            "F" => {
                return gateway_error(
                    "EC00",
                    "F refunds the whole amount of an unrefunded payment",
                );
            }
            "P" if payment.captured => {}
            "P" => return gateway_error("EC00", "Partial cancel needs a captured payment"),
            _ => return gateway_error("EC00", "Invalid refund_type"),
        }
        if payment.captured {
            payment.refunded += amount;
        } else {
            payment.voided = true;
        }
        // Only an applied refund takes a transaction id (refused ones leave no gap). The
        // sequence is bumped in place: `payment` still borrows the ledger.
        self.sequence += 1;
        let refund = LedgerRefund {
            amount,
            refund_transaction_id: transaction_id(&mid, self.now, self.sequence),
            refund_date: date,
        };
        // Under `RefundAgain` a repeated id's newest refund is the one kept by id (the
        // total refunded keeps them all).
        payment.refunds.insert(r.refund_id.clone(), refund.clone());
        answer(payment, &r.refund_id, &refund)
    }

    fn retrieve(&mut self, request: wire::RetrieveRequest) -> Response<Vec<u8>> {
        if let Some(response) = self.wrong_mid(&request.mid) {
            return response;
        }
        if !request.payment.lang_is_valid() {
            return gateway_error("EC00", "Invalid lang");
        }
        let found = match request.key_field.as_str() {
            "transaction_id" => request
                .payment
                .transaction_id
                .as_deref()
                .and_then(|tid| self.payments.get(tid)),
            "order_id" => self
                .payments
                .values()
                .find(|p| p.order_id == request.payment.order_id),
            _ => return gateway_error("EC00", "key_field must be order_id or transaction_id"),
        };
        let Some(payment) = found else {
            return match self.cfg.behaviour.unknown_transaction {
                UnknownTransaction::Ec1002 => gateway_error("EC1002", "No such transaction"),
                UnknownTransaction::StatusNone => json_response(
                    StatusCode::OK,
                    &json!({"rescode": "0000", "resmsg": "Success.", "mid": self.cfg.mid,
                            "payment": {"status": "NONE"}}),
                ),
            };
        };
        let gateway_amount = |value: Decimal, currency: &str| self.echo(value, currency);
        let mut body = serde_json::Map::new();
        for (key, value) in [
            ("order_id", json!(payment.order_id)),
            ("currency", json!(payment.currency)),
            (
                "amount",
                json!(gateway_amount(payment.total(), &payment.currency)),
            ),
            ("transaction_id", json!(payment.transaction_id)),
            ("transaction_type", json!(payment.transaction_type)),
            ("status", json!(payment.remote_status())),
            (
                "balance",
                json!(gateway_amount(payment.balance(), &payment.currency)),
            ),
            // The method code of cash payments is not documented: none is claimed.
            (
                "payment_method",
                if payment.cash {
                    Value::Null
                } else {
                    json!("P101")
                },
            ),
        ] {
            body.insert(key.to_owned(), value);
        }
        // Only captured payments have a capture date.
        if let Some(date) = &payment.captured_date {
            body.insert("captured_date".to_owned(), json!(date));
        }
        json_response(
            StatusCode::OK,
            &json!({"rescode": "0000", "resmsg": "Success.", "mid": self.cfg.mid, "payment": body}),
        )
    }

    fn verify(&mut self, request: wire::VerifyRequest) -> Response<Vec<u8>> {
        if self.verify_form(request.data.as_bytes()) {
            gateway_error("0000", "Success.")
        } else {
            gateway_error("EC00", "Verification failed")
        }
    }

    /// Whether a form body carries a valid fgkey from this sandbox.
    pub fn verify_form(&self, body: &[u8]) -> bool {
        let Some(secret) = &self.secret else {
            return false;
        };
        match eximbay_core::Notification::parse(body) {
            Ok(notification) => notification.verify(secret).is_ok(),
            Err(_) => false,
        }
    }

    fn ready(&mut self, request: wire::ReadyRequest) -> Response<Vec<u8>> {
        if let Some(response) = self.wrong_mid(&request.merchant.mid) {
            return response;
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
        let fields = [
            ("mid", self.cfg.mid.clone()),
            ("ref", p.order_id.clone()),
            ("cur", p.currency.clone()),
            ("amt", p.amount.clone()),
            ("txntype", p.transaction_type.clone()),
            ("lang", p.lang.clone()),
            ("buyer", request.buyer.name.clone()),
            ("email", request.buyer.email.clone()),
            ("returnurl", request.url.return_url.clone()),
            ("statusurl", request.url.status_url.clone()),
        ];
        let fgkey = self
            .secret
            .as_ref()
            .map(|s| fgkey::sign(s, fields.iter().map(|(k, v)| (*k, v.as_str()))))
            .unwrap_or_default();
        json_response(
            StatusCode::OK,
            &json!({"rescode": "0000", "resmsg": "Success.", "fgkey": fgkey}),
        )
    }

    // ---- legacy --------------------------------------------------------------------

    fn legacy(&mut self, request: &Request<Vec<u8>>) -> Handled {
        let fields: Vec<(String, String)> = form_urlencoded::parse(request.body())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
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
        let signing = self.cfg.behaviour.legacy_signing;
        let is_declared = |key: &str| {
            declared.contains(&key)
                || (signing != LegacySignature::Unsigned
                    && wire::LEGACY_SIGNATURE_FIELDS.contains(&key))
        };
        if let Some((undeclared, _)) = fields.iter().find(|(k, _)| !is_declared(k)) {
            return reply("EC00", &format!("Undeclared parameter {undeclared}"));
        }
        let signed = get("fgkey").is_some();
        if (signed || signing == LegacySignature::Required) && !self.verify_form(request.body()) {
            return reply("EC00", "Invalid fgkey");
        }
        if get("mid").as_deref() != Some(self.cfg.mid.as_str()) {
            return reply("EC00", "Invalid mid");
        }
        let result = if txntype == "RC_TERMINATE" {
            self.terminate_registration(&recurring_id)
        } else if get("adjustType").as_deref() != Some("A") {
            Err(("EC00", "adjustType must be A"))
        } else {
            self.adjust(&recurring_id, &get("adjustAmount").unwrap_or_default())
        };
        match result {
            Ok(()) => reply("0000", "Success."),
            Err((code, msg)) => reply(code, msg),
        }
    }

    fn terminate(&mut self, recurring_id: &str) -> Response<Vec<u8>> {
        match self.terminate_registration(recurring_id) {
            Ok(()) => json_response(
                StatusCode::OK,
                &json!({"rescode": "0000", "resmsg": "Success.", "recurring_id": recurring_id}),
            ),
            Err((code, msg)) => gateway_error(code, msg),
        }
    }

    fn terminate_registration(
        &mut self,
        recurring_id: &str,
    ) -> Result<(), (&'static str, &'static str)> {
        self.live_registration(recurring_id)?.status = RegistrationStatus::TerminatedByMerchant;
        Ok(())
    }

    /// A registration that is not terminated.
    fn live_registration(
        &mut self,
        recurring_id: &str,
    ) -> Result<&mut Registration, (&'static str, &'static str)> {
        let registration = self
            .registrations
            .get_mut(recurring_id)
            .ok_or(("EC00", "Invalid recurringID"))?;
        if registration.status.is_terminated() {
            return Err(("EC00", "The recurring payment is terminated"));
        }
        Ok(registration)
    }

    fn adjust(
        &mut self,
        recurring_id: &str,
        amount: &str,
    ) -> Result<(), (&'static str, &'static str)> {
        let today = self.now.kst_date();
        let registration = self.live_registration(recurring_id)?;
        if valid_amount(amount, &registration.currency).is_none() {
            return Err(("EC00", "Invalid adjustAmount"));
        }
        // The charge day is the day a charge is due or ran (a charge that ran at midnight
        // still makes today the charge day).
        if registration.due() == today || registration.last_attempt == Some(today) {
            return Err(("EC00", "The amount cannot be changed on the charge day"));
        }
        registration.amount = amount.to_owned();
        Ok(())
    }

    // ---- test controls, clock and charges ------------------------------------------

    fn control(&mut self, request: &Request<Vec<u8>>, path: &str) -> Handled {
        crate::control::handle(self, request, path)
    }

    /// Creates a payment as if the buyer completed the payment window, optionally with a
    /// recurring registration, and returns it with the status callback to deliver.
    pub fn create_payment(
        &mut self,
        new: crate::control::NewPayment,
    ) -> Result<(LedgerPayment, Option<Registration>, Vec<Callback>), String> {
        let cash = match new.method.as_deref() {
            None | Some("card") => false,
            Some("cash") => true,
            Some(_) => return Err("method must be card or cash".to_owned()),
        };
        let transaction_type = new
            .transaction_type
            .clone()
            .unwrap_or_else(|| if cash { "PAYMENT" } else { "AUTHORIZE" }.to_owned());
        if !matches!(transaction_type.as_str(), "AUTHORIZE" | "PAYMENT") {
            return Err("transaction_type must be AUTHORIZE or PAYMENT".to_owned());
        }
        if cash && (transaction_type != "PAYMENT" || new.recurring.is_some()) {
            return Err("a cash payment is a PAYMENT without recurring registration".to_owned());
        }
        if valid_amount(&new.amount, &new.currency).is_none() {
            return Err("invalid amount for the currency".to_owned());
        }
        let tid = self.new_transaction_id();
        let captured = transaction_type == "PAYMENT" && !cash;
        let payment = LedgerPayment {
            transaction_id: tid.clone(),
            order_id: new.order_id.clone(),
            currency: new.currency.clone(),
            amount: new.amount.clone(),
            transaction_type: transaction_type.clone(),
            cash,
            awaiting_payment: cash,
            captured,
            voided: false,
            refunded: Decimal::ZERO,
            refunds: BTreeMap::new(),
            captures_applied: 0,
            status_url: new.status_url.clone(),
            captured_date: captured.then(|| self.kst_datetime()),
        };
        let registration = match &new.recurring {
            Some(recurring) => {
                if valid_amount(&recurring.amount, &new.currency).is_none() {
                    return Err("invalid recurring amount".to_owned());
                }
                let today = self.now.kst_date();
                let first_charge = match &recurring.date {
                    Some(date) => {
                        let date =
                            Date::parse_yyyymmdd(date).ok_or("recurringDate must be YYYYMMDD")?;
                        if date <= today {
                            return Err("recurringDate must be after today (KST)".to_owned());
                        }
                        date
                    }
                    None => today.add_months(1),
                };
                let id = format!("RC{:018}", self.next_sequence());
                Some(Registration {
                    recurring_id: id,
                    order_id: new.order_id.clone(),
                    currency: new.currency.clone(),
                    amount: recurring.amount.clone(),
                    url: recurring.url.clone(),
                    first_charge,
                    charges_done: 0,
                    failed_attempts: 0,
                    next_attempt: first_charge,
                    status: RegistrationStatus::Active,
                    last_attempt: None,
                    decline_next: 0,
                    decline_rescode: "HE01".to_owned(),
                })
            }
            None => None,
        };
        let mut callbacks = Vec::new();
        if let Some(url) = &new.status_url {
            let mut fields = self.status_fields(&payment, new.param1.as_deref());
            if cash {
                fields.push(("status", "Registered".to_owned()));
                fields.push(("paymentURL", format!("/_sim/payments/{tid}/settle")));
            }
            if let Some(r) = &registration {
                fields.push(("recurringID", r.recurring_id.clone()));
                fields.push(("recurringRetry", "0".to_owned()));
                fields.push(("recurringNext", r.first_charge.to_yyyymmdd()));
            }
            callbacks.push(Callback {
                url: url.clone(),
                body: self.signed_form(&fields),
                transaction_id: tid.clone(),
            });
        }
        self.payments.insert(tid, payment.clone());
        if let Some(r) = &registration {
            self.registrations.insert(r.recurring_id.clone(), r.clone());
        }
        Ok((payment, registration, callbacks))
    }

    /// The fields of a `status_url` notification about a payment (before `status` and the
    /// fgkey).
    fn status_fields(
        &self,
        payment: &LedgerPayment,
        param1: Option<&str>,
    ) -> Vec<(&'static str, String)> {
        vec![
            ("mid", self.cfg.mid.clone()),
            ("ref", payment.order_id.clone()),
            ("cur", payment.currency.clone()),
            ("amt", self.echo_text(&payment.amount, &payment.currency)),
            ("txntype", payment.transaction_type.clone()),
            ("rescode", "0000".to_owned()),
            ("resmsg", "Success.".to_owned()),
            ("transid", payment.transaction_id.clone()),
            ("resdt", self.kst_datetime()),
            ("param1", param1.unwrap_or_default().to_owned()),
        ]
    }

    /// The buyer of a registered cash payment paid: the payment becomes a sale and the
    /// `status=Sale` notification goes to its `status_url`.
    pub fn settle_cash(&mut self, transaction_id: &str) -> Result<Vec<Callback>, String> {
        self.finish_cash(transaction_id, "Sale")
    }

    /// A registered cash payment expired unpaid: it is voided and the `status=Void`
    /// notification goes to its `status_url`.
    pub fn expire_cash(&mut self, transaction_id: &str) -> Result<Vec<Callback>, String> {
        self.finish_cash(transaction_id, "Void")
    }

    fn finish_cash(&mut self, transaction_id: &str, status: &str) -> Result<Vec<Callback>, String> {
        let date = self.kst_datetime();
        let payment = self
            .payments
            .get_mut(transaction_id)
            .ok_or("no such transaction id")?;
        if !payment.awaiting_payment {
            return Err("the payment is not a registered cash payment awaiting the buyer".into());
        }
        payment.awaiting_payment = false;
        if status == "Sale" {
            payment.captured = true;
            payment.captured_date = Some(date);
        } else {
            payment.voided = true;
        }
        let payment = payment.clone();
        let Some(url) = payment.status_url.clone() else {
            return Ok(Vec::new());
        };
        let mut fields = self.status_fields(&payment, None);
        fields.push(("status", status.to_owned()));
        Ok(vec![Callback {
            url,
            body: self.signed_form(&fields),
            transaction_id: payment.transaction_id,
        }])
    }

    /// Moves the test clock forward, running every charge that falls due, day by day.
    pub fn advance(&mut self, seconds: i64) -> Vec<Callback> {
        let target = Timestamp(self.now.0.saturating_add(seconds.max(0)));
        let mut callbacks = Vec::new();
        loop {
            callbacks.extend(self.run_due_charges());
            let tomorrow = Timestamp::kst_midnight(self.now.kst_date().succ());
            if tomorrow > target {
                break;
            }
            self.now = tomorrow;
        }
        self.now = target;
        callbacks.extend(self.run_due_charges());
        callbacks
    }

    fn run_due_charges(&mut self) -> Vec<Callback> {
        let today = self.now.kst_date();
        let due: Vec<String> = self
            .registrations
            .values()
            .filter(|r| !r.status.is_terminated() && r.next_attempt <= today)
            .map(|r| r.recurring_id.clone())
            .collect();
        due.iter().filter_map(|id| self.charge(id)).collect()
    }

    fn charge(&mut self, recurring_id: &str) -> Option<Callback> {
        let tid = self.new_transaction_id();
        let resdt = self.kst_datetime();
        let today = self.now.kst_date();
        let mid = self.cfg.mid.clone();
        let registration = self.registrations.get_mut(recurring_id)?;
        registration.last_attempt = Some(today);
        let declined = registration.decline_next > 0;
        let attempt = registration.failed_attempts + 1;
        let rescode = if declined {
            registration.decline_next -= 1;
            registration.decline_rescode.clone()
        } else {
            "0000".to_owned()
        };
        if declined {
            registration.failed_attempts = attempt;
            if attempt >= 3 {
                registration.status = RegistrationStatus::TerminatedAfterFailures;
            } else {
                registration.status = RegistrationStatus::Retrying;
                registration.next_attempt = today.succ();
            }
        } else {
            registration.charges_done += 1;
            registration.failed_attempts = 0;
            registration.status = RegistrationStatus::Active;
            registration.next_attempt = registration.due();
            self.payments.insert(
                tid.clone(),
                LedgerPayment {
                    transaction_id: tid.clone(),
                    order_id: registration.order_id.clone(),
                    currency: registration.currency.clone(),
                    amount: registration.amount.clone(),
                    transaction_type: "PAYMENT".to_owned(),
                    cash: false,
                    awaiting_payment: false,
                    captured: true,
                    voided: false,
                    refunded: Decimal::ZERO,
                    refunds: BTreeMap::new(),
                    captures_applied: 0,
                    status_url: None,
                    captured_date: Some(resdt.clone()),
                },
            );
        }
        let registration = self.registrations.get(recurring_id)?;
        let fields = vec![
            ("mid", mid),
            ("ref", registration.order_id.clone()),
            ("cur", registration.currency.clone()),
            (
                "amt",
                self.echo_text(&registration.amount, &registration.currency),
            ),
            ("txntype", "PAYMENT".to_owned()),
            ("rescode", rescode.clone()),
            (
                "resmsg",
                if declined {
                    "Declined".to_owned()
                } else {
                    "Success.".to_owned()
                },
            ),
            ("transid", tid.clone()),
            ("resdt", resdt),
            ("recurringID", registration.recurring_id.clone()),
            ("recurringRetry", attempt.to_string()),
            ("recurringNext", registration.due().to_yyyymmdd()),
        ];
        let url = registration.url.clone();
        Some(Callback {
            url,
            body: self.signed_form(&fields),
            transaction_id: tid,
        })
    }

    /// The built-in merchant inbox (`/_sim/inbox`): records and verifies a notification and
    /// acknowledges it, unless told to refuse the first `nack` deliveries per transaction.
    pub fn receive(&mut self, body: &[u8], nack: u32) -> Response<Vec<u8>> {
        let verified = self.verify_form(body);
        let key = eximbay_core::Notification::parse(body)
            .ok()
            .and_then(|n| n.transaction_id())
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default();
        let refused = self.inbox_refusals.entry(key).or_insert(0);
        let acknowledged = *refused >= nack;
        if !acknowledged {
            *refused += 1;
        }
        self.inbox.push(InboxEntry {
            body: String::from_utf8_lossy(body).into_owned(),
            verified,
            acknowledged,
        });
        if acknowledged {
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
        }
    }

    /// Scripts the next `count` charges of a registration to fail with `rescode`.
    pub fn decline_next_charges(&mut self, recurring_id: &str, count: u32, rescode: &str) -> bool {
        match self.registrations.get_mut(recurring_id) {
            Some(r) => {
                r.decline_next = count;
                r.decline_rescode = rescode.to_owned();
                true
            }
            None => false,
        }
    }

    /// The ledger as JSON.
    pub fn ledger_json(&self) -> Value {
        json!({
            "now": self.now.0,
            "kst_date": self.now.kst_date().to_yyyymmdd(),
            "payments": self.payments,
            "recurring": self.registrations,
            "deliveries": self.deliveries,
            "inbox": self.inbox,
        })
    }
}
