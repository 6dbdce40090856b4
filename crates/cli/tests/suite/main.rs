//! The `eximbay` binary's tests, one module per concern, in one test binary (one link
//! instead of one per file). Each runs the built `eximbay` (`CARGO_BIN_EXE_eximbay`), most
//! against a sandbox on a free loopback port.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod first_hour;
mod gateway_flows;
mod notifications_and_recurring;
mod payments;
mod sim_abuse;
mod sim_controls;
mod support;
