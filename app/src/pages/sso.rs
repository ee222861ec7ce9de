//! `/single-sign-on`: SAML set-up for the account — the values to paste into OneLogin (or Okta,
//! Entra), the IdP trusted (its certificates, with expiry warnings), the switches (on, enforced)
//! and the recent sign-on attempts with why each failed. "Test sign-on" opens the real round
//! trip in a new tab (`/saml/account/{id}/test`, served by the SAML door).

use crate::api::{load_sso_setup, ConfigureSso, SsoAttempt, SsoIdp};
use crate::components::{action_errors, load_on_success, when, CopyField, ErrorPanel, FormError};
use leptos::prelude::*;
use leptos_meta::Title;

/// The settings' fields: with metadata pasted, a problem with any of them is the metadata's
/// and shows under its text area; typed by hand, each shows under its own field.
const SETTINGS_FIELDS: [&str; 3] = ["entity_id", "sso_url", "certificates"];
/// The largest metadata file the upload button reads (the server refuses more too).
const UPLOAD_MAX_BYTES: f64 = 256.0 * 1024.0;

/// Reads the file chosen in `ev`'s input into `into` (the metadata text area); too big or
/// unreadable files say so in `problem`.
fn read_upload(ev: leptos::ev::Event, into: RwSignal<String>, problem: RwSignal<Option<String>>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let input = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        let Some(file) = input.and_then(|i| i.files()).and_then(|f| f.get(0)) else {
            return;
        };
        if file.size() > UPLOAD_MAX_BYTES {
            problem.set(Some(
                "This file is too large to be IdP metadata (at most 256 KB).".into(),
            ));
            return;
        }
        problem.set(None);
        leptos::task::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(text) => into.set(text.as_string().unwrap_or_default()),
                Err(_) => problem.set(Some("The file could not be read.".into())),
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, into, problem, UPLOAD_MAX_BYTES);
}

#[component]
fn TrustedIdp(idp: Option<SsoIdp>) -> impl IntoView {
    let Some(idp) = idp else {
        return view! { <p class="muted">"No identity provider yet: paste its metadata below."</p> }.into_any();
    };
    let state = match (idp.enabled, idp.enforced) {
        (false, _) => "Off",
        (true, false) => "On — passwords still work",
        (true, true) => "On and enforced — people your IdP manages log in only through it; manual administrators keep their password",
    };
    view! {
        <dl class="facts">
            <dt>"Single sign-on"</dt><dd data-sso-state=state>{state}</dd>
            <dt>"IdP entity id"</dt><dd><code>{idp.entity_id.clone()}</code></dd>
            <dt>"SSO URL"</dt><dd><code>{idp.sso_url.clone()}</code></dd>
            {idp.certificates.into_iter().map(|c| {
                let warning = if c.expired {
                    Some("Expired: sign-on fails until you upload the IdP's new certificate.")
                } else if c.expires_soon {
                    Some("Expires within 30 days: add the IdP's next certificate (metadata listing both) before then.")
                } else {
                    None
                };
                view! {
                    <dt>"Certificate"</dt>
                    <dd>
                        {c.subject.clone()} <br/>
                        <span class="muted">"SHA-256 " <code class="break">{c.fingerprint.clone()}</code></span><br/>
                        <span>"Expires " {when(&c.not_after)}</span>
                        {warning.map(|w| view! { <p class="callout warning" role="alert">{w}</p> })}
                    </dd>
                }
            }).collect_view()}
            <dt>"Changed"</dt><dd>{when(&idp.updated_at)}</dd>
        </dl>
    }
    .into_any()
}

