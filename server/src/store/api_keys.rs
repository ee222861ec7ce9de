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

/// A key as the API Keys page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KeyListRow {
    pub id: String,
    pub name: String,
    /// Names of the groups it inherits, joined by a newline.
    pub groups: Option<String>,
    pub created_by: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub last_used_at: Option<String>,
}

/// Every key of the account, newest first, with its groups and creator in one query.
pub async fn list(db: impl SqliteExecutor<'_>, account_id: &str) -> AppResult<Vec<KeyListRow>> {
    Ok(sqlx::query_as(
        "SELECT k.id, k.name,
                (SELECT group_concat(g.name, char(10)) FROM api_key_groups kg JOIN user_groups g ON g.id = kg.group_id
                 WHERE kg.api_key_id = k.id) AS groups,
                (SELECT COALESCE(u.email, u.user_name) FROM users u WHERE u.id = k.created_by AND u.account_id = k.account_id) AS created_by,
                k.created_at, k.expires_at, k.revoked_at, k.last_used_at
         FROM api_keys k WHERE k.account_id = ? ORDER BY k.created_at DESC, k.id",
    )
    .bind(account_id)
    .fetch_all(db)
    .await?)
}

/// Marks a key revoked; returns its name if it was active (None: unknown or already revoked).
pub async fn revoke(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    id: &str,
    now: &str,
) -> AppResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND id = ? AND revoked_at IS NULL RETURNING name",
    )
    .bind(now)
    .bind(account_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}
