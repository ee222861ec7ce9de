//! `/users`: the account's users. Search, filters, sort and the page position all live in the
//! URL, so a view can be shared and the back button works; pages are keyset cursors, so the
//! last page of a million users is as fast as the first. "Invite user" and CSV export are here.

use crate::api::{load_groups, load_users, InviteUser, UserPage, UserQuery};
use crate::components::{
    action_errors, encode, grouped, hydrated, link, load_on_success, url_params, when_or, Field,
    FilterSelect, FormError, Loaded, SourceBadge, StatusBadge,
};
use crate::vocab::Source;
use leptos::prelude::*;
use leptos_meta::Title;

const STATUSES: [(&str, &str); 4] = [
    ("", "Any status"),
    ("invited", "Invited"),
    ("active", "Active"),
    ("suspended", "Suspended"),
];
const SOURCES: [(&str, &str); 3] = [
    ("", "Any source"),
    ("idp", "Identity provider"),
    ("manual", "Manual"),
];
const SORTS: [(&str, &str); 6] = [
    ("", "E-mail A→Z"),
    ("-email", "E-mail Z→A"),
    ("name", "Name A→Z"),
    ("-name", "Name Z→A"),
    ("-created", "Newest first"),
    ("created", "Oldest first"),
];

#[component]
pub fn UsersPage() -> impl IntoView {
    let param = url_params();
    let current = move || UserQuery::from_params(|name| param(name).get());
    let users = Resource::new(current, |q| async move { load_users(q?).await });
    let csv = move || {
        let params = current().unwrap_or_default().filter_params();
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        link("/export/users.csv", &pairs)
    };
    let invited = param("invited").get_untracked();
    view! {
        <Title text="Users"/>
        <UsersHeader csv=csv()/>
        <div class="notice" role="status" aria-live="polite">
            {(!invited.is_empty()).then(|| view! {
                <p>"Invitation sent. " <a href=format!("/users/{}", encode(&invited))>"Open the new user"</a> "."</p>
            })}
        </div>
        // The URL is the truth: no history restoration of what was typed before a search.
        <form method="get" action="/users" class="filters" role="search" autocomplete="off">
            <div class="filter grow">
                <label for="user-search">"Search"</label>
                <input id="user-search" type="search" name="q" placeholder="E-mail, name or last name" value=param("q")/>
            </div>
            <FilterSelect name="status" label="Status" options=&STATUSES current=param("status")/>
            <FilterSelect name="source" label="Source" options=&SOURCES current=param("source")/>
            <FilterSelect name="sort" label="Sort" options=&SORTS current=param("sort")/>
            <button type="submit" class="button secondary">"Apply"</button>
        </form>
        <Loaded resource=users render={move |page: UserPage| view! { <UserTable page query=current().unwrap_or_default()/> }}/>
    }
}

