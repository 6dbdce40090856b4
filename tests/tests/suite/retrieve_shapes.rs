//! The payment's record read in every shape it may come in: the v1 retrieve answer nested
//! (`payment.status`) or flat (the shape of the only documented answer of the kind, the legacy
//! QUERY, guide §3.2.3, digest §5), and the legacy `QUERY` itself. One record in any of these
//! shapes reads into the same `Retrieved`, and a payment reconciles from each.

use eximbay_core::ops::query::Query;
use eximbay_core::ops::retrieve::{KeyField, Retrieve, Retrieved};
use eximbay_core::{
    Amount, BuildError, Currency, Lang, Operation, OrderId, Payment, PaymentOutcome, PaymentStatus,
    RemoteStatus, TransactionId,
};
use eximbay_tests::{TID, render_request, response, test_config};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn retrieve() -> Retrieve {
    Retrieve {
        key_field: KeyField::TransactionId,
        order_id: OrderId::new("ORDER-1"),
        transaction_id: Some(TransactionId::new(TID)),
        currency: Currency::Usd,
        amount: Amount::parse("10.00").unwrap(),
        lang: Lang::En,
    }
}

fn captured_payment() -> Payment {
    Payment::captured(
        TransactionId::new(TID),
        OrderId::new("ORDER-1"),
        Currency::Usd,
        Amount::parse("10.00").unwrap(),
        Lang::En,
    )
    .unwrap()
}

/// One record of the gateway's: the fields a retrieve answer may carry, as text.
#[derive(Clone, Debug)]
struct Record {
    status: String,
    balance: Option<String>,
    transaction_id: Option<String>,
    order_id: Option<String>,
    currency: Option<String>,
    amount: Option<String>,
    payment_method: Option<String>,
    transaction_type: Option<String>,
    captured_date: Option<String>,
}

/// The v1 names of the record's fields with their legacy QUERY names.
fn fields(record: &Record) -> Vec<(&'static str, &'static str, Option<&String>)> {
    vec![
        ("status", "status", Some(&record.status)),
        ("balance", "balance", record.balance.as_ref()),
        ("transaction_id", "transid", record.transaction_id.as_ref()),
        ("order_id", "ref", record.order_id.as_ref()),
        ("currency", "cur", record.currency.as_ref()),
        ("amount", "amt", record.amount.as_ref()),
        (
            "payment_method",
            "paymethod",
            record.payment_method.as_ref(),
        ),
        // No legacy name: a QUERY answer's `txntype` is `QUERY` itself.
        (
            "transaction_type",
            "transaction_type",
            record.transaction_type.as_ref(),
        ),
        (
            "captured_date",
            "captured_date",
            record.captured_date.as_ref(),
        ),
    ]
}

fn head() -> Map<String, Value> {
    let mut answer = Map::new();
    answer.insert("rescode".into(), json!("0000"));
    answer.insert("resmsg".into(), json!("Success."));
    answer.insert("mid".into(), json!("1849705C64"));
    answer
}

fn nested(record: &Record) -> Value {
    let mut payment = Map::new();
    for (name, _, value) in fields(record) {
        if let Some(value) = value {
            payment.insert(name.into(), json!(value));
        }
    }
    let mut answer = head();
    answer.insert("payment".into(), Value::Object(payment));
    Value::Object(answer)
}

/// The flat shape, each field under its v1 name or (where `legacy[i]`) its legacy one.
fn flat(record: &Record, legacy: &[bool]) -> Value {
    let mut answer = head();
    for (i, (name, legacy_name, value)) in fields(record).into_iter().enumerate() {
        if let Some(value) = value {
            let key = if legacy.get(i).copied().unwrap_or(false) {
                legacy_name
            } else {
                name
            };
            answer.insert(key.into(), json!(value));
        }
    }
    Value::Object(answer)
}

fn parse(answer: &Value) -> Retrieved {
    retrieve()
        .parse(response(200, answer.to_string()))
        .unwrap_or_else(|e| panic!("{answer}: {e}"))
}

