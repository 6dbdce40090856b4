//! Stored cards (rebill, delete, look-up) and payer-authentication confirms under every
//! fault, ending with the client knowing exactly the payments the gateway made.

use super::*;

#[derive(Clone, Debug)]
enum TokenStep {
    Rebill(i64, Injected),
    Delete(Injected),
    Lookup(Injected),
    Reconcile(Injected),
    /// A fresh payer authentication, confirmed (`true`: `PAYMENT_PA`) with a fault on the
    /// way, then reconciled by order id until settled.
    Confirm(bool, Injected),
}

fn token_step() -> impl Strategy<Value = TokenStep> {
    prop_oneof![
        4 => (100_i64..=5_000, injected()).prop_map(|(c, f)| TokenStep::Rebill(c, f)),
        1 => injected().prop_map(TokenStep::Delete),
        1 => injected().prop_map(TokenStep::Lookup),
        2 => injected().prop_map(TokenStep::Reconcile),
        2 => (any::<bool>(), injected()).prop_map(|(pay, f)| TokenStep::Confirm(pay, f)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: Some(Box::new(proptest::test_runner::FileFailurePersistence::WithSource("regressions"))),
        .. ProptestConfig::default()
    })]

    /// Rebills, deletes and look-ups of one stored card, and confirms of payer
    /// authentications, each with any fault on the way. After every step: every payment the
    /// client holds is the gateway's, captured or authorized as the client thinks; the card
    /// is never believed active once the gateway deleted it unless the delete is in doubt,
    /// and never believed deleted while the gateway has it. In the end, once the doubt is
    /// settled, the client knows exactly the payments the gateway made — none twice.
    #[test]
    fn stored_cards_and_confirms_survive_any_faults(steps in proptest::collection::vec(token_step(), 1..20)) {
        use eximbay_core::{PayerAuthentication, PayerAuthId, Token, TokenStatus, TransactionType};
        use eximbay_core::authentication::AuthenticationStatus;
        use eximbay_core::token::TokenCommand;

        let sandbox: Shared = Arc::new(Mutex::new(Sandbox::new(SandboxConfig::default())));
        let new: NewPayment = serde_json::from_value(serde_json::json!({
            "order_id": "TOKEN-0", "currency": "USD", "amount": "10.00", "transaction_type": "PAYMENT",
            "status_url": "http://merchant.invalid/status", "token_creation": true,
        })).unwrap();
        let (_, _, callbacks) = sandbox.lock().unwrap().create_payment(new).unwrap();
        let notification = Notification::parse(callbacks[0].body.as_bytes()).unwrap();
        let mut token = Token::from_notification(&notification, Lang::En).unwrap();
        let token_id = token.token_id().as_str().to_owned();
        let client = BlockingClient::new(transport(sandbox.clone()), config(), |_| {});
        let mut known: Vec<Payment> = Vec::new();
        let mut rebills = 0;
        // The caller's clock: five minutes pass between steps.
        let mut now = eximbay_core::Timestamp(1_800_000_000);

        for (n, step) in steps.iter().enumerate() {
            now.0 += 300;
            let result = match step {
                TokenStep::Rebill(c, f) => {
                    inject(&sandbox, "/rebill", f);
                    rebills += 1;
                    client
                        .rebill(&mut token, OrderId::new(format!("REBILL-{rebills}")), cents(*c), Currency::Usd, Vec::new(), now)
                        .map(|applied| known.extend(applied.transition.event.into_payment()))
                }
                TokenStep::Delete(f) => { inject(&sandbox, "/delete", f); client.delete_token(&mut token, now).map(|_| ()) }
                TokenStep::Lookup(f) => { inject(&sandbox, "/tokenbilling/", f); client.lookup_token(&mut token, now).map(|_| ()) }
                TokenStep::Reconcile(f) => {
                    inject(&sandbox, "/retrieve", f);
                    client.reconcile_token(&mut token, now).map(|found| known.extend(found.event.into_payment()))
                }
                TokenStep::Confirm(pay, f) => {
                    let order = format!("AUTH-{n}");
                    let id = format!("PA{n:018}");
                    sandbox.lock().unwrap().authentications.record(id.clone(), eximbay_sim::Authentication {
                        order_id: order.clone(), currency: "USD".into(), amount: "7.00".into(), confirmed: None,
                    });
                    let mut auth = PayerAuthentication::new(PayerAuthId::new(id), OrderId::new(order), Currency::Usd, cents(700), Lang::En).unwrap();
                    inject(&sandbox, "/confirm", f);
                    let kind = if *pay { TransactionType::PaymentPa } else { TransactionType::AuthorizePa };
                    let confirmed = client.confirm(&mut auth, kind, now).map(|applied| known.extend(applied.transition.event.into_payment()));
                    sandbox.lock().unwrap().clear_faults();
                    // Settle the doubt at once, so each authentication ends confirmed or not:
                    // retrieve until found, or until the grace policy (15 minutes, then 3
                    // NONE answers) reads the confirm as never made.
                    let mut later = now;
                    while *auth.status() == AuthenticationStatus::NeedsReconcile {
                        later.0 += 600;
                        known.extend(client.reconcile_authentication(&mut auth, later).unwrap().transition.event.into_payment());
                        prop_assert!(later.0 - now.0 <= 2_400, "settled within the policy");
                    }
                    prop_assert!(!matches!(auth.status(), AuthenticationStatus::NeedsReconcile));
                    confirmed
                }
            };
            if result.is_err() {
                sandbox.lock().unwrap().clear_faults();
            }
            let sim = sandbox.lock().unwrap();
            for payment in &known {
                let ledger = sim.ledger.payment(payment.transaction_id().as_str()).unwrap();
                prop_assert_eq!(ledger.captured, payment.status() == PaymentStatus::Captured);
                prop_assert_eq!(ledger.total(), payment.amount().value());
            }
            let card = sim.tokens.card(&token_id).unwrap();
            if card.deleted {
                prop_assert!(token.status() == TokenStatus::Deleted || token.in_doubt() == Some(&TokenCommand::Delete));
            } else {
                prop_assert_ne!(token.status(), TokenStatus::Deleted, "never deleted while the gateway has it");
            }
        }

        // Settle whatever is in doubt, with nothing injected (a rebill NONE only once the
        // grace policy is met: retrieve again, later).
        while token.in_doubt().is_some() {
            now.0 += 600;
            known.extend(client.reconcile_token(&mut token, now).unwrap().event.into_payment());
        }
        let sim = sandbox.lock().unwrap();
        let mut made: Vec<&String> = sim.tokens.card(&token_id).unwrap().rebills.iter().collect();
        made.extend(sim.authentications.all().filter_map(|(_, a)| a.confirmed.as_ref()));
        made.sort();
        let mut held: Vec<&str> = known.iter().map(|p| p.transaction_id().as_str()).collect();
        held.sort_unstable();
        held.dedup();
        prop_assert_eq!(held.len(), known.len(), "no payment known twice");
        prop_assert_eq!(made.iter().map(|t| t.as_str()).collect::<Vec<_>>(), held, "the client knows exactly what the gateway made");
    }
}
