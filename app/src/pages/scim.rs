//! `/scim`: what an IdP administrator needs to connect OneLogin (or Okta, Entra): the SCIM base
//! URL, how to get a bearer token, the provisioning settings, and how the connection is doing.

use crate::api::{load_scim_setup, CreateApiKey, ScimRequestBrief};
use crate::components::{hydrated, CopyField, ErrorPanel};
use crate::pages::api_keys::NewKeyForm;
use leptos::prelude::*;
use leptos_meta::Title;

fn request_line(r: Option<ScimRequestBrief>, none: &'static str) -> AnyView {
    match r {
        None => view! { <span class="muted">{none}</span> }.into_any(),
        Some(r) => view! {
            <span>
                <code>{r.method} " " {r.path}</code> " → " <strong>{r.status}</strong>
                <span class="muted">" · " {r.at.get(..19).unwrap_or(&r.at).replace('T', " ")} " UTC"</span>
                {r.detail.map(|d| view! { <br/><span class="field-error">{d}</span> })}
            </span>
        }.into_any(),
    }
}

#[component]
pub fn ScimPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_scim_setup());
    view! {
        <Title text="SCIM Provisioning"/>
        <header class="page-header"><h1>"SCIM Provisioning"</h1></header>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    Ok(s) => view! {
                        <section class="card stack">
                            <h2>"Connection"</h2>
                            <CopyField label="SCIM Base URL" value=s.base_url.clone()/>
                            <dl class="facts">
                                <dt>"Last request"</dt><dd>{request_line(s.last_request, "No request yet: the identity provider has not connected.")}</dd>
                                <dt>"Last success"</dt><dd>{request_line(s.last_success, "None yet.")}</dd>
                                <dt>"Last failure"</dt><dd>{request_line(s.last_failure, "None.")}</dd>
                            </dl>
                        </section>
                        <section class="card stack">
                            <h2>"Bearer token"</h2>
                            <p>"OneLogin authenticates with an API key that inherits the Account Administrator group. Manage all keys under " <a href="/api-keys">"API Keys"</a> "."</p>
                            <OneLoginToken/>
                        </section>
                        <section class="card stack">
                            <h2>"Set up OneLogin"</h2>
                            <ol class="steps">
                                <li>"In OneLogin, add a SCIM provisioner app (SCIM Provisioner with SAML, SCIM v2 Core)."</li>
                                <li>"Configuration → " <strong>"SCIM Base URL"</strong> ": paste the URL above."</li>
                                <li>"Create a bearer token that inherits the " <strong>"Account Administrator"</strong> " group with "
                                    <strong>"Create a token for OneLogin"</strong> " below (or " <code>"rollcall api-key create --account " {s.account_id.clone()} " --name OneLogin"</code>
                                    "). It is shown once. Paste it as " <strong>"SCIM Bearer Token"</strong> "."</li>
                                <li>"Enable the " <strong>"API connection"</strong> " and save."</li>
                                <li>"Provisioning → Workflow: enable provisioning, " <strong>"Create user"</strong> ", " <strong>"Delete user"</strong> ", " <strong>"Update user"</strong>
                                    "; when users are deleted in OneLogin or lose the app: " <strong>"Delete"</strong> "; when they are suspended: " <strong>"Suspend"</strong> "."</li>
                                <li>"Assign users to the app with " <strong>"SCIM Username"</strong> " = their e-mail. Only first name, last name and e-mail are used."</li>
                                <li>"Provisioned users appear under Users as Invited and get an invite e-mail; they become Active when they sign up."</li>
                            </ol>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// "Create a token for OneLogin": the new-key form with that name, then the token (shown once).
#[island]
fn OneLoginToken() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let show_create = RwSignal::new(false);
    let ready = hydrated();
    view! {
        <div class="actions">
            <button type="button" class="button accent" disabled=move || !ready.get() aria-expanded=move || show_create.get().to_string() on:click=move |_| show_create.set(true)>"Create a token for OneLogin"</button>
        </div>
        <Show when=move || show_create.get()>
            <NewKeyForm create default_name="OneLogin"/>
        </Show>
    }
}
