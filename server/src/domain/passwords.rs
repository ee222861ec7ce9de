//! Passwords: the strength rule, and argon2id hashing on a blocking thread (it is slow on
//! purpose; it must not stall the async runtime).

use crate::error::{AppError, AppResult};
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

pub const MIN_LENGTH: usize = 12;
/// The longest password accepted, in bytes: argon2 hashes any length, so without a bound one
/// request could make it hash megabytes.
pub const MAX_BYTES: usize = 1024;
/// How long a log-in waits for a free hashing slot before it is answered "busy".
const SLOT_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// At most this many argon2 computations run at once (each takes ~19 MiB and a core for tens of
/// milliseconds); beyond, callers wait up to [`SLOT_WAIT`], then get [`AppError::Busy`].
fn slots() -> &'static std::sync::Arc<tokio::sync::Semaphore> {
    static SLOTS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> =
        std::sync::OnceLock::new();
    SLOTS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        std::sync::Arc::new(tokio::sync::Semaphore::new(cores.clamp(2, 16)))
    })
}

/// A hashing slot, held by the blocking task itself (a caller that hangs up does not free it
/// while the work still runs).
async fn slot() -> AppResult<tokio::sync::OwnedSemaphorePermit> {
    match tokio::time::timeout(SLOT_WAIT, slots().clone().acquire_owned()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(AppError::Busy(
            "Too many log-ins are being checked at once; try again in a moment.".into(),
        )),
    }
}

/// Passwords long enough for the length rule that are still guessed first.
const COMMON: &[&str] = &[
    "123456789012",
    "1234567890123",
    "12345678901234",
    "password1234",
    "password12345",
    "passwordpassword",
    "qwertyuiopas",
    "qwerty123456",
    "qwertyuiop123",
    "iloveyou1234",
    "administrator",
    "adminadminadmin",
    "letmein12345",
    "welcome12345",
    "welcome123456",
    "changeme1234",
    "abc123456789",
    "football1234",
    "baseball1234",
    "trustno11234",
    "monkey123456",
    "sunshine1234",
    "princess1234",
    "superman1234",
    "1q2w3e4r5t6y",
    "1qaz2wsx3edc",
    "zaq12wsxcde3",
    "aaaaaaaaaaaa",
    "111111111111",
    "000000000000",
    "passw0rd1234",
    "p@ssw0rd1234",
    "p@ssword1234",
    "qazwsxedcrfv",
    "asdfghjkl123",
    "correcthorsebatterystaple",
    "rollcall1234",
    "rollcallrollcall",
];

/// The strength rule: at least 12 characters, not the e-mail, not a well-known password.
pub fn check_strength(password: &str, email: &str) -> Result<(), String> {
    if password.chars().count() < MIN_LENGTH {
        return Err(format!("Use at least {MIN_LENGTH} characters."));
    }
    if password.len() > MAX_BYTES {
        return Err(format!("Use at most {MAX_BYTES} characters."));
    }
    let lower = password.to_lowercase();
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or("");
    if lower == email
        || (!local.is_empty() && lower.contains(local) && local.len() * 2 >= lower.len())
    {
        return Err("Do not use your e-mail address as your password.".into());
    }
    let mut chars = lower.chars();
    let first = chars.next();
    if COMMON.contains(&lower.as_str()) || chars.all(|c| Some(c) == first) {
        return Err("This password is too common; choose another.".into());
    }
    Ok(())
}

pub async fn hash(password: String) -> AppResult<String> {
    let permit = slot().await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(format!("password hashing task failed: {e}")))?
}

/// Verifies `password` against a stored PHC string; `None` runs a dummy verification so that
/// unknown e-mails take as long as wrong passwords.
pub async fn verify(password: String, stored: Option<String>) -> AppResult<bool> {
    let permit = slot().await?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let known = stored.is_some();
        let stored = match stored {
            Some(s) => s,
            None => dummy_hash()?.to_string(),
        };
        let parsed = PasswordHash::new(&stored)
            .map_err(|e| AppError::Internal(format!("stored password hash is unreadable: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && known)
    })
    .await
    .map_err(|e| AppError::Internal(format!("password check task failed: {e}")))?
}

/// argon2id (same parameters as real hashes) of a random string nobody knows, made once.
fn dummy_hash() -> AppResult<&'static str> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    if let Some(h) = DUMMY.get() {
        return Ok(h);
    }
    let salt = SaltString::generate(&mut OsRng);
    let h = Argon2::default()
        .hash_password(crate::ids::random_base62(32).as_bytes(), &salt)
        .map_err(|e| AppError::Internal(format!("password hashing failed: {e}")))?
        .to_string();
    Ok(DUMMY.get_or_init(|| h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_rule() {
        assert!(check_strength("short", "a@example.com").is_err());
        assert!(check_strength("password1234", "a@example.com")
            .unwrap_err()
            .contains("common"));
        assert!(
            check_strength("ada.lovelace@example.com", "Ada.Lovelace@example.com")
                .unwrap_err()
                .contains("e-mail")
        );
        assert!(check_strength("zzzzzzzzzzzzzz", "a@example.com").is_err());
        assert!(check_strength("violet-harbour-engine-42", "ada@example.com").is_ok());
    }

    #[tokio::test]
    async fn hashes_verify_and_are_argon2id() {
        let h = hash("violet-harbour-engine-42".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify("violet-harbour-engine-42".into(), Some(h.clone()))
            .await
            .unwrap());
        assert!(!verify("violet-harbour-engine-43".into(), Some(h))
            .await
            .unwrap());
        assert!(!verify("anything".into(), None).await.unwrap());
    }
}
