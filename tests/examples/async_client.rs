//! The README's async example, runnable against an embedded sandbox:
//! `cargo run -p eximbay-tests --example async_client`.

#![allow(clippy::print_stdout)]

use std::error::Error;

use eximbay_core::{
    Amount, ApiKey, Config, Currency, Environment, Lang, Mid, OrderId, Payment, TransactionId,
};
use eximbay_sim::DEFAULT_API_KEY;
use eximbay_sim::{RunningSandbox, SandboxConfig, ServerOptions};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn Error>> {
    let sandbox = RunningSandbox::start(
        SandboxConfig::default(),
        "127.0.0.1:0".parse()?,
        ServerOptions::default(),
    )?;
    let new = serde_json::from_value(serde_json::json!(
        {"order_id": "ORDER-2", "currency": "KRW", "amount": "15000"}
    ))?;
    let transaction_id = sandbox.sandbox().create_payment(new)?.0.transaction_id;
    let cfg = Config::new(
        Environment::custom(&sandbox.base_url())?,
        Mid::new("1849705C64")?,
        ApiKey::new(DEFAULT_API_KEY)?,
    )?;
    let mut payment = Payment::authorized(
        TransactionId::new(transaction_id),
        OrderId::new("ORDER-2"),
        Currency::Krw,
        Amount::parse("15000")?,
        Lang::Kr,
    )?;

    let client = eximbay_async::Client::new(cfg)?; // reqwest + rustls on tokio
    client.capture(&mut payment).await?;
    let applied = client
        .refund_partial(&mut payment, Amount::parse("5000")?, "ticket-1", None)
        .await?;
    println!(
        "{:?}, balance {:?}",
        applied.to, applied.response.payment.balance
    );
    Ok(())
}
