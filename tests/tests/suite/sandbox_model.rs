//! Model-based tests against the sandbox's own ledger (in-process, through the real client
//! facade and drive loop): random command sequences with injected faults (500, HTML 502,
//! declines, apply-then-drop, answers slower than the timeout) must never capture or refund
//! twice, and after a reconcile the payment must equal the gateway's ledger; recurring charge
//! results delivered duplicated and out of order must end in the state the in-order history
//! gives.
//!
//! Recurring registrations run the same way: adjustments and terminations through the
//! client with a fault on the way, clock advances with scripted failed charges, and charge
//! results delivered late, twice or reversed; in the end the client agrees with the sandbox
//! (200 sequences in CI, 10,000 in an ignored test). Stored cards (rebill, delete, look-up)
//! and payer-authentication confirms run under the same faults, ending with the client
//! knowing exactly the payments the gateway made.
//!
//! Payments are card authorizations or cash payments made from their `status=Registered`
//! callback, then paid (`Sale`) or expired (`Void`) with callbacks lost or delivered twice;
//! every case runs under a random choice of the sandbox's undocumented behaviours (how
//! amounts are echoed, what a repeated `refund_id` does, whether `F` follows a partial
//! refund), so the client is shown right under each.
//!
//! The recurring sequences are in `sandbox_model/recurring.rs`, the stored cards and
//! confirms in `sandbox_model/tokens.rs`; each keeps its proptest regressions beside it.

mod recurring;
mod tokens;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use eximbay_core::drive::TransportError;
use eximbay_core::recurring::{ChargeResult, RecurringOutcome};
use eximbay_core::{
    Amount, ApiKey, BlockingClient, ClientError, Config, Currency, Date, Environment, Lang, Mid,
    Notification, OrderId, Payment, PaymentNotice, PaymentOutcome, PaymentStatus, Recurring,
    RecurringId, RecurringStatus, SecretKey, TransactionId, TransportFailure,
};
use eximbay_sim::NewPayment;
use eximbay_sim::{Behaviour, EchoedAmounts, FullRefundAfterPartial, RepeatedRefundId};
use eximbay_sim::{DEFAULT_API_KEY, DEFAULT_MID, DEFAULT_SECRET_KEY, RegistrationStatus};
use eximbay_sim::{Disposition, Fault, FaultKind, Sandbox, SandboxConfig};
use http::{Request, Response};
use proptest::prelude::*;
use rust_decimal::Decimal;

/// What the client's call timeout would be: a slower answer is a read timeout.
const TIMEOUT: Duration = Duration::from_millis(500);

type Shared = Arc<Mutex<Sandbox>>;

/// An in-process transport: the sandbox's answer, or what a real client would see of it.
fn transport(
    sandbox: Shared,
) -> impl Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
    move |request| {
        let handled = sandbox.lock().unwrap().handle(&request);
        match handled.disposition {
            Disposition::Respond => Ok(handled.response),
            Disposition::Delay(delay) if delay < TIMEOUT => Ok(handled.response),
            Disposition::Delay(_) => Err(TransportError::new(
                TransportFailure::ReadTimeout,
                "timed out",
            )),
            Disposition::Drop => Err(TransportError::new(
                TransportFailure::ResetAfterWrite,
                "connection reset",
            )),
        }
    }
}

fn config() -> Config {
    Config::new(
        Environment::custom("http://127.0.0.1:1").unwrap(),
        Mid::new(DEFAULT_MID).unwrap(),
        ApiKey::new(DEFAULT_API_KEY).unwrap(),
    )
    .unwrap()
}

#[derive(Clone, Debug)]
enum Injected {
    None,
    Http500,
    Html502,
    Decline,
    ApplyThenDrop,
    Slow,
}

fn injected() -> impl Strategy<Value = Injected> {
    prop_oneof![
        4 => Just(Injected::None),
        1 => Just(Injected::Http500),
        1 => Just(Injected::Html502),
        1 => Just(Injected::Decline),
        1 => Just(Injected::ApplyThenDrop),
        1 => Just(Injected::Slow),
    ]
}

