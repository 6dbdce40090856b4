//! End to end against the sandbox over loopback: both adapters through the payment
//! lifecycle, every scripted fault, signed and redelivered callbacks, and a recurring cycle
//! on the test clock. The sandbox's own checks, in-process, are in `sandbox_checks.rs`.
//! Callbacks and the recurring cycle are in `callbacks_and_recurring.rs`.

mod callbacks_and_recurring;

use std::time::Duration;

use eximbay_core::notification::Deduplicator;
use eximbay_core::ops::MerchantParams;
use eximbay_core::recurring::{ChargeResult, RecurringEvent, RecurringOutcome, TerminationReason};
use eximbay_core::registration::RegistrationResult;
use eximbay_core::{
    Amount, ClientError, Currency, Date, Lang, Notification, OrderId, PaymentEvent, PaymentStatus,
    Recurring, RecurringStatus, SecretKey, Timestamp,
};
use eximbay_sim::DEFAULT_SECRET_KEY;
use eximbay_sim::RunningSandbox;
use serde_json::json;

use eximbay_tests::sandbox::*;

/// The async facade's methods are twins of the blocking ones the other tests call: each runs
/// here against the sandbox and moves its machine as its twin does.
#[tokio::test(flavor = "multi_thread")]
async fn the_async_facade_runs_the_lifecycle_its_blocking_twin_runs() {
    let sandbox = start();
    let options = eximbay_async::Options {
        call_timeout: Duration::from_millis(1500),
        ..Default::default()
    };
    let client = eximbay_async::Client::with_options(signed_config(&sandbox), &options)
        .unwrap()
        .with_backoff(fast());
    let mut payment = authorized(&sandbox, "ASYNC-1", "USD", "10.00");
    let captured = client.capture(&mut payment).await.unwrap();
    assert_eq!(captured.to, PaymentStatus::Captured);
    assert_eq!(captured.response.transaction_id, *payment.transaction_id());
    let usd = |text: &str| Amount::parse(text).unwrap();
    let refunded = client
        .refund_partial(&mut payment, usd("3.00"), "a1", Some("test"))
        .await
        .unwrap();
    assert_eq!(refunded.to, PaymentStatus::PartiallyRefunded);
    assert_eq!(refunded.response.refund.refund_amount.as_str(), "3.00");
    let t = client.reconcile(&mut payment).await.unwrap();
    assert_eq!(
        (t.to, &t.event),
        (PaymentStatus::PartiallyRefunded, &PaymentEvent::Reconciled)
    );
    let t = client.reconcile_by_query(&mut payment).await.unwrap();
    assert_eq!(
        (t.to, &t.event),
        (PaymentStatus::PartiallyRefunded, &PaymentEvent::Reconciled)
    );
    let t = client.refund_full(&mut payment, "a2", None).await.unwrap();
    assert_eq!(t.to, PaymentStatus::Refunded);
    let entry = ledger_entry(&sandbox, &payment);
    assert_eq!(entry["refunded"], "10.00");
    assert_eq!(entry["refunds"].as_object().unwrap().len(), 2);

    let created = control(
        &sandbox,
        "POST",
        "/_sim/payments",
        Some(
            json!({"order_id": "ASYNC-SUB", "currency": "USD", "amount": "9.00",
                    "transaction_type": "PAYMENT", "recurring": {"amount": "9.00", "date": "20300115", "url": format!("{}/_sim/inbox", sandbox.base_url())}}),
        ),
    );
    let id = created["recurring_id"].as_str().unwrap().to_owned();
    let mut recurring = Recurring::new(
        eximbay_core::RecurringId::new(id.clone()),
        Currency::Usd,
        usd("9.00"),
        Date::parse_yyyymmdd("20300115").unwrap(),
    );
    let (now, _) = clock(&sandbox);
    let params = MerchantParams::default;
    let adjusted = client
        .adjust_recurring(&mut recurring, usd("11.00"), now, params())
        .await
        .unwrap();
    assert_eq!(
        adjusted.event,
        RecurringEvent::Adjusted {
            amount: usd("11.00")
        }
    );
    assert_eq!(adjusted.response.recurring_id.as_str(), id);
    let t = client
        .terminate_recurring(&mut recurring, params())
        .await
        .unwrap();
    assert_eq!(
        t.to,
        RecurringStatus::Terminated {
            reason: TerminationReason::ByMerchant
        }
    );
    let ledger = control(&sandbox, "GET", "/_sim/ledger", None);
    assert_eq!(ledger["recurring"][&id]["amount"], "11.00");
    assert_eq!(ledger["recurring"][&id]["status"], "terminated_by_merchant");
}

