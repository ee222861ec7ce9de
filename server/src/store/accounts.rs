//! `accounts`.

use crate::error::AppResult;
use sqlx::SqliteExecutor;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

pub async fn insert(db: impl SqliteExecutor<'_>, id: &str, name: &str, now: &str) -> AppResult<()> {
    sqlx::query("INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)")
        .bind(id)
        .bind(name)
        .bind(now)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn get(db: impl SqliteExecutor<'_>, id: &str) -> AppResult<Option<AccountRow>> {
    Ok(
        sqlx::query_as("SELECT id, name, created_at FROM accounts WHERE id = ?")
            .bind(id)
            .fetch_optional(db)
            .await?,
    )
}

pub async fn any_exists(db: impl SqliteExecutor<'_>) -> AppResult<bool> {
    let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM accounts LIMIT 1")
        .fetch_optional(db)
        .await?;
    Ok(found.is_some())
}
