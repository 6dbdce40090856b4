//! DirectProcessor as the guide documents it, in-process through `Sandbox::handle`: `QUERY`
//! by `TRANSID` and `REF` (the latest), read by the core's `Query` and applied to a payment;
//! `REFUND` with the balance checked when present; `CAPTURE`; `PAYMENT_PA` after a
//! `PAYER_AUTH` window; `REBILL` on a token a window's result named `tokenID`; the answers
//! signed; a bad fgkey answered as `fgkey_failure` says; undeclared fields as
//! `undeclared_fields.direct_processor` says.

use eximbay_core::ops::query::Query;
use eximbay_core::ops::retrieve::KeyField;
use eximbay_core::payment::PaymentOutcome;
use eximbay_core::{
    Amount, Currency, Lang, Notification, Operation, OrderId, Payment, PaymentStatus, SecretKey,
    TransactionId, fgkey,
};
use eximbay_sim::{Behaviour, Sandbox, SandboxConfig};
use eximbay_sim::{DEFAULT_MID, DEFAULT_SECRET_KEY};
use eximbay_sim::{FgkeyFailure, FieldPolicy, RetrieveByOrder, UndeclaredFields};
use eximbay_tests::test_config;
use serde_json::json;

const DIRECT: &str = "/Gateway/DirectProcessor.krp";

fn secret() -> SecretKey {
    SecretKey::new(DEFAULT_SECRET_KEY).unwrap()
}

/// Posts `fields` (signed unless `fgkey` is given) to DirectProcessor; the answer's fields.
fn direct(
    sandbox: &mut Sandbox,
    fields: &[(&str, &str)],
    fgkey: Option<&str>,
) -> Vec<(String, String)> {
    let key = fgkey.map_or_else(
        || fgkey::sign(&secret(), fields.iter().copied()),
        str::to_owned,
    );
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        form.append_pair(k, v);
    }
    form.append_pair("fgkey", &key);
    let request = http::Request::post(DIRECT)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.finish().into_bytes())
        .unwrap();
    let body = sandbox.handle(&request).response.into_body();
    let text = String::from_utf8(body).unwrap();
    assert!(text.ends_with('\n'), "{text}");
    // Every answer is signed over all its fields.
    assert!(
        Notification::parse(text.trim_end().as_bytes())
            .unwrap()
            .verify(&secret())
            .is_ok(),
        "{text}"
    );
    form_urlencoded::parse(text.trim_end().as_bytes())
        .into_owned()
        .collect()
}

fn value<'a>(answer: &'a [(String, String)], key: &str) -> &'a str {
    answer
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

fn pay(sandbox: &mut Sandbox, order: &str, amount: &str, kind: &str) -> String {
    let new = json!({"order_id": order, "currency": "USD", "amount": amount,
                     "transaction_type": kind});
    let (payment, _, _) = sandbox
        .create_payment(serde_json::from_value(new).unwrap())
        .unwrap();
    payment.transaction_id
}

/// The core's request, handled by the sandbox, parsed by the core.
fn through_core<O: Operation>(
    sandbox: &mut Sandbox,
    op: &O,
) -> Result<O::Output, eximbay_core::ResponseError> {
    let request = op.to_http(&test_config()).unwrap();
    let response = sandbox.handle(&request).response;
    op.parse(response)
}

#[test]
fn query_by_transid_and_by_ref_reads_into_the_core() {
    for by_order in [RetrieveByOrder::Latest, RetrieveByOrder::First] {
        let mut sandbox = Sandbox::new(SandboxConfig {
            behaviour: Behaviour {
                retrieve_by_order: by_order,
                ..Behaviour::default()
            },
            ..SandboxConfig::default()
        });
        let first = pay(&mut sandbox, "Q-1", "10.00", "PAYMENT");
        let second = pay(&mut sandbox, "Q-1", "4.00", "AUTHORIZE");
        let query = |key_field, tid: Option<&str>, amount: &str| Query {
            key_field,
            order_id: OrderId::new("Q-1"),
            transaction_id: tid.map(TransactionId::new),
            currency: Currency::Usd,
            amount: Amount::parse(amount).unwrap(),
            lang: Lang::En,
            params: Default::default(),
        };
        let by_tid = through_core(
            &mut sandbox,
            &query(KeyField::TransactionId, Some(&first), "10.00"),
        )
        .unwrap();
        assert_eq!(by_tid.transaction_id.unwrap().as_str(), first);
        assert_eq!(by_tid.status.as_str(), "SALE");
        let by_ref = through_core(&mut sandbox, &query(KeyField::OrderId, None, "10.00")).unwrap();
        let (expected, status) = match by_order {
            RetrieveByOrder::Latest => (&second, "AUTH"),
            RetrieveByOrder::First => (&first, "SALE"),
        };
        assert_eq!(
            by_ref.transaction_id.unwrap().as_str(),
            expected,
            "{by_order:?}"
        );
        assert_eq!(by_ref.status.as_str(), status);
    }
}

