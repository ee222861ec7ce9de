//! SCIM Users over HTTP against the real binary: every product rule and tolerant-reader item.

use crate::common::scim::*;
use crate::common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn create_get_and_the_response_contract() {
    let f = fixture();
    let r = f.scim.post("/Users", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@example.com", "name": {"givenName": "Ada", "familyName": "Lovelace"}})).await;
    assert_eq!(r.status, 201);
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/scim+json"));
    let id = r.body["id"].as_str().unwrap();
    let location = r.header("location").unwrap();
    assert!(
        location.ends_with(&format!("/scim/account/{}/Users/{id}", f.account)),
        "{location}"
    );
    assert_eq!(r.body["meta"]["location"], location.as_str());
    assert_eq!(r.body["meta"]["resourceType"], "User");
    assert!(r.body["meta"]["created"].is_string() && r.body["meta"]["lastModified"].is_string());
    assert_eq!(
        r.header("etag").unwrap(),
        r.body["meta"]["version"].as_str().unwrap()
    );
    assert_eq!(r.body["active"], json!(true));
    assert_eq!(
        r.body["emails"][0]["value"], "ada@example.com",
        "the e-mail comes from userName"
    );

    let g = f.scim.get(&format!("/Users/{id}")).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.body["userName"], "ada@example.com");
    assert_eq!(g.body["name"]["familyName"], "Lovelace");
    assert_eq!(f.scim.get("/Users/no-such-id").await.status, 404);
}

