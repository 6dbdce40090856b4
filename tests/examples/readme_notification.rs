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
    let paid = notification.is_paid() && !notification.holds_order(); // not held by screening
    if seen.first_delivery(&notification)? && paid {
        println!("paid: ship {:?}", notification.order_id());
    }
    Ok(ACK_BODY) // "rescode=0000&resmsg=Success"
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = SecretKey::new("289F40E6640124B2628640168C3C5464")?; // the public test secret
    let body = b"mid=1849705C64&ref=ORDER-0001&cur=USD&amt=10.50&rescode=0000&resmsg=Success.\
&transid=1849705C6420260101000001&param1=&email=buyer%2B1%40example.com&resdt=20260101120000\
&fgkey=140C8599A2858E43633F1A1D1868F0D726524A14A32F061E9152DE69A83037A9";
    let mut seen = Deduplicator::default();
    status_url(body, &secret, &mut seen)?; // paid: ship Some(OrderId("ORDER-0001"))
    status_url(body, &secret, &mut seen)?; // a redelivery: acknowledged, nothing done
    Ok(())
}
