//! Where the gateway's behaviour is undocumented, both adapters against the sandbox under
//! each of its named choices: repeated refund ids, full refunds after partials, retrieve's
//! vocabulary, a termination whose answer was lost.

use super::*;

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
