//! The one writer: a task that owns the only read-write connection and runs every write.
//!
//! Why: a request future is dropped at whatever `.await` it has reached when its client hangs
//! up. If that request were driving a transaction itself, the connection could go back to the
//! pool inside an open `BEGIN IMMEDIATE` (sqlx's `begin_with` is not cancel-safe), holding
//! SQLite's write lock forever and swallowing later writes. Here a request only *sends* its
//! work (a closure over the connection) through a bounded channel and awaits the answer;
//! dropping the request drops the wait, never the work halfway.
//!
//! Group commit: the task takes every job that is waiting (up to [`MAX_BATCH`]), runs each in
//! its own savepoint — a job that fails rolls back alone and gets its own error — and commits
//! them together. A job's answer is sent only after the commit, so what is acknowledged is
//! durable. When the queue is full the caller gets [`AppError::Busy`] at once (SCIM: 503 with
//! `Retry-After`), never an unbounded wait.
//!
//! A job must only do database work on the connection it is given: it runs on the writer, so
//! anything slow in it (hashing, network) would hold every other write back. Do that first.

use crate::error::{AppError, AppResult};
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::Connection;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// The most jobs one transaction commits together.
pub const MAX_BATCH: usize = 256;
/// Default number of writes that may wait for the writer before callers are told "busy".
pub const DEFAULT_QUEUE: usize = 1024;

/// The connection a write job runs on (inside the batch's transaction, in its own savepoint).
/// Store functions take it as an [`Exec`](super::exec::Exec) and pick their dialect from it.
pub enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

/// The key of the PostgreSQL advisory lock every write transaction takes first (see [`Link`]).
pub const WRITE_LOCK: i64 = 0x526f_6c6c_6361_6c6c; // "Rollcall"

/// A PostgreSQL batch's first statements; the lock key is [`WRITE_LOCK`] written out (a
/// simple-query text takes no binds; a test checks they agree).
const PG_BEGIN: &str = "BEGIN; SELECT pg_advisory_xact_lock(5940085646304570476); SAVEPOINT job";
/// The same for a job that runs alone (see [`Writer::write_alone`]): no savepoint.
const PG_BEGIN_ALONE: &str = "BEGIN; SELECT pg_advisory_xact_lock(5940085646304570476)";

/// How the writer (re)connects, and the statements that open a batch on that engine.
///
/// On PostgreSQL several replicas write to one database. Each replica keeps one writer, and
/// every batch takes the transaction-scoped advisory lock [`WRITE_LOCK`] before its first job:
/// write transactions run one at a time across all replicas, exactly as on SQLite, so the rules
/// a job checks before it writes (the last active administrator, a name not yet taken) cannot
/// be raced by a job on another replica, and no job needs a retry loop (jobs are `FnOnce`).
/// Group commit keeps the cost of that lock to one round trip per batch.
#[derive(Clone, Debug)]
pub enum Link {
    Sqlite(SqliteConnectOptions),
    Postgres(PgConnectOptions),
}

impl Link {
    async fn connect(&self) -> Result<Conn, sqlx::Error> {
        Ok(match self {
            Link::Sqlite(o) => Conn::Sqlite(SqliteConnection::connect_with(o).await?),
            Link::Postgres(o) => Conn::Postgres(PgConnection::connect_with(o).await?),
        })
    }

    fn describe(&self) -> String {
        match self {
            Link::Sqlite(o) => o.get_filename().display().to_string(),
            Link::Postgres(o) => format!(
                "{} on {}:{}",
                o.get_database().unwrap_or("postgres"),
                o.get_host(),
                o.get_port()
            ),
        }
    }
}

impl Conn {
    /// The statements that open a batch's transaction and, unless its one job runs alone,
    /// the first job's savepoint.
    fn begin(&self, alone: bool) -> &'static str {
        match (self, alone) {
            (Conn::Sqlite(_), false) => "BEGIN IMMEDIATE; SAVEPOINT job",
            (Conn::Sqlite(_), true) => "BEGIN IMMEDIATE",
            (Conn::Postgres(_), false) => PG_BEGIN,
            (Conn::Postgres(_), true) => PG_BEGIN_ALONE,
        }
    }

    async fn close(self) {
        let _ = match self {
            Conn::Sqlite(c) => c.close().await,
            Conn::Postgres(c) => c.close().await,
        };
    }
}

