//! The sandbox's request handling under hostile input: a sequence of requests built from the
//! fuzzer's bytes goes through `Sandbox::handle` (the very code the server runs), and after
//! each one the sandbox still holds together — no panic, and every ledger invariant.
//!
//! Input: requests separated by a `0xFF` byte; each is `[method][route][flags][body…]`, where
//! `route` picks one of the sandbox's paths (with the ids of a payment, a registration, a
//! stored card and an authentication made beforehand, so deep handlers are reached) and
//! `flags` the Authorization and Content-Type headers.

use eximbay_sim::Authentication;
use eximbay_sim::NewPayment;
use eximbay_sim::{Sandbox, SandboxConfig};

const METHODS: [&str; 4] = ["POST", "GET", "PUT", "DELETE"];

/// A sandbox with one of everything to aim at: an authorized payment, a captured payment
/// with a registration and a stored card, a registered cash payment, an authentication.
fn seeded() -> Option<(Sandbox, Vec<String>)> {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let new = |order: &str, json: &str| -> Option<NewPayment> {
        serde_json::from_str(&format!(
            r#"{{"order_id":"{order}","currency":"USD","amount":"25.00","status_url":"http://127.0.0.1:1/s"{json}}}"#
        ))
        .ok()
    };
    let (authorized, _, _) = sandbox.create_payment(new("F-1", "")?).ok()?;
    let (captured, registration, _) = sandbox
        .create_payment(new(
            "F-2",
            r#","transaction_type":"PAYMENT","token_creation":true,"recurring":{"amount":"25.00","url":"http://127.0.0.1:1/r"}"#,
        )?)
        .ok()?;
    let (cash, _, _) = sandbox
        .create_payment(new("F-3", r#","method":"cash""#)?)
        .ok()?;
    sandbox.authentications.record(
        "PA000000000000000001".to_owned(),
        Authentication {
            order_id: "F-4".to_owned(),
            currency: "USD".to_owned(),
            amount: "25.00".to_owned(),
            confirmed: None,
        },
    );
    let token = sandbox.tokens.cards().next()?.0.to_owned();
    let recurring = registration?.recurring_id;
    let ids = vec![
        authorized.transaction_id,
        captured.transaction_id,
        cash.transaction_id,
        recurring,
        token,
    ];
    Some((sandbox, ids))
}

fn route(choice: u8, ids: &[String]) -> String {
    let id = |n: usize| ids.get(n).map_or("", String::as_str);
    let tid = id(usize::from(choice / 32) % 3);
    match choice % 24 {
        0 => format!("/v1/payments/{tid}/capture"),
        1 => format!("/v1/payments/{tid}/cancel"),
        2 => "/v1/payments/retrieve".to_owned(),
        3 => "/v1/payments/verify".to_owned(),
        4 => "/v1/payments/ready".to_owned(),
        5 => "/v1/payments/confirm".to_owned(),
        6 => format!("/v1/payments/tokenbilling/{}/rebill", id(4)),
        7 => format!("/v1/payments/tokenbilling/{}/delete", id(4)),
        8 => format!("/v1/payments/tokenbilling/{}", id(4)),
        9 => format!("/v1/payments/recurring/{}/adjust", id(3)),
        10 => format!("/v1/payments/recurring/{}/delete", id(3)),
        11 => "/Gateway/DirectProcessor.krp".to_owned(),
        12 => "/Gateway/BasicProcessor.krp".to_owned(),
        13 => "/v1/javascriptSDK.js".to_owned(),
        14 => "/window/W00000001".to_owned(),
        15 => "/_sim/payments".to_owned(),
        16 => "/_sim/clock".to_owned(),
        17 => "/_sim/faults".to_owned(),
        18 => "/_sim/behaviour".to_owned(),
        19 => "/_sim/ledger?limit=3".to_owned(),
        20 => "/_sim/inbox".to_owned(),
        21 => format!("/_sim/recurring/{}/decline_next", id(3)),
        22 => format!("/_sim/payments/{}/settle", id(2)),
        _ => "/_sim/checkout".to_owned(),
    }
}

fn request(bytes: &[u8], ids: &[String]) -> Option<http::Request<Vec<u8>>> {
    let [method, choice, flags, body @ ..] = bytes else {
        return None;
    };
    let mut builder = http::Request::builder()
        .method(METHODS[usize::from(*method) % METHODS.len()])
        .uri(route(*choice, ids));
    if flags & 1 == 1 {
        // `Basic base64("test_1849705C642C217E0B2D:")`, the sandbox's default key.
        builder = builder.header(
            "authorization",
            "Basic dGVzdF8xODQ5NzA1QzY0MkMyMTdFMEIyRDo=",
        );
    }
    builder = match (flags >> 1) % 3 {
        0 => builder.header("content-type", "application/json"),
        1 => builder.header("content-type", "application/x-www-form-urlencoded"),
        _ => builder,
    };
    builder.body(body.to_vec()).ok()
}

/// What must hold after every request, whatever it was.
fn assert_ledger_holds(sandbox: &Sandbox) {
    for payment in sandbox.ledger.payments() {
        let tid = &payment.transaction_id;
        let found = sandbox.ledger.payment(tid);
        assert!(
            found.is_some_and(|found| std::ptr::eq(found, payment)),
            "indexed under its own id"
        );
        assert!(
            (sandbox.ledger.payments_of(&payment.order_id)).any(|p| std::ptr::eq(p, payment)),
            "listed under its order"
        );
        assert_eq!(tid.len(), 24, "a 24-character transaction id");
        assert!(payment.refunded >= rust_decimal::Decimal::ZERO);
        assert!(
            payment.refunded <= payment.total(),
            "refunded more than paid: {payment:?}"
        );
        assert!(payment.captures_applied <= 1, "captured twice: {payment:?}");
        assert!(!(payment.captured && payment.awaiting_payment));
    }
    for (_, auth) in sandbox.authentications.all() {
        if let Some(tid) = &auth.confirmed {
            assert!(
                sandbox.ledger.payment(tid).is_some(),
                "confirmed into a payment"
            );
        }
    }
    for (_, card) in sandbox.tokens.cards() {
        for tid in &card.rebills {
            assert!(
                sandbox.ledger.payment(tid).unwrap().captured,
                "a rebill is captured"
            );
        }
    }
}

/// The seeded sandbox, made once per process: each input starts from a clone of it
/// (seeding signs and records three payments; cloning copies a few maps).
static SEEDED: std::sync::OnceLock<Option<(Sandbox, Vec<String>)>> = std::sync::OnceLock::new();

/// Up to 16 requests from `bytes`, each through `Sandbox::handle`.
pub fn sandbox_requests(bytes: &[u8]) {
    let Some((seed, ids)) = SEEDED.get_or_init(seeded) else {
        panic!("the seeded sandbox could not be made");
    };
    let mut sandbox = seed.clone();
    for part in bytes.split(|b| *b == 0xFF).take(16) {
        if let Some(request) = request(part, ids) {
            let handled = sandbox.handle(&request);
            assert!(handled.response.status().as_u16() < 600);
            assert_ledger_holds(&sandbox);
        }
    }
}
