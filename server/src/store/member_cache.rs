//! Group memberships already read, by group and version.
//!
//! A SCIM `GET /Groups/{id}` returns every member. For a group of 100,000 that is 100,000 rows
//! read on every request (~15 ms of SQLite alone, more on PostgreSQL), and identity providers
//! re-read the same large groups between changes. A group's `version` grows with every change
//! to its membership (`groups::touch`, `groups::update`, and a member's deletion in
//! `users::delete`), so a membership read once at version `v` is the membership of every later
//! read that finds the group still at `v`.
//!
//! Safe with several replicas: nothing here is trusted without the database's word — every
//! read first reads the group's row (its version) and only an entry at exactly that version is
//! used; an entry is stored only when its members and its version came from one statement (one
//! snapshot). A replica's stale entry is simply never asked for again and ages out.
//!
//! Bounded: at most [`MAX_ENTRIES`] groups and [`MAX_BYTES`] of member ids, least recently
//! used first out. Small groups are not kept (reading them costs less than remembering them).

use crate::store::groups::Member;
use std::sync::{Arc, Mutex};

/// Groups kept at most.
pub const MAX_ENTRIES: usize = 256;
/// Bytes of member ids kept at most (ids and per-member overhead, roughly).
pub const MAX_BYTES: usize = 64 << 20;
/// Groups with fewer members are read each time.
pub const MIN_MEMBERS: usize = 64;

struct Entry {
    group_id: String,
    version: i64,
    members: Arc<[Member]>,
    bytes: usize,
    used: u64,
}

/// See [`self`].
#[derive(Default)]
pub struct MemberCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: Vec<Entry>,
    bytes: usize,
    tick: u64,
}

impl std::fmt::Debug for MemberCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.inner.lock().map(|i| i.entries.len()).unwrap_or(0);
        f.debug_struct("MemberCache").field("groups", &n).finish()
    }
}

impl MemberCache {
    /// The members of `group_id` at exactly `version`, if read before.
    pub fn get(&self, group_id: &str, version: i64) -> Option<Arc<[Member]>> {
        let mut inner = self.inner.lock().ok()?;
        inner.tick += 1;
        let tick = inner.tick;
        let e = inner
            .entries
            .iter_mut()
            .find(|e| e.version == version && e.group_id == group_id)?;
        e.used = tick;
        Some(e.members.clone())
    }

    /// Remembers `members` as the membership of `group_id` at `version` (older versions of the
    /// group go), evicting the least recently used groups beyond the bounds.
    pub fn put(&self, group_id: &str, version: i64, members: &Arc<[Member]>) {
        if members.len() < MIN_MEMBERS {
            return;
        }
        let bytes = members
            .iter()
            .map(|m| m.user_id.len() + m.email.len() + std::mem::size_of::<Member>())
            .sum::<usize>();
        if bytes > MAX_BYTES {
            return;
        }
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let inner = &mut *inner;
        inner.tick += 1;
        let mut freed = 0;
        inner.entries.retain(|e| {
            let keep = e.group_id != group_id;
            if !keep {
                freed += e.bytes;
            }
            keep
        });
        inner.bytes -= freed;
        while !inner.entries.is_empty()
            && (inner.entries.len() >= MAX_ENTRIES || inner.bytes + bytes > MAX_BYTES)
        {
            let oldest = inner
                .entries
                .iter()
                .enumerate()
                .min_by_key(|(_, e)| e.used)
                .map(|(i, _)| i)
                .unwrap_or(0);
            let gone = inner.entries.swap_remove(oldest);
            inner.bytes -= gone.bytes;
        }
        inner.bytes += bytes;
        inner.entries.push(Entry {
            group_id: group_id.to_string(),
            version,
            members: members.clone(),
            bytes,
            used: inner.tick,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(n: usize) -> Arc<[Member]> {
        (0..n)
            .map(|i| Member {
                user_id: format!("user-{i}"),
                email: String::new(),
            })
            .collect()
    }

    #[test]
    fn only_the_exact_version_is_returned_and_a_newer_one_replaces_it() {
        let c = MemberCache::default();
        c.put("g", 3, &members(100));
        assert_eq!(c.get("g", 3).map(|m| m.len()), Some(100));
        assert!(c.get("g", 4).is_none());
        assert!(c.get("h", 3).is_none());
        c.put("g", 4, &members(101));
        assert!(c.get("g", 3).is_none(), "the older version is dropped");
        assert_eq!(c.get("g", 4).map(|m| m.len()), Some(101));
    }

    #[test]
    fn small_groups_are_not_kept_and_the_least_recently_used_go_first() {
        let c = MemberCache::default();
        c.put("tiny", 1, &members(MIN_MEMBERS - 1));
        assert!(c.get("tiny", 1).is_none());
        for i in 0..MAX_ENTRIES {
            c.put(&format!("g{i}"), 1, &members(MIN_MEMBERS));
        }
        assert!(c.get("g0", 1).is_some()); // g0 is now the most recently used
        c.put("new", 1, &members(MIN_MEMBERS));
        assert!(c.get("g0", 1).is_some());
        assert!(c.get("g1", 1).is_none(), "the least recently used went");
        assert!(c.get("new", 1).is_some());
        let n = c.inner.lock().unwrap().entries.len();
        assert_eq!(n, MAX_ENTRIES);
    }
}
