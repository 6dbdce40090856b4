//! Invariants that must hold for every input, not just the ones we thought of.

use eximbay_core::fgkey;
use eximbay_core::ops::MerchantParams;
use eximbay_core::ops::cancel::{Cancel, RefundKind};
use eximbay_core::ops::capture::Capture;
use eximbay_core::ops::ready::Ready;
use eximbay_core::ops::recurring_adjust::RecurringAdjust;
use eximbay_core::ops::recurring_terminate::RecurringTerminate;
use eximbay_core::ops::retrieve::{KeyField, Retrieve};
use eximbay_core::ops::v1_recurring_adjust::V1RecurringAdjust;
use eximbay_core::ops::v1_recurring_delete::V1RecurringDelete;
use eximbay_core::ops::verify::Verify;
use eximbay_core::{
    Amount, Currency, Lang, Notification, Operation, OrderId, RecurringId, RefundId, SecretKey,
    TransactionId, TransactionType,
};
use eximbay_tests::{SECRET_KEY, TID, response, test_config};
use proptest::prelude::*;

fn currency() -> impl Strategy<Value = Currency> {
    prop_oneof![
        Just(Currency::Usd),
        Just(Currency::Eur),
        Just(Currency::Krw),
        Just(Currency::Jpy),
        Just(Currency::Vnd),
        Just(Currency::Unknown("XAU".to_owned())),
    ]
}

/// Minor units that fit 10 integer digits in any currency.
fn minor_units(currency: &Currency) -> std::ops::RangeInclusive<i64> {
    let max = 10_i64.pow(10 + currency.exponent()) - 1;
    1..=max
}

