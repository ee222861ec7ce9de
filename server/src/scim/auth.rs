//! Bearer authentication for SCIM: `Authorization: Bearer rc_<key id>_<secret>`.
//!
//! The key must exist, match its stored hash (constant-time), belong to the account in the URL,
//! be neither revoked nor expired, and inherit the Account Administrator group. A key of another
//! account gets the same 401 as an unknown one, so nothing about other accounts leaks.

use crate::domain::{api_keys, audit::Actor};
use crate::error::AppError;
use crate::ids;
use crate::startup::AppState;
use crate::store;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// The authenticated caller, available to handlers as a request extension.
#[derive(Debug, Clone)]
pub struct ScimAuth {
    pub account_id: String,
    pub key_id: String,
    pub key_name: String,
}

impl ScimAuth {
    pub fn actor(&self) -> Actor {
        Actor::api_key(&self.key_id, &self.key_name)
    }
}

/// The key that made a request, for the activity log (a response extension).
#[derive(Debug, Clone)]
pub struct ScimKeyNote(pub String);

/// The `{accountId}` segment of a SCIM URL.
pub fn account_in_path(path: &str) -> Option<&str> {
    path.strip_prefix("/scim/account/")?
        .split('/')
        .next()
        .filter(|s| !s.is_empty())
}

fn unauthorized(detail: &str) -> AppError {
    AppError::BadCredentials(detail.to_string())
}

const UNKNOWN: &str = "the bearer token is not a valid API key for this account";

pub async fn require_bearer(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let header = req.headers().get(http::header::AUTHORIZATION).cloned();
    match authenticate(&state, &path, header).await {
        Ok(auth) => {
            let key = auth.key_id.clone();
            req.extensions_mut().insert(auth);
            let mut res = next.run(req).await;
            res.extensions_mut().insert(ScimKeyNote(key));
            res
        }
        Err(e) => {
            let unknown = match account_in_path(&path) {
                Some(id) if ids::looks_like_account_id(id) => {
                    matches!(store::accounts::get(&state.db, id).await, Ok(None))
                }
                _ => true,
            };
            let mut res = e.into_scim_response();
            if unknown {
                res.extensions_mut().insert(UnknownAccount);
            }
            res
        }
    }
}

/// On a refused request whose URL names no existing account: the activity log does not store
/// it (anyone could otherwise write rows under any id), it only counts it.
#[derive(Debug, Clone, Copy)]
pub struct UnknownAccount;

async fn authenticate(
    state: &AppState,
    path: &str,
    header: Option<http::HeaderValue>,
) -> Result<ScimAuth, AppError> {
    let account_id = account_in_path(path)
        .ok_or_else(|| unauthorized(UNKNOWN))?
        .to_string();
    let header = header.ok_or_else(|| {
        unauthorized("missing Authorization header: send Authorization: Bearer <API key>")
    })?;
    let value = header
        .to_str()
        .map_err(|_| unauthorized("the Authorization header is not readable text"))?;
    let token = match value.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => {
            return Err(unauthorized(
                "the Authorization header must be 'Bearer <API key>'",
            ))
        }
    };
    let (key_id, secret) = api_keys::parse_token(token).ok_or_else(|| unauthorized(UNKNOWN))?;
    let row = state.keys.lookup(&state.db, key_id).await?;
    // Hash even when the key id is unknown, so timing does not tell which ids exist.
    let presented = ids::sha256_hex(secret);
    let Some(row) = row else {
        let _ = ids::secure_eq(&presented, &presented);
        return Err(unauthorized(UNKNOWN));
    };
    if !ids::secure_eq(&presented, &row.secret_sha256) || row.account_id != account_id {
        return Err(unauthorized(UNKNOWN));
    }
    let now = state.db.clock().now_text();
    if row.revoked_at.is_some() {
        return Err(unauthorized("this API key has been revoked"));
    }
    if row.expires_at.as_deref().is_some_and(|e| e <= now.as_str()) {
        return Err(unauthorized("this API key has expired; create a new one"));
    }
    if !row.is_admin {
        return Err(AppError::Forbidden(
            "this API key does not inherit the Account Administrator group, which SCIM provisioning requires".into(),
        ));
    }
    // Record use at most once a minute per key, off the request path.
    let stale = row
        .last_used_at
        .as_deref()
        .is_none_or(|t| minute_older(t, &now));
    if stale {
        state.keys.used(&row.id, &now);
        let db = state.db.clone();
        let (id, name, account) = (row.id.clone(), row.name.clone(), row.account_id.clone());
        let previous = row.last_used_at.clone();
        tokio::spawn(async move {
            let used = api_keys::KeyUse {
                account_id: account,
                key_id: id,
                key_name: name,
                previous,
                now,
            };
            if let Err(e) = api_keys::record_use(&db, used).await {
                tracing::warn!(error = %e, "could not record API key use");
            }
        });
    }
    Ok(ScimAuth {
        account_id,
        key_id: row.id,
        key_name: row.name,
    })
}

