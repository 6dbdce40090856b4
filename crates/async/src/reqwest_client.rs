//! The built-in client over reqwest (rustls, no default features) on tokio.

use std::error::Error as _;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eximbay_core::drive::TransportError;
use eximbay_core::{AsyncClient, AsyncHttpClient, Config, TransportFailure};
use http::{Request, Response};

/// Settings of the HTTP client (shared with the blocking adapter).
pub use eximbay_core::transport::TransportOptions as Options;
use eximbay_core::transport::{check_config_urls, is_allowed_url};

/// The client cannot be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// A base URL uses plain http to a host that is not a loopback address.
    #[error("refusing plain http to {0}: only https, or http to a loopback address, is allowed")]
    InsecureUrl(String),
    /// reqwest could not build its client.
    #[error("HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// Maps a reqwest error to how far the request got.
pub fn classify(error: &reqwest::Error) -> TransportFailure {
    if error.is_builder() {
        TransportFailure::RequestNotWritten
    } else if error.is_connect() {
        // DNS, TCP and TLS failures all happen before the request is written.
        connect_stage(error)
    } else if error.is_timeout() {
        TransportFailure::ReadTimeout
    } else if error.is_body() || error.is_decode() {
        TransportFailure::ResetAfterWrite
    } else {
        TransportFailure::Other
    }
}

/// Which part of connecting failed, from the causes hyper reports: a lookup failure is a
/// `dns error`; rustls reports a broken handshake as invalid data; anything else is the TCP
/// connection. All three are safe: nothing was written.
fn connect_stage(error: &reqwest::Error) -> TransportFailure {
    let mut cause = error.source();
    while let Some(current) = cause {
        if current.to_string() == "dns error" {
            return TransportFailure::Dns;
        }
        if let Some(io) = current.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::InvalidData || io.get_ref().is_some() {
                return TransportFailure::Tls;
            }
            return TransportFailure::Connect;
        }
        cause = current.source();
    }
    TransportFailure::Connect
}

fn transport_error(error: &reqwest::Error) -> TransportError {
    // Our URLs carry no credentials (the key travels in a header), so the message may name
    // it; the innermost cause is the one a person can act on.
    let failure = classify(error);
    let mut innermost: &dyn std::error::Error = error;
    while let Some(next) = innermost.source() {
        innermost = next;
    }
    let detail = if error.is_timeout() {
        String::new()
    } else {
        format!(" ({innermost})")
    };
    TransportError::new(failure, format!("{}{detail}", failure.describe()))
}

/// `AsyncHttpClient` over a `reqwest::Client`.
#[derive(Debug, Clone)]
pub struct ReqwestHttp {
    client: reqwest::Client,
    max_response_bytes: u64,
}

impl ReqwestHttp {
    /// A reqwest client configured for the gateway: no redirects, timeouts, rustls.
    pub fn new(options: &Options) -> Result<Self, reqwest::Error> {
        ReqwestHttp::build(options, |builder| builder)
    }

    /// The same, resolving names with `resolver` (a pinned address, a resolver of your own,
    /// or one that fails on purpose in tests).
    pub fn with_resolver<R: reqwest::dns::Resolve + 'static>(
        options: &Options,
        resolver: Arc<R>,
    ) -> Result<Self, reqwest::Error> {
        ReqwestHttp::build(options, |builder| builder.dns_resolver(resolver))
    }

    fn build(
        options: &Options,
        configure: impl FnOnce(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> Result<Self, reqwest::Error> {
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .timeout(options.call_timeout)
            .user_agent(options.user_agent.clone())
            .use_rustls_tls();
        let client = configure(builder).build()?;
        Ok(ReqwestHttp {
            client,
            max_response_bytes: options.max_response_bytes,
        })
    }

    async fn call_inner(
        &self,
        request: Request<Vec<u8>>,
    ) -> Result<Response<Vec<u8>>, TransportError> {
        if !is_allowed_url(request.uri()) {
            return Err(TransportError::new(
                TransportFailure::RequestNotWritten,
                "refusing plain http to a non-loopback host",
            ));
        }
        let request = reqwest::Request::try_from(request).map_err(|e| transport_error(&e))?;
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(|e| transport_error(&e))?;
        let too_large = || {
            TransportError::new(
                TransportFailure::ResponseTooLarge,
                format!("response larger than {} bytes", self.max_response_bytes),
            )
        };
        if response
            .content_length()
            .is_some_and(|n| n > self.max_response_bytes)
        {
            return Err(too_large());
        }
        let mut builder = Response::builder()
            .status(response.status())
            .version(response.version());
        if let Some(headers) = builder.headers_mut() {
            // Taken, not cloned: the response is consumed below anyway.
            *headers = std::mem::take(response.headers_mut());
        }
        // One allocation when the length is announced (bounded by the limit above).
        let announced = response
            .content_length()
            .and_then(|n| usize::try_from(n).ok())
            .unwrap_or(0);
        let mut body = Vec::with_capacity(announced);
        while let Some(chunk) = response.chunk().await.map_err(|e| transport_error(&e))? {
            if body.len() as u64 + chunk.len() as u64 > self.max_response_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        builder
            .body(body)
            .map_err(|e| TransportError::new(TransportFailure::Other, e.to_string()))
    }
}

impl AsyncHttpClient for ReqwestHttp {
    async fn call(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let started = Instant::now();
        let result = self.call_inner(request).await;
        let latency = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::Span::current().record("latency_ms", latency);
        result
    }
}

/// The timer between retries.
pub type Sleep = fn(Duration) -> tokio::time::Sleep;

/// The async Eximbay client over reqwest: `client.capture(&mut payment).await?`, … All
/// methods are those of [`AsyncClient`].
#[derive(Debug)]
pub struct Client(AsyncClient<ReqwestHttp, Sleep>);

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
        let sleep: Sleep = tokio::time::sleep;
        Ok(Client(
            AsyncClient::new(ReqwestHttp::new(options)?, cfg, sleep).with_jitter_seed(seed),
        ))
    }

    /// Replaces the default backoff.
    pub fn with_backoff(self, backoff: eximbay_core::Backoff) -> Self {
        Client(self.0.with_backoff(backoff))
    }
}

impl Deref for Client {
    type Target = AsyncClient<ReqwestHttp, Sleep>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}
