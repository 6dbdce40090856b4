//! The sandbox accepts what the public sources send (the inventory) and answers each
//! undocumented case as its named choice says, in-process through `Sandbox::handle`: every
//! choice of `GET /_sim/behaviour` has a source in `GET /_sim/behaviour/sources`, each is
//! exercised under each of its values, and a refusal names the field, never a reader's path.
//! The payment window's choices are in `sandbox_choices/window.rs`.

mod window;

use eximbay_core::{SecretKey, fgkey};
use eximbay_sim::{Behaviour, Sandbox, SandboxConfig};
use eximbay_sim::{
    BuyerCancelCode, CancelBeforeCapture, CashSaleTransactionId, FieldPolicy, IdLengths,
    MissingRequired, RebillLines, RetrieveByOrder, RetrieveLag, RetrieveShape, SecondConfirm,
    TokenDeleteBody,
};
use eximbay_sim::{DEFAULT_API_KEY, DEFAULT_MID, DEFAULT_SECRET_KEY};
use serde_json::{Value, json};

fn sandbox_with(behaviour: Behaviour) -> Sandbox {
    Sandbox::new(SandboxConfig {
        behaviour,
        ..SandboxConfig::default()
    })
}

/// A JSON POST to the v1 API with the sandbox's key; the JSON answer.
fn v1(sandbox: &mut Sandbox, path: &str, body: &Value) -> Value {
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{DEFAULT_API_KEY}:"));
    let request = http::Request::post(path)
        .header("authorization", format!("Basic {auth}"))
        .header("content-type", "application/json")
        .body(body.to_string().into_bytes())
        .unwrap();
    serde_json::from_slice(sandbox.handle(&request).response.body()).unwrap()
}

fn get(sandbox: &mut Sandbox, path: &str) -> Value {
    let request = http::Request::get(path).body(Vec::new()).unwrap();
    serde_json::from_slice(sandbox.handle(&request).response.body()).unwrap()
}

/// A payment as if its window was completed; its transaction id.
fn pay(sandbox: &mut Sandbox, order: &str, amount: &str, kind: &str) -> String {
    let new = json!({"order_id": order, "currency": "USD", "amount": amount,
                     "transaction_type": kind});
    let (payment, _, _) = sandbox
        .create_payment(serde_json::from_value(new).unwrap())
        .unwrap();
    payment.transaction_id
}

/// A form signed with the sandbox's secret, posted to `path`; the body of the answer.
fn post_form(sandbox: &mut Sandbox, path: &str, fields: &[(&str, &str)]) -> String {
    let secret = SecretKey::new(DEFAULT_SECRET_KEY).unwrap();
    let key = fgkey::sign(&secret, fields.iter().copied());
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in fields {
        form.append_pair(k, v);
    }
    form.append_pair("fgkey", &key);
    let request = http::Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.finish().into_bytes())
        .unwrap();
    String::from_utf8(sandbox.handle(&request).response.body().clone()).unwrap()
}

fn ready_body() -> Value {
    json!({
        "payment": {"transaction_type": "PAYMENT", "order_id": "READY-1", "currency": "USD",
                    "amount": "1", "lang": "EN"},
        "merchant": {"mid": DEFAULT_MID},
        "buyer": {"name": "Buyer", "email": "buyer@example.com"},
        "url": {"return_url": "https://shop.example/r", "status_url": "https://shop.example/s"}
    })
}

#[test]
fn every_choice_has_its_source_beside_the_behaviour() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let behaviour = get(&mut sandbox, "/_sim/behaviour");
    let sources = get(&mut sandbox, "/_sim/behaviour/sources");
    let named: Vec<&str> = sources["choices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let keys: Vec<&str> = behaviour
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(named, keys, "the sources list every choice, in order");
    for choice in sources["choices"].as_array().unwrap() {
        assert!(!choice["source"].as_str().unwrap().is_empty(), "{choice}");
    }
    // The behaviour endpoint keeps its shape: what it answers is its POST body.
    let request = http::Request::post("/_sim/behaviour")
        .body(behaviour.to_string().into_bytes())
        .unwrap();
    let set: Value = serde_json::from_slice(sandbox.handle(&request).response.body()).unwrap();
    assert_eq!(set, behaviour);
}

