//! Every kind of input the project refuses, with the error it gets, as one table — checked
//! here and written out as `docs/bad-input.md` (the README links it). A refusal that changes
//! its error, or a case that stops being refused, fails this test; run it with
//! `UPDATE_BAD_INPUT=1` to rewrite the document after a deliberate change.

use eximbay_core::ops::cancel::{Cancel, RefundKind};
use eximbay_core::ops::capture::Capture;
use eximbay_core::ops::query::Query;
use eximbay_core::ops::ready::Ready;
use eximbay_core::ops::retrieve::KeyField;
use eximbay_core::window::{Address, Line, PaymentForm, WindowOptions};
use eximbay_core::{
    Amount, ApiKey, Config, Currency, Environment, Lang, Mid, Notification, Operation, OrderId,
    Payment, PaymentMethod, RefundId, SecretKey, TransactionId, TransactionType,
};
use eximbay_sim::{Sandbox, SandboxConfig};
use eximbay_tests::{TID, test_config};

struct Row {
    area: &'static str,
    input: String,
    refused_by: &'static str,
    error: String,
}

fn row(
    area: &'static str,
    input: impl Into<String>,
    refused_by: &'static str,
    error: impl ToString,
) -> Row {
    Row {
        area,
        input: input.into(),
        refused_by,
        error: error.to_string(),
    }
}

fn capture(tid: &str, order: &str, currency: Currency, amount: &str, lang: Lang) -> Capture {
    Capture {
        transaction_id: TransactionId::new(tid),
        order_id: OrderId::new(order),
        currency,
        amount: Amount::parse(amount).unwrap(),
        lang,
    }
}

