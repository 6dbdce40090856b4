//! The `eximbay` binary's payment commands against the sandbox over loopback: capture,
//! refund and retrieve with their output and exit codes, transport and configuration
//! failures, currencies, no network at all, every scripted fault, and a success answer
//! about another payment — and that invalid input sends nothing.

use std::process::Command;

use eximbay_sim::{DEFAULT_API_KEY, DEFAULT_MID};
use eximbay_sim::{Fault, FaultKind};

use crate::support::*;

#[test]
fn capture_refund_retrieve_with_exit_codes() {
    let sandbox = sandbox();
    let base = sandbox.base_url();
    let tid = new_payment(&sandbox, "CLI-1", "10.00");
    let payment = [
        "--transaction-id",
        &tid,
        "--order-id",
        "CLI-1",
        "--currency",
        "USD",
        "--amount",
        "10.00",
    ];

    let out = eximbay(Some(&base), &[&["capture"], &payment[..]].concat(), None);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let captured = json(&out);
    assert_eq!(captured["state"], "Captured");
    assert_eq!(captured["response"]["partially_cancelable"], true);

    // Captured twice: the gateway rejects the request (EC*: exit 6, not a decline); the
    // rescode is in the JSON.
    let out = eximbay(Some(&base), &[&["capture"], &payment[..]].concat(), None);
    assert_eq!(code(&out), 6);
    assert_eq!(json(&out)["rescode"], "EC00");
    assert_eq!(json(&out)["outcome"], "rejected");

    let refund = [
        &["refund"],
        &payment[..],
        &[
            "--balance",
            "10.00",
            "--partial",
            "2.50",
            "--refund-id",
            "CLI-R1",
            "--reason",
            "damaged",
        ],
    ]
    .concat();
    let out = eximbay(Some(&base), &refund, None);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let refunded = json(&out);
    assert_eq!(refunded["state"], "PartiallyRefunded");
    assert_eq!(refunded["response"]["payment"]["balance"], "7.50");
    assert_eq!(refunded["response"]["foreign"]["foreign_currency"], "USD");

    // The same refund id again for another amount: whatever the gateway answers (here, the
    // original 2.50 refund), 3.00 did not go back. Never a success: outcome unknown (exit 4).
    let reused = [
        &["refund"],
        &payment[..],
        &[
            "--balance",
            "7.50",
            "--partial",
            "3.00",
            "--refund-id",
            "CLI-R1",
        ],
    ]
    .concat();
    let out = eximbay(Some(&base), &reused, None);
    assert_eq!(code(&out), 4, "{}", String::from_utf8_lossy(&out.stdout));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("\"refund_amount\":\"3.00\""));
    assert_eq!(
        sandbox
            .sandbox()
            .ledger
            .payment(&tid)
            .unwrap()
            .refunds
            .len(),
        1
    );
    assert_eq!(
        sandbox
            .sandbox()
            .ledger
            .payment(&tid)
            .unwrap()
            .refunded
            .to_string(),
        "2.50"
    );

    // Invalid input: exit 2, nothing sent.
    let before = sandbox
        .sandbox()
        .ledger
        .payment(&tid)
        .unwrap()
        .refunds
        .len();
    let bad = [
        &["refund"],
        &payment[..],
        &[
            "--balance",
            "7.50",
            "--partial",
            "1,00",
            "--refund-id",
            "CLI-R2",
        ],
    ]
    .concat();
    let out = eximbay(Some(&base), &bad, None);
    assert_eq!(code(&out), 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--partial"));
    let over = [
        &["refund"],
        &payment[..],
        &[
            "--balance",
            "7.50",
            "--partial",
            "8.00",
            "--refund-id",
            "CLI-R2",
        ],
    ]
    .concat();
    assert_eq!(code(&eximbay(Some(&base), &over, None)), 2);
    assert_eq!(
        sandbox
            .sandbox()
            .ledger
            .payment(&tid)
            .unwrap()
            .refunds
            .len(),
        before
    );

    // Apply, then drop: outcome unknown (4); retrieve shows the truth.
    sandbox.sandbox().add_fault(Fault {
        path_contains: "/cancel".into(),
        count: 1,
        kind: FaultKind::ApplyThenDrop,
    });
    let dropped = [
        &["refund"],
        &payment[..],
        &[
            "--balance",
            "7.50",
            "--partial",
            "1.00",
            "--refund-id",
            "CLI-R3",
        ],
    ]
    .concat();
    let out = eximbay(Some(&base), &dropped, None);
    assert_eq!(code(&out), 4, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["outcome"], "unknown");
    let out = eximbay(
        Some(&base),
        &[
            "retrieve",
            "--transaction-id",
            &tid,
            "--order-id",
            "CLI-1",
            "--currency",
            "USD",
            "--amount",
            "10.00",
        ],
        None,
    );
    assert_eq!(code(&out), 0);
    let retrieved = json(&out);
    assert_eq!(retrieved["state"], "PartiallyRefunded");
    assert_eq!(retrieved["response"]["balance"], "6.50");
    // By order id alone, too.
    let out = eximbay(
        Some(&base),
        &[
            "retrieve",
            "--order-id",
            "CLI-1",
            "--currency",
            "USD",
            "--amount",
            "10.00",
        ],
        None,
    );
    assert_eq!(json(&out)["response"]["transaction_id"], tid.as_str());
    // An order the gateway has no record of: the answer is printed, and the exit code (7)
    // says "no record now" rather than success.
    let out = eximbay(
        Some(&base),
        &[
            "retrieve",
            "--order-id",
            "CLI-NEVER",
            "--currency",
            "USD",
            "--amount",
            "10.00",
        ],
        None,
    );
    assert_eq!(code(&out), 7, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["state"], "NoSuchTransaction");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no record of it now"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn transport_failures_and_configuration_errors() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let closed = format!("http://127.0.0.1:{port}");
    let args = [
        "capture",
        "--transaction-id",
        "1849705C6420260101000001",
        "--order-id",
        "O",
        "--currency",
        "USD",
        "--amount",
        "1",
    ];
    let out = eximbay(Some(&closed), &args, None);
    assert_eq!(code(&out), 5, "{}", String::from_utf8_lossy(&out.stderr));

    // A live key with the test environment: refused before anything exists, key not echoed.
    let out = Command::new(env!("CARGO_BIN_EXE_eximbay"))
        .args(args)
        .env("EXIMBAY_MID", DEFAULT_MID)
        .env("EXIMBAY_API_KEY", "live_1849705C642C217E0B2D")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("live"), "{stderr}");
    assert!(!stderr.contains("1849705C642C217E0B2D"), "{stderr}");
    // Usage errors are 2 as well.
    assert_eq!(code(&eximbay(None, &["capture"], None)), 2);
}

