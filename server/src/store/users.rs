//! `users`.

use super::exec::Exec;
use crate::error::AppResult;
use crate::sql;
use crate::store::groups::ADMIN_BUILTIN;
use crate::vocab::{Source, UserStatus};
use std::sync::LazyLock;

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

/// Users per range of `user_pages` (migration 0010): a range is cut into ranges of this size
/// when it holds more than twice as many.
pub const PAGE_RANGE: i64 = 512;

/// Inserts a user and returns it as stored, then keeps the paging ranges short (see
/// [`PAGE_RANGE`]; the trigger has counted the user in its range).
pub async fn insert(tx: &mut super::Conn, u: NewUser<'_>) -> AppResult<UserRecord> {
    let account_id = u.account_id;
    let record = insert_row(&mut *tx, u).await?;
    let range: (String, i64) = sql!(&mut *tx, fetch_one as _,
        sqlite: "SELECT first_id, n FROM user_pages WHERE account_id = ? AND first_id <= ? ORDER BY first_id DESC LIMIT 1",
        postgres: "SELECT first_id, n FROM user_pages WHERE account_id = $1 AND first_id <= $2 ORDER BY first_id DESC LIMIT 1",
        account_id, &record.id,
    )?;
    if range.1 > 2 * PAGE_RANGE {
        cut_range(tx, account_id, &range.0).await?;
    }
    Ok(record)
}

/// Replaces the range starting at `first_id` by ranges of [`PAGE_RANGE`] users (the last one
/// shorter), counted from the users themselves.
async fn cut_range(tx: &mut super::Conn, account_id: &str, first_id: &str) -> AppResult<()> {
    let next: Option<String> = sql!(&mut *tx, fetch_one scalar Option<String>,
        sqlite: "SELECT min(first_id) FROM user_pages WHERE account_id = ? AND first_id > ?",
        postgres: "SELECT min(first_id) FROM user_pages WHERE account_id = $1 AND first_id > $2",
        account_id, first_id,
    )?;
    sql!(&mut *tx, execute,
        sqlite: "DELETE FROM user_pages WHERE account_id = ? AND first_id = ?",
        postgres: "DELETE FROM user_pages WHERE account_id = $1 AND first_id = $2",
        account_id, first_id,
    )?;
    sql!(&mut *tx, execute,
        sqlite: "INSERT INTO user_pages (account_id, first_id, n)
                 SELECT account_id, CASE WHEN rn = 1 THEN ?1 ELSE id END, min(?4, total - rn + 1)
                 FROM (SELECT account_id, id, row_number() OVER (ORDER BY id) AS rn, count(*) OVER () AS total
                       FROM users WHERE account_id = ?2 AND id >= ?1 AND (?3 IS NULL OR id < ?3)) AS numbered
                 WHERE (rn - 1) % ?4 = 0",
        postgres: "INSERT INTO user_pages (account_id, first_id, n)
                   SELECT account_id, CASE WHEN rn = 1 THEN $1 ELSE id END, least($4, total - rn + 1)
                   FROM (SELECT account_id, id, row_number() OVER (ORDER BY id) AS rn, count(*) OVER () AS total
                         FROM users WHERE account_id = $2 AND id >= $1 AND ($3::TEXT IS NULL OR id < $3)) AS numbered
                   WHERE (rn - 1) % $4 = 0",
        first_id, account_id, next, PAGE_RANGE,
    )?;
    Ok(())
}

