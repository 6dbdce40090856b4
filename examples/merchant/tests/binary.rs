//! The `eximbay-merchant` binary as a merchant starts it: with nothing configured (SQLite
//! file in the working directory, an embedded sandbox), with `DATABASE_URL=postgres://…`,
//! and with bad arguments.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use support::Postgres;

/// Starts the binary; returns it and the shop's URL (from its start-up line).
fn start(dir: &std::path::Path, database: Option<&str>) -> (Child, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_eximbay-merchant"));
    command
        .args(["--addr", "127.0.0.1:0"])
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(url) = database {
        command.env("DATABASE_URL", url);
    }
    let mut child = command.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the binary prints where the shop is")
            .unwrap();
        if let Some(rest) = line.split("the shop is at ").nth(1) {
            break rest.split('/').take(3).collect::<Vec<_>>().join("/");
        }
    };
    (child, url)
}

fn get(url: &str) -> (u16, String) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let response = reqwest::get(url).await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    })
}

#[test]
fn with_nothing_configured_it_serves_the_shop_on_sqlite_and_an_embedded_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = start(dir.path(), None);
    let (status, page) = get(&format!("{url}/"));
    assert_eq!(status, 200);
    assert!(page.contains("Jeju green tea sampler"));
    assert_eq!(get(&format!("{url}/orders")).0, 200);
    assert!(
        dir.path().join("eximbay-merchant.db").exists(),
        "a SQLite file"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn postgres_database_url_runs_the_same_shop_on_postgresql() {
    let pg = Postgres::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let database = runtime.block_on(pg.database("shop_binary"));
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = start(dir.path(), Some(&database));
    assert_eq!(get(&format!("{url}/orders")).0, 200);
    assert!(
        !dir.path().join("eximbay-merchant.db").exists(),
        "no SQLite file"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn bad_arguments_exit_2_with_the_usage() {
    let output = Command::new(env!("CARGO_BIN_EXE_eximbay-merchant"))
        .args(["--addr", "nowhere"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--addr: \"nowhere\" is not HOST:PORT"),
        "{stderr}"
    );
    assert!(stderr.contains("usage: eximbay-merchant"));
}
