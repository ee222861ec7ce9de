//! Records every SCIM request for the provisioning activity page without slowing it down:
//! the middleware hands a row to a bounded channel (never waiting), and one background task
//! writes rows in batches and prunes the table by age and count per account. Failed
//! authentications beyond a few a minute become one summary row (`activity_cap`). The live
//! feeds learn of new rows from a watcher of the table ([`watch`]), so a feed served by one
//! process shows requests answered by another on the same database.

use crate::error::{AppError, ScimErrorNote};
use crate::ids;
use crate::scim::activity_cap::FailedAuthCap;
use crate::scim::auth::{account_in_path, ScimKeyNote, UnknownAccount};
use crate::scim::handlers::ScimTarget;
use crate::store::{self, scim_activity::ScimRequestRow, Db};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use http::StatusCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc, oneshot};

const CHANNEL: usize = 10_000;
const BATCH: usize = 500;
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// Rows one pruning step deletes at most: one short write job (~0.1 s with the log's indexes).
const PRUNE_STEP: i64 = 5_000;
const LINGER: Duration = Duration::from_millis(200);

/// How much activity to keep.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub days: u32,
    /// Per account.
    pub max_rows: i64,
}

enum Msg {
    Row(Box<ScimRequestRow>),
    Flush(oneshot::Sender<()>),
}

#[derive(Clone)]
pub struct ActivityRecorder {
    tx: mpsc::Sender<Msg>,
    dropped: Arc<AtomicU64>,
    unknown: Arc<AtomicU64>,
    /// The account ids with new rows, for the live feed (see [`watch`]).
    written: broadcast::Sender<Arc<str>>,
}

/// How often [`watch`] looks for new rows.
const WATCH_EVERY: Duration = Duration::from_millis(500);

impl ActivityRecorder {
    /// Starts the writer task.
    pub fn spawn(db: Db, retention: Retention) -> Self {
        let (tx, rx) = mpsc::channel(CHANNEL);
        let (written, _) = broadcast::channel(64);
        tokio::spawn(watch(db.clone(), tx.downgrade(), written.clone()));
        tokio::spawn(prune(db.clone(), retention, tx.downgrade()));
        tokio::spawn(writer(db, rx));
        ActivityRecorder {
            tx,
            dropped: Arc::new(AtomicU64::new(0)),
            unknown: Arc::new(AtomicU64::new(0)),
            written,
        }
    }

    /// Receives the id of each account with new activity rows, written by any process.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.written.subscribe()
    }

    fn push(&self, row: ScimRequestRow) {
        if self.tx.try_send(Msg::Row(Box::new(row))).is_err() {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
            metrics::counter!("rollcall_activity_dropped_total").increment(1);
            if n.is_power_of_two() {
                tracing::warn!(dropped = n, "SCIM activity log is behind; entries dropped");
            }
        }
    }

    /// A request for an account that does not exist: counted and logged, never stored.
    fn count_unknown(&self) {
        let n = self.unknown.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_power_of_two() {
            tracing::warn!(
                requests = n,
                "SCIM requests for accounts that do not exist (not recorded in any activity log)"
            );
        }
    }

    /// Waits until everything recorded so far is written (shutdown, tests).
    pub async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

/// Announces the accounts with new activity rows to the live feeds of this process, whichever
/// process (or replica) wrote them: it watches the table, not this process's writer. One
/// `MAX(id)` per [`WATCH_EVERY`]; the accounts are read only when the id moved and someone
/// is watching. Ends when the recorder is dropped or the database's writer stops.
async fn watch(db: Db, recorder: mpsc::WeakSender<Msg>, written: broadcast::Sender<Arc<str>>) {
    let running = db.writer().watch();
    let mut last = None;
    let mut tick = tokio::time::interval(WATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while running.running() && recorder.strong_count() > 0 {
        tick.tick().await;
        let newest = match store::scim_activity::newest_id(&db).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "live feed: could not read the activity log");
                continue;
            }
        };
        let Some(seen) = last.replace(newest) else {
            continue;
        };
        if newest <= seen || written.receiver_count() == 0 {
            continue;
        }
        match store::scim_activity::accounts_between(&db, seen, newest).await {
            // No receiver is fine: nobody is watching.
            Ok(accounts) => accounts.into_iter().for_each(|a| {
                let _ = written.send(Arc::from(a));
            }),
            Err(e) => tracing::warn!(error = %e, "live feed: could not read the activity log"),
        }
    }
}

