//! The README's sans-IO example, runnable against an embedded sandbox:
//! `cargo run -p eximbay-tests --example sans_io`. The core builds the request and reads
//! the answer; any HTTP client carries it (here ureq, used directly).

#![allow(clippy::print_stdout)]

use std::error::Error;

use eximbay_core::{
    Amount, ApiKey, Config, Currency, Environment, Lang, Mid, Operation, OrderId, Payment,
    PaymentOutcome, TransactionId,
};
use eximbay_sim::DEFAULT_API_KEY;
use eximbay_sim::{RunningSandbox, SandboxConfig, ServerOptions};

/// Any HTTP client: it sends the request and returns the response whatever its status.
fn send_with_any_client(
    request: http::Request<Vec<u8>>,
) -> Result<http::Response<Vec<u8>>, Box<dyn Error>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let (parts, mut body) = agent.run(request)?.into_parts();
    Ok(http::Response::from_parts(parts, body.read_to_vec()?))
}

fn main() -> Result<(), Box<dyn Error>> {
    let sandbox = RunningSandbox::start(
        SandboxConfig::default(),
        "127.0.0.1:0".parse()?,
        ServerOptions::default(),
    )?;
    let new = serde_json::from_value(serde_json::json!(
        {"order_id": "20220902101716", "currency": "USD", "amount": "1"}
    ))?;
    let transaction_id = sandbox.sandbox().create_payment(new)?.0.transaction_id;
    let base_url = sandbox.base_url();

    let cfg = Config::new(
        Environment::custom(&base_url)?, // Environment::Test: https://api-test.eximbay.com
        Mid::new("1849705C64")?,
        ApiKey::new(DEFAULT_API_KEY)?, // a live_ key with the test host is refused here
    )?;
    let mut payment = Payment::authorized(
        TransactionId::new(transaction_id),
        OrderId::new("20220902101716"),
        Currency::Usd,
        Amount::parse("1")?, // exact decimal; "1" is sent as "1"
        Lang::En,
    )?;

    let capture = payment.capture()?; // refused unless the payment is Authorized
    let request: http::Request<Vec<u8>> = capture.to_http(&cfg)?;
    // POST {base}/v1/payments/{transaction_id}/capture
    // authorization: Basic …   (marked sensitive)      content-type: application/json
    // {"mid":"1849705C64","payment":{"order_id":"20220902101716","currency":"USD","amount":"1","lang":"EN"}}
    let response = send_with_any_client(request)?; // ureq, reqwest, hyper, curl…
    match capture.parse(response) {
        Ok(captured) => {
            let transition = payment.apply(PaymentOutcome::Captured(captured))?;
            println!("{:?} → {:?}", transition.from, transition.to);
        }
        Err(err) => println!("{err}"), // typed: Declined(rescode) / HttpStatus / Malformed
    }

    // Refunds: the refund id is derived from a key you choose, so a retried command reuses
    // it, and the refundable balance is sent as the gateway's guard.
    let refund = payment.refund_partial(
        Amount::parse("0.40")?,
        "support-ticket-981",
        Some("damaged"),
    )?;
    let answer = refund.parse(send_with_any_client(refund.to_http(&cfg)?)?)?;
    payment.apply(PaymentOutcome::Refunded(answer))?;
    println!(
        "{:?}, refundable {}",
        payment.status(),
        payment.refundable()
    );
    Ok(())
}
