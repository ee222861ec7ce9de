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

/// What bearer authentication needs to know about a key.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyAuthRow {
    pub id: String,
    pub account_id: String,
    pub name: String,
    pub secret_sha256: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
    /// Inherits the account's Account Administrator group.
    pub is_admin: bool,
}

pub async fn for_auth(db: impl SqliteExecutor<'_>, key_id: &str) -> AppResult<Option<KeyAuthRow>> {
    Ok(sqlx::query_as(
        "SELECT k.id, k.account_id, k.name, k.secret_sha256, k.expires_at, k.revoked_at, k.last_used_at,
                EXISTS (SELECT 1 FROM api_key_groups kg JOIN user_groups g ON g.id = kg.group_id
                        WHERE kg.api_key_id = k.id AND g.account_id = k.account_id AND g.builtin = ?) AS is_admin
         FROM api_keys k WHERE k.id = ?",
    )
    .bind(crate::store::groups::ADMIN_BUILTIN)
    .bind(key_id)
    .fetch_optional(db)
    .await?)
}

pub async fn touch_last_used(
    db: impl SqliteExecutor<'_>,
    key_id: &str,
    now: &str,
) -> AppResult<()> {
    sqlx::query("UPDATE api_keys SET last_used_at = ? WHERE id = ?")
        .bind(now)
        .bind(key_id)
        .execute(db)
        .await?;
    Ok(())
}
