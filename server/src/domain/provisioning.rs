//! Users and groups as an identity provider manages them (the SCIM rules), independent of the
//! SCIM wire format.
//!
//! - A user's e-mail is unique per account, case-insensitively; a duplicate is a conflict.
//! - `active = false` suspends: the user is kept, cannot log in, and every session ends at once.
//!   `active = true` restores (Invited until they sign up, then Active).
//! - A user or group the IdP writes to becomes "managed by the identity provider".
//! - Every change is one transaction, guarded by the stored version (ETag), and audited.
//! - Group membership is set exactly; unknown member ids reject the whole request.
//! - The built-in Account Administrator group cannot be renamed, deleted or emptied.

use crate::domain::audit::{self, Actor, Event};
use crate::domain::user_rules::{self, AdminLoss};
use crate::domain::{group_rules, invites, validate};
use crate::error::{AppError, AppResult};
use crate::filter::{AttrPath, Filter};
use crate::ids;
use crate::mail::{Mailer, Outbox};
use crate::store::{self, scim_query::Resource, Db};
use crate::vocab::{AuditAction, Source, TargetKind, UserStatus};
use std::collections::HashSet;

pub use crate::store::users::UserRecord;

/// The state of a user that an IdP controls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserState {
    /// The IdP's userName, as given (normally the e-mail).
    pub user_name: String,
    /// Where invites go and what the user logs in with; `None` when the IdP sent no e-mail.
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    pub active: bool,
    pub external_id: Option<String>,
    /// The `emails` list as the IdP sent it (value, type, primary), if it sent one.
    pub emails: Option<Vec<serde_json::Value>>,
    /// `displayName` as sent, when it differs from the one derived from the name.
    pub display_name: Option<String>,
}

impl UserState {
    fn emails_json(&self) -> Option<String> {
        self.emails
            .as_ref()
            .filter(|e| !e.is_empty())
            .map(|e| serde_json::Value::Array(e.clone()).to_string())
    }
}

/// A member as a group read returns it (user id; e-mail when asked for).
pub use store::groups::Member as MemberRef;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub id: String,
    pub name: String,
    pub builtin: Option<String>,
    pub source: Source,
    pub external_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i64,
    /// Shared: a large group's membership comes from the store's cache without a copy.
    pub members: std::sync::Arc<[MemberRef]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupState {
    pub name: String,
    pub external_id: Option<String>,
    /// User ids, exactly the members the group must have.
    pub members: Vec<String>,
}

/// A list request: filter, sort and a 1-based page.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    pub sort_by: Option<AttrPath>,
    pub descending: bool,
    pub start_index: i64,
    pub count: i64,
}

pub struct Page<T> {
    pub total: i64,
    pub start_index: i64,
    pub items: Vec<T>,
}

/// No items (a list that matched nothing).
impl<T> Default for Page<T> {
    fn default() -> Self {
        Page {
            total: 0,
            start_index: 1,
            items: Vec::new(),
        }
    }
}

fn invalid(detail: impl Into<String>) -> AppError {
    AppError::InvalidValue(detail.into())
}

fn user_not_found(id: &str) -> AppError {
    AppError::NotFound(format!("User {id} not found"))
}

fn group_not_found(id: &str) -> AppError {
    AppError::NotFound(format!("Group {id} not found"))
}

/// What a writer expects the resource's version to be (SCIM's `If-Match`, parsed by the door):
/// any version, or one of those it names. A tag that is not one of our versions never matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Any,
    OneOf(Vec<i64>),
}

/// Refuses the change when the resource is no longer at a version the writer expects.
pub fn check_expected(expected: Option<&Expected>, version: i64) -> AppResult<()> {
    match expected {
        None | Some(Expected::Any) => Ok(()),
        Some(Expected::OneOf(versions)) if versions.contains(&version) => Ok(()),
        Some(Expected::OneOf(_)) => Err(AppError::PreconditionFailed(format!(
            "the resource has changed (its version is now W/\"{version}\")"
        ))),
    }
}