#[test]
fn both_adapters_run_the_whole_payment_lifecycle() {
    let sandbox = start();
    for adapter in Adapter::both(&sandbox) {
        let name = adapter.name();
        let mut payment = authorized(&sandbox, &format!("ORDER-{name}"), "KRW", "15000");
        assert_eq!(
            adapter.capture(&mut payment).unwrap().to,
            PaymentStatus::Captured,
            "{name}"
        );
        // The sandbox refuses a second capture, and the core never sends one.
        assert!(adapter.capture(&mut payment).unwrap_err().nothing_sent());
        assert_eq!(
            adapter
                .refund_partial(
                    &mut payment,
                    Amount::parse("5000").unwrap(),
                    "r1",
                    Some("test")
                )
                .unwrap()
                .to,
            PaymentStatus::PartiallyRefunded
        );
        // KRW has no minor unit: refused before sending.
        assert!(
            adapter
                .refund_partial(
                    &mut payment,
                    Amount::parse("0.5").unwrap(),
                    "r2",
                    Some("test")
                )
                .unwrap_err()
                .nothing_sent()
        );
        assert_eq!(
            adapter.refund_full(&mut payment, "r3", None).unwrap().to,
            PaymentStatus::Refunded
        );
        let entry = ledger_entry(&sandbox, &payment);
        assert_eq!(entry["captures_applied"], 1, "{name}");
        assert_eq!(entry["refunded"], "15000", "{name}");
        assert_eq!(entry["refunds"].as_object().unwrap().len(), 2, "{name}");
        assert_eq!(
            adapter.reconcile(&mut payment).unwrap().to,
            PaymentStatus::Refunded,
            "{name}"
        );
    }
}

#[test]
fn ready_with_every_documented_field_is_accepted() {
    use eximbay_core::ops::ready::Ready;
    use eximbay_core::window::{DisplayType, OsType};
    use eximbay_core::{PaymentMethod, TransactionType};
    // The sandbox refuses what its inventory does not name (v1's default): every field the
    // core sends is one a public source shows.
    let sandbox = start();
    let client = eximbay_ureq::Client::new(config(&sandbox)).unwrap();
    let mut ready = Ready::new(
        TransactionType::Payment,
        OrderId::new("READY-ALL-1"),
        Currency::Usd,
        Amount::parse("25.00").unwrap(),
        Lang::En,
        ("Min-jun Kim", "buyer@example.com"),
        "https://shop.example/return",
        "https://shop.example/status",
    );
    ready.payment_method = Some(PaymentMethod::Card);
    ready.multi_payment_method = Some("P000,P001".into());
    ready.shop = Some("Tea & Co".into());
    ready.partner_code = Some("KRP".into());
    ready.buyer_phone = Some("+82-10-0000-0000".into());
    ready.settings.display_type = Some(DisplayType::Redirect);
    ready.settings.ostype = Some(OsType::Mobile);
    ready.settings.autoclose = Some(true);
    ready.settings.site_foreign_currency = Some(Currency::Nzd);
    ready.settings.issuer_country = Some("KR".into());
    ready.settings.call_from_app = Some(true);
    ready.settings.call_from_scheme = Some("teaapp".into());
    let prepared = client.send(&ready).unwrap();
    assert_eq!(prepared.fgkey.len(), 64);
}

