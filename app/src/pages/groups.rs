//! `/groups` and `/groups/:id`: user groups with their members. Administrators create, rename
//! and delete manual groups and change their members; groups pushed by SCIM are read-only here;
//! the built-in Account Administrator group keeps its name and at least one active member.

use crate::api::{load_group, load_groups, CreateGroup, GroupAction, GroupDetail, GroupSummary};
use crate::components::{
    go_after, successes, when, Confirm, Field, FormError, Loaded, NamedField, SourceBadge,
    StatusBadge,
};
use crate::vocab::{GroupCommand, Source};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn GroupsPage() -> impl IntoView {
    let create = ServerAction::<CreateGroup>::new();
    let create_done = successes(create);
    let groups = Resource::new(move || create_done.get(), |_| load_groups());
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };
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
            <ActionForm action=create attr:class="inline-form">
                <Field name="name" label="Group name" autocomplete="off" required=true error=field("name")/>
                <FormError error/>
                <button type="submit" class="button secondary" disabled=move || create.pending().get()>"Create group"</button>
            </ActionForm>
            {move || create.value().get().and_then(Result::ok).map(|id| view! {
                <p class="notice" role="status">"Group created. " <a href=format!("/groups/{id}")>"Add its members"</a> "."</p>
            })}
        </section>
    }
}

#[component]
pub fn GroupDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let act = ServerAction::<GroupAction>::new();
    let act_done = successes(act);
    let group = Resource::new(move || (id(), act_done.get()), |(id, _)| load_group(id));
    let deleting = RwSignal::new(None);
    go_after(act, deleting, "/groups");
    view! { <Loaded resource=group render={move |g: GroupDetail| view! { <GroupView g act deleting/> }}/> }
}

#[component]
fn GroupView(
    g: GroupDetail,
    act: ServerAction<GroupAction>,
    deleting: RwSignal<Option<usize>>,
) -> impl IntoView {
    let editable = g.source == Source::Manual;
    let error = Signal::derive(move || act.value().get().and_then(Result::err));
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };
    let pending = act.pending();
    let (id_add, id_manage, name, question) = (
        g.id.clone(),
        g.id.clone(),
        g.name.clone(),
        format!("Delete the group “{}”? Its members stay; they only leave the group. This cannot be undone.", g.name),
    );
    let gid = g.id.clone();
    let remove = move |user_id: String| {
        let gid = gid.clone();
        Callback::new(move |_| {
            deleting.set(None);
            act.dispatch(GroupAction {
                id: gid.clone(),
                action: GroupCommand::RemoveMember,
                value: user_id.clone(),
            });
        })
    };
    let gid = g.id.clone();
    let delete = Callback::new(move |_| {
        deleting.set(Some(act.version().get_untracked()));
        act.dispatch(GroupAction {
            id: gid.clone(),
            action: GroupCommand::Delete,
            value: String::new(),
        });
    });
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
        <FormError error/>
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
                                            <td><button type="button" class="button secondary" disabled=move || pending.get() aria-label=format!("Remove {}", m.email) on:click={let r = remove(m.user_id.clone()); move |_| r.run(())}>"Remove"</button></td>
                                        })}
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {editable.then(|| view! {
                <ActionForm action=act attr:class="inline-form">
                    <input type="hidden" name="id" value=id_add.clone()/>
                    <input type="hidden" name="action" value="add_member"/>
                    <Field name="value" id="member-email" label="Add a member by e-mail" kind="email" autocomplete="off" required=true error=field("email")/>
                    <button type="submit" class="button secondary" disabled=move || pending.get()>"Add member"</button>
                </ActionForm>
            })}
        </section>
        {(editable && !g.builtin).then(|| view! {
            <section class="card stack">
                <h2>"Manage"</h2>
                <ActionForm action=act attr:class="inline-form">
                    <input type="hidden" name="id" value=id_manage.clone()/>
                    <input type="hidden" name="action" value="rename"/>
                    <NamedField name="value" id="group-name" label="Group name" value=name.clone() error=field("name")/>
                    <button type="submit" class="button secondary" disabled=move || pending.get()>"Rename"</button>
                </ActionForm>
                <div class="actions">
                    <Confirm label="Delete group" danger=true question=question.clone() on_confirm=delete pending/>
                </div>
            </section>
        })}
        <p class="hint">"Created " {when(&g.created_at)} {g.external_id.clone().map(|e| format!(" · external id {e}"))}</p>
    }
}
