//! A small SCIM client for tests: JSON in, (status, headers, JSON) out.
#![allow(dead_code)]

use super::*;
use serde_json::{json, Value};

pub struct Scim {
    pub base: String,
    pub token: String,
    pub client: reqwest::Client,
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }
    /// `scimType` of an error reply.
    pub fn scim_type(&self) -> Option<&str> {
        self.body["scimType"].as_str()
    }
    pub fn detail(&self) -> &str {
        self.body["detail"].as_str().unwrap_or("")
    }
}

impl Scim {
    pub fn new(server: &Server, account: &str, token: &str) -> Self {
        Scim {
            base: server.url(&format!("/scim/account/{account}")),
            token: token.to_string(),
            client: reqwest::Client::new(),
        }
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> Reply {
        self.try_send(method, path, body, extra)
            .await
            .expect("request")
    }

    /// [`Scim::send`] that returns a failed connection (or a body cut off) as an error.
    pub async fn try_send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> Result<Reply, reqwest::Error> {
        let mut req = self
            .client
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/scim+json")
                .body(b.to_string());
        }
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        let res = req.send().await?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(reqwest::Method::GET, path, None, &[]).await
    }
    pub async fn try_post(&self, path: &str, body: Value) -> Result<Reply, reqwest::Error> {
        self.try_send(reqwest::Method::POST, path, Some(body), &[])
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::POST, path, Some(body), &[])
            .await
    }
    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.send(reqwest::Method::PUT, path, Some(body), &[]).await
    }
    pub async fn patch(&self, path: &str, ops: Value) -> Reply {
        let body = serde_json::json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        self.send(reqwest::Method::PATCH, path, Some(body), &[])
            .await
    }
    pub async fn delete(&self, path: &str) -> Reply {
        self.send(reqwest::Method::DELETE, path, None, &[]).await
    }

    /// Creates a user and returns its id.
    pub async fn user(&self, email: &str) -> String {
        let r = self
            .post("/Users", serde_json::json!({"userName": email, "name": {"givenName": "Test", "familyName": "User"}, "emails": [{"value": email, "type": "work", "primary": true}]}))
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        r.body["id"].as_str().unwrap().to_string()
    }

    /// `filter` is URL-encoded here.
    pub async fn filter(&self, resource: &str, filter: &str) -> Reply {
        let q: String = url_encode(filter);
        self.get(&format!("/{resource}?filter={q}")).await
    }
}

pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A server with one account, its first administrator, and an API key for SCIM.
pub struct ScimFixture {
    pub db: TempDb,
    pub server: Server,
    pub account: String,
    pub scim: Scim,
}

pub fn fixture() -> ScimFixture {
    fixture_on(TempDb::new())
}

/// [`fixture`] on a given database (a SQLite one for the tests that copy or inspect SQLite).
pub fn fixture_on(db: TempDb) -> ScimFixture {
    let account = account_with_admin(&db, "admin@example.com");
    let token = api_key(&db, &account);
    let server = Server::start(&db);
    let scim = Scim::new(&server, &account, &token);
    ScimFixture {
        db,
        server,
        account,
        scim,
    }
}

/// Creates `n` users named `{prefix}{i}` through /Bulk (1,000 per request).
pub async fn many(scim: &Scim, prefix: &str, n: usize) -> Vec<String> {
    let mut made = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let ops: Vec<Value> = chunk
            .iter()
            .map(|i| {
                json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"),
                            "data": {"userName": format!("{prefix}{i}@example.com")}})
            })
            .collect();
        let r = scim
            .post("/Bulk", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": ops}))
            .await;
        assert_eq!(r.status, 200);
        for op in r.body["Operations"].as_array().unwrap() {
            assert_eq!(op["status"], "201", "{op}");
            made.push(
                op["location"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
            );
        }
    }
    made
}