#[test]
fn ready_and_the_v1_recurring_endpoints() {
    let sandbox = start();
    let client = eximbay_ureq::Client::new(config(&sandbox)).unwrap();
    let prepared = client
        .send(&eximbay_core::ops::ready::Ready {
            transaction_type: eximbay_core::TransactionType::Authorize,
            order_id: OrderId::new("READY-1"),
            currency: Currency::Usd,
            amount: Amount::parse("1.00").unwrap(),
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
        })
        .unwrap();
    assert_eq!(prepared.fgkey.len(), 64);
    assert!(prepared.fgkey.bytes().all(|b| b.is_ascii_hexdigit()));

    let inbox = format!("{}/_sim/inbox", sandbox.base_url());
    let created = control(
        &sandbox,
        "POST",
        "/_sim/payments",
        Some(
            json!({"order_id": "V1-SUB", "currency": "USD", "amount": "5.00", "transaction_type": "PAYMENT",
                    "recurring": {"amount": "5.00", "url": inbox}}),
        ),
    );
    let id = eximbay_core::RecurringId::new(created["recurring_id"].as_str().unwrap());
    let mut recurring = Recurring::new(
        id.clone(),
        Currency::Usd,
        Amount::parse("5.00").unwrap(),
        Date::new(2026, 2, 1).unwrap(),
    );
    let adjusted = client
        .send(&eximbay_core::ops::v1_recurring_adjust::V1RecurringAdjust {
            recurring_id: id.clone(),
            currency: Currency::Usd,
            amount: Amount::parse("6.00").unwrap(),
        })
        .unwrap();
    recurring.apply(adjusted.into()).unwrap();
    assert_eq!(recurring.amount().as_str(), "6.00");
    let deleted = client
        .send(&eximbay_core::ops::v1_recurring_delete::V1RecurringDelete {
            recurring_id: id.clone(),
        })
        .unwrap();
    let t = recurring.apply(deleted.into()).unwrap();
    assert_eq!(
        t.to,
        RecurringStatus::Terminated {
            reason: TerminationReason::ByMerchant
        }
    );
    let ledger = control(&sandbox, "GET", "/_sim/ledger", None);
    assert_eq!(ledger["recurring"][id.as_str()]["amount"], "6.00");
    assert_eq!(
        ledger["recurring"][id.as_str()]["status"],
        "terminated_by_merchant"
    );
    // Deleting again is refused by the gateway.
    assert!(matches!(
        client
            .send(&eximbay_core::ops::v1_recurring_delete::V1RecurringDelete { recurring_id: id }),
        Err(ClientError::Rejected(_))
    ));
}

#[test]
fn a_full_refund_before_capture_voids_the_authorization() {
    let sandbox = start();
    for adapter in Adapter::both(&sandbox) {
        let mut payment = authorized(&sandbox, &format!("VOID-{}", adapter.name()), "USD", "9.99");
        assert_eq!(
            adapter.refund_full(&mut payment, "void", None).unwrap().to,
            PaymentStatus::Voided
        );
        assert_eq!(
            adapter.reconcile(&mut payment).unwrap().to,
            PaymentStatus::Voided
        );
        assert_eq!(ledger_entry(&sandbox, &payment)["voided"], true);
    }
}

