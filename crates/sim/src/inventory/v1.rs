//! The v1 JSON routes.

use super::Kind::{List, Map, Object, Text, TextOrNumber};
use super::Use::{Ignored, Read};
use super::{Field, Route, field};

const REFERENCE: &str = "developer.eximbay.com API reference";
const READY_SAMPLE: &str = "developer.eximbay.com payment preparation sample; DESIGN §3";
const BEOMB_READY: &str =
    "BeomB/Eximbay_OpenAPI_WebClient sample/…/http/ready.http and …/http/real/ready.http";
const COLDS: &str = "colds104/PG-EximbayTest Controllers/PaymentController.cs";
const SEED_000: &str = "seed 000 (capture)";
const SEED_001: &str = "seed 001 (cancel)";
const BEOMB_RETRIEVE: &str = "BeomB/Eximbay_OpenAPI_WebClient sample/…/http/real/retrieve.http";
const BEOMB_VERIFY: &str = "BeomB/Eximbay_OpenAPI_WebClient sample/…/http/real/verify.http";
const TOKEN_PAGE: &str = "developer.eximbay.com token billing page; DESIGN §3";
const CONFIRM: &str = "developer.eximbay.com API reference (confirm); DESIGN §3";
const RECURRING: &str = "DESIGN §3 (v1 recurring delete / adjust)";

const READY: &[Field] = &[
    field("payment", Object, true, Read, READY_SAMPLE),
    field("payment.transaction_type", Text, true, Read, READY_SAMPLE),
    field("payment.order_id", Text, true, Read, READY_SAMPLE),
    field("payment.currency", Text, true, Read, READY_SAMPLE),
    field("payment.amount", Text, true, Read, READY_SAMPLE),
    field("payment.lang", Text, true, Read, READY_SAMPLE),
    field("payment.payment_method", Text, false, Ignored, BEOMB_READY),
    field(
        "payment.multi_payment_method",
        Text,
        false,
        Ignored,
        REFERENCE,
    ),
    field("merchant", Object, true, Read, READY_SAMPLE),
    field("merchant.mid", Text, true, Read, READY_SAMPLE),
    field("merchant.shop", Text, false, Ignored, REFERENCE),
    field("merchant.partner_code", Text, false, Ignored, REFERENCE),
    field("buyer", Object, true, Read, READY_SAMPLE),
    field("buyer.name", Text, true, Read, READY_SAMPLE),
    field("buyer.email", Text, true, Read, READY_SAMPLE),
    field("buyer.phone_number", Text, false, Ignored, REFERENCE),
    field("url", Object, true, Read, READY_SAMPLE),
    field("url.return_url", Text, true, Read, READY_SAMPLE),
    field("url.status_url", Text, true, Read, READY_SAMPLE),
    field(
        "product",
        List,
        false,
        Read,
        "DESIGN §3 (request_pay objects)",
    ),
    field("product[].name", Text, true, Read, "DESIGN §3"),
    field(
        "product[].quantity",
        TextOrNumber,
        true,
        Read,
        "DESIGN §3; a number in colds104/PG-EximbayTest",
    ),
    field("product[].unit_price", Text, true, Read, "DESIGN §3"),
    field("product[].link", Text, false, Ignored, REFERENCE),
    field(
        "surcharge",
        List,
        false,
        Read,
        "DESIGN §3 (request_pay objects)",
    ),
    field("surcharge[].name", Text, true, Read, "DESIGN §3"),
    field(
        "surcharge[].quantity",
        TextOrNumber,
        true,
        Read,
        "DESIGN §3",
    ),
    field("surcharge[].unit_price", Text, true, Read, "DESIGN §3"),
    field(
        "tax",
        Map,
        false,
        Ignored,
        "DESIGN §3 (request_pay objects)",
    ),
    field("other_param", Map, false, Read, COLDS),
    field("settings", Map, false, Ignored, COLDS),
    field("tokenbilling", Object, false, Read, COLDS),
    field(
        "tokenbilling.token_creation",
        Text,
        true,
        Read,
        "DESIGN §3; colds104/PG-EximbayTest",
    ),
    field("fast_payment", Map, false, Ignored, COLDS),
];

const CAPTURE: &[Field] = &[
    field("mid", Text, true, Read, SEED_000),
    field("payment", Object, true, Read, SEED_000),
    field("payment.order_id", Text, true, Read, SEED_000),
    field("payment.currency", Text, true, Read, SEED_000),
    field("payment.amount", Text, true, Read, SEED_000),
    field("payment.lang", Text, true, Read, SEED_000),
];

