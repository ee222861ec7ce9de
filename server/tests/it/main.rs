//! The one integration-test binary: the suites run the real `rollcall` binary (CLI calls on
//! temporary SQLite files, servers on port 0) through its public surface; `lifetimes` builds
//! the application in this process instead (`common::inproc`), where the test owns the clock. One binary links
//! once and lets the suites' tests run side by side; `common` holds the shared helpers.
//! Run one suite with `cargo test --release -p rollcall-server --test it -- scim_users::`.

mod common;

mod admin;
mod cli;
mod db_copy;
mod http;
mod invites;
mod lifetimes;
mod operations;
mod postgres_replicas;
mod postgres_schema;
mod postgres_store;
mod replicas;
mod saml;
mod scim_bulk;
mod scim_groups;
mod scim_paging;
mod scim_users;
mod write_path;
