//! `outbox`: mail committed with the change that caused it, delivered afterwards.

use super::exec::Exec;
use crate::error::AppResult;
use crate::sql;

pub struct NewMail<'a> {
    pub account_id: &'a str,
    pub kind: &'a str,
    pub to_addr: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    /// `pending` (SMTP will send it) or `stored` (no SMTP: kept for administrators to read).
    pub status: &'a str,
    pub now: &'a str,
}

pub async fn insert(db: impl Exec<'_>, m: NewMail<'_>) -> AppResult<i64> {
    let id: i64 = sql!(db, fetch_one scalar _,
        sqlite: "INSERT INTO outbox (account_id, kind, to_addr, subject, text_body, html_body, created_at, status, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        postgres: "INSERT INTO outbox (account_id, kind, to_addr, subject, text_body, html_body, created_at, status, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        m.account_id, m.kind, m.to_addr, m.subject, m.text_body, m.html_body, m.now, m.status,
        m.now,
    )?;
    Ok(id)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailRow {
    pub id: i64,
    pub account_id: String,
    pub kind: String,
    pub to_addr: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub created_at: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
}

const COLUMNS: &str = "id, account_id, kind, to_addr, subject, text_body, html_body, created_at, status, attempts, last_error, sent_at";

/// Claims up to `limit` pending messages that are due at `now` for one sender, until
/// `lease_until`: their next attempt moves to then, in the same statement, so no other sender
/// (another process or replica on this database) picks them meanwhile — each message is sent
/// once. A sender that dies mid-delivery leaves its claims to be retried when the lease ends.
pub async fn claim_due(
    conn: &mut super::Conn,
    now: &str,
    lease_until: &str,
    limit: i64,
) -> AppResult<Vec<MailRow>> {
    let mut rows: Vec<MailRow> = sql!(&mut *conn, fetch_all as _,
        sqlite: &format!(
            "UPDATE outbox SET next_attempt_at = ?
         WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?
                      ORDER BY id LIMIT ?)
         RETURNING {COLUMNS}",
        ),
        postgres: &format!(
            "UPDATE outbox SET next_attempt_at = $1
         WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2
                      ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
         RETURNING {COLUMNS}",
        ),
        lease_until, now, limit,
    )?;
    rows.sort_by_key(|m| m.id);
    Ok(rows)
}

/// Marks a message delivered and drops its body: it carried a single-use link, which must not
/// outlive delivery in clear (only hashes of tokens are kept).
pub async fn mark_sent(db: impl Exec<'_>, id: i64, now: &str) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL,
                text_body = '(delivered; the text is not kept because it contained a single-use link)', html_body = ''
         WHERE id = ?",
        postgres: "UPDATE outbox SET status = 'sent', sent_at = $1, attempts = attempts + 1, last_error = NULL,
                text_body = '(delivered; the text is not kept because it contained a single-use link)', html_body = ''
         WHERE id = $2",
        now, id,
    )?;
    Ok(())
}

/// Records a failed attempt: retried at `next` or, with `next = None`, given up (`failed`).
pub async fn mark_failed(
    db: impl Exec<'_>,
    id: i64,
    error: &str,
    next: Option<&str>,
) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,
                status = CASE WHEN ? IS NULL THEN 'failed' ELSE 'pending' END WHERE id = ?",
        postgres: "UPDATE outbox SET attempts = attempts + 1, last_error = $1, next_attempt_at = $2,
                status = CASE WHEN $3::TEXT IS NULL THEN 'failed' ELSE 'pending' END WHERE id = $4",
        error, next, next, id,
    )?;
    Ok(())
}

/// The newest mail of an account (the Outbox page).
pub async fn recent(db: impl Exec<'_>, account_id: &str, limit: i64) -> AppResult<Vec<MailRow>> {
    Ok(sql!(db, fetch_all as _,
        sqlite: &format!(
            "SELECT {COLUMNS} FROM outbox WHERE account_id = ? ORDER BY id DESC LIMIT ?",
        ),
        postgres: &format!(
            "SELECT {COLUMNS} FROM outbox WHERE account_id = $1 ORDER BY id DESC LIMIT $2",
        ),
        account_id, limit,
    )?)
}

/// Mail waiting to be sent and mail given up on, across accounts (for `/metrics`).
pub async fn pending_and_failed(db: impl Exec<'_>) -> AppResult<(i64, i64)> {
    Ok(sql!(db, fetch_one as (i64, i64),
        sqlite: "SELECT (SELECT count(*) FROM outbox WHERE status = 'pending'), (SELECT count(*) FROM outbox WHERE status = 'failed')",
        postgres: "SELECT (SELECT count(*) FROM outbox WHERE status = 'pending'), (SELECT count(*) FROM outbox WHERE status = 'failed')",
    )?)
}
