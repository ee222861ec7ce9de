//! The Rollcall server: the `rollcall` binary's CLI, the HTTP front doors (UI, SCIM, health)
//! and everything that touches the database.
//!
//! Layers, top to bottom: `cli` and `startup` (entry points) → `backend` / `web` (front doors)
//! → `domain` (the product's rules) → `store` (the only place with SQL).

pub mod admin_http;
pub mod assets;
pub mod backend;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod filter;
pub mod ids;
pub mod listen;
pub mod mail;
pub mod proxy;
pub mod request_log;
pub mod saml;
pub mod scim;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod vocab;
pub mod web;

pub use error::AppError;
