//! `EE*`, `EX*` and any 5xx on a money-moving call leave it in doubt (point 3); a refund key
//! reused for another amount is refused, or never reported as success (point 4).

use super::*;

fn scripted(
    status: u16,
    rescode: &'static str,
) -> impl Fn(Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError> {
    move |_req| {
        Ok(response(
            status,
            format!(r#"{{"rescode":"{rescode}","resmsg":"x"}}"#),
        ))
    }
}

/// Captures an authorized payment the way a merchant does (`BlockingClient::capture`, the
/// default policy, no sleeping); the capture must fail: returns the payment and the error.
fn failed_capture(client: impl SyncHttpClient) -> (Payment, ClientError) {
    let mut p = authorized();
    let err = BlockingClient::new(client, test_config(), |_| {})
        .capture(&mut p)
        .unwrap_err();
    (p, err)
}

#[test]
fn processor_errors_internal_exceptions_and_5xx_leave_a_capture_in_doubt() {
    let cfg = test_config();
    for (status, rescode) in [
        (200, "EE01"),
        (200, "EE02"),
        (200, "EE99"),
        (200, "EEEE"),
        (200, "EX03"),
        (503, "ES99"),
        (502, "HE01"),
    ] {
        let calls = Cell::new(0);
        let client = |req: Request<Vec<u8>>| {
            calls.set(calls.get() + 1);
            scripted(status, rescode)(req)
        };
        let (p, err) = failed_capture(client);
        assert!(err.is_ambiguous(), "{status} {rescode}: {err}");
        assert_eq!(calls.get(), 1, "{rescode}: never replayed");
        assert_eq!(p.status(), PaymentStatus::NeedsReconcile, "{rescode}");

        // The same answers to a retrieve (moves no money): retried, nothing in doubt.
        let calls = Cell::new(0);
        let client = |req: Request<Vec<u8>>| {
            calls.set(calls.get() + 1);
            scripted(status, rescode)(req)
        };
        let result = send_blocking(
            &client,
            &cfg,
            &authorized().reconcile(),
            &RetryPolicy::default(),
            |_| {},
        );
        assert!(
            matches!(result, Err(ClientError::Transport { attempts: 3, .. })),
            "{rescode}"
        );
        assert_eq!(calls.get(), 3);
    }
    // EM00 says the gateway did not act: safe to retry, even on a 503.
    let calls = Cell::new(0);
    let client = |_req: Request<Vec<u8>>| {
        calls.set(calls.get() + 1);
        if calls.get() == 1 {
            scripted(503, "EM00")(_req)
        } else {
            scripted(200, "HE05")(_req)
        }
    };
    let (p, err) = failed_capture(client);
    assert!(matches!(err, ClientError::Declined(ref g) if g.rescode.as_str() == "HE05"));
    assert_eq!(calls.get(), 2);
    assert_eq!(p.status(), PaymentStatus::Authorized);
}

// ---- 4. refund keys -------------------------------------------------------------------

#[test]
fn a_refund_key_is_never_reused_for_another_amount() {
    let mut p = captured();
    let first = p.refund_partial(usd("5.00"), "ticket-1", None).unwrap();
    let refunded = first
        .parse(json_response(
            200,
            &refund_answer(first.refund_id.as_str(), "5.00", "5.00"),
        ))
        .unwrap();
    p.apply(PaymentOutcome::Refunded(refunded.clone())).unwrap();

    // Another amount under the same key: refused before anything is sent.
    assert_eq!(
        p.refund_partial(usd("3.00"), "ticket-1", None),
        Err(PaymentRefusal::RefundKeyReused {
            refund_id: first.refund_id.clone(),
            applied: dec("5.00"),
            requested: dec("3.00"),
        })
    );
    // The same refund again: done already, not sent again.
    assert_eq!(
        p.refund_partial(usd("5.00"), "ticket-1", None),
        Err(PaymentRefusal::RefundAlreadyApplied {
            refund_id: first.refund_id.clone()
        })
    );
    // A full refund of the rest (5.00) under that key names the same refund: not sent.
    assert!(matches!(
        p.refund_full("ticket-1", None),
        Err(PaymentRefusal::RefundAlreadyApplied { .. })
    ));
    // A new key is a new refund.
    assert!(p.refund_partial(usd("5.00"), "ticket-2", None).is_ok());

    // The answer to another refund (the gateway repeating the original 5.00 for a request of
    // 7.00 under a reused id) is never read as success…
    let mut fresh = captured();
    let seven = fresh.refund_partial(usd("7.00"), "ticket-1", None).unwrap();
    let err = seven
        .parse(json_response(
            200,
            &refund_answer(seven.refund_id.as_str(), "5.00", "5.00"),
        ))
        .unwrap_err();
    assert!(matches!(err, ResponseError::Malformed { .. }), "{err}");
    // …it leaves the refund in doubt, to be reconciled.
    let result = send_blocking(
        &|_req: Request<Vec<u8>>| {
            Ok(json_response(
                200,
                &refund_answer(seven.refund_id.as_str(), "5.00", "5.00"),
            ))
        },
        &test_config(),
        &seven,
        &RetryPolicy::default(),
        |_| {},
    );
    let err = absorb(
        &mut fresh,
        PaymentCommand::of_cancel(&seven),
        result,
        PaymentOutcome::Refunded,
    )
    .unwrap_err();
    assert!(err.is_ambiguous(), "{err}");
    assert_eq!(fresh.status(), PaymentStatus::NeedsReconcile);
    // An answer about another refund id is not about this one either.
    assert!(matches!(
        seven.parse(json_response(
            200,
            &refund_answer("SOMETHING-ELSE", "7.00", "3.00")
        )),
        Err(ResponseError::Malformed { .. })
    ));
    // The same id reported again with another amount: only a retrieve can tell.
    let mut replayed = refunded.clone();
    replayed.refund.refund_amount = eximbay_core::GatewayAmount::new("6.00");
    let t = p.apply(PaymentOutcome::Refunded(replayed)).unwrap();
    assert!(matches!(t.event, PaymentEvent::RefundDiverged { .. }));
    assert_eq!(t.to, PaymentStatus::NeedsReconcile);
}

#[test]
fn payments_stored_before_refund_amounts_were_kept_still_load() {
    let mut p = captured();
    let op = p.refund_partial(usd("2.00"), "old-key", None).unwrap();
    let answer = op
        .parse(json_response(
            200,
            &refund_answer(op.refund_id.as_str(), "2.00", "8.00"),
        ))
        .unwrap();
    p.apply(PaymentOutcome::Refunded(answer)).unwrap();
    let mut stored: Value = serde_json::to_value(&p).unwrap();
    // The old shape: bare refund ids, no partially_cancelable.
    stored["applied_refunds"] = json!([op.refund_id.as_str()]);
    stored
        .as_object_mut()
        .unwrap()
        .remove("partially_cancelable");
    let loaded: Payment = serde_json::from_value(stored).unwrap();
    assert_eq!(loaded.status(), PaymentStatus::PartiallyRefunded);
    assert_eq!(loaded.applied_refunds()[0].amount, None);
    // The key still may not be sent again, whatever the amount.
    assert!(matches!(
        loaded.refund_partial(usd("3.00"), "old-key", None),
        Err(PaymentRefusal::RefundAlreadyApplied { .. })
    ));
    // And the current shape round-trips.
    let again: Payment = serde_json::from_value(serde_json::to_value(&p).unwrap()).unwrap();
    assert_eq!(again, p);
}
