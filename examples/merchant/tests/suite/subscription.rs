//! A subscription through the shop on SQLite, against the sandbox: charged monthly, adjusted
//! from the back office, ended by the gateway after three declined charges.

use std::time::Duration;

use crate::support::*;
use eximbay_core::RecurringStatus;
use eximbay_merchant::order::Stage;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_subscription_is_charged_monthly_adjusted_and_ends_after_three_declines() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let order_id = place_order(&app, "teabox", "now").await;
    approve_in_window(&app, &sandbox, &order_id).await;
    let order = wait_for_order(&app, &order_id, "subscribed", |o| o.recurring.is_some()).await;
    assert_eq!(order.stage(), Stage::Paid);

    let clock = |days: u32| {
        let sandbox = sandbox.clone();
        async move { sim_post(&sandbox, "/_sim/clock", json!({"advance_days": days})).await }
    };
    clock(32).await;
    wait_for_order(&app, &order_id, "charged", |_| true).await;
    let charged = wait_events(&app, &order_id, "Monthly charge: 12.00 USD charged").await;
    assert_eq!(charged, 1);

    // Adjust (not on the charge day), through the back office.
    let operator = sign_in(&app).await;
    let (adjust, _) = operator
        .operate(&order_id, "adjust", &[("amount", "15.00")])
        .await;
    let adjust = app.shop.store.command(&adjust).await.unwrap().unwrap();
    assert_eq!(adjust.state, "done", "{adjust:?}");
    let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(
        order.recurring.as_ref().unwrap().amount().to_string(),
        "15.00"
    );

    // A terminate button on a page opened before the subscription ends …
    let terminate = operator.form(&order_id, "terminate").await;
    let terminate_key = terminate
        .iter()
        .find(|(k, _)| k == "command_key")
        .unwrap()
        .1
        .clone();

    // Three declines in a row: the gateway ends it.
    let recurring_id = order.recurring.unwrap().recurring_id().as_str().to_owned();
    sim_post(
        &sandbox,
        &format!("/_sim/recurring/{recurring_id}/decline_next"),
        json!({"count": 3, "rescode": "HE01"}),
    )
    .await;
    clock(35).await;
    let ended = wait_for_order(&app, &order_id, "ended", |o| {
        matches!(
            o.recurring.as_ref().map(|r| r.status()),
            Some(RecurringStatus::Terminated { .. })
        )
    })
    .await;
    assert!(
        ended
            .subscription_label()
            .unwrap()
            .contains("three failed charges")
    );
    // … pressed after it ended: nothing left to terminate, refused before sending; and the
    // page no longer offers the button.
    operator.submit(&order_id, &terminate, &[]).await;
    assert_eq!(
        app.shop
            .store
            .command(&terminate_key)
            .await
            .unwrap()
            .unwrap()
            .state,
        "refused"
    );
    let page = operator.page(&format!("/orders/{order_id}")).await;
    assert!(!page.contains("id=\"terminate\""));
}

/// Waits for history lines containing `text`; returns how many there are.
async fn wait_events(app: &App, order_id: &str, text: &str) -> usize {
    for _ in 0..1000 {
        let n = app
            .shop
            .store
            .events(order_id)
            .await
            .unwrap()
            .iter()
            .filter(|e| e.detail.contains(text))
            .count();
        if n > 0 {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no history line with {text:?}");
}
