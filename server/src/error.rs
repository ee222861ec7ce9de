//! The server's one error type and every mapping of it to the outside world, in one place:
//! to HTTP responses (`IntoResponse`), to the browser's `ApiError`, and to CLI messages.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use rollcall_app::api::{ApiError, FieldError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input that breaks a rule, field by field: `(field, message)`.
    #[error("{}", .0.iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<(String, String)>),
    /// A request that is wrong as a whole (an unknown filter value, a damaged link).
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("not logged in")]
    Unauthenticated,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// `If-Match` named another version.
    #[error("{0}")]
    PreconditionFailed(String),
    /// A SCIM-specific client error with its RFC 7644 §3.12 `scimType`.
    #[error("{detail}")]
    Scim {
        status: u16,
        scim_type: Option<&'static str>,
        detail: String,
    },
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
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

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![(field.to_string(), message.into())])
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Invalid(_) | AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Scim { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_REQUEST)
            }
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
            AppError::BadRequest(m) => ApiError::Rejected(m),
            AppError::NotFound(m) => ApiError::NotFound(m),
            AppError::Conflict(m) => ApiError::Conflict(m),
            AppError::Unauthenticated => ApiError::Unauthenticated,
            AppError::Forbidden(_) => ApiError::Forbidden,
            AppError::TooManyRequests(m) => ApiError::TooManyRequests(m),
            AppError::PreconditionFailed(m) => ApiError::Conflict(m),
            AppError::Busy(_) => ApiError::Busy,
            AppError::Scim {
                status: 404,
                detail,
                ..
            } => ApiError::NotFound(detail),
            AppError::Scim {
                status: 409,
                detail,
                ..
            } => ApiError::Conflict(detail),
            AppError::Scim { detail, .. } => ApiError::Rejected(detail),
            AppError::Database(_)
            | AppError::Migration(_)
            | AppError::Session(_)
            | AppError::Internal(_) => ApiError::Internal("see the server log".into()),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = if self.is_internal() {
            tracing::error!(error = %self, "request failed");
            "internal error; see the server log".to_string()
        } else {
            self.to_string()
        };
        let busy = matches!(self, AppError::Busy(_));
        let mut res = (status, axum::Json(serde_json::json!({ "error": message }))).into_response();
        if busy {
            res.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        res
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
            AppError::Scim {
                scim_type, detail, ..
            } => (status, *scim_type, detail.clone()),
            AppError::Invalid(_) => (status, Some("invalidValue"), self.to_string()),
            AppError::Conflict(m) => (status, Some("uniqueness"), m.clone()),
            AppError::Unauthenticated => (
                status,
                None,
                "authentication required: send Authorization: Bearer <API key>".into(),
            ),
            AppError::NotFound(m)
            | AppError::BadRequest(m)
            | AppError::Forbidden(m)
            | AppError::TooManyRequests(m)
            | AppError::PreconditionFailed(m)
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

    /// The SCIM error response (`application/scim+json`), with `WWW-Authenticate` on 401.
    pub fn into_scim_response(self) -> Response {
        let busy = matches!(self, AppError::Busy(_));
        let (status, scim_type, detail) = self.scim_parts();
        let mut body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": status.as_u16().to_string(),
            "detail": detail,
        });
        if let Some(t) = scim_type {
            body["scimType"] = serde_json::json!(t);
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
        if busy {
            res.headers_mut().insert(
                http::header::RETRY_AFTER,
                http::HeaderValue::from_static(RETRY_AFTER_SECS),
            );
        }
        res.extensions_mut().insert(ScimErrorNote(detail));
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn internal_errors_do_not_leak_detail_to_the_browser() {
        let api: ApiError = AppError::Internal("disk on fire at /var/secret".into()).into();
        assert!(!api.to_string().contains("/var/secret"));
        assert_eq!(api.status(), 500);
    }
}
