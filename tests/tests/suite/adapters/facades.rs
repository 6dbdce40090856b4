//! End to end: both client facades against the scripted gateway over loopback (captures,
//! partial refunds, an ambiguous refund reconciled instead of repeated, safe failures
//! retried, any async client plugged in as a closure).

use super::*;

fn ledger() -> Arc<Mutex<ScriptedGateway>> {
    let gateway = Arc::new(Mutex::new(ScriptedGateway::default()));
    gateway.lock().unwrap().authorize(TID, "O-1", "USD", "1");
    gateway
}

#[test]
fn ureq_client_captures_and_partially_refunds() {
    let gateway = ledger();
    let (server, _) = scripted_server(gateway.clone(), vec![]);
    let client =
        eximbay_ureq::Client::with_options(sandbox_config(&server), &ureq_options()).unwrap();
    let mut payment = authorized_payment();
    let t = client.capture(&mut payment).unwrap();
    assert_eq!(
        (t.from, t.to),
        (PaymentStatus::Authorized, PaymentStatus::Captured)
    );
    let t = client
        .refund_partial(
            &mut payment,
            Amount::parse("0.4").unwrap(),
            "r1",
            Some("damaged"),
        )
        .unwrap();
    assert_eq!(t.to, PaymentStatus::PartiallyRefunded);
    let t = client.refund_full(&mut payment, "r2", None).unwrap();
    assert_eq!(t.to, PaymentStatus::Refunded);
    let g = gateway.lock().unwrap();
    assert_eq!(g.payment(TID).captures_applied, 1);
    assert_eq!(g.applied_refund_ids().len(), 2);
    // Refused before sending: nothing more reached the server.
    drop(g);
    let before = server.requests().len();
    let err = client.refund_full(&mut payment, "r3", None).unwrap_err();
    assert!(err.nothing_sent());
    assert_eq!(server.requests().len(), before);
}

#[test]
fn async_client_captures_and_partially_refunds() {
    let gateway = ledger();
    let (server, _) = scripted_server(gateway.clone(), vec![]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client =
            eximbay_async::Client::with_options(sandbox_config(&server), &reqwest_options())
                .unwrap();
        let mut payment = authorized_payment();
        assert_eq!(
            client.capture(&mut payment).await.unwrap().to,
            PaymentStatus::Captured
        );
        let t = client
            .refund_partial(&mut payment, Amount::parse("0.4").unwrap(), "r1", None)
            .await
            .unwrap();
        assert_eq!(t.to, PaymentStatus::PartiallyRefunded);
        assert_eq!(
            payment.refundable(),
            "0.6".parse::<rust_decimal::Decimal>().unwrap()
        );
    });
    assert_eq!(gateway.lock().unwrap().applied_refund_ids().len(), 1);
}

#[test]
fn an_ambiguous_refund_leads_to_reconcile_not_a_second_refund() {
    // ureq: the refund is applied, then the connection is reset.
    let gateway = ledger();
    let (server, _) = scripted_server(gateway.clone(), vec![Script::Answer, Script::ApplyThenDrop]);
    let client =
        eximbay_ureq::Client::with_options(sandbox_config(&server), &ureq_options()).unwrap();
    let mut payment = authorized_payment();
    client.capture(&mut payment).unwrap();
    let err = client
        .refund_partial(&mut payment, Amount::parse("0.4").unwrap(), "r1", None)
        .unwrap_err();
    assert!(err.is_ambiguous(), "{err}");
    assert_eq!(payment.status(), PaymentStatus::NeedsReconcile);
    assert_eq!(
        server.requests().len(),
        2,
        "the ambiguous refund was sent once"
    );
    // Retrying the same command is refused until the payment is reconciled.
    let again = client
        .refund_partial(&mut payment, Amount::parse("0.4").unwrap(), "r1", None)
        .unwrap_err();
    assert!(matches!(
        again,
        ClientError::Machine {
            refusal: Refusal::Payment(_),
            sent: false
        }
    ));
    assert_eq!(server.requests().len(), 2);
    let t = client.reconcile(&mut payment).unwrap();
    assert_eq!(t.event, PaymentEvent::Reconciled);
    assert_eq!(payment.status(), PaymentStatus::PartiallyRefunded);
    assert_eq!(payment.refunded_amount().to_string(), "0.40");
    assert_eq!(gateway.lock().unwrap().applied_refund_ids().len(), 1);

    // reqwest: an ambiguous capture is reconciled, never re-sent.
    let gateway = ledger();
    let (server, _) = scripted_server(gateway.clone(), vec![Script::ApplyThenDrop]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client =
            eximbay_async::Client::with_options(sandbox_config(&server), &reqwest_options())
                .unwrap();
        let mut payment = authorized_payment();
        let err = client.capture(&mut payment).await.unwrap_err();
        assert!(err.is_ambiguous(), "{err}");
        assert!(client.capture(&mut payment).await.is_err());
        assert_eq!(
            client.reconcile(&mut payment).await.unwrap().to,
            PaymentStatus::Captured
        );
    });
    assert_eq!(server.requests().len(), 2, "capture once, retrieve once");
    assert_eq!(gateway.lock().unwrap().payment(TID).captures_applied, 1);
}

