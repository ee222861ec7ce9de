//! Log-in and reset throttling in fixed windows: a burst is refused with 429 until the window
//! ends, so an attacker can slow a person down but never lock them out for good. Failures are
//! counted per (e-mail, client address) and, more loosely, per e-mail and per address: one
//! attacker cannot lock a real user out from another address.
//!
//! The counters live in the database (`store::throttle`), not in the process: every process
//! serving one database — every replica — counts the same attempts, a restart does not reset
//! them, and the windows follow the database's [`crate::clock::Clock`]. Keys are stored as a
//! hash of what is counted, so their size is bounded whatever a client sends; the table is
//! pruned to [`CAPACITY`] windows by [`Limiter::sweep`].

use crate::error::AppResult;
use crate::store::{self, Db};
use std::time::Duration;

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const PER_EMAIL_AND_IP: u32 = 10;
pub const PER_EMAIL: u32 = 50;
pub const PER_IP: u32 = 100;
/// The most windows kept at once (~100 bytes each): a flood of distinct keys drops the oldest
/// windows at the next sweep instead of growing the table.
pub const CAPACITY: i64 = 200_000;
/// How often ended windows are dropped ([`Limiter::sweep`], run by a timer, not per hit).
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

fn window_secs() -> i64 {
    i64::try_from(WINDOW.as_secs()).unwrap_or(i64::MAX)
}

/// The throttle of one database.
#[derive(Clone, Debug)]
pub struct Limiter {
    db: Db,
}

impl Limiter {
    pub fn new(db: Db) -> Self {
        Limiter { db }
    }

    fn key(key: &str) -> String {
        let mut hex = crate::ids::sha256_hex(key);
        hex.truncate(32);
        hex
    }

    /// Is `key` at or over `limit` in its current window? Returns the seconds to wait if so.
    pub async fn blocked(&self, key: &str, limit: u32) -> AppResult<Option<u64>> {
        let Some((start, hits)) = store::throttle::window(&self.db, &Self::key(key)).await? else {
            return Ok(None);
        };
        let left = start + window_secs() - self.db.clock().unix();
        Ok((left > 0 && hits >= i64::from(limit)).then(|| u64::try_from(left).unwrap_or(1)))
    }

    /// Counts one event for each of `keys` (one write).
    pub async fn hit(&self, keys: &[&str]) -> AppResult<()> {
        let keys: Vec<String> = keys.iter().map(|k| Self::key(k)).collect();
        let now = self.db.clock().unix();
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    for key in &keys {
                        store::throttle::hit(&mut *tx, key, now, window_secs()).await?;
                    }
                    Ok(())
                })
            })
            .await
    }

    /// Forgets `key`'s window (a successful log-in).
    pub async fn clear(&self, key: &str) -> AppResult<()> {
        let key = Self::key(key);
        self.db
            .write(move |tx| Box::pin(async move { store::throttle::clear(&mut *tx, &key).await }))
            .await
    }

    /// Drops the windows that have ended, then the oldest beyond [`CAPACITY`].
    pub async fn sweep(&self) -> AppResult<u64> {
        let ended_by = self.db.clock().unix() - window_secs();
        self.db
            .writer()
            .write_queued(move |tx| {
                Box::pin(async move { store::throttle::prune(tx, ended_by, CAPACITY).await })
            })
            .await
    }

    /// Runs [`Limiter::sweep`] every [`SWEEP_EVERY`] until the writer stops.
    pub fn spawn_sweeper(&self) {
        let limiter = self.clone();
        let writer = self.db.writer().watch();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            loop {
                tick.tick().await;
                if !limiter.db.leads_jobs() {
                    continue; // another replica sweeps (see `store::leader`)
                }
                if let Err(e) = limiter.sweep().await {
                    if !writer.running() {
                        break;
                    }
                    tracing::warn!(error = %e, "throttle sweep failed");
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn limiter() -> (tempfile::TempDir, Limiter) {
        let dir = tempfile::tempdir().unwrap();
        let db = store::open(&format!("sqlite://{}/t.db", dir.path().display()))
            .await
            .unwrap();
        (dir, Limiter::new(db))
    }

    #[tokio::test]
    async fn blocks_after_the_limit_until_the_window_ends() {
        let (_dir, l) = limiter().await;
        for _ in 0..3 {
            assert_eq!(l.blocked("k", 3).await.unwrap(), None);
            l.hit(&["k"]).await.unwrap();
        }
        let wait = l.blocked("k", 3).await.unwrap().unwrap();
        assert!(wait > 0 && wait <= WINDOW.as_secs(), "{wait}");
        assert_eq!(l.blocked("other", 3).await.unwrap(), None);
        l.clear("k").await.unwrap();
        assert_eq!(l.blocked("k", 3).await.unwrap(), None);
        // A window that ended starts again at one hit.
        l.hit(&["k", "k", "k"]).await.unwrap();
        assert!(l.blocked("k", 3).await.unwrap().is_some());
        l.db.clock().advance(WINDOW);
        assert_eq!(l.blocked("k", 3).await.unwrap(), None);
        l.hit(&["k"]).await.unwrap();
        assert_eq!(l.blocked("k", 2).await.unwrap(), None);
    }

    #[tokio::test]
    async fn the_sweep_drops_ended_windows_and_bounds_the_table() {
        let (_dir, l) = limiter().await;
        let long = "x".repeat(10_000);
        l.hit(&[&format!("{long}1"), &format!("{long}2")])
            .await
            .unwrap();
        assert_eq!(store::throttle::len(&l.db).await.unwrap(), 2);
        l.db.clock().advance(WINDOW);
        l.hit(&["fresh"]).await.unwrap();
        assert_eq!(l.sweep().await.unwrap(), 2);
        assert_eq!(store::throttle::len(&l.db).await.unwrap(), 1);
        // Over capacity, the oldest windows go first.
        l.db.clock().advance(Duration::from_secs(5));
        l.hit(&["newer"]).await.unwrap();
        let ended_by = l.db.clock().unix() - window_secs();
        let dropped = l
            .db
            .write(move |tx| Box::pin(async move { store::throttle::prune(tx, ended_by, 1).await }))
            .await
            .unwrap();
        assert_eq!(dropped, 1);
        assert!(l.blocked("newer", 1).await.unwrap().is_some());
    }
}