proptest! {
    #[test]
    fn amount_minor_units_round_trip((currency, units) in currency().prop_flat_map(|c| {
        let units = minor_units(&c);
        (Just(c), units)
    })) {
        let amount = Amount::from_minor_units(units, &currency).unwrap();
        prop_assert!(amount.check_currency(&currency).is_ok());
        let reparsed = Amount::parse(amount.as_str()).unwrap();
        prop_assert_eq!(reparsed.to_minor_units(&currency).unwrap(), units);
        prop_assert_eq!(reparsed.as_str(), amount.as_str());
    }

    /// However the gateway echoes an amount (`"1"`, `"1.0"`, `"1.00"`, KRW `"1000.00"`,
    /// trailing whitespace), reading it back in its currency gives the canonical amount; a
    /// fraction below the currency's minor unit is refused, never rounded.
    #[test]
    fn echoed_amounts_read_back_as_the_canonical_amount(
        (currency, units) in currency().prop_flat_map(|c| {
            let units = minor_units(&c);
            (Just(c), units)
        }),
        extra_zeros in 0_usize..4,
        padding in prop_oneof![Just(""), Just(" "), Just("\n")],
        odd_digit in 1_u8..=9,
    ) {
        let canonical = Amount::from_minor_units(units, &currency).unwrap();
        let mut echoed = canonical.as_str().to_owned();
        if extra_zeros > 0 {
            if !echoed.contains('.') {
                echoed.push('.');
            }
            echoed.push_str(&"0".repeat(extra_zeros));
        }
        echoed.push_str(padding);
        let read = Amount::from_gateway(&echoed, &currency).unwrap();
        prop_assert_eq!(read.as_str(), canonical.as_str());
        prop_assert!(read.check_currency(&currency).is_ok());
        // One more significant digit than the currency has: refused.
        // (Canonical text has exactly the currency's decimals, so one more digit is finer.)
        let mut finer = canonical.as_str().to_owned();
        if !finer.contains('.') {
            finer.push('.');
        }
        let finer = format!("{finer}{odd_digit}");
        prop_assert!(Amount::from_gateway(&finer, &currency).is_err(), "{finer}");
    }

    #[test]
    fn amount_text_is_kept_and_valued_exactly(int in "[1-9][0-9]{0,9}", frac in proptest::option::of("[0-9]{1,2}")) {
        let text = match &frac { Some(f) => format!("{int}.{f}"), None => int.clone() };
        let amount = Amount::parse(&text).unwrap();
        prop_assert_eq!(amount.as_str(), text.as_str());
        let usd_units = amount.to_minor_units(&Currency::Usd).unwrap();
        let back = Amount::from_minor_units(usd_units, &Currency::Usd).unwrap();
        prop_assert_eq!(back.value(), amount.value());
        prop_assert_eq!(amount.check_currency(&Currency::Krw).is_ok(), frac.is_none());
    }

    #[test]
    fn amount_parser_never_panics_and_refuses_non_plain_text(text in "\\PC{0,16}") {
        if let Ok(amount) = Amount::parse(&text) {
            prop_assert!(text.bytes().all(|b| b.is_ascii_digit() || b == b'.'));
            prop_assert!(amount.value() > rust_decimal::Decimal::ZERO);
        }
    }

    #[test]
    fn building_is_deterministic(order in "[A-Za-z0-9-]{1,30}", units in 1_i64..1_000_000_000, key in "\\PC{0,20}") {
        let cfg = test_config();
        let amount = Amount::from_minor_units(units, &Currency::Usd).unwrap();
        let capture = Capture {
            transaction_id: TransactionId::new(TID),
            order_id: OrderId::new(order.clone()),
            currency: Currency::Usd,
            amount: amount.clone(),
            lang: Lang::En,
        };
        let a = capture.to_http(&cfg).unwrap();
        let b = capture.clone().to_http(&cfg).unwrap();
        prop_assert_eq!(a.uri(), b.uri());
        prop_assert_eq!(a.headers(), b.headers());
        prop_assert_eq!(a.body(), b.body());
        let body: serde_json::Value = serde_json::from_slice(a.body()).unwrap();
        prop_assert_eq!(body["payment"]["amount"].as_str(), Some(amount.as_str()));
        prop_assert_eq!(body["payment"]["order_id"].as_str(), Some(order.as_str()));
        prop_assert_eq!(
            RefundId::derive(&TransactionId::new(TID), &key),
            RefundId::derive(&TransactionId::new(TID), &key)
        );
    }

    #[test]
    fn parsers_never_panic_on_arbitrary_bytes(status in 100_u16..600, body in proptest::collection::vec(any::<u8>(), 0..512)) {
        parse_with_every_operation(status, &body);
        let _ = Notification::parse(&body).map(|n| n.verify(&SecretKey::new(SECRET_KEY).unwrap()));
    }

    #[test]
    fn parsers_never_panic_on_json_like_bytes(status in prop_oneof![Just(200_u16), Just(400), Just(502)], body in json_like()) {
        parse_with_every_operation(status, body.as_bytes());
    }

    #[test]
    fn fgkey_verifies_what_sign_produces_and_nothing_else(
        params in proptest::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,12}", "\\PC{0,20}", 1..12),
        flip in any::<prop::sample::Index>(),
        bit in 0_u8..8,
    ) {
        let secret = SecretKey::new(SECRET_KEY).unwrap();
        let pairs: Vec<(&str, &str)> = params.iter().filter(|(k, _)| *k != "fgkey").map(|(k, v)| (k.as_str(), v.as_str())).collect();
        prop_assume!(!pairs.is_empty());
        let signature = fgkey::sign(&secret, pairs.iter().copied());
        prop_assert!(fgkey::verify(&secret, pairs.iter().copied(), &signature));
        prop_assert!(fgkey::verify(&secret, pairs.iter().copied(), &signature.to_lowercase()));

        // One byte changed anywhere in the signed content breaks the signature.
        let mut content: Vec<(Vec<u8>, Vec<u8>)> = pairs.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec())).collect();
        let total: usize = content.iter().map(|(k, v)| k.len() + v.len()).sum();
        let mut at = flip.index(total);
        for (k, v) in content.iter_mut() {
            if at < k.len() { k[at] ^= 1 << bit; break; }
            at -= k.len();
            if at < v.len() { v[at] ^= 1 << bit; break; }
            at -= v.len();
        }
        let changed: Vec<(String, String)> = content.into_iter().map(|(k, v)| (String::from_utf8_lossy(&k).into_owned(), String::from_utf8_lossy(&v).into_owned())).collect();
        let original: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut sorted_changed = changed.clone();
        sorted_changed.sort();
        let mut sorted_original = original.clone();
        sorted_original.sort();
        prop_assume!(sorted_changed != sorted_original);
        prop_assert!(!fgkey::verify(&secret, changed.iter().map(|(k, v)| (k.as_str(), v.as_str())), &signature));

        // And one byte changed in the signature itself is refused.
        let mut forged = signature.clone().into_bytes();
        let i = flip.index(forged.len());
        forged[i] = if forged[i] == b'0' { b'1' } else { b'0' };
        prop_assert!(!fgkey::verify(&secret, pairs.iter().copied(), std::str::from_utf8(&forged).unwrap()));
    }
}

