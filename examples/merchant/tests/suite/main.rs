//! The shop's tests, one module per concern, in one test binary (one link instead of one per
//! file): end to end over HTTP against the sandbox, on SQLite (and a throwaway PostgreSQL
//! where a module says so). Two keep a binary of their own: `browser.rs` (a real Chromium)
//! and `postgres.rs` (two instances on one throwaway PostgreSQL server, fifty refunds at
//! once).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

#[path = "../support/mod.rs"]
mod support;

mod back_office;
mod binary;
mod cash_sale;
mod clocks;
mod connections;
mod honest_messages;
mod no_paid_order_lost;
mod recovery;
mod sessions;
mod shop;
mod sqlite;
mod subscription;
