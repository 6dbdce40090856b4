//! Hostile input, in-process: a signed free-text value that tries to smuggle a field past
//! strict mode, notification bodies bounded and read in linear time, and arbitrary
//! requests at every route (proptest) that never break the sandbox.

use super::*;
use eximbay_core::notification::MAX_NOTIFICATION_BYTES;
use eximbay_core::{Notification, NotificationError, SecretKey, fgkey};
use proptest::prelude::*;

#[test]
fn a_signed_free_text_value_cannot_smuggle_a_field_past_strict_mode() {
    let secret = SecretKey::new(eximbay_sim::DEFAULT_SECRET_KEY).unwrap();
    let fields = [
        ("mid", "1849705C64"),
        ("ref", "O-1"),
        ("cur", "USD"),
        ("amt", "10.00"),
        ("txntype", "PAYMENT"),
        ("rescode", "0000"),
        ("transid", "1849705C64W0000000000001"),
        ("email", "a@b.c&fake=1"), // chosen by the buyer, signed by the gateway
    ];
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        form.append_pair(k, v);
    }
    form.append_pair("fgkey", &fgkey::sign(&secret, fields));
    let genuine = form.finish();
    assert!(genuine.contains("email=a%40b.c%26fake%3D1"));
    let notification = Notification::parse(genuine.as_bytes()).unwrap();
    notification.verify_strict(&secret).unwrap();

    // Re-posted with the value split into two fields: the fgkey still verifies (the
    // scheme's limit, documented) — strict mode refuses the invented key.
    let split = genuine.replace("email=a%40b.c%26fake%3D1", "email=a%40b.c&fake=1");
    let forged = Notification::parse(split.as_bytes()).unwrap();
    assert_eq!(forged.get("fake"), Some("1"));
    assert_eq!(forged.verify(&secret), Ok(()));
    assert_eq!(
        forged.verify_strict(&secret),
        Err(NotificationError::UndocumentedField("fake".into()))
    );
    // Re-splitting into a field the notification already has is refused always.
    let twice = genuine.replace("email=a%40b.c%26fake%3D1", "email=a%40b.c&amt=1");
    assert_eq!(
        Notification::parse(twice.as_bytes()),
        Err(NotificationError::DuplicateField("amt".into()))
    );
}

#[test]
fn notification_bodies_are_bounded_and_read_in_linear_time() {
    let too_large = vec![b'a'; MAX_NOTIFICATION_BYTES + 1];
    assert_eq!(
        Notification::parse(&too_large),
        Err(NotificationError::TooLarge(MAX_NOTIFICATION_BYTES + 1))
    );
    // Thousands of distinct fields under the limit parse; a repeat far apart is still found.
    let many: String = (0..5_000).map(|n| format!("k{n}=v&")).collect();
    assert!(many.len() < MAX_NOTIFICATION_BYTES);
    assert_eq!(
        Notification::parse(many.as_bytes()).unwrap().iter().count(),
        5_000
    );
    let repeated = format!("{many}k0=again");
    assert_eq!(
        Notification::parse(repeated.as_bytes()),
        Err(NotificationError::DuplicateField("k0".into()))
    );
}

// ---- hostile requests -----------------------------------------------------------------

/// Paths every surface answers, with ids that exist and ids that do not.
fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/v1/payments/retrieve".to_owned()),
        Just("/v1/payments/verify".to_owned()),
        Just("/v1/payments/ready".to_owned()),
        Just("/v1/payments/1849705C64W0000000000001/capture".to_owned()),
        Just("/v1/payments/1849705C64W0000000000001/cancel".to_owned()),
        Just("/v1/payments/recurring/RC000000000000000002/adjust".to_owned()),
        Just("/v1/payments/recurring/RC000000000000000002/delete".to_owned()),
        Just("/Gateway/DirectProcessor.krp".to_owned()),
        Just("/Gateway/BasicProcessor.krp".to_owned()),
        Just("/v1/window".to_owned()),
        Just("/window/W00000001".to_owned()),
        Just("/_sim/payments".to_owned()),
        Just("/_sim/clock".to_owned()),
        Just("/_sim/faults".to_owned()),
        Just("/_sim/inbox".to_owned()),
        Just("/_sim/ledger?limit=3".to_owned()),
        Just("/_sim/behaviour".to_owned()),
        "/[a-z_/]{0,30}",
    ]
}

/// Bodies: valid ones with a byte changed, and arbitrary bytes.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let valid = [
        r#"{"mid":"1849705C64","payment":{"order_id":"O-1","currency":"USD","amount":"10.00","lang":"EN"}}"#,
        r#"{"mid":"1849705C64","refund":{"refund_type":"P","refund_amount":"1.00","refund_id":"R1"},"payment":{"order_id":"O-1","currency":"USD","amount":"10.00","balance":"10.00","lang":"EN"}}"#,
        r#"{"order_id":"O-2","currency":"USD","amount":"5.00","transaction_type":"PAYMENT"}"#,
        r#"{"advance_days":40}"#,
        "mid=1849705C64&txntype=RC_ADJUST&adjustType=A&recurringID=RC000000000000000002&adjustAmount=3.00",
    ];
    prop_oneof![
        (0..valid.len(), any::<usize>(), any::<u8>()).prop_map(move |(which, at, byte)| {
            let mut bytes = valid[which].as_bytes().to_vec();
            let at = at % bytes.len();
            bytes[at] = byte;
            bytes
        }),
        (0..valid.len()).prop_map(move |which| valid[which].as_bytes().to_vec()),
        proptest::collection::vec(any::<u8>(), 0..300),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    /// No request panics the sandbox, and none breaks a ledger invariant.
    #[test]
    fn hostile_requests_never_break_the_ledger(
        requests in proptest::collection::vec((any::<bool>(), path(), body()), 1..40)
    ) {
        let mut sandbox = Sandbox::new(SandboxConfig::default());
        let mut new = new_payment("O-1");
        new.amount = "10.00".into();
        sandbox.create_payment(new).unwrap();
        let auth = http::HeaderValue::from_static("Basic dGVzdF8xODQ5NzA1QzY0MkMyMTdFMEIyRDo=");
        for (post, path, body) in requests {
            let request = Request::builder()
                .method(if post { "POST" } else { "GET" })
                .uri(path)
                .header("authorization", auth.clone())
                .header("content-type", if body.first() == Some(&b'{') { "application/json" } else { "application/x-www-form-urlencoded" })
                .body(body)
                .unwrap();
            let _ = sandbox.handle(&request);
            for payment in sandbox.ledger.payments() {
                prop_assert!(payment.captures_applied <= 1);
                prop_assert!(payment.refunded <= payment.total());
                prop_assert!(!(payment.captured && payment.voided));
                if payment.captured {
                    let kept: rust_decimal::Decimal = payment.refunds.values().map(|r| r.amount).sum();
                    prop_assert_eq!(kept, payment.refunded);
                }
            }
        }
    }
}
