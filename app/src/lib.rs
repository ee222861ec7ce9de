//! Rollcall's user interface: one Leptos crate compiled twice.
//!
//! With `ssr` it is linked into the `rollcall` server, which renders every page on the server and
//! runs the `#[server]` functions; with `hydrate` it becomes the WASM that makes those pages
//! interactive in the browser. Nothing in here touches the database: server functions reach the
//! server's domain through the [`backend`] port, so this crate stays small and WASM-safe.

pub mod api;
pub mod app;
#[cfg(feature = "ssr")]
pub mod backend;
pub mod components;
pub mod pages;
pub mod vocab;

pub use app::{shell, App};

/// Entry point of the WASM bundle: attaches the client-side app to the server-rendered HTML.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
