//! The Access Management shell: sidebar navigation around the administrator's pages.

use crate::api::CurrentUser;
use crate::components::LogoutButton;
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

const NAV: [(&str, &str); 9] = [
    ("/users", "Users"),
    ("/groups", "User Groups"),
    ("/api-keys", "API Keys"),
    ("/scim", "SCIM Provisioning"),
    ("/single-sign-on", "Single Sign-On"),
    ("/activity", "Provisioning Activity"),
    ("/audit", "Audit Log"),
    ("/settings", "Settings"),
    ("/outbox", "Outbox"),
];

#[component]
pub fn AdminShell(user: CurrentUser) -> impl IntoView {
    let name = user.display_name();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="shell">
            <aside class="sidebar">
                <div class="brand">
                    <span class="brand-name">"Rollcall"</span>
                    <span class="account-name">{user.account_name.clone()}</span>
                </div>
                <nav aria-label="Access Management">
                    <ul>
                        {NAV
                            .iter()
                            .map(|(href, label)| {
                                view! {
                                    <li>
                                        <A href=*href>{*label}</A>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </nav>
                <div class="whoami">
                    <span class="user-name">{name}</span>
                    <span class="user-email">{user.email.clone()}</span>
                    <LogoutButton/>
                </div>
            </aside>
            <main id="main" class="content">
                // Pages show their own loading and error states; this catches anything else.
                <ErrorBoundary fallback=|errors| view! {
                    <section class="error-panel" role="alert">
                        <h1>"Something went wrong"</h1>
                        <ul>
                            {move || errors.get().into_iter().map(|(_, e)| view! { <li>{e.to_string()}</li> }).collect_view()}
                        </ul>
                        <a href="/">"Reload Rollcall"</a>
                    </section>
                }>
                    <Outlet/>
                </ErrorBoundary>
            </main>
        </div>
    }
}