const CANCEL: &[Field] = &[
    field("mid", Text, true, Read, SEED_001),
    field("refund", Object, true, Read, SEED_001),
    field("refund.refund_type", Text, true, Read, SEED_001),
    field("refund.refund_amount", Text, true, Read, SEED_001),
    field("refund.refund_id", Text, true, Read, SEED_001),
    field("refund.reason", Text, false, Read, SEED_001),
    field("payment", Object, true, Read, SEED_001),
    field("payment.order_id", Text, true, Read, SEED_001),
    field("payment.currency", Text, true, Read, SEED_001),
    field("payment.amount", Text, true, Read, SEED_001),
    field(
        "payment.balance",
        Text,
        false,
        Read,
        "seed 001 (always sent; see v1_refund_balance)",
    ),
    field("payment.lang", Text, true, Read, SEED_001),
    field(
        "refund_account",
        Object,
        false,
        Read,
        "seed 001; BeomB/Eximbay_OpenAPI_WebClient sample/…/http/real/cancel.http",
    ),
    field("refund_account.user_name", Text, true, Read, SEED_001),
    field("refund_account.bank_code", Text, true, Read, SEED_001),
    field("refund_account.account_number", Text, true, Read, SEED_001),
];

const RETRIEVE: &[Field] = &[
    field("mid", Text, true, Read, BEOMB_RETRIEVE),
    field("key_field", Text, true, Read, BEOMB_RETRIEVE),
    field("payment", Object, true, Read, BEOMB_RETRIEVE),
    field("payment.order_id", Text, true, Read, BEOMB_RETRIEVE),
    field("payment.currency", Text, true, Ignored, BEOMB_RETRIEVE),
    field("payment.amount", Text, true, Ignored, BEOMB_RETRIEVE),
    field("payment.transaction_id", Text, false, Read, BEOMB_RETRIEVE),
    field("payment.lang", Text, true, Read, BEOMB_RETRIEVE),
];

const VERIFY: &[Field] = &[field("data", Text, true, Read, BEOMB_VERIFY)];

const CONFIRM_FIELDS: &[Field] = &[
    field("transaction_type", Text, true, Read, CONFIRM),
    field("mid", Text, true, Read, CONFIRM),
    field("payment", Object, true, Read, CONFIRM),
    field("payment.order_id", Text, true, Read, CONFIRM),
    field("payment.currency", Text, true, Read, CONFIRM),
    field("payment.amount", Text, true, Read, CONFIRM),
    field("payment.payer_auth_id", Text, true, Read, CONFIRM),
    field("payment.lang", Text, true, Read, CONFIRM),
];

const REBILL: &[Field] = &[
    field("payment", Object, true, Read, TOKEN_PAGE),
    field("payment.order_id", Text, true, Read, TOKEN_PAGE),
    field("payment.currency", Text, true, Read, TOKEN_PAGE),
    field("payment.amount", Text, true, Read, TOKEN_PAGE),
    field("payment.lang", Text, false, Ignored, COLDS),
    field("merchant", Object, true, Read, TOKEN_PAGE),
    field("merchant.mid", Text, true, Read, TOKEN_PAGE),
    field("buyer", Object, false, Ignored, COLDS),
    field("buyer.name", Text, false, Ignored, COLDS),
    field("buyer.email", Text, false, Ignored, COLDS),
    field("buyer.phone_number", Text, false, Ignored, REFERENCE),
    field("product", List, false, Read, TOKEN_PAGE),
    field("product[].name", Text, false, Read, TOKEN_PAGE),
    field(
        "product[].quantity",
        TextOrNumber,
        false,
        Read,
        "token page (text); a number in colds104/PG-EximbayTest",
    ),
    field(
        "product[].unit_price",
        TextOrNumber,
        false,
        Read,
        TOKEN_PAGE,
    ),
    field("product[].link", Text, false, Ignored, TOKEN_PAGE),
    field("other_param", Map, false, Ignored, COLDS),
];

const TOKEN_DELETE: &[Field] = &[
    field(
        "merchant",
        Object,
        false,
        Read,
        "not shown by any reachable source (see token_delete_body)",
    ),
    field(
        "merchant.mid",
        Text,
        true,
        Read,
        "not shown by any reachable source (see token_delete_body)",
    ),
];

const RECURRING_DELETE: &[Field] = &[];

const RECURRING_ADJUST: &[Field] = &[field("adjust_amount", Text, true, Read, RECURRING)];

/// The v1 routes.
pub static V1: [Route; 10] = [
    Route {
        name: "POST /v1/payments/ready",
        fields: READY,
    },
    Route {
        name: "POST /v1/payments/{transaction_id}/capture",
        fields: CAPTURE,
    },
    Route {
        name: "POST /v1/payments/{transaction_id}/cancel",
        fields: CANCEL,
    },
    Route {
        name: "POST /v1/payments/retrieve",
        fields: RETRIEVE,
    },
    Route {
        name: "POST /v1/payments/verify",
        fields: VERIFY,
    },
    Route {
        name: "POST /v1/payments/confirm",
        fields: CONFIRM_FIELDS,
    },
    Route {
        name: "POST /v1/payments/tokenbilling/{token_id}/rebill",
        fields: REBILL,
    },
    Route {
        name: "POST /v1/payments/tokenbilling/{token_id}/delete",
        fields: TOKEN_DELETE,
    },
    Route {
        name: "POST /v1/payments/recurring/{recurring_id}/delete",
        fields: RECURRING_DELETE,
    },
    Route {
        name: "POST /v1/payments/recurring/{recurring_id}/adjust",
        fields: RECURRING_ADJUST,
    },
];
