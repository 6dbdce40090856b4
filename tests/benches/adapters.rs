//! The adapters against the raw HTTP clients they wrap, in wall-clock time: interleaved
//! rounds (`timing.rs`), the server in a process of its own (`serve.rs`), over a new
//! connection per call and over a reused (kept-alive) one.
//!
//! Every variant sends the same capture request (built once by the core, cloned per call,
//! as a caller holding a request would) to the same server, which answers the integration
//! guide's capture answer, and reads the whole body into a `Vec`:
//!
//! * `raw, bare` — the client as it comes (`ureq::Agent` / `reqwest::Client` with only
//!   "do not treat 4xx/5xx as errors");
//! * `raw, same settings` — the raw client with the adapter's settings (no redirects, the
//!   connect and whole-call timeouts, the User-Agent, rustls for reqwest, the same pool) and
//!   nothing else. For reqwest this is the baseline;
//! * `raw, same settings, literal resolver` (ureq only) — the baseline for ureq: the same,
//!   plus the adapter's one change to ureq's machinery, a resolver that answers an IP-literal
//!   host directly (ureq's default resolver starts a lookup thread per call whenever a
//!   timeout is set, even for `127.0.0.1`, which the row above shows), so the ratio is the
//!   adapter's own per-call work;
//! * `adapter` — `UreqHttp::call` / `ReqwestHttp::call`: the URL check, the stage tracking
//!   (ureq), the response size limit, the latency field.
//!
//! The target is `adapter ÷ baseline`; `raw, same settings ÷ raw, bare` shows what the
//! settings themselves cost. `cargo bench -p eximbay-tests --bench adapters`
//! (`ROUNDS`, `BATCH` to change the defaults 41 × 100).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod raw_clients;
mod serve;
mod timing;

use eximbay_core::ops::capture::Capture;
use eximbay_core::{
    Amount, AsyncHttpClient, Currency, Lang, Operation, OrderId, SyncHttpClient, TransactionId,
};
use eximbay_tests::{TID, test_config};
use timing::{Row, Sample, Variant};

const SEED_CAPTURE_RESPONSE: &str = r#"{"rescode":"0000","resmsg":"Success.","mid":"1849705C64","payment":{"order_id":"20220922114007","currency":"USD","amount":"1","transaction_id":"1849705C6420220922000016","captured_date":"20220922114212","partially_cancelable ":"Y"}}"#;

fn capture_request(base_url: &str) -> http::Request<Vec<u8>> {
    let capture = Capture {
        transaction_id: TransactionId::new(TID),
        order_id: OrderId::new("20220902101716"),
        currency: Currency::Usd,
        amount: Amount::parse("1").unwrap(),
        lang: Lang::En,
    };
    let mut request = capture.to_http(&test_config()).unwrap();
    *request.uri_mut() = format!("{base_url}/v1/payments/{TID}/capture")
        .parse()
        .unwrap();
    request
}

/// Answers an IP-literal host without a lookup, as the adapter's resolver does (without
/// its stage tracking); anything else goes to ureq's default resolver.
#[derive(Debug, Default)]
struct LiteralResolver(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for LiteralResolver {
    fn resolve(
        &self,
        uri: &http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let literal = uri
            .host()
            .and_then(|host| host.parse::<std::net::IpAddr>().ok());
        match (literal, uri.port_u16()) {
            (Some(ip), Some(port)) => {
                let mut addrs = self.empty();
                addrs.push(std::net::SocketAddr::new(ip, port));
                Ok(addrs)
            }
            _ => self.0.resolve(uri, config, timeout),
        }
    }
}

fn ureq_variants<'a>(request: &'a http::Request<Vec<u8>>) -> Vec<Variant<'a>> {
    let options = eximbay_ureq::Options::default();
    let bare: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let settings = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_connect(Some(options.connect_timeout))
        .timeout_global(Some(options.call_timeout))
        .user_agent(options.user_agent.as_str())
        .build();
    let configured: ureq::Agent = settings.clone().into();
    let literal = ureq::Agent::with_parts(
        settings,
        ureq::unversioned::transport::DefaultConnector::new(),
        LiteralResolver::default(),
    );
    let adapter = eximbay_ureq::UreqHttp::new(&options);
    let raw = |agent: ureq::Agent| {
        Box::new(move |n: usize| {
            for _ in 0..n {
                let mut response = agent.run(request.clone()).unwrap();
                let body = response.body_mut().read_to_vec().unwrap();
                assert_eq!(body.len(), SEED_CAPTURE_RESPONSE.len());
            }
        }) as Box<dyn FnMut(usize) + 'a>
    };
    vec![
        ("raw, bare", raw(bare)),
        ("raw, same settings", raw(configured)),
        ("raw, same settings, literal resolver", raw(literal)),
        (
            "adapter",
            Box::new(move |n: usize| {
                for _ in 0..n {
                    let response = adapter.call(request.clone()).unwrap();
                    assert_eq!(response.body().len(), SEED_CAPTURE_RESPONSE.len());
                }
            }),
        ),
    ]
}

