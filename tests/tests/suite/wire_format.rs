//! The bytes on the wire: every operation's request, pinned by snapshots, and the capture
//! and cancel bodies compared field by field (names, order, values) with the seeds' samples.

use eximbay_core::ops::MerchantParams;
use eximbay_core::ops::cancel::{Cancel, RefundAccount, RefundKind};
use eximbay_core::ops::capture::Capture;
use eximbay_core::ops::ready::Ready;
use eximbay_core::ops::recurring_adjust::RecurringAdjust;
use eximbay_core::ops::recurring_terminate::RecurringTerminate;
use eximbay_core::ops::retrieve::{KeyField, Retrieve};
use eximbay_core::ops::v1_recurring_adjust::V1RecurringAdjust;
use eximbay_core::ops::v1_recurring_delete::V1RecurringDelete;
use eximbay_core::ops::verify::Verify;
use eximbay_core::registration::RecurringRegistration;
use eximbay_core::{
    Amount, BuildError, Currency, Lang, Operation, OrderId, RecurringId, RefundId, Timestamp,
    TransactionId, TransactionType,
};
use eximbay_tests::{SEED_AUTHORIZATION, TID, render_request, test_config};
use serde_json::Value;

// The seed samples' JSON bodies, as printed in seeds 000 and 001.
const SEED_CAPTURE_BODY: &str = r#"{
"mid" : "1849705C64",
"payment" : {
"order_id" : "20220902101716",
"currency" : "USD",
"amount" : "1",
"lang" : "EN"
}
}"#;

const SEED_FULL_CANCEL_BODY: &str = r#"{
"mid" : "1849705C64",
"refund" : {
"refund_type" : "F",
"refund_amount" : "1",
"refund_id" : "1849705C64",
"reason" : "단순변심"
},
"payment" : {
"order_id" : "20220829170258",
"currency" : "USD",
"amount" : "1",
"balance" : "1",
"lang" : "EN"
}
}"#;

const SEED_PARTIAL_CANCEL_BODY: &str = r#"{
"mid" : "1849705C64",
"refund" : {
"refund_type" : "P",
"refund_amount" : "0.5",
"refund_id" : "1849705C64",
"reason" : "단순변심"
},
"payment" : {
"order_id" : "20220829170258",
"currency" : "USD",
"amount" : "1",
"balance" : "1",
"lang" : "EN"
}
}"#;

