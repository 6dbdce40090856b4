//! Parsing the gateway's answers: the seeds' responses (quirks included), refusals,
//! unknown codes, HTML error pages and legacy `k=v` replies.

use eximbay_core::ops::MerchantParams;
use eximbay_core::ops::cancel::{Cancel, RefundKind};
use eximbay_core::ops::capture::Capture;
use eximbay_core::ops::recurring_adjust::RecurringAdjust;
use eximbay_core::ops::recurring_terminate::RecurringTerminate;
use eximbay_core::ops::retrieve::{KeyField, Retrieve};
use eximbay_core::{
    Amount, Currency, ErrorCode, Lang, Operation, OrderId, PaymentMethod, RecurringId, RefundId,
    RemoteStatus, ResponseError, ResultCode, TransactionId,
};
use eximbay_tests::{TID, response};

// Seed 000's capture answer, byte for byte (note the key "partially_cancelable ").
const SEED_CAPTURE_RESPONSE: &str = r#"{
"rescode": "0000",
"resmsg": "Success.",
"mid": "1849705C64",
"payment": {
"order_id": "20220922114007",
"currency": "USD",
"amount": "1",
"transaction_id": "1849705C6420220922000016",
"captured_date": "20220922114212",
"partially_cancelable ": "Y"
}
}"#;

// Seed 001's cancel answer, byte for byte (note "foregin_*").
const SEED_CANCEL_RESPONSE: &str = r#"{
"rescode": "0000",
"resmsg": "Success.",
"mid": "1849705C64",
"refund": {
"refund_amount": "1.00",
"refund_id": "1849705C64",
"refund_date": "20220922113927",
"refund_transaction_id": "1849705C6420220922000014"
},
"payment": {
"order_id": "20220922113330",
"currency": "USD",
"amount": "1.00",
"transaction_id": "1849705C6420220922000013",
"balance": "0.00",
"base_amount": "1.00",
"base_rate": "1.000000",
"dcc_rate": "1.000000",
"payment_method" : "P101"
},
"foreign": {
"foregin_currency": "USD",
"foregin_amount": "1.00",
"foregin_rate": "0"
}
}"#;

fn capture() -> Capture {
    Capture {
        transaction_id: TransactionId::new(TID),
        order_id: OrderId::new("20220922114007"),
        currency: Currency::Usd,
        amount: Amount::parse("1").unwrap(),
        lang: Lang::En,
    }
}

fn cancel() -> Cancel {
    Cancel::new(
        TransactionId::new("1849705C6420220922000013"),
        OrderId::new("20220922113330"),
        Currency::Usd,
        Amount::parse("1").unwrap(),
        Amount::parse("1").unwrap(),
        RefundKind::Full,
        RefundId::new("1849705C64"),
        Lang::En,
    )
}

#[test]
fn seed_capture_response() {
    let captured = capture()
        .parse(response(200, SEED_CAPTURE_RESPONSE))
        .unwrap();
    assert_eq!(captured.partially_cancelable, Some(true));
    assert_eq!(captured.amount.as_str(), "1");
    assert_eq!(captured.transaction_id.as_str(), TID);
    insta::assert_json_snapshot!(captured);
    // Without the trailing space too.
    let clean =
        SEED_CAPTURE_RESPONSE.replace("\"partially_cancelable \"", "\"partially_cancelable\"");
    let captured = capture().parse(response(200, clean)).unwrap();
    assert_eq!(captured.partially_cancelable, Some(true));
}

#[test]
fn seed_cancel_response() {
    let refunded = cancel().parse(response(200, SEED_CANCEL_RESPONSE)).unwrap();
    assert_eq!(refunded.refund.refund_amount.as_str(), "1.00");
    assert_eq!(refunded.payment.balance.as_ref().unwrap().as_str(), "0.00");
    assert_eq!(refunded.payment.payment_method, Some(PaymentMethod::Visa));
    let foreign = refunded.foreign.as_ref().unwrap();
    assert_eq!(foreign.foreign_currency, Some(Currency::Usd));
    assert_eq!(foreign.foreign_amount.as_ref().unwrap().as_str(), "1.00");
    insta::assert_json_snapshot!(refunded);
    let spelled_right = SEED_CANCEL_RESPONSE.replace("foregin_", "foreign_");
    let again = cancel().parse(response(200, spelled_right)).unwrap();
    assert_eq!(again, refunded);
}

