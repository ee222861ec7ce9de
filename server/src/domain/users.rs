//! Users created by operators and the first-run page: active administrators with a password.

use crate::domain::{
    accounts, passwords, user_rules,
    validate::{self, Problems},
};
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::{self, users::NewUser, Conn, Db};
use crate::vocab::{Source, UserStatus};

pub struct NewAdmin {
    pub email: String,
    pub password: String,
    pub first_name: String,
    pub last_name: String,
}

/// Checks the form-level rules of a new administrator (all fields at once).
pub fn check_admin(input: &NewAdmin, problems: &mut Problems) {
    problems.check("email", validate::email(&input.email));
    problems.check(
        "first_name",
        validate::optional_name(&input.first_name, "a first name", user_rules::NAME_MAX),
    );
    problems.check(
        "last_name",
        validate::optional_name(&input.last_name, "a last name", user_rules::NAME_MAX),
    );
    problems.check(
        "password",
        passwords::check_strength(&input.password, &input.email),
    );
}

/// Creates an active user in the account's Account Administrator group inside `tx`.
/// The password must already be hashed (hashing is slow; keep it outside the transaction).
pub async fn create_admin_in(
    tx: &mut Conn,
    account_id: &str,
    input: &NewAdmin,
    password_hash: &str,
) -> AppResult<String> {
    let group_id = store::groups::admin_group_id(&mut *tx, account_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("unknown account '{account_id}'")))?;
    let id = ids::new_uuid();
    let now = ids::now();
    let email = input.email.trim();
    let inserted = store::users::insert(
        &mut *tx,
        NewUser {
            id: &id,
            account_id,
            user_name: email,
            email: Some(email),
            first_name: input.first_name.trim(),
            last_name: input.last_name.trim(),
            password_hash: Some(password_hash),
            status: UserStatus::Active,
            source: Source::Manual,
            external_id: None,
            emails_json: None,
            display_name: None,
            now: &now,
        },
    )
    .await;
    match inserted {
        Err(e) if e.is_unique_violation() => {
            return Err(AppError::Taken(format!(
                "a user with the e-mail '{email}' already exists in this account"
            )))
        }
        other => {
            other?;
        }
    }
    store::groups::add_member(&mut *tx, &group_id, &id, &now).await?;
    store::groups::touch(&mut *tx, &group_id, &now).await?;
    Ok(id)
}

/// `rollcall admin create`: validates, hashes, creates; returns the new user's id.
pub async fn create_admin(db: &Db, account_id: &str, input: NewAdmin) -> AppResult<String> {
    accounts::require(db, account_id).await?;
    let mut problems = Problems::default();
    check_admin(&input, &mut problems);
    problems.finish()?;
    let hash = passwords::hash(input.password.clone()).await?;
    let account_id = account_id.to_owned();
    db.write(move |tx| {
        Box::pin(async move { create_admin_in(tx, &account_id, &input, &hash).await })
    })
    .await
}
