//! Invites: a provisioned or invited user is not registered automatically; they get a single-use
//! SIGN UP link by mail, choose a password, and become Active.
//!
//! Tokens are 43 random base62 characters (~256 bits); only their SHA-256 is stored. An invite
//! expires (default 7 days), is used once, and is voided when a new one is sent, when the user is
//! suspended, or when their e-mail changes. Deleting the user deletes it.

use crate::domain::{audit, passwords};
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::mail::{templates, Mailer, Outbox};
use crate::store::{self, invites::NewToken, Conn, Db};
use crate::vocab::{ActorKind, AuditAction, Source, TargetKind, UserStatus};

pub const TOKEN_LEN: usize = 43;

/// Who sent the invite, as the mail says it.
pub fn inviter_label(actor: &audit::Actor) -> String {
    match actor.kind {
        ActorKind::ApiKey => "your identity provider".to_string(),
        ActorKind::User => actor.label.clone(),
        ActorKind::System => "Rollcall".to_string(),
    }
}

fn expires_text(at: &str) -> String {
    // "2026-12-06T10:00:00.000Z" → "2026-12-06 10:00"
    at.get(..16)
        .map(|s| s.replace('T', " "))
        .unwrap_or_else(|| at.to_string())
}

/// Who an invite goes to, and from whom.
pub struct Invitation<'a> {
    pub account_id: &'a str,
    pub user_id: &'a str,
    pub email: &'a str,
    pub invited_by: &'a str,
}

/// Voids the user's open invites and issues a new one to `email`, inside `tx`.
pub async fn issue_in(tx: &mut Conn, mailer: &Outbox, to: Invitation<'_>) -> AppResult<()> {
    store::invites::void_invites(&mut *tx, to.user_id, &ids::now()).await?;
    let account = store::accounts::get(&mut *tx, to.account_id)
        .await?
        .map(|a| a.name)
        .unwrap_or_default();
    first_in(tx, mailer, &account, to).await
}

/// Issues an invite without voiding older ones: for a user created in this same transaction
/// (there is nothing to void), with the account's name read before the write was queued (every
/// statement on the writer holds back every other write).
pub async fn first_in(
    tx: &mut Conn,
    mailer: &Outbox,
    account_name: &str,
    to: Invitation<'_>,
) -> AppResult<()> {
    if let Some(idp) =
        crate::domain::sso::enforced_idp_for(&mut *tx, to.account_id, to.user_id).await?
    {
        // Enforced SSO: an IdP-managed person logs in through the IdP; no password, no token.
        let link = crate::domain::sso::sp_values(&mailer.public_base, to.account_id).login_url;
        let mail = templates::sso_invite(account_name, to.invited_by, &idp, &link);
        mailer
            .enqueue(tx, to.account_id, "invite", to.email, &mail)
            .await?;
        return Ok(());
    }
    let now_t = mailer.clock.now();
    let now = ids::format_time(now_t);
    let token = ids::random_base62(TOKEN_LEN);
    let expires_at = ids::format_time(now_t + time::Duration::days(i64::from(mailer.invite_days)));
    store::invites::insert_invite(
        &mut *tx,
        NewToken {
            id: &ids::new_uuid(),
            account_id: to.account_id,
            user_id: to.user_id,
            token_sha256: &ids::sha256_hex(&token),
            invited_by: to.invited_by,
            now: &now,
            expires_at: &expires_at,
        },
    )
    .await?;
    let link = format!("{}/signup/{token}", mailer.public_base);
    let mail = templates::invite(
        account_name,
        to.invited_by,
        &link,
        &expires_text(&expires_at),
    );
    mailer
        .enqueue(tx, to.account_id, "invite", to.email, &mail)
        .await?;
    Ok(())
}

/// Voids a user's open invites (suspension); returns whether any was open.
pub async fn void_in(tx: &mut Conn, user_id: &str) -> AppResult<bool> {
    Ok(store::invites::void_invites(&mut *tx, user_id, &ids::now()).await? > 0)
}

/// Why a sign-up link cannot be used.
pub fn unusable(row: &store::invites::InviteRow, now: &str) -> Option<&'static str> {
    if row.used_at.is_some() || row.has_password {
        Some("This invite has already been used. Log in with your e-mail and password, or use “Forgot password?”.")
    } else if row.voided_at.is_some() || row.status == UserStatus::Suspended {
        Some("This invite is no longer valid (a newer one was sent, or your account was suspended). Ask your administrator to resend the invite.")
    } else if row.expires_at.as_str() <= now {
        Some("This invite has expired. Ask your administrator to resend the invite.")
    } else if row.email.is_none() {
        Some("Your account has no e-mail address yet. Ask your administrator.")
    } else {
        None
    }
}

/// The invite behind a link, if the link is usable.
pub async fn lookup(db: &Db, token: &str) -> AppResult<store::invites::InviteRow> {
    let unknown = || {
        AppError::NotFound("This sign-up link is not valid. Check that you copied the whole link, or ask your administrator to resend the invite.".into())
    };
    if token.len() != TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(unknown());
    }
    let row = store::invites::invite_by_token(db, &ids::sha256_hex(token))
        .await?
        .ok_or_else(unknown)?;
    if let Some(why) = unusable(&row, &db.clock().now_text()) {
        return Err(AppError::Conflict(why.into()));
    }
    Ok(row)
}

