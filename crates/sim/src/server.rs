//! The sandbox as a real HTTP server (hyper on tokio), and the delivery of signed callbacks.
//!
//! Built to keep answering under abuse (the figures are in `docs/sandbox.md`):
//!
//! * the accept loop survives every error (out of descriptors, say): it logs it (at most
//!   once a second), waits [`ACCEPT_BACKOFF`], and goes on accepting;
//! * a connection that does not send a whole request head within
//!   [`ServerOptions::header_read_timeout`] — after it opens, or after its last answer — is
//!   closed (hyper's header-read timer), so idle connections are reaped; a body not read
//!   within [`ServerOptions::body_read_timeout`] is answered 408;
//! * at most [`ServerOptions::max_connections`] connections are served at once
//!   ([`connections`]): one more makes the oldest idle one close;
//! * callbacks go through a bounded queue to a fixed number of workers ([`delivery`]);
//! * the sandbox lock is taken without blocking a runtime worker thread on it ([`locked`]),
//!   and held only for bounded work: pages are copied under it and serialised after it, a
//!   clock advance runs in steps of at most
//!   [`ADVANCE_STEP_CHARGES`] charges.

mod connections;
mod delivery;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};

use crate::routes::pages::ADVANCE_STEP_CHARGES;
use crate::routes::{Disposition, Handled, Locked};
use crate::sandbox::{Sandbox, SandboxConfig};
pub use connections::CLOSE_GRACE;
use connections::{Connection, Connections};
use delivery::DeliveryQueue;
pub use delivery::deliver;

/// Largest request body the sandbox reads: larger ones are refused (413) before anything
/// is parsed or locked.
const MAX_REQUEST_BYTES: usize = crate::routes::MAX_BODY_BYTES;

/// How long the accept loop waits after a failed `accept()` before trying again.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The pause between two steps of a clock advance, which lets waiting requests take the
/// lock.
pub const ADVANCE_STEP_PAUSE: Duration = Duration::from_millis(1);

/// The longest a step of a clock advance should hold the lock; steps shrink (down to one
/// charge) until they take no longer.
pub const ADVANCE_STEP_HOLD: Duration = Duration::from_millis(2);

/// How many pages (`/_sim/ledger`, `/_sim/inbox`, …) are serialised at once; more wait
/// their turn without using a thread.
pub const PAGE_WRITERS: usize = 2;

/// How many connections may wait to be accepted ([`RunningSandbox`]'s listener; the kernel
/// may cap it lower, at `net.core.somaxconn`).
pub const LISTEN_BACKLOG: u32 = 4_096;

/// Shared sandbox state.
pub type SharedSandbox = Arc<Mutex<Sandbox>>;

/// Locks the sandbox (a panic elsewhere never makes it unusable). This blocks the calling
/// thread while another holds the lock: in async code use [`locked`].
pub fn lock(sandbox: &SharedSandbox) -> MutexGuard<'_, Sandbox> {
    sandbox
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Runs `work` on the sandbox holding its lock, without blocking a runtime worker thread
/// while waiting for it: when the lock is free `work` runs at once; when it is held, the
/// wait (and `work`) moves to tokio's blocking pool. `None` if `work` panicked there.
pub async fn locked<R: Send + 'static>(
    sandbox: &SharedSandbox,
    work: impl FnOnce(&mut Sandbox) -> R + Send + 'static,
) -> Option<R> {
    match sandbox.try_lock() {
        Ok(mut guard) => return Some(work(&mut guard)),
        Err(TryLockError::Poisoned(poisoned)) => return Some(work(&mut poisoned.into_inner())),
        Err(TryLockError::WouldBlock) => {}
    }
    let sandbox = sandbox.clone();
    tokio::task::spawn_blocking(move || work(&mut lock(&sandbox)))
        .await
        .ok()
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
    /// A connection that has not sent a whole request head this long after it opened (or
    /// after its last answer) is closed: idle keep-alive connections are reaped.
    pub header_read_timeout: Duration,
    /// A request body not received whole within this is answered 408.
    pub body_read_timeout: Duration,
    /// The most connections served at once (keep it below the process's descriptor limit,
    /// `ulimit -n`, less a few dozen for callbacks).
    pub max_connections: usize,
    /// Callback delivery workers (each delivers one callback at a time).
    pub callback_workers: usize,
    /// Callbacks waiting for a worker at most; more are counted and dropped.
    pub callback_queue: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            callback_retry_delay: Duration::from_millis(200),
            callback_timeout: Duration::from_secs(5),
            log_requests: false,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            max_connections: 512,
            callback_workers: 8,
            callback_queue: 1_024,
        }
    }
}