#[test]
fn every_scripted_fault_ends_in_the_right_state_and_nothing_twice() {
    let sandbox = start();
    for adapter in Adapter::both(&sandbox) {
        let name = adapter.name();

        // HTTP 500 on a capture: not applied, but the client cannot know: reconcile.
        let mut payment = authorized(&sandbox, &format!("F500-{name}"), "USD", "10.00");
        fault(
            &sandbox,
            json!({"path_contains": "/capture", "kind": "http500"}),
        );
        assert!(
            adapter.capture(&mut payment).unwrap_err().is_ambiguous(),
            "{name}"
        );
        assert_eq!(
            adapter.reconcile(&mut payment).unwrap().to,
            PaymentStatus::Authorized,
            "{name}"
        );
        assert_eq!(
            adapter.capture(&mut payment).unwrap().to,
            PaymentStatus::Captured,
            "{name}"
        );

        // An HTML 502 on a refund: reconcile, then the same command (same refund id) applies once.
        fault(
            &sandbox,
            json!({"path_contains": "/cancel", "kind": "html502"}),
        );
        assert!(
            adapter
                .refund_partial(
                    &mut payment,
                    Amount::parse("1.00").unwrap(),
                    "k1",
                    Some("test")
                )
                .unwrap_err()
                .is_ambiguous(),
            "{name}"
        );
        assert_eq!(
            adapter.reconcile(&mut payment).unwrap().to,
            PaymentStatus::Captured,
            "{name}"
        );
        assert_eq!(
            adapter
                .refund_partial(
                    &mut payment,
                    Amount::parse("1.00").unwrap(),
                    "k1",
                    Some("test")
                )
                .unwrap()
                .to,
            PaymentStatus::PartiallyRefunded
        );

        // A rejected request: final, nothing changes. (An `EX*` code would be an internal exception
        // with an unknown outcome, not a refusal.)
        fault(
            &sandbox,
            json!({"path_contains": "/cancel", "kind": "decline", "rescode": "EC00"}),
        );
        match adapter
            .refund_partial(
                &mut payment,
                Amount::parse("1.00").unwrap(),
                "k2",
                Some("test"),
            )
            .unwrap_err()
        {
            ClientError::Rejected(g) => assert_eq!(g.rescode.as_str(), "EC00"),
            other => panic!("{name}: {other}"),
        }
        assert_eq!(payment.refunded_amount().to_string(), "1.00");

        // Apply, then drop the connection: ambiguous; the reconcile finds the refund.
        fault(
            &sandbox,
            json!({"path_contains": "/cancel", "kind": "apply_then_drop"}),
        );
        assert!(
            adapter
                .refund_partial(
                    &mut payment,
                    Amount::parse("2.00").unwrap(),
                    "k3",
                    Some("test")
                )
                .unwrap_err()
                .is_ambiguous(),
            "{name}"
        );
        assert_eq!(payment.status(), PaymentStatus::NeedsReconcile);
        adapter.reconcile(&mut payment).unwrap();
        assert_eq!(payment.refunded_amount(), "3".parse().unwrap(), "{name}");

        // A delay shorter than the timeout is just slow; a longer one is ambiguous (and applied).
        fault(
            &sandbox,
            json!({"path_contains": "/cancel", "kind": "delay", "ms": 100}),
        );
        adapter
            .refund_partial(
                &mut payment,
                Amount::parse("1.00").unwrap(),
                "k4",
                Some("test"),
            )
            .unwrap();
        fault(
            &sandbox,
            json!({"path_contains": "/cancel", "kind": "delay", "ms": 3000}),
        );
        assert!(
            adapter
                .refund_partial(
                    &mut payment,
                    Amount::parse("1.00").unwrap(),
                    "k5",
                    Some("test")
                )
                .unwrap_err()
                .is_ambiguous(),
            "{name}"
        );
        adapter.reconcile(&mut payment).unwrap();
        assert_eq!(payment.refunded_amount(), "5".parse().unwrap(), "{name}");

        // A 500 on a retrieve (moves no money) is retried and succeeds.
        fault(
            &sandbox,
            json!({"path_contains": "/retrieve", "kind": "http500"}),
        );
        assert_eq!(
            adapter.reconcile(&mut payment).unwrap().to,
            PaymentStatus::PartiallyRefunded
        );

        let entry = ledger_entry(&sandbox, &payment);
        assert_eq!(entry["captures_applied"], 1, "{name}: captured twice");
        assert_eq!(
            entry["refunds"].as_object().unwrap().len(),
            4,
            "{name}: a refund was applied twice"
        );
        assert_eq!(entry["refunded"], "5.00", "{name}");
    }
}

/// The sandbox's test clock: the instant, and the date in KST.
fn clock(sandbox: &RunningSandbox) -> (Timestamp, Date) {
    let c = control(sandbox, "GET", "/_sim/clock", None);
    (
        Timestamp(c["now"].as_i64().unwrap()),
        Date::parse_yyyymmdd(c["kst_date"].as_str().unwrap()).unwrap(),
    )
}
