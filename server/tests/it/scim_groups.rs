//! SCIM Groups, auth, discovery and the activity log over HTTP against the real binary.

use crate::common::scim::*;
use crate::common::*;
use serde_json::{json, Value};

fn members(body: &Value) -> Vec<String> {
    let mut ids: Vec<String> = body["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|v| v["value"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

fn sorted(mut v: Vec<&str>) -> Vec<String> {
    v.sort();
    v.into_iter().map(str::to_string).collect()
}

#[tokio::test]
async fn group_membership_is_exact_and_all_or_nothing() {
    let f = fixture();
    let (a, b, c) = (
        f.scim.user("a@example.com").await,
        f.scim.user("b@example.com").await,
        f.scim.user("c@example.com").await,
    );
    let r = f.scim.post("/Groups", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering", "externalId": "g-1", "members": [{"value": a}]})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(r.header("location").is_some());
    let gid = r.body["id"].as_str().unwrap().to_string();
    let path = format!("/Groups/{gid}");

    // add never replaces
    let r = f
        .scim
        .patch(
            &path,
            json!([{"op": "add", "path": "members", "value": [{"value": b}]}]),
        )
        .await;
    assert_eq!(members(&r.body), sorted(vec![&a, &b]));
    // remove by value filter (Okta, Entra new)
    let r = f
        .scim
        .patch(
            &path,
            json!([{"op": "remove", "path": format!("members[value eq \"{a}\"]")}]),
        )
        .await;
    assert_eq!(members(&r.body), sorted(vec![&b]));
    // remove by value list (Entra legacy), add in the same request
    let r = f
        .scim
        .patch(
            &path,
            json!([
                {"op": "Add", "path": "members", "value": [{"value": a}, {"value": c}]},
                {"op": "Remove", "path": "members", "value": [{"value": b}]}
            ]),
        )
        .await;
    assert_eq!(members(&r.body), sorted(vec![&a, &c]));
    // replace
    let r = f
        .scim
        .patch(
            &path,
            json!([{"op": "replace", "path": "members", "value": [{"value": b}]}]),
        )
        .await;
    assert_eq!(members(&r.body), sorted(vec![&b]));

    // An unknown id: 400 invalidValue naming it, and nothing of the request applied.
    let r = f
        .scim
        .patch(
            &path,
            json!([
                {"op": "add", "path": "members", "value": [{"value": a}]},
                {"op": "add", "path": "members", "value": [{"value": "ghost-1"}]}
            ]),
        )
        .await;
    assert_eq!((r.status, r.scim_type()), (400, Some("invalidValue")));
    assert!(r.detail().contains("ghost-1"), "{}", r.detail());
    assert_eq!(members(&f.scim.get(&path).await.body), sorted(vec![&b]));

    // OneLogin's SCIM 1.1 member body.
    let r = f
        .scim
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"members": [{"value": c}, {"value": b, "operation": "delete"}]})),
            &[],
        )
        .await;
    assert_eq!(members(&r.body), sorted(vec![&c]), "{}", r.body);

    // PUT sets name and the full member list.
    let r = f
        .scim
        .put(
            &path,
            json!({"displayName": "Eng", "members": [{"value": a}, {"value": b}]}),
        )
        .await;
    assert_eq!(
        (r.body["displayName"].as_str(), members(&r.body)),
        (Some("Eng"), sorted(vec![&a, &b]))
    );

    // Deleting a user removes them from the group.
    assert_eq!(f.scim.delete(&format!("/Users/{a}")).await.status, 204);
    assert_eq!(members(&f.scim.get(&path).await.body), sorted(vec![&b]));

    // display (the e-mail) when asked for.
    let r = f
        .scim
        .get(&format!("{path}?attributes=members.display,members.value"))
        .await;
    assert_eq!(r.body["members"][0]["display"], "b@example.com");

    assert_eq!(f.scim.delete(&path).await.status, 204);
    assert_eq!(f.scim.get(&path).await.status, 404);
}

