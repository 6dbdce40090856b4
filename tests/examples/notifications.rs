//! The README's status_url handler, runnable against an embedded sandbox:
//! `cargo run -p eximbay-tests --example notifications`. A card payment and a cash payment
//! (registered, then paid) arrive as signed callbacks, some of them twice.

#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::error::Error;

use eximbay_core::notification::{ACK_BODY, Deduplicator};
use eximbay_core::{
    Lang, Notification, NotificationError, Payment, PaymentNotice, PaymentOutcome, SecretKey,
};
use eximbay_sim::DEFAULT_SECRET_KEY;
use eximbay_sim::{RunningSandbox, SandboxConfig, ServerOptions};

/// The merchant's store: payments by transaction id, and the notifications applied.
#[derive(Default)]
struct Store {
    payments: HashMap<String, Payment>,
    applied: Deduplicator,
}

/// `POST /status_url`: verify, apply once, acknowledge every delivery.
fn status_url(
    body: &[u8],
    secret: &SecretKey,
    store: &mut Store,
) -> Result<&'static str, Box<dyn Error>> {
    let notification = Notification::parse(body)?; // transid|transaction_id, ref|order_id, …
    notification.verify(secret)?; // fgkey: sorted, decoded, SHA-256, constant-time compare
    // A delivery's identity is transaction id + status + rescode: a redelivery is skipped,
    // a cash payment's later `status=Sale` (after `Registered`) is applied.
    if store.applied.first_delivery(&notification)? {
        let id = notification
            .transaction_id()
            .ok_or(NotificationError::MissingField("transaction id"))?;
        match store.payments.get_mut(id.as_str()) {
            // Authorized, Captured, or Registered (cash / bank transfer: not paid yet)
            None => {
                let payment = Payment::from_status_notification(&notification, Lang::En)?;
                store.payments.insert(id.as_str().to_owned(), payment);
            }
            // Registered → Captured on `Sale`, → Voided on `Void`; amount and currency checked
            Some(payment) => {
                let notice = PaymentNotice::from_notification(&notification)?;
                payment.apply(PaymentOutcome::Notified(notice))?;
            }
        }
        // Ship on money received only: an authorization (capture it), a payer authentication
        // (confirm it), a registration (wait for `Sale`), a void or a failure moved no money.
        let meaning = notification.meaning();
        if meaning.is_money_received() && !notification.holds_order() {
            println!("{id}: {meaning} — ship");
        } else {
            println!("{id}: {meaning} — do not ship: {}", meaning.next_step());
        }
    }
    Ok(ACK_BODY) // "rescode=0000&resmsg=Success", duplicates included
}

fn main() -> Result<(), Box<dyn Error>> {
    let sandbox = RunningSandbox::start(
        SandboxConfig::default(),
        "127.0.0.1:0".parse()?,
        ServerOptions::default(),
    )?;
    let inbox = format!("{}/_sim/inbox", sandbox.base_url());
    let card = serde_json::from_value(serde_json::json!(
        {"order_id": "CARD-1", "currency": "USD", "amount": "25.00", "status_url": inbox}
    ))?;
    let cash = serde_json::from_value(serde_json::json!(
        {"order_id": "CASH-1", "currency": "KRW", "amount": "15000", "method": "cash", "status_url": inbox}
    ))?;
    let mut callbacks = sandbox.sandbox().create_payment(card)?.2;
    let (cash, _, registered) = sandbox.sandbox().create_payment(cash)?;
    callbacks.extend(registered.clone());
    callbacks.extend(registered); // delivered twice
    callbacks.extend(sandbox.sandbox().settle_cash(&cash.transaction_id)?);

    let secret = SecretKey::new(DEFAULT_SECRET_KEY)?;
    let mut store = Store::default();
    for callback in &callbacks {
        let ack = status_url(callback.body.as_bytes(), &secret, &mut store)?;
        assert_eq!(ack, ACK_BODY);
    }
    let mut payments: Vec<_> = store.payments.values().collect();
    payments.sort_by_key(|p| p.order_id().as_str().to_owned());
    for payment in payments {
        println!(
            "{}: {:?} {} {}",
            payment.order_id(),
            payment.status(),
            payment.amount(),
            payment.currency()
        );
    }
    Ok(())
}
