//! One conformance suite that both adapters (ureq, reqwest) must pass, over real loopback
//! sockets, and end-to-end runs of both client facades against the scripted gateway.

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

#[test]
fn the_authorization_header_is_sensitive_and_never_logged() {
    let request = Payment::authorized(
        TransactionId::new(TID),
        OrderId::new("O-1"),
        Currency::Usd,
        Amount::parse("1").unwrap(),
        Lang::En,
    )
    .unwrap()
    .capture()
    .unwrap();
    let built = eximbay_core::Operation::to_http(&request, &test_config()).unwrap();
    assert!(built.headers()["authorization"].is_sensitive());

    // Run whole calls with full tracing on, through both adapters, and read what was logged.
    for adapter in ["ureq", "reqwest"] {
        let gateway = Arc::new(Mutex::new(ScriptedGateway::default()));
        gateway.lock().unwrap().authorize(TID, "O-1", "USD", "1");
        let (server, _) = scripted_server(gateway, vec![]);
        let logs = Arc::new(Mutex::new(Vec::<u8>::new()));
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(move || SharedWriter(writer.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            let mut payment = authorized_payment();
            if adapter == "ureq" {
                let client =
                    eximbay_ureq::Client::with_options(sandbox_config(&server), &ureq_options())
                        .unwrap();
                client.capture(&mut payment).unwrap();
            } else {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let client = eximbay_async::Client::with_options(
                    sandbox_config(&server),
                    &reqwest_options(),
                )
                .unwrap();
                runtime.block_on(client.capture(&mut payment)).unwrap();
            }
        });
        let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
        assert!(text.contains("eximbay.call"), "{adapter}: {text}");
        assert!(text.contains("operation=\"capture\""), "{adapter}: {text}");
        assert!(text.contains("attempts=1"), "{adapter}: {text}");
        assert!(text.contains("outcome=\"ok\""), "{adapter}: {text}");
        assert!(text.contains("rescode=\"0000\""), "{adapter}: {text}");
        assert!(text.contains("latency_ms="), "{adapter}: {text}");
        assert!(
            !text.contains("1849705C642C217E0B2D"),
            "{adapter}: key logged: {text}"
        );
        assert!(
            !text.contains(SEED_AUTHORIZATION.trim_start_matches("Basic ")),
            "{adapter}: {text}"
        );
        assert!(
            !text.contains("\"payment\""),
            "{adapter}: body logged: {text}"
        );
    }
}

/// Each HTTP request of a call is an `eximbay.attempt` span with the OpenTelemetry
/// HTTP-client attributes; the second one carries `http.request.resend_count`. No id of the
/// payment is copied into a span: the route is its template.
#[test]
fn attempts_are_spans_with_the_opentelemetry_http_client_attributes() {
    use eximbay_core::ops::retrieve::{KeyField, Retrieve};
    use eximbay_core::retry::TransportFailure;
    use eximbay_core::{Amount, Currency, Lang, OrderId, RetryPolicy, TransactionId};

    let op = Retrieve {
        key_field: KeyField::TransactionId,
        order_id: OrderId::new("O-SPAN"),
        transaction_id: Some(TransactionId::new(TID)),
        currency: Currency::Usd,
        amount: Amount::parse("10.00").unwrap(),
        lang: Lang::En,
    };
    let answer = format!(
        r#"{{"rescode":"0000","resmsg":"Success.","payment":{{"order_id":"O-SPAN","currency":"USD","amount":"10.00","transaction_id":"{TID}","status":"SALE","balance":"10.00"}}}}"#
    );
    let calls = Mutex::new(0);
    // The first request is refused before it is sent (safe: retried), the second answered.
    let client = |_request: Request<Vec<u8>>| {
        let mut calls = calls.lock().unwrap();
        *calls += 1;
        if *calls == 1 {
            Err(TransportError {
                failure: TransportFailure::Connect,
                message: "connection refused".into(),
            })
        } else {
            Ok(Response::builder()
                .status(200)
                .body(answer.clone().into_bytes())
                .unwrap())
        }
    };
    let logs = Arc::new(Mutex::new(Vec::<u8>::new()));
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || SharedWriter(writer.clone()))
        .finish();
    let config = Config::new(
        Environment::custom("https://gateway.example:8443").unwrap(),
        Mid::new(MID).unwrap(),
        ApiKey::new(API_KEY).unwrap(),
    )
    .unwrap();
    tracing::subscriber::with_default(subscriber, || {
        eximbay_core::send_blocking(&client, &config, &op, &RetryPolicy::default(), |_| {})
            .unwrap();
    });
    let text = String::from_utf8(logs.lock().unwrap().clone()).unwrap();
    let attempts: Vec<&str> = text
        .lines()
        .filter(|line| line.contains("eximbay.attempt") && line.contains("close"))
        .collect();
    assert_eq!(attempts.len(), 2, "{text}");
    for attempt in &attempts {
        for field in [
            "otel.name=POST /v1/payments/retrieve ",
            "otel.kind=\"client\"",
            "http.request.method=\"POST\"",
            "server.address=\"gateway.example\"",
            "server.port=8443",
            "url.template=\"/v1/payments/retrieve\"",
        ] {
            assert!(attempt.contains(field), "{field} in {attempt}");
        }
    }
    assert!(
        attempts[0].contains("error.type=\"connect\""),
        "{}",
        attempts[0]
    );
    assert!(!attempts[0].contains("resend_count"), "{}", attempts[0]);
    assert!(
        attempts[1].contains("http.request.resend_count=1"),
        "{}",
        attempts[1]
    );
    assert!(
        attempts[1].contains("http.response.status_code=200"),
        "{}",
        attempts[1]
    );
    assert!(!attempts[1].contains("error.type"), "{}", attempts[1]);
    let call = text
        .lines()
        .find(|line| {
            line.contains("eximbay.call{")
                && !line.contains("eximbay.attempt{")
                && line.contains(" close ")
        })
        .unwrap_or_default();
    assert!(
        call.contains("attempts=2") && call.contains("outcome=\"ok\""),
        "{text}"
    );
}

