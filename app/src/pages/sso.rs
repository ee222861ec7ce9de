//! `/single-sign-on`: SAML set-up for the account — the values to paste into OneLogin (or Okta,
//! Entra), the IdP trusted (its certificates, with expiry warnings), the switches (on, enforced)
//! and the recent sign-on attempts with why each failed.

use crate::api::{load_sso_setup, ConfigureSso, SsoAttempt, SsoIdp};
use crate::components::{successes, when, CopyField, ErrorPanel, FormError};
use leptos::prelude::*;
use leptos_meta::Title;

/// The IdP form's fields; a problem with the metadata's content is shown under the text area.
const METADATA_FIELDS: [&str; 4] = ["idp_metadata", "entity_id", "sso_url", "certificates"];

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
                        <tr data-success=a.success.to_string()>
                            <td class="nowrap">{when(&a.at)}</td>
                            <td>{if a.success { "Logged in" } else { "Refused" }}</td>
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
    let save = ServerAction::<ConfigureSso>::new();
    let saved = successes(save);
    let data = Resource::new(move || saved.get(), |_| load_sso_setup());
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let metadata_error = Signal::derive(move || {
        error
            .get()
            .and_then(|e| METADATA_FIELDS.iter().find_map(|f| e.field_message(f)))
    });
    view! {
        <Title text="Single Sign-On"/>
        <header class="page-header"><h1>"Single Sign-On"</h1></header>
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    Ok(s) => {
                        let (enabled, enforced) = s.idp.as_ref().map(|i| (i.enabled, i.enforced)).unwrap_or((true, false));
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
                                <ActionForm action=save>
                                    <div class="field">
                                        <label for="sso-metadata">"IdP metadata (XML)"</label>
                                        <textarea id="sso-metadata" name="input[idp_metadata]" rows="6" spellcheck="false"
                                            placeholder="<md:EntityDescriptor …" aria-describedby="sso-metadata-hint"></textarea>
                                        <p id="sso-metadata-hint" class="hint">"Leave empty to keep the current IdP and change only the switches. Metadata listing two certificates trusts both (a rollover)."</p>
                                        <p class="field-error" role="alert">{metadata_error}</p>
                                    </div>
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
