//! The sandbox's server under abuse, over real sockets: each trigger that once stopped or
//! stalled it (idle connections past the descriptor limit, accept errors, a flood of
//! callbacks, a flood of inbox posts, many faults, concurrent ledger pages) runs while a
//! probe asks for a cheap answer (`GET /_sim/clock`, on a new connection each time) every
//! 10 ms. The probe must be answered within [`CHEAP_WAIT`] throughout, and the server must
//! accept connections afterwards. The fast versions run in CI; the issue's full sizes are
//! `#[ignore]`d, with their figures in `docs/sandbox.md` (run them with
//! `cargo test -p eximbay-tests --release --test sandbox_abuse -- --ignored --nocapture`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use eximbay_sim::{INBOX_MAX_BYTES, INBOX_MAX_ENTRIES};
use eximbay_sim::{RunningSandbox, SandboxConfig, ServerOptions};
use serde_json::{Value, json};

/// The longest a cheap request may wait while the sandbox is abused.
const CHEAP_WAIT: Duration = Duration::from_millis(100);

/// One abuse at a time in this binary: each measures waits on a machine of two cores, and
/// another running beside it would measure the machine, not the sandbox.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner())
}

fn start(options: ServerOptions) -> RunningSandbox {
    eximbay_tests::sandbox::start_sandbox(SandboxConfig::default(), options)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        // A new connection for every request: the probe measures accepting too.
        .max_idle_connections(0)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn get(sandbox: &RunningSandbox, path: &str) -> (u16, Vec<u8>) {
    let mut response = agent()
        .get(format!("{}{path}", sandbox.base_url()))
        .call()
        .unwrap();
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(64 * 1024 * 1024)
        .read_to_vec()
        .unwrap();
    (status, body)
}

fn post(sandbox: &RunningSandbox, path: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
    let mut response = agent()
        .post(format!("{}{path}", sandbox.base_url()))
        .header("content-type", content_type)
        .send(body)
        .unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn json_get(sandbox: &RunningSandbox, path: &str) -> Value {
    let (status, body) = get(sandbox, path);
    assert_eq!(status, 200, "{path}");
    serde_json::from_slice(&body).unwrap()
}

/// Asks for the clock every 10 ms until stopped; gives back the longest wait and how many
/// answers came (each must be a 200).
struct Probe {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<Duration>>,
}

impl Probe {
    fn start(sandbox: &RunningSandbox) -> Probe {
        let url = format!("{}/_sim/clock", sandbox.base_url());
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            let agent = agent();
            let mut waits = Vec::new();
            while !stopped.load(Ordering::SeqCst) {
                let started = Instant::now();
                let response = agent.get(&url).call();
                let took = started.elapsed();
                assert_eq!(response.map(|r| r.status().as_u16()).ok(), Some(200));
                waits.push(took);
                std::thread::sleep(Duration::from_millis(10));
            }
            waits
        });
        Probe { stop, thread }
    }

    /// Stops the probe; gives back the longest wait (every request was answered 200).
    fn finish(self, what: &str) -> Duration {
        self.stop.store(true, Ordering::SeqCst);
        let mut waits = self.thread.join().unwrap();
        assert!(!waits.is_empty(), "{what}: the probe never got an answer");
        waits.sort();
        let at = |share: f64| waits[((waits.len() - 1) as f64 * share) as usize];
        let worst = at(1.0);
        eprintln!(
            "{what}: {} cheap requests, waits: median {:?}, 99th percentile {:?}, worst {worst:?}",
            waits.len(),
            at(0.5),
            at(0.99),
        );
        worst
    }
}

/// Runs an abuse (which gives back the probe's longest wait) up to `attempts` times, and
/// checks that in one of them every cheap request was answered within [`CHEAP_WAIT`].
/// The machine is shared (two cores, the test's own attacking threads among the users): a
/// wait stretched once by the scheduler is noise; a sandbox that stalls, stalls every time.
fn cheap_throughout(what: &str, attempts: u32, abuse: impl Fn() -> Duration) {
    let mut waits = Vec::new();
    for _ in 0..attempts {
        let worst = abuse();
        waits.push(worst);
        if worst <= CHEAP_WAIT {
            return;
        }
    }
    panic!("{what}: a cheap request waited longer than {CHEAP_WAIT:?} in every run: {waits:?}");
}

/// The resident memory of this process, for the figures.
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

// ---- connections -----------------------------------------------------------------------

