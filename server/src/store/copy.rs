//! `rollcall db copy`: moves an installation from its SQLite file to a PostgreSQL database,
//! all or nothing. The source is read in one read transaction (a consistent snapshot, even
//! while a server is writing to it; nothing is written to it); the target is migrated to the
//! same schema version, must be empty, and is filled in one transaction — table by table in
//! foreign-key order, each verified by its row count before anything is committed. Row ids are
//! kept, and each identity sequence is moved past the ids copied. A copy that fails for any
//! reason leaves the target with the schema and no rows, so it can simply be run again.
//!
//! It runs only from the CLI, on two connections of its own (never the server's pools or its
//! writer), so no request future can drop it halfway; if the process is interrupted, the
//! dropped connections end both transactions (PostgreSQL rolls the copy back).

use crate::error::{AppError, AppResult};
use futures_util::TryStreamExt;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow};
use sqlx::{Connection, Row};
use std::str::FromStr;

/// Every table, in an order where each foreign key points to a table before it.
pub const TABLES: &[&str] = &[
    "accounts",
    "users",
    "user_pages",
    "user_groups",
    "group_members",
    "api_keys",
    "api_key_groups",
    "audit_events",
    "scim_requests",
    "invites",
    "password_resets",
    "outbox",
    "sessions",
    "saml_configs",
    "saml_requests",
    "saml_assertions",
    "saml_attempts",
    "throttle",
];

/// Rows per INSERT (PostgreSQL takes at most 65,535 parameters per statement).
const ROWS_PER_INSERT: usize = 1000;

/// One table copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub table: &'static str,
    pub rows: i64,
}

/// How a column travels: what the target stores, read from the source as that type.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Text,
    Int,
    Bool,
    Bytes,
    Time,
}

#[derive(Debug)]
enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Bytes(Option<Vec<u8>>),
    Time(Option<time::OffsetDateTime>),
}

struct Column {
    name: String,
    kind: Kind,
}

/// Copies the SQLite database at `from` into the empty PostgreSQL database at `to`.
pub async fn sqlite_to_postgres(from: &str, to: &str) -> AppResult<Vec<Copied>> {
    let mut source = open_source(from).await?;
    let target_options = PgConnectOptions::from_str(to)
        .ok()
        .filter(|_| to.starts_with("postgres://") || to.starts_with("postgresql://"))
        .ok_or_else(|| AppError::invalid("to", format!("'{to}' is not a postgres:// URL")))?;
    let mut target = PgConnection::connect_with(&target_options)
        .await
        .map_err(|e| AppError::invalid("to", format!("cannot connect to {to}: {e}")))?;
    super::POSTGRES_MIGRATOR.run(&mut target).await?;

    sqlx::query("BEGIN").execute(&mut source).await?;
    let mut tx = target.begin().await?;
    for table in TABLES {
        let has_rows: bool = sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM {table})"))
            .fetch_one(&mut *tx)
            .await?;
        if has_rows {
            return Err(AppError::Conflict(format!(
                "the target database already holds data (table {table} has rows); copy into a new, empty database"
            )));
        }
    }
    let mut copied = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        if *table == "user_pages" {
            // The target's triggers counted the users as they landed; the source's ranges
            // replace those counts.
            sqlx::query("DELETE FROM user_pages")
                .execute(&mut *tx)
                .await?;
        }
        let columns = target_columns(&mut tx, table).await?;
        let rows = copy_table(&mut source, &mut tx, table, &columns).await?;
        let expected: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut source)
            .await?;
        let landed: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await?;
        if rows != expected || landed != expected {
            return Err(AppError::Internal(format!(
                "table {table}: {expected} rows in the source, {rows} read and {landed} written; nothing was committed"
            )));
        }
        move_identity_past_copied_ids(&mut tx, table).await?;
        copied.push(Copied { table, rows });
    }
    tx.commit().await?;
    sqlx::query("ROLLBACK").execute(&mut source).await?;
    Ok(copied)
}