#[test]
fn the_public_ready_and_rebill_bodies_are_accepted() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let mut body = ready_body();
    // BeomB/Eximbay_OpenAPI_WebClient ready.http; the reference's merchant and buyer fields.
    body["payment"]["payment_method"] = json!("P000");
    body["payment"]["multi_payment_method"] = json!("");
    body["merchant"]["shop"] = json!("Shop");
    body["merchant"]["partner_code"] = json!("");
    body["buyer"]["phone_number"] = json!("01012345678");
    // colds104/PG-EximbayTest ReadyTokenAsync.
    body["settings"] = json!({"display_type": "R", "issuer_country": "", "ostype": "P"});
    body["other_param"] = json!({"param1": "O", "param2": "TIGERBOOKING"});
    body["tokenbilling"] = json!({"token_creation": "Y"});
    body["fast_payment"] = json!({"user_id": "edgar", "user_ci": "", "phone_number": "",
                                  "birthday": "", "gender": "", "foreigner": ""});
    body["product"] = json!([{"name": "A", "quantity": 1, "unit_price": "1", "link": ""}]);
    let answer = v1(&mut sandbox, "/v1/payments/ready", &body);
    assert_eq!(answer["rescode"], "0000", "{answer}");

    // A token to rebill, then colds104's rebill: lang, buyer, other_param, numeric quantity.
    let new = json!({"order_id": "T-1", "currency": "KRW", "amount": "1000",
                     "transaction_type": "PAYMENT", "status_url": "http://127.0.0.1:9/s",
                     "token_creation": true});
    let (_, _, callbacks) = sandbox
        .create_payment(serde_json::from_value(new).unwrap())
        .unwrap();
    let n = eximbay_core::Notification::parse(callbacks[0].body.as_bytes()).unwrap();
    let token = n.get("tokenID").unwrap().to_owned();
    assert_eq!(n.get("tokenBilling"), Some("Y"), "guide §2.5.3 names");
    let rebill = json!({
        "payment": {"order_id": "R-1", "currency": "KRW", "amount": "1000", "lang": "KR"},
        "merchant": {"mid": DEFAULT_MID},
        "buyer": {"name": "eximbay", "email": "test@eximbay.com"},
        "product": [{"name": "test", "quantity": 1, "unit_price": "1000"}],
        "other_param": {"param1": "R-1", "param2": "TIGERBOOKING"}
    });
    let path = format!("/v1/payments/tokenbilling/{token}/rebill");
    assert_eq!(v1(&mut sandbox, &path, &rebill)["rescode"], "0000");
    // The token page's own sample: an empty product line.
    let mut empty = rebill.clone();
    empty["payment"]["order_id"] = json!("R-2");
    empty["product"] = json!([{"name": "", "quantity": "", "unit_price": "", "link": ""}]);
    assert_eq!(v1(&mut sandbox, &path, &empty)["rescode"], "0000");
    // rebill_lines: checked refuses it.
    sandbox.set_behaviour(Behaviour {
        rebill_lines: RebillLines::Checked,
        ..Behaviour::default()
    });
    empty["payment"]["order_id"] = json!("R-3");
    assert_eq!(v1(&mut sandbox, &path, &empty)["rescode"], "EC00");
}

