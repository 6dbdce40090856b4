//! The `eximbay` binary's notification and recurring commands against the sandbox:
//! `notification verify` and `fgkey` on a signed body and on a genuine test-host result,
//! `recurring terminate` and `adjust`, and both signed when the gateway asks for it.

use eximbay_sim::{SandboxConfig, ServerOptions};

use crate::support::*;

const SIGNED: &str = "mid=1849705C64&ref=ORDER-0001&cur=USD&amt=10.50&rescode=0000&resmsg=Success.&transid=1849705C6420260101000001&param1=&email=buyer%2B1%40example.com&resdt=20260101120000&fgkey=140C8599A2858E43633F1A1D1868F0D726524A14A32F061E9152DE69A83037A9";

#[test]
fn notification_verify_and_fgkey() {
    let out = eximbay(
        None,
        &["notification", "verify"],
        Some(&format!("{SIGNED}\n")),
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let verified = json(&out);
    assert_eq!(verified["verified"], true);
    assert_eq!(verified["transaction_id"], "1849705C6420260101000001");
    assert_eq!(verified["amount"], "10.50");
    assert_eq!(verified["fields"]["email"], "buyer+1@example.com");

    let tampered = SIGNED.replace("amt=10.50", "amt=10.05");
    let out = eximbay(None, &["notification", "verify"], Some(&tampered));
    assert_eq!(code(&out), 1);
    assert_eq!(json(&out)["verified"], false);

    let unsigned = SIGNED.split("&fgkey=").next().unwrap();
    let out = eximbay(None, &["fgkey"], Some(unsigned));
    assert_eq!(code(&out), 0);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "140C8599A2858E43633F1A1D1868F0D726524A14A32F061E9152DE69A83037A9"
    );
}

/// A genuine card PAYMENT result from Eximbay's test host (BeomB/Eximbay_OpenAPI_WebClient
/// `http/test/verify.http`; also `crates/core/testdata/genuine/test_host_payment.form`).
const GENUINE_SALE: &str = "baserate=&cur=USD&dm_reject=&cardno1=4111&resdt=20230627205838&cardno4=1111&foreignrate=&mid=1849705C64&amt=1&accesscountry=KR&ref=20230627205615&paymethod=P101&dm_review=&email=Eximbay%40eximbay.com&ver=230&foreignamt=&basecur=&dccrate=&transid=1849705C6420230627000029&dm_decision=&param3=TEST&resmsg=Success.&cardholder=FirstNameLastName&param1=&rescode=0000&param2=&authcode=949620&fgkey=DAF8A37FE01E14AC0F05E2790C8E9F8B40FC5BA98A5ACBA25E51EB3270E2BF75&txntype=PAYMENT&foreigncur=&payto=EXIMBAY.COM&baseamt=";

