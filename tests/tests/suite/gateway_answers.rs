//! The gateway's answers as the gateway really writes them (public integration guide,
//! error-code page, real replies in public client code), one section per point:
//!
//! 1. retrieve `status` (`SALE | AUTH | REGISTERED | NONE`) read with `balance`;
//! 2. notification `status` (Registered → Sale / Void) and a notification's identity;
//! 3. `EE*`, `EX*` and any 5xx on a money-moving call: outcome unknown;
//! 4. a refund key reused for another amount: refused, or never reported as success;
//! 5. echoed amounts (`"1.00"`, KRW `"1000.00"`) normalised to the currency;
//! 6. recurring fields in both spellings;
//! 7. `partially_cancelable = N`;
//! 8. opt-in signed `RC_*` calls;
//! 9. `Ready` transaction types and the v1 adjust's charge-day guard.
//!
//! The end-to-end parts run both adapters against the sandbox under each of its named
//! choices where the gateway's behaviour is undocumented.

use std::cell::Cell;

use eximbay_core::client::absorb;
use eximbay_core::drive::{RetryPolicy, SyncHttpClient, TransportError, send_blocking};
use eximbay_core::notification::Deduplicator;
use eximbay_core::ops::MerchantParams;
use eximbay_core::ops::ready::Ready;
use eximbay_core::ops::recurring_terminate::RecurringTerminate;
use eximbay_core::payment::{PaymentCommand, PaymentEvent, PaymentRefusal, PaymentTransition};
use eximbay_core::recurring::{ChargeResult, RecurringRefusal};
use eximbay_core::{
    Amount, BlockingClient, BuildError, ClientError, Currency, Date, Lang, LegacySigning,
    Notification, NotificationError, Operation, OrderId, Payment, PaymentNotice, PaymentOutcome,
    PaymentStatus, Recurring, RecurringId, Refusal, ResponseError, SecretKey, Timestamp,
    TransactionId, TransactionType, fgkey,
};
use eximbay_sim::DEFAULT_SECRET_KEY;
use eximbay_sim::SandboxConfig;
use eximbay_sim::{
    Behaviour, EchoedAmounts, FullRefundAfterPartial, LegacySignature, RepeatedRefundId,
    UnknownTransaction,
};
use eximbay_tests::{SECRET_KEY, TID, json_response, render_request, response, test_config};
use http::Request;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use eximbay_tests::sandbox as support;

use eximbay_tests::sandbox::*;