fn reqwest_variants<'a>(
    runtime: &'a tokio::runtime::Runtime,
    request: &'a http::Request<Vec<u8>>,
) -> Vec<Variant<'a>> {
    let options = eximbay_async::Options::default();
    let bare = reqwest::Client::new();
    let configured = raw_clients::reqwest_with_adapter_settings(&options);
    let adapter = eximbay_async::ReqwestHttp::new(&options).unwrap();
    let raw = |client: reqwest::Client| {
        Box::new(move |n: usize| {
            runtime.block_on(async {
                for _ in 0..n {
                    let request = reqwest::Request::try_from(request.clone()).unwrap();
                    let body = client.execute(request).await.unwrap().bytes().await;
                    assert_eq!(body.unwrap().len(), SEED_CAPTURE_RESPONSE.len());
                }
            })
        }) as Box<dyn FnMut(usize) + 'a>
    };
    vec![
        ("raw, bare", raw(bare)),
        ("raw, same settings", raw(configured)),
        (
            "adapter",
            Box::new(move |n: usize| {
                runtime.block_on(async {
                    for _ in 0..n {
                        let response = adapter.call(request.clone()).await.unwrap();
                        assert_eq!(response.body().len(), SEED_CAPTURE_RESPONSE.len());
                    }
                })
            }),
        ),
    ]
}

fn named<'s>(samples: &'s [Sample], name: &str) -> &'s Sample {
    samples.iter().find(|s| s.name == name).expect("a variant")
}

fn rows_for(client: &str, connection: &str, baseline: &str, samples: &[Sample]) -> Vec<Row> {
    const TARGET: f64 = 1.05;
    let (bare, configured) = (
        named(samples, "raw, bare"),
        named(samples, "raw, same settings"),
    );
    let (base, adapter) = (named(samples, baseline), named(samples, "adapter"));
    let ratio = timing::paired_ratio(adapter, base);
    let settings = timing::paired_ratio(configured, bare);
    vec![
        Row {
            figure: format!("{client} adapter ÷ raw {client} ({baseline}), {connection}"),
            measured: format!("{ratio:.2}×"),
            target: format!("≤ {TARGET:.2}×"),
            pass: Some(ratio <= TARGET),
            detail: format!(
                "adapter {} vs raw {} (median per call, min–max over rounds; the ratio is the median of per-round ratios)",
                adapter.describe(),
                base.describe()
            ),
        },
        Row {
            figure: format!("raw {client} with the adapter's settings ÷ bare, {connection}"),
            measured: format!("{settings:.2}×"),
            target: "for information".to_owned(),
            pass: None,
            detail: format!(
                "same settings {}, bare {}",
                configured.describe(),
                bare.describe()
            ),
        },
    ]
}

fn main() {
    serve::serve_if_asked();
    let (rounds, batch) = (timing::env_or("ROUNDS", 41), timing::env_or("BATCH", 100));
    let body_file = std::env::temp_dir().join(format!("eximbay-bench-{}.json", std::process::id()));
    std::fs::write(&body_file, SEED_CAPTURE_RESPONSE).unwrap();
    let body_path = body_file.to_str().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for (connection, server_args) in [
        ("new connection", vec!["fixed", body_path, "--close"]),
        ("reused connection", vec!["fixed", body_path]),
    ] {
        let server = serve::ServerProcess::start(&server_args);
        let request = capture_request(&server.base_url);
        let samples = timing::interleaved(rounds, batch, &mut ureq_variants(&request));
        rows.extend(rows_for(
            "ureq",
            connection,
            "raw, same settings, literal resolver",
            &samples,
        ));
        let samples = timing::interleaved(rounds, batch, &mut reqwest_variants(&runtime, &request));
        rows.extend(rows_for(
            "reqwest",
            connection,
            "raw, same settings",
            &samples,
        ));
    }
    let _ = std::fs::remove_file(&body_file);
    timing::report("adapters", &rows);
}
