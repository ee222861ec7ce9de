//! Server functions of the API Keys page.

use super::ApiError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRow {
    pub id: String,
    pub name: String,
    /// The visible start of the token (`rc_<key id>_…`), to recognise a key.
    pub prefix: String,
    pub groups: Vec<String>,
    pub created_by: Option<String>,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    /// active, expired or revoked
    pub status: String,
}

/// The create dialog.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewKeyInput {
    pub name: String,
    /// Group ids the key inherits; the dialog starts with Account Administrator ticked.
    pub groups: Vec<String>,
    /// 30, 90, 180, custom or never
    pub expiry: String,
    /// Days, when `expiry` is custom.
    pub custom_days: String,
}

/// A new key: the only time the token exists outside the IdP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedKey {
    pub id: String,
    pub name: String,
    pub token: String,
    pub expires_at: Option<String>,
}

/// Administrators: every API key of the account, newest first.
#[server(prefix = "/api", endpoint = "api_keys")]
pub async fn load_api_keys() -> Result<Vec<ApiKeyRow>, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.api_keys(&ctx).await)
}

/// Administrators: creates a key and returns its token (shown once).
#[server(prefix = "/api", endpoint = "create_api_key")]
pub async fn create_api_key(input: NewKeyInput) -> Result<CreatedKey, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.create_api_key(&ctx, input).await)
}

/// Administrators: revokes a key; it stops working at once.
#[server(prefix = "/api", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(id: String) -> Result<(), ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.revoke_api_key(&ctx, id).await)
}
