//! `/signup/:token`: an invited person chooses their password (and, if they were invited by an
//! administrator rather than provisioned, their name), then lands logged in.

use crate::api::{load_signup, CompleteSignup, SignupView};
use crate::components::{
    action_errors, load_on_success, Field, FormError, LinkProblem, NamedField,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn SignupPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let view_data = Resource::new(token, load_signup);
    view! {
        <Title text="Sign up"/>
        <main id="main" class="centered">
            <Suspense fallback=|| view! { <p class="loading" role="status">"Checking your invite…"</p> }>
                {move || Suspend::new(async move {
                    match view_data.await {
                        Err(e) => view! { <LinkProblem title="This sign-up link cannot be used" error=e/> }.into_any(),
                        Ok(v) => view! {
                            <SignupForm token=token() v/>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// The sign-up form for the invite `token` (its details in `v`); once it succeeds, `/` is
/// loaded with the new session.
#[island]
fn SignupForm(token: String, v: SignupView) -> impl IntoView {
    let signup = ServerAction::<CompleteSignup>::new();
    load_on_success(signup, |_| Some("/".into()));
    let (error, field) = action_errors(signup);
    view! {
        <section class="card auth-card wide">
            <h1>"Join " {v.account_name.clone()} " on Rollcall"</h1>
            <p class="lead">"Choose a password to finish signing up. You will log in with your e-mail and this password."</p>
            <ActionForm action=signup>
                <input type="hidden" name="input[token]" value=token/>
                <div class="field">
                    <label for="signup-email">"E-mail"</label>
                    <input id="signup-email" type="email" value=v.email.clone() readonly aria-readonly="true"/>
                </div>
                {if v.names_editable {
                    view! {
                        <div class="field-row">
                            <NamedField name="input[first_name]" label="First name" value=v.first_name.clone() error=field("first_name")/>
                            <NamedField name="input[last_name]" label="Last name" value=v.last_name.clone() error=field("last_name")/>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <div class="field-row">
                            <div class="field">
                                <label for="signup-first">"First name"</label>
                                <input id="signup-first" value=v.first_name.clone() readonly aria-readonly="true"/>
                            </div>
                            <div class="field">
                                <label for="signup-last">"Last name"</label>
                                <input id="signup-last" value=v.last_name.clone() readonly aria-readonly="true"/>
                            </div>
                        </div>
                        <p class="hint">"Your name comes from your identity provider."</p>
                    }.into_any()
                }}
                <Field name="input[password]" label="Password" kind="password" autocomplete="new-password" required=true error=field("password")
                    hint="At least 12 characters, not your e-mail, not a common password."/>
                <Field name="input[password_confirm]" label="Confirm password" kind="password" autocomplete="new-password" required=true error=field("password_confirm")/>
                <FormError error/>
                <button type="submit" class="button primary" disabled=move || signup.pending().get()>
                    {move || if signup.pending().get() { "Signing up…" } else { "SIGN UP" }}
                </button>
            </ActionForm>
        </section>
    }
}
