//! Token billing (stored cards): the requests' wire format, the token's small lifecycle
//! (proptest), and rebill / look-up / delete against the sandbox through both adapters,
//! with unknown outcomes reconciled (a rebill by its order id, a delete by the look-up)
//! under each of the sandbox's guesses of the look-up's answer.

use eximbay_tests::sandbox::{config, start_sandbox};

use eximbay_core::ops::Line;
use eximbay_core::ops::ready::Ready;
use eximbay_core::ops::token_delete::TokenDelete;
use eximbay_core::ops::token_lookup::TokenLookup;
use eximbay_core::ops::token_rebill::TokenRebill;
use eximbay_core::token::{TokenCommand, TokenEvent, TokenOutcome, TokenRefusal};
use eximbay_core::{
    Amount, ClientError, Currency, Lang, Notification, Operation, OrderId, PaymentStatus, Refusal,
    SecretKey, Timestamp, Token, TokenId, TokenStatus, TransactionType,
};
use eximbay_sim::DEFAULT_SECRET_KEY;
use eximbay_sim::NewPayment;
use eximbay_sim::TokenLookupAnswer;
use eximbay_sim::{Behaviour, RunningSandbox, SandboxConfig, ServerOptions};
use eximbay_tests::{render_request, test_config};

/// The caller's clock when the calls are sent.
const NOW: Timestamp = Timestamp(1_800_000_000);

