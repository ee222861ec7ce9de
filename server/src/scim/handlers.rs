//! The SCIM endpoints. Each one reads the request (tolerantly), calls `domain::provisioning`,
//! and writes the answer (strictly): `application/scim+json`, `Location` on 201, `ETag` on
//! single resources, RFC 7644 §3.12 errors.

use crate::domain::provisioning::{self as prov, ListQuery};
use crate::error::{AppError, AppResult};
use crate::filter;
use crate::scim::auth::ScimAuth;
use crate::scim::member_text::Chunks;
use crate::scim::patch;
use crate::scim::resources::{self, attribute_list, project, LIST_SCHEMA};
use crate::startup::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde_json::Value;
use std::future::Future;

/// Largest page we return (advertised as `filter.maxResults`).
pub const MAX_RESULTS: i64 = 1000;
/// Page size when the client does not say.
pub const DEFAULT_COUNT: i64 = 100;

/// An error answered in SCIM form.
pub struct Scim(AppError);

impl From<AppError> for Scim {
    fn from(e: AppError) -> Self {
        Scim(e)
    }
}

impl IntoResponse for Scim {
    fn into_response(self) -> Response {
        self.0.into_scim_response()
    }
}

type ScimResult = Result<Response, Scim>;

/// Which user or group a request touched, for the activity log (a response extension).
#[derive(Debug, Clone)]
pub struct ScimTarget {
    pub kind: &'static str,
    pub id: String,
}

/// The SCIM base URL of an account.
pub fn base_url(state: &AppState, account_id: &str) -> String {
    format!("{}/scim/account/{account_id}", state.settings.public_base())
}

/// A response of JSON text in SCIM's media type (plain JSON when the client asks only for that).
fn respond_text(status: StatusCode, headers: &HeaderMap, body: String) -> Response {
    respond_body(status, headers, Body::from(body))
}

/// [`respond_text`] with the text already a body (e.g. shared chunks).
fn respond_body(status: StatusCode, headers: &HeaderMap, body: Body) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = if accept.contains("application/json") && !accept.contains("scim+json") {
        "application/json; charset=utf-8"
    } else {
        "application/scim+json; charset=utf-8"
    };
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(media))],
        body,
    )
        .into_response()
}

pub(crate) fn parse_body(body: &Bytes) -> AppResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::InvalidSyntax(
            "the request body is empty; send a JSON object".into(),
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| AppError::InvalidSyntax(format!("the request body is not valid JSON: {e}")))
}

/// `If-Match`: `*` or a list of (weak) ETags, which are our versions.
fn if_match(headers: &HeaderMap) -> Option<prov::Expected> {
    expected_version(headers.get(header::IF_MATCH)?.to_str().ok()?)
}

/// What a list of ETags (`If-Match`, a bulk operation's `version`) expects.
pub(crate) fn expected_version(tags: &str) -> Option<prov::Expected> {
    let tags = tags.split(',').map(str::trim);
    if tags.clone().any(|t| t == "*") {
        return Some(prov::Expected::Any);
    }
    Some(prov::Expected::OneOf(
        tags.filter_map(|t| t.trim_start_matches("W/").trim_matches('"').parse().ok())
            .collect(),
    ))
}

/// Paging, sorting, filtering and projection, from a query string or a SearchRequest body.
#[derive(Debug, Default)]
pub struct ListParams {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
    sort_by: Option<String>,
    sort_order: Option<String>,
    attributes: Vec<String>,
    excluded: Vec<String>,
}

