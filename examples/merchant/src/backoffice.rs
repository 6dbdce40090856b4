//! The back office: the orders, one order with its history, and the operator's buttons.
//! Every page and command here takes a [`SignedIn`] operator; every form is checked by
//! [`check_form`] (origin and CSRF token) before anything is done.
//!
//! Every button carries a command key minted by the server when the page is shown, recorded
//! with the order, the action and the operator it is for; a command whose key was not
//! minted, or was minted for another order, action or operator, is refused. Submitting the
//! same form twice (a double click, the back button) sends the same key, and the journal
//! answers the second with the first's result. Full refunds, releases, refunds above the
//! configured threshold and ending a subscription ask the operator to confirm first.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use eximbay_core::{Amount, PaymentStatus, RecurringStatus};
use minijinja::context;
use serde::{Deserialize, Serialize};

use crate::auth::{SignedIn, check_form, random_token};
use crate::commands::{self, Action, money};
use crate::error::ShopError;
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

/// `?page=` on the orders page.
#[derive(Debug, Deserialize)]
pub struct OrdersQuery {
    /// 1 for the newest orders.
    pub page: Option<u32>,
}

/// The deepest page `/orders` serves (a bound on the work one request can ask for).
pub const MAX_PAGE: u32 = 10_000;

/// `GET /orders`: one page of orders, newest first.
pub async fn orders_page(
    State(shop): State<Arc<Shop>>,
    session: SignedIn,
    Query(query): Query<OrdersQuery>,
) -> Result<Response, ShopError> {
    let page = query.page.unwrap_or(1).clamp(1, MAX_PAGE);
    let per_page = shop.settings.limits.orders_per_page.max(1);
    let offset = i64::from(page - 1) * per_page;
    let mut orders = shop
        .store
        .orders_page(per_page + 1, offset)
        .await
        .map_err(ShopError::Unavailable)?;
    let older = i64::try_from(orders.len()).unwrap_or(i64::MAX) > per_page;
    orders.truncate(usize::try_from(per_page).unwrap_or(usize::MAX));
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
    Ok(shop.pages.render(
        "orders.html",
        context! {
            orders => rows,
            page => page,
            newer => (page > 1).then(|| page - 1),
            older => (older && page < MAX_PAGE).then(|| page + 1),
            instance => &shop.settings.instance,
            operator => &session.operator,
            csrf => &session.csrf,
        },
    ))
}

/// The order, or why there is none.
pub(crate) async fn load_order(shop: &Shop, order_id: &str) -> Result<Order, ShopError> {
    shop.store
        .order(order_id)
        .await
        .map_err(ShopError::Unavailable)?
        .ok_or_else(|| {
            ShopError::refused(
                StatusCode::NOT_FOUND,
                "No such order",
                "Check the order number.",
            )
        })
}

/// `?command=` after a command, `?sandbox=` after a sandbox control.
#[derive(Debug, Deserialize)]
pub struct OrderQuery {
    /// The command whose result to show (looked up in the journal, never echoed).
    pub command: Option<String>,
    /// What the sandbox control did: one of the codes [`sandbox_note`] knows.
    pub sandbox: Option<String>,
}

/// The banner for a sandbox control's outcome code (`advanced-31`, `declined-3`,
/// `refused`, `unreachable`): the text is the shop's, only a bounded number comes from the
/// link. Anything else shows no banner.
pub fn sandbox_note(code: &str) -> Option<String> {
    let number = |rest: &str| rest.parse::<u32>().ok().filter(|n| *n <= 400);
    if let Some(days) = code.strip_prefix("advanced-").and_then(number) {
        return Some(format!("The sandbox clock moved {days} days forward."));
    }
    if let Some(count) = code.strip_prefix("declined-").and_then(number) {
        return Some(format!(
            "The sandbox will decline the next {count} charge(s)."
        ));
    }
    match code {
        "refused" => Some("The sandbox refused the control; nothing changed.".to_owned()),
        "unreachable" => Some("The sandbox did not answer; nothing changed.".to_owned()),
        _ => None,
    }
}

/// What the order page offers, given where the order stands.
#[derive(Debug, Default, Serialize)]
pub struct Buttons {
    capture: bool,
    refund: bool,
    refund_full: bool,
    reconcile: bool,
    adjust: bool,
    terminate: bool,
    sandbox: bool,
}

