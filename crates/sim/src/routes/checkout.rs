//! A stand-in merchant for trying the payment window by hand (`eximbay demo --serve`):
//! `GET /_sim/checkout` signs a sample order with the core's `PaymentForm` and sends the
//! browser to the window; `POST /_sim/returned` is its return_url and shows what came back,
//! verified. The status_url is the sandbox's merchant inbox.

use eximbay_core::window::{Line, PaymentForm, escape_html};
use eximbay_core::{
    Amount, ApiKey, Config, Currency, Environment, Lang, Mid, OrderId, SecretKey, TransactionType,
};
use http::{Request, StatusCode};

use super::{Handled, text_response};
use crate::sandbox::Sandbox;

fn page(body: String) -> Handled {
    Handled::respond(text_response(
        StatusCode::OK,
        "text/html; charset=utf-8",
        body,
    ))
}

/// `GET /_sim/checkout`: a sample order of 12.00 USD (a 10.00 item and 2.00 shipping).
pub(crate) fn checkout(sandbox: &mut Sandbox, request: &Request<Vec<u8>>) -> Handled {
    let host = request
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let base = format!("http://{host}");
    let order = format!("CHECKOUT-{}", sandbox.ledger.next_sequence());
    let signed = (|| -> Result<_, String> {
        let cfg = sandbox.config();
        let config = Config::new(
            Environment::custom(&base).map_err(|e| e.to_string())?,
            Mid::new(&cfg.mid).map_err(|e| e.to_string())?,
            ApiKey::new(&cfg.api_key).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?
        .with_secret_key(SecretKey::new(&cfg.secret_key).map_err(|e| e.to_string())?);
        let amount = |text: &str| Amount::parse(text).map_err(|e| e.to_string());
        let form = PaymentForm {
            transaction_type: TransactionType::Payment,
            order_id: OrderId::new(order.clone()),
            currency: Currency::Usd,
            amount: amount("12.00")?,
            shop: "eximbay-rs sandbox shop".into(),
            buyer: "Test Buyer".into(),
            email: "buyer@example.com".into(),
            tel: None,
            lang: Lang::En,
            return_url: format!("{base}/_sim/returned"),
            status_url: format!("{base}/_sim/inbox"),
            display_type: None,
            os_type: None,
            params: Default::default(),
            items: vec![Line::new("Sample item", 1, amount("10.00")?)],
            surcharges: vec![Line::new("Shipping", 1, amount("2.00")?)],
            recurring: None,
            options: Default::default(),
        };
        form.sign(&config, sandbox.now()).map_err(|e| e.to_string())
    })();
    match signed {
        Ok(signed) => page(signed.html()),
        Err(message) => page(format!(
            "<!DOCTYPE html><html><body><p>Cannot build the checkout: {}</p></body></html>",
            escape_html(&message)
        )),
    }
}

/// `POST /_sim/returned`: what the window sent the browser back with.
pub(crate) fn returned(sandbox: &Sandbox, request: &Request<Vec<u8>>) -> Handled {
    let verified = sandbox.verify_form(request.body());
    let rows: String = form_urlencoded::parse(request.body())
        .map(|(k, v)| {
            format!(
                "<tr><td>{}</td><td>{}</td></tr>\n",
                escape_html(&k),
                escape_html(&v)
            )
        })
        .collect();
    page(format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Back at the shop</title></head>\n\
         <body><h1>Back at the shop</h1>\n<p id=\"verified\">fgkey {}</p>\n\
         <p>The browser's return is informative; the status_url callback (in <a href=\"/_sim/inbox\">the inbox</a>) is what counts.</p>\n\
         <table>\n{rows}</table>\n<p><a href=\"/_sim/checkout\">Another order</a></p></body></html>\n",
        if verified {
            "verified"
        } else {
            "DOES NOT VERIFY"
        }
    ))
}