#[test]
fn the_guides_dcc_currencies_are_accepted_and_unknown_codes_named() {
    let sandbox = sandbox();
    let base = sandbox.base_url();
    let retrieve = |currency: &str, amount: &str| {
        eximbay(
            Some(&base),
            &[
                "retrieve",
                "--order-id",
                "CLI-DCC",
                "--currency",
                currency,
                "--amount",
                amount,
            ],
            None,
        )
    };
    // Sent (the sandbox has no such order: exit 7), in any case, with the currency's decimals.
    for (currency, amount) in [
        ("myr", "10.50"),
        ("NZD", "3"),
        ("AED", "1.25"),
        ("try", "7"),
    ] {
        let out = retrieve(currency, amount);
        assert_eq!(
            code(&out),
            7,
            "{currency}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A code the core does not know the decimals of is refused before anything is sent,
    // and the message lists the known ones.
    let out = retrieve("XYZ", "1");
    assert_eq!(code(&out), 2);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("\"XYZ\"") && stderr.contains("MYR"),
        "{stderr}"
    );
}

/// With no network at all (a network namespace of its own, where the machine allows one),
/// the gateway's name cannot resolve: nothing was sent, so the capture is safe to retry
/// (exit 5), never "outcome unknown". No DNS server is asked: the namespace has no route.
#[test]
fn no_network_is_a_safe_failure() {
    let namespaces = Command::new("unshare")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !namespaces {
        eprintln!(
            "no network namespaces here; the adapters' resolver tests cover the lookup failure"
        );
        return;
    }
    let out = Command::new("unshare")
        .arg("-n")
        .arg(env!("CARGO_BIN_EXE_eximbay"))
        .args([
            "capture",
            "--transaction-id",
            "1849705C6420220922000016",
            "--order-id",
            "O-1",
            "--currency",
            "USD",
            "--amount",
            "1.00",
        ])
        .env("EXIMBAY_MID", DEFAULT_MID)
        .env("EXIMBAY_API_KEY", DEFAULT_API_KEY)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        code(&out),
        5,
        "{stderr}{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(stderr.contains("did not resolve"), "{stderr}");
}

#[test]
fn every_scripted_fault_through_the_cli() {
    let sandbox = sandbox();
    let base = sandbox.base_url();
    let tid = new_payment(&sandbox, "CLI-F", "10.00");
    let capture = [
        "capture",
        "--transaction-id",
        &tid,
        "--order-id",
        "CLI-F",
        "--currency",
        "USD",
        "--amount",
        "10.00",
    ];
    let retrieve = [
        "retrieve",
        "--transaction-id",
        &tid,
        "--order-id",
        "CLI-F",
        "--currency",
        "USD",
        "--amount",
        "10.00",
    ];
    let fault = |path: &str, kind: FaultKind| {
        sandbox.sandbox().add_fault(Fault {
            path_contains: path.into(),
            count: 1,
            kind,
        });
    };

    // A scripted decline: exit 3, the rescode in the JSON, nothing applied.
    fault(
        "/capture",
        FaultKind::Decline {
            rescode: "HE07".into(),
            status: None,
        },
    );
    let out = eximbay(Some(&base), &capture, None);
    assert_eq!(code(&out), 3);
    assert_eq!(json(&out)["rescode"], "HE07");
    // Errors toward the card processor (EE*), internal exceptions (EX*) and any 5xx, whatever
    // its rescode: the capture may have gone through, so the outcome is unknown (exit 4).
    for (rescode, status) in [
        ("EE01", None),
        ("EE99", None),
        ("EEEE", None),
        ("EX01", None),
        ("ES99", Some(503)),
        ("HE01", Some(500)),
    ] {
        fault(
            "/capture",
            FaultKind::Decline {
                rescode: rescode.into(),
                status,
            },
        );
        let out = eximbay(Some(&base), &capture, None);
        assert_eq!(code(&out), 4, "{rescode} {status:?}");
    }
    // EM00, even on a 503, says the gateway did not act: retried, and the retry answers.
    fault(
        "/capture",
        FaultKind::Decline {
            rescode: "EM00".into(),
            status: Some(503),
        },
    );
    fault(
        "/capture",
        FaultKind::Decline {
            rescode: "HE07".into(),
            status: None,
        },
    );
    let out = eximbay(Some(&base), &capture, None);
    assert_eq!(code(&out), 3, "EM00 retried, then the decline is final");
    assert_eq!(json(&out)["rescode"], "HE07");
    assert_eq!(
        sandbox
            .sandbox()
            .ledger
            .payment(&tid)
            .unwrap()
            .captures_applied,
        0
    );
    // HTTP 500 on a capture: the outcome is unknown (exit 4); retrieve says it did not happen.
    fault("/capture", FaultKind::Http500);
    assert_eq!(code(&eximbay(Some(&base), &capture, None)), 4);
    // An HTML 502 on a retrieve moves no money: retried, and it answers.
    fault("/retrieve", FaultKind::Html502);
    let out = eximbay(Some(&base), &retrieve, None);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(json(&out)["state"], "Authorized");
    // A slow answer within the timeout is just slow.
    fault("/capture", FaultKind::Delay { ms: 200 });
    assert_eq!(code(&eximbay(Some(&base), &capture, None)), 0);
    assert_eq!(
        sandbox
            .sandbox()
            .ledger
            .payment(&tid)
            .unwrap()
            .captures_applied,
        1
    );
}

/// A gateway on a free port that answers every request with `answer` (HTTP 200, JSON).
fn canned_gateway(answer: String) -> String {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    url
}

#[test]
fn a_success_answer_about_another_payment_exits_4_outcome_unknown() {
    let asked = "1849705C64W0000000000001";
    let other = "1849705C64W0000000000999";
    let payment = [
        "--transaction-id",
        asked,
        "--order-id",
        "O-ODD",
        "--currency",
        "USD",
        "--amount",
        "25.00",
    ];
    let refund_answer = serde_json::json!({
        "rescode": "0000", "resmsg": "Success.", "mid": DEFAULT_MID,
        "refund": {"refund_amount": "1.00", "refund_id": "CLI-ODD-1",
                   "refund_date": "20260101120000", "refund_transaction_id": "1849705C64R0000000000001"},
        "payment": {"order_id": "O-ODD", "currency": "USD", "amount": "25.00",
                    "transaction_id": other, "balance": "24.00"},
    });
    let base = canned_gateway(refund_answer.to_string());
    let args = [
        &["refund"],
        &payment[..],
        &[
            "--balance",
            "25.00",
            "--partial",
            "1.00",
            "--refund-id",
            "CLI-ODD-1",
        ],
    ]
    .concat();
    let out = eximbay(Some(&base), &args, None);
    assert_eq!(code(&out), 4, "{}", String::from_utf8_lossy(&out.stderr));
    let printed = json(&out);
    assert_eq!(printed["outcome"], "unknown");
    assert_eq!(printed["state"], "NeedsReconcile");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(other) && stderr.contains(asked), "{stderr}");

    let capture_answer = serde_json::json!({
        "rescode": "0000", "resmsg": "Success.", "mid": DEFAULT_MID,
        "payment": {"order_id": "O-ODD", "currency": "USD", "amount": "25.00",
                    "transaction_id": other, "captured_date": "20260101120000"},
    });
    let base = canned_gateway(capture_answer.to_string());
    let out = eximbay(Some(&base), &[&["capture"], &payment[..]].concat(), None);
    assert_eq!(code(&out), 4, "{}", String::from_utf8_lossy(&out.stderr));
    assert_ne!(json(&out)["state"], "Captured");
}
