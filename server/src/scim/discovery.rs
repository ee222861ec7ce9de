//! Discovery endpoints (RFC 7644 §4): they say exactly what we support and advertise only the
//! attributes we keep.

use crate::error::AppError;
use crate::scim::auth::ScimAuth;
use crate::scim::handlers::{base_url, MAX_RESULTS};
use crate::scim::resources::{GROUP_SCHEMA, LIST_SCHEMA, USER_SCHEMA};
use crate::startup::AppState;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use http::{header, HeaderValue, StatusCode};
use serde_json::{json, Value};

fn scim_json(body: Value) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/scim+json; charset=utf-8"),
        )],
        body.to_string(),
    )
        .into_response()
}

pub async fn service_provider_config(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
) -> Response {
    let base = base_url(&state, &auth.account_id);
    scim_json(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "documentationUri": format!("{}/scim", state.settings.public_base()),
        "patch": { "supported": true },
        "bulk": {
            "supported": true,
            "maxOperations": crate::scim::bulk::MAX_OPERATIONS,
            "maxPayloadSize": crate::scim::bulk::MAX_PAYLOAD,
        },
        "filter": { "supported": true, "maxResults": MAX_RESULTS },
        "changePassword": { "supported": false },
        "sort": { "supported": true },
        "etag": { "supported": true },
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "API key (Bearer)",
            "description": "Authorization: Bearer <API key>; the key must inherit the Account Administrator group.",
            "primary": true
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        }
    }))
}

fn attr(
    name: &str,
    kind: &str,
    required: bool,
    mutability: &str,
    uniqueness: &str,
    case_exact: bool,
    description: &str,
) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "description": description, "required": required,
        "caseExact": case_exact, "mutability": mutability, "returned": "default", "uniqueness": uniqueness
    })
}

fn user_schema(base: &str) -> Value {
    let mut name = attr(
        "name",
        "complex",
        false,
        "readWrite",
        "none",
        false,
        "The user's name.",
    );
    name["subAttributes"] = json!([
        attr(
            "givenName",
            "string",
            false,
            "readWrite",
            "none",
            false,
            "First name."
        ),
        attr(
            "familyName",
            "string",
            false,
            "readWrite",
            "none",
            false,
            "Last name."
        ),
    ]);
    let mut emails = attr(
        "emails",
        "complex",
        false,
        "readWrite",
        "none",
        false,
        "E-mail addresses, kept as sent. The primary one (else the work one, else the first; \
         without emails, userName when it is an e-mail address) is where invites go and what the user logs in with.",
    );
    emails["multiValued"] = json!(true);
    let mut kind = attr(
        "type",
        "string",
        false,
        "readWrite",
        "none",
        false,
        "A label such as work or home.",
    );
    kind["canonicalValues"] = json!(["work", "home", "other"]);
    emails["subAttributes"] = json!([
        attr(
            "value",
            "string",
            false,
            "readWrite",
            "none",
            false,
            "E-mail address."
        ),
        kind,
        attr(
            "primary",
            "boolean",
            false,
            "readWrite",
            "none",
            false,
            "The address Rollcall uses."
        ),
    ]);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A Rollcall user. Only userName, first and last name, e-mails, active and externalId are kept; \
                        other attributes are accepted and ignored.",
        "attributes": [
            attr("userName", "string", true, "readWrite", "server", false, "Normally the user's e-mail address; unique per account (case-insensitive)."),
            name,
            attr("displayName", "string", false, "readOnly", "none", false, "First and last name, or the e-mail."),
            emails,
            attr(
                "active",
                "boolean",
                true,
                "readWrite",
                "none",
                false,
                "Always returned. false suspends the user (kept, cannot log in, sessions ended); true restores. \
                 Omitted on create, it means true.",
            ),
            attr("externalId", "string", false, "readWrite", "none", true, "The identity provider's id for the user."),
        ],
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{USER_SCHEMA}") }
    })
}

fn group_schema(base: &str) -> Value {
    let mut members = attr(
        "members",
        "complex",
        false,
        "readWrite",
        "none",
        false,
        "The group's users.",
    );
    members["multiValued"] = json!(true);
    let mut kind = attr(
        "type",
        "string",
        false,
        "immutable",
        "none",
        true,
        "Always 'User'.",
    );
    kind["canonicalValues"] = json!(["User"]);
    let mut reference = attr(
        "$ref",
        "reference",
        false,
        "immutable",
        "none",
        true,
        "The user's SCIM URL.",
    );
    reference["referenceTypes"] = json!(["User"]);
    let mut display = attr(
        "display",
        "string",
        false,
        "readOnly",
        "none",
        false,
        "The member's e-mail; returned when requested (attributes=members.display).",
    );
    display["returned"] = json!("request");
    members["subAttributes"] = json!([
        attr(
            "value",
            "string",
            false,
            "immutable",
            "none",
            true,
            "A Rollcall user id."
        ),
        display,
        kind,
        reference,
    ]);
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A Rollcall user group.",
        "attributes": [
            attr("displayName", "string", true, "readWrite", "server", false, "The group's name, unique per account (case-insensitive)."),
            members,
            attr("externalId", "string", false, "readWrite", "none", true, "The identity provider's id for the group."),
        ],
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{GROUP_SCHEMA}") }
    })
}

fn resource_types_list(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User", "name": "User", "endpoint": "/Users", "description": "Rollcall users",
            "schema": USER_SCHEMA, "schemaExtensions": [],
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User") }
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group", "name": "Group", "endpoint": "/Groups", "description": "Rollcall user groups",
            "schema": GROUP_SCHEMA, "schemaExtensions": [],
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group") }
        }),
    ]
}

fn list(items: Vec<Value>) -> Response {
    scim_json(json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": items.len(),
        "startIndex": 1,
        "itemsPerPage": items.len(),
        "Resources": items,
    }))
}

pub async fn schemas(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
) -> Response {
    let base = base_url(&state, &auth.account_id);
    list(vec![user_schema(&base), group_schema(&base)])
}

pub async fn schema(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let base = base_url(&state, &auth.account_id);
    [user_schema(&base), group_schema(&base)]
        .into_iter()
        .find(|s| {
            s["id"]
                .as_str()
                .is_some_and(|sid| sid.eq_ignore_ascii_case(&id))
        })
        .map(scim_json)
        .unwrap_or_else(|| AppError::NotFound(format!("no schema '{id}'")).into_scim_response())
}

pub async fn resource_types(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
) -> Response {
    list(resource_types_list(&base_url(&state, &auth.account_id)))
}

pub async fn resource_type(
    State(state): State<AppState>,
    Extension(auth): Extension<ScimAuth>,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    resource_types_list(&base_url(&state, &auth.account_id))
        .into_iter()
        .find(|r| {
            r["id"]
                .as_str()
                .is_some_and(|rid| rid.eq_ignore_ascii_case(&id))
        })
        .map(scim_json)
        .unwrap_or_else(|| {
            AppError::NotFound(format!("no resource type '{id}'")).into_scim_response()
        })
}