/// Opens `count` connections that never send a byte (half of them after a partial request
/// head), holds them while the probe runs, then checks the server closed them itself.
fn idle_connections(count: usize, options: ServerOptions) -> Duration {
    let _one = one_at_a_time();
    let header_timeout = options.header_read_timeout;
    let sandbox = start(options);
    let probe = Probe::start(&sandbox);
    let mut idle: Vec<TcpStream> = (0..count)
        .map(|n| {
            let mut stream = TcpStream::connect(sandbox.addr()).unwrap();
            if n % 2 == 1 {
                stream
                    .write_all(b"GET /_sim/clock HTTP/1.1\r\nHost: x\r\n")
                    .unwrap();
            }
            stream
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let worst = probe.finish(&format!("{count} idle connections"));
    // After the header-read timeout every idle connection has been closed by the server
    // (or earlier, to make room): a read sees the end of the stream, not a timeout.
    std::thread::sleep(header_timeout + Duration::from_millis(500));
    for stream in &mut idle {
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut byte = [0u8; 1];
        let read = stream.read(&mut byte);
        assert!(
            matches!(read, Ok(0))
                || read.is_err_and(|e| e.kind() != std::io::ErrorKind::WouldBlock),
            "an idle connection was left open"
        );
    }
    drop(idle);
    assert_eq!(get(&sandbox, "/_sim/clock").0, 200);
    worst
}

#[test]
fn idle_connections_beyond_the_limit_neither_lock_others_out_nor_stay_open() {
    cheap_throughout("idle connections", 3, || {
        idle_connections(
            200,
            ServerOptions {
                max_connections: 64,
                header_read_timeout: Duration::from_secs(1),
                ..ServerOptions::default()
            },
        )
    });
}

/// The issue's figure: 1,100 idle connections (more than a 1,024-descriptor process could
/// hold), against the default options.
#[test]
#[ignore = "slow: 1,100 idle connections held for the default 10 s header-read timeout"]
fn eleven_hundred_idle_connections() {
    cheap_throughout("1,100 idle connections", 1, || {
        idle_connections(1_100, ServerOptions::default())
    });
}

/// Set by [`accept_errors_do_not_stop_the_server`] for the copy of this test binary it runs
/// with few descriptors.
const FEW_DESCRIPTORS: &str = "EXIMBAY_ABUSE_FEW_DESCRIPTORS";

/// `accept()` fails with EMFILE when the process is out of descriptors. Run in a copy of
/// this binary limited to 128 descriptors (`ulimit -n`): connections are opened until the
/// process has none left, so the server's accepts fail for a while; once they are closed,
/// the server accepts again.
#[test]
fn accept_errors_do_not_stop_the_server() {
    let _one = one_at_a_time();
    let exe = std::env::current_exe().unwrap();
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 128 && exec \"$0\" --exact server::out_of_descriptors --ignored --nocapture --test-threads 1")
        .arg(exe)
        .env(FEW_DESCRIPTORS, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}\n{stderr}");
    // The failed accepts were logged, not silent.
    assert!(stderr.contains("accepting a connection failed"), "{stderr}");
}

/// Run by [`accept_errors_do_not_stop_the_server`] only.
#[test]
#[ignore = "run by accept_errors_do_not_stop_the_server, in a process with 128 descriptors"]
fn out_of_descriptors() {
    if std::env::var_os(FEW_DESCRIPTORS).is_none() {
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::WARN)
        .try_init();
    // More places than descriptors, so the descriptors run out first.
    let sandbox = start(ServerOptions {
        max_connections: 1_000,
        ..ServerOptions::default()
    });
    let mut held = Vec::new();
    let ran_out = loop {
        match TcpStream::connect(sandbox.addr()) {
            Ok(stream) => held.push(stream),
            Err(error) => break error,
        }
        assert!(held.len() < 1_000, "the descriptors never ran out");
    };
    eprintln!("ran out after {} connections: {ran_out}", held.len());
    // The server's accepts fail (and are logged) while nothing is free.
    std::thread::sleep(Duration::from_millis(300));
    drop(held);
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    assert_eq!(get(&sandbox, "/_sim/clock").0, 200);
    eprintln!("answered again in {:?}", started.elapsed());
}

// ---- callbacks -------------------------------------------------------------------------

/// `registrations` monthly registrations whose `recurringURL` refuses connections, then one
/// ten-year advance: 120 charges each, every one a callback for the bounded queue.
fn callback_flood(registrations: usize) -> Duration {
    let _one = one_at_a_time();
    let sandbox = start(ServerOptions::default());
    // A port nobody listens on: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/recurring", closed.local_addr().unwrap());
    drop(closed);
    for n in 0..registrations {
        let new = serde_json::from_value(json!({
            "order_id": format!("SUB-{n}"), "currency": "USD", "amount": "1.00",
            "transaction_type": "PAYMENT",
            "recurring": {"amount": "1.00", "url": url},
        }))
        .unwrap();
        sandbox.sandbox().create_payment(new).unwrap();
    }
    let probe = Probe::start(&sandbox);
    let started = Instant::now();
    let (status, clock) = post(
        &sandbox,
        "/_sim/clock",
        "application/json",
        br#"{"advance_days": 3652}"#,
    );
    let took = started.elapsed();
    let worst = probe.finish(&format!("{registrations} registrations advanced ten years"));
    assert_eq!(status, 200, "{clock}");
    let charges = registrations * 120;
    assert_eq!(clock["charges"], charges);
    let ledger = json_get(&sandbox, "/_sim/ledger?limit=1");
    let queued = ledger["callbacks"]["queued"].as_u64().unwrap();
    let refused = ledger["callbacks"]["refused"].as_u64().unwrap();
    eprintln!(
        "{charges} charges in {took:?}: {queued} callbacks queued, {refused} refused (queue full); RSS {:.0} MiB",
        rss_mib()
    );
    assert_eq!(queued + refused, charges as u64, "every callback counted");
    assert!(refused > 0, "the queue (1,024) overflowed and said so");
    assert!(sandbox.sandbox().deliveries.len() <= eximbay_sim::DELIVERY_HISTORY_MAX);
    assert_eq!(get(&sandbox, "/_sim/clock").0, 200);
    worst
}

#[test]
fn a_flood_of_callbacks_is_queued_bounded_and_counted() {
    cheap_throughout("a callback flood", 3, || callback_flood(50));
}

/// The issue's figure: 500 registrations, 60,000 callbacks.
#[test]
#[ignore = "slow: 60,000 charges"]
fn sixty_thousand_callbacks() {
    cheap_throughout("60,000 callbacks", 1, || callback_flood(500));
}

/// The issue's figure: 2,000 registrations, 240,000 charges in one advance.
#[test]
#[ignore = "slow: 240,000 charges"]
fn two_hundred_forty_thousand_charges() {
    cheap_throughout("240,000 charges", 1, || callback_flood(2_000));
}

// ---- the inbox -------------------------------------------------------------------------

/// `posts` notifications of 60 KB each: the inbox keeps its bounds, the ledger holds none of
/// them, and the inbox is read in pages.
fn inbox_flood(posts: usize) -> Duration {
    let _one = one_at_a_time();
    let sandbox = start(ServerOptions::default());
    let body = format!("transid=T&pad={}", "x".repeat(60_000));
    let probe = Probe::start(&sandbox);
    for _ in 0..posts {
        let (status, _) = post(
            &sandbox,
            "/_sim/inbox",
            "application/x-www-form-urlencoded",
            body.as_bytes(),
        );
        assert_eq!(status, 200);
    }
    let worst = probe.finish(&format!("{posts} inbox posts of 60 KB"));
    let (held, bytes) = {
        let s = sandbox.sandbox();
        (s.inbox.len(), s.inbox.bytes())
    };
    assert!(held <= INBOX_MAX_ENTRIES && bytes <= INBOX_MAX_BYTES);
    assert_eq!(
        held,
        INBOX_MAX_BYTES / body.len(),
        "as many as the bytes allow"
    );
    let started = Instant::now();
    let (_, one_order) = get(&sandbox, "/_sim/ledger?order_id=O-1");
    let ledger_took = started.elapsed();
    let ledger: Value = serde_json::from_slice(&one_order).unwrap();
    assert!(ledger.get("inbox").unwrap().get("entries").is_none());
    assert_eq!(ledger["inbox"]["received"], posts);
    assert_eq!(ledger["inbox"]["dropped"], posts - held);
    assert!(one_order.len() < 4_096, "{} bytes", one_order.len());
    // Paged: each page at most 1 MiB of bodies, every held entry once, in order.
    let (mut seen, mut after, mut pages) = (Vec::new(), 0u64, 0);
    loop {
        let (_, raw) = get(&sandbox, &format!("/_sim/inbox?after={after}"));
        assert!(raw.len() < 2 * 1024 * 1024, "a page of {} bytes", raw.len());
        let page: Value = serde_json::from_slice(&raw).unwrap();
        seen.extend(
            page["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_u64().unwrap()),
        );
        pages += 1;
        match page["next"].as_u64() {
            Some(next) => after = next,
            None => break,
        }
    }
    let first = (posts - held + 1) as u64;
    assert_eq!(seen, (first..=posts as u64).collect::<Vec<_>>());
    eprintln!(
        "{posts} posts: {held} kept ({bytes} bytes) in {pages} pages; a one-order ledger answer {} bytes in {ledger_took:?}; RSS {:.0} MiB",
        one_order.len(),
        rss_mib()
    );
    worst
}

#[test]
fn a_flood_of_inbox_posts_is_capped_and_paged() {
    cheap_throughout("inbox posts", 3, || inbox_flood(200));
}

/// The issue's figure: 10,000 posts of 60 KB.
#[test]
#[ignore = "slow: 600 MB of posts"]
fn ten_thousand_inbox_posts() {
    cheap_throughout("10,000 inbox posts", 1, || inbox_flood(10_000));
}

// ---- faults and ledger pages -----------------------------------------------------------

#[test]
fn faults_are_capped_and_found_by_their_fragment() {
    cheap_throughout("1,000 faults", 3, many_faults);
}

fn many_faults() -> Duration {
    let _one = one_at_a_time();
    let sandbox = start(ServerOptions::default());
    let many: Vec<Value> = (0..1_000)
        .map(|n| json!({"path_contains": format!("/nothing-{n}"), "kind": "http500"}))
        .collect();
    let (status, answer) = post(
        &sandbox,
        "/_sim/faults",
        "application/json",
        &serde_json::to_vec(&many).unwrap(),
    );
    assert_eq!((status, answer["queued"].clone()), (200, json!(1_000)));
    let (status, answer) = post(
        &sandbox,
        "/_sim/faults",
        "application/json",
        br#"{"path_contains":"/retrieve","kind":"http500"}"#,
    );
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"].as_str().unwrap().contains("1000"),
        "{answer}"
    );
    // A request with a thousand fragments to check is still cheap.
    let probe = Probe::start(&sandbox);
    for _ in 0..50 {
        let (status, _) = post(&sandbox, "/v1/payments/retrieve", "application/json", b"{}");
        assert_eq!(status, 200);
    }
    probe.finish("requests past 1,000 queued faults")
}

/// `readers` threads page through a ledger of `payments` payments, 1,000 at a time.
fn concurrent_ledger_pages(payments: usize, readers: usize) -> Duration {
    let _one = one_at_a_time();
    let sandbox = start(ServerOptions::default());
    {
        let mut s = sandbox.sandbox();
        for n in 0..payments {
            let new = serde_json::from_value(
                json!({"order_id": format!("O-{n}"), "currency": "USD", "amount": "1.00"}),
            )
            .unwrap();
            s.create_payment(new).unwrap();
        }
    }
    let probe = Probe::start(&sandbox);
    let started = Instant::now();
    let threads: Vec<_> = (0..readers)
        .map(|_| {
            let sandbox = sandbox.clone();
            std::thread::spawn(move || {
                let mut path = "/_sim/ledger".to_owned();
                let mut read = 0;
                // Read as little of each page as will do (this machine's two cores are
                // shared with the server): its size, and where the next one starts.
                loop {
                    let (status, page) = get(&sandbox, &path);
                    assert_eq!(status, 200);
                    let page = String::from_utf8(page).unwrap();
                    read += page.matches("\"captures_applied\"").count();
                    match page.rsplit_once("\"next\":\"") {
                        Some((_, rest)) => {
                            let next = rest.split('"').next().unwrap();
                            path = format!("/_sim/ledger?after={next}");
                        }
                        None => return read,
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), payments);
    }
    let took = started.elapsed();
    let worst = probe.finish(&format!("{readers} readers paging {payments} payments"));
    eprintln!(
        "{readers} × {payments} payments read in {took:?}; RSS {:.0} MiB",
        rss_mib()
    );
    worst
}

#[test]
fn ledger_pages_read_concurrently_keep_cheap_requests_cheap() {
    cheap_throughout("ledger pages", 3, || concurrent_ledger_pages(5_000, 2));
}

/// The issue's figure: 100 readers at a time over a ledger of 100,000 payments.
#[test]
#[ignore = "slow: 100 readers × 100 pages of 1,000 payments"]
fn a_hundred_readers_of_a_hundred_thousand_payments() {
    cheap_throughout("100 readers", 1, || concurrent_ledger_pages(100_000, 100));
}
