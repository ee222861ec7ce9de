//! The browser's API: `#[server]` functions and the wire types they exchange.
//!
//! Each server function is a thin door: find the backend port and the session in the request
//! context, call the domain, map the error. Endpoints are fixed (`/api/<name>`) so that tests and
//! scripts can call them without knowing the macro's hash suffix.

mod account;
mod directory;
mod error;
mod keys;
mod logs;
mod session;
mod types;

pub use account::*;
pub use directory::*;
pub use error::{ApiError, FieldError};
pub use keys::*;
pub use logs::*;
pub use session::*;
pub use types::*;

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::ApiError;
    use crate::backend::{BackendHandle, RequestCtx};

    /// Everything a server function needs: the backend port and this request's context.
    pub async fn context() -> Result<(BackendHandle, RequestCtx), ApiError> {
        let backend = leptos::prelude::use_context::<BackendHandle>().ok_or_else(|| {
            ApiError::Internal("the backend is not in the request context".into())
        })?;
        let session = leptos_axum::extract::<tower_sessions::Session>()
            .await
            .map_err(|e| ApiError::Internal(format!("no session layer: {e}")))?;
        let parts = leptos_axum::extract::<http::request::Parts>()
            .await
            .map_err(|e| ApiError::Internal(format!("no request parts: {e}")))?;
        Ok((backend, RequestCtx::new(session, &parts)))
    }

    /// Sets the HTTP status of the server function's response from its error, so a client
    /// mistake is a 4xx and never a 500.
    pub fn respond<T>(result: Result<T, ApiError>) -> Result<T, ApiError> {
        if let Err(err) = &result {
            if let Some(opts) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
                opts.set_status(
                    http::StatusCode::from_u16(err.status())
                        .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR),
                );
            }
        }
        result
    }
}
