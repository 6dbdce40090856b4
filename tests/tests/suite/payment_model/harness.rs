//! The system under test: a real `Payment` driven through the core's operations against
//! the scripted gateway, checked against the reference model after every step.

use super::*;

pub(super) struct Harness {
    /// The merchant's clock.
    now: Timestamp,
    payment: Payment,
    gateway: ScriptedGateway,
    last_refund_answer: Option<PaymentOutcome>,
    last_notice: Option<String>,
}

fn cents(amount: i64) -> Amount {
    Amount::from_minor_units(amount, &Currency::Usd).unwrap()
}

fn to_decimal(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

impl Harness {
    /// Sends an operation through the scripted gateway and turns the reply into an outcome.
    fn run<O: Operation>(
        &mut self,
        op: &O,
        script: Script,
        command: PaymentCommand,
        wrap: impl FnOnce(O::Output) -> PaymentOutcome,
    ) -> PaymentOutcome {
        let request = op
            .to_http(&test_config())
            .expect("legal commands always build");
        match self.gateway.handle(&request, script) {
            Reply::Lost => PaymentOutcome::Ambiguous { command },
            Reply::Response(response) => match op.parse(response) {
                Ok(output) => wrap(output),
                Err(error) => PaymentOutcome::Declined {
                    command,
                    error: error
                        .gateway_error()
                        .cloned()
                        .expect("the scripted gateway only declines with a rescode"),
                },
            },
        }
    }
}

impl StateMachineTest for Harness {
    type SystemUnderTest = Harness;
    type Reference = PaymentReference;

    fn init_test(model: &Model) -> Harness {
        let mut gateway = ScriptedGateway::default();
        let amount = cents(model.amount);
        if model.cash {
            gateway.register_cash(TID, "ORDER-1", "USD", amount.as_str());
            // The payment is made from the `Registered` notification, as a merchant does.
            let body = notice_body("Registered", &amount);
            let notification = Notification::parse(body.as_bytes()).unwrap();
            let payment = Payment::from_status_notification(&notification, Lang::En)
                .unwrap()
                .with_authorization_expiry(EXPIRY_DAYS);
            assert_eq!(payment.status(), PaymentStatus::Registered);
            return Harness {
                now: AUTHORIZED_AT,
                payment,
                gateway,
                last_refund_answer: None,
                last_notice: Some(body),
            };
        }
        gateway.authorize(TID, "ORDER-1", "USD", amount.as_str());
        Harness {
            now: AUTHORIZED_AT,
            payment: Payment::authorized(
                TransactionId::new(TID),
                OrderId::new("ORDER-1"),
                Currency::Usd,
                amount,
                Lang::En,
            )
            .unwrap()
            .with_authorized_at(AUTHORIZED_AT)
            .with_authorization_expiry(EXPIRY_DAYS),
            gateway,
            last_refund_answer: None,
            last_notice: None,
        }
    }

    fn apply(mut h: Harness, model: &Model, command: Command) -> Harness {
        match command {
            Command::Capture(outcome) => match h.payment.capture_at(h.now) {
                Ok(op) => {
                    let result = h.run(
                        &op,
                        outcome.script(),
                        PaymentCommand::Capture,
                        PaymentOutcome::Captured,
                    );
                    h.payment.apply(result).expect("capture outcomes apply");
                }
                Err(PaymentRefusal::AuthorizationExpired { .. }) => {
                    assert!(model.expired(), "refused as expired only when it is");
                }
                Err(PaymentRefusal::NeedsReconcile | PaymentRefusal::NotAllowed { .. }) => {}
                Err(other) => panic!("unexpected refusal {other:?}"),
            },
            Command::RefundFull { key, outcome } => {
                match h.payment.refund_full(&format!("key-{key}"), Some("model")) {
                    Ok(op) => h.refund(&op, outcome),
                    Err(
                        PaymentRefusal::NeedsReconcile
                        | PaymentRefusal::NotAllowed { .. }
                        | PaymentRefusal::RefundKeyReused { .. }
                        | PaymentRefusal::RefundAlreadyApplied { .. },
                    ) => {}
                    Err(other) => panic!("unexpected refusal {other:?}"),
                }
            }
            Command::RefundPartial {
                cents: c,
                key,
                outcome,
            } => {
                match h
                    .payment
                    .refund_partial(cents(c), &format!("key-{key}"), None)
                {
                    Ok(op) => h.refund(&op, outcome),
                    Err(
                        PaymentRefusal::NeedsReconcile
                        | PaymentRefusal::NotAllowed { .. }
                        | PaymentRefusal::ExceedsBalance { .. }
                        | PaymentRefusal::RefundKeyReused { .. }
                        | PaymentRefusal::RefundAlreadyApplied { .. },
                    ) => {}
                    Err(other) => panic!("unexpected refusal {other:?}"),
                }
            }
            Command::Reconcile => {
                let op = h.payment.reconcile();
                let result = h.run(
                    &op,
                    Script::Answer,
                    PaymentCommand::Reconcile,
                    PaymentOutcome::Retrieved,
                );
                h.payment
                    .apply(result)
                    .expect("the gateway's record always applies");
            }
            Command::Settle { delivered } | Command::Expire { delivered } => {
                let (moved, status) = if matches!(command, Command::Settle { .. }) {
                    (h.gateway.settle_cash(TID), "Sale")
                } else {
                    (h.gateway.expire_cash(TID), "Void")
                };
                if moved {
                    // The gateway echoes the amount its own way ("12" as "12.00").
                    let body = notice_body(status, h.payment.amount());
                    h.last_notice = Some(body);
                    if delivered {
                        h.deliver_last_notice();
                    }
                }
            }
            Command::RedeliverNotice => h.deliver_last_notice(),
            Command::DaysPass(days) => h.now = Timestamp(h.now.0 + i64::from(days) * 86_400),
            Command::ReplayLastRefund => {
                if let Some(answer) = h.last_refund_answer.clone() {
                    let before = h.payment.clone();
                    match h.payment.apply(answer) {
                        Ok(transition) => {
                            assert!(matches!(
                                transition.event,
                                PaymentEvent::DuplicateRefund { .. }
                            ));
                            assert_eq!(h.payment, before);
                        }
                        // In doubt, or after a reconcile that already counted it.
                        Err(_) => assert_eq!(h.payment, before),
                    }
                }
            }
        }
        let _ = model;
        h
    }

    fn check_invariants(h: &Harness, model: &Model) {
        let p = &h.payment;
        assert!(p.invariant_holds(), "invariant broken: {p:?}");
        assert_eq!(p.is_expired(h.now), model.expired(), "what a sweeper sees");
        assert_eq!(p.status(), model.view, "status");
        if p.status() != PaymentStatus::NeedsReconcile {
            assert_eq!(
                p.captured_amount(),
                to_decimal(model.view_captured),
                "captured"
            );
            assert_eq!(
                p.refunded_amount(),
                to_decimal(model.view_refunded),
                "refunded"
            );
            assert_eq!(
                p.refundable(),
                to_decimal(model.view_balance()),
                "refundable"
            );
        }
        let entry = h.gateway.payment(TID);
        assert!(entry.captures_applied <= 1, "captured twice");
        assert_eq!(entry.captured, model.captured, "gateway captured");
        assert_eq!(
            entry.refunded,
            if model.captured {
                to_decimal(model.refunded)
            } else {
                Decimal::ZERO
            },
            "gateway refunded"
        );
        assert_eq!(entry.voided, model.voided, "gateway voided");
        assert_eq!(
            to_decimal(model.truth_balance()),
            if entry.voided {
                Decimal::ZERO
            } else {
                rust_decimal::Decimal::from_str_exact(&entry.amount).unwrap() - entry.refunded
            }
        );
    }
}

/// A signed-looking `status_url` body (the fgkey is checked elsewhere; here it is the
/// reading that matters), with the amount echoed with two decimals as the gateway does.
fn notice_body(status: &str, amount: &Amount) -> String {
    format!(
        "transid={TID}&ref=ORDER-1&cur=USD&amt={:.2}&txntype=PAYMENT&rescode=0000&status={status}",
        amount.value()
    )
}

impl Harness {
    fn deliver_last_notice(&mut self) {
        let Some(body) = self.last_notice.clone() else {
            return;
        };
        let notification = Notification::parse(body.as_bytes()).unwrap();
        let notice = PaymentNotice::from_notification(&notification).unwrap();
        let before = self.payment.clone();
        let transition = self
            .payment
            .apply(PaymentOutcome::Notified(notice))
            .expect("a notice about this payment applies");
        if transition.event == PaymentEvent::DuplicateNotification {
            assert_eq!(self.payment, before, "a redelivery changes nothing");
        }
    }

    fn refund(&mut self, op: &eximbay_core::ops::cancel::Cancel, outcome: Outcome) {
        let command = PaymentCommand::of_cancel(op);
        let result = self.run(op, outcome.script(), command, PaymentOutcome::Refunded);
        if let PaymentOutcome::Refunded(_) = &result {
            self.last_refund_answer = Some(result.clone());
        }
        self.payment.apply(result).expect("refund outcomes apply");
    }
}

#[test]
fn an_ambiguous_capture_is_reconciled_never_replayed() {
    let mut h = Harness::init_test(&Model::authorized(1000));
    let op = h.payment.capture().unwrap();
    let lost = h.run(
        &op,
        Script::ApplyThenDrop,
        PaymentCommand::Capture,
        PaymentOutcome::Captured,
    );
    h.payment.apply(lost).unwrap();
    assert_eq!(h.payment.status(), PaymentStatus::NeedsReconcile);
    assert_eq!(h.payment.capture(), Err(PaymentRefusal::NeedsReconcile));
    assert!(h.payment.refund_partial(cents(1), "k", None).is_err());
    let op = h.payment.reconcile();
    let truth = h.run(
        &op,
        Script::Answer,
        PaymentCommand::Reconcile,
        PaymentOutcome::Retrieved,
    );
    h.payment.apply(truth).unwrap();
    assert_eq!(h.payment.status(), PaymentStatus::Captured);
    assert_eq!(h.gateway.payment(TID).captures_applied, 1);
}