fn check_user_state(s: &UserState) -> AppResult<()> {
    use user_rules::{EMAILS_MAX, EXTERNAL_ID_MAX, USER_NAME_MAX};
    let user_name = s.user_name.trim();
    if user_name.is_empty()
        || user_name.chars().count() > USER_NAME_MAX
        || user_name.chars().any(char::is_control)
    {
        return Err(invalid(format!(
            "userName must be 1 to {USER_NAME_MAX} printable characters"
        )));
    }
    if let Some(email) = &s.email {
        validate::email(email).map_err(|m| invalid(format!("emails: {m}")))?;
    }
    if let Some(list) = &s.emails {
        if list.len() > EMAILS_MAX {
            return Err(invalid(format!(
                "emails: at most {EMAILS_MAX} addresses per user (this request has {})",
                list.len()
            )));
        }
        for (i, e) in list.iter().enumerate() {
            let value = e.get("value").and_then(|v| v.as_str()).unwrap_or_default();
            if value.chars().count() > validate::EMAIL_MAX {
                return Err(invalid(format!(
                    "emails[{i}].value has at most {} characters",
                    validate::EMAIL_MAX
                )));
            }
            let kind = e.get("type").and_then(|v| v.as_str()).unwrap_or_default();
            if kind.chars().count() > user_rules::EMAIL_TYPE_MAX {
                return Err(invalid(format!(
                    "emails[{i}].type has at most {} characters",
                    user_rules::EMAIL_TYPE_MAX
                )));
            }
        }
    }
    validate::optional_name(&s.first_name, "a first name", user_rules::NAME_MAX)
        .map_err(|m| invalid(format!("name.givenName: {m}")))?;
    if let Some(d) = &s.display_name {
        validate::optional_name(d, "a display name", user_rules::NAME_MAX)
            .map_err(|m| invalid(format!("displayName: {m}")))?;
    }
    validate::optional_name(&s.last_name, "a last name", user_rules::NAME_MAX)
        .map_err(|m| invalid(format!("name.familyName: {m}")))?;
    if s.external_id
        .as_ref()
        .is_some_and(|e| e.chars().count() > EXTERNAL_ID_MAX)
    {
        return Err(invalid(format!(
            "externalId has at most {EXTERNAL_ID_MAX} characters"
        )));
    }
    Ok(())
}

fn user_taken(s: &UserState) -> AppError {
    let email = s
        .email
        .as_deref()
        .map(|e| format!(" or e-mail '{e}'"))
        .unwrap_or_default();
    AppError::Taken(format!(
        "a user with userName '{}'{email} already exists in this account",
        s.user_name
    ))
}

/// Creates a provisioned user (Invited, or Suspended if created inactive).
pub async fn create_user(
    db: &Db,
    mailer: &Mailer,
    account_id: &str,
    actor: &Actor,
    s: UserState,
) -> AppResult<UserRecord> {
    check_user_state(&s)?;
    let account_name = account_name(db, account_id).await?;
    let (account_id, actor, outbox) = (account_id.to_owned(), actor.clone(), mailer.outbox());
    let record = db
        .write(move |tx| {
            Box::pin(async move {
                create_user_in(tx, &account_id, &actor, &outbox, &account_name, s).await
            })
        })
        .await?;
    mailer.wake();
    Ok(record)
}

/// The account's name, for invite mails; read before a write so that the writer does not
/// (see `invites::first_in`).
pub(crate) async fn account_name(db: &Db, account_id: &str) -> AppResult<String> {
    Ok(store::accounts::get(db, account_id)
        .await?
        .map(|a| a.name)
        .unwrap_or_default())
}

/// [`create_user`]'s writer job.
pub(crate) async fn create_user_in(
    tx: &mut store::Conn,
    account_id: &str,
    actor: &Actor,
    mailer: &Outbox,
    account_name: &str,
    s: UserState,
) -> AppResult<UserRecord> {
    check_user_state(&s)?;
    let id = ids::new_uuid();
    let now = ids::now();
    let emails_json = s.emails_json();
    let inserted = store::users::insert(
        &mut *tx,
        store::users::NewUser {
            id: &id,
            account_id,
            user_name: s.user_name.trim(),
            email: s.email.as_deref(),
            first_name: &s.first_name,
            last_name: &s.last_name,
            password_hash: None,
            status: if s.active {
                UserStatus::Invited
            } else {
                UserStatus::Suspended
            },
            source: Source::Idp,
            external_id: s.external_id.as_deref(),
            emails_json: emails_json.as_deref(),
            display_name: s.display_name.as_deref(),
            now: &now,
        },
    )
    .await;
    let record = match inserted {
        Err(e) if e.is_unique_violation() => return Err(user_taken(&s)),
        other => other?,
    };
    let detail = match (&s.email, s.active) {
        (_, false) => "provisioned as suspended",
        (Some(_), true) => "provisioned; invite sent",
        (None, true) => "provisioned without an e-mail address: no invite can be sent until the identity provider sends one",
    };
    audit::record(
        &mut *tx,
        account_id,
        actor,
        Event {
            action: AuditAction::UserProvisioned,
            target_kind: TargetKind::User,
            target_id: &id,
            target_label: &s.user_name,
            detail: detail.into(),
        },
    )
    .await?;
    if let (true, Some(email)) = (s.active, &s.email) {
        invites::first_in(
            &mut *tx,
            mailer,
            account_name,
            invites::Invitation {
                account_id,
                user_id: &id,
                email,
                invited_by: &invites::inviter_label(actor),
            },
        )
        .await?;
    }
    Ok(record)
}

