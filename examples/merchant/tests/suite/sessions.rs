//! The back office's sessions and limits, over HTTP on SQLite against the sandbox: without
//! a session nothing is visible or actionable and every page carries the security headers;
//! sign-in attempts and checkouts are limited; signing out ends the session on every
//! instance; the banner shows only the shop's own messages; the settings' `Debug` shows no
//! keys.

use eximbay_merchant::Limits;

use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn signed_out_the_back_office_is_the_sign_in_page_and_every_page_has_the_security_headers() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let (order_id, _, _) = bought(&app, &sandbox, "now").await;

    for path in ["/orders", &format!("/orders/{order_id}"), "/orders?page=2"] {
        let response = client()
            .get(format!("{}{path}", app.url))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{path}");
        let to = response.headers()["location"].to_str().unwrap().to_owned();
        assert!(to.starts_with("/sign-in?next=%2Forders"), "{to}");
        let page = client()
            .get(format!("{}{to}", app.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("id=\"sign-in\""), "{page}");
        // Nothing of the order: only the path the visitor asked for, to come back to.
        for private in ["buyer@example.com", "Min-jun Kim", "25.00", "Jeju"] {
            assert!(!page.contains(private), "{path}: {private}");
        }
    }

    // One set of headers on every page: the shop, the sign-in page, a back-office page, an
    // error page, the checkout's window page.
    let operator = sign_in(&app).await;
    let checkout = client()
        .post(format!("{}/checkout", app.url))
        .form(&[
            ("product", "teabox"),
            ("buyer", "Min-jun Kim"),
            ("email", "buyer@example.com"),
        ])
        .send()
        .await
        .unwrap();
    let responses = vec![
        client().get(format!("{}/", app.url)).send().await.unwrap(),
        client()
            .get(format!("{}/sign-in", app.url))
            .send()
            .await
            .unwrap(),
        operator.get(&format!("/orders/{order_id}")).await,
        operator.get("/orders/no-such-order").await,
        checkout,
    ];
    for response in responses {
        let headers = response.headers().clone();
        let header = |name: &str| {
            headers
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("{}: no {name}", response.url()))
        };
        let policy = header("content-security-policy");
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        assert!(policy.contains(&format!("form-action 'self' {}", sandbox.base_url())));
        assert_eq!(header("x-frame-options"), "DENY");
        assert_eq!(header("x-content-type-options"), "nosniff");
        assert_eq!(header("referrer-policy"), "same-origin");
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap()
            .to_owned();
        assert_eq!(nonce.len(), 64);
        let private = response.url().path().starts_with("/orders");
        if private {
            assert_eq!(header("cache-control"), "no-store");
        }
        let page = response.text().await.unwrap();
        // Every inline script and style carries this response's nonce, and only it.
        let inline = page.matches("<script").count() + page.matches("<style").count();
        let with_nonce = page.matches(&format!("nonce=\"{nonce}\"")).count();
        assert!(inline > 0, "{page}");
        assert_eq!(inline, with_nonce, "{page}");
        assert!(!page.contains("onclick") && !page.contains("javascript:"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_in_attempts_beyond_the_limit_are_refused_even_with_the_right_password() {
    let sandbox = sandbox();
    let (_dir, db) = sqlite();
    let limits = Limits {
        sign_in_failures_per_client: 8,
        ..Limits::default()
    };
    let app = start_app_with(&db, &sandbox, "a", limits).await;
    for _ in 0..5 {
        assert_eq!(
            sign_in_as(&app.url, OPERATOR, "guess").await.err(),
            Some(401)
        );
    }
    // The sixth attempt on this name is refused unchecked: the right password included.
    assert_eq!(
        sign_in_as(&app.url, OPERATOR, PASSWORD).await.err(),
        Some(429)
    );
    // Another name from the same client counts against the client's limit (8).
    eximbay_merchant::auth::add_operator(&app.shop.store, "other", PASSWORD, 0)
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            sign_in_as(&app.url, "nobody", "guess").await.err(),
            Some(401)
        );
    }
    assert_eq!(
        sign_in_as(&app.url, "other", PASSWORD).await.err(),
        Some(429)
    );

    // A sign-in from another site's page is refused before any password is checked.
    let forged = client()
        .post(format!("{}/sign-in", app.url))
        .header("origin", "https://evil.example")
        .form(&[("name", "other"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(forged.headers().get("set-cookie").is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn signing_out_ends_the_session_on_every_instance() {
    let sandbox = sandbox();
    let (_dir, db) = sqlite();
    let a = start_app(&db, &sandbox, "a").await;
    let b = start_app(&db, &sandbox, "b").await;
    let operator = sign_in(&a).await;
    let mut on_b = operator.clone();
    on_b.url = b.url.clone();
    assert_eq!(
        on_b.get("/orders").await.status(),
        200,
        "b knows the session"
    );
    let out = on_b.post("/sign-out", &[("csrf", &operator.csrf)]).await;
    assert_eq!(out.status(), 303);
    let cleared = out.headers()["set-cookie"].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(
        operator.get("/orders").await.status(),
        303,
        "a forgot it too"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn checkout_is_limited_per_client_and_orders_are_paginated() {
    let sandbox = sandbox();
    let (_dir, db) = sqlite();
    let limits = Limits {
        checkouts_per_client: 5,
        orders_per_page: 2,
        ..Limits::default()
    };
    let app = start_app_with(&db, &sandbox, "a", limits).await;
    for _ in 0..5 {
        place_order(&app, "sampler", "now").await;
    }
    let refused = client()
        .post(format!("{}/checkout", app.url))
        .form(&[
            ("product", "sampler"),
            ("buyer", "Min-jun Kim"),
            ("email", "buyer@example.com"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 429);
    let orders = app.shop.store.orders().await.unwrap();
    assert_eq!(orders.len(), 5, "no order, no ready call, for the sixth");

    let operator = sign_in(&app).await;
    let first = operator.page("/orders").await;
    let third = operator.page("/orders?page=3").await;
    let rows = |page: &str| page.matches("<a href=\"/orders/O-").count();
    assert_eq!((rows(&first), rows(&third)), (2, 1));
    assert!(first.contains("id=\"older\"") && !first.contains("id=\"newer\""));
    assert!(third.contains("id=\"newer\"") && !third.contains("id=\"older\""));
    assert!(first.contains(&orders[0].order_id), "newest first");
    assert!(third.contains(&orders[4].order_id));
    assert!(
        !first.contains("buyer@example.com"),
        "no e-mails in the list"
    );
    assert_eq!(rows(&operator.page("/orders?page=99999999").await), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_banner_shows_only_the_shops_own_messages() {
    let (_sandbox, (_dir, _), app) = one_shop().await;
    let order_id = place_order(&app, "teabox", "now").await;
    let operator = sign_in(&app).await;
    let page = |query: &'static str| {
        let operator = operator.clone();
        let order_id = order_id.clone();
        async move { operator.page(&format!("/orders/{order_id}?{query}")).await }
    };
    let stranger = page("sandbox=Your+account+is+locked%3A+call+%2B1-555-0100").await;
    assert!(!stranger.contains("sandbox-note") && !stranger.contains("555-0100"));
    assert!(
        !page("sandbox=advanced-99999")
            .await
            .contains("sandbox-note")
    );
    assert!(
        page("sandbox=advanced-31")
            .await
            .contains("The sandbox clock moved 31 days forward.")
    );
    // A command result is looked up in the journal, never echoed.
    assert!(
        !page("command=Refunded+everything")
            .await
            .contains("id=\"result\"")
    );

    // The sandbox control itself, signed in, redirects with a known code.
    let advanced = operator
        .post(
            &format!("/orders/{order_id}/sandbox"),
            &[
                ("action", "advance"),
                ("days", "2"),
                ("csrf", &operator.csrf),
            ],
        )
        .await;
    assert_eq!(
        advanced.headers()["location"],
        format!("/orders/{order_id}?sandbox=advanced-2").as_str()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_debug_shows_no_keys() {
    let (_sandbox, (_dir, _), app) = one_shop().await;
    let debug = format!("{:?} {:?}", app.shop.settings, app.shop);
    assert!(debug.contains("api_key: \"<redacted>\""), "{debug}");
    for secret in [
        eximbay_sim::DEFAULT_API_KEY,
        eximbay_sim::DEFAULT_SECRET_KEY,
    ] {
        assert!(!debug.contains(secret), "{debug}");
    }
}
