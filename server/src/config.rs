//! Typed settings, layered: built-in defaults < optional TOML file < `ROLLCALL_*` environment
//! < command-line flags. Clap resolves flag-over-environment; the file and defaults fill in the
//! rest here. Everything is validated before the server starts, with a one-line error.

use crate::error::{AppError, AppResult};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/rollcall.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3000";
pub const DEFAULT_SITE_ROOT: &str = "target/site";
pub const DEFAULT_SESSION_HOURS: u32 = 12;
pub const DEFAULT_ACTIVITY_DAYS: u32 = 30;
pub const DEFAULT_SESSION_MAX_DAYS: u32 = 7;
pub const DEFAULT_INVITE_DAYS: u32 = 7;
pub const DEFAULT_MAIL_FROM: &str = "Rollcall <rollcall@localhost>";
pub const DEFAULT_ACTIVITY_MAX_ROWS: i64 = 200_000;
pub const DEFAULT_WRITE_QUEUE: u32 = 1024;
pub const DEFAULT_MAX_CONNECTIONS: u32 = 4096;

/// What may be set in the optional `--config` TOML file; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub site_root: Option<PathBuf>,
    pub session_hours: Option<u32>,
    pub session_max_days: Option<u32>,
    pub activity_days: Option<u32>,
    pub activity_max_rows: Option<i64>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub invite_days: Option<u32>,
    pub write_queue: Option<u32>,
    pub max_connections: Option<u32>,
    /// Networks of reverse proxies, e.g. `["10.0.0.0/8"]`.
    pub trusted_proxies: Option<Vec<String>>,
    pub metrics_listen: Option<String>,
}

impl FileConfig {
    pub fn load(path: Option<&Path>) -> AppResult<Self> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            AppError::Internal(format!("cannot read config file {}: {e}", path.display()))
        })?;
        toml::from_str(&text).map_err(|e| {
            AppError::Internal(format!("config file {}: {}", path.display(), e.message()))
        })
    }
}

/// The settings of `rollcall serve`, resolved and validated.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    pub listen: SocketAddr,
    /// Where people and IdPs reach us; used in links, SCIM locations and cookie security.
    pub public_url: url::Url,
    /// False when `public_url` was derived from the listen address (then `serve` derives it
    /// again from the address actually bound, which matters with port 0).
    pub public_url_explicit: bool,
    /// The built UI (`pkg/rollcall.js`, `pkg/rollcall_bg.wasm`, `pkg/rollcall.css`, favicon).
    pub site_root: PathBuf,
    /// The site root was given (flag, environment or file): serve it, not the embedded build.
    pub site_root_explicit: bool,
    pub session_hours: u32,
    /// A session ends this many days after its log-in, however active.
    pub session_max_days: u32,
    /// Provisioning activity (SCIM requests) older than this is deleted.
    pub activity_days: u32,
    /// At most this many provisioning activity rows are kept per account.
    pub activity_max_rows: i64,
    /// SMTP server for mail; `None` keeps mail in the outbox.
    pub smtp_url: Option<String>,
    pub mail_from: String,
    /// How long an invite link stays valid.
    pub invite_days: u32,
    /// Writes that may wait for the writer before requests are answered 503 (busy).
    pub write_queue: u32,
    /// Open client connections at most; beyond it a new connection is closed at once.
    pub max_connections: u32,
    /// Proxies whose forwarding headers name the client (see `proxy`).
    pub trusted_proxies: crate::proxy::TrustedProxies,
    /// Where `/metrics` is served (never the public port); `None`: not at all.
    pub metrics_listen: Option<SocketAddr>,
}

/// Values from flags or the environment (already merged by clap).
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub public_url: Option<String>,
    pub site_root: Option<PathBuf>,
    pub session_hours: Option<u32>,
    pub session_max_days: Option<u32>,
    pub activity_days: Option<u32>,
    pub activity_max_rows: Option<i64>,
    pub smtp_url: Option<String>,
    pub mail_from: Option<String>,
    pub invite_days: Option<u32>,
    pub write_queue: Option<u32>,
    pub max_connections: Option<u32>,
    /// Comma-separated networks.
    pub trusted_proxies: Option<String>,
    pub metrics_listen: Option<String>,
}