fn usd(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

fn authorized() -> Payment {
    Payment::authorized(
        TransactionId::new(TID),
        OrderId::new("O-1"),
        Currency::Usd,
        usd("10.00"),
        Lang::En,
    )
    .unwrap()
}

fn captured() -> Payment {
    Payment::captured(
        TransactionId::new(TID),
        OrderId::new("O-1"),
        Currency::Usd,
        usd("10.00"),
        Lang::En,
    )
    .unwrap()
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// Parses a retrieve answer whose `payment` object holds these fields, through the real
/// parser, and applies it.
fn reconcile_with(
    payment: &mut Payment,
    fields: Value,
) -> Result<PaymentTransition, PaymentRefusal> {
    let mut object =
        json!({"order_id": "O-1", "currency": "USD", "amount": "10.00", "transaction_id": TID});
    for (key, value) in fields.as_object().unwrap() {
        object[key] = value.clone();
    }
    let body = json!({"rescode": "0000", "resmsg": "Success.", "payment": object});
    let retrieved = payment
        .reconcile()
        .parse(json_response(200, &body))
        .unwrap();
    payment.apply(PaymentOutcome::Retrieved(retrieved))
}

// ---- 1. retrieve status + balance ----------------------------------------------------

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

// ---- 2. notification status -----------------------------------------------------------

fn notification_body(status: Option<&str>, rescode: &str, amount: &str, currency: &str) -> String {
    let mut body = format!(
        "transid={TID}&ref=O-1&cur={currency}&amt={amount}&txntype=PAYMENT&rescode={rescode}&resmsg=x"
    );
    if let Some(status) = status {
        body.push_str(&format!("&status={status}"));
    }
    body
}

fn notice(body: &str) -> PaymentNotice {
    PaymentNotice::from_notification(&Notification::parse(body.as_bytes()).unwrap()).unwrap()
}

#[test]
fn a_cash_payment_is_registered_then_paid_or_voided() {
    let registered = notification_body(Some("Registered"), "0000", "10.00", "USD");
    let n = Notification::parse(registered.as_bytes()).unwrap();
    assert!(!n.is_paid());
    let start = Payment::from_status_notification(&n, Lang::En).unwrap();
    assert_eq!(start.status(), PaymentStatus::Registered);
    assert!(start.capture().is_err());
    assert!(start.refund_full("k", None).is_err());
    assert_eq!(start.refundable(), Decimal::ZERO);

    // Registered → Sale: paid (and captured, as a PAYMENT).
    let mut paid = start.clone();
    let sale = notice(&notification_body(Some("Sale"), "0000", "10.0", "USD"));
    let t = paid.apply(PaymentOutcome::Notified(sale.clone())).unwrap();
    assert_eq!(
        (t.from, t.to, t.event),
        (
            PaymentStatus::Registered,
            PaymentStatus::Captured,
            PaymentEvent::Paid
        )
    );
    // The Registered notification redelivered late, or the Sale again: nothing changes.
    for late in [notice(&registered), sale] {
        let before = paid.clone();
        assert_eq!(
            paid.apply(PaymentOutcome::Notified(late)).unwrap().event,
            PaymentEvent::DuplicateNotification
        );
        assert_eq!(paid, before);
    }
    assert!(paid.refund_partial(usd("1.00"), "k", None).is_ok());

    // Registered → Void (the registration expired).
    let mut expired = start.clone();
    let t = expired
        .apply(PaymentOutcome::Notified(notice(&notification_body(
            Some("Void"),
            "0000",
            "10.00",
            "USD",
        ))))
        .unwrap();
    assert_eq!(
        (t.to, t.event),
        (PaymentStatus::Voided, PaymentEvent::Voided)
    );
    // A Sale after we saw Void contradicts us: reconcile.
    let t = expired
        .apply(PaymentOutcome::Notified(notice(&notification_body(
            Some("Sale"),
            "0000",
            "10.00",
            "USD",
        ))))
        .unwrap();
    assert_eq!(t.to, PaymentStatus::NeedsReconcile);

    // A failure notification changes nothing; a later success is applied.
    let mut p = start.clone();
    let failed = notice(&notification_body(Some("Sale"), "HE01", "10.00", "USD"));
    assert!(matches!(
        p.apply(PaymentOutcome::Notified(failed)).unwrap().event,
        PaymentEvent::NotificationFailed { .. }
    ));
    assert_eq!(p.status(), PaymentStatus::Registered);

    // Someone else's amount or currency is not this payment's.
    for body in [
        notification_body(Some("Sale"), "0000", "11.00", "USD"),
        notification_body(Some("Sale"), "0000", "10.00", "EUR"),
    ] {
        let mut p = start.clone();
        assert!(p.apply(PaymentOutcome::Notified(notice(&body))).is_err());
        assert_eq!(p, start);
    }

    // A Void creates no payment; a card notification (no status) is paid.
    let void = notification_body(Some("Void"), "0000", "10.00", "USD");
    assert_eq!(
        Payment::from_status_notification(&Notification::parse(void.as_bytes()).unwrap(), Lang::En),
        Err(NotificationError::NotPaid("Void".into()))
    );
    let card = notification_body(None, "0000", "10.00", "USD");
    let card =
        Payment::from_status_notification(&Notification::parse(card.as_bytes()).unwrap(), Lang::En)
            .unwrap();
    assert_eq!(card.status(), PaymentStatus::Captured);
}

#[test]
fn the_later_sale_of_one_transaction_is_not_swallowed_as_a_redelivery() {
    let mut dedupe = Deduplicator::new();
    let mut payment: Option<Payment> = None;
    for (body, applied) in [
        (
            notification_body(Some("Registered"), "0000", "10.00", "USD"),
            true,
        ),
        (
            notification_body(Some("Registered"), "0000", "10.00", "USD"),
            false,
        ),
        (
            notification_body(Some("Sale"), "0000", "10.00", "USD"),
            true,
        ),
        (
            notification_body(Some("Sale"), "0000", "10.00", "USD"),
            false,
        ),
    ] {
        let n = Notification::parse(body.as_bytes()).unwrap();
        assert_eq!(dedupe.first_delivery(&n).unwrap(), applied, "{body}");
        if !applied {
            continue;
        }
        match payment.as_mut() {
            None => payment = Some(Payment::from_status_notification(&n, Lang::En).unwrap()),
            Some(p) => {
                p.apply(PaymentOutcome::Notified(
                    PaymentNotice::from_notification(&n).unwrap(),
                ))
                .unwrap();
            }
        }
    }
    assert_eq!(payment.unwrap().status(), PaymentStatus::Captured);
}

#[test]
fn a_cash_payment_through_the_sandbox_settles_or_expires() {
    let sandbox = start();
    let secret = SecretKey::new(DEFAULT_SECRET_KEY).unwrap();
    let inbox = format!("{}/_sim/inbox", sandbox.base_url());
    let mut payments = Vec::new();
    for order in ["CASH-1", "CASH-2"] {
        let created = control(
            &sandbox,
            "POST",
            "/_sim/payments",
            Some(
                json!({"order_id": order, "currency": "KRW", "amount": "15000", "method": "cash", "status_url": inbox}),
            ),
        );
        payments.push(created["transaction_id"].as_str().unwrap().to_owned());
    }
    let entries = wait_for_inbox(&sandbox, 2);
    let mut made = Vec::new();
    for entry in &entries {
        let n = Notification::parse(entry["body"].as_str().unwrap().as_bytes()).unwrap();
        n.verify(&secret).unwrap();
        assert_eq!(
            n.status(),
            Some(eximbay_core::NotificationStatus::Registered)
        );
        assert!(n.payment_url().unwrap().contains("/settle"));
        // Results echo amt as sent by default (guide §2.1.3 Note 1); the payment holds
        // 15000 under every echo (`a_krw_payment_from_its_callback_runs_its_life_under_each_echo`).
        assert_eq!(n.amount().unwrap().as_str(), "15000");
        let p = Payment::from_status_notification(&n, Lang::En).unwrap();
        assert_eq!(p.amount().as_str(), "15000");
        made.push(p);
    }
    // Callbacks arrive in any order: line the payments up with the transactions created.
    made.sort_by_key(|p| {
        payments
            .iter()
            .position(|t| p.transaction_id().as_str() == t)
    });
    let adapters = Adapter::both(&sandbox);
    // Before the buyer pays, the gateway's record says REGISTERED: still registered.
    let t = adapters[0].reconcile(&mut made[0]).unwrap();
    assert_eq!(t.to, PaymentStatus::Registered);

    control(
        &sandbox,
        "POST",
        &format!("/_sim/payments/{}/settle", payments[0]),
        None,
    );
    control(
        &sandbox,
        "POST",
        &format!("/_sim/payments/{}/expire", payments[1]),
        None,
    );
    let entries = wait_for_inbox(&sandbox, 4);
    for entry in &entries[2..] {
        let n = Notification::parse(entry["body"].as_str().unwrap().as_bytes()).unwrap();
        n.verify(&secret).unwrap();
        let notice = PaymentNotice::from_notification(&n).unwrap();
        let p = made
            .iter_mut()
            .find(|p| *p.transaction_id() == notice.transaction_id)
            .unwrap();
        p.apply(PaymentOutcome::Notified(notice)).unwrap();
    }
    assert_eq!(made[0].status(), PaymentStatus::Captured);
    assert_eq!(made[1].status(), PaymentStatus::Voided);
    // The record agrees: SALE for the paid one, REGISTERED + 0 for the expired one.
    for (adapter, payment) in adapters.iter().zip(made.iter_mut()) {
        let before = payment.status();
        assert_eq!(
            adapter.reconcile(payment).unwrap().to,
            before,
            "{}",
            adapter.name()
        );
    }
    // The paid one refunds like any sale; the expired one cannot be settled any more.
    let t = adapters[1]
        .refund_partial(
            &mut made[0],
            Amount::parse("5000").unwrap(),
            "cash-r1",
            Some("test"),
        )
        .unwrap();
    assert_eq!(t.to, PaymentStatus::PartiallyRefunded);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let refused = agent
        .post(format!(
            "{}/_sim/payments/{}/settle",
            sandbox.base_url(),
            payments[1]
        ))
        .send_empty()
        .unwrap();
    assert_eq!(refused.status(), 400);
}

// ---- 3. unknown outcomes --------------------------------------------------------------

fn scripted(
    status: u16,
    rescode: &'static str,
) -> impl Fn(Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> {
    move |_req| {
        Ok(response(
            status,
            format!(r#"{{"rescode":"{rescode}","resmsg":"x"}}"#),
        ))
    }
}

/// Captures an authorized payment the way a merchant does (`BlockingClient::capture`, the
/// default policy, no sleeping); the capture must fail: returns the payment and the error.
fn failed_capture(client: impl SyncHttpClient) -> (Payment, ClientError) {
    let mut p = authorized();
    let err = BlockingClient::new(client, test_config(), |_| {})
        .capture(&mut p)
        .unwrap_err();
    (p, err)
}

#[test]
fn processor_errors_internal_exceptions_and_5xx_leave_a_capture_in_doubt() {
    let cfg = test_config();
    for (status, rescode) in [
        (200, "EE01"),
        (200, "EE02"),
        (200, "EE99"),
        (200, "EEEE"),
        (200, "EX03"),
        (503, "ES99"),
        (502, "HE01"),
    ] {
        let calls = Cell::new(0);
        let client = |req: Request<Vec<u8>>| {
            calls.set(calls.get() + 1);
            scripted(status, rescode)(req)
        };
        let (p, err) = failed_capture(client);
        assert!(err.is_ambiguous(), "{status} {rescode}: {err}");
        assert_eq!(calls.get(), 1, "{rescode}: never replayed");
        assert_eq!(p.status(), PaymentStatus::NeedsReconcile, "{rescode}");

        // The same answers to a retrieve (moves no money): retried, nothing in doubt.
        let calls = Cell::new(0);
        let client = |req: Request<Vec<u8>>| {
            calls.set(calls.get() + 1);
            scripted(status, rescode)(req)
        };
        let result = send_blocking(
            &client,
            &cfg,
            &authorized().reconcile(),
            &RetryPolicy::default(),
            |_| {},
        );
        assert!(
            matches!(result, Err(ClientError::Transport { attempts: 3, .. })),
            "{rescode}"
        );
        assert_eq!(calls.get(), 3);
    }
    // EM00 says the gateway did not act: safe to retry, even on a 503.
    let calls = Cell::new(0);
    let client = |_req: Request<Vec<u8>>| {
        calls.set(calls.get() + 1);
        if calls.get() == 1 {
            scripted(503, "EM00")(_req)
        } else {
            scripted(200, "HE05")(_req)
        }
    };
    let (p, err) = failed_capture(client);
    assert!(matches!(err, ClientError::Declined(ref g) if g.rescode.as_str() == "HE05"));
    assert_eq!(calls.get(), 2);
    assert_eq!(p.status(), PaymentStatus::Authorized);
}

// ---- 4. refund keys -------------------------------------------------------------------

fn refund_answer(refund_id: &str, amount: &str, balance: &str) -> Value {
    json!({
        "rescode": "0000", "resmsg": "Success.",
        "refund": {"refund_amount": amount, "refund_id": refund_id, "refund_transaction_id": "R"},
        "payment": {"transaction_id": TID, "balance": balance}
    })
}

#[test]
fn a_refund_key_is_never_reused_for_another_amount() {
    let mut p = captured();
    let first = p.refund_partial(usd("5.00"), "ticket-1", None).unwrap();
    let refunded = first
        .parse(json_response(
            200,
            &refund_answer(first.refund_id.as_str(), "5.00", "5.00"),
        ))
        .unwrap();
    p.apply(PaymentOutcome::Refunded(refunded.clone())).unwrap();

    // Another amount under the same key: refused before anything is sent.
    assert_eq!(
        p.refund_partial(usd("3.00"), "ticket-1", None),
        Err(PaymentRefusal::RefundKeyReused {
            refund_id: first.refund_id.clone(),
            applied: dec("5.00"),
            requested: dec("3.00"),
        })
    );
    // The same refund again: done already, not sent again.
    assert_eq!(
        p.refund_partial(usd("5.00"), "ticket-1", None),
        Err(PaymentRefusal::RefundAlreadyApplied {
            refund_id: first.refund_id.clone()
        })
    );
    // A full refund of the rest (5.00) under that key names the same refund: not sent.
    assert!(matches!(
        p.refund_full("ticket-1", None),
        Err(PaymentRefusal::RefundAlreadyApplied { .. })
    ));
    // A new key is a new refund.
    assert!(p.refund_partial(usd("5.00"), "ticket-2", None).is_ok());

    // The answer to another refund (the gateway repeating the original 5.00 for a request of
    // 7.00 under a reused id) is never read as success…
    let mut fresh = captured();
    let seven = fresh.refund_partial(usd("7.00"), "ticket-1", None).unwrap();
    let err = seven
        .parse(json_response(
            200,
            &refund_answer(seven.refund_id.as_str(), "5.00", "5.00"),
        ))
        .unwrap_err();
    assert!(matches!(err, ResponseError::Malformed { .. }), "{err}");
    // …it leaves the refund in doubt, to be reconciled.
    let result = send_blocking(
        &|_req: Request<Vec<u8>>| {
            Ok(json_response(
                200,
                &refund_answer(seven.refund_id.as_str(), "5.00", "5.00"),
            ))
        },
        &test_config(),
        &seven,
        &RetryPolicy::default(),
        |_| {},
    );
    let err = absorb(
        &mut fresh,
        PaymentCommand::of_cancel(&seven),
        result,
        PaymentOutcome::Refunded,
    )
    .unwrap_err();
    assert!(err.is_ambiguous(), "{err}");
    assert_eq!(fresh.status(), PaymentStatus::NeedsReconcile);
    // An answer about another refund id is not about this one either.
    assert!(matches!(
        seven.parse(json_response(
            200,
            &refund_answer("SOMETHING-ELSE", "7.00", "3.00")
        )),
        Err(ResponseError::Malformed { .. })
    ));
    // The same id reported again with another amount: only a retrieve can tell.
    let mut replayed = refunded.clone();
    replayed.refund.refund_amount = eximbay_core::GatewayAmount::new("6.00");
    let t = p.apply(PaymentOutcome::Refunded(replayed)).unwrap();
    assert!(matches!(t.event, PaymentEvent::RefundDiverged { .. }));
    assert_eq!(t.to, PaymentStatus::NeedsReconcile);
}

#[test]
fn payments_stored_before_refund_amounts_were_kept_still_load() {
    let mut p = captured();
    let op = p.refund_partial(usd("2.00"), "old-key", None).unwrap();
    let answer = op
        .parse(json_response(
            200,
            &refund_answer(op.refund_id.as_str(), "2.00", "8.00"),
        ))
        .unwrap();
    p.apply(PaymentOutcome::Refunded(answer)).unwrap();
    let mut stored: Value = serde_json::to_value(&p).unwrap();
    // The old shape: bare refund ids, no partially_cancelable.
    stored["applied_refunds"] = json!([op.refund_id.as_str()]);
    stored
        .as_object_mut()
        .unwrap()
        .remove("partially_cancelable");
    let loaded: Payment = serde_json::from_value(stored).unwrap();
    assert_eq!(loaded.status(), PaymentStatus::PartiallyRefunded);
    assert_eq!(loaded.applied_refunds()[0].amount, None);
    // The key still may not be sent again, whatever the amount.
    assert!(matches!(
        loaded.refund_partial(usd("3.00"), "old-key", None),
        Err(PaymentRefusal::RefundAlreadyApplied { .. })
    ));
    // And the current shape round-trips.
    let again: Payment = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
    assert_eq!(again, p);
}

// ---- 5. echoed amounts ----------------------------------------------------------------

#[test]
fn a_payment_from_an_echoed_amount_can_be_captured_and_refunded() {
    let body = "transid=1849705C6420220922000016&ref=O-K&cur=KRW&amt=1000.00&txntype=AUTHORIZE&rescode=0000";
    let mut p =
        Payment::from_status_notification(&Notification::parse(body.as_bytes()).unwrap(), Lang::Kr)
            .unwrap();
    assert_eq!(p.amount().as_str(), "1000");
    let capture = p.capture().unwrap().to_http(&test_config()).unwrap();
    assert!(
        render_request(&capture).contains(r#""amount": "1000""#),
        "{}",
        render_request(&capture)
    );
    // The capture answer echoes 1000.00 too; the refund that follows sends whole won.
    let answer = json!({"rescode": "0000", "payment": {"amount": "1000.00", "currency": "KRW", "transaction_id": TID, "partially_cancelable ": "Y"}});
    let parsed = p
        .capture()
        .unwrap()
        .parse(json_response(200, &answer))
        .unwrap();
    p.apply(PaymentOutcome::Captured(parsed)).unwrap();
    let refund = p
        .refund_partial(Amount::parse("300").unwrap(), "k", None)
        .unwrap();
    let sent = render_request(&refund.to_http(&test_config()).unwrap());
    assert!(sent.contains(r#""balance": "1000""#), "{sent}");
    let answer = refund_answer(refund.refund_id.as_str(), "300.00", "700.00");
    p.apply(PaymentOutcome::Refunded(
        refund.parse(json_response(200, &answer)).unwrap(),
    ))
    .unwrap();
    let rest = p.refund_full("k2", None).unwrap();
    let sent = render_request(&rest.to_http(&test_config()).unwrap());
    assert!(sent.contains(r#""refund_amount": "700""#), "{sent}");

    // USD "1" comes back "1.00"; a fraction KRW cannot have is refused, not rounded.
    let one = "transid=T&ref=O&cur=USD&amt=1&txntype=PAYMENT&rescode=0000";
    let p =
        Payment::from_status_notification(&Notification::parse(one.as_bytes()).unwrap(), Lang::En)
            .unwrap();
    assert_eq!(p.amount().as_str(), "1.00");
    for bad in ["1000.50", "10.5.0", "-1000", ""] {
        let body = format!("transid=T&ref=O&cur=KRW&amt={bad}&txntype=PAYMENT&rescode=0000");
        assert_eq!(
            Payment::from_status_notification(
                &Notification::parse(body.as_bytes()).unwrap(),
                Lang::En
            ),
            Err(NotificationError::InvalidField("amount")),
            "{bad}"
        );
    }
}

#[test]
fn a_krw_payment_from_its_callback_runs_its_life_under_each_echo() {
    for echoed_amounts in [EchoedAmounts::TwoDecimals, EchoedAmounts::CurrencyExponent] {
        let sandbox = start_with(SandboxConfig {
            behaviour: Behaviour {
                echoed_amounts,
                ..Behaviour::default()
            },
            ..SandboxConfig::default()
        });
        let inbox = format!("{}/_sim/inbox", sandbox.base_url());
        for (i, adapter) in Adapter::both(&sandbox).iter().enumerate() {
            control(
                &sandbox,
                "POST",
                "/_sim/payments",
                Some(
                    json!({"order_id": format!("KRW-{i}"), "currency": "KRW", "amount": "15000", "status_url": inbox}),
                ),
            );
            let entries = wait_for_inbox(&sandbox, i + 1);
            let n = Notification::parse(entries[i]["body"].as_str().unwrap().as_bytes()).unwrap();
            let mut p = Payment::from_status_notification(&n, Lang::Kr).unwrap();
            let label = format!("{echoed_amounts:?} {}", adapter.name());
            assert_eq!(
                adapter.capture(&mut p).unwrap().to,
                PaymentStatus::Captured,
                "{label}"
            );
            assert_eq!(
                adapter
                    .refund_partial(&mut p, Amount::parse("5000").unwrap(), "a", Some("test"))
                    .unwrap()
                    .to,
                PaymentStatus::PartiallyRefunded,
                "{label}"
            );
            assert_eq!(
                adapter.refund_full(&mut p, "b", None).unwrap().to,
                PaymentStatus::Refunded,
                "{label}"
            );
            assert_eq!(
                adapter.reconcile(&mut p).unwrap().to,
                PaymentStatus::Refunded,
                "{label}"
            );
        }
    }
}

// ---- 6. recurring spellings -----------------------------------------------------------

#[test]
fn recurring_fields_are_read_in_both_spellings() {
    for body in [
        "recurringID=RC1&transid=T1&rescode=0000&recurringRetry=2&recurringNext=20260301",
        "recurring_id=RC1&transid=T1&rescode=0000&recurring_retry=2&recurring_next=20260301",
    ] {
        let charge =
            ChargeResult::from_notification(&Notification::parse(body.as_bytes()).unwrap())
                .unwrap();
        assert_eq!(charge.recurring_id.as_str(), "RC1", "{body}");
        assert_eq!(charge.attempt, Some(2), "{body}");
        assert_eq!(charge.next, Date::parse_yyyymmdd("20260301"), "{body}");
    }
    let op = RecurringTerminate {
        recurring_id: RecurringId::new("RC1"),
        params: MerchantParams::default(),
    };
    let terminated = op
        .parse(response(
            200,
            "mid=1849705C64&txntype=RC_TERMINATE&recurring_id=RC1%20&rescode=0000\n",
        ))
        .unwrap();
    assert_eq!(terminated.recurring_id.as_str(), "RC1");
}

// ---- 7. partially_cancelable ----------------------------------------------------------

#[test]
fn a_payment_marked_not_partially_cancelable_is_only_refunded_in_full() {
    let mut p = authorized();
    let answer = json!({"rescode": "0000", "payment": {"amount": "10.00", "transaction_id": TID, "partially_cancelable ": "N"}});
    let parsed = p
        .capture()
        .unwrap()
        .parse(json_response(200, &answer))
        .unwrap();
    p.apply(PaymentOutcome::Captured(parsed)).unwrap();
    assert_eq!(p.partially_cancelable(), Some(false));
    assert_eq!(
        p.refund_partial(usd("1.00"), "k", None),
        Err(PaymentRefusal::PartialRefundNotAllowed)
    );
    // Kept when stored.
    let loaded: Payment = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
    assert_eq!(
        loaded.refund_partial(usd("1.00"), "k", None),
        Err(PaymentRefusal::PartialRefundNotAllowed)
    );
    assert_eq!(loaded.refund_full("k", None).unwrap().refund_type(), "F");
}

// ---- 8. signed RC_* calls -------------------------------------------------------------

#[test]
fn legacy_calls_are_signed_only_when_asked() {
    let op = RecurringTerminate {
        recurring_id: RecurringId::new("RC00000000000000001"),
        params: MerchantParams::default(),
    };
    let seed = render_request(&op.to_http(&test_config()).unwrap());
    assert!(!seed.contains("fgkey") && !seed.contains("ver="), "{seed}");
    let signed_cfg = test_config().with_legacy_signing(LegacySigning::Fgkey);
    let request = op.to_http(&signed_cfg).unwrap();
    insta::assert_snapshot!(render_request(&request));
    let fields: Vec<(String, String)> = form_urlencoded::parse(request.body())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        ["mid", "txntype", "recurringID", "ver", "charset", "fgkey"]
    );
    let (signed, fgkey): (Vec<_>, Vec<_>) = fields.iter().partition(|(k, _)| k != "fgkey");
    assert!(fgkey::verify(
        &SecretKey::new(SECRET_KEY).unwrap(),
        signed.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &fgkey[0].1
    ));
    // Signing needs the secret key: nothing is built without it.
    let no_secret = eximbay_core::Config::new(
        eximbay_core::Environment::Test,
        eximbay_core::Mid::new(eximbay_tests::MID).unwrap(),
        eximbay_core::ApiKey::new(eximbay_tests::API_KEY).unwrap(),
    )
    .unwrap()
    .with_legacy_signing(LegacySigning::Fgkey);
    assert_eq!(
        op.to_http(&no_secret).unwrap_err(),
        BuildError::MissingSecretKey
    );
}

#[test]
fn signed_and_unsigned_rc_calls_against_each_sandbox_choice() {
    for (required, client, works) in [
        (LegacySignature::Either, LegacySigning::Unsigned, true),
        (LegacySignature::Either, LegacySigning::Fgkey, true),
        (LegacySignature::Unsigned, LegacySigning::Unsigned, true),
        (LegacySignature::Unsigned, LegacySigning::Fgkey, false),
        (LegacySignature::Required, LegacySigning::Unsigned, false),
        (LegacySignature::Required, LegacySigning::Fgkey, true),
    ] {
        let sandbox = start_with(SandboxConfig {
            behaviour: Behaviour {
                legacy_signing: required,
                ..Behaviour::default()
            },
            ..SandboxConfig::default()
        });
        let created = control(
            &sandbox,
            "POST",
            "/_sim/payments",
            Some(
                json!({"order_id": "RC-S", "currency": "USD", "amount": "9.00", "transaction_type": "PAYMENT",
                        "recurring": {"amount": "9.00", "url": format!("{}/_sim/inbox", sandbox.base_url())}}),
            ),
        );
        let id = created["recurring_id"].as_str().unwrap();
        let cfg = config(&sandbox)
            .with_secret_key(SecretKey::new(DEFAULT_SECRET_KEY).unwrap())
            .with_legacy_signing(client);
        let http = eximbay_ureq::Client::new(cfg).unwrap();
        let mut recurring = Recurring::new(
            RecurringId::new(id),
            Currency::Usd,
            usd("9.00"),
            Date::parse_yyyymmdd("20300101").unwrap(),
        );
        let result = http.terminate_recurring(&mut recurring, MerchantParams::default());
        match (works, result) {
            (true, Ok(_)) => {}
            (false, Err(ClientError::Rejected(g))) => assert_eq!(g.rescode.as_str(), "EC00"),
            (works, other) => {
                panic!("{required:?} {client:?}: expected works={works}, got {other:?}")
            }
        }
        let terminated = sandbox.sandbox().recurring.registrations[id]
            .status
            .is_terminated();
        assert_eq!(terminated, works, "{required:?} {client:?}");
    }
}

// ---- 9. small ones --------------------------------------------------------------------

#[test]
fn ready_takes_only_the_window_transaction_types() {
    let ready = |transaction_type: TransactionType| Ready {
        transaction_type,
        order_id: OrderId::new("O-1"),
        currency: Currency::Usd,
        amount: usd("1.00"),
        lang: Lang::En,
        buyer_name: "Buyer".into(),
        buyer_email: "buyer@example.com".into(),
        buyer_phone: None,
        payment_method: None,
        multi_payment_method: None,
        shop: None,
        partner_code: None,
        return_url: "https://shop.example/return".into(),
        status_url: "https://shop.example/status".into(),
        products: Vec::new(),
        surcharges: Vec::new(),
        other_param: Default::default(),
        tax: Default::default(),
        settings: Default::default(),
        token_creation: false,
    };
    for ok in [
        TransactionType::Payment,
        TransactionType::Authorize,
        TransactionType::PayerAuth,
        TransactionType::Rebill,
    ] {
        assert!(ready(ok.clone()).to_http(&test_config()).is_ok(), "{ok}");
    }
    for refused in [
        TransactionType::Capture,
        TransactionType::Refund,
        TransactionType::PaymentPa,
        TransactionType::Query,
    ] {
        assert!(
            matches!(
                ready(refused.clone()).to_http(&test_config()),
                Err(BuildError::InvalidField {
                    field: "transaction_type",
                    ..
                })
            ),
            "{refused}"
        );
    }
}

#[test]
fn the_v1_adjust_keeps_the_charge_day_rule() {
    let next = Date::parse_yyyymmdd("20260301").unwrap();
    let recurring = Recurring::new(RecurringId::new("RC1"), Currency::Usd, usd("9.00"), next);
    // 2026-03-01 00:30 in Korea is still 2026-02-28 in UTC: the charge day all the same.
    let charge_day = Timestamp::kst_midnight(next).0 + 30 * 60;
    assert_eq!(
        recurring.adjust_v1(usd("12.00"), Timestamp(charge_day)),
        Err(RecurringRefusal::ChargeDay(next))
    );
    let day_before = Timestamp(charge_day - 86_400);
    let op = recurring.adjust_v1(usd("12.00"), day_before).unwrap();
    assert_eq!(op.amount.as_str(), "12.00");
    assert!(recurring.delete_v1().is_ok());
}

// ---- the sandbox's undocumented choices -----------------------------------------------

#[test]
fn the_client_never_refunds_twice_whatever_a_repeated_refund_id_does() {
    for repeated_refund_id in [
        RepeatedRefundId::AnswerOriginal,
        RepeatedRefundId::Refuse,
        RepeatedRefundId::RefundAgain,
    ] {
        let sandbox = start_with(SandboxConfig {
            behaviour: Behaviour {
                repeated_refund_id,
                ..Behaviour::default()
            },
            ..SandboxConfig::default()
        });
        for (i, adapter) in Adapter::both(&sandbox).iter().enumerate() {
            let label = format!("{repeated_refund_id:?} {}", adapter.name());
            let mut p = support::authorized(&sandbox, &format!("RR-{i}"), "USD", "10.00");
            adapter.capture(&mut p).unwrap();
            adapter
                .refund_partial(
                    &mut p,
                    Amount::parse("2.00").unwrap(),
                    "ticket",
                    Some("test"),
                )
                .unwrap();
            // The same key again, for the same or another amount: nothing is sent.
            for amount in ["2.00", "3.00"] {
                assert!(
                    adapter
                        .refund_partial(
                            &mut p,
                            Amount::parse(amount).unwrap(),
                            "ticket",
                            Some("test")
                        )
                        .unwrap_err()
                        .nothing_sent(),
                    "{label}"
                );
            }
            // A refund whose answer was lost, reconciled, then retried with its key.
            fault(
                &sandbox,
                json!({"path_contains": "/cancel", "kind": "apply_then_drop"}),
            );
            assert!(
                adapter
                    .refund_partial(&mut p, Amount::parse("1.00").unwrap(), "lost", Some("test"))
                    .unwrap_err()
                    .is_ambiguous(),
                "{label}"
            );
            adapter.reconcile(&mut p).unwrap();
            assert!(
                adapter
                    .refund_partial(&mut p, Amount::parse("1.00").unwrap(), "lost", Some("test"))
                    .unwrap_err()
                    .nothing_sent(),
                "{label}"
            );
            let entry = ledger_entry(&sandbox, &p);
            assert_eq!(entry["refunded"], "3.00", "{label}");
            assert_eq!(entry["refunds"].as_object().unwrap().len(), 2, "{label}");
            assert_eq!(p.refunded_amount(), dec("3.00"), "{label}");
        }
    }
}

#[test]
fn a_full_refund_after_partials_and_an_unknown_id_under_each_choice() {
    for (full_refund_after_partial, unknown_transaction) in [
        (
            FullRefundAfterPartial::Refuse,
            UnknownTransaction::StatusNone,
        ),
        (
            FullRefundAfterPartial::RefundBalance,
            UnknownTransaction::Ec1002,
        ),
    ] {
        let sandbox = start_with(SandboxConfig {
            behaviour: Behaviour {
                full_refund_after_partial,
                unknown_transaction,
                ..Behaviour::default()
            },
            ..SandboxConfig::default()
        });
        for (i, adapter) in Adapter::both(&sandbox).iter().enumerate() {
            let label = format!(
                "{full_refund_after_partial:?} {unknown_transaction:?} {}",
                adapter.name()
            );
            let mut p = support::authorized(&sandbox, &format!("FR-{i}"), "USD", "10.00");
            adapter.capture(&mut p).unwrap();
            adapter
                .refund_partial(&mut p, Amount::parse("4.00").unwrap(), "a", Some("test"))
                .unwrap();
            // The library refunds the rest with a P for the balance: no F after a partial.
            assert_eq!(
                adapter.refund_full(&mut p, "b", None).unwrap().to,
                PaymentStatus::Refunded,
                "{label}"
            );
            assert_eq!(ledger_entry(&sandbox, &p)["refunded"], "10.00", "{label}");

            // A payment the gateway does not know: an error, and the payment stays in doubt.
            let mut ghost = Payment::authorized(
                TransactionId::new("1849705C6499999999999999"),
                OrderId::new("GHOST"),
                Currency::Usd,
                usd("1.00"),
                Lang::En,
            )
            .unwrap();
            ghost
                .apply(PaymentOutcome::Ambiguous {
                    command: PaymentCommand::Capture,
                })
                .unwrap();
            let err = adapter.reconcile(&mut ghost).unwrap_err();
            match unknown_transaction {
                UnknownTransaction::StatusNone => assert!(
                    matches!(
                        err,
                        ClientError::Machine {
                            refusal: Refusal::Payment(PaymentRefusal::UnknownAtGateway),
                            sent: true
                        }
                    ),
                    "{label}: {err}"
                ),
                UnknownTransaction::Ec1002 => assert!(err.is_rejected_request(), "{label}: {err}"),
            }
            assert_eq!(ghost.status(), PaymentStatus::NeedsReconcile, "{label}");
        }
    }
}

#[test]
fn the_sandbox_answers_retrieve_in_the_gateways_vocabulary() {
    let sandbox = start();
    let adapter = eximbay_ureq::Client::new(config(&sandbox)).unwrap();
    let mut voided = support::authorized(&sandbox, "V-1", "USD", "10.00");
    let mut refunded = support::authorized(&sandbox, "V-2", "USD", "10.00");
    adapter.refund_full(&mut voided, "void", None).unwrap();
    adapter.capture(&mut refunded).unwrap();
    adapter.refund_full(&mut refunded, "all", None).unwrap();
    for (payment, status, balance) in [(&voided, "AUTH", "0.00"), (&refunded, "SALE", "0.00")] {
        let answer = adapter.send(&payment.reconcile()).unwrap();
        assert_eq!(answer.status.as_str(), status);
        assert_eq!(answer.balance.unwrap().as_str(), balance);
    }
    // Reconciling the void from AUTH + 0 keeps it voided.
    assert_eq!(
        adapter.reconcile(&mut voided).unwrap().to,
        PaymentStatus::Voided
    );
}

#[test]
fn a_termination_whose_answer_was_lost_is_in_doubt_not_refused() {
    // Before: the lost answer was retried blindly, the gateway refused the repeat ("already
    // terminated"), and the merchant was told the termination failed — while it happened.
    let sandbox = start();
    for (i, adapter) in Adapter::both(&sandbox).iter().enumerate() {
        let created = control(
            &sandbox,
            "POST",
            "/_sim/payments",
            Some(
                json!({"order_id": format!("T-{i}"), "currency": "USD", "amount": "9.00", "transaction_type": "PAYMENT",
                        "recurring": {"amount": "9.00", "url": format!("{}/_sim/inbox", sandbox.base_url())}}),
            ),
        );
        let id = created["recurring_id"].as_str().unwrap().to_owned();
        let mut recurring = Recurring::new(
            RecurringId::new(id.clone()),
            Currency::Usd,
            usd("9.00"),
            Date::parse_yyyymmdd("20300101").unwrap(),
        );
        fault(
            &sandbox,
            json!({"path_contains": "DirectProcessor", "kind": "apply_then_drop"}),
        );
        let err = adapter
            .terminate_recurring(&mut recurring, MerchantParams::default())
            .unwrap_err();
        assert!(err.is_ambiguous(), "{}: {err}", adapter.name());
        assert!(
            sandbox.sandbox().recurring.registrations[&id]
                .status
                .is_terminated()
        );
        assert!(!matches!(
            recurring.status(),
            eximbay_core::RecurringStatus::Terminated { .. }
        ));
    }
}
