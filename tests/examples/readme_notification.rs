//! The README's status_url example: `cargo run -p eximbay-tests --example readme_notification`.

#![allow(clippy::print_stdout)]

use eximbay_core::notification::{ACK_BODY, Deduplicator};
use eximbay_core::{Notification, SecretKey};

/// `POST /status_url`: verify, act once, acknowledge every delivery (duplicates included).
fn status_url(
    body: &[u8],
    secret: &SecretKey,
    seen: &mut Deduplicator,
) -> Result<&'static str, Box<dyn std::error::Error>> {
    let notification = Notification::parse(body)?; // transid|transaction_id, ref|order_id, …
    notification.verify(secret)?; // fgkey: sorted, decoded, SHA-256, constant-time compare
    let ship = notification.meaning().is_money_received() && !notification.holds_order();
    if seen.first_delivery(&notification)? && ship {
        println!("paid: ship {:?}", notification.order_id());
    }
    Ok(ACK_BODY) // "rescode=0000&resmsg=Success"
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = SecretKey::new("289F40E6640124B2628640168C3C5464")?; // the public test secret
    let body = b"mid=1849705C64&ref=ORDER-0001&cur=USD&amt=10.50&rescode=0000&resmsg=Success.\
&transid=1849705C6420260101000001&param1=&email=buyer%2B1%40example.com&resdt=20260101120000\
&txntype=PAYMENT&fgkey=7D83079F85314D4AA5C273644DA69425C5B230172A824EB1EA80F2E9D58E1CCA";
    let mut seen = Deduplicator::default();
    status_url(body, &secret, &mut seen)?; // paid: ship Some(OrderId("ORDER-0001"))
    status_url(body, &secret, &mut seen)?; // a redelivery: acknowledged, nothing done
    Ok(())
}
