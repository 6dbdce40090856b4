//! The one shape: every machine absorbs the same five finishes, `ClientError` reads as one,
//! and `absorb` touches nothing when nothing was sent.
use super::*;
use crate::authentication::{
    AuthenticationCommand, AuthenticationEvent, AuthenticationRefusal, AuthenticationStatus,
    PayerAuthentication,
};
use crate::codes::{Lang, ResultCode};
use crate::error::{BuildError, GatewayError};
use crate::ids::{OrderId, PayerAuthId, RecurringId, TokenId, TransactionId};
use crate::money::{Amount, Currency};
use crate::not_found::AwaitsNotFound;
use crate::ops::token_delete::TokenDeleted;
use crate::payment::PaymentStatus;
use crate::payment::{Payment, PaymentCommand, PaymentEvent, PaymentOutcome, PaymentRefusal};
use crate::recurring::{Recurring, RecurringEvent, RecurringOutcome, RecurringStatus};
use crate::time::{Date, Timestamp};
use crate::token::{Token, TokenCommand, TokenEvent, TokenRefusal, TokenStatus};

const AT: Timestamp = Timestamp(1_800_000_000);

fn gateway(code: &str) -> GatewayError {
    GatewayError {
        status: 200,
        rescode: ResultCode::from_code(code),
        resmsg: String::new(),
        errcode: None,
    }
}

fn payment() -> Payment {
    Payment::authorized(
        TransactionId::new("1849705C6420220922000016"),
        OrderId::new("O-1"),
        Currency::Usd,
        Amount::parse("1").unwrap(),
        Lang::En,
    )
    .unwrap()
}

fn recurring() -> Recurring {
    Recurring::new(
        RecurringId::new("RC1"),
        Currency::Usd,
        Amount::parse("9.00").unwrap(),
        Date::new(2030, 1, 1).unwrap(),
    )
}

fn token() -> Token {
    Token::new(TokenId::new("TK1"), Lang::En)
}

fn authentication() -> PayerAuthentication {
    PayerAuthentication::new(
        PayerAuthId::new("PA1"),
        OrderId::new("3DS-1"),
        Currency::Usd,
        Amount::parse("25.00").unwrap(),
        Lang::En,
    )
    .unwrap()
}

fn rebill() -> TokenCommand {
    TokenCommand::Rebill {
        order_id: OrderId::new("R-1"),
        currency: Currency::Usd,
        amount: Amount::parse("5.00").unwrap(),
    }
}

#[test]
fn finished_map_turns_only_the_answer() {
    assert_eq!(Finished::Done(2).map(|n| n * 10), Finished::Done(20));
    let declined: Finished<u8> = Finished::Declined(gateway("HE01"));
    assert_eq!(declined.map(u32::from), Finished::Declined(gateway("HE01")));
    let rejected: Finished<u8> = Finished::Rejected(gateway("EC00"));
    assert_eq!(rejected.map(u32::from), Finished::Rejected(gateway("EC00")));
    assert_eq!(
        Finished::<u8>::FailedSafely.map(u32::from),
        Finished::FailedSafely
    );
    assert_eq!(
        Finished::<u8>::OutcomeUnknown.map(u32::from),
        Finished::OutcomeUnknown
    );
}

#[test]
fn a_client_error_reads_as_the_finish_a_machine_absorbs() {
    let ambiguous = ClientError::Ambiguous {
        operation: "capture",
        attempts: 1,
        detail: String::new(),
    };
    let transport = ClientError::Transport {
        operation: "capture",
        attempts: 3,
        detail: String::new(),
    };
    let page = ClientError::Response(crate::error::ResponseError::HttpStatus {
        status: 404,
        content_type: None,
        body: crate::error::BodyExcerpt::new(b""),
    });
    let cases: [(ClientError, Option<Finished<()>>); 8] = [
        (
            ClientError::Declined(gateway("HE01")),
            Some(Finished::Declined(gateway("HE01"))),
        ),
        (
            ClientError::Rejected(gateway("EC00")),
            Some(Finished::Rejected(gateway("EC00"))),
        ),
        (ambiguous, Some(Finished::OutcomeUnknown)),
        (transport, Some(Finished::FailedSafely)),
        (page, Some(Finished::FailedSafely)),
        (
            ClientError::misfit(PaymentRefusal::UnknownAtGateway),
            Some(Finished::OutcomeUnknown),
        ),
        (ClientError::not_sent(PaymentRefusal::NeedsReconcile), None),
        (ClientError::Build(BuildError::MissingSecretKey), None),
    ];
    for (error, finished) in cases {
        assert_eq!(error.finished::<()>(), finished, "{error}");
        assert_eq!(error.nothing_sent(), finished.is_none(), "{error}");
    }
    assert_eq!(ClientError::Refused(String::new()).finished::<()>(), None);
}

