//! SCIM 2.0 service provider (RFC 7643 / 7644) under `/scim/account/{accountId}`.
//!
//! - `filter`: one grammar for filters and PATCH paths.
//! - `patch`: the pure PATCH engine.
//! - `resources`: rendering (strict) and reading (tolerant) of Users and Groups.
//! - `discovery`: ServiceProviderConfig, Schemas, ResourceTypes.
//! - `auth`: bearer API keys.
//! - `handlers`: the endpoints; rules live in `domain::provisioning`.
//! - `bulk`: `POST /Bulk`, many operations as one writer job (`domain::bulk`).
//! - `activity`: every request recorded off the request path, for the activity page.

pub mod activity;
mod activity_cap;
pub mod auth;
pub mod bulk;
pub mod discovery;
pub mod handlers;
pub mod member_text;
pub mod patch;
pub mod resources;

use crate::startup::AppState;
use axum::routing::{get, post};
use axum::Router;
use handlers::{create, delete, get as get_one, list, modify, replace, search, Groups, Users};

/// The SCIM routes; `AppState` supplies the database, settings and the activity recorder.
pub fn router(state: &AppState) -> Router<AppState> {
    let base = "/scim/account/{account_id}";
    Router::new()
        .route(
            &format!("{base}/Users"),
            get(list::<Users>).post(create::<Users>),
        )
        .route(&format!("{base}/Users/.search"), post(search::<Users>))
        .route(
            &format!("{base}/Users/{{id}}"),
            get(get_one::<Users>)
                .put(replace::<Users>)
                .patch(modify::<Users>)
                .delete(delete::<Users>),
        )
        .route(
            &format!("{base}/Groups"),
            get(list::<Groups>).post(create::<Groups>),
        )
        .route(&format!("{base}/Groups/.search"), post(search::<Groups>))
        .route(
            &format!("{base}/Groups/{{id}}"),
            get(get_one::<Groups>)
                .put(replace::<Groups>)
                .patch(modify::<Groups>)
                .delete(delete::<Groups>),
        )
        .route(&format!("{base}/.search"), post(handlers::search_all))
        .route(
            &format!("{base}/Bulk"),
            post(bulk::bulk).layer(axum::extract::DefaultBodyLimit::max(bulk::MAX_PAYLOAD)),
        )
        .route(
            &format!("{base}/ServiceProviderConfig"),
            get(discovery::service_provider_config),
        )
        .route(&format!("{base}/Schemas"), get(discovery::schemas))
        .route(&format!("{base}/Schemas/{{id}}"), get(discovery::schema))
        .route(
            &format!("{base}/ResourceTypes"),
            get(discovery::resource_types),
        )
        .route(
            &format!("{base}/ResourceTypes/{{id}}"),
            get(discovery::resource_type),
        )
        .route(
            &format!("{base}/{{*rest}}"),
            axum::routing::any(handlers::no_such_endpoint),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::require_bearer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.activity.clone(),
            activity::record,
        ))
}
