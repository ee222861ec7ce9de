//! `users`.

use crate::error::AppResult;
use crate::store::groups::ADMIN_BUILTIN;
use crate::vocab::{Source, UserStatus};
use sqlx::SqliteExecutor;

pub struct NewUser<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub user_name: &'a str,
    pub email: Option<&'a str>,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub status: UserStatus,
    pub source: Source,
    /// The IdP's externalId and `emails` as sent (JSON), for provisioned users.
    pub external_id: Option<&'a str>,
    pub emails_json: Option<&'a str>,
    /// SCIM `displayName` as sent; `None` derives it.
    pub display_name: Option<&'a str>,
    pub now: &'a str,
}

/// Inserts a user and returns it as stored (one statement).
pub async fn insert(db: impl SqliteExecutor<'_>, u: NewUser<'_>) -> AppResult<UserRecord> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO users AS u (id, account_id, user_name, user_name_norm, email, email_norm, first_name, last_name,
                            password_hash, status, source, external_id, emails_json, display_name, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {}",
        RECORD_COLUMNS.replace("u.", "")
    ))
    .bind(u.id)
    .bind(u.account_id)
    .bind(u.user_name)
    .bind(u.user_name.to_lowercase())
    .bind(u.email)
    .bind(u.email.map(str::to_lowercase))
    .bind(u.first_name)
    .bind(u.last_name)
    .bind(u.password_hash)
    .bind(u.status.as_str())
    .bind(u.source.as_str())
    .bind(u.external_id)
    .bind(u.emails_json)
    .bind(u.display_name)
    .bind(u.now)
    .bind(u.now)
    .fetch_one(db)
    .await?)
}

/// What log-in needs to know about each user with a given e-mail (one per account).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginCandidate {
    pub id: String,
    pub account_id: String,
    pub password_hash: Option<String>,
    #[sqlx(try_from = "String")]
    pub status: UserStatus,
    #[sqlx(try_from = "String")]
    pub source: Source,
    pub auth_epoch: i64,
}

pub async fn login_candidates(
    db: impl SqliteExecutor<'_>,
    email_norm: &str,
) -> AppResult<Vec<LoginCandidate>> {
    Ok(sqlx::query_as(
        "SELECT id, account_id, password_hash, status, source, auth_epoch FROM users
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
    #[sqlx(try_from = "String")]
    pub status: UserStatus,
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
        "SELECT u.id, COALESCE(u.email, u.user_name) AS email, u.first_name, u.last_name, u.status, u.auth_epoch,
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

/// A user as SCIM and the domain see them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRecord {
    pub id: String,
    pub user_name: String,
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    #[sqlx(try_from = "String")]
    pub status: UserStatus,
    #[sqlx(try_from = "String")]
    pub source: Source,
    pub external_id: Option<String>,
    pub emails_json: Option<String>,
    pub display_name: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

const RECORD_COLUMNS: &str =
    "u.id, u.user_name, u.email, u.first_name, u.last_name, u.status, u.source, u.external_id, u.emails_json, u.display_name, u.created_at, u.updated_at, u.version";

pub async fn get_record(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    id: &str,
) -> AppResult<Option<UserRecord>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {RECORD_COLUMNS} FROM users u WHERE u.account_id = ? AND u.id = ?"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

/// Does the user have a password (i.e. signed up)?
pub async fn has_password(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    id: &str,
) -> AppResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM users WHERE account_id = ? AND id = ? AND password_hash IS NOT NULL",
    )
    .bind(account_id)
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(found.is_some())
}

pub struct UserUpdate<'a> {
    pub user_name: &'a str,
    pub email: Option<&'a str>,
    pub emails_json: Option<&'a str>,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub status: UserStatus,
    pub source: Source,
    pub external_id: Option<&'a str>,
    pub display_name: Option<&'a str>,
    /// End every session of the user (suspension).
    pub end_sessions: bool,
    pub now: &'a str,
}

