//! One store function, both engines. A store function takes `impl Exec` — the database handle
//! ([`super::Db`], whose reads run on its reader pool) or a connection inside a write — and
//! runs one statement written twice, side by side: in SQLite's dialect and in PostgreSQL's
//! (issue 12). [`sql!`](crate::sql) expands into a match over [`Ex`], so each text is checked
//! against its own driver's types, with the same binds; no lowest-common-denominator driver,
//! no rewriting of SQL at run time.
//!
//! ```text
//! let row: Option<AccountRow> = sql!(db, fetch_optional as AccountRow,
//!     sqlite: "SELECT id, name, created_at FROM accounts WHERE id = ?",
//!     postgres: "SELECT id, name, created_at FROM accounts WHERE id = $1",
//!     id)?;
//! ```

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnection, PgPool, Postgres};
use sqlx::sqlite::{SqliteConnection, SqlitePool};

/// Where a statement runs.
pub enum Ex<'c> {
    SqlitePool(&'c SqlitePool),
    SqliteConn(&'c mut SqliteConnection),
    PgPool(&'c PgPool),
    PgConn(&'c mut PgConnection),
}

/// Anything a store function can run a statement on.
pub trait Exec<'c>: Send {
    fn ex(self) -> Ex<'c>;
}

impl<'c> Exec<'c> for &'c SqlitePool {
    fn ex(self) -> Ex<'c> {
        Ex::SqlitePool(self)
    }
}

impl<'c> Exec<'c> for &'c mut SqliteConnection {
    fn ex(self) -> Ex<'c> {
        Ex::SqliteConn(self)
    }
}

impl<'c> Exec<'c> for &'c PgPool {
    fn ex(self) -> Ex<'c> {
        Ex::PgPool(self)
    }
}

impl<'c> Exec<'c> for &'c mut PgConnection {
    fn ex(self) -> Ex<'c> {
        Ex::PgConn(self)
    }
}

impl<'c> Exec<'c> for &'c super::Db {
    fn ex(self) -> Ex<'c> {
        match self.readers() {
            super::Readers::Sqlite(p) => Ex::SqlitePool(p),
            super::Readers::Postgres(p) => Ex::PgPool(p),
        }
    }
}

impl<'c> Exec<'c> for &'c mut super::Conn {
    fn ex(self) -> Ex<'c> {
        match self {
            super::Conn::Sqlite(c) => Ex::SqliteConn(c),
            super::Conn::Postgres(c) => Ex::PgConn(c),
        }
    }
}

/// A PostgreSQL reader connection for one statement, taken by a task of its own.
///
/// Why: a request future is dropped at whatever `.await` it has reached when its client hangs
/// up. Taking a pooled PostgreSQL connection is network work — sqlx pings an idle connection
/// before handing it out, and opens a new one when the pool is short — and sqlx *closes* a
/// connection whose ping was dropped halfway, and abandons a half-open one. Under a storm of
/// clients hanging up (`it/write_path.rs`) that turned into connection churn: every reader
/// was being reopened, each reopen was cancelled in turn, and reads waited the full 2 s for a
/// connection (sqlx: "time to acquire exceeded slow threshold"). Taken by its own task, a
/// connection is always either handed over or, if nobody waits any more, put back in the pool
/// whole. The statement itself then runs in the request: dropping it halfway is safe, since
/// sqlx drains the connection (a ping, on a task of its own) before it is reused.
pub async fn pg_reader(pool: &PgPool) -> Result<PoolConnection<Postgres>, sqlx::Error> {
    let pool = pool.clone();
    tokio::spawn(async move { pool.acquire().await })
        .await
        .unwrap_or_else(|e| Err(sqlx::Error::Io(std::io::Error::other(e))))
}

/// The one match over the engines every form below expands into: `$sqlite` runs with `$e`
/// bound to a SQLite executor (pool or connection), `$pg` with a PostgreSQL connection (a
/// pooled read takes one with [`pg_reader`]).
#[doc(hidden)]
#[macro_export]
macro_rules! on_engine {
    ($ex:expr, |$e:ident| sqlite: $sqlite:expr, postgres: $pg:expr) => {
        match $crate::store::exec::Exec::ex($ex) {
            $crate::store::exec::Ex::SqlitePool($e) => $sqlite,
            $crate::store::exec::Ex::SqliteConn($e) => $sqlite,
            $crate::store::exec::Ex::PgPool(pool) => {
                match $crate::store::exec::pg_reader(pool).await {
                    Ok(mut reader) => {
                        let $e = &mut *reader;
                        $pg
                    }
                    Err(err) => Err(err.into()),
                }
            }
            $crate::store::exec::Ex::PgConn($e) => $pg,
        }
    };
}

/// Runs one statement on an [`Exec`], in the dialect of its engine; see [`self`].
/// Forms: `execute` (rows affected), `fetch_one | fetch_optional | fetch_all as Row` (rows
/// decoded by `FromRow`), `… scalar T` (one column). Evaluates to `Result<_, sqlx::Error>`.
#[macro_export]
macro_rules! sql {
    // Binds that differ by engine (a list: JSON text for SQLite's json_each, an array for
    // PostgreSQL's ANY).
    ($ex:expr, $fetch:ident $how:ident $t:ty,
     sqlite: $s:expr => [$($sb:expr),* $(,)?], postgres: $p:expr => [$($pb:expr),* $(,)?] $(,)?) => {
        $crate::on_engine!($ex, |e|
            sqlite: $crate::sql!(@q $how $t, $s)$(.bind($sb))*.$fetch(e).await,
            postgres: $crate::sql!(@q $how $t, $p)$(.bind($pb))*.$fetch(e).await)
    };
    (@q as $t:ty, $text:expr) => { sqlx::query_as::<_, $t>($text) };
    (@q scalar $t:ty, $text:expr) => { sqlx::query_scalar::<_, $t>($text) };
    ($ex:expr, execute, sqlite: $s:expr, postgres: $p:expr $(, $b:expr)* $(,)?) => {
        $crate::on_engine!($ex, |e|
            sqlite: sqlx::query($s)$(.bind($b))*.execute(e).await.map(|r| r.rows_affected()),
            postgres: sqlx::query($p)$(.bind($b))*.execute(e).await.map(|r| r.rows_affected()))
    };
    // The same binds on both engines.
    ($ex:expr, $fetch:ident $how:ident $t:ty, sqlite: $s:expr, postgres: $p:expr $(, $b:expr)* $(,)?) => {
        $crate::sql!($ex, $fetch $how $t, sqlite: $s => [$($b),*], postgres: $p => [$($b),*])
    };
}

/// Runs a statement built with `sqlx::QueryBuilder` (dynamic filters): `$build` is expanded
/// once per engine with `$db` naming the engine's sqlx type (so `push_bind` writes each
/// engine's placeholders), then `$finish` runs the builder `$q` on the executor `$e`.
#[macro_export]
macro_rules! sql_built {
    ($ex:expr, |$db:ident| $build:block, |$q:ident, $e:ident| $finish:expr) => {
        $crate::on_engine!($ex, |$e|
            sqlite: {
                #[allow(dead_code)]
                type $db = sqlx::Sqlite;
                #[allow(unused_mut)]
                let mut $q = $build;
                $finish
            },
            postgres: {
                #[allow(dead_code)]
                type $db = sqlx::Postgres;
                #[allow(unused_mut)]
                let mut $q = $build;
                $finish
            })
    };
}
