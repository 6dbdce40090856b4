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

use clap::{Args, Parser, Subcommand};
use eximbay_merchant::secrets::{redact_database_url, scrub};
use eximbay_merchant::store::Store;
use eximbay_merchant::{Gateway, Limits, Settings, Shop};
use rust_decimal::Decimal;

/// Eximbay's public test merchant (seed 000's sample MID and API key, the published test
/// secret key): the keys when the environment names none, which the embedded sandbox is
/// started with too.
const PUBLIC_TEST_MID: &str = "1849705C64";
/// The public test API key.
const PUBLIC_TEST_API_KEY: &str = "test_1849705C642C217E0B2D";
/// The public test secret key.
const PUBLIC_TEST_SECRET_KEY: &str = "289F40E6640124B2628640168C3C5464";

const ENVIRONMENT: &str = "Environment:
  DATABASE_URL       sqlite://FILE (default sqlite://eximbay-merchant.db) or postgres://…
  EXIMBAY_MID, EXIMBAY_API_KEY, EXIMBAY_SECRET_KEY
                     the merchant's keys (default: Eximbay's public test values)";

/// The example shop: a storefront, `status_url`, and a back office for operators.
#[derive(Debug, Parser)]
#[command(
    name = "eximbay-merchant",
    version,
    after_help = ENVIRONMENT,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

/// How the shop is served (no subcommand).
#[derive(Debug, Args)]
struct ServeArgs {
    /// Where to listen.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:3000")]
    addr: SocketAddr,
    /// The gateway's base URL (default: a sandbox started in this process).
    #[arg(long, value_name = "URL")]
    gateway: Option<String>,
    /// How browsers and the gateway reach this shop (default http://ADDR); https://… makes
    /// the session cookie Secure (TLS is the proxy's job).
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// A name shown in the pages (default: the address).
    #[arg(long, value_name = "NAME")]
    instance: Option<String>,
    /// The highest monthly amount an operator may set.
    #[arg(long, value_name = "AMOUNT", default_value = "100.00", value_parser = positive_amount)]
    max_monthly: Decimal,
    /// Refunds above this ask the operator to confirm.
    #[arg(long, value_name = "AMOUNT", default_value = "100.00", value_parser = positive_amount)]
    confirm_refunds_above: Decimal,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The back office's operators.
    #[command(subcommand)]
    Operator(OperatorCommand),
}

#[derive(Debug, Subcommand)]
enum OperatorCommand {
    /// Creates an operator, or sets a new password for one (signing it out everywhere); the
    /// password is the first line of standard input.
    Add {
        /// The operator's name (letters, digits, . - _ @).
        name: String,
    },
}

/// An amount above zero (`100.00`).
fn positive_amount(value: &str) -> Result<Decimal, String> {
    value
        .parse::<Decimal>()
        .ok()
        .filter(|d| d.is_sign_positive() && !d.is_zero())
        .ok_or_else(|| "not a positive amount (100.00)".to_owned())
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
    // A usage error prints clap's message (naming the argument) and exits with 2.
    let cli = Cli::parse();
    let outcome = match cli.command {
        Some(Command::Operator(OperatorCommand::Add { name })) => add_operator(&name).await,
        None => run(cli.serve).await,
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
    // Created at, by the database's clock (the one every record is timed by).
    let at = store
        .now()
        .await
        .map_err(|e| format!("operator {name}: {e}"))?;
    match eximbay_merchant::auth::add_operator(&store, name, password, at).await {
        Ok(true) => eprintln!("eximbay-merchant: operator {name} added"),
        Ok(false) => eprintln!(
            "eximbay-merchant: operator {name} has a new password (and was signed out everywhere)"
        ),
        Err(error) => return Err(format!("operator {name}: {error}")),
    }
    Ok(())
}

async fn run(args: ServeArgs) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.addr))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let mid = env_or("EXIMBAY_MID", PUBLIC_TEST_MID);
    let api_key = env_or("EXIMBAY_API_KEY", PUBLIC_TEST_API_KEY);
    let secret_key = env_or("EXIMBAY_SECRET_KEY", PUBLIC_TEST_SECRET_KEY);
    let gateway = match args.gateway {
        Some(url) => Gateway::Remote(url),
        None => embedded::start(&mid, &api_key, &secret_key)?,
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
        limits: Limits {
            max_monthly_amount: args.max_monthly,
            confirm_refund_above: args.confirm_refunds_above,
            ..Limits::default()
        },
    };
    let shop = Shop::new(settings, store).map_err(|e| e.to_string())?;
    eprintln!(
        "eximbay-merchant: the shop is at {public_url}/ and the back office at {public_url}/orders"
    );
    eximbay_merchant::serve(shop, listener)
        .await
        .map_err(|e| e.to_string())
}

/// The sandbox started in this process when no `--gateway` is named: only the binary
/// depends on `eximbay-sim` (feature `embedded-sandbox`, on by default); the library is
/// handed its URL and its clock.
#[cfg(feature = "embedded-sandbox")]
mod embedded {
    use std::net::SocketAddr;

    use eximbay_merchant::Gateway;
    use eximbay_merchant::sandbox_control::EmbeddedSandbox;
    use eximbay_sim::{RunningSandbox, SandboxConfig, ServerOptions};

    /// Starts a sandbox for the merchant with these keys, on a free loopback port.
    pub fn start(mid: &str, api_key: &str, secret_key: &str) -> Result<Gateway, String> {
        let sandbox = RunningSandbox::start(
            SandboxConfig {
                mid: mid.to_owned(),
                api_key: api_key.to_owned(),
                secret_key: secret_key.to_owned(),
                ..SandboxConfig::default()
            },
            SocketAddr::from(([127, 0, 0, 1], 0)),
            ServerOptions::default(),
        )
        .map_err(|e| format!("cannot start the embedded sandbox: {e}"))?;
        tracing::info!(url = sandbox.base_url(), "embedded sandbox started");
        let clock = sandbox.clone();
        Ok(Gateway::Embedded(EmbeddedSandbox::new(
            sandbox.base_url(),
            move || clock.sandbox().now(),
        )))
    }

    #[cfg(test)]
    mod tests {
        /// The binary's default keys are the sandbox's own, so the embedded sandbox and a
        /// shop started with nothing configured agree.
        #[test]
        fn the_default_keys_are_the_sandboxs() {
            use eximbay_sim::{DEFAULT_API_KEY, DEFAULT_MID, DEFAULT_SECRET_KEY};
            assert_eq!(super::super::PUBLIC_TEST_MID, DEFAULT_MID);
            assert_eq!(super::super::PUBLIC_TEST_API_KEY, DEFAULT_API_KEY);
            assert_eq!(super::super::PUBLIC_TEST_SECRET_KEY, DEFAULT_SECRET_KEY);
        }
    }
}

/// Built without the `embedded-sandbox` feature: a gateway must be named.
#[cfg(not(feature = "embedded-sandbox"))]
mod embedded {
    use eximbay_merchant::Gateway;

    /// Refuses: there is no sandbox to start.
    pub fn start(_mid: &str, _api_key: &str, _secret_key: &str) -> Result<Gateway, String> {
        Err(
            "built without the embedded sandbox (feature `embedded-sandbox`): name the \
             gateway with --gateway URL"
                .to_owned(),
        )
    }
}