#[test]
fn a_refusal_is_one_variant_that_says_whether_anything_was_sent() {
    let before = ClientError::not_sent(TokenRefusal::Deleted);
    let after = ClientError::misfit(TokenRefusal::Deleted);
    assert_eq!(
        before.refusal(),
        Some(&Refusal::Token(TokenRefusal::Deleted))
    );
    assert_eq!(after.refusal(), before.refusal());
    assert!(before.nothing_sent() && !after.nothing_sent());
    assert!(
        before.to_string().starts_with("not sent: stored card: "),
        "{before}"
    );
    assert!(
        after
            .to_string()
            .starts_with("the answer could not be applied: stored card: "),
        "{after}"
    );
    assert_eq!(ClientError::Declined(gateway("HE01")).refusal(), None);
    assert!(ClientError::Declined(gateway("HE01")).is_declined());
    assert!(!ClientError::Rejected(gateway("EC00")).is_declined());
    let confirm = ClientError::not_sent(AuthenticationRefusal::TransactionType("X".into()));
    assert!(
        confirm.to_string().starts_with("not sent: confirm: "),
        "{confirm}"
    );
}

#[test]
fn every_machine_takes_a_rejected_or_safely_failed_call_as_nothing_done() {
    fn rejected<T>() -> Finished<T> {
        Finished::Rejected(gateway("EC00"))
    }
    let mut p = payment();
    let t = p.absorb(PaymentCommand::Capture, rejected()).unwrap();
    assert_eq!(
        (t.from, t.to),
        (PaymentStatus::Authorized, PaymentStatus::Authorized)
    );
    assert_eq!(
        t.event,
        PaymentEvent::Rejected {
            rescode: "EC00".into()
        }
    );
    let t = p
        .absorb(PaymentCommand::Capture, Finished::FailedSafely)
        .unwrap();
    assert_eq!(t.event, PaymentEvent::FailedSafely);
    assert_eq!(p, payment());

    let mut r = recurring();
    let t = r.absorb((), rejected()).unwrap();
    assert_eq!(
        t.event,
        RecurringEvent::Rejected {
            rescode: "EC00".into()
        }
    );
    assert_eq!(
        r.absorb((), Finished::FailedSafely).unwrap().event,
        RecurringEvent::FailedSafely
    );
    assert_eq!(
        r.absorb((), Finished::Declined(gateway("HE01")))
            .unwrap()
            .event,
        RecurringEvent::Declined {
            rescode: "HE01".into()
        }
    );
    assert_eq!(r, recurring());

    let mut k = token();
    let t = k.absorb((rebill(), AT), rejected()).unwrap();
    assert_eq!(
        t.event,
        TokenEvent::Rejected {
            rescode: "EC00".into()
        }
    );
    assert_eq!(
        k.absorb((rebill(), AT), Finished::FailedSafely)
            .unwrap()
            .event,
        TokenEvent::FailedSafely
    );
    assert_eq!(
        k.absorb((rebill(), AT), Finished::Declined(gateway("HE01")))
            .unwrap()
            .event,
        TokenEvent::Declined {
            rescode: "HE01".into()
        }
    );
    assert_eq!(k, token());

    let mut a = authentication();
    let confirm = (AuthenticationCommand::Confirm, AT);
    let t = a.absorb(confirm, rejected()).unwrap();
    assert_eq!(
        t.event,
        AuthenticationEvent::Rejected {
            rescode: "EC00".into()
        }
    );
    assert_eq!(
        a.absorb(confirm, Finished::FailedSafely).unwrap().event,
        AuthenticationEvent::FailedSafely
    );
    assert_eq!(
        a.absorb(confirm, Finished::Declined(gateway("HE01")))
            .unwrap()
            .event,
        AuthenticationEvent::Declined {
            rescode: "HE01".into()
        }
    );
    assert_eq!(a, authentication());
}

