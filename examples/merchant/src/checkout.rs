//! The buyer's side: the shop page, checkout into the payment window, and `return_url`.
//!
//! The one-off item goes through the v1 window: the server sends `ready` (which returns the
//! fgkey for this exact body) and the page hands the SDK the very same payload
//! (`request_pay`). The subscription goes through the legacy window: the core signs the
//! whole form, recurring registration included, as a page that posts itself.
//!
//! `return_url` never marks an order paid: the browser brings back whatever the buyer's
//! browser says. It shows the order as the database knows it, which only `status_url`
//! changes.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Instant;

use axum::Form;
use axum::extract::{Query, RawForm, State};
use axum::http::StatusCode;
use axum::response::Response;
use eximbay_core::ops::ready::Ready;
use eximbay_core::registration::RecurringRegistration;
use eximbay_core::window::{Line, PaymentForm};
use eximbay_core::{Amount, Currency, Lang, Notification, OrderId, TransactionType};
use minijinja::context;
use serde::Deserialize;

use crate::error::ShopError;
use crate::order::{Order, OrderKind};
use crate::shop::Shop;

/// Something the shop sells.
#[derive(Clone, Copy, Debug)]
pub struct Product {
    /// The form's value.
    pub key: &'static str,
    /// Its name.
    pub name: &'static str,
    /// The price in USD (for the subscription: every month, the first month included).
    pub price: &'static str,
    /// One-off or monthly.
    pub kind: OrderKind,
}

/// The catalogue.
pub const PRODUCTS: [Product; 2] = [
    Product {
        key: "sampler",
        name: "Jeju green tea sampler",
        price: "25.00",
        kind: OrderKind::Item,
    },
    Product {
        key: "teabox",
        name: "Monthly tea box",
        price: "12.00",
        kind: OrderKind::Subscription,
    },
];

/// The shop's name in the payment window.
pub const SHOP_NAME: &str = "Tea & Co";

/// `GET /`: the shop.
pub async fn shop_page(State(shop): State<Arc<Shop>>) -> Response {
    let products: Vec<_> = PRODUCTS
        .iter()
        .map(|p| {
            context! { key => p.key, name => p.name, price => p.price,
            monthly => p.kind == OrderKind::Subscription }
        })
        .collect();
    shop.pages.render(
        "shop.html",
        context! { products => products, instance => &shop.settings.instance },
    )
}

/// The checkout form.
#[derive(Debug, Deserialize)]
pub struct CheckoutForm {
    /// Which product.
    pub product: String,
    /// `now` (a `PAYMENT`) or `later` (an `AUTHORIZE`, captured from the back office).
    #[serde(default)]
    pub capture: Option<String>,
    /// The buyer's name.
    pub buyer: String,
    /// The buyer's e-mail.
    pub email: String,
}

/// `POST /checkout`: records the order, then opens the payment window. Limited per client
/// address ([`crate::shop::Limits::checkouts_per_client`]): each checkout costs a `ready`
/// call at the gateway.
pub async fn checkout(
    State(shop): State<Arc<Shop>>,
    extensions: axum::http::Extensions,
    Form(form): Form<CheckoutForm>,
) -> Result<Response, ShopError> {
    let client = crate::auth::client_address(&extensions)
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |a| a.ip());
    let limits = &shop.settings.limits;
    if !shop.checkouts.allow(
        client,
        limits.checkouts_per_client,
        limits.checkout_window,
        Instant::now(),
    ) {
        tracing::warn!(%client, "checkout refused: over the per-client limit");
        return Err(ShopError::refused(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many orders at once",
            "This connection has placed many orders in a short time. Nothing was charged; \
             please try again in a few minutes.",
        ));
    }
    let Some(product) = PRODUCTS.iter().find(|p| p.key == form.product) else {
        return Err(ShopError::refused(
            StatusCode::BAD_REQUEST,
            "No such product",
            "Go back to the shop and choose one of its products.",
        ));
    };
    let buyer = form.buyer.trim();
    let email = form.email.trim();
    if buyer.is_empty() || !email.contains('@') || buyer.len() > 64 || email.len() > 128 {
        return Err(ShopError::refused(
            StatusCode::BAD_REQUEST,
            "Check your details",
            "We need your name and a valid e-mail address for the receipt.",
        ));
    }
    let transaction_type = match (product.kind, form.capture.as_deref()) {
        (OrderKind::Item, Some("later")) => TransactionType::Authorize,
        _ => TransactionType::Payment,
    };
    let currency = Currency::Usd;
    let amount = Amount::parse_in(product.price, &currency).map_err(ShopError::checkout)?;
    let created_at = shop.db_clock().await.map_err(ShopError::checkout)?;
    let order = Order {
        order_id: new_order_id(),
        kind: product.kind,
        product: product.name.to_owned(),
        transaction_type: transaction_type.as_str().to_owned(),
        currency,
        amount,
        buyer: buyer.to_owned(),
        email: email.to_owned(),
        payment: None,
        extra_payments: Vec::new(),
        recurring: None,
        hold: None,
        version: 1,
        created_at,
        placed_at_gateway: Some(shop.gateway_now().0),
    };
    let created = format!(
        "Order placed by {buyer}: {} {} {} ({})",
        product.name,
        order.amount,
        order.currency.code(),
        transaction_type.as_str()
    );
    shop.store
        .insert_order(&order, order.created_at, &created)
        .await
        .map_err(ShopError::checkout)?;
    match product.kind {
        OrderKind::Item => v1_window(&shop, &order, transaction_type).await,
        OrderKind::Subscription => legacy_window(&shop, &order),
    }
}

