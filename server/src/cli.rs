//! The `rollcall` command line. Operators and our acceptance checks rely on this contract:
//! results go alone on stdout (an id, a token), logs and errors to stderr, one-line errors and
//! a non-zero exit code on failure.

use crate::config::{Layer, Settings};
use crate::domain::{accounts, api_keys, sso, users};
use crate::error::{AppError, AppResult};
use crate::{startup, store};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

mod manage;

/// `rollcall --version`: the release and the commit it was built from (server/build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("ROLLCALL_COMMIT"),
    ")"
);

#[derive(Parser, Debug)]
#[command(
    name = "rollcall",
    version = VERSION,
    about = "Rollcall: self-hosted access management with SCIM 2.0 provisioning"
)]
pub struct Cli {
    /// Optional TOML settings file: any of the settings below by name (database_url = "…",
    /// session_hours = 8, trusted_proxies = ["10.0.0.0/8"]); flags and ROLLCALL_* win over it
    #[arg(long, global = true, env = "ROLLCALL_CONFIG")]
    config: Option<PathBuf>,
    #[command(flatten)]
    settings: Layer,
    /// Log lines as text for people or as one JSON object per line for log shippers
    #[arg(long, global = true, env = "ROLLCALL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Print results as JSON for scripts (lists, user and key changes, backup)
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the web UI, /healthz and the SCIM API
    Serve,
    /// Check the settings: print each effective value and where it came from (default, file,
    /// env, flag), secrets masked; exit 1 with the reason if one is wrong
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage accounts
    #[command(subcommand)]
    Account(AccountCommand),
    /// Manage account administrators
    #[command(subcommand)]
    Admin(AdminCommand),
    /// List, show, suspend, reactivate or delete users (the same rules as the UI)
    #[command(subcommand)]
    User(manage::UserCommandLine),
    /// Manage API keys (SCIM bearer tokens)
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Set up SAML single sign-on for an account
    #[command(subcommand)]
    Saml(SamlCommand),
    /// Move the database between engines
    #[command(subcommand)]
    Db(DbCommand),
    /// Copy the SQLite database to a new file while the server keeps serving (one consistent
    /// snapshot, writers are not stopped), then verify the copy (integrity check). To restore:
    /// stop the server, put the copy in the database's place (removing its -wal and -shm
    /// files), start it. PostgreSQL: use pg_dump
    Backup {
        /// The new file to write (never overwritten)
        #[arg(long)]
        to: PathBuf,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Print the effective settings and their sources
    Check,
}

#[derive(Subcommand, Debug)]
enum DbCommand {
    /// Copy an installation's SQLite database into a new, empty PostgreSQL database, all or
    /// nothing, verified table by table by row counts; prints the rows copied per table. The
    /// source is only read (a consistent snapshot, even while a server runs on it)
    Copy {
        /// The SQLite database to copy, e.g. sqlite://data/rollcall.db
        #[arg(long)]
        from: String,
        /// The PostgreSQL database to fill, e.g. postgres://rollcall@db.internal/rollcall
        /// (migrated here; it must hold no rows)
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand, Debug)]
enum SamlCommand {
    /// Trust an identity provider (from its SAML metadata XML: entity id, SSO URL, signing
    /// certificates) and switch single sign-on on, off or to enforced
    Configure {
        /// Account id (22 characters)
        #[arg(long)]
        account: String,
        /// The IdP's metadata XML file (OneLogin: the app's SSO tab → More Actions → SAML
        /// Metadata); omit to keep the current IdP and change only --enforce / --disable
        #[arg(long)]
        idp_metadata: Option<PathBuf>,
        /// IdP-managed users may log in only by single sign-on (manual administrators keep
        /// their password as the break-glass path)
        #[arg(long, conflicts_with = "disable")]
        enforce: bool,
        /// Switch single sign-on off (the settings are kept)
        #[arg(long)]
        disable: bool,
    },
    /// Print the values an IdP administrator pastes (entity id, ACS URL, …) and the IdP trusted
    Show {
        /// Account id (22 characters)
        #[arg(long)]
        account: String,
    },
}

#[derive(Subcommand, Debug)]
enum AccountCommand {
    /// Create an account (with its Account Administrator group); prints the account id
    Create {
        /// The account's display name
        #[arg(long)]
        name: String,
    },
    /// List the accounts with their number of users
    List,
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Create an active user in the account's Account Administrator group; prints the user id.
    /// The password comes from ROLLCALL_PASSWORD or, with --password-stdin, the first line of stdin
    Create {
        /// Account id (22 characters)
        #[arg(long)]
        account: String,
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
        #[arg(long, default_value = "")]
        first_name: String,
        #[arg(long, default_value = "")]
        last_name: String,
    },
}

#[derive(Subcommand, Debug)]
enum ApiKeyCommand {
    /// Create an API key inheriting the Account Administrator group; prints the token once
    /// (only a hash is stored)
    Create {
        /// Account id (22 characters)
        #[arg(long)]
        account: String,
        /// A name to recognise the key by, e.g. "OneLogin"
        #[arg(long)]
        name: String,
        /// Expire the key after N days (1-3650) [default: never]
        #[arg(long)]
        expires_in_days: Option<u32>,
    },
    /// List an account's keys (never their tokens: only hashes are stored)
    List {
        /// Account id (22 characters)
        #[arg(long)]
        account: String,
    },
    /// Revoke a key: requests with it are refused from then on
    Revoke {
        /// Account id (22 characters)
        #[arg(long)]
        account: String,
        /// The key's id (from `api-key list`)
        #[arg(long)]
        id: String,
    },
}

/// Parses the command line, runs it, and turns any error into one line on stderr.
pub fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let sources = Sources::of(&matches);
    init_logging(matches!(cli.command, Command::Serve), cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli, sources)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", cli_message(&e));
            ExitCode::FAILURE
        }
    }
}