pub async fn get_user(db: &Db, account_id: &str, id: &str) -> AppResult<UserRecord> {
    store::users::get_for_read(db, account_id, id)
        .await?
        .ok_or_else(|| user_not_found(id))
}

/// Replaces a user's IdP-controlled state with what `next` computes from the stored record
/// (PUT sends it whole; PATCH derives it). Unchanged state is not rewritten.
pub async fn update_user(
    db: &Db,
    mailer: &Mailer,
    account_id: &str,
    actor: &Actor,
    id: &str,
    expected: Option<Expected>,
    next: impl FnOnce(&UserRecord) -> AppResult<UserState> + Send + 'static,
) -> AppResult<UserRecord> {
    let (account_id, id) = (account_id.to_owned(), id.to_owned());
    let (actor, outbox) = (actor.clone(), mailer.outbox());
    let record = db
        .write(move |tx| {
            Box::pin(async move {
                update_user_in(tx, &account_id, &actor, &outbox, &id, expected, next).await
            })
        })
        .await?;
    mailer.wake();
    Ok(record)
}

/// [`update_user`]'s writer job.
pub(crate) async fn update_user_in(
    tx: &mut store::Conn,
    account_id: &str,
    actor: &Actor,
    mailer: &Outbox,
    id: &str,
    expected: Option<Expected>,
    next: impl FnOnce(&UserRecord) -> AppResult<UserState>,
) -> AppResult<UserRecord> {
    let cur = store::users::get_record(&mut *tx, account_id, id)
        .await?
        .ok_or_else(|| user_not_found(id))?;
    check_expected(expected.as_ref(), cur.version)?;
    let s = next(&cur)?;
    check_user_state(&s)?;
    let was_active = cur.status != UserStatus::Suspended;
    if was_active && !s.active {
        user_rules::keep_an_active_admin(&mut *tx, account_id, &[id], AdminLoss::Suspend).await?;
    }
    let signed_up =
        !was_active && s.active && store::users::has_password(&mut *tx, account_id, id).await?;
    let status = user_rules::status_after(cur.status, s.active, signed_up);
    let emails_json = s.emails_json();
    let unchanged = s.user_name == cur.user_name
        && s.email == cur.email
        && emails_json == cur.emails_json
        && s.first_name == cur.first_name
        && s.last_name == cur.last_name
        && status == cur.status
        && s.external_id == cur.external_id
        && s.display_name == cur.display_name
        && cur.source == Source::Idp;
    if unchanged {
        return Ok(cur);
    }
    let now = ids::now();
    let updated = store::users::update(
        &mut *tx,
        account_id,
        id,
        cur.version,
        store::users::UserUpdate {
            user_name: s.user_name.trim(),
            email: s.email.as_deref(),
            emails_json: emails_json.as_deref(),
            first_name: &s.first_name,
            last_name: &s.last_name,
            status,
            source: Source::Idp,
            external_id: s.external_id.as_deref(),
            display_name: s.display_name.as_deref(),
            end_sessions: !s.active && was_active,
            now: &now,
        },
    )
    .await;
    match updated {
        Err(e) if e.is_unique_violation() => return Err(user_taken(&s)),
        Ok(false) => {
            return Err(AppError::PreconditionFailed(
                "the user changed during the update; retry".into(),
            ))
        }
        other => {
            other?;
        }
    }
    let mut events: Vec<(AuditAction, String)> = Vec::new();
    if s.email != cur.email {
        let show = |e: &Option<String>| e.clone().unwrap_or_else(|| "(none)".into());
        events.push((
            AuditAction::UserEmailChanged,
            format!("e-mail {} → {}", show(&cur.email), show(&s.email)),
        ));
    }
    if s.user_name != cur.user_name {
        events.push((
            AuditAction::UserUserNameChanged,
            format!("userName {} → {}", cur.user_name, s.user_name),
        ));
    }
    if was_active && !s.active {
        events.push((
            AuditAction::UserSuspended,
            "suspended; all sessions ended".into(),
        ));
    } else if !was_active && s.active {
        events.push((
            AuditAction::UserReactivated,
            format!("reactivated ({status})"),
        ));
    }
    if s.first_name != cur.first_name || s.last_name != cur.last_name {
        events.push((
            AuditAction::UserUpdated,
            format!(
                "name “{} {}” → “{} {}”",
                cur.first_name, cur.last_name, s.first_name, s.last_name
            ),
        ));
    }
    if cur.source != Source::Idp {
        events.push((
            AuditAction::UserAdopted,
            "now managed by the identity provider".into(),
        ));
    }
    for (action, detail) in events {
        audit::record(
            &mut *tx,
            account_id,
            actor,
            Event {
                action,
                target_kind: TargetKind::User,
                target_id: id,
                target_label: &s.user_name,
                detail,
            },
        )
        .await?;
    }
    // Invites follow the user: a suspended user's invite is void; a user still to sign up gets
    // a fresh one when reactivated or when their e-mail changes.
    let invited_now = status == UserStatus::Invited;
    let reactivated = !was_active && s.active;
    if s.email != cur.email {
        // A reset link sent to the old address must not work any more.
        store::invites::void_resets(&mut *tx, id, &now).await?;
    }
    if !s.active && was_active {
        invites::void_in(&mut *tx, id).await?;
    } else if invited_now && (reactivated || s.email != cur.email) {
        match &s.email {
            Some(email) => {
                invites::issue_in(
                    &mut *tx,
                    mailer,
                    invites::Invitation {
                        account_id,
                        user_id: id,
                        email,
                        invited_by: &invites::inviter_label(actor),
                    },
                )
                .await?
            }
            None => {
                invites::void_in(&mut *tx, id).await?;
            }
        }
    }
    let record = store::users::get_record(&mut *tx, account_id, id)
        .await?
        .ok_or_else(|| user_not_found(id))?;
    Ok(record)
}