/// One page of an account's users in the default order (id) from 0-based position `offset`,
/// and how many users the account has: the position is found in `user_pages`, so a deep page
/// costs what the first one does (one statement; at most one range's users are skipped).
pub async fn page_by_position(
    db: &crate::store::Db,
    account_id: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(i64, Vec<UserRecord>)> {
    if let Some(inline) = db.inline() {
        return page_by_position_inline(inline, account_id, limit, offset);
    }
    let total: i64 = sql!(db, fetch_one scalar i64,
        sqlite: PAGES_TOTAL,
        postgres: "SELECT COALESCE(SUM(n), 0)::BIGINT FROM user_pages WHERE account_id = $1",
        account_id,
    )?;
    if limit <= 0 || offset >= total {
        return Ok((total, Vec::new()));
    }
    let rows = sql!(db, fetch_all as _,
        sqlite: &PAGE_AT_POSITION_SQLITE,
        postgres: &format!(
            "WITH pos AS (
                 SELECT first_id, before FROM (
                     SELECT first_id, (SUM(n) OVER (ORDER BY first_id) - n)::BIGINT AS before
                     FROM user_pages WHERE account_id = $1) AS ranges
                 WHERE before <= $2 ORDER BY first_id DESC LIMIT 1)
             SELECT {RECORD_COLUMNS} FROM users u
             WHERE u.account_id = $1 AND u.id >= (SELECT first_id FROM pos)
             ORDER BY u.id LIMIT $3 OFFSET (SELECT $2 - before FROM pos)"
        ),
        account_id, offset, limit,
    )?;
    Ok((total, rows))
}

const PAGES_TOTAL: &str = "SELECT COALESCE(SUM(n), 0) FROM user_pages WHERE account_id = ?";

/// [`page_by_position`]'s page statement on SQLite: `?1` account, `?2` offset, `?3` limit.
static PAGE_AT_POSITION_SQLITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH pos AS (
             SELECT first_id, before FROM (
                 SELECT first_id, SUM(n) OVER (ORDER BY first_id) - n AS before
                 FROM user_pages WHERE account_id = ?1) AS ranges
             WHERE before <= ?2 ORDER BY first_id DESC LIMIT 1)
         SELECT {RECORD_COLUMNS} FROM users u
         WHERE u.account_id = ?1 AND u.id >= (SELECT first_id FROM pos)
         ORDER BY u.id LIMIT ?3 OFFSET (SELECT ?2 - before FROM pos)"
    )
});

/// [`page_by_position`] on SQLite's point-read pool (`store::inline`): bounded work (the
/// ranges' sum, the ranges up to the position, at most one range's users skipped, at most
/// `limit` ≤ 1,000 rows read), and a hundred rows are a hundred messages from sqlx's worker
/// thread otherwise. The position is found by walking the ranges here rather than with the
/// window function the PostgreSQL statement uses: SQLite computes a window into an ephemeral
/// table (an insert and a delete per range — most of a deep page's cost, by a profile).
fn page_by_position_inline(
    inline: &crate::store::inline::InlineReaders,
    account_id: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(i64, Vec<UserRecord>)> {
    inline.read(|c| {
        let total: i64 = c
            .prepare_cached(PAGES_TOTAL)?
            .query_row([account_id], |r| r.get(0))?;
        if limit <= 0 || offset >= total {
            return Ok((total, Vec::new()));
        }
        let mut ranges = c.prepare_cached(
            "SELECT first_id, n FROM user_pages WHERE account_id = ?1 ORDER BY first_id",
        )?;
        let mut rows = ranges.query([account_id])?;
        let (mut first_id, mut skip) = (None::<String>, offset);
        while let Some(r) = rows.next()? {
            let n: i64 = r.get(1)?;
            if skip < n {
                first_id = Some(r.get(0)?);
                break;
            }
            skip -= n;
        }
        drop(rows);
        // Users deleted since the total was read can leave the position past the end.
        let Some(first_id) = first_id else {
            return Ok((total, Vec::new()));
        };
        let rows = c
            .prepare_cached(&PAGE_FROM_SQLITE)?
            .query_map(
                rusqlite::params![account_id, first_id, limit, skip],
                record_from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((total, rows))
    })
}

/// A page of users from the one with id `?2` on, `?4` skipped: `?1` account, `?3` limit.
static PAGE_FROM_SQLITE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {RECORD_COLUMNS} FROM users u WHERE u.account_id = ?1 AND u.id >= ?2
         ORDER BY u.id LIMIT ?3 OFFSET ?4"
    )
});

