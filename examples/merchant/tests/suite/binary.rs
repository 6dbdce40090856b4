//! The `eximbay-merchant` binary as a merchant starts it: with nothing configured (SQLite
//! file in the working directory, an embedded sandbox, and a hint to create an operator),
//! with an operator created by `operator add`, with `DATABASE_URL=postgres://…`, with a
//! database URL whose credentials must not be printed, and with bad arguments.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use eximbay_tests::postgres::Postgres;

/// Starts the binary; returns it, the shop's URL (from its start-up line) and what it
/// printed before that line.
fn start(dir: &std::path::Path, database: Option<&str>) -> (Child, String, String) {
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
    let mut printed = String::new();
    let url = loop {
        let line = lines
            .next()
            .expect("the binary prints where the shop is")
            .unwrap();
        if let Some(rest) = line.split("the shop is at ").nth(1) {
            break rest.split('/').take(3).collect::<Vec<_>>().join("/");
        }
        printed.push_str(&line);
        printed.push('\n');
    };
    // Keep reading what it prints, so its writes to stderr never fail on a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));
    (child, url, printed)
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
    let (mut child, url, printed) = start(dir.path(), None);
    assert!(
        printed.contains("no operator can sign in") && printed.contains("operator add NAME"),
        "{printed}"
    );
    let (status, page) = get(&format!("{url}/"));
    assert_eq!(status, 200);
    assert!(page.contains("Jeju green tea sampler"));
    // The back office is behind the sign-in page (the redirect followed).
    let (status, page) = get(&format!("{url}/orders"));
    assert_eq!(status, 200);
    assert!(page.contains("id=\"sign-in\""), "{page}");
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
    let database = pg.database("shop_binary");
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url, _) = start(dir.path(), Some(&database));
    assert!(get(&format!("{url}/orders")).1.contains("id=\"sign-in\""));
    assert!(
        !dir.path().join("eximbay-merchant.db").exists(),
        "no SQLite file"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_eximbay-merchant"))
        .args(args)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_bad_argument_exits_2_naming_itself() {
    for (args, named) in [
        (&["--addr", "nowhere"][..], &["--addr", "'nowhere'"][..]),
        (
            &["--max-monthly", "0"],
            &["--max-monthly", "'0'", "not a positive amount"],
        ),
        (
            &["--confirm-refunds-above", "ten"],
            &["--confirm-refunds-above", "'ten'", "not a positive amount"],
        ),
        (&["--bogus"], &["'--bogus'"]),
        (&["--gateway"], &["--gateway <URL>"]),
        (
            &["operator"],
            &["Usage: eximbay-merchant operator <COMMAND>", "add"],
        ),
        (&["operator", "add"], &["<NAME>"]),
        (&["operator", "remove", "alice"], &["'remove'"]),
        (&["operator", "add", "alice", "bob"], &["'bob'"]),
        (
            &["--addr", "127.0.0.1:0", "operator", "add", "alice"],
            &["operator"],
        ),
    ] {
        let (code, stdout, stderr) = run(args);
        assert_eq!(code, Some(2), "{args:?}: {stderr}");
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        // A missing subcommand shows the subcommand's help; anything else is an error.
        assert!(
            stderr.starts_with("error: ") || args == ["operator"],
            "{args:?}: {stderr}"
        );
        for name in named {
            assert!(
                stderr.contains(name),
                "{args:?} should name {name}: {stderr}"
            );
        }
        assert!(stderr.contains("--help"), "{args:?}: {stderr}");
    }
}

#[test]
fn help_lists_the_options_the_subcommand_and_the_environment() {
    let (code, stdout, _) = run(&["--help"]);
    assert_eq!(code, Some(0));
    for expected in [
        "Usage: eximbay-merchant [OPTIONS]",
        "eximbay-merchant <COMMAND>",
        "operator",
        "--addr <HOST:PORT>",
        "[default: 127.0.0.1:3000]",
        "--gateway <URL>",
        "--public-url <URL>",
        "--instance <NAME>",
        "--max-monthly <AMOUNT>",
        "--confirm-refunds-above <AMOUNT>",
        "DATABASE_URL",
        "EXIMBAY_SECRET_KEY",
    ] {
        assert!(stdout.contains(expected), "{expected}: {stdout}");
    }
    let (code, stdout, _) = run(&["operator", "add", "--help"]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("first line of standard input"), "{stdout}");
}

/// `eximbay-merchant operator add NAME` in `dir`, with `password` on standard input.
fn add_operator(dir: &std::path::Path, name: &str, password: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_eximbay-merchant"))
        .args(["operator", "add", name])
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn an_operator_added_by_the_subcommand_signs_in_and_nobody_else_does() {
    let dir = tempfile::tempdir().unwrap();
    let short = add_operator(dir.path(), "alice", "short");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
    let added = add_operator(dir.path(), "alice", "a long enough passphrase");
    assert!(added.status.success(), "{added:?}");
    assert!(String::from_utf8_lossy(&added.stderr).contains("operator alice added"));

    let (mut child, url, printed) = start(dir.path(), None);
    assert!(!printed.contains("no operator"), "{printed}");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sign_in = |password: &'static str| {
        let url = url.clone();
        runtime.block_on(async move {
            reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .post(format!("{url}/sign-in"))
                .header("origin", &url)
                .form(&[("name", "alice"), ("password", password)])
                .send()
                .await
                .unwrap()
        })
    };
    let refused = sign_in("not her passphrase");
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().get("set-cookie").is_none());
    let signed_in = sign_in("a long enough passphrase");
    assert_eq!(signed_in.status(), 303);
    assert_eq!(signed_in.headers()["location"], "/orders");
    let cookie = signed_in.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("eximbay_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(
        !cookie.contains("Secure"),
        "the public URL is http: {cookie}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_database_url_with_credentials_is_never_printed_whole() {
    for url in [
        "postgres://shop:hunter2@127.0.0.1:1/shop?sslmode=bogus",
        "postgres://shop@127.0.0.1:1/shop?password=hunter2&sslmode=bogus",
        "postgres://shop@127.0.0.1:1/shop?sslpassword=hunter2&sslmode=bogus",
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_eximbay-merchant"))
            .args(["--addr", "127.0.0.1:0"])
            .env("DATABASE_URL", url)
            .env("RUST_LOG", "trace")
            .output()
            .unwrap();
        assert!(!output.status.success());
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(printed.contains("database postgres://shop"), "{printed}");
        assert!(printed.contains("redacted"), "{printed}");
        assert!(!printed.contains("hunter2"), "{url}: {printed}");
    }
}
