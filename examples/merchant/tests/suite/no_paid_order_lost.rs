//! No paid order is ever lost, and the shop never stops: a buyer who paid twice, a
//! notification that never arrived (no redelivery, a database down through every
//! delivery), a signed failure replayed, a command stuck `sending`, a gateway that stalls
//! while the shop starts.

use std::time::{Duration, Instant};

use crate::support::*;
use eximbay_core::PaymentStatus;
use eximbay_merchant::order::Stage;
use eximbay_merchant::reconcile;
use eximbay_merchant::store::NewCommand;
use eximbay_sim::RunningSandbox;
use rust_decimal::Decimal;
use serde_json::json;
use sqlx::Connection;

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// The buyer completes the payment window, but the gateway's notification goes to
/// `status_url` (a dead address: the notification is lost). Returns the transaction id.
async fn pay_with_status_url(
    sandbox: &RunningSandbox,
    app: &App,
    order_id: &str,
    status_url: &str,
) -> String {
    let window = window(app, order_id, status_url).await;
    approve(sandbox, window).await
}

/// What the payment window sends the sandbox when the buyer approves `order_id`.
async fn window(app: &App, order_id: &str, status_url: &str) -> serde_json::Value {
    let order = app.shop.store.order(order_id).await.unwrap().unwrap();
    json!({
        "order_id": order.order_id,
        "currency": order.currency.code(),
        "amount": order.amount.to_string(),
        "transaction_type": order.transaction_type,
        "status_url": status_url,
    })
}

/// The buyer approves: the payment is made and its notification sent.
async fn approve(sandbox: &RunningSandbox, window: serde_json::Value) -> String {
    let created = sim_post(sandbox, "/_sim/payments", window).await;
    created["transaction_id"].as_str().unwrap().to_owned()
}

/// Waits until the sandbox has given up delivering `tid`'s notification (every attempt
/// failed).
async fn wait_until_delivery_given_up(sandbox: &RunningSandbox, tid: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let attempts: Vec<bool> = sandbox
            .sandbox()
            .deliveries
            .iter()
            .filter(|d| d.transaction_id == tid)
            .map(|d| d.acknowledged)
            .collect();
        if attempts.len() == eximbay_sim::CALLBACK_ATTEMPTS as usize {
            assert!(attempts.iter().all(|ack| !ack), "{attempts:?}");
            return;
        }
        assert!(Instant::now() < deadline, "deliveries so far: {attempts:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Moves the gateway's clock (the embedded sandbox's) forward.
async fn advance(sandbox: &RunningSandbox, seconds: u64) {
    sim_post(
        sandbox,
        "/_sim/clock",
        json!({ "advance_seconds": seconds }),
    )
    .await;
}

/// A free port nobody listens on: a `status_url` whose deliveries all fail.
fn dead_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}/eximbay/status")
}

fn past_grace() -> u64 {
    reconcile::LOST_PAYMENT_GRACE.as_secs() + 60
}

