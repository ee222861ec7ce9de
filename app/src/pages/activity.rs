//! `/activity`: every SCIM request the identity provider made — what it asked, what we
//! answered and why it failed — filterable, with a detail drawer. New requests stream in live:
//! the server sends an event (SSE, read with gloo-net) when new entries are written, and the
//! page reloads the newest entries without a page load.

use crate::api::{load_activity, ActivityItem, ActivityPage, ActivityQuery};
use crate::components::{hydrated, link, url_params, when, FilterSelect, Loaded, LogPager};
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;

const OUTCOMES: [(&str, &str); 3] = [
    ("", "Any outcome"),
    ("success", "Succeeded"),
    ("failure", "Failed"),
];
const METHODS: [(&str, &str); 6] = [
    ("", "Any method"),
    ("GET", "GET"),
    ("POST", "POST"),
    ("PUT", "PUT"),
    ("PATCH", "PATCH"),
    ("DELETE", "DELETE"),
];
const RESOURCES: [(&str, &str); 3] = [
    ("", "Users and groups"),
    ("User", "Users"),
    ("Group", "Groups"),
];

/// What an administrator can do about a failed request.
fn advice(status: i64) -> &'static str {
    match status {
        401 => "The bearer token was refused (unknown, revoked or expired). Create a new API key and paste it in OneLogin as the SCIM Bearer Token.",
        403 => "The API key does not inherit the Account Administrator group, which SCIM needs. Create a key with that group.",
        404 => "The user or group does not exist here (deleted, or never provisioned). Re-provisioning the user from OneLogin recreates it.",
        409 => "Another user already has this e-mail or userName in this account. Change or remove the duplicate, then retry in OneLogin.",
        412 => "The record changed between the IdP's read and write; the IdP retries on its own.",
        400 => "The request did not follow the SCIM rules; the detail says which attribute or value was refused.",
        s if s >= 500 => "Our fault. The server log has the details; the IdP will retry.",
        _ => "",
    }
}

/// Microseconds as milliseconds with one decimal ("0.9 ms"), without float formatting (which
/// would add its code to the WASM).
fn millis(us: i64) -> String {
    let tenths = (us.max(0) + 50) / 100;
    format!("{}.{} ms", tenths / 10, tenths % 10)
}

