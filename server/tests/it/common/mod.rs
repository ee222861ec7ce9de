//! Helpers for tests that run the real `rollcall` binary: CLI calls on a temp database, and a
//! server on port 0 whose address is read from its stdout.
#![allow(dead_code)]

pub mod inproc;
pub mod pg;
pub mod scim;
pub mod smtp;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const PASSWORD: &str = "violet-harbour-engine-42";

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rollcall")
}

/// The engine the suite runs on: SQLite unless `ROLLCALL_TEST_ENGINE=postgres` (`make test`
/// runs the suite once on each).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

pub fn engine() -> Engine {
    match std::env::var("ROLLCALL_TEST_ENGINE").as_deref() {
        Ok("postgres") => Engine::Postgres,
        Ok("sqlite") | Err(_) => Engine::Sqlite,
        Ok(other) => panic!("ROLLCALL_TEST_ENGINE={other}: use sqlite or postgres"),
    }
}

/// A test's own database, on the suite's [`engine`], and a temp folder for its logs and files:
/// a SQLite file in the folder, or a new database on the test PostgreSQL server.
pub struct TempDb {
    pub dir: tempfile::TempDir,
    url: String,
}

impl TempDb {
    pub fn new() -> Self {
        match engine() {
            Engine::Sqlite => Self::sqlite(),
            Engine::Postgres => Self::postgres(),
        }
    }

    /// A SQLite file whatever the suite's engine (tests of SQLite itself: its file, its lock).
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!(
            "sqlite://{}",
            dir.path().join("nested/rollcall.db").display()
        );
        TempDb { dir, url }
    }

    /// A new database on the test PostgreSQL server.
    pub fn postgres() -> Self {
        Self::postgres_on(pg::server())
    }

    /// A new database on a given PostgreSQL server (a test's private one).
    pub fn postgres_on(server: &pg::PgServer) -> Self {
        let port = server.port;
        let url = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(pg::new_database_on(port))
        })
        .join()
        .expect("create a test database");
        TempDb {
            dir: tempfile::tempdir().expect("temp dir"),
            url,
        }
    }

    pub fn engine(&self) -> Engine {
        if self.url.starts_with("postgres") {
            Engine::Postgres
        } else {
            Engine::Sqlite
        }
    }

    /// The SQLite file (a SQLite database only).
    pub fn path(&self) -> PathBuf {
        let path = self
            .url
            .strip_prefix("sqlite://")
            .expect("a SQLite test database");
        PathBuf::from(path)
    }

    pub fn url(&self) -> String {
        self.url.clone()
    }
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `rollcall <args>` against `db`, with `envs` and optional stdin.
pub fn rollcall(db: &TempDb, args: &[&str], envs: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env("ROLLCALL_DATABASE_URL", db.url())
        .env_remove("ROLLCALL_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn rollcall");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().expect("wait rollcall");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs a command that must succeed and returns its trimmed stdout.
pub fn ok(db: &TempDb, args: &[&str], envs: &[(&str, &str)]) -> String {
    let out = rollcall(db, args, envs, None);
    assert_eq!(out.code, 0, "rollcall {args:?} failed: {}", out.stderr);
    out.stdout.trim().to_string()
}

/// An account with one administrator (email, PASSWORD); returns the account id.
pub fn account_with_admin(db: &TempDb, email: &str) -> String {
    let account = ok(db, &["account", "create", "--name", "Acme"], &[]);
    add_admin(db, &account, email);
    account
}

/// Another active administrator of an existing account (the CLI's `admin create`).
pub fn add_admin(db: &TempDb, account: &str, email: &str) {
    ok(
        db,
        &["admin", "create", "--account", account, "--email", email],
        &[("ROLLCALL_PASSWORD", PASSWORD)],
    );
}

/// A new API key (inheriting Account Administrator) for the account; returns the token.
pub fn api_key(db: &TempDb, account: &str) -> String {
    ok(
        db,
        &[
            "api-key",
            "create",
            "--account",
            account,
            "--name",
            "OneLogin",
        ],
        &[],
    )
}

/// A running `rollcall serve` on a free port; killed on drop.
pub struct Server {
    child: Child,
    pub base: String,
    stderr_path: PathBuf,
}

impl Server {
    pub fn start(db: &TempDb) -> Self {
        Self::start_with(db, &[])
    }

    pub fn start_with(db: &TempDb, extra: &[&str]) -> Self {
        // One log per process: several servers may share a database (it/replicas.rs).
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let stderr_path = db.dir.path().join(format!("server-{n}.log"));
        let stderr = std::fs::File::create(&stderr_path).expect("log file");
        let mut child = Command::new(bin())
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("ROLLCALL_DATABASE_URL", db.url())
            .env("ROLLCALL_SITE_ROOT", site_root())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn rollcall serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("Rollcall listening on ") {
                    let _ = tx.send(url.to_string());
                }
            }
        });
        let base = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(base) => base,
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "server did not start: {}",
                    std::fs::read_to_string(&stderr_path).unwrap_or_default()
                );
            }
        };
        Server {
            child,
            base,
            stderr_path,
        }
    }

    /// The server process's resident memory, in KiB (Linux `/proc`).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("/proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }

    /// SIGKILL: the process ends at once, mid-request, as in a crash.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits (at most 30 s) for a clean exit.
    pub fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(sent.is_ok_and(|s| s.success()), "could not send SIGTERM");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            match self.child.try_wait().expect("wait") {
                Some(status) => {
                    assert!(
                        status.success(),
                        "exit after SIGTERM: {status}\n{}",
                        self.log()
                    );
                    return;
                }
                None if std::time::Instant::now() > deadline => {
                    panic!("no exit 30 s after SIGTERM:\n{}", self.log())
                }
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser-like client: keeps cookies, follows no redirects, and names this server as
    /// the `Origin` of its requests (as browsers do on every POST; writes without one are refused).
    pub fn client(&self) -> reqwest::Client {
        self.client_with(std::sync::Arc::new(reqwest::cookie::Jar::default()))
    }

    /// [`Server::client`] keeping its cookies in `jar`: one browser's cookies (cookies are not
    /// per port) used against several servers.
    pub fn client_with(&self, jar: std::sync::Arc<reqwest::cookie::Jar>) -> reqwest::Client {
        let mut origin = reqwest::header::HeaderMap::new();
        origin.insert(
            reqwest::header::ORIGIN,
            self.url("").trim_end_matches('/').parse().expect("origin"),
        );
        reqwest::Client::builder()
            .default_headers(origin)
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Every server of the suite: its log lines never hold a secret the tests used.
        if !std::thread::panicking() {
            if let Some(line) = secret_in_log(&self.log()) {
                panic!("a log line holds a secret:\n{line}");
            }
        }
    }
}

