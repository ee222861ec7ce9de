//! The storage layer: the only place with SQL. One module per table family; every query is
//! scoped by `account_id`. Functions take any executor so the domain can group them in one
//! transaction.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod backup;
pub mod directory;
pub mod groups;
pub mod inline;
pub mod invites;
pub mod member_cache;
pub mod outbox;
pub mod saml;
pub mod scim_activity;
pub mod scim_query;
pub mod throttle;
pub mod users;

mod affinity;
pub mod checkpoint;
pub mod copy;
pub mod exec;
pub mod leader;
pub mod notify;
pub mod sessions;
mod spin;
pub mod writer;

use crate::clock::Clock;
use crate::error::{AppError, AppResult};
use futures_util::future::BoxFuture;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;
pub use writer::{Conn, Link, Writer};

/// The database: a pool of read-only connections for reads, and the [`Writer`] for every
/// write. `&Db` is an [`exec::Exec`] for reads (they run on the reader pool), so store
/// functions read with `db` directly; writes go through [`Db::write`] and run on the writer.
#[derive(Clone, Debug)]
pub struct Db {
    read: Readers,
    /// SQLite only: point reads on the caller's thread (see [`inline`]).
    inline: Option<std::sync::Arc<inline::InlineReaders>>,
    writer: Writer,
    clock: Clock,
    lead: leader::Leadership,
    /// Large groups' memberships by version (see [`member_cache`]).
    members: std::sync::Arc<member_cache::MemberCache>,
}

/// The read-only connections of one engine.
#[derive(Clone, Debug)]
pub enum Readers {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Which engine a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// `sqlite:` (the default, embedded) or `postgres:` / `postgresql:`.
    pub fn of(database_url: &str) -> AppResult<Engine> {
        let scheme = database_url.split(':').next().unwrap_or_default();
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Engine::Sqlite),
            "postgres" | "postgresql" => Ok(Engine::Postgres),
            _ => Err(AppError::invalid(
                "database-url",
                format!(
                    "'{}' names no database this server knows: use sqlite://PATH or postgres://USER@HOST/DB",
                    redact(database_url)
                ),
            )),
        }
    }
}

/// The URL with any password replaced by `***`, for messages and logs.
pub fn redact(database_url: &str) -> String {
    match (database_url.find("://"), database_url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &database_url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!(
                    "{}{user}:***{}",
                    &database_url[..s + 3],
                    &database_url[at..]
                ),
                None => database_url.to_string(),
            }
        }
        _ => database_url.to_string(),
    }
}

/// How to open the database.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Writes that may wait for the writer before callers are answered "busy" (503).
    pub write_queue: usize,
    /// Reader connections.
    pub readers: u32,
    /// The clock deadlines are decided by (tests move it; see [`crate::clock`]).
    pub clock: Clock,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            write_queue: writer::DEFAULT_QUEUE,
            readers: 8,
            clock: Clock::system(),
        }
    }
}

/// Opens (creating if needed) the database and its folder, and runs the migrations.
pub async fn open(database_url: &str) -> AppResult<Db> {
    open_with(database_url, &OpenOptions::default()).await
}

/// [`open`] with explicit queue and pool sizes.
pub async fn open_with(database_url: &str, opts: &OpenOptions) -> AppResult<Db> {
    match Engine::of(database_url)? {
        Engine::Sqlite => open_sqlite(database_url, opts).await,
        Engine::Postgres => open_postgres(database_url, opts).await,
    }
}

