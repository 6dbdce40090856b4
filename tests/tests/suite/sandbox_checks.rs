//! The sandbox's own checks, in-process through `Sandbox::handle`: what the gateway
//! refuses (authentication, content type, id length, method, undeclared fields, partial
//! capture, the balance guard) and that a refused request changes nothing.

use eximbay_sim::{DEFAULT_API_KEY, DEFAULT_MID};
use eximbay_sim::{NewPayment, NewRecurring, Sandbox, SandboxConfig};
use serde_json::{Value, json};

fn v1_request(path: &str, body: &str, key: &str, content_type: &str) -> http::Request<Vec<u8>> {
    use base64::Engine as _;
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    );
    http::Request::post(path)
        .header("authorization", auth)
        .header("content-type", content_type)
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn rescode(sandbox: &mut Sandbox, request: &http::Request<Vec<u8>>) -> String {
    let handled = sandbox.handle(request);
    let text = String::from_utf8(handled.response.body().clone()).unwrap();
    if let Ok(json) = serde_json::from_str::<Value>(&text) {
        return json["rescode"].as_str().unwrap_or_default().to_owned();
    }
    form_urlencoded::parse(text.trim().as_bytes())
        .find(|(k, _)| k == "rescode")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// A JSON POST to the v1 API with the sandbox's key.
fn json_post(path: &str, body: &str) -> http::Request<Vec<u8>> {
    v1_request(path, body, DEFAULT_API_KEY, "application/json")
}

/// A payment made as if its window was completed; its transaction id.
fn pay(sandbox: &mut Sandbox, order: &str, currency: &str, amount: &str, kind: &str) -> String {
    let new = json!({"order_id": order, "currency": currency, "amount": amount,
                     "transaction_type": kind});
    let (payment, _, _) = sandbox
        .create_payment(serde_json::from_value(new).unwrap())
        .unwrap();
    payment.transaction_id
}

#[test]
fn the_sandbox_checks_what_the_gateway_checks() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let tid = pay(&mut sandbox, "O-1", "USD", "1", "AUTHORIZE");
    let capture = format!(
        r#"{{"mid":"{DEFAULT_MID}","payment":{{"order_id":"O-1","currency":"USD","amount":"1","lang":"EN"}}}}"#
    );
    let path = format!("/v1/payments/{tid}/capture");
    let wrong_key = v1_request(
        &path,
        &capture,
        "test_00000000000000000000",
        "application/json",
    );
    assert_eq!(rescode(&mut sandbox, &wrong_key), "EC1000");
    let text = v1_request(&path, &capture, DEFAULT_API_KEY, "text/plain");
    assert_eq!(rescode(&mut sandbox, &text), "EC1001");
    let short = json_post("/v1/payments/SHORT/capture", &capture);
    assert_eq!(rescode(&mut sandbox, &short), "EC1002");
    let mut get = json_post(&path, &capture);
    *get.method_mut() = http::Method::GET;
    assert_eq!(rescode(&mut sandbox, &get), "EC1003");
    let typo = capture.replace("order_id", "oreder_id");
    assert_eq!(rescode(&mut sandbox, &json_post(&path, &typo)), "EC00");
    let partial = capture.replace(r#""amount":"1""#, r#""amount":"0.5""#);
    assert_eq!(rescode(&mut sandbox, &json_post(&path, &partial)), "EC00");
    assert_eq!(rescode(&mut sandbox, &json_post(&path, &capture)), "0000");
    assert_ne!(rescode(&mut sandbox, &json_post(&path, &capture)), "0000");

    // Cancel: the balance guard, the balance itself, and KRW-style whole amounts.
    let cancel = |refund: &str, balance: &str, id: &str| {
        format!(
            r#"{{"mid":"{DEFAULT_MID}","refund":{{"refund_type":"P","refund_amount":"{refund}","refund_id":"{id}"}},"payment":{{"order_id":"O-1","currency":"USD","amount":"1","balance":"{balance}","lang":"EN"}}}}"#
        )
    };
    let path = format!("/v1/payments/{tid}/cancel");
    let mut refund = |body: String| rescode(&mut sandbox, &json_post(&path, &body));
    assert_eq!(refund(cancel("0.5", "0.9", "R1")), "EC00");
    assert_eq!(refund(cancel("1.5", "1", "R1")), "EC00");
    assert_eq!(refund(cancel("0.5", "1", "R1")), "0000");
    // The same refund id again: answered, not applied.
    assert_eq!(refund(cancel("0.5", "1", "R1")), "0000");
    assert_eq!(
        sandbox.ledger.payment(&tid).unwrap().refunded,
        "0.5".parse().unwrap()
    );

    // Legacy: undeclared fields and unknown registrations are refused.
    let mut legacy = |body: &str| {
        let request = http::Request::post("/Gateway/DirectProcessor.krp")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.as_bytes().to_vec())
            .unwrap();
        rescode(&mut sandbox, &request)
    };
    let terminate = format!("mid={DEFAULT_MID}&txntype=RC_TERMINATE&recurringID=RC1");
    assert_eq!(legacy(&format!("{terminate}&fgkey=x")), "EC00");
    assert_eq!(legacy(&terminate), "EC00");
    assert_eq!(
        legacy("mid=0000000000&txntype=RC_PAUSE&recurringID=RC1"),
        "EC00"
    );
}

