//! `scim_requests`: the provisioning activity log, written in batches and kept bounded.

use crate::error::AppResult;
use crate::store::{Conn, Db};
use crate::{sql, sql_built};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimRequestRow {
    pub account_id: String,
    pub at: String,
    pub method: String,
    pub path: String,
    pub status: u16,
    pub outcome: &'static str,
    pub duration_us: i64,
    pub user_agent: Option<String>,
    pub api_key_id: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub detail: Option<String>,
}

/// A multi-row INSERT of `rows` for the engine `$db` (see [`crate::sql_built`]).
macro_rules! insert_rows {
    ($db:ty, $rows:expr) => {{
        let mut q = sqlx::QueryBuilder::<$db>::new(
            "INSERT INTO scim_requests (account_id, at, method, path, status, outcome, duration_us, user_agent,
                                        api_key_id, resource_type, resource_id, detail) ",
        );
        q.push_values($rows, |mut b, r: &ScimRequestRow| {
            b.push_bind(r.account_id.clone())
                .push_bind(r.at.clone())
                .push_bind(r.method.clone())
                .push_bind(r.path.clone())
                .push_bind(i64::from(r.status))
                .push_bind(r.outcome)
                .push_bind(r.duration_us)
                .push_bind(r.user_agent.clone())
                .push_bind(r.api_key_id.clone())
                .push_bind(r.resource_type.clone())
                .push_bind(r.resource_id.clone())
                .push_bind(r.detail.clone());
        });
        q
    }};
}

/// Inserts a batch (in the writer's transaction), many rows per statement: the activity log
/// must keep up with the request rate; one statement per row could not.
pub async fn insert_batch(tx: &mut Conn, rows: &[ScimRequestRow]) -> AppResult<()> {
    const ROWS_PER_STATEMENT: usize = 200; // 12 parameters each, well under either engine's limit
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        sql_built!(&mut *tx, |Db| { insert_rows!(Db, chunk) }, |q, e| q
            .build()
            .execute(e)
            .await
            .map(|_| ()))?;
    }
    Ok(())
}

/// The id of the newest activity row (0 when there is none).
pub async fn newest_id(db: &Db) -> AppResult<i64> {
    Ok(sql!(db, fetch_one scalar _,
        sqlite: "SELECT COALESCE(MAX(id), 0) FROM scim_requests",
        postgres: "SELECT COALESCE(MAX(id), 0) FROM scim_requests",
    )?)
}

/// The accounts with activity rows whose id is in `(after, upto]`.
pub async fn accounts_between(db: &Db, after: i64, upto: i64) -> AppResult<Vec<String>> {
    Ok(sql!(db, fetch_all scalar _,
        sqlite: "SELECT DISTINCT account_id FROM scim_requests WHERE id > ? AND id <= ?",
        postgres: "SELECT DISTINCT account_id FROM scim_requests WHERE id > $1 AND id <= $2",
        after, upto,
    )?)
}

/// Inserts the row that stands for the failed authentications not recorded one by one; returns
/// its id so later ones in the same minute update it instead of adding rows.
pub async fn insert_summary(tx: &mut Conn, row: &ScimRequestRow) -> AppResult<i64> {
    Ok(sql_built!(
        &mut *tx,
        |Db| {
            let mut q = insert_rows!(Db, std::slice::from_ref(row));
            q.push(" RETURNING id");
            q
        },
        |q, e| q.build_query_scalar::<i64>().fetch_one(e).await
    )?)
}

/// Brings a summary row up to date (its newest time and its count).
pub async fn update_summary(tx: &mut Conn, id: i64, at: &str, detail: &str) -> AppResult<()> {
    sql!(&mut *tx, execute,
        sqlite: "UPDATE scim_requests SET at = ?, detail = ? WHERE id = ?",
        postgres: "UPDATE scim_requests SET at = $1, detail = $2 WHERE id = $3",
        at, detail, id,
    )?;
    Ok(())
}

/// One step of pruning: deletes at most `limit` entries older than `before`, oldest first.
/// Returns how many went (fewer than `limit`: none older is left). A step is one short write
/// job, so a log far over its bounds (millions of rows after the bounds were lowered) is
/// pruned in many steps between which every other write goes ahead.
pub async fn prune_older(tx: &mut Conn, before: &str, limit: i64) -> AppResult<u64> {
    Ok(sql!(&mut *tx, execute,
        sqlite: "DELETE FROM scim_requests WHERE id IN (
             SELECT id FROM scim_requests WHERE at < ? ORDER BY at LIMIT ?)",
        postgres: "DELETE FROM scim_requests WHERE id IN (
             SELECT id FROM scim_requests WHERE at < $1 ORDER BY at LIMIT $2)",
        before, limit,
    )?)
}

