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

/// What is announced, each on a channel of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// An API key changed; the payload is its id.
    Keys,
    /// Mail is waiting in the outbox (no payload): the replica that sends mail starts at once,
    /// whichever replica queued it.
    Outbox,
}

impl Channel {
    const ALL: [Channel; 2] = [Channel::Keys, Channel::Outbox];

    fn name(self) -> &'static str {
        match self {
            Channel::Keys => "rollcall_keys",
            Channel::Outbox => "rollcall_outbox",
        }
    }

    fn named(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.name() == name)
    }
}

/// What the listener hands on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Something changed on this channel (the payload of one notice).
    Changed(Channel, String),
    /// Notices may have been lost (the connection was made or remade): forget everything.
    Missed,
}

/// Announces (on commit of the write it runs in) that API key `key_id` changed.
pub async fn key_changed(tx: &mut Conn, key_id: &str) -> AppResult<()> {
    announce(tx, Channel::Keys, key_id).await
}

/// Announces (on commit) that mail is waiting in the outbox.
pub async fn mail_queued(tx: &mut Conn) -> AppResult<()> {
    announce(tx, Channel::Outbox, "").await
}

async fn announce(tx: &mut Conn, channel: Channel, payload: &str) -> AppResult<()> {
    if let Conn::Postgres(c) = tx {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel.name())
            .bind(payload)
            .execute(c)
            .await?;
    }
    Ok(())
}

/// How long a listener waits before it reconnects after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// Hands every notice on every [`Channel`] to `on`, for as long as `db`'s writer runs
/// (PostgreSQL; nothing on SQLite). One listener per process, on one connection of its own
/// (counted in the reader pool's size).
pub fn listen<F>(db: &Db, on: F)
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
                    tracing::warn!(error = %e, "cannot listen for changes; retrying");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            let names = Channel::ALL.map(Channel::name);
            if let Err(e) = listener.listen_all(names).await {
                tracing::warn!(error = %e, "cannot listen for changes; retrying");
                tokio::time::sleep(RETRY).await;
                continue;
            }
            // Whatever was announced before this connection listened is unknown.
            on(Notice::Missed);
            loop {
                match listener.try_recv().await {
                    Ok(Some(n)) => {
                        if let Some(channel) = Channel::named(n.channel()) {
                            on(Notice::Changed(channel, n.payload().to_string()));
                        }
                    }
                    // `None`: the connection was lost. Start again with a new one (and say
                    // so now, and once it listens again: notices between are lost).
                    Ok(None) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "change listener failed; reconnecting");
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
