//! `invites` and `password_resets`: single-use tokens, stored as hashes.

use super::exec::Exec;
use crate::error::AppResult;
use crate::sql;
use crate::vocab::{Source, UserStatus};

pub struct NewToken<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub user_id: &'a str,
    pub token_sha256: &'a str,
    pub invited_by: &'a str,
    pub now: &'a str,
    pub expires_at: &'a str,
}

pub async fn insert_invite(db: impl Exec<'_>, t: NewToken<'_>) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "INSERT INTO invites (id, account_id, user_id, token_sha256, invited_by, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        postgres: "INSERT INTO invites (id, account_id, user_id, token_sha256, invited_by, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        t.id, t.account_id, t.user_id, t.token_sha256, t.invited_by, t.now, t.expires_at,
    )?;
    Ok(())
}

/// Voids every open invite of a user; returns how many.
pub async fn void_invites(db: impl Exec<'_>, user_id: &str, now: &str) -> AppResult<u64> {
    Ok(sql!(db, execute,
        sqlite: "UPDATE invites SET voided_at = ? WHERE user_id = ? AND used_at IS NULL AND voided_at IS NULL",
        postgres: "UPDATE invites SET voided_at = $1 WHERE user_id = $2 AND used_at IS NULL AND voided_at IS NULL",
        now, user_id,
    )?)
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
    db: impl Exec<'_>,
    token_sha256: &str,
) -> AppResult<Option<InviteRow>> {
    Ok(sql!(db, fetch_optional as _,
        sqlite: "SELECT i.id, i.account_id, a.name AS account_name, i.user_id, u.email, u.first_name, u.last_name, u.source,
                u.status, u.password_hash IS NOT NULL AS has_password, i.expires_at, i.used_at, i.voided_at
         FROM invites i JOIN users u ON u.id = i.user_id JOIN accounts a ON a.id = i.account_id
         WHERE i.token_sha256 = ?",
        postgres: "SELECT i.id, i.account_id, a.name AS account_name, i.user_id, u.email, u.first_name, u.last_name, u.source,
                u.status, u.password_hash IS NOT NULL AS has_password, i.expires_at, i.used_at, i.voided_at
         FROM invites i JOIN users u ON u.id = i.user_id JOIN accounts a ON a.id = i.account_id
         WHERE i.token_sha256 = $1",
        token_sha256,
    )?)
}

pub async fn mark_invite_used(db: impl Exec<'_>, id: &str, now: &str) -> AppResult<bool> {
    Ok(sql!(db, execute,
        sqlite: "UPDATE invites SET used_at = ? WHERE id = ? AND used_at IS NULL AND voided_at IS NULL",
        postgres: "UPDATE invites SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND voided_at IS NULL",
        now, id,
    )? == 1)
}

/// The newest invite of a user (for the admin UI: pending, used, expired…).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InviteState {
    pub created_at: String,
    pub expires_at: String,
    pub used_at: Option<String>,
    pub voided_at: Option<String>,
}

pub async fn latest_invite(db: impl Exec<'_>, user_id: &str) -> AppResult<Option<InviteState>> {
    Ok(sql!(db, fetch_optional as _,
        sqlite: "SELECT created_at, expires_at, used_at, voided_at FROM invites WHERE user_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1",
        // Invite ids are UUID v7 (time-ordered): the tiebreak SQLite takes from rowid.
        postgres: "SELECT created_at, expires_at, used_at, voided_at FROM invites WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
        user_id,
    )?)
}

pub async fn insert_reset(db: impl Exec<'_>, t: NewToken<'_>) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "INSERT INTO password_resets (id, account_id, user_id, token_sha256, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        postgres: "INSERT INTO password_resets (id, account_id, user_id, token_sha256, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
        t.id, t.account_id, t.user_id, t.token_sha256, t.now, t.expires_at,
    )?;
    Ok(())
}

/// Ends a user's open reset links (they expire now): a newer link, or a new e-mail address.
pub async fn void_resets(db: impl Exec<'_>, user_id: &str, now: &str) -> AppResult<u64> {
    Ok(sql!(db, execute,
        sqlite: "UPDATE password_resets SET expires_at = ? WHERE user_id = ? AND used_at IS NULL AND expires_at > ?",
        postgres: "UPDATE password_resets SET expires_at = $1 WHERE user_id = $2 AND used_at IS NULL AND expires_at > $3",
        now, user_id, now,
    )?)
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

pub async fn reset_by_token(db: impl Exec<'_>, token_sha256: &str) -> AppResult<Option<ResetRow>> {
    Ok(sql!(db, fetch_optional as _,
        sqlite: "SELECT r.id, r.account_id, r.user_id, u.email, u.status, r.expires_at, r.used_at
         FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.token_sha256 = ?",
        postgres: "SELECT r.id, r.account_id, r.user_id, u.email, u.status, r.expires_at, r.used_at
         FROM password_resets r JOIN users u ON u.id = r.user_id WHERE r.token_sha256 = $1",
        token_sha256,
    )?)
}

pub async fn mark_reset_used(db: impl Exec<'_>, id: &str, now: &str) -> AppResult<bool> {
    Ok(sql!(db, execute,
        sqlite: "UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL",
        postgres: "UPDATE password_resets SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
        now, id,
    )? == 1)
}

/// Sets a password, activates an invited user and ends every session (epoch bump).
pub async fn set_password(
    db: impl Exec<'_>,
    user_id: &str,
    hash: &str,
    now: &str,
) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "UPDATE users SET password_hash = ?, status = CASE status WHEN 'invited' THEN 'active' ELSE status END,
                auth_epoch = auth_epoch + 1, updated_at = ?, version = version + 1 WHERE id = ?",
        postgres: "UPDATE users SET password_hash = $1, status = CASE status WHEN 'invited' THEN 'active' ELSE status END,
                auth_epoch = auth_epoch + 1, updated_at = $2, version = version + 1 WHERE id = $3",
        hash, now, user_id,
    )?;
    Ok(())
}

/// Sign-up may set the names of users who were not provisioned by an IdP.
pub async fn set_names(db: impl Exec<'_>, user_id: &str, first: &str, last: &str) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "UPDATE users SET first_name = ?, last_name = ? WHERE id = ? AND source = 'manual'",
        postgres: "UPDATE users SET first_name = $1, last_name = $2 WHERE id = $3 AND source = 'manual'",
        first, last, user_id,
    )?;
    Ok(())
}
