//! Every choice of [`Behaviour`](super::Behaviour) with the source it stands on (or "not
//! documented"), served as `GET /_sim/behaviour/sources` beside `GET /_sim/behaviour`
//! (whose shape, also its `POST` body, stays the behaviour itself), and the sandbox's fixed
//! readings that are not switchable yet.

use serde::Serialize;

/// One choice: its key in the behaviour JSON, its values, its default and why.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct ChoiceSource {
    /// The key in `GET /_sim/behaviour`.
    pub name: &'static str,
    /// Its values, as JSON writes them.
    pub values: &'static str,
    /// The default, as JSON writes it.
    pub default: &'static str,
    /// What the default stands on, or "not documented".
    pub source: &'static str,
}

const fn choice(
    name: &'static str,
    values: &'static str,
    default: &'static str,
    source: &'static str,
) -> ChoiceSource {
    ChoiceSource {
        name,
        values,
        default,
        source,
    }
}

/// Every switchable choice, in the behaviour's field order.
pub const CHOICES: &[ChoiceSource] = &[
    choice(
        "echoed_amounts",
        "by_surface | as_sent | two_decimals | currency_exponent",
        "by_surface",
        "by surface: callbacks as sent (guide §2.1.3 Note 1, digest §3; kanziw/eximbay recorded results `amt: '1.0'`); capture answer as sent (seed 000 `\"1\"`); cancel answer two decimals (seed 001 `\"1.00\"`); retrieve, confirm and rebill answers two decimals (not documented; DESIGN §3 reformatting)",
    ),
    choice(
        "repeated_refund_id",
        "answer_original | refuse | refund_again",
        "answer_original",
        "not documented: seed 001 only says refund_id is unique per refund; guide §3.1.2 says unique across requests (digest §6)",
    ),
    choice(
        "full_refund_after_partial",
        "refuse | refund_balance",
        "refuse",
        "not documented (seed 001)",
    ),
    choice(
        "unknown_transaction",
        "status_none | ec1002",
        "status_none",
        "not documented: QUERY has status NONE without a rescode rule (guide §3.2.3, digest §5, §11)",
    ),
    choice(
        "legacy_signing",
        "either | unsigned | required",
        "either",
        "seed 002 lists no ver/charset/fgkey for RC_TERMINATE / RC_ADJUST; every other DirectProcessor table signs (digest §4-§6)",
    ),
    choice(
        "window_callback_names",
        "legacy | v1",
        "legacy",
        "guide §2.1.3 names (digest §3); the v1 spellings are those seen in real payloads (order_id, currency, amount, transaction_type, transaction_id, transaction_date, payer_auth_id: BeomB/Eximbay_OpenAPI_WebClient real/verify.http), read by a public v1 integration (card_holder, card_number1, card_number4, pay_to, payment_method: ilyoukim/indico_payment_eximbay) or written by the rebill reference (auth_code, access_country); v1 spellings of the other fields are unknown, so they keep the legacy names",
    ),
    choice(
        "window_failures_to_status_url",
        "false | true",
        "false",
        "not documented: the guide sends results to both URLs (§2.1.3 Note 2) without saying whether failures go to statusurl",
    ),
    choice(
        "token_lookup",
        "status_field | rescode_only",
        "status_field",
        "not documented: no source shows the look-up's answer beyond rescode/resmsg",
    ),
    choice(
        "undeclared_fields",
        "{v1, legacy_window, direct_processor}: refuse | ignore",
        "{v1: refuse, legacy_window: ignore, direct_processor: refuse}",
        "not documented: the guide only tells merchants not to send undeclared fields (digest §1.2, §11); the defaults are what each surface did before the inventory",
    ),
    choice(
        "missing_required",
        "accept | refuse",
        "accept",
        "not documented (digest §11); the official samples call R blocks (items, shipTo) optional (digest §2.1)",
    ),
    choice(
        "retrieve_shape",
        "nested | flat",
        "nested",
        "not documented: no public v1 retrieve answer was found; the legacy QUERY answer is flat (guide §3.2.3, digest §5)",
    ),
    choice(
        "retrieve_by_order",
        "latest | first",
        "latest",
        "guide §3.2.2: QUERY by REF answers the last transaction (digest §5); v1 not documented",
    ),
    choice(
        "retrieve_lag",
        "{seconds, retrieves}: numbers",
        "{seconds: 0, retrieves: 0}",
        "not documented: QUERY freshness is not addressed (digest §11)",
    ),
    choice(
        "cash_sale_transaction_id",
        "same | new",
        "same",
        "not stated (digest §7); the QUERY table treats Registered -> Sale as one approval (guide §3.2.3, digest §5)",
    ),
    choice(
        "v1_refund_balance",
        "when_present | required",
        "when_present",
        "seed 001 always sends balance and marks it neither required nor optional; guide §3.1.2 checks it only when present (digest §6)",
    ),
    choice(
        "second_confirm",
        "refuse | answer_first",
        "refuse",
        "not documented",
    ),
    choice(
        "cancel_before_capture",
        "void | refuse",
        "void",
        "not documented for v1; the guide names AUTH_REVERSAL without a field table and QUERY shows it as AUTH with balance 0 (digest §4.1, §5)",
    ),
    choice(
        "token_delete_body",
        "either | merchant | empty",
        "either",
        "not documented: no reachable copy of the token page shows the delete body",
    ),
    choice(
        "rebill_lines",
        "ignored | checked",
        "ignored",
        "the token page's own rebill sample sends an empty product line, which would not add up",
    ),
    choice(
        "id_lengths",
        "lenient | guide",
        "lenient",
        "guide §2.1.2 / §3.1.2: ref 30, refundid 30, email 50 (digest §2, §6); v1 limits not documented",
    ),
    choice(
        "buyer_cancel_code",
        "xx01 | xxxx",
        "xx01",
        "not documented: no source shows the code of a window the buyer cancelled; XXXX is a real failure payload's code (kanziw/eximbay test/res/MockResult.js)",
    ),
    choice(
        "fgkey_failure",
        "ec00 | xxxx",
        "ec00",
        "not documented: the rescode of a bad or missing fgkey (digest §11)",
    ),
    choice(
        "redelivery",
        "guide | any_2xx | once",
        "guide",
        "guide §2.1.3 Note 4: resent 3 times (digest §3.2); what counts as delivered is not documented (guide: HTTP 2xx with rescode=0000, the acknowledgement merchants are told to write; any_2xx: any 2xx; once: never resent). The pause between attempts, 200 ms, is ServerOptions::callback_retry_delay, also undocumented",
    ),
];

/// Readings the sandbox makes that are not switchable (yet), with their sources.
pub const FIXED_READINGS: &[ChoiceSource] = &[
    choice(
        "payer_auth_id",
        "24 characters",
        "PA + 22 digits",
        "guide §2.2.3: payerauthid String 24 (digest §4.3)",
    ),
    choice(
        "decline_code",
        "HE01",
        "HE01",
        "the v1 error-code page's card-data family HE* (DESIGN §3); real decline payloads show S023 and XXXX",
    ),
    choice(
        "direct_merchant_fields",
        "left out",
        "left out",
        "basecur..memberno are sent to direct-merchant contracts only (guide §2.1.3 Note 6, digest §3); cardno/expirydt are AES with a key the gateway assigns (digest §8.4)",
    ),
];
