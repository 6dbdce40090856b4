//! The legacy form surfaces: the payment window (`BasicProcessor.krp`) and
//! `DirectProcessor.krp` per `txntype`. Names are the guide's, case-sensitive; `#` is a
//! line index.

use super::Kind::Text;
use super::Use::{Ignored, Read};
use super::{Field, Route, field};

const G212: &str = "guide §2.1.2 (digest §2)";
const G212_SHIP: &str = "guide §2.1.2, Note 6 (digest §2, §2.2)";
const G212_DFS: &str = "guide §2.1.2, duty-free (digest §2)";
const G212_AIR: &str = "guide §2.1.2, airline (digest §2)";
const APP_E: &str = "guide App. E, PayPal airline (digest §2.3)";
const APP_F: &str = "guide App. F, Yandex airline (digest §2.3)";
const APP_G: &str = "guide App. G, DecisionManager airline (digest §2.3)";
const DOM: &str = "domestic guide §2.1.2 (digest §10.2)";
const SEED_002: &str = "seed 002 (recurring registration)";

/// `r` / `o`: required or optional text fields of the window table.
const fn r(path: &'static str, usage: super::Use, source: &'static str) -> Field {
    field(path, Text, true, usage, source)
}
const fn o(path: &'static str, usage: super::Use, source: &'static str) -> Field {
    field(path, Text, false, usage, source)
}