/// A job as the writer sees it: run it on the connection, or tell its caller it failed.
trait Work: Send {
    /// Runs the job; returns whether it succeeded and how to answer once the batch is settled.
    fn run<'c>(self: Box<Self>, conn: &'c mut Conn) -> BoxFuture<'c, Settle>;
    /// Answers without running (the batch could not start, or the writer is stopping).
    fn fail(self: Box<Self>, err: AppError);
    /// Nobody waits for the answer any more (the client hung up before the job ran).
    fn abandoned(&self) -> bool;
    /// Runs in a transaction of its own, without the `job` savepoint ([`Writer::write_alone`]).
    fn alone(&self) -> bool;
}

/// Answers a job's caller once its batch is settled: `None` committed, `Some(why)` rolled back.
type Deliver = Box<dyn FnOnce(Option<&str>) + Send>;

/// The outcome of one job, delivered after the batch commits or fails.
struct Settle {
    ok: bool,
    deliver: Deliver,
}

struct Task<F, T> {
    work: F,
    reply: oneshot::Sender<AppResult<T>>,
    alone: bool,
}

impl<F, T> Work for Task<F, T>
where
    F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, AppResult<T>> + Send + 'static,
    T: Send + 'static,
{
    fn run<'c>(self: Box<Self>, conn: &'c mut Conn) -> BoxFuture<'c, Settle> {
        let Task { work, reply, .. } = *self;
        Box::pin(async move {
            let result = work(conn).await;
            Settle {
                ok: result.is_ok(),
                deliver: Box::new(move |commit_error: Option<&str>| {
                    let answer = match (result, commit_error) {
                        (Ok(_), Some(why)) => Err(AppError::Internal(format!(
                            "the write was rolled back: {why}"
                        ))),
                        (result, _) => result,
                    };
                    let _ = reply.send(answer);
                }),
            }
        })
    }

    fn fail(self: Box<Self>, err: AppError) {
        let _ = self.reply.send(Err(err));
    }

    fn abandoned(&self) -> bool {
        self.reply.is_closed()
    }

    fn alone(&self) -> bool {
        self.alone
    }
}

enum Msg {
    Job(Box<dyn Work>),
    /// Finish everything queued, then stop and say so.
    Stop(oneshot::Sender<()>),
}

/// Counters for operators and benchmarks.
#[derive(Debug, Default)]
pub struct WriterStats {
    pub batches: AtomicU64,
    pub jobs: AtomicU64,
    pub failed_jobs: AtomicU64,
    pub abandoned_jobs: AtomicU64,
    pub busy_rejections: AtomicU64,
}

/// A handle to the writer task; cheap to clone.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Msg>,
    pub stats: Arc<WriterStats>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("queued", &self.queued())
            .finish()
    }
}

