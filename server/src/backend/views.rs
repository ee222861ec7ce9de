//! Rows of the domain and store turned into the UI's wire types (DTOs).

use crate::domain::directory;
use crate::store;
use rollcall_app::api::{
    ActivityItem, ApiKeyRow, AuditItem, GroupMember, GroupRef, InviteInfo, SsoAttempt,
    SsoCertificate, SsoIdp, UserDetail, UserRow,
};

pub fn full_name(first: &str, last: &str) -> String {
    format!("{first} {last}").trim().to_string()
}

pub fn user_rows(page: &mut directory::UsersPage) -> Vec<UserRow> {
    page.rows
        .drain(..)
        .map(|u| UserRow {
            name: full_name(&u.first_name, &u.last_name),
            email: u.email.unwrap_or(u.user_name),
            groups: page.groups.remove(&u.id).unwrap_or_default(),
            id: u.id,
            status: u.status,
            source: u.source,
            last_login_at: u.last_login_at,
        })
        .collect()
}

pub fn audit_item(e: store::audit::EventRow) -> AuditItem {
    AuditItem {
        id: e.id,
        at: e.at,
        actor_kind: e.actor_kind,
        actor: e.actor_label,
        action: e.action,
        target_kind: e.target_kind,
        target_id: e.target_id,
        target: e.target_label,
        detail: e.detail,
    }
}

pub fn user_detail(d: directory::UserDetail, viewer_id: &str) -> UserDetail {
    let u = d.user;
    UserDetail {
        is_self: u.id == viewer_id,
        id: u.id,
        user_name: u.user_name,
        email: u.email,
        first_name: u.first_name,
        last_name: u.last_name,
        status: u.status,
        source: u.source,
        external_id: u.external_id,
        created_at: u.created_at,
        updated_at: u.updated_at,
        last_login_at: d.last_login_at,
        groups: d
            .groups
            .into_iter()
            .map(|(id, name)| GroupRef { id, name })
            .collect(),
        invite: d.invite.map(|(state, i)| InviteInfo {
            state,
            created_at: i.created_at,
            expires_at: i.expires_at,
        }),
        audit: d.audit.into_iter().map(audit_item).collect(),
    }
}

pub fn member(m: store::directory::MemberDetailRow) -> GroupMember {
    GroupMember {
        name: full_name(&m.first_name, &m.last_name),
        user_id: m.user_id,
        email: m.email,
        status: m.status,
    }
}

pub fn api_key(k: store::api_keys::KeyListRow, now: &str) -> ApiKeyRow {
    ApiKeyRow {
        status: crate::domain::api_keys::status(
            k.revoked_at.as_deref(),
            k.expires_at.as_deref(),
            now,
        )
        .to_string(),
        prefix: format!("{}{}_…", crate::domain::api_keys::TOKEN_PREFIX, k.id),
        groups: k
            .groups
            .map(|g| g.split('\n').map(str::to_owned).collect())
            .unwrap_or_default(),
        id: k.id,
        name: k.name,
        created_by: k.created_by,
        created_at: k.created_at,
        expires_at: k.expires_at,
        last_used_at: k.last_used_at,
    }
}

pub fn activity(r: store::scim_activity::ActivityDetailRow) -> ActivityItem {
    ActivityItem {
        id: r.id,
        at: r.at,
        method: r.method,
        path: r.path,
        status: r.status,
        outcome: r.outcome,
        duration_us: r.duration_us,
        user_agent: r.user_agent,
        key_name: r.key_name,
        resource_type: r.resource_type,
        resource_id: r.resource_id,
        target: r.target,
        detail: r.detail,
    }
}

pub fn sso_idp(c: &store::saml::ConfigRow, now: time::OffsetDateTime) -> SsoIdp {
    let certificates = crate::domain::sso::certificates(c)
        .iter()
        .filter_map(|der| crate::domain::sso::describe(der, now).ok())
        .map(|i| SsoCertificate {
            subject: i.subject,
            fingerprint: i.fingerprint,
            not_after: i.not_after,
            expired: i.expired,
            expires_soon: i.expires_soon,
        })
        .collect();
    SsoIdp {
        entity_id: c.idp_entity_id.clone(),
        sso_url: c.sso_url.clone(),
        enabled: c.enabled,
        enforced: c.enforced,
        certificates,
        updated_at: c.updated_at.clone(),
    }
}

pub fn sso_attempt(a: store::saml::AttemptRow) -> SsoAttempt {
    SsoAttempt {
        at: a.at,
        success: a.success,
        name_id: a.name_id,
        reason: a.reason,
        test: a.test,
    }
}
