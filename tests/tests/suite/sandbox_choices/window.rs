//! The sandbox's payment window under its choices: line items numbered from 0 or 1 and both
//! totals named, and results that carry the guide's fields (a failure its transid).

use super::*;

#[test]
fn the_window_reads_lines_numbered_from_0_or_1_and_names_both_totals() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let zero = [
        ("item_0_product", "A"),
        ("item_0_quantity", "1"),
        ("item_0_unitPrice", "1.25"),
        ("surcharge_0_name", "Discount"),
        ("surcharge_0_quantity", "1"),
        ("surcharge_0_unitPrice", "-0.25"),
    ];
    let page = post_form(&mut sandbox, BASIC, &window_form(&zero));
    assert!(page.contains("action=\"/window/"), "{page}");
    let one = [
        ("item_1_product", "A"),
        ("item_1_quantity", "1"),
        ("item_1_unitPrice", "1.0"),
    ];
    let page = post_form(&mut sandbox, BASIC, &window_form(&one));
    assert!(page.contains("action=\"/window/"), "{page}");
    // The official PHP sample's own amounts: 1.25 + 0.25 for amt 1.
    let php = [
        ("item_0_product", "A"),
        ("item_0_quantity", "1"),
        ("item_0_unitPrice", "1.25"),
        ("surcharge_0_name", "Shipping fee"),
        ("surcharge_0_quantity", "1"),
        ("surcharge_0_unitPrice", "0.25"),
    ];
    let page = post_form(&mut sandbox, BASIC, &window_form(&php));
    assert!(
        page.contains("The items and surcharges add up to 1.50, not to amt 1.0"),
        "{page}"
    );
    // missing_required: refuse names the first missing R field; undeclared: refuse too.
    for (behaviour, expected) in [
        (
            Behaviour {
                missing_required: MissingRequired::Refuse,
                ..Behaviour::default()
            },
            "shipTo_country is required",
        ),
        (
            Behaviour {
                undeclared_fields: eximbay_sim::UndeclaredFields {
                    legacy_window: FieldPolicy::Refuse,
                    ..Default::default()
                },
                ..Behaviour::default()
            },
            "item_1_colour is not a field of POST /Gateway/BasicProcessor.krp",
        ),
    ] {
        sandbox.set_behaviour(behaviour);
        let mut with_extra = one.to_vec();
        with_extra.push(("item_1_colour", "red"));
        let page = post_form(&mut sandbox, BASIC, &window_form(&with_extra));
        assert!(page.contains(expected), "{page}");
    }
}

#[test]
fn results_carry_the_guides_fields_and_failures_a_transid() {
    let mut sandbox = Sandbox::new(SandboxConfig::default());
    let lines = [
        ("item_0_product", "A"),
        ("item_0_quantity", "1"),
        ("item_0_unitPrice", "1.0"),
        ("param2", "P2"),
    ];
    let page = post_form(&mut sandbox, BASIC, &window_form(&lines));
    let back = finish_window(&mut sandbox, &page, "approve");
    let names: Vec<&str> = back.iter().map(|(k, _)| k.as_str()).collect();
    for field in [
        "ver",
        "mid",
        "txntype",
        "ref",
        "cur",
        "amt",
        "email",
        "param1",
        "param2",
        "param3",
        "transid",
        "rescode",
        "resmsg",
        "authcode",
        "resdt",
        "cardholder",
        "accesscountry",
        "cardno1",
        "cardno4",
        "paymethod",
        "payto",
        "shipTo_city",
        "fgkey",
    ] {
        assert!(names.contains(&field), "{field} in {names:?}");
    }
    let value = |k: &str| back.iter().find(|(n, _)| n == k).unwrap().1.clone();
    assert_eq!(value("amt"), "1.0", "echoed as sent");
    assert_eq!(value("param2"), "P2");
    assert_eq!(
        value("paymethod"),
        "P101",
        "an empty paymethod: the test card's"
    );

    for (code, expected) in [
        (BuyerCancelCode::Xx01, "XX01"),
        (BuyerCancelCode::Xxxx, "XXXX"),
    ] {
        sandbox.set_behaviour(Behaviour {
            buyer_cancel_code: code,
            ..Behaviour::default()
        });
        let page = post_form(&mut sandbox, BASIC, &window_form(&lines));
        let back = finish_window(&mut sandbox, &page, "cancel");
        let value = |k: &str| back.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        assert_eq!(value("rescode").as_deref(), Some(expected));
        assert_eq!(value("transid").map(|t| t.len()), Some(24));
    }
}