#[tokio::test]
async fn user_name_is_unique_case_insensitively_and_the_filter_finds_every_user() {
    let f = fixture();
    // OneLogin's "test connection": a userName that does not exist → 200, empty list.
    let r = f
        .scim
        .filter("Users", r#"userName eq "nobody@example.com""#)
        .await;
    assert_eq!((r.status, r.body["totalResults"].clone()), (200, json!(0)));
    assert_eq!(r.body["Resources"], json!([]));

    // The administrator made with the CLI (not by SCIM) is found, case-insensitively.
    let r = f
        .scim
        .filter("Users", r#"userName eq "ADMIN@Example.COM""#)
        .await;
    assert_eq!(r.body["totalResults"], 1, "{}", r.body);
    assert_eq!(r.body["Resources"][0]["userName"], "admin@example.com");

    // A duplicate POST (any case) is 409 uniqueness.
    let r = f
        .scim
        .post("/Users", json!({"userName": "Admin@EXAMPLE.com"}))
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.scim_type(), Some("uniqueness"));
    assert_eq!(
        r.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert_eq!(r.body["status"], "409");
}

#[tokio::test]
async fn tolerant_reader_for_onelogin_and_plain_json() {
    let f = fixture();
    // OneLogin Enterprise template: SCIM 1.0 URN, id null, client meta, emails as one object,
    // string booleans, unset parameters as "", attributes we do not keep; sent as application/json.
    let body = json!({
        "schemas": ["urn:scim:schemas:core:1.0"],
        "id": null,
        "meta": {"created": "x", "lastModified": "y"},
        "userName": "grace@example.com",
        "externalId": "00u1",
        "name": {"givenName": "Grace", "familyName": "Hopper", "middleName": ""},
        "emails": {"value": "grace@example.com", "type": "work", "primary": "true"},
        "active": "True",
        "title": "",
        "phoneNumbers": [{"value": "", "type": "work"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "", "employeeNumber": "7"}
    });
    let r = f
        .scim
        .client
        .post(format!("{}/Users", f.scim.base))
        .bearer_auth(&f.scim.token)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["active"], json!(true));
    assert_eq!(created["externalId"], "00u1");
    assert_eq!(
        created["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:User"])
    );
    let id = created["id"].as_str().unwrap().to_string();

    // "false" as a string suspends (PUT, as OneLogin does for every update).
    let mut put = body.clone();
    put["active"] = json!("false");
    let r = f.scim.put(&format!("/Users/{id}"), put).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["active"], json!(false));

    // Entra: filter by externalId.
    let r = f.scim.filter("Users", r#"externalId eq "00u1""#).await;
    assert_eq!(r.body["Resources"][0]["id"], id.as_str());

    // Entra: a userName (UPN) that is not the mailbox; both are found by their own filter.
    let r = f.scim.post("/Users", json!({"userName": "Lin_UPN", "emails": [{"value": "lin@example.com", "type": "work", "primary": true}]})).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let lin = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        f.scim
            .filter("Users", r#"userName eq "lin_upn""#)
            .await
            .body["Resources"][0]["id"],
        lin.as_str()
    );
    assert_eq!(
        f.scim
            .filter("Users", r#"emails.value eq "LIN@example.com""#)
            .await
            .body["Resources"][0]["id"],
        lin.as_str()
    );
    assert_eq!(
        f.scim
            .filter("Users", r#"userName eq "lin@example.com""#)
            .await
            .body["totalResults"],
        0
    );
    // A second user with the same mailbox is a uniqueness conflict.
    let r = f
        .scim
        .post(
            "/Users",
            json!({"userName": "lin2", "emails": [{"value": "Lin@Example.com"}]}),
        )
        .await;
    assert_eq!((r.status, r.scim_type()), (409, Some("uniqueness")));
}

#[tokio::test]
async fn suspension_keeps_the_user_blocks_log_in_and_ends_sessions() {
    let f = fixture();
    let browser = f.server.client();
    let login = |c: reqwest::Client, email: &'static str| {
        let url = f.server.url("/api/login");
        async move {
            c.post(url)
                .form(&[("email", email), ("password", PASSWORD)])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        login(browser.clone(), "admin@example.com").await.status(),
        200
    );
    let whoami = |c: reqwest::Client| {
        let url = f.server.url("/api/whoami");
        async move {
            c.post(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert!(whoami(browser.clone()).await.get("LoggedIn").is_some());
    // Someone else stays an active administrator (the last one cannot be suspended).
    add_admin(&f.db, &f.account, "other@example.com");

    let id = f
        .scim
        .filter("Users", r#"userName eq "admin@example.com""#)
        .await
        .body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Entra legacy form: capitalised op, string boolean.
    let r = f
        .scim
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert_eq!(
        (r.status, r.body["active"].clone()),
        (200, json!(false)),
        "{}",
        r.body
    );

    // Kept and still listed, with active false.
    assert_eq!(
        f.scim.get(&format!("/Users/{id}")).await.body["active"],
        json!(false)
    );
    let r = f.scim.filter("Users", "active eq false").await;
    assert_eq!(r.body["totalResults"], 1);
    // The open session ended at once; a new log-in is refused as suspended (after the password).
    assert_eq!(whoami(browser.clone()).await, json!("Anonymous"));
    let refused: Value = login(f.server.client(), "admin@example.com")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        refused["Rejected"].as_str().unwrap().contains("suspended"),
        "{refused}"
    );

    // Okta: path-less replace restores.
    let r = f
        .scim
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "value": {"active": true}}]),
        )
        .await;
    assert_eq!(r.body["active"], json!(true));
    assert_eq!(
        login(f.server.client(), "admin@example.com").await.status(),
        200
    );
}

#[tokio::test]
async fn email_change_from_the_idp_is_applied_by_id_and_audited_then_delete_works() {
    let f = fixture();
    let id = f.scim.user("old@example.com").await;
    let r = f.scim.put(&format!("/Users/{id}"), json!({"userName": "new@example.com", "name": {"givenName": "Test", "familyName": "User"}, "emails": [{"value": "new@example.com", "primary": true}], "active": true})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["userName"], "new@example.com");
    assert_eq!(
        f.scim
            .filter("Users", r#"userName eq "new@example.com""#)
            .await
            .body["totalResults"],
        1
    );
    assert_eq!(
        f.scim
            .filter("Users", r#"userName eq "old@example.com""#)
            .await
            .body["totalResults"],
        0
    );

    let pool = pool(&f.db).await;
    let detail: String = sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE action = 'user.email_changed' AND target_id = $1",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(detail, "e-mail old@example.com → new@example.com");

    // Removal after the change (the seed's known failure) works: by id.
    assert_eq!(f.scim.delete(&format!("/Users/{id}")).await.status, 204);
    assert_eq!(f.scim.get(&format!("/Users/{id}")).await.status, 404);
    assert_eq!(f.scim.delete(&format!("/Users/{id}")).await.status, 404);
}

#[tokio::test]
async fn patch_tolerant_forms() {
    let f = fixture();
    let id = f.scim.user("pat@example.com").await;
    let path = format!("/Users/{id}");
    // Entra: path-less replace with dotted keys.
    let r = f.scim.patch(&path, json!([{"op": "replace", "value": {"name.givenName": "Patricia", "name.familyName": "Smith"}}])).await;
    assert_eq!(
        (
            r.body["name"]["givenName"].as_str(),
            r.body["name"]["familyName"].as_str()
        ),
        (Some("Patricia"), Some("Smith")),
        "{}",
        r.body
    );
    // Value path on emails changes the e-mail.
    let r = f.scim.patch(&path, json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "pat.smith@example.com"}])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let pool = pool(&f.db).await;
    let email: String = sqlx::query_scalar("SELECT email FROM users WHERE id = $1")
        .bind(&id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(email, "pat.smith@example.com");
    // Enterprise extension and unknown attributes are accepted and ignored.
    let r = f.scim.patch(&path, json!([
        {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "42"},
        {"op": "add", "path": "title", "value": "Boss"}
    ])).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.get("title").is_none());
    // Op name in any case; userName via its core URN path.
    let r = f.scim.patch(&path, json!([{"op": "REPLACE", "path": "urn:ietf:params:scim:schemas:core:2.0:User:userName", "value": "p.smith@example.com"}])).await;
    assert_eq!(r.body["userName"], "p.smith@example.com");
}

#[tokio::test]
async fn patch_errors_name_the_problem_and_change_nothing() {
    let f = fixture();
    let id = f.scim.user("err@example.com").await;
    let path = format!("/Users/{id}");
    let before = f.scim.get(&path).await.body;
    for (ops, scim_type) in [
        (json!([{"op": "remove"}]), "noTarget"),
        (
            json!([{"op": "add", "path": "emails[type eq", "value": "x"}]),
            "invalidPath",
        ),
        (json!([{"op": "jump", "path": "active"}]), "invalidSyntax"),
        (
            json!([{"op": "replace", "path": "active", "value": true}, {"op": "replace", "path": "active", "value": "perhaps"}]),
            "invalidValue",
        ),
    ] {
        let r = f.scim.patch(&path, ops.clone()).await;
        assert_eq!(
            (r.status, r.scim_type()),
            (400, Some(scim_type)),
            "{ops}: {}",
            r.body
        );
    }
    assert_eq!(
        f.scim.get(&path).await.body,
        before,
        "failed PATCHes changed nothing"
    );
    let r = f
        .scim
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!("not an object")),
            &[],
        )
        .await;
    assert_eq!(r.scim_type(), Some("invalidSyntax"));
    let r = f
        .scim
        .client
        .post(format!("{}/Users", f.scim.base))
        .bearer_auth(&f.scim.token)
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["scimType"],
        "invalidSyntax"
    );
}

