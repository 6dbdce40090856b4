//! One clock for each purpose, named on the page: the database's for leases and record
//! times (every instance shares it), the gateway's (the embedded sandbox's test clock) for
//! charge days and grace periods.

use std::time::SystemTime;

use crate::support::*;
use eximbay_merchant::order::Stage;

fn system_now() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

#[tokio::test(flavor = "multi_thread")]
async fn records_are_timed_by_the_database_clock_and_leases_compare_against_it() {
    let (_sandbox, (_dir, _), app) = one_shop().await;
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
    let (sandbox, (_dir, _), app) = one_shop().await;
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

/// A row's `created_at` / `expires_at` (or `at`) as stored.
async fn times(app: &App, query: &str, key: &str) -> (i64, i64) {
    use sqlx::Row;
    let row = sqlx::query(query)
        .bind(key)
        .fetch_one(app.shop.store.pool())
        .await
        .unwrap();
    (row.try_get(0).unwrap(), row.try_get(1).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_and_command_keys_expire_by_the_database_clock() {
    use eximbay_merchant::auth::token_hash;
    let (sandbox, (_dir, _), app) = one_shop().await;
    let store = &app.shop.store;

    // A session signed in over HTTP is stored from the database's now, for its lifetime.
    let before = store.now().await.unwrap();
    let operator = sign_in(&app).await;
    let after = store.now().await.unwrap();
    let token = operator.cookie.trim_start_matches("eximbay_session=");
    let (created, expires) = times(
        &app,
        "SELECT created_at, expires_at FROM sessions WHERE token_hash = $1",
        &token_hash(token),
    )
    .await;
    assert!(
        (before..=after).contains(&created),
        "{before} {created} {after}"
    );
    assert_eq!(expires - created, app.shop.settings.limits.session_seconds);

    // The keys minted with a page likewise (valid as long as a session).
    let order_id = place_order(&app, "sampler", "later").await;
    approve_in_window(&app, &sandbox, &order_id).await;
    wait_for_order(&app, &order_id, "authorized", |o| o.payment.is_some()).await;
    let fields = operator.form(&order_id, "capture").await;
    let key = &fields.iter().find(|(k, _)| k == "command_key").unwrap().1;
    let (expires, now) = times(
        &app,
        "SELECT expires_at, CAST(strftime('%s', 'now') AS BIGINT) FROM command_keys \
         WHERE command_key = $1",
        key,
    )
    .await;
    let lifetime = expires - now;
    assert!(
        (app.shop.settings.limits.session_seconds - 2..=app.shop.settings.limits.session_seconds)
            .contains(&lifetime),
        "{lifetime}"
    );

    // Short lifetimes end when the database's clock passes them: a session and a key are
    // honoured, then refused, and the housekeeping deletes both.
    store
        .insert_session(&token_hash(&"a".repeat(64)), OPERATOR, "csrf", 1)
        .await
        .unwrap();
    store
        .mint_command_keys(
            &order_id,
            OPERATOR,
            &[("short-key".to_owned(), "refund")],
            1,
        )
        .await
        .unwrap();
    assert!(
        store
            .session(&token_hash(&"a".repeat(64)))
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.command_key("short-key").await.unwrap().is_some());
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert!(
        store
            .session(&token_hash(&"a".repeat(64)))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.command_key("short-key").await.unwrap().is_none());
    // (The sweeper's housekeeping may have deleted them already.)
    store.expire_auth(900).await.unwrap();
    let rows = |query: &'static str, key: String| async move {
        use sqlx::Row;
        let row = sqlx::query(query)
            .bind(key)
            .fetch_one(store.pool())
            .await
            .unwrap();
        row.try_get::<i64, _>(0).unwrap()
    };
    let short = token_hash(&"a".repeat(64));
    assert_eq!(
        rows("SELECT COUNT(*) FROM sessions WHERE token_hash = $1", short).await,
        0
    );
    assert_eq!(
        rows(
            "SELECT COUNT(*) FROM command_keys WHERE command_key = $1",
            "short-key".to_owned()
        )
        .await,
        0
    );
    // The long-lived ones are untouched.
    assert!(store.session(&token_hash(token)).await.unwrap().is_some());
    assert!(store.command_key(key).await.unwrap().is_some());
}

/// The shop's library reads no instance clock for anything it records or compares: the
/// only `SystemTime::now` in `src/` is the gateway's "now" when the gateway is remote
/// (`Shop::gateway_now`). Expiries, leases and ages are on the database's clock.
#[test]
fn the_library_reads_the_system_clock_only_for_a_remote_gateways_now() {
    let mut found = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for line in text.lines().filter(|l| l.contains("SystemTime::now")) {
                    found.push(format!("{}: {}", path.display(), line.trim()));
                }
            }
        }
    }
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("shop.rs") && found[0].contains("Gateway::Remote(_)"),
        "{found:#?}"
    );
}
