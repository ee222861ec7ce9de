//! The PostgreSQL schema (`server/migrations/postgres`, issue 12) against the SQLite schema it
//! twins, on a real PostgreSQL server (`common::pg`): the same migration versions, tables,
//! columns and index names, every text column bytewise (`COLLATE "C"`, as SQLite's BINARY, so
//! paging and sorting agree), and migrations safe when replicas start together.

use crate::common::*;
use sqlx::migrate::Migrator;
use std::collections::BTreeSet;

static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");

type Names = BTreeSet<(String, String)>;

async fn sqlite_schema(db: &TempDb) -> (Names, BTreeSet<String>) {
    let pool = sqlite_pool(db).await;
    // `table_xinfo`, not `table_info`: it lists generated columns too (users.name_norm).
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT m.name, c.name FROM sqlite_master m, pragma_table_xinfo(m.name) c
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    (columns.into_iter().collect(), indexes.into_iter().collect())
}

async fn postgres_schema(pool: &sqlx::PgPool) -> (Names, BTreeSet<String>) {
    let columns: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    // Primary keys and UNIQUE constraints are named by PostgreSQL (`…_pkey`, `…_key`), as
    // SQLite's are (`sqlite_autoindex_…`); every index we name must exist on both.
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexname::text FROM pg_indexes WHERE schemaname = 'public'
         AND indexname NOT LIKE '%\\_pkey' AND indexname NOT LIKE '%\\_key'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    (columns.into_iter().collect(), indexes.into_iter().collect())
}

#[tokio::test]
async fn the_postgres_migrations_mirror_the_sqlite_ones() {
    let versions = |m: &Migrator| m.iter().map(|m| m.version).collect::<Vec<_>>();
    assert_eq!(versions(&POSTGRES), versions(&SQLITE));

    // SQLite as the binary migrates it; PostgreSQL from the twin migrations.
    let db = TempDb::sqlite();
    ok(&db, &["account", "create", "--name", "Acme"], &[]);
    let (sqlite_columns, sqlite_indexes) = sqlite_schema(&db).await;
    let pool = sqlx::PgPool::connect(&pg::new_database().await)
        .await
        .unwrap();
    POSTGRES.run(&pool).await.unwrap();
    let (pg_columns, pg_indexes) = postgres_schema(&pool).await;
    assert_eq!(
        sqlite_columns
            .symmetric_difference(&pg_columns)
            .collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "columns on one engine only"
    );
    assert_eq!(
        sqlite_indexes
            .symmetric_difference(&pg_indexes)
            .collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "indexes on one engine only"
    );
    let not_bytewise: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND data_type = 'text' AND table_name <> '_sqlx_migrations'
           AND collation_name IS DISTINCT FROM 'C'",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(not_bytewise, vec![], "text columns without COLLATE \"C\"");
    // Generated columns compute as on SQLite.
    let name: String = sqlx::query_scalar(
        "WITH a AS (INSERT INTO accounts (id, name, created_at) VALUES ('a', 'A', 'now') RETURNING id)
         INSERT INTO users (id, account_id, user_name, user_name_norm, first_name, last_name, status, source, created_at, updated_at)
         SELECT 'u', id, 'x', 'x', ' Ada', 'Lovelace ', 'active', 'manual', 'now', 'now' FROM a
         RETURNING name_norm",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(name, "ada lovelace");
}

/// Replicas started together on a new database all run the migrator: one applies the
/// migrations (sqlx holds a PostgreSQL advisory lock), the others wait and find them applied.
#[tokio::test]
async fn replicas_migrating_a_new_postgres_database_at_once_all_succeed() {
    let url = pg::new_database().await;
    let runs = (0..4).map(|_| {
        let url = url.clone();
        async move {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            POSTGRES.run(&pool).await
        }
    });
    for result in futures_util::future::join_all(runs).await {
        result.unwrap();
    }
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(applied, i64::try_from(POSTGRES.iter().count()).unwrap());
}

