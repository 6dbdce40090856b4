//! A throwaway PostgreSQL server for tests: `initdb` + `pg_ctl` from Debian's `postgresql`
//! package (`scripts/test` installs it), in a temporary directory, on a free port.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A throwaway PostgreSQL server: `initdb` + `pg_ctl` from Debian's `postgresql` package,
/// in a temporary directory, on a free port, as the unprivileged `postgres` user when the
/// tests run as root. Stopped when dropped.
pub struct Postgres {
    dir: tempfile::TempDir,
    port: u16,
    bin: PathBuf,
}

impl Postgres {
    /// Starts one.
    pub fn start() -> Postgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL is missing: run scripts/test (it installs it) or apt-get install postgresql")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .find(|bin| bin.join("initdb").exists())
            .expect("PostgreSQL's initdb is missing under /usr/lib/postgresql/*/bin: run scripts/test (it installs it) or apt-get install postgresql");
        let dir = tempfile::Builder::new()
            .prefix("eximbay-pg-")
            .tempdir()
            .unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let root = is_root();
        if root {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .unwrap();
            assert!(status.success(), "chown the data directory");
        }
        let data = dir.path().join("data");
        run_pg(
            root,
            &bin.join("initdb"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--no-sync",
            ],
        );
        let server = Postgres { dir, port, bin };
        server.resume();
        server
    }

    /// Starts the server again (after [`Postgres::stop`]), on the same port and data.
    pub fn resume(&self) {
        let options = format!(
            "-p {} -k {} -h 127.0.0.1 -c fsync=off -c max_connections=100",
            self.port,
            self.dir.path().display()
        );
        let data = self.dir.path().join("data");
        let log = self.dir.path().join("log");
        run_pg(
            is_root(),
            &self.bin.join("pg_ctl"),
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server (fast shutdown: open connections are cut), keeping its data.
    pub fn stop(&self) {
        let data = self.dir.path().join("data");
        run_pg(
            is_root(),
            &self.bin.join("pg_ctl"),
            &["-D", data.to_str().unwrap(), "-m", "fast", "-w", "stop"],
        );
    }

    /// A new, empty database on the server (made with the server's own `createdb`); its URL.
    pub fn database(&self, name: &str) -> String {
        let port = self.port.to_string();
        run_pg(
            is_root(),
            &self.bin.join("createdb"),
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", name],
        );
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.dir.path().join("data");
        let data = data.to_str().unwrap_or_default();
        let stop = ["-D", data, "-m", "immediate", "stop"];
        let pg_ctl = self.bin.join("pg_ctl");
        let _ = if is_root() {
            Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&pg_ctl)
                .args(stop)
                .output()
        } else {
            Command::new(&pg_ctl).args(stop).output()
        };
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn run_pg(root: bool, program: &Path, args: &[&str]) {
    let output = if root {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(program)
            .args(args)
            .output()
    } else {
        Command::new(program).args(args).output()
    }
    .unwrap();
    assert!(
        output.status.success(),
        "{} failed: {}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}