impl ListParams {
    fn from_query(query: Option<&str>) -> Self {
        let mut p = ListParams::default();
        for (k, v) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            let v = v.into_owned();
            match k.to_ascii_lowercase().as_str() {
                "filter" => p.filter = Some(v),
                "startindex" => p.start_index = Some(v),
                "count" => p.count = Some(v),
                "sortby" => p.sort_by = Some(v),
                "sortorder" => p.sort_order = Some(v),
                "attributes" => p.attributes.extend(attribute_list(Some(&v))),
                "excludedattributes" => p.excluded.extend(attribute_list(Some(&v))),
                _ => {}
            }
        }
        p
    }

    fn from_search(body: &Value) -> AppResult<Self> {
        let obj = body.as_object().ok_or_else(|| {
            AppError::InvalidSyntax("a SearchRequest must be a JSON object".into())
        })?;
        let text = |k: &str| {
            patch::get_ci(obj, k).and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let list = |k: &str| match patch::get_ci(obj, k) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            Some(Value::String(s)) => attribute_list(Some(s)),
            _ => Vec::new(),
        };
        Ok(ListParams {
            filter: text("filter"),
            start_index: text("startIndex"),
            count: text("count"),
            sort_by: text("sortBy"),
            sort_order: text("sortOrder"),
            attributes: list("attributes"),
            excluded: list("excludedAttributes"),
        })
    }

    fn query(&self) -> AppResult<ListQuery> {
        let number = |name: &str, v: &Option<String>| -> AppResult<Option<i64>> {
            v.as_deref()
                .map(|s| {
                    s.trim().parse::<i64>().map_err(|_| {
                        AppError::InvalidValue(format!("{name} must be an integer, not '{s}'"))
                    })
                })
                .transpose()
        };
        let filter = match self
            .filter
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
        {
            Some(f) => Some(
                filter::parse_filter(f)
                    .map_err(|e| AppError::InvalidFilter(format!("filter: {e}")))?,
            ),
            None => None,
        };
        let sort_by = match self
            .sort_by
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(s) => Some(
                filter::parse_path(s)
                    .ok()
                    .filter(|p| p.filter.is_none())
                    .map(|p| p.attr)
                    .ok_or_else(|| {
                        AppError::InvalidValue(format!("sortBy '{s}' is not an attribute path"))
                    })?,
            ),
            None => None,
        };
        let descending = match self
            .sort_order
            .as_deref()
            .map(|s| s.trim().to_ascii_lowercase())
        {
            None => false,
            Some(s) if s.is_empty() || s == "ascending" => false,
            Some(s) if s == "descending" => true,
            Some(s) => {
                return Err(AppError::InvalidValue(format!(
                    "sortOrder must be ascending or descending, not '{s}'"
                )))
            }
        };
        Ok(ListQuery {
            filter,
            sort_by,
            descending,
            // RFC 7644 §3.4.2.4: values below 1 mean 1; negative counts mean 0; we cap at MAX_RESULTS.
            start_index: number("startIndex", &self.start_index)?.unwrap_or(1).max(1),
            count: number("count", &self.count)?
                .unwrap_or(DEFAULT_COUNT)
                .clamp(0, MAX_RESULTS),
        })
    }

    /// `members.display` is returned only when named in `attributes`.
    fn wants_display(&self) -> bool {
        self.attributes
            .iter()
            .any(|a| a.to_ascii_lowercase().ends_with("members.display"))
    }

    /// How much of a group's membership the answer shows.
    fn members(&self) -> prov::Members {
        if !self.wants_members() {
            prov::Members::Omitted
        } else if self.wants_display() {
            prov::Members::WithEmails
        } else {
            prov::Members::Ids
        }
    }

    fn wants_members(&self) -> bool {
        let named = |list: &[String]| {
            list.iter().any(|a| {
                a.to_ascii_lowercase()
                    .trim_start_matches("urn:ietf:params:scim:schemas:core:2.0:group:")
                    .starts_with("members")
            })
        };
        !named(&self.excluded) && (self.attributes.is_empty() || named(&self.attributes))
    }
}

/// A ListResponse written as JSON text, resource after resource (each by
/// [`ScimKind::write_text`]: no JSON value per resource on the way); the keys in the order
/// serde_json prints a map in.
struct ListText {
    out: Vec<u8>,
    items: usize,
}

impl ListText {
    fn new(expected: usize) -> Self {
        let mut out = Vec::with_capacity(256 + expected * 640);
        out.extend_from_slice(b"{\"Resources\":[");
        ListText { out, items: 0 }
    }

    /// Appends one resource of kind `K`.
    fn push<K: ScimKind>(&mut self, r: &K::Record, base: &str, p: &ListParams) {
        if self.items > 0 {
            self.out.push(b',');
        }
        self.items += 1;
        K::write_text(r, base, p, &mut self.out);
    }

    fn respond(mut self, headers: &HeaderMap, total: i64, start_index: i64) -> Response {
        self.out.extend_from_slice(
            format!(
                "],\"itemsPerPage\":{},\"schemas\":[\"{LIST_SCHEMA}\"],\"startIndex\":{start_index},\"totalResults\":{total}}}",
                self.items
            )
            .as_bytes(),
        );
        // Only JSON text was written.
        let body = String::from_utf8(self.out).unwrap_or_default();
        respond_text(StatusCode::OK, headers, body)
    }
}

fn projected(mut doc: Value, p: &ListParams) -> Value {
    project(&mut doc, &p.attributes, &p.excluded);
    doc
}

