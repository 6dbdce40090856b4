//! The corpus of public artifacts (`tests/corpus/*.json`), replayed against the sandbox:
//! each file is one public request or real payload with its provenance, licence, what it is
//! and what it must do. The replay rewrites the MID to the sandbox's and re-signs with its
//! secret (a real payload whose fgkey must stay valid is kept verbatim), seeds the ledger with
//! the sample's ids and amounts, and expects what the file says: accepted, or refused only for
//! a documented rule, with the code the documents give. Answers of operations the core has
//! are read with the core.

use std::path::Path;

use eximbay_core::ops::capture::Capture;
use eximbay_core::ops::query::Query;
use eximbay_core::ops::retrieve::{KeyField, Retrieve};
use eximbay_core::{
    Amount, Currency, Lang, Notification, Operation, OrderId, SecretKey, TransactionId, fgkey,
};
use eximbay_sim::{Behaviour, Sandbox, SandboxConfig};
use eximbay_sim::{DEFAULT_API_KEY, DEFAULT_MID, DEFAULT_SECRET_KEY};
use eximbay_sim::{FieldPolicy, MissingRequired, UndeclaredFields};
use serde_json::Value;

fn secret() -> SecretKey {
    SecretKey::new(DEFAULT_SECRET_KEY).unwrap()
}

fn text(value: &Value, key: &str) -> String {
    value[key].as_str().unwrap_or_default().to_owned()
}

/// The sample's payments, tokens and registrations, under the sample's own ids.
fn seed(sandbox: &mut Sandbox, case: &Value) -> Option<String> {
    for entry in case["ledger"].as_array().into_iter().flatten() {
        let new = serde_json::from_value(serde_json::json!({
            "order_id": entry["order_id"], "currency": entry["currency"],
            "amount": entry["amount"], "transaction_type": entry["transaction_type"],
        }))
        .unwrap();
        let mut payment = sandbox
            .ledger
            .open(&new, DEFAULT_MID, "20260101120000")
            .unwrap();
        payment.transaction_id = text(entry, "transaction_id");
        sandbox.ledger.insert(payment).unwrap();
    }
    for token in case["tokens"].as_array().into_iter().flatten() {
        sandbox
            .tokens
            .create(token.as_str().unwrap().to_owned(), "seeded");
    }
    let mut recurring_id = None;
    for entry in case["recurring"].as_array().into_iter().flatten() {
        let new = serde_json::from_value(serde_json::json!({
            "order_id": entry["order_id"], "currency": entry["currency"],
            "amount": entry["amount"], "transaction_type": "PAYMENT",
            "recurring": {"amount": entry["amount"], "url": "http://127.0.0.1:9/recurring"},
        }))
        .unwrap();
        let (_, registration, _) = sandbox.create_payment(new).unwrap();
        recurring_id = registration.map(|r| r.recurring_id);
    }
    recurring_id
}

/// The MID rewritten to the sandbox's wherever a JSON body carries one.
fn rewrite_mid(body: &mut Value) {
    if body.get("mid").is_some() {
        body["mid"] = DEFAULT_MID.into();
    }
    if body.pointer("/merchant/mid").is_some() {
        body["merchant"]["mid"] = DEFAULT_MID.into();
    }
}

/// Form fields with the sandbox's MID, signed with its secret (the given fgkey dropped).
fn signed_form(fields: &[(String, String)], lowercase: bool, sign: bool) -> String {
    let fields: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| k != "fgkey")
        .map(|(k, v)| {
            let v = if k == "mid" {
                DEFAULT_MID.to_owned()
            } else {
                v.clone()
            };
            (k.clone(), v)
        })
        .collect();
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &fields {
        form.append_pair(k, v);
    }
    if sign {
        let key = fgkey::sign(
            &secret(),
            fields.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        );
        form.append_pair("fgkey", &if lowercase { key.to_lowercase() } else { key });
    }
    form.finish()
}

