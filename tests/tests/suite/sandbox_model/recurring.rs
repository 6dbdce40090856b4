//! Recurring payments through the client, under every fault: adjustments and terminations
//! with a fault on the way, clock advances with scripted failed charges, charge results
//! delivered late, twice or reversed; the client ends agreeing with the sandbox.

use super::*;

#[derive(Clone, Debug)]
enum RecurringStep {
    /// The merchant changes the monthly amount (cents), a fault on the way.
    Adjust(i64, Injected),
    /// The merchant terminates the registration, a fault on the way.
    Terminate(Injected),
    /// The test clock moves on; charges that fall due run (maybe scripted to fail first).
    Advance { days: i64, declines: u32 },
    /// The charge results posted so far arrive at the merchant, maybe twice, maybe reversed.
    Deliver { twice: bool, reversed: bool },
}

fn recurring_step() -> impl Strategy<Value = RecurringStep> {
    prop_oneof![
        2 => (100_i64..=5_000, injected()).prop_map(|(c, f)| RecurringStep::Adjust(c, f)),
        1 => injected().prop_map(RecurringStep::Terminate),
        3 => (1_i64..=40, prop_oneof![3 => Just(0_u32), 1 => 1_u32..=3]).prop_map(|(days, declines)| RecurringStep::Advance { days, declines }),
        3 => (any::<bool>(), any::<bool>()).prop_map(|(twice, reversed)| RecurringStep::Deliver { twice, reversed }),
    ]
}

/// One recurring sequence: the client's `Recurring` against the sandbox's registration.
fn run_recurring_sequence(steps: &[RecurringStep]) -> Result<(), TestCaseError> {
    let sandbox: Shared = Arc::new(Mutex::new(Sandbox::new(SandboxConfig::default())));
    let new: NewPayment = serde_json::from_value(serde_json::json!({
        "order_id": "SUB-M", "currency": "USD", "amount": "10.00", "transaction_type": "PAYMENT",
        "recurring": {"amount": "10.00", "url": "http://merchant.invalid/recurring"}
    }))
    .unwrap();
    let (_, registration, _) = sandbox.lock().unwrap().create_payment(new).unwrap();
    let registration = registration.unwrap();
    let id = registration.recurring_id.clone();
    let client = BlockingClient::new(transport(sandbox.clone()), config(), |_| {});
    let mut recurring = Recurring::new(
        RecurringId::new(id.clone()),
        Currency::Usd,
        Amount::parse("10.00").unwrap(),
        registration.first_charge,
    );
    let secret = SecretKey::new(DEFAULT_SECRET_KEY).unwrap();
    let mut posted: Vec<ChargeResult> = Vec::new();
    let mut delivered = 0;
    let mut termination_in_doubt = false;
    let mut adjust_in_doubt = false;
    for step in steps {
        match step {
            RecurringStep::Adjust(cents_value, fault) => {
                inject(&sandbox, "DirectProcessor", fault);
                let now = sandbox.lock().unwrap().now();
                let result = client.adjust_recurring(
                    &mut recurring,
                    cents(*cents_value),
                    now,
                    Default::default(),
                );
                match result {
                    Err(e) if e.nothing_sent() => sandbox.lock().unwrap().clear_faults(),
                    // Retried safely at most twice; a slow answer three times in a row is
                    // the only way to end without knowing.
                    Err(ClientError::Transport { .. }) => adjust_in_doubt = true,
                    _ => {}
                }
            }
            RecurringStep::Terminate(fault) => {
                inject(&sandbox, "DirectProcessor", fault);
                match client.terminate_recurring(&mut recurring, Default::default()) {
                    Err(e) if e.is_ambiguous() => termination_in_doubt = true,
                    Err(e) if e.nothing_sent() => sandbox.lock().unwrap().clear_faults(),
                    _ => {}
                }
            }
            RecurringStep::Advance { days, declines } => {
                let mut sim = sandbox.lock().unwrap();
                sim.decline_next_charges(&id, *declines, "HE01");
                for callback in sim.advance(days * 86_400) {
                    let n = Notification::parse(callback.body.as_bytes()).unwrap();
                    prop_assert!(n.verify(&secret).is_ok());
                    posted.push(ChargeResult::from_notification(&n).unwrap());
                }
            }
            RecurringStep::Deliver { twice, reversed } => {
                let mut batch: Vec<ChargeResult> = posted[delivered..].to_vec();
                if *reversed {
                    batch.reverse();
                }
                if *twice {
                    batch.extend(batch.clone());
                }
                for result in batch {
                    // A result after the merchant's own termination changes nothing.
                    let _ = recurring.apply(RecurringOutcome::Charged(result));
                }
                delivered = posted.len();
            }
        }
    }
    // Everything posted arrives in the end (again, in order): the client agrees with the
    // sandbox, unless a termination's answer was lost (then the merchant knows to check).
    for result in posted.clone() {
        let _ = recurring.apply(RecurringOutcome::Charged(result));
    }
    let sim = sandbox.lock().unwrap();
    let theirs = &sim.recurring.registrations[&id];
    let ours = recurring.status();
    let agree = match theirs.status {
        RegistrationStatus::Active => matches!(ours, RecurringStatus::Active),
        RegistrationStatus::Retrying => matches!(ours, RecurringStatus::Retrying { .. }),
        RegistrationStatus::TerminatedAfterFailures | RegistrationStatus::TerminatedByMerchant => {
            matches!(ours, RecurringStatus::Terminated { .. }) || termination_in_doubt
        }
    };
    prop_assert!(agree, "client {:?}, sandbox {:?}", ours, theirs.status);
    if !theirs.status.is_terminated() && !adjust_in_doubt {
        prop_assert_eq!(
            recurring.amount().value(),
            Amount::parse(&theirs.amount).unwrap().value()
        );
    }
    // No charge was applied twice: each charge result's transaction is distinct.
    let mut tids: Vec<_> = posted
        .iter()
        .filter_map(|c| c.transaction_id.clone())
        .collect();
    tids.sort();
    tids.dedup();
    prop_assert_eq!(tids.len(), posted.len());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    /// The CI share of the recurring fault sequences.
    #[test]
    fn recurring_sequences_under_faults(steps in proptest::collection::vec(recurring_step(), 1..25)) {
        run_recurring_sequence(&steps)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, .. ProptestConfig::default() })]

    /// 10,000 recurring fault sequences; run with `--ignored` (13 s here, on a busy 2-core
    /// machine: none failed).
    #[test]
    #[ignore = "long: 10,000 sequences"]
    fn ten_thousand_recurring_sequences_under_faults(steps in proptest::collection::vec(recurring_step(), 1..25)) {
        run_recurring_sequence(&steps)?;
    }
}
