//! Which process runs the background jobs (the mail sender, pruning, session clean-up).
//!
//! With several replicas on one PostgreSQL database, each job should run on one replica at a
//! time: the replica that holds the session-level advisory lock [`JOBS_LOCK`], taken with
//! `pg_try_advisory_lock` on a connection kept for nothing else. When that replica dies its
//! connection closes, PostgreSQL releases the lock, and another replica takes it within
//! [`RETRY`]. The jobs stay safe to overlap anyway (mail is claimed row by row with
//! `FOR UPDATE SKIP LOCKED`, pruning is idempotent), so the brief window in which a replica
//! whose connection broke has not noticed yet costs nothing but duplicate work.
//!
//! On SQLite every process leads: one process is the normal case, and processes sharing a
//! file are kept correct by the same claims.

use crate::store::writer::WriterWatch;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::Connection;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The advisory lock the leading replica holds ("RollJobs").
pub const JOBS_LOCK: i64 = 0x526f_6c6c_4a6f_6273;

/// How often a follower tries to lead, and a leader checks its connection.
pub const RETRY: Duration = Duration::from_secs(2);

/// Whether this process leads; cheap to clone and to ask.
#[derive(Clone, Debug)]
pub struct Leadership(Arc<AtomicBool>);

impl Leadership {
    /// A process that always leads (SQLite).
    pub fn always() -> Leadership {
        Leadership(Arc::new(AtomicBool::new(true)))
    }

    /// Competes for [`JOBS_LOCK`] until the writer stops (PostgreSQL).
    pub fn compete(options: PgConnectOptions, alive: WriterWatch) -> Leadership {
        let flag = Arc::new(AtomicBool::new(false));
        tokio::spawn(hold(options, flag.clone(), alive));
        Leadership(flag)
    }

    /// Whether this process should run the background jobs now.
    pub fn leads(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

async fn hold(options: PgConnectOptions, flag: Arc<AtomicBool>, alive: WriterWatch) {
    let mut conn: Option<PgConnection> = None;
    while alive.running() {
        let leads = flag.load(Ordering::Relaxed);
        let was_connected = conn.is_some();
        let next = match conn.take() {
            None => match PgConnection::connect_with(&options).await {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot connect to compete for the background jobs");
                    None
                }
            },
            Some(mut c) if leads => match sqlx::query("SELECT 1").execute(&mut c).await {
                Ok(_) => Some(c),
                Err(e) => {
                    flag.store(false, Ordering::Relaxed);
                    tracing::warn!(error = %e, "lost the connection that holds the background jobs; another replica takes them");
                    None
                }
            },
            Some(mut c) => {
                let taken: Result<bool, _> = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(JOBS_LOCK)
                    .fetch_one(&mut c)
                    .await;
                match taken {
                    Ok(true) => {
                        flag.store(true, Ordering::Relaxed);
                        tracing::info!("this replica now runs the background jobs");
                        Some(c)
                    }
                    Ok(false) => Some(c),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot compete for the background jobs");
                        None
                    }
                }
            }
        };
        // A new connection competes at once; otherwise every RETRY.
        let just_connected = !was_connected && next.is_some();
        conn = next;
        if !just_connected {
            tokio::time::sleep(RETRY).await;
        }
    }
    flag.store(false, Ordering::Relaxed);
    if let Some(c) = conn {
        let _ = c.close().await;
    }
}