/// The INSERT of [`insert`].
async fn insert_row(db: impl Exec<'_>, u: NewUser<'_>) -> AppResult<UserRecord> {
    Ok(sql!(db, fetch_one as _,
        sqlite: &format!(
            "INSERT INTO users AS u (id, account_id, user_name, user_name_norm, email, email_norm, first_name, last_name,
                            password_hash, status, source, external_id, emails_json, display_name, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING {}",
            RECORD_COLUMNS.replace("u.", ""),
        ),
        postgres: &format!(
            "INSERT INTO users AS u (id, account_id, user_name, user_name_norm, email, email_norm, first_name, last_name,
                            password_hash, status, source, external_id, emails_json, display_name, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING {}",
            RECORD_COLUMNS.replace("u.", ""),
        ),
        u.id, u.account_id, u.user_name, u.user_name.to_lowercase(), u.email,
        u.email.map(str::to_lowercase), u.first_name, u.last_name, u.password_hash,
        u.status.as_str(), u.source.as_str(), u.external_id, u.emails_json, u.display_name,
        u.now, u.now,
    )?)
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
    db: impl Exec<'_>,
    email_norm: &str,
) -> AppResult<Vec<LoginCandidate>> {
    Ok(sql!(db, fetch_all as _,
        sqlite: "SELECT id, account_id, password_hash, status, source, auth_epoch FROM users
         WHERE email_norm = ? ORDER BY last_login_at DESC LIMIT 20",
        postgres: "SELECT id, account_id, password_hash, status, source, auth_epoch FROM users
         WHERE email_norm = $1 ORDER BY last_login_at DESC LIMIT 20",
        email_norm,
    )?)
}

pub async fn record_login(
    db: impl Exec<'_>,
    account_id: &str,
    user_id: &str,
    now: &str,
) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "UPDATE users SET last_login_at = ? WHERE account_id = ? AND id = ?",
        postgres: "UPDATE users SET last_login_at = $1 WHERE account_id = $2 AND id = $3",
        now, account_id, user_id,
    )?;
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
    db: impl Exec<'_>,
    account_id: &str,
    user_id: &str,
) -> AppResult<Option<SessionUser>> {
    Ok(sql!(db, fetch_optional as _,
        sqlite: "SELECT u.id, COALESCE(u.email, u.user_name) AS email, u.first_name, u.last_name, u.status, u.auth_epoch,
                a.id AS account_id, a.name AS account_name,
                EXISTS (SELECT 1 FROM group_members gm JOIN user_groups g ON g.id = gm.group_id
                        WHERE gm.user_id = u.id AND g.account_id = u.account_id AND g.builtin = ?) AS is_admin
         FROM users u JOIN accounts a ON a.id = u.account_id
         WHERE u.account_id = ? AND u.id = ?",
        postgres: "SELECT u.id, COALESCE(u.email, u.user_name) AS email, u.first_name, u.last_name, u.status, u.auth_epoch,
                a.id AS account_id, a.name AS account_name,
                EXISTS (SELECT 1::BIGINT FROM group_members gm JOIN user_groups g ON g.id = gm.group_id
                        WHERE gm.user_id = u.id AND g.account_id = u.account_id AND g.builtin = $1) AS is_admin
         FROM users u JOIN accounts a ON a.id = u.account_id
         WHERE u.account_id = $2 AND u.id = $3",
        ADMIN_BUILTIN, account_id, user_id,
    )?)
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

/// [`get_record`]'s statement on SQLite, shared with [`get_for_read`]; written once, not per
/// request.
static GET_SQLITE: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {RECORD_COLUMNS} FROM users u WHERE u.account_id = ? AND u.id = ?")
});

pub async fn get_record(
    db: impl Exec<'_>,
    account_id: &str,
    id: &str,
) -> AppResult<Option<UserRecord>> {
    Ok(sql!(db, fetch_optional as _,
        sqlite: &GET_SQLITE,
        postgres: &format!(
            "SELECT {RECORD_COLUMNS} FROM users u WHERE u.account_id = $1 AND u.id = $2",
        ),
        account_id, id,
    )?)
}

/// One user by id for a read that answers a request (`GET /Users/{id}`): on SQLite a point
/// read on this thread (`store::inline`), else [`get_record`] on the readers.
pub async fn get_for_read(
    db: &crate::store::Db,
    account_id: &str,
    id: &str,
) -> AppResult<Option<UserRecord>> {
    use rusqlite::OptionalExtension;
    match db.inline() {
        Some(inline) => inline.read(|c| {
            c.prepare_cached(&GET_SQLITE)?
                .query_row([account_id, id], record_from_row)
                .optional()
        }),
        None => get_record(db, account_id, id).await,
    }
}