fn record() -> impl Strategy<Value = Record> {
    let text = |re: &'static str| proptest::option::of(re);
    (
        prop_oneof![
            Just("SALE".to_owned()),
            Just("AUTH".to_owned()),
            Just("REGISTERED".to_owned()),
            Just("NONE".to_owned()),
            Just("SALE\n".to_owned()),
            "[A-Z_]{1,12}",
        ],
        text("[0-9]{1,6}(\\.[0-9]{1,2})?"),
        text("[0-9A-Z]{24}"),
        text("[A-Za-z0-9-]{1,30}"),
        text("USD|KRW|JPY|MYR|[A-Z]{3}"),
        text("[0-9]{1,6}(\\.[0-9]{1,2})?"),
        text("P000|P001|P101|P[0-9]{3}"),
        text("PAYMENT|AUTHORIZE|[A-Z_]{1,12}"),
        text("[0-9]{14}"),
    )
        .prop_map(
            |(
                status,
                balance,
                transaction_id,
                order_id,
                currency,
                amount,
                payment_method,
                transaction_type,
                captured_date,
            )| Record {
                status,
                balance,
                transaction_id,
                order_id,
                currency,
                amount,
                payment_method,
                transaction_type,
                captured_date,
            },
        )
}

proptest! {
    #[test]
    fn both_shapes_of_one_record_read_the_same(
        record in record(),
        legacy in proptest::collection::vec(any::<bool>(), 9),
    ) {
        let from_nested = parse(&nested(&record));
        let from_flat = parse(&flat(&record, &legacy));
        prop_assert_eq!(&from_nested, &from_flat);
        prop_assert_eq!(from_nested.status, RemoteStatus::from_code(&record.status));
        prop_assert_eq!(
            from_nested.balance.as_ref().map(|b| b.as_str()),
            record.balance.as_deref()
        );
        prop_assert_eq!(
            from_nested.transaction_id.as_ref().map(|t| t.as_str()),
            record.transaction_id.as_deref()
        );
    }

    #[test]
    fn a_query_answer_reads_as_the_retrieve_answer_of_the_same_record(record in record()) {
        // The QUERY answer has no `transaction_type` (its `txntype` is QUERY) and no
        // captured date (its `resdt` is the transaction's time).
        let record = Record { transaction_type: None, captured_date: None, ..record };
        let mut reply: Vec<(String, String)> = vec![
            ("ver".into(), "230".into()),
            ("mid".into(), "1849705C64".into()),
            ("txntype".into(), "QUERY".into()),
            ("rescode".into(), "0000".into()),
            ("resmsg".into(), "Success.".into()),
            ("resdt".into(), "20260101120000".into()),
        ];
        for (_, legacy_name, value) in fields(&record) {
            if let Some(value) = value {
                reply.push((legacy_name.into(), value.clone()));
            }
        }
        let body = serde_urlencoded::to_string(&reply).unwrap();
        let from_query = query().parse(response(200, body)).unwrap();
        let mut from_retrieve = parse(&nested(&record));
        // The QUERY answer's values are trimmed like every legacy reply's.
        from_retrieve.status = RemoteStatus::from_code(&record.status);
        prop_assert_eq!(from_query, from_retrieve);
    }
}

#[test]
fn the_nested_object_wins_and_the_top_level_fills_what_it_lacks() {
    let answer = json!({
        "rescode": "0000",
        "resmsg": "Success.",
        "status": "AUTH",
        "balance": "0",
        "transid": TID,
        "payment": {"status": "SALE", "order_id": "ORDER-1"},
    });
    let read = parse(&answer);
    assert_eq!(read.status, RemoteStatus::Sale);
    assert_eq!(read.balance.unwrap().as_str(), "0");
    assert_eq!(read.transaction_id.unwrap().as_str(), TID);
    assert_eq!(read.order_id.unwrap().as_str(), "ORDER-1");
}

#[test]
fn an_answer_with_no_status_anywhere_is_malformed() {
    for answer in [
        json!({"rescode": "0000", "payment": {"balance": "1"}}),
        json!({"rescode": "0000", "balance": "1"}),
    ] {
        let error = retrieve()
            .parse(response(200, answer.to_string()))
            .unwrap_err();
        assert!(
            error.to_string().contains("missing field status"),
            "{error}"
        );
    }
}

#[test]
fn a_payment_reconciles_from_a_flat_answer() {
    let mut payment = captured_payment();
    let answer = json!({
        "rescode": "0000",
        "resmsg": "Success.",
        "status": "SALE",
        "balance": "4.00",
        "transaction_id": TID,
        "order_id": "ORDER-1",
        "currency": "USD",
        "amount": "10.00",
    });
    let retrieved = payment
        .reconcile()
        .parse(response(200, answer.to_string()))
        .unwrap();
    payment.apply(PaymentOutcome::Retrieved(retrieved)).unwrap();
    assert_eq!(payment.status(), PaymentStatus::PartiallyRefunded);
    assert_eq!(payment.refunded_amount().to_string(), "6.00");
}

