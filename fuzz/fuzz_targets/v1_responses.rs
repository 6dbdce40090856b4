//! Every v1 response parser takes any status and any bytes without panicking.
#![no_main]

use eximbay_core::ops::cancel::{Cancel, RefundKind};
use eximbay_core::ops::capture::Capture;
use eximbay_core::ops::retrieve::{KeyField, Retrieve};
use eximbay_core::ops::verify::Verify;
use eximbay_core::{Amount, Currency, Lang, Operation, OrderId, Payment, PaymentOutcome, RefundId, TransactionId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u16, &[u8])| {
    let (status, body) = input;
    let status = 100 + status % 500;
    let resp = || http::Response::builder().status(status).body(body).expect("valid status");
    let Ok(amount) = Amount::parse("10.00") else { return };
    let tid = TransactionId::new("1849705C6420220922000016");
    let order = OrderId::new("O-1");
    let capture = Capture { transaction_id: tid.clone(), order_id: order.clone(), currency: Currency::Usd, amount: amount.clone(), lang: Lang::En };
    let cancel = Cancel {
        transaction_id: tid.clone(), order_id: order.clone(), currency: Currency::Usd, amount: amount.clone(),
        balance: amount.clone(), kind: RefundKind::Full, refund_id: RefundId::new("R1"), reason: None, lang: Lang::En, refund_account: None,
    };
    let retrieve = Retrieve { key_field: KeyField::TransactionId, order_id: order.clone(), transaction_id: Some(tid.clone()), currency: Currency::Usd, amount: amount.clone(), lang: Lang::En };
    let _ = Verify { data: "x".to_owned() }.parse(resp());
    // Whatever parses must also apply to a payment without panicking or breaking its invariant.
    let Ok(mut payment) = Payment::authorized(tid, order, Currency::Usd, amount, Lang::En) else { return };
    if let Ok(captured) = capture.parse(resp()) {
        let _ = payment.apply(PaymentOutcome::Captured(captured));
    }
    if let Ok(refunded) = cancel.parse(resp()) {
        let _ = payment.apply(PaymentOutcome::Refunded(refunded));
    }
    if let Ok(retrieved) = retrieve.parse(resp()) {
        let _ = payment.apply(PaymentOutcome::Retrieved(retrieved));
    }
    assert!(payment.invariant_holds());
});
