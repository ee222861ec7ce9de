//! `/outbox`: every mail Rollcall sent or keeps, for administrators. Without SMTP this is where
//! invite and reset links are found.

use crate::api::load_outbox;
use crate::components::ErrorPanel;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OutboxPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_outbox());
    view! {
        <Title text="Outbox"/>
        <header class="page-header"><h1>"Outbox"</h1></header>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    Ok(o) => view! {
                        <p class="lead">
                            {if o.mode == "smtp" {
                                "Mail is sent through your SMTP server; failed deliveries are retried with back-off."
                            } else {
                                "No SMTP server is configured (ROLLCALL_SMTP_URL), so mail is kept here: copy the links to the people they are for."
                            }}
                        </p>
                        {if o.items.is_empty() {
                            view! { <section class="card"><p>"No mail yet."</p></section> }.into_any()
                        } else {
                            view! {
                                <ul class="mail-list">
                                    {o.items.into_iter().map(|m| view! {
                                        <li class="card mail">
                                            <details>
                                                <summary>
                                                    <span class=format!("badge status-{}", m.status)>{m.status.clone()}</span>
                                                    " " <strong>{m.subject.clone()}</strong> " → " {m.to.clone()}
                                                    <span class="muted">" · " {m.created_at.clone()}</span>
                                                </summary>
                                                {m.last_error.clone().map(|e| view! { <p class="form-error">"Last error (attempt " {m.attempts} "): " {e}</p> })}
                                                <pre class="mail-text">{m.text.clone()}</pre>
                                            </details>
                                        </li>
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