fn query() -> Query {
    Query {
        key_field: KeyField::TransactionId,
        order_id: OrderId::new("ORDER-1"),
        transaction_id: Some(TransactionId::new(TID)),
        currency: Currency::Usd,
        amount: Amount::parse("10.00").unwrap(),
        lang: Lang::En,
        params: Default::default(),
    }
}

#[test]
fn query_request_is_the_guides_signed_form() {
    let cfg = test_config();
    let payment = captured_payment();
    let req = payment.reconcile_by_query().to_http(&cfg).unwrap();
    assert_eq!(
        req.uri(),
        "https://secureapi.test.eximbay.com/Gateway/DirectProcessor.krp"
    );
    let body = std::str::from_utf8(req.body()).unwrap();
    let fields: Vec<(String, String)> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "ver", "mid", "txntype", "keyfield", "ref", "cur", "amt", "transid", "lang", "charset",
            "fgkey"
        ]
    );
    // The fgkey is the guide's: over every other field, sorted, with the secret key.
    let secret = eximbay_core::SecretKey::new(eximbay_tests::SECRET_KEY).unwrap();
    let (signed, fgkey) = fields.split_at(fields.len() - 1);
    assert_eq!(
        fgkey[0].1,
        eximbay_core::fgkey::sign(
            &secret,
            signed.iter().map(|(k, v)| (k.as_str(), v.as_str()))
        )
    );
    insta::assert_snapshot!("query_by_transid", render_request(&req));

    let by_ref = Query {
        key_field: KeyField::OrderId,
        transaction_id: None,
        params: eximbay_core::ops::MerchantParams {
            param1: Some("a&b".into()),
            ..Default::default()
        },
        ..query()
    };
    insta::assert_snapshot!(
        "query_by_ref",
        render_request(&by_ref.to_http(&cfg).unwrap())
    );
}

#[test]
fn query_refuses_what_the_guide_does_not_allow() {
    let cfg = test_config();
    let no_tid = Query {
        transaction_id: None,
        ..query()
    };
    assert!(matches!(
        no_tid.to_http(&cfg),
        Err(BuildError::InvalidField {
            field: "transid",
            ..
        })
    ));
    let unsigned = eximbay_core::Config::new(
        eximbay_core::Environment::Test,
        eximbay_core::Mid::new(eximbay_tests::MID).unwrap(),
        eximbay_core::ApiKey::new(eximbay_tests::API_KEY).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        query().to_http(&unsigned),
        Err(BuildError::MissingSecretKey)
    ));
}

#[test]
fn a_payment_reconciles_from_a_query_answer() {
    let mut payment = captured_payment();
    let body = format!(
        "ver=230&mid=1849705C64&txntype=QUERY&ref=ORDER-1&cur=USD&amt=10.00&status=SALE\n\
         &transid={TID}&rescode=0000&resmsg=Success.&resdt=20260101120000&balance=0&paymethod=P000\n"
    );
    let retrieved = payment
        .reconcile_by_query()
        .parse(response(200, body))
        .unwrap();
    assert_eq!(retrieved.payment_method.as_ref().unwrap().as_str(), "P000");
    payment.apply(PaymentOutcome::Retrieved(retrieved)).unwrap();
    assert_eq!(payment.status(), PaymentStatus::Refunded);

    // NONE: the gateway has no such transaction; nothing changes.
    let mut payment = captured_payment();
    let body = format!("txntype=QUERY&status=NONE&transid={TID}&rescode=0000&resmsg=");
    let retrieved = payment
        .reconcile_by_query()
        .parse(response(200, body))
        .unwrap();
    assert!(payment.apply(PaymentOutcome::Retrieved(retrieved)).is_err());
    assert_eq!(payment.status(), PaymentStatus::Captured);

    // A refusal is a decline, and an answer without a status is malformed.
    let declined = payment
        .reconcile_by_query()
        .parse(response(200, "rescode=EC00&resmsg=Invalid"))
        .unwrap_err();
    assert!(matches!(declined, eximbay_core::ResponseError::Declined(_)));
    let no_status = payment
        .reconcile_by_query()
        .parse(response(200, "rescode=0000&balance=1"))
        .unwrap_err();
    assert!(no_status.to_string().contains("missing field status"));
}
