//! SCIM paging at depth (issue 13): `startIndex` in the default order is found through the
//! paging ranges (`user_pages`), not an OFFSET; checked against the OFFSET path itself
//! (`sortBy=id`, the slow reference) after creates and deletes that cut and empty ranges, and
//! under concurrent creates (no user a client has not seen yet moves ahead of it).

use crate::common::scim::*;
use crate::common::*;
use serde_json::{json, Value};
use std::collections::HashSet;

fn ids(r: &Reply) -> Vec<String> {
    r.body["Resources"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn any_start_index_agrees_with_the_offset_reference() {
    let f = fixture();
    let made = many(&f.scim, "deep", 2600).await;
    // Deletes that empty and shorten ranges: a run of 600 in the middle, and every 7th.
    let gone: Vec<&String> = made[700..1300]
        .iter()
        .chain(made.iter().step_by(7))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let ops: Vec<Value> = gone
        .iter()
        .map(|id| json!({"method": "DELETE", "path": format!("/Users/{id}")}))
        .collect();
    for chunk in ops.chunks(1000) {
        let r = f
            .scim
            .post("/Bulk", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": chunk}))
            .await;
        assert!(r.body["Operations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "204"));
    }
    let total = 2600 - gone.len() + 1; // + the administrator
    let reference = f.scim.get("/Users?sortBy=id&count=1").await;
    assert_eq!(reference.body["totalResults"], total);
    let mut starts = vec![
        1,
        2,
        100,
        511,
        512,
        513,
        1024,
        1025,
        1500,
        total - 1,
        total,
        total + 1,
        total + 50,
    ];
    starts.extend((1..total).step_by(97));
    for start in starts {
        for count in [1, 37, 100] {
            let fast = f
                .scim
                .get(&format!("/Users?startIndex={start}&count={count}"))
                .await;
            let slow = f
                .scim
                .get(&format!(
                    "/Users?sortBy=id&startIndex={start}&count={count}"
                ))
                .await;
            assert_eq!(fast.status, 200);
            assert_eq!(fast.body["totalResults"], total);
            assert_eq!(fast.body["startIndex"], start);
            assert_eq!(ids(&fast), ids(&slow), "startIndex={start} count={count}");
            assert_eq!(fast.body["itemsPerPage"], ids(&slow).len());
        }
    }
    // The ranges stay short and count exactly.
    let pool = pool(&f.db).await;
    let (users, counted, longest): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM users WHERE account_id = $1),
                (SELECT CAST(SUM(n) AS BIGINT) FROM user_pages WHERE account_id = $1),
                (SELECT CAST(MAX(n) AS BIGINT) FROM user_pages WHERE account_id = $1)",
    )
    .bind(&f.account)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((users, counted), (total as i64, total as i64));
    assert!(longest <= 1024, "a range of {longest}");
}

#[tokio::test]
async fn paging_while_users_are_created_sees_every_earlier_user_once() {
    let f = fixture();
    let before: HashSet<String> = many(&f.scim, "early", 700).await.into_iter().collect();
    let writer = {
        let scim = Scim::new(&f.server, &f.account, &f.scim.token);
        tokio::spawn(async move {
            for i in 0..150 {
                scim.user(&format!("late{i}@example.com")).await;
            }
        })
    };
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let r = f
            .scim
            .get(&format!("/Users?startIndex={start}&count=25"))
            .await;
        let page = ids(&r);
        if page.is_empty() {
            break;
        }
        start += page.len();
        seen.extend(page);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    writer.await.unwrap();
    let once: HashSet<&String> = seen.iter().collect();
    assert_eq!(once.len(), seen.len(), "no user twice");
    for id in &before {
        assert!(once.contains(id), "user {id} was skipped");
    }
}
