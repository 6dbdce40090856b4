//! What the merchant's server hands the buyer's browser: the legacy `PaymentForm` (signed
//! `BasicProcessor.krp` fields and an auto-submitting page) and the v1 `request_pay` payload,
//! built from the same value as the `ready` body.

use eximbay_core::ops::MerchantParams;
use eximbay_core::ops::ready::{Prepared, Ready};
use eximbay_core::registration::RecurringRegistration;
use eximbay_core::window::{DisplayType, Line, PaymentForm};
use eximbay_core::{
    Amount, BuildError, Currency, Date, Lang, Operation, OrderId, SecretKey, Timestamp,
    TransactionType, fgkey,
};
use eximbay_tests::{SECRET_KEY, render_request, test_config};

fn amount(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

/// 2026-01-01 12:00 in Korea.
const NOW: Timestamp = Timestamp(1_767_236_400);

fn form() -> PaymentForm {
    PaymentForm {
        transaction_type: TransactionType::Payment,
        order_id: OrderId::new("SUB-2026-0001"),
        currency: Currency::Usd,
        amount: amount("12.00"),
        shop: "Tea & Co".into(),
        buyer: "Kim \"Min\" <Jun>".into(),
        email: "buyer+1@example.com".into(),
        tel: Some("+82-10-0000-0000".into()),
        lang: Lang::En,
        return_url: "https://shop.example/return?order=SUB-2026-0001&x=1".into(),
        status_url: "https://shop.example/status".into(),
        display_type: Some(DisplayType::Redirect),
        os_type: None,
        params: MerchantParams {
            param1: Some("customer-42".into()),
            ..MerchantParams::default()
        },
        items: vec![Line::new("Monthly tea box", 1, amount("10.00"))],
        surcharges: vec![Line::new("Shipping", 1, amount("2.00"))],
        recurring: Some(
            RecurringRegistration::new(amount("12.00"), "https://shop.example/recurring")
                .first_charge_on(Date::parse_yyyymmdd("20260201").unwrap()),
        ),
        options: Default::default(),
    }
}

#[test]
fn the_legacy_form_is_signed_over_every_field() {
    let signed = form().sign(&test_config(), NOW).unwrap();
    assert_eq!(
        signed.action,
        "https://secureapi.test.eximbay.com/Gateway/BasicProcessor.krp"
    );
    let rendered: String = signed
        .fields
        .iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect();
    insta::assert_snapshot!(rendered);
    let (fgkey_field, fields) = signed.fields.split_last().unwrap();
    assert_eq!(fgkey_field.0, "fgkey");
    assert!(fgkey::verify(
        &SecretKey::new(SECRET_KEY).unwrap(),
        fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &fgkey_field.1
    ));
    // The page posts every field, escaped, to the window.
    let page = signed.html();
    assert!(
        page.contains(r#"action="https://secureapi.test.eximbay.com/Gateway/BasicProcessor.krp""#)
    );
    assert!(
        page.contains(r#"name="buyer" value="Kim &quot;Min&quot; &lt;Jun&gt;""#),
        "{page}"
    );
    assert!(page.contains(r#"name="shop" value="Tea &amp; Co""#));
    assert_eq!(
        page.matches("<input type=\"hidden\"").count(),
        signed.fields.len()
    );
    assert!(
        !format!("{signed:?}").contains("buyer+1@example.com"),
        "Debug shows no personal data"
    );
}

#[test]
fn the_legacy_form_sends_every_documented_field() {
    use eximbay_core::PaymentMethod;
    use eximbay_core::window::{Address, OsType, WindowOptions};
    let address = |first: &str| Address {
        first_name: first.into(),
        last_name: "Kim".into(),
        street1: "1 Sejong-daero".into(),
        city: "Seoul".into(),
        state: String::new(),
        postal_code: "04524".into(),
        country: "KR".into(),
        phone_number: "+82100000000".into(),
    };
    let mut all = form();
    all.recurring = None;
    all.display_type = None;
    all.os_type = Some(OsType::Mobile);
    all.options = WindowOptions {
        payment_method: Some(PaymentMethod::Card),
        site_foreign_currency: Some(Currency::Nzd),
        ship_to: Some(address("Min-jun")),
        bill_to: Some(address("Ji-woo")),
        partner_code: Some("KRP".into()),
        autoclose: Some(true),
        call_from_app: Some(false),
    };
    let signed = all.sign(&test_config(), NOW).unwrap();
    let rendered: String = signed
        .fields
        .iter()
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect();
    insta::assert_snapshot!(rendered);
    let field = |name: &str| {
        signed
            .fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    // displaytype is always sent: the guide marks it required, default P.
    assert_eq!(field("displaytype"), Some("P"));
    assert_eq!(field("shipTo_country"), Some("KR"));
    assert_eq!(field("paymethod"), Some("P000"));
    // The address is personal data: Debug shows the country only.
    assert!(!format!("{:?}", all.options).contains("Sejong"));
    // Left out while unset: no paymethod, no shipTo_* (digital goods have no address).
    let plain = form().sign(&test_config(), NOW).unwrap();
    assert!(
        plain
            .fields
            .iter()
            .all(|(k, _)| k != "paymethod" && !k.starts_with("shipTo_"))
    );
    // A wallet with a DCC currency is refused (siteforeigncur goes with P000 only).
    let mut wallet = all.clone();
    wallet.options.payment_method = Some(PaymentMethod::Alipay);
    assert!(matches!(
        wallet.sign(&test_config(), NOW),
        Err(BuildError::InvalidField {
            field: "siteforeigncur",
            ..
        })
    ));
}

#[test]
fn a_form_that_does_not_add_up_or_cannot_be_sent_is_refused() {
    let cfg = test_config();
    let refused = |change: &dyn Fn(&mut PaymentForm)| {
        let mut f = form();
        change(&mut f);
        f.sign(&cfg, NOW).unwrap_err()
    };
    assert!(matches!(
        refused(&|f| f.amount = amount("13.00")),
        BuildError::InvalidField { field: "amt", .. }
    ));
    assert!(matches!(
        refused(&|f| f.items.clear()),
        BuildError::InvalidField {
            field: "item_#_product",
            ..
        }
    ));
    assert!(matches!(
        refused(&|f| f.transaction_type = TransactionType::Capture),
        BuildError::InvalidField {
            field: "txntype",
            ..
        }
    ));
    assert!(matches!(
        refused(&|f| f.items[0].quantity = 0),
        BuildError::InvalidField { field: "item", .. }
    ));
    assert!(matches!(
        refused(&|f| f.recurring = Some(
            RecurringRegistration::new(amount("12.00"), "https://shop.example/r")
                .first_charge_on(Date::parse_yyyymmdd("20260101").unwrap())
        )),
        BuildError::InvalidField {
            field: "recurringDate",
            ..
        }
    ));
    assert!(matches!(
        refused(&|f| {
            f.currency = Currency::Krw;
            f.amount = amount("12000");
            f.items = vec![Line::new("Box", 2, amount("5999.5"))];
            f.surcharges = vec![Line::new("Ship", 1, amount("1"))];
            f.recurring = None;
        }),
        BuildError::Amount {
            field: "unitPrice",
            ..
        }
    ));
    let no_secret = eximbay_core::Config::new(
        eximbay_core::Environment::Test,
        eximbay_core::Mid::new(eximbay_tests::MID).unwrap(),
        eximbay_core::ApiKey::new(eximbay_tests::API_KEY).unwrap(),
    )
    .unwrap();
    assert_eq!(
        form().sign(&no_secret, NOW).unwrap_err(),
        BuildError::MissingSecretKey
    );
}

#[test]
fn request_pay_repeats_the_ready_body_exactly() {
    let mut ready = Ready::new(
        TransactionType::Payment,
        OrderId::new("ONE-1"),
        Currency::Usd,
        amount("25.00"),
        Lang::En,
        ("Buyer", "buyer@example.com"),
        "https://shop.example/return",
        "https://shop.example/status",
    );
    ready.products = vec![Line::new("Teapot", 1, amount("20.00"))];
    ready.surcharges = vec![Line::new("Shipping", 1, amount("5.00"))];
    ready.other_param.param1 = Some("cart-9".into());
    ready.settings.display_type = Some(DisplayType::Redirect);
    let cfg = test_config();
    let request = ready.to_http(&cfg).unwrap();
    insta::assert_snapshot!(render_request(&request));
    let prepared = Prepared {
        resmsg: "Success.".into(),
        fgkey: "ABC123".into(),
    };
    let payload = ready.request_pay(&cfg, &prepared).unwrap();
    let body = String::from_utf8(request.body().clone()).unwrap();
    assert_eq!(payload, format!(r#"{{"fgkey":"ABC123",{}"#, &body[1..]));
    // Lines that do not add up, or a param3 the v1 request has no room for, are refused.
    let mut wrong = ready.clone();
    wrong.amount = amount("24.00");
    assert!(matches!(
        wrong.request_pay(&cfg, &prepared),
        Err(BuildError::InvalidField {
            field: "payment.amount",
            ..
        })
    ));
    let mut param3 = ready;
    param3.other_param.param3 = Some("x".into());
    assert!(param3.to_http(&cfg).is_err());
}

// ---- the sandbox's window, in-process -------------------------------------------------

use eximbay_sim::{Sandbox, SandboxConfig};

fn post_form(path: &str, body: String) -> http::Request<Vec<u8>> {
    http::Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.into_bytes())
        .unwrap()
}

fn encoded(fields: &[(String, String)]) -> String {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        form.append_pair(k, v);
    }
    form.finish()
}

/// The window id in a window page's form action.
fn window_id(page: &str) -> String {
    let at = page.find("action=\"/window/").expect("a window page") + "action=\"/window/".len();
    page[at..].split('"').next().unwrap().to_owned()
}

#[test]
fn the_sandbox_window_approves_declines_and_refuses_a_tampered_form() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let mut simple = form();
    simple.recurring = None;
    let signed = simple.sign(&test_config(), NOW).unwrap();
    let body = encoded(&signed.fields);

    // A tampered amount: the fgkey no longer matches; an error page, nothing created.
    let tampered = body.replace("amt=12.00", "amt=1.00");
    let handled = sandbox.handle(&post_form("/Gateway/BasicProcessor.krp", tampered));
    let page = String::from_utf8(handled.response.body().clone()).unwrap();
    assert!(page.contains("<p id=\"rescode\">EC00</p>"), "{page}");
    assert!(sandbox.ledger.is_empty());

    // The window: shop, order, lines, amount, a test card, and the three buttons.
    let handled = sandbox.handle(&post_form("/Gateway/BasicProcessor.krp", body.clone()));
    let page = String::from_utf8(handled.response.body().clone()).unwrap();
    for shown in [
        "Tea &amp; Co",
        "SUB-2026-0001",
        "Monthly tea box",
        "Shipping",
        "12.00",
        "USD",
        "4111 1111 1111 1111",
        ">Approve<",
        ">Decline<",
        ">Cancel<",
    ] {
        assert!(page.contains(shown), "{shown} in {page}");
    }
    let id = window_id(&page);
    let approved = sandbox.handle(&post_form(
        &format!("/window/{id}"),
        "action=approve".into(),
    ));
    let back = String::from_utf8(approved.response.body().clone()).unwrap();
    assert!(
        back.contains(r#"action="https://shop.example/return?order=SUB-2026-0001&amp;x=1""#),
        "{back}"
    );
    assert!(back.contains(r#"name="rescode" value="0000""#));
    // The status_url callback carries the same signed fields the browser brings back.
    assert_eq!(approved.callbacks.len(), 1);
    assert_eq!(approved.callbacks[0].url, "https://shop.example/status");
    assert!(sandbox.verify_form(approved.callbacks[0].body.as_bytes()));
    let payment = sandbox.ledger.payments().next().unwrap();
    assert!(payment.captured, "a PAYMENT window captures");
    // A window is finished once.
    let again = sandbox.handle(&post_form(
        &format!("/window/{id}"),
        "action=approve".into(),
    ));
    assert!(
        String::from_utf8(again.response.body().clone())
            .unwrap()
            .contains("EC00")
    );
    assert_eq!(sandbox.ledger.len(), 1);

    // Decline: back with a decline code, nothing moves, no callback by default.
    let handled = sandbox.handle(&post_form("/Gateway/BasicProcessor.krp", body));
    let id = window_id(&String::from_utf8(handled.response.body().clone()).unwrap());
    let declined = sandbox.handle(&post_form(
        &format!("/window/{id}"),
        "action=decline".into(),
    ));
    let back = String::from_utf8(declined.response.body().clone()).unwrap();
    assert!(back.contains(r#"name="rescode" value="HE01""#), "{back}");
    assert!(declined.callbacks.is_empty());
    assert_eq!(sandbox.ledger.len(), 1);
}

/// Opens a v1 window in-process: ready, then the SDK's request_pay post.
fn v1_window(sandbox: &mut Sandbox, order: &str) -> String {
    let ready = Ready::new(
        TransactionType::Payment,
        OrderId::new(order),
        Currency::Krw,
        amount("15000"),
        Lang::Kr,
        ("Buyer", "buyer@example.com"),
        "https://shop.example/return",
        "https://shop.example/status",
    );
    let cfg = test_config();
    let mut request = ready.to_http(&cfg).unwrap();
    *request.uri_mut() = "/v1/payments/ready".parse().unwrap();
    let answer = sandbox.handle(&request);
    let prepared = ready.parse(answer.response).unwrap();
    let payload = ready.request_pay(&cfg, &prepared).unwrap();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload)
        .finish();
    let page = sandbox.handle(&post_form("/v1/window", body));
    window_id(&String::from_utf8(page.response.body().clone()).unwrap())
}

#[test]
fn v1_window_results_under_either_naming_make_the_same_payment() {
    use eximbay_sim::{Behaviour, CallbackNames};
    for names in [CallbackNames::Legacy, CallbackNames::V1] {
        let mut sandbox = Sandbox::new(SandboxConfig {
            behaviour: Behaviour {
                window_callback_names: names,
                ..Behaviour::default()
            },
            ..SandboxConfig::default()
        });
        let id = v1_window(&mut sandbox, "V1-N");
        let approved = sandbox.handle(&post_form(
            &format!("/window/{id}"),
            "action=approve".into(),
        ));
        let body = &approved.callbacks[0].body;
        let expected_key = match names {
            CallbackNames::Legacy => "transid=",
            CallbackNames::V1 => "transaction_id=",
        };
        assert!(body.contains(expected_key), "{names:?}: {body}");
        let notification = eximbay_core::Notification::parse(body.as_bytes()).unwrap();
        notification
            .verify(&SecretKey::new(SECRET_KEY).unwrap())
            .unwrap();
        let payment =
            eximbay_core::Payment::from_status_notification(&notification, Lang::Kr).unwrap();
        assert_eq!(
            payment.status(),
            eximbay_core::PaymentStatus::Captured,
            "{names:?}"
        );
        assert_eq!(payment.amount().as_str(), "15000", "{names:?}");
        assert_eq!(payment.order_id().as_str(), "V1-N");
    }
}

#[test]
fn a_tampered_request_pay_is_refused_and_failures_reach_status_url_only_when_chosen() {
    use eximbay_sim::Behaviour;
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    // A payload whose amount was changed after ready: no ready call signed that body.
    let ready = Ready::new(
        TransactionType::Payment,
        OrderId::new("V1-T"),
        Currency::Usd,
        amount("5.00"),
        Lang::En,
        ("Buyer", "buyer@example.com"),
        "https://shop.example/return",
        "https://shop.example/status",
    );
    let cfg = test_config();
    let mut request = ready.to_http(&cfg).unwrap();
    *request.uri_mut() = "/v1/payments/ready".parse().unwrap();
    let prepared = ready.parse(sandbox.handle(&request).response).unwrap();
    let payload = ready
        .request_pay(&cfg, &prepared)
        .unwrap()
        .replace(r#""amount":"5.00""#, r#""amount":"0.50""#);
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload)
        .finish();
    let page = sandbox.handle(&post_form("/v1/window", body));
    assert!(
        String::from_utf8(page.response.body().clone())
            .unwrap()
            .contains("<p id=\"rescode\">EC00</p>")
    );

    for to_status_url in [false, true] {
        sandbox.set_behaviour(Behaviour {
            window_failures_to_status_url: to_status_url,
            ..Behaviour::default()
        });
        let id = v1_window(&mut sandbox, "V1-C");
        let cancelled =
            sandbox.handle(&post_form(&format!("/window/{id}"), "action=cancel".into()));
        let back = String::from_utf8(cancelled.response.body().clone()).unwrap();
        assert!(back.contains(r#"name="rescode" value="XX01""#), "{back}");
        assert_eq!(cancelled.callbacks.len(), usize::from(to_status_url));
        if let Some(callback) = cancelled.callbacks.first() {
            // A merchant's status_url sees a failure, never a payment.
            let n = eximbay_core::Notification::parse(callback.body.as_bytes()).unwrap();
            assert!(matches!(
                eximbay_core::Payment::from_status_notification(&n, Lang::En),
                Err(eximbay_core::NotificationError::NotSuccessful(_))
            ));
        }
    }
    assert!(sandbox.ledger.is_empty());
}

#[test]
fn a_payer_auth_window_authenticates_and_moves_no_money() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let mut auth = form();
    auth.transaction_type = TransactionType::PayerAuth;
    auth.recurring = None;
    let body = encoded(&auth.sign(&test_config(), NOW).unwrap().fields);
    let page = sandbox.handle(&post_form("/Gateway/BasicProcessor.krp", body));
    let id = window_id(&String::from_utf8(page.response.body().clone()).unwrap());
    let approved = sandbox.handle(&post_form(
        &format!("/window/{id}"),
        "action=approve".into(),
    ));
    let callback = &approved.callbacks[0];
    let n = eximbay_core::Notification::parse(callback.body.as_bytes()).unwrap();
    n.verify(&SecretKey::new(SECRET_KEY).unwrap()).unwrap();
    assert!(n.is_success());
    assert_eq!(n.transaction_type(), Some(TransactionType::PayerAuth));
    assert!(n.payer_auth_id().unwrap().starts_with("PA"));
    for field in ["cavv", "xid", "eci"] {
        assert!(n.get(field).is_some_and(|v| !v.is_empty()), "{field}");
    }
    // An authentication is not a payment.
    assert!(sandbox.ledger.is_empty());
    assert!(eximbay_core::Payment::from_status_notification(&n, Lang::En).is_err());
}

#[test]
fn the_sandbox_window_takes_every_documented_field_strictly() {
    use eximbay_core::PaymentMethod;
    use eximbay_core::window::{Address, WindowOptions};
    use eximbay_sim::{FieldPolicy, MissingRequired};
    // Strict: an undeclared field or a missing required one would be refused.
    let mut config = SandboxConfig::default();
    config.behaviour.undeclared_fields.legacy_window = FieldPolicy::Refuse;
    config.behaviour.missing_required = MissingRequired::Refuse;
    let mut sandbox = Sandbox::new(config);
    let address = Address {
        first_name: "Min-jun".into(),
        last_name: "Kim".into(),
        street1: "1 Sejong-daero".into(),
        city: "Seoul".into(),
        state: "Seoul".into(),
        postal_code: "04524".into(),
        country: "KR".into(),
        phone_number: "+82100000000".into(),
    };
    let mut all = form();
    all.recurring = None;
    all.options = WindowOptions {
        payment_method: Some(PaymentMethod::Card),
        site_foreign_currency: Some(Currency::Myr),
        ship_to: Some(address.clone()),
        bill_to: Some(address),
        partner_code: None,
        autoclose: Some(false),
        call_from_app: Some(false),
    };
    let signed = all.sign(&test_config(), NOW).unwrap();
    // Lines numbered from 0, as the official samples number them.
    assert!(signed.fields.iter().any(|(k, _)| k == "item_0_product"));
    assert!(signed.fields.iter().all(|(k, _)| !k.starts_with("item_1_")));
    let handled = sandbox.handle(&post_form(
        "/Gateway/BasicProcessor.krp",
        encoded(&signed.fields),
    ));
    let page = String::from_utf8(handled.response.body().clone()).unwrap();
    assert!(page.contains(">Approve<"), "{page}");
    let id = window_id(&page);
    let approved = sandbox.handle(&post_form(
        &format!("/window/{id}"),
        "action=approve".into(),
    ));
    assert_eq!(approved.callbacks.len(), 1);
    let payment = sandbox.ledger.payments().next().unwrap();
    assert_eq!(payment.order_id, "SUB-2026-0001");
    assert!(payment.captured);
}
