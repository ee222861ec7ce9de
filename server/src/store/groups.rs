//! `user_groups` and `group_members`.

use crate::error::AppResult;
use sqlx::SqliteExecutor;

pub const ADMIN_BUILTIN: &str = "account_admin";

pub struct NewGroup<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub name: &'a str,
    pub builtin: Option<&'a str>,
    pub source: &'a str,
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
    .bind(g.source)
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
