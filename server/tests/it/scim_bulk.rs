//! `POST /Bulk` (RFC 7644 §3.7) through HTTP: bulkId references, failOnErrors, per-operation
//! errors that undo only their own operation, the advertised limits.

use crate::common::scim::*;
use serde_json::{json, Value};

const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

fn request(ops: Value) -> Value {
    json!({"schemas": [BULK], "Operations": ops})
}

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
           "name": {"givenName": "Bulk", "familyName": "User"},
           "emails": [{"value": name, "type": "work", "primary": true}]})
}

fn statuses(r: &Reply) -> Vec<String> {
    r.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap().to_string())
        .collect()
}

fn id_of(location: &Value) -> String {
    location
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_group_refers_to_users_created_in_the_same_request_even_later_ones() {
    let f = fixture();
    let r = f
        .scim
        .post(
            "/Bulk",
            request(json!([
                {"method": "POST", "path": "/Groups", "bulkId": "g",
                 "data": {"displayName": "Bulk team", "members": [{"value": "bulkId:u1"}, {"value": "bulkId:u2"}]}},
                {"method": "POST", "path": "/Users", "bulkId": "u1", "data": user("b1@example.com")},
                {"method": "POST", "path": "/Users", "bulkId": "u2", "data": user("b2@example.com")},
            ])),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
    );
    assert_eq!(statuses(&r), vec!["201", "201", "201"]);
    let ops = r.body["Operations"].as_array().unwrap();
    // Answered in the request's order, each with its bulkId, location and version.
    assert_eq!(ops[0]["bulkId"], "g");
    assert_eq!(ops[1]["method"], "POST");
    assert!(ops[1]["location"]
        .as_str()
        .unwrap()
        .starts_with(&format!("{}/Users/", f.scim.base)));
    assert_eq!(ops[1]["version"], "W/\"1\"");
    let users = [id_of(&ops[1]["location"]), id_of(&ops[2]["location"])];
    let group = f
        .scim
        .get(&format!("/Groups/{}", id_of(&ops[0]["location"])))
        .await;
    assert_eq!(group.status, 200);
    let mut members: Vec<String> = group.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap().to_string())
        .collect();
    members.sort();
    let mut want = users.to_vec();
    want.sort();
    assert_eq!(members, want);
    let u = f.scim.get(&format!("/Users/{}", users[0])).await;
    assert_eq!(u.body["userName"], "b1@example.com");
}

