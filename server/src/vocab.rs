//! The words every layer shares (statuses, sources, actors, commands, audit actions, the Users
//! page's query). They live in the UI crate because the WASM client needs them too; see
//! `rollcall_app::vocab`. The store decodes them from their column text (`TryFrom<String>`), so
//! a value outside the migrations' lists is an error, never a silent default.

pub use rollcall_app::vocab::*;