// ---------------------------------------------------------------------------------------------
// Users and Groups: one set of endpoints, the differences in `ScimKind`.

pub(crate) fn patch_error(e: patch::PatchError) -> AppError {
    e.into()
}

/// What differs between the Users and Groups endpoints.
pub trait ScimKind: Send + Sync + 'static {
    type Record: Send + Sync;
    /// `User` or `Group` (resourceType, activity log).
    const NAME: &'static str;
    /// `Users` or `Groups` (the endpoint, in locations).
    const ENDPOINT: &'static str;
    fn id(r: &Self::Record) -> &str;
    fn version(r: &Self::Record) -> i64;
    fn render(r: &Self::Record, base: &str, p: &ListParams) -> Value;
    /// One resource's JSON text, projected by `p`.
    fn render_text(r: &Self::Record, base: &str, p: &ListParams) -> String {
        let mut out = Vec::new();
        Self::write_text(r, base, p, &mut out);
        // Only JSON text was written.
        String::from_utf8(out).unwrap_or_default()
    }
    /// [`Self::render_text`] as the chunks of one response (a large group's members are kept
    /// between requests and shared, not copied).
    fn render_chunks(r: &Self::Record, base: &str, p: &ListParams) -> Vec<Bytes> {
        vec![Bytes::from(Self::render_text(r, base, p))]
    }
    /// [`Self::render_text`] appended to `out` (a page writes its resources one after another).
    fn write_text(r: &Self::Record, base: &str, p: &ListParams, out: &mut Vec<u8>) {
        out.extend_from_slice(Self::render(r, base, p).to_string().as_bytes());
    }
    fn list(
        state: &AppState,
        account: &str,
        q: &ListQuery,
        p: &ListParams,
    ) -> impl Future<Output = AppResult<prov::Page<Self::Record>>> + Send;
    /// One resource, with what of it `p` asks for.
    fn get(
        state: &AppState,
        account: &str,
        id: &str,
        p: &ListParams,
    ) -> impl Future<Output = AppResult<Self::Record>> + Send;
    fn create(
        state: &AppState,
        auth: &ScimAuth,
        doc: Value,
    ) -> impl Future<Output = AppResult<Self::Record>> + Send;
    /// PUT (`ops` is `None`, `doc` is the new resource) or PATCH (`ops` applied to the stored one).
    fn update(
        state: &AppState,
        auth: &ScimAuth,
        id: &str,
        if_match: Option<prov::Expected>,
        doc: Value,
        ops: Option<Vec<patch::Operation>>,
    ) -> impl Future<Output = AppResult<Self::Record>> + Send;
    fn delete(
        state: &AppState,
        auth: &ScimAuth,
        id: &str,
        if_match: Option<prov::Expected>,
    ) -> impl Future<Output = AppResult<()>> + Send;
    /// PATCH: the resource after `ops`, as the answer shows it.
    fn patch(
        state: &AppState,
        auth: &ScimAuth,
        id: &str,
        if_match: Option<prov::Expected>,
        ops: Vec<patch::Operation>,
        p: &ListParams,
    ) -> impl Future<Output = AppResult<Patched<Self::Record>>> + Send {
        let _ = p;
        async move {
            Self::update(state, auth, id, if_match, Value::Null, Some(ops))
                .await
                .map(Patched::Whole)
        }
    }
}

/// What a PATCH answers with.
pub enum Patched<R> {
    /// The resource (200).
    Whole(R),
    /// Only its new version (204 with `ETag`): a group whose membership is too large to send
    /// back for a change of a few members.
    Version { id: String, version: i64 },
}

/// Members a PATCH answer includes; a larger group is answered 204 (RFC 7644 §3.5.2 allows
/// it) rather than with every member for a one-member change.
pub const PATCH_ANSWER_MEMBERS: i64 = 1000;

pub struct Users;
pub struct Groups;

/// A user's next state from a PUT body (`ops` is `None`) or from PATCH operations applied to
/// the stored user (`base` renders it).
pub(crate) fn next_user(
    base: String,
    doc: Value,
    ops: Option<Vec<patch::Operation>>,
) -> impl FnOnce(&prov::UserRecord) -> AppResult<prov::UserState> + Send + 'static {
    move |cur| match &ops {
        None => resources::read_user(&doc, Some(cur)),
        Some(ops) => {
            let mut next = resources::render_user(cur, &base);
            patch::apply(&mut next, ops).map_err(patch_error)?;
            resources::read_user(&next, Some(cur))
        }
    }
}

