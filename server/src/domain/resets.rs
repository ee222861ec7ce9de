//! "Forgot password?": a single-use link valid one hour. The answer is the same whether or not
//! the e-mail belongs to someone. Using the link sets the password and ends every session.

use crate::domain::rate_limit::Limiter;
use crate::domain::{audit, auth::SessionAuth, passwords};
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::mail::{templates, Mailer};
use crate::store::{self, invites::NewToken, Db};
use crate::vocab::{AuditAction, TargetKind, UserStatus};

const TOKEN_LEN: usize = 43;
const VALID_MINUTES: i64 = 60;

/// Reset requests per client address, and per e-mail address, in a throttling window.
pub const PER_IP: u32 = 20;
pub const PER_EMAIL: u32 = 5;

/// Sends a reset link to every active user with this e-mail (one per account); a new link
/// voids the older ones. Throttled per client address and per e-mail (so nobody can fill a
/// person's mailbox), after the address is checked.
pub async fn request(
    db: &Db,
    mailer: &Mailer,
    limiter: &Limiter,
    email: &str,
    client: Option<std::net::IpAddr>,
) -> AppResult<()> {
    if crate::domain::validate::email(email).is_err() {
        return Err(AppError::invalid(
            "email",
            "Enter the e-mail address you log in with.",
        ));
    }
    let email_norm = email.trim().to_lowercase();
    let ip = client.map(|c| c.to_string()).unwrap_or_default();
    let (by_ip, by_email) = (format!("reset:{ip}"), format!("reset-email:{email_norm}"));
    let refused = match limiter.blocked(&by_ip, PER_IP).await? {
        Some(secs) => Some(secs),
        None => limiter.blocked(&by_email, PER_EMAIL).await?,
    };
    if let Some(secs) = refused {
        return Err(AppError::TooManyRequests(format!(
            "Too many requests. Wait {} minute(s) and try again.",
            secs.div_ceil(60)
        )));
    }
    limiter.hit(&[&by_ip, &by_email]).await?;
    let candidates = store::users::login_candidates(db, &email_norm).await?;
    let eligible: Vec<_> = candidates
        .into_iter()
        .filter(|c| c.status == UserStatus::Active && c.password_hash.is_some())
        .collect();
    if eligible.is_empty() {
        tracing::info!("password reset asked for an e-mail without an active account");
        return Ok(());
    }
    let outbox = mailer.outbox();
    let to = email.trim().to_owned();
    db.write(move |tx| {
        Box::pin(async move {
            for user in eligible {
                let now_t = outbox.clock.now();
                let token = ids::random_base62(TOKEN_LEN);
                let expires_at = ids::format_time(now_t + time::Duration::minutes(VALID_MINUTES));
                store::invites::void_resets(&mut *tx, &user.id, &ids::format_time(now_t)).await?;
                store::invites::insert_reset(
                    &mut *tx,
                    NewToken {
                        id: &ids::new_uuid(),
                        account_id: &user.account_id,
                        user_id: &user.id,
                        token_sha256: &ids::sha256_hex(&token),
                        invited_by: "",
                        now: &ids::format_time(now_t),
                        expires_at: &expires_at,
                    },
                )
                .await?;
                let account = store::accounts::get(&mut *tx, &user.account_id)
                    .await?
                    .map(|a| a.name)
                    .unwrap_or_default();
                let link = format!("{}/reset/{token}", outbox.public_base);
                let mail = templates::password_reset(
                    &account,
                    &link,
                    &expires_at
                        .get(..16)
                        .unwrap_or(&expires_at)
                        .replace('T', " "),
                );
                outbox
                    .enqueue(tx, &user.account_id, crate::mail::RESET_KIND, &to, &mail)
                    .await?;
            }
            Ok(())
        })
    })
    .await?;
    mailer.wake();
    Ok(())
}

fn unusable() -> AppError {
    AppError::Conflict("This password reset link has expired or has already been used. Ask for a new one from the log-in page.".into())
}

/// Is this reset link usable? (For the page, before the form is filled.)
pub async fn check(db: &Db, token: &str) -> AppResult<store::invites::ResetRow> {
    if token.len() != TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(unusable());
    }
    let row = store::invites::reset_by_token(db, &ids::sha256_hex(token))
        .await?
        .ok_or_else(unusable)?;
    let now = db.clock().now_text();
    if row.used_at.is_some() || row.expires_at <= now || row.status != UserStatus::Active {
        return Err(unusable());
    }
    Ok(row)
}

