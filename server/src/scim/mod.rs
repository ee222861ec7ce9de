//! SCIM 2.0 service provider (RFC 7643 / 7644) under `/scim/account/{accountId}`.
//!
//! - `filter`: one grammar for filters and PATCH paths.
//! - `patch`: the pure PATCH engine.
//! - `resources`: rendering (strict) and reading (tolerant) of Users and Groups.
//! - `discovery`: ServiceProviderConfig, Schemas, ResourceTypes.
//! - `auth`: bearer API keys.
//! - `handlers`: the endpoints; rules live in `domain::provisioning`.
//! - `activity`: every request recorded off the request path, for the activity page.

pub mod activity;
pub mod auth;
pub mod discovery;
pub mod filter;
pub mod handlers;
pub mod patch;
pub mod resources;

use crate::startup::AppState;
use axum::routing::{get, post};
use axum::Router;

/// The SCIM routes; `AppState` supplies the database, settings and the activity recorder.
pub fn router(state: &AppState) -> Router<AppState> {
    let base = "/scim/account/{account_id}";
    Router::new()
        .route(
            &format!("{base}/Users"),
            get(handlers::list_users).post(handlers::create_user),
        )
        .route(
            &format!("{base}/Users/.search"),
            post(handlers::search_users),
        )
        .route(
            &format!("{base}/Users/{{id}}"),
            get(handlers::get_user)
                .put(handlers::replace_user)
                .patch(handlers::patch_user)
                .delete(handlers::delete_user),
        )
        .route(
            &format!("{base}/Groups"),
            get(handlers::list_groups).post(handlers::create_group),
        )
        .route(
            &format!("{base}/Groups/.search"),
            post(handlers::search_groups),
        )
        .route(
            &format!("{base}/Groups/{{id}}"),
            get(handlers::get_group)
                .put(handlers::replace_group)
                .patch(handlers::patch_group)
                .delete(handlers::delete_group),
        )
        .route(&format!("{base}/.search"), post(handlers::search_all))
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
