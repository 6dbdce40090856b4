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
//!   id) the sandbox's choice is a named option ([`Behaviour`]), so tests run the client
//!   under each.
//! * Cash / bank-transfer payments: registered first (`status=Registered` with a
//!   `paymentURL`), then settled (`Sale`) or expired (`Void`) by test controls.
//! * Recurring registrations on a test clock: monthly charges on the charge date, a failed
//!   charge retried on the next two days, termination after the third failure, every result
//!   POSTed signed to the `recurringURL`; adjustments refused on the charge day (KST).
//! * Signed `status_url` callbacks, redelivered until acknowledged (up to 3 retries).
//! * Test controls under `/_sim/` and a built-in merchant inbox.
//!
//! [`Sandbox::handle`] is sans-IO and usable in-process; [`serve`] and [`RunningSandbox`]
//! serve it over HTTP.
//!
//! # One front door
//!
//! Every public type, function and constant is at the crate root, under one path; the
//! modules are private. The one exception is [`inventory`], a catalogue of fields read by
//! its module's name (`inventory::markdown()`, `inventory::LEGACY_WINDOW`).
//!
//! The state — the [`Ledger`], the recurring [`Registrations`] on the test clock, the
//! callbacks (signing, the [`DeliveryLog`], the [`Inbox`]), the scripted [`Faults`] — is held
//! by [`Sandbox`]; one private module per surface under `routes` (`v1`, `legacy`, `window`,
//! `checkout`, `test_controls`) turns a request into a command on that state and the result
//! into the gateway's answer. Routes depend on the state, never the other way. Each route
//! reads its request in two steps: what needs only the sandbox's fixed configuration
//! (authentication, parsing, fgkey checks — done by the server before it takes the lock),
//! then what reads or changes the state (done holding it).
//!
//! The sandbox reads requests with its own types (`routes::wire`), sharing only primitives
//! (`Amount`, `Currency`, fgkey) with the client core, so end-to-end tests check the
//! client's wire format against an independent reading of it.
#![forbid(unsafe_code)]

mod authentications;
mod behaviour;
mod callbacks;
mod commands;
mod faults;
pub mod inventory;
mod ledger;
#[cfg(feature = "server")]
mod local;
mod recurring;
mod results;
mod routes;
mod sandbox;
#[cfg(feature = "server")]
mod server;
mod tokens;
mod windows;

// The sandbox and how it is made.
pub use sandbox::{
    DEFAULT_API_KEY, DEFAULT_MID, DEFAULT_SECRET_KEY, LEDGER_PAGE_MAX, MAX_ADVANCE_DAYS, Sandbox,
    SandboxConfig,
};

// What one request gives back.
pub use routes::{Disposition, Handled, MAX_BODY_BYTES};

// The commands the state takes.
pub use commands::{CancelAmounts, CancelCommand, NewPayment, NewRecurring};

// The state: payments, payer authentications, stored cards, recurring registrations,
// payment windows, scripted faults, callbacks.
pub use authentications::{Authentication, Authentications};
pub use callbacks::{
    CALLBACK_ATTEMPTS, Callback, DELIVERY_HISTORY_MAX, Delivery, DeliveryLog, INBOX_MAX_BYTES,
    INBOX_MAX_ENTRIES, INBOX_PAGE_MAX, INBOX_PAGE_MAX_BYTES, Inbox, InboxEntry, InboxPage,
};
pub use faults::{Fault, FaultKind, Faults, MAX_FAULTS};
pub use ledger::{Ledger, LedgerPayment, LedgerRefund, Refusal};
pub use recurring::{ChargeAttempt, Registration, RegistrationStatus, Registrations};
pub use tokens::{StoredCard, Tokens};
pub use windows::{Flow, WINDOWS_MAX, WindowLine, WindowSession, Windows};

// The choices where the gateway's behaviour is not documented, and their sources.
pub use behaviour::sources::{CHOICES, ChoiceSource, FIXED_READINGS};
pub use behaviour::{
    Behaviour, BuyerCancelCode, CallbackNames, CancelBeforeCapture, CashSaleTransactionId,
    EchoedAmounts, FgkeyFailure, FieldPolicy, FullRefundAfterPartial, IdLengths, LegacySignature,
    MissingRequired, RebillLines, Redelivery, RefundBalance, RepeatedRefundId, RetrieveByOrder,
    RetrieveLag, RetrieveShape, SecondConfirm, Surface, TokenDeleteBody, TokenLookupAnswer,
    UndeclaredFields, UnknownTransaction,
};

// What the payment window shows and answers.
pub use results::PAY_TO;
pub use routes::window::{TEST_CARD, WINDOW_CANCEL_RESCODE, WINDOW_DECLINE_RESCODE};

// The HTTP server and its bounds.
pub use routes::pages::ADVANCE_STEP_CHARGES;
#[cfg(feature = "server")]
pub use server::{
    ACCEPT_BACKOFF, ADVANCE_STEP_HOLD, ADVANCE_STEP_PAUSE, CLOSE_GRACE, LISTEN_BACKLOG,
    PAGE_WRITERS, RunningSandbox, ServerOptions, SharedSandbox, deliver, lock, locked, serve,
};

/// The legacy server-to-server path.
pub const DIRECT_PROCESSOR_PATH: &str = eximbay_core::config::DIRECT_PROCESSOR_PATH;