#[derive(Clone, Debug)]
enum Step {
    Capture(Injected),
    RefundPartial(i64, u8, Injected),
    RefundFull(u8, Injected),
    Reconcile(Injected),
    /// The buyer of a cash payment pays; the `Sale` callback is delivered or lost.
    Settle(bool),
    /// A cash payment expires; the `Void` callback is delivered or lost.
    Expire(bool),
    /// The last status callback is delivered again.
    Redeliver,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => injected().prop_map(Step::Capture),
        4 => (1_i64..=5_000, 0_u8..4, injected()).prop_map(|(c, k, f)| Step::RefundPartial(c, k, f)),
        1 => (0_u8..4, injected()).prop_map(|(k, f)| Step::RefundFull(k, f)),
        2 => injected().prop_map(Step::Reconcile),
        2 => any::<bool>().prop_map(Step::Settle),
        1 => any::<bool>().prop_map(Step::Expire),
        1 => Just(Step::Redeliver),
    ]
}

fn behaviour() -> impl Strategy<Value = Behaviour> {
    (
        prop_oneof![
            Just(EchoedAmounts::TwoDecimals),
            Just(EchoedAmounts::CurrencyExponent)
        ],
        prop_oneof![
            Just(RepeatedRefundId::AnswerOriginal),
            Just(RepeatedRefundId::Refuse),
            Just(RepeatedRefundId::RefundAgain)
        ],
        prop_oneof![
            Just(FullRefundAfterPartial::Refuse),
            Just(FullRefundAfterPartial::RefundBalance)
        ],
    )
        .prop_map(
            |(echoed_amounts, repeated_refund_id, full_refund_after_partial)| Behaviour {
                echoed_amounts,
                repeated_refund_id,
                full_refund_after_partial,
                ..Behaviour::default()
            },
        )
}

/// Applies a (verified) status callback to the payment, as a merchant's status_url does.
fn deliver(payment: &mut Payment, body: &str) {
    let notification = Notification::parse(body.as_bytes()).unwrap();
    notification
        .verify(&SecretKey::new(DEFAULT_SECRET_KEY).unwrap())
        .unwrap();
    let notice = PaymentNotice::from_notification(&notification).unwrap();
    let before = payment.clone();
    let transition = payment
        .apply(PaymentOutcome::Notified(notice))
        .expect("a callback about this payment applies");
    if transition.event == eximbay_core::payment::PaymentEvent::DuplicateNotification {
        assert_eq!(*payment, before);
    }
}

fn inject(sandbox: &Shared, path: &str, injected: &Injected) {
    let kind = match injected {
        Injected::None => return,
        Injected::Http500 => FaultKind::Http500,
        Injected::Html502 => FaultKind::Html502,
        Injected::Decline => FaultKind::Decline {
            rescode: "HE01".into(),
            status: None,
        },
        Injected::ApplyThenDrop => FaultKind::ApplyThenDrop,
        Injected::Slow => FaultKind::Delay { ms: 2_000 },
    };
    sandbox.lock().unwrap().add_fault(Fault {
        path_contains: path.into(),
        count: 1,
        kind,
    });
}

