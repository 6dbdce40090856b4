//! The embedded sandbox's test controls, offered on a subscription's page to signed-in
//! operators only (they move the sandbox's clock and script its charges).

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::{SignedIn, form_refusal};
use crate::backoffice::load_order;
use crate::shop::{Gateway, Shop};

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
) -> Response {
    if let Some(refused) = form_refusal(&shop, &headers, &session, &form.csrf) {
        return refused;
    }
    let Gateway::Embedded(sandbox) = &shop.settings.gateway else {
        return shop.pages.error(
            StatusCode::NOT_FOUND,
            "No sandbox",
            "The shop talks to a real gateway; its clock cannot be moved from here.",
        );
    };
    let order = match load_order(&shop, &order_id).await {
        Ok(order) => order,
        Err(page) => return page,
    };
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
            return shop.pages.error(
                StatusCode::BAD_REQUEST,
                "Unknown control",
                "Nothing changed.",
            );
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
    Redirect::to(&to).into_response()
}