#[component]
fn Attempts(attempts: Vec<SsoAttempt>) -> impl IntoView {
    if attempts.is_empty() {
        return view! { <p class="muted">"No sign-on attempt yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap flat">
            <table class="table">
                <caption class="visually-hidden">"Recent sign-on attempts"</caption>
                <thead><tr>
                    <th scope="col">"When"</th><th scope="col">"Outcome"</th><th scope="col">"Who"</th><th scope="col">"Detail"</th>
                </tr></thead>
                <tbody>
                    {attempts.into_iter().map(|a| view! {
                        <tr data-success=a.success.to_string() data-test=a.test.to_string()>
                            <td class="nowrap">{when(&a.at)}</td>
                            <td>{match (a.test, a.success) {
                                (true, true) => "Test passed",
                                (true, false) => "Test failed",
                                (false, true) => "Logged in",
                                (false, false) => "Refused",
                            }}</td>
                            <td class="break">{a.name_id.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{a.reason.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn SsoPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| load_sso_setup());
    view! {
        <Title text="Single Sign-On"/>
        <header class="page-header"><h1>"Single Sign-On"</h1></header>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    Ok(s) => {
                        // A first set-up starts off: test it, then switch it on.
                        let (enabled, enforced) = s.idp.as_ref().map(|i| (i.enabled, i.enforced)).unwrap_or((false, false));
                        let test_url = format!("/saml/account/{}/test", s.account_id);
                        let has_idp = s.idp.is_some();
                        view! {
                            <section class="card stack">
                                <h2>"What your identity provider needs"</h2>
                                <CopyField label="Audience (EntityID)" value=s.entity_id.clone()/>
                                <CopyField label="ACS (Consumer) URL and Recipient" value=s.acs_url.clone()/>
                                <CopyField label="ACS (Consumer) URL Validator" value=s.acs_validator.clone()/>
                                <CopyField label="SP metadata URL" value=s.metadata_url.clone()/>
                            </section>
                            <section class="card stack">
                                <h2>"Set up OneLogin"</h2>
                                <ol class="steps">
                                    <li>"Add the app " <strong>"SAML Custom Connector (Advanced)"</strong> " (or use the SCIM app's SSO tab)."</li>
                                    <li>"Configuration: paste " <strong>"Audience (EntityID)"</strong> ", " <strong>"Recipient"</strong> " and " <strong>"ACS (Consumer) URL"</strong> " (the same URL), and the " <strong>"ACS (Consumer) URL Validator"</strong> " from above."</li>
                                    <li><strong>"SAML nameID format"</strong> ": Email. " <strong>"SAML signature element"</strong> ": Assertion (or Both). " <strong>"SAML initiator"</strong> ": OneLogin (the app tile) or Service Provider — both work."</li>
                                    <li>"SSO tab: set " <strong>"SAML Signature Algorithm"</strong> " to " <strong>"SHA-256"</strong> " (OneLogin's default, SHA-1, is refused)."</li>
                                    <li>"SSO tab → More Actions → " <strong>"SAML Metadata"</strong> ": download it and paste it below."</li>
                                </ol>
                                <p>"Okta: Single sign-on URL = the ACS URL, Audience URI = the Audience, Name ID format EmailAddress, SHA-256. Entra: Identifier = the Audience, Reply URL = the ACS URL, then download the Federation Metadata XML."</p>
                                <p class="hint">"People log in with the e-mail (or userName) they have here; the IdP's NameID must be that address. From the shell: " <code>"rollcall saml show --account " {s.account_id.clone()}</code></p>
                            </section>
                            <section class="card stack">
                                <h2>"Your identity provider"</h2>
                                <TrustedIdp idp=s.idp.clone()/>
                                {has_idp.then(|| view! {
                                    <div class="stack">
                                        <p><a class="button secondary" href=test_url.clone() target="_blank" rel="external noopener">"Test sign-on"</a></p>
                                        <p class="hint">"Opens a new tab, logs you in at your IdP and shows every check Rollcall makes (signature, issuer, audience, recipient, time, user) — nobody is logged in here. It works while single sign-on is off: test, then switch it on. The result is also listed under Recent sign-on attempts."</p>
                                    </div>
                                })}
                                <SsoForm enabled enforced/>
                            </section>
                            <section class="card stack">
                                <h2>"Recent sign-on attempts"</h2>
                                <Attempts attempts=s.attempts.clone()/>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The IdP's metadata (pasted or uploaded) or its values by hand, and the switches. Saved, the
/// page loads again with the new IdP (and an empty text area).
#[island]
fn SsoForm(enabled: bool, enforced: bool) -> impl IntoView {
    let save = ServerAction::<ConfigureSso>::new();
    load_on_success(save, |_| None);
    let (error, _) = action_errors(save);
    let metadata = RwSignal::new(String::new());
    let upload_problem = RwSignal::new(None::<String>);
    let metadata_error = Signal::derive(move || {
        let e = error.get()?;
        let pasted = !metadata.get().trim().is_empty();
        e.field_message("idp_metadata").or_else(|| {
            pasted
                .then(|| SETTINGS_FIELDS.iter().find_map(|f| e.field_message(f)))
                .flatten()
        })
    });
    let by_hand_error = move |field: &'static str| {
        Signal::derive(move || {
            if metadata.get().trim().is_empty() {
                error.get().and_then(|e| e.field_message(field))
            } else {
                None
            }
        })
    };
    view! {
        <ActionForm action=save>
            <div class="field">
                <label for="sso-metadata">"IdP metadata (XML)"</label>
                <textarea id="sso-metadata" name="input[idp_metadata]" rows="6" spellcheck="false"
                    placeholder="<md:EntityDescriptor …" aria-describedby="sso-metadata-hint"
                    prop:value=move || metadata.get()
                    on:input=move |ev| metadata.set(event_target_value(&ev))></textarea>
                <p id="sso-metadata-hint" class="hint">"Paste it, or choose the file you downloaded. Leave everything empty to keep the current IdP and change only the switches. Metadata listing two certificates trusts both (a rollover)."</p>
                <p class="field-error" role="alert">{metadata_error}</p>
            </div>
            <div class="field">
                <label for="sso-metadata-file">"Or upload the metadata file"</label>
                <input id="sso-metadata-file" type="file" accept=".xml,application/xml,text/xml,application/samlmetadata+xml"
                    on:change=move |ev| read_upload(ev, metadata, upload_problem)/>
                <p class="field-error" role="alert">{move || upload_problem.get()}</p>
            </div>
            <details class="by-hand">
                <summary>"No metadata? Enter the IdP's values by hand"</summary>
                <div class="field">
                    <label for="sso-entity-id">"IdP entity id (OneLogin: Issuer URL)"</label>
                    <input id="sso-entity-id" name="input[entity_id]" spellcheck="false" maxlength="1024"/>
                    <p class="field-error" role="alert">{by_hand_error("entity_id")}</p>
                </div>
                <div class="field">
                    <label for="sso-url">"SSO URL (OneLogin: SAML 2.0 Endpoint (HTTP))"</label>
                    <input id="sso-url" name="input[sso_url]" type="url" spellcheck="false" maxlength="2048"/>
                    <p class="field-error" role="alert">{by_hand_error("sso_url")}</p>
                </div>
                <div class="field">
                    <label for="sso-certificate">"Signing certificate (PEM; two for a rollover)"</label>
                    <textarea id="sso-certificate" name="input[certificate]" rows="5" spellcheck="false"
                        placeholder="-----BEGIN CERTIFICATE-----"></textarea>
                    <p class="field-error" role="alert">{by_hand_error("certificates")}</p>
                </div>
            </details>
            <fieldset class="checks">
                <legend>"Switches"</legend>
                <label class="check"><input type="checkbox" name="input[enabled]" checked=enabled/> "Single sign-on on"</label>
                <label class="check"><input type="checkbox" name="input[enforced]" checked=enforced/> "Enforce: people your IdP manages log in only through it (manual administrators keep their password)"</label>
            </fieldset>
            <FormError error/>
            <button type="submit" class="button accent" disabled=move || save.pending().get()>
                {move || if save.pending().get() { "Saving…" } else { "Save" }}
            </button>
        </ActionForm>
    }
}