/// Every PostgreSQL statement written beside its SQLite twin in `server/src/store` (the
/// `postgres: "…"` texts of `sql!`) is prepared on the migrated schema: PostgreSQL parses it
/// and resolves every table, column, operator and parameter type, so a typo or a SQLite-ism
/// (`boolean = 1`, `json_each`) fails here before the engine runs it. Texts built with
/// `format!` are left to the suites that run them.
#[tokio::test]
async fn every_postgres_statement_of_the_store_prepares_on_the_schema() {
    use sqlx::{Connection, Executor};
    let url = pg::new_database().await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    POSTGRES.run(&mut conn).await.unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    let mut prepared = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let source = std::fs::read_to_string(&path).unwrap();
        for text in postgres_texts(&source) {
            if text.contains('{') {
                continue;
            }
            match conn.prepare(text.as_str()).await {
                Ok(_) => prepared += 1,
                Err(e) => failures.push(format!("{}: {e}\n  {text}", path.display())),
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(prepared >= 60, "only {prepared} statements found");
}

/// The string literals that follow `postgres:` in Rust source, unescaped.
fn postgres_texts(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("postgres: \"") {
        rest = &rest[at + "postgres: \"".len()..];
        let mut text = String::new();
        let mut chars = rest.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => text.push('\n'),
                    Some((_, '\n')) => {}
                    Some((_, c)) => text.push(c),
                    None => break rest.len(),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => text.push(c),
                None => break rest.len(),
            }
        };
        out.push(text);
        rest = &rest[end..];
    }
    out
}

/// The SCIM filter compiler's PostgreSQL dialect, for every attribute and operator it
/// supports, prepares (and runs) on the schema, as the SQLite dialect does.
#[tokio::test]
async fn compiled_scim_filters_run_on_postgres() {
    use rollcall_server::filter::parse_filter;
    use rollcall_server::store::scim_query::{compile, Bind, Resource};
    use sqlx::Connection;
    let url = pg::new_database().await;
    let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
    POSTGRES.run(&mut conn).await.unwrap();
    let users = [
        r#"userName eq "Ada@Example.com""#,
        r#"userName sw "ada" and active eq true"#,
        r#"emails[type eq "work" and value co "@example.com"]"#,
        r#"emails.primary eq true or externalId ew "_x""#,
        r#"externalId co "A%" or id sw "01""#,
        r#"name.givenName eq "Ada" and name.familyName ne "Byron""#,
        r#"displayName co "love" and not (active eq false)"#,
        r#"meta.created gt "2026-01-01T00:00:00Z" and meta.lastModified le "2027-01-01T00:00:00Z""#,
        r#"externalId pr and emails.type eq "home""#,
        r#"active pr and userName eq null"#,
    ];
    let groups = [
        r#"displayName eq "Engineering""#,
        r#"members eq "u1" or members.value ne "u2""#,
        r#"externalId sw "okta" and members pr"#,
    ];
    let cases = users.iter().map(|f| (f, Resource::Users, "users u")).chain(
        groups
            .iter()
            .map(|f| (f, Resource::Groups, "user_groups g")),
    );
    for (filter, resource, from) in cases {
        let compiled = compile(&parse_filter(filter).unwrap(), resource).unwrap();
        let alias = &from[from.len() - 1..];
        let sql = format!(
            "SELECT COUNT(*) FROM {from} WHERE {alias}.account_id = $1 AND ({})",
            compiled.postgres.postgres(2)
        );
        let mut q = sqlx::query_scalar::<_, i64>(&sql).bind("account");
        for b in &compiled.postgres.binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Int(i) => q.bind(*i),
                Bind::Bool(v) => q.bind(*v),
            };
        }
        if let Err(e) = q.fetch_one(&mut conn).await {
            panic!("{filter}: {e}\n  {sql}");
        }
    }
}
