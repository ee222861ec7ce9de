//! `api_keys` and `api_key_groups`.

use super::exec::Exec;
use crate::error::AppResult;
use crate::sql;

pub struct NewApiKey<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub name: &'a str,
    pub secret_sha256: &'a str,
    pub created_by: Option<&'a str>,
    pub now: &'a str,
    pub expires_at: Option<&'a str>,
}

pub async fn insert(db: impl Exec<'_>, k: NewApiKey<'_>) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "INSERT INTO api_keys (id, account_id, name, secret_sha256, created_by, created_at, expires_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
        postgres: "INSERT INTO api_keys (id, account_id, name, secret_sha256, created_by, created_at, expires_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)",
        k.id, k.account_id, k.name, k.secret_sha256, k.created_by, k.now, k.expires_at,
    )?;
    Ok(())
}

pub async fn add_group(db: impl Exec<'_>, key_id: &str, group_id: &str) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "INSERT OR IGNORE INTO api_key_groups (api_key_id, group_id) VALUES (?, ?)",
        postgres: "INSERT INTO api_key_groups (api_key_id, group_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        key_id, group_id,
    )?;
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

pub async fn for_auth(db: impl Exec<'_>, key_id: &str) -> AppResult<Option<KeyAuthRow>> {
    Ok(sql!(db, fetch_optional as KeyAuthRow,
        sqlite: "SELECT k.id, k.account_id, k.name, k.secret_sha256, k.expires_at, k.revoked_at, k.last_used_at,
                        EXISTS (SELECT 1 FROM api_key_groups kg JOIN user_groups g ON g.id = kg.group_id
                                WHERE kg.api_key_id = k.id AND g.account_id = k.account_id AND g.builtin = ?) AS is_admin
                 FROM api_keys k WHERE k.id = ?",
        postgres: "SELECT k.id, k.account_id, k.name, k.secret_sha256, k.expires_at, k.revoked_at, k.last_used_at,
                          EXISTS (SELECT 1::BIGINT FROM api_key_groups kg JOIN user_groups g ON g.id = kg.group_id
                                  WHERE kg.api_key_id = k.id AND g.account_id = k.account_id AND g.builtin = $1) AS is_admin
                   FROM api_keys k WHERE k.id = $2",
        crate::store::groups::ADMIN_BUILTIN, key_id,
    )?)
}

pub async fn touch_last_used(db: impl Exec<'_>, key_id: &str, now: &str) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "UPDATE api_keys SET last_used_at = ? WHERE id = ?",
        postgres: "UPDATE api_keys SET last_used_at = $1 WHERE id = $2",
        now, key_id,
    )?;
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
pub async fn list(db: impl Exec<'_>, account_id: &str) -> AppResult<Vec<KeyListRow>> {
    Ok(sql!(db, fetch_all as KeyListRow,
        sqlite: "SELECT k.id, k.name,
                        (SELECT group_concat(g.name, char(10)) FROM api_key_groups kg JOIN user_groups g ON g.id = kg.group_id
                         WHERE kg.api_key_id = k.id) AS groups,
                        (SELECT COALESCE(u.email, u.user_name) FROM users u WHERE u.id = k.created_by AND u.account_id = k.account_id) AS created_by,
                        k.created_at, k.expires_at, k.revoked_at, k.last_used_at
                 FROM api_keys k WHERE k.account_id = ? ORDER BY k.created_at DESC, k.id",
        postgres: "SELECT k.id, k.name,
                          (SELECT string_agg(g.name, E'\\n' ORDER BY g.name_norm) FROM api_key_groups kg JOIN user_groups g ON g.id = kg.group_id
                           WHERE kg.api_key_id = k.id) AS groups,
                          (SELECT COALESCE(u.email, u.user_name) FROM users u WHERE u.id = k.created_by AND u.account_id = k.account_id) AS created_by,
                          k.created_at, k.expires_at, k.revoked_at, k.last_used_at
                   FROM api_keys k WHERE k.account_id = $1 ORDER BY k.created_at DESC, k.id",
        account_id,
    )?)
}

/// Marks a key revoked; returns its name if it was active (None: unknown or already revoked).
pub async fn revoke(
    db: impl Exec<'_>,
    account_id: &str,
    id: &str,
    now: &str,
) -> AppResult<Option<String>> {
    Ok(sql!(db, fetch_optional scalar String,
        sqlite: "UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND id = ? AND revoked_at IS NULL RETURNING name",
        postgres: "UPDATE api_keys SET revoked_at = $1 WHERE account_id = $2 AND id = $3 AND revoked_at IS NULL RETURNING name",
        now, account_id, id,
    )?)
}