/// Removes the user from the account: their sessions end and they leave every group.
pub async fn delete_user(
    db: &Db,
    account_id: &str,
    actor: &Actor,
    id: &str,
    expected: Option<Expected>,
) -> AppResult<()> {
    let (account_id, id, actor) = (account_id.to_owned(), id.to_owned(), actor.clone());
    db.write(move |tx| {
        Box::pin(async move { delete_user_in(tx, &account_id, &actor, &id, expected).await })
    })
    .await
}

/// [`delete_user`]'s writer job.
pub(crate) async fn delete_user_in(
    tx: &mut store::Conn,
    account_id: &str,
    actor: &Actor,
    id: &str,
    expected: Option<Expected>,
) -> AppResult<()> {
    let cur = store::users::get_record(&mut *tx, account_id, id)
        .await?
        .ok_or_else(|| user_not_found(id))?;
    check_expected(expected.as_ref(), cur.version)?;
    user_rules::keep_an_active_admin(&mut *tx, account_id, &[id], AdminLoss::Delete).await?;
    store::users::delete(&mut *tx, account_id, id, &ids::now()).await?;
    audit::record(
        &mut *tx,
        account_id,
        actor,
        Event {
            action: AuditAction::UserDeleted,
            target_kind: TargetKind::User,
            target_id: id,
            target_label: &cur.user_name,
            detail: "removed from the account".into(),
        },
    )
    .await?;
    Ok(())
}

fn order_by(resource: Resource, q: &ListQuery) -> AppResult<String> {
    let dir = if q.descending { "DESC" } else { "ASC" };
    let id = match resource {
        Resource::Users => "u.id",
        Resource::Groups => "g.id",
    };
    Ok(match &q.sort_by {
        Some(path) => format!(
            "{} {dir}, {id} {dir}",
            store::scim_query::sort_column(resource, path)?
        ),
        None => format!("{id} {dir}"),
    })
}

fn compile(resource: Resource, filter: &Option<Filter>) -> AppResult<store::scim_query::SqlWhere> {
    match filter {
        Some(f) => store::scim_query::compile(f, resource),
        None => Ok(Default::default()),
    }
}

