//! What only PostgreSQL replicas do, on two `rollcall serve` processes sharing one PostgreSQL
//! database (whatever the suite's engine): a change on one replica reaches the other's cache
//! by `NOTIFY` — well inside the cache's TTL, which alone would take up to half a second — a
//! listener that lost its connection forgets everything, and exactly one replica runs the
//! background jobs, another taking over when it dies.

use crate::common::pg;
use crate::common::scim::*;
use crate::common::*;
use crate::replicas::{admin_on, pair_on};
use std::time::{Duration, Instant};

/// Well under the key cache's TTL (500 ms): refused sooner than this, the cache was told.
const SOONER_THAN_TTL: Duration = Duration::from_millis(350);

/// Asks `scim` for users until it is refused as revoked; fails if it was still accepted
/// `within` after `since`.
async fn refused_within(scim: &Scim, since: Instant, within: Duration) {
    loop {
        let r = scim.get("/Users?count=1").await;
        if r.status == 401 {
            assert!(r.detail().contains("revoked"), "{}", r.detail());
            return;
        }
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(
            since.elapsed() < within,
            "still accepted {:?} after the key was cached fresh",
            since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// B caches the key afresh, A revokes it: B refuses it at once (NOTIFY), not when its cache
/// entry expires.
#[tokio::test]
async fn a_key_revoked_on_one_replica_is_forgotten_by_the_other_at_once() {
    let p = pair_on(TempDb::postgres());
    let admin = admin_on(&p.a).await;
    let on_b = Scim::new(&p.b, &p.account, &p.token);
    assert_eq!(on_b.get("/Users?count=1").await.status, 200);
    // Let that entry expire, then cache the key anew: B now holds it for the next 500 ms.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let cached = Instant::now();
    assert_eq!(on_b.get("/Users?count=1").await.status, 200);
    let key_id = p.token.split('_').nth(1).unwrap().to_string();
    let r = post_form(&p.a, &admin, "/api/revoke_api_key", &[("id", &key_id)]).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    refused_within(&on_b, cached, SOONER_THAN_TTL).await;
}

/// A revocation B is never told about (made in the database by hand) while B's listener loses
/// its connection: the reconnected listener empties the cache, so B refuses the key at once.
#[tokio::test]
async fn a_listener_that_reconnects_forgets_everything_it_may_have_missed() {
    let p = pair_on(TempDb::postgres());
    let on_b = Scim::new(&p.b, &p.account, &p.token);
    assert_eq!(on_b.get("/Users?count=1").await.status, 200);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let cached = Instant::now();
    assert_eq!(on_b.get("/Users?count=1").await.status, 200);
    let db = pool(&p.db).await;
    sqlx::query("UPDATE api_keys SET revoked_at = '2026-01-01T00:00:00.000Z' WHERE id = $1")
        .bind(p.token.split('_').nth(1).unwrap())
        .execute(&db)
        .await
        .unwrap();
    let cut: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = current_database() AND query LIKE 'LISTEN%') AS t",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(cut, 2, "each replica listens on one connection");
    refused_within(&on_b, cached, SOONER_THAN_TTL).await;
}

const LEADS: &str = "this replica now runs the background jobs";

/// Waits up to `within` for `server`'s log to say it leads.
async fn comes_to_lead(server: &Server, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if server.log().contains(LEADS) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.log().contains(LEADS)
}

/// One replica at a time runs the background jobs; when it is killed the other takes them
/// over (within two of its retries) and mail queued on it is delivered.
#[tokio::test]
async fn one_replica_runs_the_jobs_and_another_takes_over_when_it_dies() {
    let db = TempDb::postgres();
    let account = account_with_admin(&db, "admin@example.com");
    let token = api_key(&db, &account);
    let smtp = crate::common::smtp::SmtpSink::start(db.dir.path());
    let mut a = Server::start_with(&db, &["--smtp-url", &smtp.url()]);
    assert!(
        comes_to_lead(&a, Duration::from_secs(10)).await,
        "{}",
        a.log()
    );
    let b = Server::start_with(&db, &["--smtp-url", &smtp.url()]);
    // B competes at once and then every 2 s; it must not lead while A lives.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!b.log().contains(LEADS), "both lead:\n{}", b.log());

    a.kill();
    assert!(
        comes_to_lead(&b, Duration::from_secs(10)).await,
        "nobody took over:\n{}",
        b.log()
    );
    Scim::new(&b, &account, &token)
        .user("after@example.com")
        .await;
    let mail = smtp.wait_for(1).await;
    assert!(mail.contains("To: after@example.com"), "{mail}");
}

async fn readyz(server: &Server) -> u16 {
    let r = reqwest::get(server.url("/readyz")).await.unwrap();
    r.status().as_u16()
}

/// PostgreSQL goes away under a running server and comes back: meanwhile SCIM writes and reads
/// are answered 503 with `Retry-After` in RFC 7644 form (never a 500 or a hang), nothing
/// refused is written, `/readyz` says why it is not ready, and once the database is back the
/// server serves again by itself (no restart).
#[tokio::test]
async fn a_database_outage_is_answered_503_and_the_server_recovers_by_itself() {
    // A cluster of this test's own (stopping the shared one would fail the other tests),
    // stopped when the test ends.
    let pg = pg::private_server();
    let db = TempDb::postgres_on(&pg);
    let account = account_with_admin(&db, "admin@example.com");
    let token = api_key(&db, &account);
    let server = Server::start(&db);
    let scim = Scim::new(&server, &account, &token);
    let before = scim.user("before@example.com").await;
    assert_eq!(readyz(&server).await, 200);

    pg.stop();
    let started = Instant::now();
    let write = scim
        .post(
            "/Users",
            serde_json::json!({"userName": "during@example.com"}),
        )
        .await;
    let read = scim.get(&format!("/Users/{before}")).await;
    for r in [&write, &read] {
        assert_eq!(r.status, 503, "{}", r.body);
        assert_eq!(r.header("retry-after").as_deref(), Some("1"));
        assert_eq!(
            r.body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert!(r.detail().contains("cannot be reached"), "{}", r.detail());
    }
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the outage took {:?} to answer",
        started.elapsed()
    );
    assert_eq!(readyz(&server).await, 503);

    pg.restart();
    let deadline = Instant::now() + Duration::from_secs(20);
    let after = loop {
        let r = scim
            .post(
                "/Users",
                serde_json::json!({"userName": "after@example.com"}),
            )
            .await;
        if r.status == 201 {
            break r;
        }
        assert_eq!(r.status, 503, "{}", r.body);
        assert!(Instant::now() < deadline, "no recovery: {}", server.log());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(after.body["userName"], "after@example.com");
    assert_eq!(scim.get(&format!("/Users/{before}")).await.status, 200);
    let during = scim
        .filter("Users", "userName eq \"during@example.com\"")
        .await;
    assert_eq!(during.body["totalResults"], 0, "a refused write was kept");
    assert_eq!(readyz(&server).await, 200);
}
