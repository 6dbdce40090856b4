//! The "not found is not never made" grace policy (`NotFoundGrace`, default 15 minutes, then
//! 3 `NONE` answers) against a gateway whose retrieve lags: the sandbox's `retrieve_lag`
//! choice hides a new payment for some test-clock seconds, then for some look-ups more.
//!
//! Model: a rebill through the blocking adapter is applied and its answer lost; the caller
//! then reconciles every `poll` seconds (the sandbox's clock moves with the caller's) and
//! charges again only when the policy says the first rebill was never made. For every lag
//! within the policy — hidden for at most `min_wait_seconds`, and for fewer than
//! `none_answers` look-ups after that — the card is charged once, whatever the polling.
//! Beyond it (hidden longer than the wait *and* for as many look-ups as the policy counts)
//! the policy is fooled and the card is charged twice: the docs say so, and the last test
//! shows it.

use eximbay_core::{
    Amount, Currency, Lang, NotFoundGrace, Notification, OrderId, SecretKey, Timestamp, Token,
};
use eximbay_sim::DEFAULT_SECRET_KEY;
use eximbay_sim::NewPayment;
use eximbay_sim::RetrieveLag;
use eximbay_sim::{Behaviour, RunningSandbox, SandboxConfig};

use eximbay_tests::sandbox::{config, control, start_with};

fn stored_card(sandbox: &RunningSandbox) -> Token {
    let new: NewPayment = serde_json::from_value(serde_json::json!({
        "order_id": "FIRST", "currency": "USD", "amount": "12.00", "transaction_type": "PAYMENT",
        "status_url": "http://127.0.0.1:1/status", "token_creation": true
    }))
    .unwrap();
    let (_, _, callbacks) = sandbox.sandbox().create_payment(new).unwrap();
    let notification = Notification::parse(callbacks[0].body.as_bytes()).unwrap();
    notification
        .verify(&SecretKey::new(DEFAULT_SECRET_KEY).unwrap())
        .unwrap();
    Token::from_notification(&notification, Lang::En).unwrap()
}

/// Runs the model; returns how many rebills the sandbox made for the card.
fn charges(lag: RetrieveLag, poll: i64) -> usize {
    let sandbox = start_with(SandboxConfig {
        behaviour: Behaviour {
            retrieve_lag: lag,
            ..Behaviour::default()
        },
        ..SandboxConfig::default()
    });
    let client = eximbay_ureq::Client::new(config(&sandbox)).unwrap();
    let mut token = stored_card(&sandbox);
    let amount = Amount::parse("12.00").unwrap();
    let rebill = |client: &eximbay_ureq::Client, token: &mut Token, at: Timestamp| {
        client.rebill(
            token,
            OrderId::new("REBILL-1"),
            amount.clone(),
            Currency::Usd,
            Vec::new(),
            at,
        )
    };
    // Applied, then the answer is lost.
    control(
        &sandbox,
        "POST",
        "/_sim/faults",
        Some(serde_json::json!({"path_contains": "/rebill", "kind": "apply_then_drop"})),
    );
    let mut at = sandbox.sandbox().now();
    assert!(rebill(&client, &mut token, at).unwrap_err().is_ambiguous());
    // Reconcile every `poll` seconds for two hours; charge again only when the policy allows.
    for _ in 0..(7200 / poll) {
        at = Timestamp(at.0 + poll);
        sandbox.sandbox().advance(poll);
        match client
            .reconcile_token(&mut token, at)
            .map(|transition| transition.event.into_payment())
        {
            Ok(Some(_found)) => break,
            Ok(None) if token.in_doubt().is_none() => {
                // The policy says the first rebill was never made: charge again.
                rebill(&client, &mut token, at).unwrap();
                break;
            }
            Ok(None) => {}
            Err(error) => panic!("{lag:?} poll {poll}: {error}"),
        }
    }
    let sim = sandbox.sandbox();
    sim.tokens
        .card(token.token_id().as_str())
        .unwrap()
        .rebills
        .len()
}

#[test]
fn every_lag_within_the_policy_charges_once_whatever_the_polling() {
    let policy = NotFoundGrace::CONSERVATIVE;
    assert_eq!(policy, NotFoundGrace::default());
    let wait = policy.min_wait_seconds;
    for seconds in [0, 60, wait / 2, wait] {
        for retrieves in 0..policy.none_answers {
            for poll in [60, 300, 450] {
                let lag = RetrieveLag { seconds, retrieves };
                assert_eq!(charges(lag, poll), 1, "{lag:?}, polling every {poll} s");
            }
        }
    }
}

#[test]
fn a_lag_beyond_the_policy_fools_it_into_a_second_charge() {
    // Hidden for twice the wait and then for as many look-ups as the policy counts: every
    // NONE is genuine-looking, so the card is charged again. This is the documented limit.
    let policy = NotFoundGrace::CONSERVATIVE;
    let lag = RetrieveLag {
        seconds: 2 * policy.min_wait_seconds,
        retrieves: policy.none_answers,
    };
    assert_eq!(charges(lag, 300), 2);
}