impl Settings {
    pub fn resolve(over: Overrides, file: FileConfig) -> AppResult<Self> {
        let database_url = over
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        let listen_text = over
            .listen
            .or(file.listen)
            .unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            AppError::invalid(
                "listen",
                format!("'{listen_text}' is not an address like 127.0.0.1:3000"),
            )
        })?;
        let given_url = over.public_url.or(file.public_url);
        let public_url_explicit = given_url.is_some();
        let public_url = match given_url {
            Some(text) => parse_public_url(&text)?,
            None => default_public_url(listen)?,
        };
        let session_hours = layered(
            "session-hours",
            over.session_hours,
            file.session_hours,
            DEFAULT_SESSION_HOURS,
            1..=24 * 90,
        )?;
        let session_max_days = layered(
            "session-max-days",
            over.session_max_days,
            file.session_max_days,
            DEFAULT_SESSION_MAX_DAYS,
            1..=365,
        )?;
        let activity_days = layered(
            "activity-days",
            over.activity_days,
            file.activity_days,
            DEFAULT_ACTIVITY_DAYS,
            1..=3650,
        )?;
        let activity_max_rows = layered(
            "activity-max-rows",
            over.activity_max_rows,
            file.activity_max_rows,
            DEFAULT_ACTIVITY_MAX_ROWS,
            1_000..=100_000_000,
        )?;
        let invite_days = layered(
            "invite-days",
            over.invite_days,
            file.invite_days,
            DEFAULT_INVITE_DAYS,
            1..=90,
        )?;
        let write_queue = layered(
            "write-queue",
            over.write_queue,
            file.write_queue,
            DEFAULT_WRITE_QUEUE,
            1..=1_000_000,
        )?;
        let max_connections = layered(
            "max-connections",
            over.max_connections,
            file.max_connections,
            DEFAULT_MAX_CONNECTIONS,
            1..=1_000_000,
        )?;
        let trusted_proxies = match (over.trusted_proxies, file.trusted_proxies) {
            (Some(list), _) => crate::proxy::TrustedProxies::parse(&list),
            (None, Some(list)) => crate::proxy::TrustedProxies::parse(&list.join(",")),
            (None, None) => Ok(Default::default()),
        }
        .map_err(|m| AppError::invalid("trusted-proxies", m))?;
        let metrics_listen = match over.metrics_listen.or(file.metrics_listen) {
            Some(text) if !text.trim().is_empty() => Some(text.parse().map_err(|_| {
                AppError::invalid(
                    "metrics-listen",
                    format!("'{text}' is not an address like 127.0.0.1:9090"),
                )
            })?),
            _ => None,
        };
        Ok(Settings {
            metrics_listen,
            write_queue,
            max_connections,
            trusted_proxies,
            public_url_explicit,
            smtp_url: over
                .smtp_url
                .or(file.smtp_url)
                .filter(|u| !u.trim().is_empty()),
            mail_from: over
                .mail_from
                .or(file.mail_from)
                .unwrap_or_else(|| DEFAULT_MAIL_FROM.into()),
            invite_days,
            activity_days,
            activity_max_rows,
            database_url,
            listen,
            public_url,
            site_root_explicit: over.site_root.is_some() || file.site_root.is_some(),
            site_root: over
                .site_root
                .or(file.site_root)
                .unwrap_or_else(|| DEFAULT_SITE_ROOT.into()),
            session_hours,
            session_max_days,
        })
    }

    /// The absolute session lifetime.
    pub fn session_max_age(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.session_max_days) * 86_400)
    }

    /// Cookies are `Secure` when we are served over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// The public URL without a trailing slash, for building links.
    pub fn public_base(&self) -> String {
        self.public_url.as_str().trim_end_matches('/').to_string()
    }
}

/// Flag/env, else file, else default; then checked against `range`.
fn layered<T>(
    field: &str,
    over: Option<T>,
    file: Option<T>,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> AppResult<T>
where
    T: PartialOrd + Copy + std::fmt::Display,
{
    let value = over.or(file).unwrap_or(default);
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(AppError::invalid(
            field,
            format!(
                "must be between {} and {}, not {value}",
                range.start(),
                range.end()
            ),
        ))
    }
}

/// An absolute http(s) URL without query or fragment.
pub fn parse_public_url(text: &str) -> AppResult<url::Url> {
    let bad = |why: &str| AppError::invalid("public-url", format!("'{text}' {why}"));
    let url = url::Url::parse(text)
        .map_err(|_| bad("is not an absolute URL like https://rollcall.example.com"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("must start with http:// or https://"));
    }
    if url.host_str().is_none() || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(
            "must be a plain http(s) address without query or fragment",
        ));
    }
    Ok(url)
}

/// `http://<listen address>` (127.0.0.1 for an unspecified address).
pub fn default_public_url(listen: SocketAddr) -> AppResult<url::Url> {
    let host = if listen.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        listen.ip().to_string()
    };
    let host = if listen.is_ipv6() && !listen.ip().is_unspecified() {
        format!("[{host}]")
    } else {
        host
    };
    let port = if listen.port() == 0 {
        DEFAULT_LISTEN
            .rsplit(':')
            .next()
            .unwrap_or("3000")
            .to_string()
    } else {
        listen.port().to_string()
    };
    let text = format!("http://{host}:{port}/");
    url::Url::parse(&text)
        .map_err(|e| AppError::Internal(format!("cannot derive the public URL from {text}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_env_beat_the_file_which_beats_defaults() {
        let file = FileConfig {
            listen: Some("0.0.0.0:8080".into()),
            session_hours: Some(4),
            ..Default::default()
        };
        let over = Overrides {
            listen: Some("127.0.0.1:9000".into()),
            ..Default::default()
        };
        let s = Settings::resolve(over, file).unwrap();
        assert_eq!(s.listen.port(), 9000);
        assert_eq!(s.session_hours, 4);
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.public_url.as_str(), "http://127.0.0.1:9000/");
        assert!(!s.secure_cookies());
    }

    #[test]
    fn bad_public_urls_are_refused_with_the_reason() {
        for bad in [
            "rollcall.example.com",
            "ftp://x.example",
            "https://x.example/?a=b",
        ] {
            let err = parse_public_url(bad).unwrap_err();
            assert!(err.to_string().contains(bad), "{err}");
        }
        assert!(
            parse_public_url("https://id.example.com/rollcall")
                .unwrap()
                .scheme()
                == "https"
        );
    }

    #[test]
    fn unknown_file_keys_are_an_error() {
        assert!(toml::from_str::<FileConfig>("listne = \"x\"").is_err());
    }
}
