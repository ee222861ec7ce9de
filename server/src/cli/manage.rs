//! The break-glass commands: accounts, users and API keys from a shell when the UI is out of
//! reach. They only translate: every change goes through the same domain functions as the UI
//! (IdP-managed users stay read-only, the last active administrator stays), audited with the
//! actor "CLI". Tables for people by default, `--json` for scripts.

use crate::domain::audit::Actor;
use crate::domain::{api_keys, directory};
use crate::error::{AppError, AppResult};
use crate::mail::Mailer;
use crate::store::{self, Db};
use crate::vocab::{Source, UserCommand, UserQuery, UserStatus};
use clap::Subcommand;
use serde_json::{json, Value};

#[derive(Subcommand, Debug)]
pub enum UserCommandLine {
    /// List an account's users (first matches by e-mail, up to --limit), with the total
    List {
        /// Account id (22 characters)
        #[arg(long)]
        account: String,
        /// Only users whose e-mail / userName, full name or last name starts with this
        #[arg(long, default_value = "")]
        search: String,
        /// Only users with this status (invited, active, suspended)
        #[arg(long)]
        status: Option<UserStatus>,
        /// Only users from this source (idp, manual)
        #[arg(long)]
        source: Option<Source>,
        /// How many to print (1-1000)
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(i64).range(1..=1000))]
        limit: i64,
    },
    /// Show one user: details, groups and recent audit events
    Show(UserRef),
    /// Suspend a user Rollcall manages (ends their sessions); IdP-managed users are suspended
    /// in the IdP
    Suspend(UserRef),
    /// Reactivate a suspended user Rollcall manages
    Reactivate(UserRef),
    /// Delete a user Rollcall manages (never the account's last active administrator)
    Delete(UserRef),
}

#[derive(clap::Args, Debug)]
pub struct UserRef {
    /// Account id (22 characters)
    #[arg(long)]
    account: String,
    /// The user's id, e-mail or userName
    #[arg(long)]
    user: String,
}

/// `rollcall account list`.
pub async fn account_list(db: &Db, json_out: bool) -> AppResult<()> {
    let rows = store::accounts::list(db).await?;
    if json_out {
        let list: Vec<Value> = rows
            .iter()
            .map(|a| json!({"id": a.id, "name": a.name, "created_at": a.created_at, "users": a.users}))
            .collect();
        return print_json(&Value::Array(list));
    }
    print_table(
        &["ID", "NAME", "USERS", "CREATED"],
        rows.iter()
            .map(|a| {
                vec![
                    a.id.clone(),
                    a.name.clone(),
                    a.users.to_string(),
                    a.created_at.clone(),
                ]
            })
            .collect(),
    );
    Ok(())
}

/// `rollcall user …`.
pub async fn user(db: &Db, mailer: &Mailer, cmd: UserCommandLine, json_out: bool) -> AppResult<()> {
    match cmd {
        UserCommandLine::List {
            account,
            search,
            status,
            source,
            limit,
        } => {
            crate::domain::accounts::require(db, &account).await?;
            let query = UserQuery {
                q: search,
                status,
                source,
                ..Default::default()
            };
            let page = directory::users_page(db, &account, &query, limit).await?;
            let total = if page.capped {
                format!("{}+", page.total)
            } else {
                page.total.to_string()
            };
            let rows = &page.rows[..page.rows.len().min(limit as usize)];
            if json_out {
                let users: Vec<Value> = rows
                    .iter()
                    .map(|u| {
                        json!({"id": u.id, "user_name": u.user_name, "email": u.email,
                               "first_name": u.first_name, "last_name": u.last_name,
                               "status": u.status.as_str(), "source": u.source.as_str(),
                               "last_login_at": u.last_login_at})
                    })
                    .collect();
                return print_json(
                    &json!({"total": page.total, "total_is_lower_bound": page.capped, "users": users}),
                );
            }
            print_table(
                &[
                    "ID",
                    "E-MAIL / USERNAME",
                    "NAME",
                    "STATUS",
                    "SOURCE",
                    "LAST LOG-IN",
                ],
                rows.iter()
                    .map(|u| {
                        vec![
                            u.id.clone(),
                            u.email.clone().unwrap_or_else(|| u.user_name.clone()),
                            format!("{} {}", u.first_name, u.last_name)
                                .trim()
                                .to_string(),
                            u.status.as_str().to_string(),
                            u.source.as_str().to_string(),
                            u.last_login_at.clone().unwrap_or_else(|| "never".into()),
                        ]
                    })
                    .collect(),
            );
            println!("{} shown of {total}", rows.len());
            Ok(())
        }
        UserCommandLine::Show(r) => {
            let id = resolve(db, &r).await?;
            let d = directory::user_detail(db, &r.account, &id).await?;
            let u = &d.user;
            let groups: Vec<&str> = d.groups.iter().map(|(_, name)| name.as_str()).collect();
            if json_out {
                let audit: Vec<Value> = d
                    .audit
                    .iter()
                    .map(|e| json!({"at": e.at, "action": e.action.as_str(), "actor": e.actor_label, "detail": e.detail}))
                    .collect();
                return print_json(&json!({
                    "id": u.id, "user_name": u.user_name, "email": u.email,
                    "first_name": u.first_name, "last_name": u.last_name,
                    "status": u.status.as_str(), "source": u.source.as_str(),
                    "external_id": u.external_id, "created_at": u.created_at,
                    "updated_at": u.updated_at, "last_login_at": d.last_login_at,
                    "groups": groups, "audit": audit,
                }));
            }
            let line = |k: &str, v: &str| println!("{k:<14}{v}");
            line("id", &u.id);
            line("userName", &u.user_name);
            line("e-mail", u.email.as_deref().unwrap_or("-"));
            line("name", format!("{} {}", u.first_name, u.last_name).trim());
            line("status", u.status.as_str());
            line(
                "source",
                match u.source {
                    Source::Idp => "idp (managed by the identity provider: change it there)",
                    Source::Manual => "manual",
                },
            );
            line("external id", u.external_id.as_deref().unwrap_or("-"));
            line("created", &u.created_at);
            line("last log-in", d.last_login_at.as_deref().unwrap_or("never"));
            line("groups", &groups.join(", "));
            for e in &d.audit {
                println!(
                    "  {}  {}  by {}  {}",
                    e.at,
                    e.action.as_str(),
                    e.actor_label,
                    e.detail
                );
            }
            Ok(())
        }
        UserCommandLine::Suspend(r) => change(db, mailer, &r, UserCommand::Suspend, json_out).await,
        UserCommandLine::Reactivate(r) => {
            change(db, mailer, &r, UserCommand::Reactivate, json_out).await
        }
        UserCommandLine::Delete(r) => change(db, mailer, &r, UserCommand::Delete, json_out).await,
    }
}