#[test]
fn an_unknown_outcome_puts_only_a_command_that_may_have_done_something_in_doubt() {
    let mut p = payment();
    p.absorb(PaymentCommand::Reconcile, Finished::OutcomeUnknown)
        .unwrap();
    assert_eq!(p.status(), PaymentStatus::Authorized);
    let t = p
        .absorb(PaymentCommand::Capture, Finished::OutcomeUnknown)
        .unwrap();
    assert_eq!(
        (t.to, t.event),
        (PaymentStatus::NeedsReconcile, PaymentEvent::OutcomeUnknown)
    );

    let mut r = recurring();
    let t = r.absorb((), Finished::OutcomeUnknown).unwrap();
    assert_eq!(
        (t.to, t.event),
        (RecurringStatus::Active, RecurringEvent::OutcomeUnknown)
    );

    let mut k = token();
    let t = k
        .absorb((TokenCommand::Lookup, AT), Finished::OutcomeUnknown)
        .unwrap();
    assert_eq!(t.event, TokenEvent::OutcomeUnknown);
    assert_eq!(k, token(), "a read is never in doubt");
    let t = k.absorb((rebill(), AT), Finished::OutcomeUnknown).unwrap();
    assert_eq!(
        (t.from, t.to),
        (TokenStatus::Active, TokenStatus::NeedsReconcile),
        "in doubt is a status, as for a payment and an authentication"
    );
    assert_eq!(k.status(), TokenStatus::NeedsReconcile);
    assert_eq!(k.in_doubt(), Some(&rebill()));
    assert_eq!(k.not_found().ambiguous_at, Some(AT));
    // In doubt, a read's unknown outcome still changes nothing (and is not refused).
    let held = k.clone();
    k.absorb((TokenCommand::Lookup, AT), Finished::OutcomeUnknown)
        .unwrap();
    assert_eq!(k, held);

    let mut a = authentication();
    let t = a
        .absorb(
            (AuthenticationCommand::Reconcile, AT),
            Finished::OutcomeUnknown,
        )
        .unwrap();
    assert_eq!(t.to, AuthenticationStatus::Authenticated);
    let t = a
        .absorb(
            (AuthenticationCommand::Confirm, AT),
            Finished::OutcomeUnknown,
        )
        .unwrap();
    assert_eq!(
        (t.from, t.to),
        (
            AuthenticationStatus::Authenticated,
            AuthenticationStatus::NeedsReconcile
        )
    );
    assert_eq!(a.not_found().ambiguous_at, Some(AT));
    assert_eq!(*a.status(), StateMachine::status(&a));
}

#[test]
fn an_answer_is_applied_and_its_transition_says_how_the_state_moved() {
    let mut k = token();
    let deleted = TokenDeleted {
        resmsg: String::new(),
        token_id: TokenId::new("TK1"),
    };
    let t = k
        .absorb(
            (TokenCommand::Delete, AT),
            Finished::Done(crate::token::TokenOutcome::Deleted(deleted)),
        )
        .unwrap();
    assert_eq!(
        (t.from, t.to, t.event),
        (
            TokenStatus::Active,
            TokenStatus::Deleted,
            TokenEvent::Deleted
        )
    );
    assert_eq!(StateMachine::status(&k), TokenStatus::Deleted);

    let mut r = recurring();
    let outcome = RecurringOutcome::Terminated {
        recurring_id: RecurringId::new("RC1"),
    };
    let t = r.absorb((), Finished::Done(outcome)).unwrap();
    assert!(matches!(t.to, RecurringStatus::Terminated { .. }));
    assert_eq!(StateMachine::status(&r), t.to);
    assert_eq!(StateMachine::status(&payment()), PaymentStatus::Authorized);
}

