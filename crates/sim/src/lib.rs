//! # eximbay-sim
//!
//! A stateful local sandbox of the Eximbay gateway: a real HTTP server with a ledger,
//! a test clock, scripted faults and signed callbacks.
//!
//! * v1: `/v1/payments/{tid}/capture`, `/cancel`, `/v1/payments/retrieve`, `/verify`,
//!   `/ready`, `/v1/payments/recurring/{id}/delete` and `/adjust`, with the gateway's
//!   checks: Basic auth (`EC1000`), JSON content type (`EC1001`), 24-character transaction
//!   ids (`EC1002`), POST only (`EC1003`), fields the inventory does not name refused
//!   (`EC00`, naming the field; a choice per surface).
//! * legacy: `/Gateway/DirectProcessor.krp` with the guide's `QUERY`, `REFUND`, `CAPTURE`,
//!   `PAYMENT_PA`, `AUTHORIZE_PA`, `REBILL`, and the recurring guide's `RC_TERMINATE` and
//!   `RC_ADJUST`.
//! * Every request field a public source shows is accepted on its route ([`inventory`]).
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
//! * Test controls under `/_sim/` ([`routes::control`]) and a built-in merchant inbox.
//!
//! [`Sandbox::handle`] is sans-IO and usable in-process; [`server`] serves it over HTTP.
//!
//! The state — [`ledger`], [`recurring`] on the test clock, [`callbacks`] (signing, delivery
//! log, inbox), [`faults`] — is held by [`Sandbox`]; one module per surface under [`routes`]
//! (`v1`, `legacy`, `window`, `checkout`, `control`) turns a request into a command on that state and the result
//! into the gateway's answer. Routes depend on the state, never the other way. Each route
//! reads its request in two steps: what needs only the sandbox's fixed configuration
//! (authentication, parsing, fgkey checks — done by the server before it takes the lock),
//! then what reads or changes the state (done holding it).
//!
//! The sandbox reads requests with its own types (`routes::wire`), sharing only primitives
//! (`Amount`, `Currency`, fgkey) with the client core, so end-to-end tests check the
//! client's wire format against an independent reading of it.
#![forbid(unsafe_code)]

pub mod authentications;
pub mod behaviour;
pub mod callbacks;
pub mod commands;
pub mod faults;
pub mod inventory;
pub mod ledger;
#[cfg(feature = "server")]
mod local;
pub mod recurring;
mod results;
pub mod routes;
pub mod sandbox;
#[cfg(feature = "server")]
pub mod server;
pub mod tokens;
pub mod windows;

pub use behaviour::Behaviour;
pub use callbacks::Callback;
pub use faults::{Fault, FaultKind};
pub use routes::{Disposition, Handled};
pub use sandbox::{Sandbox, SandboxConfig};
#[cfg(feature = "server")]
pub use server::{RunningSandbox, ServerOptions};

/// The test controls' request types (`POST /_sim/payments`), where they were before the
/// sandbox was split into state and route modules.
pub mod control {
    pub use crate::ledger::{NewPayment, NewRecurring};
}

/// The legacy server-to-server path.
pub const DIRECT_PROCESSOR_PATH: &str = eximbay_core::config::DIRECT_PROCESSOR_PATH;