fn new_order_id() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string().to_uppercase();
    format!("O-{}", id.get(..12).unwrap_or(&id))
}

/// The one-off item: `ready`, then the page calls the SDK with the same payload.
async fn v1_window(
    shop: &Shop,
    order: &Order,
    transaction_type: TransactionType,
) -> Result<Response, ShopError> {
    let mut ready = Ready::new(
        transaction_type,
        OrderId::new(&order.order_id),
        order.currency.clone(),
        order.amount.clone(),
        Lang::En,
        (&order.buyer, &order.email),
        shop.return_url(),
        shop.status_url(),
    );
    ready.products = vec![Line::new(&order.product, 1, order.amount.clone())];
    let prepared = match shop.client.send(&ready).await {
        Ok(prepared) => prepared,
        Err(error) => {
            tracing::warn!(%error, order = order.order_id, "ready failed");
            return Err(ShopError::refused(
                StatusCode::BAD_GATEWAY,
                "The payment window could not be opened",
                "The payment service did not answer. Nothing was charged; please try again.",
            ));
        }
    };
    let text = ready
        .request_pay(&shop.cfg, &prepared)
        .map_err(ShopError::checkout)?;
    let payload = serde_json::from_str::<serde_json::Value>(&text).map_err(ShopError::checkout)?;
    Ok(shop.pages.render(
        "pay.html",
        context! {
            order_id => &order.order_id,
            sdk => format!("{}/v1/javascriptSDK.js", shop.settings.gateway.base_url()),
            payload => payload,
            instance => &shop.settings.instance,
        },
    ))
}

/// The subscription: the legacy form with a monthly registration, signed by the core.
fn legacy_window(shop: &Shop, order: &Order) -> Result<Response, ShopError> {
    let form = PaymentForm {
        transaction_type: TransactionType::Payment,
        order_id: OrderId::new(&order.order_id),
        currency: order.currency.clone(),
        amount: order.amount.clone(),
        shop: SHOP_NAME.to_owned(),
        buyer: order.buyer.clone(),
        email: order.email.clone(),
        tel: None,
        lang: Lang::En,
        return_url: shop.return_url(),
        status_url: shop.status_url(),
        display_type: None,
        os_type: None,
        params: Default::default(),
        items: vec![Line::new(&order.product, 1, order.amount.clone())],
        surcharges: Vec::new(),
        recurring: Some(RecurringRegistration::new(
            order.amount.clone(),
            shop.recurring_url(),
        )),
        options: Default::default(),
    };
    let signed = form
        .sign(&shop.cfg, shop.gateway_now())
        .map_err(ShopError::checkout)?;
    // The core's signed fields in a page that posts itself to the window (the template
    // escapes every value; its script carries the response's CSP nonce).
    Ok(shop.pages.render(
        "post.html",
        context! { action => signed.action, fields => signed.fields },
    ))
}

/// `GET ?order=` when the buyer reloads the page.
#[derive(Debug, Deserialize)]
pub struct ReturnQuery {
    /// The order.
    pub order: Option<String>,
}

/// `return_url`: the browser is back. What it brought is shown (and checked, so a forged
/// "approved" is not even displayed as one), but the order's state comes from the database,
/// which only `status_url` moves.
pub async fn returned(
    State(shop): State<Arc<Shop>>,
    Query(query): Query<ReturnQuery>,
    body: RawForm,
) -> Result<Response, ShopError> {
    let notification = Notification::parse(&body.0).ok();
    let verified = notification
        .as_ref()
        .is_some_and(|n| n.verify(&shop.secret).is_ok());
    let order_id = notification
        .as_ref()
        .filter(|_| verified)
        .and_then(|n| n.order_id())
        .map(|id| id.as_str().to_owned())
        .or(query.order);
    let Some(order_id) = order_id else {
        return Err(ShopError::refused(
            StatusCode::BAD_REQUEST,
            "We could not tell which order this is",
            "If you were charged, your receipt e-mail has the order number.",
        ));
    };
    // Not `ShopError::Checkout` ("Nothing was charged"): the buyer is back from the window
    // and may well have been charged.
    let Some(order) = shop
        .store
        .order(&order_id)
        .await
        .map_err(ShopError::Unavailable)?
    else {
        return Err(ShopError::refused(
            StatusCode::NOT_FOUND,
            "No such order",
            "If you were charged, your receipt e-mail has the order number.",
        ));
    };
    let window = notification.filter(|_| verified).map(|n| {
        context! {
            approved => n.is_success(),
            rescode => n.rescode().map(|c| c.as_str().to_owned()),
            resmsg => n.resmsg().map(str::to_owned),
        }
    });
    Ok(shop.pages.render(
        "return.html",
        context! {
            order_id => &order.order_id,
            product => &order.product,
            amount => order.amount.to_string(),
            currency => order.currency.code(),
            stage => order.stage().label(),
            stage_key => order.stage().key(),
            window => window,
            instance => &shop.settings.instance,
        },
    ))
}
