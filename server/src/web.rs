//! Plain HTTP pieces around the UI: `/healthz`, security headers, the peer address for the
//! port, and the cross-site check on state-changing requests.

use crate::store::{self, Db};
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, Method, StatusCode};
use rollcall_app::backend::axum_like::ConnectInfoAddr;
use std::net::SocketAddr;

/// 200 when the database answers, 503 otherwise.
pub async fn healthz(State(db): State<Db>) -> Response {
    match store::ping(&db).await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// Copies the peer address into a type the UI crate knows (it does not depend on axum).
pub async fn peer_address(mut req: Request, next: Next) -> Response {
    if let Some(ConnectInfo(addr)) = req.extensions().get::<ConnectInfo<SocketAddr>>().copied() {
        req.extensions_mut().insert(ConnectInfoAddr(addr));
    }
    next.run(req).await
}

/// Refuses state-changing browser requests sent from another site (CSRF). Together with
/// `SameSite=Lax` session cookies this protects every form: a request whose `Origin` (or, if
/// absent, `Referer`) names another host is answered 403.
pub async fn same_origin_writes(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.uri().path().starts_with("/scim/")
    {
        return next.run(req).await;
    }
    let headers = req.headers();
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let source = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|h| h.to_str().ok())
        .filter(|o| *o != "null");
    if let (Some(source), Some(host)) = (source, host) {
        let source_host = url::Url::parse(source).ok().map(|u| match u.port() {
            Some(p) => format!("{}:{p}", u.host_str().unwrap_or_default()),
            None => u.host_str().unwrap_or_default().to_string(),
        });
        if source_host.as_deref() != Some(host) {
            tracing::warn!(%source, %host, "cross-site write refused");
            return (StatusCode::FORBIDDEN, "cross-site request refused\n").into_response();
        }
    }
    next.run(req).await
}

/// Headers every response gets.
pub async fn security_headers(req: Request, next: Next) -> Response {
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
