//! The two concurrency scenarios, run on each database (`postgres.rs`, `sqlite.rs`).

use std::collections::BTreeSet;

use eximbay_merchant::order::Stage;
use rust_decimal::Decimal;

use super::*;

/// Two instances on `db`: the same notification delivered to both at once (four
/// deliveries, ten rounds) is applied once and acknowledged every time.
pub async fn one_notification_to_two_instances(db: &str) {
    let sandbox = sandbox();
    let a = start_app(db, &sandbox, "a").await;
    let b = start_app(db, &sandbox, "b").await;

    for round in 0..10 {
        let order_id = place_order(&a, "sampler", "later").await;
        // The sandbox's own delivery goes to instance a …
        let tid = approve_in_window(&a, &sandbox, &order_id).await;
        // … and the same notification, redelivered, reaches both instances at once.
        let body = status_body(&sandbox, &tid, &[]);
        let mut deliveries = Vec::new();
        for app in [&a, &b, &a, &b] {
            let body = body.clone();
            let url = app.url.clone();
            deliveries.push(tokio::spawn(async move {
                client()
                    .post(format!("{url}/eximbay/status"))
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap()
            }));
        }
        for delivery in deliveries {
            assert_eq!(delivery.await.unwrap(), "rescode=0000&resmsg=Success");
        }
        let order = wait_for_order(&b, &order_id, "authorized", |o| {
            o.stage() == Stage::Authorized
        })
        .await;
        let events = b.shop.store.events(&order_id).await.unwrap();
        assert_eq!(
            events.iter().filter(|e| e.kind == "notification").count(),
            1,
            "round {round}: applied once across both instances: {events:?}"
        );
        assert_eq!(order.version, 2, "created, then one notification");
        assert_eq!(b.shop.store.delivery_count(&order_id).await.unwrap(), 1);
    }
}

/// Two instances on `db`: fifty refunds of 2.00 pressed at once on a 25.00 payment, half
/// on each instance, ten of them twice with the same key, make exactly the twelve refunds
/// the balance allows, each once, and the sandbox's ledger agrees with the database.
pub async fn fifty_refunds_from_two_instances(db: &str) {
    let sandbox = sandbox();
    let a = start_app(db, &sandbox, "a").await;
    let b = start_app(db, &sandbox, "b").await;
    let (order_id, tid, _) = bought(&a, &sandbox, "now").await;

    // 25.00 paid; fifty operators press "refund 2.00" at once, half on each instance, and
    // ten of them press twice (the same form, the same key). 12 refunds fit (24.00). The
    // session signed in on one instance is known to both (it is in the database), and so
    // is every key the page minted.
    let operator = sign_in(&a).await;
    let mut forms = Vec::new();
    for _ in 0..50 {
        forms.push(operator.form(&order_id, "refund").await);
    }
    let mut presses = Vec::new();
    for (i, form) in forms.into_iter().enumerate() {
        let mut session = operator.clone();
        if i % 2 == 1 {
            session.url = b.url.clone();
        }
        let repeats = if i < 10 { 2 } else { 1 };
        for _ in 0..repeats {
            let session = session.clone();
            let order_id = order_id.clone();
            let form = form.clone();
            presses.push(tokio::spawn(async move {
                let response = session
                    .submit(&order_id, &form, &[("amount", "2.00")])
                    .await;
                assert_eq!(response.status(), 303);
            }));
        }
    }
    for press in presses {
        press.await.unwrap();
    }

    let commands = a.shop.store.commands(&order_id).await.unwrap();
    assert_eq!(commands.len(), 50, "one journal entry per key");
    let done: Vec<_> = commands.iter().filter(|c| c.state == "done").collect();
    let refused: Vec<_> = commands.iter().filter(|c| c.state == "refused").collect();
    assert_eq!(
        done.len(),
        12,
        "exactly the refunds 25.00 allows: {commands:#?}"
    );
    assert_eq!(refused.len(), 38, "the rest refused before sending");
    assert!(refused.iter().all(|c| {
        c.message
            .as_deref()
            .unwrap_or_default()
            .starts_with("Not sent")
    }));

    let order = a.shop.store.order(&order_id).await.unwrap().unwrap();
    let payment = order.payment.unwrap();
    assert_eq!(payment.refunded_amount(), Decimal::new(2400, 2));
    assert_eq!(payment.applied_refunds().len(), 12);
    let sim = sandbox.sandbox();
    let ledger = sim.ledger.payment(&tid).unwrap();
    assert_eq!(ledger.refunded, Decimal::new(2400, 2), "the gateway agrees");
    assert_eq!(ledger.refunds.len(), 12, "each refund once");
    let ledger_ids: BTreeSet<_> = ledger.refunds.keys().cloned().collect();
    let db_ids: BTreeSet<_> = payment
        .applied_refunds()
        .iter()
        .map(|r| r.refund_id.as_str().to_owned())
        .collect();
    assert_eq!(ledger_ids, db_ids, "the same refunds on both sides");
}
