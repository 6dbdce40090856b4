//! `eximbay`: try and operate Eximbay payments from the command line.
//!
//! Each operation prints one JSON object on stdout: the parsed response (normalised field
//! names) and the resulting state. Exit codes: 0 success, 1 notification did not verify,
//! 2 bad usage or invalid input (nothing was sent), 3 the gateway declined (rescode in the
//! JSON), 4 outcome unknown (reconcile with `retrieve`), 5 transport failure before anything
//! was sent (safe to retry). Errors go to stderr and never contain keys.
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

/// Prints a line on stdout. When stdout is gone (`eximbay demo | head`), stop quietly:
/// whatever was done is done, and a panic would say otherwise.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::emit(format_args!($($arg)*))
    };
}

mod demo;

fn emit(line: std::fmt::Arguments<'_>) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
        std::process::exit(0);
    }
}

use std::io::Read;
use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use eximbay_core::ops::MerchantParams;
use eximbay_core::ops::cancel::{Cancel, RefundKind};
use eximbay_core::ops::capture::Capture;
use eximbay_core::ops::recurring_adjust::RecurringAdjust;
use eximbay_core::ops::recurring_terminate::RecurringTerminate;
use eximbay_core::ops::retrieve::{KeyField, Retrieve};
use eximbay_core::{
    Amount, ApiKey, ClientError, Config, Currency, Environment, Lang, Mid, Notification, OrderId,
    RecurringId, RefundId, SecretKey, TransactionId, fgkey,
};
use serde_json::{Value, json};

/// Exit codes.
mod exit {
    pub const NOT_VERIFIED: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const DECLINED: u8 = 3;
    pub const AMBIGUOUS: u8 = 4;
    pub const TRANSPORT: u8 = 5;
}

#[derive(Parser)]
#[command(
    name = "eximbay",
    version,
    about = "Eximbay payments from the command line: capture, refund, retrieve, recurring, notifications, and a local sandbox"
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Env {
    Test,
    Live,
}

