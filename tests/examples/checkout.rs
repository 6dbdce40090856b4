//! The README's checkout example, runnable against an embedded sandbox:
//! `cargo run -p eximbay-tests --example checkout`. Prints the page a merchant's server
//! would send the browser (legacy form) and the script for the v1 SDK.

#![allow(clippy::print_stdout)]

use std::error::Error;

use eximbay_core::ops::ready::Ready;
use eximbay_core::window::{Line, PaymentForm};
use eximbay_core::{
    Amount, ApiKey, Config, Currency, Environment, Lang, Mid, OrderId, SecretKey, Timestamp,
    TransactionType,
};
use eximbay_sim::{DEFAULT_API_KEY, DEFAULT_SECRET_KEY};
use eximbay_sim::{RunningSandbox, SandboxConfig, ServerOptions};

fn main() -> Result<(), Box<dyn Error>> {
    let sandbox = RunningSandbox::start(
        SandboxConfig::default(),
        "127.0.0.1:0".parse()?,
        ServerOptions::default(),
    )?;
    let cfg = Config::new(
        Environment::custom(&sandbox.base_url())?,
        Mid::new("1849705C64")?,
        ApiKey::new(DEFAULT_API_KEY)?,
    )?
    .with_secret_key(SecretKey::new(DEFAULT_SECRET_KEY)?);
    let now = Timestamp(1_767_236_400); // your clock; the core reads none
    let client = eximbay_ureq::Client::new(cfg.clone())?;

    // Legacy window: the signed BasicProcessor.krp form, as a page that posts itself.
    let form = PaymentForm {
        transaction_type: TransactionType::Payment, // or Authorize (capture later)
        order_id: OrderId::new("ORDER-7"),
        currency: Currency::Usd,
        amount: Amount::parse("12.00")?, // Σ items + surcharges, checked
        shop: "Tea & Co".into(),
        buyer: "Min-jun Kim".into(),
        email: "buyer@example.com".into(),
        tel: None,
        lang: Lang::En,
        return_url: "https://shop.example/return".into(), // shows the buyer where things stand
        status_url: "https://shop.example/status".into(), // the authoritative result
        display_type: None, // P (popup) is sent; Some(DisplayType::Redirect) for R
        os_type: None,
        params: Default::default(),
        items: vec![Line::new("Monthly tea box", 1, Amount::parse("10.00")?)],
        surcharges: vec![Line::new("Shipping", 1, Amount::parse("2.00")?)],
        recurring: None, // Some(RecurringRegistration::new(..)) registers a subscription
        // paymethod, siteforeigncur, shipTo_* / billTo_* (physical goods), autoclose, …
        options: Default::default(),
    };
    let page: String = form.sign(&cfg, now)?.html(); // send this to the browser

    // v1 window: `ready` on the server, then the page hands the SDK the same objects.
    let ready = Ready::new(
        TransactionType::Payment,
        OrderId::new("ORDER-8"),
        Currency::Usd,
        Amount::parse("25.00")?,
        Lang::En,
        ("Min-jun Kim", "buyer@example.com"),
        "https://shop.example/return",
        "https://shop.example/status",
    );
    let prepared = client.send(&ready)?; // the fgkey for this exact body
    let script = format!(
        "EXIMBAY.request_pay({});",
        ready.request_pay(&cfg, &prepared)?
    );

    println!(
        "{page}\n<script src=\"{}/v1/javascriptSDK.js\"></script>\n<script>{script}</script>",
        sandbox.base_url()
    );
    Ok(())
}