/// The connection is dropped on purpose (apply-then-drop fault), or the request could not
/// be handled.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by a scripted fault")]
struct Dropped;

/// What one request is served with.
#[derive(Clone)]
struct Context {
    sandbox: SharedSandbox,
    front_door: crate::sandbox::FrontDoor,
    queue: DeliveryQueue,
    /// Places to serialise pages in ([`PAGE_WRITERS`]).
    page_writers: Arc<tokio::sync::Semaphore>,
    options: ServerOptions,
}

/// Serves the sandbox on a bound listener until the task is dropped. It returns only if
/// the callback client cannot be built; accept errors are logged and survived.
pub async fn serve(
    listener: tokio::net::TcpListener,
    sandbox: SharedSandbox,
    options: ServerOptions,
) -> std::io::Result<()> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(options.callback_timeout)
        .build()
        .map_err(std::io::Error::other)?;
    // Fixed when the sandbox is made: read once, so requests are parsed before the lock.
    let front_door = lock(&sandbox).front_door().clone();
    let queue = DeliveryQueue::start(
        options.callback_workers,
        options.callback_queue,
        client,
        sandbox.clone(),
        options.callback_retry_delay,
    );
    let context = Context {
        sandbox,
        front_door,
        queue,
        page_writers: Arc::new(tokio::sync::Semaphore::new(PAGE_WRITERS)),
        options,
    };
    let connections = Connections::new(context.options.max_connections);
    let mut failures = AcceptFailures::default();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(error) => {
                failures.log(&error, connections.open());
                if out_of_descriptors(&error) {
                    // Free one for the next accept: the oldest idle connection goes.
                    connections.close_one();
                }
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let Some((place, connection)) = connections.place().await else {
            continue;
        };
        let context = context.clone();
        tokio::spawn(async move {
            serve_connection(stream, connection, context).await;
            drop(place);
        });
    }
}

/// EMFILE (the process's descriptors) or ENFILE (the system's), the same numbers on Linux
/// and macOS.
fn out_of_descriptors(error: &std::io::Error) -> bool {
    matches!(error.raw_os_error(), Some(23 | 24))
}

/// Logs accept errors, at most once a second, with how many were not logged.
#[derive(Default)]
struct AcceptFailures {
    last_logged: Option<Instant>,
    unlogged: u64,
}

impl AcceptFailures {
    fn log(&mut self, error: &std::io::Error, open: usize) {
        let now = Instant::now();
        if self
            .last_logged
            .is_some_and(|at| now.duration_since(at) < Duration::from_secs(1))
        {
            self.unlogged += 1;
            return;
        }
        tracing::error!(
            %error,
            open_connections = open,
            not_logged_since_last = self.unlogged,
            "sandbox: accepting a connection failed; retrying in {} ms",
            ACCEPT_BACKOFF.as_millis()
        );
        self.last_logged = Some(now);
        self.unlogged = 0;
    }
}

