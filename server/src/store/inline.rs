//! Point reads on SQLite without a thread hop.
//!
//! sqlx runs every SQLite connection on a worker thread of its own: each statement is a message
//! to that thread and an answer back, two wake-ups and two context switches. Profiled under the
//! `userName eq` lookup load (docs/benchmarks.md), those switches were the largest part of a
//! lookup's CPU, and SQLite's own work a few per cent. A read that is one unique-index probe
//! costs SQLite microseconds, less than one switch, so such reads run here: on the request's
//! own thread, on a small pool of rusqlite connections to the same file (the same SQLite
//! library as sqlx's, `libsqlite3-sys` bundled), `query_only` like sqlx's readers, statements
//! prepared once per connection.
//!
//! Only reads whose work is bounded come here: a unique-index probe (`SqlWhere::point`, a user
//! by id) and a SCIM page in the default order (`users::page_by_position`: the paging ranges'
//! sums, at most one range skipped, at most 1,000 rows — a few milliseconds at worst). A
//! request never holds a runtime thread for a scan: filters that can scan, counts, the Users
//! page and every PostgreSQL read stay on sqlx's reader pool. The one scan that uses these
//! connections, a group's member ids (`groups::members_at`, 100,000 rows in one hop instead of
//! one message per row), runs on a blocking thread (`spawn_blocking`), not the runtime's. Each statement runs in
//! autocommit and so sees every committed write, as sqlx's readers do.

use crate::error::AppResult;
use crate::store::scim_query::{Bind, Fragment};
use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, Row};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// Idle connections kept. A read never awaits, so at most one per thread that reads is in use
/// at once (the runtime's workers, a few `block_on` callers); extra ones are closed.
const KEEP: usize = 8;

/// The pool; see [`self`].
pub struct InlineReaders {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for InlineReaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineReaders")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl InlineReaders {
    /// Readers of the (already migrated) database file at `path`; connections open on first use.
    pub fn new(path: &Path) -> Self {
        InlineReaders {
            path: path.to_path_buf(),
            idle: Mutex::new(Vec::with_capacity(KEEP)),
        }
    }

    fn connect(&self) -> rusqlite::Result<Connection> {
        let c = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Short: a wait here holds a runtime thread (WAL readers are almost never busy; if one
        // is, the request is answered 503 rather than stalling others on this thread).
        c.busy_timeout(Duration::from_secs(1))?;
        c.pragma_update(None, "query_only", "ON")?;
        c.pragma_update(None, "cache_size", -16384)?;
        c.set_prepared_statement_cache_capacity(32);
        Ok(c)
    }

    /// Runs `read` on an idle connection (or a new one) on this thread.
    pub fn read<R>(&self, read: impl FnOnce(&Connection) -> rusqlite::Result<R>) -> AppResult<R> {
        let held = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match held {
            Some(c) => c,
            None => self.connect()?,
        };
        let out = read(&conn);
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < KEEP {
                idle.push(conn);
            }
        }
        Ok(out?)
    }
}

/// The binds of a filter fragment as rusqlite values (booleans as 0/1, as sqlx binds them).
pub fn values(first: &str, fragment: &Fragment) -> Vec<Value> {
    std::iter::once(Value::Text(first.to_string()))
        .chain(fragment.binds.iter().map(|b| match b {
            Bind::Text(s) => Value::Text(s.clone()),
            Bind::Int(i) => Value::Integer(*i),
            Bind::Bool(b) => Value::Integer(i64::from(*b)),
        }))
        .collect()
}

/// Column `i` of `row` as a vocabulary word (`UserStatus`, `Source`, …).
pub fn word<T: TryFrom<String>>(row: &Row<'_>, i: usize) -> rusqlite::Result<T>
where
    T::Error: std::fmt::Display,
{
    let text: String = row.get(i)?;
    T::try_from(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            e.to_string().into(),
        )
    })
}