#[test]
fn unknown_fields_and_codes_are_accepted() {
    let extra = SEED_CAPTURE_RESPONSE.replacen(
        "\"mid\"",
        "\"new_field\": {\"nested\": [1, 2]}, \"mid\"",
        1,
    );
    assert!(capture().parse(response(200, extra)).is_ok());
    let refused = r#"{"rescode":"ZZ42","resmsg":"Something new","errcode":"BRAND_NEW"}"#;
    let err = capture().parse(response(200, refused)).unwrap_err();
    let gateway = err.gateway_error().unwrap();
    assert_eq!(gateway.rescode, ResultCode::Unknown("ZZ42".into()));
    assert_eq!(gateway.errcode, Some(ErrorCode::Other("BRAND_NEW".into())));
    // The developer pages' codes are typed, spelled as the page spells them.
    let expired = r#"{"rescode":"HE01","resmsg":"Expired","errcode":"EXPIRED_CARD"}"#;
    let err = capture().parse(response(200, expired)).unwrap_err();
    let gateway = err.gateway_error().unwrap();
    assert_eq!(gateway.errcode, Some(ErrorCode::ExpiredCard));
    assert!(gateway.to_string().contains("(EXPIRED_CARD)"), "{gateway}");
}

#[test]
fn success_is_rescode_0000_only_never_resmsg() {
    let fake = SEED_CAPTURE_RESPONSE.replace("\"0000\"", "\"0001\"");
    assert!(matches!(
        capture().parse(response(200, fake)),
        Err(ResponseError::Declined(_))
    ));
    let localized = SEED_CAPTURE_RESPONSE.replace("Success.", "성공");
    assert!(capture().parse(response(200, localized)).is_ok());
    let no_code = r#"{"resmsg":"Success.","payment":{"amount":"1"}}"#;
    assert!(matches!(
        capture().parse(response(200, no_code)),
        Err(ResponseError::Malformed { .. })
    ));
}

#[test]
fn declines_keep_status_and_code_even_on_4xx() {
    let body = r#"{"rescode":"EC1002","resmsg":"transaction_id is invalid"}"#;
    let err = capture().parse(response(400, body)).unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(
        err.gateway_error().unwrap().rescode,
        ResultCode::InvalidTransactionId
    );
    // A refusal whose other objects have an unexpected shape is still a refusal.
    let odd = r#"{"rescode":"EC00","resmsg":"bad","payment":"not an object"}"#;
    assert_eq!(
        capture()
            .parse(response(200, odd))
            .unwrap_err()
            .gateway_error()
            .unwrap()
            .rescode,
        ResultCode::BadParameter
    );
}

#[test]
fn html_error_pages_are_typed_with_status_and_truncated_body() {
    let page = format!(
        "<html><head><title>502 Bad Gateway</title></head><body>{}</body></html>",
        "x".repeat(4000)
    );
    let mut html = response(502, page.clone());
    html.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html"),
    );
    match capture().parse(html).unwrap_err() {
        error @ ResponseError::HttpStatus { .. } => {
            let ResponseError::HttpStatus {
                status,
                ref content_type,
                ref body,
            } = error
            else {
                unreachable!()
            };
            assert_eq!(status, 502);
            assert_eq!(content_type.as_deref(), Some("text/html"));
            assert!(body.as_str().starts_with("<html><head><title>502"));
            assert!(body.is_truncated());
            assert!(body.as_str().len() <= eximbay_core::error::BODY_EXCERPT_LIMIT);
            // A person reads the status, the content type and the start of the first line,
            // never the whole page.
            let message = error.to_string();
            assert_eq!(
                message,
                "HTTP 502 (text/html) without a gateway result: an HTML page titled \"502 Bad Gateway\""
            );
            assert!(message.len() < 250, "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        capture().parse(response(200, page)),
        Err(ResponseError::Malformed { status: 200, .. })
    ));
}

#[test]
fn amounts_must_be_strings_never_floats() {
    let float = SEED_CAPTURE_RESPONSE.replace("\"amount\": \"1\"", "\"amount\": 1.0");
    assert!(matches!(
        capture().parse(response(200, float)),
        Err(ResponseError::Malformed { .. })
    ));
}

