//! Against the sandbox over loopback: status callbacks signed and redelivered until
//! acknowledged (and as each `redelivery` choice says), a recurring cycle on the test clock
//! with both adapters, a merchant termination and the charge-day rule.

use super::*;

#[test]
fn status_callbacks_are_signed_and_redelivered_until_acknowledged() {
    let sandbox = start();
    let inbox = format!("{}/_sim/inbox?nack=2", sandbox.base_url());
    let created = control(
        &sandbox,
        "POST",
        "/_sim/payments",
        Some(
            json!({"order_id": "CB-1", "currency": "USD", "amount": "3.00", "transaction_type": "PAYMENT", "status_url": inbox}),
        ),
    );
    let entries = wait_for_inbox(&sandbox, 3);
    assert!(sandbox.wait_for(Duration::from_secs(5), |s| {
        s.deliveries.iter().any(|d| d.acknowledged)
    }));
    let acknowledged: Vec<bool> = entries
        .iter()
        .map(|e| e["acknowledged"].as_bool().unwrap())
        .collect();
    assert_eq!(acknowledged, [false, false, true]);
    let secret = SecretKey::new(DEFAULT_SECRET_KEY).unwrap();
    let mut dedupe = Deduplicator::new();
    let mut applied = 0;
    for entry in &entries {
        let body = entry["body"].as_str().unwrap();
        let n = Notification::parse(body.as_bytes()).unwrap();
        n.verify(&secret).unwrap();
        assert_eq!(
            n.transaction_id().unwrap().as_str(),
            created["transaction_id"]
        );
        assert_eq!(n.amount().unwrap().as_str(), "3.00");
        if dedupe.first_delivery(&n).unwrap() {
            applied += 1;
        }
    }
    assert_eq!(
        applied, 1,
        "a redelivered notification must be applied once"
    );
    let deliveries = sandbox.sandbox().deliveries.clone();
    assert_eq!(deliveries.len(), 3);
    assert_eq!(deliveries.last().unwrap().attempt, 3);
    // Remote verification agrees, and refuses a tampered body.
    let adapter = eximbay_ureq::Client::new(config(&sandbox)).unwrap();
    let body = entries[0]["body"].as_str().unwrap().to_owned();
    adapter
        .send(&eximbay_core::ops::verify::Verify { data: body.clone() })
        .unwrap();
    let tampered = body.replace("amt=3.00", "amt=30.00");
    assert!(matches!(
        adapter.send(&eximbay_core::ops::verify::Verify { data: tampered }),
        Err(ClientError::Rejected(_))
    ));
}

fn advance_to(sandbox: &RunningSandbox, date: Date) {
    let (_, today) = clock(sandbox);
    let days = date.days_since_epoch() - today.days_since_epoch();
    control(
        sandbox,
        "POST",
        "/_sim/clock",
        Some(json!({"advance_days": days})),
    );
}

fn next_charge(sandbox: &RunningSandbox, seen: &mut usize) -> ChargeResult {
    let entries = wait_for_inbox(sandbox, *seen + 1);
    let body = entries[*seen]["body"].as_str().unwrap().to_owned();
    *seen += 1;
    let n = Notification::parse(body.as_bytes()).unwrap();
    n.verify(&SecretKey::new(DEFAULT_SECRET_KEY).unwrap())
        .unwrap();
    ChargeResult::from_notification(&n).unwrap()
}

