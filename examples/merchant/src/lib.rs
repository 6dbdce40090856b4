//! # eximbay-merchant
//!
//! A shop built on eximbay-rs the way a merchant would build one: axum for the web, sqlx for
//! the orders (SQLite by default, PostgreSQL with `DATABASE_URL=postgres://…`), the async
//! adapter for the gateway, minijinja templates for the pages.
//!
//! * [`checkout`]: the shop, checkout into the payment window (v1 `ready` + `request_pay`
//!   for the one-off item, the legacy signed form with a recurring registration for the
//!   subscription), and `return_url`, which only shows the buyer where things stand.
//! * [`notify`]: `status_url` and `recurringURL`: verify the fgkey, check MID, amount and
//!   currency against the order, apply once, acknowledge every delivery.
//! * [`auth`]: operators, sign-in and sessions; every back-office page and form requires a
//!   signed-in operator, and every form passes an origin and a CSRF check.
//! * [`backoffice`]: the orders pages and the operator's commands (capture, refunds,
//!   subscription adjust and terminate), each with a server-minted key bound to the order,
//!   the action and the operator, journalled before the gateway is called.
//! * [`security`]: the security headers (a CSP with per-response nonces) on every page.
//! * [`reconcile`]: settles unknown outcomes with the gateway, at start and periodically.
//! * [`store`]: the database, where every change is a compare-and-swap.
#![forbid(unsafe_code)]

pub mod auth;
pub mod backoffice;
pub mod checkout;
pub mod commands;
pub mod limiter;
pub mod notify;
pub mod order;
pub mod pages;
pub mod reconcile;
pub mod sandbox_control;
pub mod secrets;
pub mod security;
pub mod shop;
pub mod store;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use crate::shop::{Gateway, Limits, Settings, SetupError, Shop};

/// Notification bodies above this are refused (the core refuses over 64 KiB too).
pub const BODY_LIMIT: usize = 64 * 1024;

/// The shop's routes: the buyer's pages and the gateway's callbacks open to all, the back
/// office and the sandbox controls behind sign-in, the security headers on every response.
pub fn router(shop: Arc<Shop>) -> Router {
    Router::new()
        .route("/", get(checkout::shop_page))
        .route("/checkout", post(checkout::checkout))
        .route("/return", get(checkout::returned).post(checkout::returned))
        .route("/eximbay/status", post(notify::status_url))
        .route("/eximbay/recurring", post(notify::recurring_url))
        .route("/sign-in", get(auth::sign_in_page).post(auth::sign_in))
        .route("/sign-out", post(auth::sign_out))
        .route("/orders", get(backoffice::orders_page))
        .route("/orders/{order_id}", get(backoffice::order_page))
        .route("/orders/{order_id}/commands", post(backoffice::command))
        .route(
            "/orders/{order_id}/sandbox",
            post(sandbox_control::sandbox_control),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            shop.clone(),
            security::headers,
        ))
        .with_state(shop)
}

/// Serves the shop on `listener`, with the sweeper running beside it, until the process
/// ends. The sweeper's first pass (interrupted commands, unknown outcomes, lost
/// notifications) starts at once; the shop serves while it runs.
pub async fn serve(shop: Arc<Shop>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    tokio::spawn(reconcile::sweeper(shop.clone()));
    // With the client's address, for the sign-in and checkout limits.
    let app = router(shop).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).await
}
