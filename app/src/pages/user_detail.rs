//! `/users/:id`: one user — profile, status, groups, invite, recent audit entries — and what an
//! administrator may do: manual users can be renamed, suspended, reactivated and deleted;
//! users provisioned by the identity provider are read-only here, with the reason.

use crate::api::{load_user, EditUser, UserAction, UserDetail};
use crate::components::{
    action_errors, hydrated, load_on_success, when, when_or, Confirm, FormError, Loaded,
    NamedField, SourceBadge, StatusBadge,
};
use crate::pages::audit::AuditList;
use crate::vocab::{Source, UserCommand, UserStatus};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn UserDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let user = Resource::new(id, load_user);
    view! {
        <Loaded resource=user render={move |u: UserDetail| view! { <UserView u/> }}/>
    }
}

/// The user as the server renders it; what an administrator can do is in the islands
/// [`InviteActions`] and [`ManageUser`].
#[component]
fn UserView(u: UserDetail) -> impl IntoView {
    let title = {
        let name = format!("{} {}", u.first_name, u.last_name)
            .trim()
            .to_string();
        if name.is_empty() {
            u.email.clone().unwrap_or_else(|| u.user_name.clone())
        } else {
            name
        }
    };
    let label = u.email.clone().unwrap_or_else(|| u.user_name.clone());
    let manual = u.source == Source::Manual;
    let invite_block = u.invite.clone().map(|i| {
        let can_revoke = i.state == "pending";
        let can_resend = u.status == UserStatus::Invited;
        view! {
            <dl class="facts">
                <dt>"Invite"</dt><dd><StatusBadge status=i.state.clone()/></dd>
                <dt>"Sent"</dt><dd>{when(&i.created_at)}</dd>
                <dt>"Link valid until"</dt><dd>{when(&i.expires_at)}</dd>
            </dl>
            {(can_resend || can_revoke).then(|| view! { <InviteActions id=u.id.clone() label=label.clone() can_resend can_revoke/> })}
        }
    });
    let suspended = u.status == UserStatus::Suspended;
    view! {
        <Title text=title.clone()/>
        <nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/users">"Users"</a> " / " <span aria-current="page">{title.clone()}</span></nav>
        <header class="page-header">
            <h1>{title.clone()}</h1>
            <div class="badges"><StatusBadge status=u.status/> <SourceBadge source=u.source/></div>
        </header>
        {(!manual).then(|| view! {
            <p class="callout" role="note">
                <strong>"Managed by your identity provider. "</strong>
                "Delete or change this user in OneLogin (or the IdP that provisioned them); changes reach Rollcall through SCIM. Rollcall only sends their invite."
            </p>
        })}
        <section class="card stack">
            <h2>"Profile"</h2>
            <dl class="facts">
                <dt>"E-mail"</dt><dd class="break">{u.email.clone().unwrap_or_else(|| "—".into())}</dd>
                <dt>"User name"</dt><dd class="break">{u.user_name.clone()}</dd>
                {u.external_id.clone().map(|e| view! { <dt>"External id"</dt><dd class="break"><code>{e}</code></dd> })}
                <dt>"Created"</dt><dd>{when(&u.created_at)}</dd>
                <dt>"Updated"</dt><dd>{when(&u.updated_at)}</dd>
                <dt>"Last log-in"</dt><dd>{when_or(&u.last_login_at, "Never")}</dd>
                <dt>"Groups"</dt>
                <dd>
                    {if u.groups.is_empty() { view! { <span class="muted">"None"</span> }.into_any() } else {
                        u.groups.iter().map(|g| view! { <a class="chip" href=format!("/groups/{}", g.id)>{g.name.clone()}</a> }).collect_view().into_any()
                    }}
                </dd>
            </dl>
        </section>
        {invite_block.map(|b| view! { <section class="card stack"><h2>"Invitation"</h2>{b}</section> })}
        {manual.then(|| view! {
            <section class="card stack">
                <h2>"Manage"</h2>
                <ManageUser id=u.id.clone() label first_name=u.first_name.clone() last_name=u.last_name.clone() is_self=u.is_self suspended/>
            </section>
        })}
        <section class="card stack">
            <h2>"Recent activity"</h2>
            <AuditList items=u.audit.clone() show_target=false/>
        </section>
    }
}

