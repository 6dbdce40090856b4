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
//! * [`error`]: [`ShopError`], what a handler answers instead (axum's `IntoResponse`).
#![forbid(unsafe_code)]

pub mod auth;
pub mod backoffice;
pub mod checkout;
pub mod commands;
pub mod error;
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

pub use crate::error::ShopError;
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

/// How long a client has to send a request's headers — on a new connection and between
/// requests on a kept-alive one — before the connection is closed: idle connections do not
/// pile up.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// The most connections served at once; a connection beyond it is closed at once, so one
/// client holding many cannot exhaust the process's file descriptors.
pub const MAX_CONNECTIONS: usize = 512;

/// Serves the shop on `listener`, with the sweeper running beside it, until the process
/// ends. The sweeper's first pass (interrupted commands, unknown outcomes, lost
/// notifications) starts at once; the shop serves while it runs.
///
/// axum's router on hyper's HTTP/1 connection, driven here rather than by `axum::serve`,
/// for [`HEADER_READ_TIMEOUT`] and [`MAX_CONNECTIONS`]; a failed accept (out of file
/// descriptors) is logged and retried, never the end of the shop.
pub async fn serve(shop: Arc<Shop>, listener: tokio::net::TcpListener) -> std::io::Result<()> {
    use axum::extract::connect_info::ConnectInfo;
    use hyper_util::rt::{TokioIo, TokioTimer};

    tokio::spawn(reconcile::sweeper(shop.clone()));
    let app = router(shop);
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "accept failed; retrying");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "too many connections; closing this one");
            continue;
        };
        // With the client's address, for the sign-in and checkout limits.
        let service = hyper_util::service::TowerToHyperService::new(
            app.clone()
                .layer(axum::Extension(ConnectInfo::<SocketAddr>(peer))),
        );
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended");
            }
            drop(slot);
        });
    }
}
