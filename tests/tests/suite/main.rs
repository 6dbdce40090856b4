//! The cross-crate suites, one module each, in one test binary: one link instead of one per
//! suite, and the tests of every suite share the harness's threads. `docs/testing.md` says
//! what each module holds. Four suites keep a binary of their own: `browser.rs` (a real
//! Chromium), `sandbox_abuse.rs` (thousands of connections and a descriptor limit, timed),
//! `npm_client.rs` (Node.js and npm) and `readme.rs` (the docs' examples word for word; its
//! `UPDATE_DOCS=1` run rewrites the docs, so it stays on its own).
//!
//! insta names a snapshot after its module path (`snapshots/suite__wire_format__ready.snap`);
//! proptest keeps a suite's regressions beside its file (`properties.proptest-regressions`,
//! `payment_model.regressions`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod adapters;
mod authorization_expiry;
mod bad_input;
mod cash_sale;
mod client_under_choices;
mod corpus;
mod direct_processor;
mod first_hour;
mod fuzz_replay;
mod gateway_answers;
mod not_found_lag;
mod parsing;
mod payer_authentication;
mod payment_model;
mod persistence;
mod properties;
mod recurring_lifecycle;
mod retrieve_shapes;
mod sandbox;
mod sandbox_checks;
mod sandbox_choices;
mod sandbox_inventory;
mod sandbox_model;
mod secrets;
mod token_billing;
mod window;
mod wire_format;