impl Buttons {
    /// The commands offered (each gets a minted key).
    fn actions(&self) -> Vec<&'static str> {
        [
            (self.capture, "capture"),
            (self.refund, "refund"),
            (self.refund_full, "refund_full"),
            (self.reconcile, "reconcile"),
            (self.adjust, "adjust"),
            (self.terminate, "terminate"),
        ]
        .into_iter()
        .filter_map(|(shown, action)| shown.then_some(action))
        .collect()
    }
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
    session: SignedIn,
    Path(order_id): Path<String>,
    Query(query): Query<OrderQuery>,
) -> Result<Response, ShopError> {
    let order = load_order(&shop, &order_id).await?;
    let events = shop
        .store
        .events(&order_id)
        .await
        .map_err(ShopError::Unavailable)?;
    let commands = shop
        .store
        .commands(&order_id)
        .await
        .map_err(ShopError::Unavailable)?;
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
    let mut minted: Vec<(String, &str)> = Vec::new();
    let extra_payments: Vec<_> = order
        .extra_payments
        .iter()
        .map(|p| {
            let refund = !p.refundable().is_zero() && p.status() != PaymentStatus::NeedsReconcile;
            let key = random_token();
            if refund {
                minted.push((key.clone(), "refund_extra"));
            }
            context! {
                transaction_id => p.transaction_id().as_str(),
                status => format!("{:?}", p.status()),
                captured => money(p.captured_amount(), exponent),
                refunded => money(p.refunded_amount(), exponent),
                refundable => money(p.refundable(), exponent),
                refund => refund,
                key => key,
            }
        })
        .collect();
    let embedded = matches!(shop.settings.gateway, Gateway::Embedded(_));
    let buttons = buttons(&order, embedded);
    // One fresh key per button shown, bound to this order, its action and this operator.
    let keys: BTreeMap<&str, String> = buttons
        .actions()
        .into_iter()
        .map(|action| (action, random_token()))
        .collect();
    minted.extend(keys.iter().map(|(a, k)| (k.clone(), *a)));
    // Valid as long as a session, from now by the database's clock.
    let lifetime = shop.settings.limits.session_seconds;
    shop.store
        .mint_command_keys(&order_id, &session.operator, &minted, lifetime)
        .await
        .map_err(ShopError::Unavailable)?;
    Ok(shop.pages.render(
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
            buttons => buttons,
            events => events,
            commands => commands,
            result => result,
            sandbox_note => query.sandbox.as_deref().and_then(sandbox_note),
            keys => keys,
            max_monthly => money(shop.settings.limits.max_monthly_amount, exponent),
            // Which clock the subscription's dates are on (the gateway checks its charge
            // day against its own).
            gateway_clock => match &shop.settings.gateway {
                Gateway::Embedded(_) => format!(
                    "the sandbox's test clock, now {}",
                    crate::pages::when(shop.gateway_now().0)
                ),
                Gateway::Remote(_) => "the gateway's clock (KST)".to_owned(),
            },
            instance => &shop.settings.instance,
            operator => &session.operator,
            csrf => &session.csrf,
        },
    ))
}

/// A back-office form.
#[derive(Debug, Deserialize)]
pub struct CommandForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
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
    /// `yes` once the operator confirmed (see [`confirmation`]).
    #[serde(default)]
    pub confirmed: Option<String>,
}

