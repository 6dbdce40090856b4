//! Retrieve's `status` (`SALE | AUTH | REGISTERED | NONE`) read with `balance`, and answers
//! that do not tell leaving the payment as it was (point 1 of the suite).

use super::*;

fn needs_reconcile(command: PaymentCommand) -> Payment {
    let mut p = authorized();
    p.apply(PaymentOutcome::Ambiguous { command }).unwrap();
    p
}

fn in_doubt_capture() -> Payment {
    needs_reconcile(PaymentCommand::Capture)
}

fn in_doubt_void() -> Payment {
    needs_reconcile(PaymentCommand::Refund {
        refund_id: eximbay_core::RefundId::new("R"),
        amount: dec("10.00"),
    })
}

#[test]
fn retrieve_status_is_read_with_the_balance() {
    type Case = (
        &'static str,
        fn() -> Payment,
        Value,
        PaymentStatus,
        &'static str,
    );
    let cases: Vec<Case> = vec![
        // A reversed authorization is AUTH with balance 0: voided, never live.
        (
            "void in doubt, AUTH+0",
            in_doubt_void,
            json!({"status": "AUTH", "balance": "0.00"}),
            PaymentStatus::Voided,
            "0",
        ),
        (
            "authorized, AUTH+0.0",
            authorized,
            json!({"status": "AUTH", "balance": "0.0"}),
            PaymentStatus::Voided,
            "0",
        ),
        (
            "authorized, AUTH+amount",
            authorized,
            json!({"status": "AUTH", "balance": "10.00"}),
            PaymentStatus::Authorized,
            "0",
        ),
        (
            "capture in doubt, AUTH+amount",
            in_doubt_capture,
            json!({"status": "AUTH\n", "balance": "10"}),
            PaymentStatus::Authorized,
            "0",
        ),
        (
            "capture in doubt, SALE",
            in_doubt_capture,
            json!({"status": "SALE", "balance": "10.00"}),
            PaymentStatus::Captured,
            "0",
        ),
        (
            "captured, SALE part balance",
            captured,
            json!({"status": "SALE", "balance": "7.50"}),
            PaymentStatus::PartiallyRefunded,
            "2.50",
        ),
        // A fully refunded sale is SALE with balance 0.0, trailing newline included.
        (
            "captured, SALE+0.0",
            captured,
            json!({"status": "SALE\n", "balance": "0.0 "}),
            PaymentStatus::Refunded,
            "10.00",
        ),
        (
            "authorized, REGISTERED",
            authorized,
            json!({"status": "REGISTERED", "balance": "10.00"}),
            PaymentStatus::Registered,
            "0",
        ),
        (
            "authorized, REGISTERED no balance",
            authorized,
            json!({"status": "REGISTERED"}),
            PaymentStatus::Registered,
            "0",
        ),
        (
            "authorized, REGISTERED+0",
            authorized,
            json!({"status": "REGISTERED", "balance": "0"}),
            PaymentStatus::Voided,
            "0",
        ),
    ];
    for (name, start, fields, status, refunded) in cases {
        let mut payment = start();
        let transition =
            reconcile_with(&mut payment, fields).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(transition.event, PaymentEvent::Reconciled, "{name}");
        assert_eq!(payment.status(), status, "{name}");
        assert_eq!(payment.refunded_amount(), dec(refunded), "{name}");
        assert!(payment.invariant_holds(), "{name}");
        assert_eq!(payment.in_doubt(), None, "{name}");
    }
}

#[test]
fn retrieve_answers_that_do_not_tell_leave_the_payment_as_it_was() {
    // NONE: a typed error; a payment in doubt stays in doubt (never Voided).
    let mut payment = authorized();
    payment
        .apply(PaymentOutcome::Ambiguous {
            command: PaymentCommand::Capture,
        })
        .unwrap();
    let before = payment.clone();
    assert_eq!(
        reconcile_with(&mut payment, json!({"status": "NONE", "balance": "0"})),
        Err(PaymentRefusal::UnknownAtGateway)
    );
    assert_eq!(payment, before);
    assert_eq!(payment.status(), PaymentStatus::NeedsReconcile);
    // Values no public source shows are kept, never relied on.
    for (fields, expected) in [
        (
            json!({"status": "CANCEL", "balance": "0"}),
            PaymentRefusal::UnrecognizedRemoteStatus("CANCEL".into()),
        ),
        (
            json!({"status": "PARTIAL_CANCEL", "balance": "5.00"}),
            PaymentRefusal::UnrecognizedRemoteStatus("PARTIAL_CANCEL".into()),
        ),
        // Balance alone cannot tell AUTH from SALE; an AUTH needs its balance.
        (
            json!({"status": "AUTH"}),
            PaymentRefusal::UnreadableAmount {
                field: "payment.balance",
                got: String::new(),
            },
        ),
        // No partial reversal exists.
        (
            json!({"status": "AUTH", "balance": "4.00"}),
            PaymentRefusal::AmountMismatch {
                field: "payment.balance",
                expected: dec("10.00"),
                got: "4.00".into(),
            },
        ),
        (
            json!({"status": "SALE", "balance": "10.50"}),
            PaymentRefusal::AmountMismatch {
                field: "payment.balance",
                expected: dec("10.00"),
                got: "10.50".into(),
            },
        ),
    ] {
        let mut p = before.clone();
        assert_eq!(reconcile_with(&mut p, fields), Err(expected));
        assert_eq!(p, before);
    }
    // A missing status is an error of the answer itself.
    let body = json!({"rescode": "0000", "payment": {"transaction_id": TID, "balance": "10.00"}});
    assert!(matches!(
        before.reconcile().parse(json_response(200, &body)),
        Err(ResponseError::Malformed { .. })
    ));
}