async fn writer(db: Db, mut rx: mpsc::Receiver<Msg>) {
    let mut batch: Vec<ScimRequestRow> = Vec::with_capacity(BATCH);
    let mut cap = FailedAuthCap::default();
    while let Some(first) = rx.recv().await {
        // Gather for up to LINGER (or until a batch is full, or someone asks for a flush) so
        // that a busy IdP costs a few write transactions per second, not one per request.
        let mut flushes = Vec::new();
        let deadline = tokio::time::Instant::now() + LINGER;
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                Msg::Row(row) => batch.extend(cap.admit(*row, Instant::now())),
                Msg::Flush(done) => flushes.push(done),
            }
            next = if batch.len() >= BATCH || !flushes.is_empty() {
                None
            } else {
                tokio::time::timeout_at(deadline, rx.recv())
                    .await
                    .ok()
                    .flatten()
            };
        }
        let summaries = cap.take_summaries();
        if !batch.is_empty() || !summaries.is_empty() {
            let rows = std::mem::take(&mut batch);
            let written_rows = db
                .writer()
                .write_queued(move |c| {
                    Box::pin(async move {
                        store::scim_activity::insert_batch(c, &rows).await?;
                        let mut summaries = summaries;
                        for s in &mut summaries {
                            match s.id {
                                Some(id) => {
                                    let detail = s.row.detail.as_deref().unwrap_or_default();
                                    store::scim_activity::update_summary(c, id, &s.row.at, detail)
                                        .await?
                                }
                                None => {
                                    s.id =
                                        Some(store::scim_activity::insert_summary(c, &s.row).await?)
                                }
                            }
                        }
                        Ok(summaries)
                    })
                })
                .await;
            match written_rows {
                Err(e) => {
                    tracing::error!(error = %e, "could not write SCIM activity")
                }
                Ok(summaries) => {
                    for s in &summaries {
                        if let Some(id) = s.id {
                            cap.written(&s.row.account_id, s.window, id);
                        }
                    }
                }
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// Keeps the log within its bounds: at start, then every [`PRUNE_EVERY`], on the process that
/// leads jobs. Entries older than the retention go first, then each account's beyond its cap,
/// [`PRUNE_STEP`] rows per write job: a log far over its bounds (a lowered cap, a restore) is
/// pruned in many short jobs, and the writes that arrive meanwhile (this log's batches, SCIM
/// changes) wait for one step, not for the whole prune (7.5 million rows took one 40 s job).
/// Ends when the recorder is dropped or the database's writer stops.
async fn prune(db: Db, retention: Retention, recorder: mpsc::WeakSender<Msg>) {
    let running = db.writer().watch();
    let mut due = Instant::now();
    while running.running() && recorder.strong_count() > 0 {
        // Leadership can come later (a PostgreSQL replica takes it within seconds of starting,
        // or when the leader dies): asked again at the leader's own retry interval.
        if Instant::now() >= due && db.leads_jobs() {
            due = Instant::now() + PRUNE_EVERY;
            match prune_now(&db, retention).await {
                Ok(n) if n > 0 => tracing::info!(deleted = n, "pruned SCIM activity"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "could not prune SCIM activity"),
            }
        }
        tokio::time::sleep(store::leader::RETRY).await;
    }
}

/// One pass of [`prune`]: step by step until every bound holds. Returns the rows deleted.
async fn prune_now(db: &Db, retention: Retention) -> Result<u64, AppError> {
    let cutoff = ids::format_time(
        time::OffsetDateTime::now_utc() - time::Duration::days(i64::from(retention.days)),
    );
    let mut deleted = 0;
    loop {
        let cutoff = cutoff.clone();
        let n = db
            .writer()
            .write_queued(move |c| {
                Box::pin(
                    async move { store::scim_activity::prune_older(c, &cutoff, PRUNE_STEP).await },
                )
            })
            .await?;
        deleted += n;
        if n < PRUNE_STEP as u64 {
            break;
        }
    }
    for account in store::scim_activity::account_ids(db).await? {
        loop {
            let account = account.clone();
            let keep = retention.max_rows;
            let n = db
                .writer()
                .write_queued(move |c| {
                    Box::pin(async move {
                        store::scim_activity::prune_account(c, &account, keep, PRUNE_STEP).await
                    })
                })
                .await?;
            deleted += n;
            if n < PRUNE_STEP as u64 {
                break;
            }
        }
    }
    Ok(deleted)
}

const MAX_PATH: usize = 1000;

/// Middleware around the SCIM routes.
pub async fn record(
    State(recorder): State<ActivityRecorder>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let at = ids::now();
    let method = req.method().to_string();
    let mut path = match req.uri().query() {
        Some(q) => format!(
            "{}?{}",
            req.uri().path(),
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
        ),
        None => req.uri().path().to_string(),
    };
    if path.len() > MAX_PATH {
        let cut = (0..=MAX_PATH)
            .rev()
            .find(|i| path.is_char_boundary(*i))
            .unwrap_or(0);
        path.truncate(cut);
        path.push('…');
    }
    let account_id = account_in_path(req.uri().path()).unwrap_or("").to_string();
    let user_agent = req
        .headers()
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(300).collect());

    let mut res = next.run(req).await;
    if res.status() == StatusCode::METHOD_NOT_ALLOWED
        && res.extensions().get::<ScimErrorNote>().is_none()
    {
        res = AppError::MethodNotAllowed(format!("{method} is not supported on this endpoint"))
            .into_scim_response();
    }

    if res.extensions().get::<UnknownAccount>().is_some() {
        recorder.count_unknown();
        return res;
    }
    let status = res.status();
    let target = res.extensions().get::<ScimTarget>().cloned();
    recorder.push(ScimRequestRow {
        account_id,
        at,
        method,
        path,
        status: status.as_u16(),
        outcome: if status.is_server_error() {
            "server_error"
        } else if status.is_client_error() {
            "client_error"
        } else {
            "success"
        },
        duration_us: i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX),
        user_agent,
        api_key_id: res.extensions().get::<ScimKeyNote>().map(|k| k.0.clone()),
        resource_type: target.as_ref().map(|t| t.kind.to_string()),
        resource_id: target.map(|t| t.id),
        detail: res.extensions().get::<ScimErrorNote>().map(|n| n.0.clone()),
    });
    res
}
