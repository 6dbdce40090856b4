//! `eximbay-merchant`: the example shop.
//!
//! ```text
//! cargo run -p eximbay-merchant                        # SQLite file + an embedded sandbox
//! DATABASE_URL=postgres://… cargo run -p eximbay-merchant
//! cargo run -p eximbay-merchant -- --addr 127.0.0.1:3000 --gateway http://127.0.0.1:8080
//! echo 'a long passphrase' | cargo run -p eximbay-merchant -- operator add alice
//! ```
#![forbid(unsafe_code)]

use std::io::BufRead;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use eximbay_merchant::secrets::{redact_database_url, scrub};
use eximbay_merchant::store::Store;
use eximbay_merchant::{Gateway, Limits, Settings, Shop};
use eximbay_sim::sandbox::{DEFAULT_API_KEY, DEFAULT_MID, DEFAULT_SECRET_KEY};
use eximbay_sim::{RunningSandbox, SandboxConfig, ServerOptions};
use rust_decimal::Decimal;

const USAGE: &str = "usage: eximbay-merchant [--addr HOST:PORT] [--gateway URL] [--public-url URL] [--instance NAME]
                        [--max-monthly AMOUNT] [--confirm-refunds-above AMOUNT]
       eximbay-merchant operator add NAME     (the password is read from standard input)

  --addr HOST:PORT   where to listen (default 127.0.0.1:3000)
  --gateway URL      the gateway (default: a sandbox started in this process)
  --public-url URL   how browsers and the gateway reach this shop (default http://ADDR);
                     https://… makes the session cookie Secure (TLS is the proxy's job)
  --instance NAME    a name shown in the pages (default: the address)
  --max-monthly AMOUNT
                     the highest monthly amount an operator may set (default 100.00)
  --confirm-refunds-above AMOUNT
                     refunds above this ask the operator to confirm (default 100.00)

environment:
  DATABASE_URL       sqlite://FILE (default sqlite://eximbay-merchant.db) or postgres://…
  EXIMBAY_MID, EXIMBAY_API_KEY, EXIMBAY_SECRET_KEY
                     the merchant's keys (default: Eximbay's public test values)";

struct Args {
    addr: SocketAddr,
    gateway: Option<String>,
    public_url: Option<String>,
    instance: Option<String>,
    limits: Limits,
    /// `operator add NAME`.
    add_operator: Option<String>,
}

fn amount_arg(flag: &str, value: &str) -> Result<Decimal, String> {
    value
        .parse::<Decimal>()
        .ok()
        .filter(|d| d.is_sign_positive() && !d.is_zero())
        .ok_or_else(|| format!("{flag}: {value:?} is not a positive amount (100.00)"))
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
        gateway: None,
        public_url: None,
        instance: None,
        limits: Limits::default(),
        add_operator: None,
    };
    let mut argv = std::env::args().skip(1).peekable();
    if argv.peek().map(String::as_str) == Some("operator") {
        argv.next();
        return match (argv.next().as_deref(), argv.next(), argv.next()) {
            (Some("add"), Some(name), None) => {
                args.add_operator = Some(name);
                Ok(args)
            }
            _ => Err("operator: the command is `operator add NAME`".to_owned()),
        };
    }
    while let Some(flag) = argv.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = argv.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--addr" => {
                args.addr = value
                    .parse()
                    .map_err(|_| format!("--addr: {value:?} is not HOST:PORT (127.0.0.1:3000)"))?;
            }
            "--gateway" => args.gateway = Some(value),
            "--public-url" => args.public_url = Some(value),
            "--instance" => args.instance = Some(value),
            "--max-monthly" => args.limits.max_monthly_amount = amount_arg(&flag, &value)?,
            "--confirm-refunds-above" => {
                args.limits.confirm_refund_above = amount_arg(&flag, &value)?;
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(args)
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> ExitCode {
    // sqlx warns about connection parameters it does not know *with their values*
    // (`sslpassword=…`): that target stays quiet whatever RUST_LOG says.
    let mut filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    if let Ok(quiet) = "sqlx_postgres::options=error".parse() {
        filter = filter.add_directive(quiet);
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let mut args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("eximbay-merchant: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let outcome = match args.add_operator.take() {
        Some(name) => add_operator(&name).await,
        None => run(args).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("eximbay-merchant: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn open_store() -> Result<Store, String> {
    let database = env_or("DATABASE_URL", "sqlite://eximbay-merchant.db");
    Store::open(&database).await.map_err(|e| {
        format!(
            "database {}: {}",
            redact_database_url(&database),
            scrub(&e.to_string(), &database)
        )
    })
}

/// `operator add NAME`: the password is the first line of standard input.
async fn add_operator(name: &str) -> Result<(), String> {
    let store = open_store().await?;
    eprintln!("eximbay-merchant: password for operator {name} (one line on standard input):");
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .map_err(|e| format!("reading the password: {e}"))?;
    let password = password.trim_end_matches(['\r', '\n']);
    let at = eximbay_core::Timestamp::from_system_time(std::time::SystemTime::now()).0;
    match eximbay_merchant::auth::add_operator(&store, name, password, at).await {
        Ok(true) => eprintln!("eximbay-merchant: operator {name} added"),
        Ok(false) => eprintln!(
            "eximbay-merchant: operator {name} has a new password (and was signed out everywhere)"
        ),
        Err(error) => return Err(format!("operator {name}: {error}")),
    }
    Ok(())
}

async fn run(args: Args) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mid = env_or("EXIMBAY_MID", DEFAULT_MID);
    let api_key = env_or("EXIMBAY_API_KEY", DEFAULT_API_KEY);
    let secret_key = env_or("EXIMBAY_SECRET_KEY", DEFAULT_SECRET_KEY);
    let gateway = match args.gateway {
        Some(url) => Gateway::Remote(url),
        None => {
            let sandbox = RunningSandbox::start(
                SandboxConfig {
                    mid: mid.clone(),
                    api_key: api_key.clone(),
                    secret_key: secret_key.clone(),
                    ..SandboxConfig::default()
                },
                SocketAddr::from(([127, 0, 0, 1], 0)),
                ServerOptions::default(),
            )
            .map_err(|e| format!("cannot start the embedded sandbox: {e}"))?;
            tracing::info!(url = sandbox.base_url(), "embedded sandbox started");
            Gateway::Embedded(sandbox)
        }
    };
    let store = open_store().await?;
    if store.operator_count().await.map_err(|e| e.to_string())? == 0 {
        eprintln!(
            "eximbay-merchant: no operator can sign in to the back office yet; create one with\n  \
             echo 'a long passphrase' | eximbay-merchant operator add NAME\n(with the same \
             DATABASE_URL), then sign in at /sign-in"
        );
    }
    let public_url = args
        .public_url
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_owned();
    let settings = Settings {
        public_url: public_url.clone(),
        gateway,
        mid,
        api_key,
        secret_key,
        instance: args.instance.unwrap_or_else(|| addr.to_string()),
        sweep_every: Duration::from_secs(5),
        lease_wait: Duration::from_secs(30),
        limits: args.limits,
    };
    let shop = Shop::new(settings, store).map_err(|e| e.to_string())?;
    eprintln!(
        "eximbay-merchant: the shop is at {public_url}/ and the back office at {public_url}/orders"
    );
    eximbay_merchant::serve(shop, listener)
        .await
        .map_err(|e| e.to_string())
}
