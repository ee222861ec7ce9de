//! API keys: bearer tokens for IdPs and scripts. A key inherits the permissions of its user
//! groups (by default Account Administrator, which SCIM requires).
//!
//! Token form: `rc_<key id>_<secret>`. The `rc_` prefix lets secret scanners spot a leaked key;
//! the key id finds the row without scanning; only SHA-256 of the secret is stored (it has
//! ~190 bits of entropy, so a slow hash adds nothing), compared in constant time.

use crate::domain::audit::{self, Actor, Event};
use crate::domain::{accounts, validate};
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::{self, api_keys::NewApiKey, Db};
use crate::vocab::{AuditAction, TargetKind};

pub const TOKEN_PREFIX: &str = "rc_";
const KEY_ID_LEN: usize = 16;
const SECRET_LEN: usize = 32;
pub const MAX_EXPIRY_DAYS: u32 = 3650;

pub struct CreatedKey {
    pub id: String,
    /// Shown once, never stored.
    pub token: String,
    pub expires_at: Option<String>,
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

/// What a new key is made of.
pub struct NewKey<'a> {
    pub name: &'a str,
    pub expires_in_days: Option<u32>,
    /// Groups it inherits; `None` means the Account Administrator group (what SCIM needs).
    pub groups: Option<&'a [String]>,
    /// The administrator who made it (None for the CLI).
    pub created_by: Option<&'a str>,
}

/// Reads the create dialog's expiry: 30 / 90 / 180 days, `custom` (then `custom_days`) or
/// `never`.
pub fn parse_expiry(expiry: &str, custom_days: &str) -> AppResult<Option<u32>> {
    match expiry {
        "never" => Ok(None),
        "30" | "90" | "180" | "" => Ok(Some(expiry.parse().unwrap_or(90))),
        "custom" => match custom_days.trim().parse::<u32>() {
            Ok(d) if (1..=MAX_EXPIRY_DAYS).contains(&d) => Ok(Some(d)),
            _ => Err(AppError::invalid(
                "custom_days",
                format!("Enter a number of days from 1 to {MAX_EXPIRY_DAYS}."),
            )),
        },
        other => Err(AppError::invalid(
            "expiry",
            format!("Unknown expiry '{other}': choose 30, 90 or 180 days, custom or never."),
        )),
    }
}

/// Creates a key (audited as `actor`) and returns its token, which exists only in the answer.
pub async fn create(
    db: &Db,
    account_id: &str,
    actor: &Actor,
    key: NewKey<'_>,
) -> AppResult<CreatedKey> {
    accounts::require(db, account_id).await?;
    let name = key.name;
    validate::name(name, "a key name", 100).map_err(|m| AppError::invalid("name", m))?;
    if let Some(days) = key.expires_in_days {
        if days == 0 || days > MAX_EXPIRY_DAYS {
            return Err(AppError::invalid(
                "expires-in-days",
                format!("must be between 1 and {MAX_EXPIRY_DAYS}"),
            ));
        }
    }
    let id = ids::random_base62(KEY_ID_LEN);
    let secret = ids::random_base62(SECRET_LEN);
    let now_t = db.clock().now();
    let expires_at = key
        .expires_in_days
        .map(|d| ids::format_time(now_t + time::Duration::days(i64::from(d))));
    let now = ids::format_time(now_t);
    let (account_id, name) = (account_id.to_owned(), name.to_owned());
    let actor = actor.clone();
    let groups = key.groups.map(<[String]>::to_vec);
    let created_by = key.created_by.map(str::to_owned);
    let secret_sha256 = ids::sha256_hex(&secret);
    let (id, expires_at) = db
        .write(move |tx| {
            Box::pin(async move {
                let (account_id, name,) = (account_id.as_str(), name.as_str(),);
                let actor = &actor;
                let created_by = created_by.as_deref();
    let group_ids = match groups.as_deref() {
        None => vec![store::groups::admin_group_id(&mut *tx, account_id)
            .await?
            .ok_or_else(|| {
                AppError::Internal(format!(
                    "account {account_id} has no Account Administrator group"
                ))
            })?],
        Some(wanted) => {
            let found =
                store::directory::groups_in_account(&mut *tx, account_id, wanted, false).await?;
            if found.is_empty() || found.len() != wanted.len() {
                return Err(AppError::invalid(
                    "groups",
                    "Choose at least one group of this account: the key has the permissions of its groups.",
                ));
            }
            found
        }
    };
    store::api_keys::insert(
        &mut *tx,
        NewApiKey {
            id: &id,
            account_id,
            name: name.trim(),
            secret_sha256: &secret_sha256,
            created_by,
            now: &now,
            expires_at: expires_at.as_deref(),
        },
    )
    .await?;
    for group_id in &group_ids {
        store::api_keys::add_group(&mut *tx, &id, group_id).await?;
    }
    let expiry = expires_at
        .clone()
        .map_or_else(|| "never expires".to_string(), |t| format!("expires {t}"));
    audit::record(
        &mut *tx,
        account_id,
        actor,
        Event {
            action: AuditAction::ApiKeyCreated,
            target_kind: TargetKind::ApiKey,
            target_id: &id,
            target_label: name.trim(),
            detail: expiry,
        },
    )
    .await?;
                Ok((id, expires_at))
            })
        })
        .await?;
    Ok(CreatedKey {
        token: format!("{TOKEN_PREFIX}{id}_{secret}"),
        id,
        expires_at,
    })
}