/// "User grace@example.com (id)", or "—" when the request had no target.
fn target_text(r: &ActivityItem) -> String {
    let parts: Vec<&str> = [
        r.resource_type.as_deref(),
        r.target.as_deref(),
        r.resource_id.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    if parts.is_empty() {
        "—".into()
    } else {
        parts.join(" ")
    }
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let param = url_params();
    let query = ActivityQuery {
        outcome: param("outcome").get_untracked(),
        method: param("method").get_untracked(),
        resource: param("resource").get_untracked(),
        before: param("before").get_untracked(),
    };
    view! {
        <Title text="Provisioning Activity"/>
        <ActivityLog query/>
    }
}

/// The page's body: an island, because the newest entries follow the live feed and a row's
/// details open in a drawer.
#[island]
fn ActivityLog(query: ActivityQuery) -> impl IntoView {
    let tick = RwSignal::new(0u64);
    let connected = RwSignal::new(false);
    let follows = query.before.is_empty();
    let q = query.clone();
    let data = Resource::new(move || tick.get(), move |_| load_activity(q.clone()));
    let selected = RwSignal::new(None::<ActivityItem>);
    // Only the newest page follows the feed; an older page stays put.
    let on_new = Callback::new(move |_| {
        if follows {
            tick.update(|t| *t += 1);
        }
    });
    Effect::new(move |_| follow_live_feed(on_new, connected));
    view! {
        <header class="page-header">
            <h1>"Provisioning Activity"</h1>
            <span class="live" role="status" aria-live="polite">
                {move || if connected.get() { view! { <span class="badge status-active">"● Live"</span> }.into_any() } else { view! { <span class="badge">"Not live: reload to update"</span> }.into_any() }}
            </span>
        </header>
        <p class="lead">"Every SCIM request from your identity provider, newest first. When OneLogin reports “provisioning failed”, the matching request here says what we answered and why."</p>
        <form method="get" action="/activity" class="filters" role="search" autocomplete="off">
            <FilterSelect name="outcome" label="Outcome" options=&OUTCOMES current=query.outcome.clone()/>
            <FilterSelect name="method" label="Method" options=&METHODS current=query.method.clone()/>
            <FilterSelect name="resource" label="Resource" options=&RESOURCES current=query.resource.clone()/>
            <button type="submit" class="button secondary">"Apply"</button>
        </form>
        <Loaded resource=data render={move |page: ActivityPage| {
            let q = query.clone();
            let older = page.older.map(|id| link("/activity", &[("outcome", &q.outcome), ("method", &q.method), ("resource", &q.resource), ("before", &id.to_string())]));
            let newest = (!q.before.is_empty()).then(|| link("/activity", &[("outcome", &q.outcome), ("method", &q.method), ("resource", &q.resource)]));
            view! {
                <ActivityTable items=page.items selected/>
                <LogPager newest older/>
            }
        }}/>
        <Show when=move || selected.get().is_some()>
            <Drawer selected/>
        </Show>
    }
}

#[component]
fn ActivityTable(
    items: Vec<ActivityItem>,
    selected: RwSignal<Option<ActivityItem>>,
) -> impl IntoView {
    let ready = hydrated();
    if items.is_empty() {
        return view! { <section class="card"><p>"No SCIM requests match. Once OneLogin is connected, its requests appear here as they happen."</p></section> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table activity">
                <caption class="visually-hidden">"SCIM requests"</caption>
                <thead><tr>
                    <th scope="col">"Time"</th><th scope="col">"Request"</th><th scope="col">"Status"</th>
                    <th scope="col">"Target"</th><th scope="col">"Client"</th><th scope="col">"Duration"</th><th scope="col"><span class="visually-hidden">"Details"</span></th>
                </tr></thead>
                <tbody>
                    {items.into_iter().map(move |r| {
                        let ok = r.outcome == "success";
                        let item = r.clone();
                        view! {
                            <tr data-id=r.id class:failed=!ok>
                                <td class="nowrap">{when(&r.at)}</td>
                                <td class="break"><code>{r.method.clone()} " " {r.path.clone()}</code></td>
                                <td><span class=if ok { "badge status-active" } else { "badge status-suspended" }>{r.status}</span></td>
                                <td class="break">{r.target.clone().or(r.resource_id.clone()).unwrap_or_else(|| "—".into())}</td>
                                <td class="break">{r.user_agent.clone().unwrap_or_else(|| "—".into())}</td>
                                <td class="nowrap">{millis(r.duration_us)}</td>
                                <td><button type="button" class="button secondary" disabled=move || !ready.get() on:click=move |_| selected.set(Some(item.clone()))>"Details"</button></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn Drawer(selected: RwSignal<Option<ActivityItem>>) -> impl IntoView {
    let close = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if let Some(b) = close.get() {
            let _ = b.focus();
        }
    });
    move || {
        selected.get().map(|r| {
        let tip = advice(r.status);
        view! {
            <aside class="drawer" role="dialog" aria-labelledby="drawer-title" on:keydown=move |ev| if ev.key() == "Escape" { selected.set(None) }>
                <header class="page-header">
                    <h2 id="drawer-title">"Request details"</h2>
                    <button type="button" class="button secondary" node_ref=close on:click=move |_| selected.set(None)>"Close"</button>
                </header>
                <dl class="facts">
                    <dt>"Time"</dt><dd>{r.at.clone()}</dd>
                    <dt>"Request"</dt><dd class="break"><code>{r.method.clone()} " " {r.path.clone()}</code></dd>
                    <dt>"We answered"</dt><dd><strong>{r.status}</strong> " (" {r.outcome.replace('_', " ")} ")"</dd>
                    <dt>"Why"</dt><dd>{r.detail.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Target"</dt><dd class="break">{target_text(&r)}</dd>
                    <dt>"API key"</dt><dd>{r.key_name.clone().unwrap_or_else(|| "none (not authenticated)".into())}</dd>
                    <dt>"Client"</dt><dd class="break">{r.user_agent.clone().unwrap_or_else(|| "—".into())}</dd>
                    <dt>"Duration"</dt><dd>{millis(r.duration_us)}</dd>
                </dl>
                {(!tip.is_empty()).then(|| view! { <p class="callout" role="note"><strong>"What to do: "</strong>{tip}</p> })}
            </aside>
        }
    })
    }
}

/// Opens the live feed for the life of the page: `on_new` runs for every batch of new
/// requests; `connected` says whether the feed is open.
fn follow_live_feed(on_new: Callback<()>, connected: RwSignal<bool>) {
    #[cfg(feature = "hydrate")]
    {
        use futures_util::StreamExt;
        use gloo_net::eventsource::futures::EventSource;
        let Ok(mut source) = EventSource::new("/live/activity") else {
            return;
        };
        let Ok(mut events) = source.subscribe("activity") else {
            return;
        };
        connected.set(true);
        let source = StoredValue::new_local(Some(source));
        on_cleanup(move || {
            source.update_value(|s| {
                if let Some(s) = s.take() {
                    s.close();
                }
            })
        });
        leptos::task::spawn_local(async move {
            while let Some(Ok(_)) = events.next().await {
                on_new.run(());
            }
            connected.try_set(false);
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (on_new, connected);
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_round_to_a_tenth_of_a_millisecond() {
        assert_eq!(super::millis(860), "0.9 ms");
        assert_eq!(super::millis(12_345), "12.3 ms");
        assert_eq!(super::millis(0), "0.0 ms");
    }
}
