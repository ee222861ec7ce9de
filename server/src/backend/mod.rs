//! The server's implementation of the UI's `Backend` port: each method is a call into the
//! domain plus the mapping of its error to the browser's `ApiError`.

use crate::domain::rate_limit::Limiter;
use crate::domain::{
    api_keys, audit::Actor, auth, directory, invites, resets, setup::SetupGate, sso,
};
use crate::mail::{self, Mailer};
use crate::store::{self, Db};
use crate::vocab::{GroupCommand, Source, UserCommand};
use rollcall_app::api::{
    ActivityPage, ActivityQuery, ApiError, ApiKeyRow, AuditPage, AuditQuery, CreatedKey,
    CurrentUser, GroupDetail, GroupSummary, InviteInput, NewKeyInput, Outbox, OutboxItem,
    ScimRequestBrief, ScimSetup, SettingsView, SetupInput, SignupInput, SignupView, SsoInput,
    SsoSetup, UserDetail, UserPage, UserQuery, Viewer,
};
use rollcall_app::backend::{Backend, RequestCtx};
use std::sync::Arc;

pub struct ServerBackend {
    pub db: Db,
    pub setup: Arc<SetupGate>,
    pub mailer: Arc<Mailer>,
    pub limiter: Limiter,
    pub settings: Arc<crate::config::Settings>,
    /// Bearer keys cached for SCIM: a revoked key is dropped from it at once.
    pub keys: Arc<crate::scim::auth::KeyCache>,
}

mod views;

use crate::domain::validate::one_of;

/// Rows per page of the two logs.
const LOG_PAGE: i64 = 50;

fn before_id(raw: &str) -> Result<Option<i64>, ApiError> {
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse().map(Some).map_err(|_| {
        ApiError::Rejected("The page link is damaged; go back to the newest entries.".into())
    })
}

/// Cuts a page fetched with one extra row; returns the id to continue from.
fn older<T>(items: &mut Vec<T>, id: impl Fn(&T) -> i64) -> Option<i64> {
    if items.len() as i64 > LOG_PAGE {
        items.truncate(LOG_PAGE as usize);
        items.last().map(id)
    } else {
        None
    }
}

impl ServerBackend {
    /// The logged-in administrator, or Unauthenticated / Forbidden.
    async fn admin_actor(
        &self,
        ctx: &RequestCtx,
    ) -> Result<(store::users::SessionUser, Actor), ApiError> {
        let admin = self.admin(ctx).await?;
        let actor = Actor::user(&admin.id, &admin.email);
        Ok((admin, actor))
    }