fn field_pairs(value: &Value) -> Vec<(String, String)> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|pair| {
            (
                pair[0].as_str().unwrap().to_owned(),
                pair[1].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn post(path: &str, content_type: &str, body: String) -> http::Request<Vec<u8>> {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{DEFAULT_API_KEY}:"));
    http::Request::post(path)
        .header("authorization", format!("Basic {auth}"))
        .header("content-type", content_type)
        .body(body.into_bytes())
        .unwrap()
}

/// Looks a field of an answer up by name (`payment.status` in JSON).
type Lookup = Box<dyn Fn(&str) -> Option<String>>;

/// What the sandbox answered: rescode, resmsg and every field (JSON flattened one level
/// into `payment.*`, or the form's fields).
struct Answer {
    rescode: String,
    resmsg: String,
    raw: http::Response<Vec<u8>>,
    get: Lookup,
}

fn json_answer(raw: http::Response<Vec<u8>>) -> Answer {
    let json: Value = serde_json::from_slice(raw.body()).unwrap();
    let lookup = json.clone();
    Answer {
        rescode: text(&json, "rescode"),
        resmsg: text(&json, "resmsg"),
        raw,
        get: Box::new(move |key| {
            lookup
                .pointer(&format!("/{}", key.replace('.', "/")))
                .and_then(Value::as_str)
                .map(str::to_owned)
        }),
    }
}

fn form_answer(raw: http::Response<Vec<u8>>) -> Answer {
    let text = String::from_utf8(raw.body().clone()).unwrap();
    let fields: Vec<(String, String)> = form_urlencoded::parse(text.trim_end().as_bytes())
        .into_owned()
        .collect();
    let find = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let (rescode, resmsg) = (
        find("rescode").unwrap_or_default(),
        find("resmsg").unwrap_or_default(),
    );
    Answer {
        rescode,
        resmsg,
        raw,
        get: Box::new(move |key| {
            fields
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        }),
    }
}

fn window_answer(raw: http::Response<Vec<u8>>) -> Answer {
    let page = String::from_utf8(raw.body().clone()).unwrap();
    let between = |start: &str| {
        page.split_once(start)
            .and_then(|(_, rest)| rest.split_once('<'))
            .map(|(value, _)| value.to_owned())
            .unwrap_or_default()
    };
    let (rescode, resmsg) = if page.contains("action=\"/window/") {
        ("window".to_owned(), String::new())
    } else {
        (between("<p id=\"rescode\">"), between("<p id=\"resmsg\">"))
    };
    Answer {
        rescode,
        resmsg,
        raw,
        get: Box::new(|_| None),
    }
}

fn replay(name: &str, case: &Value, behaviour: Behaviour) -> Answer {
    let mut sandbox = Sandbox::new(SandboxConfig {
        behaviour,
        ..SandboxConfig::default()
    });
    let recurring_id = seed(&mut sandbox, case);
    let request = &case["request"];
    match request["surface"].as_str().unwrap() {
        "v1" => {
            let mut body = request["body"].clone();
            rewrite_mid(&mut body);
            if case["expect"]["resign_data"] == true {
                let data = text(&body, "data");
                let fields: Vec<(String, String)> = form_urlencoded::parse(data.as_bytes())
                    .into_owned()
                    .collect();
                body["data"] = signed_form(&fields, false, true).into();
            }
            let path = text(request, "path");
            let raw = sandbox
                .handle(&post(&path, "application/json", body.to_string()))
                .response;
            json_answer(raw)
        }
        "window" => {
            let form = signed_form(&field_pairs(&request["fields"]), false, true);
            let raw = sandbox
                .handle(&post(
                    "/Gateway/BasicProcessor.krp",
                    "application/x-www-form-urlencoded",
                    form,
                ))
                .response;
            window_answer(raw)
        }
        "direct" => {
            let mut fields = field_pairs(&request["fields"]);
            for (_, v) in &mut fields {
                if v == "{recurring_id}" {
                    *v = recurring_id.clone().unwrap();
                }
            }
            let sign = request["unsigned"] != true;
            let form = signed_form(&fields, request["lowercase_fgkey"] == true, sign);
            let raw = sandbox
                .handle(&post(
                    "/Gateway/DirectProcessor.krp",
                    "application/x-www-form-urlencoded",
                    form,
                ))
                .response;
            form_answer(raw)
        }
        "callback" => {
            // A real payload, verbatim: its fgkey is the gateway's own.
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (k, v) in field_pairs(&request["fields"]) {
                form.append_pair(&k, &v);
            }
            let data = form.finish();
            let notification = Notification::parse(data.as_bytes()).unwrap();
            notification
                .verify(&secret())
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let body = serde_json::json!({ "data": data }).to_string();
            let raw = sandbox
                .handle(&post("/v1/payments/verify", "application/json", body))
                .response;
            json_answer(raw)
        }
        "answer" => {
            let raw = http::Response::new(text(request, "text").into_bytes());
            form_answer(raw)
        }
        other => panic!("{name}: unknown surface {other}"),
    }
}

/// Reads the answer with the core's operation for it.
fn read_with_core(name: &str, case: &Value, answer: Answer) {
    let request = &case["request"];
    let body = &request["body"];
    let field = |key: &str| {
        request["fields"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|pair| pair[0] == key)
            .map(|pair| text(&pair[1], ""))
            .or_else(|| {
                body.pointer(&format!("/payment/{key}"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default()
    };
    let lang = Lang::from_code(&field("lang"));
    match case["expect"]["core"].as_str() {
        Some("retrieve") => {
            let op = Retrieve {
                key_field: KeyField::TransactionId,
                order_id: OrderId::new(field("order_id")),
                transaction_id: Some(TransactionId::new(field("transaction_id"))),
                currency: Currency::from_code(&field("currency")),
                amount: Amount::parse(&field("amount")).unwrap(),
                lang,
            };
            let retrieved = op
                .parse(answer.raw)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                retrieved.status.as_str(),
                text(&case["expect"], "status"),
                "{name}"
            );
        }
        Some("capture") => {
            let path = text(request, "path");
            let tid = path.split('/').nth(3).unwrap();
            let op = Capture {
                transaction_id: TransactionId::new(tid),
                order_id: OrderId::new(field("order_id")),
                currency: Currency::from_code(&field("currency")),
                amount: Amount::parse(&field("amount")).unwrap(),
                lang,
            };
            op.parse(answer.raw)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        Some("query") => {
            let key_field = if field("keyfield") == "REF" {
                KeyField::OrderId
            } else {
                KeyField::TransactionId
            };
            let tid = field("transid");
            let op = Query {
                key_field,
                order_id: OrderId::new(field("ref")),
                transaction_id: (!tid.is_empty()).then(|| TransactionId::new(tid)),
                currency: Currency::from_code(&field("cur")),
                amount: Amount::parse(&field("amt"))
                    .unwrap_or_else(|_| Amount::parse("1").unwrap()),
                lang,
                params: Default::default(),
            };
            let retrieved = op
                .parse(answer.raw)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(
                retrieved.status.as_str(),
                text(&case["expect"], "status"),
                "{name}"
            );
        }
        Some("notification") => {
            let fields = match request["surface"].as_str() {
                Some("callback") => field_pairs(&request["fields"]),
                _ => form_urlencoded::parse(text(body, "data").as_bytes())
                    .into_owned()
                    .collect(),
            };
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (k, v) in &fields {
                form.append_pair(k, v);
            }
            let data = form.finish();
            let n = Notification::parse(data.as_bytes()).unwrap();
            assert!(n.rescode().is_some(), "{name}");
            assert!(
                n.transaction_id().is_some() || n.get("payer_auth_id").is_some(),
                "{name}: a result names its transaction"
            );
        }
        Some("cancel") | None => {}
        Some(other) => panic!("{name}: unknown core reading {other}"),
    }
}

#[test]
fn every_public_artifact_replays_as_its_file_says() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "the corpus holds {} files", files.len());
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let case: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let provenance = &case["provenance"];
        for key in ["source", "licence", "what", "personal_data"] {
            assert!(
                !text(provenance, key).is_empty(),
                "{name}: provenance.{key}"
            );
        }
        let expect = &case["expect"];
        let mut behaviours = vec![Behaviour::default()];
        if expect["under_refuse"] == true {
            behaviours.push(Behaviour {
                undeclared_fields: UndeclaredFields {
                    v1: FieldPolicy::Refuse,
                    legacy_window: FieldPolicy::Refuse,
                    direct_processor: FieldPolicy::Refuse,
                },
                missing_required: MissingRequired::Refuse,
                ..Behaviour::default()
            });
        }
        for behaviour in behaviours {
            let answer = replay(&name, &case, behaviour);
            assert_eq!(
                answer.rescode,
                text(expect, "rescode"),
                "{name}: {}",
                answer.resmsg
            );
            if let Some(start) = expect["resmsg_starts"].as_str() {
                assert!(
                    answer.resmsg.starts_with(start),
                    "{name}: {}",
                    answer.resmsg
                );
            }
            if let Some(part) = expect["resmsg_contains"].as_str() {
                assert!(answer.resmsg.contains(part), "{name}: {}", answer.resmsg);
            }
            for (key, path) in [
                ("status", "status"),
                ("balance", "balance"),
                ("transid", "transid"),
                ("amount", "payment.amount"),
                ("refund_amount", "refund.refund_amount"),
            ] {
                if let Some(expected) = expect[key].as_str() {
                    let found =
                        (answer.get)(path).or_else(|| (answer.get)(&format!("payment.{path}")));
                    assert_eq!(
                        found.as_deref().map(str::trim),
                        Some(expected),
                        "{name}: {key}"
                    );
                }
            }
            read_with_core(&name, &case, answer);
        }
    }
}
