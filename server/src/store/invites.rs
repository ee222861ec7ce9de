//! `invites` and `password_resets`: single-use tokens, stored as hashes.

use crate::error::AppResult;
use crate::vocab::{Source, UserStatus};
use sqlx::SqliteExecutor;

pub struct NewToken<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub user_id: &'a str,
    pub token_sha256: &'a str,
    pub invited_by: &'a str,
    pub now: &'a str,
    pub expires_at: &'a str,
}

pub async fn insert_invite(db: impl SqliteExecutor<'_>, t: NewToken<'_>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO invites (id, account_id, user_id, token_sha256, invited_by, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(t.id)
    .bind(t.account_id)
    .bind(t.user_id)
    .bind(t.token_sha256)
    .bind(t.invited_by)
    .bind(t.now)
    .bind(t.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Voids every open invite of a user; returns how many.
pub async fn void_invites(db: impl SqliteExecutor<'_>, user_id: &str, now: &str) -> AppResult<u64> {
    Ok(sqlx::query("UPDATE invites SET voided_at = ? WHERE user_id = ? AND used_at IS NULL AND voided_at IS NULL")
        .bind(now)
        .bind(user_id)
        .execute(db)
        .await?
        .rows_affected())
}

/// An invite with what the sign-up page needs about its user and account.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InviteRow {
    pub id: String,
    pub account_id: String,
    pub account_name: String,
    pub user_id: String,
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    #[sqlx(try_from = "String")]
    pub source: Source,
    #[sqlx(try_from = "String")]
    pub status: UserStatus,
    pub has_password: bool,
    pub expires_at: String,
    pub used_at: Option<String>,
    pub voided_at: Option<String>,
}

pub async fn invite_by_token(
    db: impl SqliteExecutor<'_>,
    token_sha256: &str,
) -> AppResult<Option<InviteRow>> {
    Ok(sqlx::query_as(
        "SELECT i.id, i.account_id, a.name AS account_name, i.user_id, u.email, u.first_name, u.last_name, u.source,
                u.status, u.password_hash IS NOT NULL AS has_password, i.expires_at, i.used_at, i.voided_at
         FROM invites i JOIN users u ON u.id = i.user_id JOIN accounts a ON a.id = i.account_id
         WHERE i.token_sha256 = ?",
    )
    .bind(token_sha256)
    .fetch_optional(db)
    .await?)
}

pub async fn mark_invite_used(db: impl SqliteExecutor<'_>, id: &str, now: &str) -> AppResult<bool> {
    Ok(sqlx::query(
        "UPDATE invites SET used_at = ? WHERE id = ? AND used_at IS NULL AND voided_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(db)
    .await?
    .rows_affected()
        == 1)
}

/// The newest invite of a user (for the admin UI: pending, used, expired…).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InviteState {
    pub created_at: String,
    pub expires_at: String,
    pub used_at: Option<String>,
    pub voided_at: Option<String>,
}

pub async fn latest_invite(
    db: impl SqliteExecutor<'_>,
    user_id: &str,
) -> AppResult<Option<InviteState>> {
    Ok(sqlx::query_as(
        "SELECT created_at, expires_at, used_at, voided_at FROM invites WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(db)
    .await?)
}

pub async fn insert_reset(db: impl SqliteExecutor<'_>, t: NewToken<'_>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO password_resets (id, account_id, user_id, token_sha256, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(t.id)
    .bind(t.account_id)
    .bind(t.user_id)
    .bind(t.token_sha256)
    .bind(t.now)
    .bind(t.expires_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Ends a user's open reset links (they expire now): a newer link, or a new e-mail address.
pub async fn void_resets(db: impl SqliteExecutor<'_>, user_id: &str, now: &str) -> AppResult<u64> {
    Ok(sqlx::query(
        "UPDATE password_resets SET expires_at = ? WHERE user_id = ? AND used_at IS NULL AND expires_at > ?",
    )
    .bind(now)
    .bind(user_id)
    .bind(now)
    .execute(db)
    .await?
    .rows_affected())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResetRow {
    pub id: String,
    pub account_id: String,
    pub user_id: String,
    pub email: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: UserStatus,
    pub expires_at: String,
    pub used_at: Option<String>,
}

pub async fn reset_by_token(
    db: impl SqliteExecutor<'_>,
    token_sha256: &str,
) -> AppResult<Option<ResetRow>> {
    Ok(sqlx::query_as(
        "SELECT r.id, r.account_id, r.user_id, u.email, u.status, r.expires_at, r.used_at
         FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.token_sha256 = ?",
    )
    .bind(token_sha256)
    .fetch_optional(db)
    .await?)
}

pub async fn mark_reset_used(db: impl SqliteExecutor<'_>, id: &str, now: &str) -> AppResult<bool> {
    Ok(
        sqlx::query("UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(db)
            .await?
            .rows_affected()
            == 1,
    )
}

/// Sets a password, activates an invited user and ends every session (epoch bump).
pub async fn set_password(
    db: impl SqliteExecutor<'_>,
    user_id: &str,
    hash: &str,
    now: &str,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE users SET password_hash = ?, status = CASE status WHEN 'invited' THEN 'active' ELSE status END,
                auth_epoch = auth_epoch + 1, updated_at = ?, version = version + 1 WHERE id = ?",
    )
    .bind(hash)
    .bind(now)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(())
}

/// Sign-up may set the names of users who were not provisioned by an IdP.
pub async fn set_names(
    db: impl SqliteExecutor<'_>,
    user_id: &str,
    first: &str,
    last: &str,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE users SET first_name = ?, last_name = ? WHERE id = ? AND source = 'manual'",
    )
    .bind(first)
    .bind(last)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(())
}