/// `POST /orders/{order_id}/commands`: checks the form (origin, CSRF token, the command
/// key's binding), asks for confirmation where one is due, runs the command, then shows
/// the order with its result.
pub async fn command(
    State(shop): State<Arc<Shop>>,
    session: SignedIn,
    Path(order_id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<CommandForm>,
) -> Result<Response, ShopError> {
    check_form(&shop, &headers, &session, &form.csrf)?;
    let key = form.command_key.trim();
    match shop
        .store
        .command_key(key)
        .await
        .map_err(ShopError::Unavailable)?
    {
        Some(bound)
            if bound.order_id == order_id
                && bound.action == form.action
                && bound.operator == session.operator => {}
        _ => {
            tracing::warn!(
                operator = session.operator,
                order = order_id,
                action = form.action,
                "a command key that was not minted for this command"
            );
            return Err(ShopError::refused(
                StatusCode::FORBIDDEN,
                "This form has expired",
                "Its command key was not issued for this order, action and operator. Nothing \
                 was sent: reload the order page and try again.",
            ));
        }
    }
    let order = load_order(&shop, &order_id).await?;
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
    let action = action.map_err(|message| {
        ShopError::refused(StatusCode::BAD_REQUEST, "Check the amount", message)
    })?;
    if form.confirmed.as_deref() != Some("yes") {
        if let Some((question, button)) = confirmation(&shop, &order, &action) {
            return Ok(shop.pages.render(
                "confirm.html",
                context! {
                    question => question,
                    button => button,
                    form => context! {
                        command_key => key,
                        action => &form.action,
                        amount => &form.amount,
                        reason => &form.reason,
                        payment => &form.payment,
                    },
                    order_id => &order.order_id,
                    buyer => &order.buyer,
                    amount => order.amount.to_string(),
                    currency => order.currency.code(),
                    instance => &shop.settings.instance,
                    operator => &session.operator,
                    csrf => &session.csrf,
                },
            ));
        }
    }
    let reason = form
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    match commands::run(&shop, &order_id, key, action, reason, &session.operator).await {
        Ok(record) => {
            let to = format!(
                "/orders/{}?command={}",
                urlencode(&order_id),
                urlencode(&record.command_key)
            );
            Ok(Redirect::to(&to).into_response())
        }
        Err(error) => {
            if let commands::RunError::Unrecorded(_) = error {
                // Money may have moved: never "nothing was changed". The command keeps the
                // order's lease and is settled with the gateway as soon as the database is
                // back.
                tracing::warn!(order_id, "command sent, answer not recorded: settling it");
                tokio::spawn(crate::reconcile::settle_command_later(
                    shop.clone(),
                    key.to_owned(),
                ));
            }
            Err(error.into())
        }
    }
}

/// What the operator must confirm before `action` is carried out, if anything: the
/// question and the button. Full refunds and releases of an authorization (money cannot be
/// taken back), refunds above the configured threshold, and ending a subscription.
pub fn confirmation(shop: &Shop, order: &Order, action: &Action) -> Option<(String, String)> {
    let currency = order.currency.code();
    let exponent = order.currency.exponent();
    let refundable = order
        .payment
        .as_ref()
        .map(|p| money(p.refundable(), exponent))
        .unwrap_or_default();
    let authorized = order
        .payment
        .as_ref()
        .is_some_and(|p| p.status() == PaymentStatus::Authorized);
    match action {
        Action::RefundFull if authorized => Some((
            format!(
                "Release the authorization of {refundable} {currency}? The buyer will not be \
                 charged, and it cannot be captured afterwards."
            ),
            format!("Release {refundable} {currency}"),
        )),
        Action::RefundFull => Some((
            format!(
                "Refund everything still refundable, {refundable} {currency}, to {}? A refund \
                 cannot be undone.",
                order.buyer
            ),
            format!("Refund {refundable} {currency}"),
        )),
        Action::Refund(amount) if amount.value() > shop.settings.limits.confirm_refund_above => {
            Some((
                format!(
                    "Refund {amount} {currency} to {}? It is above {} {currency}, and a refund \
                     cannot be undone.",
                    order.buyer,
                    money(shop.settings.limits.confirm_refund_above, exponent)
                ),
                format!("Refund {amount} {currency}"),
            ))
        }
        Action::RefundExtra(transaction_id) => {
            let extra = order
                .extra_payments
                .iter()
                .find(|p| p.transaction_id().as_str() == transaction_id)
                .map(|p| money(p.refundable(), exponent))
                .unwrap_or_default();
            Some((
                format!(
                    "Refund the other payment {transaction_id} in full, {extra} {currency}, to \
                     {}? A refund cannot be undone.",
                    order.buyer
                ),
                format!("Refund {extra} {currency}"),
            ))
        }
        Action::Terminate => Some((
            "End the subscription? No further monthly charges will be made, and it cannot be \
             restarted."
                .to_owned(),
            "End the subscription".to_owned(),
        )),
        _ => None,
    }
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
