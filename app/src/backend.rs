//! The port between the UI's server functions and the server's domain (server side only).
//!
//! The `rollcall` server implements [`Backend`] and puts a [`BackendHandle`] in the Leptos
//! context; server functions call it and never see SQL, argon2 or mail. This keeps the
//! dependency arrow one way (`server -> app`) and the WASM free of server code.

use crate::api::{
    ActivityPage, ActivityQuery, ApiError, ApiKeyRow, AuditPage, AuditQuery, CreatedKey,
    GroupDetail, GroupSummary, InviteInput, NewKeyInput, Outbox, ScimSetup, SettingsView,
    SetupInput, SignupInput, SignupView, SsoInput, SsoSetup, UserDetail, UserPage, UserQuery,
    Viewer,
};
use std::net::IpAddr;
use std::sync::Arc;

/// What the domain may know about the request behind a server function.
pub struct RequestCtx {
    pub session: tower_sessions::Session,
    /// The client's address when the connection info is available.
    pub client_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl RequestCtx {
    pub fn new(session: tower_sessions::Session, parts: &http::request::Parts) -> Self {
        let client_ip = parts
            .extensions
            .get::<axum_like::ConnectInfoAddr>()
            .map(|c| c.0.ip());
        let user_agent = parts
            .headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        RequestCtx {
            session,
            client_ip,
            user_agent,
        }
    }
}

/// The server puts the peer address in the request extensions under this type, so the app does
/// not need to depend on axum's `ConnectInfo`.
/// The page's Content-Security-Policy: scripts only from this origin or carrying this page's
/// nonce (Leptos puts it on the hydration and streamed-resource scripts it writes), WebAssembly
/// allowed to compile, nothing inline otherwise, no framing, forms only to this origin.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Puts [`page_policy`] with this render's nonce on the page's response. Called by the shell,
/// which runs before the first byte is sent. Responses that are not pages get the server's
/// stricter default instead.
pub fn content_security_policy() {
    use leptos::prelude::use_context;
    let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&page_policy(&nonce)) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

pub mod axum_like {
    #[derive(Debug, Clone, Copy)]
    pub struct ConnectInfoAddr(pub std::net::SocketAddr);
}

#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    async fn whoami(&self, ctx: &RequestCtx) -> Result<Viewer, ApiError>;
    async fn login(
        &self,
        ctx: &RequestCtx,
        email: String,
        password: String,
    ) -> Result<(), ApiError>;
    async fn logout(&self, ctx: &RequestCtx) -> Result<(), ApiError>;
    async fn complete_setup(&self, ctx: &RequestCtx, input: SetupInput) -> Result<(), ApiError>;
    async fn signup_view(&self, token: String) -> Result<SignupView, ApiError>;
    async fn complete_signup(&self, ctx: &RequestCtx, input: SignupInput) -> Result<(), ApiError>;
    async fn request_reset(&self, ctx: &RequestCtx, email: String) -> Result<String, ApiError>;
    async fn reset_view(&self, token: String) -> Result<String, ApiError>;
    async fn complete_reset(
        &self,
        ctx: &RequestCtx,
        token: String,
        password: String,
        confirm: String,
    ) -> Result<(), ApiError>;
    async fn invite_user(&self, ctx: &RequestCtx, input: InviteInput) -> Result<String, ApiError>;
    async fn resend_invite(&self, ctx: &RequestCtx, user_id: String) -> Result<(), ApiError>;
    async fn outbox(&self, ctx: &RequestCtx) -> Result<Outbox, ApiError>;
    async fn users_page(&self, ctx: &RequestCtx, query: UserQuery) -> Result<UserPage, ApiError>;
    async fn user_detail(&self, ctx: &RequestCtx, id: String) -> Result<UserDetail, ApiError>;
    async fn user_action(
        &self,
        ctx: &RequestCtx,
        id: String,
        action: crate::vocab::UserCommand,
    ) -> Result<(), ApiError>;
    async fn edit_user(
        &self,
        ctx: &RequestCtx,
        id: String,
        first_name: String,
        last_name: String,
    ) -> Result<(), ApiError>;
    async fn groups(&self, ctx: &RequestCtx) -> Result<Vec<GroupSummary>, ApiError>;
    async fn group_detail(&self, ctx: &RequestCtx, id: String) -> Result<GroupDetail, ApiError>;
    async fn create_group(&self, ctx: &RequestCtx, name: String) -> Result<String, ApiError>;
    async fn group_action(
        &self,
        ctx: &RequestCtx,
        id: String,
        action: crate::vocab::GroupCommand,
        value: String,
    ) -> Result<(), ApiError>;
    async fn api_keys(&self, ctx: &RequestCtx) -> Result<Vec<ApiKeyRow>, ApiError>;
    async fn create_api_key(
        &self,
        ctx: &RequestCtx,
        input: NewKeyInput,
    ) -> Result<CreatedKey, ApiError>;
    async fn revoke_api_key(&self, ctx: &RequestCtx, id: String) -> Result<(), ApiError>;
    async fn activity(
        &self,
        ctx: &RequestCtx,
        query: ActivityQuery,
    ) -> Result<ActivityPage, ApiError>;
    async fn audit(&self, ctx: &RequestCtx, query: AuditQuery) -> Result<AuditPage, ApiError>;
    async fn scim_setup(&self, ctx: &RequestCtx) -> Result<ScimSetup, ApiError>;
    async fn settings(&self, ctx: &RequestCtx) -> Result<SettingsView, ApiError>;
    async fn sso_setup(&self, ctx: &RequestCtx) -> Result<SsoSetup, ApiError>;
    async fn configure_sso(&self, ctx: &RequestCtx, input: SsoInput) -> Result<(), ApiError>;
}

/// Cheap to clone; what the server provides as Leptos context.
#[derive(Clone)]
pub struct BackendHandle(pub Arc<dyn Backend>);

impl std::ops::Deref for BackendHandle {
    type Target = dyn Backend;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}
