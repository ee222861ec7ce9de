//! `/audit`: who did what to whom and when — administrators' actions, SCIM changes, log-ins,
//! API key creation, use and revocation — filterable, newest first.

use crate::api::{load_audit, AuditItem, AuditPage, AuditQuery};
use crate::components::{link, url_params, when, FilterSelect, Loaded, LogPager};
use crate::vocab::{any_of, TargetKind, UnknownWord};
use leptos::prelude::*;
use leptos_meta::Title;

const CATEGORIES: [(&str, &str); 6] = [
    ("", "Everything"),
    ("user", "Users"),
    ("group", "Groups"),
    ("api_key", "API keys"),
    ("session", "Log-ins"),
    ("sso", "Single sign-on"),
];
const ACTORS: [(&str, &str); 4] = [
    ("", "Anyone"),
    ("user", "People"),
    ("api_key", "API keys (IdP)"),
    ("system", "Rollcall / command line"),
];

#[component]
pub fn AuditPage() -> impl IntoView {
    let param = url_params();
    let current = move || -> Result<AuditQuery, UnknownWord> {
        Ok(AuditQuery {
            category: any_of(&param("category").get())?,
            actor: any_of(&param("actor").get())?,
            before: param("before").get(),
        })
    };
    let data = Resource::new(current, |q| async move { load_audit(q?).await });
    view! {
        <Title text="Audit Log"/>
        <header class="page-header"><h1>"Audit Log"</h1></header>
        <form method="get" action="/audit" class="filters" role="search" autocomplete="off">
            <FilterSelect name="category" label="What" options=&CATEGORIES current=param("category")/>
            <FilterSelect name="actor" label="Who" options=&ACTORS current=param("actor")/>
            <button type="submit" class="button secondary">"Apply"</button>
        </form>
        <Loaded resource=data render={move |page: AuditPage| {
            let q = current().unwrap_or_default();
            let category = q.category.map(String::from).unwrap_or_default();
            let actor = q.actor.map(String::from).unwrap_or_default();
            let older = page.older.map(|id| link("/audit", &[("category", &category), ("actor", &actor), ("before", &id.to_string())]));
            let newest = (!q.before.is_empty()).then(|| link("/audit", &[("category", &category), ("actor", &actor)]));
            view! {
                <div class="card"><AuditList items=page.items show_target=true/></div>
                <LogPager newest older/>
            }
        }}/>
    }
}

/// Audit events as a table (also on the user page, without the target column).
#[component]
pub fn AuditList(items: Vec<AuditItem>, show_target: bool) -> impl IntoView {
    if items.is_empty() {
        return view! { <p class="muted">"Nothing recorded yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap flat">
            <table class="table audit">
                <caption class="visually-hidden">"Audit events"</caption>
                <thead><tr>
                    <th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th>
                    {show_target.then(|| view! { <th scope="col">"Target"</th> })}
                    <th scope="col">"Detail"</th>
                </tr></thead>
                <tbody>
                    {items.into_iter().map(|e| {
                        let (id, label) = (e.target_id.clone(), e.target.clone());
                        let target = match e.target_kind {
                            TargetKind::User => view! { <a href=format!("/users/{id}")>{label}</a> }.into_any(),
                            TargetKind::Group => view! { <a href=format!("/groups/{id}")>{label}</a> }.into_any(),
                            TargetKind::ApiKey | TargetKind::Account => view! { <span>{label}</span> }.into_any(),
                        };
                        view! {
                            <tr data-action=e.action.as_str()>
                                <td class="nowrap">{when(&e.at)}</td>
                                <td class="break">{e.actor.clone()}</td>
                                <td><code>{e.action.as_str()}</code></td>
                                {show_target.then(|| view! { <td class="break">{target}</td> })}
                                <td>{e.detail.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