#[test]
fn notification_verify_says_what_a_result_means() {
    // A genuine sale passes strict mode and reads as money received.
    let out = eximbay(
        None,
        &["notification", "verify", "--strict"],
        Some(GENUINE_SALE),
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let sale = json(&out);
    assert_eq!(sale["verified"], true);
    assert_eq!(sale["strict"], true);
    assert_eq!(sale["meaning"], "money_received");
    assert_eq!(sale["meaning_detail"], "money received (sale)");
    assert_eq!(sale["paid"], true);

    // A payer authentication (the live host's field set, signed here with the test secret)
    // verifies, and is not paid.
    let unsigned = "dm_reject=&ver=230&amount=500&mid=1849705C64&dm_decision=&eci=05&transaction_type=PAYER_AUTH&param3=OPENAPI&resmsg=Success.&param1=&rescode=0000&param2=&cavv=AJkCBBNHBAAAAAEyNEEVdAAAAAA%3D&xid=45df4aaa-2b37-4042-bd10-c70e16aecab8&dm_review=&currency=KRW&payer_auth_id=20230425091903343D9F5509&order_id=SAMUEL_TEST_0425_04&email=samuel%40eximbay.com";
    let out = eximbay(None, &["fgkey"], Some(unsigned));
    let fgkey = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let signed = format!("{unsigned}&fgkey={fgkey}");
    let out = eximbay(None, &["notification", "verify", "--strict"], Some(&signed));
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let authenticated = json(&out);
    assert_eq!(authenticated["meaning"], "payer_authenticated");
    assert_eq!(authenticated["paid"], false);
    assert!(
        authenticated["next_step"]
            .as_str()
            .unwrap()
            .contains("nothing is charged")
    );

    // Strict mode refuses a signed but undocumented field; plain verification does not.
    let extra_unsigned = "mid=1849705C64&txntype=PAYMENT&rescode=0000&transid=T&fake=1";
    let out = eximbay(None, &["fgkey"], Some(extra_unsigned));
    let fgkey = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let extra = format!("{extra_unsigned}&fgkey={fgkey}");
    assert_eq!(
        code(&eximbay(None, &["notification", "verify"], Some(&extra))),
        0
    );
    let out = eximbay(None, &["notification", "verify", "--strict"], Some(&extra));
    assert_eq!(code(&out), 1);
    let refused = json(&out);
    assert_eq!(refused["verified"], false);
    assert!(refused["error"].as_str().unwrap().contains("fake"));
}

#[test]
fn recurring_terminate_and_adjust() {
    let sandbox = sandbox();
    let base = sandbox.base_url();
    let new = serde_json::from_value(serde_json::json!({
        "order_id": "SUB", "currency": "KRW", "amount": "9900", "transaction_type": "PAYMENT",
        "recurring": {"amount": "9900", "url": format!("{base}/_sim/inbox")}
    }))
    .unwrap();
    let id = sandbox
        .sandbox()
        .create_payment(new)
        .unwrap()
        .1
        .unwrap()
        .recurring_id;
    let out = eximbay(
        Some(&base),
        &[
            "recurring",
            "adjust",
            "--recurring-id",
            &id,
            "--amount",
            "12000",
            "--currency",
            "KRW",
            "--param1",
            "x y",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let adjusted = json(&out);
    assert_eq!(adjusted["response"]["amount"], "12000");
    assert_eq!(adjusted["response"]["params"][0], "x y");
    assert_eq!(
        sandbox.sandbox().recurring.registrations[&id].amount,
        "12000"
    );
    // Fractional KRW: refused before sending.
    let out = eximbay(
        Some(&base),
        &[
            "recurring",
            "adjust",
            "--recurring-id",
            &id,
            "--amount",
            "12000.5",
            "--currency",
            "KRW",
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    let out = eximbay(
        Some(&base),
        &["recurring", "terminate", "--recurring-id", &id],
        None,
    );
    assert_eq!(code(&out), 0);
    assert_eq!(json(&out)["state"], "Terminated");
    let out = eximbay(
        Some(&base),
        &["recurring", "terminate", "--recurring-id", &id],
        None,
    );
    assert_eq!(code(&out), 6, "terminating twice is a rejected request");
}

#[test]
fn recurring_calls_are_signed_on_request() {
    // A gateway that wants the legacy recurring calls signed.
    let sandbox = eximbay_tests::sandbox::start_sandbox(
        SandboxConfig {
            behaviour: eximbay_sim::Behaviour {
                legacy_signing: eximbay_sim::LegacySignature::Required,
                ..Default::default()
            },
            ..SandboxConfig::default()
        },
        ServerOptions::default(),
    );
    let base = sandbox.base_url();
    let new = serde_json::from_value(serde_json::json!({
        "order_id": "SIGNED", "currency": "USD", "amount": "9.00", "transaction_type": "PAYMENT",
        "recurring": {"amount": "9.00", "url": format!("{base}/_sim/inbox")}
    }))
    .unwrap();
    let id = sandbox
        .sandbox()
        .create_payment(new)
        .unwrap()
        .1
        .unwrap()
        .recurring_id;
    let terminate = ["recurring", "terminate", "--recurring-id", id.as_str()];
    // The integration guide's unsigned form is rejected by such a gateway…
    let out = eximbay(Some(&base), &terminate, None);
    assert_eq!(code(&out), 6, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(json(&out)["rescode"], "EC00");
    assert!(
        !sandbox.sandbox().recurring.registrations[&id]
            .status
            .is_terminated()
    );
    // …and the signed one goes through.
    let out = eximbay(
        Some(&base),
        &[&["--sign-legacy"], &terminate[..]].concat(),
        None,
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        sandbox.sandbox().recurring.registrations[&id]
            .status
            .is_terminated()
    );
}
