//! Accounts: each one is created with its built-in *Account Administrator* group.

use crate::domain::validate;
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::{self, groups::NewGroup, Conn, Db};
use crate::vocab::Source;

pub const ADMIN_GROUP_NAME: &str = "Account Administrator";

pub fn check_name(name: &str) -> Result<(), String> {
    validate::name(name, "an account name", 100)
}

/// Creates an account and its Account Administrator group inside `tx`; returns the account id.
pub async fn create_in(tx: &mut Conn, name: &str) -> AppResult<String> {
    check_name(name).map_err(|m| AppError::invalid("name", m))?;
    let id = ids::new_account_id();
    let now = ids::now();
    store::accounts::insert(&mut *tx, &id, name.trim(), &now).await?;
    let group_id = ids::new_uuid();
    store::groups::insert(
        &mut *tx,
        NewGroup {
            id: &group_id,
            account_id: &id,
            name: ADMIN_GROUP_NAME,
            builtin: Some(store::groups::ADMIN_BUILTIN),
            source: Source::Manual,
            now: &now,
        },
    )
    .await?;
    Ok(id)
}

pub async fn create(db: &Db, name: &str) -> AppResult<String> {
    let name = name.to_owned();
    db.write(move |tx| Box::pin(async move { create_in(tx, &name).await }))
        .await
}

/// The account, or a clear "unknown account" error.
pub async fn require(db: &Db, account_id: &str) -> AppResult<store::accounts::AccountRow> {
    let unknown = || AppError::NotFound(format!("unknown account '{account_id}'"));
    if !ids::looks_like_account_id(account_id) {
        return Err(unknown());
    }
    store::accounts::get(db, account_id)
        .await?
        .ok_or_else(unknown)
}
