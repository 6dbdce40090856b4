//! One function per command: typed input → the core's operation → the gateway's answer and
//! the state the core reads from it, printed as one JSON object.

use eximbay_core::ops::Line;
use eximbay_core::ops::MerchantParams;
use eximbay_core::ops::cancel::{Cancel, RefundKind};
use eximbay_core::ops::confirm::Confirm;
use eximbay_core::ops::recurring_adjust::RecurringAdjust;
use eximbay_core::ops::recurring_terminate::RecurringTerminate;
use eximbay_core::ops::retrieve::{KeyField, Retrieve, Retrieved};
use eximbay_core::ops::token_delete::TokenDelete;
use eximbay_core::ops::token_lookup::TokenLookup;
use eximbay_core::ops::token_rebill::TokenRebill;
use eximbay_core::{
    ApiKey, Currency, Mid, Notification, OrderId, PayerAuthId, Payment, PaymentOutcome,
    RecurringId, RefundId, RemoteStatus, SecretKey, TokenId, TransactionId, TransactionType, fgkey,
};
use serde_json::{Value, json};

use crate::args::{Global, Params, PaymentArgs, RecurringCommand, TokenCommand};
use crate::failure::Failure;
use crate::input::{amount, client, currency, lang, secret_key, stdin};

fn print(value: Value) {
    say!("{value}");
}

pub fn capture(global: &Global, payment: &PaymentArgs) -> Result<(), Failure> {
    let op = payment.to_capture()?;
    let captured = client(global)?.send(&op)?;
    let response = json!(captured);
    same_payment(
        "capture",
        &response,
        &op.transaction_id,
        &captured.transaction_id,
    )?;
    print(json!({"operation": "capture", "response": response, "state": "Captured"}));
    Ok(())
}

/// A success answer about another payment (another `transaction_id`) says nothing about the
/// one asked for: its outcome is unknown (exit 4), never a state read from someone else's
/// answer.
fn same_payment(
    operation: &str,
    response: &Value,
    asked: &TransactionId,
    answered: &TransactionId,
) -> Result<(), Failure> {
    if answered.as_str().trim() == asked.as_str().trim() {
        return Ok(());
    }
    Err(Failure::another_payment(
        json!({
            "operation": operation,
            "response": response,
            "outcome": "unknown",
            "state": "NeedsReconcile",
            "next": "reconcile with `eximbay retrieve`",
        }),
        asked,
        answered,
    ))
}

/// What `confirm` was asked for.
pub struct ConfirmRequest<'a> {
    pub transaction_type: &'a str,
    pub payer_auth_id: &'a str,
    pub order_id: &'a str,
    pub currency: &'a str,
    pub amount: &'a str,
    pub lang: &'a str,
}

/// Confirms a payer authentication; the state is the payment's: Captured for PAYMENT_PA,
/// Authorized for AUTHORIZE_PA.
pub fn confirm(global: &Global, request: &ConfirmRequest<'_>) -> Result<(), Failure> {
    let transaction_type = match request.transaction_type.to_ascii_uppercase().as_str() {
        "PAYMENT_PA" => TransactionType::PaymentPa,
        "AUTHORIZE_PA" => TransactionType::AuthorizePa,
        other => {
            return Err(Failure::usage(format!(
                "--transaction-type {other:?}: give PAYMENT_PA or AUTHORIZE_PA"
            )));
        }
    };
    let currency = currency(request.currency)?;
    let op = Confirm {
        transaction_type: transaction_type.clone(),
        order_id: OrderId::new(request.order_id),
        amount: amount("--amount", request.amount, &currency)?,
        currency,
        payer_auth_id: PayerAuthId::new(request.payer_auth_id),
        lang: lang(request.lang)?,
    };
    let confirmed = client(global)?.send(&op)?;
    let state = if transaction_type.needs_manual_capture() {
        "Authorized"
    } else {
        "Captured"
    };
    print(json!({"operation": "confirm", "response": confirmed, "state": state}));
    Ok(())
}