#[test]
fn refusals_name_the_field_and_undeclared_fields_follow_the_choice() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let mut body = ready_body();
    body["payment"]["payment_methd"] = json!("P000");
    let answer = v1(&mut sandbox, "/v1/payments/ready", &body);
    assert_eq!(answer["rescode"], "EC00");
    let message = answer["resmsg"].as_str().unwrap();
    assert!(
        message.starts_with("payment.payment_methd is not a field of POST /v1/payments/ready"),
        "{message}"
    );
    for (change, expected) in [
        (
            json!({"payment": {"amount": 1}}),
            "payment.amount must be text",
        ),
        (json!({"buyer": {"name": "B"}}), "buyer.email is required"),
        (
            json!({"product": [{"name": "A", "quantity": [1], "unit_price": "1"}]}),
            "product[0].quantity must be text or a number",
        ),
        (json!({"url": "x"}), "url must be an object"),
    ] {
        let mut body = ready_body();
        for (key, value) in change.as_object().unwrap() {
            match (body[key].as_object_mut(), value.as_object()) {
                (Some(target), Some(fields)) if key != "url" => {
                    if key == "buyer" {
                        target.clear();
                    }
                    for (k, v) in fields {
                        target.insert(k.clone(), v.clone());
                    }
                }
                _ => body[key] = value.clone(),
            }
        }
        let answer = v1(&mut sandbox, "/v1/payments/ready", &body);
        assert_eq!(answer["resmsg"], expected, "{body}");
        assert!(!answer["resmsg"].as_str().unwrap().contains("line "));
    }
    // id_lengths: guide holds ready to the guide's lengths (ref 30, email 50).
    for (lengths, expected) in [(IdLengths::Lenient, "0000"), (IdLengths::Guide, "EC00")] {
        sandbox.set_behaviour(Behaviour {
            id_lengths: lengths,
            ..Behaviour::default()
        });
        let mut body = ready_body();
        body["payment"]["order_id"] = json!("O".repeat(31));
        assert_eq!(
            v1(&mut sandbox, "/v1/payments/ready", &body)["rescode"],
            expected
        );
        let mut body = ready_body();
        body["buyer"]["email"] = json!(format!("{}@example.com", "b".repeat(40)));
        assert_eq!(
            v1(&mut sandbox, "/v1/payments/ready", &body)["rescode"],
            expected
        );
    }
    // undeclared_fields.v1: ignore accepts the undeclared field.
    sandbox.set_behaviour(Behaviour {
        undeclared_fields: eximbay_sim::UndeclaredFields {
            v1: FieldPolicy::Ignore,
            ..Default::default()
        },
        ..Behaviour::default()
    });
    let mut body = ready_body();
    body["payment"]["payment_methd"] = json!("P000");
    assert_eq!(
        v1(&mut sandbox, "/v1/payments/ready", &body)["rescode"],
        "0000"
    );
}

fn window_form<'a>(items: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("ver", "230"),
        ("mid", DEFAULT_MID),
        ("txntype", "PAYMENT"),
        ("ref", "W-1"),
        ("cur", "USD"),
        ("amt", "1.0"),
        ("buyer", "Buyer"),
        ("email", "buyer@example.com"),
        ("lang", "EN"),
        ("returnurl", "https://shop.example/r"),
        ("statusurl", "https://shop.example/s"),
        ("paymethod", ""),
        ("shipTo_city", "Mountain View"),
    ];
    fields.extend_from_slice(items);
    fields
}

const BASIC: &str = "/Gateway/BasicProcessor.krp";

/// Approves (or declines, cancels) the window a form opened; the fields posted back.
fn finish_window(sandbox: &mut Sandbox, page: &str, action: &str) -> Vec<(String, String)> {
    let start = page.find("action=\"/window/").unwrap() + "action=\"".len();
    let id_end = page[start..].find('"').unwrap() + start;
    let request = http::Request::post(&page[start..id_end])
        .body(format!("action={action}").into_bytes())
        .unwrap();
    let back = String::from_utf8(sandbox.handle(&request).response.body().clone()).unwrap();
    back.split("<input type=\"hidden\" name=\"")
        .skip(1)
        .map(|rest| {
            let (name, rest) = rest.split_once("\" value=\"").unwrap();
            let value = rest.split_once('"').unwrap().0;
            (name.to_owned(), value.replace("&amp;", "&"))
        })
        .collect()
}

