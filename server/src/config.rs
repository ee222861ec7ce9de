//! Typed settings, layered: built-in defaults < optional TOML file < `ROLLCALL_*` environment
//! < command-line flags. Clap resolves flag-over-environment; the file and defaults fill in the
//! rest here. Everything is validated before the server starts, with a one-line error.

use crate::error::{AppError, AppResult};
use secrecy::{ExposeSecret, SecretString};
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

/// Declares every setting once: one partial struct that is at the same time the command line
/// (clap: `--flag`, `ROLLCALL_*` environment variable, help text) and the settings file (serde,
/// unknown keys refused). Layers merge field by field (flag/env over file); defaults and checks
/// come last, in [`Settings::resolve`]. `rollcall config check` lists each with its source.
macro_rules! settings {
    ($( $(#[$meta:meta])* $field:ident : $ty:ty = $default:expr ),+ $(,)?) => {
        /// One layer of settings (command line + environment, or the file); all optional.
        #[derive(clap::Args, Debug, Default, Clone, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Layer {
            $( $(#[$meta])* pub $field: Option<$ty>, )+
        }

        impl Layer {
            /// This layer where it has a value, `lower` elsewhere.
            pub fn or(self, lower: Layer) -> Layer {
                Layer { $( $field: self.$field.or(lower.$field), )+ }
            }

            /// Each setting: its name, the text shown for its value here (secrets masked) if
            /// this layer sets it, and what applies when no layer does.
            pub fn entries(&self) -> Vec<Entry> {
                vec![$(Entry {
                    name: stringify!($field),
                    value: self.$field.as_ref().map(Shown::shown),
                    default: $default.shown(),
                }),+]
            }
        }
    };
}

/// A setting as `config check` shows it.
pub struct Entry {
    pub name: &'static str,
    pub value: Option<String>,
    pub default: String,
}

/// How a value is printed: URLs without their password, secrets never.
trait Shown {
    fn shown(&self) -> String;
}

impl Shown for &str {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for String {
    fn shown(&self) -> String {
        crate::store::redact(self)
    }
}

impl Shown for PathBuf {
    fn shown(&self) -> String {
        self.display().to_string()
    }
}

impl Shown for u32 {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for i64 {
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl Shown for SecretString {
    fn shown(&self) -> String {
        crate::store::redact(self.expose_secret())
    }
}

impl Shown for Proxies {
    fn shown(&self) -> String {
        self.0.clone()
    }
}

/// Reverse proxies: comma-separated on the command line, a list (or that text) in the file.
#[derive(Debug, Clone)]
pub struct Proxies(pub String);

impl std::str::FromStr for Proxies {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Proxies(s.to_string()))
    }
}

impl<'de> Deserialize<'de> for Proxies {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            List(Vec<String>),
            Text(String),
        }
        Ok(Proxies(match Given::deserialize(d)? {
            Given::List(list) => list.join(","),
            Given::Text(text) => text,
        }))
    }
}

fn secret(text: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(text.to_string()))
}

settings! {
    /// SQLite or PostgreSQL database (sqlite://PATH: the file and its folder are created;
    /// postgres://USER:PASSWORD@HOST/DB) [default: sqlite://data/rollcall.db]
    #[arg(long, global = true, env = "ROLLCALL_DATABASE_URL")]
    database_url: String = DEFAULT_DATABASE_URL,
    /// Address to listen on [default: 127.0.0.1:3000]
    #[arg(long, global = true, env = "ROLLCALL_LISTEN")]
    listen: String = DEFAULT_LISTEN,
    /// The URL people and identity providers use to reach this server (links, SCIM locations;
    /// https:// makes cookies Secure) [default: http://<listen address>]
    #[arg(long, global = true, env = "ROLLCALL_PUBLIC_URL")]
    public_url: String = "http://<listen address>",
    /// Folder with a built UI (pkg/rollcall.js, pkg/rollcall_bg.wasm, pkg/rollcall.css) to serve
    /// instead of the UI built into the binary [default: the built-in UI, or target/site in a
    /// build without one]
    #[arg(long, global = true, env = "ROLLCALL_SITE_ROOT")]
    site_root: PathBuf = "the built-in UI (else target/site)",
    /// Log a browser session out after this many hours without a request (1-2160) [default: 12]
    #[arg(long, global = true, env = "ROLLCALL_SESSION_HOURS")]
    session_hours: u32 = DEFAULT_SESSION_HOURS,
    /// End a browser session this many days after its log-in, however active (1-365) [default: 7]
    #[arg(long, global = true, env = "ROLLCALL_SESSION_MAX_DAYS")]
    session_max_days: u32 = DEFAULT_SESSION_MAX_DAYS,
    /// Keep provisioning activity (every SCIM request) this many days (1-3650) [default: 30]
    #[arg(long, global = true, env = "ROLLCALL_ACTIVITY_DAYS")]
    activity_days: u32 = DEFAULT_ACTIVITY_DAYS,
    /// Keep at most this many provisioning activity entries per account (1000-100000000)
    /// [default: 200000]
    #[arg(long, global = true, env = "ROLLCALL_ACTIVITY_MAX_ROWS")]
    activity_max_rows: i64 = DEFAULT_ACTIVITY_MAX_ROWS,
    /// SMTP server for invites and password resets, e.g. smtp://user:pass@mail.example.com:587?tls=required
    /// (STARTTLS) or smtps://… (TLS). Unset: mail is kept in the outbox
    #[arg(long, global = true, env = "ROLLCALL_SMTP_URL", value_parser = secret)]
    smtp_url: SecretString = "none: mail is kept in the outbox",
    /// Sender of our mail [default: Rollcall <rollcall@localhost>]
    #[arg(long, global = true, env = "ROLLCALL_MAIL_FROM")]
    mail_from: String = DEFAULT_MAIL_FROM,
    /// Days an invite link stays valid (1-90) [default: 7]
    #[arg(long, global = true, env = "ROLLCALL_INVITE_DAYS")]
    invite_days: u32 = DEFAULT_INVITE_DAYS,
    /// Writes that may wait before requests are answered 503 Busy (1-1000000) [default: 1024]
    #[arg(long, global = true, env = "ROLLCALL_WRITE_QUEUE")]
    write_queue: u32 = DEFAULT_WRITE_QUEUE,
    /// Open client connections at most; a new one beyond it is closed at once (1-1000000)
    /// [default: 4096]
    #[arg(long, global = true, env = "ROLLCALL_MAX_CONNECTIONS")]
    max_connections: u32 = DEFAULT_MAX_CONNECTIONS,
    /// Reverse proxies whose X-Forwarded-For / Forwarded headers are believed, e.g.
    /// "10.0.0.0/8,::1" (in the file also a list) [default: none: the connection's address is
    /// the client's]
    #[arg(long, global = true, env = "ROLLCALL_TRUSTED_PROXIES")]
    trusted_proxies: Proxies = "none",
    /// Serve Prometheus metrics at http://ADDRESS/metrics, e.g. 127.0.0.1:9090 (a separate
    /// address: never the public port) [default: off]
    #[arg(long, global = true, env = "ROLLCALL_METRICS_LISTEN")]
    metrics_listen: String = "off",
}

impl Layer {
    /// The optional `--config` TOML file: the same keys, every one optional.
    pub fn load_file(path: Option<&Path>) -> AppResult<Self> {
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
    /// SMTP server for mail (its URL holds the password: never printed); `None` keeps mail
    /// in the outbox.
    pub smtp_url: Option<SecretString>,
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

impl Settings {
    /// The settings from `layer` (flags and environment merged over the file), with defaults
    /// for what no layer sets, each checked.
    pub fn resolve(layer: Layer) -> AppResult<Self> {
        let listen_text = layer.listen.unwrap_or_else(|| DEFAULT_LISTEN.into());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            AppError::invalid(
                "listen",
                format!("'{listen_text}' is not an address like 127.0.0.1:3000"),
            )
        })?;
        let public_url_explicit = layer.public_url.is_some();
        let public_url = match layer.public_url {
            Some(text) => parse_public_url(&text)?,
            None => default_public_url(listen)?,
        };
        let trusted_proxies = match layer.trusted_proxies {
            Some(list) => crate::proxy::TrustedProxies::parse(&list.0),
            None => Ok(Default::default()),
        }
        .map_err(|m| AppError::invalid("trusted-proxies", m))?;
        let metrics_listen = match layer.metrics_listen {
            Some(text) if !text.trim().is_empty() => Some(text.parse().map_err(|_| {
                AppError::invalid(
                    "metrics-listen",
                    format!("'{text}' is not an address like 127.0.0.1:9090"),
                )
            })?),
            _ => None,
        };
        Ok(Settings {
            database_url: layer
                .database_url
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            listen,
            public_url,
            public_url_explicit,
            site_root_explicit: layer.site_root.is_some(),
            site_root: layer.site_root.unwrap_or_else(|| DEFAULT_SITE_ROOT.into()),
            session_hours: checked(
                "session-hours",
                layer.session_hours,
                DEFAULT_SESSION_HOURS,
                1..=24 * 90,
            )?,
            session_max_days: checked(
                "session-max-days",
                layer.session_max_days,
                DEFAULT_SESSION_MAX_DAYS,
                1..=365,
            )?,
            activity_days: checked(
                "activity-days",
                layer.activity_days,
                DEFAULT_ACTIVITY_DAYS,
                1..=3650,
            )?,
            activity_max_rows: checked(
                "activity-max-rows",
                layer.activity_max_rows,
                DEFAULT_ACTIVITY_MAX_ROWS,
                1_000..=100_000_000,
            )?,
            smtp_url: layer
                .smtp_url
                .filter(|u| !u.expose_secret().trim().is_empty()),
            mail_from: layer.mail_from.unwrap_or_else(|| DEFAULT_MAIL_FROM.into()),
            invite_days: checked(
                "invite-days",
                layer.invite_days,
                DEFAULT_INVITE_DAYS,
                1..=90,
            )?,
            write_queue: checked(
                "write-queue",
                layer.write_queue,
                DEFAULT_WRITE_QUEUE,
                1..=1_000_000,
            )?,
            max_connections: checked(
                "max-connections",
                layer.max_connections,
                DEFAULT_MAX_CONNECTIONS,
                1..=1_000_000,
            )?,
            trusted_proxies,
            metrics_listen,
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

/// The layers' value, else the default; then checked against `range`.
fn checked<T>(
    field: &str,
    given: Option<T>,
    default: T,
    range: std::ops::RangeInclusive<T>,
) -> AppResult<T>
where
    T: PartialOrd + Copy + std::fmt::Display,
{
    let value = given.unwrap_or(default);
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
        let file = Layer {
            listen: Some("0.0.0.0:8080".into()),
            session_hours: Some(4),
            ..Default::default()
        };
        let over = Layer {
            listen: Some("127.0.0.1:9000".into()),
            ..Default::default()
        };
        let s = Settings::resolve(over.or(file)).unwrap();
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
        assert!(toml::from_str::<Layer>("listne = \"x\"").is_err());
    }

    #[test]
    fn the_smtp_password_is_never_printed() {
        let file: Layer = toml::from_str(
            "smtp_url = \"smtp://mailer:hunter2-secret@mail.example.com:587\"\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]",
        )
        .unwrap();
        assert!(!format!("{file:?}").contains("hunter2"), "{file:?}");
        let shown: Vec<String> = file.entries().into_iter().filter_map(|e| e.value).collect();
        assert!(
            shown.contains(&"smtp://mailer:***@mail.example.com:587".to_string()),
            "{shown:?}"
        );
        assert!(shown.contains(&"10.0.0.0/8,::1".to_string()), "{shown:?}");
        let s = Settings::resolve(file).unwrap();
        assert!(!format!("{s:?}").contains("hunter2"));
        assert_eq!(
            s.smtp_url
                .as_ref()
                .map(|u| u.expose_secret().to_string())
                .as_deref(),
            Some("smtp://mailer:hunter2-secret@mail.example.com:587")
        );
    }
}
