//! `throttle`: fixed-window counters for log-in and reset throttling, shared by every process
//! on the database. A hit is one atomic upsert (a window that ended starts again at 1), so
//! two processes counting at once never lose a hit.

use crate::error::AppResult;
use sqlx::SqliteExecutor;

/// The window `key` is in: (Unix second it began, hits so far).
pub async fn window(db: impl SqliteExecutor<'_>, key: &str) -> AppResult<Option<(i64, i64)>> {
    Ok(
        sqlx::query_as("SELECT window_start, hits FROM throttle WHERE key = ?")
            .bind(key)
            .fetch_optional(db)
            .await?,
    )
}

/// Counts one hit for `key` at `now`; a window older than `window_secs` restarts.
pub async fn hit(
    db: impl SqliteExecutor<'_>,
    key: &str,
    now: i64,
    window_secs: i64,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO throttle (key, window_start, hits) VALUES (?1, ?2, 1)
         ON CONFLICT (key) DO UPDATE SET
             hits = CASE WHEN throttle.window_start <= ?2 - ?3 THEN 1 ELSE throttle.hits + 1 END,
             window_start = CASE WHEN throttle.window_start <= ?2 - ?3 THEN ?2 ELSE throttle.window_start END",
    )
    .bind(key)
    .bind(now)
    .bind(window_secs)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn clear(db: impl SqliteExecutor<'_>, key: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM throttle WHERE key = ?")
        .bind(key)
        .execute(db)
        .await?;
    Ok(())
}

/// Drops the windows that began at or before `ended_by`, then the oldest beyond `capacity`.
/// Returns the rows dropped.
pub async fn prune(conn: &mut super::Conn, ended_by: i64, capacity: i64) -> AppResult<u64> {
    let expired = sqlx::query("DELETE FROM throttle WHERE window_start <= ?")
        .bind(ended_by)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let over = sqlx::query(
        "DELETE FROM throttle WHERE key IN (
             SELECT key FROM throttle ORDER BY window_start DESC LIMIT -1 OFFSET ?)",
    )
    .bind(capacity)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(expired + over)
}

/// Windows counted now.
pub async fn len(db: impl SqliteExecutor<'_>) -> AppResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM throttle")
        .fetch_one(db)
        .await?)
}
