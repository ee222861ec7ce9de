//! Server functions for who is logged in: first-run set-up, log-in, log-out.

use super::{ApiError, SetupInput, Viewer};
use leptos::prelude::*;

/// Who is making this request (or that the server still needs its first-run set-up).
#[server(prefix = "/api", endpoint = "whoami")]
pub async fn whoami() -> Result<Viewer, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.whoami(&ctx).await)
}

/// Checks e-mail and password, starts a fresh session and goes to the home page.
#[server(prefix = "/api", endpoint = "login")]
pub async fn login(email: String, password: String) -> Result<(), ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.login(&ctx, email, password).await)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Ends the session and goes to the log-in page.
#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.logout(&ctx).await)?;
    leptos_axum::redirect("/login");
    Ok(())
}

/// Creates the first account and its administrator, then logs that administrator in.
#[server(prefix = "/api", endpoint = "setup")]
pub async fn complete_setup(input: SetupInput) -> Result<(), ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.complete_setup(&ctx, input).await)?;
    leptos_axum::redirect("/");
    Ok(())
}