pub struct Signup {
    pub password: String,
    pub password_confirm: String,
    pub first_name: String,
    pub last_name: String,
}

/// Completes sign-up: sets the password (the user becomes Active), uses the invite, and returns
/// the session to start.
pub async fn complete(
    db: &Db,
    token: &str,
    input: Signup,
) -> AppResult<crate::domain::auth::SessionAuth> {
    let row = lookup(db, token).await?;
    let email = row.email.clone().unwrap_or_default();
    let mut problems = crate::domain::validate::Problems::default();
    problems.check(
        "password",
        passwords::check_strength(&input.password, &email),
    );
    if input.password != input.password_confirm {
        problems.add("password_confirm", "The two passwords do not match.");
    }
    let editable = row.source == Source::Manual;
    if editable {
        problems.check(
            "first_name",
            crate::domain::validate::optional_name(
                &input.first_name,
                "a first name",
                crate::domain::user_rules::NAME_MAX,
            ),
        );
        problems.check(
            "last_name",
            crate::domain::validate::optional_name(
                &input.last_name,
                "a last name",
                crate::domain::user_rules::NAME_MAX,
            ),
        );
    }
    problems.finish()?;
    let hash = passwords::hash(input.password).await?;
    let (row, user) = db
        .write(move |tx| {
            Box::pin(async move {
                let now = ids::now();
                if !store::invites::mark_invite_used(&mut *tx, &row.id, &now).await? {
                    return Err(AppError::Conflict(
            "This invite has just been used or replaced. Ask your administrator to resend it."
                .into(),
        ));
                }
                store::invites::set_password(&mut *tx, &row.user_id, &hash, &now).await?;
                store::users::record_login(&mut *tx, &row.account_id, &row.user_id, &now).await?;
                if editable {
                    store::invites::set_names(
                        &mut *tx,
                        &row.user_id,
                        input.first_name.trim(),
                        input.last_name.trim(),
                    )
                    .await?;
                }
                let user = store::users::session_user(&mut *tx, &row.account_id, &row.user_id)
                    .await?
                    .ok_or_else(|| AppError::NotFound("the user is gone".into()))?;
                audit::record(
                    &mut *tx,
                    &row.account_id,
                    &audit::Actor::user(&row.user_id, &email),
                    audit::Event {
                        action: AuditAction::UserSignedUp,
                        target_kind: TargetKind::User,
                        target_id: &row.user_id,
                        target_label: &email,
                        detail: "signed up from the invite".into(),
                    },
                )
                .await?;
                Ok((row, user))
            })
        })
        .await?;
    Ok(crate::domain::auth::SessionAuth::new(
        row.account_id,
        row.user_id,
        user.auth_epoch,
        db.clock(),
    ))
}

/// Admin action: a new invite for a user who has not signed up; the old link stops working.
pub async fn resend(
    db: &Db,
    mailer: &Mailer,
    account_id: &str,
    actor: &audit::Actor,
    user_id: &str,
) -> AppResult<()> {
    let (account_id, user_id) = (account_id.to_owned(), user_id.to_owned());
    let actor = actor.clone();
    let outbox = mailer.outbox();
    db.write(move |tx| {
        Box::pin(async move {
            let user = store::users::get_record(&mut *tx, &account_id, &user_id)
                .await?
                .ok_or_else(|| {
                    AppError::NotFound("There is no such user in this account.".into())
                })?;
            resend_in(tx, &outbox, &account_id, &actor, &user).await
        })
    })
    .await?;
    mailer.wake();
    Ok(())
}

/// [`resend`] inside the caller's transaction (the caller wakes the mailer after commit).
pub async fn resend_in(
    tx: &mut Conn,
    mailer: &Outbox,
    account_id: &str,
    actor: &audit::Actor,
    user: &store::users::UserRecord,
) -> AppResult<()> {
    match user.status {
        UserStatus::Suspended => {
            return Err(AppError::Conflict(
                "This user is suspended; reactivate them before inviting.".into(),
            ))
        }
        UserStatus::Active => {
            return Err(AppError::Conflict(
                "This user has already signed up.".into(),
            ))
        }
        UserStatus::Invited => {}
    }
    let email = user
        .email
        .clone()
        .ok_or_else(|| AppError::Conflict("This user has no e-mail address to invite.".into()))?;
    issue_in(
        &mut *tx,
        mailer,
        Invitation {
            account_id,
            user_id: &user.id,
            email: &email,
            invited_by: &inviter_label(actor),
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        account_id,
        actor,
        audit::Event {
            action: AuditAction::UserInviteResent,
            target_kind: TargetKind::User,
            target_id: &user.id,
            target_label: &email,
            detail: "a new invite was sent; the old link no longer works".into(),
        },
    )
    .await
}

/// The person an administrator invites.
pub struct Invitee<'a> {
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    /// Manual groups to add them to.
    pub groups: &'a [String],
}