fn cents(c: i64) -> Amount {
    Amount::from_minor_units(c, &Currency::Usd).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 128,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource("regressions"))),
        .. ProptestConfig::default()
    })]

    #[test]
    fn payments_survive_any_faults(
        amount in 100_i64..=5_000,
        cash in any::<bool>(),
        behaviour in behaviour(),
        steps in proptest::collection::vec(step(), 1..30),
    ) {
        let sandbox: Shared = Arc::new(Mutex::new(Sandbox::new(SandboxConfig { behaviour, ..SandboxConfig::default() })));
        let new: NewPayment = serde_json::from_value(serde_json::json!({
            "order_id": "MODEL-1", "currency": "USD", "amount": cents(amount).as_str(),
            "method": if cash { "cash" } else { "card" },
            "status_url": "http://merchant.invalid/status",
        })).unwrap();
        let (created, _, callbacks) = sandbox.lock().unwrap().create_payment(new).unwrap();
        let tid = created.transaction_id.clone();
        let client = BlockingClient::new(transport(sandbox.clone()), config(), |_| {});
        // Card payments are known from the window; cash ones from their Registered callback.
        let mut last_callback = callbacks.first().map(|c| c.body.clone());
        let mut payment = if cash {
            let body = last_callback.clone().unwrap();
            Payment::from_status_notification(&Notification::parse(body.as_bytes()).unwrap(), Lang::En).unwrap()
        } else {
            Payment::authorized(TransactionId::new(tid.clone()), OrderId::new("MODEL-1"), Currency::Usd, cents(amount), Lang::En).unwrap()
        };

        for step in &steps {
            let result = match step {
                Step::Capture(f) => { inject(&sandbox, "/capture", f); Some(client.capture(&mut payment).map(|applied| applied.transition)) }
                Step::RefundPartial(c, k, f) => { inject(&sandbox, "/cancel", f); Some(client.refund_partial(&mut payment, cents(*c), &format!("key-{k}"), None).map(|applied| applied.transition)) }
                Step::RefundFull(k, f) => { inject(&sandbox, "/cancel", f); Some(client.refund_full(&mut payment, &format!("key-{k}"), None).map(|applied| applied.transition)) }
                Step::Reconcile(f) => { inject(&sandbox, "/retrieve", f); Some(client.reconcile(&mut payment).map(|applied| applied.transition)) }
                Step::Settle(delivered) | Step::Expire(delivered) => {
                    let mut sim = sandbox.lock().unwrap();
                    let moved = if matches!(step, Step::Settle(_)) { sim.settle_cash(&tid) } else { sim.expire_cash(&tid) };
                    drop(sim);
                    if let Ok(callbacks) = moved {
                        last_callback = callbacks.first().map(|c| c.body.clone());
                        if *delivered && let Some(body) = &last_callback {
                            deliver(&mut payment, body);
                        }
                    }
                    None
                }
                Step::Redeliver => {
                    if let Some(body) = &last_callback {
                        deliver(&mut payment, body);
                    }
                    None
                }
            };
            // A fault injected for a command that was refused before sending stays queued;
            // clear it so it cannot hit a later, different command.
            if result.as_ref().is_some_and(|r| r.as_ref().is_err_and(ClientError::nothing_sent)) {
                sandbox.lock().unwrap().clear_faults();
            }
            prop_assert!(payment.invariant_holds(), "{payment:?}");
            let ledger = sandbox.lock().unwrap().ledger.payment(&tid).unwrap().clone();
            prop_assert!(ledger.captures_applied <= 1, "captured twice");
            // Refunds are kept by id: a refund id applied twice (the sandbox's `RefundAgain`
            // choice) would leave the total above the sum of the kept refunds.
            let sum: Decimal = ledger.refunds.values().map(|r| r.amount).sum();
            if ledger.captured {
                prop_assert_eq!(sum, ledger.refunded);
            }
            prop_assert!(ledger.refunded <= Decimal::new(amount, 2));
            if payment.status() != PaymentStatus::NeedsReconcile {
                // The view never claims more than the gateway did.
                prop_assert!(payment.refunded_amount() <= ledger.refunded || !ledger.captured);
                if cash {
                    // A lost Sale callback leaves the view behind, never ahead.
                    prop_assert!(payment.captured_amount().is_zero() || ledger.captured);
                } else {
                    prop_assert_eq!(payment.captured_amount() > Decimal::ZERO, ledger.captured);
                }
            }
        }

        // A final reconcile brings the view to the gateway's truth.
        client.reconcile(&mut payment).unwrap();
        let ledger = sandbox.lock().unwrap().ledger.payment(&tid).unwrap().clone();
        prop_assert_eq!(payment.captured_amount() > Decimal::ZERO, ledger.captured);
        prop_assert_eq!(payment.status() == PaymentStatus::Voided, ledger.voided);
        prop_assert_eq!(payment.status() == PaymentStatus::Registered, ledger.awaiting_payment);
        if ledger.captured {
            prop_assert_eq!(payment.refunded_amount(), ledger.refunded);
        }

    }
}

