//! The storage layer: the only place with SQL. One module per table family; every query is
//! scoped by `account_id`. Functions take any executor so the domain can group them in one
//! transaction.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod groups;
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
pub async fn begin_write(db: &Db) -> AppResult<Tx<'static>> {
    Ok(db.begin_with("BEGIN IMMEDIATE").await?)
}

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
