//! What a merchant developer meets first with the library: failures told apart by what
//! happened (declined, rejected request, outcome unknown), the gateway's answer kept, the
//! payment's state after an error (persist it), and payments that cannot hold an amount
//! no command could send.

use std::cell::Cell;

use eximbay_core::error::BodyExcerpt;
use eximbay_core::{
    Amount, AmountError, BlockingClient, Currency, Lang, OrderId, Payment, PaymentStatus,
    TransactionId,
};
use eximbay_tests::{TID, response, test_config};
use http::Request;
use serde_json::json;

fn authorized() -> Payment {
    Payment::authorized(
        TransactionId::new(TID),
        OrderId::new("O-1"),
        Currency::Usd,
        Amount::parse("10.00").unwrap(),
        Lang::En,
    )
    .unwrap()
}

/// An HTTP layer that answers every call with the same response.
type Scripted =
    Box<dyn Fn(Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, eximbay_core::TransportError>>;

/// A client whose HTTP layer answers every call with this status and body.
fn answering(status: u16, body: String) -> BlockingClient<Scripted> {
    BlockingClient::new(
        Box::new(move |_req| Ok(response(status, body.clone()))),
        test_config(),
        |_| {},
    )
}

#[test]
fn declined_rejected_and_ambiguous_are_told_apart() {
    for (rescode, declined, rejected, ambiguous) in [
        ("HE01", true, false, false),
        ("DP10", true, false, false),
        ("ZZ77", true, false, false),
        ("EC00", false, true, false),
        ("EC1000", false, true, false),
        ("EC1002", false, true, false),
        ("EE01", false, false, true),
        ("EX09", false, false, true),
    ] {
        let client = answering(200, format!(r#"{{"rescode":"{rescode}","resmsg":"x"}}"#));
        let mut payment = authorized();
        let err = client.capture(&mut payment).unwrap_err();
        assert_eq!(err.is_declined(), declined, "{rescode}: {err}");
        assert_eq!(err.is_rejected_request(), rejected, "{rescode}: {err}");
        assert_eq!(err.is_ambiguous(), ambiguous, "{rescode}: {err}");
        if !ambiguous {
            assert_eq!(err.gateway_error().unwrap().rescode.as_str(), rescode);
            assert_eq!(payment.status(), PaymentStatus::Authorized, "{rescode}");
        }
    }
}

#[test]
fn the_gateways_answer_is_kept_and_the_state_after_an_error_is_persisted() {
    let body = json!({
        "rescode": "0000", "resmsg": "Success.",
        "refund": {"refund_amount": "2.50", "refund_id": "", "refund_date": "20260101120000", "refund_transaction_id": "1849705C6420260101009999"},
        "payment": {"transaction_id": TID, "balance": "7.50"}
    });
    let mut payment = Payment::captured(
        TransactionId::new(TID),
        OrderId::new("O-1"),
        Currency::Usd,
        Amount::parse("10.00").unwrap(),
        Lang::En,
    )
    .unwrap();
    // The scripted answer carries the refund id the request sent.
    let op = payment
        .refund_partial(Amount::parse("2.50").unwrap(), "ticket-1", None)
        .unwrap();
    let mut body = body;
    body["refund"]["refund_id"] = json!(op.refund_id.as_str());
    let client = answering(200, body.to_string());
    let applied = client
        .refund_partial(
            &mut payment,
            Amount::parse("2.50").unwrap(),
            "ticket-1",
            None,
        )
        .unwrap();
    assert_eq!(applied.transition.to, PaymentStatus::PartiallyRefunded);
    assert_eq!(
        applied.to,
        PaymentStatus::PartiallyRefunded,
        "it reads as its transition"
    );
    assert_eq!(
        applied
            .response
            .refund
            .refund_transaction_id
            .as_ref()
            .unwrap()
            .as_str(),
        "1849705C6420260101009999"
    );
    assert_eq!(
        applied.response.refund.refund_date.as_deref(),
        Some("20260101120000")
    );
    assert_eq!(
        applied.response.payment.balance.as_ref().unwrap().as_str(),
        "7.50"
    );

    // An ambiguous answer: Err, and the payment is already NeedsReconcile — persist it.
    let calls = Cell::new(0);
    let dropped = BlockingClient::new(
        |_req: Request<Vec<u8>>| {
            calls.set(calls.get() + 1);
            Err(eximbay_core::TransportError::new(
                eximbay_core::TransportFailure::ResetAfterWrite,
                "connection reset",
            ))
        },
        test_config(),
        |_| {},
    );
    let err = dropped
        .refund_partial(
            &mut payment,
            Amount::parse("1.00").unwrap(),
            "ticket-2",
            None,
        )
        .unwrap_err();
    assert!(err.is_ambiguous());
    assert_eq!(calls.get(), 1, "never replayed");
    let stored = serde_json::to_string(&payment).unwrap();
    let loaded: Payment = serde_json::from_str(&stored).unwrap();
    assert_eq!(loaded.status(), PaymentStatus::NeedsReconcile);
    assert!(matches!(
        loaded.refund_partial(Amount::parse("1.00").unwrap(), "ticket-3", None),
        Err(eximbay_core::payment::PaymentRefusal::NeedsReconcile)
    ));
}

#[test]
fn a_payment_cannot_hold_an_amount_no_command_could_send() {
    for constructor in [Payment::authorized, Payment::captured, Payment::registered] {
        assert_eq!(
            constructor(
                TransactionId::new(TID),
                OrderId::new("O-K"),
                Currency::Krw,
                Amount::parse("1000.5").unwrap(),
                Lang::Kr,
            )
            .unwrap_err(),
            AmountError::FractionalForCurrency {
                currency: "KRW".into()
            }
        );
        assert!(
            constructor(
                TransactionId::new(TID),
                OrderId::new("O-X"),
                Currency::from_code("usd"),
                Amount::parse("1.00").unwrap(),
                Lang::En,
            )
            .is_err(),
            "a currency code that cannot be sent"
        );
    }
}

#[test]
fn error_pages_are_summed_up() {
    let long_text = format!("first line\n{}", "x".repeat(600));
    let excerpt = BodyExcerpt::new(long_text.as_bytes());
    assert_eq!(excerpt.to_string(), "\"first line\" …");
    let html = BodyExcerpt::new(
        b"<!DOCTYPE html>\n<html><head>\n<TITLE> 503 Service Unavailable </TITLE></head>",
    );
    assert_eq!(
        html.to_string(),
        "an HTML page titled \"503 Service Unavailable\""
    );
    let one_line = BodyExcerpt::new(b"Internal Server Error");
    assert_eq!(one_line.to_string(), "\"Internal Server Error\"");
}
