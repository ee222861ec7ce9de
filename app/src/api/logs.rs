//! Server functions of the two logs: provisioning activity (every SCIM request) and the audit
//! log (who did what to whom).

use super::{ApiError, AuditItem};
use crate::vocab::{any, ActorKind, AuditCategory};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// Filters of the Provisioning Activity page, as in its URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActivityQuery {
    /// "" (all), success or failure
    pub outcome: String,
    /// "" or an HTTP method
    pub method: String,
    /// "" or Users / Groups
    pub resource: String,
    /// Entries older than this id (the "Older" link).
    pub before: String,
}

/// One SCIM request as the activity page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityItem {
    pub id: i64,
    pub at: String,
    pub method: String,
    pub path: String,
    pub status: i64,
    /// success, client_error or server_error
    pub outcome: String,
    pub duration_us: i64,
    pub user_agent: Option<String>,
    pub key_name: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    /// The user's e-mail or the group's name, if it still exists.
    pub target: Option<String>,
    /// The error detail we answered.
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityPage {
    pub items: Vec<ActivityItem>,
    pub older: Option<i64>,
}

/// Filters of the Audit Log page, as in its URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    /// None: every category.
    #[serde(with = "any")]
    pub category: Option<AuditCategory>,
    /// None: every kind of actor.
    #[serde(with = "any")]
    pub actor: Option<ActorKind>,
    pub before: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub items: Vec<AuditItem>,
    pub older: Option<i64>,
}

/// Administrators: SCIM requests, newest first.
#[server(prefix = "/api", endpoint = "activity")]
pub async fn load_activity(
    #[server(default)] query: ActivityQuery,
) -> Result<ActivityPage, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.activity(&ctx, query).await)
}

/// Administrators: audit events, newest first.
#[server(prefix = "/api", endpoint = "audit")]
pub async fn load_audit(#[server(default)] query: AuditQuery) -> Result<AuditPage, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.audit(&ctx, query).await)
}
