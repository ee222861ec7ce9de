//! The rules of a group, whichever door a change comes through: name limits, and the built-in
//! Account Administrator group, which is never renamed, deleted or emptied (and, through
//! `user_rules`, never loses its last active member).

use crate::domain::validate;
use crate::error::{AppError, AppResult};

/// The longest group name, in characters (SCIM `displayName` and the UI alike).
pub const NAME_MAX: usize = 200;

/// A group name: 1 to [`NAME_MAX`] printable characters. `field` names the input it came from.
pub fn check_name(field: &str, name: &str) -> AppResult<()> {
    validate::name(name, "a group name", NAME_MAX).map_err(|m| AppError::invalid(field, m))
}

pub fn builtin_rename(name: &str) -> AppError {
    AppError::ReadOnly(format!("“{name}” is built in and keeps its name."))
}

pub fn builtin_delete(name: &str) -> AppError {
    AppError::ReadOnly(format!("“{name}” is built in and cannot be deleted."))
}

pub fn builtin_empty(name: &str) -> AppError {
    AppError::Conflict(format!(
        "“{name}” must keep at least one member: add someone else before you remove the last one."
    ))
}
