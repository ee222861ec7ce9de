//! The server's one error type and every mapping of it to the outside world, in one place:
//! to HTTP responses (`IntoResponse`), to the browser's `ApiError`, and to CLI messages.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use rollcall_app::api::{ApiError, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that breaks a rule, field by field: `(field, message)`. SCIM: `invalidValue`.
    #[error("{}", .0.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<(String, String)>),
    /// A value that breaks a rule, not tied to one form field (SCIM `invalidValue`).
    #[error("{0}")]
    InvalidValue(String),
    /// A body or parameter that cannot be read at all (SCIM `invalidSyntax`).
    #[error("{0}")]
    InvalidSyntax(String),
    /// A filter that cannot be evaluated (SCIM `invalidFilter`).
    #[error("{0}")]
    InvalidFilter(String),
    /// A PATCH path that is not well formed or names nothing changeable (SCIM `invalidPath`).
    #[error("{0}")]
    InvalidPath(String),
    /// A PATCH `remove` or value filter that matches nothing (SCIM `noTarget`).
    #[error("{0}")]
    NoTarget(String),
    /// An attempt to change what never changes, e.g. the built-in group's name (SCIM
    /// `mutability`).
    #[error("{0}")]
    ReadOnly(String),
    /// A request that is wrong as a whole (an unknown filter value, a damaged link).
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// A rule refuses the change in the current state (the last active administrator, a user
    /// the identity provider manages): 409, with what to do in the message.
    #[error("{0}")]
    Conflict(String),
    /// The name or address is already used (SCIM 409 `uniqueness`).
    #[error("{0}")]
    Taken(String),
    /// No session (the browser).
    #[error("not logged in")]
    Unauthenticated,
    /// Credentials that were sent but are not valid (a wrong bearer token), with why.
    #[error("{0}")]
    BadCredentials(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// `If-Match` named another version.
    #[error("{0}")]
    PreconditionFailed(String),
    /// A request bigger than we take (a SCIM bulk over `maxOperations` or `maxPayloadSize`).
    #[error("{0}")]
    TooLarge(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("session store error: {0}")]
    Session(#[from] tower_sessions::session::Error),
    /// Cannot be done now, through no fault of the request (the write queue is full, the
    /// database is locked by another process, the server is stopping). Nothing was changed;
    /// the same request later will work: 503 with `Retry-After`.
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Internal(String),
}

/// Seconds a client is asked to wait after [`AppError::Busy`].
pub const RETRY_AFTER_SECS: &str = "1";

pub type AppResult<T> = Result<T, AppError>;

/// A database error by meaning: the database out of reach (a PostgreSQL server restarting, the
/// network, a pool that cannot get a connection) is [`AppError::Busy`] — nothing was changed
/// and the same request will work once it is back, so 503 with `Retry-After`, not a 500 —
/// and is logged here, once, for the operator. Everything else stays a database error.
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if out_of_reach(&e) {
            tracing::warn!(error = %e, "the database cannot be reached");
            unreachable()
        } else {
            AppError::Database(e)
        }
    }
}

/// The SQLite point reads that run without sqlx (`store::inline`): busy is busy (503), anything
/// else is ours (500, logged with its reason).
impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                AppError::Busy("the database is busy; try again in a moment".into())
            }
            _ => AppError::Internal(format!("database read failed: {e}")),
        }
    }
}

/// Is `e` the database being out of reach (rather than refusing a statement)?
pub fn out_of_reach(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    )
}

