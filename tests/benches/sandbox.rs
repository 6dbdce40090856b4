//! The sandbox at scale and under load, in wall-clock time.
//!
//! * **Scale** — one retrieve by `order_id` through `Sandbox::handle` (the code the server
//!   runs: authentication, parsing, the index look-up, the answer) in sandboxes holding 1k,
//!   100k and 1M payments, interleaved rounds in one process. The figure is 1M ÷ 1k: a
//!   look-up that does not grow with the ledger stays near 1.
//! * **Throughput** — requests per second at 64 kept-alive connections, the sandbox's server
//!   (its own process, `serve.rs`) against the HTTP floor: a bare hyper handler on the same
//!   runtime and connection builder, answering with the very status, headers and bytes the
//!   sandbox gave for the same operation (so the floor does everything but the sandbox's
//!   work). Retrieve asks for one payment again and again; capture and refund each take a
//!   payment of their own (made before the clock starts), so every sandbox request does the
//!   real state change. Rounds of both servers alternate; the load generator (hyper client
//!   connections on a two-thread runtime) is the same for both.
//!
//! `cargo bench -p eximbay-tests --bench sandbox` (`SECONDS` per round, default 2; `ROUNDS`,
//! default 3).
//!
//! For callgrind, `sandbox handle OPERATION N` makes N payments of each kind and then sends
//! N `retrieve` / `capture` / `cancel` requests through `Sandbox::handle`, in-process:
//! `report.py --callgrind` counts the instructions inside `handle` (everything the server
//! does but HTTP) and inside `handle_prepared` (what it does holding the sandbox lock).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod serve;
mod timing;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use eximbay_core::ops::cancel::{Cancel, RefundKind};
use eximbay_core::ops::capture::Capture;
use eximbay_core::ops::retrieve::{KeyField, Retrieve};
use eximbay_core::{Amount, Currency, Lang, Operation, OrderId, RefundId, TransactionId};
use eximbay_tests::test_config;
use http_body_util::{BodyExt, Full};
use timing::Row;

const CONNECTIONS: usize = 64;
/// A request rate above any measured here (the floor peaks near 90,000/s on two cores):
/// the load server holds this many payments of each kind per second of timed load, so
/// captures and refunds never run out mid-round (a round that does is refused, not
/// counted).
const MAX_RATE: usize = 120_000;

fn hundred() -> Amount {
    Amount::parse("100.00").unwrap()
}

fn retrieve(order_id: &str) -> http::Request<Vec<u8>> {
    let op = Retrieve {
        key_field: KeyField::OrderId,
        order_id: OrderId::new(order_id),
        transaction_id: None,
        currency: Currency::Usd,
        amount: hundred(),
        lang: Lang::En,
    };
    op.to_http(&test_config()).unwrap()
}

fn capture(i: usize, tid: &str) -> http::Request<Vec<u8>> {
    let op = Capture {
        transaction_id: TransactionId::new(tid),
        order_id: OrderId::new(format!("A-{i}")),
        currency: Currency::Usd,
        amount: hundred(),
        lang: Lang::En,
    };
    op.to_http(&test_config()).unwrap()
}

fn refund(i: usize, tid: &str) -> http::Request<Vec<u8>> {
    let transaction_id = TransactionId::new(tid);
    let refund_id = RefundId::derive(&transaction_id, "bench");
    let op = Cancel::new(
        transaction_id,
        OrderId::new(format!("C-{i}")),
        Currency::Usd,
        hundred(),
        hundred(),
        RefundKind::Full,
        refund_id,
        Lang::En,
    );
    op.to_http(&test_config()).unwrap()
}

/// The operations the throughput and in-process figures measure.
const OPERATIONS: [&str; 3] = ["retrieve", "capture", "cancel"];

/// The requests of one operation against a sandbox preloaded with the payments `ids` lists
/// (`serve::preloaded_sandbox`): retrieve asks for one payment (send it again and again);
/// capture and cancel take one payment each, authorized and captured ones respectively.
fn requests_of(operation: &str, ids: &str) -> Vec<http::Request<Vec<u8>>> {
    let of_kind = |kind: &'static str| {
        ids.lines()
            .filter_map(move |l| l.strip_prefix(kind))
            .map(str::trim)
            .enumerate()
    };
    match operation {
        "retrieve" => vec![retrieve("C-7")],
        "capture" => of_kind("authorized ").map(|(i, t)| capture(i, t)).collect(),
        "cancel" => of_kind("captured ").map(|(i, t)| refund(i, t)).collect(),
        other => panic!("unknown operation {other}"),
    }
}

