//! What both adapters log and trace: the Authorization header is sensitive and never
//! logged; each HTTP request of a call is an `eximbay.attempt` span with the OpenTelemetry
//! HTTP-client attributes.

use super::*;

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
