//! `saml_configs`, `saml_requests`, `saml_assertions`, `saml_attempts`: an account's identity
//! provider, the request ids we issued, the assertion ids already used, recent attempts.

use crate::error::AppResult;
use crate::store::Conn;
use sqlx::SqliteExecutor;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConfigRow {
    pub account_id: String,
    pub idp_entity_id: String,
    pub sso_url: String,
    /// Base64 DER, one per line.
    pub certificates: String,
    pub enabled: bool,
    pub enforced: bool,
    pub updated_at: String,
}

pub async fn config(db: impl SqliteExecutor<'_>, account_id: &str) -> AppResult<Option<ConfigRow>> {
    Ok(sqlx::query_as(
        "SELECT account_id, idp_entity_id, sso_url, certificates, enabled, enforced, updated_at
         FROM saml_configs WHERE account_id = ?",
    )
    .bind(account_id)
    .fetch_optional(db)
    .await?)
}

pub async fn put_config(db: impl SqliteExecutor<'_>, c: &ConfigRow) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO saml_configs (account_id, idp_entity_id, sso_url, certificates, enabled, enforced, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id) DO UPDATE SET idp_entity_id = excluded.idp_entity_id,
           sso_url = excluded.sso_url, certificates = excluded.certificates,
           enabled = excluded.enabled, enforced = excluded.enforced, updated_at = excluded.updated_at",
    )
    .bind(&c.account_id)
    .bind(&c.idp_entity_id)
    .bind(&c.sso_url)
    .bind(&c.certificates)
    .bind(c.enabled)
    .bind(c.enforced)
    .bind(&c.updated_at)
    .execute(db)
    .await?;
    Ok(())
}

/// The accounts with SSO enabled among those where `email_norm` is a user (the log-in page).
pub async fn sso_accounts_for(
    db: impl SqliteExecutor<'_>,
    email_norm: &str,
) -> AppResult<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT a.id, a.name FROM users u
         JOIN accounts a ON a.id = u.account_id
         JOIN saml_configs c ON c.account_id = u.account_id AND c.enabled = 1
         WHERE u.email_norm = ? ORDER BY a.name LIMIT 20",
    )
    .bind(email_norm)
    .fetch_all(db)
    .await?)
}

/// Whether `account_id` enforces SSO for IdP-managed users.
pub async fn enforced(db: impl SqliteExecutor<'_>, account_id: &str) -> AppResult<bool> {
    let on: Option<bool> = sqlx::query_scalar(
        "SELECT enforced FROM saml_configs WHERE account_id = ? AND enabled = 1",
    )
    .bind(account_id)
    .fetch_optional(db)
    .await?;
    Ok(on.unwrap_or(false))
}

pub async fn insert_request(
    db: impl SqliteExecutor<'_>,
    id: &str,
    account_id: &str,
    expires_at: &str,
    test: bool,
) -> AppResult<()> {
    sqlx::query("INSERT INTO saml_requests (id, account_id, expires_at, test) VALUES (?, ?, ?, ?)")
        .bind(id)
        .bind(account_id)
        .bind(expires_at)
        .bind(test)
        .execute(db)
        .await?;
    Ok(())
}

/// Uses up a request id we issued to `account_id` that has not expired, of the kind asked for
/// (a log-in or a test); false if there is none.
pub async fn take_request(
    db: impl SqliteExecutor<'_>,
    id: &str,
    account_id: &str,
    now: &str,
    test: bool,
) -> AppResult<bool> {
    let done = sqlx::query(
        "DELETE FROM saml_requests WHERE id = ? AND account_id = ? AND expires_at > ? AND test = ?",
    )
    .bind(id)
    .bind(account_id)
    .bind(now)
    .bind(test)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether `id` is a live test request of `account_id` (the ACS then shows the test report).
pub async fn is_test_request(
    db: impl SqliteExecutor<'_>,
    id: &str,
    account_id: &str,
    now: &str,
) -> AppResult<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM saml_requests WHERE id = ? AND account_id = ? AND expires_at > ? AND test = 1",
    )
    .bind(id)
    .bind(account_id)
    .bind(now)
    .fetch_optional(db)
    .await?;
    Ok(found.is_some())
}

/// Records an assertion id as used; false if it was already (a replay).
pub async fn use_assertion(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    assertion_id: &str,
    expires_at: &str,
) -> AppResult<bool> {
    let done = sqlx::query(
        "INSERT INTO saml_assertions (account_id, assertion_id, expires_at) VALUES (?, ?, ?)
         ON CONFLICT DO NOTHING",
    )
    .bind(account_id)
    .bind(assertion_id)
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Drops expired request and assertion ids.
pub async fn prune(tx: &mut Conn, now: &str) -> AppResult<()> {
    sqlx::query("DELETE FROM saml_requests WHERE expires_at <= ?")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM saml_assertions WHERE expires_at <= ?")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    pub id: i64,
    pub at: String,
    pub success: bool,
    pub name_id: Option<String>,
    pub reason: String,
    /// A "Test sign-on" (nobody was logged in).
    pub test: bool,
}

/// Attempts kept per account (older ones are dropped as new ones come).
pub const ATTEMPTS_KEPT: i64 = 500;

pub async fn record_attempt(
    tx: &mut Conn,
    account_id: &str,
    at: &str,
    success: bool,
    name_id: Option<&str>,
    reason: &str,
    test: bool,
) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO saml_attempts (account_id, at, success, name_id, reason, test) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(account_id)
    .bind(at)
    .bind(success)
    .bind(name_id)
    .bind(reason)
    .bind(test)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "DELETE FROM saml_attempts WHERE account_id = ?1 AND id <= (
           SELECT id FROM saml_attempts WHERE account_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
    )
    .bind(account_id)
    .bind(ATTEMPTS_KEPT)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

pub async fn attempts(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    limit: i64,
) -> AppResult<Vec<AttemptRow>> {
    Ok(sqlx::query_as(
        "SELECT id, at, success, name_id, reason, test FROM saml_attempts
         WHERE account_id = ? ORDER BY id DESC LIMIT ?",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(db)
    .await?)
}