/// API keys as authentication needs them, cached for [`KeyCache::TTL`] so that a busy IdP
/// costs two queries per key per second instead of one per request. Changes made through this
/// process call [`KeyCache::forget`] and apply at once. On PostgreSQL a revocation on any
/// replica is announced on commit (`store::notify`) and every replica forgets the key at once;
/// a listener that reconnects empties the cache (notices sent meanwhile are lost). The TTL
/// bounds everything else — changes made to the database by hand, or by processes sharing
/// one SQLite file: a revocation anywhere is refused everywhere in under a second
/// (`it/replicas.rs`).
#[derive(Default)]
pub struct KeyCache {
    entries: std::sync::Mutex<
        std::collections::HashMap<
            String,
            (std::time::Instant, Option<store::api_keys::KeyAuthRow>),
        >,
    >,
}

impl KeyCache {
    pub const TTL: std::time::Duration = std::time::Duration::from_millis(500);
    const MAX_ENTRIES: usize = 10_000;

    async fn lookup(
        &self,
        db: &store::Db,
        key_id: &str,
    ) -> Result<Option<store::api_keys::KeyAuthRow>, AppError> {
        if let Ok(map) = self.entries.lock() {
            if let Some((at, row)) = map.get(key_id) {
                if at.elapsed() < Self::TTL {
                    return Ok(row.clone());
                }
            }
        }
        let row = store::api_keys::for_auth(db, key_id).await?;
        if let Ok(mut map) = self.entries.lock() {
            if map.len() >= Self::MAX_ENTRIES {
                map.retain(|_, (at, _)| at.elapsed() < Self::TTL);
            }
            if map.len() < Self::MAX_ENTRIES {
                map.insert(key_id.to_string(), (std::time::Instant::now(), row.clone()));
            }
        }
        Ok(row)
    }

    fn used(&self, key_id: &str, now: &str) {
        if let Ok(mut map) = self.entries.lock() {
            if let Some((_, Some(row))) = map.get_mut(key_id) {
                row.last_used_at = Some(now.to_string());
            }
        }
    }

    /// Drops a key from the cache (after it was revoked or changed).
    pub fn forget(&self, key_id: &str) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(key_id);
        }
    }

    /// Applies a change notice from another replica (see `store::notify`).
    pub fn apply(&self, notice: store::notify::Notice) {
        match notice {
            store::notify::Notice::Changed(store::notify::Channel::Keys, key_id) => {
                self.forget(&key_id)
            }
            store::notify::Notice::Changed(..) => {}
            store::notify::Notice::Missed => {
                if let Ok(mut map) = self.entries.lock() {
                    map.clear();
                }
            }
        }
    }
}

/// Is timestamp `a` (our fixed format) more than a minute before `b`? Compares
/// `YYYY-MM-DDTHH:MM` prefixes, which is all the precision "last used" needs.
fn minute_older(a: &str, b: &str) -> bool {
    a.get(..16) != b.get(..16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_segment() {
        assert_eq!(account_in_path("/scim/account/abc/Users"), Some("abc"));
        assert_eq!(account_in_path("/scim/account/abc"), Some("abc"));
        assert_eq!(account_in_path("/scim/account//Users"), None);
        assert_eq!(account_in_path("/other"), None);
    }
}