/// A [`UserRecord`] from a row of [`RECORD_COLUMNS`], read by rusqlite.
fn record_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<UserRecord> {
    use crate::store::inline::word;
    Ok(UserRecord {
        id: row.get(0)?,
        user_name: row.get(1)?,
        email: row.get(2)?,
        first_name: row.get(3)?,
        last_name: row.get(4)?,
        status: word(row, 5)?,
        source: word(row, 6)?,
        external_id: row.get(7)?,
        emails_json: row.get(8)?,
        display_name: row.get(9)?,
        created_at: row.get(10)?,
        updated_at: row.get(11)?,
        version: row.get(12)?,
    })
}

/// Does the user have a password (i.e. signed up)?
pub async fn has_password(db: impl Exec<'_>, account_id: &str, id: &str) -> AppResult<bool> {
    let found: Option<i64> = sql!(db, fetch_optional scalar _,
        sqlite: "SELECT 1 FROM users WHERE account_id = ? AND id = ? AND password_hash IS NOT NULL",
        postgres: "SELECT 1::BIGINT FROM users WHERE account_id = $1 AND id = $2 AND password_hash IS NOT NULL",
        account_id, id,
    )?;
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
    db: impl Exec<'_>,
    account_id: &str,
    id: &str,
    expected_version: i64,
    u: UserUpdate<'_>,
) -> AppResult<bool> {
    let done = sql!(db, execute,
        sqlite: "UPDATE users SET user_name = ?, user_name_norm = ?, email = ?, email_norm = ?, emails_json = ?, first_name = ?, last_name = ?, status = ?, source = ?,
                external_id = ?, display_name = ?, auth_epoch = auth_epoch + ?, updated_at = ?, version = version + 1
         WHERE account_id = ? AND id = ? AND version = ?",
        postgres: "UPDATE users SET user_name = $1, user_name_norm = $2, email = $3, email_norm = $4, emails_json = $5, first_name = $6, last_name = $7, status = $8, source = $9,
                external_id = $10, display_name = $11, auth_epoch = auth_epoch + $12, updated_at = $13, version = version + 1
         WHERE account_id = $14 AND id = $15 AND version = $16",
        u.user_name, u.user_name.to_lowercase(), u.email, u.email.map(str::to_lowercase),
        u.emails_json, u.first_name, u.last_name, u.status.as_str(), u.source.as_str(),
        u.external_id, u.display_name, i64::from(u.end_sessions), u.now, account_id, id,
        expected_version,
    )?;
    Ok(done == 1)
}

/// Deletes the user; they leave every group (`ON DELETE CASCADE`), and so each of those groups
/// changes: its version moves on first, as with any membership change (SCIM ETags, and the
/// `member_cache` that trusts the version).
pub async fn delete(
    tx: &mut super::Conn,
    account_id: &str,
    id: &str,
    now: &str,
) -> AppResult<bool> {
    sql!(&mut *tx, execute,
        sqlite: "UPDATE user_groups SET version = version + 1, updated_at = ?
                 WHERE id IN (SELECT group_id FROM group_members WHERE user_id = ?)",
        postgres: "UPDATE user_groups SET version = version + 1, updated_at = $1
                   WHERE id IN (SELECT group_id FROM group_members WHERE user_id = $2)",
        now, id,
    )?;
    let done = sql!(&mut *tx, execute,
        sqlite: "DELETE FROM users WHERE account_id = ? AND id = ?",
        postgres: "DELETE FROM users WHERE account_id = $1 AND id = $2",
        account_id, id,
    )?;
    Ok(done == 1)
}

/// Which of `ids` are users of the account.
pub async fn existing_ids(
    db: impl Exec<'_>,
    account_id: &str,
    ids: &[String],
) -> AppResult<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let json = serde_json::to_string(ids).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    Ok(sql!(db, fetch_all scalar _,
        sqlite: "SELECT id FROM users WHERE account_id = ? AND id IN (SELECT value FROM json_each(?))" => [account_id, json],
        postgres: "SELECT id FROM users WHERE account_id = $1 AND id = ANY($2)" => [account_id, ids])?)
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
    if let (true, Some(inline)) = (filter.point, db.inline()) {
        return list_point(inline, account_id, filter, order_by, limit, offset);
    }
    crate::store::page(
        db,
        RECORD_COLUMNS,
        "users u",
        "u",
        account_id,
        filter,
        order_by,
        limit,
        offset,
    )
    .await
}

