//! "Your profile": what a logged-in person who is not an administrator sees.

use crate::api::CurrentUser;
use leptos::prelude::*;
use leptos_meta::Title;

/// `/profile` inside the administrator shell.
#[component]
pub fn ProfilePage() -> impl IntoView {
    let user = use_context::<CurrentUser>();
    view! {
        <Title text="Your profile"/>
        {user.map(|user| view! { <ProfileCard user/> })}
    }
}

#[component]
pub fn ProfileCard(user: CurrentUser) -> impl IntoView {
    view! {
        <header class="page-header">
            <h1>"Your profile"</h1>
        </header>
        <section class="card">
            <dl class="facts">
                <dt>"Name"</dt>
                <dd>{user.display_name()}</dd>
                <dt>"E-mail"</dt>
                <dd>{user.email.clone()}</dd>
                <dt>"Account"</dt>
                <dd>{user.account_name.clone()}</dd>
                <dt>"Role"</dt>
                <dd>{if user.is_admin { "Account Administrator" } else { "Member" }}</dd>
            </dl>
        </section>
    }
}