#[component]
fn UserTable(page: UserPage, query: UserQuery) -> impl IntoView {
    let count = if page.total_capped {
        format!("More than {} users", grouped(page.total))
    } else if page.total == 1 {
        "1 user".to_string()
    } else {
        format!("{} users", grouped(page.total))
    };
    let base = query.filter_params();
    let page_link = move |key: &'static str, cursor: &str| {
        let mut pairs: Vec<(&str, &str)> = base.iter().map(|(k, v)| (*k, v.as_str())).collect();
        pairs.push((key, cursor));
        link("/users", &pairs)
    };
    let prev = page.prev.as_deref().map(|c| page_link("before", c));
    let next = page.next.as_deref().map(|c| page_link("after", c));
    let paged = !query.after.is_empty() || !query.before.is_empty();
    let first = page_link("after", "");
    if page.rows.is_empty() {
        return view! {
            <section class="card empty">
                <p>"No users match these filters."</p>
                {paged.then(|| view! { <a href=first.clone()>"Back to the first page"</a> })}
            </section>
        }
        .into_any();
    }
    view! {
        <p class="muted" role="status">{count}</p>
        <div class="table-wrap">
            <table class="table">
                <caption class="visually-hidden">"Users"</caption>
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"E-mail"</th><th scope="col">"Status"</th>
                    <th scope="col">"Source"</th><th scope="col">"Groups"</th><th scope="col">"Last log-in"</th>
                </tr></thead>
                <tbody>
                    {page.rows.into_iter().map(|u| {
                        let href = format!("/users/{}", u.id);
                        let label = if u.name.is_empty() { u.email.clone() } else { u.name.clone() };
                        view! {
                            <tr data-email=u.email.clone()>
                                <td><a href=href>{label}</a></td>
                                <td class="break">{u.email.clone()}</td>
                                <td><StatusBadge status=u.status/></td>
                                <td><SourceBadge source=u.source/></td>
                                <td>{if u.groups.is_empty() { "—".to_string() } else { u.groups.join(", ") }}</td>
                                <td>{when_or(&u.last_login_at, "Never")}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            {paged.then(|| view! { <a href=first.clone()>"First page"</a> })}
            {prev.map(|href| view! { <a href=href rel="prev">"← Previous"</a> })}
            {next.map(|href| view! { <a href=href rel="next">"Next →"</a> })}
        </nav>
    }
    .into_any()
}

/// The title with "Export CSV" (of `csv`, the current filter) and "Invite user" and its dialog.
/// After an invite the page loads again with `invited=<id>`, so the new user is in the table
/// and the notice links to them.
#[island]
fn UsersHeader(csv: String) -> impl IntoView {
    let invite = ServerAction::<InviteUser>::new();
    load_on_success(invite, |id| Some(link("/users", &[("invited", id)])));
    let show = RwSignal::new(false);
    let ready = hydrated();
    view! {
        <header class="page-header">
            <h1>"Users"</h1>
            <div class="actions">
                <a class="button secondary" href=csv download>"Export CSV"</a>
                <button type="button" class="button accent" disabled=move || !ready.get() aria-expanded=move || show.get().to_string() aria-controls="invite-panel" on:click=move |_| show.update(|v| *v = !*v)>
                    "Invite user"
                </button>
            </div>
        </header>
        <Show when=move || show.get()>
            <InvitePanel invite close=move || show.set(false)/>
        </Show>
    }
}

/// The invite dialog: e-mail, names, manual groups.
#[component]
fn InvitePanel(
    invite: ServerAction<InviteUser>,
    close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let groups = Resource::new(|| (), |_| load_groups());
    let (error, field) = action_errors(invite);
    view! {
        <section id="invite-panel" class="card panel" role="dialog" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite a user"</h2>
            <p class="hint">"They get an e-mail with a sign-up link, valid for the invite lifetime set on the server. Users from your identity provider are invited automatically."</p>
            <ActionForm action=invite>
                <Field name="input[email]" label="E-mail" kind="email" autocomplete="off" required=true error=field("email")/>
                <div class="field-row">
                    <Field name="input[first_name]" label="First name" autocomplete="off" error=field("first_name")/>
                    <Field name="input[last_name]" label="Last name" autocomplete="off" error=field("last_name")/>
                </div>
                <fieldset class="checks">
                    <legend>"Groups"</legend>
                    <Loaded resource=groups render={|groups: Vec<crate::api::GroupSummary>| {
                        let manual: Vec<_> = groups.into_iter().filter(|g| g.source == Source::Manual).collect();
                        if manual.is_empty() {
                            view! { <p class="hint">"No manual groups yet."</p> }.into_any()
                        } else {
                            manual.into_iter().map(|g| view! {
                                <label class="check"><input type="checkbox" name="input[groups][]" value=g.id.clone()/> {g.name.clone()}</label>
                            }).collect_view().into_any()
                        }
                    }}/>
                    <p class="field-error" role="alert">{field("groups")}</p>
                </fieldset>
                <FormError error/>
                <div class="actions">
                    <button type="submit" class="button accent" disabled=move || invite.pending().get()>
                        {move || if invite.pending().get() { "Sending…" } else { "Send invite" }}
                    </button>
                    <button type="button" class="button secondary" on:click=move |_| close()>"Cancel"</button>
                </div>
            </ActionForm>
        </section>
    }
}
