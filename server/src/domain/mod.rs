//! The product's rules, shared by every front door (CLI, UI server functions, SCIM).
//! No HTTP and no Leptos here; SQL only through `crate::store`.

pub mod accounts;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod directory;
#[cfg(test)]
pub mod fixture;
pub mod group_rules;
pub mod invites;
pub mod passwords;
pub mod provisioning;
pub mod rate_limit;
pub mod resets;
pub mod setup;
pub mod sso;
pub mod sso_check;
pub mod user_rules;
pub mod users;
pub mod validate;
