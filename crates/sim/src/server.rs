//! The sandbox as a real HTTP server (hyper on tokio), and the delivery of signed callbacks.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

use crate::callbacks::{CALLBACK_ATTEMPTS, Callback, Delivery};
use crate::routes::Disposition;
use crate::sandbox::{Sandbox, SandboxConfig};

/// Largest request body the sandbox reads: larger ones are refused (413) before anything
/// is parsed or locked.
pub const MAX_REQUEST_BYTES: usize = crate::routes::MAX_BODY_BYTES;

/// Shared sandbox state.
pub type SharedSandbox = Arc<Mutex<Sandbox>>;

/// Locks the sandbox (a panic elsewhere never makes it unusable).
pub fn lock(sandbox: &SharedSandbox) -> MutexGuard<'_, Sandbox> {
    sandbox
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// How the server behaves.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Pause between callback delivery attempts.
    pub callback_retry_delay: Duration,
    /// Timeout of one callback delivery.
    pub callback_timeout: Duration,
    /// Print one line per request on stderr: method, path, status, rescode, time taken.
    pub log_requests: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            callback_retry_delay: Duration::from_millis(200),
            callback_timeout: Duration::from_secs(5),
            log_requests: false,
        }
    }
}

/// The connection is dropped on purpose (apply-then-drop fault).
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by a scripted fault")]
struct Dropped;

/// Serves the sandbox on a bound listener until the task is dropped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    sandbox: SharedSandbox,
    options: ServerOptions,
) -> std::io::Result<()> {
    let callbacks = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(options.callback_timeout)
        .build()
        .map_err(std::io::Error::other)?;
    // Fixed when the sandbox is made: read once, so requests are parsed before the lock.
    let front_door = lock(&sandbox).front_door().clone();
    loop {
        let (stream, _) = listener.accept().await?;
        let sandbox = sandbox.clone();
        let front_door = front_door.clone();
        let callbacks = callbacks.clone();
        let options = options.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<Incoming>| {
                let sandbox = sandbox.clone();
                let callbacks = callbacks.clone();
                let options = options.clone();
                let front_door = front_door.clone();
                async move { respond(request, &front_door, sandbox, callbacks, options).await }
            });
            // Errors here are dropped connections (scripted or by the peer).
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn respond(
    request: hyper::Request<Incoming>,
    front_door: &crate::sandbox::FrontDoor,
    sandbox: SharedSandbox,
    client: reqwest::Client,
    options: ServerOptions,
) -> Result<hyper::Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => {
            let mut too_large =
                hyper::Response::new(Full::new(Bytes::from_static(b"request too large")));
            *too_large.status_mut() = http::StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(too_large);
        }
    };
    let request = http::Request::from_parts(parts, body);
    let started = std::time::Instant::now();
    // Authentication, parsing and fgkey checks happen here, before the lock; only the
    // state change (and the scripted fault it may meet) is done holding it.
    let prepared = crate::routes::prepare(front_door, &request);
    let handled = lock(&sandbox).handle_prepared(&request, prepared);
    if options.log_requests {
        log_request(&request, &handled, started.elapsed());
    }
    for callback in handled.callbacks {
        tokio::spawn(deliver(
            callback,
            client.clone(),
            sandbox.clone(),
            options.callback_retry_delay,
        ));
    }
    let (parts, body) = handled.response.into_parts();
    let response = hyper::Response::from_parts(parts, Full::new(Bytes::from(body)));
    match handled.disposition {
        Disposition::Respond => Ok(response),
        Disposition::Delay(delay) => {
            tokio::time::sleep(delay).await;
            Ok(response)
        }
        Disposition::Drop => Err(Dropped),
    }
}

/// One line per request: what was asked, what was answered (the rescode, never a body).
fn log_request(request: &http::Request<Vec<u8>>, handled: &crate::routes::Handled, took: Duration) {
    let body = handled.response.body();
    let rescode = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("rescode").and_then(|c| c.as_str()).map(str::to_owned))
        .or_else(|| {
            form_urlencoded::parse(body.trim_ascii())
                .find(|(k, _)| k == "rescode")
                .map(|(_, v)| v.into_owned())
        });
    let disposition = match handled.disposition {
        Disposition::Respond => String::new(),
        Disposition::Delay(delay) => format!(", delayed {} ms (fault)", delay.as_millis()),
        Disposition::Drop => ", connection dropped (fault)".to_owned(),
    };
    eprintln!(
        "sim: {} {} → {}{}{disposition} in {} µs",
        request.method(),
        request.uri().path(),
        handled.response.status().as_u16(),
        rescode.map(|c| format!(" rescode {c}")).unwrap_or_default(),
        took.as_micros()
    );
}

/// POSTs a signed callback until the merchant acknowledges it (`rescode=0000`), at most
/// [`CALLBACK_ATTEMPTS`] times, logging every attempt in the sandbox.
pub async fn deliver(
    callback: Callback,
    client: reqwest::Client,
    sandbox: SharedSandbox,
    retry_delay: Duration,
) {
    for attempt in 1..=CALLBACK_ATTEMPTS {
        let sent = client
            .post(&callback.url)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(callback.body.clone())
            .send()
            .await;
        let acknowledged = match sent {
            Ok(response) if response.status().is_success() => response
                .text()
                .await
                .is_ok_and(|text| text.contains("rescode=0000")),
            _ => false,
        };
        lock(&sandbox).deliveries.push(Delivery {
            url: callback.url.clone(),
            transaction_id: callback.transaction_id.clone(),
            attempt,
            acknowledged,
        });
        if acknowledged {
            return;
        }
        tokio::time::sleep(retry_delay).await;
    }
}

/// A sandbox running on its own thread (with its own tokio runtime), for tests, the demo
/// and synchronous programs. It stops when the process ends.
#[derive(Debug, Clone)]
pub struct RunningSandbox {
    addr: SocketAddr,
    sandbox: SharedSandbox,
}

impl RunningSandbox {
    /// Starts a sandbox on `addr` (use port 0 for a free port).
    pub fn start(
        cfg: SandboxConfig,
        addr: SocketAddr,
        options: ServerOptions,
    ) -> std::io::Result<Self> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let sandbox: SharedSandbox = Arc::new(Mutex::new(Sandbox::new(cfg)));
        let shared = sandbox.clone();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        std::thread::Builder::new()
            .name("eximbay-sim".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(listener) => {
                            if let Err(error) = serve(listener, shared, options).await {
                                tracing::error!(%error, "sandbox server stopped");
                            }
                        }
                        Err(error) => tracing::error!(%error, "sandbox listener unusable"),
                    }
                });
            })?;
        Ok(RunningSandbox { addr, sandbox })
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The sandbox state.
    pub fn sandbox(&self) -> MutexGuard<'_, Sandbox> {
        lock(&self.sandbox)
    }

    /// Waits until `condition` holds on the sandbox state, or the timeout passes.
    pub fn wait_for(&self, timeout: Duration, condition: impl Fn(&Sandbox) -> bool) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if condition(&self.sandbox()) {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}
