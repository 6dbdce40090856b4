//! Replays every committed fuzz seed and corpus file through the same checks the cargo-fuzz
//! targets run (`fuzz/checks/mod.rs`), on the stable toolchain, so CI catches a regression on
//! any input the fuzzers ever kept without needing nightly.

#[path = "../../../fuzz/checks/mod.rs"]
mod checks;

use std::path::Path;

/// Every file under `fuzz/seeds/<target>` and `fuzz/corpus/<target>` (when present).
fn inputs(target: &str) -> Vec<Vec<u8>> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut found = Vec::new();
    for dir in ["seeds", "corpus"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.path().is_file() {
                found.push(std::fs::read(entry.path()).unwrap());
            }
        }
    }
    found
}

fn replay(target: &str, check: impl Fn(&[u8])) {
    let inputs = inputs(target);
    assert!(!inputs.is_empty(), "no seeds for {target}");
    for input in &inputs {
        check(input);
    }
}

#[test]
fn notifications() {
    replay("notifications", checks::notifications);
}

#[test]
fn v1_responses() {
    // libFuzzer's tuple input: the first two bytes are the status, the rest the body.
    replay("v1_responses", |input| {
        let (status, body) = match input {
            [a, b, body @ ..] => (u16::from_le_bytes([*a, *b]), body),
            _ => (200, input),
        };
        checks::v1_responses(status, body);
        checks::v1_responses(200, input);
    });
}

#[test]
fn legacy_replies() {
    replay("legacy_replies", checks::legacy_replies);
}

#[test]
fn amounts() {
    replay("amounts", |input| {
        if let Ok(text) = std::str::from_utf8(input) {
            checks::amounts(text);
        }
    });
}

#[test]
fn stored() {
    replay("stored", checks::stored);
}

#[path = "../../../fuzz/checks/sandbox.rs"]
mod sandbox_checks;

#[test]
fn sandbox_requests() {
    replay("sandbox_requests", sandbox_checks::sandbox_requests);
}
