//! One conformance suite that both adapters (ureq, reqwest) must pass, over real loopback
//! sockets, and end-to-end runs of both client facades against the scripted gateway.
//!
//! The end-to-end runs of both client facades against the scripted gateway are in
//! `facades.rs`; what the adapters log and trace, in `logs_and_spans.rs`.

mod facades;
mod logs_and_spans;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use eximbay_core::drive::TransportError;
use eximbay_core::payment::PaymentEvent;
use eximbay_core::retry::{RetryClass, classify_transport};
use eximbay_core::{
    Amount, ApiKey, AsyncHttpClient, ClientError, Config, Currency, Environment, Lang, Mid,
    OrderId, Payment, PaymentStatus, Refusal, SyncHttpClient, TransactionId, TransportFailure,
};
use eximbay_tests::loopback::{Action, LoopbackServer};
use eximbay_tests::{
    API_KEY, MID, Reply, SEED_AUTHORIZATION, Script, ScriptedGateway, TID, test_config,
};
use http::{Request, Response};

const LIMIT: u64 = 64 * 1024;

fn ureq_options() -> eximbay_ureq::Options {
    eximbay_ureq::Options {
        connect_timeout: Duration::from_secs(2),
        call_timeout: Duration::from_millis(800),
        max_response_bytes: LIMIT,
        ..eximbay_ureq::Options::default()
    }
}

fn reqwest_options() -> eximbay_async::Options {
    eximbay_async::Options {
        connect_timeout: Duration::from_secs(2),
        call_timeout: Duration::from_millis(800),
        max_response_bytes: LIMIT,
        ..eximbay_async::Options::default()
    }
}

