//! # eximbay-ureq
//!
//! The blocking adapter: [`eximbay_core`] over [`ureq`] 3 with rustls.
//!
//! ```no_run
//! use eximbay_core::{Amount, ApiKey, Config, Currency, Environment, Lang, Mid, OrderId,
//!                    Payment, TransactionId};
//!
//! let cfg = Config::new(Environment::Test, Mid::new("1849705C64")?,
//!                       ApiKey::new("test_1849705C642C217E0B2D")?)?;
//! let client = eximbay_ureq::Client::new(cfg)?;
//! let mut payment = Payment::authorized(
//!     TransactionId::new("1849705C6420220922000016"), OrderId::new("ORDER-1"),
//!     Currency::Usd, Amount::parse("25.00")?, Lang::En)?;
//! client.capture(&mut payment)?;
//! client.refund_partial(&mut payment, Amount::parse("5.50")?, "ticket-1", Some("returned"))?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The HTTP client is configured for a payment gateway: redirects are never followed, an
//! HTTP error status is a response (the core reads the gateway's result from it), connect
//! and per-call timeouts are on by default, responses are capped in size, plain `http` is
//! refused except to loopback addresses (the local sandbox), and every transport error is
//! classified by how far the request got: before it was written (*safe*, retried) or after
//! (*ambiguous* on a money-moving call: the payment goes to `NeedsReconcile`).
#![forbid(unsafe_code)]

use std::io;
use std::ops::Deref;
use std::time::Instant;

mod stage;

use stage::{Stage, StageConnector, StageResolver};
use ureq::unversioned::resolver::{DefaultResolver, Resolver};
use ureq::unversioned::transport::{Connector, DefaultConnector};

use eximbay_core::drive::TransportError;
use eximbay_core::{BlockingClient, Config, SyncHttpClient, TransportFailure};
use http::{Request, Response};

/// Settings of the HTTP client (shared with the async adapter).
pub use eximbay_core::transport::TransportOptions as Options;
use eximbay_core::transport::{check_config_urls, is_allowed_url};

/// The client cannot be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// A base URL uses plain http to a host that is not a loopback address.
    #[error("refusing plain http to {0}: only https, or http to a loopback address, is allowed")]
    InsecureUrl(String),
}

/// `SyncHttpClient` over a `ureq::Agent`.
#[derive(Debug, Clone)]
pub struct UreqHttp {
    agent: ureq::Agent,
    max_response_bytes: u64,
}

impl UreqHttp {
    /// An agent configured for the gateway, resolving names with the system resolver.
    pub fn new(options: &Options) -> Self {
        UreqHttp::with_resolver(options, DefaultResolver::default())
    }

    /// An agent configured for the gateway, resolving names with `resolver` (a pinned
    /// address, a resolver of your own, or one that fails on purpose in tests). IP-literal
    /// hosts are never looked up.
    pub fn with_resolver(options: &Options, resolver: impl Resolver) -> Self {
        let config = ureq::Agent::config_builder()
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            .timeout_connect(Some(options.connect_timeout))
            .timeout_global(Some(options.call_timeout))
            .user_agent(options.user_agent.as_str())
            .build();
        let connector = DefaultConnector::new().chain(StageConnector);
        let agent = ureq::Agent::with_parts(config, connector, StageResolver { inner: resolver });
        UreqHttp {
            agent,
            max_response_bytes: options.max_response_bytes,
        }
    }
}

