//! The server's implementation of the UI's `Backend` port: each method is a call into the
//! domain plus the mapping of its error to the browser's `ApiError`.

use crate::domain::{auth, setup::SetupGate};
use crate::store::Db;
use rollcall_app::api::{ApiError, CurrentUser, SetupInput, Viewer};
use rollcall_app::backend::{Backend, RequestCtx};
use std::sync::Arc;

pub struct ServerBackend {
    pub db: Db,
    pub setup: Arc<SetupGate>,
}

#[async_trait::async_trait]
impl Backend for ServerBackend {
    async fn whoami(&self, ctx: &RequestCtx) -> Result<Viewer, ApiError> {
        if self.setup.pending(&self.db).await? {
            return Ok(Viewer::SetupRequired);
        }
        Ok(match auth::current_user(&self.db, &ctx.session).await? {
            None => Viewer::Anonymous,
            Some(u) => Viewer::LoggedIn(CurrentUser {
                id: u.id,
                email: u.email,
                first_name: u.first_name,
                last_name: u.last_name,
                account_id: u.account_id,
                account_name: u.account_name,
                is_admin: u.is_admin,
            }),
        })
    }

    async fn login(
        &self,
        ctx: &RequestCtx,
        email: String,
        password: String,
    ) -> Result<(), ApiError> {
        let result = auth::login(&self.db, &ctx.session, &email, &password).await;
        match &result {
            Ok(a) => {
                tracing::info!(user_id = %a.user_id, account_id = %a.account_id, ip = ?ctx.client_ip, "log-in")
            }
            Err(e) => tracing::info!(ip = ?ctx.client_ip, reason = %e, "log-in refused"),
        }
        result.map(|_| ()).map_err(|e| match e {
            // The message is the same for every refusal reason; present it on the form.
            crate::AppError::Forbidden(m) => ApiError::Rejected(m),
            other => other.into(),
        })
    }

    async fn logout(&self, ctx: &RequestCtx) -> Result<(), ApiError> {
        Ok(auth::logout(&ctx.session).await?)
    }

    async fn complete_setup(&self, ctx: &RequestCtx, input: SetupInput) -> Result<(), ApiError> {
        Ok(self.setup.complete(&self.db, &ctx.session, input).await?)
    }
}