#[test]
fn the_events_hand_over_the_payment_a_call_made() {
    let made = Box::new(payment());
    for event in [
        TokenEvent::Rebilled {
            payment: made.clone(),
        },
        TokenEvent::Found {
            payment: made.clone(),
        },
    ] {
        assert_eq!(event.payment(), Some(&*made));
        assert_eq!(event.into_payment(), Some(*made.clone()));
    }
    assert_eq!(TokenEvent::StillInDoubt.payment(), None);
    assert_eq!(TokenEvent::NeverMade.into_payment(), None);
    for event in [
        AuthenticationEvent::Confirmed {
            payment: made.clone(),
        },
        AuthenticationEvent::Found {
            payment: made.clone(),
        },
    ] {
        assert_eq!(event.payment(), Some(&*made));
        assert_eq!(event.into_payment(), Some(*made.clone()));
    }
    assert_eq!(AuthenticationEvent::StillInDoubt.payment(), None);
    assert_eq!(AuthenticationEvent::NeverMade.into_payment(), None);
}

#[test]
fn absorb_leaves_the_machine_alone_when_nothing_was_sent_and_refuses_a_misfit() {
    let mut p = payment();
    let refused: Result<u8, _> = Err(ClientError::not_sent(PaymentRefusal::NeedsReconcile));
    let error = absorb(&mut p, PaymentCommand::Capture, refused, |_| {
        PaymentOutcome::Ambiguous {
            command: PaymentCommand::Capture,
        }
    })
    .unwrap_err();
    assert!(error.nothing_sent());
    assert_eq!(p, payment(), "nothing sent, nothing absorbed");

    // An answer about another payment does not fit: refused after sending, state unchanged.
    let mut r = recurring();
    let other = RecurringOutcome::Terminated {
        recurring_id: RecurringId::new("RC2"),
    };
    let error = absorb(&mut r, (), Ok(()), |()| other).unwrap_err();
    assert!(matches!(
        error,
        ClientError::Machine {
            refusal: Refusal::Recurring(_),
            sent: true
        }
    ));
    assert_eq!(r, recurring());

    // A decline is absorbed (nothing changes) and handed back as it was.
    let declined: Result<u8, _> = Err(ClientError::Declined(gateway("HE01")));
    let error = absorb(&mut p, PaymentCommand::Capture, declined, |_| {
        unreachable_outcome()
    })
    .unwrap_err();
    assert!(error.is_declined());
    assert_eq!(p, payment());

    let applied = absorb(&mut r, (), Ok(5_u8), |_| RecurringOutcome::Adjusted {
        recurring_id: RecurringId::new("RC1"),
        amount: Amount::parse("12.00").unwrap(),
    })
    .unwrap();
    assert_eq!(applied.response, 5);
    assert_eq!(
        applied.event,
        RecurringEvent::Adjusted {
            amount: Amount::parse("12.00").unwrap()
        }
    );
    assert_eq!(r.amount(), &Amount::parse("12.00").unwrap());
}

/// An answer never read (the call did not succeed).
fn unreachable_outcome() -> PaymentOutcome {
    PaymentOutcome::Ambiguous {
        command: PaymentCommand::Reconcile,
    }
}

#[test]
fn the_predicates_name_one_kind_each() {
    let ambiguous = ClientError::Ambiguous {
        operation: "capture",
        attempts: 1,
        detail: String::new(),
    };
    let declined = ClientError::Declined(gateway("HE01"));
    let rejected = ClientError::Rejected(gateway("EC00"));
    let refused = ClientError::not_sent(PaymentRefusal::NeedsReconcile);
    assert!(ambiguous.is_ambiguous() && !declined.is_ambiguous() && !refused.is_ambiguous());
    assert!(rejected.is_rejected_request() && !declined.is_rejected_request());
    assert!(!ambiguous.is_rejected_request());
    assert_eq!(declined.gateway_error(), Some(&gateway("HE01")));
    assert_eq!(rejected.gateway_error(), Some(&gateway("EC00")));
    assert_eq!(ambiguous.gateway_error(), None);
    assert_eq!(refused.gateway_error(), None);
}