#[tokio::test]
async fn etags_guard_updates() {
    let f = fixture();
    let id = f.scim.user("etag@example.com").await;
    let path = format!("/Users/{id}");
    let etag = f.scim.get(&path).await.header("etag").unwrap();
    let ops = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "name.givenName", "value": "E"}]});
    let stale = f
        .scim
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(ops.clone()),
            &[("If-Match", "W/\"999\"")],
        )
        .await;
    assert_eq!(stale.status, 412);
    let ok = f
        .scim
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(ops.clone()),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(ok.status, 200);
    assert_ne!(ok.header("etag").unwrap(), etag, "the version moved on");
    // The old tag is now stale for PUT and DELETE too.
    let put = f
        .scim
        .send(
            reqwest::Method::PUT,
            &path,
            Some(json!({"userName": "etag@example.com"})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(put.status, 412);
    let del = f
        .scim
        .send(reqwest::Method::DELETE, &path, None, &[("If-Match", &etag)])
        .await;
    assert_eq!(del.status, 412);
    // Repeating an identical PUT does not move the version (no churn from OneLogin's full PUTs).
    let cur = f.scim.get(&path).await;
    let again = f.scim.put(&path, cur.body.clone()).await;
    assert_eq!(again.header("etag"), cur.header("etag"));
}

#[tokio::test]
async fn lists_filter_sort_page_and_project() {
    let f = fixture();
    for name in ["carol", "bob", "dave"] {
        f.scim.user(&format!("{name}@example.com")).await;
    }
    // 4 users with the admin. Sort by userName, descending, page 2 of size 2.
    let r = f
        .scim
        .get("/Users?sortBy=userName&sortOrder=descending&startIndex=3&count=2")
        .await;
    assert_eq!(r.body["totalResults"], 4);
    assert_eq!(r.body["startIndex"], 3);
    assert_eq!(r.body["itemsPerPage"], 2);
    let names: Vec<&str> = r.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["bob@example.com", "admin@example.com"]);
    // count=0 gives the total only.
    let r = f.scim.get("/Users?count=0").await;
    assert_eq!(
        (
            r.body["totalResults"].clone(),
            r.body["itemsPerPage"].clone()
        ),
        (json!(4), json!(0))
    );
    // Compound filter.
    let r = f
        .scim
        .filter(
            "Users",
            r#"userName sw "B" or (emails co "dave" and active eq true)"#,
        )
        .await;
    assert_eq!(r.body["totalResults"], 2);
    // Projection.
    let r = f.scim.get("/Users?attributes=userName&count=1").await;
    let keys: Vec<&String> = r.body["Resources"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 3, "id, schemas, userName: {keys:?}");
    let r = f
        .scim
        .get("/Users?excludedAttributes=emails,meta&count=1")
        .await;
    assert!(
        r.body["Resources"][0].get("emails").is_none()
            && r.body["Resources"][0].get("id").is_some()
    );
    // POST .search
    let r = f.scim.post("/Users/.search", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName eq \"carol@example.com\"", "attributes": ["userName"]})).await;
    assert_eq!((r.status, r.body["totalResults"].clone()), (200, json!(1)));
    let r = f
        .scim
        .post(
            "/.search",
            json!({"filter": "userName ew \"example.com\"", "count": 10}),
        )
        .await;
    assert_eq!(r.body["totalResults"], 4);
    // Bad input.
    assert_eq!(
        f.scim.filter("Users", r#"userName eq"#).await.scim_type(),
        Some("invalidFilter")
    );
    assert_eq!(
        f.scim.filter("Users", r#"title eq "x""#).await.scim_type(),
        Some("invalidFilter")
    );
    assert_eq!(
        f.scim.get("/Users?count=ten").await.scim_type(),
        Some("invalidValue")
    );
    assert_eq!(
        f.scim.get("/Users?sortOrder=sideways").await.scim_type(),
        Some("invalidValue")
    );
}

/// The account's only active administrator (the one from set-up) cannot be suspended, deleted
/// or removed from Account Administrator through SCIM; once a second administrator is active,
/// each of those is allowed again.
#[tokio::test]
async fn scim_cannot_take_away_the_last_active_administrator() {
    let f = fixture();
    let admin = f
        .scim
        .filter("Users", r#"userName eq "admin@example.com""#)
        .await;
    let admin_id = admin.body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let admins = f
        .scim
        .filter("Groups", r#"displayName eq "Account Administrator""#)
        .await;
    let group = format!(
        "/Groups/{}",
        admins.body["Resources"][0]["id"].as_str().unwrap()
    );
    let user = format!("/Users/{admin_id}");
    let refused = |r: &Reply, what: &str| {
        assert_eq!(r.status, 409, "{what}: {}", r.body);
        assert_eq!(
            r.body["schemas"][0],
            "urn:ietf:params:scim:api:messages:2.0:Error"
        );
        assert!(
            r.detail().contains("last active Account Administrator")
                && r.detail().contains("first"),
            "{what}: {}",
            r.detail()
        );
    };
    let suspend = json!([{"op": "replace", "value": {"active": false}}]);
    refused(
        &f.scim.patch(&user, suspend.clone()).await,
        "PATCH active=false",
    );
    let put = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                     "userName": "admin@example.com", "active": false});
    refused(&f.scim.put(&user, put).await, "PUT active=false");
    refused(&f.scim.delete(&user).await, "DELETE");
    let demote = json!([{"op": "remove", "path": format!("members[value eq \"{admin_id}\"]")}]);
    refused(
        &f.scim.patch(&group, demote.clone()).await,
        "remove from the group",
    );
    // Nothing changed.
    let still = f.scim.get(&user).await;
    assert_eq!(still.body["active"], json!(true));
    let g = f.scim.get(&group).await;
    assert!(g.body["members"].to_string().contains(&admin_id));

    // A second *active* administrator (set up through the CLI) lifts the refusal.
    add_admin(&f.db, &f.account, "second@example.com");
    let r = f.scim.patch(&group, demote).await;
    assert_eq!(r.status, 200, "{}", r.body);
    // The remaining one is the last again: suspending the second is refused.
    let second = f
        .scim
        .filter("Users", r#"userName eq "second@example.com""#)
        .await;
    let second = format!(
        "/Users/{}",
        second.body["Resources"][0]["id"].as_str().unwrap()
    );
    refused(&f.scim.patch(&second, suspend).await, "PATCH the second");
    // The first one, no longer an administrator, may now go.
    assert_eq!(f.scim.delete(&user).await.status, 204);
}

/// Sizes are bounded: 1,000 e-mail addresses, or a name of 201 characters, is a 400
/// `invalidValue` naming the attribute, and nothing is stored.
#[tokio::test]
async fn oversized_attributes_are_refused_by_name() {
    let f = fixture();
    let emails: Vec<Value> = (0..1000)
        .map(|i| json!({"value": format!("a{i}@example.com"), "type": "work"}))
        .collect();
    let r = f
        .scim
        .post(
            "/Users",
            json!({"userName": "many@example.com", "emails": emails}),
        )
        .await;
    assert_eq!(
        (r.status, r.scim_type()),
        (400, Some("invalidValue")),
        "{}",
        r.body
    );
    assert!(
        r.detail().contains("emails") && r.detail().contains("100"),
        "{}",
        r.detail()
    );
    let r = f
        .scim
        .post(
            "/Users",
            json!({"userName": "long@example.com", "name": {"givenName": "x".repeat(201)}}),
        )
        .await;
    assert_eq!((r.status, r.scim_type()), (400, Some("invalidValue")));
    assert!(r.detail().contains("name.givenName"), "{}", r.detail());
    let r = f
        .scim
        .filter(
            "Users",
            r#"userName eq "many@example.com" or userName eq "long@example.com""#,
        )
        .await;
    assert_eq!(r.body["totalResults"], 0);
    // 100 addresses are fine.
    let emails: Vec<Value> = (0..100)
        .map(|i| json!({"value": format!("b{i}@example.com")}))
        .collect();
    let r = f
        .scim
        .post(
            "/Users",
            json!({"userName": "b0@example.com", "emails": emails}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
}

/// `displayName` is kept as sent (PUT and PATCH) and returned; without one it is derived from
/// the name and keeps following it.
#[tokio::test]
async fn display_name_is_kept_as_sent() {
    let f = fixture();
    let r = f
        .scim
        .post(
            "/Users",
            json!({"userName": "ada@example.com", "name": {"givenName": "Ada", "familyName": "Lovelace"}}),
        )
        .await;
    let path = format!("/Users/{}", r.body["id"].as_str().unwrap());
    assert_eq!(r.body["displayName"], "Ada Lovelace", "derived");
    // PATCH another attribute: the derived name follows the new name.
    let r = f
        .scim
        .patch(
            &path,
            json!([{"op": "replace", "path": "name.givenName", "value": "Augusta"}]),
        )
        .await;
    assert_eq!(r.body["displayName"], "Augusta Lovelace");
    // PUT a displayName of its own: kept, and returned by GET.
    let r = f
        .scim
        .put(
            &path,
            json!({"userName": "ada@example.com", "displayName": "Countess of Lovelace",
                   "name": {"givenName": "Augusta", "familyName": "Lovelace"}}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        f.scim.get(&path).await.body["displayName"],
        "Countess of Lovelace"
    );
    // A later PATCH of the name leaves it alone; a PATCH of displayName changes it.
    let r = f
        .scim
        .patch(
            &path,
            json!([{"op": "replace", "path": "name.givenName", "value": "Ada"}]),
        )
        .await;
    assert_eq!(r.body["displayName"], "Countess of Lovelace");
    let r = f
        .scim
        .patch(
            &path,
            json!([{"op": "replace", "path": "displayName", "value": "A. Lovelace"}]),
        )
        .await;
    assert_eq!(r.body["displayName"], "A. Lovelace");
    assert_eq!(f.scim.get(&path).await.body["displayName"], "A. Lovelace");
}

/// A user made by hand (here the CLI's administrator) that the IdP writes to becomes managed
/// by the IdP, and that hand-over is in the audit log once, with who did it.
#[tokio::test]
async fn the_idp_adopting_a_manual_user_is_audited_once() {
    let f = fixture();
    add_admin(&f.db, &f.account, "grace@example.com");
    let found = f
        .scim
        .filter("Users", "userName eq \"grace@example.com\"")
        .await;
    let id = found.body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for family in ["Hopper", "Murray"] {
        let r = f
            .scim
            .patch(
                &format!("/Users/{id}"),
                json!([{"op": "replace", "path": "name.familyName", "value": family}]),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let db = pool(&f.db).await;
    let events: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT actor_kind, action, detail FROM audit_events WHERE target_id = $1 ORDER BY id",
    )
    .bind(&id)
    .fetch_all(&db)
    .await
    .unwrap();
    let adopted: Vec<_> = events.iter().filter(|e| e.1 == "user.adopted").collect();
    assert_eq!(adopted.len(), 1, "{events:?}");
    assert_eq!(adopted[0].0, "api_key");
    assert!(adopted[0].2.contains("identity provider"), "{events:?}");
    let source: String = sqlx::query_scalar("SELECT source FROM users WHERE id = $1")
        .bind(&id)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(source, "idp");
}
