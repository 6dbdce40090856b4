//! Helpers of the CLI's tests: the `eximbay` binary run against a sandbox with the
//! sandbox's credentials, and reading its output. The sandbox itself comes from
//! `eximbay-tests`, the home of the helpers every suite shares.
#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use eximbay_sim::RunningSandbox;
use eximbay_sim::{DEFAULT_API_KEY, DEFAULT_MID, DEFAULT_SECRET_KEY};
/// A sandbox on a free port, delivering callbacks quickly (`eximbay_tests::sandbox::start`).
pub use eximbay_tests::sandbox::start as sandbox;
use serde_json::Value;

pub fn eximbay(base_url: Option<&str>, args: &[&str], stdin: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eximbay"));
    if let Some(url) = base_url {
        command.args(["--base-url", url]);
    }
    command
        .args(args)
        .env("EXIMBAY_MID", DEFAULT_MID)
        .env("EXIMBAY_API_KEY", DEFAULT_API_KEY)
        .env("EXIMBAY_SECRET_KEY", DEFAULT_SECRET_KEY)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

pub fn json(output: &Output) -> Value {
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("{e}: {text} / {}", String::from_utf8_lossy(&output.stderr)))
}

pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap()
}

pub fn new_payment(sandbox: &RunningSandbox, order: &str, amount: &str) -> String {
    let new = serde_json::from_value(
        serde_json::json!({"order_id": order, "currency": "USD", "amount": amount}),
    )
    .unwrap();
    sandbox
        .sandbox()
        .create_payment(new)
        .unwrap()
        .0
        .transaction_id
}
