//! `user_groups` and `group_members`.

use super::exec::Exec;
use crate::error::AppResult;
use crate::sql;
use crate::vocab::Source;

pub const ADMIN_BUILTIN: &str = "account_admin";

pub struct NewGroup<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub name: &'a str,
    pub builtin: Option<&'a str>,
    pub source: Source,
    pub now: &'a str,
}

pub async fn insert(db: impl Exec<'_>, g: NewGroup<'_>) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "INSERT INTO user_groups (id, account_id, name, name_norm, builtin, source, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        postgres: "INSERT INTO user_groups (id, account_id, name, name_norm, builtin, source, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        g.id, g.account_id, g.name, g.name.to_lowercase(), g.builtin, g.source.as_str(), g.now,
        g.now,
    )?;
    Ok(())
}

/// The id of the account's built-in Account Administrator group.
pub async fn admin_group_id(db: impl Exec<'_>, account_id: &str) -> AppResult<Option<String>> {
    Ok(sql!(db, fetch_optional scalar _,
        sqlite: "SELECT id FROM user_groups WHERE account_id = ? AND builtin = ?",
        postgres: "SELECT id FROM user_groups WHERE account_id = $1 AND builtin = $2",
        account_id, ADMIN_BUILTIN,
    )?)
}

pub async fn add_member(
    db: impl Exec<'_>,
    group_id: &str,
    user_id: &str,
    now: &str,
) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "INSERT OR IGNORE INTO group_members (group_id, user_id, added_at) VALUES (?, ?, ?)",
        postgres: "INSERT INTO group_members (group_id, user_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        group_id, user_id, now,
    )?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct GroupRow {
    pub id: String,
    pub name: String,
    pub builtin: Option<String>,
    #[sqlx(try_from = "String")]
    pub source: Source,
    pub external_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
}

const GROUP_COLUMNS: &str =
    "g.id, g.name, g.builtin, g.source, g.external_id, g.created_at, g.updated_at, g.version";

pub async fn get(db: impl Exec<'_>, account_id: &str, id: &str) -> AppResult<Option<GroupRow>> {
    Ok(sql!(db, fetch_optional as _,
        sqlite: &format!(
            "SELECT {GROUP_COLUMNS} FROM user_groups g WHERE g.account_id = ? AND g.id = ?",
        ),
        postgres: &format!(
            "SELECT {GROUP_COLUMNS} FROM user_groups g WHERE g.account_id = $1 AND g.id = $2",
        ),
        account_id, id,
    )?)
}

pub async fn set_external_id(
    db: impl Exec<'_>,
    id: &str,
    external_id: Option<&str>,
) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "UPDATE user_groups SET external_id = ? WHERE id = ?",
        postgres: "UPDATE user_groups SET external_id = $1 WHERE id = $2",
        external_id, id,
    )?;
    Ok(())
}

/// Renames / re-sources a group and bumps its version, if it is still at `expected_version`.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: impl Exec<'_>,
    account_id: &str,
    id: &str,
    expected_version: i64,
    name: &str,
    source: Source,
    external_id: Option<&str>,
    now: &str,
) -> AppResult<bool> {
    let done = sql!(db, execute,
        sqlite: "UPDATE user_groups SET name = ?, name_norm = ?, source = ?, external_id = ?, updated_at = ?, version = version + 1
         WHERE account_id = ? AND id = ? AND version = ?",
        postgres: "UPDATE user_groups SET name = $1, name_norm = $2, source = $3, external_id = $4, updated_at = $5, version = version + 1
         WHERE account_id = $6 AND id = $7 AND version = $8",
        name, name.to_lowercase(), source.as_str(), external_id, now, account_id, id,
        expected_version,
    )?;
    Ok(done == 1)
}

pub async fn delete(db: impl Exec<'_>, account_id: &str, id: &str) -> AppResult<bool> {
    let done = sql!(db, execute,
        sqlite: "DELETE FROM user_groups WHERE account_id = ? AND id = ?",
        postgres: "DELETE FROM user_groups WHERE account_id = $1 AND id = $2",
        account_id, id,
    )?;
    Ok(done == 1)
}

pub async fn remove_member(db: impl Exec<'_>, group_id: &str, user_id: &str) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "DELETE FROM group_members WHERE group_id = ? AND user_id = ?",
        postgres: "DELETE FROM group_members WHERE group_id = $1 AND user_id = $2",
        group_id, user_id,
    )?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberRow {
    pub group_id: String,
    pub user_id: String,
    pub email: String,
}

