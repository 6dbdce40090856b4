//! `eximbay sim` under abuse: with few descriptors, connections beyond them make `accept()`
//! fail; the sandbox says so on stderr (its `tracing` errors reach the terminal) and keeps
//! serving once they close.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[test]
fn the_sandbox_reports_failed_accepts_on_stderr_and_keeps_serving() {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg("ulimit -n 48 && exec \"$0\" sim --addr 127.0.0.1:0")
        .arg(env!("CARGO_BIN_EXE_eximbay"))
        .env_remove("EXIMBAY_MID")
        .env_remove("EXIMBAY_API_KEY")
        .env_remove("EXIMBAY_SECRET_KEY")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (lines_tx, lines) = mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    let banner = lines.recv_timeout(Duration::from_secs(10)).unwrap();
    let addr = banner
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap()
        .to_owned();
    // More connections than the sandbox has descriptors for: they wait in the listen
    // queue, and accepting them fails.
    let held: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    let reported = std::iter::from_fn(|| lines.recv_timeout(Duration::from_secs(5)).ok())
        .find(|line| line.contains("accepting a connection failed"));
    drop(held);
    std::thread::sleep(Duration::from_millis(300));
    let answer = ureq::get(format!("http://{addr}/_sim/clock")).call();
    let _ = child.kill();
    let _ = child.wait();
    let reported = reported.expect("the failed accepts are reported on stderr");
    assert!(reported.contains("ERROR"), "{reported}");
    assert!(reported.contains("Too many open files"), "{reported}");
    assert_eq!(answer.unwrap().status(), 200, "served again afterwards");
}
