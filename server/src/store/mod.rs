//! The storage layer: the only place with SQL. One module per table family; every query is
//! scoped by `account_id`. Functions take any executor so the domain can group them in one
//! transaction.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod directory;
pub mod groups;
pub mod invites;
pub mod outbox;
pub mod scim_activity;
pub mod scim_query;
pub mod users;

use crate::error::{AppError, AppResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

pub type Db = SqlitePool;
pub type Tx<'a> = sqlx::Transaction<'a, sqlx::Sqlite>;

/// Opens (creating if needed) the database and its folder, and runs the migrations.
pub async fn open(database_url: &str) -> AppResult<Db> {
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
        .pragma("temp_store", "memory");
    let path = options.get_filename().to_path_buf();
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            AppError::Internal(format!(
                "cannot create the database folder {}: {e}",
                dir.display()
            ))
        })?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(|e| {
            AppError::Internal(format!("cannot open the database {}: {e}", path.display()))
        })?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

/// Starts a transaction that will write. `BEGIN IMMEDIATE` takes the write lock up front, so a
/// transaction that reads before it writes waits its turn (busy timeout) instead of failing with
/// SQLITE_BUSY_SNAPSHOT when another writer committed in between.
///
/// Writers also queue on an in-process gate first: SQLite's busy handler sleeps with growing
/// back-off, which under load turns lock waits into long tail latencies; a fair async queue
/// hands the lock over at once. Keep the returned guard alive for the transaction's life.
pub async fn begin_write(db: &Db) -> AppResult<(WriteGuard, Tx<'static>)> {
    let guard = WRITE_GATE.clone().lock_owned().await;
    Ok((WriteGuard(guard), db.begin_with("BEGIN IMMEDIATE").await?))
}

static WRITE_GATE: std::sync::LazyLock<std::sync::Arc<tokio::sync::Mutex<()>>> =
    std::sync::LazyLock::new(|| std::sync::Arc::new(tokio::sync::Mutex::new(())));

/// Holds this process's turn to write; released when dropped (after the transaction ends).
pub struct WriteGuard(#[allow(dead_code)] tokio::sync::OwnedMutexGuard<()>);

/// Does the database answer? (`/healthz`)
pub async fn ping(db: &Db) -> AppResult<()> {
    sqlx::query("SELECT 1").execute(db).await?;
    Ok(())
}

type Args<'q> = sqlx::sqlite::SqliteArguments<'q>;

/// Binds one filter parameter to a scalar query.
pub(crate) fn bind_scalar<'q, O>(
    q: sqlx::query::QueryScalar<'q, sqlx::Sqlite, O, Args<'q>>,
    b: &scim_query::Bind,
) -> sqlx::query::QueryScalar<'q, sqlx::Sqlite, O, Args<'q>> {
    match b {
        scim_query::Bind::Text(s) => q.bind(s.clone()),
        scim_query::Bind::Int(i) => q.bind(*i),
    }
}

/// Binds one filter parameter to a row query.
pub(crate) fn bind_as<'q, O>(
    q: sqlx::query::QueryAs<'q, sqlx::Sqlite, O, Args<'q>>,
    b: &scim_query::Bind,
) -> sqlx::query::QueryAs<'q, sqlx::Sqlite, O, Args<'q>> {
    match b {
        scim_query::Bind::Text(s) => q.bind(s.clone()),
        scim_query::Bind::Int(i) => q.bind(*i),
    }
}

/// One page of `columns` from `from` (which ends in `WHERE <alias>.account_id = ?`) matching
/// `filter`, plus the total. The `COUNT(*)` is skipped when the first page is not full (then the
/// page is the total): a `userName eq` lookup costs one indexed query.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn page<T>(
    db: &Db,
    columns: &str,
    from: &str,
    account_id: &str,
    filter: &scim_query::SqlWhere,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(i64, Vec<T>)>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
{
    let where_sql = if filter.sql.is_empty() {
        String::new()
    } else {
        format!(" AND ({})", filter.sql)
    };
    let rows = if limit > 0 {
        let sql =
            format!("SELECT {columns} FROM {from}{where_sql} ORDER BY {order_by} LIMIT ? OFFSET ?");
        let mut q = sqlx::query_as::<_, T>(&sql).bind(account_id);
        for b in &filter.binds {
            q = bind_as(q, b);
        }
        q.bind(limit).bind(offset).fetch_all(db).await?
    } else {
        Vec::new()
    };
    let fits = i64::try_from(rows.len()).unwrap_or(i64::MAX);
    if offset == 0 && limit > 0 && fits < limit {
        return Ok((fits, rows));
    }
    let sql = format!("SELECT COUNT(*) FROM {from}{where_sql}");
    let mut q = sqlx::query_scalar::<_, i64>(&sql).bind(account_id);
    for b in &filter.binds {
        q = bind_scalar(q, b);
    }
    Ok((q.fetch_one(db).await?, rows))
}
