//! Log-in, log-out and the per-request session check.
//!
//! The session stores `(account, user, auth_epoch)`. Every request re-reads the user: one that
//! is no longer active, or whose epoch was bumped (suspension, password change), is logged out
//! on that very request. That is how "end all sessions at once" works without scanning the
//! session table.

use crate::clock::Clock;
use crate::domain::rate_limit::{self, Limiter};
use crate::domain::{passwords, validate};
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::{self, Db};
use crate::vocab::{AuditAction, Source, TargetKind, UserStatus};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;

const SESSION_KEY: &str = "auth";

pub const BAD_CREDENTIALS: &str = "E-mail or password is incorrect.";
pub const SUSPENDED: &str = "Your account is suspended. Ask your administrator to reactivate it.";
/// A correct password of an IdP-managed user where the account enforces single sign-on.
pub const SSO_ONLY: &str = "Your organisation signs you in through its identity provider: use “Log in with single sign-on”.";

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionAuth {
    pub account_id: String,
    pub user_id: String,
    pub epoch: i64,
    /// When the person logged in (Unix seconds); the session ends at `since` + the absolute
    /// lifetime however active it is. Sessions from before this field existed read 0: ended.
    #[serde(default)]
    pub since: i64,
}

impl SessionAuth {
    /// A session for `user_id` starting now by `clock`.
    pub fn new(account_id: String, user_id: String, epoch: i64, clock: &Clock) -> Self {
        SessionAuth {
            account_id,
            user_id,
            epoch,
            since: clock.unix(),
        }
    }

    /// Whether the absolute lifetime `max` has passed at `now` (Unix seconds).
    pub fn outlived(&self, max: std::time::Duration, now: i64) -> bool {
        let max = i64::try_from(max.as_secs()).unwrap_or(i64::MAX);
        now.saturating_sub(self.since) >= max || self.since > now + 300
    }
}

/// Checks e-mail + password; on success rotates the session id and stores the user in it.
/// Unknown e-mail and wrong password give the same message and take the same time; a
/// suspended user is told so only after a correct password. Attempts are throttled (see
/// `rate_limit`): per e-mail and client address, per e-mail, and per address.
pub async fn login(
    db: &Db,
    limiter: &Limiter,
    session: &Session,
    email: &str,
    password: &str,
    client: Option<std::net::IpAddr>,
) -> AppResult<SessionAuth> {
    // Bounds first: nothing (throttling keys, lower-casing, hashing) works on an oversized input.
    if email.len() > validate::EMAIL_MAX {
        return Err(AppError::invalid(
            "email",
            format!(
                "An e-mail address has at most {} characters.",
                validate::EMAIL_MAX
            ),
        ));
    }
    if password.len() > passwords::MAX_BYTES {
        return Err(AppError::invalid(
            "password",
            format!(
                "A password has at most {} characters.",
                passwords::MAX_BYTES
            ),
        ));
    }
    let email_norm = email.trim().to_lowercase();
    if email_norm.is_empty() {
        return Err(AppError::invalid("email", "Enter your e-mail address."));
    }
    if password.is_empty() {
        return Err(AppError::invalid("password", "Enter your password."));
    }
    let ip = client
        .map(|c| c.to_string())
        .unwrap_or_else(|| "unknown".into());
    let (pair, by_email, by_ip) = (
        format!("login:{email_norm}|{ip}"),
        format!("login:{email_norm}"),
        format!("login-ip:{ip}"),
    );
    let too_many = |secs: u64| {
        AppError::TooManyRequests(format!(
            "Too many log-in attempts. Wait {} minute(s) and try again, or use “Forgot password?”.",
            secs.div_ceil(60)
        ))
    };
    // This address, or this address for this e-mail, failed too often: refused outright.
    let refused = match limiter.blocked(&pair, rate_limit::PER_EMAIL_AND_IP).await? {
        Some(secs) => Some(secs),
        None => limiter.blocked(&by_ip, rate_limit::PER_IP).await?,
    };
    if let Some(secs) = refused {
        return Err(too_many(secs));
    }
    // The e-mail failed too often from everywhere (someone is guessing): only the right
    // password gets in, so the owner is never locked out from an address that has not failed.
    let email_blocked = limiter.blocked(&by_email, rate_limit::PER_EMAIL).await?;
    limiter.hit(&[&by_ip]).await?;
    let result = check_password(db, session, &email_norm, password).await;
    match &result {
        Ok(_) => limiter.clear(&pair).await?,
        Err(AppError::Forbidden(_)) => {
            limiter.hit(&[&pair, &by_email]).await?;
            if let Some(secs) = email_blocked {
                return Err(too_many(secs));
            }
        }
        Err(_) => {}
    }
    result
}