#[test]
fn a_refund_and_a_capture_reconcile_through_query() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let tid = pay(&mut sandbox, "R-1", "10.00", "PAYMENT");
    let refund =
        |balance: Option<&'static str>, refundid: &'static str, refundamt: &'static str| {
            let mut fields = vec![
                ("ver", "230"),
                ("mid", DEFAULT_MID),
                ("txntype", "REFUND"),
                ("refundtype", "P"),
                ("ref", "R-1"),
                ("cur", "USD"),
                ("amt", "10.00"),
                ("refundamt", refundamt),
                ("refundid", refundid),
                ("reason", "test"),
                ("lang", "EN"),
            ];
            if let Some(b) = balance {
                fields.push(("balance", b));
            }
            fields
        };
    fn with_tid<'a>(
        sandbox: &mut Sandbox,
        tid: &'a str,
        mut fields: Vec<(&'a str, &'a str)>,
    ) -> Vec<(String, String)> {
        fields.push(("transid", tid));
        direct(sandbox, &fields, None)
    }
    // A wrong balance is refused; an absent one is not checked (guide §3.1.2).
    let wrong = with_tid(&mut sandbox, &tid, refund(Some("9.00"), "RF-1", "4.00"));
    assert_eq!(value(&wrong, "rescode"), "EC00");
    let ok = with_tid(&mut sandbox, &tid, refund(Some("10.00"), "RF-1", "4.00"));
    assert_eq!(value(&ok, "rescode"), "0000", "{ok:?}");
    assert_eq!(value(&ok, "balance"), "6.00");
    assert_eq!(value(&ok, "refundtransid").len(), 24);
    let ok = with_tid(&mut sandbox, &tid, refund(None, "RF-2", "1.00"));
    assert_eq!(value(&ok, "rescode"), "0000");
    assert_eq!(value(&ok, "balance"), "5.00");

    // The core's payment reconciles from the QUERY answer: partly refunded.
    let n = format!("transid={tid}&ref=R-1&cur=USD&amt=10.00&txntype=PAYMENT&rescode=0000");
    let mut payment =
        Payment::from_status_notification(&Notification::parse(n.as_bytes()).unwrap(), Lang::En)
            .unwrap();
    let retrieved = through_core(&mut sandbox, &payment.reconcile_by_query()).unwrap();
    payment.apply(PaymentOutcome::Retrieved(retrieved)).unwrap();
    assert_eq!(payment.status(), PaymentStatus::PartiallyRefunded);

    // CAPTURE an authorization, once.
    let auth = pay(&mut sandbox, "A-1", "3.00", "AUTHORIZE");
    let capture = [
        ("ver", "230"),
        ("mid", DEFAULT_MID),
        ("txntype", "CAPTURE"),
        ("ref", "A-1"),
        ("cur", "USD"),
        ("amt", "3.00"),
        ("transid", auth.as_str()),
        ("lang", "EN"),
    ];
    let answer = direct(&mut sandbox, &capture, None);
    assert_eq!(value(&answer, "rescode"), "0000", "{answer:?}");
    assert_eq!(value(&answer, "transid"), auth);
    assert!(sandbox.ledger.payment(&auth).unwrap().captured);
    assert_eq!(
        value(&direct(&mut sandbox, &capture, None), "rescode"),
        "EC00"
    );
}

