//! Payer authentication (3-D Secure) → confirm: the request's wire format, the state before
//! a payment exists, and the whole flow against the sandbox through both adapters — a
//! `PAYER_AUTH` window, its notification, `PAYMENT_PA` / `AUTHORIZE_PA`, refusals before
//! sending, and an unknown outcome reconciled by order id.

use eximbay_tests::sandbox::{signed_config as config, start as sandbox};

use eximbay_core::AwaitsNotFound;
use eximbay_core::authentication::{
    AuthenticationEvent, AuthenticationOutcome, AuthenticationRefusal, AuthenticationStatus,
};
use eximbay_core::ops::confirm::Confirm;
use eximbay_core::window::{Line, PaymentForm};
use eximbay_core::{
    Amount, Currency, Lang, Notification, Operation, OrderId, PayerAuthId, PayerAuthentication,
    PaymentStatus, SecretKey, Timestamp, TransactionType,
};
use eximbay_sim::DEFAULT_SECRET_KEY;
use eximbay_sim::RunningSandbox;
use eximbay_tests::{render_request, test_config};

/// The caller's clock when the calls are sent.
const NOW: Timestamp = Timestamp(1_800_000_000);

fn amount(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

#[test]
fn confirm_request_wire_format() {
    let confirm = Confirm {
        transaction_type: TransactionType::AuthorizePa,
        order_id: OrderId::new("3DS-0001"),
        currency: Currency::Usd,
        amount: amount("25.00"),
        payer_auth_id: PayerAuthId::new("PA000000000000000007"),
        lang: Lang::En,
    };
    insta::assert_snapshot!(render_request(&confirm.to_http(&test_config()).unwrap()));
    // Only the two confirming types are sent.
    let payment = Confirm {
        transaction_type: TransactionType::Payment,
        ..confirm.clone()
    };
    assert!(payment.to_http(&test_config()).is_err());
    let spaced = Confirm {
        payer_auth_id: PayerAuthId::new("PA 7"),
        ..confirm
    };
    assert!(spaced.to_http(&test_config()).is_err());
}

fn authentication() -> PayerAuthentication {
    PayerAuthentication::new(
        PayerAuthId::new("PA000000000000000007"),
        OrderId::new("3DS-0001"),
        Currency::Usd,
        amount("25.00"),
        Lang::En,
    )
    .unwrap()
}

#[test]
fn a_confirm_for_another_amount_currency_or_type_is_refused_before_anything_is_built() {
    let auth = authentication();
    let usd = Currency::Usd;
    assert!(matches!(
        auth.confirm(TransactionType::PaymentPa, &usd, &amount("24.99")),
        Err(AuthenticationRefusal::Amount { .. })
    ));
    assert!(matches!(
        auth.confirm(TransactionType::PaymentPa, &Currency::Krw, &amount("25")),
        Err(AuthenticationRefusal::Currency { .. })
    ));
    assert!(matches!(
        auth.confirm(TransactionType::Payment, &usd, &amount("25.00")),
        Err(AuthenticationRefusal::TransactionType(_))
    ));
    // "25" and "25.00" are the same amount.
    let confirm = auth
        .confirm(TransactionType::AuthorizePa, &usd, &amount("25"))
        .unwrap();
    assert_eq!(
        confirm.amount.as_str(),
        "25.00",
        "the authentication's own amount is sent"
    );
}

#[test]
fn an_unknown_outcome_needs_a_retrieve_by_order_id_and_nothing_else() {
    let mut auth = authentication();
    auth.apply(AuthenticationOutcome::Ambiguous { at: Timestamp(0) })
        .unwrap();
    assert_eq!(*auth.status(), AuthenticationStatus::NeedsReconcile);
    assert!(matches!(
        auth.confirm(TransactionType::PaymentPa, &Currency::Usd, &amount("25.00")),
        Err(AuthenticationRefusal::NotAllowed(
            AuthenticationStatus::NeedsReconcile
        ))
    ));
    let retrieve = auth.reconcile();
    assert_eq!(
        retrieve.key_field,
        eximbay_core::ops::retrieve::KeyField::OrderId
    );
    assert_eq!(
        retrieve.transaction_id, None,
        "there is no transaction id yet"
    );
}

/// A confirm's answer, as the gateway would send it, for `order_id` and `amount`.
fn confirmed_answer(order_id: &str, amount: &str) -> AuthenticationOutcome {
    use eximbay_core::ops::confirm::Confirmed;
    use eximbay_core::{GatewayAmount, TransactionId};
    AuthenticationOutcome::Confirmed(Confirmed {
        resmsg: String::new(),
        transaction_id: TransactionId::new("1849705C64W0000000000001"),
        transaction_type: TransactionType::PaymentPa,
        order_id: Some(OrderId::new(order_id)),
        currency: Some(Currency::Usd),
        amount: Some(GatewayAmount::new(amount)),
    })
}

#[test]
fn a_confirm_answer_about_another_order_or_amount_is_refused_and_changes_nothing() {
    for (order_id, amount, what) in [
        ("3DS-0002", "25.00", "another order"),
        ("3DS-0001", "26.00", "amount 26.00"),
    ] {
        let mut auth = authentication();
        let before = auth.clone();
        match auth.apply(confirmed_answer(order_id, amount)) {
            Err(AuthenticationRefusal::Mismatch(said)) => assert_eq!(said, what),
            other => panic!("{order_id} {amount}: expected a mismatch, got {other:?}"),
        }
        assert_eq!(auth, before, "a refused answer changes nothing");
    }
    // The same answer about this authentication is a payment.
    let mut auth = authentication();
    let event = auth
        .apply(confirmed_answer("3DS-0001", "25.00"))
        .unwrap()
        .event;
    assert!(event.into_payment().is_some());
}

#[test]
fn a_grace_policy_of_its_own_settles_an_unknown_confirm_after_its_own_nones() {
    use eximbay_core::NotFoundGrace;
    use eximbay_core::codes::RemoteStatus;
    use eximbay_core::ops::retrieve::Retrieved;
    let mut grace = NotFoundGrace::CONSERVATIVE;
    grace.min_wait_seconds = 60;
    grace.none_answers = 1;
    let mut auth = authentication().with_not_found_grace(grace);
    assert_eq!(auth.not_found_grace(), grace);
    auth.apply(AuthenticationOutcome::Ambiguous { at: NOW })
        .unwrap();
    let none = |at: Timestamp| AuthenticationOutcome::Retrieved {
        answer: Retrieved {
            resmsg: String::new(),
            order_id: Some(OrderId::new("3DS-0001")),
            currency: Some(Currency::Usd),
            amount: None,
            transaction_id: None,
            transaction_type: None,
            status: RemoteStatus::None,
            balance: None,
            captured_date: None,
            payment_method: None,
        },
        at,
    };
    // Sooner than the policy's minute: not counted, still in doubt.
    let early = auth.apply(none(Timestamp(NOW.0 + 30))).unwrap();
    assert_eq!(early.event, AuthenticationEvent::StillInDoubt);
    // One NONE after the minute is all this policy wants (the default wants 15 minutes
    // and three).
    let settled = auth.apply(none(Timestamp(NOW.0 + 61))).unwrap();
    assert_eq!(settled.event, AuthenticationEvent::NeverMade);
    assert_eq!(*auth.status(), AuthenticationStatus::Authenticated);
}

/// A `PAYER_AUTH` window approved in the sandbox (in-process, on the running sandbox's
/// state): the authentication its verified notification reports.
fn authenticate(sandbox: &RunningSandbox, order: &str, total: &str) -> PayerAuthentication {
    let cfg = config(sandbox);
    let form = PaymentForm {
        transaction_type: TransactionType::PayerAuth,
        order_id: OrderId::new(order),
        currency: Currency::Usd,
        amount: amount(total),
        shop: "Tea & Co".into(),
        buyer: "Min-jun Kim".into(),
        email: "buyer@example.com".into(),
        tel: None,
        lang: Lang::En,
        return_url: "http://127.0.0.1:1/return".into(),
        status_url: "http://127.0.0.1:1/status".into(),
        display_type: None,
        os_type: None,
        params: Default::default(),
        items: vec![Line::new("Tea", 1, amount(total))],
        surcharges: Vec::new(),
        recurring: None,
        options: Default::default(),
    };
    let signed = form.sign(&cfg, Timestamp(1_767_236_400)).unwrap();
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&signed.fields)
        .finish();
    let post = |path: &str, body: String| {
        http::Request::post(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.into_bytes())
            .unwrap()
    };
    let mut sim = sandbox.sandbox();
    let page = sim.handle(&post("/Gateway/BasicProcessor.krp", body));
    let page = String::from_utf8(page.response.body().clone()).unwrap();
    let at = page.find("action=\"/window/").unwrap() + "action=\"/window/".len();
    let id = page[at..].split('"').next().unwrap().to_owned();
    let approved = sim.handle(&post(&format!("/window/{id}"), "action=approve".into()));
    let notification = Notification::parse(approved.callbacks[0].body.as_bytes()).unwrap();
    notification
        .verify(&SecretKey::new(DEFAULT_SECRET_KEY).unwrap())
        .unwrap();
    let auth = PayerAuthentication::from_notification(&notification, Lang::En).unwrap();
    assert!(auth.three_d_secure().0.is_some(), "cavv kept");
    auth
}

