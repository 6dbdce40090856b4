//! What a new user meets first with the `eximbay` command: the same refund ids and full
//! refunds as the library, forgiving but strict input, timeouts and a verbose trace, error
//! messages a person can act on, and live keys kept away from other hosts.

use std::process::Command;

use eximbay_core::{RefundId, TransactionId};
use eximbay_sim::{DEFAULT_API_KEY, DEFAULT_MID};
use eximbay_sim::{Fault, FaultKind};

use crate::support::*;

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn payment_args<'a>(
    tid: &'a str,
    order: &'a str,
    currency: &'a str,
    amount: &'a str,
) -> Vec<&'a str> {
    vec![
        "--transaction-id",
        tid,
        "--order-id",
        order,
        "--currency",
        currency,
        "--amount",
        amount,
    ]
}

#[test]
fn refunds_take_the_librarys_path() {
    let sandbox = sandbox();
    let base = sandbox.base_url();
    let tid = new_payment(&sandbox, "FH-1", "10.00");
    let payment = payment_args(&tid, "FH-1", "USD", "10.00");
    assert_eq!(
        code(&eximbay(
            Some(&base),
            &[&["capture"], &payment[..]].concat(),
            None
        )),
        0
    );

    // --refund-key derives the refund id exactly as the library does.
    let refund = |extra: &[&str]| {
        eximbay(
            Some(&base),
            &[&["refund"], &payment[..], extra].concat(),
            None,
        )
    };
    let out = refund(&[
        "--balance",
        "10.00",
        "--partial",
        "4.00",
        "--refund-key",
        "ticket-1",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let derived = RefundId::derive(&TransactionId::new(tid.clone()), "ticket-1");
    assert_eq!(
        json(&out)["response"]["refund"]["refund_id"],
        derived.as_str()
    );
    assert!(
        sandbox
            .sandbox()
            .ledger
            .payment(&tid)
            .unwrap()
            .refunds
            .contains_key(derived.as_str())
    );

    // --full after a partial refund: a P for the balance, as the library's refund_full.
    let out = refund(&["--balance", "6.00", "--full", "--refund-key", "ticket-2"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["state"], "Refunded");
    assert_eq!(json(&out)["response"]["refund"]["refund_amount"], "6.00");
    let ledger = sandbox.sandbox().ledger.payment(&tid).unwrap().clone();
    assert_eq!(ledger.refunded.to_string(), "10.00");

    // One of --refund-key / --refund-id is required: nothing is sent without it.
    let out = refund(&["--balance", "0.01", "--partial", "0.01"]);
    assert_eq!(code(&out), 2);
    assert_eq!(
        sandbox
            .sandbox()
            .ledger
            .payment(&tid)
            .unwrap()
            .refunds
            .len(),
        2
    );
}

#[test]
fn input_is_forgiving_where_it_is_safe_and_strict_where_it_is_not() {
    let sandbox = sandbox();
    let base = sandbox.base_url();

    // Lower-case currencies are read; a zero fraction on KRW is whole, and sent whole.
    let new = serde_json::from_value(
        serde_json::json!({"order_id": "FH-K", "currency": "KRW", "amount": "10000"}),
    )
    .unwrap();
    let tid = sandbox
        .sandbox()
        .create_payment(new)
        .unwrap()
        .0
        .transaction_id;
    let out = eximbay(
        Some(&base),
        &[
            &["capture"],
            &payment_args(&tid, "FH-K", "krw", "10000.00")[..],
        ]
        .concat(),
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        sandbox
            .sandbox()
            .ledger
            .payment(&tid)
            .unwrap()
            .captures_applied,
        1
    );

    // Refused before sending, with a message that says why (exit 2).
    let tid_usd = new_payment(&sandbox, "FH-U", "10.00");
    for (currency, amount, expected) in [
        ("XYZ", "10.00", "not a currency"),
        ("USD", "-5", "greater than zero"),
        ("USD", "-5.00", "greater than zero"),
        ("KRW", "10000.50", "no minor unit"),
        ("USD", "1,000", "plain decimal"),
    ] {
        let out = eximbay(
            Some(&base),
            &[
                &["capture"],
                &payment_args(&tid_usd, "FH-U", currency, amount)[..],
            ]
            .concat(),
            None,
        );
        assert_eq!(code(&out), 2, "{currency} {amount}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{currency} {amount}: {}",
            stderr(&out)
        );
    }
    // A negative refund amount reaches the same check.
    let out = eximbay(
        Some(&base),
        &[
            &["refund"],
            &payment_args(&tid_usd, "FH-U", "usd", "10.00")[..],
            &["--balance", "10.00", "--partial", "-1", "--refund-key", "k"],
        ]
        .concat(),
        None,
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--partial -1: an amount must be greater than zero"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        sandbox
            .sandbox()
            .ledger
            .payment(&tid_usd)
            .unwrap()
            .captures_applied,
        0
    );
}

#[test]
fn timeout_and_verbose() {
    let sandbox = sandbox();
    let base = sandbox.base_url();
    let tid = new_payment(&sandbox, "FH-T", "10.00");
    let capture = [
        &["capture"],
        &payment_args(&tid, "FH-T", "USD", "10.00")[..],
    ]
    .concat();
    sandbox.sandbox().add_fault(Fault {
        path_contains: "/capture".into(),
        count: 1,
        kind: FaultKind::Delay { ms: 2_000 },
    });
    let started = std::time::Instant::now();
    let out = eximbay(
        Some(&base),
        &[&["--timeout", "300ms"], &capture[..]].concat(),
        None,
    );
    assert!(started.elapsed() < std::time::Duration::from_millis(1_800));
    assert_eq!(code(&out), 4, "{}", stderr(&out));
    let message = stderr(&out);
    assert!(
        message.contains("no answer in time after the request was sent"),
        "{message}"
    );
    assert!(
        !message.contains("ReadTimeout") && !message.contains("global"),
        "{message}"
    );

    // --verbose: the request line, status, latency and rescode; never a body or a key.
    let out = eximbay(
        Some(&base),
        &[
            &["--verbose", "retrieve"],
            &payment_args(&tid, "FH-T", "USD", "10.00")[..],
        ]
        .concat(),
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let trace = stderr(&out);
    assert!(
        trace.contains(&format!(
            "eximbay: POST {base}/v1/payments/retrieve → HTTP 200 in "
        )),
        "{trace}"
    );
    assert!(trace.contains("rescode 0000"), "{trace}");
    for secret in [DEFAULT_API_KEY, "dGVzdF8", "order_id", "balance"] {
        assert!(!trace.contains(secret), "{secret} in {trace}");
    }
    for bad in ["0", "fast", "1.2345s", "-1s"] {
        let out = eximbay(
            Some(&base),
            &[&["--timeout", bad], &capture[..]].concat(),
            None,
        );
        assert_eq!(code(&out), 2, "{bad}");
    }
}

#[test]
fn an_html_error_page_is_summed_up_not_echoed() {
    let sandbox = sandbox();
    let base = sandbox.base_url();
    let tid = new_payment(&sandbox, "FH-H", "10.00");
    sandbox.sandbox().add_fault(Fault {
        path_contains: "/capture".into(),
        count: 1,
        kind: FaultKind::Html502,
    });
    let out = eximbay(
        Some(&base),
        &[
            &["capture"],
            &payment_args(&tid, "FH-H", "USD", "10.00")[..],
        ]
        .concat(),
        None,
    );
    assert_eq!(code(&out), 4);
    let message = stderr(&out);
    assert!(message.contains("HTTP 502 (text/html)"), "{message}");
    assert!(!message.contains("</html>"), "{message}");
    assert!(
        message.lines().count() == 1 && message.len() < 400,
        "{message}"
    );
}

#[test]
fn a_live_key_never_leaves_for_a_custom_host_unless_asked() {
    let sandbox = sandbox();
    let base = sandbox.base_url();
    let live = "live_1849705C642C217E0B2D";
    let run = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_eximbay"))
            .args(["--base-url", &base])
            .args(extra)
            .args([
                "retrieve",
                "--transaction-id",
                "1849705C6420260101000001",
                "--currency",
                "USD",
                "--amount",
                "1.00",
            ])
            .env("EXIMBAY_MID", DEFAULT_MID)
            .env("EXIMBAY_API_KEY", live)
            .output()
            .unwrap()
    };
    let requests_before = sandbox.sandbox().deliveries.len();
    let out = run(&[]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("allow_live_key_to_custom_host"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("1849705C642C217E0B2D"));
    // Opted in by name: it is sent (and this sandbox, which knows only its test key,
    // rejects it: EC1000, exit 6).
    let out = run(&["--allow-live-key-to-custom-host"]);
    assert_eq!(code(&out), 6, "{}", stderr(&out));
    assert_eq!(json(&out)["rescode"], "EC1000");
    assert_eq!(sandbox.sandbox().deliveries.len(), requests_before);
}

#[test]
fn the_sandbox_logs_each_request_and_refuses_a_clock_going_back() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_eximbay"))
        .args(["sim", "--addr", "127.0.0.1:0"])
        .env_remove("EXIMBAY_MID")
        .env_remove("EXIMBAY_API_KEY")
        .env_remove("EXIMBAY_SECRET_KEY")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    let base = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .to_owned();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let back = agent
        .post(format!("{base}/_sim/clock"))
        .send(r#"{"advance_days": -3}"#)
        .unwrap();
    assert_eq!(back.status(), 400);
    let retrieve = agent
        .post(format!("{base}/v1/payments/retrieve"))
        .header("content-type", "application/json")
        .send("{}")
        .unwrap();
    assert_eq!(retrieve.status(), 200);
    let clock_line = lines.next().unwrap().unwrap();
    let retrieve_line = lines.next().unwrap().unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert!(
        clock_line.starts_with("sim: POST /_sim/clock → 400"),
        "{clock_line}"
    );
    assert!(
        retrieve_line.starts_with("sim: POST /v1/payments/retrieve → 200 rescode EC1000"),
        "{retrieve_line}"
    );
    assert!(retrieve_line.ends_with(" µs"), "{retrieve_line}");
}

#[test]
fn the_demo_can_keep_the_sandbox_up_for_a_person() {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(env!("CARGO_BIN_EXE_eximbay"))
        .args(["demo", "--serve"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .map_while(Result::ok)
        .find_map(|line| {
            line.split_whitespace()
                .find(|w| w.ends_with("/_sim/checkout"))
                .map(str::to_owned)
        })
        .expect("the demo prints the checkout URL");
    let mut page = ureq::get(&url).call().unwrap();
    let html = page.body_mut().read_to_string().unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert!(html.contains("/Gateway/BasicProcessor.krp"), "{html}");
    assert!(html.contains("name=\"fgkey\""), "{html}");
}

/// A command's help shows what that command needs first; the options every command shares
/// come after, under one heading.
#[test]
fn a_commands_help_shows_its_own_options_before_the_shared_ones() {
    for command in ["capture", "refund", "retrieve", "confirm"] {
        let out = eximbay(None, &[command, "--help"], None);
        assert_eq!(code(&out), 0);
        let help = String::from_utf8_lossy(&out.stdout);
        let own = help.find("--order-id").expect("its own options");
        let heading = help
            .find("Gateway options (shared by every command")
            .expect("the shared options' heading");
        let shared = help.find("--base-url").expect("the shared options");
        assert!(own < heading && heading < shared, "{command}:\n{help}");
    }
}

#[test]
fn the_demo_runs_from_start_to_end() {
    let out = Command::new(env!("CARGO_BIN_EXE_eximbay"))
        .arg("demo")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        code(&out),
        0,
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for expected in [
        "Authorized → Captured",
        "Captured → PartiallyRefunded",
        "NeedsReconcile",
        "PartiallyRefunded → Refunded",
        "Retrying",
        "Terminated { reason: ByMerchant }",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
}