/// active, expired or revoked.
pub fn status(revoked_at: Option<&str>, expires_at: Option<&str>, now: &str) -> &'static str {
    if revoked_at.is_some() {
        "revoked"
    } else if expires_at.is_some_and(|t| t <= now) {
        "expired"
    } else {
        "active"
    }
}

/// Revokes a key. The caller must also drop it from the bearer cache so it stops at once.
pub async fn revoke(db: &Db, account_id: &str, actor: &Actor, id: &str) -> AppResult<()> {
    let (account_id, id) = (account_id.to_owned(), id.to_owned());
    let actor = actor.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let (account_id, id) = (account_id.as_str(), id.as_str());
            let actor = &actor;
            let name = store::api_keys::revoke(&mut *tx, account_id, id, &ids::now())
                .await?
                .ok_or_else(|| {
                    AppError::NotFound(
                        "There is no active key with this id in this account.".into(),
                    )
                })?;
            // Every replica's bearer cache forgets it when this commits.
            store::notify::key_changed(&mut *tx, id).await?;
            audit::record(
                &mut *tx,
                account_id,
                actor,
                Event {
                    action: AuditAction::ApiKeyRevoked,
                    target_kind: TargetKind::ApiKey,
                    target_id: id,
                    target_label: &name,
                    detail: "revoked; requests with it are refused".into(),
                },
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}

/// A key was used (noted at most once a minute per key).
pub struct KeyUse {
    pub account_id: String,
    pub key_id: String,
    pub key_name: String,
    /// Its previous recorded use.
    pub previous: Option<String>,
    pub now: String,
}

/// Records the key's last use; the audit log gets an entry when a key is used for the first
/// time or after an hour or more without use (not every minute of a busy IdP).
pub async fn record_use(db: &Db, u: KeyUse) -> AppResult<()> {
    let hour_ago = ids::format_time(time::OffsetDateTime::now_utc() - time::Duration::hours(1));
    let KeyUse {
        account_id,
        key_id,
        key_name,
        previous,
        now,
    } = u;
    // Background bookkeeping: waits for room in the write queue rather than failing.
    db.writer()
        .write_queued(move |tx| {
            Box::pin(async move {
                let (account_id, key_id, key_name, previous, now) = (
                    account_id.as_str(),
                    key_id.as_str(),
                    key_name.as_str(),
                    previous.as_deref(),
                    now.as_str(),
                );
                store::api_keys::touch_last_used(&mut *tx, key_id, now).await?;
                if previous.is_none_or(|p| p < hour_ago.as_str()) {
                    audit::record(
                        &mut *tx,
                        account_id,
                        &Actor::api_key(key_id, key_name),
                        Event {
                            action: AuditAction::ApiKeyUsed,
                            target_kind: TargetKind::ApiKey,
                            target_id: key_id,
                            target_label: key_name,
                            detail: match previous {
                                None => "first use".into(),
                                Some(p) => format!("used again; previous use {p}"),
                            },
                        },
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .await?;
    Ok(())
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