#[tokio::test]
async fn a_failed_operation_is_undone_alone_and_the_rest_go_on() {
    let f = fixture();
    let existing = f.scim.user("taken@example.com").await;
    let g = f
        .scim
        .post(
            "/Groups",
            json!({"displayName": "Stable", "members": [{"value": existing}]}),
        )
        .await;
    let group = g.body["id"].as_str().unwrap().to_string();
    let r = f
        .scim
        .post(
            "/Bulk",
            request(json!([
                {"method": "POST", "path": "/Users", "bulkId": "dup", "data": user("taken@example.com")},
                {"method": "PATCH", "path": format!("/Groups/{group}"),
                 "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                          "Operations": [{"op": "replace", "path": "displayName", "value": "Renamed"},
                                         {"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}]}},
                {"method": "PUT", "path": format!("/Users/{existing}"), "version": "W/\"99\"", "data": user("taken@example.com")},
                {"method": "DELETE", "path": "/Users/00000000-0000-7000-8000-000000000000"},
                {"method": "POST", "path": "/Users", "bulkId": "ok", "data": user("fine@example.com")},
                {"method": "POST", "path": "/Groups", "bulkId": "after",
                 "data": {"displayName": "Needs dup", "members": [{"value": "bulkId:dup"}]}},
                {"method": "POST", "path": "/Groups", "bulkId": "ghost",
                 "data": {"displayName": "Ghost", "members": [{"value": "bulkId:nobody"}]}},
            ])),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        statuses(&r),
        vec!["409", "400", "412", "404", "201", "409", "400"]
    );
    let ops = r.body["Operations"].as_array().unwrap();
    assert_eq!(ops[0]["response"]["scimType"], "uniqueness");
    assert_eq!(
        ops[0]["response"]["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    assert!(ops[5]["response"]["detail"]
        .as_str()
        .unwrap()
        .contains("failed"));
    assert!(ops[6]["response"]["detail"]
        .as_str()
        .unwrap()
        .contains("nobody"));
    // The PATCH failed as a whole: its rename was undone with it.
    let g = f.scim.get(&format!("/Groups/{group}")).await;
    assert_eq!(g.body["displayName"], "Stable");
    assert_eq!(g.body["members"].as_array().unwrap().len(), 1);
    // What succeeded is kept.
    let fine = f
        .scim
        .filter("Users", r#"userName eq "fine@example.com""#)
        .await;
    assert_eq!(fine.body["totalResults"], 1);
    let ghost = f.scim.filter("Groups", r#"displayName eq "Ghost""#).await;
    assert_eq!(ghost.body["totalResults"], 0);
}

#[tokio::test]
async fn fail_on_errors_stops_after_that_many_errors() {
    let f = fixture();
    f.scim.user("one@example.com").await;
    let body = json!({
        "schemas": [BULK],
        "failOnErrors": 2,
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "a", "data": user("one@example.com")},
            {"method": "POST", "path": "/Users", "bulkId": "b", "data": user("two@example.com")},
            {"method": "POST", "path": "/Users", "bulkId": "c", "data": user("one@example.com")},
            {"method": "POST", "path": "/Users", "bulkId": "d", "data": user("three@example.com")},
        ]
    });
    let r = f.scim.post("/Bulk", body).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(statuses(&r), vec!["409", "201", "409"]);
    let three = f
        .scim
        .filter("Users", r#"userName eq "three@example.com""#)
        .await;
    assert_eq!(three.body["totalResults"], 0, "not run after the 2nd error");
    let two = f
        .scim
        .filter("Users", r#"userName eq "two@example.com""#)
        .await;
    assert_eq!(two.body["totalResults"], 1);
}

#[tokio::test]
async fn updates_and_deletes_by_bulk_id_and_by_id() {
    let f = fixture();
    let kept = f.scim.user("kept@example.com").await;
    let r = f
        .scim
        .post(
            "/Bulk",
            request(json!([
                {"method": "POST", "path": "/Users", "bulkId": "n", "data": user("new@example.com")},
                {"method": "PATCH", "path": "/Users/bulkId:n",
                 "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                          "Operations": [{"op": "replace", "path": "active", "value": false}]}},
                {"method": "PUT", "path": format!("/Users/{kept}"), "version": "W/\"1\"",
                 "data": {"userName": "kept@example.com", "name": {"givenName": "Kept", "familyName": "Again"},
                          "emails": [{"value": "kept@example.com", "primary": true}]}},
                {"method": "DELETE", "path": "/Users/bulkId:n"},
            ])),
        )
        .await;
    assert_eq!(statuses(&r), vec!["201", "200", "200", "204"], "{}", r.body);
    let ops = r.body["Operations"].as_array().unwrap();
    assert_eq!(ops[1]["version"], "W/\"2\"");
    let k = f.scim.get(&format!("/Users/{kept}")).await;
    assert_eq!(k.body["name"]["givenName"], "Kept");
    let gone = f
        .scim
        .get(&format!("/Users/{}", id_of(&ops[0]["location"])))
        .await;
    assert_eq!(gone.status, 404);
}

#[tokio::test]
async fn a_circle_of_references_fails_and_nothing_of_it_is_kept() {
    let f = fixture();
    let r = f
        .scim
        .post(
            "/Bulk",
            request(json!([
                {"method": "POST", "path": "/Groups", "bulkId": "a",
                 "data": {"displayName": "A", "members": [{"value": "bulkId:b"}]}},
                {"method": "POST", "path": "/Groups", "bulkId": "b",
                 "data": {"displayName": "B", "members": [{"value": "bulkId:a"}]}},
            ])),
        )
        .await;
    assert_eq!(statuses(&r), vec!["409", "409"], "{}", r.body);
    let groups = f
        .scim
        .filter("Groups", r#"displayName eq "A" or displayName eq "B""#)
        .await;
    assert_eq!(groups.body["totalResults"], 0);
}

#[tokio::test]
async fn a_thousand_creates_in_one_request() {
    let f = fixture();
    let ops: Vec<Value> = (0..1000)
        .map(|i| {
            json!({"method": "POST", "path": "/Users", "bulkId": format!("u{i}"),
                        "data": user(&format!("many{i:04}@example.com"))})
        })
        .collect();
    let r = f.scim.post("/Bulk", request(Value::Array(ops))).await;
    assert_eq!(r.status, 200);
    assert!(statuses(&r).iter().all(|s| s == "201"));
    let all = f.scim.filter("Users", r#"userName sw "many""#).await;
    assert_eq!(all.body["totalResults"], 1000);
}

#[tokio::test]
async fn requests_beyond_the_limits_or_unreadable_are_refused_whole() {
    let f = fixture();
    let ops: Vec<Value> = (0..1001)
        .map(|i| json!({"method": "DELETE", "path": format!("/Users/{i}")}))
        .collect();
    let r = f.scim.post("/Bulk", request(Value::Array(ops))).await;
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.body["status"], "413");
    assert!(r.detail().contains("maxOperations"));
    let big = "x".repeat(1024 * 1024);
    let r = f
        .scim
        .post(
            "/Bulk",
            request(json!([{"method": "POST", "path": "/Users", "bulkId": "b", "data": {"userName": big}}])),
        )
        .await;
    assert_eq!(r.status, 413);
    assert!(r.detail().contains("maxPayloadSize"), "{}", r.body);
    let r = f.scim.post("/Bulk", json!({"schemas": [BULK]})).await;
    assert_eq!((r.status, r.scim_type()), (400, Some("invalidSyntax")));
    let r = f
        .scim
        .post("/Bulk", json!({"schemas": ["urn:x"], "Operations": []}))
        .await;
    assert_eq!(r.status, 400);
    let r = f
        .scim
        .post(
            "/Bulk",
            json!({"schemas": [BULK], "failOnErrors": 0, "Operations": []}),
        )
        .await;
    assert_eq!((r.status, r.scim_type()), (400, Some("invalidValue")));
    let r = f
        .scim
        .post(
            "/Bulk",
            request(json!([{"method": "GET", "path": "/Users"}, {"method": "POST", "path": "/Users", "data": user("nobulkid@example.com")}])),
        )
        .await;
    assert_eq!(statuses(&r), vec!["400", "400"]);
    let anonymous = Scim {
        token: "wrong".into(),
        ..Scim::new(&f.server, &f.account, "wrong")
    };
    assert_eq!(
        anonymous.post("/Bulk", request(json!([]))).await.status,
        401
    );
}
