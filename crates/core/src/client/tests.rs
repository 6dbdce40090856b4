//! The drive loops under the facades' one mapper: retries, backoff, classification, what is
//! absorbed.
use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

use http::{Request, Response};

use super::*;
use crate::codes::Lang;
use crate::config::{ApiKey, Environment, Mid};
use crate::drive::{SyncHttpClient, TransportError, send, send_blocking};
use crate::error::{BuildError, GatewayError};
use crate::ids::{OrderId, TransactionId};
use crate::money::{Amount, Currency};
use crate::payment::{Payment, PaymentCommand, PaymentOutcome, PaymentRefusal, PaymentStatus};
use crate::retry::TransportFailure;

fn cfg() -> Config {
    Config::new(
        Environment::Test,
        Mid::new("1849705C64").unwrap(),
        ApiKey::new("test_1849705C642C217E0B2D").unwrap(),
    )
    .unwrap()
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

const CAPTURED: &str = r#"{"rescode":"0000","resmsg":"Success.","payment":{"amount":"1","transaction_id":"1849705C6420220922000016"}}"#;

#[test]
fn nothing_sent_is_said_only_of_refusals_before_sending() {
    use crate::authentication::AuthenticationRefusal;
    use crate::token::TokenRefusal;
    let gateway = GatewayError {
        status: 200,
        rescode: crate::codes::ResultCode::from_code("HE01"),
        resmsg: String::new(),
        errcode: None,
    };
    let sent = [
        ClientError::Declined(gateway.clone()),
        ClientError::Rejected(gateway),
        ClientError::Ambiguous {
            operation: "capture",
            attempts: 1,
            detail: String::new(),
        },
        ClientError::Transport {
            operation: "capture",
            attempts: 3,
            detail: String::new(),
        },
        ClientError::misfit(AuthenticationRefusal::Mismatch(String::new())),
        ClientError::misfit(TokenRefusal::Mismatch(String::new())),
        ClientError::misfit(PaymentRefusal::UnknownAtGateway),
    ];
    for error in &sent {
        assert!(!error.nothing_sent(), "{error}");
    }
    let refused = [
        ClientError::not_sent(PaymentRefusal::NeedsReconcile),
        ClientError::Build(BuildError::Http(String::new())),
        ClientError::Refused(String::new()),
        ClientError::not_sent(AuthenticationRefusal::TransactionType(String::new())),
        ClientError::not_sent(TokenRefusal::Deleted),
        ClientError::not_sent(crate::recurring::RecurringRefusal::Terminated),
    ];
    for error in &refused {
        assert!(error.nothing_sent(), "{error}");
    }
}

#[test]
fn safe_failures_are_retried_with_backoff_then_succeed() {
    let calls = Cell::new(0);
    let client = |_req: Request<Vec<u8>>| {
        calls.set(calls.get() + 1);
        if calls.get() < 3 {
            Err(TransportError::new(TransportFailure::Connect, "refused"))
        } else {
            Ok(Response::new(CAPTURED.as_bytes().to_vec()))
        }
    };
    let mut slept = Vec::new();
    let mut p = payment();
    let op = p.capture().unwrap();
    let result = send_blocking(&client, &cfg(), &op, &RetryPolicy::default(), |d| {
        slept.push(d)
    });
    let t = absorb(
        &mut p,
        PaymentCommand::Capture,
        result,
        PaymentOutcome::Captured,
    )
    .unwrap();
    assert_eq!(t.to, PaymentStatus::Captured);
    assert_eq!(calls.get(), 3);
    // The first retry waits the first backoff step, the second the next one.
    let policy = RetryPolicy::default();
    assert_eq!(
        slept,
        vec![
            policy.backoff.delay(0, policy.jitter_seed),
            policy.backoff.delay(1, policy.jitter_seed)
        ]
    );
    assert!(slept[0] < slept[1], "the backoff grows: {slept:?}");
}

/// Runs a future whose every await is ready at once (the clients and sleeps below).
fn ready<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

#[test]
fn the_async_loop_retries_safe_failures_with_the_same_backoff_and_gives_up() {
    let calls = Cell::new(0);
    let failures = Cell::new(2);
    let client = |_req: Request<Vec<u8>>| {
        calls.set(calls.get() + 1);
        let fail = calls.get() <= failures.get();
        async move {
            if fail {
                Err(TransportError::new(TransportFailure::Connect, "refused"))
            } else {
                Ok(Response::new(CAPTURED.as_bytes().to_vec()))
            }
        }
    };
    let slept = std::cell::RefCell::new(Vec::new());
    let sleep = |d: Duration| {
        slept.borrow_mut().push(d);
        async {}
    };
    let policy = RetryPolicy::default();
    let op = payment().capture().unwrap();
    let captured = ready(send(&client, &cfg(), &op, &policy, &sleep)).unwrap();
    assert_eq!(captured.amount.as_str(), "1");
    assert_eq!(calls.get(), 3);
    assert_eq!(
        *slept.borrow(),
        vec![
            policy.backoff.delay(0, policy.jitter_seed),
            policy.backoff.delay(1, policy.jitter_seed)
        ]
    );
    // Failing every time: as many attempts as the backoff allows, then a transport error.
    calls.set(0);
    failures.set(u32::MAX);
    let error = ready(send(&client, &cfg(), &op, &policy, &sleep)).unwrap_err();
    assert!(
        matches!(error, ClientError::Transport { attempts: 3, .. }),
        "{error}"
    );
    assert_eq!(calls.get(), 3);
}

/// Captures a fresh payment through `client` with the default policy (no sleeping) and
/// applies the result, which must be an error; returns the payment and that error.
fn failed_capture(client: &impl SyncHttpClient) -> (Payment, ClientError) {
    let mut p = payment();
    let op = p.capture().unwrap();
    let result = send_blocking(client, &cfg(), &op, &RetryPolicy::default(), |_| {});
    let err = absorb(
        &mut p,
        PaymentCommand::Capture,
        result,
        PaymentOutcome::Captured,
    )
    .unwrap_err();
    (p, err)
}

#[test]
fn an_ambiguous_capture_is_sent_once_and_needs_reconcile() {
    let calls = Cell::new(0);
    let client = |_req: Request<Vec<u8>>| {
        calls.set(calls.get() + 1);
        Err(TransportError::new(
            TransportFailure::ReadTimeout,
            "timed out",
        ))
    };
    let (p, err) = failed_capture(&client);
    assert!(err.is_ambiguous());
    assert_eq!(calls.get(), 1);
    assert_eq!(p.status(), PaymentStatus::NeedsReconcile);
}

#[test]
fn em00_is_retried_and_other_codes_are_final() {
    let calls = Cell::new(0);
    let client = |_req: Request<Vec<u8>>| {
        calls.set(calls.get() + 1);
        let code = if calls.get() == 1 { "EM00" } else { "HE01" };
        Ok(Response::new(
            format!(r#"{{"rescode":"{code}","resmsg":"x"}}"#).into_bytes(),
        ))
    };
    let (p, err) = failed_capture(&client);
    assert!(matches!(err, ClientError::Declined(ref g) if g.rescode.as_str() == "HE01"));
    assert_eq!(calls.get(), 2);
    assert_eq!(p.status(), PaymentStatus::Authorized);
}

#[test]
fn exhausted_safe_failures_apply_nothing() {
    let client =
        |_req: Request<Vec<u8>>| Err(TransportError::new(TransportFailure::Dns, "no such host"));
    let (p, err) = failed_capture(&client);
    assert!(matches!(err, ClientError::Transport { attempts: 3, .. }));
    assert_eq!(p.status(), PaymentStatus::Authorized);
}
