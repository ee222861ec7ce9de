//! Serving connections with the limits `axum::serve` does not set: a deadline for each
//! request head (a client trickling its headers — "slowloris" — cannot hold a connection) and
//! a cap on open connections (beyond it a new connection is closed at once, so a flood costs a
//! file descriptor for an instant, not a task forever). Graceful shutdown as before: stop
//! accepting, let each connection finish its request, then close.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

/// How long a client may take to send a request's head (the request line and headers). The
/// clock starts when the connection waits for a head, so it is also the keep-alive idle
/// limit: a connection that sends nothing for this long after an answer is closed.
pub const HEADER_READ: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `stop` turns true, then waits for open connections to
/// finish their requests (the caller bounds that wait).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    max_connections: usize,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(max_connections));
    let (closing, closing_seen) = watch::channel(false);
    let mut refused: u64 = 0;
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of descriptors and the like: pause instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = async { let _ = stop.wait_for(|s| *s).await; } => break,
        };
        // Answers are written in pieces (a streamed page's head, then its chunks): without
        // TCP_NODELAY, Nagle's algorithm holds each later piece until the client's delayed ACK
        // (40 ms on Linux) — measured as a 40–50 ms p95 floor on every server-rendered page.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            refused += 1;
            if refused.is_power_of_two() {
                tracing::warn!(
                    max_connections,
                    refused,
                    "connection limit reached; closing new connections"
                );
            }
            drop(stream);
            continue;
        };
        let service = app
            .clone()
            .map_request(move |mut req: axum::http::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo(peer));
                req.map(Body::new)
            });
        let mut closing_seen = closing_seen.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ)
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                .with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                () = async { let _ = closing_seen.wait_for(|c| *c).await; } => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(listener);
    let _ = closing.send(true);
    // Every connection holds a slot until it ends.
    let _ = slots
        .acquire_many(u32::try_from(max_connections).unwrap_or(u32::MAX))
        .await;
}
