//! `users`.

use crate::error::AppResult;
use crate::store::groups::ADMIN_BUILTIN;
use sqlx::SqliteExecutor;

pub struct NewUser<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub status: &'a str,
    pub source: &'a str,
    pub now: &'a str,
}

pub async fn insert(db: impl SqliteExecutor<'_>, u: NewUser<'_>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO users (id, account_id, email, email_norm, first_name, last_name, password_hash,
                            status, source, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(u.id)
    .bind(u.account_id)
    .bind(u.email)
    .bind(u.email.to_lowercase())
    .bind(u.first_name)
    .bind(u.last_name)
    .bind(u.password_hash)
    .bind(u.status)
    .bind(u.source)
    .bind(u.now)
    .bind(u.now)
    .execute(db)
    .await?;
    Ok(())
}

/// What log-in needs to know about each user with a given e-mail (one per account).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginCandidate {
    pub id: String,
    pub account_id: String,
    pub password_hash: Option<String>,
    pub status: String,
    pub auth_epoch: i64,
}

pub async fn login_candidates(
    db: impl SqliteExecutor<'_>,
    email_norm: &str,
) -> AppResult<Vec<LoginCandidate>> {
    Ok(sqlx::query_as(
        "SELECT id, account_id, password_hash, status, auth_epoch FROM users
         WHERE email_norm = ? ORDER BY last_login_at DESC LIMIT 20",
    )
    .bind(email_norm)
    .fetch_all(db)
    .await?)
}

pub async fn record_login(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    user_id: &str,
    now: &str,
) -> AppResult<()> {
    sqlx::query("UPDATE users SET last_login_at = ? WHERE account_id = ? AND id = ?")
        .bind(now)
        .bind(account_id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

/// A user as the session check and the UI header need them, with their account and role.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionUser {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub status: String,
    pub auth_epoch: i64,
    pub account_id: String,
    pub account_name: String,
    pub is_admin: bool,
}

pub async fn session_user(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    user_id: &str,
) -> AppResult<Option<SessionUser>> {
    Ok(sqlx::query_as(
        "SELECT u.id, u.email, u.first_name, u.last_name, u.status, u.auth_epoch,
                a.id AS account_id, a.name AS account_name,
                EXISTS (SELECT 1 FROM group_members gm JOIN user_groups g ON g.id = gm.group_id
                        WHERE gm.user_id = u.id AND g.account_id = u.account_id AND g.builtin = ?) AS is_admin
         FROM users u JOIN accounts a ON a.id = u.account_id
         WHERE u.account_id = ? AND u.id = ?",
    )
    .bind(ADMIN_BUILTIN)
    .bind(account_id)
    .bind(user_id)
    .fetch_optional(db)
    .await?)
}
