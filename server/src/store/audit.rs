//! `audit_events`: who did what to whom.

use crate::error::AppResult;
use sqlx::SqliteExecutor;

pub struct NewEvent<'a> {
    pub account_id: &'a str,
    pub actor_kind: &'a str,
    pub actor_id: Option<&'a str>,
    pub actor_label: &'a str,
    pub action: &'a str,
    pub target_kind: Option<&'a str>,
    pub target_id: Option<&'a str>,
    pub target_label: Option<&'a str>,
    pub detail: &'a str,
    pub now: &'a str,
}

pub async fn insert(db: impl SqliteExecutor<'_>, e: NewEvent<'_>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (account_id, at, actor_kind, actor_id, actor_label, action, target_kind, target_id, target_label, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(e.account_id)
    .bind(e.now)
    .bind(e.actor_kind)
    .bind(e.actor_id)
    .bind(e.actor_label)
    .bind(e.action)
    .bind(e.target_kind)
    .bind(e.target_id)
    .bind(e.target_label)
    .bind(e.detail)
    .execute(db)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub at: String,
    pub actor_label: String,
    pub action: String,
    pub target_id: Option<String>,
    pub detail: String,
}

/// The most recent events of the account about `target_id`.
pub async fn for_target(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    target_id: &str,
    limit: i64,
) -> AppResult<Vec<EventRow>> {
    Ok(sqlx::query_as(
        "SELECT at, actor_label, action, target_id, detail FROM audit_events
         WHERE account_id = ? AND target_id = ? ORDER BY id DESC LIMIT ?",
    )
    .bind(account_id)
    .bind(target_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