impl Writer {
    /// Starts the writer on its own thread: opens the connection there, runs `setup` on it (the
    /// migrations), and returns once both succeeded. A broken connection is reopened with
    /// `options`.
    ///
    /// The thread polls the writer with a spinning executor (see `store::spin`) and is pinned
    /// to the CPU it starts on *before* it opens the connection, so that sqlx's worker thread
    /// for that connection (which runs every statement, and inherits the affinity) shares its
    /// CPU. Measured on 2 cores: unpinned, each statement's hand-off woke the other CPU and
    /// creates reached ~2,000/s; pinned, 3,400/s with a lower p99.
    pub async fn start<S>(link: Link, queue: usize, setup: S) -> AppResult<Writer>
    where
        S: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, AppResult<()>> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel(queue.max(1));
        let stats = Arc::new(WriterStats::default());
        let task_stats = stats.clone();
        let (ready, started) = oneshot::channel();
        let runtime = tokio::runtime::Handle::current();
        std::thread::Builder::new()
            .name("rollcall-writer".into())
            .spawn(move || {
                let _context = runtime.enter();
                super::affinity::pin_to_current_cpu();
                super::spin::block_on(async move {
                    let opened = match link.connect().await {
                        Ok(mut conn) => setup(&mut conn).await.map(|()| conn),
                        Err(e) => Err(AppError::Internal(format!(
                            "cannot open the database {}: {e}",
                            link.describe()
                        ))),
                    };
                    match opened {
                        Ok(conn) => {
                            let _ = ready.send(Ok(()));
                            run(conn, link, rx, task_stats).await;
                        }
                        Err(e) => {
                            let _ = ready.send(Err(e));
                        }
                    }
                });
            })
            .map_err(|e| AppError::Internal(format!("cannot start the writer thread: {e}")))?;
        started
            .await
            .map_err(|_| AppError::Internal("the writer thread stopped while starting".into()))??;
        Ok(Writer { tx, stats })
    }

    /// Runs `work` on the writer and waits for its committed result. Fails at once with
    /// [`AppError::Busy`] when the queue is full. Dropping the returned future only stops the
    /// wait: the work runs whole or not at all (it is skipped if nobody waits when its turn
    /// comes).
    pub async fn write<T, F>(&self, work: F) -> AppResult<T>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, AppResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        self.submit(work, Admission::FailWhenFull, false).await
    }

    /// Like [`Writer::write`], for a job made of many steps in savepoints of its own (SCIM
    /// bulk): it runs in a transaction of its own, not inside the batch's `job` savepoint.
    ///
    /// Why: SQLite journals a page again for every savepoint nested in an open one, and keeps
    /// those records until the outer one ends; releasing each inner savepoint then walks the
    /// whole in-memory sub-journal. A thousand steps inside `job` cost O(n²): a /Bulk of 1,000
    /// creates spent half its time in that walk (`perf`: `sqlite3BtreeSavepoint`), and the
    /// next bulk took longer than the last. As the outermost savepoints, each step's records
    /// are dropped when it is released. A failed job is rolled back whole, as in a batch.
    pub async fn write_alone<T, F>(&self, work: F) -> AppResult<T>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, AppResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        self.submit(work, Admission::FailWhenFull, true).await
    }

    /// Like [`Writer::write`] but waits for room in the queue instead of failing when it is
    /// full: for background tasks (the activity log, the outbox sender, sessions), never for
    /// requests that an overloaded server should answer "busy".
    pub async fn write_queued<T, F>(&self, work: F) -> AppResult<T>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, AppResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        self.submit(work, Admission::WaitForRoom, false).await
    }

    async fn submit<T, F>(&self, work: F, admission: Admission, alone: bool) -> AppResult<T>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, AppResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job = Msg::Job(Box::new(Task { work, reply, alone }));
        match admission {
            Admission::WaitForRoom => {
                if self.tx.send(job).await.is_err() {
                    return Err(stopped());
                }
            }
            Admission::FailWhenFull => match self.tx.try_send(job) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(_)) => {
                    self.stats.busy_rejections.fetch_add(1, Ordering::Relaxed);
                    return Err(AppError::Busy(
                        "the server is busy writing; try again in a moment".into(),
                    ));
                }
                Err(mpsc::error::TrySendError::Closed(_)) => return Err(stopped()),
            },
        }
        answer.await.unwrap_or_else(|_| {
            Err(AppError::Internal(
                "the write did not complete (the writer stopped or the job panicked)".into(),
            ))
        })
    }

    /// Writes everything queued so far, then stops the task (shutdown). Later writes fail.
    pub async fn stop(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Stop(done)).await.is_ok() {
            let _ = wait.await;
        }
    }

    /// A handle that tells whether the writer still runs, without keeping it alive.
    pub fn watch(&self) -> WriterWatch {
        WriterWatch(self.tx.downgrade())
    }

    /// How many writes are waiting now.
    pub fn queued(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }
}

/// See [`Writer::watch`].
pub struct WriterWatch(mpsc::WeakSender<Msg>);

impl WriterWatch {
    /// Whether the writer still takes writes (not stopped, some [`Writer`] handle alive).
    pub fn running(&self) -> bool {
        self.0.upgrade().is_some_and(|tx| !tx.is_closed())
    }
}

/// What a caller does when the queue is full.
enum Admission {
    FailWhenFull,
    WaitForRoom,
}

fn stopped() -> AppError {
    AppError::Busy("the server is shutting down; try again in a moment".into())
}

