//! The database recovers by itself: a full disk, a locked SQLite file and a stopped
//! PostgreSQL each fail the writes made meanwhile, and the first write after the cause is
//! gone succeeds — no restart.

use std::time::{Duration, Instant};

use crate::support::sqlite;
use eximbay_core::{Amount, Currency};
use eximbay_merchant::order::{Order, OrderKind};
use eximbay_merchant::store::{Decision, Store, StoreError};
use eximbay_tests::postgres::Postgres;
use sqlx::Connection;

fn order(order_id: &str) -> Order {
    Order {
        order_id: order_id.to_owned(),
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
    }
}

/// Writes one order and changes it: the two kinds of transaction the shop makes.
async fn writes(store: &Store, order_id: &str) -> Result<(), StoreError> {
    store.insert_order(&order(order_id), 0, "created").await?;
    store
        .change(order_id, 1, None, None, |_| Decision::Apply {
            kind: "note",
            detail: "changed".to_owned(),
        })
        .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_disk_full_fails_the_writes_and_the_first_write_after_space_is_freed_succeeds() {
    let (_dir, db) = sqlite();
    let store = Store::open(&db).await.unwrap();
    writes(&store, "O-BEFORE").await.unwrap();

    // The disk is full: the file may not grow past the pages it has now (SQLite answers
    // SQLITE_FULL exactly as on a full disk, and rolls the transaction back by itself).
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(store.pool())
        .await
        .unwrap();
    sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
        .execute(store.pool())
        .await
        .unwrap();
    let mut failed = None;
    for n in 0..500 {
        if let Err(error) = writes(&store, &format!("O-FULL-{n:03}")).await {
            failed = Some(error);
            break;
        }
    }
    let error = failed.expect("the writes fail once the file cannot grow");
    assert!(error.to_string().contains("full"), "{error}");
    // Still full (the connection that failed was replaced: cap the new one too): still
    // refused, in the same words — not a stuck transaction's.
    sqlx::query(&format!("PRAGMA max_page_count = {pages}"))
        .execute(store.pool())
        .await
        .unwrap();
    let again = writes(&store, "O-STILL-FULL").await.unwrap_err();
    assert!(again.to_string().contains("full"), "{again}");

    // Space is freed. No restart: the next writes succeed, and keep succeeding.
    sqlx::query("PRAGMA max_page_count = 1073741823")
        .execute(store.pool())
        .await
        .unwrap();
    for n in 0..3 {
        writes(&store, &format!("O-AFTER-{n}"))
            .await
            .unwrap_or_else(|e| panic!("write {n} after the space was freed: {e}"));
    }
    assert!(store.order("O-AFTER-2").await.unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_sqlite_file_fails_the_writes_and_they_succeed_once_it_is_unlocked() {
    let (_dir, db) = sqlite();
    let store = Store::open(&db).await.unwrap();
    writes(&store, "O-BEFORE").await.unwrap();

    // Another program holds the file's write lock.
    let mut other = sqlx::SqliteConnection::connect(&db).await.unwrap();
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut other)
        .await
        .unwrap();
    let error = writes(&store, "O-LOCKED").await.unwrap_err();
    assert!(error.to_string().contains("locked"), "{error}");

    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();
    writes(&store, "O-UNLOCKED")
        .await
        .expect("the first write after the lock is gone succeeds");
    assert!(store.order("O-LOCKED").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_postgresql_fails_the_writes_quickly_and_they_succeed_once_it_is_back() {
    let pg = Postgres::start();
    let db = pg.database("recovery");
    let store = Store::open(&db).await.unwrap();
    writes(&store, "O-BEFORE").await.unwrap();
    // PostgreSQL's clock is the shops' one clock (leases, record times).
    let system = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((store.now().await.unwrap() - system).abs() <= 5);

    pg.stop();
    let started = Instant::now();
    let error = writes(&store, "O-DOWN").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "a stopped server is reported within the acquire timeout, not after 30 s: {:?}",
        started.elapsed()
    );
    assert!(matches!(error, StoreError::Database(_)), "{error}");

    pg.resume();
    writes(&store, "O-BACK")
        .await
        .expect("the first write after the server is back succeeds");
    assert!(store.order("O-BACK").await.unwrap().is_some());
}
