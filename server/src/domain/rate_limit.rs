//! Log-in and reset throttling, in memory, in fixed windows: a burst is refused with 429 until
//! the window ends, so an attacker can slow a person down but never lock them out for good.
//! Failures are counted per (e-mail, client address) and, more loosely, per e-mail and per
//! address: one attacker cannot lock a real user out from another address.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const WINDOW: Duration = Duration::from_secs(15 * 60);
pub const PER_EMAIL_AND_IP: u32 = 10;
pub const PER_EMAIL: u32 = 50;
pub const PER_IP: u32 = 100;

#[derive(Default)]
pub struct Limiter {
    counts: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Limiter {
    /// Is `key` over `limit` in the current window? Returns the seconds to wait if so.
    pub fn blocked(&self, key: &str, limit: u32) -> Option<u64> {
        let map = self.counts.lock().ok()?;
        let (start, n) = map.get(key)?;
        let left = WINDOW.checked_sub(start.elapsed())?;
        (*n >= limit).then(|| left.as_secs().max(1))
    }

    /// Counts one event for `key`.
    pub fn hit(&self, key: &str) {
        if let Ok(mut map) = self.counts.lock() {
            if map.len() > 100_000 {
                map.retain(|_, (start, _)| start.elapsed() < WINDOW);
            }
            let entry = map.entry(key.to_string()).or_insert((Instant::now(), 0));
            if entry.0.elapsed() >= WINDOW {
                *entry = (Instant::now(), 0);
            }
            entry.1 += 1;
        }
    }

    pub fn clear(&self, key: &str) {
        if let Ok(mut map) = self.counts.lock() {
            map.remove(key);
        }
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
}
