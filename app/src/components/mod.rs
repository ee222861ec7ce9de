//! Small pieces shared by pages: form fields with their error, the error panel, log-out.

mod confirm;
mod display;

pub use confirm::Confirm;
pub use display::{
    encode, grouped, link, url_params, when, when_or, FilterSelect, Loaded, LogPager, SourceBadge,
    StatusBadge,
};

use crate::api::{ApiError, Logout};
use leptos::prelude::*;

/// A field's error as shown: hidden once the person edits the field (it was about the old
/// value), shown again when a new answer arrives.
fn until_edited(error: Signal<Option<String>>) -> (Signal<Option<String>>, RwSignal<bool>) {
    let edited = RwSignal::new(false);
    Effect::new(move |_| {
        error.track();
        edited.set(false);
    });
    (
        Signal::derive(move || if edited.get() { None } else { error.get() }),
        edited,
    )
}

/// A labelled input whose error (if any) is shown right under it and announced to screen readers.
#[component]
pub fn Field(
    /// The form field name (also used for the id).
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    /// The current error for this field.
    #[prop(into)]
    error: Signal<Option<String>>,
    /// The element id, when `name` is not unique on the page.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let id = id.map_or_else(|| name.replace(['[', ']'], "_"), str::to_owned);
    let (error, edited) = until_edited(error);
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let (hint_for, error_for) = (hint_id.clone(), error_id.clone());
    let described = move || {
        let mut ids = Vec::new();
        if hint.is_some() {
            ids.push(hint_for.clone());
        }
        if error.get().is_some() {
            ids.push(error_for.clone());
        }
        ids.join(" ")
    };
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name=name
                type=kind
                autocomplete=autocomplete
                required=required
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described
                on:input=move |_| edited.set(true)
            />
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <p class="field-error" id=error_id.clone() role="alert">
                {move || error.get()}
            </p>
        </div>
    }
}

/// A labelled text input that starts with `value`, with its error under it.
#[component]
pub fn NamedField(
    name: &'static str,
    label: &'static str,
    value: String,
    #[prop(into)] error: Signal<Option<String>>,
    /// The element id, when `name` is not unique on the page.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let id = id.map_or_else(|| name.replace(['[', ']'], "_"), str::to_owned);
    let (error, edited) = until_edited(error);
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            <input
                id=id.clone()
                name=name
                value=value
                autocomplete="off"
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
                on:input=move |_| edited.set(true)
            />
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
        </div>
    }
}

/// The error of a whole form (not tied to one field), or nothing.
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    view! {
        <div class="form-error" role="alert" aria-live="assertive">
            {move || {
                error
                    .get()
                    .filter(|e| !matches!(e, ApiError::Invalid(_)))
                    .map(|e| view! { <p>{e.to_string()}</p> })
            }}
        </div>
    }
}

/// A page-level error: what went wrong and what to do.
#[component]
pub fn ErrorPanel(error: ApiError) -> impl IntoView {
    let unauthenticated = matches!(error, ApiError::Unauthenticated);
    view! {
        <section class="error-panel" role="alert">
            <h1>"Something went wrong"</h1>
            <p>{error.to_string()}</p>
            {unauthenticated.then(|| view! { <a href="/login">"Log in"</a> })}
        </section>
    }
}

/// The action's last error (for [`FormError`]) and, by field name, the message for that field
/// (for [`Field`]'s `error`): the one way every form reads what the server refused.
pub fn action_errors<A>(
    action: ServerAction<A>,
) -> (
    Signal<Option<ApiError>>,
    impl Fn(&'static str) -> Signal<Option<String>> + Copy,
)
where
    A: leptos::server_fn::ServerFn<Error = ApiError> + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + 'static,
{
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_message(name)))
    };
    (error, field)
}

/// After the action succeeds, loads `to(output)`, or this page again when that is `None`: the
/// server renders it afresh with the change (pages are server-rendered; only their islands run
/// in the browser). After an error nothing moves, so the form keeps what the person typed.
pub fn load_on_success<A>(
    action: ServerAction<A>,
    to: impl Fn(&A::Output) -> Option<String> + 'static,
) where
    A: leptos::server_fn::ServerFn + Clone + Send + Sync + 'static,
    A::Output: Clone + Send + Sync + 'static,
    A::Error: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if let Some(Ok(output)) = action.value().get() {
            let location = window().location();
            let _ = match to(&output) {
                Some(href) => location.set_href(&href),
                None => location.reload(),
            };
        }
    });
}

/// False while this is only HTML (on the server, and in the browser until the island around it
/// hydrates), true once its handlers are attached. Buttons that need their handler are
/// disabled until then, so an early click is never silently lost.
pub fn hydrated() -> Signal<bool> {
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));
    ready.into()
}

/// Ends the session; a plain form post without JavaScript, an action with it.
#[island]
pub fn LogoutButton() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    load_on_success(logout, |_| Some("/login".into()));
    view! {
        <ActionForm action=logout attr:class="logout-form">
            <button type="submit" class="button secondary">"Log out"</button>
        </ActionForm>
    }
}

/// A link (invite, reset) that cannot be used: why, and what to do.
#[component]
pub fn LinkProblem(title: &'static str, error: ApiError) -> impl IntoView {
    let message = match &error {
        ApiError::NotFound(m) | ApiError::Conflict(m) => m.clone(),
        other => other.to_string(),
    };
    view! {
        <section class="card auth-card" role="alert">
            <h1>{title}</h1>
            <p>{message}</p>
            <p><a href="/login" class="button secondary">"Go to log in"</a></p>
        </section>
    }
}

/// A value to copy (a URL, an id) with a button that puts it on the clipboard, on a
/// server-rendered page (an island around [`CopyValue`]).
#[island]
pub fn CopyField(#[prop(into)] label: String, value: String) -> impl IntoView {
    view! { <CopyValue label value/> }
}

/// A value to copy with its button, inside an island.
#[component]
pub fn CopyValue(#[prop(into)] label: String, value: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let ready = hydrated();
    let id = format!("copy-{}", label.to_lowercase().replace(' ', "-"));
    let to_copy = value.clone();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().navigator().clipboard().write_text(&to_copy);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &to_copy;
        copied.set(true);
    };
    view! {
        <div class="field copy-field">
            <label for=id.clone()>{label}</label>
            <div class="copy-row">
                <input id=id readonly value=value/>
                <button type="button" class="button secondary" disabled=move || !ready.get() on:click=copy>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}