/// The payment window's form (`PAYMENT`, `AUTHORIZE`, `PAYER_AUTH`, token creation).
const WINDOW: &[Field] = &[
    r("ver", Read, G212),
    r("mid", Read, G212),
    r("txntype", Read, G212),
    r("ref", Read, G212),
    r("cur", Read, G212),
    r("amt", Read, G212),
    o(
        "paymethod",
        Read,
        "guide §2.1.2 (digest §2); empty in npm eximbay 0.1.5's sample",
    ),
    o("shop", Read, G212),
    r("buyer", Read, G212),
    o("tel", Ignored, G212),
    r("email", Read, G212),
    r("lang", Ignored, G212),
    r("returnurl", Read, G212),
    r("statusurl", Read, G212),
    o("param1", Read, G212),
    o("param2", Read, G212),
    o("param3", Read, G212),
    o("charset", Ignored, G212),
    r("fgkey", Read, "guide §2.1.2, §5.1 (digest §2, §8)"),
    o("partnercode", Ignored, G212),
    r(
        "item_#_product",
        Read,
        "guide §2.1.2 Note 5 (digest §2, §2.1): numbered from 0 in every official sample, from 1 in one public integration",
    ),
    r("item_#_quantity", Read, G212),
    r("item_#_unitPrice", Read, G212),
    o(
        "item_#_link",
        Ignored,
        "guide §2.1.2 (digest §2; R for open-market merchants only)",
    ),
    o("surcharge_#_name", Read, G212),
    o("surcharge_#_quantity", Read, G212),
    o("surcharge_#_unitPrice", Read, G212),
    r("shipTo_city", Read, G212_SHIP),
    r("shipTo_country", Read, G212_SHIP),
    r("shipTo_firstName", Read, G212_SHIP),
    r("shipTo_lastName", Read, G212_SHIP),
    r("shipTo_phoneNumber", Read, G212_SHIP),
    r("shipTo_postalCode", Read, G212_SHIP),
    r("shipTo_state", Read, G212_SHIP),
    r("shipTo_street1", Read, G212_SHIP),
    o("billTo_city", Ignored, G212),
    o("billTo_country", Ignored, G212),
    o("billTo_firstName", Ignored, G212),
    o("billTo_lastName", Ignored, G212),
    o("billTo_phoneNumber", Ignored, G212),
    o("billTo_postalCode", Ignored, G212),
    o("billTo_state", Ignored, G212),
    o("billTo_street1", Ignored, G212),
    o("dfs_deliverer", Ignored, G212_DFS),
    o("dfs_delivery", Ignored, G212_DFS),
    o("dfs_delivery_date", Ignored, G212_DFS),
    o("traveldt", Ignored, G212_AIR),
    o("ticketnum", Ignored, G212_AIR),
    o("passengernm", Ignored, G212_AIR),
    o("ticketissueagentid", Ignored, G212_AIR),
    o("leaveplacecd", Ignored, G212_AIR),
    o("flightnm", Ignored, G212_AIR),
    o("ostype", Ignored, G212),
    o("autoclose", Ignored, G212),
    r("displaytype", Ignored, G212),
    o("siteforeigncur", Ignored, G212),
    o("callfromapp", Ignored, G212),
    o("tokenBilling", Read, "guide §2.5.2 (digest §4.6)"),
    o(
        "issuercountry",
        Ignored,
        "guide [R3] §2.1.2 and domestic guide (digest §9.2, §10.1)",
    ),
    o("amt_taxFree", Ignored, DOM),
    o("amt_taxable", Ignored, DOM),
    o("amt_vat", Ignored, DOM),
    o("amt_serviceFee", Ignored, DOM),
    o(
        "item_#_subbizno",
        Ignored,
        "domestic guide §4.1.2 (digest §10.2)",
    ),
    o(
        "rescode",
        Ignored,
        "official PHP/JSP samples send it empty (digest §8.2)",
    ),
    o(
        "resmsg",
        Ignored,
        "official PHP/JSP samples send it empty (digest §8.2)",
    ),
    o("recurringPayment", Read, SEED_002),
    o("recurringAmount", Read, SEED_002),
    o("recurringDate", Read, SEED_002),
    o("recurringURL", Read, SEED_002),
    o("recurringEmail", Ignored, SEED_002),
    o("paypal_ticket_number", Ignored, APP_E),
    o("paypal_ticket_issue_date", Ignored, APP_E),
    o("paypal_ticket_issuing_carrier_code", Ignored, APP_E),
    o("paypal_legs_#_flight_number", Ignored, APP_E),
    o("paypal_legs_#_carrier_code", Ignored, APP_E),
    o("paypal_legs_#_service_class", Ignored, APP_E),
    o("paypal_legs_#_departure_date", Ignored, APP_E),
    o("paypal_legs_#_departure_time", Ignored, APP_E),
    o("paypal_legs_#_departure_airport", Ignored, APP_E),
    o("paypal_legs_#_arrival_airport", Ignored, APP_E),
    o("paypal_legs_#_stopover_code", Ignored, APP_E),
    o("paypal_legs_#_fare_basis_code", Ignored, APP_E),
    o("paypal_passenger_name", Ignored, APP_E),
    o("yandex_booking_reference", Ignored, APP_F),
    o("yandex_ticket_number", Ignored, APP_F),
    o("yandex_passengers_#_first_name", Ignored, APP_F),
    o("yandex_passengers_#_last_name", Ignored, APP_F),
    o("yandex_legs_#_departure_airport", Ignored, APP_F),
    o("yandex_legs_#_destination_airport", Ignored, APP_F),
    o("yandex_legs_#_departure_date", Ignored, APP_F),
    o("item_#_passengerFirstName", Ignored, APP_G),
    o("item_#_passengerLastName", Ignored, APP_G),
    o("item_#_passengerID", Ignored, APP_G),
    o("item_#_passengerStatus", Ignored, APP_G),
    o("item_#_passengerType", Ignored, APP_G),
    o("item_#_passengerEmail", Ignored, APP_G),
    o("item_#_passengerPhone", Ignored, APP_G),
    o("decisionManager_travelData_completeRoute", Ignored, APP_G),
    o(
        "decisionManager_travelData_departureDateTime",
        Ignored,
        APP_G,
    ),
    o("decisionManager_travelData_journeyType", Ignored, APP_G),
    o(
        "decisionManager_travelData_leg_#_destination",
        Ignored,
        APP_G,
    ),
    o("decisionManager_travelData_leg_#_origin", Ignored, APP_G),
    o("decisionManager_third_party_booking", Ignored, APP_G),
    o("decisionManager_corporate_booking", Ignored, APP_G),
    o("decisionManager_hours_until_departure", Ignored, APP_G),
    o("decisionManager_age_of_profile", Ignored, APP_G),
    o("decisionManager_number_of_passengers", Ignored, APP_G),
    o("decisionManager_fare_class", Ignored, APP_G),
    o("decisionManager_baggage_purchased", Ignored, APP_G),
    o("decisionManager_payer_pessenger", Ignored, APP_G),
    o("decisionManager_agent_code", Ignored, APP_G),
    o("decisionManager_agent_name", Ignored, APP_G),
];

/// The payment window.
pub static LEGACY_WINDOW: Route = Route {
    name: "POST /Gateway/BasicProcessor.krp",
    fields: WINDOW,
};

