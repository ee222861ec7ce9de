//! `accounts`.

use super::exec::Exec;
use crate::error::AppResult;
use crate::sql;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountRow {
    pub id: String,
    pub name: String,
    pub created_at: String,
}

pub async fn insert(db: impl Exec<'_>, id: &str, name: &str, now: &str) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)",
        postgres: "INSERT INTO accounts (id, name, created_at) VALUES ($1, $2, $3)",
        id, name, now,
    )?;
    Ok(())
}

pub async fn get(db: impl Exec<'_>, id: &str) -> AppResult<Option<AccountRow>> {
    Ok(sql!(db, fetch_optional as AccountRow,
        sqlite: "SELECT id, name, created_at FROM accounts WHERE id = ?",
        postgres: "SELECT id, name, created_at FROM accounts WHERE id = $1",
        id,
    )?)
}

pub async fn any_exists(db: impl Exec<'_>) -> AppResult<bool> {
    let found: Option<i64> = sql!(db, fetch_optional scalar i64,
        sqlite: "SELECT 1 FROM accounts LIMIT 1",
        postgres: "SELECT 1::BIGINT FROM accounts LIMIT 1",
    )?;
    Ok(found.is_some())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountListRow {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub users: i64,
}

/// Every account with its number of users, oldest first (`rollcall account list`).
pub async fn list(db: impl Exec<'_>) -> AppResult<Vec<AccountListRow>> {
    Ok(sql!(db, fetch_all as AccountListRow,
        sqlite: "SELECT a.id, a.name, a.created_at, (SELECT count(*) FROM users u WHERE u.account_id = a.id) AS users
                 FROM accounts a ORDER BY a.created_at, a.id",
        postgres: "SELECT a.id, a.name, a.created_at, (SELECT count(*) FROM users u WHERE u.account_id = a.id) AS users
                   FROM accounts a ORDER BY a.created_at, a.id",
    )?)
}
