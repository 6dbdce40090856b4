//! The gateway's answers as the gateway really writes them (public integration guide,
//! error-code page, real replies in public client code), one section per point:
//!
//! 1. retrieve `status` (`SALE | AUTH | REGISTERED | NONE`) read with `balance`;
//! 2. notification `status` (Registered → Sale / Void) and a notification's identity;
//! 3. `EE*`, `EX*` and any 5xx on a money-moving call: outcome unknown;
//! 4. a refund key reused for another amount: refused, or never reported as success;
//! 5. echoed amounts (`"1.00"`, KRW `"1000.00"`) normalised to the currency;
//! 6. recurring fields in both spellings;
//! 7. `partially_cancelable = N`;
//! 8. opt-in signed `RC_*` calls;
//! 9. `Ready` transaction types and the v1 adjust's charge-day guard.
//!
//! The end-to-end parts run both adapters against the sandbox under each of its named
//! choices where the gateway's behaviour is undocumented.

use std::cell::Cell;

use eximbay_core::client::absorb;
use eximbay_core::drive::{RetryPolicy, SyncHttpClient, TransportError, send_blocking};
use eximbay_core::notification::Deduplicator;
use eximbay_core::ops::MerchantParams;
use eximbay_core::ops::ready::Ready;
use eximbay_core::ops::recurring_terminate::RecurringTerminate;
use eximbay_core::payment::{PaymentCommand, PaymentEvent, PaymentRefusal, PaymentTransition};
use eximbay_core::recurring::{ChargeResult, RecurringRefusal};
use eximbay_core::{
    Amount, BlockingClient, BuildError, ClientError, Currency, Date, Lang, LegacySigning,
    Notification, NotificationError, Operation, OrderId, Payment, PaymentNotice, PaymentOutcome,
    PaymentStatus, Recurring, RecurringId, Refusal, ResponseError, SecretKey, Timestamp,
    TransactionId, TransactionType, fgkey,
};
use eximbay_sim::DEFAULT_SECRET_KEY;
use eximbay_sim::SandboxConfig;
use eximbay_sim::{
    Behaviour, EchoedAmounts, FullRefundAfterPartial, LegacySignature, RepeatedRefundId,
    UnknownTransaction,
};
use eximbay_tests::{SECRET_KEY, TID, json_response, render_request, response, test_config};
use http::Request;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use eximbay_tests::sandbox as support;

use eximbay_tests::sandbox::*;

fn usd(text: &str) -> Amount {
    Amount::parse(text).unwrap()
}

fn authorized() -> Payment {
    Payment::authorized(
        TransactionId::new(TID),
        OrderId::new("O-1"),
        Currency::Usd,
        usd("10.00"),
        Lang::En,
    )
    .unwrap()
}

fn captured() -> Payment {
    Payment::captured(
        TransactionId::new(TID),
        OrderId::new("O-1"),
        Currency::Usd,
        usd("10.00"),
        Lang::En,
    )
    .unwrap()
}

fn dec(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// Parses a retrieve answer whose `payment` object holds these fields, through the real
/// parser, and applies it.
fn reconcile_with(
    payment: &mut Payment,
    fields: Value,
) -> Result<PaymentTransition, PaymentRefusal> {
    let mut object =
        json!({"order_id": "O-1", "currency": "USD", "amount": "10.00", "transaction_id": TID});
    for (key, value) in fields.as_object().unwrap() {
        object[key] = value.clone();
    }
    let body = json!({"rescode": "0000", "resmsg": "Success.", "payment": object});
    let retrieved = payment
        .reconcile()
        .parse(json_response(200, &body))
        .unwrap();
    payment.apply(PaymentOutcome::Retrieved(retrieved))
}

mod amounts_and_spellings;
mod notification_status;
fn refund_answer(refund_id: &str, amount: &str, balance: &str) -> Value {
    json!({
        "rescode": "0000", "resmsg": "Success.",
        "refund": {"refund_amount": amount, "refund_id": refund_id, "refund_transaction_id": "R"},
        "payment": {"transaction_id": TID, "balance": balance}
    })
}

mod retrieve_status;
mod signed_calls;
mod under_each_choice;
mod unknown_outcomes;