/// Sets the new password (ending every other session) and returns the session to start.
pub async fn complete(
    db: &Db,
    token: &str,
    password: &str,
    confirm: &str,
) -> AppResult<SessionAuth> {
    let row = check(db, token).await?;
    let email = row.email.clone().unwrap_or_default();
    let mut problems = crate::domain::validate::Problems::default();
    problems.check("password", passwords::check_strength(password, &email));
    if password != confirm {
        problems.add("password_confirm", "The two passwords do not match.");
    }
    problems.finish()?;
    let hash = passwords::hash(password.to_string()).await?;
    let user_id = row.user_id.clone();
    let account_id = row.account_id.clone();
    let epoch = db
        .write(move |tx| {
            Box::pin(async move {
                let now = ids::now();
                if !store::invites::mark_reset_used(&mut *tx, &row.id, &now).await? {
                    return Err(unusable());
                }
                store::invites::set_password(&mut *tx, &row.user_id, &hash, &now).await?;
                store::users::record_login(&mut *tx, &row.account_id, &row.user_id, &now).await?;
                let user = store::users::session_user(&mut *tx, &row.account_id, &row.user_id)
                    .await?
                    .ok_or_else(unusable)?;
                audit::record(
                    &mut *tx,
                    &row.account_id,
                    &audit::Actor::user(&row.user_id, &email),
                    audit::Event {
                        action: AuditAction::UserPasswordReset,
                        target_kind: TargetKind::User,
                        target_id: &row.user_id,
                        target_label: &email,
                        detail: "password changed from a reset link; other sessions ended".into(),
                    },
                )
                .await?;
                Ok(user.auth_epoch)
            })
        })
        .await?;
    Ok(SessionAuth::new(account_id, user_id, epoch, db.clock()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixture::{World, PASSWORD};

    async fn ask(w: &World, limiter: &Limiter) -> String {
        request(&w.db, &w.mailer, limiter, "ada@example.com", None)
            .await
            .unwrap();
        w.token_in_mail("ada@example.com", "/reset/").await
    }

    #[tokio::test]
    async fn a_reset_link_is_single_use_and_a_newer_one_voids_it() {
        let w = World::new().await;
        let limiter = Limiter::new(w.db.clone());
        let first = ask(&w, &limiter).await;
        let second = ask(&w, &limiter).await;
        assert_ne!(first, second);
        assert!(
            check(&w.db, &first).await.is_err(),
            "the newer link voids the older"
        );
        let new_password = "a-brand-new-long-password-9";
        complete(&w.db, &second, new_password, new_password)
            .await
            .unwrap();
        assert!(check(&w.db, &second).await.is_err(), "used once");
        let again = complete(&w.db, &second, PASSWORD, PASSWORD).await;
        assert!(again.is_err());
    }

    #[tokio::test]
    async fn a_reset_link_expires_by_the_clock() {
        let w = World::new().await;
        let limiter = Limiter::new(w.db.clone());
        let token = ask(&w, &limiter).await;
        let minute = std::time::Duration::from_secs(60);
        let valid = minute * u32::try_from(VALID_MINUTES).unwrap();
        w.db.clock().advance(valid - minute);
        assert!(check(&w.db, &token).await.is_ok());
        w.db.clock().advance(2 * minute);
        assert!(check(&w.db, &token).await.is_err());
    }

    #[tokio::test]
    async fn asking_is_limited_per_e_mail_without_telling_who_exists() {
        let w = World::new().await;
        let limiter = Limiter::new(w.db.clone());
        let mut refused = None;
        for i in 0..20 {
            if let Err(e) = request(&w.db, &w.mailer, &limiter, "nobody@example.com", None).await {
                refused = Some((i, e));
                break;
            }
        }
        let (n, e) = refused.expect("the per-e-mail limit applies to unknown addresses too");
        assert!(matches!(e, AppError::TooManyRequests(_)), "{e:?}");
        assert!(n >= 1, "the first request is answered");
        let mail = store::outbox::recent(&w.db, &w.account, 100).await.unwrap();
        assert!(mail.is_empty(), "nothing is sent for an address nobody has");
    }
}
