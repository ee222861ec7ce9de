//! Identifiers, secrets and time stamps.
//!
//! Account ids are 22 random base62 characters (what an IdP administrator copies from the URL);
//! user and group ids are UUID v7 (stable, never reused, index-friendly). Secrets come from the
//! OS random generator and only their SHA-256 is stored; comparison is constant-time.

use rand::{distributions::Alphanumeric, rngs::OsRng, Rng};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// `len` random characters from `[0-9A-Za-z]`.
pub fn random_base62(len: usize) -> String {
    OsRng
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Characters in an account id.
pub const ACCOUNT_ID_LEN: usize = 22;

pub fn new_account_id() -> String {
    random_base62(ACCOUNT_ID_LEN)
}

pub fn new_uuid() -> String {
    uuid::Uuid::now_v7().to_string()
}

pub fn sha256_hex(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Constant-time equality for secrets and their hashes.
pub fn secure_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Is `s` a plausible account id (before we ask the database)?
pub fn looks_like_account_id(s: &str) -> bool {
    s.len() == ACCOUNT_ID_LEN && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

const TIMESTAMP: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
);

/// A UTC time as stored: fixed width, so text order is time order.
pub fn format_time(t: time::OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(TIMESTAMP)
        .unwrap_or_else(|_| String::from("1970-01-01T00:00:00.000Z"))
}

pub fn now() -> String {
    format_time(time::OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_22_base62_characters_and_differ() {
        let a = new_account_id();
        let b = new_account_id();
        assert!(looks_like_account_id(&a), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn timestamps_sort_as_text() {
        let early = format_time(time::macros::datetime!(2026-01-02 03:04:05.006 UTC));
        let late = format_time(time::macros::datetime!(2026-11-02 03:04:05 UTC));
        assert_eq!(early, "2026-01-02T03:04:05.006Z");
        assert!(early < late);
    }

    #[test]
    fn secure_eq_compares_content() {
        assert!(secure_eq("abc", "abc"));
        assert!(!secure_eq("abc", "abd"));
        assert!(!secure_eq("abc", "abcd"));
    }
}
