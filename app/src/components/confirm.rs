//! Confirmation before an action that cannot be undone: the button opens a short question in
//! place (focus moves to it, Escape or Cancel closes it) and only "Yes" runs the action.

use leptos::html;
use leptos::prelude::*;

#[component]
pub fn Confirm(
    /// The button, e.g. "Delete user".
    label: &'static str,
    /// The question, e.g. "Delete ada@example.com? This cannot be undone."
    #[prop(into)]
    question: String,
    on_confirm: Callback<()>,
    #[prop(optional)] danger: bool,
    #[prop(optional, into)] pending: Signal<bool>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let ready = super::hydrated();
    let yes = NodeRef::<html::Button>::new();
    Effect::new(move |_| {
        if open.get() {
            if let Some(button) = yes.get() {
                let _ = button.focus();
            }
        }
    });
    let class = if danger {
        "button danger"
    } else {
        "button secondary"
    };
    view! {
        <span class="confirm">
            <button type="button" class=class aria-expanded=move || open.get().to_string() on:click=move |_| open.set(true) disabled=move || !ready.get() || pending.get()>
                {label}
            </button>
            <Show when=move || open.get()>
                <span class="confirm-box" role="alertdialog" aria-label=label on:keydown=move |ev| if ev.key() == "Escape" { open.set(false) }>
                    <span class="confirm-question">{question.clone()}</span>
                    <button type="button" node_ref=yes class=if danger { "button danger" } else { "button secondary" } on:click=move |_| { open.set(false); on_confirm.run(()); }>
                        "Yes, " {label.to_lowercase()}
                    </button>
                    <button type="button" class="button secondary" on:click=move |_| open.set(false)>"Cancel"</button>
                </span>
            </Show>
        </span>
    }
}
