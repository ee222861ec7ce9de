//! The two administrator endpoints that are plain HTTP rather than server functions: the live
//! provisioning feed (server-sent events) and the CSV export of the Users page. Both require an
//! administrator's browser session, like every server function.

use crate::domain::{auth, directory};
use crate::error::AppError;
use crate::startup::AppState;
use crate::store::users::SessionUser;
use crate::vocab::UserQuery;
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use http::{header, StatusCode};
use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tower_sessions::Session;

async fn admin(state: &AppState, session: &Session) -> Result<SessionUser, Response> {
    match auth::current_user(&state.db, session, state.settings.session_max_age()).await {
        Ok(Some(u)) if u.is_admin => Ok(u),
        Ok(Some(_)) => Err((StatusCode::FORBIDDEN, "administrators only\n").into_response()),
        Ok(None) => Err((StatusCode::UNAUTHORIZED, "log in first\n").into_response()),
        Err(e) => Err(error_response(e)),
    }
}

fn error_response(e: AppError) -> Response {
    e.into_plain_response()
}

/// How often an open feed re-checks its session: a logged-out, suspended or demoted
/// administrator's feed ends within this time.
const RECHECK: Duration = Duration::from_secs(5);
/// Open feeds per user (per server process); one more is answered 429.
pub const STREAMS_PER_USER: usize = 4;

/// Open feeds per user id; a [`StreamSlot`] gives its place back when the feed ends.
fn open_streams() -> &'static std::sync::Mutex<std::collections::HashMap<String, usize>> {
    static OPEN: std::sync::OnceLock<std::sync::Mutex<std::collections::HashMap<String, usize>>> =
        std::sync::OnceLock::new();
    OPEN.get_or_init(Default::default)
}

struct StreamSlot(String);

impl StreamSlot {
    fn take(user_id: &str) -> Option<StreamSlot> {
        let mut open = open_streams().lock().ok()?;
        let n = open.entry(user_id.to_string()).or_insert(0);
        if *n >= STREAMS_PER_USER {
            return None;
        }
        *n += 1;
        Some(StreamSlot(user_id.to_string()))
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Ok(mut open) = open_streams().lock() {
            if let Some(n) = open.get_mut(&self.0) {
                *n -= 1;
                if *n == 0 {
                    open.remove(&self.0);
                }
            }
        }
    }
}

/// Is the feed's session still an administrator's? (Its record may have been deleted by a
/// log-out in another request: look in the store, not at this request's copy.)
async fn still_admin(state: &AppState, session: &Session) -> bool {
    use tower_sessions::SessionStore;
    let Some(id) = session.id() else {
        return false;
    };
    let store = crate::store::sessions::DbSessionStore::new(state.db.clone());
    matches!(store.load(&id).await, Ok(Some(_))) && admin(state, session).await.is_ok()
}

/// `GET /live/activity`: an `activity` event whenever new SCIM requests of the administrator's
/// account have been recorded; the page then loads the newest entries.
pub async fn activity_stream(State(state): State<AppState>, session: Session) -> Response {
    let user = match admin(&state, &session).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let Some(slot) = StreamSlot::take(&user.id) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "too many live feeds open for this user; close a tab\n",
        )
            .into_response();
    };
    let rx = state.activity.subscribe();
    let account = user.account_id;
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.tick().await;
    let events = stream::unfold(
        (rx, recheck, state, session, slot),
        move |(mut rx, mut recheck, state, session, slot)| {
            let account = account.clone();
            async move {
                loop {
                    let event = tokio::select! {
                        got = rx.recv() => match got {
                            Ok(id) if *id == *account => Event::default().event("activity").data("new"),
                            Ok(_) => continue,
                            // Fell behind: some batches were missed, one more reason to reload.
                            Err(RecvError::Lagged(_)) => Event::default().event("activity").data("lagged"),
                            Err(RecvError::Closed) => return None,
                        },
                        _ = recheck.tick() => {
                            if !still_admin(&state, &session).await {
                                return None;
                            }
                            // A comment line: writing it is how a closed tab is noticed (and
                            // its slot freed) within seconds.
                            Event::default().comment("")
                        }
                    };
                    return Some((
                        Ok::<_, Infallible>(event),
                        (rx, recheck, state, session, slot),
                    ));
                }
            }
        },
    );
    Sse::new(events)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

/// The Users page's query for the rows after `after` ("" = from the start).
fn page_after(q: &UserQuery, after: &str) -> UserQuery {
    UserQuery {
        after: after.to_string(),
        before: String::new(),
        ..q.clone()
    }
}

/// One CSV cell: quoted when needed, and defused when a spreadsheet would read it as a formula
/// (names come from outside, e.g. the IdP).
fn cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

const CSV_HEADER: &str =
    "id,first_name,last_name,email,user_name,status,source,groups,last_login_at\r\n";

/// `GET /export/users.csv?q=&status=&source=&sort=`: every user matching the Users page's
/// filters, streamed page by page (constant memory at any size).
pub async fn users_csv(
    State(state): State<AppState>,
    session: Session,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let user = match admin(&state, &session).await {
        Ok(u) => u,
        Err(r) => return r,
    };
    let param = |name: &'static str| params.get(name).cloned().unwrap_or_default();
    let q = match UserQuery::from_params(param) {
        Ok(q) => q,
        Err(e) => return error_response(e.into()),
    };
    // Validate the filters before the first byte, so a bad link is a clear 400, not a cut file.
    let first = match directory::users_page(
        &state.db,
        &user.account_id,
        &page_after(&q, ""),
        directory::EXPORT_CHUNK,
    )
    .await
    {
        Ok(page) => page,
        Err(e) => return error_response(e),
    };
    let db = state.db.clone();
    let account = user.account_id.clone();
    let chunks = stream::unfold(
        (Some(first), Some(CSV_HEADER.to_string()), false),
        move |(page, header, done)| {
            let (db, account) = (db.clone(), account.clone());
            let q = q.clone();
            async move {
                if let Some(h) = header {
                    return Some((Ok::<_, AppError>(h), (page, None, done)));
                }
                if done {
                    return None;
                }
                let page = match page {
                    Some(p) => p,
                    None => return None,
                };
                let mut out = String::new();
                for r in &page.rows {
                    let groups = page
                        .groups
                        .get(&r.id)
                        .map(|g| g.join("; "))
                        .unwrap_or_default();
                    let fields = [
                        r.id.as_str(),
                        &r.first_name,
                        &r.last_name,
                        r.email.as_deref().unwrap_or(""),
                        &r.user_name,
                        r.status.as_str(),
                        r.source.as_str(),
                        &groups,
                        r.last_login_at.as_deref().unwrap_or(""),
                    ];
                    out.push_str(&fields.map(cell).join(","));
                    out.push_str("\r\n");
                }
                let next = match &page.next {
                    None => None,
                    Some(after) => {
                        let query = page_after(&q, after);
                        match directory::users_page(&db, &account, &query, directory::EXPORT_CHUNK)
                            .await
                        {
                            Ok(p) => Some(p),
                            Err(e) => return Some((Err(e), (None, None, true))),
                        }
                    }
                };
                let done = next.is_none();
                Some((Ok(out), (next, None, done)))
            }
        },
    );
    let filename = format!(
        "rollcall-users-{}.csv",
        crate::ids::now().get(..10).unwrap_or("export")
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(cell("-1,2"), "\"'-1,2\"");
    }
}
