//! `user_groups` and `group_members`.

use crate::error::AppResult;
use crate::vocab::Source;
use sqlx::SqliteExecutor;

pub const ADMIN_BUILTIN: &str = "account_admin";

pub struct NewGroup<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub name: &'a str,
    pub builtin: Option<&'a str>,
    pub source: Source,
    pub now: &'a str,
}

pub async fn insert(db: impl SqliteExecutor<'_>, g: NewGroup<'_>) -> AppResult<()> {
    sqlx::query(
        "INSERT INTO user_groups (id, account_id, name, name_norm, builtin, source, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(g.id)
    .bind(g.account_id)
    .bind(g.name)
    .bind(g.name.to_lowercase())
    .bind(g.builtin)
    .bind(g.source.as_str())
    .bind(g.now)
    .bind(g.now)
    .execute(db)
    .await?;
    Ok(())
}

/// The id of the account's built-in Account Administrator group.
pub async fn admin_group_id(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
) -> AppResult<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM user_groups WHERE account_id = ? AND builtin = ?")
            .bind(account_id)
            .bind(ADMIN_BUILTIN)
            .fetch_optional(db)
            .await?,
    )
}

pub async fn add_member(
    db: impl SqliteExecutor<'_>,
    group_id: &str,
    user_id: &str,
    now: &str,
) -> AppResult<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO group_members (group_id, user_id, added_at) VALUES (?, ?, ?)",
    )
    .bind(group_id)
    .bind(user_id)
    .bind(now)
    .execute(db)
    .await?;
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

pub async fn get(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    id: &str,
) -> AppResult<Option<GroupRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {GROUP_COLUMNS} FROM user_groups g WHERE g.account_id = ? AND g.id = ?"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_optional(db)
    .await?)
}

pub async fn set_external_id(
    db: impl SqliteExecutor<'_>,
    id: &str,
    external_id: Option<&str>,
) -> AppResult<()> {
    sqlx::query("UPDATE user_groups SET external_id = ? WHERE id = ?")
        .bind(external_id)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Renames / re-sources a group and bumps its version, if it is still at `expected_version`.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: impl SqliteExecutor<'_>,
    account_id: &str,
    id: &str,
    expected_version: i64,
    name: &str,
    source: Source,
    external_id: Option<&str>,
    now: &str,
) -> AppResult<bool> {
    let done = sqlx::query(
        "UPDATE user_groups SET name = ?, name_norm = ?, source = ?, external_id = ?, updated_at = ?, version = version + 1
         WHERE account_id = ? AND id = ? AND version = ?",
    )
    .bind(name)
    .bind(name.to_lowercase())
    .bind(source.as_str())
    .bind(external_id)
    .bind(now)
    .bind(account_id)
    .bind(id)
    .bind(expected_version)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(db: impl SqliteExecutor<'_>, account_id: &str, id: &str) -> AppResult<bool> {
    let done = sqlx::query("DELETE FROM user_groups WHERE account_id = ? AND id = ?")
        .bind(account_id)
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn remove_member(
    db: impl SqliteExecutor<'_>,
    group_id: &str,
    user_id: &str,
) -> AppResult<()> {
    sqlx::query("DELETE FROM group_members WHERE group_id = ? AND user_id = ?")
        .bind(group_id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberRow {
    pub group_id: String,
    pub user_id: String,
    pub email: String,
}

/// Members of all `group_ids` in one query (no N+1), ordered by when they were added.
pub async fn members_of(
    db: impl SqliteExecutor<'_>,
    group_ids: &[String],
) -> AppResult<Vec<MemberRow>> {
    if group_ids.is_empty() {
        return Ok(Vec::new());
    }
    let json =
        serde_json::to_string(group_ids).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    Ok(sqlx::query_as(
        "SELECT gm.group_id, u.id AS user_id, COALESCE(u.email, u.user_name) AS email FROM group_members gm JOIN users u ON u.id = gm.user_id
         WHERE gm.group_id IN (SELECT value FROM json_each(?)) ORDER BY gm.group_id, gm.added_at, u.id",
    )
    .bind(json)
    .fetch_all(db)
    .await?)
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
        "user_groups g WHERE g.account_id = ?",
        account_id,
        filter,
        order_by,
        limit,
        offset,
    )
    .await
}

/// Marks a group changed (its membership): a new version, so SCIM ETags change too.
pub async fn touch(db: impl SqliteExecutor<'_>, id: &str, now: &str) -> AppResult<()> {
    sqlx::query("UPDATE user_groups SET updated_at = ?, version = version + 1 WHERE id = ?")
        .bind(now)
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}
