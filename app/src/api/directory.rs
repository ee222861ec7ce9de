//! Server functions of the administrator's directory: users (list, detail, actions) and user
//! groups. Every one re-checks that the caller is an administrator (in the backend).

use super::ApiError;
use crate::vocab::{
    ActorKind, AuditAction, GroupCommand, Source, TargetKind, UserCommand, UserStatus,
};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use crate::vocab::UserQuery;

/// A row of the Users page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub name: String,
    pub email: String,
    pub status: UserStatus,
    /// Idp: managed by the identity provider.
    pub source: Source,
    pub groups: Vec<String>,
    pub last_login_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub rows: Vec<UserRow>,
    /// Matching users, counted up to `total_cap`.
    pub total: i64,
    pub total_capped: bool,
    /// Cursors for the next / previous page, when there is one.
    pub next: Option<String>,
    pub prev: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRef {
    pub id: String,
    pub name: String,
}

/// The newest invite of a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteInfo {
    /// pending, expired, used or revoked
    pub state: String,
    pub created_at: String,
    pub expires_at: String,
}

/// One audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditItem {
    pub id: i64,
    pub at: String,
    pub actor_kind: ActorKind,
    pub actor: String,
    pub action: AuditAction,
    pub target_kind: TargetKind,
    pub target_id: String,
    pub target: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDetail {
    pub id: String,
    pub user_name: String,
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub status: UserStatus,
    pub source: Source,
    pub external_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
    pub groups: Vec<GroupRef>,
    pub invite: Option<InviteInfo>,
    pub audit: Vec<AuditItem>,
    /// The viewer themself (cannot suspend or delete their own account).
    pub is_self: bool,
}

/// A row of the User Groups page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub id: String,
    pub name: String,
    pub source: Source,
    /// The built-in Account Administrator group.
    pub builtin: bool,
    pub members: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMember {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub status: UserStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub id: String,
    pub name: String,
    pub source: Source,
    pub builtin: bool,
    pub external_id: Option<String>,
    pub created_at: String,
    pub members: Vec<GroupMember>,
}

/// Administrators: one page of users.
#[server(prefix = "/api", endpoint = "users_page")]
pub async fn load_users(#[server(default)] query: UserQuery) -> Result<UserPage, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.users_page(&ctx, query).await)
}

/// Administrators: everything about one user.
#[server(prefix = "/api", endpoint = "user_detail")]
pub async fn load_user(id: String) -> Result<UserDetail, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.user_detail(&ctx, id).await)
}

/// Administrators: suspend, reactivate, delete, resend_invite or revoke_invite.
#[server(prefix = "/api", endpoint = "user_action")]
pub async fn user_action(id: String, action: UserCommand) -> Result<(), ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.user_action(&ctx, id, action).await)
}

/// Administrators: rename a manual user.
#[server(prefix = "/api", endpoint = "edit_user")]
pub async fn edit_user(id: String, first_name: String, last_name: String) -> Result<(), ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.edit_user(&ctx, id, first_name, last_name).await)
}

/// Administrators: every group of the account.
#[server(prefix = "/api", endpoint = "groups")]
pub async fn load_groups() -> Result<Vec<GroupSummary>, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.groups(&ctx).await)
}

/// Administrators: one group with its members.
#[server(prefix = "/api", endpoint = "group_detail")]
pub async fn load_group(id: String) -> Result<GroupDetail, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.group_detail(&ctx, id).await)
}

/// Administrators: a new manual group; returns its id.
#[server(prefix = "/api", endpoint = "create_group")]
pub async fn create_group(name: String) -> Result<String, ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.create_group(&ctx, name).await)
}

/// Administrators: change a manual group: `rename` (with `value` = the name), `delete`,
/// `add_member` (`value` = an e-mail) or `remove_member` (`value` = a user id).
#[server(prefix = "/api", endpoint = "group_action")]
pub async fn group_action(id: String, action: GroupCommand, value: String) -> Result<(), ApiError> {
    let (backend, ctx) = super::ssr::context().await?;
    super::ssr::respond(backend.group_action(&ctx, id, action, value).await)
}
