//! A real PostgreSQL server for the tests: Debian's `postgresql` package (`initdb` and
//! `postgres` from `/usr/lib/postgresql/<version>/bin`), a cluster made in a temporary
//! directory and served on a free port, one per test binary; each test gets a database of its
//! own. PostgreSQL refuses to run as root, so under root the cluster belongs to the `postgres`
//! OS user. The server is started through `setpriv --pdeathsig INT`, so it shuts down (fast)
//! when the test binary exits, however it exits; the next run removes its files.
//! `scripts/setup.sh` installs the package.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub struct PgServer {
    pub port: u16,
    /// The `postgres` process (its pid) while it runs.
    pid: std::sync::Mutex<Option<u32>>,
    dir: tempfile::TempDir,
}

/// The newest installed PostgreSQL's programs.
fn bin_dir() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<u32> = std::fs::read_dir(root)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter_map(|e| e.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    versions.sort_unstable();
    let version = versions
        .last()
        .expect("PostgreSQL is not installed: run `make setup` (apt package postgresql)");
    root.join(version.to_string()).join("bin")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program args…`, as the `postgres` OS user when we are root.
fn as_owner(program: &Path) -> Command {
    let mut c = Command::new("setpriv");
    if is_root() {
        c.args([
            "--reuid",
            "postgres",
            "--regid",
            "postgres",
            "--clear-groups",
        ]);
    }
    c.args(["--pdeathsig", "INT"]).arg(program);
    c
}

/// Where clusters live: `$TMPDIR/rollcall-pg-tests/<pid>-…`. A cluster outlives its test
/// binary (statics are never dropped), so each start removes those of binaries that ended.
fn cluster_dir() -> tempfile::TempDir {
    let base = std::env::temp_dir().join("rollcall-pg-tests");
    std::fs::create_dir_all(&base).expect("create the clusters' folder");
    for entry in std::fs::read_dir(&base).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let pid = name.split('-').next().unwrap_or_default();
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
    tempfile::Builder::new()
        .prefix(&format!("{}-", std::process::id()))
        .tempdir_in(&base)
        .expect("temp dir")
}

fn start() -> PgServer {
    let dir = cluster_dir();
    if is_root() {
        let ok = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok,
            "cannot give {} to the postgres user",
            dir.path().display()
        );
    }
    let data = dir.path().join("data");
    let out = as_owner(&bin_dir().join("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-A", "trust", "-U", "rollcall", "-E", "UTF8", "--no-sync"])
        .output()
        .expect("run initdb");
    assert!(
        out.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = PgServer {
        port: crate::common::smtp::free_port(),
        pid: std::sync::Mutex::new(None),
        dir,
    };
    server.run();
    server
}

impl PgServer {
    /// Starts `postgres` on the cluster and waits until it accepts connections.
    fn run(&self) {
        let (dir, port) = (self.dir.path(), self.port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("postgres.log"))
            .expect("log file");
        // The parent-death signal follows the *thread* that spawned the child: a test thread
        // would take the server down when its test ends. So a thread that never ends spawns
        // it; the server then ends with the test binary.
        let mut command = as_owner(&bin_dir().join("postgres"));
        command
            .arg("-D")
            .arg(dir.join("data"))
            .args(["-p", &port.to_string(), "-h", "127.0.0.1", "-k"])
            .arg(dir)
            // A throwaway cluster: durability is not what these tests measure.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=400"])
            .stdout(Stdio::null())
            .stderr(log);
        let (started, spawned) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let child = command.spawn();
            let _ = started.send(child.map(|c| c.id()));
            loop {
                std::thread::park();
            }
        });
        let pid = spawned
            .recv()
            .expect("the postgres thread")
            .expect("start postgres");
        *self.pid.lock().unwrap() = Some(pid);
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "postgres did not start: {}",
                std::fs::read_to_string(dir.join("postgres.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server (a fast shutdown: clients are disconnected) and waits until it is gone.
    pub fn stop(&self) {
        let Some(pid) = self.pid.lock().unwrap().take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Path::new("/proc")
            .join(pid.to_string())
            .join("exe")
            .exists()
            && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.contains(") Z "))
        {
            assert!(Instant::now() < deadline, "postgres did not stop");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the stopped server again, on the same port and data.
    pub fn restart(&self) {
        self.run();
    }
}

/// A cluster of the calling test's own, which it may stop and restart (an outage); it is
/// stopped when dropped.
pub fn private_server() -> PgServer {
    start()
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The test binary's PostgreSQL server (started on first use).
pub fn server() -> &'static PgServer {
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(start)
}

impl PgServer {
    pub fn url(&self, database: &str) -> String {
        url(self.port, database)
    }
}

fn url(port: u16, database: &str) -> String {
    format!("postgres://rollcall@127.0.0.1:{port}/{database}")
}

/// A new, empty database on the test server; returns its URL.
pub async fn new_database() -> String {
    new_database_on(server().port).await
}

/// A new, empty database on the test cluster serving `port`; returns its URL.
pub async fn new_database_on(port: u16) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "t{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = None;
    // The server may still be finishing start-up when its port opens.
    for _ in 0..100 {
        match sqlx::PgPool::connect(&url(port, "postgres")).await {
            Ok(pool) => {
                admin = Some(pool);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let admin = admin.expect("connect to the test PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create database");
    admin.close().await;
    url(port, &name)
}