type Call = Box<dyn Fn(Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError>>;

/// Both adapters' raw HTTP clients, as blocking calls.
fn adapters() -> Vec<(&'static str, Call)> {
    let ureq = eximbay_ureq::UreqHttp::new(&ureq_options());
    let reqwest = eximbay_async::ReqwestHttp::new(&reqwest_options()).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    vec![
        ("ureq", Box::new(move |req| ureq.call(req))),
        (
            "reqwest",
            Box::new(move |req| runtime.block_on(reqwest.call(req))),
        ),
    ]
}

fn post(url: &str, body: &str) -> Request<Vec<u8>> {
    let mut auth = http::HeaderValue::from_static(SEED_AUTHORIZATION);
    auth.set_sensitive(true);
    Request::post(url)
        .header("authorization", auth)
        .header("content-type", "application/json")
        .header("x-custom", "kept")
        .body(body.as_bytes().to_vec())
        .unwrap()
}

fn status(code: u16, body: &str) -> Action {
    Action::Respond(
        Response::builder()
            .status(code)
            .header("x-gateway", "yes")
            .header("content-type", "application/json")
            .body(body.as_bytes().to_vec())
            .unwrap(),
    )
}

#[test]
fn error_statuses_are_responses_not_errors() {
    for (name, call) in adapters() {
        for code in [400_u16, 401, 404, 500, 502, 503] {
            let server = LoopbackServer::start(move |_| status(code, r#"{"rescode":"EC00"}"#));
            let response = call(post(
                &format!("{}/v1/payments/retrieve", server.base_url()),
                "{}",
            ))
            .unwrap_or_else(|e| panic!("{name} {code}: {e}"));
            assert_eq!(response.status().as_u16(), code, "{name}");
            assert_eq!(response.body(), br#"{"rescode":"EC00"}"#, "{name}");
        }
    }
}

#[test]
fn redirects_are_not_followed() {
    for (name, call) in adapters() {
        let server = LoopbackServer::start(|req| {
            if req.uri().path() == "/elsewhere" {
                status(200, "followed")
            } else {
                Action::Respond(
                    Response::builder()
                        .status(302)
                        .header("location", "/elsewhere")
                        .body(Vec::new())
                        .unwrap(),
                )
            }
        });
        let response = call(post(
            &format!("{}/v1/payments/retrieve", server.base_url()),
            "{}",
        ))
        .unwrap();
        assert_eq!(response.status().as_u16(), 302, "{name}");
        assert_eq!(server.requests().len(), 1, "{name} followed the redirect");
    }
}

#[test]
fn headers_and_bodies_survive_both_ways() {
    for (name, call) in adapters() {
        let server = LoopbackServer::start(|_| status(200, "{}"));
        let body = r#"{"mid":"1849705C64","payment":{"amount":"1"}}"#;
        let response = call(post(
            &format!("{}/v1/payments/{TID}/capture", server.base_url()),
            body,
        ))
        .unwrap();
        assert_eq!(response.headers()["x-gateway"], "yes", "{name}");
        let seen = &server.requests()[0];
        assert_eq!(seen.method(), http::Method::POST);
        assert_eq!(seen.uri().path(), format!("/v1/payments/{TID}/capture"));
        assert_eq!(
            seen.headers()["authorization"],
            SEED_AUTHORIZATION,
            "{name}"
        );
        assert_eq!(seen.headers()["content-type"], "application/json", "{name}");
        assert_eq!(seen.headers()["x-custom"], "kept", "{name}");
        assert_eq!(seen.body(), body.as_bytes(), "{name}");
    }
}

#[test]
fn the_response_size_limit_is_enforced() {
    for (name, call) in adapters() {
        let big = "x".repeat(LIMIT as usize + 1);
        let server = LoopbackServer::start(move |_| status(200, &big));
        let err = call(post(
            &format!("{}/v1/payments/retrieve", server.base_url()),
            "{}",
        ))
        .unwrap_err();
        assert_eq!(
            err.failure,
            TransportFailure::ResponseTooLarge,
            "{name}: {err}"
        );
        // Without a content-length (chunked), too.
        let chunk = "y".repeat(LIMIT as usize);
        let raw = format!(
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n{:x}\r\n{chunk}\r\n{:x}\r\n{chunk}\r\n0\r\n\r\n",
            chunk.len(),
            chunk.len()
        );
        let server = LoopbackServer::start(move |_| Action::Raw(raw.clone().into_bytes()));
        let err = call(post(
            &format!("{}/v1/payments/retrieve", server.base_url()),
            "{}",
        ))
        .unwrap_err();
        assert_eq!(
            err.failure,
            TransportFailure::ResponseTooLarge,
            "{name}: {err}"
        );
    }
}

#[test]
fn a_refused_connection_is_safe() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    for (name, call) in adapters() {
        let err = call(post(
            &format!("http://127.0.0.1:{port}/v1/payments/{TID}/capture"),
            "{}",
        ))
        .unwrap_err();
        assert_eq!(err.failure, TransportFailure::Connect, "{name}: {err:?}");
        assert_eq!(
            classify_transport(err.failure, true),
            RetryClass::Safe,
            "{name}"
        );
    }
}

/// A system resolver in a machine without network: every lookup fails, as
/// `getaddrinfo` does, without asking any DNS server.
#[derive(Debug)]
struct NoNetworkResolver;

fn lookup_failed() -> std::io::Error {
    std::io::Error::other(
        "failed to lookup address information: Temporary failure in name resolution",
    )
}

impl ureq::unversioned::resolver::Resolver for NoNetworkResolver {
    fn resolve(
        &self,
        _uri: &http::Uri,
        _config: &ureq::config::Config,
        _timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        Err(ureq::Error::Io(lookup_failed()))
    }
}

impl reqwest::dns::Resolve for NoNetworkResolver {
    fn resolve(&self, _name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async {
            Err(Box::new(lookup_failed()) as Box<dyn std::error::Error + Send + Sync>)
        })
    }
}

#[test]
fn an_unresolvable_name_is_safe() {
    let ureq = eximbay_ureq::UreqHttp::with_resolver(&ureq_options(), NoNetworkResolver);
    let reqwest =
        eximbay_async::ReqwestHttp::with_resolver(&reqwest_options(), Arc::new(NoNetworkResolver))
            .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let calls: Vec<(&str, Call)> = vec![
        ("ureq", Box::new(move |req| ureq.call(req))),
        (
            "reqwest",
            Box::new(move |req| runtime.block_on(reqwest.call(req))),
        ),
    ];
    for (name, call) in calls {
        let err = call(post(
            &format!("https://api-test.eximbay.com/v1/payments/{TID}/capture"),
            "{}",
        ))
        .unwrap_err();
        assert_eq!(err.failure, TransportFailure::Dns, "{name}: {err:?}");
        assert_eq!(
            classify_transport(err.failure, true),
            RetryClass::Safe,
            "{name}"
        );
        assert!(err.to_string().contains("did not resolve"), "{name}: {err}");
    }
}

#[test]
fn a_tls_handshake_with_a_plain_tcp_server_is_safe() {
    for (name, call) in adapters() {
        let server = LoopbackServer::start(|_| status(200, r#"{"rescode":"0000"}"#));
        let url = server.base_url().replace("http://", "https://");
        let err = call(post(&format!("{url}/v1/payments/{TID}/capture"), "{}")).unwrap_err();
        assert_eq!(err.failure, TransportFailure::Tls, "{name}: {err:?}");
        assert_eq!(
            classify_transport(err.failure, true),
            RetryClass::Safe,
            "{name}"
        );
        assert!(server.requests().is_empty(), "{name}: no request was read");
    }
}

#[test]
fn a_pinned_address_is_used_instead_of_a_lookup() {
    #[derive(Debug)]
    struct Pinned(std::net::SocketAddr);
    impl ureq::unversioned::resolver::Resolver for Pinned {
        fn resolve(
            &self,
            _uri: &http::Uri,
            _config: &ureq::config::Config,
            _timeout: ureq::unversioned::transport::NextTimeout,
        ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
            let mut addrs = self.empty();
            addrs.push(self.0);
            Ok(addrs)
        }
    }
    let server = LoopbackServer::start(|_| status(200, "{}"));
    let addr: std::net::SocketAddr = server
        .base_url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let ureq = eximbay_ureq::UreqHttp::with_resolver(&ureq_options(), Pinned(addr));
    let response = ureq
        .call(post(
            &format!("http://localhost:{}/v1/payments/retrieve", addr.port()),
            "{}",
        ))
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_server_that_reads_and_stalls_is_ambiguous() {
    for (name, call) in adapters() {
        let server = LoopbackServer::start(|_| Action::Stall(Duration::from_secs(3)));
        let started = Instant::now();
        let err = call(post(
            &format!("{}/v1/payments/{TID}/capture", server.base_url()),
            "{}",
        ))
        .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_millis(2500),
            "{name}: the call timeout was not applied"
        );
        assert_eq!(
            err.failure,
            TransportFailure::ReadTimeout,
            "{name}: {err:?}"
        );
        assert_eq!(
            classify_transport(err.failure, true),
            RetryClass::Ambiguous,
            "{name}"
        );
        assert_eq!(
            server.requests().len(),
            1,
            "{name}: the request was written"
        );
    }
}

#[test]
fn a_reset_after_the_request_was_written_is_ambiguous() {
    for (name, call) in adapters() {
        let server = LoopbackServer::start(|_| Action::Reset);
        let err = call(post(
            &format!("{}/v1/payments/{TID}/capture", server.base_url()),
            "{}",
        ))
        .unwrap_err();
        assert!(err.failure.may_have_reached_gateway(), "{name}: {err:?}");
        assert_eq!(
            classify_transport(err.failure, true),
            RetryClass::Ambiguous,
            "{name}"
        );
        assert_eq!(server.requests().len(), 1, "{name}");
    }
}

#[test]
fn plain_http_to_a_remote_host_is_never_sent() {
    for (name, call) in adapters() {
        let err = call(post("http://192.0.2.1/v1/payments/retrieve", "{}")).unwrap_err();
        assert_eq!(err.failure, TransportFailure::RequestNotWritten, "{name}");
    }
    let remote = Config::new(
        Environment::custom("http://192.0.2.1").unwrap(),
        Mid::new(MID).unwrap(),
        ApiKey::new(API_KEY).unwrap(),
    )
    .unwrap();
    assert!(eximbay_ureq::Client::new(remote.clone()).is_err());
    assert!(eximbay_async::Client::new(remote).is_err());
}

// What the facades' runs (`facades.rs`) and the logging test (`logs_and_spans.rs`) share: the scripted gateway
// behind a loopback server.

type Scripts = Arc<Mutex<VecDeque<Script>>>;

/// A loopback server in front of the scripted gateway; each request takes the next script
/// (default: answer). A lost answer is a connection reset after the request was read.
fn scripted_server(
    gateway: Arc<Mutex<ScriptedGateway>>,
    scripts: Vec<Script>,
) -> (LoopbackServer, Scripts) {
    let scripts: Scripts = Arc::new(Mutex::new(scripts.into()));
    let queue = scripts.clone();
    let server = LoopbackServer::start(move |req| {
        let script = queue.lock().unwrap().pop_front().unwrap_or(Script::Answer);
        match gateway.lock().unwrap().handle(req, script) {
            Reply::Response(response) => Action::Respond(response),
            Reply::Lost => Action::Reset,
        }
    });
    (server, scripts)
}

fn sandbox_config(server: &LoopbackServer) -> Config {
    Config::new(
        Environment::custom(&server.base_url()).unwrap(),
        Mid::new(MID).unwrap(),
        ApiKey::new(API_KEY).unwrap(),
    )
    .unwrap()
}

fn authorized_payment() -> Payment {
    Payment::authorized(
        TransactionId::new(TID),
        OrderId::new("O-1"),
        Currency::Usd,
        Amount::parse("1").unwrap(),
        Lang::En,
    )
    .unwrap()
}
