//! Request ids and request logging: every request gets an id — the caller's `x-request-id`
//! when it sends a sane one (a proxy or an IdP correlating its own logs), a new UUID otherwise —
//! echoed in the response's `x-request-id`, in SCIM error details, and carried by the request's
//! span (tower-http's `TraceLayer`), so every log line of that request names it, its route
//! template, its account and, when it is answered, its status and latency.
//!
//! Only templates (`/scim/account/{account_id}/Users/{id}`), never the path itself, go into the
//! span: a path can carry an e-mail (`/users/…`), a query string can carry a token (`/invite?…`).

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use std::time::Duration;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

/// The header that carries the id both ways.
pub const HEADER: &str = "x-request-id";

/// The route of a request no route matched (the site's file and error handler).
const NO_ROUTE: &str = "(no route)";

/// The longest id taken from a caller.
const MAX_LEN: usize = 128;

tokio::task_local! {
    /// The id of the request this task is answering.
    static CURRENT: HeaderValue;
}

/// The id of the request being answered on this task, if any (SCIM error bodies name it).
pub fn current() -> Option<String> {
    CURRENT
        .try_with(|id| id.to_str().ok().map(str::to_string))
        .ok()
        .flatten()
}

/// A caller's id is kept if it is short and made of letters, digits and `-_.:`; anything else
/// could forge log lines or carry data, and is replaced.
fn sane(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_LEN
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// The outermost layer: picks the id, puts it on the request (for the span) and the response.
pub async fn assign_id(mut req: Request, next: Next) -> Response {
    let id = match req.headers().get(HEADER) {
        Some(v) if sane(v) => v.clone(),
        _ => HeaderValue::from_str(
            uuid::Uuid::now_v7()
                .hyphenated()
                .encode_lower(&mut uuid::Uuid::encode_buffer()),
        )
        .expect("a UUID is a valid header value"),
    };
    req.headers_mut().insert(HEADER, id.clone());
    // A reference count, not a copy: the template is only read if metrics are on.
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let mut res = CURRENT.scope(id.clone(), next.run(req)).await;
    crate::telemetry::request(
        route.as_ref().map_or(NO_ROUTE, MatchedPath::as_str),
        &method,
        res.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    res.headers_mut().insert(HEADER, id);
    res
}

/// The account a SCIM path names (`/scim/account/{id}/…`); other requests learn it later.
fn account_of(path: &str) -> &str {
    path.strip_prefix("/scim/account/")
        .and_then(|rest| rest.split('/').next())
        .filter(|id| id.len() <= 64)
        .unwrap_or("")
}

type Trace = TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    fn(&Request) -> Span,
    (),
    fn(&Response, Duration, &Span),
>;

/// The request's span and its one "answered" line (status, milliseconds).
pub fn trace_layer() -> Trace {
    fn span(req: &Request) -> Span {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map_or(NO_ROUTE, |p| p.as_str());
        let id = req
            .headers()
            .get(HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        tracing::info_span!(
            "request",
            request_id = id,
            method = %req.method(),
            route,
            account = account_of(req.uri().path()),
            status = tracing::field::Empty,
            ms = tracing::field::Empty,
        )
    }
    fn answered(res: &Response, latency: Duration, span: &Span) {
        let ms = latency.as_secs_f64() * 1000.0;
        span.record("status", res.status().as_u16());
        span.record("ms", ms);
        tracing::info!(status = res.status().as_u16(), ms, "answered");
    }
    TraceLayer::new_for_http()
        .make_span_with(span as fn(&Request) -> Span)
        .on_request(())
        .on_response(answered as fn(&Response, Duration, &Span))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_short_plain_ids_are_taken_from_callers() {
        for ok in [
            "abc-123",
            "0190f0e2-7c1a-7000-8000-000000000001",
            "okta:req.42_x",
        ] {
            assert!(sane(&HeaderValue::from_static(ok)), "{ok}");
        }
        let long = "a".repeat(MAX_LEN + 1);
        for bad in ["", "a b", "x\"y", "<script>", "a=b;c", long.as_str()] {
            assert!(!sane(&HeaderValue::from_str(bad).unwrap()), "{bad}");
        }
    }

    #[test]
    fn the_account_is_read_from_scim_paths_only() {
        assert_eq!(account_of("/scim/account/abc/Users/1"), "abc");
        assert_eq!(account_of("/scim/account/abc"), "abc");
        assert_eq!(account_of("/users/abc"), "");
    }
}