struct SharedWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// End to end: the client facades against the scripted gateway over loopback.

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

fn ledger() -> Arc<Mutex<ScriptedGateway>> {
    let gateway = Arc::new(Mutex::new(ScriptedGateway::default()));
    gateway.lock().unwrap().authorize(TID, "O-1", "USD", "1");
    gateway
}

#[test]
fn ureq_client_captures_and_partially_refunds() {
    let gateway = ledger();
    let (server, _) = scripted_server(gateway.clone(), vec![]);
    let client =
        eximbay_ureq::Client::with_options(sandbox_config(&server), &ureq_options()).unwrap();
    let mut payment = authorized_payment();
    let t = client.capture(&mut payment).unwrap();
    assert_eq!(
        (t.from, t.to),
        (PaymentStatus::Authorized, PaymentStatus::Captured)
    );
    let t = client
        .refund_partial(
            &mut payment,
            Amount::parse("0.4").unwrap(),
            "r1",
            Some("damaged"),
        )
        .unwrap();
    assert_eq!(t.to, PaymentStatus::PartiallyRefunded);
    let t = client.refund_full(&mut payment, "r2", None).unwrap();
    assert_eq!(t.to, PaymentStatus::Refunded);
    let g = gateway.lock().unwrap();
    assert_eq!(g.payment(TID).captures_applied, 1);
    assert_eq!(g.applied_refund_ids().len(), 2);
    // Refused before sending: nothing more reached the server.
    drop(g);
    let before = server.requests().len();
    let err = client.refund_full(&mut payment, "r3", None).unwrap_err();
    assert!(err.nothing_sent());
    assert_eq!(server.requests().len(), before);
}

#[test]
fn async_client_captures_and_partially_refunds() {
    let gateway = ledger();
    let (server, _) = scripted_server(gateway.clone(), vec![]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client =
            eximbay_async::Client::with_options(sandbox_config(&server), &reqwest_options())
                .unwrap();
        let mut payment = authorized_payment();
        assert_eq!(
            client.capture(&mut payment).await.unwrap().to,
            PaymentStatus::Captured
        );
        let t = client
            .refund_partial(&mut payment, Amount::parse("0.4").unwrap(), "r1", None)
            .await
            .unwrap();
        assert_eq!(t.to, PaymentStatus::PartiallyRefunded);
        assert_eq!(
            payment.refundable(),
            "0.6".parse::<rust_decimal::Decimal>().unwrap()
        );
    });
    assert_eq!(gateway.lock().unwrap().applied_refund_ids().len(), 1);
}

