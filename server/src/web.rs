//! Plain HTTP pieces around the UI: `/healthz` and `/readyz`, security headers, the peer address for the
//! port, the security headers (Content-Security-Policy: pages set theirs in the shell, with
//! the render's nonce), and the cross-site check on state-changing requests.

use crate::proxy::TrustedProxies;
use crate::store::{self, Db};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, Method, StatusCode};
use rollcall_app::backend::axum_like::ConnectInfoAddr;
use std::net::SocketAddr;
use std::sync::Arc;

/// Liveness: 200 while the process answers HTTP. It does not touch the database, so a
/// database outage does not get every replica restarted; that is what `/readyz` is for.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Readiness for a load balancer: 200 when the database answers, is migrated to this
/// binary's schema and takes writes; 503 with the reason otherwise.
pub async fn readyz(State(db): State<Db>) -> Response {
    match store::readiness(&db).await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(reason) => {
            tracing::warn!(%reason, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("not ready: {reason}\n"),
            )
                .into_response()
        }
    }
}

/// The client's address — the peer's, or what trusted proxies say it is (`proxy`) — in a type
/// the UI crate knows (it does not depend on axum).
pub async fn peer_address(
    State(proxies): State<Arc<TrustedProxies>>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        let client = proxies.client(addr.ip(), req.headers());
        req.extensions_mut()
            .insert(ConnectInfoAddr(SocketAddr::new(client, addr.port())));
    }
    next.run(req).await
}

/// Refuses state-changing browser requests sent from another site (CSRF). Together with
/// `SameSite=Lax` session cookies this protects every form: a request must name where it comes
/// from (`Origin`, or if absent `Referer` — browsers send one on every POST) and that must be
/// this host. `Origin: null` (sandboxed frames, some redirects) and a request naming neither
/// are refused too: a browser that hides its origin cannot be told apart from an attacker's page.
/// The SAML ACS receives a cross-site POST from the IdP by design (HTTP-POST binding); what
/// makes it safe is the IdP's signature over the assertion, not the origin.
fn is_saml_acs(path: &str) -> bool {
    path.strip_prefix("/saml/account/")
        .and_then(|rest| rest.strip_suffix("/acs"))
        .is_some_and(|account| !account.contains('/'))
}

pub async fn same_origin_writes(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.uri().path().starts_with("/scim/")
        || is_saml_acs(req.uri().path())
    {
        return next.run(req).await;
    }
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|h| h.to_str().ok());
    let source_host = source
        .filter(|o| *o != "null")
        .and_then(|o| url::Url::parse(o).ok())
        .map(|u| match u.port() {
            Some(p) => format!("{}:{p}", u.host_str().unwrap_or_default()),
            None => u.host_str().unwrap_or_default().to_string(),
        });
    match (source_host, host) {
        (Some(from), Some(host)) if from == host => next.run(req).await,
        (Some(_), _) => {
            tracing::warn!(
                source = source.unwrap_or_default(),
                host = host.unwrap_or_default(),
                "cross-site write refused"
            );
            (StatusCode::FORBIDDEN, "cross-site request refused\n").into_response()
        }
        (None, _) => {
            tracing::warn!(
                source = source.unwrap_or_default(),
                "write without an origin refused"
            );
            (
                StatusCode::FORBIDDEN,
                "request refused: it does not say which site it comes from (no Origin or Referer header)\n",
            )
                .into_response()
        }
    }
}

/// Whether a path is a static asset (cacheable); everything else may carry private data.
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/")
        || (!path.starts_with("/export/")
            && path.rsplit_once('.').is_some_and(|(_, ext)| {
                matches!(
                    ext,
                    "svg" | "png" | "ico" | "css" | "js" | "wasm" | "woff2" | "txt"
                )
            }))
}

/// The Content-Security-Policy of every response that is not a page: SVG, CSV, JSON and error
/// text may be opened in a tab, and then nothing in them may run or be framed.
const NOTHING_RUNS: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'";

/// A body refused as too large (413) was not read: the connection carries its unread rest, so
/// hyper closes it after the answer. Saying so (`Connection: close`) keeps a client from
/// putting that connection back in its pool and sending its next request into a closed socket
/// (seen as a "broken pipe" log-in right after a refused 1.9 MB one, `it/http.rs`).
pub async fn close_after_refused_body(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    if res.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
        res.headers_mut()
            .insert(header::CONNECTION, http::HeaderValue::from_static("close"));
    }
    res
}

/// Headers every response gets. Pages, server functions, feeds and SCIM answers are
/// `Cache-Control: no-store` (they show what a session may see; a shared or back-button cache
/// must not keep them); with an https public URL, `Strict-Transport-Security` too.
pub async fn security_headers(State(https): State<bool>, req: Request, next: Next) -> Response {
    let asset = is_asset(req.uri().path());
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        http::HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        http::HeaderValue::from_static("DENY"),
    );
    h.insert(
        header::REFERRER_POLICY,
        http::HeaderValue::from_static("same-origin"),
    );
    if !asset {
        h.insert(
            header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        // Pages carry their own nonce policy (the shell sets it); anything else runs nothing.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            http::HeaderValue::from_static(NOTHING_RUNS),
        );
    }
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            http::HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// Server functions that fail before our code runs (an unreadable form) are answered 500 by the
/// framework; this gives them the status of the error they carry (a client mistake is a 4xx).
pub async fn api_error_status(req: Request, next: Next) -> Response {
    if !req.uri().path().starts_with("/api/") {
        return next.run(req).await;
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<rollcall_app::api::ApiError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(err.status()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
