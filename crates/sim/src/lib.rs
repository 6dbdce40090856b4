//! # eximbay-sim
//!
//! A stateful local sandbox of the Eximbay gateway: a real HTTP server with a ledger,
//! a test clock, scripted faults and signed callbacks.
//!
//! * v1: `/v1/payments/{tid}/capture`, `/cancel`, `/v1/payments/retrieve`, `/verify`,
//!   `/ready`, `/v1/payments/recurring/{id}/delete` and `/adjust`, with the gateway's
//!   checks: Basic auth (`EC1000`), JSON content type (`EC1001`), 24-character transaction
//!   ids (`EC1002`), POST only (`EC1003`), undeclared fields refused (`EC00`).
//! * legacy: `/Gateway/DirectProcessor.krp` with `RC_TERMINATE` and `RC_ADJUST`.
//! * A ledger with the gateway's rules: capture only `AUTHORIZE` payments, once, for the
//!   whole amount; refunds up to the balance with the `balance` guard; KRW/JPY/VND whole
//!   numbers; retrieve answers `SALE | AUTH | REGISTERED | NONE` with `balance`.
//! * Where the gateway's behaviour is undocumented (a repeated `refund_id`, `F` after a
//!   partial refund, how amounts are echoed, signed legacy calls, a retrieve of an unknown
//!   id) the sandbox's choice is a named option ([`behaviour`]), so tests run the client
//!   under each.
//! * Cash / bank-transfer payments: registered first (`status=Registered` with a
//!   `paymentURL`), then settled (`Sale`) or expired (`Void`) by test controls.
//! * Recurring registrations on a test clock: monthly charges on the charge date, a failed
//!   charge retried on the next two days, termination after the third failure, every result
//!   POSTed signed to the `recurringURL`; adjustments refused on the charge day (KST).
//! * Signed `status_url` callbacks, redelivered until acknowledged (up to 3 retries).
//! * Test controls under `/_sim/` ([`control`]) and a built-in merchant inbox.
//!
//! [`Sandbox::handle`] is sans-IO and usable in-process; [`server`] serves it over HTTP.
//!
//! The sandbox reads requests with its own types (module `wire`), sharing only primitives
//! (`Amount`, `Currency`, fgkey) with the client core, so end-to-end tests check the
//! client's wire format against an independent reading of it.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod behaviour;
pub mod control;
pub mod sandbox;
pub mod server;
mod wire;

pub use behaviour::Behaviour;
pub use sandbox::{Callback, Disposition, Fault, FaultKind, Handled, Sandbox, SandboxConfig};
pub use server::{RunningSandbox, ServerOptions};

/// The legacy server-to-server path.
pub const DIRECT_PROCESSOR_PATH: &str = eximbay_core::config::DIRECT_PROCESSOR_PATH;
