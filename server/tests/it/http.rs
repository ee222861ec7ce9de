//! The real binary serving on port 0: health, first-run set-up, log-in, sessions, CSRF.

use crate::common::*;
use serde_json::Value;

async fn whoami(server: &Server, client: &reqwest::Client) -> Value {
    let res = client.post(server.url("/api/whoami")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn login(
    server: &Server,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    client
        .post(server.url("/api/login"))
        .form(&[("email", email), ("password", password)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn healthz_answers_while_the_process_runs() {
    let db = TempDb::new();
    let server = Server::start(&db);
    let res = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap().trim(), "ok");
}

/// `/readyz` is what a load balancer asks: ready only while the database answers and holds
/// every migration this binary expects; `/healthz` (alive) does not depend on the database.
#[tokio::test]
async fn readyz_says_ready_only_on_a_migrated_database() {
    let db = TempDb::new();
    let server = Server::start(&db);
    let res = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap().trim(), "ready");
    // Someone rolled the schema back under the running server.
    let pool = crate::common::pool(&db).await;
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(&pool)
    .await
    .unwrap();
    let res = reqwest::get(server.url("/readyz")).await.unwrap();
    assert_eq!(res.status(), 503);
    let body = res.text().await.unwrap();
    assert!(body.contains("not migrated"), "{body}");
    let res = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn first_run_setup_needs_the_printed_code_and_happens_once() {
    let db = TempDb::new();
    let server = Server::start(&db);
    let client = server.client();

    let page = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Welcome to Rollcall") && html.contains("Set-up code"),
        "{html}"
    );
    assert_eq!(
        whoami(&server, &client).await,
        serde_json::json!("SetupRequired")
    );

    let log = server.log();
    let code = log
        .split("set-up code")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no set-up code in the log: {log}"))
        .to_string();
    assert_eq!(code.len(), 14, "{code}");

    let form = |code: &str, confirm: &str| {
        vec![
            ("input[setup_code]", code.to_string()),
            ("input[account_name]", "Acme".to_string()),
            ("input[first_name]", "Ada".to_string()),
            ("input[last_name]", "Lovelace".to_string()),
            ("input[email]", "ada@example.com".to_string()),
            ("input[password]", PASSWORD.to_string()),
            ("input[password_confirm]", confirm.to_string()),
        ]
    };
    // Wrong code and mismatched confirmation: 400, each error named by its field, nothing created.
    let res = client
        .post(server.url("/api/setup"))
        .form(&form("AAAA-BBBB-CCCC", "other-password-123"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    let fields: Vec<&str> = body["Invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["setup_code", "password_confirm"], "{body}");
    assert_eq!(
        whoami(&server, &client).await,
        serde_json::json!("SetupRequired")
    );

    let res = client
        .post(server.url("/api/setup"))
        .form(&form(&code.to_lowercase(), PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let me = whoami(&server, &client).await;
    assert_eq!(me["LoggedIn"]["email"], "ada@example.com");
    assert_eq!(me["LoggedIn"]["account_name"], "Acme");
    assert_eq!(me["LoggedIn"]["is_admin"], true);

    // A second set-up is refused, even with the old code.
    let stranger = server.client();
    let res = stranger
        .post(server.url("/api/setup"))
        .form(&form(&code, PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(
        whoami(&server, &stranger).await,
        serde_json::json!("Anonymous")
    );
}

#[tokio::test]
async fn login_logout_and_the_session_cookie() {
    let db = TempDb::new();
    account_with_admin(&db, "ada@example.com");
    let server = Server::start(&db);
    let client = server.client();

    // Pages need a session.
    let res = client
        .get(server.url("/users"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/login");

    // Same message for an unknown e-mail and a wrong password.
    let unknown = login(&server, &client, "nobody@example.com", PASSWORD).await;
    assert_eq!(unknown.status(), 400);
    let unknown: Value = unknown.json().await.unwrap();
    let wrong = login(&server, &client, "ada@example.com", "wrong-password-123").await;
    assert_eq!(wrong.status(), 400);
    let wrong: Value = wrong.json().await.unwrap();
    assert_eq!(unknown, wrong);
    assert_eq!(wrong["Rejected"], "E-mail or password is incorrect.");

    // E-mail is matched case-insensitively; the cookie is HttpOnly and SameSite=Lax.
    let res = login(&server, &client, "ADA@example.com", PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("rollcall="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(whoami(&server, &client).await["LoggedIn"]["is_admin"], true);

    // The shell renders with its sidebar.
    let html = client
        .get(server.url("/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for item in [
        "Users",
        "User Groups",
        "API Keys",
        "SCIM Provisioning",
        "Audit Log",
        "Settings",
    ] {
        assert!(html.contains(item), "sidebar lacks {item}");
    }

    // Logging in again rotates the session id.
    let again = login(&server, &client, "ada@example.com", PASSWORD).await;
    let cookie2 = again.headers()["set-cookie"].to_str().unwrap().to_string();
    assert_ne!(
        cookie.split(';').next(),
        cookie2.split(';').next(),
        "session id rotated at log-in"
    );

    let res = client.post(server.url("/api/logout")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        whoami(&server, &client).await,
        serde_json::json!("Anonymous")
    );
}

#[tokio::test]
async fn a_non_admin_sees_only_their_profile() {
    let db = TempDb::new();
    let account = account_with_admin(&db, "ada@example.com");
    // A second admin is removed from the group directly in the database to make a plain member.
    ok(
        &db,
        &[
            "admin",
            "create",
            "--account",
            &account,
            "--email",
            "bob@example.com",
        ],
        &[("ROLLCALL_PASSWORD", PASSWORD)],
    );
    {
        let pool = crate::common::pool(&db).await;
        sqlx::query("DELETE FROM group_members WHERE user_id = (SELECT id FROM users WHERE email = 'bob@example.com')")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
    let server = Server::start(&db);
    let client = server.client();
    assert_eq!(
        login(&server, &client, "bob@example.com", PASSWORD)
            .await
            .status(),
        200
    );
    assert_eq!(
        whoami(&server, &client).await["LoggedIn"]["is_admin"],
        false
    );
    let html = client
        .get(server.url("/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Your profile"), "{html}");
    assert!(
        !html.contains("API Keys"),
        "a member must not see the admin shell"
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let db = TempDb::new();
    account_with_admin(&db, "ada@example.com");
    let server = Server::start(&db);
    let res = server
        .client()
        .post(server.url("/api/login"))
        .header("Origin", "https://evil.example")
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

/// A write that hides where it comes from (`Origin: null`, or neither `Origin` nor `Referer`)
/// is refused like a cross-site one: a logged-in administrator's session survives a log-out
/// request of either kind, and neither kind can log in.
#[tokio::test]
async fn writes_without_an_origin_are_refused() {
    let db = TempDb::new();
    account_with_admin(&db, "ada@example.com");
    let server = Server::start(&db);
    let browser = server.client();
    assert_eq!(
        login(&server, &browser, "ada@example.com", PASSWORD)
            .await
            .status(),
        200
    );
    // The same cookies, with the origin replaced: `Origin: null`.
    let null = browser
        .post(server.url("/api/logout"))
        .header("Origin", "null")
        .send()
        .await
        .unwrap();
    assert_eq!(null.status(), 403);
    assert_eq!(
        whoami(&server, &browser).await["LoggedIn"]["email"],
        "ada@example.com"
    );
    let bare = reqwest::Client::new();
    for req in [
        bare.post(server.url("/api/login")),
        bare.post(server.url("/api/login")).header("Origin", "null"),
        bare.post(server.url("/api/login"))
            .header("Referer", "null"),
    ] {
        let res = req
            .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
        assert!(res.headers().get("set-cookie").is_none());
    }
    // The same request with this site's Referer (no Origin) is fine.
    let res = bare
        .post(server.url("/api/login"))
        .header("Referer", server.url("/login"))
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// Oversized log-in input is refused before any work: a form body over the limit is 413, an
/// e-mail over 254 characters or a password over 1 KiB is a field error, and 40 attempts with
/// 1.9 MB e-mail addresses leave the server's memory where it was (they grew it by 250 MiB).
#[tokio::test]
async fn oversized_log_in_input_is_refused_before_any_work() {
    let db = TempDb::new();
    account_with_admin(&db, "ada@example.com");
    let server = Server::start(&db);
    let client = server.client();
    let res = login(
        &server,
        &client,
        &format!("{}@example.com", "a".repeat(300)),
        PASSWORD,
    )
    .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("at most 254"));
    let res = login(&server, &client, "ada@example.com", &"p".repeat(1025)).await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("at most 1024"));
    // Warm up (first requests allocate caches), then measure.
    for _ in 0..3 {
        login(&server, &client, "ada@example.com", "wrong password!!").await;
    }
    // Just over the form limit (it fits in the socket's buffers, so the answer is read): 413,
    // and the connection is not kept, since the body's rest was never read.
    let over = format!("{}@example.com", "a".repeat(70_000));
    let res = client
        .post(server.url("/api/login"))
        .form(&[("email", over.as_str()), ("password", "whatever")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert_eq!(res.headers()["connection"], "close");
    let before = server.rss_kib();
    let huge = format!("{}@example.com", "a".repeat(1_900_000));
    for _ in 0..40 {
        // The server may answer 413 and close before it has read the whole body; the client
        // then sees either the 413 or a reset while still sending. Never any other answer.
        let sent = client
            .post(server.url("/api/login"))
            .form(&[("email", huge.as_str()), ("password", "whatever")])
            .send()
            .await;
        if let Ok(res) = sent {
            assert_eq!(res.status(), 413);
            // The rest of the body is unread: the connection must not go back to the client's
            // pool (the next log-in would be sent into a closed socket).
            assert_eq!(res.headers()["connection"], "close");
        }
    }
    let grown = server.rss_kib().saturating_sub(before);
    assert!(grown < 32 * 1024, "resident memory grew by {grown} KiB");
    // The owner still logs in.
    assert_eq!(
        login(&server, &client, "ada@example.com", PASSWORD)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn unknown_pages_are_404_and_assets_are_served() {
    let db = TempDb::new();
    let server = Server::start(&db);
    let res = reqwest::get(server.url("/no/such/page")).await.unwrap();
    assert_eq!(res.status(), 404);
    let res = reqwest::get(server.url("/favicon.svg")).await.unwrap();
    // Served from target/site when built; the test suite runs after `make build`.
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn an_unreadable_form_is_a_400_not_a_500() {
    let db = TempDb::new();
    account_with_admin(&db, "ada@example.com");
    let server = Server::start(&db);
    let res = server
        .client()
        .post(server.url("/api/login"))
        .form(&[("nothing", "here")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["Rejected"]
            .as_str()
            .unwrap()
            .contains("could not be read"),
        "{body}"
    );
}

/// Answers that may show what a session sees are never cached; assets may be; HSTS only when
/// the public URL is https (a proxy terminates TLS in front).
#[tokio::test]
async fn cache_and_transport_headers() {
    let db = TempDb::new();
    account_with_admin(&db, "ada@example.com");
    let server = Server::start(&db);
    let client = server.client();
    let page = client.get(server.url("/login")).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    assert!(page.headers().get("strict-transport-security").is_none());
    let api = client.post(server.url("/api/whoami")).send().await.unwrap();
    assert_eq!(api.headers()["cache-control"], "no-store");
    let asset = client.get(server.url("/favicon.svg")).send().await.unwrap();
    assert_eq!(asset.status(), 200);
    assert_ne!(
        asset
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
    drop(server);
    let server = Server::start_with(&db, &["--public-url", "https://rollcall.example"]);
    let page = reqwest::get(server.url("/login")).await.unwrap();
    assert!(page.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
}

/// Every page has a Content-Security-Policy whose nonce is fresh per response and is the one on
/// every script the page carries (hydration still works: the browser suite checks that with the
/// policy enforced); other answers run nothing.
#[tokio::test]
async fn content_security_policy() {
    let db = TempDb::new();
    account_with_admin(&db, "ada@example.com");
    let server = Server::start(&db);
    let client = server.client();
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let page = client.get(server.url("/login")).send().await.unwrap();
        let policy = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .unwrap_or_else(|| panic!("no nonce in {policy}"))
            .to_string();
        assert!(nonce.len() >= 16, "{nonce}");
        for directive in [
            "script-src 'self' 'nonce-",
            "'wasm-unsafe-eval'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(policy.contains(directive), "{directive} missing: {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{policy}");
        let html = page.text().await.unwrap();
        let scripts: Vec<&str> = html.split("<script").skip(1).collect();
        assert!(!scripts.is_empty(), "the page has scripts");
        for script in scripts {
            let tag = script.split('>').next().unwrap();
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")),
                "script without this page's nonce: <script{tag}>"
            );
        }
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1], "a nonce is never reused");
    let api = client.post(server.url("/api/whoami")).send().await.unwrap();
    assert!(api.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
}

async fn login_from(server: &Server, from: &str, password: &str) -> u16 {
    server
        .client()
        .post(server.url("/api/login"))
        .header("X-Forwarded-For", from)
        .form(&[("email", "ada@example.com"), ("password", password)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Behind a trusted proxy each client is throttled on its own address; without
/// `--trusted-proxies` the header is ignored (anyone could forge it). A guessing campaign
/// against one e-mail from many addresses slows the guesses but never stops the owner typing
/// the right password from an address that has not failed.
#[tokio::test]
async fn log_in_throttling_uses_the_client_address_from_trusted_proxies_only() {
    let db = TempDb::new();
    account_with_admin(&db, "ada@example.com");
    let wrong = "not the password!";
    {
        let server = Server::start_with(&db, &["--trusted-proxies", "127.0.0.1/32, ::1"]);
        for _ in 0..10 {
            assert_eq!(login_from(&server, "203.0.113.1", wrong).await, 400);
        }
        assert_eq!(login_from(&server, "203.0.113.1", PASSWORD).await, 429);
        assert_eq!(login_from(&server, "203.0.113.2", PASSWORD).await, 200);
        // 50 failures for the e-mail from several addresses (9 each, under the per-address limit).
        for i in 0..6 {
            for _ in 0..9 {
                login_from(&server, &format!("198.51.100.{i}"), wrong).await;
            }
        }
        assert_eq!(login_from(&server, "192.0.2.77", wrong).await, 429);
        assert_eq!(login_from(&server, "192.0.2.78", PASSWORD).await, 200);
    }
    // A new database: the windows above are kept in the database and outlive the server.
    let fresh = TempDb::new();
    account_with_admin(&fresh, "ada@example.com");
    let server = Server::start(&fresh);
    for _ in 0..10 {
        assert_eq!(login_from(&server, "203.0.113.1", wrong).await, 400);
    }
    assert_eq!(
        login_from(&server, "203.0.113.2", PASSWORD).await,
        429,
        "without trusted proxies every request is the proxy's own address"
    );
}

/// A raw connection that has had one `/healthz` answered (200) and is kept alive.
async fn kept_alive_after_one_answer(addr: &str) -> tokio::net::TcpStream {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 512];
    let n = c.read(&mut answer).await.unwrap();
    assert!(
        answer[..n].starts_with(b"HTTP/1.1 200"),
        "{:?}",
        &answer[..n]
    );
    c
}

/// A client that trickles its request headers (slowloris) is cut off after the header
/// deadline (10 s) instead of holding a connection forever, and so is a keep-alive connection
/// left idle after its answer (both watched at once: one wait); ordinary requests are unaffected.
#[tokio::test]
async fn a_slow_header_trickle_and_an_idle_keep_alive_are_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = TempDb::new();
    let server = Server::start(&db);
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut idle = kept_alive_after_one_answer(&addr).await;
    let idle_started = std::time::Instant::now();
    let idle_closed = tokio::spawn(async move {
        let mut buf = [0u8; 64];
        let closed = tokio::time::timeout(std::time::Duration::from_secs(25), async {
            matches!(idle.read(&mut buf).await, Ok(0) | Err(_))
        })
        .await;
        (closed, idle_started.elapsed())
    });
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let closed = tokio::time::timeout(std::time::Duration::from_secs(25), async {
        let mut buf = [0u8; 512];
        loop {
            // One more header line every second: never finishing the head.
            if slow.write_all(b"X-Slow: yes\r\n").await.is_err() {
                return;
            }
            match tokio::time::timeout(std::time::Duration::from_secs(1), slow.read(&mut buf)).await
            {
                Ok(Ok(0)) | Ok(Err(_)) => return,
                Ok(Ok(_)) => {} // e.g. a 408 answer; the close follows
                Err(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "still open after 25 s");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(9),
        "{:?}",
        started.elapsed()
    );
    let (idle_closed, idle_for) = idle_closed.await.unwrap();
    assert_eq!(
        idle_closed,
        Ok(true),
        "the idle keep-alive connection stayed open"
    );
    assert!(
        idle_for >= std::time::Duration::from_secs(9),
        "closed too early: {idle_for:?}"
    );
    let res = reqwest::get(server.url("/healthz")).await.unwrap();
    assert_eq!(res.status(), 200);
}

/// Beyond `--max-connections` a new connection is closed at once without an answer; when one
/// of the open ones ends, a new one is served again.
#[tokio::test]
async fn connections_beyond_the_cap_are_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = TempDb::new();
    let server = Server::start_with(&db, &["--max-connections", "3"]);
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(kept_alive_after_one_answer(&addr).await);
    }
    let mut extra = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let _ = extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let mut buf = [0u8; 512];
    let got = tokio::time::timeout(std::time::Duration::from_secs(5), extra.read(&mut buf))
        .await
        .expect("the fourth connection is closed at once, not left waiting");
    assert!(matches!(got, Ok(0) | Err(_)), "answered: {got:?}");
    drop(held.pop());
    let mut served = None;
    for _ in 0..50 {
        if let Ok(res) = reqwest::get(server.url("/healthz")).await {
            served = Some(res.status());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        served,
        Some(reqwest::StatusCode::OK),
        "a freed slot serves again"
    );
}
