//! First run: creates the account and its first administrator. Guarded by the one-time code
//! the server prints in its log, so a freshly exposed server cannot be claimed by a stranger.

use crate::api::CompleteSetup;
use crate::components::{action_errors, load_on_success, Field, FormError};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SetupPage() -> impl IntoView {
    view! {
        <Title text="Set up Rollcall"/>
        <main id="main" class="centered">
            <section class="card auth-card wide">
                <h1>"Welcome to Rollcall"</h1>
                <p class="lead">
                    "Create your account and its first administrator. The set-up code is printed in the server's log (and by "
                    <code>"make run"</code> ")."
                </p>
                <SetupForm/>
            </section>
        </main>
    }
}

/// The set-up form; once the account exists, `/` is loaded with the new session.
#[island]
fn SetupForm() -> impl IntoView {
    let setup = ServerAction::<CompleteSetup>::new();
    load_on_success(setup, |_| Some("/".into()));
    let (error, field) = action_errors(setup);
    view! {
        <ActionForm action=setup>
            <Field name="input[setup_code]" label="Set-up code" autocomplete="off" required=true error=field("setup_code")
                hint="From the server log: “First run: set-up code …”."/>
            <Field name="input[account_name]" label="Account name" autocomplete="organization" required=true error=field("account_name")
                hint="Your company or team, shown to the people you invite."/>
            <div class="field-row">
                <Field name="input[first_name]" label="First name" autocomplete="given-name" error=field("first_name")/>
                <Field name="input[last_name]" label="Last name" autocomplete="family-name" error=field("last_name")/>
            </div>
            <Field name="input[email]" label="Your e-mail" kind="email" autocomplete="username" required=true error=field("email")/>
            <Field name="input[password]" label="Password" kind="password" autocomplete="new-password" required=true error=field("password")
                hint="At least 12 characters, not your e-mail, not a common password."/>
            <Field name="input[password_confirm]" label="Confirm password" kind="password" autocomplete="new-password" required=true error=field("password_confirm")/>
            <FormError error/>
            <button type="submit" class="button primary" disabled=move || setup.pending().get()>
                {move || if setup.pending().get() { "Creating…" } else { "Create account" }}
            </button>
        </ActionForm>
    }
}