/// The first log line (text or JSON: a timestamp or `{` first) holding an API key, a sign-up
/// or reset link, a bearer header or the tests' password. Lines that are not log lines — the
/// first-run banner, a password reset link printed for the operator's terminal without SMTP
/// (by design, mail/mod.rs) — are not log lines a shipper parses, and are left out.
pub fn secret_in_log(log: &str) -> Option<&str> {
    let is_key = |line: &str| {
        line.match_indices("rc_").any(|(i, _)| {
            let rest = &line[i + 3..];
            let parts: Vec<&str> = rest.splitn(3, '_').collect();
            parts.len() >= 2
                && !parts[0].is_empty()
                && parts[0].chars().all(|c| c.is_ascii_alphanumeric())
                && parts[1]
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .count()
                    >= 16
        })
    };
    log.lines()
        .filter(|l| {
            // A text line starts with its (dimmed, when coloured) timestamp.
            let plain = l.strip_prefix("\u{1b}[2m").unwrap_or(l);
            plain.starts_with('{') || plain.starts_with(|c: char| c.is_ascii_digit())
        })
        .find(|l| {
            is_key(l)
                || l.contains("/signup/")
                || l.contains("/reset/")
                || l.contains("Bearer ")
                || l.contains(PASSWORD)
        })
}

/// The repo's built UI, if any (tests do not need it; pages render without it).
fn site_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site")
}

/// A form POST from `client` (a browser-like client of `server`).
pub async fn post_form(
    server: &Server,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(server.url(path))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Who `client` is logged in as on `server` (`"Anonymous"` or `{"LoggedIn": {…}}`).
pub async fn whoami(server: &Server, client: &reqwest::Client) -> serde_json::Value {
    post_form(server, client, "/api/whoami", &[])
        .await
        .json()
        .await
        .unwrap()
}

/// Polls `sql` (one count) on the test's database until it is `want`, for up to 20 s;
/// returns the last count.
pub async fn count_becomes(db: &TempDb, sql: &str, want: i64) -> i64 {
    let pool = pool(db).await;
    let mut n = -1;
    for _ in 0..200 {
        n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        if n == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    n
}

/// Opens the test's database for checks the HTTP surface does not show, on either engine.
/// Test SQL is written once for both: `$1`-style parameters (SQLite takes them too) and
/// `true`/`false` for booleans.
pub async fn pool(db: &TempDb) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .connect(&db.url())
        .await
        .expect("open db")
}

/// Holds the database's write lock from outside the servers, so that their writers stall (and
/// their queues fill): SQLite's file lock (`BEGIN IMMEDIATE`), or on PostgreSQL the advisory
/// lock every write transaction takes first (`store::writer::WRITE_LOCK`).
pub struct WriteLock {
    conn: sqlx::pool::PoolConnection<sqlx::Any>,
    engine: Engine,
}

use rollcall_server::store::writer::WRITE_LOCK;

impl WriteLock {
    pub async fn take(db: &TempDb) -> WriteLock {
        let mut conn = pool(db).await.acquire().await.unwrap();
        let take = match db.engine() {
            Engine::Sqlite => "BEGIN IMMEDIATE".to_string(),
            Engine::Postgres => format!("SELECT pg_advisory_lock({WRITE_LOCK})"),
        };
        sqlx::query(&take).execute(&mut *conn).await.unwrap();
        WriteLock {
            conn,
            engine: db.engine(),
        }
    }

    pub async fn release(mut self) {
        let release = match self.engine {
            Engine::Sqlite => "ROLLBACK".to_string(),
            Engine::Postgres => format!("SELECT pg_advisory_unlock({WRITE_LOCK})"),
        };
        sqlx::query(&release)
            .execute(&mut *self.conn)
            .await
            .unwrap();
    }
}

/// The SQLite pool of a SQLite test database, for the tests of SQLite itself (its schema,
/// copying it to PostgreSQL).
pub async fn sqlite_pool(db: &TempDb) -> sqlx::SqlitePool {
    sqlx::SqlitePool::connect(&db.url()).await.expect("open db")
}
