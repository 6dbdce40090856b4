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