fn resmsg(sandbox: &mut Sandbox, request: &http::Request<Vec<u8>>) -> (String, String) {
    let handled = sandbox.handle(request);
    let json: Value = serde_json::from_slice(handled.response.body()).unwrap();
    (
        json["rescode"].as_str().unwrap_or_default().to_owned(),
        json["resmsg"].as_str().unwrap_or_default().to_owned(),
    )
}

/// The amounts of a capture or cancel are read for the request's currency before the
/// sandbox lock is taken; each unreadable one is still refused with its own message, in
/// the gateway's order, and nothing is applied. (With `v1_refund_balance: required`, so that
/// a missing balance is refused too; the default's reading is in `sandbox_choices.rs`.)
#[test]
fn unreadable_amounts_are_refused_with_their_own_message_and_change_nothing() {
    let mut sandbox = Sandbox::new(SandboxConfig {
        behaviour: eximbay_sim::Behaviour {
            v1_refund_balance: eximbay_sim::RefundBalance::Required,
            ..Default::default()
        },
        ..SandboxConfig::default()
    });
    let tids = [
        pay(&mut sandbox, "U-1", "USD", "10.50", "PAYMENT"),
        pay(&mut sandbox, "K-1", "KRW", "1000", "PAYMENT"),
        pay(&mut sandbox, "A-1", "USD", "10.50", "AUTHORIZE"),
    ];
    // The USD payment (0) and the KRW one (1): which one, then the request's amount,
    // balance and refund amount, and the answer's message.
    let (usd, krw) = ((0, "U-1", "USD"), (1, "K-1", "KRW"));
    let mismatch = "amount does not match the payment";
    let no_balance = "balance is missing or invalid";
    let bad_refund = "Invalid refund_amount";
    let ok = "Success.";
    let cases = [
        (usd, "10.5", Some("10.5"), "1", ok),
        (usd, "11", Some("9.5"), "1", mismatch),
        (usd, "10.501", Some("9.5"), "1", mismatch),
        (usd, "ten", Some("9.5"), "1", mismatch),
        (usd, "10.50", None, "1", no_balance),
        (usd, "10.50", Some("9.501"), "1", no_balance),
        (usd, "10.50", Some("9.50"), "0.001", bad_refund),
        (usd, "10.50", Some("9.50"), "1,5", bad_refund),
        (krw, "1000.5", Some("1000"), "100", mismatch),
        (krw, "1000", Some("1000.0"), "100", no_balance),
        (krw, "1000", Some("1000"), "100.5", bad_refund),
        (krw, "1000", Some("1000"), "100", ok),
    ];
    for (i, ((payment, order, currency), amount, balance, refund, message)) in
        cases.into_iter().enumerate()
    {
        let balance = balance.map_or(String::new(), |b| format!(r#","balance":"{b}""#));
        // A refund id of its own for each (a repeated one is answered, not checked).
        let body = format!(
            r#"{{"mid":"{DEFAULT_MID}","refund":{{"refund_type":"P","refund_amount":"{refund}","refund_id":"R-{i}"}},"payment":{{"order_id":"{order}","currency":"{currency}","amount":"{amount}"{balance},"lang":"EN"}}}}"#
        );
        let path = format!("/v1/payments/{}/cancel", tids[payment]);
        let code = if message == ok { "0000" } else { "EC00" };
        assert_eq!(
            resmsg(&mut sandbox, &json_post(&path, &body)),
            (code.to_owned(), message.to_owned()),
            "{body}"
        );
    }
    let ledger = &sandbox.ledger;
    assert_eq!(
        ledger.payment(&tids[0]).unwrap().refunded,
        "1".parse().unwrap()
    );
    assert_eq!(ledger.payment(&tids[0]).unwrap().refunds.len(), 1);
    assert_eq!(
        ledger.payment(&tids[1]).unwrap().refunded,
        "100".parse().unwrap()
    );
    assert_eq!(ledger.payment(&tids[1]).unwrap().refunds.len(), 1);

    let capture = |amount: &str| {
        format!(
            r#"{{"mid":"{DEFAULT_MID}","payment":{{"order_id":"A-1","currency":"USD","amount":"{amount}","lang":"EN"}}}}"#
        )
    };
    let path = format!("/v1/payments/{}/capture", tids[2]);
    let partial = "amount must be the authorized amount (no partial capture)";
    for amount in ["10.501", "10", "1O.50", ""] {
        let request = json_post(&path, &capture(amount));
        assert_eq!(
            resmsg(&mut sandbox, &request),
            ("EC00".to_owned(), partial.to_owned()),
            "{amount}"
        );
        assert!(!sandbox.ledger.payment(&tids[2]).unwrap().captured);
    }
    let request = json_post(&path, &capture("10.5"));
    assert_eq!(resmsg(&mut sandbox, &request).0, "0000");
    assert!(sandbox.ledger.payment(&tids[2]).unwrap().captured);
}

/// The payments the sandbox makes itself are recorded whole: a window's `PAYMENT` is
/// captured with the time it was made, a recurring charge is a captured sale dated and
/// timed at the charge (a retrieve lag counts from that time).
#[test]
fn payments_the_sandbox_makes_carry_their_capture_and_time() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let new = NewPayment::new("SUB-1", "USD", "10.00")
        .with_transaction_type("PAYMENT")
        .with_recurring(NewRecurring::new("10.00", "http://127.0.0.1:1/recurring"));
    let (sale, registration, _) = sandbox.create_payment(new).unwrap();
    assert!(sale.captured);
    assert_eq!(sale.captured_date, Some(sandbox.kst_datetime()));
    assert_eq!(sale.created_at, sandbox.now().0);
    let first_charge = registration.unwrap().first_charge.to_yyyymmdd();

    sandbox.advance(40 * 86_400);
    let charges: Vec<_> = (sandbox.ledger.payments_of("SUB-1"))
        .filter(|p| p.transaction_id != sale.transaction_id)
        .collect();
    assert_eq!(charges.len(), 1, "one monthly charge in 40 days");
    let charge = charges[0];
    assert!(charge.captured);
    assert_eq!(charge.remote_status(), "SALE");
    let charged_on = charge.captured_date.as_deref().unwrap();
    assert!(charged_on.starts_with(&first_charge), "{charged_on}");
    assert!(charge.created_at > sale.created_at, "made at the charge");
}
