//! `/api-keys`: bearer tokens for identity providers and scripts. A key has the permissions of
//! its groups (SCIM needs Account Administrator); its token is shown exactly once, at creation;
//! revoking stops it at once.

use crate::api::{load_api_keys, load_groups, ApiKeyRow, CreateApiKey, GroupSummary, RevokeApiKey};
use crate::components::{
    action_errors, hydrated, load_on_success, when, when_or, Confirm, CopyValue, Field, FormError,
    Loaded, NamedField, StatusBadge,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let keys = Resource::new(|| (), |_| load_api_keys());
    view! {
        <Title text="API Keys"/>
        <ApiKeysHeader/>
        <Loaded resource=keys render={move |keys: Vec<ApiKeyRow>| {
            if keys.is_empty() {
                return view! { <section class="card"><p>"No API keys yet. Create one for your identity provider."</p></section> }.into_any();
            }
            view! {
                <div class="table-wrap">
                    <table class="table">
                        <caption class="visually-hidden">"API keys"</caption>
                        <thead><tr>
                            <th scope="col">"Name"</th><th scope="col">"Key"</th><th scope="col">"Groups"</th><th scope="col">"Created"</th>
                            <th scope="col">"Expires"</th><th scope="col">"Last used"</th><th scope="col">"Status"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th>
                        </tr></thead>
                        <tbody>
                            {keys.into_iter().map(|k| view! {
                                <tr data-key=k.id.clone()>
                                    <td>{k.name.clone()}</td>
                                    <td><code>{k.prefix.clone()}</code></td>
                                    <td>{k.groups.join(", ")}</td>
                                    <td>{when(&k.created_at)}<br/><span class="muted">{k.created_by.clone().unwrap_or_else(|| "command line".into())}</span></td>
                                    <td>{when_or(&k.expires_at, "Never")}</td>
                                    <td>{when_or(&k.last_used_at, "Never")}</td>
                                    <td><StatusBadge status=k.status.clone()/></td>
                                    <td>{(k.status == "active").then(|| view! { <RevokeKey id=k.id.clone() name=k.name.clone()/> })}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}/>
    }
}

/// The title, "Create API key" and its form, then the new token (shown once).
#[island]
fn ApiKeysHeader() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let show_create = RwSignal::new(false);
    let ready = hydrated();
    view! {
        <header class="page-header">
            <h1>"API Keys"</h1>
            <button type="button" class="button accent" disabled=move || !ready.get() aria-expanded=move || show_create.get().to_string() on:click=move |_| show_create.update(|v| *v = !*v)>
                "Create API key"
            </button>
        </header>
        <p class="lead">"An identity provider authenticates to SCIM with an API key as its bearer token. The key has the permissions of its groups."</p>
        <Show when=move || show_create.get() || create.value().get().is_some()>
            <NewKeyForm create default_name=""/>
        </Show>
    }
}

/// "Revoke" on an active key's row, after a confirmation; the list loads again.
#[island]
fn RevokeKey(id: String, name: String) -> impl IntoView {
    let revoke = ServerAction::<RevokeApiKey>::new();
    load_on_success(revoke, |_| None);
    let (error, _) = action_errors(revoke);
    let on_confirm = Callback::new(move |_| {
        revoke.dispatch(RevokeApiKey { id: id.clone() });
    });
    view! {
        <Confirm label="Revoke" danger=true question=format!("Revoke “{name}”? Requests with it are refused at once; this cannot be undone.") on_confirm pending=revoke.pending()/>
        <FormError error/>
    }
}

const EXPIRIES: [(&str, &str); 5] = [
    ("30", "30 days"),
    ("90", "90 days"),
    ("180", "180 days"),
    ("custom", "Custom…"),
    ("never", "Never"),
];

/// The create dialog, then the new token — shown once, with a copy button and a warning.
/// Used here and on the SCIM page ("create a token for OneLogin").
#[component]
pub fn NewKeyForm(create: ServerAction<CreateApiKey>, default_name: &'static str) -> impl IntoView {
    let groups = Resource::new(|| (), |_| load_groups());
    let (error, field) = action_errors(create);
    let created = move || create.value().get().and_then(Result::ok);
    view! {
        // Only a success replaces the form: after an error the form stays as the person left it.
        <Show
            when=move || created().is_some()
            fallback=move || view! {
                <section class="card panel" role="region" aria-labelledby="new-key-title">
                    <h2 id="new-key-title">"New API key"</h2>
                    <ActionForm action=create>
                        <NamedField name="input[name]" id="key-name" label="Name" value=default_name.to_string() error=field("name")/>
                        <fieldset class="checks">
                            <legend>"Groups (the key gets their permissions)"</legend>
                            <Loaded resource=groups render={|groups: Vec<GroupSummary>| groups.into_iter().map(|g| view! {
                                <label class="check"><input type="checkbox" name="input[groups][]" value=g.id.clone() checked=g.builtin/> {g.name.clone()}</label>
                            }).collect_view()}/>
                            <p class="hint">"SCIM provisioning needs " <strong>"Account Administrator"</strong> "."</p>
                            <p class="field-error" role="alert">{field("groups")}</p>
                        </fieldset>
                        <div class="field-row">
                            <div class="field">
                                <label for="key-expiry">"Expires after"</label>
                                <select id="key-expiry" name="input[expiry]">
                                    {EXPIRIES.iter().map(|(v, t)| view! { <option value=*v selected=*v == "180">{*t}</option> }).collect_view()}
                                </select>
                                <p class="field-error" role="alert">{field("expiry")}</p>
                            </div>
                            <Field name="input[custom_days]" id="key-custom-days" label="Custom: days" kind="number" hint="Only with “Custom…”, 1 to 3650." error=field("custom_days")/>
                        </div>
                        <FormError error/>
                        <button type="submit" class="button accent" disabled=move || create.pending().get()>
                            {move || if create.pending().get() { "Creating…" } else { "Create key" }}
                        </button>
                    </ActionForm>
                </section>
            }
        >
            {move || created().map(|key| view! {
                <section class="card panel token-once" role="region" aria-labelledby="token-title">
                    <h2 id="token-title">{format!("Your new key “{}”", key.name)}</h2>
                    <p class="callout warning" role="alert"><strong>"Copy the token now. "</strong>"It is shown only this once; Rollcall keeps only a hash of it. If you lose it, revoke the key and create another."</p>
                    <CopyValue label="Bearer token" value=key.token.clone()/>
                    <p class="hint">{key.expires_at.as_deref().map_or_else(|| "It never expires.".to_string(), |t| format!("It expires {}.", when(t)))}
                        " In OneLogin paste it as " <strong>"SCIM Bearer Token"</strong> "."</p>
                    <p><a class="button secondary" href="/api-keys">"Done: show all keys"</a></p>
                </section>
            })}
        </Show>
    }
}
