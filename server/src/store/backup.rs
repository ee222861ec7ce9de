//! `rollcall backup --to FILE`: a consistent copy of a SQLite database taken while a server
//! keeps serving it, then verified.
//!
//! `VACUUM INTO` reads one snapshot (a read transaction: in WAL mode writers go on, and the copy
//! holds exactly the commits before it began) and writes a compact new database file. The copy
//! is then opened on its own and must pass `PRAGMA integrity_check`; one that does not is
//! deleted, never left looking like a backup. The database is opened read-only and never
//! migrated: a backup taken before an upgrade is of the old schema, as it must be.

use crate::error::{AppError, AppResult};
use rusqlite::{Connection, OpenFlags};
use sqlx::sqlite::SqliteConnectOptions;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// What a backup holds, as `rollcall backup` reports it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub file: PathBuf,
    pub bytes: u64,
    pub accounts: i64,
    pub users: i64,
    pub api_keys: i64,
    pub sessions: i64,
}

/// Copies the SQLite database at `database_url` to the new file `to` and verifies the copy.
pub async fn sqlite(database_url: &str, to: &Path) -> AppResult<Report> {
    let from = SqliteConnectOptions::from_str(database_url)
        .map_err(|e| {
            AppError::invalid(
                "database-url",
                format!("'{database_url}' is not a SQLite URL: {e}"),
            )
        })?
        .get_filename()
        .to_path_buf();
    if !from.exists() {
        return Err(AppError::invalid(
            "database-url",
            format!("there is no database at {}", from.display()),
        ));
    }
    if to.exists() {
        return Err(AppError::invalid(
            "to",
            format!(
                "{} exists; name a new file (a backup never overwrites one)",
                to.display()
            ),
        ));
    }
    let to = to.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let result = copy_and_verify(&from, &to);
        if result.is_err() {
            let _ = std::fs::remove_file(&to);
        }
        result
    })
    .await
    .map_err(|e| AppError::Internal(format!("the backup task failed: {e}")))?
}

fn copy_and_verify(from: &Path, to: &Path) -> AppResult<Report> {
    let failed = |what: &str, e: rusqlite::Error| AppError::Internal(format!("{what}: {e}"));
    let source = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| failed(&format!("cannot open {}", from.display()), e))?;
    // A writer's commit in progress holds the lock only for a moment.
    source
        .busy_timeout(Duration::from_secs(30))
        .map_err(|e| failed("cannot set a busy timeout", e))?;
    let target = to
        .to_str()
        .ok_or_else(|| AppError::invalid("to", "the file name must be UTF-8"))?;
    source
        .execute("VACUUM INTO ?1", [target])
        .map_err(|e| failed(&format!("cannot write {}", to.display()), e))?;
    drop(source);

    let copy = Connection::open_with_flags(to, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|e| failed("cannot open the copy", e))?;
    let verdict: String = copy
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(|e| failed("cannot check the copy", e))?;
    if verdict != "ok" {
        return Err(AppError::Internal(format!(
            "the copy failed its integrity check ({verdict}); it was deleted"
        )));
    }
    let count = |table: &str| -> AppResult<i64> {
        copy.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .map_err(|e| failed(&format!("cannot count {table} in the copy"), e))
    };
    Ok(Report {
        file: to.to_path_buf(),
        bytes: std::fs::metadata(to).map(|m| m.len()).unwrap_or(0),
        accounts: count("accounts")?,
        users: count("users")?,
        api_keys: count("api_keys")?,
        sessions: count("sessions")?,
    })
}