#[test]
fn a_payer_authentication_is_confirmed_into_a_payment_with_the_blocking_client() {
    let sandbox = sandbox();
    let client = eximbay_ureq::Client::new(config(&sandbox)).unwrap();

    // AUTHORIZE_PA: authorized, captured later.
    let mut auth = authenticate(&sandbox, "3DS-1", "25.00");
    let applied = client
        .confirm(&mut auth, TransactionType::AuthorizePa, NOW)
        .unwrap();
    let mut payment = applied.transition.event.clone().into_payment().unwrap();
    assert_eq!(payment.status(), PaymentStatus::Authorized);
    assert!(matches!(
        auth.status(),
        AuthenticationStatus::Confirmed { .. }
    ));
    client.capture(&mut payment).unwrap();
    assert_eq!(payment.status(), PaymentStatus::Captured);
    let tid = payment.transaction_id().as_str().to_owned();
    assert!(sandbox.sandbox().ledger.payment(&tid).unwrap().captured);

    // Confirmed once: a second confirm is refused before sending.
    let again = client.confirm(&mut auth, TransactionType::AuthorizePa, NOW);
    assert!(again.as_ref().is_err_and(|e| e.nothing_sent()), "{again:?}");

    // The sandbox, too, refuses a reused or mismatched authentication.
    let mut stale = authenticate(&sandbox, "3DS-2", "10.00");
    let mut copy = stale.clone();
    client
        .confirm(&mut stale, TransactionType::PaymentPa, NOW)
        .unwrap();
    let reused = client
        .confirm(&mut copy, TransactionType::PaymentPa, NOW)
        .unwrap_err();
    assert!(reused.is_rejected_request(), "{reused}");
    assert_eq!(*copy.status(), AuthenticationStatus::Authenticated);
}