/// Runs a registration through `months` charge cycles, declining as scripted, and returns
/// every charge callback (verified and parsed) in delivery order, with the final status.
fn charge_history(declines: &[u32]) -> (RecurringId, Date, Vec<ChargeResult>, RegistrationStatus) {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let new: NewPayment = serde_json::from_value(serde_json::json!({
        "order_id": "SUB", "currency": "USD", "amount": "10.00", "transaction_type": "PAYMENT",
        "recurring": {"amount": "10.00", "url": "http://127.0.0.1:1/recurring"}
    }))
    .unwrap();
    let (_, registration, _) = sandbox.create_payment(new).unwrap();
    let registration = registration.unwrap();
    let id = registration.recurring_id.clone();
    let secret = SecretKey::new(DEFAULT_SECRET_KEY).unwrap();
    let mut results = Vec::new();
    for &count in declines {
        sandbox.decline_next_charges(&id, count, "HE01");
        // A month and a few days: the charge, and its retries.
        for _ in 0..33 {
            for callback in sandbox.advance(86_400) {
                let n = Notification::parse(callback.body.as_bytes()).unwrap();
                n.verify(&secret).unwrap();
                results.push(ChargeResult::from_notification(&n).unwrap());
            }
        }
        if sandbox.recurring.registrations[&id].status.is_terminated() {
            break;
        }
    }
    let status = sandbox.recurring.registrations[&id].status;
    (
        RecurringId::new(id),
        registration.first_charge,
        results,
        status,
    )
}

fn replay(
    id: &RecurringId,
    first: Date,
    results: impl IntoIterator<Item = ChargeResult>,
) -> Recurring {
    let mut recurring = Recurring::new(
        id.clone(),
        Currency::Usd,
        Amount::parse("10.00").unwrap(),
        first,
    );
    for result in results {
        recurring.apply(RecurringOutcome::Charged(result)).unwrap();
    }
    recurring
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource("regressions"))),
        .. ProptestConfig::default()
    })]

    #[test]
    fn charge_results_in_any_order_and_repeated_end_in_the_same_state(
        declines in proptest::collection::vec(prop_oneof![3 => Just(0_u32), 1 => Just(1), 1 => Just(2), 1 => Just(3)], 1..5),
        repeats in proptest::collection::vec(any::<proptest::sample::Index>(), 0..6),
        seed in any::<u64>(),
    ) {
        let (id, first, results, sandbox_status) = charge_history(&declines);
        prop_assume!(!results.is_empty());
        let in_order = replay(&id, first, results.clone());
        // The core reads the history as the sandbox lived it.
        let expected = match sandbox_status {
            RegistrationStatus::Active => matches!(in_order.status(), RecurringStatus::Active),
            RegistrationStatus::Retrying => matches!(in_order.status(), RecurringStatus::Retrying { .. }),
            RegistrationStatus::TerminatedAfterFailures => matches!(in_order.status(), RecurringStatus::Terminated { .. }),
            RegistrationStatus::TerminatedByMerchant => false,
        };
        prop_assert!(expected, "{:?} vs {:?}", in_order.status(), sandbox_status);

        // Shuffle deterministically from the seed, and deliver some results twice.
        let mut shuffled = results.clone();
        for repeat in &repeats {
            shuffled.push(results[repeat.index(results.len())].clone());
        }
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let any_order = replay(&id, first, shuffled);
        prop_assert_eq!(any_order.status(), in_order.status());
        prop_assert_eq!(any_order.next_charge(), in_order.next_charge());
    }
}
