//! The README's sans-IO example: `cargo run -p eximbay-tests --example readme_core`.
//! It opens no socket: the request is a value, the answer is a value.

#![allow(clippy::print_stdout)]

use eximbay_core::{
    Amount, ApiKey, Config, Currency, Environment, Lang, Mid, Operation, OrderId, Payment,
    PaymentOutcome, TransactionId,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg = Config::new(
        Environment::Test, // https://api-test.eximbay.com; a live_ key here is refused
        Mid::new("1849705C64")?,
        ApiKey::new("test_1849705C642C217E0B2D")?, // Debug prints ApiKey(Test, [redacted])
    )?;
    let mut payment = Payment::authorized(
        TransactionId::new("1849705C6420220922000016"), // from the status_url notification
        OrderId::new("ORDER-1"),
        Currency::Usd,
        Amount::parse("25.00")?, // exact decimal, checked against the currency's exponent
        Lang::En,
    )?;
    let capture = payment.capture()?; // refused unless the payment is Authorized
    let request: http::Request<Vec<u8>> = capture.to_http(&cfg)?; // send it with any client
    println!("{} {}", request.method(), request.uri()); // and read what comes back:
    let answer = http::Response::new(
        br#"{"rescode":"0000","resmsg":"Success.","payment":{"order_id":"ORDER-1","currency":"USD","amount":"25.00","transaction_id":"1849705C6420220922000016"}}"#.to_vec(),
    );
    let transition = payment.apply(PaymentOutcome::Captured(capture.parse(answer)?))?;
    println!("{:?} → {:?}", transition.from, transition.to); // Authorized → Captured
    Ok(())
}
