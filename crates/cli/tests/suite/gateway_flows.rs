//! The `eximbay` binary's payer-authentication and stored-card commands against the sandbox:
//! output, exit codes, and that invalid input sends nothing.

use crate::support::*;

#[test]
fn confirm_after_payer_authentication() {
    let sandbox = sandbox();
    let base = sandbox.base_url();
    sandbox.sandbox().authentications.record(
        "PA000000000000000042".to_owned(),
        eximbay_sim::Authentication {
            order_id: "CLI-3DS".to_owned(),
            currency: "USD".to_owned(),
            amount: "25.00".to_owned(),
            confirmed: None,
        },
    );
    let confirm = |transaction_type: &str, amount: &str| {
        eximbay(
            Some(&base),
            &[
                "confirm",
                "--transaction-type",
                transaction_type,
                "--payer-auth-id",
                "PA000000000000000042",
                "--order-id",
                "CLI-3DS",
                "--currency",
                "usd",
                "--amount",
                amount,
            ],
            None,
        )
    };
    // Invalid input: exit 2, nothing sent.
    assert_eq!(code(&confirm("PAYMENT", "25.00")), 2);
    assert_eq!(code(&confirm("AUTHORIZE_PA", "25.001")), 2);
    assert!(sandbox.sandbox().ledger.is_empty());
    // Another amount than the authentication's: the gateway refuses the request.
    let out = confirm("AUTHORIZE_PA", "24.00");
    assert_eq!(code(&out), 6, "{}", String::from_utf8_lossy(&out.stderr));
    let out = confirm("authorize_pa", "25");
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let confirmed = json(&out);
    assert_eq!(confirmed["state"], "Authorized");
    let tid = confirmed["response"]["transaction_id"].as_str().unwrap();
    assert!(!sandbox.sandbox().ledger.payment(tid).unwrap().captured);
    // An authentication is confirmed once.
    assert_eq!(code(&confirm("PAYMENT_PA", "25.00")), 6);
}

#[test]
fn token_rebill_show_delete() {
    let sandbox = sandbox();
    let base = sandbox.base_url();
    let new: eximbay_sim::NewPayment = serde_json::from_value(serde_json::json!({
        "order_id": "CLI-TOKEN", "currency": "USD", "amount": "12.00",
        "transaction_type": "PAYMENT", "status_url": "http://127.0.0.1:1/status",
        "token_creation": true
    }))
    .unwrap();
    sandbox.sandbox().create_payment(new).unwrap();
    let token_id = sandbox
        .sandbox()
        .tokens
        .cards()
        .next()
        .unwrap()
        .0
        .to_owned();
    let token = |args: &[&str]| eximbay(Some(&base), &[&["token"], args].concat(), None);

    let rebill = [
        "rebill",
        "--token-id",
        &token_id,
        "--order-id",
        "CLI-REBILL-1",
        "--currency",
        "usd",
        "--amount",
        "12",
        "--product",
        "Monthly tea box",
    ];
    let out = token(&rebill);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let rebilled = json(&out);
    assert_eq!(rebilled["state"], "Captured");
    assert_eq!(rebilled["response"]["card_info"]["card_number4"], "1111");
    // Invalid input: exit 2, nothing sent.
    assert_eq!(
        code(&token(&[
            "rebill",
            "--token-id",
            "TK/x",
            "--order-id",
            "O",
            "--currency",
            "USD",
            "--amount",
            "1"
        ])),
        2
    );
    assert_eq!(
        code(&token(&[
            "rebill",
            "--token-id",
            &token_id,
            "--order-id",
            "O",
            "--currency",
            "KRW",
            "--amount",
            "1.5"
        ])),
        2
    );
    assert_eq!(
        sandbox
            .sandbox()
            .tokens
            .card(&token_id)
            .unwrap()
            .rebills
            .len(),
        1
    );

    let out = token(&["show", "--token-id", &token_id]);
    assert_eq!(code(&out), 0);
    assert_eq!(json(&out)["state"], "Active");
    let out = token(&["delete", "--token-id", &token_id]);
    assert_eq!(code(&out), 0);
    assert_eq!(json(&out)["state"], "Deleted");
    assert_eq!(
        json(&token(&["show", "--token-id", &token_id]))["state"],
        "Deleted"
    );
    // A deleted card is refused by the gateway: a rejected request, exit 6.
    let out = token(&rebill);
    assert_eq!(code(&out), 6);
    assert_eq!(json(&out)["rescode"], "EC00");
}
