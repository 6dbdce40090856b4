//! The README's blocking example: `cargo run -p eximbay-tests --example readme_blocking`.

#![allow(clippy::print_stdout)]

use eximbay_core::{Amount, Currency, Lang, OrderId, Payment, TransactionId};
use eximbay_sim::RunningSandbox;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = RunningSandbox::local()?; // the gateway's sandbox, in this process
    let tid = sandbox.authorized_payment("ORDER-1", "USD", "25.00")?; // a buyer approved it
    let client = eximbay_ureq::Client::new(sandbox.client_config()?)?; // or Environment::Live

    let mut payment = Payment::authorized(
        TransactionId::new(tid), // from the status_url notification
        OrderId::new("ORDER-1"),
        Currency::Usd,
        Amount::parse("25.00")?, // exact decimal, checked against the currency
        Lang::En,
    )?;
    client.capture(&mut payment)?; // Authorized → Captured
    let refund = Amount::parse("5.50")?;
    let applied = client.refund_partial(&mut payment, refund, "ticket-1", Some("returned"))?;
    println!("{:?}, refundable {}", applied.to, payment.refundable()); // PartiallyRefunded, 19.50
    let _stored: String = serde_json::to_string(&payment)?; // persist it after every call
    Ok(())
}
