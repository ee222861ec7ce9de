//! How values look everywhere: loading/error states around a resource, status and source
//! badges, timestamps, links that keep the page's filters.

use super::ErrorPanel;
use crate::api::ApiError;
use crate::vocab::Source;
use leptos::prelude::*;

/// Shows "Loading…" while `resource` loads, the error panel if it failed, else `render(value)`.
#[component]
pub fn Loaded<T, F, V>(resource: Resource<Result<T, ApiError>>, render: F) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading…"</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match resource.await {
                        Ok(value) => render(value).into_any(),
                        Err(error) => view! { <ErrorPanel error/> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// Invited / Active / Suspended.
#[component]
pub fn StatusBadge(#[prop(into)] status: String) -> impl IntoView {
    let label = match status.as_str() {
        "active" => "Active",
        "suspended" => "Suspended",
        "invited" => "Invited",
        "revoked" => "Revoked",
        "expired" => "Expired",
        "pending" => "Pending",
        "used" => "Used",
        _ => "Unknown",
    };
    view! { <span class=format!("badge status-{status}")>{label}</span> }
}

/// Identity provider / Manual.
#[component]
pub fn SourceBadge(source: Source) -> impl IntoView {
    let (class, label) = match source {
        Source::Idp => ("badge source-idp", "Identity provider"),
        Source::Manual => ("badge source-manual", "Manual"),
    };
    view! { <span class=class>{label}</span> }
}

/// `2026-11-29T12:27:01.123Z` → `2026-11-29 12:27 UTC`.
pub fn when(t: &str) -> String {
    format!("{} UTC", t.get(..16).unwrap_or(t).replace('T', " "))
}

/// `9500` → `9,500`: counts shown to people.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

pub fn when_or(t: &Option<String>, none: &str) -> String {
    t.as_deref().map(when).unwrap_or_else(|| none.to_string())
}

/// Reads the current URL's query parameters, each as a signal ("" when absent).
pub fn url_params() -> impl Fn(&'static str) -> Signal<String> + Copy + Send + Sync + 'static {
    let query = leptos_router::hooks::use_query_map();
    move |k| Signal::derive(move || query.read().get(k).unwrap_or_default())
}

/// A `<select>` of a filter form whose choice follows the URL.
#[component]
pub fn FilterSelect(
    name: &'static str,
    label: &'static str,
    options: &'static [(&'static str, &'static str)],
    #[prop(into)] current: Signal<String>,
) -> impl IntoView {
    let id = format!("filter-{name}");
    view! {
        <div class="filter">
            <label for=id.clone()>{label}</label>
            <select id=id name=name prop:value=current>
                {options.iter().map(|(value, text)| view! {
                    <option value=*value selected=move || current.get() == *value>{*text}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

/// "Newest" / "Older →" links under a log.
#[component]
pub fn LogPager(newest: Option<String>, older: Option<String>) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            {newest.map(|href| view! { <a href=href>"Newest"</a> })}
            {older.map(|href| view! { <a href=href rel="next">"Older →"</a> })}
        </nav>
    }
}

/// `path?k=v&…` with the non-empty pairs, percent-encoded.
pub fn link(path: &str, pairs: &[(&str, &str)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

/// Percent-encodes a query value (or a path segment).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_by_thousands() {
        let shown: Vec<String> = [0, 999, 1_000, 9_500, 10_000, 1_234_567, -4_200]
            .into_iter()
            .map(grouped)
            .collect();
        assert_eq!(
            shown,
            [
                "0",
                "999",
                "1,000",
                "9,500",
                "10,000",
                "1,234,567",
                "-4,200"
            ]
        );
    }

    #[test]
    fn links_keep_only_set_filters_and_encode_them() {
        assert_eq!(link("/users", &[("q", ""), ("status", "")]), "/users");
        assert_eq!(
            link("/users", &[("q", "a b&c"), ("after", "id~x@y")]),
            "/users?q=a%20b%26c&after=id~x%40y"
        );
    }

    #[test]
    fn times_are_shown_to_the_minute() {
        assert_eq!(when("2026-11-29T12:27:01.123Z"), "2026-11-29 12:27 UTC");
        assert_eq!(when_or(&None, "Never"), "Never");
    }
}
