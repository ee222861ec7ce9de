//! Placeholder for sidebar pages whose issues have not landed yet.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ComingNext(title: &'static str) -> impl IntoView {
    view! {
        <Title text=title/>
        <header class="page-header">
            <h1>{title}</h1>
        </header>
        <section class="card">
            <p>"This page is coming next."</p>
        </section>
    }
}