/// A page of users. Without a filter or a sort, the order is the id's (UUID v7: creation order,
/// so users created while a client pages land after it, and none it has not seen yet moves
/// ahead of it), and `startIndex` is found through the paging ranges: any depth costs the
/// same. With a filter or a sort, the page is an indexed query with an OFFSET.
pub async fn list_users(db: &Db, account_id: &str, q: &ListQuery) -> AppResult<Page<UserRecord>> {
    if q.filter.is_none() && q.sort_by.is_none() && !q.descending {
        let (total, items) =
            store::users::page_by_position(db, account_id, q.count, q.start_index - 1).await?;
        return Ok(Page {
            total,
            start_index: q.start_index,
            items,
        });
    }
    let filter = compile(Resource::Users, &q.filter)?;
    let (total, items) = store::users::list(
        db,
        account_id,
        &filter,
        &order_by(Resource::Users, q)?,
        q.count,
        q.start_index - 1,
    )
    .await?;
    Ok(Page {
        total,
        start_index: q.start_index,
        items,
    })
}

// ---------------------------------------------------------------------------------------------
// Groups

fn check_group_name(name: &str) -> AppResult<()> {
    group_rules::check_name("displayName", name)
}

fn name_taken(name: &str) -> AppError {
    AppError::Taken(format!(
        "a group named '{name}' already exists in this account"
    ))
}

/// Every member id must be a user of this account; otherwise 400 naming the unknown ones.
async fn check_members(
    tx: &mut store::Conn,
    account_id: &str,
    members: &[String],
) -> AppResult<Vec<String>> {
    let mut seen = HashSet::new();
    let unique: Vec<String> = members
        .iter()
        .filter(|m| seen.insert(m.as_str()))
        .cloned()
        .collect();
    let found: HashSet<String> = store::users::existing_ids(&mut *tx, account_id, &unique)
        .await?
        .into_iter()
        .collect();
    let unknown: Vec<&str> = unique
        .iter()
        .filter(|m| !found.contains(*m))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(invalid(format!(
            "unknown member id(s): {}; nothing was changed",
            unknown.join(", ")
        )));
    }
    Ok(unique)
}

async fn load_group(tx: &mut store::Conn, account_id: &str, id: &str) -> AppResult<GroupRecord> {
    let row = store::groups::get(&mut *tx, account_id, id)
        .await?
        .ok_or_else(|| group_not_found(id))?;
    let members = store::groups::members_of(&mut *tx, std::slice::from_ref(&row.id)).await?;
    Ok(group_with(row, members))
}

fn group_with(row: store::groups::GroupRow, members: Vec<store::groups::MemberRow>) -> GroupRecord {
    group_record(
        row,
        members
            .into_iter()
            .map(|m| MemberRef {
                user_id: m.user_id,
                email: m.email,
            })
            .collect(),
    )
}

fn group_record(row: store::groups::GroupRow, members: std::sync::Arc<[MemberRef]>) -> GroupRecord {
    GroupRecord {
        id: row.id,
        name: row.name,
        builtin: row.builtin,
        source: row.source,
        external_id: row.external_id,
        created_at: row.created_at,
        updated_at: row.updated_at,
        version: row.version,
        members,
    }
}

/// How much of a group's membership a read needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Members {
    /// None (`excludedAttributes=members`): the group alone, whatever its size.
    Omitted,
    /// The user ids (what SCIM returns by default).
    Ids,
    /// The user ids and their e-mails (`members.display`).
    WithEmails,
}

pub async fn get_group(
    db: &Db,
    account_id: &str,
    id: &str,
    members: Members,
) -> AppResult<GroupRecord> {
    let row = store::groups::get(db, account_id, id)
        .await?
        .ok_or_else(|| group_not_found(id))?;
    Ok(match members {
        Members::Omitted => group_record(row, Vec::new().into()),
        Members::Ids => {
            let members = store::groups::members_at(db, &row.id, row.version).await?;
            group_record(row, members)
        }
        Members::WithEmails => {
            let members = store::groups::members_of(db, std::slice::from_ref(&row.id)).await?;
            group_with(row, members)
        }
    })
}

/// Members added to and removed from a group, and perhaps a new name, without the rest of its
/// membership: what an identity provider sends when one person joins or leaves (SCIM PATCH
/// `add`/`remove` of `members`). Adding a member already there and removing one who is not are
/// no-ops, as in a whole-group PATCH.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberDelta {
    pub add: Vec<String>,
    pub remove: Vec<String>,
    pub name: Option<String>,
}

/// Members are counted up to this many after a [`MemberDelta`].
pub const MEMBER_COUNT_CAP: i64 = 10_000;