/// [`list`] for a point filter on SQLite (`userName eq`, the IdP's lookup before every
/// change): the same statements as `store::page`, on this thread (`store::inline`).
fn list_point(
    inline: &crate::store::inline::InlineReaders,
    account_id: &str,
    filter: &crate::store::scim_query::SqlWhere,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(i64, Vec<UserRecord>)> {
    let from = format!(
        "users u WHERE u.account_id = ? AND ({})",
        filter.sqlite.sqlite()
    );
    let binds = crate::store::inline::values(account_id, &filter.sqlite);
    inline.read(|c| {
        let mut rows = Vec::new();
        if limit > 0 {
            let mut paged = binds.clone();
            paged.extend([limit.into(), offset.into()]);
            rows = c
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLUMNS} FROM {from} ORDER BY {order_by} LIMIT ? OFFSET ?"
                ))?
                .query_map(rusqlite::params_from_iter(paged), record_from_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
        }
        // As `store::page`: a first page that is not full is the total.
        let fits = i64::try_from(rows.len()).unwrap_or(i64::MAX);
        if offset == 0 && limit > 0 && fits < limit {
            return Ok((fits, rows));
        }
        let total = c
            .prepare_cached(&format!("SELECT COUNT(*) FROM {from}"))?
            .query_row(rusqlite::params_from_iter(binds), |r| r.get(0))?;
        Ok((total, rows))
    })
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
    db: impl Exec<'_>,
    account_id: &str,
    prefix: &str,
    limit: i64,
) -> AppResult<Vec<UserSummaryRow>> {
    let low = prefix.to_lowercase();
    let high = format!("{low}\u{10FFFF}");
    Ok(sql!(db, fetch_all as _,
        sqlite: "SELECT id, user_name, email, first_name, last_name, status, source, last_login_at FROM users
         WHERE account_id = ? AND email_norm >= ? AND email_norm < ? ORDER BY email_norm LIMIT ?",
        postgres: "SELECT id, user_name, email, first_name, last_name, status, source, last_login_at FROM users
         WHERE account_id = $1 AND email_norm >= $2 AND email_norm < $3 ORDER BY email_norm LIMIT $4",
        account_id, low, high, limit,
    )?)
}

/// The account's user whose e-mail or userName is `name_norm` (lower-cased): who a SAML NameID
/// names. Both columns are unique per account; the e-mail wins if they name different users.
pub async fn by_login_name(
    db: impl Exec<'_>,
    account_id: &str,
    name_norm: &str,
) -> AppResult<Option<UserRecord>> {
    Ok(sql!(db, fetch_optional as _,
        sqlite: &format!(
            "SELECT {RECORD_COLUMNS} FROM users u WHERE u.account_id = ?1 AND u.email_norm = ?2
         UNION ALL
         SELECT {RECORD_COLUMNS} FROM users u WHERE u.account_id = ?1 AND u.user_name_norm = ?2
         LIMIT 1",
        ),
        postgres: &format!(
            "SELECT {RECORD_COLUMNS} FROM users u WHERE u.account_id = $1 AND u.email_norm = $2
         UNION ALL
         SELECT {RECORD_COLUMNS} FROM users u WHERE u.account_id = $1 AND u.user_name_norm = $2
         LIMIT 1",
        ),
        account_id, name_norm,
    )?)
}

/// An invited user who signed in through their IdP becomes Active (no password needed).
pub async fn activate(
    db: impl Exec<'_>,
    account_id: &str,
    user_id: &str,
    now: &str,
) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "UPDATE users SET status = 'active', updated_at = ?, version = version + 1
         WHERE account_id = ? AND id = ? AND status = 'invited'",
        postgres: "UPDATE users SET status = 'active', updated_at = $1, version = version + 1
         WHERE account_id = $2 AND id = $3 AND status = 'invited'",
        now, account_id, user_id,
    )?;
    Ok(())
}