const G322: &str = "guide §3.2.2 (digest §5)";
const QUERY: &[Field] = &[
    r("ver", Ignored, G322),
    r("mid", Read, G322),
    r("txntype", Read, G322),
    r(
        "keyfield",
        Read,
        "guide §3.2.2 (digest §5): REF or TRANSID (the default)",
    ),
    r("ref", Read, G322),
    r("cur", Ignored, G322),
    r("amt", Read, G322),
    o(
        "transid",
        Read,
        "guide §3.2.2 Note 4 (digest §5): required with keyfield TRANSID",
    ),
    r("lang", Ignored, G322),
    o("returnurl", Ignored, G322),
    o("param1", Read, G322),
    o("param2", Read, G322),
    o("param3", Read, G322),
    r("fgkey", Read, G322),
    o("charset", Ignored, G322),
];

const G312: &str = "guide §3.1.2 (digest §6)";
const REFUND: &[Field] = &[
    r("ver", Ignored, G312),
    r("mid", Read, G312),
    r("txntype", Read, G312),
    r(
        "refundtype",
        Read,
        "guide §3.1.2 Note 4 (digest §6): anything but P is full",
    ),
    r("ref", Read, G312),
    r("cur", Read, G312),
    r("amt", Read, G312),
    r("refundamt", Read, G312),
    o(
        "balance",
        Read,
        "guide §3.1.2 (digest §6): checked only when present",
    ),
    r("transid", Read, G312),
    r("refundid", Read, G312),
    r("reason", Ignored, G312),
    r("lang", Ignored, G312),
    o("param1", Read, G312),
    o("param2", Read, G312),
    o("param3", Read, G312),
    r("fgkey", Read, G312),
    o("charset", Ignored, G312),
    o("returnurl", Ignored, "guide [R3] §3.1.2 only (digest §6)"),
    o("amt_taxFree", Ignored, "domestic guide §3.1.2 (digest §6)"),
    o("amt_taxable", Ignored, "domestic guide §3.1.2 (digest §6)"),
    o("amt_vat", Ignored, "domestic guide §3.1.2 (digest §6)"),
    o(
        "amt_serviceFee",
        Ignored,
        "domestic guide §3.1.2 (digest §6)",
    ),
    o("username", Ignored, "domestic guide §3.1.2 (digest §6)"),
    o(
        "accountnumber",
        Ignored,
        "domestic guide §3.1.2 (digest §6)",
    ),
    o("bankcode", Ignored, "domestic guide §3.1.2 (digest §6)"),
    o(
        "item_#_subbizno",
        Ignored,
        "domestic guide §4.2.2 (digest §6)",
    ),
    o(
        "item_#_unitPrice",
        Ignored,
        "domestic guide §4.2.2 (digest §6)",
    ),
];

const G242: &str = "guide §2.4.2 (digest §4.5)";
const CAPTURE: &[Field] = &[
    r("ver", Ignored, G242),
    r("mid", Read, G242),
    r("txntype", Read, G242),
    r("ref", Read, G242),
    r("cur", Read, G242),
    r("amt", Read, G242),
    r("transid", Read, G242),
    r("lang", Ignored, G242),
    o("param1", Read, G242),
    o("param2", Read, G242),
    o("param3", Read, G242),
    r("fgkey", Read, G242),
    o("charset", Ignored, G242),
];

const G232: &str = "guide §2.3.2 (digest §4.4)";
const AFTER_PAYER_AUTH: &[Field] = &[
    r("ver", Ignored, G232),
    r("mid", Read, G232),
    r("txntype", Read, G232),
    r("ref", Read, G232),
    r("cur", Read, G232),
    r(
        "amt",
        Read,
        "guide §2.3.2 (digest §4.4): must equal the PAYER_AUTH amount",
    ),
    r("payerauthid", Read, G232),
    r("lang", Ignored, G232),
    o("returnurl", Ignored, G232),
    o("param1", Read, G232),
    o("param2", Read, G232),
    o("param3", Read, G232),
    r("fgkey", Read, G232),
    o("charset", Ignored, G232),
];

const G262: &str = "guide §2.6.2: tokenID and all of §2.1.2 (digest §4.7)";
/// REBILL takes the window's fields (guide §2.6.2) and `tokenID`.
const REBILL_EXTRA: &[Field] = &[r("tokenID", Read, G262)];

