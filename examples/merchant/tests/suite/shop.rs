//! The shop end to end over HTTP on SQLite, against the sandbox: notifications, return_url,
//! the back office's commands, unknown outcomes, crash recovery, subscriptions.

use std::time::Duration;

use crate::support::*;
use eximbay_core::{Amount, PaymentStatus};
use eximbay_merchant::order::Stage;
use eximbay_merchant::reconcile;
use eximbay_merchant::store::{NewCommand, Store};
use rust_decimal::Decimal;
use serde_json::json;

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn status_url_pays_the_order_once_and_acknowledges_every_delivery() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let order_id = place_order(&app, "sampler", "now").await;
    assert_eq!(
        app.shop
            .store
            .order(&order_id)
            .await
            .unwrap()
            .unwrap()
            .stage(),
        Stage::AwaitingPayment
    );
    let tid = approve_in_window(&app, &sandbox, &order_id).await;
    let paid = wait_for_order(&app, &order_id, "paid", |o| o.stage() == Stage::Paid).await;
    assert_eq!(paid.payment.unwrap().transaction_id().as_str(), tid);

    // The same notification again (the gateway retries): acknowledged, not applied again.
    let again = status_body(&sandbox, &tid, &[]);
    for _ in 0..3 {
        assert_eq!(
            deliver(&app, "/eximbay/status", &again).await,
            (200, "rescode=0000&resmsg=Success".to_owned())
        );
    }
    let after = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(after.version, paid.version, "a redelivery changes nothing");
    assert_eq!(app.shop.store.delivery_count(&order_id).await.unwrap(), 1);
    let events = app.shop.store.events(&order_id).await.unwrap();
    assert_eq!(
        events.iter().filter(|e| e.kind == "notification").count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_fgkey_a_foreign_mid_or_someone_elses_amount_is_not_a_payment() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let order_id = place_order(&app, "sampler", "now").await;
    // A genuine payment for *another* order, to borrow a real transaction id.
    let other = place_order(&app, "sampler", "now").await;
    let tid = approve_in_window(&app, &sandbox, &other).await;
    wait_for_order(&app, &other, "paid", |o| o.stage() == Stage::Paid).await;

    // Tampered: signed, then the amount edited.
    let genuine = status_body(&sandbox, &tid, &[("ref", &order_id)]);
    let tampered = genuine.replace("amt=25.00", "amt=2500.00");
    assert_ne!(tampered, genuine);
    let (status, body) = deliver(&app, "/eximbay/status", &tampered).await;
    assert_eq!(
        (status, body.as_str()),
        (403, "rescode=9001&resmsg=Invalid fgkey")
    );

    // Validly signed, but for 1.00 (its own transaction): a valid signature on someone
    // else's amount.
    let fresh = ("transid", "1849705C64W0000000000777");
    let cheap = status_body(
        &sandbox,
        &tid,
        &[("ref", &order_id), ("amt", "1.00"), fresh],
    );
    let (status, body) = deliver(&app, "/eximbay/status", &cheap).await;
    assert_eq!(
        (status, body.as_str()),
        (409, "rescode=9002&resmsg=Does not match the order")
    );
    // Validly signed, for another merchant.
    let foreign = status_body(
        &sandbox,
        &tid,
        &[("ref", &order_id), ("mid", "OTHERMID01"), fresh],
    );
    assert_eq!(deliver(&app, "/eximbay/status", &foreign).await.0, 409);
    // Not a notification at all.
    assert_eq!(deliver(&app, "/eximbay/status", "%%%").await.0, 403);

    let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.stage(), Stage::AwaitingPayment);
    assert!(order.payment.is_none());
    let events = app.shop.store.events(&order_id).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "refused" && e.detail.contains("1.00 USD does not match")),
        "the refusal is on the order's history: {events:?}"
    );
    assert_eq!(app.shop.store.delivery_count(&order_id).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn return_url_shows_where_things_stand_and_never_marks_an_order_paid() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let order_id = place_order(&app, "sampler", "now").await;
    // The browser brings back a genuine "approved" (signed) before status_url arrives.
    let approved = {
        let sim = sandbox.sandbox();
        sim.signed_form(&[
            ("mid", "1849705C64".to_owned()),
            ("ref", order_id.clone()),
            ("cur", "USD".to_owned()),
            ("amt", "25.00".to_owned()),
            ("rescode", "0000".to_owned()),
            ("resmsg", "Success.".to_owned()),
            ("transid", "1849705C64W0000000000099".to_owned()),
        ])
    };
    let (status, page) = deliver(&app, "/return", &approved).await;
    assert_eq!(status, 200);
    assert!(page.contains("Thank you!"), "{page}");
    assert!(page.contains("Awaiting payment"), "{page}");
    let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(
        order.stage(),
        Stage::AwaitingPayment,
        "return_url moved nothing"
    );

    // A forged approval (unsigned) is not even shown as one.
    let forged = format!("ref={order_id}&rescode=0000&amt=25.00&cur=USD");
    let (_, page) = deliver(&app, "/return", &forged).await;
    assert!(!page.contains("Thank you!"));
    // A decline reads as one.
    let declined = {
        let sim = sandbox.sandbox();
        sim.signed_form(&[
            ("mid", "1849705C64".to_owned()),
            ("ref", order_id.clone()),
            ("cur", "USD".to_owned()),
            ("amt", "25.00".to_owned()),
            ("rescode", "HE01".to_owned()),
            ("resmsg", "Card declined".to_owned()),
        ])
    };
    let (_, page) = deliver(&app, "/return", &declined).await;
    assert!(
        page.contains("did not go through") && page.contains("HE01"),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn back_office_captures_refunds_part_then_the_rest_and_the_ledger_agrees() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let (order_id, tid, _) = bought(&app, &sandbox, "later").await;
    let operator = sign_in(&app).await;

    let (capture_key, capture) = operator.operate(&order_id, "capture", &[]).await;
    assert_eq!(capture.status(), 303);
    assert_eq!(
        capture.headers()["location"],
        format!("/orders/{order_id}?command={capture_key}").as_str()
    );
    let refund = operator.form(&order_id, "refund").await;
    let refund_key = refund
        .iter()
        .find(|(k, _)| k == "command_key")
        .unwrap()
        .1
        .clone();
    let reason = [("amount", "5.50"), ("reason", "one tin dented")];
    operator.submit(&order_id, &refund, &reason).await;
    // The same form submitted again: its key is reused, nothing is sent twice.
    let again = operator.submit(&order_id, &refund, &reason).await;
    assert_eq!(again.status(), 303, "the first's result, shown again");
    let page = operator
        .page(&format!("/orders/{order_id}?command={refund_key}"))
        .await;
    assert!(page.contains("Refunded 5.50 USD"), "{page}");
    assert!(page.contains("19.50 USD is still refundable"), "{page}");
    // More than the balance is refused before sending, in words.
    let (too_much, _) = operator
        .operate(&order_id, "refund", &[("amount", "50")])
        .await;
    let too_much = app.shop.store.command(&too_much).await.unwrap().unwrap();
    assert_eq!(too_much.state, "refused");
    assert!(too_much.message.unwrap().starts_with("Not sent"));
    // Not an amount.
    let (_, bad) = operator
        .operate(&order_id, "refund", &[("amount", "5,5")])
        .await;
    assert_eq!(bad.status(), 400);
    operator.operate(&order_id, "refund_full", &[]).await;

    let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.stage(), Stage::Refunded);
    let payment = order.payment.unwrap();
    assert_eq!(payment.refunded_amount(), dec("25.00"));
    let sim = sandbox.sandbox();
    let ledger = sim.ledger.payment(&tid).unwrap();
    assert!(ledger.captured);
    assert_eq!(ledger.captures_applied, 1);
    assert_eq!(ledger.refunded, dec("25.00"));
    assert_eq!(
        ledger.refunds.len(),
        2,
        "5.50 once (not twice), then the rest"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_refund_outcome_reads_checking_and_the_sweeper_settles_it() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let (order_id, tid, _) = bought(&app, &sandbox, "now").await;
    let operator = sign_in(&app).await;
    // The gateway applies the refund, then the connection drops: the outcome is unknown.
    sim_post(
        &sandbox,
        "/_sim/faults",
        json!({"path_contains": "/cancel", "kind": "apply_then_drop"}),
    )
    .await;
    let (lost, _) = operator
        .operate(&order_id, "refund", &[("amount", "10.00")])
        .await;
    let command = app.shop.store.command(&lost).await.unwrap().unwrap();
    assert_eq!(command.state, "unknown");
    assert!(
        command
            .message
            .unwrap()
            .contains("Checking with the gateway")
    );
    // The sweeper (every 200 ms here) retrieves the payment and applies the gateway's record.
    let settled = wait_for_order(&app, &order_id, "reconciled", |o| {
        o.stage() == Stage::PartiallyRefunded
    })
    .await;
    assert_eq!(settled.payment.unwrap().refundable(), dec("15.00"));
    assert_eq!(
        sandbox.sandbox().ledger.payment(&tid).unwrap().refunded,
        dec("10.00")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_command_interrupted_between_the_call_and_its_result_is_reconciled_not_replayed() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let (order_id, tid, paid) = bought(&app, &sandbox, "now").await;

    // An operator opened the order page (the refund button's key minted) and pressed
    // refund; the instance wrote it down, took the lease, sent it — and died before
    // recording the answer. Replay its steps by hand, with a lease that has since expired.
    let operator = sign_in(&app).await;
    let form = operator.form(&order_id, "refund").await;
    let key = form
        .iter()
        .find(|(k, _)| k == "command_key")
        .unwrap()
        .1
        .as_str();
    let store = &app.shop.store;
    store
        .journal(
            &NewCommand {
                command_key: key,
                order_id: &order_id,
                kind: "refund",
                amount: Some("7.00"),
                reason: None,
                transaction_id: None,
                operator: Some(OPERATOR),
            },
            0,
        )
        .await
        .unwrap();
    assert!(store.take_lease(&order_id, key, true, 0, 1).await.unwrap());
    let cancel = paid
        .payment
        .as_ref()
        .unwrap()
        .refund_partial(Amount::parse("7.00").unwrap(), key, None)
        .unwrap();
    app.shop.client.send(&cancel).await.unwrap();
    assert_eq!(
        sandbox.sandbox().ledger.payment(&tid).unwrap().refunded,
        dec("7.00")
    );

    // Swept here, or by the instance's own sweeper (every 200 ms) if it came first. When
    // that one holds the order's lease at this moment, this sweep skips the command and it
    // stays `sending` until the other sweep has read the gateway's record: wait for it.
    let swept = reconcile::sweep(&app.shop).await.unwrap();
    let mut command = store.command(key).await.unwrap().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while swept.interrupted == 0
        && command.state == "sending"
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
        command = store.command(key).await.unwrap().unwrap();
    }
    assert!(
        swept.interrupted == 1 || command.state != "sending",
        "one of the sweeps closed it"
    );
    assert_eq!(command.state, "unknown");
    assert!(
        command.message.unwrap().contains("18.00 USD refundable"),
        "closed with the gateway's word"
    );
    let order = store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.payment.unwrap().refunded_amount(), dec("7.00"));
    // Never replayed: the ledger still has one refund.
    assert_eq!(
        sandbox
            .sandbox()
            .ledger
            .payment(&tid)
            .unwrap()
            .refunds
            .len(),
        1
    );
    // Resubmitting the interrupted form shows its result and sends nothing.
    let again = operator
        .submit(&order_id, &form, &[("amount", "7.00")])
        .await;
    assert_eq!(again.status(), 303);
    assert_eq!(
        sandbox
            .sandbox()
            .ledger
            .payment(&tid)
            .unwrap()
            .refunds
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cash_payments_and_fraud_holds_are_not_shipped() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let (order_id, tid) = registered_cash_order(&app, &sandbox).await;
    sim_post(&sandbox, &format!("/_sim/payments/{tid}/settle"), json!({})).await;
    let paid = wait_for_order(&app, &order_id, "paid", |o| o.stage() == Stage::Paid).await;
    assert_eq!(paid.payment.unwrap().status(), PaymentStatus::Captured);

    // Fraud screening says REVIEW: held, whatever the payment says.
    let held_order = place_order(&app, "sampler", "now").await;
    let tid = approve_in_window(&app, &sandbox, &held_order).await;
    wait_for_order(&app, &held_order, "paid", |o| o.stage() == Stage::Paid).await;
    let review = status_body(
        &sandbox,
        &tid,
        &[("status", "Sale"), ("dm_decision", "REVIEW")],
    );
    assert_eq!(deliver(&app, "/eximbay/status", &review).await.0, 200);
    let held = wait_for_order(&app, &held_order, "held", |o| o.stage() == Stage::Held).await;
    assert_eq!(held.hold.as_deref(), Some("REVIEW"));
}

#[tokio::test(flavor = "multi_thread")]
async fn orders_survive_a_restart_and_the_pages_render() {
    let sandbox = sandbox();
    let (_dir, db) = sqlite();
    let order_id = {
        let app = start_app(&db, &sandbox, "first").await;
        let order_id = place_order(&app, "sampler", "later").await;
        approve_in_window(&app, &sandbox, &order_id).await;
        wait_for_order(&app, &order_id, "authorized", |o| {
            o.stage() == Stage::Authorized
        })
        .await;
        order_id
    };
    // The store reopens from the file; a new instance serves the same order.
    let store = Store::open(&db).await.unwrap();
    let order = store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.stage(), Stage::Authorized);
    let app = start_app(&db, &sandbox, "second").await;
    let operator = sign_in(&app).await;
    let list = operator.page("/orders").await;
    assert!(list.contains(&order_id) && list.contains("Authorized — capture when you ship"));
    let page = operator.page(&format!("/orders/{order_id}")).await;
    assert!(
        page.contains("id=\"capture\""),
        "an authorization offers capture"
    );
    assert!(page.contains("Instance second"));
    let shop = client()
        .get(format!("{}/", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shop.contains("Jeju green tea sampler") && shop.contains("Monthly tea box"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refund_whose_swap_is_lost_to_a_notification_is_still_applied() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let (order_id, tid, paid) = bought(&app, &sandbox, "now").await;
    let operator = sign_in(&app).await;
    let form = operator.form(&order_id, "refund").await;
    let slow = form
        .iter()
        .find(|(k, _)| k == "command_key")
        .unwrap()
        .1
        .clone();
    // The refund's answer is slow; while it is in flight, a notification changes the order.
    sim_post(
        &sandbox,
        "/_sim/faults",
        json!({"path_contains": "/cancel", "kind": "delay", "ms": 600}),
    )
    .await;
    let refund = {
        let operator = operator.clone();
        let order_id = order_id.clone();
        tokio::spawn(async move {
            operator
                .submit(&order_id, &form, &[("amount", "5.00")])
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let review = status_body(
        &sandbox,
        &tid,
        &[("status", "Sale"), ("dm_decision", "REVIEW")],
    );
    assert_eq!(deliver(&app, "/eximbay/status", &review).await.0, 200);
    let moved = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(
        moved.version,
        paid.version + 1,
        "the notification won the swap"
    );
    refund.await.unwrap();

    let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(
        order.hold.as_deref(),
        Some("REVIEW"),
        "the notification is kept"
    );
    assert_eq!(
        order.payment.unwrap().refunded_amount(),
        dec("5.00"),
        "and so is the refund"
    );
    assert_eq!(
        app.shop.store.command(&slow).await.unwrap().unwrap().state,
        "done"
    );
    assert_eq!(
        sandbox.sandbox().ledger.payment(&tid).unwrap().refunded,
        dec("5.00")
    );
}