    async fn admin(&self, ctx: &RequestCtx) -> Result<store::users::SessionUser, ApiError> {
        let user = auth::current_user(&self.db, &ctx.session, self.settings.session_max_age())
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
        Ok(
            match auth::current_user(&self.db, &ctx.session, self.settings.session_max_age())
                .await?
            {
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
            },
        )
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
        crate::telemetry::login(&result);
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
            names_editable: row.source == Source::Manual,
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
        resets::request(&self.db, &self.mailer, &self.limiter, &email, ctx.client_ip).await?;
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
            invites::Invitee {
                email: &input.email,
                first_name: &input.first_name,
                last_name: &input.last_name,
                groups: &input.groups,
            },
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
                    // A reset link would let any administrator take over the person's login.
                    text: if m.kind == mail::RESET_KIND {
                        mail::RESET_HIDDEN.to_string()
                    } else {
                        m.text_body
                    },
                    kind: m.kind,
                    to: m.to_addr,
                    subject: m.subject,
                    created_at: m.created_at,
                    status: m.status,
                    attempts: m.attempts,
                    last_error: m.last_error,
                    sent_at: m.sent_at,
                })
                .collect(),
        })
    }

    async fn users_page(&self, ctx: &RequestCtx, q: UserQuery) -> Result<UserPage, ApiError> {
        let admin = self.admin(ctx).await?;
        let mut page =
            directory::users_page(&self.db, &admin.account_id, &q, directory::PAGE_SIZE).await?;
        Ok(UserPage {
            rows: views::user_rows(&mut page),
            total: page.total,
            total_capped: page.capped,
            next: page.next,
            prev: page.prev,
        })
    }

    async fn user_detail(&self, ctx: &RequestCtx, id: String) -> Result<UserDetail, ApiError> {
        let admin = self.admin(ctx).await?;
        let detail = directory::user_detail(&self.db, &admin.account_id, &id).await?;
        Ok(views::user_detail(detail, &admin.id))
    }

    async fn user_action(
        &self,
        ctx: &RequestCtx,
        id: String,
        action: UserCommand,
    ) -> Result<(), ApiError> {
        let (admin, actor) = self.admin_actor(ctx).await?;
        let (db, mailer) = (&self.db, &self.mailer);
        Ok(directory::user_action(
            db,
            mailer,
            &admin.account_id,
            &actor,
            &admin.id,
            &id,
            action,
        )
        .await?)
    }

    async fn edit_user(
        &self,
        ctx: &RequestCtx,
        id: String,
        first_name: String,
        last_name: String,
    ) -> Result<(), ApiError> {
        let (admin, actor) = self.admin_actor(ctx).await?;
        let account = &admin.account_id;
        Ok(directory::edit_user(&self.db, account, &actor, &id, &first_name, &last_name).await?)
    }

    async fn groups(&self, ctx: &RequestCtx) -> Result<Vec<GroupSummary>, ApiError> {
        let admin = self.admin(ctx).await?;
        let rows = store::directory::group_summaries(&self.db, &admin.account_id).await?;
        Ok(rows
            .into_iter()
            .map(|g| GroupSummary {
                id: g.id,
                name: g.name,
                source: g.source,
                builtin: g.builtin.is_some(),
                members: g.members,
            })
            .collect())
    }

    async fn group_detail(&self, ctx: &RequestCtx, id: String) -> Result<GroupDetail, ApiError> {
        let admin = self.admin(ctx).await?;
        let group = store::groups::get(&self.db, &admin.account_id, &id)
            .await?
            .ok_or_else(|| ApiError::NotFound("There is no such group in this account.".into()))?;
        let members = store::directory::members(&self.db, &id, 1000).await?;
        Ok(GroupDetail {
            id: group.id,
            name: group.name,
            source: group.source,
            builtin: group.builtin.is_some(),
            external_id: group.external_id,
            created_at: group.created_at,
            members: members.into_iter().map(views::member).collect(),
        })
    }

    async fn create_group(&self, ctx: &RequestCtx, name: String) -> Result<String, ApiError> {
        let (admin, actor) = self.admin_actor(ctx).await?;
        Ok(directory::create_group(&self.db, &admin.account_id, &actor, &name).await?)
    }

    async fn group_action(
        &self,
        ctx: &RequestCtx,
        id: String,
        action: GroupCommand,
        value: String,
    ) -> Result<(), ApiError> {
        let (admin, actor) = self.admin_actor(ctx).await?;
        let account = &admin.account_id;
        Ok(directory::group_action(&self.db, account, &actor, &id, action, &value).await?)
    }

    async fn api_keys(&self, ctx: &RequestCtx) -> Result<Vec<ApiKeyRow>, ApiError> {
        let admin = self.admin(ctx).await?;
        let now = crate::ids::now();
        let rows = store::api_keys::list(&self.db, &admin.account_id).await?;
        Ok(rows.into_iter().map(|k| views::api_key(k, &now)).collect())
    }

    async fn create_api_key(
        &self,
        ctx: &RequestCtx,
        input: NewKeyInput,
    ) -> Result<CreatedKey, ApiError> {
        let (admin, actor) = self.admin_actor(ctx).await?;
        let expires_in_days = api_keys::parse_expiry(&input.expiry, &input.custom_days)?;
        let key = api_keys::NewKey {
            name: &input.name,
            expires_in_days,
            groups: Some(&input.groups),
            created_by: Some(&admin.id),
        };
        let created = api_keys::create(&self.db, &admin.account_id, &actor, key).await?;
        Ok(CreatedKey {
            id: created.id,
            name: input.name.trim().to_string(),
            token: created.token,
            expires_at: created.expires_at,
        })
    }

    async fn revoke_api_key(&self, ctx: &RequestCtx, id: String) -> Result<(), ApiError> {
        let (admin, actor) = self.admin_actor(ctx).await?;
        let result = api_keys::revoke(&self.db, &admin.account_id, &actor, &id).await;
        // Whatever happened, the next request with this key reads the database again.
        self.keys.forget(&id);
        Ok(result?)
    }

    async fn activity(&self, ctx: &RequestCtx, q: ActivityQuery) -> Result<ActivityPage, ApiError> {
        let admin = self.admin(ctx).await?;
        let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"];
        let filter = store::scim_activity::ActivityFilter {
            success: one_of("outcome", &q.outcome, &["success", "failure"])?
                .map(|o| o == "success"),
            method: one_of("method", &q.method, &methods)?,
            resource_type: one_of("resource", &q.resource, &["User", "Group"])?,
            before: before_id(&q.before)?,
        };
        let rows =
            store::scim_activity::page(&self.db, &admin.account_id, &filter, LOG_PAGE + 1).await?;
        let mut items: Vec<_> = rows.into_iter().map(views::activity).collect();
        let older = older(&mut items, |i| i.id);
        Ok(ActivityPage { items, older })
    }

    async fn audit(&self, ctx: &RequestCtx, q: AuditQuery) -> Result<AuditPage, ApiError> {
        let admin = self.admin(ctx).await?;
        let filter = store::audit::EventFilter {
            category: q.category,
            actor_kind: q.actor,
            target_id: None,
            before: before_id(&q.before)?,
        };
        let rows = store::audit::list(&self.db, &admin.account_id, &filter, LOG_PAGE + 1).await?;
        let mut items: Vec<_> = rows.into_iter().map(views::audit_item).collect();
        let older = older(&mut items, |i| i.id);
        Ok(AuditPage { items, older })
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

    async fn sso_setup(&self, ctx: &RequestCtx) -> Result<SsoSetup, ApiError> {
        let admin = self.admin(ctx).await?;
        let account = &admin.account_id;
        let sp = sso::sp_values(&self.settings.public_base(), account);
        let config = store::saml::config(&self.db, account).await?;
        let attempts = store::saml::attempts(&self.db, account, 50).await?;
        let now = self.db.clock().now();
        Ok(SsoSetup {
            account_id: account.clone(),
            entity_id: sp.entity_id,
            acs_url: sp.acs_url,
            acs_validator: sp.acs_validator,
            metadata_url: sp.metadata_url,
            login_url: sp.login_url,
            idp: config.map(|c| views::sso_idp(&c, now)),
            attempts: attempts.into_iter().map(views::sso_attempt).collect(),
        })
    }

    async fn configure_sso(&self, ctx: &RequestCtx, input: SsoInput) -> Result<(), ApiError> {
        let (admin, actor) = self.admin_actor(ctx).await?;
        let idp = crate::saml::metadata::idp_from_form(
            &input.idp_metadata,
            &input.entity_id,
            &input.sso_url,
            &input.certificate,
        )?;
        let change = sso::Change {
            idp,
            enabled: Some(input.enabled.is_some()),
            enforced: Some(input.enforced.is_some()),
        };
        sso::configure(&self.db, &admin.account_id, &actor, change).await?;
        Ok(())
    }
}
