//! The operator's toolkit through the binary: `--version`, request ids and JSON logs, and
//! backup / restore of a serving SQLite database.

use crate::common::scim::Scim;
use crate::common::*;
use reqwest::Method;
use serde_json::{json, Value};

#[test]
fn the_version_names_the_commit_it_was_built_from() {
    let db = TempDb::new();
    let out = rollcall(&db, &["--version"], &[], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let head = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("git");
    let head = String::from_utf8_lossy(&head.stdout).trim().to_string();
    assert_eq!(head.len(), 12, "this test runs in a git checkout");
    assert_eq!(
        out.stdout.trim(),
        format!("rollcall {} (commit {head})", env!("CARGO_PKG_VERSION"))
    );
}

fn user(name: &str) -> Value {
    json!({"userName": format!("{name}@example.com"), "name": {"givenName": name, "familyName": "Test"},
           "emails": [{"value": format!("{name}@example.com"), "primary": true}]})
}

#[tokio::test]
async fn every_request_has_an_id_in_its_answer_and_in_every_log_line_of_it() {
    let db = TempDb::new();
    let account = account_with_admin(&db, "ada@example.com");
    let token = api_key(&db, &account);
    let server = Server::start_with(&db, &["--log-format", "json"]);
    let client = reqwest::Client::new();

    // A caller's id is kept and echoed; a missing or unsafe one is replaced by a new one.
    let given = client
        .get(server.url("/healthz"))
        .header("x-request-id", "probe-42")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "probe-42");
    let mut made = Vec::new();
    for sent in [None, Some("two words"), Some("x\"}{\"level\":\"ERROR")] {
        let mut req = client.get(server.url("/healthz"));
        if let Some(id) = sent {
            req = req.header("x-request-id", id);
        }
        let res = req.send().await.unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
        assert!(uuid::Uuid::parse_str(&id).is_ok(), "{sent:?} → {id}");
        made.push(id);
    }
    made.dedup();
    assert_eq!(made.len(), 3, "a new id for each request: {made:?}");

    // SCIM errors name the request in their detail (the IdP shows it to its administrator).
    let scim = Scim::new(&server, &account, &token);
    let missing = scim
        .send(
            Method::GET,
            "/Users/00000000-0000-7000-8000-000000000000",
            None,
            &[("x-request-id", "okta-req-7")],
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("x-request-id").as_deref(),
        Some("okta-req-7")
    );
    assert!(
        missing.detail().ends_with("(request id okta-req-7)"),
        "{}",
        missing.body
    );
    let created = scim
        .send(
            Method::POST,
            "/Users",
            Some(user("grace")),
            &[("x-request-id", "okta-req-8")],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);

    // Every line is one JSON object; the request's lines carry its span: id, route template
    // (no ids or e-mails), account, and the status once answered.
    let log = server.log();
    let lines: Vec<Value> = log
        .lines()
        .filter(|l| !l.trim().is_empty() && l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        log.lines()
            .filter(|l| !l.trim().is_empty())
            .all(|l| l.starts_with('{') || l.contains("First run") || l.contains("set-up code")),
        "{log}"
    );
    let answered = |id: &str| -> Value {
        lines
            .iter()
            .find(|l| l["span"]["request_id"] == id && l["fields"]["message"] == "answered")
            .unwrap_or_else(|| panic!("no line answered {id} in\n{log}"))
            .clone()
    };
    let line = answered("okta-req-7");
    assert_eq!(line["fields"]["status"], 404);
    assert_eq!(line["span"]["method"], "GET");
    assert_eq!(line["span"]["account"], account.as_str());
    let route = line["span"]["route"].as_str().unwrap();
    assert!(
        route.starts_with("/scim/account/{") && route.contains("/Users/{"),
        "{route}"
    );
    let line = answered("okta-req-8");
    assert_eq!(line["fields"]["status"], 201);
    assert_eq!(line["span"]["status"], 201);
    assert!(line["span"]["ms"].as_f64().is_some(), "{line}");
    // No token or link in any line (the invite sent for the new user is in the outbox).
    assert!(!log.contains(&token), "{log}");
    assert!(!log.contains("/signup/"), "{log}");
    assert_eq!(answered("probe-42")["span"]["route"], "/healthz");
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_every_user_key_and_session() {
    let db = TempDb::new();
    let account = account_with_admin(&db, "ada@example.com");
    let token = api_key(&db, &account);
    let backup = db.dir.path().join("backup.db");
    let backup_arg = backup.to_str().unwrap();
    if db.engine() == Engine::Postgres {
        let out = rollcall(&db, &["backup", "--to", backup_arg], &[], None);
        assert_ne!(out.code, 0);
        assert!(out.stderr.contains("pg_dump"), "{}", out.stderr);
        assert!(!backup.exists());
        return;
    }
    let server = Server::start(&db);
    let scim = Scim::new(&server, &account, &token);
    for name in ["ada2", "grace", "linus"] {
        let r = scim
            .send(Method::POST, "/Users", Some(user(name)), &[])
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    // One browser's cookies, kept across the restart.
    let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
    let browser = server.client_with(jar.clone());
    let login = post_form(
        &server,
        &browser,
        "/api/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert!(login.status().is_success(), "{}", login.status());
    assert!(whoami(&server, &browser).await.get("LoggedIn").is_some());

    // Taken while an IdP keeps writing: the copy is one consistent moment of the database.
    let writes = {
        let scim = Scim::new(&server, &account, &token);
        tokio::spawn(async move {
            for i in 0..40 {
                let r = scim
                    .send(
                        Method::POST,
                        "/Users",
                        Some(user(&format!("during{i}"))),
                        &[],
                    )
                    .await;
                assert_eq!(r.status, 201, "{}", r.body);
            }
        })
    };
    let out = tokio::task::spawn_blocking({
        let (db_url, to) = (db.url(), backup_arg.to_string());
        move || {
            std::process::Command::new(bin())
                .args(["backup", "--to", &to, "--json"])
                .env("ROLLCALL_DATABASE_URL", db_url)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    writes.await.unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let users_in_backup = report["users"].as_i64().unwrap();
    // Two administrators' worth of rows at least: ada + the three created before.
    assert!(users_in_backup >= 4, "{report}");
    assert!(users_in_backup <= 44, "{report}");
    assert_eq!(report["api_keys"], 1);
    assert!(report["sessions"].as_i64().unwrap() >= 1, "{report}");

    // A second backup to the same file is refused: a backup never overwrites.
    let again = rollcall(&db, &["backup", "--to", backup_arg], &[], None);
    assert_ne!(again.code, 0);
    assert!(again.stderr.contains("exists"), "{}", again.stderr);

    // Written after the backup: gone once it is restored.
    let late = scim
        .send(Method::POST, "/Users", Some(user("late")), &[])
        .await;
    assert_eq!(late.status, 201);

    // Restore: stop, replace the file (and drop its WAL), start.
    server.terminate();
    let live = db.path();
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", live.display()));
    }
    std::fs::copy(&backup, &live).unwrap();
    let server = Server::start(&db);
    let scim = Scim::new(&server, &account, &token);
    let list = scim.send(Method::GET, "/Users?count=0", None, &[]).await;
    assert_eq!(list.status, 200, "the API key is back: {}", list.body);
    assert_eq!(list.body["totalResults"].as_i64().unwrap(), users_in_backup);
    for (name, present) in [("grace", 1), ("linus", 1), ("late", 0)] {
        let found = scim
            .send(
                Method::GET,
                &format!("/Users?filter=userName%20eq%20%22{name}@example.com%22"),
                None,
                &[],
            )
            .await;
        assert_eq!(found.body["totalResults"], present, "{name}");
    }
    // The browser's session from before the backup is still good.
    let browser = server.client_with(jar);
    assert!(
        whoami(&server, &browser).await.get("LoggedIn").is_some(),
        "the session is back"
    );
}

#[test]
fn the_suite_wide_log_check_finds_secrets_in_log_lines_only() {
    let key = "rc_0190abcd_AbCdEfGhIjKlMnOpQrStUv";
    for line in [
        format!(r#"{{"level":"INFO","fields":{{"message":"key {key}"}}}}"#),
        "2026-12-06T22:58:14Z  INFO mail: http://x/signup/AbC123".to_string(),
        "\u{1b}[2m2026-12-06T22:58:14Z\u{1b}[0m WARN got Bearer abc".to_string(),
        format!(r#"{{"fields":{{"password":"{PASSWORD}"}}}}"#),
    ] {
        assert_eq!(secret_in_log(&line), Some(line.as_str()));
    }
    // The operator's terminal block of a reset link (no SMTP) is not a log line.
    let terminal = "\n  Password reset for a@example.com (no SMTP configured; pass the link on):\nhttp://x/reset/AbC123\n";
    assert_eq!(secret_in_log(terminal), None);
    assert_eq!(
        secret_in_log(r#"{"fields":{"message":"key rc_0190abcd revoked"}}"#),
        None
    );
}

/// `user VERB --account ACCOUNT --user WHO`.
fn user_cmd<'a>(verb: &'a str, account: &'a str, who: &'a str) -> [&'a str; 6] {
    ["user", verb, "--account", account, "--user", who]
}

fn json_of(db: &TempDb, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let out = ok(db, &all, &[]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}

#[tokio::test]
async fn the_cli_lists_and_changes_users_and_keys_under_the_uis_rules() {
    let db = TempDb::new();
    let account = account_with_admin(&db, "ada@example.com");
    add_admin(&db, &account, "bob@example.com");
    let token = api_key(&db, &account);
    let server = Server::start(&db);
    let scim = Scim::new(&server, &account, &token);
    let r = scim
        .send(Method::POST, "/Users", Some(user("grace")), &[])
        .await;
    assert_eq!(r.status, 201, "{}", r.body);

    // Accounts and users, as a table and as JSON.
    let table = ok(&db, &["account", "list"], &[]);
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table.contains(&account) && table.contains("Acme"),
        "{table}"
    );
    let accounts = json_of(&db, &["account", "list"]);
    assert_eq!(accounts[0]["id"], account.as_str());
    assert_eq!(accounts[0]["users"], 3);
    let users = json_of(&db, &["user", "list", "--account", &account]);
    assert_eq!(users["total"], 3);
    let emails: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        ["ada@example.com", "bob@example.com", "grace@example.com"]
    );
    let idp_only = json_of(
        &db,
        &["user", "list", "--account", &account, "--source", "idp"],
    );
    assert_eq!(idp_only["users"].as_array().unwrap().len(), 1);
    let bad = rollcall(
        &db,
        &["user", "list", "--account", &account, "--status", "asleep"],
        &[],
        None,
    );
    assert_ne!(bad.code, 0);
    assert!(
        bad.stderr.contains("invited, active, suspended"),
        "{}",
        bad.stderr
    );
    let grace = json_of(&db, &user_cmd("show", &account, "GRACE@example.com"));
    assert_eq!(grace["source"], "idp");
    let listed = ok(&db, &user_cmd("show", &account, "grace@example.com"), &[]);
    assert!(
        listed.contains("managed by the identity provider"),
        "{listed}"
    );

    // The UI's rules: IdP-managed users are changed in the IdP; an account keeps an active
    // administrator.
    let refused = rollcall(
        &db,
        &user_cmd("suspend", &account, "grace@example.com"),
        &[],
        None,
    );
    assert_ne!(refused.code, 0);
    assert!(
        refused.stderr.contains("identity provider"),
        "{}",
        refused.stderr
    );
    let suspended = json_of(&db, &user_cmd("suspend", &account, "bob@example.com"));
    assert_eq!(suspended["status"], "suspended");
    let last = rollcall(
        &db,
        &user_cmd("delete", &account, "ada@example.com"),
        &[],
        None,
    );
    assert_ne!(last.code, 0, "the last active administrator stays");
    assert!(
        last.stderr.to_lowercase().contains("administrator"),
        "{}",
        last.stderr
    );
    let back = json_of(&db, &user_cmd("reactivate", &account, "bob@example.com"));
    assert_eq!(back["status"], "active");
    let bob = json_of(&db, &user_cmd("show", &account, "bob@example.com"));
    let actors: Vec<(&str, &str)> = bob["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert!(actors.contains(&("user.suspended", "CLI")), "{actors:?}");
    assert!(actors.contains(&("user.reactivated", "CLI")), "{actors:?}");
    let deleted = ok(&db, &user_cmd("delete", &account, "bob@example.com"), &[]);
    assert!(deleted.ends_with("deleted"), "{deleted}");
    let missing = rollcall(
        &db,
        &user_cmd("show", &account, "bob@example.com"),
        &[],
        None,
    );
    assert_ne!(missing.code, 0);
    assert!(missing.stderr.contains("no user"), "{}", missing.stderr);

    // Keys: listed without their tokens; a revoked key is refused by the running server.
    let keys = json_of(&db, &["api-key", "list", "--account", &account]);
    assert_eq!(keys[0]["status"], "active");
    assert!(!keys.to_string().contains(&token));
    let key_id = keys[0]["id"].as_str().unwrap().to_string();
    let table = ok(&db, &["api-key", "list", "--account", &account], &[]);
    assert!(
        table.contains(&key_id) && table.contains("active"),
        "{table}"
    );
    ok(
        &db,
        &["api-key", "revoke", "--account", &account, "--id", &key_id],
        &[],
    );
    let mut status = 0;
    for _ in 0..100 {
        status = scim
            .send(Method::GET, "/Users?count=1", None, &[])
            .await
            .status;
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, 401, "the revoked key is refused");
    assert_eq!(
        json_of(&db, &["api-key", "list", "--account", &account])[0]["status"],
        "revoked"
    );
    let again = rollcall(
        &db,
        &["api-key", "revoke", "--account", &account, "--id", &key_id],
        &[],
        None,
    );
    assert_ne!(again.code, 0);
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn metrics_are_served_on_their_own_address_only_with_bounded_labels() {
    let db = TempDb::new();
    let account = account_with_admin(&db, "ada@example.com");
    let token = api_key(&db, &account);
    let metrics_addr = format!("127.0.0.1:{}", free_port());
    let server = Server::start_with(&db, &["--metrics-listen", &metrics_addr]);
    let scim = Scim::new(&server, &account, &token);
    assert_eq!(
        scim.send(Method::GET, "/Users", None, &[]).await.status,
        200
    );
    let r = scim
        .send(Method::POST, "/Users", Some(user("grace")), &[])
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let missing = scim
        .send(
            Method::GET,
            "/Users/00000000-0000-7000-8000-000000000000",
            None,
            &[],
        )
        .await;
    assert_eq!(missing.status, 404);
    let browser = server.client();
    let wrong = post_form(
        &server,
        &browser,
        "/api/login",
        &[
            ("email", "ada@example.com"),
            ("password", "not-the-password-1"),
        ],
    )
    .await;
    assert!(!wrong.status().is_success());

    // Never on the public port.
    let public = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_ne!(public.status(), 200);
    assert!(!public
        .text()
        .await
        .unwrap()
        .contains("rollcall_http_requests_total"));

    let res = reqwest::get(format!("http://{metrics_addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = res.text().await.unwrap();
    let has = |name: &str, labels: &[&str]| {
        text.lines().any(|l| {
            l.starts_with(&format!("{name}{{")) && labels.iter().all(|want| l.contains(want))
        })
    };
    assert!(
        has(
            "rollcall_http_requests_total",
            &[
                r#"route="/scim/account/{account_id}/Users""#,
                r#"method="GET""#,
                r#"status="200""#
            ]
        ),
        "{text}"
    );
    assert!(
        has(
            "rollcall_http_request_duration_seconds_bucket",
            &[
                r#"route="/scim/account/{account_id}/Users""#,
                r#"le="0.005""#
            ]
        ),
        "{text}"
    );
    assert!(
        has(
            "rollcall_scim_requests_total",
            &[
                r#"operation="GET /Users/{id}""#,
                r#"outcome="client_error""#
            ]
        ),
        "{text}"
    );
    assert!(
        has(
            "rollcall_scim_requests_total",
            &[r#"operation="POST /Users""#, r#"outcome="success""#]
        ),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l == r#"rollcall_logins_total{outcome="bad_credentials"} 1"#),
        "{text}"
    );
    assert!(text.contains("rollcall_write_batch_jobs_bucket"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("rollcall_write_queue_depth ")),
        "{text}"
    );
    // The invite mail for grace waits in the outbox (no SMTP).
    assert!(
        text.lines()
            .any(|l| l == r#"rollcall_outbox_mail{status="stored"} 0"#
                || l.starts_with(r#"rollcall_outbox_mail{status="pending"}"#)),
        "{text}"
    );
    assert!(
        has("rollcall_db_reader_connections", &[r#"state="in_use""#]),
        "{text}"
    );
    // Bounded labels: no account id, user id or e-mail anywhere.
    assert!(!text.contains(&account), "{text}");
    assert!(!text.contains("example.com"), "{text}");
    assert!(!text.contains("00000000-0000-7000"), "{text}");

    // A bad address stops start-up with a clear error.
    let bad = rollcall(
        &db,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--metrics-listen",
            "nowhere",
        ],
        &[],
        None,
    );
    assert_ne!(bad.code, 0);
    assert!(bad.stderr.contains("--metrics-listen"), "{}", bad.stderr);
}

#[test]
fn config_check_shows_every_setting_its_source_and_no_secret() {
    let db = TempDb::new();
    let file = db.dir.path().join("rollcall.toml");
    std::fs::write(
        &file,
        "session_hours = 8\nsmtp_url = \"smtp://mailer:hunter2-secret@mail.example.com:587\"\ntrusted_proxies = [\"10.0.0.0/8\"]\n",
    )
    .unwrap();
    let config = file.to_str().unwrap();
    let out = rollcall(
        &db,
        &[
            "config",
            "check",
            "--config",
            config,
            "--listen",
            "127.0.0.1:9999",
        ],
        &[("ROLLCALL_INVITE_DAYS", "3")],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let row = |name: &str| -> Vec<String> {
        out.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} in\n{}", out.stdout))
            .split_whitespace()
            .map(str::to_string)
            .collect()
    };
    assert_eq!(row("listen"), ["listen", "127.0.0.1:9999", "flag"]);
    assert_eq!(row("invite_days"), ["invite_days", "3", "env"]);
    assert_eq!(row("session_hours"), ["session_hours", "8", "file"]);
    assert_eq!(row("write_queue"), ["write_queue", "1024", "default"]);
    assert_eq!(
        row("trusted_proxies"),
        ["trusted_proxies", "10.0.0.0/8", "file"]
    );
    assert_eq!(
        row("smtp_url"),
        ["smtp_url", "smtp://mailer:***@mail.example.com:587", "file"]
    );
    assert_eq!(row("database_url").last().unwrap(), "env");
    assert!(!out.stdout.contains("hunter2") && !out.stderr.contains("hunter2"));

    let json: Value = serde_json::from_str(&ok(
        &db,
        &["config", "check", "--config", config, "--json"],
        &[],
    ))
    .unwrap();
    let smtp = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "smtp_url")
        .unwrap();
    assert_eq!(smtp["source"], "file");
    assert!(!json.to_string().contains("hunter2"));

    // A wrong value: its flag and the reason, exit code 1, for any command.
    let bad = rollcall(&db, &["config", "check", "--session-hours", "0"], &[], None);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("--session-hours"), "{}", bad.stderr);
    let unknown = std::fs::write(&file, "listne = \"x\"\n");
    unknown.unwrap();
    let bad = rollcall(&db, &["config", "check", "--config", config], &[], None);
    assert_eq!(bad.code, 1);
    assert!(bad.stderr.contains("listne"), "{}", bad.stderr);
}