/// One step of pruning an account: deletes at most `limit` of its entries beyond its newest
/// `keep`, oldest first (one account's flood never evicts another's history). Returns how many
/// went (fewer than `limit`: the account is within its bound).
pub async fn prune_account(
    tx: &mut Conn,
    account_id: &str,
    keep: i64,
    limit: i64,
) -> AppResult<u64> {
    Ok(sql!(&mut *tx, execute,
        sqlite: "DELETE FROM scim_requests WHERE id IN (
             SELECT id FROM scim_requests WHERE account_id = ?1 AND id <= (
                 SELECT id FROM scim_requests WHERE account_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)
             ORDER BY id LIMIT ?3)",
        postgres: "DELETE FROM scim_requests WHERE id IN (
             SELECT id FROM scim_requests WHERE account_id = $1 AND id <= (
                 SELECT id FROM scim_requests WHERE account_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)
             ORDER BY id LIMIT $3)",
        account_id, keep, limit,
    )?)
}

/// The accounts with activity to bound.
pub async fn account_ids(db: &Db) -> AppResult<Vec<String>> {
    Ok(sql!(db, fetch_all scalar _,
        sqlite: "SELECT id FROM accounts",
        postgres: "SELECT id FROM accounts",
    )?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityRow {
    pub id: i64,
    pub at: String,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub outcome: String,
    pub duration_us: i64,
    pub resource_id: Option<String>,
    pub detail: Option<String>,
}

/// The newest entry of an account, optionally only successes or only failures.
pub async fn latest(
    db: &Db,
    account_id: &str,
    outcome: Option<bool>,
) -> AppResult<Option<ActivityRow>> {
    let filter = match outcome {
        None => "",
        Some(true) => " AND outcome = 'success'",
        Some(false) => " AND outcome <> 'success'",
    };
    Ok(sql!(db, fetch_optional as _,
        sqlite: &format!(
            "SELECT id, at, method, path, status, outcome, duration_us, resource_id, detail FROM scim_requests
         WHERE account_id = ?{filter} ORDER BY id DESC LIMIT 1",
        ),
        postgres: &format!(
            "SELECT id, at, method, path, status, outcome, duration_us, resource_id, detail FROM scim_requests
         WHERE account_id = $1{filter} ORDER BY id DESC LIMIT 1",
        ),
        account_id,
    )?)
}

/// One entry of the Provisioning Activity page, with the key's name and the target's label.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ActivityDetailRow {
    pub id: i64,
    pub at: String,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub outcome: String,
    pub duration_us: i64,
    pub user_agent: Option<String>,
    pub key_name: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub target: Option<String>,
    pub detail: Option<String>,
}

/// Filters of the activity page; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// true: successes only; false: failures only.
    pub success: Option<bool>,
    pub method: Option<String>,
    pub resource_type: Option<String>,
    pub before: Option<i64>,
}

/// The newest entries of an account matching `f`, newest first. Each filter has an index in id
/// order (migrations 0011 and 0012: `scim_requests_failed*` / `_succeeded` are partial indexes whose
/// conditions are the terms written below, word for word; `_method`, `_resource`), so a rare
/// value is read from its own index instead of by skipping the rest of the account.
pub async fn page(
    db: &Db,
    account_id: &str,
    f: &ActivityFilter,
    limit: i64,
) -> AppResult<Vec<ActivityDetailRow>> {
    Ok(sql_built!(
        db,
        |Db| {
            let mut q = sqlx::QueryBuilder::<Db>::new(
                "SELECT r.id, r.at, r.method, r.path, r.status, r.outcome, r.duration_us, r.user_agent,
                        k.name AS key_name, r.resource_type, r.resource_id,
                        CASE r.resource_type
                            WHEN 'User' THEN (SELECT COALESCE(u.email, u.user_name) FROM users u WHERE u.id = r.resource_id AND u.account_id = r.account_id)
                            WHEN 'Group' THEN (SELECT g.name FROM user_groups g WHERE g.id = r.resource_id AND g.account_id = r.account_id)
                        END AS target,
                        r.detail
                 FROM scim_requests r LEFT JOIN api_keys k ON k.id = r.api_key_id AND k.account_id = r.account_id
                 WHERE r.account_id = ",
            );
            q.push_bind(account_id.to_string());
            match f.success {
                Some(true) => {
                    q.push(" AND r.outcome = 'success'");
                }
                Some(false) => {
                    q.push(" AND r.outcome <> 'success'");
                }
                None => {}
            }
            if let Some(m) = &f.method {
                q.push(" AND r.method = ").push_bind(m.clone());
            }
            if let Some(t) = &f.resource_type {
                q.push(" AND r.resource_type = ").push_bind(t.clone());
            }
            if let Some(before) = f.before {
                q.push(" AND r.id < ").push_bind(before);
            }
            q.push(" ORDER BY r.id DESC LIMIT ").push_bind(limit);
            q
        },
        |q, e| q.build_query_as().fetch_all(e).await
    )?)
}
