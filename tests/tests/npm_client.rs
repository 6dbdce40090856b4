//! The public npm client `eximbay@0.1.5` (kanziw/eximbay, MIT) runs against the sandbox:
//! pinned with a lockfile in `tests/npm/`, installed with `npm ci` in a directory of this
//! test's own, its two hard-coded gateway URLs patched in that copy only, and driven by
//! `tests/npm/run.js` — `renderPayment` with its browser globals shimmed opens the sandbox's
//! window, Approve posts back fields whose fgkey is what its own `_generateFGKey` computes,
//! and `requestPaymentResult` (DirectProcessor `QUERY`, keyfield `TRANSID`) gets
//! `rescode=0000` and `status=SALE`. Node and npm come from the test command's set-up; without
//! them, or without the registry, the test fails saying so — it never passes silently.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use eximbay_tests::sandbox::*;

/// The package's hard-coded URLs, and what each becomes in this test's copy.
const CLIENT_URL: &str = "`https://secureapi${env === 'prod' ? '' : '.test'}.eximbay.com`";
const SERVER_URL: &str = "'https://secureapi.test.eximbay.com/Gateway/DirectProcessor.krp'";

fn run(command: &mut Command, what: &str) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{what}: could not run it ({e}); the test command installs Node and npm (Debian `nodejs npm`)"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{what} failed:\n{text}");
    text
}

/// A fresh directory with the pinned package installed.
fn install() -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("npm");
    let dir = std::env::temp_dir().join(format!("eximbay-npm-client-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for file in ["package.json", "package-lock.json", "run.js"] {
        std::fs::copy(source.join(file), dir.join(file)).unwrap();
    }
    run(
        Command::new("node").arg("--version"),
        "node (Node.js, which runs the npm client)",
    );
    run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir),
        "npm ci of eximbay@0.1.5 (it needs the npm registry)",
    );
    dir
}

/// Points one hard-coded URL of the installed copy at the sandbox.
fn patch(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert_eq!(
        text.matches(from).count(),
        1,
        "{} no longer has its hard-coded URL {from}: the pinned package changed",
        file.display()
    );
    std::fs::write(file, text.replace(from, to)).unwrap();
}

#[test]
fn npm_eximbay_0_1_5_pays_and_queries_against_the_sandbox() {
    let sandbox = start();
    let base = sandbox.base_url();
    let dir = install();
    let package = dir.join("node_modules/eximbay");
    let version = std::fs::read_to_string(package.join("package.json")).unwrap();
    assert!(version.contains("\"version\": \"0.1.5\""), "{version}");
    patch(
        &package.join("client/index.js"),
        CLIENT_URL,
        &format!("'{base}'"),
    );
    patch(
        &package.join("server/index.js"),
        SERVER_URL,
        &format!("'{base}/Gateway/DirectProcessor.krp'"),
    );
    let output = Command::new("node")
        .arg("run.js")
        .arg(&base)
        .arg(format!("{base}/_sim/inbox"))
        .current_dir(&dir)
        .output()
        .expect("node runs run.js");
    let text = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "npm eximbay against the sandbox:\n{text}"
    );
    let summary: serde_json::Value =
        serde_json::from_str(text.lines().next().unwrap_or_default()).unwrap();
    assert_eq!(summary["query"]["rescode"], "0000", "{text}");
    assert_eq!(summary["query"]["status"], "SALE", "{text}");
    assert_eq!(summary["fgkey_matches"], true, "{text}");
    // The status_url callback reached the merchant too, signed.
    let entries = wait_for_inbox(&sandbox, 1);
    assert_eq!(entries[0]["verified"], true);
    let _ = std::fs::remove_dir_all(&dir);
}
