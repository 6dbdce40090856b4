//! Every kind of input the project refuses, with the error it gets, as one table — checked
//! here and written out as `docs/bad-input.md` (the README links it). A refusal that changes
//! its error, or a case that stops being refused, fails this test; run it with
//! `UPDATE_BAD_INPUT=1` to rewrite the document after a deliberate change.

use eximbay_core::ops::cancel::{Cancel, RefundKind};
use eximbay_core::ops::capture::Capture;
use eximbay_core::{
    Amount, ApiKey, Config, Currency, Environment, Lang, Mid, Notification, Operation, OrderId,
    Payment, RefundId, SecretKey, TransactionId,
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
        ("over 255 characters", &"O".repeat(256)),
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
    let cancel = |refund_id: &str| Cancel {
        transaction_id: TransactionId::new(TID),
        order_id: OrderId::new("O"),
        currency: Currency::Usd,
        amount: Amount::parse("1").unwrap(),
        balance: Amount::parse("1").unwrap(),
        kind: RefundKind::Full,
        refund_id: RefundId::new(refund_id),
        reason: None,
        lang: Lang::En,
        refund_account: None,
    };
    rows.push(row(
        "refund id",
        "a space",
        "request builders",
        cancel("R 1").to_http(&cfg).unwrap_err(),
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
         Generated and checked by `tests/tests/bad_input.rs` (`UPDATE_BAD_INPUT=1` rewrites it).\n\n\
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
