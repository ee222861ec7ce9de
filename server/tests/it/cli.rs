//! The `rollcall` command-line contract, run as the real binary on a real SQLite file.

use crate::common::*;

#[test]
fn account_create_prints_only_a_22_char_base62_id_and_creates_the_database_folder() {
    let db = TempDb::sqlite();
    let out = rollcall(&db, &["account", "create", "--name", "Acme"], &[], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.ends_with('\n'));
    let id = out.stdout.trim_end();
    assert_eq!(id.len(), 22, "{id:?}");
    assert!(id.chars().all(|c| c.is_ascii_alphanumeric()), "{id:?}");
    assert!(db.path().exists(), "database file created with its folder");
    let other = ok(&db, &["account", "create", "--name", "Globex"], &[]);
    assert_ne!(id, other);
}

#[test]
fn admin_create_takes_the_password_from_env_or_stdin_and_prints_the_user_id() {
    let db = TempDb::new();
    let account = ok(&db, &["account", "create", "--name", "Acme"], &[]);
    let id = ok(
        &db,
        &[
            "admin",
            "create",
            "--account",
            &account,
            "--email",
            "ada@example.com",
        ],
        &[("ROLLCALL_PASSWORD", PASSWORD)],
    );
    assert_eq!(id.len(), 36, "a UUID: {id}");

    let out = rollcall(
        &db,
        &[
            "admin",
            "create",
            "--account",
            &account,
            "--email",
            "grace@example.com",
            "--password-stdin",
        ],
        &[],
        Some(&format!("{PASSWORD}\n")),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_ne!(out.stdout.trim(), id);
}

#[test]
fn admin_create_errors_are_one_line_and_non_zero() {
    let db = TempDb::new();
    let account = ok(&db, &["account", "create", "--name", "Acme"], &[]);
    let pw = [("ROLLCALL_PASSWORD", PASSWORD)];
    ok(
        &db,
        &[
            "admin",
            "create",
            "--account",
            &account,
            "--email",
            "ada@example.com",
        ],
        &pw,
    );

    type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);
    let cases: Vec<Case> = vec![
        // duplicate e-mail, case-insensitively
        (
            vec![
                "admin",
                "create",
                "--account",
                &account,
                "--email",
                "ADA@Example.com",
            ],
            pw.to_vec(),
            "already exists",
        ),
        (
            vec![
                "admin",
                "create",
                "--account",
                "AAAAAAAAAAAAAAAAAAAAAA",
                "--email",
                "x@example.com",
            ],
            pw.to_vec(),
            "unknown account",
        ),
        (
            vec![
                "admin",
                "create",
                "--account",
                "not-an-id",
                "--email",
                "x@example.com",
            ],
            pw.to_vec(),
            "unknown account",
        ),
        (
            vec![
                "admin",
                "create",
                "--account",
                &account,
                "--email",
                "not-an-email",
            ],
            pw.to_vec(),
            "not an e-mail",
        ),
        (
            vec![
                "admin",
                "create",
                "--account",
                &account,
                "--email",
                "x@example.com",
            ],
            vec![],
            "ROLLCALL_PASSWORD",
        ),
        (
            vec![
                "admin",
                "create",
                "--account",
                &account,
                "--email",
                "x@example.com",
            ],
            vec![("ROLLCALL_PASSWORD", "short")],
            "12 characters",
        ),
    ];
    for (args, envs, expected) in cases {
        let out = rollcall(&db, &args, &envs, None);
        assert_ne!(out.code, 0, "{args:?} should fail");
        assert!(
            out.stdout.is_empty(),
            "nothing on stdout for {args:?}: {}",
            out.stdout
        );
        let line = out.stderr.trim();
        assert_eq!(line.lines().count(), 1, "one line for {args:?}: {line}");
        assert!(line.starts_with("error: "), "{line}");
        assert!(
            line.contains(expected),
            "{args:?}: {line} should mention {expected}"
        );
        assert!(!line.contains("panicked"), "{line}");
    }
}

