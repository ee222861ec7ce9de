//! Audit events: who (a user, an API key, the system) did what to whom.

use crate::error::AppResult;
use crate::ids;
use crate::store::exec::Exec;
use crate::store::{self, audit::NewEvent};
use crate::vocab::{ActorKind, AuditAction, TargetKind};

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub kind: ActorKind,
    pub id: Option<String>,
    pub label: String,
}

impl Actor {
    pub fn api_key(id: &str, name: &str) -> Self {
        Actor {
            kind: ActorKind::ApiKey,
            id: Some(id.to_string()),
            label: format!("API key “{name}”"),
        }
    }
    pub fn user(id: &str, email: &str) -> Self {
        Actor {
            kind: ActorKind::User,
            id: Some(id.to_string()),
            label: email.to_string(),
        }
    }
    /// The `rollcall` command line (run by whoever operates the server).
    pub fn cli() -> Self {
        Actor {
            kind: ActorKind::System,
            id: None,
            label: "CLI".into(),
        }
    }
    pub fn system() -> Self {
        Actor {
            kind: ActorKind::System,
            id: None,
            label: "Rollcall".into(),
        }
    }
}

/// What happened to which target.
pub struct Event<'a> {
    pub action: AuditAction,
    pub target_kind: TargetKind,
    pub target_id: &'a str,
    pub target_label: &'a str,
    pub detail: String,
}

pub async fn record(
    db: impl Exec<'_>,
    account_id: &str,
    actor: &Actor,
    e: Event<'_>,
) -> AppResult<()> {
    store::audit::insert(
        db,
        NewEvent {
            account_id,
            actor_kind: actor.kind,
            actor_id: actor.id.as_deref(),
            actor_label: &actor.label,
            action: e.action,
            target_kind: e.target_kind,
            target_id: e.target_id,
            target_label: e.target_label,
            detail: &e.detail,
            now: &ids::now(),
        },
    )
    .await
}
