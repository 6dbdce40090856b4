//! How far a request got, observed from inside ureq: a resolver and a connector at the end
//! of ureq's chain mark each stage as it is passed, so a failure is classified by where it
//! happened rather than by the shape of the error (ureq 3 reports a failed lookup or a TLS
//! handshake broken by the peer as a plain I/O error).
//!
//! * resolving — the [`StageResolver`] has not produced an address yet;
//! * connecting — TCP and TLS (ureq's rustls connector completes the handshake before the
//!   next connector in the chain runs);
//! * connected — the [`StageConnector`] received the finished connection; nothing written;
//! * sent — the [`StageTransport`] was asked to transmit request bytes (on a new or a pooled
//!   connection). From here a failure may have reached the gateway.
//!
//! The blocking client runs a whole call on the calling thread, so the stage is kept in a
//! thread-local, reset at the start of each call.

use std::cell::Cell;
use std::net::{IpAddr, SocketAddr};

use ureq::Error;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// Where the current call on this thread stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Stage {
    Resolving,
    Connecting,
    Connected,
    Sent,
}

thread_local! {
    static STAGE: Cell<Stage> = const { Cell::new(Stage::Resolving) };
}

/// Starts a call: nothing done yet.
pub(crate) fn start_call() {
    STAGE.with(|stage| stage.set(Stage::Resolving));
}

/// The stage the current call reached.
pub(crate) fn reached() -> Stage {
    STAGE.with(Cell::get)
}

fn advance(to: Stage) {
    STAGE.with(|stage| {
        if stage.get() < to {
            stage.set(to);
        }
    });
}

/// Resolves through `inner`, but answers an IP-literal host (a local sandbox, a pinned
/// address) directly: no lookup, and no lookup thread (ureq's default resolver starts one per
/// call whenever a timeout is set).
#[derive(Debug)]
pub(crate) struct StageResolver<R> {
    pub(crate) inner: R,
}

impl<R: Resolver> Resolver for StageResolver<R> {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, Error> {
        let literal = uri.host().and_then(|host| {
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .ok()
        });
        let port = uri.port_u16().or(match uri.scheme_str() {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        });
        let resolved = match (literal, port) {
            (Some(ip), Some(port)) => {
                let mut addrs = self.empty();
                addrs.push(SocketAddr::new(ip, port));
                Ok(addrs)
            }
            _ => self.inner.resolve(uri, config, timeout),
        }?;
        advance(Stage::Connecting);
        Ok(resolved)
    }
}

/// The last connector of the chain: the connection (TLS included) is established.
#[derive(Debug)]
pub(crate) struct StageConnector;

impl Connector<Box<dyn Transport>> for StageConnector {
    type Out = StageTransport;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<Self::Out>, Error> {
        Ok(chained.map(|inner| {
            advance(Stage::Connected);
            StageTransport { inner }
        }))
    }
}

/// A connection that marks the call as sent when request bytes are handed to it.
#[derive(Debug)]
pub(crate) struct StageTransport {
    inner: Box<dyn Transport>,
}

impl Transport for StageTransport {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), Error> {
        // Marked before writing: once any byte may leave, the request may reach the gateway.
        advance(Stage::Sent);
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, Error> {
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}
