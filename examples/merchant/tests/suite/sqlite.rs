//! The concurrency scenarios of `postgres.rs` on SQLite: two instances on one database file
//! (each with its own connection; `BEGIN IMMEDIATE` makes writers wait for each other).

use crate::support::concurrency::*;
use crate::support::sqlite;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_two_instances_apply_one_status_url_once() {
    let (_dir, db) = sqlite();
    one_notification_to_two_instances(&db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_fifty_concurrent_refunds_from_two_instances_make_exactly_what_the_balance_allows() {
    let (_dir, db) = sqlite();
    fifty_refunds_from_two_instances(&db).await;
}
