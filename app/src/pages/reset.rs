//! `/forgot` (ask for a reset link) and `/reset/:token` (choose a new password).

use crate::api::{reset_view, CompleteReset, RequestReset};
use crate::components::{action_errors, load_on_success, Field, FormError, LinkProblem};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ForgotPage() -> impl IntoView {
    view! {
        <Title text="Forgot password"/>
        <main id="main" class="centered">
            <section class="card auth-card">
                <h1>"Forgot your password?"</h1>
                <p class="lead">"Enter the e-mail you log in with. We will send you a link to choose a new password."</p>
                <ForgotForm/>
                <p class="aside"><a href="/login">"Back to log in"</a></p>
            </section>
        </main>
    }
}

/// Asks for the link; the answer is the same for any e-mail.
#[island]
fn ForgotForm() -> impl IntoView {
    let ask = ServerAction::<RequestReset>::new();
    let (error, field) = action_errors(ask);
    let done = move || ask.value().get().and_then(Result::ok);
    view! {
        <ActionForm action=ask>
            <Field name="email" label="E-mail" kind="email" autocomplete="username" required=true error=field("email")/>
            <FormError error/>
            <div role="status" aria-live="polite" class="notice">{move || done().map(|m| view! { <p>{m}</p> })}</div>
            <button type="submit" class="button primary" disabled=move || ask.pending().get()>"Send the link"</button>
        </ActionForm>
    }
}

#[component]
pub fn ResetPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let check = Resource::new(token, reset_view);
    view! {
        <Title text="Choose a new password"/>
        <main id="main" class="centered">
            <Suspense fallback=|| view! { <p class="loading" role="status">"Checking your link…"</p> }>
                {move || Suspend::new(async move {
                    match check.await {
                        Err(e) => view! { <LinkProblem title="This reset link cannot be used" error=e/> }.into_any(),
                        Ok(email) => view! {
                            <ResetForm token=token() email/>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// The new-password form for the reset `token` of `email`; once it succeeds, `/` is loaded
/// with the new session.
#[island]
fn ResetForm(token: String, email: String) -> impl IntoView {
    let reset = ServerAction::<CompleteReset>::new();
    load_on_success(reset, |_| Some("/".into()));
    let (error, field) = action_errors(reset);
    view! {
        <section class="card auth-card">
            <h1>"Choose a new password"</h1>
            <p class="lead">"For " <strong>{email}</strong> ". Your other sessions will be logged out."</p>
            <ActionForm action=reset>
                <input type="hidden" name="token" value=token/>
                <Field name="password" label="New password" kind="password" autocomplete="new-password" required=true error=field("password")
                    hint="At least 12 characters, not your e-mail, not a common password."/>
                <Field name="password_confirm" label="Confirm password" kind="password" autocomplete="new-password" required=true error=field("password_confirm")/>
                <FormError error/>
                <button type="submit" class="button primary" disabled=move || reset.pending().get()>"Set password"</button>
            </ActionForm>
        </section>
    }
}
