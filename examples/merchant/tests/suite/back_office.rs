//! The back office's commands tried as an attacker would, over HTTP on SQLite against the
//! sandbox: a cross-site POST, a POST without a session or CSRF token, a forged, misbound
//! or reused command key, and an adjustment above the bound change nothing at the gateway
//! (the sandbox's ledger) or in the database; full refunds, large refunds and endings ask
//! to confirm first. Signing in and out, limits and headers: `sessions.rs`.

use eximbay_core::Timestamp;
use eximbay_merchant::Limits;
use eximbay_merchant::order::Stage;
use rust_decimal::Decimal;

use crate::support::*;

/// Everything a money-moving request could change: the gateway's record of the payment,
/// the order's version, its commands and its history.
#[derive(Debug, PartialEq)]
struct Footprint {
    refunded: Decimal,
    refunds: usize,
    captured: bool,
    version: i64,
    commands: usize,
    events: usize,
    sandbox_clock: Timestamp,
}

async fn footprint(
    app: &App,
    sandbox: &eximbay_sim::RunningSandbox,
    order_id: &str,
    tid: &str,
) -> Footprint {
    // The sandbox's lock is held only while reading it, never across a request.
    let (refunded, refunds, captured, sandbox_clock) = {
        let sim = sandbox.sandbox();
        let ledger = sim.ledger.payment(tid).unwrap();
        (
            ledger.refunded,
            ledger.refunds.len(),
            ledger.captured,
            sim.now(),
        )
    };
    let order = app.shop.store.order(order_id).await.unwrap().unwrap();
    Footprint {
        refunded,
        refunds,
        captured,
        version: order.version,
        commands: app.shop.store.commands(order_id).await.unwrap().len(),
        events: app.shop.store.events(order_id).await.unwrap().len(),
        sandbox_clock,
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

fn as_pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cross_site_post_or_one_without_a_session_or_token_changes_nothing() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let (order_id, tid, _) = bought(&app, &sandbox, "now").await;
    let subscription = place_order(&app, "teabox", "now").await;
    approve_in_window(&app, &sandbox, &subscription).await;
    wait_for_order(&app, &subscription, "subscribed", |o| o.recurring.is_some()).await;

    let operator = sign_in(&app).await;
    // A genuine page's form, so only the one thing each attempt lacks is missing.
    let form = operator.form(&order_id, "refund-full").await;
    let mut genuine = as_pairs(&form);
    genuine.push(("confirmed", "yes"));
    let without_csrf: Vec<_> = genuine
        .iter()
        .copied()
        .filter(|(k, _)| *k != "csrf")
        .collect();
    let mut wrong_csrf = without_csrf.clone();
    wrong_csrf.push(("csrf", "0000"));
    let before = footprint(&app, &sandbox, &order_id, &tid).await;
    let commands = format!("{}/orders/{order_id}/commands", app.url);

    // The attack: a plain cross-site form POST, which a browser sends without the
    // SameSite=Strict cookie, with the attacker's Origin.
    let attacks = [
        (
            "no session",
            client()
                .post(&commands)
                .header("origin", "https://evil.example")
                .form(&[("command_key", "evil1"), ("action", "refund_full")]),
        ),
        (
            "no session, genuine fields",
            client().post(&commands).form(&genuine),
        ),
        (
            "session, another site's origin",
            client()
                .post(&commands)
                .header("cookie", &operator.cookie)
                .header("origin", "https://evil.example")
                .form(&genuine),
        ),
        (
            "session, another site's referer",
            client()
                .post(&commands)
                .header("cookie", &operator.cookie)
                .header("referer", "https://evil.example/page")
                .form(&genuine),
        ),
        (
            "session, a cross-site fetch",
            client()
                .post(&commands)
                .header("cookie", &operator.cookie)
                .header("sec-fetch-site", "cross-site")
                .form(&genuine),
        ),
        (
            "session, no CSRF token",
            client()
                .post(&commands)
                .header("cookie", &operator.cookie)
                .header("origin", &app.url)
                .form(&without_csrf),
        ),
        (
            "session, a wrong CSRF token",
            client()
                .post(&commands)
                .header("cookie", &operator.cookie)
                .header("origin", &app.url)
                .form(&wrong_csrf),
        ),
        (
            "a forged session cookie",
            client()
                .post(&commands)
                .header("cookie", format!("eximbay_session={}", "a".repeat(64)))
                .header("origin", &app.url)
                .form(&genuine),
        ),
    ];
    for (what, attack) in attacks {
        let response = attack.send().await.unwrap();
        assert_eq!(response.status(), 403, "{what}");
        let page = response.text().await.unwrap();
        assert!(page.contains("Nothing was changed"), "{what}: {page}");
    }
    // The sandbox's clock and charges: no session, or cross-site, moves nothing.
    let sandbox_path = format!("{}/orders/{subscription}/sandbox", app.url);
    let controls = [
        client()
            .post(&sandbox_path)
            .form(&[("action", "advance"), ("days", "400")]),
        client()
            .post(&sandbox_path)
            .header("cookie", &operator.cookie)
            .header("origin", "https://evil.example")
            .form(&[
                ("action", "advance"),
                ("days", "400"),
                ("csrf", &operator.csrf),
            ]),
        client()
            .post(&sandbox_path)
            .header("cookie", &operator.cookie)
            .header("origin", &app.url)
            .form(&[("action", "decline"), ("count", "3")]),
    ];
    for control in controls {
        assert_eq!(control.send().await.unwrap().status(), 403);
    }
    let sign_out = client()
        .post(format!("{}/sign-out", app.url))
        .header("cookie", &operator.cookie)
        .header("origin", "https://evil.example")
        .form(&[("csrf", &operator.csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        sign_out.status(),
        403,
        "a cross-site sign-out is refused too"
    );

    assert_eq!(
        footprint(&app, &sandbox, &order_id, &tid).await,
        before,
        "nothing moved at the gateway or in the database"
    );
    assert!(
        sandbox
            .sandbox()
            .recurring
            .registrations
            .values()
            .all(|r| r.failed_attempts == 0 && r.charges_done == 0)
    );

    // The same form, sent properly, works: the refusals were the checks, not the form.
    let response = operator
        .post(&format!("/orders/{order_id}/commands"), &genuine)
        .await;
    assert_eq!(response.status(), 303);
    let after = footprint(&app, &sandbox, &order_id, &tid).await;
    assert_eq!((after.refunded, after.refunds), (Decimal::new(2500, 2), 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn forged_misbound_or_reused_command_keys_change_nothing() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let (order_id, tid, _) = bought(&app, &sandbox, "now").await;
    let (other_order, _, _) = bought(&app, &sandbox, "now").await;
    eximbay_merchant::auth::add_operator(&app.shop.store, "other", PASSWORD, 0)
        .await
        .unwrap();
    let operator = sign_in(&app).await;
    let other = sign_in_as(&app.url, "other", PASSWORD).await.unwrap();

    let refund = operator.form(&order_id, "refund").await;
    let key_for = |fields: &[(String, String)]| field(fields, "command_key").to_owned();
    let refund_key = key_for(&refund);
    let full_key = key_for(&operator.form(&order_id, "refund-full").await);
    let other_order_key = key_for(&operator.form(&other_order, "refund").await);
    let others_key = key_for(&other.form(&order_id, "refund").await);
    let before = footprint(&app, &sandbox, &order_id, &tid).await;
    let post = |key: String, action: &'static str| {
        let operator = operator.clone();
        let order_id = order_id.clone();
        async move {
            let fields = [
                ("csrf", operator.csrf.as_str()),
                ("command_key", key.as_str()),
                ("action", action),
                ("amount", "1.00"),
                ("confirmed", "yes"),
            ];
            operator
                .post(&format!("/orders/{order_id}/commands"), &fields)
                .await
                .status()
        }
    };
    for (what, key, action) in [
        ("a key the client chose", "evil1".to_owned(), "refund"),
        ("a key of the right shape", "f".repeat(64), "refund"),
        (
            "a refund key used for a full refund",
            refund_key.clone(),
            "refund_full",
        ),
        (
            "a full-refund key used for a partial one",
            full_key,
            "refund",
        ),
        ("another order's key", other_order_key, "refund"),
        ("another operator's key", others_key, "refund"),
    ] {
        assert_eq!(post(key, action).await, 403, "{what}");
    }
    assert_eq!(footprint(&app, &sandbox, &order_id, &tid).await, before);

    // The genuine key, used twice: the second is answered with the first's result.
    assert_eq!(post(refund_key.clone(), "refund").await, 303);
    assert_eq!(post(refund_key.clone(), "refund").await, 303);
    let after = footprint(&app, &sandbox, &order_id, &tid).await;
    assert_eq!((after.refunded, after.refunds), (Decimal::new(100, 2), 1));
    assert_eq!(after.commands, 1);
    // Attributed: in the journal and in the history.
    let command = app.shop.store.command(&refund_key).await.unwrap().unwrap();
    assert_eq!(command.operator.as_deref(), Some(OPERATOR));
    let events = app.shop.store.events(&order_id).await.unwrap();
    let last = events.last().unwrap();
    assert!(
        last.detail.starts_with(&format!(
            "refund ({}) by {OPERATOR}: Refunded 1.00 USD",
            &refund_key[..8]
        )),
        "{last:?}"
    );
    let page = operator.page(&format!("/orders/{order_id}")).await;
    assert!(page.contains(&format!("<td class=\"operator\">{OPERATOR}</td>")));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_adjustment_above_the_bound_is_refused_before_anything_is_sent() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let order_id = place_order(&app, "teabox", "now").await;
    approve_in_window(&app, &sandbox, &order_id).await;
    let subscribed = wait_for_order(&app, &order_id, "subscribed", |o| o.recurring.is_some()).await;
    let recurring_id = subscribed
        .recurring
        .unwrap()
        .recurring_id()
        .as_str()
        .to_owned();
    let operator = sign_in(&app).await;
    let page = operator.page(&format!("/orders/{order_id}")).await;
    assert!(
        page.contains("at most 100.00 USD"),
        "the bound is on the form"
    );

    for amount in ["9999999999.99", "100.01"] {
        let (key, response) = operator
            .operate(&order_id, "adjust", &[("amount", amount)])
            .await;
        assert_eq!(response.status(), 303);
        let command = app.shop.store.command(&key).await.unwrap().unwrap();
        assert_eq!(command.state, "refused", "{amount}");
        assert_eq!(
            command.message.as_deref(),
            Some("Not sent: above the highest monthly amount the shop allows (100.00 USD).")
        );
        assert_eq!(
            sandbox.sandbox().recurring.registrations[&recurring_id].amount,
            "12.00",
            "the gateway's monthly amount is unchanged"
        );
        let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
        assert_eq!(order.version, subscribed.version);
        assert_eq!(order.recurring.unwrap().amount().to_string(), "12.00");
    }
    let (key, _) = operator
        .operate(&order_id, "adjust", &[("amount", "100.00")])
        .await;
    assert_eq!(
        app.shop.store.command(&key).await.unwrap().unwrap().state,
        "done"
    );
    assert_eq!(
        sandbox.sandbox().recurring.registrations[&recurring_id].amount,
        "100.00"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn full_refunds_releases_large_refunds_and_endings_ask_to_confirm_first() {
    let sandbox = sandbox();
    let (_dir, db) = sqlite();
    let limits = Limits {
        confirm_refund_above: Decimal::new(1000, 2),
        ..Limits::default()
    };
    let app = start_app_with(&db, &sandbox, "a", limits).await;
    let (paid, tid, _) = bought(&app, &sandbox, "now").await;
    let (authorized, auth_tid, _) = bought(&app, &sandbox, "later").await;
    let operator = sign_in(&app).await;

    let unconfirmed =
        |order_id: String, form: &'static str, extra: Vec<(&'static str, &'static str)>| {
            let operator = operator.clone();
            async move {
                let fields = operator.form(&order_id, form).await;
                let mut all = as_pairs(&fields);
                all.extend(extra);
                let response = operator
                    .post(&format!("/orders/{order_id}/commands"), &all)
                    .await;
                assert_eq!(response.status(), 200, "{form}: a question, not a redirect");
                response.text().await.unwrap()
            }
        };
    let before = footprint(&app, &sandbox, &paid, &tid).await;
    let question = unconfirmed(paid.clone(), "refund", vec![("amount", "10.01")]).await;
    assert!(question.contains("Refund 10.01 USD to Min-jun Kim? It is above 10.00 USD"));
    let question = unconfirmed(paid.clone(), "refund-full", vec![]).await;
    assert!(question.contains("Refund everything still refundable, 25.00 USD"));
    assert_eq!(
        footprint(&app, &sandbox, &paid, &tid).await,
        before,
        "asked, not done"
    );
    let release = unconfirmed(authorized.clone(), "refund-full", vec![]).await;
    assert!(
        release.contains("Release the authorization of 25.00 USD?"),
        "{release}"
    );
    assert!(
        sandbox
            .sandbox()
            .ledger
            .payment(&auth_tid)
            .unwrap()
            .refunds
            .is_empty()
    );

    // Confirming is the question page's own form.
    let confirm = hidden_fields(&release, "confirm");
    assert_eq!(field(&confirm, "confirmed"), "yes");
    let response = operator
        .post(
            &format!("/orders/{authorized}/commands"),
            &as_pairs(&confirm),
        )
        .await;
    assert_eq!(response.status(), 303);
    wait_for_order(&app, &authorized, "voided", |o| o.stage() == Stage::Voided).await;

    // At or below the threshold, a partial refund is done at once.
    let fields = operator.form(&paid, "refund").await;
    let mut all = as_pairs(&fields);
    all.push(("amount", "10.00"));
    let response = operator
        .post(&format!("/orders/{paid}/commands"), &all)
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        sandbox.sandbox().ledger.payment(&tid).unwrap().refunded,
        Decimal::new(1000, 2)
    );
}