/// `token rebill | delete | show`: each prints the answer and the card's or payment's state.
pub fn token(global: &Global, command: TokenCommand) -> Result<(), Failure> {
    let client = client(global)?;
    match command {
        TokenCommand::Rebill {
            token_id,
            order_id,
            currency: code,
            amount: text,
            product,
        } => {
            let currency = currency(&code)?;
            let amount = amount("--amount", &text, &currency)?;
            let products = product
                .map(|name| vec![Line::new(name, 1, amount.clone())])
                .unwrap_or_default();
            let op = TokenRebill {
                token_id: TokenId::new(token_id),
                order_id: OrderId::new(order_id),
                currency,
                amount,
                products,
            };
            let rebilled = client.send(&op)?;
            print(json!({"operation": "token_rebill", "response": rebilled, "state": "Captured"}));
        }
        TokenCommand::Delete { token_id } => {
            let op = TokenDelete {
                token_id: TokenId::new(token_id),
            };
            let deleted = client.send(&op)?;
            print(json!({"operation": "token_delete", "response": deleted, "state": "Deleted"}));
        }
        TokenCommand::Show { token_id } => {
            let op = TokenLookup {
                token_id: TokenId::new(token_id),
            };
            let shown = client.send(&op)?;
            let state = if shown.is_active() {
                "Active"
            } else {
                "Deleted"
            };
            print(json!({"operation": "token_lookup", "response": shown, "state": state}));
        }
    }
    Ok(())
}

/// What `refund` was asked for.
pub struct RefundRequest {
    pub balance: String,
    pub full: bool,
    pub partial: Option<String>,
    pub refund_key: Option<String>,
    pub refund_id: Option<String>,
    pub reason: Option<String>,
}

pub fn refund(
    global: &Global,
    payment: &PaymentArgs,
    request: RefundRequest,
) -> Result<(), Failure> {
    let payment = payment.to_capture()?;
    let balance = amount("--balance", &request.balance, &payment.currency)?;
    let kind = match (request.full, &request.partial) {
        // The library's path: F while nothing was refunded, P for the balance after that.
        (true, _) => RefundKind::rest_of(&payment.amount, &balance),
        (false, Some(part)) => RefundKind::Partial(amount("--partial", part, &payment.currency)?),
        (false, None) => return Err(Failure::usage("give --full or --partial AMOUNT")),
    };
    let refund_id = match (&request.refund_key, request.refund_id) {
        (Some(key), None) => RefundId::derive(&payment.transaction_id, key),
        (None, Some(id)) => RefundId::new(id),
        _ => return Err(Failure::usage("give --refund-key KEY or --refund-id ID")),
    };
    let op = Cancel {
        reason: request.reason,
        ..Cancel::new(
            payment.transaction_id,
            payment.order_id,
            payment.currency,
            payment.amount,
            balance,
            kind,
            refund_id,
            payment.lang,
        )
    };
    let refunded = client(global)?.send(&op)?;
    same_payment(
        "refund",
        &json!(refunded),
        &op.transaction_id,
        &refunded.payment.transaction_id,
    )?;
    let rest = refunded
        .payment
        .balance
        .as_ref()
        .and_then(|b| b.to_decimal());
    let state = match rest {
        Some(rest) if rest.is_zero() => "Refunded",
        Some(_) => "PartiallyRefunded",
        None => "Unknown",
    };
    print(json!({"operation": "refund", "response": refunded, "state": state}));
    Ok(())
}

/// What `retrieve` was asked for.
pub struct RetrieveRequest {
    pub transaction_id: Option<String>,
    pub order_id: Option<String>,
    pub currency: String,
    pub amount: String,
    pub lang: String,
}

pub fn retrieve(global: &Global, request: RetrieveRequest) -> Result<(), Failure> {
    let key_field = if request.transaction_id.is_some() {
        KeyField::TransactionId
    } else {
        KeyField::OrderId
    };
    // The integration guide's own example sends the transaction id as order id when only
    // it is known.
    let order_id = request
        .order_id
        .or_else(|| request.transaction_id.clone())
        .unwrap_or_default();
    let currency = currency(&request.currency)?;
    let op = Retrieve {
        key_field,
        order_id: OrderId::new(order_id),
        transaction_id: request.transaction_id.map(TransactionId::new),
        amount: amount("--amount", &request.amount, &currency)?,
        currency,
        lang: lang(&request.lang)?,
    };
    let retrieved = client(global)?.send(&op)?;
    let state = remote_state(&op, &retrieved);
    let answer = json!({"operation": "retrieve", "response": retrieved, "state": state});
    if retrieved.status == RemoteStatus::None {
        return Err(Failure::no_record_now(answer));
    }
    print(answer);
    Ok(())
}

/// The payment's state as the core reads the gateway's record (the same reading a
/// `reconcile` applies), or `"Unknown"` when the record does not tell.
fn remote_state(op: &Retrieve, retrieved: &Retrieved) -> String {
    if retrieved.status == RemoteStatus::None {
        // Whichever key was asked for, and whether or not a transaction id came back.
        return "NoSuchTransaction".to_owned();
    }
    let transaction_id = retrieved
        .transaction_id
        .clone()
        .or_else(|| op.transaction_id.clone());
    let Some(transaction_id) = transaction_id else {
        return "Unknown".to_owned();
    };
    let Ok(mut payment) = Payment::authorized(
        transaction_id,
        op.order_id.clone(),
        op.currency.clone(),
        op.amount.clone(),
        op.lang.clone(),
    ) else {
        return "Unknown".to_owned();
    };
    match payment.apply(PaymentOutcome::Retrieved(retrieved.clone())) {
        Ok(transition) => format!("{:?}", transition.to),
        Err(_) => "Unknown".to_owned(),
    }
}

