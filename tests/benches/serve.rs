//! The servers of the wall-clock benchmarks, each run in a process of its own (the bench
//! binary re-executes itself with `serve …`), so the measured client never pays for the
//! server and the server never pays for the client:
//!
//! * `serve fixed FILE [--close]` — answers every request `200 application/json` with the
//!   bytes of FILE; keeps connections alive unless `--close` (then every call needs a new
//!   connection, as `connection: close` tells the client);
//! * `serve floor DIR` — the HTTP floor: a bare hyper handler on the same runtime as the
//!   sandbox, answering with the status, headers and body the sandbox gave for each
//!   operation (`DIR/{capture,cancel,retrieve}.{status,headers,body}`), chosen by path;
//! * `serve sandbox IDS N` — the sandbox's own server (`eximbay_sim::serve`) with
//!   N authorized and N captured payments made beforehand; their transaction ids are
//!   written to the file IDS (`authorized TID` / `captured TID` lines).
//!
//! Each prints `http://127.0.0.1:PORT` on its first line of stdout and serves until killed.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
#![allow(dead_code)]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// A server process; killed when dropped.
pub struct ServerProcess {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
}

impl ServerProcess {
    /// Starts `current_exe serve ARGS…` and waits for its address.
    pub fn start(args: &[&str]) -> ServerProcess {
        let mut child = Command::new(std::env::current_exe().expect("the bench binary"))
            .arg("serve")
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the server process");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
            .expect("read the server's address");
        assert!(line.starts_with("http://"), "server said {line:?}");
        ServerProcess {
            child,
            base_url: line.trim().to_owned(),
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// This bench binary's arguments, without the `--bench` cargo adds.
pub fn bench_args() -> Vec<String> {
    std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect()
}

/// When this bench binary was started as `… serve MODE …` (by [`ServerProcess::start`]),
/// serves and never returns; otherwise returns, and the bench runs.
pub fn serve_if_asked() {
    let args = bench_args();
    if let Some(("serve", rest)) = args.split_first().map(|(f, r)| (f.as_str(), r)) {
        serve_main(rest);
    }
}

/// Runs the `serve` mode named by `args` (never returns).
fn serve_main(args: &[String]) -> ! {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let result: std::io::Result<()> = runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = format!("http://{}", listener.local_addr()?);
        match args {
            [mode, file, rest @ ..] if mode == "fixed" => {
                let body = Bytes::from(std::fs::read(file)?);
                let keep_alive = !rest.iter().any(|a| a == "--close");
                announce(&address);
                serve_fixed(listener, keep_alive, move |_| {
                    canned(200, &[], body.clone())
                })
                .await
            }
            [mode, dir] if mode == "floor" => {
                let answers = Arc::new(FloorAnswers::read(Path::new(dir))?);
                announce(&address);
                serve_fixed(listener, true, move |path| answers.for_path(path)).await
            }
            [mode, ids, n] if mode == "sandbox" => {
                let n: usize = n.parse().map_err(std::io::Error::other)?;
                let (sandbox, ids_text) = preloaded_sandbox(n)?;
                std::fs::write(ids, ids_text)?;
                announce(&address);
                eximbay_sim::serve(
                    listener,
                    Arc::new(Mutex::new(sandbox)),
                    eximbay_sim::ServerOptions::default(),
                )
                .await
            }
            other => Err(std::io::Error::other(format!(
                "unknown serve mode {other:?}"
            ))),
        }
    });
    if let Err(error) = result {
        eprintln!("serve: {error}");
    }
    std::process::exit(1)
}

fn announce(address: &str) {
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{address}");
    let _ = out.flush();
}

fn canned(status: u16, headers: &[(String, String)], body: Bytes) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(body));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    if headers.is_empty() {
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
    }
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::try_from(name.as_str()),
            http::HeaderValue::try_from(value.as_str()),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// The same accept loop and connection builder as the sandbox's server, with a handler