async fn open_sqlite(database_url: &str, opts: &OpenOptions) -> AppResult<Db> {
    let options = SqliteConnectOptions::from_str(database_url)
        .map_err(|e| {
            AppError::invalid(
                "database-url",
                format!("'{database_url}' is not a SQLite URL: {e}"),
            )
        })?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10))
        .pragma("temp_store", "memory")
        // 16 MiB of page cache per connection instead of SQLite's 2 MiB: a million users'
        // indexes are hundreds of MiB; deep SCIM pages measured 490 → 550/s at 1M users.
        .pragma("cache_size", "-16384");
    let path = options.get_filename().to_path_buf();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            AppError::Internal(format!(
                "cannot create the database folder {}: {e}",
                dir.display()
            ))
        })?;
    }
    let cannot_open = |e: sqlx::Error| {
        AppError::Internal(format!("cannot open the database {}: {e}", path.display()))
    };
    // The writer's connection is the only read-write one; it migrates first, holding the
    // migration lock so that processes started together on a new file migrate it once.
    let migrating = MigrationLock::take(&path).await?;
    let writer = Writer::start(
        Link::Sqlite(options.clone()),
        opts.write_queue,
        |c: &mut Conn| {
            Box::pin(async move {
                if let Conn::Sqlite(c) = c {
                    MIGRATOR.run_direct(c).await?;
                }
                Ok(())
            })
        },
    )
    .await?;
    drop(migrating);
    // One round trip to a connection's sqlx worker thread per read, not three: each is a
    // futex wake and a context switch either way, and they were most of a lookup's CPU
    // (docs/benchmarks.md, the profile). So no ping before handing a connection out (a local
    // file cannot hang up), and no probe statement when it comes back: a reader runs single
    // statements only (`exec::Exec`), the writer alone issues `BEGIN`, and a `Transaction`
    // dropped on a reader is rolled back by sqlx before the connection is used again (tested
    // below).
    let read = SqlitePoolOptions::new()
        .max_connections(opts.readers.max(1))
        .test_before_acquire(false)
        .connect_with(options.pragma("query_only", "ON"))
        .await
        .map_err(cannot_open)?;
    tokio::spawn(checkpoint::run(read.clone(), writer.watch()));
    Ok(Db {
        read: Readers::Sqlite(read),
        inline: Some(std::sync::Arc::new(inline::InlineReaders::new(&path))),
        writer,
        clock: opts.clock.clone(),
        lead: leader::Leadership::always(),
        members: Default::default(),
    })
}

/// How long a PostgreSQL read waits for a connection before it is answered busy.
const READ_WAIT: Duration = Duration::from_secs(2);

/// PostgreSQL: the writer's connection migrates (sqlx's PostgreSQL migrator holds an advisory
/// lock while it runs, so replicas started together migrate once and the others wait), then
/// the readers open read-only (`default_transaction_read_only`), as SQLite's are `query_only`.
async fn open_postgres(database_url: &str, opts: &OpenOptions) -> AppResult<Db> {
    let options = PgConnectOptions::from_str(database_url)
        .map_err(|e| {
            AppError::invalid(
                "database-url",
                format!("'{}' is not a PostgreSQL URL: {e}", redact(database_url)),
            )
        })?
        .application_name("rollcall");
    // A batch waits at most 10 s for the write lock (as SQLite's busy timeout), then its
    // callers are told "busy" instead of waiting without end behind a stuck replica.
    let writer = Writer::start(
        Link::Postgres(options.clone().options([("lock_timeout", "10s")])),
        opts.write_queue,
        |c: &mut Conn| {
            Box::pin(async move {
                if let Conn::Postgres(c) = c {
                    POSTGRES_MIGRATOR.run_direct(c).await?;
                }
                Ok(())
            })
        },
    )
    .await?;
    // One more than the readers: the change listener (`notify`) keeps one for itself. A read
    // waits at most 2 s for a connection — all of them busy, or the server unreachable (sqlx
    // retries a refused connection until then) — before it is answered 503 "busy".
    let read = PgPoolOptions::new()
        .max_connections(opts.readers.max(1) + 1)
        .acquire_timeout(READ_WAIT)
        .connect_with(
            options
                .clone()
                .options([("default_transaction_read_only", "on")]),
        )
        .await
        .map_err(|e| {
            AppError::Internal(format!(
                "cannot open the database {}: {e}",
                redact(database_url)
            ))
        })?;
    let lead = leader::Leadership::compete(options, writer.watch());
    Ok(Db {
        read: Readers::Postgres(read),
        inline: None,
        writer,
        clock: opts.clock.clone(),
        lead,
        members: Default::default(),
    })
}

/// An exclusive lock on `<database>.migrate-lock`, held while one process migrates. SQLite's
/// migrator takes no lock of its own: two processes started at once on a new file would both
/// see "nothing applied" and the second would fail creating tables the first just made. With
/// the lock, the second waits, then finds every migration applied.
struct MigrationLock(Option<std::fs::File>);

