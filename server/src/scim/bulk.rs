//! `POST /Bulk` (RFC 7644 §3.7): many operations in one request.
//!
//! The request is read and bounded here (at most [`MAX_OPERATIONS`] operations and
//! [`MAX_PAYLOAD`] bytes, both advertised in `ServiceProviderConfig`); the operations then run
//! in order as one writer job through `domain::bulk`, each the same change its own endpoint
//! makes. A `bulkId` names what a `POST` creates; a later operation may refer to it as
//! `"bulkId:<id>"` anywhere in its `data` or `path` (typically a group's members). An
//! operation that refers to a `bulkId` created *later* in the request waits for it (the order
//! is otherwise the request's); one that refers to a failed or a circular one fails with 409.
//! `failOnErrors: n` stops after the n-th failed operation; the operations not run are not in
//! the response. The response lists the operations that ran, in the request's order.

use crate::domain::bulk::{self, Change, Changed};
use crate::error::{AppError, AppResult};
use crate::scim::auth::ScimAuth;
use crate::scim::handlers::{
    base_url, expected_version, next_group, next_user, parse_body, patch_error,
};
use crate::scim::{patch, resources};
use crate::startup::AppState;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::{header, HeaderValue, StatusCode};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet, VecDeque};

/// The most operations one bulk request may carry (`bulk.maxOperations`).
pub const MAX_OPERATIONS: usize = 1000;
/// The largest bulk request body, in bytes (`bulk.maxPayloadSize`).
pub const MAX_PAYLOAD: usize = 1024 * 1024;

const REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// How a value refers to what an earlier operation created.
const BULK_REF: &str = "bulkId:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    fn read(s: &str) -> Option<Method> {
        Some(match s.to_ascii_uppercase().as_str() {
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    fn success(self) -> StatusCode {
        match self {
            Method::Post => StatusCode::CREATED,
            Method::Put | Method::Patch => StatusCode::OK,
            Method::Delete => StatusCode::NO_CONTENT,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Users,
    Groups,
}

impl Endpoint {
    fn name(self) -> &'static str {
        match self {
            Endpoint::Users => "Users",
            Endpoint::Groups => "Groups",
        }
    }
}

/// One operation as the client sent it (what is needed to answer for it, even if it fails).
struct Op {
    method: Option<Method>,
    method_text: String,
    bulk_id: Option<String>,
    /// Why the operation cannot run at all, found while reading the request.
    refused: Option<AppError>,
    endpoint: Option<Endpoint>,
    /// The resource id in the path (PUT, PATCH, DELETE), possibly a `bulkId:` reference.
    target: Option<String>,
    version: Option<String>,
    data: Value,
    /// `bulkId`s this operation refers to.
    refs: HashSet<String>,
}

fn text(op: &Map<String, Value>, key: &str) -> Option<String> {
    op.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_string)
}

fn field<'a>(op: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    op.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Every `bulkId:` reference in `v`.
fn collect_refs(v: &Value, out: &mut HashSet<String>) {
    match v {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_REF) {
                out.insert(id.to_string());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_refs(i, out)),
        Value::Object(map) => map.values().for_each(|i| collect_refs(i, out)),
        _ => {}
    }
}

fn read_op(raw: &Value) -> Op {
    let mut op = Op {
        method: None,
        method_text: String::new(),
        bulk_id: None,
        refused: None,
        endpoint: None,
        target: None,
        version: None,
        data: Value::Null,
        refs: HashSet::new(),
    };
    let Some(map) = raw.as_object() else {
        op.refused = Some(AppError::InvalidSyntax(
            "each entry of Operations must be an object".into(),
        ));
        return op;
    };
    op.method_text = text(map, "method").unwrap_or_default();
    op.method = Method::read(&op.method_text);
    op.bulk_id = text(map, "bulkId");
    op.version = text(map, "version");
    op.data = field(map, "data").cloned().unwrap_or(Value::Null);
    let path = text(map, "path").unwrap_or_default();
    let refused = |m: String| Some(AppError::InvalidSyntax(m));
    let Some(method) = op.method else {
        op.refused = refused(format!(
            "method '{}' is not one of POST, PUT, PATCH, DELETE",
            op.method_text
        ));
        return op;
    };
    let mut parts = path.trim_start_matches('/').splitn(2, '/');
    op.endpoint = match parts.next().unwrap_or_default() {
        "Users" => Some(Endpoint::Users),
        "Groups" => Some(Endpoint::Groups),
        _ => None,
    };
    op.target = parts.next().filter(|t| !t.is_empty()).map(str::to_string);
    op.refused = match (method, op.endpoint, &op.target) {
        (_, None, _) => refused(format!(
            "path '{path}' is not /Users or /Groups (or one of their resources)"
        )),
        (Method::Post, _, Some(_)) => {
            refused(format!("a POST goes to /Users or /Groups, not to '{path}'"))
        }
        (Method::Post, _, None) if op.bulk_id.as_deref().unwrap_or("").is_empty() => {
            refused("a POST operation needs a bulkId".into())
        }
        (Method::Put | Method::Patch | Method::Delete, _, None) => refused(format!(
            "a {} names its resource: /{}/{{id}}",
            method.name(),
            op.endpoint.map(Endpoint::name).unwrap_or_default()
        )),
        (Method::Post | Method::Put | Method::Patch, _, _) if !op.data.is_object() => refused(
            format!("a {} operation needs its data object", method.name()),
        ),
        _ => None,
    };
    collect_refs(&op.data, &mut op.refs);
    if let Some(id) = op.target.as_deref().and_then(|t| t.strip_prefix(BULK_REF)) {
        op.refs.insert(id.to_string());
    }
    op
}