const SEED_002_DIRECT: &str = "seed 002 (recurring terminate / adjust)";
const SIGNED_RC: &str = "legacy_signing: every other DirectProcessor table signs (digest §4-§6)";
const RC_TERMINATE: &[Field] = &[
    r("mid", Read, SEED_002_DIRECT),
    r("txntype", Read, SEED_002_DIRECT),
    r("recurringID", Read, SEED_002_DIRECT),
    o("param1", Read, SEED_002_DIRECT),
    o("param2", Read, SEED_002_DIRECT),
    o("param3", Read, SEED_002_DIRECT),
    o("ver", Ignored, SIGNED_RC),
    o("charset", Ignored, SIGNED_RC),
    o("fgkey", Read, SIGNED_RC),
];
const RC_ADJUST: &[Field] = &[
    r("mid", Read, SEED_002_DIRECT),
    r("txntype", Read, SEED_002_DIRECT),
    r("adjustType", Read, SEED_002_DIRECT),
    r("recurringID", Read, SEED_002_DIRECT),
    r("adjustAmount", Read, SEED_002_DIRECT),
    o("param1", Read, SEED_002_DIRECT),
    o("param2", Read, SEED_002_DIRECT),
    o("param3", Read, SEED_002_DIRECT),
    o("ver", Ignored, SIGNED_RC),
    o("charset", Ignored, SIGNED_RC),
    o("fgkey", Read, SIGNED_RC),
];

const fn direct(name: &'static str, fields: &'static [Field]) -> Route {
    Route { name, fields }
}

static QUERY_ROUTE: [&Route; 1] = [&direct(
    "POST /Gateway/DirectProcessor.krp txntype=QUERY",
    QUERY,
)];
static REFUND_ROUTE: [&Route; 1] = [&direct(
    "POST /Gateway/DirectProcessor.krp txntype=REFUND",
    REFUND,
)];
static CAPTURE_ROUTE: [&Route; 1] = [&direct(
    "POST /Gateway/DirectProcessor.krp txntype=CAPTURE",
    CAPTURE,
)];
static PAYMENT_PA_ROUTE: [&Route; 1] = [&direct(
    "POST /Gateway/DirectProcessor.krp txntype=PAYMENT_PA",
    AFTER_PAYER_AUTH,
)];
static AUTHORIZE_PA_ROUTE: [&Route; 1] = [&direct(
    "POST /Gateway/DirectProcessor.krp txntype=AUTHORIZE_PA",
    AFTER_PAYER_AUTH,
)];
static REBILL_ROUTE: [&Route; 2] = [
    &direct(
        "POST /Gateway/DirectProcessor.krp txntype=REBILL (and every field of BasicProcessor.krp)",
        REBILL_EXTRA,
    ),
    &LEGACY_WINDOW,
];
static RC_TERMINATE_ROUTE: [&Route; 1] = [&direct(
    "POST /Gateway/DirectProcessor.krp txntype=RC_TERMINATE",
    RC_TERMINATE,
)];
static RC_ADJUST_ROUTE: [&Route; 1] = [&direct(
    "POST /Gateway/DirectProcessor.krp txntype=RC_ADJUST",
    RC_ADJUST,
)];

/// `DirectProcessor.krp`'s txntypes, each with its routes (REBILL's is `tokenID` plus the
/// window's table, guide §2.6.2).
pub static DIRECT_PROCESSOR: [(&str, &[&Route]); 8] = [
    ("QUERY", &QUERY_ROUTE),
    ("REFUND", &REFUND_ROUTE),
    ("CAPTURE", &CAPTURE_ROUTE),
    ("PAYMENT_PA", &PAYMENT_PA_ROUTE),
    ("AUTHORIZE_PA", &AUTHORIZE_PA_ROUTE),
    ("REBILL", &REBILL_ROUTE),
    ("RC_TERMINATE", &RC_TERMINATE_ROUTE),
    ("RC_ADJUST", &RC_ADJUST_ROUTE),
];

/// The routes whose fields a DirectProcessor `txntype` takes (`None`: a txntype the sandbox
/// does not serve).
pub fn direct_processor_route(txntype: &str) -> Option<&'static [&'static Route]> {
    DIRECT_PROCESSOR
        .iter()
        .find(|(name, _)| *name == txntype)
        .map(|(_, routes)| *routes)
}

/// Whether a DirectProcessor field is declared for `txntype`.
pub fn direct_processor_declares(txntype: &str, name: &str) -> bool {
    direct_processor_route(txntype)
        .is_some_and(|routes| routes.iter().any(|route| route.get_form(name).is_some()))
}
