//! The back office: the orders, one order with its history, and the operator's buttons.
//!
//! Every form carries a fresh command key, minted when the page is shown: submitting the
//! same form twice (a double click, the back button) sends the same key, and the journal
//! answers the second with the first's result.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use eximbay_core::{Amount, PaymentStatus, RecurringStatus};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::commands::{self, Action, money};
use crate::order::Order;
use crate::shop::{Gateway, Shop};

/// One row of the orders page.
#[derive(Debug, Serialize)]
struct OrderRow {
    order_id: String,
    product: String,
    buyer: String,
    amount: String,
    stage: &'static str,
    stage_key: &'static str,
    created_at: i64,
}

/// `GET /orders`.
pub async fn orders_page(State(shop): State<Arc<Shop>>) -> Response {
    let orders = match shop.store.orders().await {
        Ok(orders) => orders,
        Err(error) => return unavailable(&shop, &error),
    };
    let rows: Vec<OrderRow> = orders
        .iter()
        .map(|o| OrderRow {
            order_id: o.order_id.clone(),
            product: o.product.clone(),
            buyer: o.buyer.clone(),
            amount: format!("{} {}", o.amount, o.currency.code()),
            stage: o.stage().label(),
            stage_key: o.stage().key(),
            created_at: o.created_at,
        })
        .collect();
    shop.pages.render(
        "orders.html",
        context! { orders => rows, instance => &shop.settings.instance },
    )
}

fn unavailable(shop: &Shop, error: &dyn std::fmt::Display) -> Response {
    tracing::error!(%error, "back office unavailable");
    shop.pages.error(
        StatusCode::SERVICE_UNAVAILABLE,
        "The orders cannot be read right now",
        "The database did not answer. Nothing was changed; reload in a moment.",
    )
}

/// The order, or the page that says why there is none.
async fn load_order(shop: &Shop, order_id: &str) -> Result<Order, Response> {
    match shop.store.order(order_id).await {
        Ok(Some(order)) => Ok(order),
        Ok(None) => Err(shop.pages.error(
            StatusCode::NOT_FOUND,
            "No such order",
            "Check the order number.",
        )),
        Err(error) => Err(unavailable(shop, &error)),
    }
}

/// `?command=` after a command, `?sandbox=` after a sandbox control.
#[derive(Debug, Deserialize)]
pub struct OrderQuery {
    /// The command whose result to show.
    pub command: Option<String>,
    /// What the sandbox control did.
    pub sandbox: Option<String>,
}

/// What the order page offers, given where the order stands.
#[derive(Debug, Default, Serialize)]
struct Buttons {
    capture: bool,
    refund: bool,
    refund_full: bool,
    reconcile: bool,
    adjust: bool,
    terminate: bool,
    sandbox: bool,
}

fn buttons(order: &Order, embedded: bool) -> Buttons {
    let status = order.payment.as_ref().map(|p| p.status());
    let refundable = order
        .payment
        .as_ref()
        .is_some_and(|p| !p.refundable().is_zero());
    let paid = matches!(
        status,
        Some(PaymentStatus::Captured | PaymentStatus::PartiallyRefunded)
    );
    let live_subscription = order
        .recurring
        .as_ref()
        .is_some_and(|r| !matches!(r.status(), RecurringStatus::Terminated { .. }));
    Buttons {
        capture: status == Some(PaymentStatus::Authorized),
        refund: paid
            && refundable
            && order
                .payment
                .as_ref()
                .and_then(|p| p.partially_cancelable())
                != Some(false),
        refund_full: (paid || status == Some(PaymentStatus::Authorized)) && refundable,
        reconcile: order.payment.is_some(),
        adjust: live_subscription,
        terminate: live_subscription,
        sandbox: embedded && order.recurring.is_some(),
    }
}

/// `GET /orders/{order_id}`.
pub async fn order_page(
    State(shop): State<Arc<Shop>>,
    Path(order_id): Path<String>,
    Query(query): Query<OrderQuery>,
) -> Response {
    let order = match load_order(&shop, &order_id).await {
        Ok(order) => order,
        Err(page) => return page,
    };
    let (events, commands) = match (
        shop.store.events(&order_id).await,
        shop.store.commands(&order_id).await,
    ) {
        (Ok(events), Ok(commands)) => (events, commands),
        (Err(error), _) | (_, Err(error)) => return unavailable(&shop, &error),
    };
    let result = query
        .command
        .as_deref()
        .and_then(|key| commands.iter().find(|c| c.command_key == key));
    let exponent = order.currency.exponent();
    let currency = order.currency.code();
    let payment = order.payment.as_ref().map(|p| {
        context! {
            transaction_id => p.transaction_id().as_str(),
            status => format!("{:?}", p.status()),
            captured => money(p.captured_amount(), exponent),
            refunded => money(p.refunded_amount(), exponent),
            refundable => money(p.refundable(), exponent),
        }
    });
    let recurring = order.recurring.as_ref().map(|r| {
        context! {
            recurring_id => r.recurring_id().as_str(),
            amount => r.amount().to_string(),
            next_charge => r.next_charge().to_string(),
            label => order.subscription_label(),
        }
    });
    // Every other payment of the order: a buyer who paid twice, each refundable here.
    let extra_payments: Vec<_> = order
        .extra_payments
        .iter()
        .map(|p| {
            context! {
                transaction_id => p.transaction_id().as_str(),
                status => format!("{:?}", p.status()),
                captured => money(p.captured_amount(), exponent),
                refunded => money(p.refunded_amount(), exponent),
                refundable => money(p.refundable(), exponent),
                refund => !p.refundable().is_zero()
                    && p.status() != PaymentStatus::NeedsReconcile,
                key => uuid::Uuid::new_v4().to_string(),
            }
        })
        .collect();
    let embedded = matches!(shop.settings.gateway, Gateway::Embedded(_));
    shop.pages.render(
        "order.html",
        context! {
            order_id => &order.order_id,
            product => &order.product,
            kind => order.kind.as_str(),
            transaction_type => &order.transaction_type,
            buyer => &order.buyer,
            email => &order.email,
            amount => order.amount.to_string(),
            currency => currency,
            stage => order.stage().label(),
            stage_key => order.stage().key(),
            hold => &order.hold,
            version => order.version,
            payment => payment,
            extra_payments => extra_payments,
            paid_twice => order.paid_twice(),
            authorized => order.payment.as_ref().map(|p| p.status()) == Some(PaymentStatus::Authorized),
            recurring => recurring,
            buttons => buttons(&order, embedded),
            events => events,
            commands => commands,
            result => result,
            sandbox_note => query.sandbox,
            // Fresh keys: one per form, so each button is its own command.
            keys => (0..6).map(|_| uuid::Uuid::new_v4().to_string()).collect::<Vec<_>>(),
            instance => &shop.settings.instance,
        },
    )
}

