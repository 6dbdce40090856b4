//! Two instances of the shop on one PostgreSQL database (a throwaway server started here:
//! `initdb` + `pg_ctl` from Debian's `postgresql` package, on a free port): the same
//! notification delivered to both at once is applied once; fifty refunds pressed at once on
//! both make exactly the refunds the balance allows, each once, and the sandbox's ledger
//! agrees with the database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use eximbay_tests::postgres::Postgres;
use support::concurrency::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_instances_apply_one_status_url_once() {
    let pg = Postgres::start();
    one_notification_to_two_instances(&pg.database("notify")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_fifty_concurrent_refunds_from_two_instances_make_exactly_what_the_balance_allows()
{
    let pg = Postgres::start();
    fifty_refunds_from_two_instances(&pg.database("refunds")).await;
}
