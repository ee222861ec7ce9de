//! `api_keys` and `api_key_groups`.

use crate::error::AppResult;
use sqlx::SqliteExecutor;

pub struct NewApiKey<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub name: &'a str,
    pub secret_sha256: &'a str,
    pub created_by: Option<&'a str>,
    pub now: &'a str,
    pub expires_at: Option<&'a str>,
}

pub async fn insert(db: impl SqliteExecutor<'_>, k: NewApiKey<'_>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO api_keys (id, account_id, name, secret_sha256, created_by, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(k.id)
    .bind(k.account_id)
    .bind(k.name)
    .bind(k.secret_sha256)
    .bind(k.created_by)
    .bind(k.now)
    .bind(k.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn add_group(db: impl SqliteExecutor<'_>, key_id: &str, group_id: &str) -> AppResult<()> {
    sqlx::query("INSERT OR IGNORE INTO api_key_groups (api_key_id, group_id) VALUES (?, ?)")
        .bind(key_id)
        .bind(group_id)
        .execute(db)
        .await?;
    Ok(())
}
