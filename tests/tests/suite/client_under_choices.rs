//! The client under each of the sandbox's choices where the gateway is undocumented
//! (`retrieve_shape`, `echoed_amounts`, `retrieve_by_order`, `retrieve_lag`,
//! `v1_refund_balance`, `cancel_before_capture`, `window_callback_names`): both adapters run a
//! payment through capture, refunds and reconcile (by retrieve, and by the legacy QUERY), over
//! HTTP, and end agreeing with the sandbox.

use eximbay_core::{Amount, Lang, Notification, Payment, PaymentStatus};
use eximbay_sim::{Behaviour, SandboxConfig};
use eximbay_sim::{
    CallbackNames, CancelBeforeCapture, EchoedAmounts, RefundBalance, RetrieveByOrder, RetrieveLag,
    RetrieveShape,
};
use serde_json::json;

use eximbay_tests::sandbox::*;

fn with(behaviour: Behaviour) -> eximbay_sim::RunningSandbox {
    start_with(SandboxConfig {
        behaviour,
        ..SandboxConfig::default()
    })
}

#[test]
fn a_payment_runs_its_life_under_each_retrieve_shape_and_echo() {
    for retrieve_shape in [RetrieveShape::Nested, RetrieveShape::Flat] {
        for echoed_amounts in [
            EchoedAmounts::BySurface,
            EchoedAmounts::AsSent,
            EchoedAmounts::TwoDecimals,
            EchoedAmounts::CurrencyExponent,
        ] {
            for v1_refund_balance in [RefundBalance::WhenPresent, RefundBalance::Required] {
                let sandbox = with(Behaviour {
                    retrieve_shape,
                    echoed_amounts,
                    v1_refund_balance,
                    // Two payments of one order: the later one is what a look-up by order finds.
                    retrieve_by_order: RetrieveByOrder::Latest,
                    ..Behaviour::default()
                });
                let query = eximbay_ureq::Client::new(signed_config(&sandbox)).unwrap();
                for (i, adapter) in Adapter::both(&sandbox).into_iter().enumerate() {
                    let label = format!(
                        "{retrieve_shape:?} {echoed_amounts:?} {v1_refund_balance:?} {}",
                        adapter.name()
                    );
                    let (currency, amount, part) = if i == 0 {
                        ("KRW", "15000", "5000")
                    } else {
                        ("USD", "10.50", "0.50")
                    };
                    let mut p = authorized(&sandbox, &format!("CH-{i}"), currency, amount);
                    assert_eq!(
                        adapter.capture(&mut p).unwrap().to,
                        PaymentStatus::Captured,
                        "{label}"
                    );
                    assert_eq!(
                        adapter
                            .refund_partial(&mut p, Amount::parse(part).unwrap(), "a", Some("test"))
                            .unwrap()
                            .to,
                        PaymentStatus::PartiallyRefunded,
                        "{label}"
                    );
                    assert_eq!(
                        adapter.reconcile(&mut p).unwrap().to,
                        PaymentStatus::PartiallyRefunded,
                        "{label}"
                    );
                    assert_eq!(
                        query.reconcile_by_query(&mut p).unwrap().to,
                        PaymentStatus::PartiallyRefunded,
                        "{label} (QUERY)"
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
                    assert_eq!(
                        query.reconcile_by_query(&mut p).unwrap().to,
                        PaymentStatus::Refunded,
                        "{label} (QUERY)"
                    );
                }
            }
        }
    }
}

#[test]
fn a_retrieve_that_lags_finds_the_payment_later() {
    let sandbox = with(Behaviour {
        retrieve_lag: RetrieveLag {
            seconds: 0,
            retrieves: 1,
        },
        ..Behaviour::default()
    });
    for (i, adapter) in Adapter::both(&sandbox).into_iter().enumerate() {
        let mut p = authorized(&sandbox, &format!("LAG-{i}"), "USD", "1.00");
        // The first look-up does not see it yet: nothing is concluded, nothing changes.
        assert!(adapter.reconcile(&mut p).is_err(), "{}", adapter.name());
        assert_eq!(p.status(), PaymentStatus::Authorized);
        assert_eq!(
            adapter.reconcile(&mut p).unwrap().to,
            PaymentStatus::Authorized
        );
        assert_eq!(adapter.capture(&mut p).unwrap().to, PaymentStatus::Captured);
    }
}

#[test]
fn a_void_before_capture_is_applied_or_refused_as_the_choice_says() {
    for choice in [CancelBeforeCapture::Void, CancelBeforeCapture::Refuse] {
        let sandbox = with(Behaviour {
            cancel_before_capture: choice,
            ..Behaviour::default()
        });
        for (i, adapter) in Adapter::both(&sandbox).into_iter().enumerate() {
            let mut p = authorized(&sandbox, &format!("V-{i}"), "USD", "2.00");
            let voided = adapter.refund_full(&mut p, "void", None);
            match choice {
                CancelBeforeCapture::Void => {
                    assert_eq!(
                        voided.unwrap().to,
                        PaymentStatus::Voided,
                        "{}",
                        adapter.name()
                    );
                }
                CancelBeforeCapture::Refuse => {
                    assert!(voided.is_err(), "{}", adapter.name());
                    assert_eq!(p.status(), PaymentStatus::Authorized);
                    // The client and the sandbox still agree.
                    assert_eq!(
                        adapter.reconcile(&mut p).unwrap().to,
                        PaymentStatus::Authorized
                    );
                }
            }
        }
    }
}

#[test]
fn a_callback_under_either_name_set_makes_the_same_payment() {
    for names in [CallbackNames::Legacy, CallbackNames::V1] {
        let sandbox = with(Behaviour {
            window_callback_names: names,
            ..Behaviour::default()
        });
        let inbox = format!("{}/_sim/inbox", sandbox.base_url());
        // The v1 names are those of the SDK flow's results; a ready + request_pay window
        // is what makes them, driven here through the sandbox's own in-process handler.
        let mut state = sandbox.sandbox();
        let new = serde_json::from_value(json!({"order_id": "N-1", "currency": "USD",
            "amount": "3.00", "transaction_type": "AUTHORIZE", "status_url": inbox}))
        .unwrap();
        let (_, _, callbacks) = state.create_payment_named(new, names).unwrap();
        drop(state);
        let n = Notification::parse(callbacks[0].body.as_bytes()).unwrap();
        n.verify(&eximbay_core::SecretKey::new(eximbay_sim::DEFAULT_SECRET_KEY).unwrap())
            .unwrap();
        let mut p = Payment::from_status_notification(&n, Lang::En).unwrap();
        assert_eq!(p.amount().as_str(), "3.00", "{names:?}");
        for adapter in Adapter::both(&sandbox).into_iter().take(1) {
            assert_eq!(
                adapter.capture(&mut p).unwrap().to,
                PaymentStatus::Captured,
                "{names:?}"
            );
        }
    }
}
