//! Keeps failed authentications from flooding an account's Provisioning Activity. Anyone who
//! knows an account id can send it requests with a wrong token; its administrator needs to see
//! "401: the token is wrong", but not a million times. The first [`FAILED_AUTH_PER_MINUTE`]
//! of an account in a minute are recorded one by one; the rest of that minute become one
//! summary row whose count and time are kept up to date as more arrive. (Retention is per
//! account too — `store::scim_activity::prune` — so no account's flood evicts another's rows.)
//!
//! The windows live in the activity writer task, one per process.

use crate::store::scim_activity::ScimRequestRow;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Failed authentications recorded one by one per account and minute.
pub const FAILED_AUTH_PER_MINUTE: u32 = 20;
const WINDOW: Duration = Duration::from_secs(60);
/// Accounts tracked at once (only real accounts reach the log; this bounds the map anyway).
const ACCOUNTS_MAX: usize = 10_000;

struct Window {
    started: Instant,
    kept: u32,
    suppressed: u64,
    /// The summary row once written.
    summary_id: Option<i64>,
    /// The newest request not recorded one by one, while its summary is not yet up to date.
    newest: Option<ScimRequestRow>,
}

/// A summary row to write (no id yet) or to bring up to date.
pub struct Summary {
    pub id: Option<i64>,
    pub row: ScimRequestRow,
    /// Which minute of the account it stands for (see [`FailedAuthCap::written`]).
    pub window: Instant,
}

#[derive(Default)]
pub struct FailedAuthCap {
    windows: HashMap<String, Window>,
    /// Last updates of minutes that ended before their summary was written.
    ended: Vec<Summary>,
}

impl FailedAuthCap {
    /// The row to record, or `None` when it is one too many failed authentications this minute
    /// (then it is counted into the account's summary).
    pub fn admit(&mut self, row: ScimRequestRow, now: Instant) -> Option<ScimRequestRow> {
        if row.status != 401 {
            return Some(row);
        }
        if !self.windows.contains_key(&row.account_id) && self.windows.len() >= ACCOUNTS_MAX {
            self.windows
                .retain(|_, w| now.duration_since(w.started) < WINDOW);
            if self.windows.len() >= ACCOUNTS_MAX {
                return Some(row);
            }
        }
        let window = self
            .windows
            .entry(row.account_id.clone())
            .or_insert_with(|| Window::new(now));
        if now.duration_since(window.started) >= WINDOW {
            // A new minute: a new summary row too, if one is needed.
            if let Some(summary) = window.summary() {
                self.ended.push(summary);
            }
            *window = Window::new(now);
        }
        if window.kept < FAILED_AUTH_PER_MINUTE {
            window.kept += 1;
            return Some(row);
        }
        window.suppressed += 1;
        window.newest = Some(row);
        None
    }

    /// The summary rows that changed since the last call, to write with the batch.
    pub fn take_summaries(&mut self) -> Vec<Summary> {
        let mut out = std::mem::take(&mut self.ended);
        out.extend(self.windows.values_mut().filter_map(Window::summary));
        out
    }

    /// Notes the id a summary row was written under (ignored once its minute is over).
    pub fn written(&mut self, account_id: &str, window: Instant, id: i64) {
        if let Some(w) = self.windows.get_mut(account_id) {
            if w.started == window {
                w.summary_id.get_or_insert(id);
            }
        }
    }
}

impl Window {
    fn new(started: Instant) -> Self {
        Window {
            started,
            kept: 0,
            suppressed: 0,
            summary_id: None,
            newest: None,
        }
    }

    /// The summary's new state, when requests were counted into it since it was last written.
    fn summary(&mut self) -> Option<Summary> {
        let mut row = self.newest.take()?;
        row.detail = Some(summary_detail(self.suppressed, row.detail.as_deref()));
        Some(Summary {
            id: self.summary_id,
            row,
            window: self.started,
        })
    }
}

fn summary_detail(suppressed: u64, reason: Option<&str>) -> String {
    let reason = reason.unwrap_or("authentication failed");
    format!(
        "{suppressed} more failed authentication{} within a minute of the first (only \
         {FAILED_AUTH_PER_MINUTE} a minute are listed one by one); the last said: {reason}",
        if suppressed == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(account: &str) -> ScimRequestRow {
        ScimRequestRow {
            account_id: account.into(),
            at: "2026-12-02T00:00:00Z".into(),
            method: "GET".into(),
            path: "/scim/account/x/Users".into(),
            status: 401,
            outcome: "client_error",
            duration_us: 1,
            user_agent: None,
            api_key_id: None,
            resource_type: None,
            resource_id: None,
            detail: Some("the token is wrong".into()),
        }
    }

    #[test]
    fn the_rest_of_a_minute_becomes_one_summary_per_account() {
        let mut cap = FailedAuthCap::default();
        let t0 = Instant::now();
        let kept = (0..50)
            .filter(|_| cap.admit(failed("a"), t0).is_some())
            .count();
        assert_eq!(kept, FAILED_AUTH_PER_MINUTE as usize);
        assert!(
            cap.admit(failed("b"), t0).is_some(),
            "another account has its own"
        );
        let mut ok = failed("a");
        ok.status = 200;
        assert!(cap.admit(ok, t0).is_some(), "successes are never capped");
        let summaries = cap.take_summaries();
        assert_eq!(summaries.len(), 1);
        assert_eq!(summaries[0].id, None);
        let detail = summaries[0].row.detail.clone().unwrap();
        assert!(
            detail.starts_with("30 more failed authentications"),
            "{detail}"
        );
        assert!(detail.ends_with("the token is wrong"), "{detail}");
        cap.written("a", summaries[0].window, 7);
        assert!(
            cap.take_summaries().is_empty(),
            "nothing new, nothing to write"
        );
        assert!(cap.admit(failed("a"), t0).is_none());
        let again = cap.take_summaries();
        assert_eq!(again[0].id, Some(7), "the same row is brought up to date");
        // A minute later: listed one by one again; the old minute's last count is still written.
        assert!(cap.admit(failed("a"), t0).is_none());
        let later = t0 + WINDOW;
        assert!(cap.admit(failed("a"), later).is_some());
        let ended = cap.take_summaries();
        assert_eq!(ended.len(), 1);
        assert_eq!(ended[0].id, Some(7));
        assert!(ended[0]
            .row
            .detail
            .as_deref()
            .unwrap()
            .starts_with("32 more"));
    }
}