async fn run(mut conn: Conn, link: Link, mut rx: mpsc::Receiver<Msg>, stats: Arc<WriterStats>) {
    let mut msgs = Vec::with_capacity(MAX_BATCH);
    let mut stops = Vec::new();
    while rx.recv_many(&mut msgs, MAX_BATCH).await > 0 {
        let mut jobs = Vec::with_capacity(msgs.len());
        for msg in msgs.drain(..) {
            match msg {
                Msg::Job(job) if job.abandoned() => {
                    stats.abandoned_jobs.fetch_add(1, Ordering::Relaxed);
                }
                Msg::Job(job) => jobs.push(job),
                Msg::Stop(done) => {
                    // Take nothing new; what is queued already still runs.
                    rx.close();
                    stops.push(done);
                }
            }
        }
        if !jobs.is_empty() {
            stats.batches.fetch_add(1, Ordering::Relaxed);
            stats.jobs.fetch_add(jobs.len() as u64, Ordering::Relaxed);
            metrics::histogram!("rollcall_write_batch_jobs").record(jobs.len() as f64);
            // In order: the jobs before one that runs alone commit first, then it alone.
            let mut together = Vec::with_capacity(jobs.len());
            for job in jobs {
                if job.alone() {
                    if !together.is_empty() {
                        let batch = std::mem::take(&mut together);
                        settle_batch(&mut conn, &link, batch, false, &stats).await;
                    }
                    settle_batch(&mut conn, &link, vec![job], true, &stats).await;
                } else {
                    together.push(job);
                }
            }
            if !together.is_empty() {
                settle_batch(&mut conn, &link, together, false, &stats).await;
            }
        }
    }
    conn.close().await;
    for done in stops {
        let _ = done.send(());
    }
    tracing::info!(
        batches = stats.batches.load(Ordering::Relaxed),
        jobs = stats.jobs.load(Ordering::Relaxed),
        failed = stats.failed_jobs.load(Ordering::Relaxed),
        abandoned = stats.abandoned_jobs.load(Ordering::Relaxed),
        busy = stats.busy_rejections.load(Ordering::Relaxed),
        "writer stopped"
    );
}

/// Runs a batch; reopens the connection if it broke.
async fn settle_batch(
    conn: &mut Conn,
    link: &Link,
    jobs: Vec<Box<dyn Work>>,
    alone: bool,
    stats: &WriterStats,
) {
    if let Err(broken) = run_batch(conn, jobs, alone, stats).await {
        tracing::error!(error = %broken, "the write connection failed; reconnecting");
        match link.connect().await {
            Ok(fresh) => *conn = fresh,
            Err(e) => tracing::error!(error = %e, "cannot reopen the write connection"),
        }
    }
}

