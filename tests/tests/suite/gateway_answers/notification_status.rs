//! A notification's `status` (Registered → Sale / Void) and its identity, on their own and
//! through the sandbox (point 2).

use super::*;

fn notification_body(status: Option<&str>, rescode: &str, amount: &str, currency: &str) -> String {
    let mut body = format!(
        "transid={TID}&ref=O-1&cur={currency}&amt={amount}&txntype=PAYMENT&rescode={rescode}&resmsg=x"
    );
    if let Some(status) = status {
        body.push_str(&format!("&status={status}"));
    }
    body
}

fn notice(body: &str) -> PaymentNotice {
    PaymentNotice::from_notification(&Notification::parse(body.as_bytes()).unwrap()).unwrap()
}

#[test]
fn a_cash_payment_is_registered_then_paid_or_voided() {
    let registered = notification_body(Some("Registered"), "0000", "10.00", "USD");
    let n = Notification::parse(registered.as_bytes()).unwrap();
    assert!(!n.is_paid());
    let start = Payment::from_status_notification(&n, Lang::En).unwrap();
    assert_eq!(start.status(), PaymentStatus::Registered);
    assert!(start.capture().is_err());
    assert!(start.refund_full("k", None).is_err());
    assert_eq!(start.refundable(), Decimal::ZERO);

    // Registered → Sale: paid (and captured, as a PAYMENT).
    let mut paid = start.clone();
    let sale = notice(&notification_body(Some("Sale"), "0000", "10.0", "USD"));
    let t = paid.apply(PaymentOutcome::Notified(sale.clone())).unwrap();
    assert_eq!(
        (t.from, t.to, t.event),
        (
            PaymentStatus::Registered,
            PaymentStatus::Captured,
            PaymentEvent::Paid
        )
    );
    // The Registered notification redelivered late, or the Sale again: nothing changes.
    for late in [notice(&registered), sale] {
        let before = paid.clone();
        assert_eq!(
            paid.apply(PaymentOutcome::Notified(late)).unwrap().event,
            PaymentEvent::DuplicateNotification
        );
        assert_eq!(paid, before);
    }
    assert!(paid.refund_partial(usd("1.00"), "k", None).is_ok());

    // Registered → Void (the registration expired).
    let mut expired = start.clone();
    let t = expired
        .apply(PaymentOutcome::Notified(notice(&notification_body(
            Some("Void"),
            "0000",
            "10.00",
            "USD",
        ))))
        .unwrap();
    assert_eq!(
        (t.to, t.event),
        (PaymentStatus::Voided, PaymentEvent::Voided)
    );
    // A Sale after we saw Void contradicts us: reconcile.
    let t = expired
        .apply(PaymentOutcome::Notified(notice(&notification_body(
            Some("Sale"),
            "0000",
            "10.00",
            "USD",
        ))))
        .unwrap();
    assert_eq!(t.to, PaymentStatus::NeedsReconcile);

    // A failure notification changes nothing; a later success is applied.
    let mut p = start.clone();
    let failed = notice(&notification_body(Some("Sale"), "HE01", "10.00", "USD"));
    assert!(matches!(
        p.apply(PaymentOutcome::Notified(failed)).unwrap().event,
        PaymentEvent::NotificationFailed { .. }
    ));
    assert_eq!(p.status(), PaymentStatus::Registered);

    // Someone else's amount or currency is not this payment's.
    for body in [
        notification_body(Some("Sale"), "0000", "11.00", "USD"),
        notification_body(Some("Sale"), "0000", "10.00", "EUR"),
    ] {
        let mut p = start.clone();
        assert!(p.apply(PaymentOutcome::Notified(notice(&body))).is_err());
        assert_eq!(p, start);
    }

    // A Void creates no payment; a card notification (no status) is paid.
    let void = notification_body(Some("Void"), "0000", "10.00", "USD");
    assert_eq!(
        Payment::from_status_notification(&Notification::parse(void.as_bytes()).unwrap(), Lang::En),
        Err(NotificationError::NotPaid("Void".into()))
    );
    let card = notification_body(None, "0000", "10.00", "USD");
    let card =
        Payment::from_status_notification(&Notification::parse(card.as_bytes()).unwrap(), Lang::En)
            .unwrap();
    assert_eq!(card.status(), PaymentStatus::Captured);
}