fn cli_message(e: &AppError) -> String {
    match e {
        AppError::Invalid(fields) => fields
            .iter()
            .map(|(f, m)| format!("--{}: {m}", f.replace('_', "-")))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

fn init_logging(serving: bool, format: LogFormat) {
    let default = if serving {
        "info,sqlx=warn,tower_sessions=warn"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("ROLLCALL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        // The request's span fields (request_id, route, account, status) on every line.
        LogFormat::Json => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}

/// Which layer gave each setting on the command line: a flag or the environment (clap knows).
struct Sources(Vec<(String, clap::parser::ValueSource)>);

impl Sources {
    fn of(matches: &clap::ArgMatches) -> Sources {
        let mut found = Vec::new();
        let mut level = Some(matches);
        // Global settings may be given after any subcommand: look at every level.
        while let Some(m) = level {
            for entry in Layer::default().entries() {
                if let Some(source) = m.value_source(entry.name) {
                    if !found.iter().any(|(n, _)| n == entry.name) {
                        found.push((entry.name.to_string(), source));
                    }
                }
            }
            level = m.subcommand().map(|(_, sub)| sub);
        }
        Sources(found)
    }

    fn of_setting(&self, name: &str) -> Option<&'static str> {
        use clap::parser::ValueSource;
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, s)| match s {
                ValueSource::CommandLine => Some("flag"),
                ValueSource::EnvVariable => Some("env"),
                _ => None,
            })
    }
}

/// `rollcall config check`: every setting, its effective value and where it came from.
fn config_check(given: &Layer, file: &Layer, sources: &Sources, json: bool) -> AppResult<()> {
    let from_file = file.entries();
    let rows: Vec<(String, String, String)> = given
        .clone()
        .or(file.clone())
        .entries()
        .into_iter()
        .zip(from_file)
        .map(|(e, f)| {
            let source = match (sources.of_setting(e.name), f.value.is_some()) {
                (Some(layer), _) => layer,
                (None, true) => "file",
                (None, false) => "default",
            };
            (
                e.name.to_string(),
                e.value.unwrap_or(e.default),
                source.to_string(),
            )
        })
        .collect();
    if json {
        let list: Vec<serde_json::Value> = rows
            .iter()
            .map(|(n, v, s)| serde_json::json!({"name": n, "value": v, "source": s}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&list).map_err(|e| AppError::Internal(e.to_string()))?
        );
    } else {
        let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
        let value_width = rows.iter().map(|r| r.1.chars().count()).max().unwrap_or(0);
        for (name, value, source) in &rows {
            println!("{name:<width$}  {value:<value_width$}  {source}");
        }
        println!("settings ok");
    }
    Ok(())
}

async fn run(cli: Cli, sources: Sources) -> AppResult<()> {
    // Names both databases itself: the configured one is not opened (nor created).
    if let Command::Db(DbCommand::Copy { from, to }) = &cli.command {
        let copied = store::copy::sqlite_to_postgres(from, to).await?;
        let width = copied.iter().map(|c| c.table.len()).max().unwrap_or(0);
        for c in &copied {
            println!("{:<width$}  {}", c.table, c.rows);
        }
        let total: i64 = copied.iter().map(|c| c.rows).sum();
        println!("{:<width$}  {total}", "total");
        return Ok(());
    }
    let file = Layer::load_file(cli.config.as_deref())?;
    // Checked first: a wrong value is reported whatever the command.
    let checked = Settings::resolve(cli.settings.clone().or(file.clone()));
    if let Command::Config(ConfigCommand::Check) = &cli.command {
        checked?;
        return config_check(&cli.settings, &file, &sources, cli.json);
    }
    let settings = checked?;
    // Reads the database as it is: opening it through the store would migrate it first.
    if let Command::Backup { to } = &cli.command {
        return backup(&settings.database_url, to, cli.json).await;
    }
    let db = store::open_with(
        &settings.database_url,
        &store::OpenOptions {
            write_queue: settings.write_queue as usize,
            ..Default::default()
        },
    )
    .await?;
    match cli.command {
        Command::Serve => startup::serve(settings, db).await,
        Command::Account(AccountCommand::Create { name }) => {
            println!("{}", accounts::create(&db, &name).await?);
            Ok(())
        }
        Command::Account(AccountCommand::List) => manage::account_list(&db, cli.json).await,
        Command::User(cmd) => {
            let mailer = crate::mail::Mailer::from_settings(&settings, db.clock().clone())?;
            manage::user(&db, &mailer, cmd, cli.json).await
        }
        Command::ApiKey(ApiKeyCommand::List { account }) => {
            manage::api_key_list(&db, &account, cli.json).await
        }
        Command::ApiKey(ApiKeyCommand::Revoke { account, id }) => {
            manage::api_key_revoke(&db, &account, &id, cli.json).await
        }
        Command::Admin(AdminCommand::Create {
            account,
            email,
            password_stdin,
            first_name,
            last_name,
        }) => {
            let password = read_password(password_stdin)?;
            let id = users::create_admin(
                &db,
                &account,
                users::NewAdmin {
                    email,
                    password,
                    first_name,
                    last_name,
                },
            )
            .await?;
            println!("{id}");
            Ok(())
        }
        Command::ApiKey(ApiKeyCommand::Create {
            account,
            name,
            expires_in_days,
        }) => {
            let key = api_keys::create(
                &db,
                &account,
                &crate::domain::audit::Actor::cli(),
                api_keys::NewKey {
                    name: &name,
                    expires_in_days,
                    groups: None,
                    created_by: None,
                },
            )
            .await?;
            println!("{}", key.token);
            Ok(())
        }
        Command::Saml(SamlCommand::Configure {
            account,
            idp_metadata,
            enforce,
            disable,
        }) => {
            let idp = match idp_metadata {
                Some(path) => {
                    let xml = std::fs::read_to_string(&path).map_err(|e| {
                        AppError::invalid(
                            "idp_metadata",
                            format!("cannot read {}: {e}", path.display()),
                        )
                    })?;
                    Some(crate::saml::metadata::parse_idp_metadata(&xml)?)
                }
                None => None,
            };
            let change = sso::Change {
                idp,
                enabled: Some(!disable),
                enforced: Some(enforce),
            };
            let row =
                sso::configure(&db, &account, &crate::domain::audit::Actor::cli(), change).await?;
            print!("{}", saml_summary(&row));
            Ok(())
        }
        Command::Saml(SamlCommand::Show { account, .. }) => {
            crate::domain::accounts::require(&db, &account).await?;
            let sp = sso::sp_values(&settings.public_base(), &account);
            println!("Audience (EntityID):        {}", sp.entity_id);
            println!("Recipient:                  {}", sp.acs_url);
            println!("ACS (Consumer) URL:         {}", sp.acs_url);
            println!("ACS (Consumer) URL Validator: {}", sp.acs_validator);
            println!("SAML nameID format:         Email");
            println!("SAML signature element:     Assertion (or Both)");
            println!("Signature algorithm:        SHA-256");
            println!("SP metadata:                {}", sp.metadata_url);
            println!("Log-in URL:                 {}", sp.login_url);
            match crate::store::saml::config(&db, &account).await? {
                Some(row) => print!("{}", saml_summary(&row)),
                None => println!("Single sign-on:             not set up (rollcall saml configure --account {account} --idp-metadata FILE)"),
            }
            Ok(())
        }
        // Done above, before any database was opened.
        Command::Db(DbCommand::Copy { .. })
        | Command::Backup { .. }
        | Command::Config(ConfigCommand::Check) => Ok(()),
    }
}

async fn backup(database_url: &str, to: &std::path::Path, json: bool) -> AppResult<()> {
    if store::Engine::of(database_url)? == store::Engine::Postgres {
        return Err(AppError::invalid(
            "database-url",
            "rollcall backup copies SQLite databases; back PostgreSQL up with pg_dump (README: Operating Rollcall)",
        ));
    }
    let report = store::backup::sqlite(database_url, to).await?;
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| AppError::Internal(e.to_string()))?
        );
    } else {
        println!(
            "{}: {} bytes, integrity ok; {} accounts, {} users, {} API keys, {} sessions",
            report.file.display(),
            report.bytes,
            report.accounts,
            report.users,
            report.api_keys,
            report.sessions
        );
    }
    Ok(())
}

