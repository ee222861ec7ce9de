//! The one error type the browser sees. The server maps its own errors into it (in
//! `server/src/error.rs`); here it knows its HTTP status and how to travel as JSON.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// A problem with one form field, shown next to that field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    /// No valid session: the page should send the user to log in.
    #[error("Your session has ended. Please log in again.")]
    Unauthenticated,
    #[error("You do not have permission to do that.")]
    Forbidden,
    /// One or more form fields are wrong; each message belongs next to its field.
    #[error("Please correct the highlighted fields.")]
    Invalid(Vec<FieldError>),
    /// The request is wrong as a whole (not tied to one field).
    #[error("{0}")]
    Rejected(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooManyRequests(String),
    /// The server cannot take the change right now (overloaded or shutting down); nothing was
    /// changed, and trying again shortly will work.
    #[error("The server is busy; nothing was changed. Please try again in a moment.")]
    Busy,
    /// Our fault. The detail is logged on the server, the browser gets a generic text.
    #[error("Something went wrong on our side; please try again. ({0})")]
    Internal(String),
    /// The request did not reach the server or its answer could not be read.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError {
            field: field.into(),
            message: message.into(),
        }])
    }

    /// The message for `field`, if this error has one.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            ApiError::Invalid(errors) => errors
                .iter()
                .find(|e| e.field == field)
                .map(|e| e.message.clone()),
            _ => None,
        }
    }

    /// HTTP status for the server function's response.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Unauthenticated => 401,
            ApiError::Forbidden => 403,
            ApiError::Invalid(_) | ApiError::Rejected(_) => 400,
            ApiError::NotFound(_) => 404,
            ApiError::Conflict(_) => 409,
            ApiError::TooManyRequests(_) => 429,
            ApiError::Busy => 503,
            ApiError::Internal(_) => 500,
            ApiError::Transport(_) => 502,
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                ApiError::Rejected(format!("The form could not be read: {msg}"))
            }
            other => ApiError::Transport(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_errors_are_found_by_field() {
        let err = ApiError::field("email", "Enter an e-mail address.");
        assert_eq!(
            err.field_message("email").as_deref(),
            Some("Enter an e-mail address.")
        );
        assert_eq!(err.field_message("password"), None);
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn errors_round_trip_as_json() {
        let err = ApiError::TooManyRequests("wait".into());
        let back = ApiError::de(err.ser());
        assert_eq!(back, err);
    }
}

/// A hand-edited link with a word that is not one: the page says what to use instead.
impl From<crate::vocab::UnknownWord> for ApiError {
    fn from(e: crate::vocab::UnknownWord) -> Self {
        ApiError::Rejected(e.to_string())
    }
}
