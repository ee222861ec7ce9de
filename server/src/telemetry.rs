//! `/metrics` in the Prometheus text format (`metrics` + `metrics-exporter-prometheus`), served
//! only on the separate `--metrics-listen` address: never on the public port, where anyone could
//! read an installation's traffic. Without that address no recorder is installed and every
//! `counter!` / `histogram!` in the code is a no-op.
//!
//! Labels are bounded: route templates (never paths), methods, status codes, outcome words —
//! no ids, no e-mails, no account names. What is counted where it happens: HTTP requests and
//! SCIM operations (`request_log`), log-ins (`backend`), SSO attempts (`saml`), write batches
//! (`store::writer`), activity entries dropped (`scim::activity`). What is a level is read when
//! Prometheus scrapes: the write queue's depth, reader connections in use, mail pending/failed.

use crate::error::{AppError, AppResult};
use crate::store::{Db, Readers};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;

/// Latency buckets (seconds) of the request histogram: 1 ms … 10 s.
const SECONDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Jobs per write batch.
const JOBS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// Whether a recorder is installed: without one, requests skip building their labels.
static ENABLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Installs the process's recorder; returns what renders it.
pub fn install() -> AppResult<PrometheusHandle> {
    ENABLED.store(true, std::sync::atomic::Ordering::Relaxed);
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), SECONDS)
        .and_then(|b| {
            b.set_buckets_for_metric(Matcher::Full("rollcall_write_batch_jobs".into()), JOBS)
        })
        .and_then(PrometheusBuilder::install_recorder)
        .map_err(|e| AppError::Internal(format!("cannot start the metrics recorder: {e}")))
}

#[derive(Clone)]
struct Scrape {
    handle: PrometheusHandle,
    db: Db,
}

/// Serves `GET /metrics` on `listener` until the process ends.
pub fn spawn(listener: tokio::net::TcpListener, handle: PrometheusHandle, db: Db) {
    let app = Router::new()
        .route("/metrics", get(render))
        .with_state(Scrape { handle, db });
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
}

/// Binds the metrics address (before anything is served, so a bad address stops start-up).
pub async fn bind(addr: SocketAddr) -> AppResult<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| AppError::Internal(format!("cannot listen for metrics on {addr}: {e}")))
}

async fn render(State(s): State<Scrape>) -> Response {
    ::metrics::gauge!("rollcall_write_queue_depth").set(s.db.writer().queued() as f64);
    let (size, idle) = match s.db.readers() {
        Readers::Sqlite(p) => (p.size(), p.num_idle()),
        Readers::Postgres(p) => (p.size(), p.num_idle()),
    };
    ::metrics::gauge!("rollcall_db_reader_connections", "state" => "in_use")
        .set(f64::from(size) - idle as f64);
    ::metrics::gauge!("rollcall_db_reader_connections", "state" => "idle").set(idle as f64);
    match crate::store::outbox::pending_and_failed(&s.db).await {
        Ok((pending, failed)) => {
            ::metrics::gauge!("rollcall_outbox_mail", "status" => "pending").set(pending as f64);
            ::metrics::gauge!("rollcall_outbox_mail", "status" => "failed").set(failed as f64);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot count the outbox"),
    }
    (
        [(
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.handle.render(),
    )
        .into_response()
}

/// A request answered: by route template, method and status; SCIM also by operation and outcome.
pub fn request(route: &str, method: &http::Method, status: u16, seconds: f64) {
    if !ENABLED.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let route = route.to_string();
    let method = method.as_str().to_string();
    ::metrics::counter!("rollcall_http_requests_total",
        "route" => route.clone(), "method" => method.clone(), "status" => status.to_string())
    .increment(1);
    ::metrics::histogram!("rollcall_http_request_duration_seconds",
        "route" => route.clone(), "method" => method.clone())
    .record(seconds);
    // "/scim/account/{account_id}/Users/{id}" → "GET /Users/{id}".
    if let Some(rest) = route.strip_prefix("/scim/account/{account_id}") {
        let outcome = match status {
            200..=399 => "success",
            400..=499 => "client_error",
            _ => "server_error",
        };
        let operation = format!("{method} {}", if rest.is_empty() { "/" } else { rest });
        ::metrics::counter!("rollcall_scim_requests_total",
            "operation" => operation, "outcome" => outcome)
        .increment(1);
    }
}

/// A password log-in attempt's outcome (`ok`, `bad_credentials`, `throttled`, `invalid`,
/// `refused`: suspended, SSO only, …).
pub fn login<T>(result: &AppResult<T>) {
    ::metrics::counter!("rollcall_logins_total", "outcome" => outcome(result)).increment(1);
}

/// A SAML single sign-on attempt's outcome (same words).
pub fn sso<T>(result: &AppResult<T>) {
    ::metrics::counter!("rollcall_sso_attempts_total", "outcome" => outcome(result)).increment(1);
}

fn outcome<T>(result: &AppResult<T>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(AppError::BadCredentials(_) | AppError::Unauthenticated) => "bad_credentials",
        Err(AppError::Forbidden(m)) if m == crate::domain::auth::BAD_CREDENTIALS => {
            "bad_credentials"
        }
        Err(AppError::TooManyRequests(_)) => "throttled",
        Err(AppError::Invalid(_)) => "invalid",
        Err(_) => "refused",
    }
}
