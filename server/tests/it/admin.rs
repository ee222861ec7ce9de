//! The Access Management UI's server surface over HTTP on the real binary: the Users page's
//! filters and cursor pages, the read-only rules, API keys made in the UI, the CSV export, the
//! live activity feed, the audit trail, and that every endpoint re-checks the administrator.

use crate::common::scim::*;
use crate::common::*;
use serde_json::{json, Value};
use std::time::Duration;

async fn post(
    server: &Server,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let r = client
        .post(server.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn admin_client(f: &ScimFixture) -> reqwest::Client {
    let client = f.server.client();
    let (status, _) = post(
        &f.server,
        &client,
        "/api/login",
        &[("email", "admin@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(status, 200);
    client
}

fn emails(page: &Value) -> Vec<String> {
    page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["email"].as_str().unwrap().to_string())
        .collect()
}

async fn users_page(f: &ScimFixture, c: &reqwest::Client, q: &[(&str, &str)]) -> (u16, Value) {
    let form: Vec<(String, &str)> = q.iter().map(|(k, v)| (format!("query[{k}]"), *v)).collect();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    post(&f.server, c, "/api/users_page", &form).await
}

#[tokio::test]
async fn the_users_page_filters_searches_sorts_and_pages_by_cursor() {
    let f = fixture();
    for i in 0..120 {
        f.scim.user(&format!("user{i:03}@example.com")).await;
    }
    let admin = admin_client(&f).await;

    let (status, p1) = users_page(&f, &admin, &[]).await;
    assert_eq!(status, 200, "{p1}");
    assert_eq!(p1["total"], 121);
    assert_eq!(p1["total_capped"], false);
    let first = emails(&p1);
    assert_eq!(first.len(), 50);
    assert_eq!(first[0], "admin@example.com");
    assert_eq!(first[1], "user000@example.com");
    assert!(p1["prev"].is_null());

    let (_, p2) = users_page(&f, &admin, &[("after", p1["next"].as_str().unwrap())]).await;
    let (_, p3) = users_page(&f, &admin, &[("after", p2["next"].as_str().unwrap())]).await;
    assert_eq!(emails(&p2)[0], "user049@example.com");
    assert_eq!(emails(&p3).len(), 21, "the last page holds the rest");
    assert!(p3["next"].is_null());
    let (_, back) = users_page(&f, &admin, &[("before", p3["prev"].as_str().unwrap())]).await;
    assert_eq!(
        emails(&back),
        emails(&p2),
        "Previous returns exactly the page before"
    );

    // Search: e-mail prefix, case-insensitive; and by last name (SCIM users are "Test User").
    let (_, found) = users_page(&f, &admin, &[("q", "USER11")]).await;
    assert_eq!(found["total"], 10);
    let (_, by_name) = users_page(&f, &admin, &[("q", "user"), ("status", "invited")]).await;
    assert_eq!(
        by_name["total"], 120,
        "last name 'User' and e-mail prefix 'user' both match"
    );
    let (_, active) = users_page(&f, &admin, &[("status", "active")]).await;
    assert_eq!(emails(&active), vec!["admin@example.com"]);
    let (_, manual) = users_page(&f, &admin, &[("source", "manual")]).await;
    assert_eq!(manual["total"], 1);
    let (_, desc) = users_page(&f, &admin, &[("sort", "-email")]).await;
    assert_eq!(emails(&desc)[0], "user119@example.com");
    let (_, newest) = users_page(&f, &admin, &[("sort", "-created")]).await;
    assert_eq!(emails(&newest)[0], "user119@example.com");
    // Groups come with each row (the admin is in Account Administrator).
    assert_eq!(p1["rows"][0]["groups"], json!(["Account Administrator"]));

    // Bad URL state is a clear 400, not a 500.
    let (status, err) = users_page(&f, &admin, &[("status", "gone")]).await;
    assert_eq!(status, 400);
    assert!(err.to_string().contains("Unknown status"), "{err}");
    let (status, _) = users_page(&f, &admin, &[("after", "no-tilde")]).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn provisioned_users_scim_groups_and_the_last_administrator_are_protected() {
    let f = fixture();
    let grace = f.scim.user("grace@example.com").await;
    let group = f
        .scim
        .post(
            "/Groups",
            json!({"displayName": "Engineering", "members": [{"value": grace}]}),
        )
        .await;
    assert_eq!(group.status, 201);
    let group_id = group.body["id"].as_str().unwrap().to_string();
    let admin = admin_client(&f).await;

    for action in ["delete", "suspend"] {
        let (status, body) = post(
            &f.server,
            &admin,
            "/api/user_action",
            &[("id", &grace), ("action", action)],
        )
        .await;
        assert_eq!(status, 409, "{body}");
        assert!(
            body.to_string()
                .contains("Managed by your identity provider"),
            "{body}"
        );
    }
    let (status, _) = post(
        &f.server,
        &admin,
        "/api/edit_user",
        &[("id", &grace), ("first_name", "G"), ("last_name", "H")],
    )
    .await;
    assert_eq!(status, 409);
    let (status, body) = post(
        &f.server,
        &admin,
        "/api/group_action",
        &[
            ("id", &group_id),
            ("action", "add_member"),
            ("value", "admin@example.com"),
        ],
    )
    .await;
    assert_eq!(status, 409);
    assert!(body.to_string().contains("identity provider"), "{body}");

    // The administrator cannot remove themself as the last administrator, nor delete themself.
    let (_, groups) = post(&f.server, &admin, "/api/groups", &[]).await;
    let admins = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["builtin"] == true)
        .unwrap();
    let me = f
        .scim
        .filter("Users", "userName eq \"admin@example.com\"")
        .await
        .body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = post(
        &f.server,
        &admin,
        "/api/group_action",
        &[
            ("id", admins["id"].as_str().unwrap()),
            ("action", "remove_member"),
            ("value", &me),
        ],
    )
    .await;
    assert_eq!(status, 409);
    assert!(
        body.to_string()
            .contains("last active Account Administrator"),
        "{body}"
    );
    let (status, _) = post(
        &f.server,
        &admin,
        "/api/group_action",
        &[
            ("id", admins["id"].as_str().unwrap()),
            ("action", "delete"),
            ("value", ""),
        ],
    )
    .await;
    assert_eq!(status, 409);

    // A manual group: create, add, rename, delete — all audited.
    let (status, created) = post(
        &f.server,
        &admin,
        "/api/create_group",
        &[("name", "Support")],
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let support = created.as_str().unwrap().to_string();
    let (status, dup) = post(
        &f.server,
        &admin,
        "/api/create_group",
        &[("name", "support")],
    )
    .await;
    assert_eq!(status, 400, "names are unique, case-insensitively: {dup}");
    let (status, body) = post(
        &f.server,
        &admin,
        "/api/group_action",
        &[
            ("id", &support),
            ("action", "add_member"),
            ("value", "nobody@example.com"),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.to_string().contains("No user of this account"),
        "{body}"
    );
    for (action, value) in [
        ("add_member", "grace@example.com"),
        ("rename", "Customer Support"),
    ] {
        let (status, body) = post(
            &f.server,
            &admin,
            "/api/group_action",
            &[("id", &support), ("action", action), ("value", value)],
        )
        .await;
        assert_eq!(status, 200, "{action}: {body}");
    }
    let (_, detail) = post(&f.server, &admin, "/api/group_detail", &[("id", &support)]).await;
    assert_eq!(detail["name"], "Customer Support");
    assert_eq!(detail["members"][0]["email"], "grace@example.com");
    let (status, _) = post(
        &f.server,
        &admin,
        "/api/group_action",
        &[("id", &support), ("action", "delete"), ("value", "")],
    )
    .await;
    assert_eq!(status, 200);
    let (_, audit) = post(
        &f.server,
        &admin,
        "/api/audit",
        &[("query[category]", "group")],
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for wanted in [
        "group.created",
        "group.member_added",
        "group.renamed",
        "group.deleted",
        "group.provisioned",
    ] {
        assert!(
            actions.contains(&wanted),
            "{wanted} missing from {actions:?}"
        );
    }
}

#[tokio::test]
async fn a_key_made_in_the_ui_works_and_stops_at_once_when_revoked() {
    let f = fixture();
    let admin = admin_client(&f).await;
    let (_, groups) = post(&f.server, &admin, "/api/groups", &[]).await;
    let admins = groups
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["builtin"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let (status, err) = post(
        &f.server,
        &admin,
        "/api/create_api_key",
        &[
            ("input[name]", "OneLogin 2"),
            ("input[expiry]", "custom"),
            ("input[custom_days]", "0"),
            ("input[groups][]", &admins),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(err.to_string().contains("custom_days"), "{err}");
    let (status, created) = post(
        &f.server,
        &admin,
        "/api/create_api_key",
        &[
            ("input[name]", "OneLogin 2"),
            ("input[expiry]", "90"),
            ("input[groups][]", &admins),
        ],
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let token = created["token"].as_str().unwrap().to_string();
    assert!(created["expires_at"].is_string());

    let scim = Scim::new(&f.server, &f.account, &token);
    assert_eq!(scim.get("/Users").await.status, 200);
    let (_, keys) = post(&f.server, &admin, "/api/api_keys", &[]).await;
    let row = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "OneLogin 2")
        .unwrap()
        .clone();
    assert_eq!(row["status"], "active");
    assert_eq!(row["groups"], json!(["Account Administrator"]));
    assert_eq!(row["created_by"], "admin@example.com");
    assert!(
        !keys.to_string().contains(&token),
        "the token is never listed"
    );

    let (status, _) = post(
        &f.server,
        &admin,
        "/api/revoke_api_key",
        &[("id", row["id"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, 200);
    let refused = scim.get("/Users").await;
    assert_eq!(
        refused.status, 401,
        "revoked keys stop at once, not after the cache TTL"
    );
    assert!(refused.detail().contains("revoked"));

    tokio::time::sleep(Duration::from_millis(500)).await; // key use is recorded off the request path
    let (_, audit) = post(&f.server, &admin, "/api/audit", &[]).await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for wanted in [
        "api_key.created",
        "api_key.used",
        "api_key.revoked",
        "session.login",
    ] {
        assert!(
            actions.contains(&wanted),
            "{wanted} missing from {actions:?}"
        );
    }
    let (_, only_keys) = post(
        &f.server,
        &admin,
        "/api/audit",
        &[("query[actor]", "api_key")],
    )
    .await;
    assert!(only_keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["actor_kind"] == "api_key"));
}

#[tokio::test]
async fn every_admin_endpoint_refuses_anonymous_and_non_administrators() {
    let f = fixture();
    let admin = admin_client(&f).await;
    // A member: invited by the administrator (no SMTP: the link is in the outbox), signed up.
    let (status, _) = post(
        &f.server,
        &admin,
        "/api/invite_user",
        &[("input[email]", "member@example.com")],
    )
    .await;
    assert_eq!(status, 200);
    let (_, outbox) = post(&f.server, &admin, "/api/outbox", &[]).await;
    let text = outbox["items"][0]["text"].as_str().unwrap();
    let token = text
        .split("/signup/")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    let member = f.server.client();
    let (status, _) = post(
        &f.server,
        &member,
        "/api/signup",
        &[
            ("input[token]", &token),
            ("input[password]", "copper-lantern-river-77"),
            ("input[password_confirm]", "copper-lantern-river-77"),
        ],
    )
    .await;
    assert!(status == 200 || status == 302, "{status}");
    let anonymous = f.server.client();

    let calls: [(&str, &[(&str, &str)]); 9] = [
        ("/api/users_page", &[]),
        ("/api/user_detail", &[("id", "x")]),
        ("/api/user_action", &[("id", "x"), ("action", "delete")]),
        ("/api/groups", &[]),
        ("/api/create_group", &[("name", "x")]),
        ("/api/api_keys", &[]),
        ("/api/create_api_key", &[("input[name]", "x")]),
        ("/api/activity", &[]),
        ("/api/audit", &[]),
    ];
    for (path, form) in calls {
        assert_eq!(
            post(&f.server, &member, path, form).await.0,
            403,
            "member: {path}"
        );
        assert_eq!(
            post(&f.server, &anonymous, path, form).await.0,
            401,
            "anonymous: {path}"
        );
    }
    for path in ["/export/users.csv", "/live/activity"] {
        assert_eq!(
            member
                .get(f.server.url(path))
                .send()
                .await
                .unwrap()
                .status(),
            403,
            "{path}"
        );
        assert_eq!(
            anonymous
                .get(f.server.url(path))
                .send()
                .await
                .unwrap()
                .status(),
            401,
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_csv_export_has_every_matching_user_and_defuses_formulas() {
    let f = fixture();
    let r = f.scim.post("/Users", json!({"userName": "eve@example.com", "name": {"givenName": "=HYPERLINK(\"x\")", "familyName": "Doe, Jr"}, "emails": [{"value": "eve@example.com"}]})).await;
    assert_eq!(r.status, 201);
    for i in 0..60 {
        f.scim.user(&format!("bulk{i:02}@example.com")).await;
    }
    let admin = admin_client(&f).await;
    let res = admin
        .get(f.server.url("/export/users.csv?status=invited&sort=email"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let body = res.text().await.unwrap();
    let lines: Vec<&str> = body.lines().collect();
    assert!(lines[0].starts_with("id,first_name,last_name,email"));
    assert_eq!(
        lines.len(),
        1 + 61,
        "more than one page (50) is exported, the admin (active) is not"
    );
    let eve = lines
        .iter()
        .find(|l| l.contains("eve@example.com"))
        .unwrap();
    assert!(
        eve.contains("\"'=HYPERLINK(\"\"x\"\")\",\"Doe, Jr\""),
        "{eve}"
    );
    let bad = admin
        .get(f.server.url("/export/users.csv?sort=shoe"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn the_live_feed_announces_new_scim_requests() {
    let f = fixture();
    let admin = admin_client(&f).await;
    let mut feed = admin
        .get(f.server.url("/live/activity"))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status(), 200);
    assert!(feed.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let r = f.scim.get("/Users/does-not-exist").await;
    assert_eq!(r.status, 404);
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        let mut seen = String::new();
        while let Some(chunk) = feed.chunk().await.unwrap() {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: activity") {
                return seen;
            }
        }
        seen
    })
    .await
    .expect("an activity event within 10 s");
    assert!(got.contains("event: activity"), "{got}");
    let (_, page) = post(
        &f.server,
        &admin,
        "/api/activity",
        &[("query[outcome]", "failure")],
    )
    .await;
    let item = &page["items"][0];
    assert_eq!(item["status"], 404);
    assert_eq!(item["key_name"], "OneLogin");
    assert!(
        item["detail"].as_str().unwrap().contains("not found"),
        "{item}"
    );
}

/// An open feed follows its session: logging out (in another request) ends it within
/// seconds; a user may hold only a few feeds at once.
#[tokio::test]
async fn the_live_feed_ends_with_its_session_and_is_capped_per_user() {
    let f = fixture();
    let admin = admin_client(&f).await;
    let mut feeds = Vec::new();
    for _ in 0..4 {
        let feed = admin
            .get(f.server.url("/live/activity"))
            .send()
            .await
            .unwrap();
        assert_eq!(feed.status(), 200);
        feeds.push(feed);
    }
    let fifth = admin
        .get(f.server.url("/live/activity"))
        .send()
        .await
        .unwrap();
    assert_eq!(fifth.status(), 429);
    // Closing one gives its place back.
    drop(feeds.pop());
    let mut feed = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            let r = admin
                .get(f.server.url("/live/activity"))
                .send()
                .await
                .unwrap();
            if r.status() == 200 {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("a closed feed frees its slot");
    let (status, _) = post(&f.server, &admin, "/api/logout", &[]).await;
    assert_eq!(status, 200);
    let ended = tokio::time::timeout(Duration::from_secs(12), async {
        while let Ok(Some(_)) = feed.chunk().await {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the feed outlived its session by more than 12 s"
    );
}

#[tokio::test]
async fn many_matches_walk_the_sort_order_and_page_the_same_way() {
    let f = fixture();
    // 12,000 users straight into the database (more than the 10,000 the page counts to).
    let db = pool(&f.db).await;
    let pad = |expr: &str, width: usize| match f.db.engine() {
        Engine::Sqlite => format!("printf('%0{width}d', {expr})"),
        Engine::Postgres => format!("lpad(({expr})::text, {width}, '0')"),
    };
    let (id, bulk, last) = (pad("i", 12), pad("i", 5), pad("12001 - i", 5));
    sqlx::query(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
         INSERT INTO users (id, account_id, user_name, user_name_norm, email, email_norm, first_name, last_name, status, source, created_at, updated_at)
         SELECT '00000000-0000-7000-8000-' || {id}, $1, 'bulk' || {bulk} || '@example.com', 'bulk' || {bulk} || '@example.com',
                'bulk' || {bulk} || '@example.com', 'bulk' || {bulk} || '@example.com', 'Bulk', 'N' || {last},
                CASE WHEN i % 2 = 0 THEN 'active' ELSE 'invited' END, 'idp', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z' FROM n",
    ))
    .bind(&f.account)
    .execute(&db)
    .await
    .unwrap();
    let admin = admin_client(&f).await;

    // A common search term, sorted by name: "Bulk N00001" is user 12000.
    let (status, p1) = users_page(&f, &admin, &[("q", "bulk"), ("sort", "name")]).await;
    assert_eq!(status, 200, "{p1}");
    assert_eq!(p1["total_capped"], true);
    assert_eq!(emails(&p1)[0], "bulk12000@example.com");
    let (_, p2) = users_page(
        &f,
        &admin,
        &[
            ("q", "bulk"),
            ("sort", "name"),
            ("after", p1["next"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(emails(&p2)[0], "bulk11950@example.com");
    let (_, back) = users_page(
        &f,
        &admin,
        &[
            ("q", "bulk"),
            ("sort", "name"),
            ("before", p2["prev"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(emails(&back), emails(&p1));

    // A common filter with a search and a descending sort.
    let (_, active) = users_page(
        &f,
        &admin,
        &[("q", "bulk"), ("status", "active"), ("sort", "-email")],
    )
    .await;
    assert_eq!(active["total"], 6000);
    assert_eq!(emails(&active)[0], "bulk12000@example.com");
    assert_eq!(emails(&active)[1], "bulk11998@example.com");
    // A rare term among many users: found first, then sorted.
    let (_, rare) = users_page(&f, &admin, &[("q", "bulk0001"), ("sort", "-name")]).await;
    assert_eq!(rare["total"], 10);
    assert_eq!(emails(&rare)[0], "bulk00010@example.com");
}

/// The two logs' filters, alone and combined, on the pages' server functions: every entry
/// shown matches, the rare ones are found among common ones, newest first (each filter reads
/// an index of its own since migration 0011; the figures at scale are in docs/benchmarks.md).
#[tokio::test]
async fn the_log_filters_find_rare_entries_among_common_ones() {
    let f = fixture();
    let admin = admin_client(&f).await;
    for n in 0..12 {
        let r = f
            .scim
            .get(&format!(
                "/Users?filter=userName%20eq%20%22nobody{n}%40example.com%22"
            ))
            .await;
        assert_eq!(r.status, 200);
    }
    let group = f
        .scim
        .post(
            "/Groups",
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Filters"}),
        )
        .await;
    assert_eq!(group.status, 201, "{}", group.body);
    let gone = f
        .scim
        .delete("/Users/0190a0a0-0000-7000-8000-000000000000")
        .await;
    assert_eq!(gone.status, 404);
    // The recorder writes in batches: wait for all 14 requests.
    let activity = |form: Vec<(&'static str, &'static str)>| {
        let (server, admin) = (&f.server, &admin);
        async move {
            let (status, page) = post(server, admin, "/api/activity", &form).await;
            assert_eq!(status, 200, "{page}");
            page["items"].as_array().unwrap().clone()
        }
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while activity(vec![]).await.len() < 14 {
        assert!(
            std::time::Instant::now() < deadline,
            "activity rows not written"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let failed = activity(vec![("query[outcome]", "failure")]).await;
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0]["method"], "DELETE");
    assert_eq!(failed[0]["status"], 404);
    let ok = activity(vec![("query[outcome]", "success")]).await;
    assert_eq!(ok.len(), 13);
    assert!(ok.iter().all(|i| i["outcome"] == "success"));
    let ids: Vec<i64> = ok.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    let gets = activity(vec![("query[method]", "GET")]).await;
    assert_eq!(gets.len(), 12);
    let groups = activity(vec![("query[resource]", "Group")]).await;
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["method"], "POST");
    assert!(
        activity(vec![("query[method]", "GET"), ("query[resource]", "Group")])
            .await
            .is_empty()
    );
    let both = activity(vec![
        ("query[outcome]", "failure"),
        ("query[method]", "DELETE"),
    ])
    .await;
    assert_eq!(both.len(), 1);
    assert!(activity(vec![
        ("query[outcome]", "failure"),
        ("query[method]", "POST")
    ])
    .await
    .is_empty());
    // Paging within a filter: entries older than the newest GET are the other 11.
    let before = gets[0]["id"].as_i64().unwrap().to_string();
    let (_, older) = post(
        &f.server,
        &admin,
        "/api/activity",
        &[("query[method]", "GET"), ("query[before]", &before)],
    )
    .await;
    assert_eq!(older["items"].as_array().unwrap().len(), 11);

    let audit = |form: Vec<(&'static str, &'static str)>| {
        let (server, admin) = (&f.server, &admin);
        async move {
            let (status, page) = post(server, admin, "/api/audit", &form).await;
            assert_eq!(status, 200, "{page}");
            page["items"].as_array().unwrap().clone()
        }
    };
    let all = audit(vec![]).await;
    let group_events = audit(vec![("query[category]", "group")]).await;
    assert_eq!(group_events.len(), 1, "{group_events:?}");
    assert_eq!(group_events[0]["action"], "group.provisioned");
    let by_key = audit(vec![("query[actor]", "api_key")]).await;
    assert!(by_key.iter().any(|e| e["action"] == "group.provisioned"));
    assert!(by_key.len() < all.len(), "{all:?}");
    let key_groups = audit(vec![
        ("query[category]", "group"),
        ("query[actor]", "api_key"),
    ])
    .await;
    assert_eq!(key_groups.len(), 1);
    assert!(
        audit(vec![("query[category]", "group"), ("query[actor]", "user")])
            .await
            .is_empty()
    );
    for e in audit(vec![("query[category]", "user")]).await {
        assert!(e["action"].as_str().unwrap().starts_with("user."), "{e}");
    }
}

/// A user of the reference-checked Users page tests, as the reference sees it.
struct Person {
    id: String,
    user_name: String,
    email: String,
    first: String,
    last: String,
    status: &'static str,
    source: &'static str,
}

impl Person {
    /// One whose userName is their e-mail address.
    fn new(i: usize, email: String, first: &str, last: String) -> Person {
        Person {
            id: format!("00000000-0000-7000-8000-{i:012}"),
            user_name: email.clone(),
            email,
            first: first.into(),
            last,
            status: status_of(i),
            source: if i.is_multiple_of(7) { "manual" } else { "idp" },
        }
    }

    /// The full name as the page sorts and searches it.
    fn name(&self) -> String {
        format!("{} {}", self.first, self.last)
            .trim()
            .to_lowercase()
    }
}

/// The status of the `i`th person of the reference-checked tests: 1 in 50 suspended, half the
/// others active.
fn status_of(i: usize) -> &'static str {
    match i {
        _ if i.is_multiple_of(50) => "suspended",
        _ if i.is_multiple_of(2) => "active",
        _ => "invited",
    }
}

/// Does `p` match the Users page's search and filters? The slow reference: each of the four
/// columns (userName, e-mail, full name, last name) starts with the term.
fn reference_match(p: &Person, term: &str, status: Option<&str>, source: Option<&str>) -> bool {
    let found = [&p.user_name, &p.email, &p.name(), &p.last.to_lowercase()]
        .iter()
        .any(|v| v.starts_with(term));
    found && status.is_none_or(|s| s == p.status) && source.is_none_or(|s| s == p.source)
}

/// Writes `people` into the fixture's account (straight into the table: tens of thousands),
/// adds the fixture's own users to them, and logs an administrator in.
async fn insert_people(f: &ScimFixture, people: &mut Vec<Person>) -> reqwest::Client {
    let db = pool(&f.db).await;
    for chunk in people.chunks(1000) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|p| {
                format!(
                    "('{}', $1, '{u}', '{u}', '{e}', '{e}', '{}', '{}', '{}', '{}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
                    p.id, p.first, p.last, p.status, p.source, u = p.user_name, e = p.email
                )
            })
            .collect();
        sqlx::query(&format!(
            "INSERT INTO users (id, account_id, user_name, user_name_norm, email, email_norm, first_name, last_name, status, source, created_at, updated_at) VALUES {}",
            rows.join(", ")
        ))
        .bind(&f.account)
        .execute(&db)
        .await
        .unwrap();
    }
    // The fixture's own users (its administrator) are on the pages without a term too.
    let existing: Vec<(String, String, String, String, String, String, String)> = sqlx::query_as(
        "SELECT id, user_name_norm, email_norm, first_name, last_name, status, source FROM users
             WHERE account_id = $1 AND id NOT LIKE '00000000-%'",
    )
    .bind(&f.account)
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(!existing.is_empty());
    for (id, user_name, email, first, last, status, source) in existing {
        let known = |v: &str, words: [&'static str; 3]| words.into_iter().find(|w| *w == v);
        people.push(Person {
            id,
            user_name,
            email,
            first,
            last,
            status: known(&status, ["active", "invited", "suspended"]).unwrap(),
            source: known(&source, ["manual", "idp", "idp"]).unwrap(),
        });
    }
    admin_client(f).await
}

/// For each term, sort and filter set: the Users page's total, four pages forward (or to the
/// end) and one page back, against a full sort of every match by the reference.
async fn pages_match_the_reference(
    f: &ScimFixture,
    admin: &reqwest::Client,
    people: &[Person],
    terms: &[&str],
    sorts: &[&str],
    filters: &[&[(&str, &str)]],
) {
    let ids = |page: &Value| -> Vec<String> {
        page["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap().to_string())
            .collect()
    };
    for (&term, &sort, &filter) in terms
        .iter()
        .flat_map(|t| sorts.iter().map(move |s| (t, s)))
        .flat_map(|(t, s)| filters.iter().map(move |f| (t, s, f)))
    {
        let get = |k: &str| filter.iter().find(|(f, _)| *f == k).map(|(_, v)| *v);
        let mut expected: Vec<&Person> = people
            .iter()
            .filter(|p| reference_match(p, term, get("status"), get("source")))
            .collect();
        expected.sort_by(|a, b| match sort.trim_start_matches('-') {
            "email" => a.user_name.cmp(&b.user_name),
            "name" => (a.name(), &a.id).cmp(&(b.name(), &b.id)),
            _ => a.id.cmp(&b.id),
        });
        if sort.starts_with('-') {
            expected.reverse();
        }
        let expected: Vec<&str> = expected.iter().map(|p| p.id.as_str()).collect();
        let what = format!("q={term} sort={sort} {filter:?}");

        let mut query: Vec<(&str, &str)> = vec![("q", term), ("sort", sort)];
        query.extend_from_slice(filter);
        let (status, first) = users_page(f, admin, &query).await;
        assert_eq!(status, 200, "{what}: {first}");
        let total = first["total"].as_i64().unwrap() as usize;
        if first["total_capped"] == true {
            // "More than <total> users".
            assert!(total < expected.len(), "{what}: total {total}");
        } else {
            assert_eq!(total, expected.len(), "{what}");
        }
        let (mut page, mut seen, mut pages) = (first, Vec::new(), Vec::new());
        loop {
            seen.extend(ids(&page));
            pages.push(page.clone());
            let Some(next) = page["next"].as_str().map(str::to_string) else {
                assert_eq!(seen, expected, "{what}: every page to the end");
                break;
            };
            if pages.len() == 4 {
                assert_eq!(seen, expected[..seen.len()], "{what}: four pages");
                break;
            }
            let mut q = query.clone();
            q.push(("after", &next));
            page = users_page(f, admin, &q).await.1;
        }
        if let [.., before_last, last] = &pages[..] {
            let mut q = query.clone();
            let prev = last["prev"].as_str().unwrap().to_string();
            q.push(("before", &prev));
            let (_, back) = users_page(f, admin, &q).await;
            assert_eq!(ids(&back), ids(before_last), "{what}: a page back");
        }
    }
}

/// The Users page in e-mail and creation order (both directions, with and without filters)
/// for a first name that 14,000 of 24,000 users share, and for the filters alone, checked page by page and back against a
/// full sort of every match. The first 5,000 addresses and the 5,000 newest users match nothing
/// (the page walked all of them before `name_head`); the term's name matches come through
/// three heads ("grace", "gracelyn", "grace7" — an empty first name), a first name with a space
/// ("Grace Ann") or leading spaces, capitals; a few users match by e-mail or last name only.
#[tokio::test]
async fn a_first_name_many_share_is_paged_in_email_and_creation_order_as_a_full_sort_would() {
    let f = fixture();
    let mut people = Vec::new();
    for i in 1..=24_000usize {
        people.push(match i {
            // The newest: other names, addresses in the middle of the order.
            19_001.. => Person::new(
                i,
                format!("new{i:05}@example.com"),
                "Ada",
                format!("New{i}"),
            ),
            // Addresses first in e-mail order, other names.
            14_001.. => Person::new(
                i,
                format!("aaa{i:05}@example.com"),
                "Linus",
                format!("L{i}"),
            ),
            _ => {
                let first = match i % 6 {
                    0 | 1 => "Grace",
                    2 => "Gracelyn",
                    3 => "Grace Ann",
                    4 => "  GRACE",
                    _ if i % 5 == 0 => "",
                    _ => "grace",
                };
                let last = if first.is_empty() {
                    "Grace7".into()
                } else {
                    format!("G{i}")
                };
                Person::new(i, format!("m{i:05}@example.com"), first, last)
            }
        });
    }
    // A few that match by e-mail or last name only.
    for k in 1..=4usize {
        let mut p = Person::new(
            30_000 + k,
            format!("grace.other{k}@example.com"),
            "Zoe",
            "Z".into(),
        );
        p.status = status_of(k * 2);
        p.source = "idp";
        people.push(p);
        let mut p = Person::new(
            31_000 + k,
            format!("zz{k}@example.com"),
            "Yan",
            format!("Gracely{k}"),
        );
        p.status = status_of(k * 2);
        p.source = "idp";
        people.push(p);
    }
    let admin = insert_people(&f, &mut people).await;
    let filters: [&[(&str, &str)]; 6] = [
        &[],
        &[("source", "idp")],
        &[("status", "invited")],
        &[("status", "active"), ("source", "idp")],
        &[("status", "suspended")],
        &[("source", "manual"), ("status", "suspended")],
    ];
    let sorts = ["email", "-email", "created", "-created"];
    pages_match_the_reference(&f, &admin, &people, &["grace", ""], &sorts, &filters).await;
}

/// Both filters, among more users than the planner counts exactly (40,000): 42,600 active
/// manual users, the first 40,000 of them in e-mail order matching nothing. "zed" matches
/// 12,000 users, 2,000 of them active manual — more than 1,000 userNames alone, so the page
/// says "More than 1,900 users" instead of counting on (migration 0018, docs/benchmarks.md);
/// "yak" matches 600 of them, counted exactly through the term's index ranges. Every page is
/// checked against a full sort of the matches.
#[tokio::test]
async fn a_term_among_many_filtered_users_is_counted_exactly_or_as_a_lower_bound() {
    let f = fixture();
    let mut people = Vec::new();
    for i in 1..=64_000usize {
        let (mut p, manual) = match i {
            1..=40_000 => (
                Person::new(i, format!("aaa{i:05}@corp.example"), "Ada", format!("A{i}")),
                true,
            ),
            40_001..=52_000 => (
                Person::new(i, format!("zed{i:05}@corp.example"), "Zed", format!("Z{i}")),
                i % 6 == 0,
            ),
            _ => (
                Person::new(i, format!("yak{i:05}@corp.example"), "Yak", format!("Y{i}")),
                i % 20 == 0,
            ),
        };
        p.status = "active";
        p.source = if manual { "manual" } else { "idp" };
        people.push(p);
    }
    let admin = insert_people(&f, &mut people).await;
    let both = [("status", "active"), ("source", "manual")];
    let (status, zed) = users_page(&f, &admin, &[&both[..], &[("q", "zed")]].concat()).await;
    assert_eq!(status, 200, "{zed}");
    assert_eq!(
        (&zed["total"], &zed["total_capped"]),
        (&json!(1900), &json!(true))
    );
    let (status, yak) = users_page(&f, &admin, &[&both[..], &[("q", "yak")]].concat()).await;
    assert_eq!(status, 200, "{yak}");
    assert_eq!(
        (&yak["total"], &yak["total_capped"]),
        (&json!(600), &json!(false))
    );
    // As the page says them.
    for (term, says) in [("zed", "More than 1,900 users"), ("yak", "600 users")] {
        let url = f
            .server
            .url(&format!("/users?q={term}&status=active&source=manual"));
        let html = admin.get(url).send().await.unwrap().text().await.unwrap();
        assert!(html.contains(says), "{term}: no {says:?} on the page");
    }
    let filters: [&[(&str, &str)]; 2] = [&both, &[("source", "manual")]];
    let sorts = ["email", "-name", "created"];
    pages_match_the_reference(&f, &admin, &people, &["zed", "yak"], &sorts, &filters).await;
}

/// The Users page of a directory whose userNames are "first.last@…" (as most are), in every
/// order and direction, checked page by page and back against a full sort of every match: a
/// first-name term then matches as many userNames as names, and a term such as "new-" matches
/// 12,000 userNames of users named "New User" and no name (in name order the page walked from
/// "Ada" past every user before them: > 2 s at 1M users), "grace." those of 10,500 Graces. Some addresses differ from the
/// userName (an e-mail-only match among them), some userNames start with "grace." for
/// people of other names, a few last names start with "Grace".
#[tokio::test]
async fn user_names_that_start_with_the_term_are_paged_in_every_order_as_a_full_sort_would() {
    let f = fixture();
    let mut people = Vec::new();
    for i in 1..=30_000usize {
        let (first, last) = match i {
            // The newest: userNames "new-…", named "New User".
            18_001.. => ("New", "User".to_string()),
            // Named before "Grace" in every order.
            14_001.. => ("Ada", format!("A{i}")),
            _ if i % 40 == 0 => ("Zed", format!("Gracey{i}")),
            _ if i % 5 == 0 => ("Gracelyn", format!("H{i}")),
            _ => ("Grace", format!("H{i}")),
        };
        let user_name = if first == "New" {
            format!("new-{i:05}@corp.example")
        } else if first == "Zed" && i % 80 == 0 {
            // A userName that starts with the term; the name does not.
            format!("grace.zed{i:05}@corp.example")
        } else {
            format!(
                "{}.{}@corp.example",
                first.to_lowercase(),
                last.to_lowercase()
            )
        };
        let mut p = Person::new(i, user_name.clone(), first, last);
        if i % 10 == 0 {
            p.email = format!("e{i:05}@mail.example");
        }
        if i % 997 == 0 {
            // An address that starts with the term; nothing else does.
            p.email = format!("grace-alt{i:05}@mail.example");
            p.first = "Linus".into();
            p.user_name = format!("linus{i:05}@corp.example");
        }
        people.push(p);
    }
    let admin = insert_people(&f, &mut people).await;
    let filters: [&[(&str, &str)]; 4] = [
        &[],
        &[("status", "active")],
        &[("source", "manual"), ("status", "suspended")],
        &[("source", "idp")],
    ];
    let sorts = ["email", "-email", "name", "-name", "created", "-created"];
    pages_match_the_reference(
        &f,
        &admin,
        &people,
        &["grace", "new-", "new", "grace.", "grace.z", "grace h", ""],
        &sorts,
        &filters,
    )
    .await;
    // The longest term a userName can start with is answered (one part per character); a
    // longer one is refused by name, not sent to the database.
    let longest = format!("grace.{}", "h".repeat(250));
    let (status, page) = users_page(&f, &admin, &[("q", &longest), ("sort", "name")]).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["total"], 0);
    let (status, refused) = users_page(&f, &admin, &[("q", &format!("{longest}h"))]).await;
    assert_eq!(status, 400, "{refused}");
    assert!(
        refused.to_string().contains("at most 256 characters"),
        "{refused}"
    );
}
