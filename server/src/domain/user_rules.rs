//! The rules of a user, whichever door a change comes through (SCIM, the UI's server
//! functions, the CLI, and SAML next): the doors translate their input into a call here and
//! this module's errors back into their own form (`error.rs`), so no door can get around a rule.

use crate::error::{AppError, AppResult};
use crate::store::{directory as dir, Conn};
use crate::vocab::UserStatus;

/// The longest first, last or display name, in characters (SCIM and the UI alike).
pub const NAME_MAX: usize = 200;
/// The longest SCIM `userName`, in characters.
pub const USER_NAME_MAX: usize = 256;
/// The longest `externalId`, in characters.
pub const EXTERNAL_ID_MAX: usize = 512;
/// The most e-mail addresses one user may carry (SCIM `emails`).
pub const EMAILS_MAX: usize = 100;
/// The longest e-mail `type` label ("work", "home", …).
pub const EMAIL_TYPE_MAX: usize = 64;

/// How a change would take a user away from the account's administrators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminLoss {
    Suspend,
    Delete,
    /// Removed from the Account Administrator group.
    Demote,
}

impl AdminLoss {
    fn verb(self) -> &'static str {
        match self {
            AdminLoss::Suspend => "suspend",
            AdminLoss::Delete => "delete",
            AdminLoss::Demote => "remove from Account Administrator",
        }
    }
}

/// The refusal every door shows, in the same words.
pub fn last_admin(loss: AdminLoss) -> AppError {
    AppError::Conflict(format!(
        "This is the account's last active Account Administrator: without one, nobody could \
         log in to manage the account. Make another person an active member of Account \
         Administrator first, then {} this user.",
        loss.verb()
    ))
}

/// Refuses a change that takes every one of `losing` away from the account's active
/// administrators when that would leave none. An account that has no active administrator
/// already (nothing to lose) is not blocked.
pub async fn keep_an_active_admin(
    tx: &mut Conn,
    account_id: &str,
    losing: &[&str],
    loss: AdminLoss,
) -> AppResult<()> {
    if losing.is_empty() {
        return Ok(());
    }
    // One more than `losing` is enough to know that someone stays.
    let limit = i64::try_from(losing.len() + 1).unwrap_or(i64::MAX);
    let active = dir::active_admins(&mut *tx, account_id, limit).await?;
    if !active.is_empty() && active.iter().all(|id| losing.contains(&id.as_str())) {
        return Err(last_admin(loss));
    }
    Ok(())
}

/// The status after an identity provider (or an administrator) sets `active`: inactive is
/// Suspended; reactivated is Active for someone who has signed up, else Invited; otherwise
/// unchanged.
pub fn status_after(current: UserStatus, active: bool, signed_up: bool) -> UserStatus {
    match (active, current) {
        (false, _) => UserStatus::Suspended,
        (true, UserStatus::Suspended) if signed_up => UserStatus::Active,
        (true, UserStatus::Suspended) => UserStatus::Invited,
        (true, unchanged) => unchanged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_transitions() {
        use UserStatus::*;
        assert_eq!(status_after(Active, false, true), Suspended);
        assert_eq!(status_after(Invited, false, false), Suspended);
        assert_eq!(status_after(Active, true, true), Active);
        assert_eq!(status_after(Invited, true, false), Invited);
        assert_eq!(status_after(Suspended, true, true), Active);
        assert_eq!(status_after(Suspended, true, false), Invited);
    }

    #[test]
    fn the_refusal_says_why_and_what_to_do() {
        let m = last_admin(AdminLoss::Delete).to_string();
        assert!(m.contains("last active Account Administrator"));
        assert!(m.contains("then delete this user"));
    }
}
