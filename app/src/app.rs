//! The HTML shell, the router and the access gate every page goes through.

use crate::api::{whoami, CurrentUser, Viewer};
use crate::components::ErrorPanel;
use crate::pages::{
    activity::ActivityPage,
    admin_shell::AdminShell,
    api_keys::ApiKeysPage,
    audit::AuditPage,
    groups::{GroupDetailPage, GroupsPage},
    login::LoginPage,
    outbox::OutboxPage,
    profile::ProfilePage,
    reset::{ForgotPage, ResetPage},
    scim::ScimPage,
    settings::SettingsPage,
    setup::SetupPage,
    signup::SignupPage,
    sso::SsoPage,
    user_detail::UserDetailPage,
    users::UsersPage,
    NotFound,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{ParentRoute, Redirect, Route, Router, Routes},
    path, SsrMode,
};

/// The document around the app, rendered by the server for every page. The stylesheet is
/// linked here, by the same content-hashed output name as the scripts (see the server's
/// `assets`), so that it can be cached for good.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let stylesheet = format!("/{}/{}.css", options.site_pkg_dir, options.output_name);
    #[cfg(feature = "ssr")]
    crate::backend::content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" href=stylesheet/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|text: String| if text.is_empty() { "Rollcall".to_string() } else { format!("{text} · Rollcall") }/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/signup/:token") view=SignupPage ssr=SsrMode::Async/>
                <Route path=path!("/forgot") view=ForgotPage ssr=SsrMode::Async/>
                <Route path=path!("/reset/:token") view=ResetPage ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=Gate ssr=SsrMode::Async>
                    <Route path=path!("") view=Home ssr=SsrMode::Async/>
                    <Route path=path!("/users") view=UsersPage ssr=SsrMode::Async/>
                    <Route path=path!("/users/:id") view=UserDetailPage ssr=SsrMode::Async/>
                    <Route path=path!("/groups") view=GroupsPage ssr=SsrMode::Async/>
                    <Route path=path!("/groups/:id") view=GroupDetailPage ssr=SsrMode::Async/>
                    <Route path=path!("/api-keys") view=ApiKeysPage ssr=SsrMode::Async/>
                    <Route path=path!("/scim") view=ScimPage ssr=SsrMode::Async/>
                    <Route path=path!("/single-sign-on") view=SsoPage ssr=SsrMode::Async/>
                    <Route path=path!("/activity") view=ActivityPage ssr=SsrMode::Async/>
                    <Route path=path!("/audit") view=AuditPage ssr=SsrMode::Async/>
                    <Route path=path!("/settings") view=SettingsPage ssr=SsrMode::Async/>
                    <Route path=path!("/outbox") view=OutboxPage ssr=SsrMode::Async/>
                    <Route path=path!("/profile") view=ProfilePage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
        <HydratedMark/>
    }
}

/// The last island of every page. Islands hydrate in document order, one after the other, so
/// when this one runs every island above it is interactive: it marks the body for tests (and
/// anyone curious) with `data-hydrated`.
#[island]
fn HydratedMark() -> impl IntoView {
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// Every page but log-in goes through here: first-run set-up when there is no account yet,
/// the log-in page without a session, the administrator's shell or the member's profile.
#[component]
fn Gate() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    view! {
        <Suspense fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Viewer::SetupRequired) => view! { <SetupPage/> }.into_any(),
                    Ok(Viewer::Anonymous) => view! { <Redirect path="/login"/> }.into_any(),
                    Ok(Viewer::LoggedIn(user)) => {
                        provide_context(user.clone());
                        if user.is_admin {
                            view! { <AdminShell user/> }.into_any()
                        } else {
                            view! { <MemberShell user/> }.into_any()
                        }
                    }
                    Err(error) => view! { <ErrorPanel error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `/`: administrators start on Users, members on their profile.
#[component]
fn Home() -> impl IntoView {
    let is_admin = use_context::<CurrentUser>()
        .map(|u| u.is_admin)
        .unwrap_or(false);
    if is_admin {
        view! { <Redirect path="/users"/> }.into_any()
    } else {
        view! { <Redirect path="/profile"/> }.into_any()
    }
}

/// A logged-in person who is not an administrator only has their profile.
#[component]
fn MemberShell(user: CurrentUser) -> impl IntoView {
    view! {
        <Title text="Your profile"/>
        <div class="member-layout">
            <header class="topbar">
                <span class="brand">"Rollcall"</span>
                <crate::components::LogoutButton/>
            </header>
            <main id="main" class="content narrow">
                <crate::pages::profile::ProfileCard user/>
            </main>
        </div>
    }
}