/// Admin action: invites a new person by e-mail (a manual user, Invited until they sign up).
pub async fn invite_new(
    db: &Db,
    mailer: &Mailer,
    account_id: &str,
    actor: &audit::Actor,
    who: Invitee<'_>,
) -> AppResult<String> {
    let Invitee {
        email,
        first_name: first,
        last_name: last,
        groups,
    } = who;
    let mut problems = crate::domain::validate::Problems::default();
    problems.check("email", crate::domain::validate::email(email));
    problems.check(
        "first_name",
        crate::domain::validate::optional_name(
            first,
            "a first name",
            crate::domain::user_rules::NAME_MAX,
        ),
    );
    problems.check(
        "last_name",
        crate::domain::validate::optional_name(
            last,
            "a last name",
            crate::domain::user_rules::NAME_MAX,
        ),
    );
    problems.finish()?;
    let email = email.trim();
    let id = ids::new_uuid();
    let now = ids::now();
    let (email, first, last, account_id) = (
        email.to_owned(),
        first.to_owned(),
        last.to_owned(),
        account_id.to_owned(),
    );
    let actor = actor.clone();
    let outbox = mailer.outbox();
    let groups = groups.to_vec();
    let id = db
        .write(move |tx| {
            Box::pin(async move {
                let (email, first, last, account_id,) = (email.as_str(), first.as_str(), last.as_str(), account_id.as_str(),);
                let actor = &actor;
                let mailer = &outbox;
                let groups = groups.as_slice();
    let inserted = store::users::insert(
        &mut *tx,
        store::users::NewUser {
            id: &id,
            account_id,
            user_name: email,
            email: Some(email),
            first_name: first.trim(),
            last_name: last.trim(),
            password_hash: None,
            status: UserStatus::Invited,
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
            return Err(AppError::invalid(
                "email",
                format!("{email} is already a user of this account."),
            ))
        }
        other => {
            other?;
        }
    }
    let found = store::directory::groups_in_account(&mut *tx, account_id, groups, true).await?;
    if found.len() != groups.len() {
        return Err(AppError::invalid(
            "groups",
            "Only this account's manual groups can be chosen; reload the page to see the current ones.",
        ));
    }
    for group_id in &found {
        store::groups::add_member(&mut *tx, group_id, &id, &now).await?;
        store::groups::touch(&mut *tx, group_id, &now).await?;
    }
    let to = Invitation {
        account_id,
        user_id: &id,
        email,
        invited_by: &inviter_label(actor),
    };
    issue_in(&mut *tx, mailer, to).await?;
    audit::record(
        &mut *tx,
        account_id,
        actor,
        audit::Event {
            action: AuditAction::UserInvited,
            target_kind: TargetKind::User,
            target_id: &id,
            target_label: email,
            detail: "invited by an administrator".into(),
        },
    )
    .await?;
                Ok(id)
            })
        })
        .await?;
    mailer.wake();
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixture::{World, PASSWORD};

    fn signup() -> Signup {
        Signup {
            password: PASSWORD.into(),
            password_confirm: PASSWORD.into(),
            first_name: "Cy".into(),
            last_name: "Invited".into(),
        }
    }

    #[tokio::test]
    async fn signing_up_uses_the_link_once_and_makes_the_user_active() {
        let w = World::new().await;
        let cy = w.invited("cy@example.com").await;
        let token = w.token_in_mail("cy@example.com", "/signup/").await;
        let auth = complete(&w.db, &token, signup()).await.unwrap();
        assert_eq!(auth.user_id, cy);
        let user = store::users::get_record(&w.db, &w.account, &cy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.status, UserStatus::Active);
        assert_eq!(user.first_name, "Cy");
        let again = complete(&w.db, &token, signup()).await;
        assert!(
            matches!(again, Err(AppError::Conflict(ref m)) if m.contains("already been used")),
            "{again:?}"
        );
    }

    #[tokio::test]
    async fn a_bad_password_changes_nothing_and_keeps_the_link() {
        let w = World::new().await;
        let cy = w.invited("cy@example.com").await;
        let token = w.token_in_mail("cy@example.com", "/signup/").await;
        let weak = Signup {
            password: "short".into(),
            password_confirm: "other".into(),
            ..signup()
        };
        match complete(&w.db, &token, weak).await {
            Err(AppError::Invalid(fields)) => {
                let names: Vec<&str> = fields.iter().map(|(f, _)| f.as_str()).collect();
                assert_eq!(names, ["password", "password_confirm"]);
            }
            other => panic!("expected field errors, got {other:?}"),
        }
        let user = store::users::get_record(&w.db, &w.account, &cy)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(user.status, UserStatus::Invited);
        assert!(lookup(&w.db, &token).await.is_ok(), "the link still works");
    }

    #[tokio::test]
    async fn links_are_checked_before_the_database_is_asked() {
        let w = World::new().await;
        for token in [
            "",
            "short",
            &"x".repeat(TOKEN_LEN + 1),
            &"!".repeat(TOKEN_LEN),
        ] {
            let r = lookup(&w.db, token).await;
            assert!(matches!(r, Err(AppError::NotFound(_))), "{token}: {r:?}");
        }
    }
}
