//! The server's implementation of the UI's `Backend` port: each method is a call into the
//! domain plus the mapping of its error to the browser's `ApiError`.

use crate::domain::rate_limit::Limiter;
use crate::domain::{audit::Actor, auth, invites, resets, setup::SetupGate};
use crate::mail::Mailer;
use crate::store::{self, Db};
use rollcall_app::api::{
    ApiError, CurrentUser, InviteInput, Outbox, OutboxItem, ScimRequestBrief, ScimSetup,
    SettingsView, SetupInput, SignupInput, SignupView, UserSummary, Viewer,
};
use rollcall_app::backend::{Backend, RequestCtx};
use std::sync::Arc;

pub struct ServerBackend {
    pub db: Db,
    pub setup: Arc<SetupGate>,
    pub mailer: Arc<Mailer>,
    pub limiter: Arc<Limiter>,
    pub settings: Arc<crate::config::Settings>,
}

impl ServerBackend {
    /// The logged-in administrator, or Unauthenticated / Forbidden.
    async fn admin(&self, ctx: &RequestCtx) -> Result<store::users::SessionUser, ApiError> {
        let user = auth::current_user(&self.db, &ctx.session)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if !user.is_admin {
            return Err(ApiError::Forbidden);
        }
        Ok(user)
    }
}

#[async_trait::async_trait]
impl Backend for ServerBackend {
    async fn whoami(&self, ctx: &RequestCtx) -> Result<Viewer, ApiError> {
        if self.setup.pending(&self.db).await? {
            return Ok(Viewer::SetupRequired);
        }
        Ok(match auth::current_user(&self.db, &ctx.session).await? {
            None => Viewer::Anonymous,
            Some(u) => Viewer::LoggedIn(CurrentUser {
                id: u.id,
                email: u.email,
                first_name: u.first_name,
                last_name: u.last_name,
                account_id: u.account_id,
                account_name: u.account_name,
                is_admin: u.is_admin,
            }),
        })
    }

    async fn login(
        &self,
        ctx: &RequestCtx,
        email: String,
        password: String,
    ) -> Result<(), ApiError> {
        let result = auth::login(
            &self.db,
            &self.limiter,
            &ctx.session,
            &email,
            &password,
            ctx.client_ip,
        )
        .await;
        match &result {
            Ok(a) => {
                tracing::info!(user_id = %a.user_id, account_id = %a.account_id, ip = ?ctx.client_ip, "log-in")
            }
            Err(e) => tracing::info!(ip = ?ctx.client_ip, reason = %e, "log-in refused"),
        }
        result.map(|_| ()).map_err(|e| match e {
            // The message is the same for every refusal reason; present it on the form.
            crate::AppError::Forbidden(m) => ApiError::Rejected(m),
            other => other.into(),
        })
    }

    async fn logout(&self, ctx: &RequestCtx) -> Result<(), ApiError> {
        Ok(auth::logout(&ctx.session).await?)
    }

    async fn complete_setup(&self, ctx: &RequestCtx, input: SetupInput) -> Result<(), ApiError> {
        Ok(self.setup.complete(&self.db, &ctx.session, input).await?)
    }

    async fn signup_view(&self, token: String) -> Result<SignupView, ApiError> {
        let row = invites::lookup(&self.db, &token).await?;
        Ok(SignupView {
            email: row.email.unwrap_or_default(),
            first_name: row.first_name,
            last_name: row.last_name,
            names_editable: row.source == "manual",
            account_name: row.account_name,
        })
    }

    async fn complete_signup(&self, ctx: &RequestCtx, input: SignupInput) -> Result<(), ApiError> {
        let signup = invites::Signup {
            password: input.password,
            password_confirm: input.password_confirm,
            first_name: input.first_name,
            last_name: input.last_name,
        };
        let auth = invites::complete(&self.db, &input.token, signup).await?;
        tracing::info!(user_id = %auth.user_id, "signed up");
        Ok(auth::start_session(&ctx.session, &auth).await?)
    }

    async fn request_reset(&self, ctx: &RequestCtx, email: String) -> Result<String, ApiError> {
        let ip = ctx.client_ip.map(|c| c.to_string()).unwrap_or_default();
        let key = format!("reset:{ip}");
        if let Some(secs) = self.limiter.blocked(&key, 20) {
            return Err(ApiError::TooManyRequests(format!(
                "Too many requests. Wait {} minute(s) and try again.",
                secs.div_ceil(60)
            )));
        }
        self.limiter.hit(&key);
        resets::request(&self.db, &self.mailer, &email).await?;
        Ok("If an account uses this e-mail, we have sent it a link to choose a new password. It is valid for one hour.".into())
    }