impl MigrationLock {
    async fn take(database: &std::path::Path) -> AppResult<MigrationLock> {
        let name = database.as_os_str();
        if name.is_empty() || name == ":memory:" {
            return Ok(MigrationLock(None));
        }
        let mut lock_path = name.to_owned();
        lock_path.push(".migrate-lock");
        let lock_path = std::path::PathBuf::from(lock_path);
        let file = tokio::task::spawn_blocking(move || {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)?;
            file.lock()?;
            Ok::<_, std::io::Error>(file)
        })
        .await
        .map_err(|e| AppError::Internal(format!("migration lock: {e}")))?
        .map_err(|e| AppError::Internal(format!("cannot take the migration lock: {e}")))?;
        Ok(MigrationLock(Some(file)))
    }
}

impl Drop for MigrationLock {
    fn drop(&mut self) {
        if let Some(file) = self.0.take() {
            let _ = file.unlock();
        }
    }
}

impl Db {
    /// Runs `work` on the writer (in a savepoint of a group commit) and returns its committed
    /// result; [`AppError::Busy`] at once when the write queue is full. See [`writer`].
    pub async fn write<T, F>(&self, work: F) -> AppResult<T>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, AppResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        self.writer.write(work).await
    }

    /// [`Db::write`] in a transaction of its own, for a job of many steps in savepoints of
    /// their own ([`Writer::write_alone`]).
    pub async fn write_alone<T, F>(&self, work: F) -> AppResult<T>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, AppResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        self.writer.write_alone(work).await
    }

    /// The writer, for background tasks ([`Writer::write_queued`])
    /// and shutdown.
    pub fn writer(&self) -> &Writer {
        &self.writer
    }

    /// Whether this process runs the background jobs now (one replica at a time; see
    /// [`leader`]).
    pub fn leads_jobs(&self) -> bool {
        self.lead.leads()
    }

    /// The clock every deadline is decided by.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// The reader pool (read-only connections).
    pub fn readers(&self) -> &Readers {
        &self.read
    }

    /// The point-read pool (SQLite only).
    pub fn inline(&self) -> Option<&inline::InlineReaders> {
        self.inline.as_deref()
    }

    /// The point-read pool, shared (for reads moved to a blocking thread).
    pub fn inline_pool(&self) -> Option<std::sync::Arc<inline::InlineReaders>> {
        self.inline.clone()
    }

    /// Memberships already read (see [`member_cache`]).
    pub fn member_cache(&self) -> &member_cache::MemberCache {
        &self.members
    }

    /// Which engine this is.
    pub fn engine(&self) -> Engine {
        match self.read {
            Readers::Sqlite(_) => Engine::Sqlite,
            Readers::Postgres(_) => Engine::Postgres,
        }
    }

    /// Writes what is queued and stops the writer; closes the readers (shutdown).
    pub async fn close(&self) {
        self.writer.stop().await;
        match &self.read {
            Readers::Sqlite(p) => p.close().await,
            Readers::Postgres(p) => p.close().await,
        }
    }
}

/// The schema this binary expects, embedded from `server/migrations/sqlite`.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
/// Its PostgreSQL twin (`server/migrations/postgres`: the same versions and tables).
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Can this process serve? The database answers, every migration this binary embeds is
/// applied, and the writer takes writes (`/readyz`). `Err` says what is wrong.
pub async fn readiness(db: &Db) -> Result<(), String> {
    let applied: Vec<i64> = crate::sql!(db, fetch_all scalar i64,
        sqlite: "SELECT version FROM _sqlx_migrations WHERE success = 1",
        postgres: "SELECT version FROM _sqlx_migrations WHERE success")
    .map_err(|e| format!("the database does not answer: {e}"))?;
    let migrator = match db.engine() {
        Engine::Sqlite => &MIGRATOR,
        Engine::Postgres => &POSTGRES_MIGRATOR,
    };
    let expected: Vec<i64> = migrator.iter().map(|m| m.version).collect();
    let missing = expected.iter().filter(|v| !applied.contains(v)).count();
    if missing > 0 {
        return Err(format!(
            "the database is not migrated: {} of {} migrations applied",
            expected.len() - missing,
            expected.len()
        ));
    }
    if !db.writer.watch().running() {
        return Err("the writer has stopped (shutting down)".into());
    }
    Ok(())
}

/// Binds one filter parameter to a query of either engine.
macro_rules! bind_filter {
    ($q:expr, $b:expr) => {
        match $b {
            scim_query::Bind::Text(s) => $q.bind(s.clone()),
            scim_query::Bind::Int(i) => $q.bind(*i),
            scim_query::Bind::Bool(b) => $q.bind(*b),
        }
    };
}

