//! `saml_configs`, `saml_requests`, `saml_assertions`, `saml_attempts`: an account's identity
//! provider, the request ids we issued, the assertion ids already used, recent attempts.

use super::exec::Exec;
use crate::error::AppResult;
use crate::sql;
use crate::store::Conn;

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

pub async fn config(db: impl Exec<'_>, account_id: &str) -> AppResult<Option<ConfigRow>> {
    Ok(sql!(db, fetch_optional as _,
        sqlite: "SELECT account_id, idp_entity_id, sso_url, certificates, enabled, enforced, updated_at
         FROM saml_configs WHERE account_id = ?",
        postgres: "SELECT account_id, idp_entity_id, sso_url, certificates, enabled, enforced, updated_at
         FROM saml_configs WHERE account_id = $1",
        account_id,
    )?)
}

pub async fn put_config(db: impl Exec<'_>, c: &ConfigRow) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "INSERT INTO saml_configs (account_id, idp_entity_id, sso_url, certificates, enabled, enforced, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account_id) DO UPDATE SET idp_entity_id = excluded.idp_entity_id,
           sso_url = excluded.sso_url, certificates = excluded.certificates,
           enabled = excluded.enabled, enforced = excluded.enforced, updated_at = excluded.updated_at",
        postgres: "INSERT INTO saml_configs (account_id, idp_entity_id, sso_url, certificates, enabled, enforced, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (account_id) DO UPDATE SET idp_entity_id = excluded.idp_entity_id,
           sso_url = excluded.sso_url, certificates = excluded.certificates,
           enabled = excluded.enabled, enforced = excluded.enforced, updated_at = excluded.updated_at",
        &c.account_id, &c.idp_entity_id, &c.sso_url, &c.certificates, c.enabled, c.enforced,
        &c.updated_at,
    )?;
    Ok(())
}

/// The accounts with SSO enabled among those where `email_norm` is a user (the log-in page).
pub async fn sso_accounts_for(
    db: impl Exec<'_>,
    email_norm: &str,
) -> AppResult<Vec<(String, String)>> {
    Ok(sql!(db, fetch_all as _,
        sqlite: "SELECT a.id, a.name FROM users u
         JOIN accounts a ON a.id = u.account_id
         JOIN saml_configs c ON c.account_id = u.account_id AND c.enabled = 1
         WHERE u.email_norm = ? ORDER BY a.name LIMIT 20",
        postgres: "SELECT a.id, a.name FROM users u
         JOIN accounts a ON a.id = u.account_id
         JOIN saml_configs c ON c.account_id = u.account_id AND c.enabled
         WHERE u.email_norm = $1 ORDER BY a.name LIMIT 20",
        email_norm,
    )?)
}

/// Whether `account_id` enforces SSO for IdP-managed users.
pub async fn enforced(db: impl Exec<'_>, account_id: &str) -> AppResult<bool> {
    let on: Option<bool> = sql!(db, fetch_optional scalar _,
        sqlite: "SELECT enforced FROM saml_configs WHERE account_id = ? AND enabled = 1",
        postgres: "SELECT enforced FROM saml_configs WHERE account_id = $1 AND enabled",
        account_id,
    )?;
    Ok(on.unwrap_or(false))
}

pub async fn insert_request(
    db: impl Exec<'_>,
    id: &str,
    account_id: &str,
    expires_at: &str,
    test: bool,
) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "INSERT INTO saml_requests (id, account_id, expires_at, test) VALUES (?, ?, ?, ?)",
        postgres: "INSERT INTO saml_requests (id, account_id, expires_at, test) VALUES ($1, $2, $3, $4)",
        id, account_id, expires_at, test,
    )?;
    Ok(())
}

/// Uses up a request id we issued to `account_id` that has not expired, of the kind asked for
/// (a log-in or a test); false if there is none.
pub async fn take_request(
    db: impl Exec<'_>,
    id: &str,
    account_id: &str,
    now: &str,
    test: bool,
) -> AppResult<bool> {
    let done = sql!(db, execute,
        sqlite: "DELETE FROM saml_requests WHERE id = ? AND account_id = ? AND expires_at > ? AND test = ?",
        postgres: "DELETE FROM saml_requests WHERE id = $1 AND account_id = $2 AND expires_at > $3 AND test = $4",
        id, account_id, now, test,
    )?;
    Ok(done == 1)
}

/// Whether `id` is a live test request of `account_id` (the ACS then shows the test report).
pub async fn is_test_request(
    db: impl Exec<'_>,
    id: &str,
    account_id: &str,
    now: &str,
) -> AppResult<bool> {
    let found: Option<i64> = sql!(db, fetch_optional scalar _,
        sqlite: "SELECT 1 FROM saml_requests WHERE id = ? AND account_id = ? AND expires_at > ? AND test = 1",
        postgres: "SELECT 1::BIGINT FROM saml_requests WHERE id = $1 AND account_id = $2 AND expires_at > $3 AND test",
        id, account_id, now,
    )?;
    Ok(found.is_some())
}

/// Records an assertion id as used; false if it was already (a replay).
pub async fn use_assertion(
    db: impl Exec<'_>,
    account_id: &str,
    assertion_id: &str,
    expires_at: &str,
) -> AppResult<bool> {
    let done = sql!(db, execute,
        sqlite: "INSERT INTO saml_assertions (account_id, assertion_id, expires_at) VALUES (?, ?, ?)
         ON CONFLICT DO NOTHING",
        postgres: "INSERT INTO saml_assertions (account_id, assertion_id, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
        account_id, assertion_id, expires_at,
    )?;
    Ok(done == 1)
}

/// Drops expired request and assertion ids.
pub async fn prune(tx: &mut Conn, now: &str) -> AppResult<()> {
    sql!(&mut *tx, execute,
        sqlite: "DELETE FROM saml_requests WHERE expires_at <= ?",
        postgres: "DELETE FROM saml_requests WHERE expires_at <= $1",
        now,
    )?;
    sql!(&mut *tx, execute,
        sqlite: "DELETE FROM saml_assertions WHERE expires_at <= ?",
        postgres: "DELETE FROM saml_assertions WHERE expires_at <= $1",
        now,
    )?;
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
    sql!(&mut *tx, execute,
        sqlite: "INSERT INTO saml_attempts (account_id, at, success, name_id, reason, test) VALUES (?, ?, ?, ?, ?, ?)",
        postgres: "INSERT INTO saml_attempts (account_id, at, success, name_id, reason, test) VALUES ($1, $2, $3, $4, $5, $6)",
        account_id, at, success, name_id, reason, test,
    )?;
    sql!(&mut *tx, execute,
        sqlite: "DELETE FROM saml_attempts WHERE account_id = ?1 AND id <= (
           SELECT id FROM saml_attempts WHERE account_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
        postgres: "DELETE FROM saml_attempts WHERE account_id = $1 AND id <= (
           SELECT id FROM saml_attempts WHERE account_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
        account_id, ATTEMPTS_KEPT,
    )?;
    Ok(())
}

pub async fn attempts(
    db: impl Exec<'_>,
    account_id: &str,
    limit: i64,
) -> AppResult<Vec<AttemptRow>> {
    Ok(sql!(db, fetch_all as _,
        sqlite: "SELECT id, at, success, name_id, reason, test FROM saml_attempts
         WHERE account_id = ? ORDER BY id DESC LIMIT ?",
        postgres: "SELECT id, at, success, name_id, reason, test FROM saml_attempts
         WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
        account_id, limit,
    )?)
}