#[test]
fn each_call_gets_its_own_jitter_from_the_seed() {
    let cfg = Config::new(
        crate::config::Environment::Test,
        crate::config::Mid::new("1849705C64").unwrap(),
        crate::config::ApiKey::new("test_1849705C642C217E0B2D").unwrap(),
    )
    .unwrap();
    let mut settings = Settings::new(cfg);
    settings.seed = 0x0F0F;
    let first = settings.policy();
    let second = settings.policy();
    assert_eq!(
        first.jitter_seed, 0x0F0F,
        "the first call uses the seed as it is"
    );
    assert_eq!(second.jitter_seed, 0x0F0F ^ 0x9E37_79B9_7F4A_7C15);
    assert_eq!(first.backoff, Backoff::default());
}

#[test]
fn every_machine_produces_the_operation_an_ask_calls_for_and_the_command_to_absorb_with() {
    use crate::ask;
    let p = payment();
    let (capture, command) = p.produce(&ask::Capture).unwrap();
    assert_eq!(command, PaymentCommand::Capture);
    assert_eq!(capture.transaction_id, *p.transaction_id());
    let refund = ask::RefundFull {
        command_key: "k",
        reason: None,
    };
    let (cancel, command) = p.produce(&refund).unwrap();
    assert_eq!(command, PaymentCommand::of_cancel(&cancel));
    let partial = ask::RefundPartial {
        amount: Amount::parse("0.40").unwrap(),
        command_key: "k",
        reason: None,
    };
    assert!(
        matches!(p.produce(&partial), Err(PaymentRefusal::NotAllowed { .. })),
        "nothing is captured yet"
    );
    assert_eq!(
        p.produce(&ask::Reconcile).unwrap().1,
        PaymentCommand::Reconcile
    );
    assert_eq!(
        p.produce(&ask::ReconcileByQuery).unwrap().1,
        PaymentCommand::Reconcile
    );

    let k = token();
    let rebill_ask = ask::Rebill {
        order_id: OrderId::new("R-1"),
        amount: Amount::parse("5.00").unwrap(),
        currency: Currency::Usd,
        products: Vec::new(),
        now: AT,
    };
    let (op, command) = k.produce(&rebill_ask).unwrap();
    assert_eq!(command, (rebill(), AT));
    assert_eq!(op.token_id, *k.token_id());
    assert_eq!(
        k.produce(&ask::DeleteToken { now: AT }).unwrap().1,
        (TokenCommand::Delete, AT)
    );
    assert_eq!(
        k.produce(&ask::LookupToken { now: AT }).unwrap().1,
        (TokenCommand::Lookup, AT)
    );

    let a = authentication();
    let confirm = ask::Confirm {
        transaction_type: crate::codes::TransactionType::PaymentPa,
        now: AT,
    };
    let (op, command) = a.produce(&confirm).unwrap();
    assert_eq!(command, (AuthenticationCommand::Confirm, AT));
    assert_eq!(op.amount.as_str(), "25.00");
    let refused = ask::Confirm {
        transaction_type: crate::codes::TransactionType::Payment,
        now: AT,
    };
    assert!(matches!(
        a.produce(&refused),
        Err(AuthenticationRefusal::TransactionType(_))
    ));
    let reconcile = ask::ReconcileAuthentication { now: AT };
    assert_eq!(
        a.produce(&reconcile).unwrap().1,
        (AuthenticationCommand::Reconcile, AT)
    );

    let r = recurring();
    let adjust = ask::AdjustRecurring {
        amount: Amount::parse("12.00").unwrap(),
        now: AT,
        params: Default::default(),
    };
    assert_eq!(r.produce(&adjust).unwrap().0.amount.as_str(), "12.00");
    let terminate = ask::TerminateRecurring::default();
    assert_eq!(
        r.produce(&terminate).unwrap().0.recurring_id,
        *r.recurring_id()
    );
}