#[test]
fn a_recurring_cycle_on_the_test_clock_with_both_adapters() {
    for which in 0..2 {
        // Each adapter gets a fresh sandbox, with its own clock.
        let sandbox = start();
        let adapter = Adapter::both(&sandbox).remove(which);
        let name = adapter.name();
        let inbox = format!("{}/_sim/inbox", sandbox.base_url());
        control(
            &sandbox,
            "POST",
            "/_sim/payments",
            Some(
                json!({"order_id": format!("SUB-{which}"), "currency": "USD", "amount": "10.00", "transaction_type": "PAYMENT",
                        "status_url": inbox, "recurring": {"amount": "10.00", "url": inbox}}),
            ),
        );
        let entries = wait_for_inbox(&sandbox, 1);
        let registration =
            Notification::parse(entries[0]["body"].as_str().unwrap().as_bytes()).unwrap();
        let result = RegistrationResult::from_notification(&registration).unwrap();
        let (_, today) = clock(&sandbox);
        let mut recurring = Recurring::from_registration(
            &result,
            Currency::Usd,
            Amount::parse("10.00").unwrap(),
            today.add_months(1),
        );
        assert_eq!(recurring.next_charge(), today.add_months(1), "{name}");
        let mut seen = 1;

        // Month 1: charged; the next charge is a month later.
        advance_to(&sandbox, recurring.next_charge());
        let t = recurring
            .apply(RecurringOutcome::Charged(next_charge(&sandbox, &mut seen)))
            .unwrap();
        assert_eq!(t.to, RecurringStatus::Active, "{name}");
        assert_eq!(recurring.next_charge(), today.add_months(2), "{name}");

        // Adjustments are refused before sending on a charge day (KST): the day a charge ran,
        // and the day the next one is due. The day after the charge, one is applied.
        let (now, _) = clock(&sandbox);
        assert!(
            adapter
                .adjust_recurring(
                    &mut recurring.clone(),
                    Amount::parse("12.00").unwrap(),
                    now,
                    MerchantParams::default()
                )
                .unwrap_err()
                .nothing_sent()
        );
        let charge_day = Timestamp::kst_midnight(recurring.next_charge());
        assert!(
            adapter
                .adjust_recurring(
                    &mut recurring.clone(),
                    Amount::parse("12.00").unwrap(),
                    charge_day,
                    MerchantParams::default()
                )
                .unwrap_err()
                .nothing_sent()
        );
        control(
            &sandbox,
            "POST",
            "/_sim/clock",
            Some(json!({"advance_days": 1})),
        );
        let (now, _) = clock(&sandbox);
        adapter
            .adjust_recurring(
                &mut recurring,
                Amount::parse("11.00").unwrap(),
                now,
                MerchantParams::default(),
            )
            .unwrap();
        assert_eq!(recurring.amount().as_str(), "11.00");
        let id = recurring.recurring_id().as_str().to_owned();
        let ledger = control(&sandbox, "GET", "/_sim/ledger", None);
        assert_eq!(ledger["recurring"][&id]["amount"], "11.00", "{name}");

        // Month 2: declined three times (the charge day and two retries) → terminated.
        control(
            &sandbox,
            "POST",
            &format!("/_sim/recurring/{id}/decline_next"),
            Some(json!({"count": 3})),
        );
        advance_to(&sandbox, recurring.next_charge());
        let first = recurring
            .apply(RecurringOutcome::Charged(next_charge(&sandbox, &mut seen)))
            .unwrap();
        assert_eq!(
            first.to,
            RecurringStatus::Retrying { failed_attempts: 1 },
            "{name}"
        );
        control(
            &sandbox,
            "POST",
            "/_sim/clock",
            Some(json!({"advance_days": 1})),
        );
        let second = recurring
            .apply(RecurringOutcome::Charged(next_charge(&sandbox, &mut seen)))
            .unwrap();
        assert_eq!(
            second.to,
            RecurringStatus::Retrying { failed_attempts: 2 },
            "{name}"
        );
        control(
            &sandbox,
            "POST",
            "/_sim/clock",
            Some(json!({"advance_days": 1})),
        );
        let last = recurring
            .apply(RecurringOutcome::Charged(next_charge(&sandbox, &mut seen)))
            .unwrap();
        assert_eq!(
            last.to,
            RecurringStatus::Terminated {
                reason: TerminationReason::FailedCharges
            },
            "{name}"
        );
        assert!(
            adapter
                .terminate_recurring(&mut recurring, MerchantParams::default())
                .unwrap_err()
                .nothing_sent()
        );

        // The sandbox agrees, and charges no more.
        control(
            &sandbox,
            "POST",
            "/_sim/clock",
            Some(json!({"advance_days": 62})),
        );
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(
            sandbox.sandbox().inbox.len(),
            seen,
            "{name}: charged after termination"
        );
        let ledger = control(&sandbox, "GET", "/_sim/ledger", None);
        assert_eq!(
            ledger["recurring"][&id]["status"], "terminated_after_failures",
            "{name}"
        );
    }
}

