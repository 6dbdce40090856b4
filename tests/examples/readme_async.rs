//! The README's async example: `cargo run -p eximbay-tests --example readme_async`.

#![allow(clippy::print_stdout)]

use eximbay_core::{Amount, Currency, Lang, OrderId, Payment, TransactionId};
use eximbay_sim::RunningSandbox;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = RunningSandbox::local()?;
    let tid = sandbox.authorized_payment("ORDER-2", "KRW", "15000")?;
    let client = eximbay_async::Client::new(sandbox.client_config()?)?; // reqwest + rustls

    let mut payment = Payment::authorized(
        TransactionId::new(tid),
        OrderId::new("ORDER-2"),
        Currency::Krw, // no minor unit: 15000.5 is refused before anything is sent
        Amount::parse("15000")?,
        Lang::Kr,
    )?;
    client.capture(&mut payment).await?;
    let applied = client
        .refund_full(&mut payment, "ticket-2", Some("cancelled"))
        .await?;
    println!("{:?}", applied.to); // Refunded
    Ok(())
}