    async fn reset_view(&self, token: String) -> Result<String, ApiError> {
        Ok(resets::check(&self.db, &token)
            .await?
            .email
            .unwrap_or_default())
    }

    async fn complete_reset(
        &self,
        ctx: &RequestCtx,
        token: String,
        password: String,
        confirm: String,
    ) -> Result<(), ApiError> {
        let auth = resets::complete(&self.db, &token, &password, &confirm).await?;
        Ok(auth::start_session(&ctx.session, &auth).await?)
    }

    async fn invite_user(&self, ctx: &RequestCtx, input: InviteInput) -> Result<String, ApiError> {
        let admin = self.admin(ctx).await?;
        let actor = Actor::user(&admin.id, &admin.email);
        Ok(invites::invite_new(
            &self.db,
            &self.mailer,
            &admin.account_id,
            &actor,
            &input.email,
            &input.first_name,
            &input.last_name,
        )
        .await?)
    }

    async fn resend_invite(&self, ctx: &RequestCtx, user_id: String) -> Result<(), ApiError> {
        let admin = self.admin(ctx).await?;
        let actor = Actor::user(&admin.id, &admin.email);
        Ok(invites::resend(&self.db, &self.mailer, &admin.account_id, &actor, &user_id).await?)
    }

    async fn outbox(&self, ctx: &RequestCtx) -> Result<Outbox, ApiError> {
        let admin = self.admin(ctx).await?;
        let rows = store::outbox::recent(&self.db, &admin.account_id, 100).await?;
        Ok(Outbox {
            mode: self.mailer.mode().to_string(),
            items: rows
                .into_iter()
                .map(|m| OutboxItem {
                    id: m.id,
                    kind: m.kind,
                    to: m.to_addr,
                    subject: m.subject,
                    text: m.text_body,
                    created_at: m.created_at,
                    status: m.status,
                    attempts: m.attempts,
                    last_error: m.last_error,
                    sent_at: m.sent_at,
                })
                .collect(),
        })
    }

    async fn list_users(
        &self,
        ctx: &RequestCtx,
        search: String,
    ) -> Result<Vec<UserSummary>, ApiError> {
        let admin = self.admin(ctx).await?;
        let rows = store::users::summaries(&self.db, &admin.account_id, search.trim(), 100).await?;
        Ok(rows
            .into_iter()
            .map(|u| {
                let name = format!("{} {}", u.first_name, u.last_name)
                    .trim()
                    .to_string();
                UserSummary {
                    id: u.id,
                    name,
                    email: u.email.unwrap_or(u.user_name),
                    status: u.status,
                    source: u.source,
                    last_login_at: u.last_login_at,
                }
            })
            .collect())
    }

    async fn scim_setup(&self, ctx: &RequestCtx) -> Result<ScimSetup, ApiError> {
        let admin = self.admin(ctx).await?;
        let brief = |r: Option<store::scim_activity::ActivityRow>| {
            r.map(|r| ScimRequestBrief {
                at: r.at,
                method: r.method,
                path: r.path,
                status: r.status,
                detail: r.detail,
            })
        };
        let db = &self.db;
        let account = admin.account_id.as_str();
        Ok(ScimSetup {
            base_url: format!("{}/scim/account/{account}", self.settings.public_base()),
            account_id: admin.account_id.clone(),
            last_request: brief(store::scim_activity::latest(db, account, None).await?),
            last_success: brief(store::scim_activity::latest(db, account, Some(true)).await?),
            last_failure: brief(store::scim_activity::latest(db, account, Some(false)).await?),
        })
    }

    async fn settings(&self, ctx: &RequestCtx) -> Result<SettingsView, ApiError> {
        let admin = self.admin(ctx).await?;
        Ok(SettingsView {
            account_name: admin.account_name,
            account_id: admin.account_id,
            public_url: self.settings.public_base(),
            mail_mode: self.mailer.mode().to_string(),
            session_hours: self.settings.session_hours,
            invite_days: self.settings.invite_days,
        })
    }
}