/// The answer to writes that could not run because the database is out of reach.
pub fn unreachable() -> AppError {
    AppError::Busy("the database cannot be reached; try again in a moment".into())
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![(field.to_string(), message.into())])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(_)
            | AppError::InvalidValue(_)
            | AppError::InvalidSyntax(_)
            | AppError::InvalidFilter(_)
            | AppError::InvalidPath(_)
            | AppError::NoTarget(_)
            | AppError::ReadOnly(_)
            | AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) | AppError::Taken(_) => StatusCode::CONFLICT,
            AppError::Unauthenticated | AppError::BadCredentials(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_)
            | AppError::Migration(_)
            | AppError::Session(_)
            | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Our fault (logged with detail, shown without): every 5xx but "busy".
    fn is_internal(&self) -> bool {
        self.status().is_server_error() && !matches!(self, AppError::Busy(_))
    }

    /// Is this the database refusing a duplicate (a UNIQUE constraint)?
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, AppError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// A word outside its vocabulary (a hand-edited link, a bad parameter) is the request's fault.
impl From<crate::vocab::UnknownWord> for AppError {
    fn from(err: crate::vocab::UnknownWord) -> Self {
        AppError::BadRequest(err.to_string())
    }
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        if err.is_internal() {
            tracing::error!(error = %err, "request failed");
        }
        match err {
            AppError::Invalid(fields) => ApiError::Invalid(
                fields
                    .into_iter()
                    .map(|(field, message)| FieldError { field, message })
                    .collect(),
            ),
            AppError::BadRequest(m)
            | AppError::InvalidValue(m)
            | AppError::InvalidSyntax(m)
            | AppError::InvalidFilter(m)
            | AppError::InvalidPath(m)
            | AppError::NoTarget(m)
            | AppError::TooLarge(m)
            | AppError::MethodNotAllowed(m) => ApiError::Rejected(m),
            AppError::NotFound(m) => ApiError::NotFound(m),
            AppError::Conflict(m)
            | AppError::Taken(m)
            | AppError::ReadOnly(m)
            | AppError::PreconditionFailed(m) => ApiError::Conflict(m),
            AppError::Unauthenticated | AppError::BadCredentials(_) => ApiError::Unauthenticated,
            AppError::Forbidden(_) => ApiError::Forbidden,
            AppError::TooManyRequests(m) => ApiError::TooManyRequests(m),
            AppError::Busy(_) => ApiError::Busy,
            AppError::Database(_)
            | AppError::Migration(_)
            | AppError::Session(_)
            | AppError::Internal(_) => ApiError::Internal("see the server log".into()),
        }
    }
}

impl AppError {
    /// What a client may read: the message for a client mistake, a generic line for our own
    /// failures (whose detail goes to the log only, here).
    fn public_message(&self) -> String {
        if self.is_internal() {
            tracing::error!(error = %self, "request failed");
            "internal error; see the server log".to_string()
        } else {
            self.to_string()
        }
    }

    /// `Retry-After` on a [`AppError::Busy`] answer, whatever its form.
    fn with_retry_after(&self, mut res: Response) -> Response {
        if matches!(self, AppError::Busy(_)) {
            res.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        res
    }

    /// A plain-text answer (the CSV download, the live feed).
    pub fn into_plain_response(self) -> Response {
        let res = (self.status(), format!("{}\n", self.public_message())).into_response();
        self.with_retry_after(res)
    }
}

/// Escapes text for HTML.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A minimal HTML page around `body` (already HTML) for doors that are not the Leptos app (the
/// SAML endpoints), styled like the log-in page and never cached.
pub fn html_document(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{t} · Rollcall</title><link rel=\"stylesheet\" href=\"/pkg/rollcall.css\"></head><body><main id=\"main\" class=\"centered\"><section class=\"card auth-card\"><h1>{t}</h1>{body}</section></main></body></html>",
        t = escape_html(title),
    );
    let mut res = (status, axum::response::Html(page)).into_response();
    res.headers_mut().insert(
        http::header::CACHE_CONTROL,
        http::HeaderValue::from_static("no-store"),
    );
    res
}

/// A page that says what went wrong, with a way back to the log-in page.
pub fn html_page(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<p role=\"alert\">{}</p><p><a href=\"/login\">Back to log in</a></p>",
        escape_html(message)
    );
    html_document(status, title, &body)
}

impl AppError {
    /// An HTML page saying what went wrong (SAML log-in failures).
    pub fn into_html_response(self, title: &str) -> Response {
        let res = html_page(self.status(), title, &self.public_message());
        self.with_retry_after(res)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = axum::Json(serde_json::json!({ "error": self.public_message() }));
        let res = (self.status(), body).into_response();
        self.with_retry_after(res)
    }
}

/// Detail of the error a SCIM response carried, for the provisioning activity log.
#[derive(Debug, Clone)]
pub struct ScimErrorNote(pub String);

impl AppError {
    /// The RFC 7644 §3.12 form of this error: HTTP status, `scimType`, `detail`.
    pub fn scim_parts(&self) -> (StatusCode, Option<&'static str>, String) {
        let status = self.status();
        match self {
            AppError::Invalid(_) => (status, Some("invalidValue"), self.to_string()),
            AppError::InvalidValue(m) => (status, Some("invalidValue"), m.clone()),
            AppError::InvalidSyntax(m) => (status, Some("invalidSyntax"), m.clone()),
            AppError::InvalidFilter(m) => (status, Some("invalidFilter"), m.clone()),
            AppError::InvalidPath(m) => (status, Some("invalidPath"), m.clone()),
            AppError::NoTarget(m) => (status, Some("noTarget"), m.clone()),
            AppError::ReadOnly(m) => (status, Some("mutability"), m.clone()),
            AppError::Taken(m) => (status, Some("uniqueness"), m.clone()),
            AppError::Unauthenticated => (
                status,
                None,
                "authentication required: send Authorization: Bearer <API key>".into(),
            ),
            AppError::NotFound(m)
            | AppError::BadRequest(m)
            | AppError::Conflict(m)
            | AppError::BadCredentials(m)
            | AppError::Forbidden(m)
            | AppError::MethodNotAllowed(m)
            | AppError::TooManyRequests(m)
            | AppError::PreconditionFailed(m)
            | AppError::TooLarge(m)
            | AppError::Busy(m) => (status, None, m.clone()),
            AppError::Database(_)
            | AppError::Migration(_)
            | AppError::Session(_)
            | AppError::Internal(_) => {
                tracing::error!(error = %self, "SCIM request failed");
                (
                    status,
                    None,
                    "internal error; the server log has the details".into(),
                )
            }
        }
    }

