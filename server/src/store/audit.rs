//! `audit_events`: who did what to whom.

use super::exec::Exec;
use crate::error::AppResult;
use crate::vocab::{ActorKind, AuditAction, AuditCategory, TargetKind};
use crate::{sql, sql_built};

pub struct NewEvent<'a> {
    pub account_id: &'a str,
    pub actor_kind: ActorKind,
    pub actor_id: Option<&'a str>,
    pub actor_label: &'a str,
    pub action: AuditAction,
    pub target_kind: TargetKind,
    pub target_id: &'a str,
    pub target_label: &'a str,
    pub detail: &'a str,
    pub now: &'a str,
}

pub async fn insert(db: impl Exec<'_>, e: NewEvent<'_>) -> AppResult<()> {
    sql!(db, execute,
        sqlite: "INSERT INTO audit_events (account_id, at, actor_kind, actor_id, actor_label, action, target_kind, target_id, target_label, detail)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        postgres: "INSERT INTO audit_events (account_id, at, actor_kind, actor_id, actor_label, action, target_kind, target_id, target_label, detail)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        e.account_id, e.now, e.actor_kind.as_str(), e.actor_id, e.actor_label, e.action.as_str(),
        e.target_kind.as_str(), e.target_id, e.target_label, e.detail,
    )?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub at: String,
    #[sqlx(try_from = "String")]
    pub actor_kind: ActorKind,
    pub actor_label: String,
    #[sqlx(try_from = "String")]
    pub action: AuditAction,
    #[sqlx(try_from = "String")]
    pub target_kind: TargetKind,
    pub target_id: String,
    pub target_label: String,
    pub detail: String,
}

const EVENT_COLUMNS: &str =
    "id, at, actor_kind, actor_label, action, target_kind, target_id, target_label, detail";

/// What the audit log is filtered by; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// The part of the action before the dot.
    pub category: Option<AuditCategory>,
    pub actor_kind: Option<ActorKind>,
    pub target_id: Option<String>,
    /// Only events older than this id.
    pub before: Option<i64>,
}

/// The newest events of the account matching `f`, newest first: each filter walks an index
/// of its own in id order (`audit_events_account`, `_category`, `_actor`, `_target`), so a
/// rare category or actor costs what a common one does.
pub async fn list(
    db: impl Exec<'_>,
    account_id: &str,
    f: &EventFilter,
    limit: i64,
) -> AppResult<Vec<EventRow>> {
    Ok(sql_built!(
        db,
        |Db| {
            let mut q = sqlx::QueryBuilder::<Db>::new(format!(
                "SELECT {EVENT_COLUMNS} FROM audit_events WHERE account_id = "
            ));
            q.push_bind(account_id.to_string());
            if let Some(category) = &f.category {
                // The computed `category` column (migration 0011): one index range.
                q.push(" AND category = ").push_bind(category.as_str());
            }
            if let Some(kind) = &f.actor_kind {
                q.push(" AND actor_kind = ").push_bind(kind.as_str());
            }
            if let Some(target) = &f.target_id {
                q.push(" AND target_id = ").push_bind(target.clone());
            }
            if let Some(before) = f.before {
                q.push(" AND id < ").push_bind(before);
            }
            q.push(" ORDER BY id DESC LIMIT ").push_bind(limit);
            q
        },
        |q, e| q.build_query_as().fetch_all(e).await
    )?)
}
