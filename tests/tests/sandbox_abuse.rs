//! The sandbox under abuse, in-process: transaction ids that never repeat and a ledger that
//! never overwrites, clock advances bounded and computed from due dates, a paginated ledger,
//! bodies over the limit refused before parsing, requests parsed (and fgkeys checked) before
//! the lock and answered as in-process. Hostile notifications and requests are in
//! `sandbox_abuse/hostile.rs`, the server under abuse over real sockets in
//! `sandbox_abuse/server.rs`, the state's own bounds in `sandbox_abuse/state.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "sandbox_abuse/hostile.rs"]
mod hostile;
#[path = "sandbox_abuse/server.rs"]
mod server;
#[path = "sandbox_abuse/state.rs"]
mod state;

use eximbay_sim::NewPayment;
use eximbay_sim::{LEDGER_PAGE_MAX, MAX_ADVANCE_DAYS};
use eximbay_sim::{Sandbox, SandboxConfig};
use http::Request;
use serde_json::{Value, json};

fn new_payment(order: &str) -> NewPayment {
    serde_json::from_value(json!({"order_id": order, "currency": "USD", "amount": "1.00"})).unwrap()
}

fn control(sandbox: &mut Sandbox, method: &str, path: &str, body: Value) -> (u16, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .body(serde_json::to_vec(&body).unwrap())
        .unwrap();
    let handled = sandbox.handle(&request);
    let status = handled.response.status().as_u16();
    (
        status,
        serde_json::from_slice(handled.response.body()).unwrap_or(Value::Null),
    )
}

/// Creates `count` payments and checks their ids: 24 characters, `<mid>W<13 digits>`, all
/// different.
fn payments_have_unique_ids(count: usize) {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    for n in 0..count {
        sandbox
            .create_payment(new_payment(&format!("O-{n}")))
            .unwrap();
    }
    assert_eq!(sandbox.ledger.len(), count, "no payment replaced another");
    for tid in sandbox.ledger.payments().map(|p| &p.transaction_id) {
        assert_eq!(tid.len(), 24, "{tid}");
        assert!(tid.starts_with("1849705C64W"), "{tid}");
        assert!(tid[11..].bytes().all(|b| b.is_ascii_digit()), "{tid}");
    }
}

#[test]
fn transaction_ids_never_repeat_and_the_ledger_never_overwrites() {
    payments_have_unique_ids(10_000);
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let (first, _, _) = sandbox.create_payment(new_payment("A")).unwrap();
    let mut clash = first.clone();
    clash.order_id = "B".into();
    assert!(sandbox.ledger.insert(clash).is_err());
    assert_eq!(
        sandbox
            .ledger
            .payment(&first.transaction_id)
            .unwrap()
            .order_id,
        "A"
    );
}

/// A million and one payments on one test-clock day (the load that once wrapped the old
/// six-digit ids). About 21 s of CPU in a debug build here (34 s wall on a busy 2-core
/// machine); run with `--ignored`.
#[test]
#[ignore = "slow: a million and one payments"]
fn a_million_and_one_payments_keep_their_ids() {
    payments_have_unique_ids(1_000_001);
}

#[test]
fn clock_advances_are_bounded_and_walk_due_dates_not_days() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let (status, _) = control(
        &mut sandbox,
        "POST",
        "/_sim/clock",
        json!({"advance_days": 100_000_000}),
    );
    assert_eq!(status, 400);
    let (status, _) = control(
        &mut sandbox,
        "POST",
        "/_sim/clock",
        json!({"advance_days": MAX_ADVANCE_DAYS + 1}),
    );
    assert_eq!(status, 400);
    let before = sandbox.now();
    assert_eq!(sandbox.now(), before, "a refused advance moves nothing");

    // Ten years of a monthly registration: 120 charges, one step each.
    let mut new = new_payment("SUB");
    new.transaction_type = Some("PAYMENT".into());
    new.recurring = Some(
        serde_json::from_value(json!({"amount": "1.00", "url": "http://127.0.0.1:9/r"})).unwrap(),
    );
    sandbox.create_payment(new).unwrap();
    let (status, clock) = control(
        &mut sandbox,
        "POST",
        "/_sim/clock",
        json!({"advance_days": 3_652}),
    );
    assert_eq!(status, 200, "{clock}");
    assert_eq!(clock["charges"], 120);
    assert_eq!(
        sandbox
            .recurring
            .registrations
            .values()
            .next()
            .unwrap()
            .charges_done,
        120
    );
    // The clock lands exactly where it was asked to.
    assert_eq!(sandbox.now().0, before.0 + 3_652 * 86_400);
}