#[tokio::test(flavor = "multi_thread")]
async fn payment_pa_with_the_async_client_is_captured_at_once() {
    let sandbox = sandbox();
    let mut auth = authenticate(&sandbox, "3DS-3", "40.00");
    let client = eximbay_async::Client::new(config(&sandbox)).unwrap();
    let applied = client
        .confirm(&mut auth, TransactionType::PaymentPa, NOW)
        .await
        .unwrap();
    let payment = applied.event.payment().unwrap();
    assert_eq!(payment.status(), PaymentStatus::Captured);
    assert_eq!(applied.response.transaction_id, *payment.transaction_id());
}

#[test]
fn an_ambiguous_confirm_is_reconciled_by_order_id() {
    let sandbox = sandbox();
    let client = eximbay_ureq::Client::new(config(&sandbox)).unwrap();
    let fault = |kind: &str| {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let answer = agent
            .post(format!("{}/_sim/faults", sandbox.base_url()))
            .send(format!(r#"{{"path_contains":"/confirm","kind":"{kind}"}}"#))
            .unwrap();
        assert_eq!(answer.status(), 200);
    };

    // Applied, then the connection drops: the payment exists, the client does not know.
    let mut auth = authenticate(&sandbox, "3DS-4", "25.00");
    fault("apply_then_drop");
    let lost = client
        .confirm(&mut auth, TransactionType::AuthorizePa, NOW)
        .unwrap_err();
    assert!(lost.is_ambiguous(), "{lost}");
    assert_eq!(*auth.status(), AuthenticationStatus::NeedsReconcile);
    assert_eq!(auth.not_found().ambiguous_at, Some(NOW));
    // Found at once: a payment found needs no grace period.
    let payment = client
        .reconcile_authentication(&mut auth, NOW)
        .unwrap()
        .transition
        .event
        .into_payment()
        .unwrap();
    assert_eq!(payment.status(), PaymentStatus::Authorized);
    assert!(
        sandbox
            .sandbox()
            .ledger
            .payment(payment.transaction_id().as_str())
            .is_some()
    );

    // A 500 before anything was made: the retrieve finds nothing. One NONE right after the
    // call proves nothing: the confirm stays in doubt (and cannot be sent) until the grace
    // policy — 15 minutes, then 3 NONE answers — is met; only then may it be sent again.
    let mut auth = authenticate(&sandbox, "3DS-5", "25.00");
    fault("http500");
    let failed = client
        .confirm(&mut auth, TransactionType::PaymentPa, NOW)
        .unwrap_err();
    assert!(
        failed.is_ambiguous(),
        "a 500 on a money-moving call: {failed}"
    );
    let later = |seconds: i64| Timestamp(NOW.0 + seconds);
    for at in [NOW, later(60), later(900), later(1200)] {
        assert_eq!(
            client
                .reconcile_authentication(&mut auth, at)
                .unwrap()
                .event,
            AuthenticationEvent::StillInDoubt
        );
        assert_eq!(
            *auth.status(),
            AuthenticationStatus::NeedsReconcile,
            "{at:?}"
        );
        let blocked = client.confirm(&mut auth, TransactionType::PaymentPa, at);
        assert!(blocked.is_err_and(|e| e.nothing_sent()));
    }
    assert_eq!(
        auth.not_found().none_answers,
        2,
        "the first two came too early"
    );
    assert_eq!(
        client
            .reconcile_authentication(&mut auth, later(1500))
            .unwrap()
            .event,
        AuthenticationEvent::NeverMade
    );
    assert_eq!(*auth.status(), AuthenticationStatus::Authenticated);
    let payment = client
        .confirm(&mut auth, TransactionType::PaymentPa, later(1501))
        .unwrap()
        .transition
        .event
        .into_payment()
        .unwrap();
    assert_eq!(payment.status(), PaymentStatus::Captured);
}

mod model {
    use super::*;
    use eximbay_core::codes::RemoteStatus;
    use eximbay_core::ops::confirm::Confirmed;
    use eximbay_core::ops::retrieve::Retrieved;
    use eximbay_core::{GatewayAmount, GatewayError, ResultCode, TransactionId};
    use proptest::prelude::*;

    const TID: &str = "1849705C64W0000000000001";

    fn outcome() -> impl Strategy<Value = AuthenticationOutcome> {
        let retrieved = |status: RemoteStatus, tid: bool| Retrieved {
            resmsg: String::new(),
            order_id: Some(OrderId::new("3DS-0001")),
            currency: Some(Currency::Usd),
            amount: Some(GatewayAmount::new("25.00")),
            transaction_id: tid.then(|| TransactionId::new(TID)),
            transaction_type: None,
            status,
            balance: Some(GatewayAmount::new("25.00")),
            captured_date: None,
            payment_method: None,
        };
        prop_oneof![
            prop_oneof![
                Just(TransactionType::PaymentPa),
                Just(TransactionType::AuthorizePa)
            ]
            .prop_map(
                |transaction_type| AuthenticationOutcome::Confirmed(Confirmed {
                    resmsg: String::new(),
                    transaction_id: TransactionId::new(TID),
                    transaction_type,
                    order_id: None,
                    currency: None,
                    amount: Some(GatewayAmount::new("25.00")),
                })
            ),
            Just(AuthenticationOutcome::Declined(GatewayError {
                status: 200,
                rescode: ResultCode::from_code("HE01"),
                resmsg: String::new(),
                errcode: None,
            })),
            at().prop_map(|at| AuthenticationOutcome::Ambiguous { at }),
            at().prop_map(move |at| AuthenticationOutcome::Retrieved {
                answer: retrieved(RemoteStatus::None, false),
                at
            }),
            at().prop_map(move |at| AuthenticationOutcome::Retrieved {
                answer: retrieved(RemoteStatus::Sale, true),
                at
            }),
            at().prop_map(move |at| AuthenticationOutcome::Retrieved {
                answer: retrieved(RemoteStatus::Auth, true),
                at
            }),
        ]
    }

    /// A time within an hour of the model's start, in steps of 5 minutes.
    fn at() -> impl Strategy<Value = Timestamp> {
        (0i64..12).prop_map(|step| Timestamp(NOW.0 + step * 300))
    }

    proptest! {
        /// Whatever arrives, in any order: at most one payment is ever made, it is made only
        /// from Authenticated (a confirm) or NeedsReconcile (a retrieve), a confirm is
        /// allowed exactly when Authenticated, Confirmed never changes, a refused outcome
        /// changes nothing, and an ambiguous confirm becomes confirmable again only after
        /// the grace policy's NONE answers (3, each 15 minutes or more after the call).
        #[test]
        fn at_most_one_payment_and_confirmed_is_final(outcomes in proptest::collection::vec(outcome(), 1..24)) {
            let mut auth = authentication();
            let mut payments = 0;
            // Since the last ambiguous confirm: when it was, and the NONE answers that count.
            let mut ambiguous_at = None;
            let mut late_nones = 0;
            for outcome in outcomes {
                let before = auth.clone();
                match (&outcome, before.status()) {
                    (AuthenticationOutcome::Ambiguous { at }, AuthenticationStatus::Authenticated) => {
                        ambiguous_at = Some(*at);
                        late_nones = 0;
                    }
                    (AuthenticationOutcome::Retrieved { answer, at }, AuthenticationStatus::NeedsReconcile)
                        if answer.status == RemoteStatus::None
                            && ambiguous_at.is_some_and(|call: Timestamp| at.0 >= call.0 + 900) =>
                    {
                        late_nones += 1;
                    }
                    _ => {}
                }
                let can_confirm = auth
                    .confirm(TransactionType::PaymentPa, &Currency::Usd, &amount("25.00"))
                    .is_ok();
                prop_assert_eq!(can_confirm, *before.status() == AuthenticationStatus::Authenticated);
                match auth.apply(outcome).map(|transition| transition.event.into_payment()) {
                    Ok(Some(payment)) => {
                        payments += 1;
                        prop_assert!(matches!(
                            before.status(),
                            AuthenticationStatus::Authenticated | AuthenticationStatus::NeedsReconcile
                        ));
                        prop_assert_eq!(payment.transaction_id().as_str(), TID);
                        prop_assert!(payment.invariant_holds());
                    }
                    Ok(None) => {}
                    Err(_) => prop_assert_eq!(&auth, &before, "a refused outcome changes nothing"),
                }
                if matches!(before.status(), AuthenticationStatus::Confirmed { .. }) {
                    prop_assert_eq!(&auth, &before, "Confirmed is final");
                }
                if *before.status() == AuthenticationStatus::NeedsReconcile
                    && *auth.status() == AuthenticationStatus::Authenticated
                {
                    prop_assert!(late_nones >= 3, "released after {} counted NONE answers", late_nones);
                }
            }
            prop_assert!(payments <= 1);
        }
    }
}