/// A back-office form.
#[derive(Debug, Deserialize)]
pub struct CommandForm {
    /// The key minted with the form.
    pub command_key: String,
    /// `capture`, `refund`, `refund_full`, `reconcile`, `adjust`, `terminate`.
    pub action: String,
    /// For `refund` and `adjust`.
    #[serde(default)]
    pub amount: Option<String>,
    /// For refunds.
    #[serde(default)]
    pub reason: Option<String>,
    /// For `refund_extra`: the transaction id of the order's extra payment.
    #[serde(default)]
    pub payment: Option<String>,
}

/// `POST /orders/{order_id}/commands`: runs the command, then shows the order with its
/// result.
pub async fn command(
    State(shop): State<Arc<Shop>>,
    Path(order_id): Path<String>,
    Form(form): Form<CommandForm>,
) -> Response {
    let key = form.command_key.trim();
    if key.is_empty() || key.len() > 64 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return shop.pages.error(
            StatusCode::BAD_REQUEST,
            "This form has expired",
            "Reload the order page and try again.",
        );
    }
    let order = match load_order(&shop, &order_id).await {
        Ok(order) => order,
        Err(page) => return page,
    };
    let amount = || -> Result<Amount, String> {
        let text = form.amount.as_deref().unwrap_or_default().trim();
        Amount::parse_in(text, &order.currency).map_err(|e| {
            format!(
                "“{text}” is not an amount in {}: {e}. Nothing was sent.",
                order.currency.code()
            )
        })
    };
    let action = match form.action.as_str() {
        "capture" => Ok(Action::Capture),
        "refund" => amount().map(Action::Refund),
        "refund_full" => Ok(Action::RefundFull),
        "refund_extra" => form
            .payment
            .as_deref()
            .map(str::trim)
            .filter(|tid| {
                order
                    .extra_payments
                    .iter()
                    .any(|p| p.transaction_id().as_str() == *tid)
            })
            .map(|tid| Action::RefundExtra(tid.to_owned()))
            .ok_or_else(|| "This order has no such extra payment. Nothing was sent.".to_owned()),
        "reconcile" => Ok(Action::Reconcile),
        "adjust" => amount().map(Action::Adjust),
        "terminate" => Ok(Action::Terminate),
        _ => Err("Unknown action. Nothing was sent.".to_owned()),
    };
    let action = match action {
        Ok(action) => action,
        Err(message) => {
            return shop
                .pages
                .error(StatusCode::BAD_REQUEST, "Check the amount", &message);
        }
    };
    let reason = form
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    match commands::run(&shop, &order_id, key, action, reason).await {
        Ok(record) => {
            let to = format!(
                "/orders/{}?command={}",
                urlencode(&order_id),
                urlencode(&record.command_key)
            );
            Redirect::to(&to).into_response()
        }
        Err(commands::RunError::Unrecorded(error)) => {
            // Money may have moved: never "nothing was changed". The command keeps the
            // order's lease and is settled with the gateway as soon as the database is back.
            tracing::error!(%error, order_id, "command sent, answer not recorded");
            tokio::spawn(crate::reconcile::settle_command_later(
                shop.clone(),
                key.to_owned(),
            ));
            shop.pages.error(
                StatusCode::SERVICE_UNAVAILABLE,
                "The gateway may have done it — checking",
                "The request reached the gateway, but its answer could not be recorded (the \
                 database did not answer). The shop is checking with the gateway and the \
                 order will show the result. Do not repeat it.",
            )
        }
        Err(commands::RunError::NotSent(error)) => unavailable(&shop, &error),
    }
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The embedded sandbox's test controls, offered on a subscription's page.
#[derive(Debug, Deserialize)]
pub struct SandboxForm {
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
/// so its callbacks are delivered as in any other run).
pub async fn sandbox_control(
    State(shop): State<Arc<Shop>>,
    Path(order_id): Path<String>,
    Form(form): Form<SandboxForm>,
) -> Response {
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
                format!("The sandbox clock moved {days} days forward."),
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
                format!("The sandbox will decline the next {count} charge(s)."),
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
    let sent = shop.http.post(url).json(&body).send().await;
    let note = match sent {
        Ok(response) if response.status().is_success() => note,
        Ok(response) => format!("The sandbox refused: HTTP {}", response.status()),
        Err(error) => format!("The sandbox did not answer: {error}"),
    };
    let to = format!(
        "/orders/{}?sandbox={}",
        urlencode(&order_id),
        urlencode(&note)
    );
    Redirect::to(&to).into_response()
}
