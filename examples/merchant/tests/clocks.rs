//! One clock for each purpose, named on the page: the database's for leases and record
//! times (every instance shares it), the gateway's (the embedded sandbox's test clock) for
//! charge days and grace periods.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::time::SystemTime;

use eximbay_merchant::order::Stage;
use support::*;

fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread")]
async fn records_are_timed_by_the_database_clock_and_leases_compare_against_it() {
    let sandbox = sandbox();
    let (_dir, db) = sqlite();
    let app = start_app(&db, &sandbox, "a").await;
    let before = system_now();
    let db_now = app.shop.store.now().await.unwrap();
    assert!((db_now - before).abs() <= 5, "{db_now} vs {before}");
    let order_id = place_order(&app, "sampler", "now").await;
    let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert!((order.created_at - db_now).abs() <= 5);
    // Placed by the gateway's clock too: the sandbox's test clock, which starts in 2026-01.
    assert_eq!(order.placed_at_gateway, Some(app.shop.gateway_now().0));

    // A lease taken "until" the database's now + 60 is held against another holder, and
    // free once the database's clock has passed it.
    let now = app.shop.db_clock().await.unwrap();
    let store = &app.shop.store;
    assert!(
        store
            .take_lease(&order_id, "one", false, now, now + 60)
            .await
            .unwrap()
    );
    assert!(
        !store
            .take_lease(&order_id, "two", false, now, now + 60)
            .await
            .unwrap()
    );
    assert!(
        store
            .take_lease(&order_id, "two", false, now + 61, now + 120)
            .await
            .unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_names_its_clocks_and_the_charge_day_refusal_says_why_and_when() {
    let sandbox = sandbox();
    let (_dir, db) = sqlite();
    let app = start_app(&db, &sandbox, "a").await;
    let order_id = place_order(&app, "teabox", "now").await;
    approve_in_window(&app, &sandbox, &order_id).await;
    let order = wait_for_order(&app, &order_id, "subscribed", |o| o.recurring.is_some()).await;
    assert_eq!(order.stage(), Stage::Paid);
    let next_charge = order.recurring.as_ref().unwrap().next_charge();

    // "Advance the sandbox clock a month" from the order page lands on the charge day.
    let operator = sign_in(&app).await;
    let fields = operator.form(&order_id, "advance").await;
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let advanced = operator
        .post(&format!("/orders/{order_id}/sandbox"), &fields)
        .await;
    assert_eq!(advanced.status(), 303);
    assert_eq!(app.shop.gateway_now().kst_date(), next_charge);
    let (key, _) = operator
        .operate(&order_id, "adjust", &[("amount", "15.00")])
        .await;
    let adjust = app.shop.store.command(&key).await.unwrap().unwrap();
    assert_eq!(adjust.state, "refused");
    let message = adjust.message.unwrap();
    assert!(
        message.contains("charge day")
            && message.contains("gateway's clock")
            && message.contains("next day"),
        "{message}"
    );

    let page = operator.page(&format!("/orders/{order_id}")).await;
    assert!(page.contains("(database clock)"), "{page}");
    assert!(
        page.contains("dates by the sandbox&#x27;s test clock, now")
            || page.contains("dates by the sandbox's test clock, now"),
        "{page}"
    );
}