/// Writes the new state and bumps the version; `expected_version` guards against lost updates.
/// Returns false if the row changed meanwhile (or is gone).
pub async fn update(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    id: &str,
    expected_version: i64,
    u: UserUpdate<'_>,
) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE users SET user_name = ?, user_name_norm = ?, email = ?, email_norm = ?, emails_json = ?, first_name = ?, last_name = ?, status = ?, source = ?,
                external_id = ?, display_name = ?, auth_epoch = auth_epoch + ?, updated_at = ?, version = version + 1
         WHERE account_id = ? AND id = ? AND version = ?",
    )
    .bind(u.user_name)
    .bind(u.user_name.to_lowercase())
    .bind(u.email)
    .bind(u.email.map(str::to_lowercase))
    .bind(u.emails_json)
    .bind(u.first_name)
    .bind(u.last_name)
    .bind(u.status.as_str())
    .bind(u.source.as_str())
    .bind(u.external_id)
    .bind(u.display_name)
    .bind(i64::from(u.end_sessions))
    .bind(u.now)
    .bind(account_id)
    .bind(id)
    .bind(expected_version)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(db: impl SqliteExecutor<'_>, account_id: &str, id: &str) -> AppResult<bool> {
    let done = sqlx::query("DELETE FROM users WHERE account_id = ? AND id = ?")
        .bind(account_id)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Which of `ids` are users of the account.
pub async fn existing_ids(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    ids: &[String],
) -> AppResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let json = serde_json::to_string(ids).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    Ok(sqlx::query_scalar(
        "SELECT id FROM users WHERE account_id = ? AND id IN (SELECT value FROM json_each(?))",
    )
    .bind(account_id)
    .bind(json)
    .fetch_all(db)
    .await?)
}

/// One page of users matching `filter`, ordered by `order_by`, plus the total count.
pub async fn list(
    db: &crate::store::Db,
    account_id: &str,
    filter: &crate::store::scim_query::SqlWhere,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(i64, Vec<UserRecord>)> {
    crate::store::page(
        db,
        RECORD_COLUMNS,
        "users u WHERE u.account_id = ?",
        account_id,
        filter,
        order_by,
        limit,
        offset,
    )
    .await
}

/// A row of the administrator's user list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserSummaryRow {
    pub id: String,
    pub user_name: String,
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    #[sqlx(try_from = "String")]
    pub status: UserStatus,
    #[sqlx(try_from = "String")]
    pub source: Source,
    pub last_login_at: Option<String>,
}

/// The first `limit` users of an account in e-mail order, optionally those whose e-mail starts
/// with `prefix` (an index range scan, fast at any size).
pub async fn summaries(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    prefix: &str,
    limit: i64,
) -> AppResult<Vec<UserSummaryRow>> {
    let low = prefix.to_lowercase();
    let high = format!("{low}\u{10FFFF}");
    Ok(sqlx::query_as(
        "SELECT id, user_name, email, first_name, last_name, status, source, last_login_at FROM users
         WHERE account_id = ? AND email_norm >= ? AND email_norm < ? ORDER BY email_norm LIMIT ?",
    )
    .bind(account_id)
    .bind(low)
    .bind(high)
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The account's user whose e-mail or userName is `name_norm` (lower-cased): who a SAML NameID
/// names. Both columns are unique per account; the e-mail wins if they name different users.
pub async fn by_login_name(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    name_norm: &str,
) -> AppResult<Option<UserRecord>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {RECORD_COLUMNS} FROM users u WHERE u.account_id = ?1 AND u.email_norm = ?2
         UNION ALL
         SELECT {RECORD_COLUMNS} FROM users u WHERE u.account_id = ?1 AND u.user_name_norm = ?2
         LIMIT 1"
    ))
    .bind(account_id)
    .bind(name_norm)
    .fetch_optional(db)
    .await?)
}

/// An invited user who signed in through their IdP becomes Active (no password needed).
pub async fn activate(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    user_id: &str,
    now: &str,
) -> AppResult<()> {
    sqlx::query(
        "UPDATE users SET status = 'active', updated_at = ?, version = version + 1
         WHERE account_id = ? AND id = ? AND status = 'invited'",
    )
    .bind(now)
    .bind(account_id)
    .bind(user_id)
    .execute(db)
    .await?;
    Ok(())
}
