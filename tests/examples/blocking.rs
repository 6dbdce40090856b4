//! The README's blocking example, runnable against an embedded sandbox:
//! `cargo run -p eximbay-tests --example blocking`.
//!
//! The part between the `README` markers is the README's code, word for word (a test checks
//! it), so the README never shows code that does not build.

#![allow(clippy::print_stdout)]

use std::error::Error;

use eximbay_core::{
    Amount, ApiKey, Config, Currency, Environment, Lang, Mid, OrderId, Payment, TransactionId,
};
use eximbay_sim::DEFAULT_API_KEY;
use eximbay_sim::{RunningSandbox, SandboxConfig, ServerOptions};

fn main() -> Result<(), Box<dyn Error>> {
    let sandbox = RunningSandbox::start(
        SandboxConfig::default(),
        "127.0.0.1:0".parse()?,
        ServerOptions::default(),
    )?;
    let new = serde_json::from_value(serde_json::json!(
        {"order_id": "ORDER-1", "currency": "USD", "amount": "25.00"}
    ))?;
    let transaction_id = sandbox.sandbox().create_payment(new)?.0.transaction_id;
    let base_url = sandbox.base_url();
    let api_key = DEFAULT_API_KEY.to_owned();

    let cfg = Config::new(
        Environment::custom(&base_url)?, // the sandbox; Environment::Test / ::Live for Eximbay
        Mid::new("1849705C64")?,
        ApiKey::new(&api_key)?, // Debug prints ApiKey(Test, [redacted])
    )?;
    let client = eximbay_ureq::Client::new(cfg)?; // rustls, no redirects, timeouts, size limit

    let mut payment = Payment::authorized(
        TransactionId::new(transaction_id), // from the status_url notification
        OrderId::new("ORDER-1"),
        Currency::Usd,
        Amount::parse("25.00")?,
        Lang::En,
    )?;
    client.capture(&mut payment)?; // Authorized → Captured
    match client.refund_partial(
        &mut payment,
        Amount::parse("5.50")?,
        "ticket-1",
        Some("returned"),
    ) {
        Ok(applied) => println!(
            "{:?} → {:?}; the gateway's refund id {:?}",
            applied.from, applied.to, applied.response.refund.refund_transaction_id
        ),
        Err(e) if e.is_ambiguous() => {
            client.reconcile(&mut payment)?; // never a blind replay
        }
        Err(e) if e.is_declined() => println!("declined, tell the buyer: {e}"),
        Err(e) => return Err(e.into()), // rejected request (EC*), transport, …
    }
    // After every call, Ok or Err, the payment holds its new state: persist it.
    let stored: String = serde_json::to_string(&payment)?;

    let loaded: Payment = serde_json::from_str(&stored)?;
    println!(
        "stored and loaded: {:?}, refundable {}",
        loaded.status(),
        loaded.refundable()
    );
    Ok(())
}