/// A group after a [`MemberDelta`]: the group (its `members` not loaded) and how many members
/// it has now, up to [`MEMBER_COUNT_CAP`].
pub struct GroupChanged {
    pub group: GroupRecord,
    pub member_count: i64,
}

/// Applies `delta` to a group with the rules of [`update_group`], reading only the members it
/// names: a one-member change to a group of 100,000 costs what it costs to a group of ten.
pub async fn change_group_members(
    db: &Db,
    account_id: &str,
    actor: &Actor,
    id: &str,
    expected: Option<Expected>,
    delta: MemberDelta,
) -> AppResult<GroupChanged> {
    let (account_id, id, actor) = (account_id.to_owned(), id.to_owned(), actor.clone());
    db.write(move |tx| {
        Box::pin(async move {
            change_group_members_in(tx, &account_id, &actor, &id, expected, delta).await
        })
    })
    .await
}

/// [`change_group_members`]'s writer job.
pub(crate) async fn change_group_members_in(
    tx: &mut store::Conn,
    account_id: &str,
    actor: &Actor,
    id: &str,
    expected: Option<Expected>,
    delta: MemberDelta,
) -> AppResult<GroupChanged> {
    let cur = store::groups::get(&mut *tx, account_id, id)
        .await?
        .ok_or_else(|| group_not_found(id))?;
    check_expected(expected.as_ref(), cur.version)?;
    let name = match &delta.name {
        Some(n) => {
            check_group_name(n)?;
            n.trim().to_string()
        }
        None => cur.name.clone(),
    };
    let builtin = cur.builtin.is_some();
    if builtin && name != cur.name {
        return Err(group_rules::builtin_rename(&cur.name));
    }
    let named: Vec<String> = delta.add.iter().chain(&delta.remove).cloned().collect();
    let present: HashSet<String> = store::groups::members_among(&mut *tx, id, &named)
        .await?
        .into_iter()
        .collect();
    let wanted = check_members(&mut *tx, account_id, &delta.add).await?;
    let leaving: HashSet<&str> = delta.remove.iter().map(String::as_str).collect();
    let added: Vec<&str> = wanted
        .iter()
        .map(String::as_str)
        .filter(|m| !present.contains(*m) && !leaving.contains(m))
        .collect();
    let mut seen = HashSet::new();
    let removed: Vec<&str> = delta
        .remove
        .iter()
        .map(String::as_str)
        .filter(|m| present.contains(*m) && seen.insert(*m))
        .collect();
    // Counted far enough that "none left" is exact whatever is removed.
    let cap = MEMBER_COUNT_CAP + removed.len() as i64;
    let before = store::groups::member_count(&mut *tx, id, cap).await?;
    let after = (before + added.len() as i64 - removed.len() as i64).min(MEMBER_COUNT_CAP);
    if builtin {
        user_rules::keep_an_active_admin(&mut *tx, account_id, &removed, AdminLoss::Demote).await?;
        if after == 0 {
            return Err(group_rules::builtin_empty(&cur.name));
        }
    }
    let source = if builtin { cur.source } else { Source::Idp };
    let change = GroupChange {
        id,
        version: cur.version,
        old_name: &cur.name,
        name: &name,
        source,
        external_id: cur.external_id.as_deref(),
        added: &added,
        removed: &removed,
    };
    let unchanged =
        name == cur.name && added.is_empty() && removed.is_empty() && source == cur.source;
    if !unchanged {
        write_group_change(&mut *tx, account_id, actor, change).await?;
    }
    let row = store::groups::get(&mut *tx, account_id, id)
        .await?
        .ok_or_else(|| group_not_found(id))?;
    Ok(GroupChanged {
        group: group_record(row, Vec::new().into()),
        member_count: after,
    })
}

/// A change to a group, decided: its row's new state and the members who come and go.
struct GroupChange<'a> {
    id: &'a str,
    /// The version the change was decided on (the row is updated only if still at it).
    version: i64,
    old_name: &'a str,
    name: &'a str,
    source: Source,
    external_id: Option<&'a str>,
    added: &'a [&'a str],
    removed: &'a [&'a str],
}

