//! `eximbay-merchant`: the example shop.
//!
//! ```text
//! cargo run -p eximbay-merchant                        # SQLite file + an embedded sandbox
//! DATABASE_URL=postgres://… cargo run -p eximbay-merchant
//! cargo run -p eximbay-merchant -- --addr 127.0.0.1:3000 --gateway http://127.0.0.1:8080
//! ```
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use eximbay_merchant::store::Store;
use eximbay_merchant::{Gateway, Settings, Shop};
use eximbay_sim::sandbox::{DEFAULT_API_KEY, DEFAULT_MID, DEFAULT_SECRET_KEY};
use eximbay_sim::{RunningSandbox, SandboxConfig, ServerOptions};

const USAGE: &str = "usage: eximbay-merchant [--addr HOST:PORT] [--gateway URL] [--public-url URL] [--instance NAME]

  --addr HOST:PORT   where to listen (default 127.0.0.1:3000)
  --gateway URL      the gateway (default: a sandbox started in this process)
  --public-url URL   how browsers and the gateway reach this shop (default http://ADDR)
  --instance NAME    a name shown in the pages (default: the address)

environment:
  DATABASE_URL       sqlite://FILE (default sqlite://eximbay-merchant.db) or postgres://…
  EXIMBAY_MID, EXIMBAY_API_KEY, EXIMBAY_SECRET_KEY
                     the merchant's keys (default: Eximbay's public test values)";

struct Args {
    addr: SocketAddr,
    gateway: Option<String>,
    public_url: Option<String>,
    instance: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
        gateway: None,
        public_url: None,
        instance: None,
    };
    let mut argv = std::env::args().skip(1);
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("eximbay-merchant: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("eximbay-merchant: {message}");
            ExitCode::FAILURE
        }
    }
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
    let database = env_or("DATABASE_URL", "sqlite://eximbay-merchant.db");
    let store = Store::open(&database)
        .await
        .map_err(|e| format!("database {}: {e}", redact(&database)))?;
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
    };
    let shop = Shop::new(settings, store).map_err(|e| e.to_string())?;
    eprintln!(
        "eximbay-merchant: the shop is at {public_url}/ and the back office at {public_url}/orders"
    );
    eximbay_merchant::serve(shop, listener)
        .await
        .map_err(|e| e.to_string())
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            format!(
                "{}://…@{}",
                url.get(..scheme).unwrap_or(""),
                url.get(at + 1..).unwrap_or("")
            )
        }
        _ => url.to_owned(),
    }
}
