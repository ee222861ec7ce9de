//! First run: while the database has no account, `/` offers a set-up page that creates the
//! account and its first administrator. It is guarded by a one-time code printed in the
//! server log, so a freshly exposed server cannot be claimed by whoever finds it first.

use crate::domain::{accounts, auth, passwords, users, validate::Problems};
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::{self, Db};
use rollcall_app::api::SetupInput;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Holds the one-time code while set-up is pending.
pub struct SetupGate {
    code: Mutex<Option<String>>,
    done: AtomicBool,
}

impl SetupGate {
    /// Looks at the database: if it has no account, makes a fresh code.
    pub async fn new(db: &Db) -> AppResult<Self> {
        let done = store::accounts::any_exists(db).await?;
        let code = (!done).then(new_code);
        Ok(SetupGate {
            code: Mutex::new(code),
            done: AtomicBool::new(done),
        })
    }

    /// The code to print, while set-up is pending.
    pub fn code(&self) -> Option<String> {
        self.code.lock().ok().and_then(|c| c.clone())
    }

    /// Is set-up still to be done? (Cached: once an account exists it never goes away here.)
    pub async fn pending(&self, db: &Db) -> AppResult<bool> {
        if self.done.load(Ordering::Acquire) {
            return Ok(false);
        }
        if store::accounts::any_exists(db).await? {
            self.finish();
            return Ok(false);
        }
        Ok(true)
    }

    fn finish(&self) {
        self.done.store(true, Ordering::Release);
        if let Ok(mut code) = self.code.lock() {
            *code = None;
        }
    }

    fn code_matches(&self, given: &str) -> bool {
        let given: String = given
            .trim()
            .to_uppercase()
            .chars()
            .filter(|c| *c != '-' && *c != ' ')
            .collect();
        match self.code() {
            Some(code) => ids::secure_eq(&code.replace('-', ""), &given),
            None => false,
        }
    }

    /// Creates the account and its administrator in one transaction and logs them in.
    pub async fn complete(
        &self,
        db: &Db,
        session: &tower_sessions::Session,
        input: SetupInput,
    ) -> AppResult<()> {
        if !self.pending(db).await? {
            return Err(AppError::Conflict(
                "Rollcall is already set up. Log in instead.".into(),
            ));
        }
        let mut problems = Problems::default();
        if !self.code_matches(&input.setup_code) {
            problems.add(
                "setup_code",
                "This is not the set-up code printed in the server log.",
            );
        }
        problems.check("account_name", accounts::check_name(&input.account_name));
        let admin = users::NewAdmin {
            email: input.email,
            password: input.password,
            first_name: input.first_name,
            last_name: input.last_name,
        };
        users::check_admin(&admin, &mut problems);
        if admin.password != input.password_confirm {
            problems.add("password_confirm", "The two passwords do not match.");
        }
        problems.finish()?;
        let hash = passwords::hash(admin.password.clone()).await?;
        let account_name = input.account_name;
        let (account_id, user_id) = db
            .write(move |tx| {
                Box::pin(async move {
                    if store::accounts::any_exists(&mut *tx).await? {
                        return Err(AppError::Conflict(
                            "Rollcall is already set up. Log in instead.".into(),
                        ));
                    }
                    let account_id = accounts::create_in(tx, &account_name).await?;
                    let user_id = users::create_admin_in(tx, &account_id, &admin, &hash).await?;
                    Ok((account_id, user_id))
                })
            })
            .await?;
        self.finish();
        tracing::info!(%account_id, %user_id, "first-run set-up complete");
        auth::start_session(
            session,
            &auth::SessionAuth::new(account_id, user_id, 0, db.clock()),
        )
        .await
    }
}

/// 12 characters from an alphabet without look-alikes, shown as XXXX-XXXX-XXXX (~60 bits).
fn new_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    let raw: String = (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}-{}", &raw[0..4], &raw[4..8], &raw[8..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_loosely_but_only_the_right_one() {
        let gate = SetupGate {
            code: Mutex::new(Some("ABCD-EFGH-JKLM".into())),
            done: AtomicBool::new(false),
        };
        assert!(gate.code_matches("ABCD-EFGH-JKLM"));
        assert!(gate.code_matches(" abcd efgh jklm "));
        assert!(!gate.code_matches("ABCD-EFGH-JKLN"));
        assert!(!gate.code_matches(""));
        gate.finish();
        assert!(!gate.code_matches("ABCD-EFGH-JKLM"));
    }

    #[test]
    fn codes_have_the_printed_shape() {
        let c = new_code();
        assert_eq!(c.len(), 14);
        assert_eq!(c.matches('-').count(), 2);
    }
}
