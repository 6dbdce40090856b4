//! Echoed amounts (`"1.00"`, KRW `"1000.00"`) normalised to the currency (point 5), the
//! recurring fields in both spellings (point 6), `partially_cancelable = N` (point 7).

use super::*;

#[test]
fn a_payment_from_an_echoed_amount_can_be_captured_and_refunded() {
    let body = "transid=1849705C6420220922000016&ref=O-K&cur=KRW&amt=1000.00&txntype=AUTHORIZE&rescode=0000";
    let mut p =
        Payment::from_status_notification(&Notification::parse(body.as_bytes()).unwrap(), Lang::Kr)
            .unwrap();
    assert_eq!(p.amount().as_str(), "1000");
    let capture = p.capture().unwrap().to_http(&test_config()).unwrap();
    assert!(
        render_request(&capture).contains(r#""amount": "1000""#),
        "{}",
        render_request(&capture)
    );
    // The capture answer echoes 1000.00 too; the refund that follows sends whole won.
    let answer = json!({"rescode": "0000", "payment": {"amount": "1000.00", "currency": "KRW", "transaction_id": TID, "partially_cancelable ": "Y"}});
    let parsed = p
        .capture()
        .unwrap()
        .parse(json_response(200, &answer))
        .unwrap();
    p.apply(PaymentOutcome::Captured(parsed)).unwrap();
    let refund = p
        .refund_partial(Amount::parse("300").unwrap(), "k", None)
        .unwrap();
    let sent = render_request(&refund.to_http(&test_config()).unwrap());
    assert!(sent.contains(r#""balance": "1000""#), "{sent}");
    let answer = refund_answer(refund.refund_id.as_str(), "300.00", "700.00");
    p.apply(PaymentOutcome::Refunded(
        refund.parse(json_response(200, &answer)).unwrap(),
    ))
    .unwrap();
    let rest = p.refund_full("k2", None).unwrap();
    let sent = render_request(&rest.to_http(&test_config()).unwrap());
    assert!(sent.contains(r#""refund_amount": "700""#), "{sent}");

    // USD "1" comes back "1.00"; a fraction KRW cannot have is refused, not rounded.
    let one = "transid=T&ref=O&cur=USD&amt=1&txntype=PAYMENT&rescode=0000";
    let p =
        Payment::from_status_notification(&Notification::parse(one.as_bytes()).unwrap(), Lang::En)
            .unwrap();
    assert_eq!(p.amount().as_str(), "1.00");
    for bad in ["1000.50", "10.5.0", "-1000", ""] {
        let body = format!("transid=T&ref=O&cur=KRW&amt={bad}&txntype=PAYMENT&rescode=0000");
        assert_eq!(
            Payment::from_status_notification(
                &Notification::parse(body.as_bytes()).unwrap(),
                Lang::En
            ),
            Err(NotificationError::InvalidField("amount")),
            "{bad}"
        );
    }
}

#[test]
fn a_krw_payment_from_its_callback_runs_its_life_under_each_echo() {
    for echoed_amounts in [EchoedAmounts::TwoDecimals, EchoedAmounts::CurrencyExponent] {
        let sandbox = start_with(SandboxConfig {
            behaviour: Behaviour {
                echoed_amounts,
                ..Behaviour::default()
            },
            ..SandboxConfig::default()
        });
        let inbox = format!("{}/_sim/inbox", sandbox.base_url());
        for (i, adapter) in Adapter::both(&sandbox).iter().enumerate() {
            control(
                &sandbox,
                "POST",
                "/_sim/payments",
                Some(
                    json!({"order_id": format!("KRW-{i}"), "currency": "KRW", "amount": "15000", "status_url": inbox}),
                ),
            );
            let entries = wait_for_inbox(&sandbox, i + 1);
            let n = Notification::parse(entries[i]["body"].as_str().unwrap().as_bytes()).unwrap();
            let mut p = Payment::from_status_notification(&n, Lang::Kr).unwrap();
            let label = format!("{echoed_amounts:?} {}", adapter.name());
            assert_eq!(
                adapter.capture(&mut p).unwrap().to,
                PaymentStatus::Captured,
                "{label}"
            );
            assert_eq!(
                adapter
                    .refund_partial(&mut p, Amount::parse("5000").unwrap(), "a", Some("test"))
                    .unwrap()
                    .to,
                PaymentStatus::PartiallyRefunded,
                "{label}"
            );
            assert_eq!(
                adapter.refund_full(&mut p, "b", None).unwrap().to,
                PaymentStatus::Refunded,
                "{label}"
            );
            assert_eq!(
                adapter.reconcile(&mut p).unwrap().to,
                PaymentStatus::Refunded,
                "{label}"
            );
        }
    }
}

// ---- 6. recurring spellings -----------------------------------------------------------

#[test]
fn recurring_fields_are_read_in_both_spellings() {
    for body in [
        "recurringID=RC1&transid=T1&rescode=0000&recurringRetry=2&recurringNext=20260301",
        "recurring_id=RC1&transid=T1&rescode=0000&recurring_retry=2&recurring_next=20260301",
    ] {
        let charge =
            ChargeResult::from_notification(&Notification::parse(body.as_bytes()).unwrap())
                .unwrap();
        assert_eq!(charge.recurring_id.as_str(), "RC1", "{body}");
        assert_eq!(charge.attempt, Some(2), "{body}");
        assert_eq!(charge.next, Date::parse_yyyymmdd("20260301"), "{body}");
    }
    let op = RecurringTerminate {
        recurring_id: RecurringId::new("RC1"),
        params: MerchantParams::default(),
    };
    let terminated = op
        .parse(response(
            200,
            "mid=1849705C64&txntype=RC_TERMINATE&recurring_id=RC1%20&rescode=0000\n",
        ))
        .unwrap();
    assert_eq!(terminated.recurring_id.as_str(), "RC1");
}

// ---- 7. partially_cancelable ----------------------------------------------------------

#[test]
fn a_payment_marked_not_partially_cancelable_is_only_refunded_in_full() {
    let mut p = authorized();
    let answer = json!({"rescode": "0000", "payment": {"amount": "10.00", "transaction_id": TID, "partially_cancelable ": "N"}});
    let parsed = p
        .capture()
        .unwrap()
        .parse(json_response(200, &answer))
        .unwrap();
    p.apply(PaymentOutcome::Captured(parsed)).unwrap();
    assert_eq!(p.partially_cancelable(), Some(false));
    assert_eq!(
        p.refund_partial(usd("1.00"), "k", None),
        Err(PaymentRefusal::PartialRefundNotAllowed)
    );
    // Kept when stored.
    let loaded: Payment = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
    assert_eq!(
        loaded.refund_partial(usd("1.00"), "k", None),
        Err(PaymentRefusal::PartialRefundNotAllowed)
    );
    assert_eq!(loaded.refund_full("k", None).unwrap().refund_type(), "F");
}
