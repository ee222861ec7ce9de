//! Log-in and reset throttling, in memory, in fixed windows: a burst is refused with 429 until
//! the window ends, so an attacker can slow a person down but never lock them out for good.
//! Failures are counted per (e-mail, client address) and, more loosely, per e-mail and per
//! address: one attacker cannot lock a real user out from another address.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const PER_EMAIL_AND_IP: u32 = 10;
pub const PER_EMAIL: u32 = 50;
pub const PER_IP: u32 = 100;
/// The most keys counted at once (~40 bytes each): a flood of distinct keys evicts others
/// instead of growing memory.
pub const CAPACITY: usize = 200_000;
/// How often expired windows are dropped ([`Limiter::sweep`], run by a timer, not per hit).
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Counts per key. Keys are kept as 64-bit keyed hashes (a per-process random key), so an
/// attacker's megabyte-long "e-mail" costs 8 bytes here, and cannot be chosen to collide.
pub struct Limiter {
    hasher: RandomState,
    counts: Mutex<HashMap<u64, (Instant, u32)>>,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter {
            hasher: RandomState::new(),
            counts: Mutex::new(HashMap::new()),
        }
    }
}

impl Limiter {
    fn key(&self, key: &str) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Is `key` over `limit` in the current window? Returns the seconds to wait if so.
    pub fn blocked(&self, key: &str, limit: u32) -> Option<u64> {
        let k = self.key(key);
        let map = self.counts.lock().ok()?;
        let (start, n) = map.get(&k)?;
        let left = WINDOW.checked_sub(start.elapsed())?;
        (*n >= limit).then(|| left.as_secs().max(1))
    }

    /// Counts one event for `key`.
    pub fn hit(&self, key: &str) {
        let k = self.key(key);
        if let Ok(mut map) = self.counts.lock() {
            if map.len() >= CAPACITY && !map.contains_key(&k) {
                // Full of live windows (the sweep drops expired ones): make room by evicting
                // an arbitrary one, O(1), rather than scanning on the request path.
                if let Some(victim) = map.keys().next().copied() {
                    map.remove(&victim);
                }
            }
            let entry = map.entry(k).or_insert((Instant::now(), 0));
            if entry.0.elapsed() >= WINDOW {
                *entry = (Instant::now(), 0);
            }
            entry.1 += 1;
        }
    }

    pub fn clear(&self, key: &str) {
        let k = self.key(key);
        if let Ok(mut map) = self.counts.lock() {
            map.remove(&k);
        }
    }

    /// Drops the windows that have ended.
    pub fn sweep(&self) {
        if let Ok(mut map) = self.counts.lock() {
            map.retain(|_, (start, _)| start.elapsed() < WINDOW);
            let keep = CAPACITY.min(map.len() * 2);
            map.shrink_to(keep);
        }
    }

    /// Keys counted now.
    pub fn len(&self) -> usize {
        self.counts.lock().map_or(0, |m| m.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_within_the_window() {
        let l = Limiter::default();
        for _ in 0..3 {
            assert_eq!(l.blocked("k", 3), None);
            l.hit("k");
        }
        let wait = l.blocked("k", 3).unwrap();
        assert!(wait > 0 && wait <= WINDOW.as_secs());
        assert_eq!(l.blocked("other", 3), None);
        l.clear("k");
        assert_eq!(l.blocked("k", 3), None);
    }

    #[test]
    fn a_flood_of_distinct_keys_stays_within_capacity() {
        let l = Limiter::default();
        let long = "x".repeat(500);
        for i in 0..(CAPACITY + 1000) {
            l.hit(&format!("{long}{i}"));
        }
        assert!(l.len() <= CAPACITY, "{}", l.len());
        l.sweep();
        assert!(l.len() <= CAPACITY);
    }
}
