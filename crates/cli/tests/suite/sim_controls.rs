//! `eximbay sim <subcommand>` against a running sandbox: every id a later command needs is
//! printed by the one before, so `eximbay confirm` and `eximbay token …` can be tried with
//! nothing but the CLI.

use crate::support::*;

#[test]
fn a_stored_card_and_a_payer_authentication_found_through_the_cli() {
    let sandbox = sandbox();
    let base = sandbox.base_url();
    let base = Some(base.as_str());

    // A stored card: its token_id comes back at once, and the token commands take it.
    let out = eximbay(
        base,
        &[
            "sim",
            "pay",
            "--order-id",
            "CARD-1",
            "--currency",
            "USD",
            "--amount",
            "12.00",
            "--type",
            "payment",
            "--store-card",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let stored = json(&out);
    let token_id = stored["token_id"].as_str().expect("a token_id").to_owned();
    assert!(token_id.starts_with("TK"), "{stored}");
    let listed = json(&eximbay(base, &["sim", "tokens"], None));
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["tokens"][0]["token_id"], token_id.as_str());
    assert_eq!(listed["tokens"][0]["state"], "Active");
    assert_eq!(
        listed["tokens"][0]["transaction_id"],
        stored["transaction_id"]
    );
    let out = eximbay(
        base,
        &[
            "token",
            "rebill",
            "--token-id",
            &token_id,
            "--order-id",
            "CARD-2",
            "--currency",
            "USD",
            "--amount",
            "12.00",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let listed = json(&eximbay(base, &["sim", "tokens"], None));
    assert_eq!(
        listed["tokens"][0]["rebills"].as_array().map(Vec::len),
        Some(1)
    );

    // A payer authentication: its payer_auth_id, then `eximbay confirm` makes the payment.
    let out = eximbay(
        base,
        &[
            "sim",
            "pay",
            "--order-id",
            "3DS-1",
            "--currency",
            "USD",
            "--amount",
            "30.00",
            "--type",
            "PAYER_AUTH",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let authentication = json(&out);
    let payer_auth_id = authentication["payer_auth_id"].as_str().unwrap().to_owned();
    assert!(
        authentication.get("transaction_id").is_none(),
        "no money moved: {authentication}"
    );
    let out = eximbay(
        base,
        &[
            "confirm",
            "--transaction-type",
            "PAYMENT_PA",
            "--payer-auth-id",
            &payer_auth_id,
            "--order-id",
            "3DS-1",
            "--currency",
            "USD",
            "--amount",
            "30.00",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let confirmed = json(&out);
    let listed = json(&eximbay(base, &["sim", "authentications"], None));
    assert_eq!(
        listed["authentications"][0]["payer_auth_id"],
        payer_auth_id.as_str()
    );
    assert_eq!(
        listed["authentications"][0]["confirmed_as"], confirmed["response"]["transaction_id"],
        "{listed} / {confirmed}"
    );
}

#[test]
fn the_clock_faults_choices_and_ledger_from_the_cli() {
    let sandbox = sandbox();
    let base = sandbox.base_url();
    let base = Some(base.as_str());

    let before = json(&eximbay(base, &["sim", "clock"], None))["now"]
        .as_i64()
        .unwrap();
    let moved = json(&eximbay(
        base,
        &["sim", "clock", "--advance-days", "2"],
        None,
    ));
    assert_eq!(moved["now"].as_i64().unwrap(), before + 2 * 86_400);

    // A cash payment, registered and then settled.
    let out = eximbay(
        base,
        &[
            "sim",
            "pay",
            "--order-id",
            "CASH-1",
            "--currency",
            "KRW",
            "--amount",
            "15000",
            "--cash",
        ],
        None,
    );
    let tid = json(&out)["transaction_id"].as_str().unwrap().to_owned();
    let settled = json(&eximbay(
        base,
        &["sim", "settle", "--transaction-id", &tid],
        None,
    ));
    assert_eq!(settled["status"], "Sale");
    let ledger = json(&eximbay(
        base,
        &["sim", "payments", "--order-id", "CASH-1"],
        None,
    ));
    assert!(ledger["payments"][&tid].is_object(), "{ledger}");

    // A fault scripted from the CLI: the next capture is answered with HTTP 500 (exit 4).
    let card = json(&eximbay(
        base,
        &[
            "sim",
            "pay",
            "--order-id",
            "F-1",
            "--currency",
            "USD",
            "--amount",
            "5.00",
        ],
        None,
    ))["transaction_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = eximbay(
        base,
        &[
            "sim",
            "fault",
            "--path-contains",
            "/capture",
            "--kind",
            "http500",
        ],
        None,
    );
    assert_eq!(json(&out)["queued"], 1);
    let capture = [
        "capture",
        "--transaction-id",
        &card,
        "--order-id",
        "F-1",
        "--currency",
        "USD",
        "--amount",
        "5.00",
    ];
    assert_eq!(code(&eximbay(base, &capture, None)), 4);

    // A choice changed by name; the others keep their values.
    let before = json(&eximbay(base, &["sim", "behaviour"], None));
    let after = json(&eximbay(
        base,
        &[
            "sim",
            "behaviour",
            "--set",
            "echoed_amounts=currency_exponent",
        ],
        None,
    ));
    assert_eq!(after["echoed_amounts"], "currency_exponent");
    assert_ne!(before["echoed_amounts"], after["echoed_amounts"]);
    for (name, value) in before.as_object().unwrap() {
        if name != "echoed_amounts" {
            assert_eq!(&after[name], value, "{name} kept");
        }
    }
    let out = eximbay(
        base,
        &["sim", "behaviour", "--set", "no_such_choice=1"],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such choice"));

    // The sandbox refuses what it cannot make: exit 2 with its message.
    let out = eximbay(
        base,
        &[
            "sim",
            "pay",
            "--order-id",
            "K-1",
            "--currency",
            "KRW",
            "--amount",
            "10.5",
        ],
        None,
    );
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("the sandbox refused it"));
}

#[test]
fn a_sandbox_that_is_not_there_is_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = format!("http://127.0.0.1:{port}");
    let out = eximbay(Some(&closed), &["sim", "clock"], None);
    assert_eq!(code(&out), 5);
    assert!(String::from_utf8_lossy(&out.stderr).contains("start it with `eximbay sim`"));
}
