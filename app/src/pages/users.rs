//! `/users`: the account's users with their status and source. Search by e-mail prefix; the
//! query lives in the URL (`?q=`), so results can be shared and the back button works.

use crate::api::list_users;
use crate::components::ErrorPanel;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn status_label(s: &str) -> &'static str {
    match s {
        "active" => "Active",
        "suspended" => "Suspended",
        _ => "Invited",
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let users = Resource::new(search, list_users);
    view! {
        <Title text="Users"/>
        <header class="page-header">
            <h1>"Users"</h1>
        </header>
        <form method="get" action="/users" class="search" role="search">
            <label for="user-search" class="visually-hidden">"Search by e-mail"</label>
            <input id="user-search" type="search" name="q" placeholder="Search by e-mail" value=search/>
            <button type="submit" class="button secondary">"Search"</button>
        </form>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! { <section class="card"><p>"No users match."</p></section> }.into_any(),
                    Ok(rows) => view! {
                        <div class="table-wrap">
                            <table class="table">
                                <caption class="visually-hidden">"Users"</caption>
                                <thead><tr><th scope="col">"Name"</th><th scope="col">"E-mail"</th><th scope="col">"Status"</th><th scope="col">"Source"</th><th scope="col">"Last log-in"</th></tr></thead>
                                <tbody>
                                    {rows.into_iter().map(|u| view! {
                                        <tr data-email=u.email.clone()>
                                            <td>{if u.name.is_empty() { "—".to_string() } else { u.name.clone() }}</td>
                                            <td>{u.email.clone()}</td>
                                            <td><span class=format!("badge status-{}", u.status)>{status_label(&u.status)}</span></td>
                                            <td>{if u.source == "idp" { "Identity provider" } else { "Manual" }}</td>
                                            <td>{u.last_login_at.clone().map(|t| t.get(..16).unwrap_or(&t).replace('T', " ")).unwrap_or_else(|| "Never".into())}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
