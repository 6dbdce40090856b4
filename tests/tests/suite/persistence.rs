//! State machines persist with serde (the core's default `serde` feature) and come back
//! identical, so a payment can be stored between the command and the outcome.

use eximbay_core::{
    Amount, Currency, Date, Lang, OrderId, Payment, Recurring, RecurringId, TransactionId,
};
use eximbay_tests::TID;

#[test]
fn payment_round_trips_through_json() {
    let payment = Payment::captured(
        TransactionId::new(TID),
        OrderId::new("O-1"),
        Currency::Krw,
        Amount::parse("15000").unwrap(),
        Lang::Kr,
    )
    .unwrap();
    let stored = serde_json::to_string(&payment).unwrap();
    assert!(
        stored.contains("\"15000\""),
        "amounts persist as exact text: {stored}"
    );
    let restored: Payment = serde_json::from_str(&stored).unwrap();
    assert_eq!(restored, payment);
    // A tampered amount is refused on load rather than trusted…
    let tampered = stored.replace("\"15000\"", "\"-1\"");
    assert!(serde_json::from_str::<Payment>(&tampered).is_err());
    // …and so are figures that break the invariant, or a fractional KRW amount.
    let mut record: serde_json::Value = serde_json::from_str(&stored).unwrap();
    record["refunded"] = serde_json::json!("20000");
    assert!(serde_json::from_value::<Payment>(record.clone()).is_err());
    record["refunded"] = serde_json::json!("0");
    record["status"] = serde_json::json!("Refunded");
    assert!(serde_json::from_value::<Payment>(record.clone()).is_err());
    record["status"] = serde_json::json!("Captured");
    assert_eq!(
        serde_json::from_value::<Payment>(record.clone()).unwrap(),
        payment
    );
    record["amount"] = serde_json::json!("15000.5");
    assert!(serde_json::from_value::<Payment>(record).is_err());
}

#[test]
fn recurring_round_trips_through_json() {
    let recurring = Recurring::new(
        RecurringId::new("RC1"),
        Currency::Usd,
        Amount::parse("10.50").unwrap(),
        Date::new(2026, 2, 28).unwrap(),
    );
    let stored = serde_json::to_string(&recurring).unwrap();
    assert!(stored.contains("\"20260228\""), "{stored}");
    assert_eq!(
        serde_json::from_str::<Recurring>(&stored).unwrap(),
        recurring
    );
}

#[test]
fn a_payment_stored_with_ids_longer_than_the_guides_still_loads_and_works() {
    use eximbay_core::ops::cancel::DEFAULT_REFUND_REASON;
    use eximbay_core::{Operation, PaymentStatus};
    // Made before the guide's limits were kept (order id 30, refund id 30): a 200-character
    // order id and a 64-character refund id already applied.
    let long_order = "O".repeat(200);
    let long_refund = "R".repeat(64);
    let payment = Payment::captured(
        TransactionId::new(TID),
        OrderId::new(long_order.clone()),
        Currency::Usd,
        Amount::parse("10.00").unwrap(),
        Lang::En,
    )
    .unwrap();
    let mut record: serde_json::Value = serde_json::to_value(&payment).unwrap();
    record["status"] = "PartiallyRefunded".into();
    record["refunded"] = "2.00".into();
    record["applied_refunds"] = serde_json::json!([{"refund_id": long_refund, "amount": "2.00"}]);
    let restored: Payment = serde_json::from_value(record).unwrap();
    assert_eq!(restored.order_id().as_str(), long_order);
    assert_eq!(restored.status(), PaymentStatus::PartiallyRefunded);
    assert_eq!(
        restored.applied_refunds()[0].refund_id.as_str(),
        long_refund
    );
    // The gateway holds it under that order id: it can still be refunded and reconciled
    // (the new refund id is derived, 20 characters), with the default reason in the request.
    let cfg = eximbay_tests::test_config();
    let refund = restored.refund_full("rest", None).unwrap();
    assert_eq!(refund.reason.as_deref(), Some(DEFAULT_REFUND_REASON));
    let body = String::from_utf8(refund.to_http(&cfg).unwrap().into_body()).unwrap();
    assert!(
        body.contains(&long_order) && body.contains(DEFAULT_REFUND_REASON),
        "{body}"
    );
    assert!(restored.reconcile().to_http(&cfg).is_ok());
    assert!(restored.reconcile_by_query().to_http(&cfg).is_ok());
}
