//! Server functions for joining and recovering an account (sign-up from an invite, password
//! reset) and for the administrator's invite actions and outbox.

use super::{ApiError, InviteInput, Outbox, SignupInput, SignupView};
use leptos::prelude::*;

/// The invite behind a sign-up link, or why it cannot be used.
#[server(prefix = "/api", endpoint = "signup_view")]
pub async fn load_signup(token: String) -> Result<SignupView, ApiError> {
    let (backend, _ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.signup_view(token).await)
}

/// Sets the password from an invite, logs the user in and goes home.
#[server(prefix = "/api", endpoint = "signup")]
pub async fn complete_signup(input: SignupInput) -> Result<(), ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.complete_signup(&ctx, input).await)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Sends a reset link if the e-mail belongs to someone; the answer is the same either way.
#[server(prefix = "/api", endpoint = "forgot")]
pub async fn request_reset(email: String) -> Result<String, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.request_reset(&ctx, email).await)
}

/// Is this reset link usable? Returns the e-mail it is for.
#[server(prefix = "/api", endpoint = "reset_view")]
pub async fn reset_view(token: String) -> Result<String, ApiError> {
    let (backend, _ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.reset_view(token).await)
}

/// Sets a new password from a reset link (ending every other session), logs in, goes home.
#[server(prefix = "/api", endpoint = "reset")]
pub async fn complete_reset(
    token: String,
    password: String,
    password_confirm: String,
) -> Result<(), ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(
        backend
            .complete_reset(&ctx, token, password, password_confirm)
            .await,
    )?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Administrators: invite a person by e-mail; returns the new user's id.
#[server(prefix = "/api", endpoint = "invite_user")]
pub async fn invite_user(input: InviteInput) -> Result<String, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.invite_user(&ctx, input).await)
}

/// Administrators: a new invite for a user who has not signed up (the old link stops working).
#[server(prefix = "/api", endpoint = "resend_invite")]
pub async fn resend_invite(user_id: String) -> Result<(), ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.resend_invite(&ctx, user_id).await)
}

/// Administrators: the account's newest mail.
#[server(prefix = "/api", endpoint = "outbox")]
pub async fn load_outbox() -> Result<Outbox, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.outbox(&ctx).await)
}

/// Administrators: the SCIM base URL and the connection status.
#[server(prefix = "/api", endpoint = "scim_setup")]
pub async fn load_scim_setup() -> Result<super::ScimSetup, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.scim_setup(&ctx).await)
}

/// Administrators: the Single Sign-On page.
#[server(prefix = "/api", endpoint = "sso_setup")]
pub async fn load_sso_setup() -> Result<super::SsoSetup, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.sso_setup(&ctx).await)
}

/// Administrators: trusts an IdP (its metadata) and switches SSO on, off or to enforced.
#[server(prefix = "/api", endpoint = "configure_sso")]
pub async fn configure_sso(input: super::SsoInput) -> Result<(), ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.configure_sso(&ctx, input).await)
}

/// Administrators: account and server settings.
#[server(prefix = "/api", endpoint = "settings")]
pub async fn load_settings() -> Result<super::SettingsView, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.settings(&ctx).await)
}