#[test]
fn an_ambiguous_refund_leads_to_reconcile_not_a_second_refund() {
    // ureq: the refund is applied, then the connection is reset.
    let gateway = ledger();
    let (server, _) = scripted_server(gateway.clone(), vec![Script::Answer, Script::ApplyThenDrop]);
    let client =
        eximbay_ureq::Client::with_options(sandbox_config(&server), &ureq_options()).unwrap();
    let mut payment = authorized_payment();
    client.capture(&mut payment).unwrap();
    let err = client
        .refund_partial(&mut payment, Amount::parse("0.4").unwrap(), "r1", None)
        .unwrap_err();
    assert!(err.is_ambiguous(), "{err}");
    assert_eq!(payment.status(), PaymentStatus::NeedsReconcile);
    assert_eq!(
        server.requests().len(),
        2,
        "the ambiguous refund was sent once"
    );
    // Retrying the same command is refused until the payment is reconciled.
    let again = client
        .refund_partial(&mut payment, Amount::parse("0.4").unwrap(), "r1", None)
        .unwrap_err();
    assert!(matches!(
        again,
        ClientError::Machine {
            refusal: Refusal::Payment(_),
            sent: false
        }
    ));
    assert_eq!(server.requests().len(), 2);
    let t = client.reconcile(&mut payment).unwrap();
    assert_eq!(t.event, PaymentEvent::Reconciled);
    assert_eq!(payment.status(), PaymentStatus::PartiallyRefunded);
    assert_eq!(payment.refunded_amount().to_string(), "0.40");
    assert_eq!(gateway.lock().unwrap().applied_refund_ids().len(), 1);

    // reqwest: an ambiguous capture is reconciled, never re-sent.
    let gateway = ledger();
    let (server, _) = scripted_server(gateway.clone(), vec![Script::ApplyThenDrop]);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client =
            eximbay_async::Client::with_options(sandbox_config(&server), &reqwest_options())
                .unwrap();
        let mut payment = authorized_payment();
        let err = client.capture(&mut payment).await.unwrap_err();
        assert!(err.is_ambiguous(), "{err}");
        assert!(client.capture(&mut payment).await.is_err());
        assert_eq!(
            client.reconcile(&mut payment).await.unwrap().to,
            PaymentStatus::Captured
        );
    });
    assert_eq!(server.requests().len(), 2, "capture once, retrieve once");
    assert_eq!(gateway.lock().unwrap().payment(TID).captures_applied, 1);
}

#[test]
fn safe_failures_are_retried_by_both_clients() {
    // A decline with EM00 is retried; the second attempt succeeds.
    let gateway = ledger();
    let em00 = Arc::new(Mutex::new(true));
    let flag = em00.clone();
    let inner = gateway.clone();
    let server = LoopbackServer::start(move |req| {
        if std::mem::replace(&mut *flag.lock().unwrap(), false) {
            return status(200, r#"{"rescode":"EM00","resmsg":"server disconnected"}"#);
        }
        match inner.lock().unwrap().handle(req, Script::Answer) {
            Reply::Response(r) => Action::Respond(r),
            Reply::Lost => Action::Reset,
        }
    });
    let fast = eximbay_core::Backoff {
        initial_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_attempts: 3,
    };
    let client = eximbay_ureq::Client::with_options(sandbox_config(&server), &ureq_options())
        .unwrap()
        .with_backoff(fast);
    let mut payment = authorized_payment();
    client.capture(&mut payment).unwrap();
    assert_eq!(server.requests().len(), 2);
    assert_eq!(gateway.lock().unwrap().payment(TID).captures_applied, 1);
}

#[test]
fn any_async_client_plugs_in_with_a_closure() {
    // An "HTTP client" that is an async closure in front of the scripted gateway: the first
    // capture attempt is refused before it is written (safe), then answered.
    let gateway = ledger();
    let attempts = Arc::new(Mutex::new(0_u32));
    let (inner, counter) = (gateway.clone(), attempts.clone());
    let http = move |request: Request<Vec<u8>>| {
        let (inner, counter) = (inner.clone(), counter.clone());
        async move {
            let attempt = {
                let mut n = counter.lock().unwrap();
                *n += 1;
                *n
            };
            if attempt == 1 {
                return Err(TransportError::new(
                    TransportFailure::Connect,
                    "connection refused",
                ));
            }
            match inner.lock().unwrap().handle(&request, Script::Answer) {
                Reply::Response(response) => Ok(response),
                Reply::Lost => Err(TransportError::new(
                    TransportFailure::ResetAfterWrite,
                    "reset",
                )),
            }
        }
    };
    let slept = Arc::new(Mutex::new(Vec::new()));
    let record = slept.clone();
    let client = eximbay_core::AsyncClient::new(http, test_config(), move |delay: Duration| {
        record.lock().unwrap().push(delay);
        std::future::ready(())
    })
    .with_jitter_seed(7);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let mut payment = authorized_payment();
    let t = runtime.block_on(client.capture(&mut payment)).unwrap();
    assert_eq!(t.to, PaymentStatus::Captured);
    assert_eq!(*attempts.lock().unwrap(), 2);
    assert_eq!(
        slept.lock().unwrap().len(),
        1,
        "one backoff between the two attempts"
    );
    let t = runtime
        .block_on(client.refund_partial(&mut payment, Amount::parse("0.25").unwrap(), "r1", None))
        .unwrap();
    assert_eq!(t.to, PaymentStatus::PartiallyRefunded);
    assert_eq!(gateway.lock().unwrap().applied_refund_ids().len(), 1);
}