pub fn recurring(global: &Global, command: RecurringCommand) -> Result<(), Failure> {
    match command {
        RecurringCommand::Terminate {
            recurring_id,
            params,
        } => {
            let op = RecurringTerminate {
                recurring_id: RecurringId::new(recurring_id),
                params: params.into(),
            };
            let done = client(global)?.send(&op)?;
            print(
                json!({"operation": "recurring_terminate", "response": done, "state": "Terminated"}),
            );
        }
        RecurringCommand::Adjust {
            recurring_id,
            amount: amt,
            currency: cur,
            params,
        } => {
            // Without a currency, only what every currency shares is checked (two decimals).
            let currency = match cur {
                Some(code) => currency(&code)?,
                None => Currency::Unknown("XXX".to_owned()),
            };
            let op = RecurringAdjust {
                recurring_id: RecurringId::new(recurring_id),
                amount: amount("--amount", &amt, &currency)?,
                currency,
                params: params.into(),
            };
            let adjusted = client(global)?.send(&op)?;
            print(
                json!({"operation": "recurring_adjust", "response": adjusted, "state": "Active"}),
            );
        }
    }
    Ok(())
}

impl From<Params> for MerchantParams {
    fn from(p: Params) -> Self {
        MerchantParams {
            param1: p.param1,
            param2: p.param2,
            param3: p.param3,
        }
    }
}

pub fn verify_notification(strict: bool) -> Result<(), Failure> {
    let secret = secret_key()?;
    let body = stdin()?;
    let notification = Notification::parse(body.trim_ascii_end()).map_err(Failure::not_verified)?;
    let fields: serde_json::Map<String, Value> = notification
        .iter()
        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
        .collect();
    let verified = if strict {
        notification.verify_strict(&secret)
    } else {
        notification.verify(&secret)
    };
    let meaning = notification.meaning();
    print(json!({
        "verified": verified.is_ok(),
        "strict": strict,
        "error": verified.as_ref().err().map(ToString::to_string),
        "meaning": meaning.as_str(),
        "meaning_detail": meaning.to_string(),
        "next_step": meaning.next_step(),
        "transaction_id": notification.transaction_id(),
        "order_id": notification.order_id(),
        "amount": notification.amount(),
        "currency": notification.currency(),
        "rescode": notification.rescode().map(|c| c.as_str().to_owned()),
        "status": notification.status().map(|s| s.as_str().to_owned()),
        "paid": meaning.is_money_received(),
        "holds_order": notification.holds_order(),
        "fields": fields,
    }));
    verified.map_err(Failure::not_verified)
}

pub fn fgkey_of_stdin() -> Result<(), Failure> {
    let secret = secret_key()?;
    let body = stdin()?;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(body.trim_ascii_end())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    say!(
        "{}",
        fgkey::sign(&secret, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    );
    Ok(())
}

pub fn sim(global: &Global, addr: std::net::SocketAddr) -> Result<(), Failure> {
    let defaults = eximbay_sim::SandboxConfig::default();
    let env = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_owned());
    let sandbox = eximbay_sim::SandboxConfig {
        mid: global.mid.clone().unwrap_or(defaults.mid),
        api_key: env("EXIMBAY_API_KEY").unwrap_or(defaults.api_key),
        secret_key: env("EXIMBAY_SECRET_KEY").unwrap_or(defaults.secret_key),
        ..defaults
    };
    Mid::new(&sandbox.mid).map_err(Failure::usage)?;
    ApiKey::new(&sandbox.api_key).map_err(Failure::usage)?;
    SecretKey::new(&sandbox.secret_key).map_err(Failure::usage)?;
    let mid = sandbox.mid.clone();
    // The sandbox reports what goes wrong in it (a failed accept, a full callback queue)
    // through `tracing`: without a subscriber nobody would see it.
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .try_init();
    let running = eximbay_sim::RunningSandbox::start(
        sandbox,
        addr,
        eximbay_sim::ServerOptions {
            log_requests: true,
            ..eximbay_sim::ServerOptions::default()
        },
    )
    .map_err(|e| Failure::usage(format!("cannot listen on {addr}: {e}")))?;
    eprintln!(
        "eximbay sandbox listening on {} (MID {mid}); Ctrl-C to stop",
        running.base_url()
    );
    loop {
        std::thread::park();
    }
}
