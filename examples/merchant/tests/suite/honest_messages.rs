//! Messages that match the money: a database that fails after the gateway was called, a
//! success answer about another payment, a gateway asking to slow down, releasing an
//! authorization.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::*;
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use eximbay_core::{Amount, Currency, Lang, OrderId, Payment, PaymentStatus, TransactionId};
use eximbay_merchant::commands::{self, Action};
use eximbay_merchant::order::{Order, OrderKind, Stage};
use eximbay_merchant::store::{Decision, Store};
use eximbay_merchant::{Gateway, Settings, Shop};
use eximbay_sim::{DEFAULT_API_KEY, DEFAULT_MID, DEFAULT_SECRET_KEY};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sqlx::Connection;

#[tokio::test(flavor = "multi_thread")]
async fn a_database_failure_after_the_gateway_call_never_reads_nothing_was_changed() {
    let (sandbox, (_dir, db), app) = one_shop().await;
    let (order_id, tid, _) = bought(&app, &sandbox, "now").await;
    // The refund's answer takes a while; the database goes down meanwhile.
    sim_post(
        &sandbox,
        "/_sim/faults",
        json!({"path_contains": "/cancel", "kind": "delay", "ms": 1500}),
    )
    .await;
    let operator = sign_in(&app).await;
    let form = operator.form(&order_id, "refund").await;
    let unrecorded = form
        .iter()
        .find(|(k, _)| k == "command_key")
        .unwrap()
        .1
        .clone();
    let refund = {
        let order_id = order_id.clone();
        tokio::spawn(async move {
            let response = operator
                .submit(&order_id, &form, &[("amount", "10.00")])
                .await;
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut other = sqlx::SqliteConnection::connect(&db).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .unwrap();
    let (status, page) = refund.await.unwrap();
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();

    assert_eq!(status, 503);
    assert!(page.contains("may have done it"), "{page}");
    assert!(!page.contains("Nothing was changed"), "{page}");
    assert_eq!(
        sandbox.sandbox().ledger.payment(&tid).unwrap().refunded,
        Decimal::new(1000, 2),
        "the refund was made"
    );
    // Once the database is back, the command is settled with the gateway's word.
    let deadline = Instant::now() + Duration::from_secs(20);
    let command = loop {
        let command = app.shop.store.command(&unrecorded).await.unwrap().unwrap();
        if !command.is_open() {
            break command;
        }
        assert!(Instant::now() < deadline, "never settled: {command:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(command.state, "unknown");
    assert!(
        command.message.unwrap().contains("15.00 USD refundable"),
        "closed with the gateway's word"
    );
    let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.stage(), Stage::PartiallyRefunded);
}

/// A gateway that answers every refund with a success about another payment, and every
/// capture with HTTP 429.
async fn odd_gateway(uri: Uri, body: axum::body::Bytes) -> axum::response::Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    if uri.path().ends_with("/capture") {
        return (StatusCode::TOO_MANY_REQUESTS, "slow down").into_response();
    }
    let answer = json!({
        "rescode": "0000",
        "resmsg": "Success.",
        "mid": DEFAULT_MID,
        "refund": {
            "refund_amount": body["refund"]["refund_amount"],
            "refund_id": body["refund"]["refund_id"],
            "refund_date": "20260101120000",
            "refund_transaction_id": "1849705C64R0000000000001",
        },
        "payment": {
            "order_id": body["payment"]["order_id"],
            "currency": "USD",
            "amount": "25.00",
            "transaction_id": "1849705C64W0000000000999",
            "balance": "24.00",
        },
    });
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        answer.to_string(),
    )
        .into_response()
}

/// A shop (not served) on a fresh SQLite file talking to the odd gateway, with one order
/// holding `payment`.
async fn shop_with(payment: Payment) -> (tempfile::TempDir, Arc<Shop>, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gateway = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().fallback(odd_gateway))
            .await
            .unwrap();
    });
    let (dir, db) = sqlite();
    let store = Store::open(&db).await.unwrap();
    let order_id = payment.order_id().as_str().to_owned();
    let order = Order {
        order_id: order_id.clone(),
        kind: OrderKind::Item,
        product: "Jeju green tea sampler".to_owned(),
        transaction_type: "PAYMENT".to_owned(),
        currency: Currency::Usd,
        amount: Amount::parse("25.00").unwrap(),
        buyer: "Min-jun Kim".to_owned(),
        email: "buyer@example.com".to_owned(),
        payment: None,
        extra_payments: Vec::new(),
        recurring: None,
        hold: None,
        version: 1,
        created_at: 0,
        placed_at_gateway: None,
    };
    store.insert_order(&order, 0, "created").await.unwrap();
    store
        .change(&order_id, 0, None, None, |order| {
            order.payment = Some(payment.clone());
            Decision::Apply {
                kind: "notification",
                detail: "paid".to_owned(),
            }
        })
        .await
        .unwrap();
    let settings = Settings {
        public_url: "http://127.0.0.1:1".to_owned(),
        gateway: Gateway::Remote(gateway),
        mid: DEFAULT_MID.to_owned(),
        api_key: DEFAULT_API_KEY.to_owned(),
        secret_key: DEFAULT_SECRET_KEY.to_owned(),
        instance: "odd".to_owned(),
        sweep_every: Duration::from_secs(60),
        lease_wait: Duration::from_secs(5),
        limits: Default::default(),
    };
    (dir, Shop::new(settings, store).unwrap(), order_id)
}