/// A group's next state from a PUT body or from PATCH operations, as [`next_user`].
pub(crate) fn next_group(
    base: String,
    doc: Value,
    ops: Option<Vec<patch::Operation>>,
) -> impl FnOnce(&prov::GroupRecord) -> AppResult<prov::GroupState> + Send + 'static {
    move |cur| match &ops {
        None => resources::read_group(&doc),
        Some(ops) => {
            let mut next = resources::render_group(cur, &base, false);
            patch::apply(&mut next, ops).map_err(patch_error)?;
            resources::read_group(&next)
        }
    }
}

impl ScimKind for Users {
    type Record = prov::UserRecord;
    const NAME: &'static str = "User";
    const ENDPOINT: &'static str = "Users";
    fn id(r: &Self::Record) -> &str {
        &r.id
    }
    fn version(r: &Self::Record) -> i64 {
        r.version
    }
    fn render(r: &Self::Record, base: &str, p: &ListParams) -> Value {
        projected(resources::render_user(r, base), p)
    }
    fn write_text(r: &Self::Record, base: &str, p: &ListParams, out: &mut Vec<u8>) {
        if p.attributes.is_empty() && p.excluded.is_empty() {
            resources::user_text(r, out, base);
        } else {
            out.extend_from_slice(Self::render(r, base, p).to_string().as_bytes());
        }
    }
    async fn list(
        state: &AppState,
        account: &str,
        q: &ListQuery,
        _p: &ListParams,
    ) -> AppResult<prov::Page<Self::Record>> {
        prov::list_users(&state.db, account, q).await
    }
    async fn get(
        state: &AppState,
        account: &str,
        id: &str,
        _p: &ListParams,
    ) -> AppResult<Self::Record> {
        prov::get_user(&state.db, account, id).await
    }
    async fn create(state: &AppState, auth: &ScimAuth, doc: Value) -> AppResult<Self::Record> {
        let s = resources::read_user(&doc, None)?;
        let u =
            prov::create_user(&state.db, &state.mailer, &auth.account_id, &auth.actor(), s).await?;
        tracing::info!(account_id = %auth.account_id, user_id = %u.id, "SCIM user provisioned");
        Ok(u)
    }
    async fn update(
        state: &AppState,
        auth: &ScimAuth,
        id: &str,
        if_match: Option<prov::Expected>,
        doc: Value,
        ops: Option<Vec<patch::Operation>>,
    ) -> AppResult<Self::Record> {
        prov::update_user(
            &state.db,
            &state.mailer,
            &auth.account_id,
            &auth.actor(),
            id,
            if_match,
            next_user(base_url(state, &auth.account_id), doc, ops),
        )
        .await
    }
    async fn delete(
        state: &AppState,
        auth: &ScimAuth,
        id: &str,
        if_match: Option<prov::Expected>,
    ) -> AppResult<()> {
        prov::delete_user(&state.db, &auth.account_id, &auth.actor(), id, if_match).await
    }
}

