//! The notification parser's own tests: spellings, verification, strict mode, the size limit.

use super::*;

const BODY: &str = "mid=1849705C64&ref=ORDER-0001&cur=USD&amt=10.50&rescode=0000&resmsg=Success.&transid=1849705C6420260101000001&param1=&email=buyer%2B1%40example.com&resdt=20260101120000&fgkey=140C8599A2858E43633F1A1D1868F0D726524A14A32F061E9152DE69A83037A9";

#[test]
fn strict_mode_refuses_undocumented_keys_and_bad_signatures() {
    let secret = SecretKey::new("289F40E6640124B2628640168C3C5464").unwrap();
    assert_eq!(
        Notification::parse(BODY.as_bytes())
            .unwrap()
            .verify_strict(&secret),
        Ok(())
    );
    // Signed, but with a key the documents do not list: only strict mode refuses it.
    let fields = [("mid", "1849705C64"), ("fake", "1")];
    let body = format!(
        "mid=1849705C64&fake=1&fgkey={}",
        crate::fgkey::sign(&secret, fields)
    );
    let extra = Notification::parse(body.as_bytes()).unwrap();
    assert_eq!(extra.verify(&secret), Ok(()));
    assert_eq!(
        extra.verify_strict(&secret),
        Err(NotificationError::UndocumentedField("fake".into()))
    );
    // Documented keys, wrong secret: refused in strict mode too.
    let other = SecretKey::new("00000000000000000000000000000000").unwrap();
    let genuine = Notification::parse(BODY.as_bytes()).unwrap();
    assert_eq!(genuine.verify_strict(&other), genuine.verify(&other));
    assert!(genuine.verify_strict(&other).is_err());
}

#[test]
fn the_size_limit_is_exactly_64_kib() {
    assert_eq!(MAX_NOTIFICATION_BYTES, 65_536);
    // A body of exactly the limit is read; one byte more is refused unread.
    let filler = "x".repeat(MAX_NOTIFICATION_BYTES - BODY.len() - "&note=".len());
    let at_limit = format!("{BODY}&note={filler}");
    assert_eq!(at_limit.len(), MAX_NOTIFICATION_BYTES);
    assert_eq!(
        Notification::parse(at_limit.as_bytes())
            .unwrap()
            .get("note")
            .map(str::len),
        Some(filler.len())
    );
    let over = format!("{at_limit}x");
    assert_eq!(
        Notification::parse(over.as_bytes()),
        Err(NotificationError::TooLarge(MAX_NOTIFICATION_BYTES + 1))
    );
}

#[test]
fn reads_both_spellings_and_verifies() {
    let n = Notification::parse(BODY.as_bytes()).unwrap();
    assert_eq!(n.order_id().unwrap().as_str(), "ORDER-0001");
    assert_eq!(n.amount().unwrap().as_str(), "10.50");
    assert_eq!(n.currency(), Some(Currency::Usd));
    assert_eq!(n.get("email"), Some("buyer+1@example.com"));
    assert_eq!(n.get("param1"), Some(""));
    assert!(n.is_success());
    let secret = SecretKey::new("289F40E6640124B2628640168C3C5464").unwrap();
    assert_eq!(n.verify(&secret), Ok(()));
    let tampered = BODY.replace("amt=10.50", "amt=10.51");
    let n = Notification::parse(tampered.as_bytes()).unwrap();
    assert_eq!(n.verify(&secret), Err(NotificationError::BadSignature));
}

#[test]
fn typed_values_are_trimmed_but_the_signature_covers_them_as_sent() {
    let secret = SecretKey::new("289F40E6640124B2628640168C3C5464").unwrap();
    let fields = [
        ("transid", "1849705C6420260101000001 "),
        ("cur", "USD\n"),
        ("amt", "10.50 "),
        ("ref", " ORDER-1"),
        ("resmsg", "Success.   "),
        ("rescode", "0000\n"),
        ("mid", "1849705C64 "),
    ];
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        form.append_pair(k, v);
    }
    form.append_pair("fgkey", &fgkey::sign(&secret, fields));
    let body = form.finish();
    let n = Notification::parse(body.as_bytes()).unwrap();
    assert_eq!(n.verify(&secret), Ok(()));
    assert_eq!(n.currency(), Some(Currency::Usd));
    assert_eq!(
        n.transaction_id().unwrap().as_str(),
        "1849705C6420260101000001"
    );
    assert_eq!(n.order_id().unwrap().as_str(), "ORDER-1");
    assert_eq!(n.amount().unwrap().as_str(), "10.50");
    assert_eq!(n.mid(), Some("1849705C64"));
    assert!(n.is_success());
    // Trimmed before hashing, the signature would not match: values are signed as sent.
    let trimmed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.trim())).collect();
    assert_ne!(fgkey::sign(&secret, trimmed), n.fgkey().unwrap());
}