/// A sandbox holding `n` authorized payments, orders `A-0` … `A-{n-1}`.
fn sandbox_with(n: usize) -> eximbay_sim::Sandbox {
    let mut sandbox = eximbay_sim::Sandbox::new(eximbay_sim::SandboxConfig::default());
    for i in 0..n {
        let new = serde_json::from_str(&format!(
            r#"{{"order_id":"A-{i}","currency":"USD","amount":"100.00"}}"#
        ))
        .unwrap();
        sandbox.create_payment(new).unwrap();
    }
    sandbox
}

fn scale_rows() -> Vec<Row> {
    const TARGET: f64 = 1.5;
    let sizes = [1_000, 100_000, 1_000_000];
    let mut sandboxes: Vec<(usize, eximbay_sim::Sandbox)> =
        sizes.iter().map(|&n| (n, sandbox_with(n))).collect();
    let names: Vec<String> = sizes.iter().map(|n| format!("{n} payments")).collect();
    let mut variants: Vec<timing::Variant<'_>> = sandboxes
        .iter_mut()
        .zip(&names)
        .map(|((n, sandbox), name)| {
            // A payment in the middle of the ledger.
            let request = retrieve(&format!("A-{}", *n / 2));
            let run = move |count: usize| {
                for _ in 0..count {
                    let handled = sandbox.handle(&request);
                    assert_eq!(handled.response.status(), 200);
                }
            };
            (name.as_str(), Box::new(run) as Box<dyn FnMut(usize) + '_>)
        })
        .collect();
    let samples = timing::interleaved(timing::env_or("ROUNDS", 3) * 7, 2_000, &mut variants);
    let ratio = timing::paired_ratio(&samples[2], &samples[0]);
    vec![Row {
        figure: "sandbox retrieve by order_id, 1M ÷ 1k payments".to_owned(),
        measured: format!("{ratio:.2}×"),
        target: format!("≤ {TARGET:.1}× (flat)"),
        pass: Some(ratio <= TARGET),
        detail: samples
            .iter()
            .map(|s| format!("{}: {}", s.name, s.describe()))
            .collect::<Vec<_>>()
            .join("; "),
    }]
}

/// Sends `requests[i]` for i = `next`… over 64 connections for `seconds` (with `repeat`,
/// `requests[i % len]`: the same reads again and again); returns requests per second.
/// Every answer must be a 200, and the requests must last the whole round: a round cut
/// short would measure its ramp-down with fewer than 64 connections busy.
fn load(
    runtime: &tokio::runtime::Runtime,
    base_url: &str,
    seconds: f64,
    next: &Arc<AtomicUsize>,
    (requests, repeat): (&Arc<Vec<http::Request<Vec<u8>>>>, bool),
) -> f64 {
    let authority: http::uri::Authority = base_url
        .trim_start_matches("http://")
        .parse()
        .expect("host:port");
    runtime.block_on(async {
        let started = Instant::now();
        let deadline = started + Duration::from_secs_f64(seconds);
        let done = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..CONNECTIONS {
            let (authority, next, requests, done) = (
                authority.clone(),
                next.clone(),
                requests.clone(),
                done.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let stream = tokio::net::TcpStream::connect(authority.as_str())
                    .await
                    .unwrap();
                stream.set_nodelay(true).unwrap();
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake::<_, Full<Bytes>>(
                        hyper_util::rt::TokioIo::new(stream),
                    )
                    .await
                    .unwrap();
                tokio::spawn(connection);
                while Instant::now() < deadline {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let i = if repeat { i % requests.len() } else { i };
                    let template = requests.get(i).unwrap_or_else(|| {
                        panic!(
                            "the {} prepared requests ran out before the round's end: raise MAX_RATE",
                            requests.len()
                        )
                    });
                    let mut request = http::Request::builder()
                        .method(template.method())
                        .uri(template.uri().path())
                        .header(http::header::HOST, authority.as_str());
                    for (name, value) in template.headers() {
                        request = request.header(name, value);
                    }
                    let request = request
                        .body(Full::new(Bytes::copy_from_slice(template.body())))
                        .unwrap();
                    let response = sender.send_request(request).await.unwrap();
                    let status = response.status();
                    let body = response.into_body().collect().await.unwrap().to_bytes();
                    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
    })
}

fn throughput_rows() -> Vec<Row> {
    const TARGET: f64 = 0.90;
    let (seconds, rounds) = (
        timing::env_or("SECONDS", 2) as f64,
        timing::env_or("ROUNDS", 3),
    );
    // Captures and refunds take a payment each; the sandbox's rounds draw on one supply.
    let preloaded = (MAX_RATE as f64 * seconds * rounds as f64) as usize + 1;
    let dir = std::env::temp_dir().join(format!("eximbay-bench-floor-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ids_file = dir.join("ids");
    let sandbox = serve::ServerProcess::start(&[
        "sandbox",
        ids_file.to_str().unwrap(),
        &preloaded.to_string(),
    ]);
    let ids = std::fs::read_to_string(&ids_file).unwrap();
    let to_sandbox = |mut request: http::Request<Vec<u8>>| {
        let path = request.uri().path().to_owned();
        *request.uri_mut() = format!("{}{path}", sandbox.base_url).parse().unwrap();
        request
    };
    let operations: Vec<(&str, Vec<http::Request<Vec<u8>>>)> = OPERATIONS
        .iter()
        .map(|&name| (name, requests_of(name, &ids)))
        .collect();
    // What the sandbox answers to each operation, recorded with its first request, is what
    // the floor replays.
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for (name, requests) in &operations {
        let mut response = agent.run(to_sandbox(requests[0].clone())).unwrap();
        let body = response.body_mut().read_to_vec().unwrap();
        let (parts, _) = response.into_parts();
        let response = http::Response::from_parts(parts, body);
        assert_eq!(response.status(), 200, "{name}");
        serve::record_answer(&dir, name, &response);
    }
    let floor = serve::ServerProcess::start(&["floor", dir.to_str().unwrap()]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut rows = Vec::new();
    for (name, requests) in operations {
        let repeat = name == "retrieve";
        let requests = Arc::new(requests);
        // Index 0 was used for the recording.
        let (sandbox_next, floor_next) =
            (Arc::new(AtomicUsize::new(1)), Arc::new(AtomicUsize::new(1)));
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            ours.push(load(
                &runtime,
                &sandbox.base_url,
                seconds,
                &sandbox_next,
                (&requests, repeat),
            ));
            floor_next.store(1, Ordering::Relaxed);
            theirs.push(load(
                &runtime,
                &floor.base_url,
                seconds,
                &floor_next,
                (&requests, repeat),
            ));
        }
        let (ours, theirs) = (timing::median(&ours), timing::median(&theirs));
        let ratio = ours / theirs;
        let label = if name == "cancel" { "refund" } else { name };
        rows.push(Row {
            figure: format!("sandbox ÷ HTTP floor, requests/s at {CONNECTIONS} connections, {label}"),
            measured: format!("{ratio:.2}"),
            target: format!("≥ {TARGET:.2}"),
            pass: Some(ratio >= TARGET),
            detail: format!("sandbox {ours:.0}/s, floor {theirs:.0}/s (median of {rounds} rounds of {seconds} s)"),
        });
    }
    let _ = std::fs::remove_dir_all(&dir);
    rows
}

/// `handle OPERATION N`: N requests of one operation through `Sandbox::handle` (for
/// callgrind; every answer must be a success).
fn handle_in_process(args: &[String]) {
    let [operation, n] = args else {
        eprintln!("usage: sandbox handle retrieve|capture|cancel N");
        std::process::exit(2);
    };
    let n: usize = n.parse().expect("N is a number");
    let (mut sandbox, ids) = serve::preloaded_sandbox(n).unwrap();
    let requests = requests_of(operation, &ids);
    // Retrieve's one request again and again; one request per payment otherwise.
    for i in 0..n {
        let handled = sandbox.handle(&requests[i % requests.len()]);
        assert!(
            handled.response.body().starts_with(br#"{"rescode":"0000""#),
            "{}",
            String::from_utf8_lossy(handled.response.body())
        );
    }
}

fn main() {
    serve::serve_if_asked();
    let args = serve::bench_args();
    if let Some(("handle", rest)) = args.split_first().map(|(f, r)| (f.as_str(), r)) {
        handle_in_process(rest);
        return;
    }
    let mut rows = scale_rows();
    rows.extend(throughput_rows());
    timing::report("sandbox", &rows);
}
