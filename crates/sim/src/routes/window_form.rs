//! Reading the legacy payment window's form (`POST /Gateway/BasicProcessor.krp`) as the
//! guide and the samples write it: `item_#` / `surcharge_#` numbered from 0 (every official
//! sample) or from 1 (one public integration), a surcharge that may be negative, the sum
//! rule with a refusal naming both totals, and what the form carries that the result echoes.
//! What needs the behaviour (undeclared fields, missing R fields, id lengths) is judged under
//! the lock from what this records.

use http::Request;
use rust_decimal::Decimal;

use crate::commands::{NewPayment, NewRecurring};
use crate::inventory::{Kind, LEGACY_WINDOW};
use crate::ledger::valid_amount;
use crate::sandbox::FrontDoor;
use crate::windows::{Flow, WindowLine, WindowSession};

/// A legacy form read whole: the window to open, and what the behaviour judges.
#[derive(Debug)]
pub(crate) struct LegacyWindow {
    /// The window.
    pub session: WindowSession,
    /// Fields the inventory does not name.
    pub undeclared: Vec<String>,
    /// Fields the guide marks R that the form lacks.
    pub missing: Vec<&'static str>,
}

/// The fields a window result echoes from its request (guide §2.1.3 Note 1, digest §3),
/// and the buyer's name (the result's `cardholder` is what the payer typed).
const ECHOED: [&str; 14] = [
    "ver",
    "email",
    "param2",
    "param3",
    "paymethod",
    "buyer",
    "shipTo_city",
    "shipTo_country",
    "shipTo_firstName",
    "shipTo_lastName",
    "shipTo_phoneNumber",
    "shipTo_postalCode",
    "shipTo_state",
    "shipTo_street1",
];

/// Reads form fields, refusing a repeated one (it would make the signed content ambiguous).
pub(crate) fn form_fields(body: &[u8]) -> Option<Vec<(String, String)>> {
    let mut fields: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(body) {
        if fields.iter().any(|(seen, _)| *seen == k) {
            return None;
        }
        fields.push((k.into_owned(), v.into_owned()));
    }
    Some(fields)
}

/// The line indices a form uses for `{prefix}_#_{name}`, in numeric order.
fn line_numbers(fields: &[(String, String)], prefix: &str, name: &str) -> Vec<u64> {
    let (head, tail) = (format!("{prefix}_"), format!("_{name}"));
    let mut numbers: Vec<u64> = fields
        .iter()
        .filter_map(|(k, _)| k.strip_prefix(&head)?.strip_suffix(&tail)?.parse().ok())
        .collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers
}

/// A line price: an amount in the currency; a surcharge may be negative (a discount,
/// guide §2.1.2).
fn line_price(text: &str, currency: &str, may_be_negative: bool) -> Option<Decimal> {
    match text.strip_prefix('-') {
        Some(rest) if may_be_negative => valid_amount(rest, currency).map(|v| -v),
        _ => valid_amount(text, currency),
    }
}

/// Checks a legacy form whole; `Err` is why it is refused (an `EC00` error page).
pub(crate) fn read(
    front_door: &FrontDoor,
    request: &Request<Vec<u8>>,
) -> Result<LegacyWindow, String> {
    let Some(fields) = form_fields(request.body()) else {
        return Err("A field appears twice".to_owned());
    };
    let get = |key: &str| {
        fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    if get("fgkey").is_none() || !front_door.signer.verify_form(request.body()) {
        return Err("The fgkey does not match the fields".to_owned());
    }
    if get("mid") != Some(&*front_door.mid) {
        return Err("Invalid mid".to_owned());
    }
    let transaction_type = get("txntype").unwrap_or_default();
    if !matches!(transaction_type, "PAYMENT" | "AUTHORIZE" | "PAYER_AUTH") {
        return Err("txntype must be PAYMENT, AUTHORIZE or PAYER_AUTH".to_owned());
    }
    let (currency, amount) = (
        get("cur").unwrap_or_default(),
        get("amt").unwrap_or_default(),
    );
    let Some(total) = valid_amount(amount, currency) else {
        return Err(format!(
            "amt {amount:?} is not an amount in cur {currency:?}"
        ));
    };
    let mut lines = Vec::new();
    let mut sum = Decimal::ZERO;
    for (prefix, name) in [("item", "product"), ("surcharge", "name")] {
        for n in line_numbers(&fields, prefix, name) {
            let line_name = get(&format!("{prefix}_{n}_{name}")).unwrap_or_default();
            let quantity_field = format!("{prefix}_{n}_quantity");
            let price_field = format!("{prefix}_{n}_unitPrice");
            let quantity = get(&quantity_field)
                .and_then(|q| q.parse::<u32>().ok())
                .filter(|q| *q > 0);
            let price_text = get(&price_field).unwrap_or_default();
            let price = line_price(price_text, currency, prefix == "surcharge");
            let (Some(quantity), Some(price)) = (quantity, price) else {
                return Err(format!(
                    "{quantity_field} must be a whole number of at least 1 and {price_field} an amount in {currency}"
                ));
            };
            if line_name.is_empty() {
                return Err(format!("{prefix}_{n}_{name} must not be empty"));
            }
            sum += price * Decimal::from(quantity);
            lines.push(WindowLine {
                name: line_name.to_owned(),
                quantity,
                unit_price: price_text.to_owned(),
            });
        }
    }
    if lines.is_empty() {
        return Err(
            "No item_#_product line: the items and surcharges must add up to amt (guide §2.1.2 Note 5)"
                .to_owned(),
        );
    }
    if sum != total {
        return Err(format!(
            "The items and surcharges add up to {sum}, not to amt {amount} (guide §2.1.2 Note 5)"
        ));
    }
    let (Some(return_url), Some(status_url)) = (get("returnurl"), get("statusurl")) else {
        return Err("returnurl and statusurl are required".to_owned());
    };
    let order_id = get("ref").unwrap_or_default();
    if order_id.is_empty() || return_url.is_empty() || status_url.is_empty() {
        return Err("ref, returnurl and statusurl are required".to_owned());
    }
    let recurring = match get("recurringPayment") {
        Some("Y") => Some(NewRecurring {
            date: get("recurringDate").map(str::to_owned),
            ..NewRecurring::new(
                get("recurringAmount").unwrap_or_default(),
                get("recurringURL").unwrap_or_default(),
            )
        }),
        _ => None,
    };
    let undeclared = fields
        .iter()
        .filter(|(k, _)| LEGACY_WINDOW.get_form(k).is_none())
        .map(|(k, _)| k.clone())
        .collect();
    let missing = LEGACY_WINDOW
        .fields
        .iter()
        .filter(|f| f.required && f.kind == Kind::Text && !f.path.contains('#'))
        .map(|f| f.path)
        .filter(|path| get(path).is_none())
        .collect();
    let echo = ECHOED
        .iter()
        .filter_map(|key| get(key).map(|value| ((*key).to_owned(), value.to_owned())))
        .collect();
    let session = WindowSession {
        flow: Flow::Legacy,
        shop: get("shop").unwrap_or_default().to_owned(),
        lines,
        return_url: return_url.to_owned(),
        payment: NewPayment {
            param1: get("param1").map(str::to_owned),
            recurring,
            ..NewPayment::new(order_id, currency, amount)
                .with_transaction_type(transaction_type)
                .with_status_url(status_url)
                .with_token_creation(get("tokenBilling") == Some("Y"))
                .with_echo(echo)
        },
    };
    Ok(LegacyWindow {
        session,
        undeclared,
        missing,
    })
}