#[test]
fn the_ledger_is_paginated_and_filtered() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    for n in 0..(LEDGER_PAGE_MAX + 500) {
        sandbox
            .create_payment(new_payment(&format!("O-{}", n % 7)))
            .unwrap();
    }
    let (_, page) = control(&mut sandbox, "GET", "/_sim/ledger", Value::Null);
    let first = page["payments"].as_object().unwrap();
    assert_eq!(first.len(), LEDGER_PAGE_MAX);
    let next = page["next"].as_str().unwrap().to_owned();
    assert_eq!(first.keys().next_back().unwrap(), &next);
    let (_, rest) = control(
        &mut sandbox,
        "GET",
        &format!("/_sim/ledger?after={next}&limit=5000"),
        Value::Null,
    );
    assert_eq!(rest["payments"].as_object().unwrap().len(), 500);
    assert!(rest["next"].is_null());
    // One order's payments come from the order index, paged the same way: every one of
    // them, in transaction-id order, and nothing of the other orders.
    let expected: Vec<String> = (sandbox.ledger.payments())
        .filter(|p| p.order_id == "O-3")
        .map(|p| p.transaction_id.clone())
        .collect();
    assert_eq!(expected.len(), 214);
    // The accessor reads the same index.
    let of_order: Vec<String> = (sandbox.ledger.payments_of("O-3"))
        .map(|p| p.transaction_id.clone())
        .collect();
    assert_eq!(of_order, expected);
    assert_eq!(sandbox.ledger.payments_of("O-none").count(), 0);
    assert_eq!(sandbox.ledger.len(), LEDGER_PAGE_MAX + 500);
    assert!(!sandbox.ledger.is_empty());
    let (mut listed, mut after, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let (_, page) = control(
            &mut sandbox,
            "GET",
            &format!("/_sim/ledger?order_id=O-3&limit=100{after}"),
            Value::Null,
        );
        let payments = page["payments"].as_object().unwrap();
        assert!(payments.values().all(|p| p["order_id"] == "O-3"));
        listed.extend(payments.keys().cloned());
        pages += 1;
        match page["next"].as_str() {
            Some(next) => after = format!("&after={next}"),
            None => break,
        }
    }
    assert_eq!((listed, pages), (expected, 3));
    let (_, nobody) = control(
        &mut sandbox,
        "GET",
        "/_sim/ledger?order_id=O-none",
        Value::Null,
    );
    assert_eq!(nobody["payments"], json!({}));
    assert!(nobody["next"].is_null());
    let (status, _) = control(&mut sandbox, "GET", "/_sim/ledger?limit=lots", Value::Null);
    assert_eq!(status, 400);
}

#[test]
fn oversized_bodies_are_refused_before_parsing() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let huge = format!("a={}", "x".repeat(70 * 1024));
    for path in [
        "/_sim/inbox",
        "/_sim/payments",
        "/Gateway/DirectProcessor.krp",
        "/v1/payments/retrieve",
    ] {
        let request = Request::post(path).body(huge.clone().into_bytes()).unwrap();
        assert_eq!(sandbox.handle(&request).response.status(), 413, "{path}");
    }
    assert!(sandbox.inbox.is_empty());
    assert!(sandbox.ledger.is_empty());
}

/// (what, method, path, authorization, content type, body, a fault scripted before it).
type Case<'a> = (
    &'a str,
    &'a str,
    String,
    Option<&'a str>,
    &'a str,
    String,
    Option<eximbay_sim::FaultKind>,
);