fn amount(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

#[test]
fn token_requests_wire_format() {
    let cfg = test_config();
    let rebill = TokenRebill {
        token_id: TokenId::new("TK000000000000000003"),
        order_id: OrderId::new("REBILL-2026-02"),
        currency: Currency::Usd,
        amount: amount("12.00"),
        products: vec![Line::new("Monthly tea box", 1, amount("12.00"))],
    };
    insta::assert_snapshot!("rebill", render_request(&rebill.to_http(&cfg).unwrap()));
    let delete = TokenDelete {
        token_id: TokenId::new("TK000000000000000003"),
    };
    insta::assert_snapshot!("delete", render_request(&delete.to_http(&cfg).unwrap()));
    let lookup = TokenLookup {
        token_id: TokenId::new("TK000000000000000003"),
    };
    insta::assert_snapshot!("lookup", render_request(&lookup.to_http(&cfg).unwrap()));
    let mut ready = Ready::new(
        TransactionType::Payment,
        OrderId::new("FIRST-1"),
        Currency::Usd,
        amount("12.00"),
        Lang::En,
        ("Buyer", "buyer@example.com"),
        "https://shop.example/return",
        "https://shop.example/status",
    );
    ready.token_creation = true;
    insta::assert_snapshot!(
        "ready_with_token_creation",
        render_request(&ready.to_http(&cfg).unwrap())
    );

    // Refused before anything is built: a token id that cannot go into a path, products that
    // do not add up (an `Amount` is never zero or negative).
    let bad_id = TokenRebill {
        token_id: TokenId::new("TK/../x"),
        ..rebill.clone()
    };
    assert!(bad_id.to_http(&cfg).is_err());
    let not_adding_up = TokenRebill {
        products: vec![Line::new("Tea", 2, amount("5.00"))],
        ..rebill
    };
    assert!(not_adding_up.to_http(&cfg).is_err());
}

fn sandbox(token_lookup: TokenLookupAnswer) -> RunningSandbox {
    start_sandbox(
        SandboxConfig {
            behaviour: Behaviour {
                token_lookup,
                ..Behaviour::default()
            },
            ..SandboxConfig::default()
        },
        ServerOptions::default(),
    )
}

/// A first payment made with token creation: the stored card its verified notification
/// names.
fn stored_card(sandbox: &RunningSandbox, order: &str) -> Token {
    let new: NewPayment = serde_json::from_value(serde_json::json!({
        "order_id": order, "currency": "USD", "amount": "12.00", "transaction_type": "PAYMENT",
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

fn fault(sandbox: &RunningSandbox, path: &str, kind: &str) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let answer = agent
        .post(format!("{}/_sim/faults", sandbox.base_url()))
        .send(format!(r#"{{"path_contains":"{path}","kind":"{kind}"}}"#))
        .unwrap();
    assert_eq!(answer.status(), 200);
}

#[test]
fn the_sandbox_accepts_ready_with_token_creation() {
    let sandbox = sandbox(TokenLookupAnswer::StatusField);
    let client = eximbay_ureq::Client::new(config(&sandbox)).unwrap();
    let mut ready = Ready::new(
        TransactionType::Payment,
        OrderId::new("FIRST-READY"),
        Currency::Usd,
        amount("12.00"),
        Lang::En,
        ("Buyer", "buyer@example.com"),
        "https://shop.example/return",
        "https://shop.example/status",
    );
    ready.token_creation = true;
    assert_eq!(client.send(&ready).unwrap().fgkey.len(), 64);
}

#[test]
fn rebill_look_up_and_delete_with_the_blocking_client() {
    let sandbox = sandbox(TokenLookupAnswer::StatusField);
    let client = eximbay_ureq::Client::new(config(&sandbox)).unwrap();
    let mut token = stored_card(&sandbox, "FIRST-1");

    let applied = client
        .rebill(
            &mut token,
            OrderId::new("REBILL-1"),
            amount("12.00"),
            Currency::Usd,
            vec![Line::new("Monthly tea box", 1, amount("12.00"))],
            NOW,
        )
        .unwrap();
    let mut payment = applied.transition.event.clone().into_payment().unwrap();
    assert_eq!(payment.status(), PaymentStatus::Captured);
    assert_eq!(
        applied.response.card_info.unwrap().card_number4.as_deref(),
        Some("1111")
    );
    let tid = payment.transaction_id().as_str().to_owned();
    {
        let sim = sandbox.sandbox();
        let ledger = sim.ledger.payment(&tid).unwrap();
        assert!(ledger.captured);
        assert_eq!(ledger.transaction_type, "REBILL");
        assert_eq!(
            sim.tokens.card(token.token_id().as_str()).unwrap().rebills,
            vec![tid.clone()]
        );
    }
    // A rebilled payment is a payment like any other: it refunds.
    client
        .refund_partial(&mut payment, amount("2.00"), "ticket-1", None)
        .unwrap();
    assert_eq!(payment.status(), PaymentStatus::PartiallyRefunded);

    assert!(
        client
            .lookup_token(&mut token, NOW)
            .unwrap()
            .response
            .is_active()
    );
    client.delete_token(&mut token, NOW).unwrap();
    assert_eq!(token.status(), TokenStatus::Deleted);
    // Deleted for good: nothing more is sent.
    let refused = client
        .rebill(
            &mut token,
            OrderId::new("REBILL-2"),
            amount("12.00"),
            Currency::Usd,
            Vec::new(),
            NOW,
        )
        .unwrap_err();
    assert!(refused.nothing_sent(), "{refused}");
    assert!(matches!(
        refused,
        ClientError::Machine {
            refusal: Refusal::Token(TokenRefusal::Deleted),
            sent: false
        }
    ));
    // The gateway agrees, and says so.
    let mut copy = Token::new(token.token_id().clone(), Lang::En);
    assert!(
        !client
            .lookup_token(&mut copy, NOW)
            .unwrap()
            .response
            .is_active()
    );
    assert_eq!(copy.status(), TokenStatus::Deleted);
}

#[tokio::test(flavor = "multi_thread")]
async fn rebill_with_the_async_client() {
    let sandbox = sandbox(TokenLookupAnswer::RescodeOnly);
    let mut token = stored_card(&sandbox, "FIRST-A");
    let client = eximbay_async::Client::new(config(&sandbox)).unwrap();
    let applied = client
        .rebill(
            &mut token,
            OrderId::new("REBILL-A"),
            amount("30.00"),
            Currency::Usd,
            Vec::new(),
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(
        applied.event.payment().unwrap().status(),
        PaymentStatus::Captured
    );
    let shown = client.lookup_token(&mut token, NOW).await.unwrap();
    assert!(shown.response.is_active());
}

#[test]
fn an_ambiguous_rebill_is_reconciled_by_its_order_id_never_replayed() {
    let sandbox = sandbox(TokenLookupAnswer::StatusField);
    let client = eximbay_ureq::Client::new(config(&sandbox)).unwrap();
    let mut token = stored_card(&sandbox, "FIRST-2");

    // Applied, then the connection drops.
    fault(&sandbox, "/rebill", "apply_then_drop");
    let lost = client
        .rebill(
            &mut token,
            OrderId::new("REBILL-3"),
            amount("12.00"),
            Currency::Usd,
            Vec::new(),
            NOW,
        )
        .unwrap_err();
    assert!(lost.is_ambiguous(), "{lost}");
    assert!(matches!(
        token.in_doubt(),
        Some(TokenCommand::Rebill { .. })
    ));
    // In doubt: nothing else is sent.
    let blocked = client
        .rebill(
            &mut token,
            OrderId::new("REBILL-4"),
            amount("12.00"),
            Currency::Usd,
            Vec::new(),
            NOW,
        )
        .unwrap_err();
    assert!(blocked.nothing_sent());
    let found = client
        .reconcile_token(&mut token, NOW)
        .unwrap()
        .event
        .into_payment()
        .unwrap();
    assert_eq!(found.status(), PaymentStatus::Captured);
    assert_eq!(found.order_id().as_str(), "REBILL-3");
    assert_eq!(token.in_doubt(), None);

    // A 500 before anything was made: nothing found. One NONE right after the call proves
    // nothing: the rebill stays in doubt, and the card cannot be charged, until the grace
    // policy (15 minutes, then 3 NONE answers) is met; only then may it be charged again.
    fault(&sandbox, "/rebill", "http500");
    assert!(
        client
            .rebill(
                &mut token,
                OrderId::new("REBILL-5"),
                amount("12.00"),
                Currency::Usd,
                Vec::new(),
                NOW,
            )
            .unwrap_err()
            .is_ambiguous()
    );
    let later = |seconds: i64| Timestamp(NOW.0 + seconds);
    for at in [NOW, later(1), later(900), later(1200)] {
        assert_eq!(
            client.reconcile_token(&mut token, at).unwrap().event,
            TokenEvent::StillInDoubt
        );
        assert!(token.in_doubt().is_some(), "still in doubt at {at:?}");
        let blocked = client.rebill(
            &mut token,
            OrderId::new("REBILL-5"),
            amount("12.00"),
            Currency::Usd,
            Vec::new(),
            at,
        );
        assert!(blocked.is_err_and(|e| e.nothing_sent()));
    }
    assert_eq!(
        client
            .reconcile_token(&mut token, later(1500))
            .unwrap()
            .event,
        TokenEvent::NeverMade
    );
    assert_eq!(token.in_doubt(), None);
    client
        .rebill(
            &mut token,
            OrderId::new("REBILL-5"),
            amount("12.00"),
            Currency::Usd,
            Vec::new(),
            later(1501),
        )
        .unwrap();
    let rebills = sandbox
        .sandbox()
        .tokens
        .card(token.token_id().as_str())
        .unwrap()
        .rebills
        .len();
    assert_eq!(rebills, 2, "REBILL-3 once, REBILL-5 once");
}

#[test]
fn an_ambiguous_delete_is_settled_by_the_look_up_under_each_guess_of_its_answer() {
    for guess in [
        TokenLookupAnswer::StatusField,
        TokenLookupAnswer::RescodeOnly,
    ] {
        let sandbox = sandbox(guess);
        let client = eximbay_ureq::Client::new(config(&sandbox)).unwrap();
        let mut token = stored_card(&sandbox, "FIRST-3");
        fault(&sandbox, "/delete", "apply_then_drop");
        assert!(
            client
                .delete_token(&mut token, NOW)
                .unwrap_err()
                .is_ambiguous()
        );
        assert_eq!(token.in_doubt(), Some(&TokenCommand::Delete));
        match guess {
            TokenLookupAnswer::StatusField => {
                // The look-up says DELETED: settled.
                assert_eq!(
                    client.reconcile_token(&mut token, NOW).unwrap().event,
                    TokenEvent::Shown
                );
                assert_eq!(token.status(), TokenStatus::Deleted);
                assert_eq!(token.in_doubt(), None);
            }
            TokenLookupAnswer::RescodeOnly => {
                // The look-up refuses a deleted card with EC00, which is not documented to
                // mean "deleted": the client does not read it as one, and stays in doubt.
                let error = client.reconcile_token(&mut token, NOW).unwrap_err();
                assert!(error.is_rejected_request(), "{error}");
                assert_eq!(token.in_doubt(), Some(&TokenCommand::Delete));
            }
        }
        // Either way the gateway deleted it once, and nothing was rebilled.
        let sim = sandbox.sandbox();
        let card = sim.tokens.card(token.token_id().as_str()).unwrap();
        assert!(card.deleted && card.rebills.is_empty());
    }
}

mod model {
    use super::*;
    use eximbay_core::codes::RemoteStatus;
    use eximbay_core::ops::retrieve::Retrieved;
    use eximbay_core::ops::token_delete::TokenDeleted;
    use eximbay_core::ops::token_lookup::TokenShown;
    use proptest::prelude::*;

    fn outcome() -> impl Strategy<Value = TokenOutcome> {
        let shown = |status: Option<&str>| TokenShown {
            resmsg: String::new(),
            token_id: TokenId::new("TK1"),
            status: status.map(str::to_owned),
            card_info: None,
        };
        prop_oneof![
            Just(TokenOutcome::Declined(eximbay_core::GatewayError {
                status: 200,
                rescode: eximbay_core::ResultCode::from_code("HE01"),
                resmsg: String::new(),
                errcode: None,
            })),
            at().prop_map(|at| TokenOutcome::Ambiguous {
                command: TokenCommand::Delete,
                at
            }),
            at().prop_map(|at| TokenOutcome::Ambiguous {
                command: TokenCommand::Rebill {
                    order_id: OrderId::new("R-1"),
                    currency: Currency::Usd,
                    amount: Amount::parse("5.00").unwrap(),
                },
                at
            }),
            at().prop_map(|at| TokenOutcome::Retrieved {
                answer: none_found(),
                at
            }),
            Just(TokenOutcome::Deleted(TokenDeleted {
                resmsg: String::new(),
                token_id: TokenId::new("TK1"),
            })),
            Just(TokenOutcome::Shown(shown(None))),
            Just(TokenOutcome::Shown(shown(Some("DELETED")))),
        ]
    }

    /// A retrieve by the rebill's order id that finds nothing.
    fn none_found() -> Retrieved {
        Retrieved {
            resmsg: String::new(),
            order_id: Some(OrderId::new("R-1")),
            currency: None,
            amount: None,
            transaction_id: None,
            transaction_type: None,
            status: RemoteStatus::None,
            balance: None,
            captured_date: None,
            payment_method: None,
        }
    }

    #[test]
    fn a_rebill_answer_about_another_order_or_currency_is_refused_and_changes_nothing() {
        use eximbay_core::ops::token_rebill::Rebilled;
        use eximbay_core::{GatewayAmount, TransactionId};
        let request = TokenRebill {
            token_id: TokenId::new("TK1"),
            order_id: OrderId::new("R-1"),
            currency: Currency::Usd,
            amount: Amount::parse("5.00").unwrap(),
            products: Vec::new(),
        };
        let answer = |order_id: &str, currency: Currency| Rebilled {
            resmsg: String::new(),
            transaction_id: TransactionId::new("1849705C64W0000000000009"),
            order_id: Some(OrderId::new(order_id)),
            currency: Some(currency),
            amount: GatewayAmount::new("5.00"),
            auth_code: None,
            transaction_date: None,
            access_country: None,
            payment_method: None,
            payment_method_name: None,
            card_info: None,
            pay_to: None,
        };
        // The same amount, but another order, or another currency: not this rebill.
        for wrong in [answer("R-2", Currency::Usd), answer("R-1", Currency::Krw)] {
            let mut token = Token::new(TokenId::new("TK1"), Lang::En);
            let before = token.clone();
            let refused = token.apply(TokenOutcome::Rebilled {
                request: Box::new(request.clone()),
                answer: Box::new(wrong),
            });
            assert!(
                matches!(refused, Err(TokenRefusal::Mismatch(_))),
                "{refused:?}"
            );
            assert_eq!(token, before, "a refused answer changes nothing");
        }
        let mut token = Token::new(TokenId::new("TK1"), Lang::En);
        let made = token
            .apply(TokenOutcome::Rebilled {
                request: Box::new(request),
                answer: Box::new(answer("R-1", Currency::Usd)),
            })
            .unwrap();
        assert!(matches!(made.event, TokenEvent::Rebilled { .. }));
    }

    #[test]
    fn a_grace_policy_of_its_own_releases_a_rebill_in_doubt_after_its_own_nones() {
        use eximbay_core::{AwaitsNotFound, NotFoundGrace};
        let mut grace = NotFoundGrace::CONSERVATIVE;
        grace.min_wait_seconds = 60;
        grace.none_answers = 1;
        let mut token = Token::new(TokenId::new("TK1"), Lang::En).with_not_found_grace(grace);
        assert_eq!(token.not_found_grace(), grace);
        token
            .apply(TokenOutcome::Ambiguous {
                command: TokenCommand::Rebill {
                    order_id: OrderId::new("R-1"),
                    currency: Currency::Usd,
                    amount: Amount::parse("5.00").unwrap(),
                },
                at: NOW,
            })
            .unwrap();
        let none = |at: Timestamp| TokenOutcome::Retrieved {
            answer: none_found(),
            at,
        };
        // Sooner than the policy's minute: not counted, the rebill stays in doubt.
        let early = token.apply(none(Timestamp(NOW.0 + 30))).unwrap();
        assert_eq!(early.event, TokenEvent::StillInDoubt);
        assert!(token.in_doubt().is_some());
        // One NONE after the minute is all this policy wants (the default: 15 min, three).
        let settled = token.apply(none(Timestamp(NOW.0 + 61))).unwrap();
        assert_eq!(settled.event, TokenEvent::NeverMade);
        assert!(token.in_doubt().is_none());
    }

    /// A time within an hour of the model's start, in steps of 5 minutes.
    fn at() -> impl Strategy<Value = Timestamp> {
        (0i64..12).prop_map(|step| Timestamp(NOW.0 + step * 300))
    }

    proptest! {
        /// Whatever arrives: Deleted is final, a refused outcome changes nothing, a command
        /// is allowed exactly when the card is active and nothing is in doubt, and a rebill
        /// in doubt leaves doubt on NONE only after the grace policy's 3 answers, each 15
        /// minutes or more after the rebill.
        #[test]
        fn deleted_is_final_and_doubt_blocks_commands(outcomes in proptest::collection::vec(outcome(), 1..24)) {
            let mut token = Token::new(TokenId::new("TK1"), Lang::En);
            let mut rebill_at: Option<Timestamp> = None;
            let mut late_nones = 0;
            for outcome in outcomes {
                let before = token.clone();
                let usable_before = before.status() == TokenStatus::Active && before.in_doubt().is_none();
                match &outcome {
                    TokenOutcome::Ambiguous { command: TokenCommand::Rebill { .. }, at } if usable_before => {
                        rebill_at = Some(*at);
                        late_nones = 0;
                    }
                    TokenOutcome::Retrieved { at, .. }
                        if matches!(before.in_doubt(), Some(TokenCommand::Rebill { .. }))
                            && rebill_at.is_some_and(|call| at.0 >= call.0 + 900) =>
                    {
                        late_nones += 1;
                    }
                    _ => {}
                }
                let usable = before.status() == TokenStatus::Active && before.in_doubt().is_none();
                prop_assert_eq!(before.delete().is_ok(), usable);
                prop_assert_eq!(
                    before
                        .rebill(OrderId::new("R-2"), Currency::Usd, Amount::parse("1.00").unwrap(), Vec::new())
                        .is_ok(),
                    usable
                );
                let retrieved = matches!(outcome, TokenOutcome::Retrieved { .. });
                if token.apply(outcome).is_err() {
                    prop_assert_eq!(&token, &before, "a refused outcome changes nothing");
                }
                if before.status() == TokenStatus::Deleted {
                    prop_assert_eq!(token.status(), TokenStatus::Deleted, "Deleted is final");
                }
                if matches!(before.in_doubt(), Some(TokenCommand::Rebill { .. }))
                    && retrieved
                    && token.in_doubt().is_none()
                {
                    prop_assert!(late_nones >= 3, "released after {} counted NONE answers", late_nones);
                }
            }
        }
    }
}
