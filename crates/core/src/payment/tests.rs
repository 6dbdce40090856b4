//! What the payment's accessors and its notification constructor promise (each test kills a
//! mutant the integration suites let through).

use super::*;
use crate::GatewayAmount;
use crate::notification::Notification;
use crate::ops::capture::Captured;

fn authorized() -> Payment {
    Payment::authorized(
        TransactionId::new("1849705C6420220922000016"),
        OrderId::new("O-1"),
        Currency::Usd,
        Amount::parse("10.00").unwrap(),
        Lang::En,
    )
    .unwrap()
}

#[test]
fn an_unknown_retrieve_is_not_a_doubt_about_money() {
    let mut payment = authorized();
    payment
        .apply(PaymentOutcome::Ambiguous {
            command: PaymentCommand::Reconcile,
        })
        .unwrap();
    assert_eq!(payment.status(), PaymentStatus::Authorized);
    assert_eq!(payment.in_doubt(), None);
}

#[test]
fn the_command_in_doubt_is_kept_and_shown() {
    let mut payment = authorized();
    payment
        .apply(PaymentOutcome::Ambiguous {
            command: PaymentCommand::Capture,
        })
        .unwrap();
    assert_eq!(payment.status(), PaymentStatus::NeedsReconcile);
    assert_eq!(payment.in_doubt(), Some(&PaymentCommand::Capture));
}

#[test]
fn partially_cancelable_is_what_the_capture_answer_said() {
    let mut payment = authorized();
    assert_eq!(payment.partially_cancelable(), None, "not said yet");
    payment
        .apply(PaymentOutcome::Captured(Captured {
            resmsg: String::new(),
            mid: None,
            order_id: None,
            currency: None,
            amount: GatewayAmount::new("10.00"),
            transaction_id: TransactionId::new("1849705C6420220922000016"),
            captured_date: None,
            partially_cancelable: Some(true),
        }))
        .unwrap();
    assert_eq!(payment.partially_cancelable(), Some(true));
}

#[test]
fn only_an_authorization_records_when_it_was_authorized() {
    let body = |txntype: &str| {
        format!(
            "mid=1849705C64&ref=O-1&cur=USD&amt=10.00&txntype={txntype}&rescode=0000&\
             transid=1849705C6420220922000016&transaction_date=20260101120000"
        )
    };
    let authorize = body("AUTHORIZE");
    let notification = Notification::parse(authorize.as_bytes()).unwrap();
    let payment = Payment::from_status_notification(&notification, Lang::En).unwrap();
    assert!(payment.authorized_at().is_some());
    let sale = body("PAYMENT");
    let notification = Notification::parse(sale.as_bytes()).unwrap();
    let payment = Payment::from_status_notification(&notification, Lang::En).unwrap();
    assert_eq!(payment.status(), PaymentStatus::Captured);
    assert_eq!(
        payment.authorized_at(),
        None,
        "a captured payment has nothing to expire"
    );
}

#[test]
fn every_figure_of_the_invariant_counts() {
    // A voided payment with a negative refund passes every status rule; only the figures
    // (0 ≤ refunded) refuse it.
    let mut stored = serde_json::to_value(authorized()).unwrap();
    stored["status"] = serde_json::json!("Voided");
    stored["refunded"] = serde_json::json!("-1");
    let error = serde_json::from_value::<Payment>(stored)
        .unwrap_err()
        .to_string();
    assert!(error.contains("breaks"), "{error}");
    // More refunded than captured, on a payment that says so.
    let mut stored = serde_json::to_value(authorized()).unwrap();
    stored["status"] = serde_json::json!("PartiallyRefunded");
    stored["captured"] = serde_json::json!("10.00");
    stored["refunded"] = serde_json::json!("11.00");
    let error = serde_json::from_value::<Payment>(stored)
        .unwrap_err()
        .to_string();
    assert!(error.contains("breaks"), "{error}");
    // And what is right loads.
    let stored = serde_json::to_value(authorized()).unwrap();
    assert!(
        serde_json::from_value::<Payment>(stored)
            .unwrap()
            .invariant_holds()
    );
}

#[test]
fn every_status_rule_of_the_invariant_counts() {
    // (status, captured, refunded): figures that keep 0 ≤ refunded ≤ captured ≤ amount but
    // break the status's own rule, so only that rule refuses them.
    for (status, captured, refunded) in [
        ("Authorized", "10.00", "0"),
        ("Registered", "0", "0.00"),
        ("Captured", "10.00", "5.00"),
        ("Captured", "5.00", "0"),
        ("PartiallyRefunded", "10.00", "0"),
        ("PartiallyRefunded", "10.00", "10.00"),
        ("Refunded", "0", "0"),
        ("Voided", "10.00", "0"),
    ] {
        let mut stored = serde_json::to_value(authorized()).unwrap();
        stored["status"] = serde_json::json!(status);
        stored["captured"] = serde_json::json!(captured);
        stored["refunded"] = serde_json::json!(refunded);
        if status == "Registered" {
            // Registered with a refund: the only way its rule can fail within the figures.
            stored["captured"] = serde_json::json!("10.00");
            stored["refunded"] = serde_json::json!("0");
        }
        let loaded = serde_json::from_value::<Payment>(stored);
        assert!(loaded.is_err(), "{status} {captured}/{refunded} loaded");
    }
}

#[test]
fn an_answer_about_another_payment_is_refused() {
    let mut payment = authorized();
    let other = Captured {
        resmsg: String::new(),
        mid: None,
        order_id: None,
        currency: None,
        amount: GatewayAmount::new("10.00"),
        transaction_id: TransactionId::new("1849705C6420220922000099"),
        captured_date: None,
        partially_cancelable: None,
    };
    assert!(matches!(
        payment.apply(PaymentOutcome::Captured(other)),
        Err(PaymentRefusal::WrongPayment { .. })
    ));
    assert_eq!(
        payment.status(),
        PaymentStatus::Authorized,
        "nothing applied"
    );
}
