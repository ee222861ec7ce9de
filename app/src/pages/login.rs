//! `/login`: e-mail and password.

use crate::api::{whoami, Login, Viewer};
use crate::components::{action_errors, load_on_success, Field, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

#[component]
pub fn LoginPage() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    view! {
        <Title text="Log in"/>
        <Suspense>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Viewer::SetupRequired) | Ok(Viewer::LoggedIn(_)) => {
                        Some(view! { <Redirect path="/"/> })
                    }
                    _ => None,
                }
            })}
        </Suspense>
        <main id="main" class="centered">
            <section class="card auth-card">
                <h1>"Log in to Rollcall"</h1>
                <LoginForm/>
                <p class="aside"><a href="/forgot">"Forgot password?"</a></p>
                <p class="aside"><a href="/sso" rel="external">"Log in with single sign-on"</a></p>
            </section>
        </main>
    }
}

/// The form: the page around it is server-rendered; this island posts the log-in and, once it
/// succeeds, loads `/` (the session changed for every part of the page).
#[island]
fn LoginForm() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    load_on_success(login, |_| Some("/".into()));
    let (error, field) = action_errors(login);
    view! {
        <ActionForm action=login>
            <Field name="email" label="E-mail" kind="email" autocomplete="username" required=true error=field("email")/>
            <Field name="password" label="Password" kind="password" autocomplete="current-password" required=true error=field("password")/>
            <FormError error/>
            <button type="submit" class="button primary" disabled=move || login.pending().get()>
                {move || if login.pending().get() { "Logging in…" } else { "Log in" }}
            </button>
        </ActionForm>
    }
}