/// The IdP an account trusts, as `saml configure` and `saml show` print it.
fn saml_summary(row: &crate::store::saml::ConfigRow) -> String {
    let mut out = format!(
        "Single sign-on:             {}\nIdP entity id:              {}\nIdP SSO URL:                {}\n",
        match (row.enabled, row.enforced) {
            (false, _) => "off",
            (true, false) => "on (passwords still allowed)",
            (true, true) => "on, enforced for IdP-managed users (manual administrators keep passwords)",
        },
        row.idp_entity_id,
        row.sso_url,
    );
    let now = time::OffsetDateTime::now_utc();
    for der in sso::certificates(row) {
        match sso::describe(&der, now) {
            Ok(c) => out.push_str(&format!(
                "IdP certificate:            {} (SHA-256 {}), expires {}{}\n",
                c.subject,
                c.fingerprint,
                c.not_after,
                if c.expired {
                    " — EXPIRED"
                } else if c.expires_soon {
                    " — expires soon: upload the new certificate"
                } else {
                    ""
                }
            )),
            Err(_) => out.push_str("IdP certificate:            unreadable\n"),
        }
    }
    out
}

fn read_password(from_stdin: bool) -> AppResult<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| AppError::Internal(format!("cannot read the password from stdin: {e}")))?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        if password.is_empty() {
            return Err(AppError::invalid(
                "password-stdin",
                "standard input had no password on its first line",
            ));
        }
        return Ok(password);
    }
    match std::env::var("ROLLCALL_PASSWORD") {
        Ok(p) if !p.is_empty() => Ok(p),
        _ => Err(AppError::invalid(
            "password",
            "set ROLLCALL_PASSWORD or pass --password-stdin",
        )),
    }
}
