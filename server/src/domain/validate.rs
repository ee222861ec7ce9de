//! Input rules shared by every form and command, collected field by field so a form can show
//! all of its mistakes at once.

use crate::error::AppError;

/// Collects `(field, message)` problems; `finish()` turns them into one `AppError::Invalid`.
#[derive(Default)]
pub struct Problems(Vec<(String, String)>);

impl Problems {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_string(), message.into()));
    }

    pub fn check(&mut self, field: &str, result: Result<(), String>) {
        if let Err(message) = result {
            self.add(field, message);
        }
    }

    pub fn finish(self) -> Result<(), AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self.0))
        }
    }
}

/// A choice from a link or filter: `""` means "any"; anything else must be one of `allowed`.
pub fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<Option<String>, AppError> {
    match value {
        "" => Ok(None),
        v if allowed.contains(&v) => Ok(Some(v.to_string())),
        v => Err(AppError::BadRequest(format!(
            "Unknown {field} '{v}': use one of {}.",
            allowed.join(", ")
        ))),
    }
}

/// A deliberately simple e-mail check: one `@`, something on both sides, a dot in the domain,
/// no spaces. Deliverability is proven by the invite, not by a regex.
/// The longest e-mail address (RFC 5321's path limit less the angle brackets).
pub const EMAIL_MAX: usize = 254;

pub fn email(value: &str) -> Result<(), String> {
    let value = value.trim();
    if value.is_empty() {
        return Err("Enter an e-mail address.".into());
    }
    if value.len() > EMAIL_MAX {
        return Err(format!(
            "An e-mail address has at most {EMAIL_MAX} characters."
        ));
    }
    let ok = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "'{value}' is not an e-mail address like name@example.com."
        ))
    }
}

/// The longest search term of the Users page: the longest userName (a longer term matches
/// none), and a merged page reads one index range per character of the term
/// (`store::directory::short_heads`; SQLite allows 500 parts in one statement).
pub const SEARCH_MAX: usize = 256;

pub fn search_term(value: &str) -> Result<(), String> {
    if value.trim().chars().count() > SEARCH_MAX {
        return Err(format!(
            "A search term has at most {SEARCH_MAX} characters."
        ));
    }
    Ok(())
}

/// A required, single-line name of at most `max` characters.
pub fn name(value: &str, what: &str, max: usize) -> Result<(), String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(format!("Enter {what}."));
    }
    if value.chars().count() > max {
        return Err(format!(
            "{} has at most {max} characters.",
            capitalise(what)
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(format!(
            "{} cannot contain control characters.",
            capitalise(what)
        ));
    }
    Ok(())
}

/// An optional single-line name.
pub fn optional_name(value: &str, what: &str, max: usize) -> Result<(), String> {
    if value.trim().is_empty() {
        Ok(())
    } else {
        name(value, what, max)
    }
}

fn capitalise(s: &str) -> String {
    let s = s
        .trim_start_matches("a ")
        .trim_start_matches("an ")
        .trim_start_matches("the ");
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(email("ada@example.com").is_ok());
        assert!(email(" Ada.Lovelace+x@sub.example.org ").is_ok());
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a b@example.com",
            "a@b@example.com",
        ] {
            assert!(email(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn names() {
        assert!(name("Acme", "an account name", 100).is_ok());
        assert_eq!(
            name("  ", "an account name", 100).unwrap_err(),
            "Enter an account name."
        );
        assert_eq!(
            name(&"x".repeat(101), "an account name", 100).unwrap_err(),
            "Account name has at most 100 characters."
        );
        assert!(optional_name("", "a first name", 100).is_ok());
    }

    #[test]
    fn problems_collect_every_field() {
        let mut p = Problems::default();
        p.check("email", email("nope"));
        p.check("account_name", name("", "an account name", 100));
        match p.finish() {
            Err(AppError::Invalid(fields)) => assert_eq!(fields.len(), 2),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }
}