fn payment(authorized: bool) -> Payment {
    let make = if authorized {
        Payment::authorized
    } else {
        Payment::captured
    };
    make(
        TransactionId::new("1849705C64W0000000000001"),
        OrderId::new("O-ODD"),
        Currency::Usd,
        Amount::parse("25.00").unwrap(),
        Lang::En,
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_success_answer_about_another_payment_puts_the_order_in_doubt_not_done() {
    let (_dir, shop, order_id) = shop_with(payment(false)).await;
    let refund = Action::Refund(Amount::parse("1.00").unwrap());
    let command = commands::run(&shop, &order_id, "k-other", refund, None, "operator")
        .await
        .unwrap();
    assert_eq!(command.state, "unknown", "{command:?}");
    let message = command.message.unwrap();
    assert!(message.contains("another payment"), "{message}");
    assert!(!message.contains("Refunded"), "{message}");
    let order = shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(
        order.stage(),
        Stage::NeedsReconcile,
        "settled by the sweeper"
    );
    let payment = order.payment.unwrap();
    assert_eq!(payment.status(), PaymentStatus::NeedsReconcile);
    assert_eq!(payment.refunded_amount(), Decimal::ZERO, "nothing assumed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_asking_to_slow_down_reads_as_such() {
    let (_dir, shop, order_id) = shop_with(payment(true)).await;
    let command = commands::run(&shop, &order_id, "k-429", Action::Capture, None, "operator")
        .await
        .unwrap();
    assert_eq!(command.state, "failed", "{command:?}");
    let message = command.message.unwrap();
    assert!(
        message.contains("asked us to slow down"),
        "not 'could not be reached': {message}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn refunding_everything_of_an_authorization_releases_it_and_says_so() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let (order_id, _, _) = bought(&app, &sandbox, "later").await;
    let operator = sign_in(&app).await;
    let page = operator.page(&format!("/orders/{order_id}")).await;
    assert!(page.contains("Release the authorization"), "{page}");
    let (release, _) = operator.operate(&order_id, "refund_full", &[]).await;
    let command = app.shop.store.command(&release).await.unwrap().unwrap();
    assert_eq!(command.state, "done");
    let message = command.message.unwrap();
    assert!(message.contains("Released the authorization"), "{message}");
    assert!(!message.contains("Refunded"), "{message}");
    let order = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(order.stage(), Stage::Voided);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_charge_result_is_shown_as_ignored_once() {
    let (sandbox, (_dir, _), app) = one_shop().await;
    let order_id = place_order(&app, "teabox", "now").await;
    approve_in_window(&app, &sandbox, &order_id).await;
    let order = wait_for_order(&app, &order_id, "subscribed", |o| o.recurring.is_some()).await;
    let recurring = order.recurring.unwrap();
    let first_due = recurring.next_charge();
    // The first monthly charge is applied: the next one is a month later.
    sim_post(&sandbox, "/_sim/clock", json!({"advance_days": 32})).await;
    wait_for_order(&app, &order_id, "charged", |o| {
        o.recurring.as_ref().unwrap().next_charge() != first_due
    })
    .await;
    // A result for the earlier charge arrives late (another transaction, the earlier due
    // date): stale, ignored — and said so, once.
    let stale = sandbox.sandbox().signed_form(&[
        ("mid", DEFAULT_MID.to_owned()),
        ("ref", order_id.clone()),
        ("cur", "USD".to_owned()),
        ("amt", "12.00".to_owned()),
        ("txntype", "PAYMENT".to_owned()),
        ("rescode", "0000".to_owned()),
        ("resmsg", "Success.".to_owned()),
        ("transid", "1849705C64W0000000000777".to_owned()),
        ("resdt", "20260101120000".to_owned()),
        ("recurringID", recurring.recurring_id().as_str().to_owned()),
        ("recurringRetry", "0".to_owned()),
        ("recurringNext", first_due.to_yyyymmdd()),
    ]);
    let before = app.shop.store.order(&order_id).await.unwrap().unwrap();
    for _ in 0..3 {
        assert_eq!(
            deliver(&app, "/eximbay/recurring", &stale).await,
            (200, "rescode=0000&resmsg=Success".to_owned())
        );
    }
    let after = app.shop.store.order(&order_id).await.unwrap().unwrap();
    assert_eq!(
        after.recurring.as_ref().unwrap().next_charge(),
        before.recurring.as_ref().unwrap().next_charge(),
        "nothing changed"
    );
    let events = app.shop.store.events(&order_id).await.unwrap();
    let ignored: Vec<_> = events.iter().filter(|e| e.kind == "ignored").collect();
    assert_eq!(ignored.len(), 1, "{events:?}");
    assert!(ignored[0].detail.contains("older than"), "{ignored:?}");
}