#[test]
fn the_fgkey_and_undeclared_fields_follow_their_choices() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let tid = pay(&mut sandbox, "F-1", "1", "PAYMENT");
    let query = [
        ("ver", "230"),
        ("mid", DEFAULT_MID),
        ("txntype", "QUERY"),
        ("keyfield", "TRANSID"),
        ("ref", "F-1"),
        ("cur", "USD"),
        ("amt", "1"),
        ("transid", tid.as_str()),
        ("lang", "EN"),
    ];
    // Lower-case hex (the PHP sample, npm eximbay) verifies.
    let lower = fgkey::sign(&secret(), query.iter().copied()).to_lowercase();
    assert_eq!(
        value(&direct(&mut sandbox, &query, Some(&lower)), "rescode"),
        "0000"
    );
    for (choice, code) in [(FgkeyFailure::Ec00, "EC00"), (FgkeyFailure::Xxxx, "XXXX")] {
        sandbox.set_behaviour(Behaviour {
            fgkey_failure: choice,
            ..Behaviour::default()
        });
        let answer = direct(&mut sandbox, &query, Some("00"));
        assert_eq!(value(&answer, "rescode"), code);
        assert_eq!(value(&answer, "resmsg"), "Invalid fgkey");
    }
    let mut extra = query.to_vec();
    extra.push(("colour", "red"));
    sandbox.set_behaviour(Behaviour::default());
    let answer = direct(&mut sandbox, &extra, None);
    assert_eq!(
        value(&answer, "resmsg"),
        "colour is not a field of DirectProcessor.krp txntype=QUERY"
    );
    sandbox.set_behaviour(Behaviour {
        undeclared_fields: UndeclaredFields {
            direct_processor: FieldPolicy::Ignore,
            ..Default::default()
        },
        ..Behaviour::default()
    });
    assert_eq!(
        value(&direct(&mut sandbox, &extra, None), "rescode"),
        "0000"
    );
    // A txntype the sandbox does not serve (no field table: AUTH_REVERSAL).
    let reversal = [("mid", DEFAULT_MID), ("txntype", "AUTH_REVERSAL")];
    assert_eq!(
        value(&direct(&mut sandbox, &reversal, None), "resmsg"),
        "Invalid txntype"
    );
}

#[test]
fn payment_pa_and_rebill_make_payments() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let payer_auth_id = sandbox.authenticate_payer("PA-1", "USD", "5.00").unwrap();
    let pa = [
        ("ver", "230"),
        ("mid", DEFAULT_MID),
        ("txntype", "PAYMENT_PA"),
        ("ref", "PA-1"),
        ("cur", "USD"),
        ("amt", "5.00"),
        ("payerauthid", payer_auth_id.as_str()),
        ("lang", "EN"),
    ];
    let answer = direct(&mut sandbox, &pa, None);
    assert_eq!(value(&answer, "rescode"), "0000", "{answer:?}");
    assert_eq!(value(&answer, "txntype"), "PAYMENT_PA");
    let tid = value(&answer, "transid").to_owned();
    assert!(sandbox.ledger.payment(&tid).unwrap().captured);
    assert_eq!(
        value(&direct(&mut sandbox, &pa, None), "rescode"),
        "EC00",
        "once"
    );

    // A token from a window result (tokenID, guide §2.5.3), rebilled with REBILL.
    let new = json!({"order_id": "T-1", "currency": "USD", "amount": "2.00",
        "transaction_type": "PAYMENT", "status_url": "http://127.0.0.1:9/s", "token_creation": true});
    let (_, _, callbacks) = sandbox
        .create_payment(serde_json::from_value(new).unwrap())
        .unwrap();
    let n = Notification::parse(callbacks[0].body.as_bytes()).unwrap();
    let token = n.get("tokenID").unwrap().to_owned();
    let rebill = [
        ("ver", "230"),
        ("mid", DEFAULT_MID),
        ("txntype", "REBILL"),
        ("ref", "RB-1"),
        ("cur", "USD"),
        ("amt", "2.00"),
        ("buyer", "Buyer"),
        ("email", "b@example.com"),
        ("lang", "EN"),
        ("tokenID", token.as_str()),
        ("item_0_product", "Box"),
        ("item_0_quantity", "1"),
        ("item_0_unitPrice", "2.00"),
    ];
    let answer = direct(&mut sandbox, &rebill, None);
    assert_eq!(value(&answer, "rescode"), "0000", "{answer:?}");
    assert_eq!(value(&answer, "tokenID"), token);
    assert_eq!(value(&answer, "product"), "Box");
    let rebilled = value(&answer, "transid");
    assert_eq!(
        sandbox.ledger.payment(rebilled).unwrap().transaction_type,
        "REBILL"
    );
    let unknown = [
        ("mid", DEFAULT_MID),
        ("txntype", "REBILL"),
        ("tokenID", "TK0"),
    ];
    assert_eq!(
        value(&direct(&mut sandbox, &unknown, None), "resmsg"),
        "Invalid tokenID"
    );
}
