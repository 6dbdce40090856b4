//! # eximbay-async
//!
//! The async adapter: [`eximbay_core`]'s [`AsyncClient`] facade over any async HTTP client.
//! With the default `reqwest` feature, [`Client`] is ready to use on tokio:
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use eximbay_core::{Amount, ApiKey, Config, Currency, Environment, Lang, Mid, OrderId,
//!                    Payment, TransactionId};
//!
//! let cfg = Config::new(Environment::Test, Mid::new("1849705C64")?,
//!                       ApiKey::new("test_1849705C642C217E0B2D")?)?;
//! let client = eximbay_async::Client::new(cfg)?;
//! let mut payment = Payment::authorized(
//!     TransactionId::new("1849705C6420220922000016"), OrderId::new("ORDER-1"),
//!     Currency::Usd, Amount::parse("25.00")?, Lang::En)?;
//! client.capture(&mut payment).await?;
//! client.refund_partial(&mut payment, Amount::parse("5.50")?, "ticket-1", None).await?;
//! # Ok(()) }
//! ```
//!
//! Any other client plugs in with a closure returning a future of
//! `Result<http::Response<Vec<u8>>, TransportError>`:
//!
//! ```
//! use eximbay_core::drive::TransportError;
//! use eximbay_core::{AsyncClient, Config};
//!
//! fn with_my_client(cfg: Config) {
//!     let http = |request: http::Request<Vec<u8>>| async move {
//!         // … send `request` with your client, classify failures …
//!         Ok::<_, TransportError>(http::Response::new(Vec::new()))
//!     };
//!     let _client = AsyncClient::new(http, cfg, |delay| async move { let _ = delay; /* your timer */ });
//! }
//! ```
#![forbid(unsafe_code)]

pub use eximbay_core::{AsyncClient, AsyncHttpClient, ClientError};

#[cfg(feature = "reqwest")]
mod reqwest_client;
#[cfg(feature = "reqwest")]
pub use reqwest_client::{Client, Options, ReqwestHttp, SetupError, classify};
