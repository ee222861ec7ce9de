//! The time Rollcall decides by: every deadline (a session's absolute lifetime, an invite's or a
//! reset link's validity, an API key's expiry) is computed and checked against this clock, so a
//! test can say "a week later" without sleeping. In production it is the system clock; a test
//! that builds the application in-process holds a clone and moves it forward with
//! [`Clock::advance`]. Each database handle ([`crate::store::Db`]) carries its clock, so two
//! applications in one test process never share one.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use time::OffsetDateTime;

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Milliseconds this clock is ahead of the system clock (0 outside tests).
    ahead_ms: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock::default()
    }

    pub fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
            + time::Duration::milliseconds(self.ahead_ms.load(Ordering::Relaxed))
    }

    /// Now as stored in the database (see [`crate::ids::format_time`]).
    pub fn now_text(&self) -> String {
        crate::ids::format_time(self.now())
    }

    /// Now in Unix seconds.
    pub fn unix(&self) -> i64 {
        self.now().unix_timestamp()
    }

    /// Moves this clock (and every clone of it) forward by `by`.
    pub fn advance(&self, by: std::time::Duration) {
        let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
        self.ahead_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::Clock;
    use std::time::Duration;

    #[test]
    fn clones_move_together_and_the_text_stays_sortable() {
        let clock = Clock::system();
        let before = clock.now_text();
        let other = clock.clone();
        other.advance(Duration::from_secs(7 * 86_400));
        assert!(clock.unix() - time::OffsetDateTime::now_utc().unix_timestamp() >= 7 * 86_400 - 1);
        assert!(clock.now_text() > before);
        assert_eq!(clock.now_text().len(), before.len());
    }
}