/// Runs one batch in one transaction. Returns an error only when the connection itself looks
/// broken (every job has been answered either way).
///
/// Each job runs inside the savepoint `job`. Every statement is a round trip to sqlx's worker
/// thread — the writer's main cost — so the transaction statements ride together: `BEGIN` opens
/// the first savepoint, releasing one job's savepoint opens the next, and the last release goes
/// with `COMMIT`. (The writer is never cancelled, so it may drive the transaction by hand.)
async fn run_batch(
    conn: &mut Conn,
    jobs: Vec<Box<dyn Work>>,
    alone: bool,
    stats: &WriterStats,
) -> Result<(), sqlx::Error> {
    let begin = conn.begin(alone);
    if let Err(e) = sql(conn, begin).await {
        rollback(conn).await;
        let busy = is_busy(&e);
        let gone = crate::error::out_of_reach(&e);
        let why = format!("cannot start a write transaction: {e}");
        if gone {
            tracing::warn!(error = %e, "the database cannot be reached; writes answered busy");
        }
        for job in jobs {
            job.fail(if busy {
                AppError::Busy(
                    "the database is locked by another process; try again in a moment".into(),
                )
            } else if gone {
                crate::error::unreachable()
            } else {
                AppError::Internal(why.clone())
            });
        }
        return if busy { Ok(()) } else { Err(e) };
    }
    let mut settled = Vec::with_capacity(jobs.len());
    let mut broken = None;
    let mut jobs = jobs.into_iter().peekable();
    while let Some(job) = jobs.next() {
        let outcome = AssertUnwindSafe(job.run(conn)).catch_unwind().await;
        let ok = matches!(&outcome, Ok(s) if s.ok);
        match outcome {
            Ok(s) => {
                if !s.ok {
                    stats.failed_jobs.fetch_add(1, Ordering::Relaxed);
                }
                settled.push(s);
            }
            Err(_) => {
                stats.failed_jobs.fetch_add(1, Ordering::Relaxed);
                tracing::error!("a write job panicked; its savepoint was rolled back");
            }
        }
        let step = match (ok, jobs.peek().is_some()) {
            // A job that runs alone is its batch (see `Writer::write_alone`).
            (true, _) if alone => "COMMIT",
            (false, _) if alone => "ROLLBACK",
            (true, true) => "RELEASE job; SAVEPOINT job",
            (false, true) => "ROLLBACK TO job; RELEASE job; SAVEPOINT job",
            (true, false) => "RELEASE job; COMMIT",
            (false, false) => "ROLLBACK TO job; RELEASE job; COMMIT",
        };
        if let Err(e) = sql(conn, step).await {
            broken = Some(e);
            break;
        }
    }
    match broken {
        None => {
            for s in settled {
                (s.deliver)(None);
            }
            Ok(())
        }
        Some(e) => {
            rollback(conn).await;
            let why = format!("the batch failed: {e}");
            for s in settled {
                (s.deliver)(Some(&why));
            }
            for job in jobs {
                job.fail(if crate::error::out_of_reach(&e) {
                    crate::error::unreachable()
                } else {
                    AppError::Internal(why.clone())
                });
            }
            Err(e)
        }
    }
}

async fn sql(conn: &mut Conn, statements: &'static str) -> Result<(), sqlx::Error> {
    match conn {
        Conn::Sqlite(c) => sqlx::raw_sql(statements).execute(c).await.map(drop),
        Conn::Postgres(c) => sqlx::raw_sql(statements).execute(c).await.map(drop),
    }
}

/// Opens a nested savepoint inside a job, for a job made of several changes that must fail
/// one by one (SCIM bulk): [`step_done`] keeps what the step did, [`step_undone`] drops it.
/// (Prepared statements, not [`sql`]: these run on request-side futures that must be `Send`.)
pub async fn step_begin(conn: &mut Conn) -> Result<(), sqlx::Error> {
    crate::sql!(conn, execute, sqlite: "SAVEPOINT step", postgres: "SAVEPOINT step").map(drop)
}

/// Keeps what the step since [`step_begin`] did.
pub async fn step_done(conn: &mut Conn) -> Result<(), sqlx::Error> {
    crate::sql!(conn, execute, sqlite: "RELEASE step", postgres: "RELEASE step").map(drop)
}

/// Drops what the step since [`step_begin`] did (the job goes on).
pub async fn step_undone(conn: &mut Conn) -> Result<(), sqlx::Error> {
    crate::sql!(&mut *conn, execute, sqlite: "ROLLBACK TO step", postgres: "ROLLBACK TO step")?;
    step_done(conn).await
}

/// Ends whatever transaction is open after a failure (none is fine).
async fn rollback(conn: &mut Conn) {
    if let Err(e) = sql(conn, "ROLLBACK").await {
        tracing::debug!(error = %e, "rollback after a failed batch");
    }
}