#[test]
fn retrieve_response() {
    let retrieve = Retrieve {
        key_field: KeyField::TransactionId,
        order_id: OrderId::new("20220902101716"),
        transaction_id: Some(TransactionId::new(TID)),
        currency: Currency::Usd,
        amount: Amount::parse("10.00").unwrap(),
        lang: Lang::En,
    };
    let body = r#"{"rescode":"0000","resmsg":"Success.","mid":"1849705C64","payment":{"order_id":"20220902101716","currency":"USD","amount":"10.00","transaction_id":"1849705C6420220922000016","transaction_type":"AUTHORIZE","status":"SALE\n","balance":"7.50","captured_date":"20220922114212","payment_method":"P102"}}"#;
    let retrieved = retrieve.parse(response(200, body)).unwrap();
    assert_eq!(retrieved.status, RemoteStatus::Sale);
    assert_eq!(retrieved.balance.as_ref().unwrap().as_str(), "7.50");
    insta::assert_json_snapshot!(retrieved);
}

#[test]
fn legacy_replies_are_trimmed_and_decoded() {
    let terminate = RecurringTerminate {
        recurring_id: RecurringId::new("RC2026010100001"),
        params: MerchantParams::default(),
    };
    let ok = "mid=1849705C64&txntype=RC_TERMINATE&recurringID=RC2026010100001&rescode=0000&resmsg=Success.&param1=customer+42&param2=&param3=\r\n\n";
    let done = terminate.parse(response(200, ok)).unwrap();
    assert_eq!(done.resmsg, "Success.");
    assert_eq!(done.params[0].as_deref(), Some("customer 42"));
    assert_eq!(done.params[1].as_deref(), Some(""));
    let refused = "mid=1849705C64&txntype=RC_TERMINATE&recurringID=RC2026010100001&rescode=EC00 \n&resmsg=Invalid+recurringID\n";
    let err = terminate.parse(response(200, refused)).unwrap_err();
    assert_eq!(
        err.gateway_error().unwrap().rescode,
        ResultCode::BadParameter
    );
    assert_eq!(err.gateway_error().unwrap().resmsg, "Invalid recurringID");
    assert!(matches!(
        terminate.parse(response(200, "<html>oops</html>")),
        Err(ResponseError::Malformed { .. })
    ));
    assert!(matches!(
        terminate.parse(response(503, "Service Unavailable")),
        Err(ResponseError::HttpStatus { status: 503, .. })
    ));

    let adjust = RecurringAdjust {
        recurring_id: RecurringId::new("RC2026010100001"),
        currency: Currency::Usd,
        amount: Amount::parse("9.15").unwrap(),
        params: MerchantParams::default(),
    };
    let ok = "mid=1849705C64&txntype=RC_ADJUST&recurringID=RC2026010100001&rescode=0000&resmsg=Success\n";
    let adjusted = adjust.parse(response(200, ok)).unwrap();
    assert_eq!(adjusted.amount.as_str(), "9.15");
}

#[test]
fn a_payment_starts_from_its_status_notification() {
    use eximbay_core::{Notification, NotificationError, Payment, PaymentStatus};
    let body = |txntype: &str, rescode: &str| {
        format!(
            "mid=1849705C64&ref=ORDER-7&cur=KRW&amt=15000&txntype={txntype}&rescode={rescode}&transid={TID}"
        )
    };
    let parse = |b: &str| Notification::parse(b.as_bytes()).unwrap().into_owned();
    let authorized =
        Payment::from_status_notification(&parse(&body("AUTHORIZE", "0000")), Lang::Kr).unwrap();
    assert_eq!(authorized.status(), PaymentStatus::Authorized);
    assert_eq!(authorized.amount().as_str(), "15000");
    assert_eq!(authorized.currency(), &Currency::Krw);
    let paid =
        Payment::from_status_notification(&parse(&body("PAYMENT", "0000")), Lang::Kr).unwrap();
    assert_eq!(paid.status(), PaymentStatus::Captured);
    assert_eq!(
        Payment::from_status_notification(&parse(&body("PAYMENT", "HE01")), Lang::Kr).unwrap_err(),
        NotificationError::NotSuccessful("HE01".into())
    );
    assert_eq!(
        Payment::from_status_notification(&parse(&body("REFUND", "0000")), Lang::Kr).unwrap_err(),
        NotificationError::InvalidField("transaction type")
    );
    let bad_amount = body("PAYMENT", "0000").replace("amt=15000", "amt=15,000");
    assert_eq!(
        Payment::from_status_notification(&parse(&bad_amount), Lang::Kr).unwrap_err(),
        NotificationError::InvalidField("amount")
    );
}