/// Runs `command` on user `id` through `act`, remembering it in `last` (a delete leaves the page).
fn command(
    act: ServerAction<UserAction>,
    last: RwSignal<Option<UserCommand>>,
    id: String,
    command: UserCommand,
) -> Callback<()> {
    Callback::new(move |_| {
        last.set(Some(command));
        act.dispatch(UserAction {
            id: id.clone(),
            action: command,
        });
    })
}

/// After a command succeeds: back to the list when the user was deleted, else this page afresh.
fn user_action(last: RwSignal<Option<UserCommand>>) -> ServerAction<UserAction> {
    let act = ServerAction::<UserAction>::new();
    load_on_success(act, move |_| {
        (last.get_untracked() == Some(UserCommand::Delete)).then(|| "/users".to_string())
    });
    act
}

/// "Resend invite" and "Revoke invite" (the latter after a confirmation).
#[island]
fn InviteActions(id: String, label: String, can_resend: bool, can_revoke: bool) -> impl IntoView {
    let last = RwSignal::new(None);
    let act = user_action(last);
    let (error, _) = action_errors(act);
    let pending = act.pending();
    let ready = hydrated();
    let resend = command(act, last, id.clone(), UserCommand::ResendInvite);
    view! {
        <FormError error/>
        <div class="actions">
            {can_resend.then(|| view! { <button type="button" class="button secondary" disabled=move || !ready.get() || pending.get() on:click=move |_| resend.run(())>"Resend invite"</button> })}
            {can_revoke.then(|| view! { <Confirm label="Revoke invite" question=format!("Revoke the invite of {label}? The link stops working.") on_confirm=command(act, last, id.clone(), UserCommand::RevokeInvite) pending/> })}
        </div>
    }
}

/// A manual user's name, and suspend / reactivate / delete (never on oneself).
#[island]
fn ManageUser(
    id: String,
    label: String,
    first_name: String,
    last_name: String,
    is_self: bool,
    suspended: bool,
) -> impl IntoView {
    let last = RwSignal::new(None);
    let act = user_action(last);
    let edit = ServerAction::<EditUser>::new();
    load_on_success(edit, |_| None);
    let (act_error, _) = action_errors(act);
    let (error, field) = action_errors(edit);
    let pending = act.pending();
    let ready = hydrated();
    let target = id.clone();
    let run = move |c| command(act, last, target.clone(), c);
    view! {
        <ActionForm action=edit attr:class="inline-form">
            <input type="hidden" name="id" value=id.clone()/>
            <div class="field-row">
                <NamedField name="first_name" label="First name" value=first_name error=field("first_name")/>
                <NamedField name="last_name" label="Last name" value=last_name error=field("last_name")/>
            </div>
            <FormError error/>
            <button type="submit" class="button secondary" disabled=move || edit.pending().get()>"Save name"</button>
        </ActionForm>
        <FormError error=act_error/>
        {if is_self {
            view! { <p class="hint">"This is you: you cannot suspend or delete your own account."</p> }.into_any()
        } else {
            let reactivate = run(UserCommand::Reactivate);
            view! {
                <div class="actions">
                    {if suspended {
                        view! { <button type="button" class="button secondary" disabled=move || !ready.get() || pending.get() on:click=move |_| reactivate.run(())>"Reactivate"</button> }.into_any()
                    } else {
                        view! { <Confirm label="Suspend" question=format!("Suspend {label}? They are logged out at once and cannot log in until reactivated.") on_confirm=run(UserCommand::Suspend) pending/> }.into_any()
                    }}
                    <Confirm label="Delete user" danger=true question=format!("Delete {label}? This cannot be undone.") on_confirm=run(UserCommand::Delete) pending/>
                </div>
            }.into_any()
        }}
    }
}
