//! The shop's shared state: settings, the gateway client, the store, the templates, and
//! its clocks: the gateway's (charge days, grace periods) and the database's (leases, ages).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use eximbay_core::{ApiKey, Config, ConfigError, Environment, Mid, SecretKey, Timestamp};
use rust_decimal::Decimal;

use crate::limiter::RateLimiter;
use crate::pages::Pages;
use crate::sandbox_control::EmbeddedSandbox;
use crate::store::Store;

/// Which gateway the shop talks to.
#[derive(Clone, Debug)]
pub enum Gateway {
    /// A sandbox running in this process: its test clock is the shop's idea of "now" for
    /// the gateway (charge days, the window's dates), and the back office offers its test
    /// controls (advance the clock, decline the next charges).
    Embedded(EmbeddedSandbox),
    /// Any gateway by URL: Eximbay's hosts or an `eximbay sim` elsewhere (system clock).
    Remote(String),
}

impl Gateway {
    /// The gateway's base URL.
    pub fn base_url(&self) -> String {
        match self {
            Gateway::Embedded(sandbox) => sandbox.base_url().to_owned(),
            Gateway::Remote(url) => url.trim_end_matches('/').to_owned(),
        }
    }
}

/// How the shop is set up. Its `Debug` leaves the keys out.
#[derive(Clone)]
pub struct Settings {
    /// How browsers and the gateway's callbacks reach this shop (`http://127.0.0.1:3000`).
    pub public_url: String,
    /// The gateway.
    pub gateway: Gateway,
    /// The merchant id.
    pub mid: String,
    /// The API key (`test_…` / `live_…`).
    pub api_key: String,
    /// The secret key notifications are signed with.
    pub secret_key: String,
    /// A name for this instance, shown in the page footer (several may share a database).
    pub instance: String,
    /// How often the sweeper reconciles unknown outcomes and interrupted commands.
    pub sweep_every: Duration,
    /// How long an operator's command waits for another command on the same order.
    pub lease_wait: Duration,
    /// What the back office allows and how much anyone may ask of the shop.
    pub limits: Limits,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("public_url", &self.public_url)
            .field("gateway", &self.gateway.base_url())
            .field("mid", &self.mid)
            .field("api_key", &"<redacted>")
            .field("secret_key", &"<redacted>")
            .field("instance", &self.instance)
            .field("sweep_every", &self.sweep_every)
            .field("lease_wait", &self.lease_wait)
            .field("limits", &self.limits)
            .finish()
    }
}

/// Bounds on what operators and strangers can do.
#[derive(Clone, Debug)]
pub struct Limits {
    /// The highest monthly amount an operator may set on a subscription, in the order's
    /// currency: an adjustment above it is refused before anything is sent.
    pub max_monthly_amount: Decimal,
    /// Refunds above this amount (in the order's currency) ask the operator to confirm;
    /// full refunds, releases of an authorization and ending a subscription always do.
    pub confirm_refund_above: Decimal,
    /// Orders one client address may place per [`Limits::checkout_window`] (this instance).
    pub checkouts_per_client: u32,
    /// The window for [`Limits::checkouts_per_client`].
    pub checkout_window: Duration,
    /// Failed sign-ins for one operator name within the window before sign-in is refused.
    pub sign_in_failures_per_name: i64,
    /// Failed sign-ins from one client address within the window before it is refused.
    pub sign_in_failures_per_client: i64,
    /// The sign-in failure window, seconds.
    pub sign_in_window_seconds: i64,
    /// How long a session lasts, seconds.
    pub session_seconds: i64,
    /// Orders per page on `/orders`.
    pub orders_per_page: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_monthly_amount: Decimal::new(10_000, 2),
            confirm_refund_above: Decimal::new(10_000, 2),
            checkouts_per_client: 20,
            checkout_window: Duration::from_secs(600),
            sign_in_failures_per_name: 5,
            sign_in_failures_per_client: 20,
            sign_in_window_seconds: 15 * 60,
            session_seconds: 12 * 3600,
            orders_per_page: 50,
        }
    }
}

/// The shop: settings, the gateway client, the store and the templates, shared by every
/// request.
pub struct Shop {
    /// The settings.
    pub settings: Settings,
    /// The orders.
    pub store: Store,
    /// The gateway client (the async adapter over reqwest).
    pub client: eximbay_async::Client,
    /// The client's configuration (the secret key included, for signing the window form).
    pub cfg: Config,
    /// Verifies notifications.
    pub secret: SecretKey,
    /// The pages ([`Pages::shared`]).
    pub pages: &'static Pages,
    /// For the sandbox's test controls.
    pub http: reqwest::Client,
    /// Checkouts per client address, for [`Limits::checkouts_per_client`].
    pub checkouts: RateLimiter,
}

impl std::fmt::Debug for Shop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shop")
            .field("public_url", &self.settings.public_url)
            .field("instance", &self.settings.instance)
            .finish_non_exhaustive()
    }
}

/// Why the shop could not start.
#[derive(Debug)]
pub enum SetupError {
    /// A key or URL was refused.
    Config(ConfigError),
    /// The HTTP client could not be built.
    Client(String),
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupError::Config(e) => write!(f, "configuration: {e}"),
            SetupError::Client(e) => write!(f, "HTTP client: {e}"),
        }
    }
}

impl std::error::Error for SetupError {}

impl From<ConfigError> for SetupError {
    fn from(e: ConfigError) -> Self {
        SetupError::Config(e)
    }
}

impl Shop {
    /// A shop on `store`.
    pub fn new(settings: Settings, store: Store) -> Result<Arc<Shop>, SetupError> {
        let secret = SecretKey::new(&settings.secret_key)?;
        let cfg = Config::new(
            Environment::custom(&settings.gateway.base_url())?,
            Mid::new(&settings.mid)?,
            ApiKey::new(&settings.api_key)?,
        )?
        .with_secret_key(secret.clone());
        let client = eximbay_async::Client::new(cfg.clone())
            .map_err(|e| SetupError::Client(e.to_string()))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| SetupError::Client(e.to_string()))?;
        Ok(Arc::new(Shop {
            settings,
            store,
            client,
            cfg,
            secret,
            pages: Pages::shared(),
            http,
            checkouts: RateLimiter::default(),
        }))
    }

    /// "Now" as the gateway sees it: the embedded sandbox's test clock, else the system's.
    /// Used for what the gateway checks against its own date (the charge day, the window).
    pub fn gateway_now(&self) -> Timestamp {
        match &self.settings.gateway {
            Gateway::Embedded(sandbox) => sandbox.now(),
            Gateway::Remote(_) => Timestamp::from_system_time(SystemTime::now()),
        }
    }

    /// "Now" by the database's clock (unix seconds), the one every instance shares: for
    /// leases, the times written on records, and how old a record is (sessions, command keys
    /// and sign-in failures compare with it inside their queries). Never the gateway's test
    /// clock, which jumps by months and would expire every lease at once; never this
    /// instance's own clock, which may disagree with another's — the shop has no use for it.
    pub async fn db_clock(&self) -> Result<i64, crate::store::StoreError> {
        self.store.now().await
    }

    /// `status_url`.
    pub fn status_url(&self) -> String {
        format!("{}/eximbay/status", self.settings.public_url)
    }

    /// `recurringURL`.
    pub fn recurring_url(&self) -> String {
        format!("{}/eximbay/recurring", self.settings.public_url)
    }

    /// `return_url`.
    pub fn return_url(&self) -> String {
        format!("{}/return", self.settings.public_url)
    }
}