/// Maps a ureq error to how far the request got, judging by the error alone. The client
/// itself also knows the stage the call reached (observed by its resolver and connector),
/// which decides when the error does not: a lookup failure and a broken TLS handshake both
/// arrive as plain I/O errors.
pub fn classify(error: &ureq::Error) -> TransportFailure {
    use ureq::Timeout;
    match error {
        ureq::Error::HostNotFound => TransportFailure::Dns,
        ureq::Error::ConnectionFailed => TransportFailure::Connect,
        ureq::Error::Timeout(Timeout::Resolve) => TransportFailure::Dns,
        ureq::Error::Timeout(Timeout::Connect) => TransportFailure::Connect,
        ureq::Error::Timeout(
            Timeout::SendRequest | Timeout::SendBody | Timeout::Await100 | Timeout::PerWrite,
        ) => TransportFailure::RequestNotWritten,
        // Waiting for the answer, or a whole-call timeout whose stage is unknown.
        ureq::Error::Timeout(_) => TransportFailure::ReadTimeout,
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::Pem(_) => TransportFailure::Tls,
        ureq::Error::BadUri(_) | ureq::Error::Http(_) => TransportFailure::RequestNotWritten,
        ureq::Error::BodyExceedsLimit(_) => TransportFailure::ResponseTooLarge,
        ureq::Error::Io(io) => match io.kind() {
            io::ErrorKind::ConnectionRefused
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::HostUnreachable => TransportFailure::Connect,
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TransportFailure::ReadTimeout,
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::BrokenPipe => TransportFailure::ResetAfterWrite,
            _ => TransportFailure::Other,
        },
        _ => TransportFailure::Other,
    }
}

/// Classifies a failure by the stage the call reached: before any request byte was handed
/// to the connection nothing can have reached the gateway, whatever the error says.
fn classify_at(reached: Stage, https: bool, error: &ureq::Error) -> TransportFailure {
    let by_error = classify(error);
    if reached == Stage::Sent || !by_error.may_have_reached_gateway() {
        return by_error;
    }
    match reached {
        Stage::Resolving => TransportFailure::Dns,
        Stage::Connecting if https => TransportFailure::Tls,
        Stage::Connecting => TransportFailure::Connect,
        Stage::Connected | Stage::Sent => TransportFailure::RequestNotWritten,
    }
}

fn transport_error(https: bool, error: &ureq::Error) -> TransportError {
    let failure = classify_at(stage::reached(), https, error);
    TransportError::new(failure, describe(failure, error))
}

/// A message a person can act on: the stage in words, then ureq's own description (a
/// timeout's is only ureq's name for the timer, so it is left out).
fn describe(failure: TransportFailure, error: &ureq::Error) -> String {
    match error {
        ureq::Error::Timeout(_) => failure.describe().to_owned(),
        other => format!("{} ({other})", failure.describe()),
    }
}

impl SyncHttpClient for UreqHttp {
    fn call(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        if !is_allowed_url(request.uri()) {
            return Err(TransportError::new(
                TransportFailure::RequestNotWritten,
                "refusing plain http to a non-loopback host",
            ));
        }
        let started = Instant::now();
        let https = request.uri().scheme_str() == Some("https");
        stage::start_call();
        let result = self
            .agent
            .run(request)
            .map_err(|e| transport_error(https, &e))
            .and_then(|response| {
                let (parts, mut body) = response.into_parts();
                let bytes = body
                    .with_config()
                    .limit(self.max_response_bytes)
                    .read_to_vec()
                    .map_err(|e| transport_error(https, &e))?;
                Ok(Response::from_parts(parts, bytes))
            });
        let latency = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::Span::current().record("latency_ms", latency);
        result
    }
}

/// The blocking Eximbay client: `client.capture(&mut payment)?`, `client.refund_partial(…)?`,
/// `client.reconcile(&mut payment)?`, `client.send(&any_operation)?`. All methods are those
/// of [`BlockingClient`].
#[derive(Debug)]
pub struct Client(BlockingClient<UreqHttp>);

impl Client {
    /// A client with default [`Options`].
    pub fn new(cfg: Config) -> Result<Self, SetupError> {
        Client::with_options(cfg, &Options::default())
    }

    /// A client with the given options.
    pub fn with_options(cfg: Config, options: &Options) -> Result<Self, SetupError> {
        check_config_urls(&cfg).map_err(SetupError::InsecureUrl)?;
        let seed =
            std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), 0_u8);
        Ok(Client(
            BlockingClient::new(UreqHttp::new(options), cfg, std::thread::sleep)
                .with_jitter_seed(seed),
        ))
    }

    /// Replaces the default backoff.
    pub fn with_backoff(self, backoff: eximbay_core::Backoff) -> Self {
        Client(self.0.with_backoff(backoff))
    }
}

impl Deref for Client {
    type Target = BlockingClient<UreqHttp>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