#[test]
fn retrieve_answers_as_its_choices_say() {
    for shape in [RetrieveShape::Nested, RetrieveShape::Flat] {
        for by_order in [RetrieveByOrder::Latest, RetrieveByOrder::First] {
            let mut sandbox = sandbox_with(Behaviour {
                retrieve_shape: shape,
                retrieve_by_order: by_order,
                ..Behaviour::default()
            });
            let first = pay(&mut sandbox, "O-1", "1", "PAYMENT");
            let second = pay(&mut sandbox, "O-1", "2", "AUTHORIZE");
            let answer = v1(
                &mut sandbox,
                "/v1/payments/retrieve",
                &json!({"mid": DEFAULT_MID, "key_field": "order_id",
                        "payment": {"order_id": "O-1", "currency": "USD", "amount": "1", "lang": "EN"}}),
            );
            let payment = match shape {
                RetrieveShape::Nested => answer["payment"].clone(),
                RetrieveShape::Flat => answer.clone(),
            };
            let expected = match by_order {
                RetrieveByOrder::Latest => (&second, "AUTH"),
                RetrieveByOrder::First => (&first, "SALE"),
            };
            assert_eq!(
                payment["transaction_id"], *expected.0,
                "{shape:?} {by_order:?}"
            );
            assert_eq!(payment["status"], expected.1, "{answer}");
            assert_eq!(answer["rescode"], "0000");
        }
    }
}

#[test]
fn a_new_payment_hides_from_retrieve_for_the_lag() {
    let mut sandbox = sandbox_with(Behaviour {
        retrieve_lag: RetrieveLag {
            seconds: 60,
            retrieves: 2,
        },
        ..Behaviour::default()
    });
    let tid = pay(&mut sandbox, "LAG-1", "1", "PAYMENT");
    let retrieve = json!({"mid": DEFAULT_MID, "key_field": "transaction_id",
        "payment": {"order_id": "LAG-1", "currency": "USD", "amount": "1", "lang": "EN",
                    "transaction_id": tid}});
    let status = |sandbox: &mut Sandbox| {
        v1(sandbox, "/v1/payments/retrieve", &retrieve)["payment"]["status"].clone()
    };
    assert_eq!(status(&mut sandbox), "NONE", "within 60 s");
    sandbox.advance(60);
    assert_eq!(status(&mut sandbox), "NONE", "hidden retrieve 1");
    assert_eq!(status(&mut sandbox), "NONE", "hidden retrieve 2");
    assert_eq!(status(&mut sandbox), "SALE");
}

#[test]
fn a_cash_sale_keeps_or_changes_its_transaction_id() {
    for choice in [CashSaleTransactionId::Same, CashSaleTransactionId::New] {
        let mut sandbox = sandbox_with(Behaviour {
            cash_sale_transaction_id: choice,
            ..Behaviour::default()
        });
        let new = json!({"order_id": "CASH-1", "currency": "USD", "amount": "5",
                         "method": "cash", "status_url": "http://127.0.0.1:9/s"});
        let (registered, _, _) = sandbox
            .create_payment(serde_json::from_value(new).unwrap())
            .unwrap();
        let callbacks = sandbox.settle_cash(&registered.transaction_id).unwrap();
        let n = eximbay_core::Notification::parse(callbacks[0].body.as_bytes()).unwrap();
        let sale_tid = n.get("transid").unwrap();
        assert_eq!(
            sale_tid == registered.transaction_id,
            choice == CashSaleTransactionId::Same,
            "{choice:?}"
        );
        assert_eq!(
            sandbox.ledger.payment(sale_tid).unwrap().remote_status(),
            "SALE"
        );
    }
}