/// SQLite's "busy"/"locked" codes, and PostgreSQL's lock timeout, serialization failure and
/// deadlock: another process holds what the batch needs; the caller may simply try again.
fn is_busy(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if matches!(
        d.code().as_deref(),
        Some("5" | "6" | "517" | "261" | "55P03" | "40001" | "40P01")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn sqlite(c: &mut Conn) -> &mut SqliteConnection {
        match c {
            Conn::Sqlite(c) => c,
            Conn::Postgres(_) => unreachable!("a SQLite test writer"),
        }
    }

    async fn writer_on(dir: &tempfile::TempDir, queue: usize) -> (Writer, sqlx::SqlitePool) {
        let url = format!("sqlite://{}/w.db", dir.path().display());
        let options = SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
        let writer = Writer::start(Link::Sqlite(options.clone()), queue, |c: &mut Conn| {
            Box::pin(async move {
                sqlx::query("CREATE TABLE t (k TEXT PRIMARY KEY)")
                    .execute(sqlite(c))
                    .await?;
                Ok(())
            })
        })
        .await
        .unwrap();
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        (writer, pool)
    }

    fn insert(
        keys: Vec<&'static str>,
    ) -> impl for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, AppResult<()>> {
        move |c: &mut Conn| {
            Box::pin(async move {
                for k in keys {
                    sqlx::query("INSERT INTO t (k) VALUES (?)")
                        .bind(k)
                        .execute(sqlite(c))
                        .await?;
                }
                Ok(())
            })
        }
    }

    /// Holds SQLite's write lock and queues a first job (inserting `first`), so that the writer
    /// waits in that job's `BEGIN` while the test queues more: those then share the next group.
    async fn hold_the_write_lock(
        w: &Writer,
        pool: &sqlx::SqlitePool,
        first: &'static str,
    ) -> (
        sqlx::pool::PoolConnection<sqlx::Sqlite>,
        tokio::task::JoinHandle<AppResult<()>>,
    ) {
        let mut lock = pool.acquire().await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *lock)
            .await
            .unwrap();
        let first = tokio::spawn({
            let w = w.clone();
            async move { w.write(insert(vec![first])).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        (lock, first)
    }

    /// Once `n` jobs wait, lets the writer go.
    async fn let_go_when_queued(
        w: &Writer,
        mut lock: sqlx::pool::PoolConnection<sqlx::Sqlite>,
        n: usize,
    ) {
        while w.queued() < n {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        sqlx::query("ROLLBACK").execute(&mut *lock).await.unwrap();
    }

    async fn keys(pool: &sqlx::SqlitePool) -> Vec<String> {
        sqlx::query_scalar("SELECT k FROM t ORDER BY k")
            .fetch_all(pool)
            .await
            .unwrap()
    }

    #[test]
    fn the_postgres_batch_takes_the_write_lock() {
        assert!(PG_BEGIN.contains(&format!("pg_advisory_xact_lock({WRITE_LOCK})")));
        assert!(PG_BEGIN.starts_with(PG_BEGIN_ALONE) && !PG_BEGIN_ALONE.contains("SAVEPOINT"));
    }

    /// A job with steps of its own: inserts each key in a savepoint, skipping the duplicates.
    fn insert_steps(
        keys: Vec<&'static str>,
    ) -> impl for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, AppResult<usize>> {
        move |c: &mut Conn| {
            Box::pin(async move {
                let mut kept = 0;
                for k in keys {
                    step_begin(c).await?;
                    let inserted = sqlx::query("INSERT INTO t (k) VALUES (?)")
                        .bind(k)
                        .execute(sqlite(c))
                        .await;
                    if inserted.is_ok() {
                        step_done(c).await?;
                        kept += 1;
                    } else {
                        step_undone(c).await?;
                    }
                }
                Ok(kept)
            })
        }
    }

    #[tokio::test]
    async fn a_job_that_runs_alone_commits_in_order_between_batches() {
        let dir = tempfile::tempdir().unwrap();
        let (w, pool) = writer_on(&dir, 64).await;
        // As above: hold the write lock so that the next five jobs queue up together.
        let (lock, first) = hold_the_write_lock(&w, &pool, "0").await;
        let five = tokio::spawn({
            let w = w.clone();
            async move {
                tokio::join!(
                    w.write(insert(vec!["a"])),
                    // Steps of its own: "a" is taken (by the job before it), the rest kept.
                    w.write_alone(insert_steps(vec!["b", "a", "c"])),
                    // Fails whole: "e" goes with the duplicate.
                    w.write_alone(insert(vec!["e", "b"])),
                    w.write(insert(vec!["d"])),
                    w.write(insert(vec!["f"])),
                )
            }
        });
        let_go_when_queued(&w, lock, 5).await;
        first.await.unwrap().unwrap();
        let (a, steps, bad, d, f) = five.await.unwrap();
        assert!(a.is_ok() && d.is_ok() && f.is_ok());
        assert_eq!(steps.unwrap(), 2);
        assert!(bad.unwrap_err().is_unique_violation());
        let keys = keys(&pool).await;
        assert_eq!(keys, ["0", "a", "b", "c", "d", "f"]);
        assert_eq!(
            w.stats.batches.load(Ordering::Relaxed),
            2,
            "counted per group the writer took: the first job, then the five"
        );
        assert_eq!(w.stats.failed_jobs.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn one_failing_job_in_a_batch_rolls_back_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (w, pool) = writer_on(&dir, 64).await;
        // The writer runs on its own thread; to make four jobs share one batch, hold SQLite's
        // write lock so that it waits in the `BEGIN` of a first batch (one job), queue the four
        // meanwhile, then let go. The third inserts "c" and then a duplicate "a", and must leave
        // no trace ("c" rolled back with it).
        let (lock, first) = hold_the_write_lock(&w, &pool, "0").await;
        let four = tokio::spawn({
            let w = w.clone();
            async move {
                tokio::join!(
                    w.write(insert(vec!["a"])),
                    w.write(insert(vec!["b"])),
                    w.write(insert(vec!["c", "a"])),
                    w.write(insert(vec!["d"])),
                )
            }
        });
        let_go_when_queued(&w, lock, 4).await;
        first.await.unwrap().unwrap();
        let (a, b, bad, d) = four.await.unwrap();
        assert!(a.is_ok() && b.is_ok() && d.is_ok());
        assert!(bad.unwrap_err().is_unique_violation());
        let keys = keys(&pool).await;
        assert_eq!(keys, ["0", "a", "b", "d"]);
        assert_eq!(
            w.stats.batches.load(Ordering::Relaxed),
            2,
            "the first job, then the four in one group commit"
        );
        assert_eq!(w.stats.failed_jobs.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_panicking_job_fails_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (w, pool) = writer_on(&dir, 64).await;
        fn boom(c: &mut Conn) -> BoxFuture<'_, AppResult<()>> {
            Box::pin(async move {
                sqlx::query("INSERT INTO t (k) VALUES ('p')")
                    .execute(sqlite(c))
                    .await?;
                panic!("bug in a job");
            })
        }
        let (ok, panicked) = tokio::join!(w.write(insert(vec!["x"])), w.write(boom));
        assert!(ok.is_ok());
        assert!(matches!(panicked, Err(AppError::Internal(_))));
        let keys = keys(&pool).await;
        assert_eq!(keys, ["x"]);
        // The writer is still alive.
        w.write(insert(vec!["y"])).await.unwrap();
    }

    #[tokio::test]
    async fn a_full_queue_answers_busy_and_a_dropped_wait_loses_nothing_half_done() {
        let dir = tempfile::tempdir().unwrap();
        let (w, pool) = writer_on(&dir, 2).await;
        // Hold the write lock from elsewhere so the writer stalls in BEGIN IMMEDIATE.
        let (mut blocker, first) = hold_the_write_lock(&w, &pool, "1").await;
        // The writer holds "1" (waiting for the lock); two more fill the queue.
        let q1 = tokio::spawn({
            let w = w.clone();
            async move { w.write(insert(vec!["2"])).await }
        });
        let q2 = tokio::spawn({
            let w = w.clone();
            async move { w.write(insert(vec!["3"])).await }
        });
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let busy = w.write(insert(vec!["4"])).await;
        assert!(matches!(busy, Err(AppError::Busy(_))), "{busy:?}");
        // A caller that gives up: its job is skipped whole, never half-applied.
        q2.abort();
        sqlx::query("ROLLBACK")
            .execute(&mut *blocker)
            .await
            .unwrap();
        drop(blocker);
        first.await.unwrap().unwrap();
        q1.await.unwrap().unwrap();
        w.write(insert(vec!["5"])).await.unwrap();
        let keys = keys(&pool).await;
        assert_eq!(keys, ["1", "2", "5"]);
    }

    #[tokio::test]
    async fn stop_writes_what_is_queued_then_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let (w, pool) = writer_on(&dir, 64).await;
        let pending = tokio::spawn({
            let w = w.clone();
            async move { w.write(insert(vec!["q"])).await }
        });
        tokio::task::yield_now().await;
        w.stop().await;
        pending.await.unwrap().unwrap();
        assert!(matches!(
            w.write(insert(vec!["late"])).await,
            Err(AppError::Busy(_))
        ));
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM t")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 1);
    }
}
