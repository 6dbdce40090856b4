//! Walks one payment through authorized → captured → partially refunded → refunded with
//! the sans-IO core, against the sandbox in-process (a scripted gateway), including an ambiguous refund
//! that is reconciled instead of replayed. Prints each request and transition.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![allow(clippy::print_stdout)]

use eximbay_core::payment::PaymentCommand;
use eximbay_core::{
    Amount, Currency, Finished, Lang, Operation, OrderId, Payment, PaymentOutcome, StateMachine,
    TransactionId,
};
use eximbay_tests::{Reply, Script, ScriptedGateway, TID, render_request, test_config};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cfg = test_config();
    let mut gateway = ScriptedGateway::default();
    gateway.authorize(TID, "ORDER-2026-0001", "USD", "25.00");
    let mut payment = Payment::authorized(
        TransactionId::new(TID),
        OrderId::new("ORDER-2026-0001"),
        Currency::Usd,
        Amount::parse("25.00")?,
        Lang::En,
    )?;
    println!(
        "payment {TID}: {:?}, 25.00 USD authorized\n",
        payment.status()
    );

    let capture = payment.capture()?;
    let request = capture.to_http(&cfg)?;
    println!("{}\n", render_request(&request));
    let Reply::Response(response) = gateway.handle(&request, Script::Answer) else {
        unreachable!()
    };
    let t = payment.apply(PaymentOutcome::Captured(capture.parse(response)?))?;
    println!("→ {:?} → {:?} ({:?})\n", t.from, t.to, t.event);

    let refund = payment.refund_partial(
        Amount::parse("5.50")?,
        "ticket-1",
        Some("one item returned"),
    )?;
    let request = refund.to_http(&cfg)?;
    println!("{}\n", render_request(&request));
    // The answer is lost after the gateway applied the refund: the outcome is unknown.
    let Reply::Lost = gateway.handle(&request, Script::ApplyThenDrop) else {
        unreachable!()
    };
    // How the call finished is absorbed with the command it carried out: the one shape of
    // every machine (a payment, a recurring payment, a stored card, an authentication).
    let t = payment.absorb(PaymentCommand::of_cancel(&refund), Finished::OutcomeUnknown)?;
    println!(
        "connection lost after the request was written → {:?} → {:?}",
        t.from, t.to
    );
    println!(
        "another refund now? {}\n",
        payment.refund_full("ticket-2", None).unwrap_err()
    );

    let retrieve = payment.reconcile();
    let Reply::Response(response) = gateway.handle(&retrieve.to_http(&cfg)?, Script::Answer) else {
        unreachable!()
    };
    let t = payment.apply(PaymentOutcome::Retrieved(retrieve.parse(response)?))?;
    println!(
        "reconciled from the gateway's record → {:?} → {:?}, refundable {}\n",
        t.from,
        t.to,
        payment.refundable()
    );

    let rest = payment.refund_full("ticket-2", Some("order cancelled"))?;
    let request = rest.to_http(&cfg)?;
    let Reply::Response(response) = gateway.handle(&request, Script::Answer) else {
        unreachable!()
    };
    let t = payment.apply(PaymentOutcome::Refunded(rest.parse(response)?))?;
    println!(
        "refund of the remaining {} → {:?} → {:?}",
        rest.refund_amount(),
        t.from,
        t.to
    );
    println!(
        "captured {} refunded {} — the gateway applied {} refund(s)",
        payment.captured_amount(),
        payment.refunded_amount(),
        gateway.applied_refund_ids().len()
    );
    Ok(())
}
