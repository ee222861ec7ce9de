//! One module per page.

pub mod activity;
pub mod admin_shell;
pub mod api_keys;
pub mod audit;
pub mod groups;
pub mod login;
pub mod outbox;
pub mod profile;
pub mod reset;
pub mod scim;
pub mod settings;
pub mod setup;
pub mod signup;
pub mod sso;
pub mod user_detail;
pub mod users;

use leptos::prelude::*;
use leptos_meta::Title;

/// Any URL we do not know.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <main id="main" class="centered">
            <section class="card">
                <h1>"Page not found"</h1>
                <p>"There is nothing at this address."</p>
                <a href="/" class="button">"Go to Rollcall"</a>
            </section>
        </main>
    }
}
