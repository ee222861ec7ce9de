//! Change notices between replicas (PostgreSQL `LISTEN`/`NOTIFY`).
//!
//! Some answers are cached in each process (API keys, for authentication). A change made on
//! one replica must reach the caches of all the others at once: the write transaction that
//! makes it also sends a notice ([`key_changed`]), which PostgreSQL delivers to every
//! listening connection when — and only if — that transaction commits. [`listen`] keeps such a
//! connection per process and hands each notice to the cache.
//!
//! Notices sent while a listener is disconnected are lost, so after every (re)connection the
//! listener reports [`Notice::Missed`]: the cache must then forget everything. On SQLite there
//! is no such channel (and nothing to do: the caches' short TTL is what bounds staleness
//! between processes sharing one file); there [`listen`] starts nothing.

use crate::error::AppResult;
use crate::store::{Conn, Db, Readers};
use sqlx::postgres::PgListener;
use std::time::Duration;

/// The channel API key changes are announced on; the payload is the key id.
pub const KEYS: &str = "rollcall_keys";

/// What a listener hands on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// This item changed (the payload of one notice).
    Changed(String),
    /// Notices may have been lost (the connection was made or remade): forget everything.
    Missed,
}

/// The channel new mail is announced on (the payload is empty): the replica that sends mail
/// starts at once, whichever replica queued it.
pub const OUTBOX: &str = "rollcall_outbox";

/// Announces (on commit of the write it runs in) that API key `key_id` changed.
pub async fn key_changed(tx: &mut Conn, key_id: &str) -> AppResult<()> {
    announce(tx, KEYS, key_id).await
}

/// Announces (on commit) that mail is waiting in the outbox.
pub async fn mail_queued(tx: &mut Conn) -> AppResult<()> {
    announce(tx, OUTBOX, "").await
}

async fn announce(tx: &mut Conn, channel: &str, payload: &str) -> AppResult<()> {
    if let Conn::Postgres(c) = tx {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel)
            .bind(payload)
            .execute(c)
            .await?;
    }
    Ok(())
}

/// How long a listener waits before it reconnects after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// Hands every notice on `channel` to `on`, for as long as `db`'s writer runs (PostgreSQL;
/// nothing on SQLite). The listener holds one connection of its own.
pub fn listen<F>(db: &Db, channel: &'static str, on: F)
where
    F: Fn(Notice) + Send + Sync + 'static,
{
    let Readers::Postgres(pool) = db.readers() else {
        return;
    };
    let pool = pool.clone();
    let alive = db.writer().watch();
    tokio::spawn(async move {
        while alive.running() && !pool.is_closed() {
            let mut listener = match PgListener::connect_with(&pool).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, channel, "cannot listen for changes; retrying");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(channel).await {
                tracing::warn!(error = %e, channel, "cannot listen for changes; retrying");
                tokio::time::sleep(RETRY).await;
                continue;
            }
            // Whatever was announced before this connection listened is unknown.
            on(Notice::Missed);
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => on(Notice::Changed(n.payload().to_string())),
                    // `None`: the connection was lost. Start again with a new one (and say
                    // so now, and once it listens again: notices between are lost).
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, channel, "change listener failed; reconnecting");
                        break;
                    }
                }
                if !alive.running() {
                    return;
                }
            }
            if pool.is_closed() {
                return; // shutting down
            }
            on(Notice::Missed);
            tokio::time::sleep(RETRY).await;
        }
    });
}