impl ScimKind for Groups {
    type Record = prov::GroupRecord;
    const NAME: &'static str = "Group";
    const ENDPOINT: &'static str = "Groups";
    fn id(r: &Self::Record) -> &str {
        &r.id
    }
    fn version(r: &Self::Record) -> i64 {
        r.version
    }
    fn render(r: &Self::Record, base: &str, p: &ListParams) -> Value {
        projected(resources::render_group(r, base, p.wants_display()), p)
    }
    fn render_chunks(r: &Self::Record, base: &str, p: &ListParams) -> Vec<Bytes> {
        resources::group_chunks(r, base, p.wants_display(), &p.attributes, &p.excluded)
    }
    fn write_text(r: &Self::Record, base: &str, p: &ListParams, out: &mut Vec<u8>) {
        resources::write_group(r, base, p.wants_display(), &p.attributes, &p.excluded, out);
    }
    async fn list(
        state: &AppState,
        account: &str,
        q: &ListQuery,
        p: &ListParams,
    ) -> AppResult<prov::Page<Self::Record>> {
        prov::list_groups(&state.db, account, q, p.wants_members()).await
    }
    async fn get(
        state: &AppState,
        account: &str,
        id: &str,
        p: &ListParams,
    ) -> AppResult<Self::Record> {
        prov::get_group(&state.db, account, id, p.members()).await
    }
    async fn patch(
        state: &AppState,
        auth: &ScimAuth,
        id: &str,
        if_match: Option<prov::Expected>,
        ops: Vec<patch::Operation>,
        p: &ListParams,
    ) -> AppResult<Patched<Self::Record>> {
        let Some(delta) = patch::member_delta(&ops) else {
            return Self::update(state, auth, id, if_match, Value::Null, Some(ops))
                .await
                .map(Patched::Whole);
        };
        let done = prov::change_group_members(
            &state.db,
            &auth.account_id,
            &auth.actor(),
            id,
            if_match,
            delta,
        )
        .await?;
        let members = p.members();
        if members == prov::Members::Omitted {
            return Ok(Patched::Whole(done.group));
        }
        if done.member_count > PATCH_ANSWER_MEMBERS {
            return Ok(Patched::Version {
                id: done.group.id,
                version: done.group.version,
            });
        }
        Self::get(state, &auth.account_id, id, p)
            .await
            .map(Patched::Whole)
    }
    async fn create(state: &AppState, auth: &ScimAuth, doc: Value) -> AppResult<Self::Record> {
        let s = resources::read_group(&doc)?;
        prov::create_group(&state.db, &auth.account_id, &auth.actor(), s).await
    }
    async fn update(
        state: &AppState,
        auth: &ScimAuth,
        id: &str,
        if_match: Option<prov::Expected>,
        doc: Value,
        ops: Option<Vec<patch::Operation>>,
    ) -> AppResult<Self::Record> {
        prov::update_group(
            &state.db,
            &auth.account_id,
            &auth.actor(),
            id,
            if_match,
            next_group(base_url(state, &auth.account_id), doc, ops),
        )
        .await
    }
    async fn delete(
        state: &AppState,
        auth: &ScimAuth,
        id: &str,
        if_match: Option<prov::Expected>,
    ) -> AppResult<()> {
        prov::delete_group(&state.db, &auth.account_id, &auth.actor(), id, if_match).await
    }
}

async fn page<K: ScimKind>(
    state: &AppState,
    auth: &ScimAuth,
    headers: &HeaderMap,
    p: ListParams,
) -> ScimResult {
    let q = p.query()?;
    let page = K::list(state, &auth.account_id, &q, &p).await?;
    let base = base_url(state, &auth.account_id);
    let mut list = ListText::new(page.items.len());
    for r in &page.items {
        list.push::<K>(r, &base, &p);
    }
    Ok(list.respond(headers, page.total, page.start_index))
}

/// One resource in the response, projected by the request's `attributes`.
fn one<K: ScimKind>(
    state: &AppState,
    auth: &ScimAuth,
    headers: &HeaderMap,
    status: StatusCode,
    r: &K::Record,
    query: Option<&str>,
) -> Response {
    let p = ListParams::from_query(query);
    let base = base_url(state, &auth.account_id);
    let body = Body::new(Chunks::new(K::render_chunks(r, &base, &p)));
    let mut res = respond_body(status, headers, body);
    if let Ok(tag) = HeaderValue::from_str(&resources::etag(K::version(r))) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    if status == StatusCode::CREATED {
        let location = format!("{base}/{}/{}", K::ENDPOINT, K::id(r));
        if let Ok(loc) = HeaderValue::from_str(&location) {
            res.headers_mut().insert(header::LOCATION, loc);
        }
    }
    res.extensions_mut().insert(ScimTarget {
        kind: K::NAME,
        id: K::id(r).to_string(),
    });
    res
}