/// Members of all `group_ids` in one query (no N+1), ordered by when they were added.
pub async fn members_of(db: impl Exec<'_>, group_ids: &[String]) -> AppResult<Vec<MemberRow>> {
    if group_ids.is_empty() {
        return Ok(Vec::new());
    }
    let json =
        serde_json::to_string(group_ids).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    Ok(sql!(db, fetch_all as _,
        sqlite: "SELECT gm.group_id, u.id AS user_id, COALESCE(u.email, u.user_name) AS email FROM group_members gm JOIN users u ON u.id = gm.user_id
                 WHERE gm.group_id IN (SELECT value FROM json_each(?)) ORDER BY gm.group_id, gm.added_at, u.id" => [json],
        postgres: "SELECT gm.group_id, u.id AS user_id, COALESCE(u.email, u.user_name) AS email FROM group_members gm JOIN users u ON u.id = gm.user_id
                   WHERE gm.group_id = ANY($1) ORDER BY gm.group_id, gm.added_at, u.id" => [group_ids])?)
}

/// One member of a group as a read returns it: the user's id and, when asked for
/// (`members_of`), their e-mail (else empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user_id: String,
    pub email: String,
}

/// The members of a group the caller has just found at `version`, in the order they were
/// added, without the join to users that `members_of` makes for their e-mails. From the
/// [`member_cache`](super::member_cache) when read at that version before; else read — the ids
/// and the group's version in one statement (one snapshot), so the read is remembered only when
/// it is of exactly `version`.
pub async fn members_at(
    db: &super::Db,
    group_id: &str,
    version: i64,
) -> AppResult<std::sync::Arc<[Member]>> {
    if let Some(hit) = db.member_cache().get(group_id, version) {
        return Ok(hit);
    }
    let (read_at, ids) = read_member_ids(db, group_id).await?;
    let members: std::sync::Arc<[Member]> = ids
        .into_iter()
        .map(|user_id| Member {
            user_id,
            email: String::new(),
        })
        .collect();
    if read_at == Some(version) {
        db.member_cache().put(group_id, version, &members);
    }
    Ok(members)
}

/// The group's version and its member ids, from one statement.
async fn read_member_ids(db: &super::Db, group_id: &str) -> AppResult<(Option<i64>, Vec<String>)> {
    if let Some(inline) = db.inline_pool() {
        // A scan (one row per member), so off the runtime's threads; one hop for all rows,
        // where sqlx would send each row from its worker thread. Run to the end even if the
        // request is dropped: a read, nothing is left open.
        let group_id = group_id.to_string();
        return tokio::task::spawn_blocking(move || {
            inline.read(|c| {
                let mut st = c.prepare_cached(MEMBER_IDS_SQLITE)?;
                let mut rows = st.query([&group_id])?;
                let mut version = None;
                let mut ids = Vec::new();
                while let Some(r) = rows.next()? {
                    version = r.get(0)?;
                    ids.push(r.get(1)?);
                }
                Ok((version, ids))
            })
        })
        .await
        .map_err(|e| crate::AppError::Internal(format!("member read: {e}")))?;
    }
    let (version, joined): (Option<i64>, String) = sql!(db, fetch_one as _,
        sqlite: "SELECT (SELECT version FROM user_groups WHERE id = ?1),
                        COALESCE(group_concat(user_id, ','), '') FROM (
                     SELECT user_id FROM group_members INDEXED BY group_members_order
                     WHERE group_id = ?1 ORDER BY added_at, user_id)",
        postgres: "SELECT (SELECT version FROM user_groups WHERE id = $1),
                          COALESCE(string_agg(user_id, ',' ORDER BY added_at, user_id), '')
                   FROM group_members WHERE group_id = $1",
        group_id,
    )?;
    // User ids hold no comma.
    let ids = joined
        .split(',')
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect();
    Ok((version, ids))
}

/// [`read_member_ids`] on SQLite's inline readers: every row carries the version (a constant
/// subquery, evaluated once); one index-only range scan (`group_members_order`).
const MEMBER_IDS_SQLITE: &str = "SELECT (SELECT version FROM user_groups WHERE id = ?1), user_id
     FROM group_members INDEXED BY group_members_order WHERE group_id = ?1 ORDER BY added_at, user_id";

/// Which of `user_ids` are members of the group (a probe per id, not a membership load).
pub async fn members_among(
    db: impl Exec<'_>,
    group_id: &str,
    user_ids: &[String],
) -> AppResult<Vec<String>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let json =
        serde_json::to_string(user_ids).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    Ok(sql!(db, fetch_all scalar String,
        sqlite: "SELECT user_id FROM group_members WHERE group_id = ? AND user_id IN (SELECT value FROM json_each(?))"
            => [group_id, json],
        postgres: "SELECT user_id FROM group_members WHERE group_id = $1 AND user_id = ANY($2)"
            => [group_id, user_ids])?)
}

/// How many members the group has, counting no further than `cap` (a count of 100,000 members
/// is a 100,000-entry scan; what a caller needs to know is "none", "few" or "many").
pub async fn member_count(db: impl Exec<'_>, group_id: &str, cap: i64) -> AppResult<i64> {
    Ok(sql!(db, fetch_one scalar i64,
        sqlite: "SELECT COUNT(*) FROM (SELECT 1 FROM group_members WHERE group_id = ? LIMIT ?)",
        postgres: "SELECT COUNT(*) FROM (SELECT 1 FROM group_members WHERE group_id = $1 LIMIT $2) AS m",
        group_id, cap,
    )?)
}

/// One page of groups matching `filter`, plus the total count.
pub async fn list(
    db: &crate::store::Db,
    account_id: &str,
    filter: &crate::store::scim_query::SqlWhere,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> AppResult<(i64, Vec<GroupRow>)> {
    crate::store::page(
        db,
        GROUP_COLUMNS,
        "user_groups g",
        "g",
        account_id,
        filter,
        order_by,
        limit,
        offset,
    )
    .await
}

/// Marks a group changed (its membership): a new version, so SCIM ETags change too.
pub async fn touch(db: impl Exec<'_>, id: &str, now: &str) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "UPDATE user_groups SET updated_at = ?, version = version + 1 WHERE id = ?",
        postgres: "UPDATE user_groups SET updated_at = $1, version = version + 1 WHERE id = $2",
        now, id,
    )?;
    Ok(())
}