proptest! {
    /// The notification parser's borrowing fast path reads exactly what `form_urlencoded`
    /// reads (and refuses repeated keys).
    #[test]
    fn notification_parsing_matches_form_urlencoded(
        body in prop_oneof![
            "[a-c=&%+0-9A-F]{0,40}",
            proptest::collection::vec(any::<u8>(), 0..40).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ],
        raw in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        for bytes in [body.as_bytes(), raw.as_slice()] {
            let theirs: Vec<(String, String)> = form_urlencoded::parse(bytes).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
            let mut keys: Vec<&String> = theirs.iter().map(|(k, _)| k).collect();
            keys.sort();
            let repeated = keys.windows(2).any(|w| w[0] == w[1]);
            match Notification::parse(bytes) {
                Ok(ours) => {
                    prop_assert!(!repeated);
                    let ours: Vec<(String, String)> = ours.iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
                    prop_assert_eq!(ours, theirs);
                }
                Err(eximbay_core::NotificationError::DuplicateField(_)) => prop_assert!(repeated),
                Err(eximbay_core::NotificationError::Empty) => prop_assert!(theirs.is_empty()),
                Err(other) => prop_assert!(false, "unexpected {other:?}"),
            }
        }
    }
}

fn json_like() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("\"0000\"".to_owned()),
        Just("\"EM00\"".to_owned()),
        Just("null".to_owned()),
        Just("1.5".to_owned()),
        "\"[0-9.]{0,6}\"".prop_map(|s| s),
        Just("{}".to_owned()),
        Just("[]".to_owned()),
    ];
    let keys = prop_oneof![
        Just("rescode"),
        Just("resmsg"),
        Just("payment"),
        Just("refund"),
        Just("foreign"),
        Just("amount"),
        Just("balance"),
        Just("status"),
        Just("refund_amount"),
        Just("partially_cancelable "),
        Just("foregin_amount"),
        Just("transaction_id"),
        Just("fgkey"),
    ];
    leaf.prop_recursive(3, 32, 6, move |inner| {
        proptest::collection::vec((keys.clone(), inner), 0..6).prop_map(|fields| {
            let body: Vec<String> = fields
                .into_iter()
                .map(|(k, v)| format!("\"{k}\":{v}"))
                .collect();
            format!("{{{}}}", body.join(","))
        })
    })
}

fn parse_with_every_operation(status: u16, body: &[u8]) {
    let resp = || response(status, body.to_vec());
    let amount = Amount::parse("1").unwrap();
    let tid = TransactionId::new(TID);
    let order = OrderId::new("O-1");
    let _ = Capture {
        transaction_id: tid.clone(),
        order_id: order.clone(),
        currency: Currency::Usd,
        amount: amount.clone(),
        lang: Lang::En,
    }
    .parse(resp());
    let _ = Cancel::new(
        tid.clone(),
        order.clone(),
        Currency::Usd,
        amount.clone(),
        amount.clone(),
        RefundKind::Full,
        RefundId::new("R1"),
        Lang::En,
    )
    .parse(resp());
    let _ = Retrieve {
        key_field: KeyField::OrderId,
        order_id: order.clone(),
        transaction_id: None,
        currency: Currency::Usd,
        amount: amount.clone(),
        lang: Lang::En,
    }
    .parse(resp());
    let _ = Verify {
        data: "x".to_owned(),
    }
    .parse(resp());
    let _ = Ready {
        transaction_type: TransactionType::Payment,
        order_id: order,
        currency: Currency::Usd,
        amount: amount.clone(),
        lang: Lang::En,
        buyer_name: "b".into(),
        buyer_email: "b@x".into(),
        buyer_phone: None,
        payment_method: None,
        multi_payment_method: None,
        shop: None,
        partner_code: None,
        return_url: "https://x".into(),
        status_url: "https://x".into(),
        products: Vec::new(),
        surcharges: Vec::new(),
        other_param: Default::default(),
        tax: Default::default(),
        settings: Default::default(),
        token_creation: false,
    }
    .parse(resp());
    let rid = RecurringId::new("RC1");
    let _ = RecurringTerminate {
        recurring_id: rid.clone(),
        params: MerchantParams::default(),
    }
    .parse(resp());
    let _ = RecurringAdjust {
        recurring_id: rid.clone(),
        currency: Currency::Usd,
        amount: amount.clone(),
        params: MerchantParams::default(),
    }
    .parse(resp());
    let _ = V1RecurringDelete {
        recurring_id: rid.clone(),
    }
    .parse(resp());
    let _ = V1RecurringAdjust {
        recurring_id: rid,
        currency: Currency::Usd,
        amount,
    }
    .parse(resp());
}
