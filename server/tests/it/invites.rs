//! Invite → sign-up → log-in, password reset, session revocation and log-in throttling, with a
//! real SMTP server process (aiosmtpd) and the real binary.

use crate::common::scim::*;
use crate::common::smtp::*;
use crate::common::*;
use serde_json::{json, Value};

const NEW_PASSWORD: &str = "copper-lantern-river-77";

struct World {
    f: ScimFixture,
    smtp: SmtpSink,
}

fn world() -> World {
    let db = TempDb::new();
    let smtp = SmtpSink::start(db.dir.path());
    let account = account_with_admin(&db, "admin@example.com");
    let token = api_key(&db, &account);
    let server = Server::start_with(
        &db,
        &[
            "--smtp-url",
            &smtp.url(),
            "--mail-from",
            "Rollcall <rollcall@example.com>",
        ],
    );
    let scim = Scim::new(&server, &account, &token);
    World {
        f: ScimFixture {
            db,
            server,
            account,
            scim,
        },
        smtp,
    }
}

/// The Outbox page's data, as the account's first administrator sees it.
async fn outbox_as_admin(server: &Server) -> Value {
    let admin = admin_session(server).await;
    let res = admin.post(server.url("/api/outbox")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// A client logged in as the account's first administrator.
async fn admin_session(server: &Server) -> reqwest::Client {
    let client = server.client();
    let r = post_form(
        server,
        &client,
        "/api/login",
        &[("email", "admin@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), 200);
    client
}

async fn signup(
    server: &Server,
    client: &reqwest::Client,
    token: &str,
    password: &str,
) -> reqwest::Response {
    post_form(
        server,
        client,
        "/api/signup",
        &[
            ("input[token]", token),
            ("input[password]", password),
            ("input[password_confirm]", password),
        ],
    )
    .await
}

async fn status_of(db: &TempDb, email: &str) -> String {
    let pool = pool(db).await;
    sqlx::query_scalar("SELECT status FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_provisioned_user_gets_an_invite_signs_up_and_is_logged_in() {
    let w = world();
    let r = w.f.scim.post("/Users", json!({"userName": "ada@example.com", "name": {"givenName": "Ada", "familyName": "Lovelace"}, "emails": [{"value": "ada@example.com", "primary": true}]})).await;
    assert_eq!(r.status, 201);
    assert_eq!(status_of(&w.f.db, "ada@example.com").await, "invited");

    let mail = w.smtp.wait_for(1).await;
    assert!(mail.contains("To: ada@example.com"), "{mail}");
    assert!(
        mail.contains("Subject: You're invited to Acme on Rollcall"),
        "{mail}"
    );
    assert!(
        mail.contains("multipart/alternative")
            && mail.contains("text/plain")
            && mail.contains("text/html")
    );
    let text = unfold(&mail);
    assert!(
        text.contains("SIGN UP")
            && text.contains("your identity provider")
            && text.contains("expires"),
        "{text}"
    );
    let (link, token) = link(&mail, "/signup/");
    assert!(link.starts_with(&w.f.server.base), "{link}");

    // The link opens the sign-up page with the e-mail shown read-only.
    let page = reqwest::get(&link).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("ada@example.com") && html.contains("readonly") && html.contains("SIGN UP"),
        "{html}"
    );

    // The strength rule is enforced next to the field.
    let browser = w.f.server.client();
    let weak = signup(&w.f.server, &browser, &token, "short").await;
    assert_eq!(weak.status(), 400);
    let body: Value = weak.json().await.unwrap();
    assert_eq!(body["Invalid"][0]["field"], "password");

    let ok = signup(&w.f.server, &browser, &token, NEW_PASSWORD).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(
        whoami(&w.f.server, &browser).await["LoggedIn"]["email"],
        "ada@example.com"
    );
    assert_eq!(status_of(&w.f.db, "ada@example.com").await, "active");

    // Single use.
    let again = signup(&w.f.server, &w.f.server.client(), &token, NEW_PASSWORD).await;
    assert_eq!(again.status(), 409);
    assert!(again.text().await.unwrap().contains("already been used"));
    // And the password works for a normal log-in.
    let login = post_form(
        &w.f.server,
        &w.f.server.client(),
        "/api/login",
        &[("email", "ada@example.com"), ("password", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(login.status(), 200);
}

#[tokio::test]
async fn links_expire_are_voided_by_resend_suspension_and_deletion() {
    let w = world();
    let id = w.f.scim.user("bob@example.com").await;
    let (_, first) = link(&w.smtp.wait_for(1).await, "/signup/");

    // Resend by an administrator: a new mail, the old link is void.
    let admin = w.f.server.client();
    assert_eq!(
        post_form(
            &w.f.server,
            &admin,
            "/api/login",
            &[("email", "admin@example.com"), ("password", PASSWORD)]
        )
        .await
        .status(),
        200
    );
    let r = post_form(
        &w.f.server,
        &admin,
        "/api/resend_invite",
        &[("user_id", id.as_str())],
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let (_, second) = link(&w.smtp.wait_for(2).await, "/signup/");
    assert_ne!(first, second);
    let view = post_form(
        &w.f.server,
        &w.f.server.client(),
        "/api/signup_view",
        &[("token", first.as_str())],
    )
    .await;
    assert_eq!(view.status(), 409);
    assert!(view.text().await.unwrap().contains("no longer valid"));
    let view = post_form(
        &w.f.server,
        &w.f.server.client(),
        "/api/signup_view",
        &[("token", second.as_str())],
    )
    .await;
    assert_eq!(view.status(), 200);

    // Expired.
    let pool = pool(&w.f.db).await;
    sqlx::query("UPDATE invites SET expires_at = '2000-01-01T00:00:00.000Z' WHERE user_id = $1")
        .bind(&id)
        .execute(&pool)
        .await
        .unwrap();
    let view = post_form(
        &w.f.server,
        &w.f.server.client(),
        "/api/signup_view",
        &[("token", second.as_str())],
    )
    .await;
    assert_eq!(view.status(), 409);
    assert!(view.text().await.unwrap().contains("expired"));
    let page = reqwest::get(w.f.server.url(&format!("/signup/{second}")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("ask your administrator to resend")
            || page.contains("Ask your administrator to resend"),
        "{page}"
    );

    // Suspension voids; reactivation sends a fresh invite.
    post_form(
        &w.f.server,
        &admin,
        "/api/resend_invite",
        &[("user_id", id.as_str())],
    )
    .await;
    let (_, third) = link(&w.smtp.wait_for(3).await, "/signup/");
    w.f.scim
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "active", "value": false}]),
        )
        .await;
    let view = post_form(
        &w.f.server,
        &w.f.server.client(),
        "/api/signup_view",
        &[("token", third.as_str())],
    )
    .await;
    assert_eq!(view.status(), 409);
    w.f.scim
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "path": "active", "value": true}]),
        )
        .await;
    let (_, fourth) = link(&w.smtp.wait_for(4).await, "/signup/");
    assert_eq!(
        post_form(
            &w.f.server,
            &w.f.server.client(),
            "/api/signup_view",
            &[("token", fourth.as_str())]
        )
        .await
        .status(),
        200
    );

    // Deletion: the link is simply gone.
    w.f.scim.delete(&format!("/Users/{id}")).await;
    assert_eq!(
        post_form(
            &w.f.server,
            &w.f.server.client(),
            "/api/signup_view",
            &[("token", fourth.as_str())]
        )
        .await
        .status(),
        404
    );
    // A member cannot resend invites.
    let stranger = w.f.server.client();
    assert_eq!(
        post_form(
            &w.f.server,
            &stranger,
            "/api/resend_invite",
            &[("user_id", id.as_str())]
        )
        .await
        .status(),
        401
    );
}

#[tokio::test]
async fn an_administrator_invites_a_person_who_can_set_their_name() {
    let w = world();
    let admin = admin_session(&w.f.server).await;
    let r = post_form(
        &w.f.server,
        &admin,
        "/api/invite_user",
        &[
            ("input[email]", "cy@example.com"),
            ("input[first_name]", "C"),
            ("input[last_name]", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let mail = w.smtp.wait_for(1).await;
    assert!(unfold(&mail).contains("by admin@example.com"), "{mail}");
    let (_, token) = link(&mail, "/signup/");
    let browser = w.f.server.client();
    let r = post_form(
        &w.f.server,
        &browser,
        "/api/signup",
        &[
            ("input[token]", token.as_str()),
            ("input[first_name]", "Cy"),
            ("input[last_name]", "Young"),
            ("input[password]", NEW_PASSWORD),
            ("input[password_confirm]", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), 200);
    let me = whoami(&w.f.server, &browser).await;
    assert_eq!(
        (
            me["LoggedIn"]["first_name"].as_str(),
            me["LoggedIn"]["last_name"].as_str()
        ),
        (Some("Cy"), Some("Young"))
    );
    // Duplicate invite: an error next to the e-mail field.
    let r = post_form(
        &w.f.server,
        &admin,
        "/api/invite_user",
        &[
            ("input[email]", "CY@example.com"),
            ("input[first_name]", ""),
            ("input[last_name]", ""),
        ],
    )
    .await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["Invalid"][0]["field"],
        "email"
    );
}

#[tokio::test]
async fn password_reset_is_single_use_and_ends_other_sessions() {
    let w = world();
    let anonymous = w.f.server.client();
    // Same answer for an unknown e-mail, and no mail.
    let unknown: Value = post_form(
        &w.f.server,
        &anonymous,
        "/api/forgot",
        &[("email", "nobody@example.com")],
    )
    .await
    .json()
    .await
    .unwrap();
    let other_session = admin_session(&w.f.server).await;
    let known: Value = post_form(
        &w.f.server,
        &anonymous,
        "/api/forgot",
        &[("email", "Admin@Example.com")],
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(unknown, known);
    let mail = w.smtp.wait_for(1).await;
    assert_eq!(
        w.smtp.messages().len(),
        1,
        "no mail for the unknown address"
    );
    assert!(mail.contains("Subject: Reset your Rollcall password"));
    let (_, token) = link(&mail, "/reset/");

    let browser = w.f.server.client();
    let r = post_form(
        &w.f.server,
        &browser,
        "/api/reset",
        &[
            ("token", token.as_str()),
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert!(whoami(&w.f.server, &browser)
        .await
        .get("LoggedIn")
        .is_some());
    // The session that existed before the change is over; the old password no longer works.
    assert_eq!(
        whoami(&w.f.server, &other_session).await,
        json!("Anonymous")
    );
    let old = post_form(
        &w.f.server,
        &w.f.server.client(),
        "/api/login",
        &[("email", "admin@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(old.status(), 400);
    // Single use, and expiry.
    let again = post_form(
        &w.f.server,
        &browser,
        "/api/reset",
        &[
            ("token", token.as_str()),
            ("password", NEW_PASSWORD),
            ("password_confirm", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(again.status(), 409);
    post_form(
        &w.f.server,
        &anonymous,
        "/api/forgot",
        &[("email", "admin@example.com")],
    )
    .await;
    let (_, token2) = link(&w.smtp.wait_for(2).await, "/reset/");
    let pool = pool(&w.f.db).await;
    sqlx::query("UPDATE password_resets SET expires_at = '2000-01-01T00:00:00.000Z'")
        .execute(&pool)
        .await
        .unwrap();
    let expired = post_form(
        &w.f.server,
        &anonymous,
        "/api/reset_view",
        &[("token", token2.as_str())],
    )
    .await;
    assert_eq!(expired.status(), 409);
}

#[tokio::test]
async fn log_in_attempts_are_throttled_per_email_and_address() {
    let db = TempDb::new();
    let account = account_with_admin(&db, "admin@example.com");
    ok(
        &db,
        &[
            "admin",
            "create",
            "--account",
            &account,
            "--email",
            "eve@example.com",
        ],
        &[("ROLLCALL_PASSWORD", PASSWORD)],
    );
    let server = Server::start(&db);
    let c = server.client();
    for _ in 0..10 {
        let r = post_form(
            &server,
            &c,
            "/api/login",
            &[
                ("email", "admin@example.com"),
                ("password", "wrong-password-00"),
            ],
        )
        .await;
        assert_eq!(r.status(), 400);
    }
    let r = post_form(
        &server,
        &c,
        "/api/login",
        &[("email", "admin@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), 429);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["TooManyRequests"].as_str().unwrap().contains("minute"),
        "{body}"
    );
    // Another person from the same address is not locked out.
    let r = post_form(
        &server,
        &c,
        "/api/login",
        &[("email", "eve@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn mail_survives_an_smtp_outage_and_a_restart() {
    let db = TempDb::new();
    let account = account_with_admin(&db, "admin@example.com");
    let token = api_key(&db, &account);
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}");
    {
        // SMTP is down: the invite is kept, pending, with the error recorded.
        let server = Server::start_with(&db, &["--smtp-url", &url]);
        Scim::new(&server, &account, &token)
            .user("dee@example.com")
            .await;
        let pool = pool(&db).await;
        let mut row: (String, i64, Option<String>) = Default::default();
        for _ in 0..100 {
            row = sqlx::query_as("SELECT status, attempts, last_error FROM outbox")
                .fetch_one(&pool)
                .await
                .unwrap();
            if row.1 > 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!((row.0.as_str(), row.1), ("pending", 1), "{row:?}");
        assert!(row.2.is_some());
        // The retry is due later; pretend that time has passed.
        sqlx::query("UPDATE outbox SET next_attempt_at = '2000-01-01T00:00:00.000Z'")
            .execute(&pool)
            .await
            .unwrap();
    }
    // SMTP comes back and the server restarts: the invite is delivered.
    let smtp = SmtpSink::start_on(db.dir.path(), port);
    let _server = Server::start_with(&db, &["--smtp-url", &url]);
    let mail = smtp.wait_for(1).await;
    assert!(mail.contains("To: dee@example.com"));
    let pool = pool(&db).await;
    let mut status = String::new();
    for _ in 0..50 {
        status = sqlx::query_scalar("SELECT status FROM outbox")
            .fetch_one(&pool)
            .await
            .unwrap();
        if status == "sent" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, "sent");
    // Once delivered, the single-use link is not kept in clear.
    let body: String = sqlx::query_scalar("SELECT text_body FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!body.contains("/signup/"), "{body}");
}

#[tokio::test]
async fn without_smtp_mail_is_kept_in_the_outbox_for_administrators() {
    let f = fixture();
    f.scim.user("eli@example.com").await;
    let outbox = outbox_as_admin(&f.server).await;
    assert_eq!(outbox["mode"], "outbox");
    let item = &outbox["items"][0];
    assert_eq!(
        (item["status"].as_str(), item["to"].as_str()),
        (Some("stored"), Some("eli@example.com"))
    );
    assert!(item["text"].as_str().unwrap().contains("/signup/"));
    let log = f.server.log();
    assert!(log.contains("mail kept in the outbox"), "{log}");
    assert!(!log.contains("/signup/"), "no link in a log line: {log}");
    let anonymous = f.server.client();
    assert_eq!(
        anonymous
            .post(f.server.url("/api/outbox"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

/// Reset links stay with the person: a newer one voids the older, the Outbox page never shows
/// one (any administrator could take the login over), with SMTP none is logged, and `/forgot`
/// is limited per e-mail address.
#[tokio::test]
async fn reset_links_are_private_single_and_limited_per_address() {
    let w = world();
    let anonymous = w.f.server.client();
    for _ in 0..2 {
        let r = post_form(
            &w.f.server,
            &anonymous,
            "/api/forgot",
            &[("email", "admin@example.com")],
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    let first = w.smtp.wait_for(1).await;
    let second = w.smtp.wait_for(2).await;
    let (_, old) = link(&first, "/reset/");
    let (_, new) = link(&second, "/reset/");
    assert_ne!(old, new);
    let view = |t: String| {
        let s = &w.f.server;
        let c = s.client();
        async move {
            post_form(s, &c, "/api/reset_view", &[("token", t.as_str())])
                .await
                .status()
        }
    };
    assert_eq!(view(old.clone()).await, 409, "the older link is void");
    assert_eq!(view(new.clone()).await, 200);
    assert!(
        !w.f.server.log().contains(&old) && !w.f.server.log().contains(&new),
        "no link in the log"
    );

    let outbox = outbox_as_admin(&w.f.server).await;
    let resets: Vec<&Value> = outbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "password_reset")
        .collect();
    assert_eq!(resets.len(), 2);
    for item in resets {
        let text = item["text"].as_str().unwrap();
        assert!(
            !text.contains("/reset/") && text.contains("not shown"),
            "{text}"
        );
    }

    // Per e-mail: 5 in the window (2 used above), then 429 — from any address.
    let forgot = |email: &'static str| {
        let (s, c) = (&w.f.server, &anonymous);
        async move {
            post_form(s, c, "/api/forgot", &[("email", email)])
                .await
                .status()
        }
    };
    for _ in 0..3 {
        assert_eq!(forgot("Admin@Example.com").await, 200);
    }
    assert_eq!(forgot("admin@example.com").await, 429);
    // The owner's password still works: a reset flood never locks anybody out.
    admin_session(&w.f.server).await;
}