#[test]
fn refuses_repeated_fields_and_dedupes() {
    assert_eq!(
        Notification::parse(b"a=1&a=2"),
        Err(NotificationError::DuplicateField("a".into()))
    );
    assert_eq!(Notification::parse(b""), Err(NotificationError::Empty));
    let n = Notification::parse(BODY.as_bytes()).unwrap();
    let mut dedupe = Deduplicator::new();
    assert_eq!(dedupe.first_delivery(&n), Ok(true));
    assert_eq!(dedupe.first_delivery(&n), Ok(false));
}

#[test]
fn a_later_status_or_result_of_the_same_transaction_is_a_new_delivery() {
    let body = |status: &str, rescode: &str| {
        format!("transid=1849705C6420260101000001&status={status}&rescode={rescode}")
    };
    let mut dedupe = Deduplicator::new();
    for (status, rescode, first) in [
        ("Registered", "0000", true),
        ("Registered", "0000", false),
        ("Sale", "0000", true),
        ("Sale ", "0000\n", false),
        ("", "HE01", true),
        ("", "0000", true),
        ("", "0000", false),
    ] {
        let text = body(status, rescode);
        let n = Notification::parse(text.as_bytes()).unwrap();
        assert_eq!(dedupe.first_delivery(&n), Ok(first), "{status} {rescode}");
    }
    let key = Deduplicator::key(&Notification::parse(body("Sale", "0000").as_bytes()).unwrap());
    assert_eq!(
        key.unwrap().to_string(),
        "1849705C6420260101000001|Sale|0000"
    );
}

#[test]
fn status_fraud_screening_and_card_fields() {
    let n = Notification::parse(
        b"transid=T&rescode=0000&status=Registered&paymentURL=https%3A%2F%2Fpay.example%2F%3Fa%3D1%26b%3D2\
          &dm_decision=review&dm_review=velocity&dm_reject=&card_number1=411111&card_number4=1111\
          &foregin_currency=KRW&foregin_amount=13000&foregin_rate=1300.00&recurring_id=RC1&recurring_retry=2&recurring_next=20260301",
    )
    .unwrap();
    assert_eq!(n.status(), Some(NotificationStatus::Registered));
    assert!(!n.is_paid());
    assert_eq!(n.payment_url(), Some("https://pay.example/?a=1&b=2"));
    assert_eq!(n.dm_decision(), Some(FraudDecision::Review));
    assert!(n.holds_order());
    assert_eq!(n.dm_review(), Some("velocity"));
    assert_eq!(n.dm_reject(), None);
    assert_eq!(n.card_number_first(), Some("411111"));
    assert_eq!(n.card_number_last(), Some("1111"));
    assert_eq!(n.foreign_currency(), Some(Currency::Krw));
    assert_eq!(n.foreign_amount().unwrap().as_str(), "13000");
    assert_eq!(n.foreign_rate(), Some("1300.00"));
    assert_eq!(n.recurring_id().unwrap().as_str(), "RC1");
    assert_eq!(n.recurring_retry(), Some(2));
    assert_eq!(n.recurring_next(), Date::parse_yyyymmdd("20260301"));
    let card =
        Notification::parse(b"transid=T&txntype=PAYMENT&rescode=0000&dm_decision=ACCEPT").unwrap();
    assert!(card.is_paid());
    assert!(!card.holds_order());
    for decision in ["REJECT", "ERROR"] {
        let text = format!("transid=T&rescode=0000&dm_decision={decision}");
        assert!(Notification::parse(text.as_bytes()).unwrap().holds_order());
    }
    let sale =
        Notification::parse(b"transid=T&txntype=PAYMENT&rescode=0000&status=Sale\n").unwrap();
    assert!(sale.is_paid());
    let void = Notification::parse(b"transid=T&txntype=PAYMENT&rescode=0000&status=Void").unwrap();
    assert!(!void.is_paid());
}

