//! API keys: bearer tokens for IdPs and scripts. A key inherits the permissions of its user
//! groups (by default Account Administrator, which SCIM requires).
//!
//! Token form: `rc_<key id>_<secret>`. The `rc_` prefix lets secret scanners spot a leaked key;
//! the key id finds the row without scanning; only SHA-256 of the secret is stored (it has
//! ~190 bits of entropy, so a slow hash adds nothing), compared in constant time.

use crate::domain::{accounts, validate};
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::{self, api_keys::NewApiKey, Db};

pub const TOKEN_PREFIX: &str = "rc_";
const KEY_ID_LEN: usize = 16;
const SECRET_LEN: usize = 32;
pub const MAX_EXPIRY_DAYS: u32 = 3650;

pub struct CreatedKey {
    pub id: String,
    /// Shown once, never stored.
    pub token: String,
}

/// Splits a token into `(key id, secret)` if it has our shape.
pub fn parse_token(token: &str) -> Option<(&str, &str)> {
    let rest = token.strip_prefix(TOKEN_PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let ok = id.len() == KEY_ID_LEN
        && secret.len() == SECRET_LEN
        && id
            .bytes()
            .chain(secret.bytes())
            .all(|b| b.is_ascii_alphanumeric());
    ok.then_some((id, secret))
}

/// Creates a key inheriting the Account Administrator group.
pub async fn create(
    db: &Db,
    account_id: &str,
    name: &str,
    expires_in_days: Option<u32>,
    created_by: Option<&str>,
) -> AppResult<CreatedKey> {
    accounts::require(db, account_id).await?;
    validate::name(name, "a key name", 100).map_err(|m| AppError::invalid("name", m))?;
    if let Some(days) = expires_in_days {
        if days == 0 || days > MAX_EXPIRY_DAYS {
            return Err(AppError::invalid(
                "expires-in-days",
                format!("must be between 1 and {MAX_EXPIRY_DAYS}"),
            ));
        }
    }
    let id = ids::random_base62(KEY_ID_LEN);
    let secret = ids::random_base62(SECRET_LEN);
    let now_t = time::OffsetDateTime::now_utc();
    let expires_at =
        expires_in_days.map(|d| ids::format_time(now_t + time::Duration::days(i64::from(d))));
    let now = ids::format_time(now_t);
    let (_write, mut tx) = store::begin_write(db).await?;
    let group_id = store::groups::admin_group_id(&mut *tx, account_id)
        .await?
        .ok_or_else(|| {
            AppError::Internal(format!(
                "account {account_id} has no Account Administrator group"
            ))
        })?;
    store::api_keys::insert(
        &mut *tx,
        NewApiKey {
            id: &id,
            account_id,
            name: name.trim(),
            secret_sha256: &ids::sha256_hex(&secret),
            created_by,
            now: &now,
            expires_at: expires_at.as_deref(),
        },
    )
    .await?;
    store::api_keys::add_group(&mut *tx, &id, &group_id).await?;
    tx.commit().await?;
    Ok(CreatedKey {
        token: format!("{TOKEN_PREFIX}{id}_{secret}"),
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_shape() {
        let id = "a".repeat(KEY_ID_LEN);
        let secret = "B".repeat(SECRET_LEN);
        let token = format!("rc_{id}_{secret}");
        assert_eq!(parse_token(&token), Some((id.as_str(), secret.as_str())));
        assert_eq!(parse_token("rc_short_x"), None);
        assert_eq!(parse_token(&format!("xx_{id}_{secret}")), None);
        assert_eq!(parse_token(&format!("rc_{id}_{}!", &secret[1..])), None);
    }
}