/// A user's id from an id, an e-mail or a userName.
async fn resolve(db: &Db, r: &UserRef) -> AppResult<String> {
    crate::domain::accounts::require(db, &r.account).await?;
    let found = match store::users::get_record(db, &r.account, &r.user).await? {
        Some(u) => Some(u),
        None => store::users::by_login_name(db, &r.account, &r.user.trim().to_lowercase()).await?,
    };
    found.map(|u| u.id).ok_or_else(|| {
        AppError::NotFound(format!(
            "no user '{}' in account {} (give an id, e-mail or userName)",
            r.user, r.account
        ))
    })
}

async fn change(
    db: &Db,
    mailer: &Mailer,
    r: &UserRef,
    action: UserCommand,
    json_out: bool,
) -> AppResult<()> {
    let id = resolve(db, r).await?;
    // No user acts: the CLI is the operator, who is never "yourself" to the rules.
    directory::user_action(db, mailer, &r.account, &Actor::cli(), "", &id, action).await?;
    let status = match action {
        UserCommand::Delete => "deleted".to_string(),
        _ => store::users::get_record(db, &r.account, &id)
            .await?
            .map_or_else(|| "deleted".into(), |u| u.status.as_str().to_string()),
    };
    if json_out {
        return print_json(&json!({"id": id, "status": status}));
    }
    println!("{id} {status}");
    Ok(())
}

/// `rollcall api-key list`.
pub async fn api_key_list(db: &Db, account: &str, json_out: bool) -> AppResult<()> {
    crate::domain::accounts::require(db, account).await?;
    let now = crate::ids::now();
    let keys = store::api_keys::list(db, account).await?;
    let status = |k: &store::api_keys::KeyListRow| {
        api_keys::status(k.revoked_at.as_deref(), k.expires_at.as_deref(), &now)
    };
    if json_out {
        let list: Vec<Value> = keys
            .iter()
            .map(|k| {
                json!({"id": k.id, "name": k.name, "status": status(k),
                       "groups": k.groups.as_deref().map(|g| g.split('\n').collect::<Vec<_>>()).unwrap_or_default(),
                       "created_by": k.created_by, "created_at": k.created_at,
                       "expires_at": k.expires_at, "revoked_at": k.revoked_at,
                       "last_used_at": k.last_used_at})
            })
            .collect();
        return print_json(&Value::Array(list));
    }
    print_table(
        &["ID", "NAME", "STATUS", "CREATED", "EXPIRES", "LAST USED"],
        keys.iter()
            .map(|k| {
                vec![
                    k.id.clone(),
                    k.name.clone(),
                    status(k).to_string(),
                    k.created_at.clone(),
                    k.expires_at.clone().unwrap_or_else(|| "never".into()),
                    k.last_used_at.clone().unwrap_or_else(|| "never".into()),
                ]
            })
            .collect(),
    );
    Ok(())
}

/// `rollcall api-key revoke`: refused at once by every server on PostgreSQL, within half a
/// second by servers sharing the SQLite file (their bearer caches hear of it).
pub async fn api_key_revoke(db: &Db, account: &str, id: &str, json_out: bool) -> AppResult<()> {
    crate::domain::accounts::require(db, account).await?;
    api_keys::revoke(db, account, &Actor::cli(), id).await?;
    if json_out {
        return print_json(&json!({"id": id, "status": "revoked"}));
    }
    println!("{id} revoked");
    Ok(())
}

fn print_json(v: &Value) -> AppResult<()> {
    println!(
        "{}",
        serde_json::to_string_pretty(v).map_err(|e| AppError::Internal(e.to_string()))?
    );
    Ok(())
}

/// Columns padded to their widest cell; the last one unpadded.
fn print_table(header: &[&str], rows: Vec<Vec<String>>) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let last = cells.len().saturating_sub(1);
        let text: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == last {
                    c.to_string()
                } else {
                    format!("{c:<w$}", w = widths[i])
                }
            })
            .collect();
        println!("{}", text.join("  ").trim_end());
    };
    line(header.to_vec());
    for row in &rows {
        line(row.iter().map(String::as_str).collect());
    }
}