/// `GET /Users`, `GET /Groups`
pub async fn list<K: ScimKind>(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> ScimResult {
    page::<K>(
        &state,
        &auth,
        &headers,
        ListParams::from_query(q.as_deref()),
    )
    .await
}

/// `POST /Users/.search`, `POST /Groups/.search`
pub async fn search<K: ScimKind>(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult {
    let p = ListParams::from_search(&parse_body(&body)?)?;
    page::<K>(&state, &auth, &headers, p).await
}

/// `POST /Users`, `POST /Groups`
pub async fn create<K: ScimKind>(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult {
    let r = K::create(&state, &auth, parse_body(&body)?).await?;
    Ok(one::<K>(
        &state,
        &auth,
        &headers,
        StatusCode::CREATED,
        &r,
        q.as_deref(),
    ))
}

/// `GET /Users/{id}`, `GET /Groups/{id}`
pub async fn get<K: ScimKind>(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
    Path((_, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> ScimResult {
    let r = K::get(
        &state,
        &auth.account_id,
        &id,
        &ListParams::from_query(q.as_deref()),
    )
    .await?;
    Ok(one::<K>(
        &state,
        &auth,
        &headers,
        StatusCode::OK,
        &r,
        q.as_deref(),
    ))
}

/// `PUT /Users/{id}`, `PUT /Groups/{id}`: the body replaces the resource.
pub async fn replace<K: ScimKind>(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
    Path((_, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult {
    let doc = parse_body(&body)?;
    let r = K::update(&state, &auth, &id, if_match(&headers), doc, None).await?;
    Ok(one::<K>(
        &state,
        &auth,
        &headers,
        StatusCode::OK,
        &r,
        q.as_deref(),
    ))
}

/// `PATCH /Users/{id}`, `PATCH /Groups/{id}`: all operations or none.
pub async fn modify<K: ScimKind>(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
    Path((_, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult {
    let ops = patch::parse_request(&parse_body(&body)?).map_err(patch_error)?;
    let p = ListParams::from_query(q.as_deref());
    match K::patch(&state, &auth, &id, if_match(&headers), ops, &p).await? {
        Patched::Whole(r) => Ok(one::<K>(
            &state,
            &auth,
            &headers,
            StatusCode::OK,
            &r,
            q.as_deref(),
        )),
        Patched::Version { id, version } => {
            let mut res = StatusCode::NO_CONTENT.into_response();
            if let Ok(tag) = HeaderValue::from_str(&resources::etag(version)) {
                res.headers_mut().insert(header::ETAG, tag);
            }
            res.extensions_mut()
                .insert(ScimTarget { kind: K::NAME, id });
            Ok(res)
        }
    }
}

/// `DELETE /Users/{id}`, `DELETE /Groups/{id}`
pub async fn delete<K: ScimKind>(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
    Path((_, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> ScimResult {
    K::delete(&state, &auth, &id, if_match(&headers)).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.extensions_mut()
        .insert(ScimTarget { kind: K::NAME, id });
    Ok(res)
}

// ---------------------------------------------------------------------------------------------
// Root search and unknown endpoints

/// `POST /.search`: Users then Groups, paged as one list. A filter on an attribute only one of
/// them has matches nothing of the other.
pub async fn search_all(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
    headers: HeaderMap,
    body: Bytes,
) -> ScimResult {
    let p = ListParams::from_search(&parse_body(&body)?)?;
    let q = p.query()?;
    let base = base_url(&state, &auth.account_id);
    let offset = q.start_index - 1;
    let users = prov::list_users(&state.db, &auth.account_id, &q).await;
    let users = match users {
        Ok(page) => page,
        Err(AppError::InvalidFilter(_)) => prov::Page::default(),
        Err(e) => return Err(e.into()),
    };
    let group_q = ListQuery {
        start_index: (offset - users.total).max(0) + 1,
        count: q.count - users.items.len() as i64,
        ..q.clone()
    };
    let groups = prov::list_groups(&state.db, &auth.account_id, &group_q, p.wants_members()).await;
    let groups = match groups {
        Ok(page) => page,
        Err(AppError::InvalidFilter(_)) if users.total > 0 || q.filter.is_none() => {
            prov::Page::default()
        }
        Err(e) => return Err(e.into()),
    };
    let mut list = ListText::new(users.items.len() + groups.items.len());
    for u in &users.items {
        list.push::<Users>(u, &base, &p);
    }
    for g in &groups.items {
        list.push::<Groups>(g, &base, &p);
    }
    Ok(list.respond(&headers, users.total + groups.total, q.start_index))
}

pub async fn no_such_endpoint(Path((_, rest)): Path<(String, String)>) -> ScimResult {
    Err(AppError::NotFound(format!(
        "no SCIM endpoint at '{rest}': use Users, Groups, ServiceProviderConfig, Schemas or ResourceTypes"
    ))
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_reads_star_weak_and_strong_tags() {
        let read = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::IF_MATCH, HeaderValue::from_str(v).unwrap());
            if_match(&h)
        };
        assert_eq!(if_match(&HeaderMap::new()), None);
        assert_eq!(read("*"), Some(prov::Expected::Any));
        assert_eq!(read("W/\"3\""), Some(prov::Expected::OneOf(vec![3])));
        assert_eq!(
            read("\"2\", W/\"3\""),
            Some(prov::Expected::OneOf(vec![2, 3]))
        );
        assert_eq!(read("\"abc\""), Some(prov::Expected::OneOf(vec![])));
    }
}