#[tokio::test(flavor = "multi_thread")]
async fn a_buyer_who_paid_twice_in_two_tabs_has_both_payments_recorded_and_one_refunded() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let order_id = place_order(&app, "sampler", "now").await;
    // The same window in two tabs: both approved, two captures of 25.00 for one order.
    let first = approve_in_window(&app, &sandbox, &order_id).await;
    wait_for_order(&app, &order_id, "paid", |o| o.stage() == Stage::Paid).await;
    let second = approve_in_window(&app, &sandbox, &order_id).await;
    assert_ne!(first, second);
    let order = wait_for_order(&app, &order_id, "paid twice", |o| o.paid_twice()).await;

    // Both recorded, both acknowledged at the first delivery (nothing refused, no retry).
    assert_eq!(
        order.payment.as_ref().unwrap().transaction_id().as_str(),
        first
    );
    assert_eq!(order.extra_payments.len(), 1);
    assert_eq!(order.extra_payments[0].transaction_id().as_str(), second);
    assert_eq!(order.extra_payments[0].status(), PaymentStatus::Captured);
    assert_eq!(app.shop.store.delivery_count(&order_id).await.unwrap(), 2);
    // The sandbox writes a delivery into its history once the shop's answer is back, which
    // can be after the shop has stored the payment: wait for the record before reading it.
    assert!(sandbox.wait_for(std::time::Duration::from_secs(10), |s| {
        s.deliveries.iter().any(|d| d.transaction_id == second)
    }));
    let deliveries: Vec<_> = sandbox
        .sandbox()
        .deliveries
        .iter()
        .filter(|d| d.transaction_id == second)
        .map(|d| d.acknowledged)
        .collect();
    assert_eq!(deliveries, [true], "acknowledged at once");
    let events = app.shop.store.events(&order_id).await.unwrap();
    assert!(events.iter().all(|e| e.kind != "refused"), "{events:?}");
    assert!(
        events
            .iter()
            .any(|e| e.detail.contains(&second) && e.detail.contains("paid twice")),
        "{events:?}"
    );

    // The back office flags it and offers to refund the extra payment.
    let operator = sign_in(&app).await;
    let page = operator.page(&format!("/orders/{order_id}")).await;
    assert!(page.contains("Paid twice — refund one"), "{page}");
    assert!(page.contains(&format!("value=\"{second}\"")), "{page}");
    let (extra_key, refund) = operator
        .operate(
            &order_id,
            &format!("refund_extra-{second}"),
            &[("reason", "paid twice")],
        )
        .await;
    assert_eq!(refund.status(), 303);
    let command = app.shop.store.command(&extra_key).await.unwrap().unwrap();
    assert_eq!(command.state, "done", "{command:?}");
    assert_eq!(command.transaction_id.as_deref(), Some(second.as_str()));

    let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert!(!order.paid_twice());
    assert_eq!(order.stage(), Stage::Paid, "the first payment stands");
    assert_eq!(order.extra_payments[0].status(), PaymentStatus::Refunded);
    assert_eq!(order.payment.unwrap().refunded_amount(), Decimal::ZERO);
    {
        let sim = sandbox.sandbox();
        assert_eq!(sim.ledger.payment(&second).unwrap().refunded, dec("25.00"));
        assert_eq!(sim.ledger.payment(&first).unwrap().refunded, Decimal::ZERO);
    }
    let page = operator
        .page(&format!("/orders/{order_id}?command={extra_key}"))
        .await;
    assert!(!page.contains("Paid twice — refund one"), "{page}");
    assert!(
        page.contains("Reason: paid twice"),
        "the reason is shown: {page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_notification_is_found_by_order_id_and_not_found_is_not_taken_for_never_paid() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let order_id = place_order(&app, "sampler", "now").await;

    // Past the grace period with no payment at the gateway: looked up, "not found", and the
    // order stays awaiting payment — nothing concluded.
    advance(&sandbox, past_grace()).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.stage(), Stage::AwaitingPayment);
    assert_eq!(order.version, 1, "a NONE changes nothing");

    // The buyer pays; no notification ever arrives (no redelivery reaches the shop). The
    // next sweeps look the order up again and find the payment.
    let tid = pay_with_status_url(&sandbox, &app, &order_id, &dead_url()).await;
    wait_until_delivery_given_up(&sandbox, &tid).await;
    let paid = wait_for_order(&app, &order_id, "found paid", |o| o.stage() == Stage::Paid).await;
    let payment = paid.payment.unwrap();
    assert_eq!(payment.transaction_id().as_str(), tid);
    assert_eq!(payment.status(), PaymentStatus::Captured);
    let events = app.shop.store.events(&order_id).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "reconcile" && e.detail.contains("no notification arrived")),
        "{events:?}"
    );
    // Refundable from the back office like any payment.
    let (found, _) = sign_in(&app)
        .await
        .operate(&order_id, "refund", &[("amount", "5.00")])
        .await;
    assert_eq!(
        app.shop.store.command(&found).await.unwrap().unwrap().state,
        "done"
    );

    // Past the horizon, an order is no longer looked up: a payment made then is left to
    // its notification.
    let late = place_order(&app, "sampler", "now").await;
    advance(
        &sandbox,
        reconcile::LOST_PAYMENT_HORIZON.as_secs() + past_grace(),
    )
    .await;
    let late_tid = pay_with_status_url(&sandbox, &app, &late, &dead_url()).await;
    wait_until_delivery_given_up(&sandbox, &late_tid).await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(
        app.shop.store.order(&late).await.unwrap().unwrap().stage(),
        Stage::AwaitingPayment
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_notified_while_the_database_is_down_ends_paid() {
    // Each delivery attempt gives up after 1 s (the shop waits on the locked file).
    let sandbox = eximbay_tests::sandbox::start_sandbox(
        eximbay_sim::SandboxConfig::default(),
        eximbay_sim::ServerOptions {
            callback_timeout: Duration::from_secs(1),
            ..eximbay_tests::sandbox::quick_callbacks()
        },
    );
    let (_dir, db) = sqlite();
    let app = start_app(&db, &sandbox, "a").await;
    let order_id = place_order(&app, "sampler", "now").await;

    let window = window(&app, &order_id, &app.shop.status_url()).await;
    // The database is down (another program holds the file) through every delivery.
    let mut other = sqlx::SqliteConnection::connect(&db).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .unwrap();
    let tid = approve(&sandbox, window).await;
    wait_until_delivery_given_up(&sandbox, &tid).await;
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();
    assert_eq!(
        app.shop
            .store
            .order(&order_id)
            .await
            .unwrap()
            .unwrap()
            .stage(),
        Stage::AwaitingPayment,
        "no delivery got through"
    );

    advance(&sandbox, past_grace()).await;
    let paid = wait_for_order(&app, &order_id, "found paid", |o| o.stage() == Stage::Paid).await;
    assert_eq!(paid.payment.unwrap().transaction_id().as_str(), tid);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_signed_failure_is_recorded_once_and_never_says_nothing_was_charged_on_a_paid_order()
 {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let (order_id, _, paid) = bought(&app, &sandbox, "now").await;
    // A genuine, signed "cancelled" result from the window (no transaction id), replayed.
    let failure = sandbox.sandbox().signed_form(&[
        ("mid", "1849705C64".to_owned()),
        ("ref", order_id.clone()),
        ("cur", "USD".to_owned()),
        ("amt", "25.00".to_owned()),
        ("rescode", "ST01".to_owned()),
        ("resmsg", "Cancelled by the buyer".to_owned()),
    ]);
    for _ in 0..200 {
        assert_eq!(
            deliver(&app, "/eximbay/status", &failure).await,
            (200, "rescode=0000&resmsg=Success".to_owned())
        );
    }
    let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.stage(), Stage::Paid);
    assert_eq!(
        order.version,
        paid.version + 1,
        "applied once, replays are no-ops"
    );
    let events = app.shop.store.events(&order_id).await.unwrap();
    let failures: Vec<_> = events
        .iter()
        .filter(|e| e.detail.contains("ST01"))
        .collect();
    assert_eq!(failures.len(), 1, "{events:?}");
    assert!(
        events
            .iter()
            .all(|e| !e.detail.contains("nothing was charged")),
        "{events:?}"
    );
    assert!(failures[0].detail.contains("payment"), "{failures:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_left_sending_on_an_order_with_no_payment_is_closed_as_failed() {
    let (_sandbox, (_dir, _), app) = one_shop().await;
    let order_id = place_order(&app, "sampler", "later").await;
    // An instance journalled a capture, took the lease (which has since expired) and died.
    let store = &app.shop.store;
    let key = "k-stuck";
    store
        .journal(
            &NewCommand {
                command_key: key,
                order_id: &order_id,
                kind: "capture",
                amount: None,
                reason: None,
                transaction_id: None,
                operator: None,
            },
            0,
        )
        .await
        .unwrap();
    assert!(store.take_lease(&order_id, key, true, 0, 1).await.unwrap());
    assert_eq!(store.command(key).await.unwrap().unwrap().state, "sending");

    let swept = reconcile::sweep(&app.shop).await.unwrap();
    assert_eq!(swept.interrupted, 1);
    let command = store.command(key).await.unwrap().unwrap();
    assert_eq!(command.state, "failed");
    assert!(
        command.message.unwrap().contains("nothing was sent"),
        "closed in words"
    );
    // And the order is free for the next command.
    let now = app.shop.db_clock().await.unwrap();
    assert!(
        store
            .take_lease(&order_id, "next", false, now, now + 5)
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_shop_serves_while_the_start_up_sweep_waits_on_a_stalling_gateway() {
    let sandbox = sandbox();
    let (_dir, db) = sqlite();
    // Seventeen orders in doubt, left by an earlier instance.
    let mut orders = Vec::new();
    {
        let app = start_app(&db, &sandbox, "before").await;
        for _ in 0..17 {
            let (order_id, _, _) = bought(&app, &sandbox, "now").await;
            app.shop
                .store
                .change(&order_id, 0, None, None, |order| {
                    let payment = order.payment.as_mut().unwrap();
                    payment
                        .apply(eximbay_core::PaymentOutcome::Ambiguous {
                            command: eximbay_core::payment::PaymentCommand::Capture,
                        })
                        .unwrap();
                    eximbay_merchant::store::Decision::Apply {
                        kind: "command",
                        detail: "in doubt".to_owned(),
                    }
                })
                .await
                .unwrap();
            orders.push(order_id);
        }
    }
    // The gateway now takes a second and a half to answer each retrieve.
    sim_post(
        &sandbox,
        "/_sim/faults",
        json!({"path_contains": "/retrieve", "kind": "delay", "ms": 1500, "count": 100}),
    )
    .await;
    let started = Instant::now();
    let app = start_app(&db, &sandbox, "after").await;
    let (status, _) = {
        let response = client()
            .get(format!("{}/", app.url))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .expect("the shop answers while the sweep runs");
        (response.status().as_u16(), response.text().await.unwrap())
    };
    assert_eq!(status, 200);
    let order = place_order(&app, "sampler", "now").await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "served at once: {:?}",
        started.elapsed()
    );
    approve_in_window(&app, &sandbox, &order).await;
    wait_for_order(&app, &order, "paid", |o| o.stage() == Stage::Paid).await;

    // The seventeen are settled several at a time: 17 x 1.5 s one by one would be 25 s.
    for order_id in &orders {
        wait_for_order(&app, order_id, "reconciled", |o| o.stage() == Stage::Paid).await;
    }
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(12),
        "swept concurrently: {took:?}"
    );
}

/// A subscription whose notification (the only answer that carries the registration's
/// id at the start) never arrived, found by the sweeper by order id: the payment is
/// recorded, the registration is not (a lookup names none). Returns the transaction id and
/// the sandbox's registration id and first charge date.
async fn subscription_found_without_its_notification(
    app: &App,
    sandbox: &RunningSandbox,
    order_id: &str,
) -> (String, String, String) {
    let mut subscribe = window(app, order_id, &dead_url()).await;
    subscribe["recurring"] = json!({ "amount": "12.00", "url": app.shop.recurring_url() });
    let created = sim_post(sandbox, "/_sim/payments", subscribe).await;
    let tid = created["transaction_id"].as_str().unwrap().to_owned();
    let recurring_id = created["recurring_id"].as_str().unwrap().to_owned();
    let next = created["recurring_next"].as_str().unwrap().to_owned();
    wait_until_delivery_given_up(sandbox, &tid).await;
    advance(sandbox, past_grace()).await;
    let found = wait_for_order(app, order_id, "found paid", |o| o.stage() == Stage::Paid).await;
    assert_eq!(found.payment.unwrap().transaction_id().as_str(), tid);
    assert!(found.recurring.is_none(), "a lookup names no registration");
    (tid, recurring_id, next)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_subscription_found_without_its_notification_takes_its_registration_from_the_first_charge()
 {
    let sandbox = sandbox();
    let (_dir, db) = sqlite();
    let app = start_app(&db, &sandbox, "a").await;
    let order_id = place_order(&app, "teabox", "now").await;
    let (_, recurring_id, _) =
        subscription_found_without_its_notification(&app, &sandbox, &order_id).await;

    // The first monthly charge's result (signed, for this order) names it: recorded.
    advance(&sandbox, 32 * 86_400).await;
    let subscribed = wait_for_order(&app, &order_id, "registration recorded", |o| {
        o.recurring.is_some()
    })
    .await;
    let recurring = subscribed.recurring.unwrap();
    assert_eq!(recurring.recurring_id().as_str(), recurring_id);
    assert_eq!(recurring.amount().to_string(), "12.00");
    assert_eq!(recurring.status(), eximbay_core::RecurringStatus::Active);
    let events = app.shop.store.events(&order_id).await.unwrap();
    let charge = events
        .iter()
        .find(|e| e.kind == "charge")
        .expect("the charge is in the history");
    assert!(
        charge
            .detail
            .contains(&format!("Subscription {recurring_id} recorded"))
            && charge.detail.contains("Monthly charge: 12.00 USD charged"),
        "{charge:?}"
    );
    // And the back office can manage it like any other.
    let page = sign_in(&app)
        .await
        .page(&format!("/orders/{order_id}"))
        .await;
    assert!(page.contains(&recurring_id), "{page}");
    assert!(page.contains("id=\"terminate\""), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_late_notification_records_the_registration_of_a_subscription_found_without_it() {
    let sandbox = sandbox();
    let (_dir, db) = sqlite();
    let app = start_app(&db, &sandbox, "a").await;
    let order_id = place_order(&app, "teabox", "now").await;
    let (tid, recurring_id, next) =
        subscription_found_without_its_notification(&app, &sandbox, &order_id).await;

    // The gateway's notification comes after all (a late redelivery), with the registration.
    let late = status_body(
        &sandbox,
        &tid,
        &[
            ("recurringID", &recurring_id),
            ("recurringRetry", "0"),
            ("recurringNext", &next),
        ],
    );
    assert_eq!(
        deliver(&app, "/eximbay/status", &late).await,
        (200, "rescode=0000&resmsg=Success".to_owned())
    );
    let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
    let recurring = order.recurring.expect("the registration is recorded");
    assert_eq!(recurring.recurring_id().as_str(), recurring_id);
    assert_eq!(recurring.next_charge().to_yyyymmdd(), next);
    assert_eq!(order.payment.unwrap().transaction_id().as_str(), tid);
    assert!(
        order.extra_payments.is_empty(),
        "the same payment, not another"
    );
    let events = app.shop.store.events(&order_id).await.unwrap();
    assert!(
        events.iter().any(|e| e
            .detail
            .contains(&format!("subscription {recurring_id} recorded"))),
        "{events:?}"
    );
}
