//! The sandbox for tests: the one function that starts it ([`start_sandbox`]), its `/_sim/`
//! controls, the client configuration that points at it, and both adapters' HTTP clients
//! under the core's blocking facade. The cross-crate suites, the CLI's and the merchant
//! example's tests all start their sandboxes here.

use std::time::Duration;

use eximbay_core::{
    Amount, ApiKey, AsyncHttpClient, BlockingClient, Config, Currency, Environment, Lang, Mid,
    OrderId, Payment, SyncHttpClient, TransactionId, TransportError,
};
use eximbay_sim::{DEFAULT_API_KEY, DEFAULT_MID};
use eximbay_sim::{RunningSandbox, SandboxConfig, ServerOptions};
use serde_json::{Value, json};

/// Starts a sandbox for a test: `config` served with `options` on a free port of
/// 127.0.0.1 (as [`RunningSandbox::local`] does, which fixes both to their defaults). Every
/// test that needs a running sandbox starts it here; most pass [`quick_callbacks`].
pub fn start_sandbox(config: SandboxConfig, options: ServerOptions) -> RunningSandbox {
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    RunningSandbox::start(config, loopback, options).expect("a sandbox on a free loopback port")
}

/// The server's defaults, but a failed callback is retried after 20 ms (the default waits
/// 200 ms), so a test that waits for a redelivery waits milliseconds.
pub fn quick_callbacks() -> ServerOptions {
    ServerOptions {
        callback_retry_delay: Duration::from_millis(20),
        ..ServerOptions::default()
    }
}

/// A sandbox with the default configuration and [`quick_callbacks`].
pub fn start() -> RunningSandbox {
    start_sandbox(SandboxConfig::default(), quick_callbacks())
}

/// A sandbox with this configuration and [`quick_callbacks`].
pub fn start_with(config: SandboxConfig) -> RunningSandbox {
    start_sandbox(config, quick_callbacks())
}

/// A `/_sim/` control call (`method` on `path`, with a JSON body or none) over HTTP; the
/// answer's JSON. Fails the test unless it succeeds.
pub fn control(sandbox: &RunningSandbox, method: &str, path: &str, body: Option<Value>) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let request = http::Request::builder()
        .method(method)
        .uri(format!("{}{path}", sandbox.base_url()))
        .header("content-type", "application/json")
        .body(
            body.map(|b| serde_json::to_vec(&b).unwrap())
                .unwrap_or_default(),
        )
        .unwrap();
    let mut response = agent.run(request).unwrap();
    let text = response.body_mut().read_to_string().unwrap();
    assert!(response.status().is_success(), "{path}: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Scripts a fault (`POST /_sim/faults`).
pub fn fault(sandbox: &RunningSandbox, fault: Value) {
    control(sandbox, "POST", "/_sim/faults", Some(fault));
}

/// The core's configuration for this sandbox: its URL, MID and API key (no secret key).
pub fn config(sandbox: &RunningSandbox) -> Config {
    Config::new(
        Environment::custom(&sandbox.base_url()).unwrap(),
        Mid::new(DEFAULT_MID).unwrap(),
        ApiKey::new(DEFAULT_API_KEY).unwrap(),
    )
    .unwrap()
}

/// [`config`] with the sandbox's secret key (to sign windows and verify notifications).
pub fn signed_config(sandbox: &RunningSandbox) -> Config {
    config(sandbox)
        .with_secret_key(eximbay_core::SecretKey::new(eximbay_sim::DEFAULT_SECRET_KEY).unwrap())
}

/// A backoff that retries within milliseconds (three attempts).
pub fn fast() -> eximbay_core::Backoff {
    eximbay_core::Backoff {
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_attempts: 3,
    }
}

/// What a test sends through: one adapter's HTTP client (ureq's, or reqwest's on a runtime
/// of its own).
pub type Transport =
    Box<dyn Fn(http::Request<Vec<u8>>) -> Result<http::Response<Vec<u8>>, TransportError>>;

/// One adapter's HTTP client under the core's blocking facade, whose methods the tests call
/// directly (`adapter.capture(&mut payment)`). The async facade's methods are twins of the
/// blocking ones; `tests/tests/suite/sandbox/` runs them on their own (`the_async_facade_…`).
pub struct Adapter {
    name: &'static str,
    client: BlockingClient<Transport>,
}

impl std::ops::Deref for Adapter {
    type Target = BlockingClient<Transport>;
    fn deref(&self) -> &Self::Target {
        &self.client
    }
}

impl Adapter {
    /// The ureq adapter's client and the reqwest adapter's, each with a short call timeout
    /// and [`fast`] retries.
    pub fn both(sandbox: &RunningSandbox) -> Vec<Adapter> {
        let ureq = eximbay_ureq::UreqHttp::new(&eximbay_ureq::Options {
            call_timeout: Duration::from_millis(1500),
            ..Default::default()
        });
        let reqwest = eximbay_async::ReqwestHttp::new(&eximbay_async::Options {
            call_timeout: Duration::from_millis(1500),
            ..Default::default()
        })
        .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let transports: [(&'static str, Transport); 2] = [
            ("ureq", Box::new(move |request| ureq.call(request))),
            (
                "reqwest",
                Box::new(move |request| runtime.block_on(AsyncHttpClient::call(&reqwest, request))),
            ),
        ];
        transports
            .into_iter()
            .map(|(name, transport)| Adapter {
                name,
                client: BlockingClient::new(transport, config(sandbox), std::thread::sleep)
                    .with_backoff(fast()),
            })
            .collect()
    }

    /// `ureq` or `reqwest`, for assertion messages.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// A new AUTHORIZE payment in the sandbox, as the merchant's `Payment`.
pub fn authorized(sandbox: &RunningSandbox, order: &str, currency: &str, amount: &str) -> Payment {
    let created = control(
        sandbox,
        "POST",
        "/_sim/payments",
        Some(json!({"order_id": order, "currency": currency, "amount": amount})),
    );
    Payment::authorized(
        TransactionId::new(created["transaction_id"].as_str().unwrap()),
        OrderId::new(order),
        Currency::from_code(currency),
        Amount::parse(amount).unwrap(),
        Lang::En,
    )
    .unwrap()
}

/// The sandbox's ledger entry of `payment`, as `/_sim/ledger` shows it.
pub fn ledger_entry(sandbox: &RunningSandbox, payment: &Payment) -> Value {
    control(sandbox, "GET", "/_sim/ledger", None)["payments"][payment.transaction_id().as_str()]
        .clone()
}

/// Waits until the built-in merchant inbox holds `count` notifications and returns them.
pub fn wait_for_inbox(sandbox: &RunningSandbox, count: usize) -> Vec<Value> {
    assert!(
        sandbox.wait_for(Duration::from_secs(10), |s| s.inbox.len() >= count),
        "expected {count} notifications, got {}",
        sandbox.sandbox().inbox.len()
    );
    // Every page, in order (`next` names where the following one starts).
    let mut entries = Vec::new();
    let mut path = "/_sim/inbox".to_owned();
    loop {
        let page = control(sandbox, "GET", &path, None);
        entries.extend(page["entries"].as_array().unwrap().iter().cloned());
        match page["next"].as_u64() {
            Some(next) => path = format!("/_sim/inbox?after={next}"),
            None => return entries,
        }
    }
}
