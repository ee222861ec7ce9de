//! `sessions`: browser sessions for tower-sessions, stored so that writes go through the
//! [`Writer`](super::Writer) like every other write. (The stock `SqliteStore` opens its own
//! transactions on request futures — the cancellation hazard the writer exists to remove.)
//! Same table and encoding (MessagePack records) as that store, so existing sessions survive.

use crate::error::{AppError, AppResult};
use crate::sql;
use crate::store::{Conn, Db};
use futures_util::future::BoxFuture;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, ExpiredDeletion, SessionStore};

#[derive(Clone, Debug)]
pub struct DbSessionStore {
    db: Db,
}

impl DbSessionStore {
    pub fn new(db: Db) -> Self {
        DbSessionStore { db }
    }

    /// Runs a session write on the writer (waiting for room: a session save must not be lost).
    async fn write<T, F>(&self, work: F) -> session_store::Result<T>
    where
        F: for<'c> FnOnce(&'c mut Conn) -> BoxFuture<'c, AppResult<T>> + Send + 'static,
        T: Send + 'static,
    {
        self.db.writer().write_queued(work).await.map_err(backend)
    }
}

fn backend(e: AppError) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn encode(record: &Record) -> session_store::Result<Vec<u8>> {
    rmp_serde::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))
}

#[async_trait::async_trait]
impl SessionStore for DbSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        let mut candidate = record.clone();
        let id = self
            .write(move |c| {
                Box::pin(async move {
                    loop {
                        let data = encode(&candidate).map_err(|e| AppError::Internal(e.to_string()))?;
                        let inserted = sql!(&mut *c, execute,
                            sqlite: "INSERT OR IGNORE INTO sessions (id, data, expiry_date) VALUES (?, ?, ?)",
                            postgres: "INSERT INTO sessions (id, data, expiry_date) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                            candidate.id.to_string(), data, candidate.expiry_date,
                        )?;
                        if inserted == 1 {
                            return Ok(candidate.id);
                        }
                        candidate.id = Id::default(); // taken: draw another
                    }
                })
            })
            .await?;
        record.id = id;
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let id = record.id.to_string();
        let data = encode(record)?;
        let expiry = record.expiry_date;
        self.write(move |c| {
                Box::pin(async move {
                    sql!(&mut *c, execute,
                        sqlite: "INSERT INTO sessions (id, data, expiry_date) VALUES (?, ?, ?)
                         ON CONFLICT(id) DO UPDATE SET data = excluded.data, expiry_date = excluded.expiry_date",
                        postgres: "INSERT INTO sessions (id, data, expiry_date) VALUES ($1, $2, $3)
                         ON CONFLICT(id) DO UPDATE SET data = excluded.data, expiry_date = excluded.expiry_date",
                        id, data, expiry,
                    )?;
                    Ok(())
                })
            })
            .await
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let data: Option<Vec<u8>> = sql!(&self.db, fetch_optional scalar _,
            sqlite: "SELECT data FROM sessions WHERE id = ? AND expiry_date > ?",
            postgres: "SELECT data FROM sessions WHERE id = $1 AND expiry_date > $2",
            session_id.to_string(), time::OffsetDateTime::now_utc(),
        )
        .map_err(|e| backend(e.into()))?;
        match data {
            // A record we cannot read is no session: the person logs in again.
            Some(bytes) => Ok(rmp_serde::from_slice(&bytes).ok()),
            None => Ok(None),
        }
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        let id = session_id.to_string();
        self.write(move |c| {
            Box::pin(async move {
                sql!(&mut *c, execute,
                    sqlite: "DELETE FROM sessions WHERE id = ?",
                    postgres: "DELETE FROM sessions WHERE id = $1",
                    id,
                )?;
                Ok(())
            })
        })
        .await
    }
}

#[async_trait::async_trait]
impl ExpiredDeletion for DbSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        // A background job: one replica at a time (see `store::leader`).
        if !self.db.leads_jobs() {
            return Ok(());
        }
        self.write(|c| {
            Box::pin(async move {
                sql!(&mut *c, execute,
                    sqlite: "DELETE FROM sessions WHERE datetime(expiry_date) < datetime('now')",
                    postgres: "DELETE FROM sessions WHERE expiry_date < now()",
                )?;
                Ok(())
            })
        })
        .await
    }
}