#[test]
fn safe_failures_are_retried_by_both_clients() {
    // A decline with EM00 is retried; the second attempt succeeds.
    let gateway = ledger();
    let em00 = Arc::new(Mutex::new(true));
    let flag = em00.clone();
    let inner = gateway.clone();
    let server = LoopbackServer::start(move |req| {
        if std::mem::replace(&mut *flag.lock().unwrap(), false) {
            return status(200, r#"{"rescode":"EM00","resmsg":"server disconnected"}"#);
        }
        match inner.lock().unwrap().handle(req, Script::Answer) {
            Reply::Response(r) => Action::Respond(r),
            Reply::Lost => Action::Reset,
        }
    });
    let fast = eximbay_core::Backoff {
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_attempts: 3,
    };
    let client = eximbay_ureq::Client::with_options(sandbox_config(&server), &ureq_options())
        .unwrap()
        .with_backoff(fast);
    let mut payment = authorized_payment();
    client.capture(&mut payment).unwrap();
    assert_eq!(server.requests().len(), 2);
    assert_eq!(gateway.lock().unwrap().payment(TID).captures_applied, 1);
}

#[test]
fn any_async_client_plugs_in_with_a_closure() {
    // An "HTTP client" that is an async closure in front of the scripted gateway: the first
    // capture attempt is refused before it is written (safe), then answered.
    let gateway = ledger();
    let attempts = Arc::new(Mutex::new(0_u32));
    let (inner, counter) = (gateway.clone(), attempts.clone());
    let http = move |request: Request<Vec<u8>>| {
        let (inner, counter) = (inner.clone(), counter.clone());
        async move {
            let attempt = {
                let mut n = counter.lock().unwrap();
                *n += 1;
                *n
            };
            if attempt == 1 {
                return Err(TransportError::new(
                    TransportFailure::Connect,
                    "connection refused",
                ));
            }
            match inner.lock().unwrap().handle(&request, Script::Answer) {
                Reply::Response(response) => Ok(response),
                Reply::Lost => Err(TransportError::new(
                    TransportFailure::ResetAfterWrite,
                    "reset",
                )),
            }
        }
    };
    let slept = Arc::new(Mutex::new(Vec::new()));
    let record = slept.clone();
    let client = eximbay_core::AsyncClient::new(http, test_config(), move |delay: Duration| {
        record.lock().unwrap().push(delay);
        std::future::ready(())
    })
    .with_jitter_seed(7);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut payment = authorized_payment();
    let t = runtime.block_on(client.capture(&mut payment)).unwrap();
    assert_eq!(t.to, PaymentStatus::Captured);
    assert_eq!(*attempts.lock().unwrap(), 2);
    assert_eq!(
        slept.lock().unwrap().len(),
        1,
        "one backoff between the two attempts"
    );
    let t = runtime
        .block_on(client.refund_partial(&mut payment, Amount::parse("0.25").unwrap(), "r1", None))
        .unwrap();
    assert_eq!(t.to, PaymentStatus::PartiallyRefunded);
    assert_eq!(gateway.lock().unwrap().applied_refund_ids().len(), 1);
}
