//! The embedded sandbox's test controls, offered on a subscription's page to signed-in
//! operators only (they move the sandbox's clock and script its charges).
//!
//! The library does not depend on the sandbox: it is handed an [`EmbeddedSandbox`] — a base
//! URL and a clock — and drives the sandbox's `/_sim/…` controls over HTTP, as any other
//! program would. The binary makes one from `eximbay_sim::RunningSandbox` (`src/main.rs`,
//! behind the `embedded-sandbox` feature).

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use eximbay_core::Timestamp;
use serde::Deserialize;

use crate::auth::{SignedIn, check_form};
use crate::backoffice::load_order;
use crate::error::ShopError;
use crate::shop::{Gateway, Shop};

/// A sandbox running beside the shop, as the shop sees it: where it answers (the gateway's
/// routes and its `/_sim/…` controls) and its test clock, read in process — "now" for the
/// gateway (charge days, the window's dates, the sweeper's grace periods), which advancing
/// the clock from the back office moves.
#[derive(Clone)]
pub struct EmbeddedSandbox {
    base_url: String,
    clock: Arc<dyn Fn() -> Timestamp + Send + Sync>,
}

impl EmbeddedSandbox {
    /// A sandbox at `base_url` (`http://127.0.0.1:port`) whose test clock `clock` reads.
    pub fn new(
        base_url: impl Into<String>,
        clock: impl Fn() -> Timestamp + Send + Sync + 'static,
    ) -> Self {
        EmbeddedSandbox {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            clock: Arc::new(clock),
        }
    }

    /// Its base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Its test clock's "now".
    pub fn now(&self) -> Timestamp {
        (self.clock)()
    }
}

impl std::fmt::Debug for EmbeddedSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedSandbox")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// The sandbox control form.
#[derive(Debug, Deserialize)]
pub struct SandboxForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// `advance` (the test clock by `days`) or `decline` (the next `count` charges).
    pub action: String,
    /// Days to advance.
    #[serde(default)]
    pub days: Option<u32>,
    /// Charges to decline.
    #[serde(default)]
    pub count: Option<u32>,
}

/// `POST /orders/{order_id}/sandbox`: drives the embedded sandbox (its own HTTP controls,
/// so its callbacks are delivered as in any other run). The banner after it is one of the
/// codes [`crate::backoffice::sandbox_note`] knows.
pub async fn sandbox_control(
    State(shop): State<Arc<Shop>>,
    session: SignedIn,
    Path(order_id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<SandboxForm>,
) -> Result<Response, ShopError> {
    check_form(&shop, &headers, &session, &form.csrf)?;
    let Gateway::Embedded(sandbox) = &shop.settings.gateway else {
        return Err(ShopError::refused(
            StatusCode::NOT_FOUND,
            "No sandbox",
            "The shop talks to a real gateway; its clock cannot be moved from here.",
        ));
    };
    let order = load_order(&shop, &order_id).await?;
    let base = sandbox.base_url();
    let (url, body, note) = match (form.action.as_str(), &order.recurring) {
        ("advance", _) => {
            let days = form.days.unwrap_or(31).min(400);
            (
                format!("{base}/_sim/clock"),
                serde_json::json!({ "advance_days": days }),
                format!("advanced-{days}"),
            )
        }
        ("decline", Some(recurring)) => {
            let count = form.count.unwrap_or(3).min(10);
            (
                format!(
                    "{base}/_sim/recurring/{}/decline_next",
                    recurring.recurring_id()
                ),
                serde_json::json!({ "count": count, "rescode": "HE01" }),
                format!("declined-{count}"),
            )
        }
        _ => {
            return Err(ShopError::refused(
                StatusCode::BAD_REQUEST,
                "Unknown control",
                "Nothing changed.",
            ));
        }
    };
    tracing::info!(
        operator = session.operator,
        order = order_id,
        control = form.action,
        "sandbox control"
    );
    let sent = shop.http.post(url).json(&body).send().await;
    let note = match sent {
        Ok(response) if response.status().is_success() => note,
        Ok(response) => {
            tracing::warn!(status = %response.status(), "the sandbox refused a control");
            "refused".to_owned()
        }
        Err(error) => {
            tracing::warn!(%error, "the sandbox did not answer a control");
            "unreachable".to_owned()
        }
    };
    let to = format!(
        "/orders/{}?sandbox={}",
        form_urlencoded::byte_serialize(order_id.as_bytes()).collect::<String>(),
        note
    );
    Ok(Redirect::to(&to).into_response())
}
