//! Several `rollcall serve` processes on one database, as replicas behind a load balancer
//! run: nothing that decides correctness may live in one process. Throttling, mail delivery,
//! sessions, API-key revocation, the live feed and uniqueness are checked across two real
//! processes sharing the suite's database: a SQLite file (WAL allows several processes), or
//! PostgreSQL when the suite runs on it (`ROLLCALL_TEST_ENGINE=postgres`). What only
//! PostgreSQL does (change notices, one replica running the jobs) is in `postgres_replicas`.

use crate::common::scim::*;
use crate::common::smtp::*;
use crate::common::*;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Two servers on one new database with an administrator and an API key.
pub struct Pair {
    pub db: TempDb,
    pub account: String,
    pub token: String,
    pub a: Server,
    pub b: Server,
}

fn pair() -> Pair {
    pair_on(TempDb::new())
}

/// [`pair`] on a given database.
pub fn pair_on(db: TempDb) -> Pair {
    let account = account_with_admin(&db, "admin@example.com");
    let token = api_key(&db, &account);
    let (a, b) = (Server::start(&db), Server::start(&db));
    Pair {
        db,
        account,
        token,
        a,
        b,
    }
}

pub async fn admin_on(server: &Server) -> reqwest::Client {
    let c = server.client();
    let r = post_form(
        server,
        &c,
        "/api/login",
        &[("email", "admin@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), 200);
    c
}

/// Replicas started together on a new database: one migrates, the others wait, and all
/// serve (without the migration lock, the second fails creating tables the first made).
#[tokio::test]
async fn processes_started_together_on_a_new_database_all_come_up() {
    let db = TempDb::new();
    if db.engine() == Engine::Sqlite {
        assert!(!db.path().exists());
    }
    let servers: Vec<Server> = std::thread::scope(|s| {
        let started: Vec<_> = (0..3).map(|_| s.spawn(|| Server::start(&db))).collect();
        started.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for server in &servers {
        let r = reqwest::get(server.url("/readyz")).await.unwrap();
        assert_eq!(r.status(), 200, "{}", server.log());
    }
}

/// The throttle is in the database, not in a process: two `rollcall serve` processes on one
/// database count the same failures (alternating between them, each sees all ten), and a
/// restart does not forget them.
#[tokio::test]
async fn log_in_throttling_is_shared_by_every_process_on_the_database() {
    let db = TempDb::new();
    account_with_admin(&db, "admin@example.com");
    let (a, b) = (Server::start(&db), Server::start(&db));
    let wrong = [
        ("email", "admin@example.com"),
        ("password", "wrong-password-00"),
    ];
    for i in 0..10 {
        let server = if i % 2 == 0 { &a } else { &b };
        let r = post_form(server, &server.client(), "/api/login", &wrong).await;
        assert_eq!(r.status(), 400, "attempt {i}");
    }
    let right = [("email", "admin@example.com"), ("password", PASSWORD)];
    for server in [&a, &b] {
        let r = post_form(server, &server.client(), "/api/login", &right).await;
        assert_eq!(r.status(), 429, "{}", r.text().await.unwrap());
    }
    a.terminate();
    b.terminate();
    let c = Server::start(&db);
    let r = post_form(&c, &c.client(), "/api/login", &right).await;
    assert_eq!(r.status(), 429, "a restart forgot the window");
}

/// A session made on one process is good on the other (sessions live in the database), and a
/// SCIM suspension sent to either ends it on both.
#[tokio::test]
async fn a_session_made_on_one_process_works_on_the_other_and_suspension_ends_it_on_both() {
    let db = TempDb::new();
    let smtp = SmtpSink::start(db.dir.path());
    let account = account_with_admin(&db, "admin@example.com");
    let token = api_key(&db, &account);
    let a = Server::start_with(&db, &["--smtp-url", &smtp.url()]);
    let b = Server::start_with(&db, &["--smtp-url", &smtp.url()]);
    let id = Scim::new(&a, &account, &token)
        .user("ada@example.com")
        .await;
    let (_, invite) = link(&smtp.wait_for(1).await, "/signup/");
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let (on_a, on_b) = (a.client_with(jar.clone()), b.client_with(jar));
    let password = "copper-lantern-river-77";
    let r = post_form(
        &b,
        &on_b,
        "/api/signup",
        &[
            ("input[token]", invite.as_str()),
            ("input[password]", password),
            ("input[password_confirm]", password),
        ],
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    for (server, client) in [(&a, &on_a), (&b, &on_b)] {
        assert_eq!(
            whoami(server, client).await["LoggedIn"]["email"],
            "ada@example.com"
        );
    }
    let r = Scim::new(&a, &account, &token)
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    assert_eq!(r.status, 200);
    for (server, client) in [(&a, &on_a), (&b, &on_b)] {
        assert_eq!(whoami(server, client).await, json!("Anonymous"));
    }
}

/// An API key revoked through one process is refused by the other within a second, although
/// the other had just used (and cached) it.
#[tokio::test]
async fn a_key_revoked_on_one_process_is_refused_by_the_other_within_a_second() {
    let p = pair();
    let on_b = Scim::new(&p.b, &p.account, &p.token);
    assert_eq!(on_b.get("/Users").await.status, 200);
    let key_id = p.token.split('_').nth(1).unwrap().to_string();
    let admin = admin_on(&p.a).await;
    let r = post_form(&p.a, &admin, "/api/revoke_api_key", &[("id", &key_id)]).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let revoked = Instant::now();
    loop {
        let r = on_b.get("/Users").await;
        if r.status == 401 {
            assert!(r.detail().contains("revoked"), "{}", r.detail());
            break;
        }
        assert_eq!(r.status, 200);
        assert!(
            revoked.elapsed() < Duration::from_secs(1),
            "still accepted {:?} after revocation",
            revoked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An administrator's live feed, served by one process, announces SCIM requests answered by
/// the other.
/// Each process remembers a large group's membership by version (store/member_cache.rs): a
/// member removed and another deleted through one process show in the other's next read.
#[tokio::test]
async fn a_big_group_changed_through_one_process_is_read_fresh_by_the_other() {
    let p = pair();
    let on_a = Scim::new(&p.a, &p.account, &p.token);
    let on_b = Scim::new(&p.b, &p.account, &p.token);
    let users = many(&on_a, "shared", 80).await;
    let members: Vec<serde_json::Value> = users.iter().map(|u| json!({"value": u})).collect();
    let g = on_a
        .post(
            "/Groups",
            json!({"displayName": "Shared", "members": members}),
        )
        .await;
    assert_eq!(g.status, 201, "{}", g.body);
    let path = format!("/Groups/{}", g.body["id"].as_str().unwrap());
    let ids = |r: &Reply| -> Vec<String> {
        r.body["members"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["value"].as_str().unwrap().to_string())
            .collect()
    };
    for _ in 0..2 {
        assert_eq!(ids(&on_b.get(&path).await).len(), 80);
    }
    let r = on_a
        .patch(
            &path,
            json!([{"op": "remove", "path": "members", "value": [{"value": users[0]}]}]),
        )
        .await;
    assert!(r.status == 200 || r.status == 204, "{}", r.body);
    for _ in 0..2 {
        let now = ids(&on_b.get(&path).await);
        assert_eq!(now.len(), 79);
        assert!(!now.contains(&users[0]));
    }
    // B now holds the group at its new version; a member deleted through A must still show.
    let deleted = on_a.delete(&format!("/Users/{}", users[1])).await;
    assert_eq!(deleted.status, 204);
    let now = ids(&on_b.get(&path).await);
    assert_eq!(now.len(), 78);
    assert!(!now.contains(&users[1]));
}

#[tokio::test]
async fn the_live_feed_on_one_process_shows_requests_answered_by_the_other() {
    let p = pair();
    let admin = admin_on(&p.b).await;
    let mut feed = admin.get(p.b.url("/live/activity")).send().await.unwrap();
    assert_eq!(feed.status(), 200);
    let scim_a = Scim::new(&p.a, &p.account, &p.token);
    assert_eq!(scim_a.get("/Users/not-there").await.status, 404);
    let seen = tokio::time::timeout(Duration::from_secs(10), async {
        let mut seen = String::new();
        while let Some(chunk) = feed.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: activity") {
                break;
            }
        }
        seen
    })
    .await
    .expect("an activity event on B within 10 s");
    assert!(seen.contains("event: activity"), "{seen}");
}

/// Uniqueness is the database's: 64 concurrent creates of one userName spread over both
/// processes give exactly one 201 and 63 × 409, and one row.
#[tokio::test]
async fn concurrent_creates_of_one_user_name_on_two_processes_give_one_user() {
    let p = pair();
    let (sa, sb) = (
        Scim::new(&p.a, &p.account, &p.token),
        Scim::new(&p.b, &p.account, &p.token),
    );
    let body = json!({"userName": "race@example.com", "emails": [{"value": "race@example.com", "primary": true}]});
    let replies = futures_util::future::join_all((0..64).map(|i| {
        let scim = if i % 2 == 0 { &sa } else { &sb };
        scim.post("/Users", body.clone())
    }))
    .await;
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        63,
        "{statuses:?}"
    );
    let pool = pool(&p.db).await;
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE user_name_norm = 'race@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(n, 1);
}

/// Two processes serving one database both run a mail sender: each message is claimed by one
/// of them, so every invite is delivered exactly once, even when both wake for the same
/// backlog at the same moment (the SMTP server came back).
#[tokio::test]
async fn two_senders_on_one_database_deliver_each_mail_once() {
    let db = TempDb::new();
    let account = account_with_admin(&db, "admin@example.com");
    let token = api_key(&db, &account);
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    let a = Server::start_with(&db, &["--smtp-url", &url]);
    let b = Server::start_with(&db, &["--smtp-url", &url]);
    let (sa, sb) = (
        Scim::new(&a, &account, &token),
        Scim::new(&b, &account, &token),
    );
    for i in 0..20 {
        let scim = if i % 2 == 0 { &sa } else { &sb };
        scim.user(&format!("p{i}@example.com")).await;
    }
    // SMTP is down: every invite waits, pending, after one failed attempt.
    let tried = "SELECT COUNT(*) FROM outbox WHERE attempts > 0";
    assert_eq!(count_becomes(&db, tried, 20).await, 20);
    // SMTP is back, the retries are due, and both senders are woken at once.
    let smtp = SmtpSink::start_on(db.dir.path(), port);
    let pool = pool(&db).await;
    sqlx::query("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00.000Z'")
        .execute(&pool)
        .await
        .unwrap();
    tokio::join!(sa.user("last-a@example.com"), sb.user("last-b@example.com"));
    smtp.wait_for(22).await;
    let sent = "SELECT COUNT(*) FROM outbox WHERE status = 'sent'";
    assert_eq!(count_becomes(&db, sent, 22).await, 22);
    // Give a second (wrong) delivery time to arrive before counting.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let messages = smtp.messages();
    for i in 0..20 {
        let to = format!("To: p{i}@example.com");
        let n = messages.iter().filter(|m| m.contains(&to)).count();
        assert_eq!(n, 1, "{to} received {n} messages");
    }
    assert_eq!(messages.len(), 22);
}

/// `kill -9` of one process under a load of creates spread over both: every create that was
/// acknowledged (201) is there afterwards, and the other process answers every request sent
/// to it, before, during and after.
#[tokio::test]
async fn killing_one_process_under_load_loses_no_acknowledged_write() {
    const PER_WORKER: usize = 150;
    let mut p = pair();
    let (sa, sb) = (
        Arc::new(Scim::new(&p.a, &p.account, &p.token)),
        Arc::new(Scim::new(&p.b, &p.account, &p.token)),
    );
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let cut_off = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut load = tokio::task::JoinSet::new();
    for worker in 0..8 {
        let (scim, on_b) = if worker % 2 == 0 {
            (sa.clone(), false)
        } else {
            (sb.clone(), true)
        };
        let (acknowledged, cut_off) = (acknowledged.clone(), cut_off.clone());
        load.spawn(async move {
            for i in 0..PER_WORKER {
                let body = json!({"userName": format!("w{worker}-{i}@example.com")});
                match tokio::time::timeout(Duration::from_secs(20), scim.try_post("/Users", body))
                    .await
                {
                    Ok(Ok(r)) if r.status == 201 => {
                        let id = r.body["id"].as_str().unwrap().to_string();
                        acknowledged.lock().unwrap().push(id);
                    }
                    Ok(Ok(r)) => panic!("worker {worker}: {} {}", r.status, r.body),
                    // The killed process's connections fail: not acknowledged, not counted.
                    Ok(Err(_)) if !on_b => {
                        cut_off.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        return;
                    }
                    Ok(Err(e)) => panic!("worker {worker} (the live process): {e}"),
                    Err(_) => panic!("worker {worker}: no answer in 20 s"),
                }
            }
        });
    }
    // Let the load run, then kill A in the middle of it.
    while acknowledged.lock().unwrap().len() < 200 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    p.a.kill();
    while let Some(done) = load.join_next().await {
        done.unwrap();
    }
    let ids = acknowledged.lock().unwrap().clone();
    assert!(
        ids.len() >= 160,
        "B's 160 creates and A's first ones: {}",
        ids.len()
    );
    for id in &ids {
        let r = sb.get(&format!("/Users/{id}")).await;
        assert_eq!(r.status, 200, "acknowledged user {id} is missing");
    }
    assert_eq!(sb.get("/Users?count=1").await.status, 200);
}