/// Serves one connection until it ends, it idles past the header-read timeout, or it is
/// asked to close (then it finishes its answer within [`connections::CLOSE_GRACE`]).
async fn serve_connection(
    stream: tokio::net::TcpStream,
    connection: Arc<Connection>,
    context: Context,
) {
    let header_read_timeout = context.options.header_read_timeout;
    let on_request = connection.clone();
    let service = service_fn(move |request: hyper::Request<Incoming>| {
        // Busy from the request's first byte until hyper has written (and dropped) the
        // answer's body.
        let busy = on_request.busy();
        let context = context.clone();
        async move {
            let response = respond(request, context).await?;
            Ok::<_, Dropped>(response.map(|body| connections::Answer::new(body, busy)))
        }
    });
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let served = builder.serve_connection(TokioIo::new(stream), service);
    tokio::pin!(served);
    // Errors are dropped connections (scripted, by the peer, or timed out).
    tokio::select! {
        _ = served.as_mut() => {}
        () = connection.asked_to_close() => {
            // Idle (nothing read of a request, or a head not finished): closed at once.
            // Busy: hyper's graceful shutdown lets it finish its answer, for a while.
            if connection.is_busy() {
                served.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(connections::CLOSE_GRACE, served.as_mut()).await;
            }
        }
    }
}
async fn respond(
    request: hyper::Request<Incoming>,
    context: Context,
) -> Result<hyper::Response<Full<Bytes>>, Dropped> {
    let (parts, body) = request.into_parts();
    let read = Limited::new(body, MAX_REQUEST_BYTES).collect();
    let body = match tokio::time::timeout(context.options.body_read_timeout, read).await {
        Ok(Ok(collected)) => collected.to_bytes().to_vec(),
        Ok(Err(_)) => {
            return Ok(plain(
                http::StatusCode::PAYLOAD_TOO_LARGE,
                "request too large",
            ));
        }
        Err(_) => {
            return Ok(plain(
                http::StatusCode::REQUEST_TIMEOUT,
                "request body too slow",
            ));
        }
    };
    let request = http::Request::from_parts(parts, body);
    let started = Instant::now();
    // Authentication, parsing and fgkey checks happen here, before the lock; only the
    // state change (and the scripted fault it may meet) is done holding it.
    let prepared = crate::routes::prepare(&context.front_door, &request);
    // A hundred page readers at once would otherwise be a hundred copies queued for the
    // lock and a hundred threads serialising on two cores, and a cheap request would wait
    // for a turn among them: pages are copied and written [`PAGE_WRITERS`] at a time.
    let _page_place = if prepared.is_page_read() {
        Some(context.page_writers.acquire().await.map_err(|_| Dropped)?)
    } else {
        None
    };
    let queue = context.queue.clone();
    let (request, answer) = locked(&context.sandbox, move |sandbox| {
        let mut answer = sandbox.handle_locked(&request, prepared);
        if let Locked::Done(handled) = &mut answer {
            queue.enqueue(
                std::mem::take(&mut handled.callbacks),
                &mut sandbox.deliveries,
            );
        }
        (request, answer)
    })
    .await
    .ok_or(Dropped)?;
    let handled = match answer {
        Locked::Done(handled) => handled,
        // Serialised after the lock, and off the runtime's workers (a page of a thousand
        // payments takes milliseconds).
        Locked::Page(page) => tokio::task::spawn_blocking(move || page.into_handled())
            .await
            .map_err(|_| Dropped)?,
        Locked::Advance(run) => advance(run, &context).await?,
    };
    if context.options.log_requests {
        log_request(&request, &handled, started.elapsed());
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

/// Runs a clock advance in steps of at most [`ADVANCE_STEP_CHARGES`] charges, each holding
/// the lock and handing its callbacks to the delivery queue, so requests are served
/// between steps; then answers with the clock.
async fn advance(
    mut run: crate::routes::pages::ClockRun,
    context: &Context,
) -> Result<Handled, Dropped> {
    // Charges per step: halved while a step holds the lock longer than
    // [`ADVANCE_STEP_HOLD`] (a slow build, a busy machine), grown back when it is quick.
    let mut charges = ADVANCE_STEP_CHARGES;
    loop {
        let queue = context.queue.clone();
        let (back, done, held) = locked(&context.sandbox, move |sandbox| {
            let started = Instant::now();
            let (callbacks, done) = run.step(sandbox, charges);
            queue.enqueue(callbacks, &mut sandbox.deliveries);
            (run, done, started.elapsed())
        })
        .await
        .ok_or(Dropped)?;
        run = back;
        if done {
            break;
        }
        if held > ADVANCE_STEP_HOLD {
            charges = (charges / 2).max(1);
        } else if held < ADVANCE_STEP_HOLD / 2 {
            charges = (charges * 2).min(ADVANCE_STEP_CHARGES);
        }
        // The lock is not fair: re-taken at once, it could go to this advance every time
        // while a request waits. A pause lets the waiters have it.
        tokio::time::sleep(ADVANCE_STEP_PAUSE).await;
    }
    locked(&context.sandbox, move |sandbox| {
        run.answer(sandbox, Vec::new())
    })
    .await
    .ok_or(Dropped)
}

fn plain(status: http::StatusCode, text: &'static str) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

/// One line per request: what was asked, what was answered (the rescode, never a body).
fn log_request(request: &http::Request<Vec<u8>>, handled: &Handled, took: Duration) {
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
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let listener = {
            let _in_runtime = runtime.enter();
            let socket = if addr.is_ipv4() {
                tokio::net::TcpSocket::new_v4()?
            } else {
                tokio::net::TcpSocket::new_v6()?
            };
            socket.set_reuseaddr(true)?;
            socket.bind(addr)?;
            // A long queue of connections waiting to be accepted: a burst of connections
            // (or of attackers) does not make the kernel drop a newcomer's SYN, which the
            // client would only retry a second later.
            socket.listen(LISTEN_BACKLOG)?
        };
        let addr = listener.local_addr()?;
        let sandbox: SharedSandbox = Arc::new(Mutex::new(Sandbox::new(cfg)));
        let shared = sandbox.clone();
        std::thread::Builder::new()
            .name("eximbay-sim".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Err(error) = serve(listener, shared, options).await {
                        tracing::error!(%error, "sandbox server stopped");
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
