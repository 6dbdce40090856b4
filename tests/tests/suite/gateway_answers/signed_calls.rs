//! Opt-in signed `RC_*` calls (point 8); `Ready`'s transaction types and the v1 adjust's
//! charge-day guard (point 9).

use super::*;

#[test]
fn legacy_calls_are_signed_only_when_asked() {
    let op = RecurringTerminate {
        recurring_id: RecurringId::new("RC00000000000000001"),
        params: MerchantParams::default(),
    };
    let seed = render_request(&op.to_http(&test_config()).unwrap());
    assert!(!seed.contains("fgkey") && !seed.contains("ver="), "{seed}");
    let signed_cfg = test_config().with_legacy_signing(LegacySigning::Fgkey);
    let request = op.to_http(&signed_cfg).unwrap();
    insta::assert_snapshot!(render_request(&request));
    let fields: Vec<(String, String)> = form_urlencoded::parse(request.body())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["mid", "txntype", "recurringID", "ver", "charset", "fgkey"]
    );
    let (signed, fgkey): (Vec<_>, Vec<_>) = fields.iter().partition(|(k, _)| k != "fgkey");
    assert!(fgkey::verify(
        &SecretKey::new(SECRET_KEY).unwrap(),
        signed.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &fgkey[0].1
    ));
    // Signing needs the secret key: nothing is built without it.
    let no_secret = eximbay_core::Config::new(
        eximbay_core::Environment::Test,
        eximbay_core::Mid::new(eximbay_tests::MID).unwrap(),
        eximbay_core::ApiKey::new(eximbay_tests::API_KEY).unwrap(),
    )
    .unwrap()
    .with_legacy_signing(LegacySigning::Fgkey);
    assert_eq!(
        op.to_http(&no_secret).unwrap_err(),
        BuildError::MissingSecretKey
    );
}

#[test]
fn signed_and_unsigned_rc_calls_against_each_sandbox_choice() {
    for (required, client, works) in [
        (LegacySignature::Either, LegacySigning::Unsigned, true),
        (LegacySignature::Either, LegacySigning::Fgkey, true),
        (LegacySignature::Unsigned, LegacySigning::Unsigned, true),
        (LegacySignature::Unsigned, LegacySigning::Fgkey, false),
        (LegacySignature::Required, LegacySigning::Unsigned, false),
        (LegacySignature::Required, LegacySigning::Fgkey, true),
    ] {
        let sandbox = start_with(SandboxConfig {
            behaviour: Behaviour {
                legacy_signing: required,
                ..Behaviour::default()
            },
            ..SandboxConfig::default()
        });
        let created = control(
            &sandbox,
            "POST",
            "/_sim/payments",
            Some(
                json!({"order_id": "RC-S", "currency": "USD", "amount": "9.00", "transaction_type": "PAYMENT",
                        "recurring": {"amount": "9.00", "url": format!("{}/_sim/inbox", sandbox.base_url())}}),
            ),
        );
        let id = created["recurring_id"].as_str().unwrap();
        let cfg = config(&sandbox)
            .with_secret_key(SecretKey::new(DEFAULT_SECRET_KEY).unwrap())
            .with_legacy_signing(client);
        let http = eximbay_ureq::Client::new(cfg).unwrap();
        let mut recurring = Recurring::new(
            RecurringId::new(id),
            Currency::Usd,
            usd("9.00"),
            Date::parse_yyyymmdd("20300101").unwrap(),
        );
        let result = http.terminate_recurring(&mut recurring, MerchantParams::default());
        match (works, result) {
            (true, Ok(_)) => {}
            (false, Err(ClientError::Rejected(g))) => assert_eq!(g.rescode.as_str(), "EC00"),
            (works, other) => {
                panic!("{required:?} {client:?}: expected works={works}, got {other:?}")
            }
        }
        let terminated = sandbox.sandbox().recurring.registrations[id]
            .status
            .is_terminated();
        assert_eq!(terminated, works, "{required:?} {client:?}");
    }
}

// ---- 9. small ones --------------------------------------------------------------------

#[test]
fn ready_takes_only_the_window_transaction_types() {
    let ready = |transaction_type: TransactionType| Ready {
        transaction_type,
        order_id: OrderId::new("O-1"),
        currency: Currency::Usd,
        amount: usd("1.00"),
        lang: Lang::En,
        buyer_name: "Buyer".into(),
        buyer_email: "buyer@example.com".into(),
        buyer_phone: None,
        payment_method: None,
        multi_payment_method: None,
        shop: None,
        partner_code: None,
        return_url: "https://shop.example/return".into(),
        status_url: "https://shop.example/status".into(),
        products: Vec::new(),
        surcharges: Vec::new(),
        other_param: Default::default(),
        tax: Default::default(),
        settings: Default::default(),
        token_creation: false,
    };
    for ok in [
        TransactionType::Payment,
        TransactionType::Authorize,
        TransactionType::PayerAuth,
        TransactionType::Rebill,
    ] {
        assert!(ready(ok.clone()).to_http(&test_config()).is_ok(), "{ok}");
    }
    for refused in [
        TransactionType::Capture,
        TransactionType::Refund,
        TransactionType::PaymentPa,
        TransactionType::Query,
    ] {
        assert!(
            matches!(
                ready(refused.clone()).to_http(&test_config()),
                Err(BuildError::InvalidField {
                    field: "transaction_type",
                    ..
                })
            ),
            "{refused}"
        );
    }
}

#[test]
fn the_v1_adjust_keeps_the_charge_day_rule() {
    let next = Date::parse_yyyymmdd("20260301").unwrap();
    let recurring = Recurring::new(RecurringId::new("RC1"), Currency::Usd, usd("9.00"), next);
    // 2026-03-01 00:30 in Korea is still 2026-02-28 in UTC: the charge day all the same.
    let charge_day = Timestamp::kst_midnight(next).0 + 30 * 60;
    assert_eq!(
        recurring.adjust_v1(usd("12.00"), Timestamp(charge_day)),
        Err(RecurringRefusal::ChargeDay(next))
    );
    let day_before = Timestamp(charge_day - 86_400);
    let op = recurring.adjust_v1(usd("12.00"), day_before).unwrap();
    assert_eq!(op.amount.as_str(), "12.00");
    assert!(recurring.delete_v1().is_ok());
}