#[test]
fn merchant_termination_and_the_charge_day_rule_in_the_sandbox() {
    let sandbox = start();
    let adapter = Adapter::both(&sandbox).remove(0);
    let inbox = format!("{}/_sim/inbox", sandbox.base_url());
    let created = control(
        &sandbox,
        "POST",
        "/_sim/payments",
        Some(
            json!({"order_id": "SUB-T", "currency": "KRW", "amount": "9900", "transaction_type": "PAYMENT",
                    "recurring": {"amount": "9900", "url": inbox, "date": "20260115"}}),
        ),
    );
    let id = created["recurring_id"].as_str().unwrap().to_owned();
    let next = Date::parse_yyyymmdd("20260115").unwrap();
    let mut recurring = Recurring::new(
        eximbay_core::RecurringId::new(id.clone()),
        Currency::Krw,
        Amount::parse("9900").unwrap(),
        next,
    );
    // The sandbox itself refuses an adjustment on the charge day (a client that skips the
    // core's check gets EC00).
    advance_to(&sandbox, next);
    let mut stale = Recurring::new(
        eximbay_core::RecurringId::new(id.clone()),
        Currency::Krw,
        Amount::parse("9900").unwrap(),
        next.succ(),
    );
    let (now, _) = clock(&sandbox);
    match adapter
        .adjust_recurring(
            &mut stale,
            Amount::parse("12000").unwrap(),
            now,
            MerchantParams::default(),
        )
        .unwrap_err()
    {
        ClientError::Rejected(g) => assert_eq!(g.rescode.as_str(), "EC00"),
        other => panic!("{other}"),
    }
    let mut seen = 0;
    recurring
        .apply(RecurringOutcome::Charged(next_charge(&sandbox, &mut seen)))
        .unwrap();
    let t = adapter
        .terminate_recurring(&mut recurring, MerchantParams::default())
        .unwrap();
    assert_eq!(
        t.to,
        RecurringStatus::Terminated {
            reason: TerminationReason::ByMerchant
        }
    );
    let ledger = control(&sandbox, "GET", "/_sim/ledger", None);
    assert_eq!(ledger["recurring"][&id]["status"], "terminated_by_merchant");
}

/// The `redelivery` choice: what counts as delivered, and whether an unacknowledged callback
/// is resent. A merchant endpoint that answers HTTP 200 without `rescode=0000` is resent
/// under `guide`, delivered at once under `any_2xx`; under `once` nothing is ever resent.
#[test]
fn callbacks_are_resent_as_the_redelivery_choice_says() {
    use eximbay_sim::Redelivery;
    use eximbay_tests::loopback::{Action, LoopbackServer};

    // A merchant endpoint that answers 200 "OK": no acknowledgement in the body.
    let plain_ok = LoopbackServer::start(|_| {
        Action::Respond(
            http::Response::builder()
                .status(200)
                .body(b"OK".to_vec())
                .unwrap(),
        )
    });
    let cases = [
        (
            Redelivery::Guide,
            format!("{}/status", plain_ok.base_url()),
            4,
            false,
        ),
        (
            Redelivery::Any2xx,
            format!("{}/status", plain_ok.base_url()),
            1,
            true,
        ),
        (Redelivery::Once, "nack".to_owned(), 1, false),
    ];
    for (redelivery, url, attempts, acknowledged) in cases {
        let sandbox = start_with(eximbay_sim::SandboxConfig {
            behaviour: eximbay_sim::Behaviour {
                redelivery,
                ..Default::default()
            },
            ..Default::default()
        });
        let url = if url == "nack" {
            format!("{}/_sim/inbox?nack=1", sandbox.base_url())
        } else {
            url
        };
        control(
            &sandbox,
            "POST",
            "/_sim/payments",
            Some(
                json!({"order_id": "RD-1", "currency": "USD", "amount": "3.00", "transaction_type": "PAYMENT", "status_url": url}),
            ),
        );
        assert!(sandbox.wait_for(Duration::from_secs(10), |s| {
            s.deliveries.iter().count() >= attempts
        }));
        // Longer than the retries' pause (20 ms here) several times over: nothing more comes.
        std::thread::sleep(Duration::from_millis(300));
        let deliveries: Vec<bool> = sandbox
            .sandbox()
            .deliveries
            .iter()
            .map(|d| d.acknowledged)
            .collect();
        let mut expected = vec![false; attempts - 1];
        expected.push(acknowledged);
        assert_eq!(deliveries, expected, "{redelivery:?}");
    }
}