#[test]
fn api_key_create_prints_an_rc_token_once_and_checks_its_input() {
    let db = TempDb::new();
    let account = ok(&db, &["account", "create", "--name", "Acme"], &[]);
    let token = ok(
        &db,
        &[
            "api-key",
            "create",
            "--account",
            &account,
            "--name",
            "OneLogin",
        ],
        &[],
    );
    assert!(token.starts_with("rc_"), "{token}");
    assert_eq!(token.lines().count(), 1);
    let dated = ok(
        &db,
        &[
            "api-key",
            "create",
            "--account",
            &account,
            "--name",
            "Okta",
            "--expires-in-days",
            "90",
        ],
        &[],
    );
    assert_ne!(token, dated);

    // The token itself is not in the database (only a hash of its secret): not in the SQLite
    // file or its log, not in any column of any PostgreSQL row.
    let secret = token.rsplit('_').next().unwrap();
    let stored_in_clear = match db.engine() {
        Engine::Sqlite => {
            let bytes = std::fs::read(db.path()).unwrap();
            let wal = std::fs::read(db.path().with_extension("db-wal")).unwrap_or_default();
            [bytes, wal]
                .concat()
                .windows(secret.len())
                .any(|w| w == secret.as_bytes())
        }
        Engine::Postgres => tokio::runtime::Runtime::new().unwrap().block_on(async {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM api_keys k WHERE position($1 in k::text) > 0",
            )
            .bind(secret)
            .fetch_one(&pool(&db).await)
            .await
            .unwrap();
            n > 0
        }),
    };
    assert!(!stored_in_clear, "secret stored in clear");

    for (args, expected) in [
        (
            vec![
                "api-key",
                "create",
                "--account",
                "AAAAAAAAAAAAAAAAAAAAAA",
                "--name",
                "x",
            ],
            "unknown account",
        ),
        (
            vec![
                "api-key",
                "create",
                "--account",
                &account,
                "--name",
                "x",
                "--expires-in-days",
                "0",
            ],
            "between 1 and",
        ),
        (
            vec!["api-key", "create", "--account", &account, "--name", " "],
            "Enter a key name",
        ),
    ] {
        let out = rollcall(&db, &args, &[], None);
        assert_ne!(out.code, 0);
        assert!(out.stderr.contains(expected), "{args:?}: {}", out.stderr);
    }
}

#[test]
fn serve_refuses_a_bad_public_url_with_one_line() {
    let db = TempDb::new();
    let out = rollcall(
        &db,
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--public-url",
            "not a url",
        ],
        &[],
        None,
    );
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.trim().starts_with("error: --public-url"),
        "{}",
        out.stderr
    );
}

#[test]
fn serve_refuses_bad_proxy_networks_and_session_lifetimes_with_one_line() {
    let db = TempDb::new();
    for (flag, value) in [
        ("--trusted-proxies", "10.0.0.0/33"),
        ("--trusted-proxies", "proxy.example"),
        ("--session-max-days", "0"),
        ("--session-max-days", "366"),
    ] {
        let out = rollcall(
            &db,
            &["serve", "--listen", "127.0.0.1:0", flag, value],
            &[],
            None,
        );
        assert_ne!(out.code, 0, "{flag} {value}");
        let line = out.stderr.trim();
        assert!(
            line.starts_with(&format!("error: {flag}")),
            "{flag} {value}: {line}"
        );
        assert_eq!(line.lines().count(), 1, "{line}");
    }
}

#[test]
fn every_command_has_help() {
    let db = TempDb::new();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["account", "create", "--help"],
        vec!["admin", "create", "--help"],
        vec!["api-key", "create", "--help"],
    ] {
        let out = rollcall(&db, &args, &[], None);
        assert_eq!(out.code, 0, "{args:?}");
        assert!(out.stdout.contains("Usage:"), "{args:?}: {}", out.stdout);
    }
}