/// What a `bulkId` stands for while the request runs.
enum Made {
    Id(String),
    Failed,
}

/// The request as the writer runs it (see `domain::bulk::Script`).
struct Plan {
    base: String,
    ops: Vec<Op>,
    /// Indices into `ops`, in the order they run.
    order: VecDeque<usize>,
    /// Which operation creates each `bulkId`.
    defined: HashMap<String, usize>,
    made: HashMap<String, Made>,
    fail_on_errors: Option<usize>,
    errors: usize,
    running: Option<usize>,
    /// The answer for each operation that ran.
    results: Vec<Option<Value>>,
}

impl Plan {
    fn new(base: String, ops: Vec<Op>, fail_on_errors: Option<usize>) -> Plan {
        let mut defined = HashMap::new();
        for (i, op) in ops.iter().enumerate() {
            if let (Some(Method::Post), Some(id), None) = (op.method, &op.bulk_id, &op.refused) {
                defined.entry(id.clone()).or_insert(i);
            }
        }
        let order = run_order(&ops, &defined);
        let results = (0..ops.len()).map(|_| None).collect();
        Plan {
            base,
            ops,
            order,
            defined,
            made: HashMap::new(),
            fail_on_errors,
            errors: 0,
            running: None,
            results,
        }
    }

    /// `v` with every `bulkId:` reference replaced by the id it stands for.
    fn resolve(&self, v: &mut Value) -> AppResult<()> {
        match v {
            Value::String(s) => {
                if let Some(id) = s.strip_prefix(BULK_REF) {
                    *s = self.resolve_one(id)?;
                }
            }
            Value::Array(items) => {
                for i in items {
                    self.resolve(i)?;
                }
            }
            Value::Object(map) => {
                for (_, i) in map.iter_mut() {
                    self.resolve(i)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn resolve_one(&self, bulk_id: &str) -> AppResult<String> {
        match (self.made.get(bulk_id), self.defined.contains_key(bulk_id)) {
            (Some(Made::Id(id)), _) => Ok(id.clone()),
            (Some(Made::Failed), _) => Err(AppError::Conflict(format!(
                "bulkId '{bulk_id}' refers to an operation that failed; nothing was changed"
            ))),
            (None, true) => Err(AppError::Conflict(format!(
                "bulkId '{bulk_id}' is part of a circular reference that cannot be resolved"
            ))),
            (None, false) => Err(AppError::InvalidValue(format!(
                "bulkId '{bulk_id}' is not the bulkId of any POST in this request"
            ))),
        }
    }

    /// The change operation `i` makes, with its references resolved.
    fn change(&mut self, i: usize) -> AppResult<Change> {
        let op = &mut self.ops[i];
        if let Some(e) = op.refused.take() {
            return Err(e);
        }
        let (Some(method), Some(endpoint)) = (op.method, op.endpoint) else {
            return Err(AppError::InvalidSyntax(
                "the operation cannot be read".into(),
            ));
        };
        let mut data = std::mem::take(&mut self.ops[i].data);
        self.resolve(&mut data)?;
        let id = match self.ops[i].target.as_deref() {
            Some(t) => match t.strip_prefix(BULK_REF) {
                Some(b) => self.resolve_one(b)?,
                None => t.to_string(),
            },
            None => String::new(),
        };
        let expected = self.ops[i].version.as_deref().and_then(expected_version);
        let base = self.base.clone();
        let patch_ops = || patch::parse_request(&data).map_err(patch_error);
        Ok(match (method, endpoint) {
            (Method::Post, Endpoint::Users) => {
                Change::CreateUser(resources::read_user(&data, None)?)
            }
            (Method::Post, Endpoint::Groups) => Change::CreateGroup(resources::read_group(&data)?),
            (Method::Put | Method::Patch, Endpoint::Users) => {
                let ops = if method == Method::Patch {
                    Some(patch_ops()?)
                } else {
                    None
                };
                Change::UpdateUser {
                    id,
                    expected,
                    next: Box::new(next_user(base, data, ops)),
                }
            }
            (Method::Patch, Endpoint::Groups) => {
                let ops = patch_ops()?;
                match patch::member_delta(&ops) {
                    Some(delta) => Change::GroupMembers {
                        id,
                        expected,
                        delta,
                    },
                    None => Change::UpdateGroup {
                        id,
                        expected,
                        next: Box::new(next_group(base, data, Some(ops))),
                    },
                }
            }
            (Method::Put, Endpoint::Groups) => Change::UpdateGroup {
                id,
                expected,
                next: Box::new(next_group(base, data, None)),
            },
            (Method::Delete, Endpoint::Users) => Change::DeleteUser { id, expected },
            (Method::Delete, Endpoint::Groups) => Change::DeleteGroup { id, expected },
        })
    }

    fn location(&self, endpoint: Option<Endpoint>, id: &str) -> Option<String> {
        endpoint.map(|e| format!("{}/{}/{id}", self.base, e.name()))
    }

    /// The answer for operation `i`.
    fn answer(&self, i: usize, outcome: &AppResult<Changed>) -> Value {
        let op = &self.ops[i];
        let mut out = Map::new();
        let method = op
            .method
            .map(Method::name)
            .unwrap_or(op.method_text.as_str());
        out.insert("method".into(), json!(method));
        if let Some(b) = &op.bulk_id {
            out.insert("bulkId".into(), json!(b));
        }
        let target = op
            .target
            .as_deref()
            .filter(|t| !t.starts_with(BULK_REF))
            .map(str::to_string);
        match outcome {
            Ok(changed) => {
                let (id, version) = match changed {
                    Changed::User(u) => (Some(u.id.clone()), Some(u.version)),
                    Changed::Group(g) => (Some(g.id.clone()), Some(g.version)),
                    Changed::Deleted => (target, None),
                };
                if let Some(loc) = id.and_then(|id| self.location(op.endpoint, &id)) {
                    out.insert("location".into(), json!(loc));
                }
                if let Some(v) = version {
                    out.insert("version".into(), json!(resources::etag(v)));
                }
                let status = op.method.map(Method::success).unwrap_or(StatusCode::OK);
                out.insert("status".into(), json!(status.as_u16().to_string()));
            }
            Err(e) => {
                if let Some(loc) = target.and_then(|id| self.location(op.endpoint, &id)) {
                    out.insert("location".into(), json!(loc));
                }
                let (status, body, _) = e.scim_body();
                out.insert("status".into(), json!(status.as_u16().to_string()));
                out.insert("response".into(), body);
            }
        }
        Value::Object(out)
    }

    fn stopped(&self) -> bool {
        self.fail_on_errors.is_some_and(|n| self.errors >= n)
    }
}

impl bulk::Script for Plan {
    fn next(&mut self) -> Option<AppResult<Change>> {
        if self.stopped() {
            return None;
        }
        let i = self.order.pop_front()?;
        self.running = Some(i);
        Some(self.change(i))
    }

    fn done(&mut self, outcome: AppResult<Changed>) {
        let Some(i) = self.running.take() else {
            return;
        };
        if outcome.is_err() {
            self.errors += 1;
        }
        if let (Some(Method::Post), Some(b)) = (self.ops[i].method, self.ops[i].bulk_id.clone()) {
            if self.defined.get(&b) == Some(&i) {
                let made = match &outcome {
                    Ok(Changed::User(u)) => Made::Id(u.id.clone()),
                    Ok(Changed::Group(g)) => Made::Id(g.id.clone()),
                    _ => Made::Failed,
                };
                self.made.insert(b, made);
            }
        }
        self.results[i] = Some(self.answer(i, &outcome));
    }
}

/// The request's order, except that an operation referring to a `bulkId` created later runs
/// after the operation that creates it; operations in a circle keep their place (and fail).
fn run_order(ops: &[Op], defined: &HashMap<String, usize>) -> VecDeque<usize> {
    let mut placed = vec![false; ops.len()];
    let mut order = VecDeque::with_capacity(ops.len());
    // Each time, the first operation (in the request's order) whose references are all placed:
    // at most 1,000 × 1,000 cheap checks.
    while let Some(i) = (0..ops.len()).find(|&i| {
        !placed[i]
            && ops[i].refs.iter().all(|r| match defined.get(r) {
                Some(&j) => j == i || placed[j],
                None => true,
            })
    }) {
        placed[i] = true;
        order.push_back(i);
    }
    order.extend((0..ops.len()).filter(|i| !placed[*i]));
    order
}

/// Reads a BulkRequest: its operations and `failOnErrors`.
fn read_request(body: &Bytes) -> AppResult<(Vec<Op>, Option<usize>)> {
    if body.len() > MAX_PAYLOAD {
        return Err(too_large(body.len()));
    }
    let doc = parse_body(body)?;
    let Some(map) = doc.as_object() else {
        return Err(AppError::InvalidSyntax(
            "a bulk request is a JSON object (a BulkRequest)".into(),
        ));
    };
    if let Some(schemas) = field(map, "schemas") {
        let named = schemas
            .as_array()
            .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(REQUEST_SCHEMA)));
        if !named {
            return Err(AppError::InvalidSyntax(format!(
                "schemas must include {REQUEST_SCHEMA}"
            )));
        }
    }
    let fail_on_errors = match field(map, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
            _ => {
                return Err(AppError::InvalidValue(
                    "failOnErrors must be a whole number of at least 1".into(),
                ))
            }
        },
    };
    let Some(raw) = field(map, "Operations").and_then(Value::as_array) else {
        return Err(AppError::InvalidSyntax(
            "a bulk request needs an Operations list".into(),
        ));
    };
    if raw.len() > MAX_OPERATIONS {
        return Err(AppError::TooLarge(format!(
            "this bulk request has {} operations; at most {MAX_OPERATIONS} are accepted (maxOperations)",
            raw.len()
        )));
    }
    let mut ops: Vec<Op> = raw.iter().map(read_op).collect();
    let mut seen = HashSet::new();
    for op in &mut ops {
        if let Some(b) = &op.bulk_id {
            if !seen.insert(b.clone()) && op.refused.is_none() {
                op.refused = Some(AppError::InvalidValue(format!(
                    "bulkId '{b}' is used by an earlier operation of this request"
                )));
            }
        }
    }
    Ok((ops, fail_on_errors))
}

fn too_large(bytes: usize) -> AppError {
    AppError::TooLarge(format!(
        "the bulk request has {bytes} bytes or more; at most {MAX_PAYLOAD} are accepted (maxPayloadSize)"
    ))
}

/// `POST /Bulk`
pub async fn bulk(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    match run(&state, &auth, body).await {
        Ok(res) => res,
        Err(e) => e.into_scim_response(),
    }
}

async fn run(
    state: &AppState,
    auth: &ScimAuth,
    body: Result<Bytes, BytesRejection>,
) -> AppResult<Response> {
    let body = match body {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(too_large(MAX_PAYLOAD + 1))
        }
        Err(e) => {
            return Err(AppError::InvalidSyntax(format!(
                "the request body cannot be read: {e}"
            )))
        }
    };
    let (ops, fail_on_errors) = read_request(&body)?;
    let plan = Plan::new(base_url(state, &auth.account_id), ops, fail_on_errors);
    let done = bulk::run(
        &state.db,
        &state.mailer,
        &auth.account_id,
        &auth.actor(),
        plan,
    )
    .await?;
    tracing::info!(
        account_id = %auth.account_id,
        operations = done.ops.len(),
        errors = done.errors,
        "SCIM bulk request"
    );
    let results: Vec<Value> = done.results.into_iter().flatten().collect();
    let body = json!({ "schemas": [RESPONSE_SCHEMA], "Operations": results });
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/scim+json; charset=utf-8"),
        )],
        body.to_string(),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(v: Value) -> Vec<Op> {
        v.as_array().unwrap().iter().map(read_op).collect()
    }

    #[test]
    fn a_reference_to_a_later_post_waits_for_it_and_a_circle_keeps_its_place() {
        let ops = ops(json!([
            {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"displayName": "G", "members": [{"value": "bulkId:u"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"userName": "u"}},
            {"method": "POST", "path": "/Groups", "bulkId": "a", "data": {"displayName": "A", "members": [{"value": "bulkId:b"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "b", "data": {"displayName": "B", "members": [{"value": "bulkId:a"}]}},
            {"method": "DELETE", "path": "/Users/bulkId:u"},
        ]));
        let plan = Plan::new("http://x".into(), ops, None);
        assert_eq!(plan.order, VecDeque::from(vec![1, 0, 4, 2, 3]));
    }

    #[test]
    fn malformed_operations_are_refused_one_by_one() {
        let ops = ops(json!([
            {"method": "GET", "path": "/Users"},
            {"method": "POST", "path": "/Users", "data": {"userName": "x"}},
            {"method": "POST", "path": "/Users/123", "bulkId": "x", "data": {}},
            {"method": "PATCH", "path": "/Users"},
            {"method": "PUT", "path": "/Widgets/1", "data": {}},
            {"method": "DELETE", "path": "/Groups/9"},
        ]));
        let refused: Vec<bool> = ops.iter().map(|o| o.refused.is_some()).collect();
        assert_eq!(refused, vec![true, true, true, true, true, false]);
    }
}
