//! `docs/sandbox-inventory.md` is the sandbox's inventory as the code has it: every request
//! field the sandbox accepts, per route, with its source. Run with `UPDATE_INVENTORY=1` to
//! rewrite the page after changing `crates/sim/src/inventory/`.

use std::path::Path;

#[test]
fn the_inventory_page_is_the_codes_inventory() {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/sandbox-inventory.md");
    let expected = eximbay_sim::inventory::markdown();
    if std::env::var_os("UPDATE_INVENTORY").is_some() {
        std::fs::write(&page, &expected).unwrap();
    }
    let written = std::fs::read_to_string(&page).unwrap_or_default();
    assert!(
        written == expected,
        "docs/sandbox-inventory.md differs from eximbay_sim::inventory::markdown(): run \
         `UPDATE_INVENTORY=1 cargo test -p eximbay-tests --test suite sandbox_inventory`"
    );
}

#[test]
fn every_route_names_its_fields_once_with_a_source() {
    for route in eximbay_sim::inventory::routes() {
        let mut seen = std::collections::BTreeSet::new();
        for field in route.fields {
            assert!(
                seen.insert(field.path),
                "{} twice in {}",
                field.path,
                route.name
            );
            assert!(!field.source.is_empty(), "{} in {}", field.path, route.name);
        }
    }
    // The add-on blocks are in the window's inventory (digest §2.3).
    let window = &eximbay_sim::inventory::LEGACY_WINDOW;
    for name in [
        "paypal_legs_0_carrier_code",
        "yandex_passengers_3_last_name",
        "decisionManager_travelData_leg_1_origin",
        "item_0_product",
        "item_12_unitPrice",
        "shipTo_street1",
    ] {
        assert!(window.get_form(name).is_some(), "{name}");
    }
    assert!(window.get_form("item_x_product").is_none());
    assert!(window.get_form("oreder_id").is_none());
}