fn amount(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

fn seed_capture() -> Capture {
    Capture {
        transaction_id: TransactionId::new(TID),
        order_id: OrderId::new("20220902101716"),
        currency: Currency::Usd,
        amount: amount("1"),
        lang: Lang::En,
    }
}

fn seed_cancel(kind: RefundKind) -> Cancel {
    Cancel::new(
        TransactionId::new(TID),
        OrderId::new("20220829170258"),
        Currency::Usd,
        amount("1"),
        amount("1"),
        kind,
        RefundId::new("1849705C64"),
        Lang::En,
    )
    .with_reason("단순변심")
}

/// Same fields, same order, same values (JSON whitespace aside).
fn assert_same_json(sent: &[u8], seed: &str) {
    let sent: Value = serde_json::from_slice(sent).unwrap();
    let seed: Value = serde_json::from_str(seed).unwrap();
    assert_eq!(
        serde_json::to_string(&sent).unwrap(),
        serde_json::to_string(&seed).unwrap()
    );
}

#[test]
fn capture_matches_the_seed_sample() {
    let req = seed_capture().to_http(&test_config()).unwrap();
    assert_eq!(req.method(), http::Method::POST);
    assert_eq!(
        req.uri(),
        "https://api-test.eximbay.com/v1/payments/1849705C6420220922000016/capture"
    );
    assert_eq!(req.headers()["authorization"], SEED_AUTHORIZATION);
    assert!(req.headers()["authorization"].is_sensitive());
    assert_eq!(req.headers()["content-type"], "application/json");
    assert_eq!(req.headers().len(), 2, "no headers beyond the seed's");
    assert_same_json(req.body(), SEED_CAPTURE_BODY);
    insta::assert_snapshot!(render_request(&req));
}

#[test]
fn cancels_match_the_seed_samples() {
    let cfg = test_config();
    let full = seed_cancel(RefundKind::Full).to_http(&cfg).unwrap();
    assert_eq!(
        full.uri(),
        "https://api-test.eximbay.com/v1/payments/1849705C6420220922000016/cancel"
    );
    assert_eq!(full.headers()["authorization"], SEED_AUTHORIZATION);
    assert_same_json(full.body(), SEED_FULL_CANCEL_BODY);
    assert!(!String::from_utf8_lossy(full.body()).contains("oreder_id"));
    insta::assert_snapshot!("cancel_full", render_request(&full));

    let partial = seed_cancel(RefundKind::Partial(amount("0.5")))
        .to_http(&cfg)
        .unwrap();
    assert_same_json(partial.body(), SEED_PARTIAL_CANCEL_BODY);
    insta::assert_snapshot!("cancel_partial", render_request(&partial));
}

#[test]
fn cancel_with_refund_account_and_without_reason() {
    let mut cancel =
        seed_cancel(RefundKind::Partial(amount("0.25"))).with_refund_account(RefundAccount {
            user_name: "Hong Gildong".to_owned(),
            bank_code: "004".to_owned(),
            account_number: "12345678901234".to_owned(),
        });
    cancel.reason = None;
    let req = cancel.to_http(&test_config()).unwrap();
    insta::assert_snapshot!(render_request(&req));
    assert!(!format!("{cancel:?}").contains("12345678901234"));
}

#[test]
fn retrieve_verify_ready_requests() {
    let cfg = test_config();
    let by_tid = Retrieve {
        key_field: KeyField::TransactionId,
        order_id: OrderId::new("20220902101716"),
        transaction_id: Some(TransactionId::new(TID)),
        currency: Currency::Usd,
        amount: amount("1"),
        lang: Lang::En,
    };
    insta::assert_snapshot!(
        "retrieve_by_transaction_id",
        render_request(&by_tid.to_http(&cfg).unwrap())
    );
    let by_order = Retrieve {
        key_field: KeyField::OrderId,
        transaction_id: None,
        ..by_tid.clone()
    };
    insta::assert_snapshot!(
        "retrieve_by_order_id",
        render_request(&by_order.to_http(&cfg).unwrap())
    );
    let missing = Retrieve {
        key_field: KeyField::TransactionId,
        transaction_id: None,
        ..by_tid
    };
    assert!(missing.to_http(&cfg).is_err());

    let verify = Verify {
        data: "mid=1849705C64&ref=ORDER-0001&rescode=0000&fgkey=ABC".to_owned(),
    };
    insta::assert_snapshot!("verify", render_request(&verify.to_http(&cfg).unwrap()));

    let ready = Ready {
        transaction_type: TransactionType::Authorize,
        order_id: OrderId::new("20220819105102"),
        currency: Currency::Usd,
        amount: amount("1"),
        lang: Lang::En,
        buyer_name: "eximbay".to_owned(),
        buyer_email: "test@eximbay.com".to_owned(),
        buyer_phone: None,
        payment_method: None,
        multi_payment_method: None,
        shop: None,
        partner_code: None,
        return_url: "https://shop.example/return".to_owned(),
        status_url: "https://shop.example/status".to_owned(),
        products: Vec::new(),
        surcharges: Vec::new(),
        other_param: Default::default(),
        tax: Default::default(),
        settings: Default::default(),
        token_creation: false,
    };
    insta::assert_snapshot!("ready", render_request(&ready.to_http(&cfg).unwrap()));
}

#[test]
fn recurring_requests() {
    let cfg = test_config();
    let params = MerchantParams {
        param1: Some("customer 42".to_owned()),
        param2: None,
        param3: Some("a&b=c".to_owned()),
    };
    let terminate = RecurringTerminate {
        recurring_id: RecurringId::new("RC2026010100001"),
        params: params.clone(),
    };
    let req = terminate.to_http(&cfg).unwrap();
    assert_eq!(
        req.uri(),
        "https://secureapi.test.eximbay.com/Gateway/DirectProcessor.krp"
    );
    assert!(req.headers().get("authorization").is_none());
    assert_eq!(
        std::str::from_utf8(req.body()).unwrap(),
        "mid=1849705C64&txntype=RC_TERMINATE&recurringID=RC2026010100001&param1=customer+42&param3=a%26b%3Dc"
    );
    insta::assert_snapshot!("recurring_terminate", render_request(&req));

    let adjust = RecurringAdjust {
        recurring_id: RecurringId::new("RC2026010100001"),
        currency: Currency::Usd,
        amount: amount("9.15"),
        params: MerchantParams::default(),
    };
    let req = adjust.to_http(&cfg).unwrap();
    assert_eq!(
        std::str::from_utf8(req.body()).unwrap(),
        "mid=1849705C64&txntype=RC_ADJUST&adjustType=A&recurringID=RC2026010100001&adjustAmount=9.15"
    );
    insta::assert_snapshot!("recurring_adjust", render_request(&req));

    let delete = V1RecurringDelete {
        recurring_id: RecurringId::new("RC2026010100001"),
    };
    let req = delete.to_http(&cfg).unwrap();
    assert_eq!(req.body(), b"{}");
    insta::assert_snapshot!("v1_recurring_delete", render_request(&req));

    let adjust = V1RecurringAdjust {
        recurring_id: RecurringId::new("RC2026010100001"),
        currency: Currency::Krw,
        amount: amount("15000"),
    };
    insta::assert_snapshot!(
        "v1_recurring_adjust",
        render_request(&adjust.to_http(&cfg).unwrap())
    );
}

#[test]
fn recurring_registration_fields() {
    // 2026-01-01T12:00:00+09:00
    let now = Timestamp(1_767_236_400);
    let reg = RecurringRegistration::new(amount("10.50"), "https://shop.example/recurring")
        .first_charge_on(eximbay_core::Date::new(2026, 1, 15).unwrap())
        .email_days_before(7);
    let fields = reg.form_fields(&Currency::Usd, now).unwrap();
    insta::assert_debug_snapshot!(fields);
}

#[test]
fn invalid_input_is_a_typed_error_and_builds_nothing() {
    let cfg = test_config();
    let mut capture = seed_capture();
    capture.transaction_id = TransactionId::new("1849705C64");
    assert!(matches!(
        capture.to_http(&cfg),
        Err(BuildError::InvalidField {
            field: "transaction_id",
            ..
        })
    ));
    let mut capture = seed_capture();
    capture.currency = Currency::Krw;
    capture.amount = amount("1000.5");
    assert!(matches!(
        capture.to_http(&cfg),
        Err(BuildError::Amount {
            field: "amount",
            ..
        })
    ));
    let mut capture = seed_capture();
    capture.lang = Lang::from_code("DE");
    assert!(capture.to_http(&cfg).is_err());
    let mut capture = seed_capture();
    capture.order_id = OrderId::new("");
    assert!(capture.to_http(&cfg).is_err());

    // More than the balance, a full refund after a partial one, a balance above the amount.
    let over = seed_cancel(RefundKind::Partial(amount("1.01")));
    assert!(over.to_http(&cfg).is_err());
    let mut full_after_partial = seed_cancel(RefundKind::Full);
    full_after_partial.balance = amount("0.5");
    assert!(full_after_partial.to_http(&cfg).is_err());
    let mut high_balance = seed_cancel(RefundKind::Partial(amount("0.5")));
    high_balance.balance = amount("2");
    assert!(high_balance.to_http(&cfg).is_err());
    let mut bad_reason = seed_cancel(RefundKind::Full);
    bad_reason.reason = Some("line\nbreak".to_owned());
    assert!(bad_reason.to_http(&cfg).is_err());
    let bad_recurring = RecurringTerminate {
        recurring_id: RecurringId::new("RC-0000000000000000001"),
        params: MerchantParams::default(),
    };
    assert!(bad_recurring.to_http(&cfg).is_err());
}

#[test]
fn custom_environment_changes_only_the_hosts() {
    let cfg = eximbay_core::Config::new(
        eximbay_core::Environment::custom("http://127.0.0.1:8080").unwrap(),
        eximbay_core::Mid::new(eximbay_tests::MID).unwrap(),
        eximbay_core::ApiKey::new(eximbay_tests::API_KEY).unwrap(),
    )
    .unwrap();
    let sandbox = seed_capture().to_http(&cfg).unwrap();
    let test = seed_capture().to_http(&test_config()).unwrap();
    assert_eq!(
        sandbox.uri(),
        "http://127.0.0.1:8080/v1/payments/1849705C6420220922000016/capture"
    );
    assert_eq!(sandbox.body(), test.body());
    assert_eq!(sandbox.headers(), test.headers());
}

#[test]
fn ready_with_every_documented_field() {
    use eximbay_core::PaymentMethod;
    use eximbay_core::ops::ready::Ready;
    use eximbay_core::window::{DisplayType, OsType};
    let cfg = test_config();
    let mut ready = Ready::new(
        TransactionType::Payment,
        OrderId::new("ORDER-ALL-1"),
        Currency::Usd,
        amount("25.00"),
        Lang::En,
        ("Min-jun Kim", "buyer@example.com"),
        "https://shop.example/return",
        "https://shop.example/status",
    );
    ready.payment_method = Some(PaymentMethod::Card);
    ready.multi_payment_method = Some("P000,P001".to_owned());
    ready.shop = Some("Tea & Co".to_owned());
    ready.partner_code = Some("KRP".to_owned());
    ready.buyer_phone = Some("+82-10-0000-0000".to_owned());
    ready.settings.display_type = Some(DisplayType::Redirect);
    ready.settings.ostype = Some(OsType::Mobile);
    ready.settings.autoclose = Some(true);
    ready.settings.site_foreign_currency = Some(Currency::Myr);
    ready.settings.issuer_country = Some("KR".to_owned());
    ready.settings.call_from_app = Some(true);
    ready.settings.call_from_scheme = Some("teaapp".to_owned());
    ready.settings.other.insert(
        "virtualaccount_expiry_date".to_owned(),
        "2026010123".to_owned(),
    );
    let req = ready.to_http(&cfg).unwrap();
    insta::assert_snapshot!("ready_every_documented_field", render_request(&req));
    // A wallet opened directly: the method alone, no DCC currency.
    let mut wallet = ready.clone();
    wallet.payment_method = Some(PaymentMethod::KakaoPay);
    wallet.settings.site_foreign_currency = None;
    let body: Value = serde_json::from_slice(wallet.to_http(&cfg).unwrap().body()).unwrap();
    assert_eq!(body["payment"]["payment_method"], "P302");
    assert!(body["settings"].get("site_foreign_currency").is_none());
    // Nothing optional set: none of it is sent (the ready snapshot above stays as it was).
    let plain = Ready::new(
        TransactionType::Payment,
        OrderId::new("ORDER-ALL-1"),
        Currency::Usd,
        amount("25.00"),
        Lang::En,
        ("Min-jun Kim", "buyer@example.com"),
        "https://shop.example/return",
        "https://shop.example/status",
    );
    let body: Value = serde_json::from_slice(plain.to_http(&cfg).unwrap().body()).unwrap();
    assert!(body.get("settings").is_none());
    assert_eq!(body["merchant"], serde_json::json!({"mid": "1849705C64"}));
    assert_eq!(
        body["buyer"],
        serde_json::json!({"name": "Min-jun Kim", "email": "buyer@example.com"})
    );
}
