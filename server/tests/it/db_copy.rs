//! `rollcall db copy --from sqlite://… --to postgres://…` on a real installation and a real
//! PostgreSQL server (`common::pg`): every table arrives with the same rows (checked against
//! the source, table by table), ids and their sequences carry on, the source is untouched, a
//! target that holds data is refused without a change, and bad URLs are one-line errors.

use crate::common::scim::*;
use crate::common::*;
use serde_json::json;

/// A SQLite installation with something in most tables: users, a group with members, API
/// keys, invites in the outbox, audit events, SCIM activity, a session, SSO settings.
async fn installation() -> ScimFixture {
    let f = fixture_on(TempDb::sqlite());
    for i in 0..25 {
        f.scim.user(&format!("person{i}@example.com")).await;
    }
    let ada = f.scim.user("ada@example.com").await;
    let r = f
        .scim
        .post(
            "/Groups",
            json!({"displayName": "Engineering", "members": [{"value": ada}]}),
        )
        .await;
    assert_eq!(r.status, 201);
    let client = f.server.client();
    let r = post_form(
        &f.server,
        &client,
        "/api/login",
        &[("email", "admin@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), 200);
    // SSO settings and an attempt (flags: INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL).
    let pool = sqlite_pool(&f.db).await;
    sqlx::query(
        "INSERT INTO saml_configs (account_id, idp_entity_id, sso_url, certificates, enabled, enforced, updated_at)
         VALUES (?, 'https://idp.example.com', 'https://idp.example.com/sso', 'MIIB', 1, 0, 'now')",
    )
    .bind(&f.account)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO saml_attempts (account_id, at, success, name_id, reason, test)
         VALUES (?, 'now', 0, 'ada@example.com', 'signature made with SHA-1', 1)",
    )
    .bind(&f.account)
    .execute(&pool)
    .await
    .unwrap();
    f
}

async fn count(pool: &sqlx::SqlitePool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn pg_count(pool: &sqlx::PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sqlite_installation_is_copied_to_postgres_table_by_table() {
    let f = installation().await;
    let from = f.db.url();
    // While the server still runs (and writes its activity log): the source is read as one
    // snapshot, so the copy's own per-table count check holds.
    let live = pg::new_database().await;
    let out = rollcall(
        &f.db,
        &["db", "copy", "--from", &from, "--to", &live],
        &[],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    // Stopped, so the source no longer moves: every table compared with it.
    let ScimFixture { db, server, .. } = f;
    server.terminate();
    let target = pg::new_database().await;
    let out = rollcall(
        &db,
        &["db", "copy", "--from", &from, "--to", &target],
        &[],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let source = sqlite_pool(&db).await;
    let pg = sqlx::PgPool::connect(&target).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&source)
    .await
    .unwrap();
    assert!(tables.len() >= 17, "{tables:?}");
    let mut printed = 0;
    for table in &tables {
        let (n, m) = (count(&source, table).await, pg_count(&pg, table).await);
        assert_eq!(n, m, "{table}: {n} rows in SQLite, {m} in PostgreSQL");
        let line = out
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(table.as_str()))
            .unwrap_or_else(|| panic!("{table} not reported:\n{}", out.stdout));
        assert!(line.ends_with(&format!(" {n}")), "{line}");
        printed += n;
    }
    assert!(out.stdout.contains("total"), "{}", out.stdout);
    assert!(printed > 60, "the installation has rows: {printed}");
    for table in [
        "users",
        "user_groups",
        "api_keys",
        "outbox",
        "sessions",
        "audit_events",
    ] {
        assert!(
            count(&source, table).await > 0,
            "{table} is empty in the fixture"
        );
    }
    // Values arrive as they were, generated columns are computed again.
    let users_sqlite: Vec<(String, String, String, i64, Option<String>)> =
        sqlx::query_as("SELECT id, user_name, status, version, name_norm FROM users ORDER BY id")
            .fetch_all(&source)
            .await
            .unwrap();
    let users_pg: Vec<(String, String, String, i64, Option<String>)> =
        sqlx::query_as("SELECT id, user_name, status, version, name_norm FROM users ORDER BY id")
            .fetch_all(&pg)
            .await
            .unwrap();
    assert_eq!(users_sqlite, users_pg);
    let data_sqlite: Vec<u8> = sqlx::query_scalar("SELECT data FROM sessions LIMIT 1")
        .fetch_one(&source)
        .await
        .unwrap();
    let id: String = sqlx::query_scalar("SELECT id FROM sessions LIMIT 1")
        .fetch_one(&source)
        .await
        .unwrap();
    let data_pg: Vec<u8> = sqlx::query_scalar("SELECT data FROM sessions WHERE id = $1")
        .bind(&id)
        .fetch_one(&pg)
        .await
        .unwrap();
    assert_eq!(data_sqlite, data_pg);
    let flags: (bool, bool) = sqlx::query_as("SELECT enabled, enforced FROM saml_configs")
        .fetch_one(&pg)
        .await
        .unwrap();
    assert_eq!(flags, (true, false));
    let attempt: (bool, bool, String) =
        sqlx::query_as("SELECT success, test, reason FROM saml_attempts")
            .fetch_one(&pg)
            .await
            .unwrap();
    assert_eq!(attempt, (false, true, "signature made with SHA-1".into()));
    // New rows get ids after the copied ones.
    let max: i64 = sqlx::query_scalar("SELECT MAX(id) FROM audit_events")
        .fetch_one(&pg)
        .await
        .unwrap();
    let next: i64 = sqlx::query_scalar(
        "INSERT INTO audit_events (account_id, at, actor_kind, actor_label, action)
         SELECT id, 'now', 'system', 'test', 'test' FROM accounts LIMIT 1 RETURNING id",
    )
    .fetch_one(&pg)
    .await
    .unwrap();
    assert!(next > max, "{next} after {max}");
}

#[tokio::test]
async fn a_target_that_holds_data_is_refused_and_left_as_it_was() {
    let f = installation().await;
    let target = pg::new_database().await;
    let from = f.db.url();
    let first = rollcall(
        &f.db,
        &["db", "copy", "--from", &from, "--to", &target],
        &[],
        None,
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let pg = sqlx::PgPool::connect(&target).await.unwrap();
    let before = pg_count(&pg, "users").await;
    let again = rollcall(
        &f.db,
        &["db", "copy", "--from", &from, "--to", &target],
        &[],
        None,
    );
    assert_ne!(again.code, 0);
    assert!(
        again.stderr.contains("already holds data"),
        "{}",
        again.stderr
    );
    assert_eq!(again.stderr.trim().lines().count(), 1, "{}", again.stderr);
    assert_eq!(pg_count(&pg, "users").await, before);
}

/// All or nothing: a value that cannot be copied in the last table leaves no row of any table
/// behind, and once the source is mended the same command into the same target succeeds.
#[tokio::test]
async fn a_copy_that_fails_midway_leaves_the_target_empty_and_can_be_run_again() {
    let f = installation().await;
    let source = sqlite_pool(&f.db).await;
    // SQLite keeps text in an INTEGER column; PostgreSQL's BIGINT cannot take it.
    sqlx::query("INSERT INTO throttle (key, window_start, hits) VALUES ('k', 0, 'many')")
        .execute(&source)
        .await
        .unwrap();
    let target = pg::new_database().await;
    let from = f.db.url();
    let failed = rollcall(
        &f.db,
        &["db", "copy", "--from", &from, "--to", &target],
        &[],
        None,
    );
    assert_ne!(failed.code, 0);
    assert!(failed.stderr.contains("throttle.hits"), "{}", failed.stderr);
    let pg = sqlx::PgPool::connect(&target).await.unwrap();
    for table in ["accounts", "users", "audit_events", "sessions"] {
        assert_eq!(
            pg_count(&pg, table).await,
            0,
            "{table} kept rows of a failed copy"
        );
    }
    sqlx::query("DELETE FROM throttle WHERE key = 'k'")
        .execute(&source)
        .await
        .unwrap();
    let again = rollcall(
        &f.db,
        &["db", "copy", "--from", &from, "--to", &target],
        &[],
        None,
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert_eq!(pg_count(&pg, "users").await, count(&source, "users").await);
}

#[tokio::test]
async fn bad_urls_are_one_line_errors_and_create_nothing() {
    let db = TempDb::sqlite();
    let target = pg::new_database().await;
    let missing = db.dir.path().join("nothing-here.db");
    let missing_url = format!("sqlite://{}", missing.display());
    let cases = [
        (
            vec!["--from", missing_url.as_str(), "--to", target.as_str()],
            "--from: there is no database at",
        ),
        (
            vec!["--from", missing_url.as_str(), "--to", "sqlite://x.db"],
            "--from: there is no database at",
        ),
        (
            vec!["--from", "mysql://x", "--to", target.as_str()],
            "--from: 'mysql://x' is not a sqlite:// URL",
        ),
    ];
    for (args, wanted) in cases {
        let mut all = vec!["db", "copy"];
        all.extend(args);
        let out = rollcall(&db, &all, &[], None);
        assert_ne!(out.code, 0);
        assert!(out.stderr.contains(wanted), "{wanted}: {}", out.stderr);
        assert_eq!(out.stderr.trim().lines().count(), 1, "{}", out.stderr);
    }
    assert!(!missing.exists(), "the copy created its source");
    assert!(
        !db.path().exists(),
        "db copy opened the configured database"
    );
    // A real source and a target that is not PostgreSQL.
    ok(&db, &["account", "create", "--name", "Acme"], &[]);
    let out = rollcall(
        &db,
        &["db", "copy", "--from", &db.url(), "--to", "sqlite://x.db"],
        &[],
        None,
    );
    assert!(
        out.stderr
            .contains("--to: 'sqlite://x.db' is not a postgres:// URL"),
        "{}",
        out.stderr
    );
}