    /// The RFC 7644 §3.12 error body, with its status and detail (also a bulk operation's
    /// `response`).
    pub fn scim_body(&self) -> (StatusCode, serde_json::Value, String) {
        let (status, scim_type, detail) = self.scim_parts();
        let mut body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": status.as_u16().to_string(),
            "detail": detail,
        });
        if let Some(t) = scim_type {
            body["scimType"] = serde_json::json!(t);
        }
        (status, body, detail)
    }

    /// The SCIM error response (`application/scim+json`), with `WWW-Authenticate` on 401.
    pub fn into_scim_response(self) -> Response {
        let (status, mut body, detail) = self.scim_body();
        // The IdP shows the detail in its provisioning log: with the id, an operator finds
        // the request's lines in ours.
        if let Some(id) = crate::request_log::current() {
            body["detail"] = serde_json::json!(format!("{detail} (request id {id})"));
        }
        let mut res = (
            status,
            [(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static("application/scim+json; charset=utf-8"),
            )],
            body.to_string(),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                http::header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Bearer realm=\"Rollcall SCIM\""),
            );
        }
        res.extensions_mut().insert(ScimErrorNote(detail));
        self.with_retry_after(res)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_out_of_reach_is_busy_and_a_refused_statement_is_not() {
        let gone = AppError::from(sqlx::Error::PoolTimedOut);
        assert_eq!(gone.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(!gone.is_internal());
        let refused = AppError::from(sqlx::Error::RowNotFound);
        assert_eq!(refused.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn client_mistakes_are_4xx_and_keep_their_fields() {
        let err = AppError::invalid("email", "Enter an e-mail address.");
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let api: ApiError = err.into();
        assert_eq!(
            api.field_message("email").as_deref(),
            Some("Enter an e-mail address.")
        );
    }

    #[tokio::test]
    async fn plain_answers_hide_internal_detail_and_keep_client_messages() {
        let body = |e: AppError| async move {
            let res = e.into_plain_response();
            let status = res.status();
            let bytes = axum::body::to_bytes(res.into_body(), 1 << 16)
                .await
                .unwrap();
            (status, String::from_utf8(bytes.to_vec()).unwrap())
        };
        let (status, text) =
            body(AppError::Internal("no such table: users at /var/db".into())).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(
            !text.contains("/var/db") && !text.contains("table"),
            "{text}"
        );
        let (status, text) = body(AppError::BadRequest("Unknown status 'x'.".into())).await;
        assert_eq!(
            (status, text.trim()),
            (StatusCode::BAD_REQUEST, "Unknown status 'x'.")
        );
    }

    #[test]
    fn semantic_errors_map_to_their_scim_keyword() {
        for (e, status, keyword) in [
            (AppError::Taken("x".into()), 409, Some("uniqueness")),
            (AppError::Conflict("x".into()), 409, None),
            (AppError::ReadOnly("x".into()), 400, Some("mutability")),
            (
                AppError::InvalidFilter("x".into()),
                400,
                Some("invalidFilter"),
            ),
            (AppError::InvalidPath("x".into()), 400, Some("invalidPath")),
            (AppError::NoTarget("x".into()), 400, Some("noTarget")),
            (
                AppError::InvalidSyntax("x".into()),
                400,
                Some("invalidSyntax"),
            ),
            (
                AppError::InvalidValue("x".into()),
                400,
                Some("invalidValue"),
            ),
            (AppError::BadCredentials("x".into()), 401, None),
            (AppError::MethodNotAllowed("x".into()), 405, None),
        ] {
            let (s, k, _) = e.scim_parts();
            assert_eq!((s.as_u16(), k), (status, keyword), "{e:?}");
        }
    }

    #[test]
    fn internal_errors_do_not_leak_detail_to_the_browser() {
        let api: ApiError = AppError::Internal("disk on fire at /var/secret".into()).into();
        assert!(!api.to_string().contains("/var/secret"));
        assert_eq!(api.status(), 500);
    }
}
