//! `/settings`: the account, how the server is reached, how mail leaves, session lifetime.

use crate::api::load_settings;
use crate::components::{CopyField, ErrorPanel};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_settings());
    view! {
        <Title text="Settings"/>
        <header class="page-header"><h1>"Settings"</h1></header>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    Ok(s) => view! {
                        <section class="card stack">
                            <h2>"Account"</h2>
                            <dl class="facts"><dt>"Name"</dt><dd>{s.account_name.clone()}</dd></dl>
                            <CopyField label="Account ID" value=s.account_id.clone()/>
                        </section>
                        <section class="card stack">
                            <h2>"Server"</h2>
                            <dl class="facts">
                                <dt>"Public URL"</dt><dd><code>{s.public_url.clone()}</code></dd>
                                <dt>"Mail"</dt>
                                <dd>
                                    {if s.mail_mode == "smtp" { "Sent through SMTP (ROLLCALL_SMTP_URL)." } else { "No SMTP configured: mail is kept in the " }}
                                    {(s.mail_mode != "smtp").then(|| view! { <a href="/outbox">"Outbox"</a> "." })}
                                </dd>
                                <dt>"Sessions"</dt><dd>{format!("End after {} hours without activity.", s.session_hours)}</dd>
                                <dt>"Invites"</dt><dd>{format!("Links are valid {} days.", s.invite_days)}</dd>
                            </dl>
                            <p class="hint">"These are set when the server starts (flags, ROLLCALL_* environment, or the --config file)."</p>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
