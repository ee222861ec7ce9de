//! `throttle`: fixed-window counters for log-in and reset throttling, shared by every process
//! on the database. A hit is one atomic upsert (a window that ended starts again at 1), so
//! two processes counting at once never lose a hit.

use super::exec::Exec;
use crate::error::AppResult;
use crate::sql;

/// The window `key` is in: (Unix second it began, hits so far).
pub async fn window(db: impl Exec<'_>, key: &str) -> AppResult<Option<(i64, i64)>> {
    Ok(sql!(db, fetch_optional as _,
        sqlite: "SELECT window_start, hits FROM throttle WHERE key = ?",
        postgres: "SELECT window_start, hits FROM throttle WHERE key = $1",
        key,
    )?)
}

/// Counts one hit for `key` at `now`; a window older than `window_secs` restarts.
pub async fn hit(db: impl Exec<'_>, key: &str, now: i64, window_secs: i64) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "INSERT INTO throttle (key, window_start, hits) VALUES (?1, ?2, 1)
         ON CONFLICT (key) DO UPDATE SET
             hits = CASE WHEN throttle.window_start <= ?2 - ?3 THEN 1 ELSE throttle.hits + 1 END,
             window_start = CASE WHEN throttle.window_start <= ?2 - ?3 THEN ?2 ELSE throttle.window_start END",
        postgres: "INSERT INTO throttle (key, window_start, hits) VALUES ($1, $2, 1)
         ON CONFLICT (key) DO UPDATE SET
             hits = CASE WHEN throttle.window_start <= $2 - $3 THEN 1 ELSE throttle.hits + 1 END,
             window_start = CASE WHEN throttle.window_start <= $2 - $3 THEN $2 ELSE throttle.window_start END",
        key, now, window_secs,
    )?;
    Ok(())
}

pub async fn clear(db: impl Exec<'_>, key: &str) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "DELETE FROM throttle WHERE key = ?",
        postgres: "DELETE FROM throttle WHERE key = $1",
        key,
    )?;
    Ok(())
}

/// Drops the windows that began at or before `ended_by`, then the oldest beyond `capacity`.
/// Returns the rows dropped.
pub async fn prune(conn: &mut super::Conn, ended_by: i64, capacity: i64) -> AppResult<u64> {
    let expired = sql!(&mut *conn, execute,
        sqlite: "DELETE FROM throttle WHERE window_start <= ?",
        postgres: "DELETE FROM throttle WHERE window_start <= $1",
        ended_by,
    )?;
    let over = sql!(&mut *conn, execute,
        sqlite: "DELETE FROM throttle WHERE key IN (
             SELECT key FROM throttle ORDER BY window_start DESC LIMIT -1 OFFSET ?)",
        postgres: "DELETE FROM throttle WHERE key IN (
             SELECT key FROM throttle ORDER BY window_start DESC OFFSET $1)",
        capacity,
    )?;
    Ok(expired + over)
}

/// Windows counted now.
pub async fn len(db: impl Exec<'_>) -> AppResult<i64> {
    Ok(sql!(db, fetch_one scalar _,
        sqlite: "SELECT COUNT(*) FROM throttle",
        postgres: "SELECT COUNT(*) FROM throttle",
    )?)
}