fn refusals() -> Vec<Row> {
    let cfg = test_config();
    let mut rows = Vec::new();
    // Amounts.
    for text in [
        "",
        "0",
        "0.00",
        "-1",
        "+1",
        "1,000",
        " 1",
        "1e3",
        ".5",
        "5.",
        "01",
        "1.005",
        "12345678901",
    ] {
        rows.push(row(
            "amount",
            format!("{text:?}"),
            "Amount::parse",
            Amount::parse(text).unwrap_err(),
        ));
    }
    for (text, currency) in [("1000.5", Currency::Krw), ("10.123", Currency::Usd)] {
        let amount = Amount::parse(text).map_err(|e| e.to_string());
        let error = match amount {
            Ok(a) => a.check_currency(&currency).unwrap_err().to_string(),
            Err(e) => e,
        };
        rows.push(row(
            "amount",
            format!("{text:?} in {currency}"),
            "Amount::check_currency",
            error,
        ));
    }
    rows.push(row(
        "amount",
        "\"1000.50\" KRW echoed by the gateway",
        "Amount::from_gateway",
        Amount::from_gateway("1000.50", &Currency::Krw).unwrap_err(),
    ));
    rows.push(row(
        "amount",
        "a KRW payment of \"1000.5\"",
        "Payment::authorized",
        Payment::authorized(
            TransactionId::new(TID),
            OrderId::new("O"),
            Currency::Krw,
            Amount::parse("1000.5").unwrap(),
            Lang::Kr,
        )
        .unwrap_err(),
    ));
    // Currencies and languages.
    for code in ["usd", "XY", "US1"] {
        rows.push(row(
            "currency",
            format!("{code:?}"),
            "request builders",
            capture(TID, "O", Currency::from_code(code), "1", Lang::En)
                .to_http(&cfg)
                .unwrap_err(),
        ));
    }
    rows.push(row(
        "language",
        "\"XX\"",
        "request builders",
        capture(TID, "O", Currency::Usd, "1", Lang::from_code("XX"))
            .to_http(&cfg)
            .unwrap_err(),
    ));
    // Ids and control characters.
    for (what, tid) in [
        ("23 characters", &TID[..23]),
        ("a space", "1849705C64202209220000 6"),
        ("a slash", "1849705C64/0220922000016"),
    ] {
        rows.push(row(
            "transaction id",
            what,
            "request builders",
            capture(tid, "O", Currency::Usd, "1", Lang::En)
                .to_http(&cfg)
                .unwrap_err(),
        ));
    }
    for (what, order) in [
        ("empty", ""),
        ("a newline", "O-1\nX"),
        ("a NUL byte", "O-1\0"),
        (
            "over 255 characters (a payment the gateway holds)",
            &"O".repeat(256),
        ),
    ] {
        rows.push(row(
            "order id",
            what,
            "request builders",
            capture(TID, order, Currency::Usd, "1", Lang::En)
                .to_http(&cfg)
                .unwrap_err(),
        ));
    }
    let cancel = |refund_id: &str| {
        Cancel::new(
            TransactionId::new(TID),
            OrderId::new("O"),
            Currency::Usd,
            Amount::parse("1").unwrap(),
            Amount::parse("1").unwrap(),
            RefundKind::Full,
            RefundId::new(refund_id),
            Lang::En,
        )
    };
    rows.push(row(
        "refund id",
        "a space",
        "request builders",
        cancel("R 1").to_http(&cfg).unwrap_err(),
    ));
    rows.push(row(
        "refund id",
        "over 30 characters (the guide's `refundid`)",
        "request builders",
        cancel(&"R".repeat(31)).to_http(&cfg).unwrap_err(),
    ));
    let mut no_reason = cancel("R1");
    no_reason.reason = Some(String::new());
    rows.push(row(
        "refund reason",
        "empty (the guide requires one; `None` sends the default)",
        "request builders",
        no_reason.to_http(&cfg).unwrap_err(),
    ));
    // The payment window's documented fields (legacy form and v1 ready).
    let ready = || {
        Ready::new(
            TransactionType::Payment,
            OrderId::new("O-1"),
            Currency::Usd,
            Amount::parse("1").unwrap(),
            Lang::En,
            ("Buyer", "buyer@example.com"),
            "https://shop.example/return",
            "https://shop.example/status",
        )
    };
    let form = || PaymentForm {
        transaction_type: TransactionType::Payment,
        order_id: OrderId::new("O-1"),
        currency: Currency::Usd,
        amount: Amount::parse("1").unwrap(),
        shop: "Shop".into(),
        buyer: "Buyer".into(),
        email: "buyer@example.com".into(),
        tel: None,
        lang: Lang::En,
        return_url: "https://shop.example/return".into(),
        status_url: "https://shop.example/status".into(),
        display_type: None,
        os_type: None,
        params: Default::default(),
        items: vec![Line::new("Item", 1, Amount::parse("1").unwrap())],
        surcharges: Vec::new(),
        recurring: None,
        options: WindowOptions::default(),
    };
    let now = eximbay_core::Timestamp(1_767_236_400);
    let mut long_order = ready();
    long_order.order_id = OrderId::new("O".repeat(31));
    rows.push(row(
        "order id",
        "over 30 characters for a new payment (the guide's `ref`)",
        "request builders",
        long_order.to_http(&cfg).unwrap_err(),
    ));
    let mut card_brand = ready();
    card_brand.payment_method = Some(PaymentMethod::Visa);
    rows.push(row(
        "payment method",
        "P101 (VISA) in a request",
        "request builders",
        card_brand.to_http(&cfg).unwrap_err(),
    ));
    let mut not_a_code = form();
    not_a_code.options.payment_method = Some(PaymentMethod::from_code("PAYPAL"));
    rows.push(row(
        "payment method",
        "\"PAYPAL\"",
        "request builders",
        not_a_code.fields(&cfg, now).unwrap_err(),
    ));
    let mut not_dcc = form();
    not_dcc.options.site_foreign_currency = Some(Currency::Krw);
    rows.push(row(
        "DCC currency",
        "KRW (not in the guide's DCC list)",
        "request builders",
        not_dcc.fields(&cfg, now).unwrap_err(),
    ));
    let mut dcc_with_wallet = ready();
    dcc_with_wallet.payment_method = Some(PaymentMethod::PayPal);
    dcc_with_wallet.settings.site_foreign_currency = Some(Currency::Myr);
    rows.push(row(
        "DCC currency",
        "with a payment method other than P000",
        "request builders",
        dcc_with_wallet.to_http(&cfg).unwrap_err(),
    ));
    let mut ship_to = form();
    ship_to.options.ship_to = Some(Address {
        first_name: "Min-jun".into(),
        last_name: "Kim".into(),
        street1: "1 Street".into(),
        city: "Seoul".into(),
        state: String::new(),
        postal_code: "04524".into(),
        country: "Korea".into(),
        phone_number: "+82100000000".into(),
    });
    rows.push(row(
        "shipping address",
        "country \"Korea\"",
        "request builders",
        ship_to.fields(&cfg, now).unwrap_err(),
    ));
    let mut long_email = form();
    long_email.email = format!("{}@example.com", "b".repeat(40));
    rows.push(row(
        "e-mail",
        "over 50 characters (the guide's `email`)",
        "request builders",
        long_email.fields(&cfg, now).unwrap_err(),
    ));
    let mut repeated = ready();
    repeated
        .settings
        .other
        .insert("display_type".into(), "R".into());
    rows.push(row(
        "window settings",
        "a typed setting repeated in `other`",
        "request builders",
        repeated.to_http(&cfg).unwrap_err(),
    ));
    let query = Query {
        key_field: KeyField::TransactionId,
        order_id: OrderId::new("O-1"),
        transaction_id: None,
        currency: Currency::Usd,
        amount: Amount::parse("1").unwrap(),
        lang: Lang::En,
        params: Default::default(),
    };
    rows.push(row(
        "query",
        "keyfield TRANSID without a transid",
        "request builders",
        query.to_http(&cfg).unwrap_err(),
    ));
    // Credentials and configuration.
    rows.push(row(
        "MID",
        "9 characters",
        "Mid::new",
        Mid::new("1849705C6").unwrap_err(),
    ));
    rows.push(row(
        "API key",
        "\"prod_…\"",
        "ApiKey::new",
        ApiKey::new("prod_1849705C642C217E0B2D").unwrap_err(),
    ));
    rows.push(row(
        "secret key",
        "empty",
        "SecretKey::new",
        SecretKey::new("").unwrap_err(),
    ));
    let live = ApiKey::new("live_1849705C642C217E0B2D").unwrap();
    rows.push(row(
        "configuration",
        "a live key with the test host",
        "Config::new",
        Config::new(
            Environment::Test,
            Mid::new("1849705C64").unwrap(),
            live.clone(),
        )
        .unwrap_err(),
    ));
    rows.push(row(
        "configuration",
        "a live key with a custom host",
        "Config::new",
        Config::new(
            Environment::custom("https://proxy.example").unwrap(),
            Mid::new("1849705C64").unwrap(),
            live,
        )
        .unwrap_err(),
    ));
    rows.push(row(
        "configuration",
        "a base URL with a path",
        "Environment::custom",
        Environment::custom("https://host/v1").unwrap_err(),
    ));
    // Notifications: repeats, size, undocumented keys, encodings.
    for (what, body) in [
        ("a repeated key", b"a=1&a=2".to_vec()),
        ("an empty body", Vec::new()),
        ("over 64 KiB", vec![b'a'; 64 * 1024 + 1]),
    ] {
        rows.push(row(
            "notification",
            what,
            "Notification::parse",
            Notification::parse(&body).unwrap_err(),
        ));
    }
    let undocumented = Notification::parse(b"transid=T&rescode=0000&fake=1").unwrap();
    rows.push(row(
        "notification",
        "an undocumented key (strict mode)",
        "Notification::check_documented",
        undocumented.check_documented().unwrap_err(),
    ));
    let latin1 = Notification::parse(b"transid=T&buyer=Kim\xe9&fgkey=00").unwrap();
    rows.push(row(
        "notification",
        "invalid UTF-8 in a value",
        "Notification::verify",
        latin1
            .verify(&SecretKey::new(eximbay_tests::SECRET_KEY).unwrap())
            .unwrap_err(),
    ));
    // After an ambiguous confirm or rebill, one NONE right after proves nothing: sending the
    // command again is refused until the grace policy (15 minutes, then 3 NONEs) is met.
    let none = eximbay_core::ops::retrieve::Retrieved {
        resmsg: String::new(),
        order_id: None,
        currency: None,
        amount: None,
        transaction_id: None,
        transaction_type: None,
        status: eximbay_core::RemoteStatus::None,
        balance: None,
        captured_date: None,
        payment_method: None,
    };
    let sent_at = eximbay_core::Timestamp(1_800_000_000);
    let mut auth = eximbay_core::PayerAuthentication::new(
        eximbay_core::PayerAuthId::new("PA1"),
        OrderId::new("3DS-1"),
        Currency::Usd,
        Amount::parse("25.00").unwrap(),
        Lang::En,
    )
    .unwrap();
    use eximbay_core::authentication::AuthenticationOutcome;
    auth.apply(AuthenticationOutcome::Ambiguous { at: sent_at })
        .unwrap();
    auth.apply(AuthenticationOutcome::Retrieved {
        answer: none.clone(),
        at: sent_at,
    })
    .unwrap();
    rows.push(row(
        "reconcile",
        "a confirm again after one NONE for an ambiguous confirm",
        "PayerAuthentication::confirm",
        auth.confirm(
            eximbay_core::TransactionType::PaymentPa,
            &Currency::Usd,
            &Amount::parse("25.00").unwrap(),
        )
        .unwrap_err(),
    ));
    use eximbay_core::token::{TokenCommand, TokenOutcome};
    let mut token = eximbay_core::Token::new(eximbay_core::TokenId::new("TK1"), Lang::En);
    token
        .apply(TokenOutcome::Ambiguous {
            command: TokenCommand::Rebill {
                order_id: OrderId::new("R-1"),
                currency: Currency::Usd,
                amount: Amount::parse("5.00").unwrap(),
            },
            at: sent_at,
        })
        .unwrap();
    token
        .apply(TokenOutcome::Retrieved {
            answer: none,
            at: sent_at,
        })
        .unwrap();
    rows.push(row(
        "reconcile",
        "a rebill again after one NONE for an ambiguous rebill",
        "Token::rebill",
        token
            .rebill(
                OrderId::new("R-1"),
                Currency::Usd,
                Amount::parse("5.00").unwrap(),
                Vec::new(),
            )
            .unwrap_err(),
    ));
    // The sandbox: oversized bodies.
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let huge = http::Request::post("/_sim/payments")
        .body(vec![b'{'; 64 * 1024 + 1])
        .unwrap();
    let status = sandbox.handle(&huge).response.status();
    rows.push(row(
        "sandbox",
        "a body over 64 KiB",
        "Sandbox::handle",
        format!("HTTP {status}"),
    ));
    rows
}

fn render(rows: &[Row]) -> String {
    let mut out = String::from(
        "# What eximbay-rs refuses\n\n\
         Every kind of bad input, and the error it gets. Nothing is sent for any of them.\n\
         Generated and checked by `tests/tests/suite/bad_input.rs` (`UPDATE_BAD_INPUT=1` rewrites it).\n\n\
         | area | input | refused by | error |\n|---|---|---|---|\n",
    );
    for r in rows {
        let cell = |text: &str| text.replace('|', "\\|").replace('\n', "\\n");
        out.push_str(&format!(
            "| {} | {} | `{}` | {} |\n",
            r.area,
            cell(&r.input),
            r.refused_by,
            cell(&r.error)
        ));
    }
    out
}

#[test]
fn every_refusal_is_listed_with_its_error() {
    let rows = refusals();
    assert!(rows.len() >= 40, "{} rows", rows.len());
    let table = render(&rows);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/bad-input.md");
    if std::env::var_os("UPDATE_BAD_INPUT").is_some() {
        std::fs::write(&path, &table).unwrap();
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        written, table,
        "docs/bad-input.md is out of date: rerun with UPDATE_BAD_INPUT=1"
    );
}
