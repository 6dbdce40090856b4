//! No key ever shows: not in `Debug` of configuration, operations, requests or errors.

use eximbay_core::ops::cancel::RefundKind;
use eximbay_core::{
    Amount, ApiKey, Config, ConfigError, Currency, Environment, Lang, Mid, Notification, Operation,
    OrderId, Payment, SecretKey, TransactionId,
};
use eximbay_tests::{API_KEY, SECRET_KEY, SEED_AUTHORIZATION, TID, response, test_config};

/// Every form in which a key could leak.
fn forbidden() -> Vec<String> {
    vec![
        API_KEY.to_owned(),
        API_KEY.trim_start_matches("test_").to_owned(),
        SEED_AUTHORIZATION.trim_start_matches("Basic ").to_owned(),
        SECRET_KEY.to_owned(),
        SECRET_KEY.to_lowercase(),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for secret in forbidden() {
        assert!(!text.contains(&secret), "{what} leaks a key: {text}");
    }
}

#[test]
fn config_and_keys_are_redacted() {
    let cfg = test_config();
    assert_clean("Config", &format!("{cfg:?} {cfg:#?}"));
    assert_clean("ApiKey", &format!("{:?}", ApiKey::new(API_KEY).unwrap()));
    assert_clean(
        "SecretKey",
        &format!("{:?}", SecretKey::new(SECRET_KEY).unwrap()),
    );
}

#[test]
fn requests_operations_and_state_are_clean() {
    let cfg = test_config();
    let payment = Payment::captured(
        TransactionId::new(TID),
        OrderId::new("O-1"),
        Currency::Usd,
        Amount::parse("10.00").unwrap(),
        Lang::En,
    )
    .unwrap();
    let cancel = payment
        .refund_partial(Amount::parse("2.50").unwrap(), "k1", None)
        .unwrap();
    assert!(matches!(cancel.kind, RefundKind::Partial(_)));
    let request = cancel.to_http(&cfg).unwrap();
    assert_clean("Payment", &format!("{payment:?}"));
    assert_clean("Cancel", &format!("{cancel:?}"));
    let rendered = format!("{request:?}");
    assert!(rendered.contains("Sensitive"), "{rendered}");
    assert_clean("http::Request", &rendered);
    assert_clean(
        "retrieve",
        &format!("{:?}", payment.reconcile().to_http(&cfg).unwrap()),
    );
}

#[test]
fn errors_are_clean() {
    // A live key with the test host: the error names the kinds, not the key.
    let live = ApiKey::new("live_1849705C642C217E0B2D").unwrap();
    let err = Config::new(Environment::Test, Mid::new("1849705C64").unwrap(), live).unwrap_err();
    assert_eq!(
        err,
        ConfigError::KeyEnvironmentMismatch {
            key: "live",
            environment: "test"
        }
    );
    let text = format!("{err} {err:?}");
    assert!(!text.contains("1849705C642C217E0B2D"), "{text}");
    assert_clean("ConfigError", &text);
    // Malformed keys are refused without echoing them.
    let err = ApiKey::new("test_1849705C642C217E0B2Dxx").unwrap_err();
    assert!(!format!("{err} {err:?}").contains("1849705C642C217E0B2Dxx"));
    let err = SecretKey::new("has space 289F40E6640124B2628640168C3C5464").unwrap_err();
    assert_clean("SecretKey error", &format!("{err} {err:?}"));

    // Response and notification errors.
    let capture = Payment::authorized(
        TransactionId::new(TID),
        OrderId::new("O-1"),
        Currency::Usd,
        Amount::parse("1").unwrap(),
        Lang::En,
    )
    .unwrap()
    .capture()
    .unwrap();
    let err = capture
        .parse(response(502, "<html>Bad Gateway</html>"))
        .unwrap_err();
    assert_clean("ResponseError", &format!("{err} {err:?}"));
    let n = Notification::parse(b"transid=1&fgkey=00").unwrap();
    let err = n.verify(&SecretKey::new(SECRET_KEY).unwrap()).unwrap_err();
    assert_clean("NotificationError", &format!("{err} {err:?}"));
}
