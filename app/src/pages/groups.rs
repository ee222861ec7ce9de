//! `/groups` and `/groups/:id`: user groups with their members. Administrators create, rename
//! and delete manual groups and change their members; groups pushed by SCIM are read-only here;
//! the built-in Account Administrator group keeps its name and at least one active member.

use crate::api::{load_group, load_groups, CreateGroup, GroupAction, GroupDetail, GroupSummary};
use crate::components::{
    action_errors, encode, hydrated, link, load_on_success, url_params, when, Confirm, Field,
    FormError, Loaded, NamedField, SourceBadge, StatusBadge,
};
use crate::vocab::{GroupCommand, Source};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn GroupsPage() -> impl IntoView {
    let groups = Resource::new(|| (), |_| load_groups());
    let created = url_params()("created").get_untracked();
    view! {
        <Title text="User Groups"/>
        <header class="page-header"><h1>"User Groups"</h1></header>
        <p class="lead">"Members of a group get its permissions. "<strong>"Account Administrator"</strong>" gives access to this console and to SCIM (through API keys)."</p>
        <Loaded resource=groups render={|groups: Vec<GroupSummary>| view! {
            <div class="table-wrap">
                <table class="table">
                    <caption class="visually-hidden">"User groups"</caption>
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Source"</th><th scope="col">"Members"</th></tr></thead>
                    <tbody>
                        {groups.into_iter().map(|g| view! {
                            <tr>
                                <td><a href=format!("/groups/{}", g.id)>{g.name.clone()}</a>{g.builtin.then(|| view! { " " <span class="badge">"Built in"</span> })}</td>
                                <td><SourceBadge source=g.source/></td>
                                <td>{g.members}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        }}/>
        <section class="card stack">
            <h2>"New group"</h2>
            <NewGroup/>
            {(!created.is_empty()).then(|| view! {
                <p class="notice" role="status">"Group created. " <a href=format!("/groups/{}", encode(&created))>"Add its members"</a> "."</p>
            })}
        </section>
    }
}

/// Creates a manual group; the list loads again with `created=<id>` (a link to add members).
#[island]
fn NewGroup() -> impl IntoView {
    let create = ServerAction::<CreateGroup>::new();
    load_on_success(create, |id| Some(link("/groups", &[("created", id)])));
    let (error, field) = action_errors(create);
    view! {
        <ActionForm action=create attr:class="inline-form">
            <Field name="name" label="Group name" autocomplete="off" required=true error=field("name")/>
            <FormError error/>
            <button type="submit" class="button secondary" disabled=move || create.pending().get()>"Create group"</button>
        </ActionForm>
    }
}

#[component]
pub fn GroupDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let group = Resource::new(id, load_group);
    view! { <Loaded resource=group render={move |g: GroupDetail| view! { <GroupView g/> }}/> }
}

/// The group as the server renders it; changes go through the islands [`RemoveMember`],
/// [`AddMember`] and [`ManageGroup`], each loading the page again once it succeeded.
#[component]
fn GroupView(g: GroupDetail) -> impl IntoView {
    let editable = g.source == Source::Manual;
    view! {
        <Title text=g.name.clone()/>
        <nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/groups">"User Groups"</a> " / " <span aria-current="page">{g.name.clone()}</span></nav>
        <header class="page-header">
            <h1>{g.name.clone()}</h1>
            <div class="badges"><SourceBadge source=g.source/>{g.builtin.then(|| view! { " " <span class="badge">"Built in"</span> })}</div>
        </header>
        {(!editable).then(|| view! {
            <p class="callout" role="note"><strong>"Read-only: pushed by your identity provider. "</strong>"This group and its members come from SCIM; change them in OneLogin (or your IdP)."</p>
        })}
        {(editable && g.builtin).then(|| view! {
            <p class="callout" role="note">"Built-in group: it cannot be renamed or deleted, and it always keeps at least one active member, so someone can administer the account."</p>
        })}
        <section class="card stack">
            <h2>{format!("Members ({})", g.members.len())}</h2>
            {if g.members.is_empty() {
                view! { <p class="muted">"No members yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table">
                            <caption class="visually-hidden">"Members"</caption>
                            <thead><tr><th scope="col">"Name"</th><th scope="col">"E-mail"</th><th scope="col">"Status"</th>{editable.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}</tr></thead>
                            <tbody>
                                {g.members.iter().map(|m| view! {
                                    <tr data-email=m.email.clone()>
                                        <td><a href=format!("/users/{}", m.user_id)>{if m.name.is_empty() { m.email.clone() } else { m.name.clone() }}</a></td>
                                        <td class="break">{m.email.clone()}</td>
                                        <td><StatusBadge status=m.status/></td>
                                        {editable.then(|| view! {
                                            <td><RemoveMember group_id=g.id.clone() user_id=m.user_id.clone() email=m.email.clone()/></td>
                                        })}
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {editable.then(|| view! { <AddMember group_id=g.id.clone()/> })}
        </section>
        {(editable && !g.builtin).then(|| view! {
            <section class="card stack">
                <h2>"Manage"</h2>
                <ManageGroup group_id=g.id.clone() name=g.name.clone()/>
            </section>
        })}
        <p class="hint">"Created " {when(&g.created_at)} {g.external_id.clone().map(|e| format!(" · external id {e}"))}</p>
    }
}

/// "Remove" on a member's row; why it was refused (the last active administrator) shows beside it.
#[island]
fn RemoveMember(group_id: String, user_id: String, email: String) -> impl IntoView {
    let act = ServerAction::<GroupAction>::new();
    load_on_success(act, |_| None);
    let (error, _) = action_errors(act);
    let ready = hydrated();
    let remove = move |_| {
        act.dispatch(GroupAction {
            id: group_id.clone(),
            action: GroupCommand::RemoveMember,
            value: user_id.clone(),
        });
    };
    view! {
        <button type="button" class="button secondary" disabled=move || !ready.get() || act.pending().get() aria-label=format!("Remove {email}") on:click=remove>"Remove"</button>
        <FormError error/>
    }
}

/// "Add a member by e-mail".
#[island]
fn AddMember(group_id: String) -> impl IntoView {
    let act = ServerAction::<GroupAction>::new();
    load_on_success(act, |_| None);
    let (error, field) = action_errors(act);
    view! {
        <ActionForm action=act attr:class="inline-form">
            <input type="hidden" name="id" value=group_id/>
            <input type="hidden" name="action" value="add_member"/>
            <Field name="value" id="member-email" label="Add a member by e-mail" kind="email" autocomplete="off" required=true error=field("email")/>
            <FormError error/>
            <button type="submit" class="button secondary" disabled=move || act.pending().get()>"Add member"</button>
        </ActionForm>
    }
}

/// Rename, and delete (after a confirmation; then back to the list).
#[island]
fn ManageGroup(group_id: String, name: String) -> impl IntoView {
    let act = ServerAction::<GroupAction>::new();
    let deleting = RwSignal::new(false);
    load_on_success(act, move |_| {
        deleting.get_untracked().then(|| "/groups".to_string())
    });
    let (error, field) = action_errors(act);
    let pending = act.pending();
    let question = format!("Delete the group “{name}”? Its members stay; they only leave the group. This cannot be undone.");
    let id = group_id.clone();
    let delete = Callback::new(move |_| {
        deleting.set(true);
        act.dispatch(GroupAction {
            id: id.clone(),
            action: GroupCommand::Delete,
            value: String::new(),
        });
    });
    view! {
        <ActionForm action=act attr:class="inline-form">
            <input type="hidden" name="id" value=group_id/>
            <input type="hidden" name="action" value="rename"/>
            <NamedField name="value" id="group-name" label="Group name" value=name error=field("name")/>
            <button type="submit" class="button secondary" disabled=move || pending.get() on:click=move |_| deleting.set(false)>"Rename"</button>
        </ActionForm>
        <FormError error/>
        <div class="actions">
            <Confirm label="Delete group" danger=true question on_confirm=delete pending/>
        </div>
    }
}