#[test]
fn a_refusal_reads_as_one_under_either_spelling() {
    let legacy =
        Notification::parse(b"ver=230&rescode=1002&resmsg=Declined%20by%20issuer&transid=T")
            .unwrap();
    assert_eq!(legacy.version(), Some("230"));
    assert_eq!(legacy.resmsg(), Some("Declined by issuer"));
    assert_eq!(
        legacy.rescode().map(|c| c.as_str().to_owned()),
        Some("1002".to_owned())
    );
    assert!(!legacy.is_success());
    assert!(!legacy.is_paid());
    let current = Notification::parse(b"version=240%0A&rescode=0000&resmsg=").unwrap();
    assert_eq!(current.version(), Some("240"));
    assert_eq!(current.resmsg(), Some(""));
    assert!(current.is_success());
}

#[test]
fn card_and_screening_details_under_either_spelling() {
    let current = Notification::parse(
        b"transid=T&rescode=0000&payment_method=P101&card_holder=KIM%20MINSU&auth_code=A12345\
          &dm_decision=REJECT&dm_reject=%20blacklisted%20",
    )
    .unwrap();
    assert_eq!(current.payment_method(), Some(PaymentMethod::Visa));
    assert_eq!(current.card_holder(), Some("KIM MINSU"));
    assert_eq!(current.auth_code(), Some("A12345"));
    assert_eq!(current.dm_reject(), Some("blacklisted"));
    let legacy =
        Notification::parse(b"transid=T&rescode=0000&paymethod=P000&cardholder=LEE&authcode=0042")
            .unwrap();
    assert_eq!(legacy.payment_method(), Some(PaymentMethod::Card));
    assert_eq!(legacy.card_holder(), Some("LEE"));
    assert_eq!(legacy.auth_code(), Some("0042"));
    assert_eq!(legacy.dm_reject(), None);
}

#[test]
fn dcc_and_authentication_details() {
    let n = Notification::parse(
        b"transid=T&rescode=0000&dcc_rate=1.0850&base_amount=12.00&cavv=AAAB%20&xid=X1&eci=05\
          &token_id=TK1&transaction_date=20260101120000",
    )
    .unwrap();
    assert_eq!(n.dcc_rate(), Some("1.0850"));
    assert_eq!(n.base_amount().unwrap().as_str(), "12.00");
    assert_eq!(
        (n.cavv(), n.xid(), n.eci()),
        (Some("AAAB"), Some("X1"), Some("05"))
    );
    assert_eq!(n.token_id(), Some("TK1"));
    assert_eq!(
        n.transaction_date(),
        Timestamp::parse_kst_datetime("20260101120000")
    );
    let legacy = Notification::parse(b"transid=T&tokenID=TK2&resdt=20260102000000").unwrap();
    assert_eq!(legacy.token_id(), Some("TK2"));
    assert!(legacy.transaction_date().is_some());
    assert_eq!((legacy.dcc_rate(), legacy.base_amount()), (None, None));
}

#[test]
fn the_deduplicator_counts_distinct_notifications() {
    let mut seen = Deduplicator::new();
    assert!(seen.is_empty());
    assert_eq!(seen.len(), 0);
    let sale = Notification::parse(b"transid=T1&rescode=0000&status=Sale").unwrap();
    let again = Notification::parse(b"transid=T1&rescode=0000%0A&status=Sale&param1=x").unwrap();
    let other = Notification::parse(b"transid=T2&rescode=0000").unwrap();
    assert_eq!(seen.first_delivery(&sale), Ok(true));
    assert_eq!(
        seen.first_delivery(&again),
        Ok(false),
        "the same identity, trimmed"
    );
    assert!(!seen.is_empty());
    assert_eq!(seen.len(), 1);
    assert_eq!(seen.first_delivery(&other), Ok(true));
    assert_eq!(seen.len(), 2);
}