/// The source, read-only, and at the schema version this binary expects (else the copy would
/// miss columns): never created, never migrated, never written.
async fn open_source(from: &str) -> AppResult<SqliteConnection> {
    let options = SqliteConnectOptions::from_str(from)
        .ok()
        .filter(|_| from.starts_with("sqlite:"))
        .ok_or_else(|| AppError::invalid("from", format!("'{from}' is not a sqlite:// URL")))?;
    let path = options.get_filename().to_path_buf();
    if !path.is_file() {
        return Err(AppError::invalid(
            "from",
            format!("there is no database at {}", path.display()),
        ));
    }
    let mut source = SqliteConnection::connect_with(&options.read_only(true))
        .await
        .map_err(|e| AppError::invalid("from", format!("cannot open {}: {e}", path.display())))?;
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success = 1")
            .fetch_all(&mut source)
            .await
            .map_err(|_| {
                AppError::invalid(
                    "from",
                    format!("{} is not a Rollcall database", path.display()),
                )
            })?;
    let expected: Vec<i64> = super::MIGRATOR.iter().map(|m| m.version).collect();
    if applied != expected {
        return Err(AppError::invalid(
            "from",
            format!(
                "{} is at schema version {} but this rollcall expects {}: run this version's `rollcall serve` on it once (it migrates at start-up), then copy",
                path.display(),
                applied.last().copied().unwrap_or(0),
                expected.last().copied().unwrap_or(0)
            ),
        ));
    }
    Ok(source)
}

/// The target table's stored columns (generated ones are computed there, not copied).
async fn target_columns(tx: &mut PgConnection, table: &str) -> AppResult<Vec<Column>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER'
         ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *tx)
    .await?;
    rows.into_iter()
        .map(|(name, data_type)| {
            let kind = match data_type.as_str() {
                "text" => Kind::Text,
                "bigint" => Kind::Int,
                "boolean" => Kind::Bool,
                "bytea" => Kind::Bytes,
                "timestamp with time zone" => Kind::Time,
                other => {
                    return Err(AppError::Internal(format!(
                        "{table}.{name}: no copy rule for the column type {other}"
                    )))
                }
            };
            Ok(Column { name, kind })
        })
        .collect()
}

fn read(row: &SqliteRow, i: usize, kind: Kind) -> Result<Value, sqlx::Error> {
    Ok(match kind {
        Kind::Text => Value::Text(row.try_get(i)?),
        Kind::Int => Value::Int(row.try_get(i)?),
        Kind::Bool => Value::Bool(row.try_get(i)?),
        Kind::Bytes => Value::Bytes(row.try_get(i)?),
        Kind::Time => Value::Time(row.try_get(i)?),
    })
}

/// Streams `table` from the source into the target in multi-row INSERTs; returns rows read.
async fn copy_table(
    source: &mut SqliteConnection,
    tx: &mut PgConnection,
    table: &str,
    columns: &[Column],
) -> AppResult<i64> {
    let names = columns
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let select = format!("SELECT {names} FROM {table}");
    let mut rows = sqlx::query(&select).fetch(&mut *source);
    let mut batch: Vec<Vec<Value>> = Vec::with_capacity(ROWS_PER_INSERT);
    let mut count = 0i64;
    while let Some(row) = rows.try_next().await? {
        let values = columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                read(&row, i, c.kind).map_err(|e| {
                    AppError::Internal(format!("{table}.{}: cannot read a value: {e}", c.name))
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        batch.push(values);
        count += 1;
        if batch.len() == ROWS_PER_INSERT {
            insert(tx, table, &names, &mut batch).await?;
        }
    }
    insert(tx, table, &names, &mut batch).await?;
    Ok(count)
}

async fn insert(
    tx: &mut PgConnection,
    table: &str,
    names: &str,
    batch: &mut Vec<Vec<Value>>,
) -> AppResult<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let mut q =
        sqlx::QueryBuilder::<sqlx::Postgres>::new(format!("INSERT INTO {table} ({names}) "));
    q.push_values(batch.drain(..), |mut b, row| {
        for value in row {
            match value {
                Value::Text(v) => b.push_bind(v),
                Value::Int(v) => b.push_bind(v),
                Value::Bool(v) => b.push_bind(v),
                Value::Bytes(v) => b.push_bind(v),
                Value::Time(v) => b.push_bind(v),
            };
        }
    });
    q.build().execute(&mut *tx).await?;
    Ok(())
}

/// Rows inserted later get ids after the copied ones.
async fn move_identity_past_copied_ids(tx: &mut PgConnection, table: &str) -> AppResult<()> {
    let identity: Option<String> = sqlx::query_scalar(
        "SELECT column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'YES'",
    )
    .bind(table)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(column) = identity {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), COALESCE(MAX({column}), 0) + 1, false) FROM {table}"
        ))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
