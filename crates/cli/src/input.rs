//! The command line's text turned into typed values, the configuration and the client.
//! Anything invalid is a usage error (exit 2) and nothing is sent.

use std::io::Read;
use std::time::{Duration, Instant};

use eximbay_core::drive::TransportError;
use eximbay_core::ops::capture::Capture;
use eximbay_core::transport::{TransportOptions, check_config_urls};
use eximbay_core::{
    Amount, ApiKey, BlockingClient, Config, Currency, Environment, Lang, LegacySigning, Mid,
    OrderId, SecretKey, SyncHttpClient, TransactionId,
};
use eximbay_ureq::UreqHttp;
use http::{Request, Response};

use crate::args::{Env, Global, PaymentArgs};
use crate::failure::Failure;

/// A currency code, in any case; codes the gateway's currencies do not include (a typo such
/// as `XYZ`) are refused.
pub fn currency(code: &str) -> Result<Currency, Failure> {
    match Currency::from_code(&code.trim().to_ascii_uppercase()) {
        Currency::Unknown(unknown) => Err(Failure::usage(format!(
            "--currency {unknown:?} is not a currency this client knows ({})",
            known_currencies()
        ))),
        known => Ok(known),
    }
}

/// The currencies the core knows the decimals of: the guide's request currencies and its DCC
/// currencies (App. A.1 and A.2). An unknown code is refused here, where the person can fix
/// it, rather than sent with a guess at its decimals.
fn known_currencies() -> String {
    Currency::KNOWN
        .iter()
        .map(Currency::code)
        .collect::<Vec<_>>()
        .join(" ")
}

/// An amount for a currency, with a message that names the flag. Negative numbers reach
/// this check (clap lets them through) so the message says what is wrong with them.
pub fn amount(flag: &str, text: &str, currency: &Currency) -> Result<Amount, Failure> {
    if text.trim_start().starts_with('-') {
        return Err(Failure::usage(format!(
            "{flag} {text}: an amount must be greater than zero"
        )));
    }
    Amount::parse_in(text, currency).map_err(|e| Failure::usage(format!("{flag} {text}: {e}")))
}

/// A language code, in any case.
pub fn lang(code: &str) -> Result<Lang, Failure> {
    match Lang::from_code(&code.trim().to_ascii_uppercase()) {
        Lang::Other(other) => Err(Failure::usage(format!(
            "--lang {other:?} is not one of KR EN CN JP RU TH TW VN"
        ))),
        lang => Ok(lang),
    }
}

impl PaymentArgs {
    /// The payment the arguments name, as the capture of it (its identity, checked once).
    pub fn to_capture(&self) -> Result<Capture, Failure> {
        let currency = currency(&self.currency)?;
        Ok(Capture {
            transaction_id: TransactionId::new(self.transaction_id.clone()),
            order_id: OrderId::new(self.order_id.clone()),
            amount: amount("--amount", &self.amount, &currency)?,
            currency,
            lang: lang(&self.lang)?,
        })
    }
}

/// `30s`, `2.5s`, `800ms` or a plain number of seconds.
pub fn duration(text: &str) -> Result<Duration, Failure> {
    let bad = || Failure::usage(format!("--timeout {text:?}: give e.g. 30s, 2.5s or 800ms"));
    let text = text.trim();
    let (number, unit) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1_000)
    } else {
        (text.strip_suffix('s').unwrap_or(text), 1)
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 3 {
        return Err(bad());
    }
    let whole: u64 = whole.parse().map_err(|_| bad())?;
    let thousandths: u64 = format!("{fraction:0<3}").parse().map_err(|_| bad())?;
    let millis = whole
        .checked_mul(1_000)
        .and_then(|w| w.checked_add(thousandths))
        .ok_or_else(bad)?
        / unit;
    if millis == 0 {
        return Err(bad());
    }
    Ok(Duration::from_millis(millis))
}

pub fn stdin() -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    std::io::stdin()
        .read_to_end(&mut body)
        .map_err(|e| Failure::usage(format!("cannot read stdin: {e}")))?;
    Ok(body)
}

pub fn secret_key() -> Result<SecretKey, Failure> {
    let key = std::env::var("EXIMBAY_SECRET_KEY")
        .map_err(|_| Failure::usage("set EXIMBAY_SECRET_KEY"))?;
    SecretKey::new(key.trim()).map_err(Failure::usage)
}

/// The configuration from the global options and the environment.
pub fn config(global: &Global) -> Result<Config, Failure> {
    let mid = global
        .mid
        .as_deref()
        .ok_or_else(|| Failure::usage("give --mid or set EXIMBAY_MID"))?;
    let key =
        std::env::var("EXIMBAY_API_KEY").map_err(|_| Failure::usage("set EXIMBAY_API_KEY"))?;
    let environment = match (&global.base_url, global.env) {
        (Some(v1), _) => {
            let custom = Environment::Custom {
                v1_base_url: v1.clone(),
                legacy_base_url: global.legacy_base_url.clone().unwrap_or_else(|| v1.clone()),
                allow_live_key_to_custom_host: false,
            };
            if global.allow_live_key_to_custom_host {
                custom.allow_live_key_to_custom_host()
            } else {
                custom
            }
        }
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
        cfg.with_legacy_signing(LegacySigning::Fgkey)
    } else {
        cfg
    })
}

/// The ureq adapter's HTTP client, telling each call on stderr with `--verbose`.
pub struct Http {
    inner: UreqHttp,
    verbose: bool,
}

impl SyncHttpClient for Http {
    fn call(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let line = format!("{} {}", request.method(), request.uri());
        let started = Instant::now();
        let result = self.inner.call(request);
        if self.verbose {
            let ms = started.elapsed().as_millis();
            match &result {
                Ok(response) => eprintln!(
                    "eximbay: {line} → HTTP {} in {ms} ms, rescode {}",
                    response.status().as_u16(),
                    rescode_of(response.body()).unwrap_or_else(|| "none".to_owned())
                ),
                Err(error) => eprintln!("eximbay: {line} → failed after {ms} ms: {error}"),
            }
        }
        result
    }
}

/// The `rescode` of a JSON or `k=v` answer, for the verbose line (nothing else of the body
/// is shown).
fn rescode_of(body: &[u8]) -> Option<String> {
    if let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(body) {
        return fields
            .get("rescode")
            .and_then(|c| c.as_str())
            .map(|c| c.trim().to_owned());
    }
    form_urlencoded::parse(body.trim_ascii())
        .find(|(k, _)| k == "rescode")
        .map(|(_, v)| v.trim().to_owned())
}

/// The client for the gateway: the ureq adapter with the CLI's timeout and verbosity.
pub fn client(global: &Global) -> Result<BlockingClient<Http>, Failure> {
    let cfg = config(global)?;
    check_config_urls(&cfg).map_err(|url| {
        Failure::usage(format!(
            "refusing plain http to {url}: only https, or http to a loopback address"
        ))
    })?;
    let mut options = TransportOptions::default();
    if let Some(timeout) = &global.timeout {
        options.call_timeout = duration(timeout)?;
        options.connect_timeout = options.connect_timeout.min(options.call_timeout);
    }
    let http = Http {
        inner: UreqHttp::new(&options),
        verbose: global.verbose,
    };
    Ok(BlockingClient::new(http, cfg, std::thread::sleep))
}