/// Writes a decided [`GroupChange`]: the row (new version), the members, the audit entries.
async fn write_group_change(
    tx: &mut store::Conn,
    account_id: &str,
    actor: &Actor,
    c: GroupChange<'_>,
) -> AppResult<()> {
    let now = ids::now();
    let id = c.id;
    match store::groups::update(
        &mut *tx,
        account_id,
        id,
        c.version,
        c.name,
        c.source,
        c.external_id,
        &now,
    )
    .await
    {
        Err(e) if e.is_unique_violation() => return Err(name_taken(c.name)),
        Ok(false) => {
            return Err(AppError::PreconditionFailed(
                "the group changed during the update; retry".into(),
            ))
        }
        other => {
            other?;
        }
    }
    for m in c.added {
        store::groups::add_member(&mut *tx, id, m, &now).await?;
    }
    for m in c.removed {
        store::groups::remove_member(&mut *tx, id, m).await?;
    }
    if c.name != c.old_name {
        audit::record(
            &mut *tx,
            account_id,
            actor,
            Event {
                action: AuditAction::GroupRenamed,
                target_kind: TargetKind::Group,
                target_id: id,
                target_label: c.name,
                detail: format!("“{}” → “{}”", c.old_name, c.name),
            },
        )
        .await?;
    }
    if !c.added.is_empty() || !c.removed.is_empty() {
        audit::record(
            &mut *tx,
            account_id,
            actor,
            Event {
                action: AuditAction::GroupMembersChanged,
                target_kind: TargetKind::Group,
                target_id: id,
                target_label: c.name,
                detail: format!("{} added, {} removed", c.added.len(), c.removed.len()),
            },
        )
        .await?;
    }
    Ok(())
}

pub async fn create_group(
    db: &Db,
    account_id: &str,
    actor: &Actor,
    s: GroupState,
) -> AppResult<GroupRecord> {
    check_group_name(&s.name)?;
    let (account_id, actor) = (account_id.to_owned(), actor.clone());
    db.write(move |tx| Box::pin(async move { create_group_in(tx, &account_id, &actor, s).await }))
        .await
}

/// [`create_group`]'s writer job.
pub(crate) async fn create_group_in(
    tx: &mut store::Conn,
    account_id: &str,
    actor: &Actor,
    s: GroupState,
) -> AppResult<GroupRecord> {
    check_group_name(&s.name)?;
    let members = check_members(&mut *tx, account_id, &s.members).await?;
    let id = ids::new_uuid();
    let now = ids::now();
    let name = s.name.trim();
    let inserted = store::groups::insert(
        &mut *tx,
        store::groups::NewGroup {
            id: &id,
            account_id,
            name,
            builtin: None,
            source: Source::Idp,
            now: &now,
        },
    )
    .await;
    match inserted {
        Err(e) if e.is_unique_violation() => return Err(name_taken(name)),
        other => other?,
    }
    store::groups::set_external_id(&mut *tx, &id, s.external_id.as_deref()).await?;
    for m in &members {
        store::groups::add_member(&mut *tx, &id, m, &now).await?;
    }
    audit::record(
        &mut *tx,
        account_id,
        actor,
        Event {
            action: AuditAction::GroupProvisioned,
            target_kind: TargetKind::Group,
            target_id: &id,
            target_label: name,
            detail: format!("{} member(s)", members.len()),
        },
    )
    .await?;
    let record = load_group(&mut *tx, account_id, &id).await?;
    Ok(record)
}

/// Replaces a group's name, externalId and exact membership with what `next` computes.
pub async fn update_group(
    db: &Db,
    account_id: &str,
    actor: &Actor,
    id: &str,
    expected: Option<Expected>,
    next: impl FnOnce(&GroupRecord) -> AppResult<GroupState> + Send + 'static,
) -> AppResult<GroupRecord> {
    let (account_id, id, actor) = (account_id.to_owned(), id.to_owned(), actor.clone());
    db.write(move |tx| {
        Box::pin(async move { update_group_in(tx, &account_id, &actor, &id, expected, next).await })
    })
    .await
}