#[derive(Args)]
struct Global {
    /// Gateway environment (ignored when --base-url is given).
    #[arg(long, global = true, value_enum, default_value = "test")]
    env: Env,
    /// Base URL of the v1 REST API (e.g. a sandbox: http://127.0.0.1:8080).
    #[arg(long, global = true)]
    base_url: Option<String>,
    /// Base URL of the legacy DirectProcessor host (defaults to --base-url).
    #[arg(long, global = true)]
    legacy_base_url: Option<String>,
    /// Merchant id.
    #[arg(long, global = true, env = "EXIMBAY_MID")]
    mid: Option<String>,
    /// Sign the legacy recurring calls (RC_TERMINATE / RC_ADJUST) with ver=230,
    /// charset=UTF-8 and an fgkey (needs EXIMBAY_SECRET_KEY). The integration guide sends
    /// them unsigned; turn this on if the gateway answers them with an fgkey error.
    #[arg(long, global = true)]
    sign_legacy: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Capture an authorized payment.
    Capture {
        #[command(flatten)]
        payment: PaymentArgs,
    },
    /// Refund a payment, fully or in part.
    Refund {
        #[command(flatten)]
        payment: PaymentArgs,
        /// What is refundable before this refund (the gateway checks it).
        #[arg(long)]
        balance: String,
        /// Refund the whole payment (nothing refunded before).
        #[arg(long, conflicts_with = "partial", required_unless_present = "partial")]
        full: bool,
        /// Refund this amount.
        #[arg(long)]
        partial: Option<String>,
        /// Unique id of this refund request (reuse it when retrying the same refund).
        #[arg(long)]
        refund_id: String,
        /// Reason shown to people.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Retrieve a payment's state from the gateway.
    Retrieve {
        /// Look up by transaction id.
        #[arg(long, required_unless_present = "order_id")]
        transaction_id: Option<String>,
        /// Look up by order id (with --transaction-id, sent alongside).
        #[arg(long)]
        order_id: Option<String>,
        /// Currency of the payment.
        #[arg(long)]
        currency: String,
        /// Amount of the payment.
        #[arg(long)]
        amount: String,
        /// Language of the gateway's messages.
        #[arg(long, default_value = "EN")]
        lang: String,
    },
    /// Recurring payments (legacy API).
    Recurring {
        #[command(subcommand)]
        command: RecurringCommand,
    },
    /// Notifications (status_url, return_url, recurringURL bodies).
    Notification {
        #[command(subcommand)]
        command: NotificationCommand,
    },
    /// Print the fgkey of a form body read from stdin (secret from EXIMBAY_SECRET_KEY).
    Fgkey,
    /// Run the local sandbox (MID from --mid / EXIMBAY_MID, keys from EXIMBAY_API_KEY and
    /// EXIMBAY_SECRET_KEY; the seeds' test MID and key and the public test secret otherwise).
    Sim {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: SocketAddr,
    },
    /// Walk a payment and a recurring payment through their lives against an embedded sandbox.
    Demo,
}

#[derive(Args)]
struct PaymentArgs {
    /// The payment's transaction id (24 characters).
    #[arg(long)]
    transaction_id: String,
    /// The merchant's order id.
    #[arg(long)]
    order_id: String,
    /// Currency (ISO 4217).
    #[arg(long)]
    currency: String,
    /// The payment's amount.
    #[arg(long)]
    amount: String,
    /// Language of the gateway's messages.
    #[arg(long, default_value = "EN")]
    lang: String,
}

impl PaymentArgs {
    /// The payment the arguments name, as the capture of it.
    fn to_capture(&self) -> Result<Capture, Failure> {
        Ok(Capture {
            transaction_id: TransactionId::new(self.transaction_id.clone()),
            order_id: OrderId::new(self.order_id.clone()),
            currency: currency(&self.currency)?,
            amount: amount("--amount", &self.amount)?,
            lang: lang(&self.lang)?,
        })
    }
}

#[derive(Subcommand)]
enum RecurringCommand {
    /// Terminate a recurring payment (RC_TERMINATE).
    Terminate {
        /// The registration.
        #[arg(long)]
        recurring_id: String,
        #[command(flatten)]
        params: Params,
    },
    /// Change a recurring payment's amount (RC_ADJUST).
    Adjust {
        /// The registration.
        #[arg(long)]
        recurring_id: String,
        /// The new monthly amount.
        #[arg(long)]
        amount: String,
        /// The registration's currency (checks whole amounts for KRW, JPY, VND; not sent).
        #[arg(long)]
        currency: Option<String>,
        #[command(flatten)]
        params: Params,
    },
}

#[derive(Args)]
struct Params {
    /// Merchant data echoed back.
    #[arg(long)]
    param1: Option<String>,
    /// Merchant data echoed back.
    #[arg(long)]
    param2: Option<String>,
    /// Merchant data echoed back.
    #[arg(long)]
    param3: Option<String>,
}

#[derive(Subcommand)]
enum NotificationCommand {
    /// Verify the fgkey of a notification body read from stdin (secret from EXIMBAY_SECRET_KEY).
    Verify,
}

/// A failure, with its exit code.
struct Failure {
    code: u8,
    message: String,
    stdout: Option<Value>,
}

impl Failure {
    fn usage(message: impl std::fmt::Display) -> Self {
        Failure {
            code: exit::USAGE,
            message: message.to_string(),
            stdout: None,
        }
    }
}

impl From<ClientError> for Failure {
    fn from(error: ClientError) -> Self {
        let message = error.to_string();
        match error {
            ClientError::Declined(gateway) => Failure {
                code: exit::DECLINED,
                message,
                stdout: Some(json!({
                    "outcome": "declined",
                    "status": gateway.status,
                    "rescode": gateway.rescode.as_str(),
                    "resmsg": gateway.resmsg,
                    "errcode": gateway.errcode,
                })),
            },
            ClientError::Response(response) => Failure {
                code: exit::DECLINED,
                message,
                stdout: Some(json!({"outcome": "declined", "status": response.status()})),
            },
            ClientError::Ambiguous { .. } | ClientError::Apply(_) => Failure {
                code: exit::AMBIGUOUS,
                message,
                stdout: Some(
                    json!({"outcome": "unknown", "next": "reconcile with `eximbay retrieve`"}),
                ),
            },
            ClientError::Transport { .. } => Failure {
                code: exit::TRANSPORT,
                message,
                stdout: None,
            },
            ClientError::InvalidCommand(_)
            | ClientError::InvalidRecurringCommand(_)
            | ClientError::Build(_)
            | ClientError::Refused(_) => Failure::usage(message),
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { exit::USAGE } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if let Some(stdout) = failure.stdout {
                say!("{stdout}");
            }
            eprintln!("eximbay: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Capture { payment } => {
            let op = payment.to_capture()?;
            let captured = client(&cli.global)?.send(&op)?;
            print(json!({"operation": "capture", "response": captured, "state": "Captured"}));
        }
        Command::Refund {
            payment,
            balance,
            full,
            partial,
            refund_id,
            reason,
        } => {
            let kind = match (full, partial) {
                (true, _) => RefundKind::Full,
                (false, Some(part)) => RefundKind::Partial(amount("--partial", &part)?),
                (false, None) => return Err(Failure::usage("give --full or --partial AMOUNT")),
            };
            // The capture operation carries exactly the payment's identity, checked once.
            let payment = payment.to_capture()?;
            let op = Cancel {
                transaction_id: payment.transaction_id,
                order_id: payment.order_id,
                currency: payment.currency,
                amount: payment.amount,
                balance: amount("--balance", &balance)?,
                kind,
                refund_id: RefundId::new(refund_id),
                reason,
                lang: payment.lang,
                refund_account: None,
            };
            let refunded = client(&cli.global)?.send(&op)?;
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
        }
        Command::Retrieve {
            transaction_id,
            order_id,
            currency: cur,
            amount: amt,
            lang: lng,
        } => {
            let key_field = if transaction_id.is_some() {
                KeyField::TransactionId
            } else {
                KeyField::OrderId
            };
            // The seed's own example sends the transaction id as order id when only it is known.
            let order_id = order_id
                .or_else(|| transaction_id.clone())
                .unwrap_or_default();
            let op = Retrieve {
                key_field,
                order_id: OrderId::new(order_id),
                transaction_id: transaction_id.map(TransactionId::new),
                currency: currency(&cur)?,
                amount: amount("--amount", &amt)?,
                lang: lang(&lng)?,
            };
            let retrieved = client(&cli.global)?.send(&op)?;
            let state = remote_state(&op, &retrieved);
            print(json!({"operation": "retrieve", "response": retrieved, "state": state}));
        }
        Command::Recurring { command } => recurring(&cli.global, command)?,
        Command::Notification {
            command: NotificationCommand::Verify,
        } => {
            let secret = secret_key()?;
            let body = stdin()?;
            let notification = Notification::parse(body.trim_ascii_end()).map_err(|e| Failure {
                code: exit::NOT_VERIFIED,
                message: e.to_string(),
                stdout: None,
            })?;
            let fields: serde_json::Map<String, Value> = notification
                .iter()
                .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                .collect();
            let verified = notification.verify(&secret);
            print(json!({
                "verified": verified.is_ok(),
                "transaction_id": notification.transaction_id(),
                "order_id": notification.order_id(),
                "amount": notification.amount(),
                "currency": notification.currency(),
                "rescode": notification.rescode().map(|c| c.as_str().to_owned()),
                "fields": fields,
            }));
            if let Err(error) = verified {
                return Err(Failure {
                    code: exit::NOT_VERIFIED,
                    message: error.to_string(),
                    stdout: None,
                });
            }
        }
        Command::Fgkey => {
            let secret = secret_key()?;
            let body = stdin()?;
            let pairs: Vec<(String, String)> = form_urlencoded::parse(body.trim_ascii_end())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            say!(
                "{}",
                fgkey::sign(&secret, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            );
        }
        Command::Sim { addr } => {
            let defaults = eximbay_sim::SandboxConfig::default();
            let env = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_owned());
            let sandbox = eximbay_sim::SandboxConfig {
                mid: cli.global.mid.clone().unwrap_or(defaults.mid),
                api_key: env("EXIMBAY_API_KEY").unwrap_or(defaults.api_key),
                secret_key: env("EXIMBAY_SECRET_KEY").unwrap_or(defaults.secret_key),
                ..defaults
            };
            Mid::new(&sandbox.mid).map_err(Failure::usage)?;
            ApiKey::new(&sandbox.api_key).map_err(Failure::usage)?;
            SecretKey::new(&sandbox.secret_key).map_err(Failure::usage)?;
            let mid = sandbox.mid.clone();
            let running = eximbay_sim::RunningSandbox::start(
                sandbox,
                addr,
                eximbay_sim::ServerOptions::default(),
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
        Command::Demo => demo::run().map_err(|e| Failure::usage(format!("demo failed: {e}")))?,
    }
    Ok(())
}

fn recurring(global: &Global, command: RecurringCommand) -> Result<(), Failure> {
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
            // ISO 4217 "XXX" (no currency): checks only what every currency shares.
            let currency = currency(cur.as_deref().unwrap_or("XXX"))?;
            let op = RecurringAdjust {
                recurring_id: RecurringId::new(recurring_id),
                currency,
                amount: amount("--amount", &amt)?,
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

/// The payment's state as the core reads the gateway's record (the same reading a
/// `reconcile` applies), or `"Unknown"` when the record does not tell.
fn remote_state(op: &Retrieve, retrieved: &eximbay_core::ops::retrieve::Retrieved) -> String {
    let transaction_id = retrieved
        .transaction_id
        .clone()
        .or_else(|| op.transaction_id.clone());
    let Some(transaction_id) = transaction_id else {
        return "Unknown".to_owned();
    };
    let mut payment = eximbay_core::Payment::authorized(
        transaction_id,
        op.order_id.clone(),
        op.currency.clone(),
        op.amount.clone(),
        op.lang.clone(),
    );
    match payment.apply(eximbay_core::PaymentOutcome::Retrieved(retrieved.clone())) {
        Ok(transition) => format!("{:?}", transition.to),
        Err(eximbay_core::payment::InvalidTransition::UnknownAtGateway) => {
            "NoSuchTransaction".to_owned()
        }
        Err(_) => "Unknown".to_owned(),
    }
}

fn print(value: Value) {
    say!("{value}");
}

fn stdin() -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    std::io::stdin()
        .read_to_end(&mut body)
        .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
    Ok(body)
}

fn secret_key() -> Result<SecretKey, Failure> {
    let key = std::env::var("EXIMBAY_SECRET_KEY")
        .map_err(|_| Failure::usage("set EXIMBAY_SECRET_KEY"))?;
    SecretKey::new(key.trim()).map_err(Failure::usage)
}

fn amount(flag: &str, text: &str) -> Result<Amount, Failure> {
    Amount::parse(text).map_err(|e| Failure::usage(format!("{flag}: {e}")))
}

fn currency(code: &str) -> Result<Currency, Failure> {
    let currency = Currency::from_code(code);
    currency.check_sendable().map_err(Failure::usage)?;
    Ok(currency)
}

fn lang(code: &str) -> Result<Lang, Failure> {
    match Lang::from_code(code) {
        Lang::Other(other) => Err(Failure::usage(format!(
            "--lang {other:?} is not one of KR EN CN JP RU TH TW VN"
        ))),
        lang => Ok(lang),
    }
}

/// The configuration from the global options and the environment.
fn config(global: &Global) -> Result<Config, Failure> {
    let mid = global
        .mid
        .as_deref()
        .ok_or_else(|| Failure::usage("give --mid or set EXIMBAY_MID"))?;
    let key =
        std::env::var("EXIMBAY_API_KEY").map_err(|_| Failure::usage("set EXIMBAY_API_KEY"))?;
    let environment = match (&global.base_url, global.env) {
        (Some(v1), _) => Environment::Custom {
            v1_base_url: v1.clone(),
            legacy_base_url: global.legacy_base_url.clone().unwrap_or_else(|| v1.clone()),
        },
        (None, Env::Test) => Environment::Test,
        (None, Env::Live) => Environment::Live,
    };
    let cfg = Config::new(
        environment,
        Mid::new(mid).map_err(Failure::usage)?,
        ApiKey::new(key.trim()).map_err(Failure::usage)?,
    )
    .map_err(Failure::usage)?;
    let secret = std::env::var("EXIMBAY_SECRET_KEY")
        .ok()
        .and_then(|s| SecretKey::new(s.trim()).ok());
    let cfg = match secret {
        Some(secret) => cfg.with_secret_key(secret),
        None if global.sign_legacy => {
            return Err(Failure::usage("--sign-legacy needs EXIMBAY_SECRET_KEY"));
        }
        None => cfg,
    };
    Ok(if global.sign_legacy {
        cfg.with_legacy_signing(eximbay_core::LegacySigning::Fgkey)
    } else {
        cfg
    })
}

fn client(global: &Global) -> Result<eximbay_ureq::Client, Failure> {
    eximbay_ureq::Client::new(config(global)?).map_err(Failure::usage)
}