/// that reads the request body and answers with what `answer` gives for the path.
async fn serve_fixed(
    listener: tokio::net::TcpListener,
    keep_alive: bool,
    answer: impl Fn(&str) -> hyper::Response<Full<Bytes>> + Clone + Send + Sync + 'static,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = listener.accept().await?;
        let answer = answer.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let answer = answer.clone();
                async move {
                    let path = request.uri().path().to_owned();
                    // Read the body, as the sandbox does, so both sides do the same I/O.
                    let _ = request.into_body().collect().await;
                    Ok::<_, std::convert::Infallible>(answer(&path))
                }
            });
            let _ = http1::Builder::new()
                .keep_alive(keep_alive)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// One recorded answer: operation, status, headers, body.
type Answer = (String, u16, Vec<(String, String)>, Bytes);

/// What the sandbox answered for each operation, replayed by the floor.
struct FloorAnswers {
    by_operation: Vec<Answer>,
}

impl FloorAnswers {
    fn read(dir: &Path) -> std::io::Result<Self> {
        let mut by_operation = Vec::new();
        for operation in ["capture", "cancel", "retrieve"] {
            let file = |ext: &str| dir.join(format!("{operation}.{ext}"));
            let status = std::fs::read_to_string(file("status"))?
                .trim()
                .parse()
                .map_err(std::io::Error::other)?;
            let headers = std::fs::read_to_string(file("headers"))?
                .lines()
                .filter_map(|l| l.split_once(": "))
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let body = Bytes::from(std::fs::read(file("body"))?);
            by_operation.push((operation.to_owned(), status, headers, body));
        }
        Ok(FloorAnswers { by_operation })
    }

    fn for_path(&self, path: &str) -> hyper::Response<Full<Bytes>> {
        let operation = if path.ends_with("/capture") {
            "capture"
        } else if path.ends_with("/cancel") {
            "cancel"
        } else {
            "retrieve"
        };
        match self.by_operation.iter().find(|(op, ..)| op == operation) {
            Some((_, status, headers, body)) => canned(*status, headers, body.clone()),
            None => canned(500, &[], Bytes::new()),
        }
    }
}

/// Writes what a response was, for the floor to replay.
pub fn record_answer(dir: &Path, operation: &str, response: &http::Response<Vec<u8>>) {
    let file = |ext: &str| -> PathBuf { dir.join(format!("{operation}.{ext}")) };
    std::fs::write(file("status"), response.status().as_u16().to_string()).unwrap();
    let headers: String = response
        .headers()
        .iter()
        // Framing headers are the server's own business.
        .filter(|(k, _)| !matches!(k.as_str(), "content-length" | "date" | "transfer-encoding"))
        .map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or_default()))
        .collect();
    std::fs::write(file("headers"), headers).unwrap();
    std::fs::write(file("body"), response.body()).unwrap();
}

/// A sandbox holding `n` authorized and `n` captured payments (orders `A-i` and `C-i`,
/// 100.00 USD), and their ids (`authorized TID` / `captured TID` lines).
pub fn preloaded_sandbox(n: usize) -> std::io::Result<(eximbay_sim::Sandbox, String)> {
    let mut sandbox = eximbay_sim::Sandbox::new(eximbay_sim::SandboxConfig::default());
    let mut out = String::new();
    for (kind, prefix, extra) in [
        ("authorized", "A", ""),
        ("captured", "C", r#","transaction_type":"PAYMENT""#),
    ] {
        for i in 0..n {
            let new = serde_json::from_str(&format!(
                r#"{{"order_id":"{prefix}-{i}","currency":"USD","amount":"100.00"{extra}}}"#
            ))
            .map_err(std::io::Error::other)?;
            let (payment, _, _) = sandbox.create_payment(new).map_err(std::io::Error::other)?;
            out.push_str(&format!("{kind} {}\n", payment.transaction_id));
        }
    }
    Ok((sandbox, out))
}