/// [`update_group`]'s writer job.
pub(crate) async fn update_group_in(
    tx: &mut store::Conn,
    account_id: &str,
    actor: &Actor,
    id: &str,
    expected: Option<Expected>,
    next: impl FnOnce(&GroupRecord) -> AppResult<GroupState>,
) -> AppResult<GroupRecord> {
    let cur = load_group(&mut *tx, account_id, id).await?;
    check_expected(expected.as_ref(), cur.version)?;
    let s = next(&cur)?;
    check_group_name(&s.name)?;
    let name = s.name.trim();
    let builtin = cur.builtin.is_some();
    if builtin && name != cur.name {
        return Err(group_rules::builtin_rename(&cur.name));
    }
    let wanted = check_members(&mut *tx, account_id, &s.members).await?;
    let before: HashSet<&str> = cur.members.iter().map(|m| m.user_id.as_str()).collect();
    let after: HashSet<&str> = wanted.iter().map(String::as_str).collect();
    let added: Vec<&str> = wanted
        .iter()
        .map(String::as_str)
        .filter(|m| !before.contains(m))
        .collect();
    let removed: Vec<&str> = cur
        .members
        .iter()
        .map(|m| m.user_id.as_str())
        .filter(|m| !after.contains(m))
        .collect();
    if builtin {
        user_rules::keep_an_active_admin(&mut *tx, account_id, &removed, AdminLoss::Demote).await?;
        if wanted.is_empty() {
            return Err(group_rules::builtin_empty(&cur.name));
        }
    }
    let source = if builtin { cur.source } else { Source::Idp };
    let renamed = name != cur.name;
    if !renamed
        && added.is_empty()
        && removed.is_empty()
        && s.external_id == cur.external_id
        && source == cur.source
    {
        return Ok(cur);
    }
    write_group_change(
        &mut *tx,
        account_id,
        actor,
        GroupChange {
            id,
            version: cur.version,
            old_name: &cur.name,
            name,
            source,
            external_id: s.external_id.as_deref(),
            added: &added,
            removed: &removed,
        },
    )
    .await?;
    let record = load_group(&mut *tx, account_id, id).await?;
    Ok(record)
}

pub async fn delete_group(
    db: &Db,
    account_id: &str,
    actor: &Actor,
    id: &str,
    expected: Option<Expected>,
) -> AppResult<()> {
    let (account_id, id, actor) = (account_id.to_owned(), id.to_owned(), actor.clone());
    db.write(move |tx| {
        Box::pin(async move { delete_group_in(tx, &account_id, &actor, &id, expected).await })
    })
    .await
}

/// [`delete_group`]'s writer job.
pub(crate) async fn delete_group_in(
    tx: &mut store::Conn,
    account_id: &str,
    actor: &Actor,
    id: &str,
    expected: Option<Expected>,
) -> AppResult<()> {
    let cur = store::groups::get(&mut *tx, account_id, id)
        .await?
        .ok_or_else(|| group_not_found(id))?;
    check_expected(expected.as_ref(), cur.version)?;
    if cur.builtin.is_some() {
        return Err(group_rules::builtin_delete(&cur.name));
    }
    store::groups::delete(&mut *tx, account_id, id).await?;
    audit::record(
        &mut *tx,
        account_id,
        actor,
        Event {
            action: AuditAction::GroupDeleted,
            target_kind: TargetKind::Group,
            target_id: id,
            target_label: &cur.name,
            detail: String::new(),
        },
    )
    .await?;
    Ok(())
}

/// A page of groups; members are loaded for the whole page in one query when wanted.
pub async fn list_groups(
    db: &Db,
    account_id: &str,
    q: &ListQuery,
    with_members: bool,
) -> AppResult<Page<GroupRecord>> {
    let filter = compile(Resource::Groups, &q.filter)?;
    let (total, rows) = store::groups::list(
        db,
        account_id,
        &filter,
        &order_by(Resource::Groups, q)?,
        q.count,
        q.start_index - 1,
    )
    .await?;
    let mut members = if with_members {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        store::groups::members_of(db, &ids).await?
    } else {
        Vec::new()
    };
    let items = rows
        .into_iter()
        .map(|row| {
            let mine: Vec<MemberRef> = members
                .iter()
                .filter(|m| m.group_id == row.id)
                .map(|m| MemberRef {
                    user_id: m.user_id.clone(),
                    email: m.email.clone(),
                })
                .collect();
            group_record(row, mine.into())
        })
        .collect();
    members.clear();
    Ok(Page {
        total,
        start_index: q.start_index,
        items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_needs_an_expected_version() {
        assert!(check_expected(None, 3).is_ok());
        assert!(check_expected(Some(&Expected::Any), 3).is_ok());
        assert!(check_expected(Some(&Expected::OneOf(vec![2, 3])), 3).is_ok());
        assert!(matches!(
            check_expected(Some(&Expected::OneOf(vec![2])), 3),
            Err(AppError::PreconditionFailed(_))
        ));
        assert!(check_expected(Some(&Expected::OneOf(vec![])), 3).is_err());
    }
}