#[test]
fn the_later_sale_of_one_transaction_is_not_swallowed_as_a_redelivery() {
    let mut dedupe = Deduplicator::new();
    let mut payment: Option<Payment> = None;
    for (body, applied) in [
        (
            notification_body(Some("Registered"), "0000", "10.00", "USD"),
            true,
        ),
        (
            notification_body(Some("Registered"), "0000", "10.00", "USD"),
            false,
        ),
        (
            notification_body(Some("Sale"), "0000", "10.00", "USD"),
            true,
        ),
        (
            notification_body(Some("Sale"), "0000", "10.00", "USD"),
            false,
        ),
    ] {
        let n = Notification::parse(body.as_bytes()).unwrap();
        assert_eq!(dedupe.first_delivery(&n).unwrap(), applied, "{body}");
        if !applied {
            continue;
        }
        match payment.as_mut() {
            None => payment = Some(Payment::from_status_notification(&n, Lang::En).unwrap()),
            Some(p) => {
                p.apply(PaymentOutcome::Notified(
                    PaymentNotice::from_notification(&n).unwrap(),
                ))
                .unwrap();
            }
        }
    }
    assert_eq!(payment.unwrap().status(), PaymentStatus::Captured);
}

#[test]
fn a_cash_payment_through_the_sandbox_settles_or_expires() {
    let sandbox = start();
    let secret = SecretKey::new(DEFAULT_SECRET_KEY).unwrap();
    let inbox = format!("{}/_sim/inbox", sandbox.base_url());
    let mut payments = Vec::new();
    for order in ["CASH-1", "CASH-2"] {
        let created = control(
            &sandbox,
            "POST",
            "/_sim/payments",
            Some(
                json!({"order_id": order, "currency": "KRW", "amount": "15000", "method": "cash", "status_url": inbox}),
            ),
        );
        payments.push(created["transaction_id"].as_str().unwrap().to_owned());
    }
    let entries = wait_for_inbox(&sandbox, 2);
    let mut made = Vec::new();
    for entry in &entries {
        let n = Notification::parse(entry["body"].as_str().unwrap().as_bytes()).unwrap();
        n.verify(&secret).unwrap();
        assert_eq!(
            n.status(),
            Some(eximbay_core::NotificationStatus::Registered)
        );
        assert!(n.payment_url().unwrap().contains("/settle"));
        // Results echo amt as sent by default (guide §2.1.3 Note 1); the payment holds
        // 15000 under every echo (`a_krw_payment_from_its_callback_runs_its_life_under_each_echo`).
        assert_eq!(n.amount().unwrap().as_str(), "15000");
        let p = Payment::from_status_notification(&n, Lang::En).unwrap();
        assert_eq!(p.amount().as_str(), "15000");
        made.push(p);
    }
    // Callbacks arrive in any order: line the payments up with the transactions created.
    made.sort_by_key(|p| {
        payments
            .iter()
            .position(|t| p.transaction_id().as_str() == t)
    });
    let adapters = Adapter::both(&sandbox);
    // Before the buyer pays, the gateway's record says REGISTERED: still registered.
    let t = adapters[0].reconcile(&mut made[0]).unwrap();
    assert_eq!(t.to, PaymentStatus::Registered);

    control(
        &sandbox,
        "POST",
        &format!("/_sim/payments/{}/settle", payments[0]),
        None,
    );
    control(
        &sandbox,
        "POST",
        &format!("/_sim/payments/{}/expire", payments[1]),
        None,
    );
    let entries = wait_for_inbox(&sandbox, 4);
    for entry in &entries[2..] {
        let n = Notification::parse(entry["body"].as_str().unwrap().as_bytes()).unwrap();
        n.verify(&secret).unwrap();
        let notice = PaymentNotice::from_notification(&n).unwrap();
        let p = made
            .iter_mut()
            .find(|p| *p.transaction_id() == notice.transaction_id)
            .unwrap();
        p.apply(PaymentOutcome::Notified(notice)).unwrap();
    }
    assert_eq!(made[0].status(), PaymentStatus::Captured);
    assert_eq!(made[1].status(), PaymentStatus::Voided);
    // The record agrees: SALE for the paid one, REGISTERED + 0 for the expired one.
    for (adapter, payment) in adapters.iter().zip(made.iter_mut()) {
        let before = payment.status();
        assert_eq!(
            adapter.reconcile(payment).unwrap().to,
            before,
            "{}",
            adapter.name()
        );
    }
    // The paid one refunds like any sale; the expired one cannot be settled any more.
    let t = adapters[1]
        .refund_partial(
            &mut made[0],
            Amount::parse("5000").unwrap(),
            "cash-r1",
            Some("test"),
        )
        .unwrap();
    assert_eq!(t.to, PaymentStatus::PartiallyRefunded);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let refused = agent
        .post(format!(
            "{}/_sim/payments/{}/settle",
            sandbox.base_url(),
            payments[1]
        ))
        .send_empty()
        .unwrap();
    assert_eq!(refused.status(), 400);
}