/// The server reads, authenticates and parses a v1 request (and checks a DirectProcessor
/// form's fgkey) before it takes the sandbox lock, then applies it holding the lock; in-process, `Sandbox::handle` does both at once.
/// Either way the answers are the same, byte for byte, and in the same order of checks: a
/// scripted fault meets the request before its body is judged, and is used up by it.
#[test]
fn requests_parsed_before_the_lock_answer_as_in_process() {
    use eximbay_sim::ServerOptions;
    use eximbay_sim::{Fault, FaultKind};

    let running =
        eximbay_tests::sandbox::start_sandbox(SandboxConfig::default(), ServerOptions::default());
    let mut in_process = Sandbox::new(SandboxConfig::default());
    let tid = running
        .sandbox()
        .create_payment(new_payment("O-lock"))
        .unwrap()
        .0
        .transaction_id
        .clone();
    assert_eq!(
        in_process
            .create_payment(new_payment("O-lock"))
            .unwrap()
            .0
            .transaction_id,
        tid,
        "both sandboxes start alike"
    );
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{}:", SandboxConfig::default().api_key)
        )
    );
    let capture = format!("/v1/payments/{tid}/capture");
    let good = format!(
        r#"{{"mid":"{}","payment":{{"order_id":"O-lock","currency":"USD","amount":"1.00","lang":"EN"}}}}"#,
        SandboxConfig::default().mid
    );
    let mut cases: Vec<Case> = vec![
        (
            "GET",
            "GET",
            capture.clone(),
            Some(&basic),
            "application/json",
            String::new(),
            None,
        ),
        (
            "no auth",
            "POST",
            capture.clone(),
            None,
            "application/json",
            good.clone(),
            None,
        ),
        (
            "wrong auth",
            "POST",
            capture.clone(),
            Some("Basic eDo="),
            "application/json",
            good.clone(),
            None,
        ),
        (
            "form type",
            "POST",
            capture.clone(),
            Some(&basic),
            "text/plain",
            good.clone(),
            None,
        ),
        (
            "short tid",
            "POST",
            "/v1/payments/abc/capture".into(),
            Some(&basic),
            "application/json",
            good.clone(),
            None,
        ),
        (
            "bad json",
            "POST",
            capture.clone(),
            Some(&basic),
            "application/json",
            "{".into(),
            None,
        ),
        (
            "undeclared",
            "POST",
            capture.clone(),
            Some(&basic),
            "application/json",
            r#"{"mid":"x","payment":{},"extra":1}"#.into(),
            None,
        ),
        (
            "unknown route",
            "POST",
            "/v1/payments/nothing".into(),
            Some(&basic),
            "application/json",
            "{}".into(),
            None,
        ),
        (
            "fault, then bad json",
            "POST",
            capture.clone(),
            Some(&basic),
            "application/json",
            "{".into(),
            Some(FaultKind::Http500),
        ),
        (
            "fault, then no auth",
            "POST",
            capture.clone(),
            None,
            "application/json",
            good.clone(),
            Some(FaultKind::Html502),
        ),
        (
            "fault used up: bad json again",
            "POST",
            capture.clone(),
            Some(&basic),
            "application/json",
            "{".into(),
            None,
        ),
        (
            "the capture",
            "POST",
            capture.clone(),
            Some(&basic),
            "application/json",
            good.clone(),
            None,
        ),
        (
            "the capture again",
            "POST",
            capture.clone(),
            Some(&basic),
            "application/json",
            good.clone(),
            None,
        ),
    ];
    let legacy = eximbay_core::config::DIRECT_PROCESSOR_PATH.to_owned();
    let mid = SandboxConfig::default().mid;
    let form = "application/x-www-form-urlencoded";
    let signed = in_process.signed_form(&[
        ("mid", mid.clone()),
        ("txntype", "RC_TERMINATE".into()),
        ("recurringID", "R-none".into()),
    ]);
    let tampered = signed.replace("R-none", "R-other");
    cases.extend([
        (
            "legacy, bad txntype",
            "POST",
            legacy.clone(),
            None,
            form,
            format!("mid={mid}&txntype=X"),
            None,
        ),
        (
            "legacy, tampered",
            "POST",
            legacy.clone(),
            None,
            form,
            tampered.clone(),
            None,
        ),
        (
            "legacy, signed",
            "POST",
            legacy.clone(),
            None,
            form,
            signed.clone(),
            None,
        ),
        (
            "inbox, signed",
            "POST",
            "/_sim/inbox".into(),
            None,
            form,
            signed,
            None,
        ),
        (
            "inbox, tampered",
            "POST",
            "/_sim/inbox".into(),
            None,
            form,
            tampered,
            None,
        ),
    ]);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut answers = Vec::new();
    for (what, method, path, authorization, content_type, body, fault) in cases {
        if let Some(kind) = fault {
            let fault = Fault {
                path_contains: "/capture".into(),
                count: 1,
                kind,
            };
            running.sandbox().add_fault(fault.clone());
            in_process.add_fault(fault);
        }
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", running.base_url()))
            .header("content-type", content_type);
        if let Some(authorization) = authorization {
            request = request.header("authorization", authorization);
        }
        let request = request.body(body.into_bytes()).unwrap();
        let mut over_http = agent.run(request.clone()).unwrap();
        let http_body = over_http.body_mut().read_to_vec().unwrap();
        let here = in_process.handle(&request);
        assert_eq!(
            (
                over_http.status().as_u16(),
                String::from_utf8_lossy(&http_body)
            ),
            (
                here.response.status().as_u16(),
                String::from_utf8_lossy(here.response.body())
            ),
            "{what}"
        );
        let text = String::from_utf8_lossy(here.response.body()).into_owned();
        let rescode = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["rescode"].as_str().map(str::to_owned))
            .or_else(|| {
                // The legacy reply: its rescode and resmsg (EC00 says little alone).
                let reply: std::collections::HashMap<_, _> =
                    form_urlencoded::parse(text.trim_end().as_bytes()).collect();
                Some(format!(
                    "{} {}",
                    reply.get("rescode")?,
                    reply.get("resmsg")?
                ))
            })
            .unwrap_or_default();
        answers.push((what, here.response.status().as_u16(), rescode));
    }
    let expected = [
        ("GET", 200, "EC1003"),
        ("no auth", 200, "EC1000"),
        ("wrong auth", 200, "EC1000"),
        ("form type", 200, "EC1001"),
        ("short tid", 200, "EC1002"),
        ("bad json", 200, "EC00"),
        ("undeclared", 200, "EC00"),
        ("unknown route", 404, ""),
        ("fault, then bad json", 500, ""),
        ("fault, then no auth", 502, ""),
        ("fault used up: bad json again", 200, "EC00"),
        ("the capture", 200, "0000"),
        ("the capture again", 200, "EC00"),
        ("legacy, bad txntype", 200, "EC00 Invalid txntype"),
        ("legacy, tampered", 200, "EC00 Invalid fgkey"),
        ("legacy, signed", 200, "EC00 Invalid recurringID"),
        ("inbox, signed", 200, "0000 Success"),
        ("inbox, tampered", 200, "0000 Success"),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(what, status, rescode)| (*what, *status, (*rescode).to_owned()))
        .collect();
    assert_eq!(answers, expected);
    // And the states agree: one capture each, nothing applied by a refused request.
    let (a, b) = (running.sandbox(), &in_process);
    assert_eq!(a.ledger.len(), b.ledger.len());
    let status = |s: &Sandbox| {
        s.ledger
            .payments()
            .map(|p| p.remote_status())
            .collect::<Vec<_>>()
    };
    assert_eq!(status(&a), status(b));
    assert_eq!(status(b), vec!["SALE"]);
    // The inbox checked each callback's fgkey before the lock, as in-process.
    let verified = |s: &Sandbox| {
        json!(&s.inbox)
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| entry["verified"].as_bool().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(verified(&a), verified(b));
    assert_eq!(verified(b), vec![true, false]);
}