#[test]
fn cancels_confirms_and_token_deletes_follow_their_choices() {
    let cancel = |tid: &str, balance: Option<&str>, id: &str| {
        let mut payment =
            json!({"order_id": "C-1", "currency": "USD", "amount": "1", "lang": "EN"});
        if let Some(b) = balance {
            payment["balance"] = json!(b);
        }
        (
            format!("/v1/payments/{tid}/cancel"),
            json!({"mid": DEFAULT_MID, "payment": payment,
                   "refund": {"refund_type": "F", "refund_amount": "1", "refund_id": id}}),
        )
    };
    // v1_refund_balance and cancel_before_capture.
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let tid = pay(&mut sandbox, "C-1", "1", "PAYMENT");
    let (path, body) = cancel(&tid, None, "R-1");
    assert_eq!(
        v1(&mut sandbox, &path, &body)["rescode"],
        "0000",
        "when_present"
    );
    let mut sandbox = sandbox_with(Behaviour {
        v1_refund_balance: eximbay_sim::RefundBalance::Required,
        cancel_before_capture: CancelBeforeCapture::Refuse,
        id_lengths: IdLengths::Guide,
        ..Behaviour::default()
    });
    let tid = pay(&mut sandbox, "C-1", "1", "PAYMENT");
    let (path, body) = cancel(&tid, None, "R-1");
    assert_eq!(
        v1(&mut sandbox, &path, &body)["rescode"],
        "EC00",
        "required"
    );
    let (path, body) = cancel(&tid, Some("1"), &"R".repeat(31));
    assert_eq!(
        v1(&mut sandbox, &path, &body)["rescode"],
        "EC00",
        "guide: refundid 30"
    );
    let auth = pay(&mut sandbox, "C-1", "1", "AUTHORIZE");
    let (path, body) = cancel(&auth, Some("1"), "R-2");
    assert_eq!(
        v1(&mut sandbox, &path, &body)["rescode"],
        "EC00",
        "refuse before capture"
    );
    assert!(!sandbox.ledger.payment(&auth).unwrap().voided);

    // token_delete_body.
    for (choice, merchant_ok, empty_ok) in [
        (TokenDeleteBody::Either, true, true),
        (TokenDeleteBody::Merchant, true, false),
        (TokenDeleteBody::Empty, false, true),
    ] {
        let mut sandbox = sandbox_with(Behaviour {
            token_delete_body: choice,
            ..Behaviour::default()
        });
        for (body, ok) in [
            (json!({"merchant": {"mid": DEFAULT_MID}}), merchant_ok),
            (json!({}), empty_ok),
        ] {
            let new = json!({"order_id": "T", "currency": "USD", "amount": "1",
                "transaction_type": "PAYMENT", "status_url": "http://127.0.0.1:9/s",
                "token_creation": true});
            let (_, _, callbacks) = sandbox
                .create_payment(serde_json::from_value(new).unwrap())
                .unwrap();
            let n = eximbay_core::Notification::parse(callbacks[0].body.as_bytes()).unwrap();
            let token = n.get("tokenID").unwrap();
            let answer = v1(
                &mut sandbox,
                &format!("/v1/payments/tokenbilling/{token}/delete"),
                &body,
            );
            assert_eq!(answer["rescode"] == "0000", ok, "{choice:?} {body}");
        }
    }

    // second_confirm: a PAYER_AUTH window, confirmed twice.
    for choice in [SecondConfirm::Refuse, SecondConfirm::AnswerFirst] {
        let mut sandbox = sandbox_with(Behaviour {
            second_confirm: choice,
            ..Behaviour::default()
        });
        let mut form = window_form(&[
            ("item_0_product", "A"),
            ("item_0_quantity", "1"),
            ("item_0_unitPrice", "1.0"),
        ]);
        form.retain(|(k, _)| *k != "txntype");
        form.push(("txntype", "PAYER_AUTH"));
        let page = post_form(&mut sandbox, BASIC, &form);
        let back = finish_window(&mut sandbox, &page, "approve");
        let id = back
            .iter()
            .find(|(k, _)| k == "payerauthid")
            .unwrap()
            .1
            .clone();
        assert_eq!(id.len(), 24, "guide §2.2.3: payerauthid 24");
        let confirm = json!({"transaction_type": "PAYMENT_PA", "mid": DEFAULT_MID,
            "payment": {"order_id": "W-1", "currency": "USD", "amount": "1.0",
                        "payer_auth_id": id, "lang": "EN"}});
        let first = v1(&mut sandbox, "/v1/payments/confirm", &confirm);
        assert_eq!(first["rescode"], "0000", "{first}");
        let second = v1(&mut sandbox, "/v1/payments/confirm", &confirm);
        match choice {
            SecondConfirm::Refuse => assert_eq!(second["rescode"], "EC00"),
            SecondConfirm::AnswerFirst => {
                assert_eq!(second["transaction_id"], first["transaction_id"]);
                assert_eq!(sandbox.ledger.len(), 1, "nothing moved");
            }
        }
    }
}