/// `$q` with `$first` and then every parameter of the filter fragment `$frag` bound.
macro_rules! bound {
    ($q:expr, $first:expr, $frag:expr) => {{
        let mut q = $q.bind($first);
        for b in &$frag.binds {
            q = bind_filter!(q, b);
        }
        q
    }};
}

/// One page of `columns` from `table` (aliased `alias`) of one account matching `filter`, plus
/// the total. The `COUNT(*)` is skipped when the first page is not full (then the page is the
/// total): a `userName eq` lookup costs one indexed query.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn page<T>(
    db: &Db,
    columns: &str,
    table: &str,
    alias: &str,
    account_id: &str,
    filter: &scim_query::SqlWhere,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(i64, Vec<T>)>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + Send
        + Unpin,
{
    let and = |text: String| {
        if text.is_empty() {
            text
        } else {
            format!(" AND ({text})")
        }
    };
    let (from, fragment, params) = match db.engine() {
        Engine::Sqlite => (
            format!(
                "{table} WHERE {alias}.account_id = ?{}",
                and(filter.sqlite.sqlite())
            ),
            &filter.sqlite,
            ["?".to_string(), "?".to_string()],
        ),
        Engine::Postgres => {
            let n = filter.postgres.binds.len();
            (
                format!(
                    "{table} WHERE {alias}.account_id = $1{}",
                    and(filter.postgres.postgres(2))
                ),
                &filter.postgres,
                [format!("${}", n + 2), format!("${}", n + 3)],
            )
        }
    };
    let rows = if limit > 0 {
        let sql = format!(
            "SELECT {columns} FROM {from} ORDER BY {order_by} LIMIT {} OFFSET {}",
            params[0], params[1]
        );
        crate::on_engine!(db, |e|
            sqlite: bound!(sqlx::query_as::<_, T>(&sql), account_id, fragment)
                .bind(limit).bind(offset).fetch_all(e).await,
            postgres: bound!(sqlx::query_as::<_, T>(&sql), account_id, fragment)
                .bind(limit).bind(offset).fetch_all(e).await)?
    } else {
        Vec::new()
    };
    let fits = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    if offset == 0 && limit > 0 && fits < limit {
        return Ok((fits, rows));
    }
    let sql = format!("SELECT COUNT(*) FROM {from}");
    let total = crate::on_engine!(db, |e|
        sqlite: bound!(sqlx::query_scalar::<_, i64>(&sql), account_id, fragment).fetch_one(e).await,
        postgres: bound!(sqlx::query_scalar::<_, i64>(&sql), account_id, fragment).fetch_one(e).await)?;
    Ok((total, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite(db: &Db) -> &SqlitePool {
        match db.readers() {
            Readers::Sqlite(p) => p,
            Readers::Postgres(_) => unreachable!("a SQLite test database"),
        }
    }

    async fn one_reader() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let db = open_with(
            &url,
            &OpenOptions {
                readers: 1,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        (dir, db)
    }

    #[tokio::test]
    async fn a_transaction_dropped_on_a_reader_is_rolled_back_before_its_next_use() {
        let (_dir, db) = one_reader().await;
        let mut tx = sqlite(&db).begin().await.unwrap();
        sqlx::query("SELECT COUNT(*) FROM accounts")
            .execute(&mut *tx)
            .await
            .unwrap();
        drop(tx); // not committed, as when the request holding it is cancelled
                  // With one reader, whoever acquires next would be inside that transaction (and BEGIN
                  // would fail with "cannot start a transaction within a transaction").
        let mut next = sqlite(&db).acquire().await.unwrap();
        sqlx::query("BEGIN").execute(&mut *next).await.unwrap();
        sqlx::query("ROLLBACK").execute(&mut *next).await.unwrap();
    }

    #[tokio::test]
    async fn readers_cannot_write_only_the_writer_can() {
        let (_dir, db) = one_reader().await;
        let err = sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES ('x', 'x', 'x')")
            .execute(sqlite(&db))
            .await
            .unwrap_err();
        assert!(err.to_string().contains("readonly"), "{err}");
        let id = crate::domain::accounts::create(&db, "Acme").await.unwrap();
        assert!(accounts::get(&db, &id).await.unwrap().is_some());
    }
}