async fn check_password(
    db: &Db,
    session: &Session,
    email_norm: &str,
    password: &str,
) -> AppResult<SessionAuth> {
    let candidates = store::users::login_candidates(db, email_norm).await?;
    let with_password: Vec<_> = candidates
        .into_iter()
        .filter(|c| c.password_hash.is_some())
        .collect();
    if with_password.is_empty() {
        passwords::verify(password.to_string(), None).await?;
        return Err(AppError::Forbidden(BAD_CREDENTIALS.into()));
    }
    let mut suspended = false;
    for candidate in with_password {
        if !passwords::verify(password.to_string(), candidate.password_hash.clone()).await? {
            continue;
        }
        if candidate.status != UserStatus::Active {
            suspended = true;
            continue;
        }
        if candidate.source == Source::Idp
            && crate::domain::sso::enforced(db, &candidate.account_id).await?
        {
            return Err(AppError::Forbidden(SSO_ONLY.into()));
        }
        let auth = SessionAuth::new(
            candidate.account_id,
            candidate.id,
            candidate.auth_epoch,
            db.clock(),
        );
        session.cycle_id().await?;
        session.insert(SESSION_KEY, &auth).await?;
        record_login(db, &auth).await?;
        return Ok(auth);
    }
    Err(AppError::Forbidden(
        if suspended {
            SUSPENDED
        } else {
            BAD_CREDENTIALS
        }
        .into(),
    ))
}

/// Notes the log-in on the user and in the audit log, together.
async fn record_login(db: &Db, auth: &SessionAuth) -> AppResult<()> {
    let auth = auth.clone();
    db.write(move |tx| {
        Box::pin(async move {
            store::users::record_login(&mut *tx, &auth.account_id, &auth.user_id, &ids::now())
                .await?;
            if let Some(user) =
                store::users::get_record(&mut *tx, &auth.account_id, &auth.user_id).await?
            {
                let label = user.email.unwrap_or(user.user_name);
                crate::domain::audit::record(
                    &mut *tx,
                    &auth.account_id,
                    &crate::domain::audit::Actor::user(&auth.user_id, &label),
                    crate::domain::audit::Event {
                        action: AuditAction::SessionLogin,
                        target_kind: TargetKind::User,
                        target_id: &auth.user_id,
                        target_label: &label,
                        detail: "logged in with e-mail and password".into(),
                    },
                )
                .await?;
            }
            Ok(())
        })
    })
    .await
}

/// Logs `user` in directly (after first-run set-up or sign-up).
pub async fn start_session(session: &Session, auth: &SessionAuth) -> AppResult<()> {
    session.cycle_id().await?;
    session.insert(SESSION_KEY, auth).await?;
    Ok(())
}

pub async fn logout(session: &Session) -> AppResult<()> {
    session.flush().await?;
    Ok(())
}

/// The user behind this session, if the session is still valid (the user active, the epoch
/// unchanged, younger than `max_age`); ends it otherwise.
pub async fn current_user(
    db: &Db,
    session: &Session,
    max_age: std::time::Duration,
) -> AppResult<Option<store::users::SessionUser>> {
    let Some(auth) = session.get::<SessionAuth>(SESSION_KEY).await? else {
        return Ok(None);
    };
    if auth.outlived(max_age, db.clock().unix()) {
        session.flush().await?;
        return Ok(None);
    }
    let user = store::users::session_user(db, &auth.account_id, &auth.user_id).await?;
    match user {
        Some(u) if u.status == UserStatus::Active && u.auth_epoch == auth.epoch => Ok(Some(u)),
        _ => {
            session.flush().await?;
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_at_its_absolute_lifetime_however_active() {
        let week = std::time::Duration::from_secs(7 * 86_400);
        let mut auth = SessionAuth::new("a".into(), "u".into(), 0, &Clock::system());
        let now = auth.since;
        assert!(!auth.outlived(week, now));
        assert!(!auth.outlived(week, now + 7 * 86_400 - 1));
        assert!(auth.outlived(week, now + 7 * 86_400));
        // A session stored before the field existed (since = 0) is over; one from the future
        // (a clock set back by more than five minutes) too.
        auth.since = 0;
        assert!(auth.outlived(week, now));
        auth.since = now + 3600;
        assert!(auth.outlived(week, now));
    }
}