#[tokio::test]
async fn group_lookups_entra_and_okta_make() {
    let f = fixture();
    let u = f.scim.user("m@example.com").await;
    f.scim
        .post(
            "/Groups",
            json!({"displayName": "Sales", "externalId": "ext-9", "members": [{"value": u}]}),
        )
        .await;
    // Entra: displayName filter without members.
    let r = f
        .scim
        .get(&format!(
            "/Groups?excludedAttributes=members&filter={}",
            url_encode(r#"displayName eq "sales""#)
        ))
        .await;
    assert_eq!(r.body["totalResults"], 1);
    assert!(r.body["Resources"][0].get("members").is_none());
    assert_eq!(
        f.scim
            .filter("Groups", r#"externalId eq "ext-9""#)
            .await
            .body["totalResults"],
        1
    );
    assert_eq!(
        f.scim
            .filter("Groups", &format!(r#"members eq "{u}""#))
            .await
            .body["totalResults"],
        1
    );
    // A duplicate name is 409 uniqueness; OneLogin's refresh lists all groups (with the built-in one).
    let r = f
        .scim
        .post("/Groups", json!({"displayName": "SALES"}))
        .await;
    assert_eq!((r.status, r.scim_type()), (409, Some("uniqueness")));
    let r = f.scim.get("/Groups").await;
    let names: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Account Administrator") && names.contains(&"Sales"),
        "{names:?}"
    );
}

#[tokio::test]
async fn the_account_administrator_group_is_protected() {
    let f = fixture();
    let r = f
        .scim
        .filter("Groups", r#"displayName eq "Account Administrator""#)
        .await;
    let gid = r.body["Resources"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/Groups/{gid}");
    assert_eq!(f.scim.delete(&path).await.scim_type(), Some("mutability"));
    assert_eq!(
        f.scim
            .patch(
                &path,
                json!([{"op": "replace", "path": "displayName", "value": "Admins"}])
            )
            .await
            .scim_type(),
        Some("mutability")
    );
    let r = f
        .scim
        .patch(&path, json!([{"op": "remove", "path": "members"}]))
        .await;
    // Emptying it would remove the last active administrator: refused, saying so.
    assert_eq!(r.status, 409);
    assert!(
        r.detail().contains("last active Account Administrator"),
        "{}",
        r.detail()
    );
}

#[tokio::test]
async fn bearer_authentication() {
    let f = fixture();
    let url = format!("{}/Users", f.scim.base);
    let c = reqwest::Client::new();
    for (auth, expect) in [
        (None, "missing"),
        (Some("Basic abc"), "Bearer"),
        (Some("Bearer nonsense"), "not a valid API key"),
    ] {
        let mut req = c.get(&url);
        if let Some(a) = auth {
            req = req.header("Authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401);
        assert!(r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer"));
        let body: Value = r.json().await.unwrap();
        assert_eq!(
            body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert!(body["detail"].as_str().unwrap().contains(expect), "{body}");
    }
    // A valid key of another account: the same answer as an unknown key.
    let other = ok(&f.db, &["account", "create", "--name", "Globex"], &[]);
    let other_key = ok(
        &f.db,
        &["api-key", "create", "--account", &other, "--name", "k"],
        &[],
    );
    let r = c.get(&url).bearer_auth(&other_key).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.json::<Value>().await.unwrap()["detail"]
        .as_str()
        .unwrap()
        .contains("not a valid API key for this account"));
    // The other account's own URL works with it.
    let r = c
        .get(f.server.url(&format!("/scim/account/{other}/Users")))
        .bearer_auth(&other_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Expired, revoked, and not an administrator (set in the database; the UI issue adds revoke).
    let pool = pool(&f.db).await;
    let key_id = |t: &str| t.split('_').nth(1).unwrap().to_string();
    for (sql, status, expect) in [
        ("UPDATE api_keys SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = $1", 401, "expired"),
        ("UPDATE api_keys SET expires_at = NULL, revoked_at = '2026-01-01T00:00:00.000Z' WHERE id = $1", 401, "revoked"),
        ("UPDATE api_keys SET revoked_at = NULL WHERE id = $1; ", 200, ""),
    ] {
        sqlx::query(sql).bind(key_id(&f.scim.token)).execute(&pool).await.unwrap();
        // Changes made outside the server apply within the key cache's TTL (1 s).
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
        let r = f.scim.get("/Users").await;
        assert_eq!(r.status, status, "{sql}: {}", r.body);
        assert!(r.detail().contains(expect));
    }
    sqlx::query("DELETE FROM api_key_groups WHERE api_key_id = $1")
        .bind(key_id(&f.scim.token))
        .execute(&pool)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let r = f.scim.get("/Users").await;
    assert_eq!(r.status, 403);
    assert!(r.detail().contains("Account Administrator"));
    let used: Option<String> =
        sqlx::query_scalar("SELECT last_used_at FROM api_keys WHERE id = $1")
            .bind(key_id(&f.scim.token))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(used.is_some(), "last use is recorded");
}

#[tokio::test]
async fn discovery_tells_the_truth() {
    let f = fixture();
    let spc = f.scim.get("/ServiceProviderConfig").await.body;
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(
        spc["bulk"],
        json!({"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576})
    );
    assert_eq!(
        spc["filter"],
        json!({"supported": true, "maxResults": 1000})
    );
    assert_eq!(
        (
            spc["sort"]["supported"].clone(),
            spc["etag"]["supported"].clone()
        ),
        (json!(true), json!(true))
    );
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    let schemas = f.scim.get("/Schemas").await.body;
    assert_eq!(schemas["totalResults"], 2);
    let user = &schemas["Resources"][0];
    let names: Vec<&str> = user["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "userName",
            "name",
            "displayName",
            "emails",
            "active",
            "externalId"
        ]
    );
    let one = f
        .scim
        .get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group")
        .await;
    assert_eq!(one.body["name"], "Group");
    let types = f.scim.get("/ResourceTypes").await.body;
    assert_eq!(types["Resources"][0]["endpoint"], "/Users");
    assert_eq!(
        f.scim.get("/ResourceTypes/Group").await.body["schema"],
        "urn:ietf:params:scim:schemas:core:2.0:Group"
    );
    // Unknown endpoints and methods answer in SCIM form.
    let r = f.scim.get("/Widgets").await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    let r = f.scim.delete("/Users").await;
    assert_eq!(r.status, 405);
    assert_eq!(r.body["status"], "405");
}

#[tokio::test]
async fn every_request_is_recorded_without_secrets() {
    let f = fixture();
    f.scim.user("log@example.com").await;
    f.scim
        .post("/Users", json!({"userName": "log@example.com"}))
        .await;
    f.scim
        .get("/Users?filter=userName%20eq%20%22x%40example.com%22")
        .await;
    reqwest::Client::new()
        .get(format!("{}/Users", f.scim.base))
        .send()
        .await
        .unwrap();

    let pool = pool(&f.db).await;
    type Row = (String, String, i64, String, Option<String>, Option<String>);
    let mut rows: Vec<Row> = Vec::new();
    for _ in 0..100 {
        rows = sqlx::query_as("SELECT method, path, status, outcome, resource_id, detail FROM scim_requests ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        if rows.len() >= 4 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[0].2, rows[0].3.as_str()),
        ("POST", 201, "success")
    );
    assert!(rows[0].4.is_some(), "the created user is recorded");
    assert_eq!((rows[1].2, rows[1].3.as_str()), (409, "client_error"));
    assert!(rows[1].5.as_deref().unwrap().contains("already exists"));
    assert!(
        rows[2].1.contains("filter=userName eq \"x@example.com\""),
        "{}",
        rows[2].1
    );
    assert_eq!(rows[3].2, 401);
    let secret = f.scim.token.rsplit('_').next().unwrap();
    let dump: Vec<String> = sqlx::query_scalar(
        "SELECT path || coalesce(detail, '') || coalesce(user_agent, '') FROM scim_requests",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        dump.iter().all(|d| !d.contains(secret)),
        "no token in the log"
    );
}

/// Requests naming an account that does not exist are not stored in any activity log (anyone
/// could write rows under any id); a wrong token for a real account is, so that its
/// administrator sees "401".
#[tokio::test]
async fn unknown_accounts_leave_no_activity_rows() {
    let f = fixture();
    let c = reqwest::Client::new();
    let base = f.server.url("/scim/account");
    for account in ["AAAAAAAAAAAAAAAAAAAAAA", "not-an-account", &"z".repeat(500)] {
        let r = c
            .get(format!("{base}/{account}/Users"))
            .bearer_auth("rc_nothing_here")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r = c
        .get(format!("{base}/{}/Users", f.account))
        .bearer_auth("rc_nothing_here")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let db = pool(&f.db).await;
    let rows: Vec<(String, i64)> = sqlx::query_as("SELECT account_id, status FROM scim_requests")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(rows, vec![(f.account.clone(), 401)], "{rows:?}");
}

async fn activity_rows(db: &TempDb, account: &str) -> Vec<(i64, Option<String>)> {
    sqlx::query_as("SELECT status, detail FROM scim_requests WHERE account_id = $1 ORDER BY id")
        .bind(account)
        .fetch_all(&pool(db).await)
        .await
        .unwrap()
}

/// A flood of wrong tokens at a real account: the first 20 of a minute are listed one by one
/// (its administrator must see "401"), the rest become one summary row that keeps the count.
#[tokio::test]
async fn failed_authentications_beyond_twenty_a_minute_become_one_summary_row() {
    let f = fixture();
    let c = reqwest::Client::new();
    for _ in 0..45 {
        let r = c
            .get(format!("{}/Users", f.scim.base))
            .bearer_auth("rc_wrong_token")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    f.scim.get("/Users").await; // a success is always recorded
    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = activity_rows(&f.db, &f.account).await;
        let summary_done = rows
            .iter()
            .any(|(_, d)| d.as_deref().is_some_and(|d| d.starts_with("25 more")));
        if rows.len() == 22 && summary_done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        rows.len(),
        22,
        "20 failures, 1 summary, 1 success: {rows:?}"
    );
    assert_eq!(rows.iter().filter(|(s, _)| *s == 401).count(), 21);
    let summary = rows
        .iter()
        .find_map(|(_, d)| d.as_deref().filter(|d| d.contains("more failed")))
        .expect("a summary row");
    assert!(
        summary.starts_with("25 more failed authentications"),
        "{summary}"
    );
    assert!(rows.iter().any(|(s, _)| *s == 200), "the success is listed");
}

/// Retention is per account: an account that floods its own log (past `--activity-max-rows`)
/// loses only its own oldest rows, never another account's.
#[tokio::test]
async fn one_accounts_flood_never_evicts_anothers_activity() {
    let db = TempDb::new();
    let quiet = account_with_admin(&db, "quiet@example.com");
    let loud = ok(&db, &["account", "create", "--name", "Loud"], &[]);
    add_admin(&db, &loud, "loud@example.com");
    let quiet_key = api_key(&db, &quiet);
    let loud_key = api_key(&db, &loud);
    let args = ["--activity-max-rows", "1000"];
    let server = Server::start_with(&db, &args);
    let quiet_scim = Scim::new(&server, &quiet, &quiet_key);
    for _ in 0..3 {
        assert_eq!(quiet_scim.get("/Users").await.status, 200);
    }
    let loud_scim = Scim::new(&server, &loud, &loud_key);
    for _ in 0..1100 {
        loud_scim.get("/Users?count=1").await;
    }
    server.terminate(); // flushes the log; the next start prunes first
    let server = Server::start_with(&db, &args);
    Scim::new(&server, &loud, &loud_key).get("/Users").await;
    let mut loud_rows = 0;
    for _ in 0..100 {
        loud_rows = activity_rows(&db, &loud).await.len();
        if loud_rows <= 1000 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        loud_rows <= 1000,
        "the loud account is pruned to its cap: {loud_rows}"
    );
    assert_eq!(
        activity_rows(&db, &quiet).await.len(),
        3,
        "the quiet account keeps its history"
    );
}

/// A large group's membership, once read, is remembered by version (store/member_cache.rs):
/// every way the membership changes — a member deleted (the database removes the row), a PATCH,
/// a PUT — shows in the next read, with a new ETag.
#[tokio::test]
async fn a_big_groups_members_read_again_follow_every_change() {
    let f = fixture();
    let users = many(&f.scim, "many", 120).await;
    let first_100: Vec<Value> = users[..100].iter().map(|u| json!({"value": u})).collect();
    let g = f
        .scim
        .post(
            "/Groups",
            json!({"displayName": "Many", "members": first_100}),
        )
        .await;
    assert_eq!(g.status, 201, "{}", g.body);
    let path = format!("/Groups/{}", g.body["id"].as_str().unwrap());
    let read = |want: usize| {
        let (scim, path) = (&f.scim, &path);
        async move {
            let r = scim.get(path).await;
            assert_eq!(r.status, 200, "{}", r.body);
            let got = members(&r.body);
            assert_eq!(got.len(), want, "{}", r.body);
            (got, r.header("etag").unwrap())
        }
    };
    let (first, tag1) = read(100).await;
    let (again, tag) = read(100).await;
    assert_eq!((&again, &tag), (&first, &tag1), "the same group read twice");
    // A member deleted: the group loses them and changes version.
    assert_eq!(
        f.scim.delete(&format!("/Users/{}", users[0])).await.status,
        204
    );
    let (after_delete, tag2) = read(99).await;
    assert!(!after_delete.contains(&users[0]));
    assert_ne!(tag2, tag1);
    // A PATCH add and a PATCH remove.
    let r = f
        .scim
        .patch(
            &path,
            json!([{"op": "add", "path": "members", "value": [{"value": users[100]}, {"value": users[101]}]},
                   {"op": "remove", "path": "members", "value": [{"value": users[1]}]}]),
        )
        .await;
    assert!(r.status == 200 || r.status == 204, "{}", r.body);
    let (patched, _) = read(100).await;
    assert!(patched.contains(&users[100]) && patched.contains(&users[101]));
    assert!(!patched.contains(&users[1]));
    // A PUT with another membership.
    let others: Vec<Value> = users[50..120].iter().map(|u| json!({"value": u})).collect();
    let r = f
        .scim
        .put(&path, json!({"displayName": "Many", "members": others}))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let (put, _) = read(70).await;
    assert_eq!(
        put,
        sorted(users[50..120].iter().map(String::as_str).collect())
    );
}

/// A member PATCH on a big group changes only what it names: 204 with the new ETag (no
/// 2,000-member answer for a one-member change), the same rules as a whole-group PATCH.
#[tokio::test]
async fn member_patches_on_a_big_group_touch_only_the_members_named() {
    let f = fixture();
    let users = many(&f.scim, "big", 2000).await;
    let members: Vec<Value> = users[..1999].iter().map(|u| json!({"value": u})).collect();
    let g = f
        .scim
        .post(
            "/Groups",
            json!({"displayName": "Everyone", "members": members}),
        )
        .await;
    assert_eq!(g.status, 201);
    let path = format!("/Groups/{}", g.body["id"].as_str().unwrap());
    // Okta's add, Entra's remove by value list, a filtered remove, and a rename together.
    let r = f
        .scim
        .patch(
            &path,
            json!([
                {"op": "add", "path": "members", "value": [{"value": users[1999]}, {"value": users[0]}]},
                {"op": "Remove", "path": "members", "value": [{"value": users[1]}]},
                {"op": "remove", "path": format!("members[value eq \"{}\"]", users[2])},
                {"op": "replace", "path": "displayName", "value": "All of us"}
            ]),
        )
        .await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(r.header("etag").as_deref(), Some("W/\"2\""));
    let now = f.scim.get(&path).await;
    assert_eq!(now.header("etag").as_deref(), Some("W/\"2\""));
    assert_eq!(now.body["displayName"], "All of us");
    let ids: Vec<&str> = now.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 1998);
    assert!(ids.contains(&users[1999].as_str()) && ids.contains(&users[0].as_str()));
    assert!(!ids.contains(&users[1].as_str()) && !ids.contains(&users[2].as_str()));
    assert_eq!(
        now.body["members"][0]["$ref"],
        format!("{}/Users/{}", f.scim.base, ids[0])
    );
    // Projection: no members at all, or only their display.
    let bare = f
        .scim
        .get(&format!("{path}?excludedAttributes=members"))
        .await;
    assert!(bare.body.get("members").is_none(), "{}", bare.body);
    let shown = f
        .scim
        .get(&format!("{path}?attributes=members.display"))
        .await;
    assert_eq!(
        shown.body["members"][0],
        json!({"display": "big0@example.com"})
    );
    // An unknown member refuses the whole PATCH; nothing changes.
    let r = f
        .scim
        .patch(
            &path,
            json!([{"op": "add", "path": "members", "value": [{"value": "nobody"}]},
                   {"op": "remove", "path": "members", "value": [{"value": users[0]}]}]),
        )
        .await;
    assert_eq!((r.status, r.scim_type()), (400, Some("invalidValue")));
    // A stale If-Match is refused.
    let r = f
        .scim
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                        "Operations": [{"op": "remove", "path": "members", "value": [{"value": users[0]}]}]})),
            &[("If-Match", "W/\"1\"")],
        )
        .await;
    assert_eq!(r.status, 412);
    // Adding a member already there and removing one who is not change nothing (same version).
    let r = f
        .scim
        .patch(
            &path,
            json!([{"op": "add", "path": "members", "value": [{"value": users[0]}]},
                   {"op": "remove", "path": "members", "value": [{"value": users[1]}]}]),
        )
        .await;
    assert_eq!(r.header("etag").as_deref(), Some("W/\"2\""));
    // A small group still answers with the whole group.
    let small = f
        .scim
        .post(
            "/Groups",
            json!({"displayName": "Few", "members": [{"value": users[5]}]}),
        )
        .await;
    let r = f
        .scim
        .patch(
            &format!("/Groups/{}", small.body["id"].as_str().unwrap()),
            json!([{"op": "add", "path": "members", "value": [{"value": users[6]}]}]),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["members"].as_array().unwrap().len(), 2);
    // The built-in group keeps its last active administrator this way too.
    let admins = f
        .scim
        .filter("Groups", r#"displayName eq "Account Administrator""#)
        .await;
    let admin_group = admins.body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let admin = admins.body["Resources"][0]["members"][0]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let r = f
        .scim
        .patch(
            &format!("/Groups/{admin_group}"),
            json!([{"op": "remove", "path": format!("members[value eq \"{admin}\"]")}]),
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
}
