//! SCIM resource representations: how a stored user or group is rendered (strict writer), and
//! how what an IdP sends is read (tolerant reader).
//!
//! We keep only first name, last name, e-mail (= `userName`), `active` and `externalId` for users;
//! `displayName`, `externalId` and members for groups. Other attributes are accepted and ignored.

use crate::domain::provisioning::{GroupRecord, GroupState, MemberRef, UserRecord, UserState};
use crate::error::{AppError, AppResult};
use crate::filter::loose_bool;
use crate::scim::member_text::MemberTexts;
use crate::scim::patch::get_ci;
use crate::vocab::UserStatus;
use axum::body::Bytes;
use serde_json::{json, Map, Value};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const SEARCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";

/// Weak ETag of a stored version.
pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// The `displayName` derived when none was sent: the name, else the e-mail, else userName.
fn derived_display(first: &str, last: &str, email: Option<&str>, user_name: &str) -> String {
    let name = format!("{first} {last}").trim().to_string();
    if name.is_empty() {
        email.unwrap_or(user_name).to_string()
    } else {
        name
    }
}

pub fn render_user(u: &UserRecord, base: &str) -> Value {
    let display = u.display_name.clone().unwrap_or_else(|| {
        derived_display(
            &u.first_name,
            &u.last_name,
            u.email.as_deref(),
            &u.user_name,
        )
    });
    let mut doc = json!({
        "schemas": [USER_SCHEMA],
        "id": u.id,
        "userName": u.user_name,
        "displayName": display,
        "active": u.status != UserStatus::Suspended,
        "meta": {
            "resourceType": "User",
            "created": u.created_at,
            "lastModified": u.updated_at,
            "location": format!("{base}/Users/{}", u.id),
            "version": etag(u.version),
        },
    });
    // Unassigned attributes are left out rather than sent empty.
    let mut name = Map::new();
    if !u.first_name.is_empty() {
        name.insert("givenName".into(), json!(u.first_name));
    }
    if !u.last_name.is_empty() {
        name.insert("familyName".into(), json!(u.last_name));
    }
    if !name.is_empty() {
        doc["name"] = Value::Object(name);
    }
    let sent: Option<Value> = u
        .emails_json
        .as_deref()
        .and_then(|j| serde_json::from_str(j).ok());
    match (sent, &u.email) {
        (Some(list @ Value::Array(_)), _) => doc["emails"] = list,
        (_, Some(email)) => {
            doc["emails"] = json!([{ "value": email, "type": "work", "primary": true }])
        }
        _ => {}
    }
    if let Some(ext) = &u.external_id {
        doc["externalId"] = json!(ext);
    }
    doc
}

/// [`render_user`] written straight as JSON text (no projection), for pages and lookups: the
/// same document — keys in the same (sorted) order — without a map per user and per nested
/// object. The stored `emails` (JSON text written by us from a value) is checked as JSON and
/// copied rather than parsed into a value and printed again.
pub fn user_text(u: &UserRecord, out: &mut Vec<u8>, base: &str) {
    let quoted = |out: &mut Vec<u8>, s: &str| {
        out.push(b'"');
        StringContent::of(s).write(out);
        out.push(b'"');
    };
    out.extend_from_slice(b"{\"active\":");
    out.extend_from_slice(if u.status != UserStatus::Suspended {
        b"true"
    } else {
        b"false"
    });
    out.extend_from_slice(b",\"displayName\":");
    match &u.display_name {
        Some(d) => quoted(out, d),
        None => quoted(
            out,
            &derived_display(
                &u.first_name,
                &u.last_name,
                u.email.as_deref(),
                &u.user_name,
            ),
        ),
    }
    let sent = u.emails_json.as_deref().filter(|j| {
        j.trim_start().starts_with('[') && serde_json::from_str::<serde::de::IgnoredAny>(j).is_ok()
    });
    match (sent, &u.email) {
        (Some(list), _) => {
            out.extend_from_slice(b",\"emails\":");
            out.extend_from_slice(list.trim().as_bytes());
        }
        (None, Some(email)) => {
            out.extend_from_slice(b",\"emails\":[{\"primary\":true,\"type\":\"work\",\"value\":");
            quoted(out, email);
            out.extend_from_slice(b"}]");
        }
        (None, None) => {}
    }
    if let Some(ext) = &u.external_id {
        out.extend_from_slice(b",\"externalId\":");
        quoted(out, ext);
    }
    out.extend_from_slice(b",\"id\":");
    quoted(out, &u.id);
    out.extend_from_slice(b",\"meta\":{\"created\":");
    quoted(out, &u.created_at);
    out.extend_from_slice(b",\"lastModified\":");
    quoted(out, &u.updated_at);
    out.extend_from_slice(b",\"location\":\"");
    StringContent::of(base).write(out);
    out.extend_from_slice(b"/Users/");
    StringContent::of(&u.id).write(out);
    out.extend_from_slice(b"\",\"resourceType\":\"User\",\"version\":\"W/\\\"");
    out.extend_from_slice(u.version.to_string().as_bytes());
    out.extend_from_slice(b"\\\"\"}");
    if !u.first_name.is_empty() || !u.last_name.is_empty() {
        out.extend_from_slice(b",\"name\":{");
        if !u.last_name.is_empty() {
            out.extend_from_slice(b"\"familyName\":");
            quoted(out, &u.last_name);
        }
        if !u.first_name.is_empty() {
            if !u.last_name.is_empty() {
                out.push(b',');
            }
            out.extend_from_slice(b"\"givenName\":");
            quoted(out, &u.first_name);
        }
        out.push(b'}');
    }
    out.extend_from_slice(b",\"schemas\":[\"");
    out.extend_from_slice(USER_SCHEMA.as_bytes());
    out.extend_from_slice(b"\"],\"userName\":");
    quoted(out, &u.user_name);
    out.push(b'}');
}

/// A group; `display` (the member's e-mail) is `returned: request`, so only when asked for.
pub fn render_group(g: &GroupRecord, base: &str, with_display: bool) -> Value {
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|m| {
            let mut member = json!({ "value": m.user_id, "type": "User", "$ref": format!("{base}/Users/{}", m.user_id) });
            if with_display {
                member["display"] = json!(m.email);
            }
            member
        })
        .collect();
    group_doc(g, base, members)
}

fn group_doc(g: &GroupRecord, base: &str, members: Vec<Value>) -> Value {
    let mut doc = json!({
        "schemas": [GROUP_SCHEMA],
        "id": g.id,
        "displayName": g.name,
        "members": members,
        "meta": {
            "resourceType": "Group",
            "created": g.created_at,
            "lastModified": g.updated_at,
            "location": format!("{base}/Groups/{}", g.id),
            "version": etag(g.version),
        },
    });
    if let Some(ext) = &g.external_id {
        doc["externalId"] = json!(ext);
    }
    doc
}

/// A group as JSON text appended to `out`, projected by `attributes` / `excludedAttributes`: what
/// `render_group` + [`project`] + `to_string` give, but with the members written straight
/// into the text. A group of 100,000 members is 17 MB; a JSON value per member first would
/// cost more than the rest of the request. Which member fields survive the projection is
/// asked of [`project`] itself, on one sample member, so the rules stay in one place.
pub fn write_group(
    g: &GroupRecord,
    base: &str,
    with_display: bool,
    attributes: &[String],
    excluded: &[String],
    out: &mut Vec<u8>,
) {
    match group_template(g, base, with_display, attributes, excluded) {
        Ok((head, pieces)) => {
            out.extend_from_slice(&head);
            write_members(&g.members, &pieces, out);
            out.extend_from_slice(b"]}");
        }
        Err(whole) => out.extend_from_slice(whole.as_bytes()),
    }
}

/// [`write_group`] as a string (the unit tests compare it with the rendered value).
#[cfg(test)]
fn group_text(
    g: &GroupRecord,
    base: &str,
    with_display: bool,
    attributes: &[String],
    excluded: &[String],
) -> String {
    let mut out = Vec::new();
    write_group(g, base, with_display, attributes, excluded, &mut out);
    String::from_utf8(out).expect("JSON text")
}

/// The text of [`write_group`] as the chunks of one response: the members of a large group come
/// from the kept texts ([`member_text`](super::member_text)), shared, not written again.
pub fn group_chunks(
    g: &GroupRecord,
    base: &str,
    with_display: bool,
    attributes: &[String],
    excluded: &[String],
) -> Vec<Bytes> {
    static TEXTS: MemberTexts<Vec<Piece>> = MemberTexts::new();
    let (head, pieces) = match group_template(g, base, with_display, attributes, excluded) {
        Ok(parts) => parts,
        Err(whole) => return vec![Bytes::from(whole)],
    };
    let members = TEXTS.text(&g.members, pieces, |pieces, out| {
        out.reserve(g.members.len() * (base.len() + 110));
        write_members(&g.members, pieces, out);
    });
    vec![Bytes::from(head), members, Bytes::from_static(b"]}")]
}

/// The member fields the projection keeps (`None`: it drops `members` altogether).
fn template_keys(
    with_display: bool,
    attributes: &[String],
    excluded: &[String],
) -> Option<Vec<String>> {
    let mut sample = json!({ "value": "", "type": "User", "$ref": "" });
    if with_display {
        sample["display"] = json!("");
    }
    let mut doc = json!({ "members": [sample] });
    project(&mut doc, attributes, excluded);
    let first = doc.get("members")?.get(0)?.as_object()?;
    Some(first.keys().cloned().collect())
}

/// The group's text up to and including `"members":[`, and the template of one member; or the
/// whole text when the projection leaves no members.
fn group_template(
    g: &GroupRecord,
    base: &str,
    with_display: bool,
    attributes: &[String],
    excluded: &[String],
) -> Result<(Vec<u8>, Vec<Piece>), String> {
    let mut doc = group_doc(g, base, vec![]);
    project(&mut doc, attributes, excluded);
    if let Some(o) = doc.as_object_mut() {
        if let Some(key) = o
            .keys()
            .find(|k| k.eq_ignore_ascii_case("members"))
            .cloned()
        {
            o.remove(&key);
        }
    }
    let head = doc.to_string();
    let Some(kept) = template_keys(with_display, attributes, excluded) else {
        return Err(head);
    };
    let mut out = Vec::with_capacity(head.len() + 16);
    out.extend_from_slice(&head.as_bytes()[..head.len().saturating_sub(1)]);
    out.extend_from_slice(if head.len() > 2 {
        b",\"members\":["
    } else {
        b"\"members\":["
    });
    Ok((out, member_pieces(base, &kept)))
}

/// Each member is the same text around its id (and e-mail): the keys, the type and the `$ref`
/// prefix are written as JSON once, into a template of literal pieces, and per member only the
/// id is copied in (ids are plain ASCII; anything else goes through the escaper).
fn member_pieces(base: &str, kept: &[String]) -> Vec<Piece> {
    let json = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut lit = String::from("{");
    for (j, key) in kept.iter().enumerate() {
        if j > 0 {
            lit.push(',');
        }
        lit.push_str(&json(key));
        lit.push(':');
        let hole = match key.as_str() {
            "type" => {
                lit.push_str(&json("User"));
                continue;
            }
            "$ref" => {
                let prefix = json(&format!("{base}/Users/"));
                lit.push_str(&prefix[..prefix.len() - 1]);
                Piece::Id
            }
            "value" => {
                lit.push('"');
                Piece::Id
            }
            _ => {
                lit.push('"');
                Piece::Email
            }
        };
        pieces.push(Piece::Lit(std::mem::replace(&mut lit, String::from("\""))));
        pieces.push(hole);
    }
    lit.push('}');
    pieces.push(Piece::Lit(lit));
    pieces
}

/// The members, comma-separated, each from the template.
fn write_members(members: &[MemberRef], pieces: &[Piece], out: &mut Vec<u8>) {
    for (i, m) in members.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let id = StringContent::of(&m.user_id);
        for piece in pieces {
            match piece {
                Piece::Lit(text) => out.extend_from_slice(text.as_bytes()),
                Piece::Id => id.write(out),
                Piece::Email => StringContent::of(&m.email).write(out),
            }
        }
    }
}

/// One piece of a member's text in [`write_group`].
#[derive(PartialEq)]
enum Piece {
    Lit(String),
    /// The user id, inside a string the literal before opened.
    Id,
    /// The e-mail (`display`), likewise.
    Email,
}

/// A value as the inside of a JSON string: itself when nothing in it needs escaping (ids), else
/// escaped.
enum StringContent<'a> {
    Plain(&'a str),
    Escaped(String),
}

/// Bytes that stand for themselves inside a JSON string: printable ASCII but `"` and `\`.
static PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 0x7f {
        t[b] = b != b'"' as usize && b != b'\\' as usize;
        b += 1;
    }
    t
};

impl<'a> StringContent<'a> {
    fn of(s: &'a str) -> Self {
        if s.bytes().all(|b| PLAIN[usize::from(b)]) {
            StringContent::Plain(s)
        } else {
            let quoted = serde_json::to_string(s).unwrap_or_default();
            StringContent::Escaped(quoted[1..quoted.len().max(2) - 1].to_string())
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(match self {
            StringContent::Plain(s) => s.as_bytes(),
            StringContent::Escaped(s) => s.as_bytes(),
        });
    }
}

fn invalid(detail: impl Into<String>) -> AppError {
    AppError::InvalidValue(detail.into())
}

/// A string attribute; `""`, `null` and absence all mean "not given".
fn text(obj: &Map<String, Value>, key: &str) -> AppResult<Option<String>> {
    match get_ci(obj, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(invalid(format!("'{key}' must be a string, not {other}"))),
    }
}

/// The e-mail among `emails` (array, or OneLogin's single object): the primary one, else the
/// work one, else the first.
fn primary_email(obj: &Map<String, Value>) -> AppResult<Option<String>> {
    let list = match get_ci(obj, "emails") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(items)) => items.clone(),
        Some(single @ Value::Object(_)) => vec![single.clone()],
        Some(Value::String(s)) => vec![json!({ "value": s })],
        Some(other) => {
            return Err(invalid(format!(
                "'emails' must be a list of objects, not {other}"
            )))
        }
    };
    let value_of = |e: &Value| e.as_object().and_then(|o| text(o, "value").ok().flatten());
    let flag = |e: &Value, k: &str| {
        e.as_object()
            .and_then(|o| get_ci(o, k))
            .and_then(loose_bool)
            .unwrap_or(false)
    };
    let kind = |e: &Value| {
        e.as_object()
            .and_then(|o| text(o, "type").ok().flatten())
            .unwrap_or_default()
    };
    let chosen = list
        .iter()
        .find(|e| flag(e, "primary") && value_of(e).is_some())
        .or_else(|| {
            list.iter()
                .find(|e| kind(e).eq_ignore_ascii_case("work") && value_of(e).is_some())
        })
        .or_else(|| list.iter().find(|e| value_of(e).is_some()));
    Ok(chosen.and_then(value_of))
}

/// Reads a user document (a POST/PUT body, or the result of a PATCH) into the state we keep.
///
/// `userName` is kept as given. The e-mail is the primary (else work, else first) of `emails`,
/// or `userName` when it is an e-mail address. `current` is the stored user for PUT/PATCH: if
/// only `userName` changed and the e-mail used to follow it, the e-mail follows it again.
pub fn read_user(doc: &Value, current: Option<&UserRecord>) -> AppResult<UserState> {
    let obj = doc
        .as_object()
        .ok_or_else(|| invalid("the body must be a JSON object"))?;
    let user_name = text(obj, "userName")?
        .or_else(|| current.map(|c| c.user_name.clone()))
        .ok_or_else(|| invalid("userName is required (normally the user's e-mail address)"))?;
    let is_email = |s: &String| crate::domain::validate::email(s).is_ok();
    let listed = primary_email(obj)?;
    let mut emails = email_list(obj);
    if let Some(bad) = listed.as_ref().filter(|e| !is_email(e)) {
        return Err(invalid(format!("emails: '{bad}' is not an e-mail address")));
    }
    let from_user_name = Some(user_name.clone()).filter(is_email);
    let email = match current {
        Some(cur) => {
            let followed = cur
                .email
                .as_ref()
                .is_some_and(|e| e.eq_ignore_ascii_case(&cur.user_name));
            let user_name_changed = !user_name.eq_ignore_ascii_case(&cur.user_name);
            let list_unchanged = listed.as_ref().map(|l| l.to_lowercase())
                == cur.email.as_ref().map(|e| e.to_lowercase());
            if followed && user_name_changed && list_unchanged && from_user_name.is_some() {
                // The list named the old address: it no longer describes the user.
                emails = None;
                from_user_name
            } else {
                listed.or(from_user_name)
            }
        }
        None => listed.or(from_user_name),
    };
    let name = match get_ci(obj, "name") {
        Some(Value::Object(n)) => Some(n),
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(other) => return Err(invalid(format!("'name' must be an object, not {other}"))),
    };
    let given = name.map(|n| text(n, "givenName")).transpose()?.flatten();
    let family = name.map(|n| text(n, "familyName")).transpose()?.flatten();
    let active = match get_ci(obj, "active") {
        None | Some(Value::Null) => current
            .map(|c| c.status != UserStatus::Suspended)
            .unwrap_or(true),
        Some(Value::String(s)) if s.trim().is_empty() => current
            .map(|c| c.status != UserStatus::Suspended)
            .unwrap_or(true),
        Some(v) => loose_bool(v)
            .ok_or_else(|| invalid(format!("'active' must be true or false, not {v}")))?,
    };
    let first_name = given.unwrap_or_default();
    let last_name = family.unwrap_or_default();
    // Kept as sent; one equal to what would be derived is not stored, so that it keeps
    // following the name (a PATCH of other attributes sends back the rendered value).
    let derived = derived_display(&first_name, &last_name, email.as_deref(), &user_name);
    // The value a PATCH document carries when none was stored: also "not sent".
    let rendered = current.filter(|c| c.display_name.is_none()).map(|c| {
        derived_display(
            &c.first_name,
            &c.last_name,
            c.email.as_deref(),
            &c.user_name,
        )
    });
    let display_name = text(obj, "displayName")?
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty() && *d != derived && Some(d) != rendered.as_ref());
    Ok(UserState {
        user_name,
        email,
        first_name,
        last_name,
        active,
        external_id: text(obj, "externalId")?,
        emails,
        display_name,
    })
}

/// The `emails` list as sent, reduced to what we keep (value, type, primary); `None` if absent.
fn email_list(obj: &Map<String, Value>) -> Option<Vec<Value>> {
    let items = match get_ci(obj, "emails")? {
        Value::Array(items) => items.clone(),
        single @ Value::Object(_) => vec![single.clone()],
        _ => return None,
    };
    let kept: Vec<Value> = items
        .iter()
        .filter_map(Value::as_object)
        .filter_map(|e| {
            let value = text(e, "value").ok().flatten()?;
            let mut out = Map::new();
            out.insert("value".into(), json!(value));
            if let Some(kind) = text(e, "type").ok().flatten() {
                out.insert("type".into(), json!(kind));
            }
            if let Some(primary) = get_ci(e, "primary").and_then(loose_bool) {
                out.insert("primary".into(), json!(primary));
            }
            Some(Value::Object(out))
        })
        .collect();
    (!kept.is_empty()).then_some(kept)
}

/// Reads a group document into the state we keep; member ids are checked by the domain.
pub fn read_group(doc: &Value) -> AppResult<GroupState> {
    let obj = doc
        .as_object()
        .ok_or_else(|| invalid("the body must be a JSON object"))?;
    let name = text(obj, "displayName")?.ok_or_else(|| invalid("displayName is required"))?;
    let members = match get_ci(obj, "members") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.iter().map(member_id).collect::<AppResult<Vec<_>>>()?,
        Some(single @ Value::Object(_)) => vec![member_id(single)?],
        Some(other) => return Err(invalid(format!("'members' must be a list, not {other}"))),
    };
    Ok(GroupState {
        name,
        external_id: text(obj, "externalId")?,
        members,
    })
}

fn member_id(m: &Value) -> AppResult<String> {
    match m {
        Value::Object(o) => {
            text(o, "value")?.ok_or_else(|| invalid("a member has no 'value' (the user's id)"))
        }
        Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        other => Err(invalid(format!(
            "a member must be an object with a 'value', not {other}"
        ))),
    }
}

/// Applies `attributes` / `excludedAttributes` (comma-separated, case-insensitive, optionally
/// URN-qualified) to a rendered resource. `id` and `schemas` are always returned.
pub fn project(doc: &mut Value, attributes: &[String], excluded: &[String]) {
    let Some(obj) = doc.as_object_mut() else {
        return;
    };
    let strip = |a: &String| {
        let lower = a.trim().to_ascii_lowercase();
        for urn in [USER_SCHEMA, GROUP_SCHEMA] {
            let prefix = format!("{}:", urn.to_ascii_lowercase());
            if let Some(rest) = lower.strip_prefix(&prefix) {
                return rest.to_string();
            }
        }
        lower
    };
    let always = |k: &str| k.eq_ignore_ascii_case("id") || k.eq_ignore_ascii_case("schemas");
    if !attributes.is_empty() {
        let wanted: Vec<String> = attributes.iter().map(strip).collect();
        obj.retain(|k, v| {
            let key = k.to_ascii_lowercase();
            if always(k) || wanted.contains(&key) {
                return true;
            }
            let subs: Vec<&str> = wanted
                .iter()
                .filter_map(|w| w.strip_prefix(&format!("{key}.")))
                .collect();
            if subs.is_empty() {
                return false;
            }
            match v {
                Value::Object(inner) => {
                    inner.retain(|s, _| subs.iter().any(|w| s.eq_ignore_ascii_case(w)))
                }
                Value::Array(items) => {
                    for item in items.iter_mut().filter_map(Value::as_object_mut) {
                        item.retain(|s, _| subs.iter().any(|w| s.eq_ignore_ascii_case(w)));
                    }
                }
                _ => {}
            }
            true
        });
    }
    for ex in excluded.iter().map(strip) {
        match ex.split_once('.') {
            None => obj.retain(|k, _| always(k) || !k.eq_ignore_ascii_case(&ex)),
            Some((attr, sub)) => {
                if let Some(v) = obj
                    .iter_mut()
                    .find(|(k, _)| k.eq_ignore_ascii_case(attr))
                    .map(|(_, v)| v)
                {
                    match v {
                        Value::Object(inner) => inner.retain(|s, _| !s.eq_ignore_ascii_case(sub)),
                        Value::Array(items) => {
                            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                                item.retain(|s, _| !s.eq_ignore_ascii_case(sub));
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
}

/// Splits a comma-separated attribute list.
pub fn attribute_list(s: Option<&str>) -> Vec<String> {
    s.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `user_text` is `render_user` printed: the same text, byte for byte, for users with
    /// and without names, e-mails, external ids, stored e-mail lists, and text that needs
    /// escaping.
    #[test]
    fn user_text_is_the_rendering_printed() {
        let base = "https://h.example/scim/account/a\"1";
        let mut users = vec![current()];
        let mut u = current();
        u.first_name = String::new();
        u.email = None;
        u.external_id = Some("ext \"7\"\u{1}é".into());
        u.status = crate::vocab::UserStatus::Suspended;
        users.push(u);
        let mut u = current();
        u.last_name = String::new();
        u.display_name = Some("Lady \\ Ada".into());
        u.emails_json = Some(
            r#"[{"primary":true,"type":"home","value":"a@h.example"},{"value":"b@x"}]"#.into(),
        );
        users.push(u);
        let mut u = current();
        u.first_name = String::new();
        u.last_name = String::new();
        u.emails_json = Some("not json".into());
        users.push(u);
        for u in users {
            let mut out = Vec::new();
            user_text(&u, &mut out, base);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                render_user(&u, base).to_string()
            );
        }
    }

    /// `group_text` writes members from a template; it must say exactly what rendering the
    /// JSON value and projecting it says, for plain ids and ones that need escaping.
    #[test]
    fn group_text_is_the_projected_rendering() {
        let member = |id: &str, email: &str| crate::domain::provisioning::MemberRef {
            user_id: id.into(),
            email: email.into(),
        };
        let g = GroupRecord {
            id: "g1".into(),
            name: "Eng \"core\"".into(),
            builtin: None,
            source: crate::vocab::Source::Idp,
            external_id: Some("x".into()),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-02T00:00:00.000Z".into(),
            version: 3,
            members: vec![
                member("0190-aa", "a@example.com"),
                member("we\"ird\\id\u{1}é", "b\"q@example.com"),
                member("0190-cc", ""),
            ]
            .into(),
        };
        let base = "https://h.example/scim/account/a\"1";
        let cases: [(&[&str], &[&str], bool); 6] = [
            (&[], &[], false),
            (&[], &[], true),
            (&["members.display"], &[], true),
            (&["members.value", "displayName"], &[], false),
            (&[], &["members.$ref"], false),
            (&[], &["members"], false),
        ];
        for (attributes, excluded, display) in cases {
            let attributes: Vec<String> = attributes.iter().map(|a| a.to_string()).collect();
            let excluded: Vec<String> = excluded.iter().map(|a| a.to_string()).collect();
            let mut want = render_group(&g, base, display);
            project(&mut want, &attributes, &excluded);
            let text = group_text(&g, base, display, &attributes, &excluded);
            let got: Value = serde_json::from_str(&text).expect("valid JSON");
            assert_eq!(got, want, "{attributes:?} {excluded:?} {display}");
            let chunks = group_chunks(&g, base, display, &attributes, &excluded).concat();
            assert_eq!(
                chunks,
                text.as_bytes(),
                "{attributes:?} {excluded:?} {display}"
            );
        }
    }

    /// A large group's members come from the kept text: the same bytes as written afresh, for
    /// each projection, twice (the second time from the entry), and a changed list (a new
    /// version) is never answered with the old text.
    #[test]
    fn a_large_groups_chunks_are_its_text_and_follow_a_new_member_list() {
        let members = |n: usize, tag: &str| -> std::sync::Arc<[MemberRef]> {
            (0..n)
                .map(|i| MemberRef {
                    user_id: format!("{tag}-{i:05}"),
                    email: format!("{tag}{i}@example.com"),
                })
                .collect()
        };
        let mut g = GroupRecord {
            id: "big".into(),
            name: "Big".into(),
            builtin: None,
            source: crate::vocab::Source::Idp,
            external_id: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-02T00:00:00.000Z".into(),
            version: 1,
            members: members(crate::scim::member_text::MIN_MEMBERS + 7, "a"),
        };
        let base = "https://h.example/scim/account/a1";
        let projections: [(&[&str], bool); 3] =
            [(&[], false), (&[], true), (&["members.value"], false)];
        for (attributes, display) in projections {
            let attributes: Vec<String> = attributes.iter().map(|a| a.to_string()).collect();
            for _ in 0..2 {
                let text = group_text(&g, base, display, &attributes, &[]);
                let chunks = group_chunks(&g, base, display, &attributes, &[]).concat();
                assert_eq!(chunks, text.as_bytes(), "{attributes:?} {display}");
            }
        }
        g.members = members(crate::scim::member_text::MIN_MEMBERS + 7, "b");
        g.version = 2;
        let chunks = group_chunks(&g, base, false, &[], &[]).concat();
        let text = String::from_utf8(chunks).expect("UTF-8");
        assert!(text.contains("\"b-00000\""), "the new list's members");
        assert!(!text.contains("\"a-00000\""), "nothing of the old list");
    }

    fn current() -> UserRecord {
        UserRecord {
            id: "u1".into(),
            user_name: "ada@example.com".into(),
            email: Some("ada@example.com".into()),
            first_name: "Ada".into(),
            last_name: "Lovelace".into(),
            status: crate::vocab::UserStatus::Active,
            source: crate::vocab::Source::Idp,
            external_id: None,
            emails_json: None,
            display_name: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
            version: 3,
        }
    }

    #[test]
    fn onelogin_enterprise_body_with_quirks() {
        let body = json!({
            "schemas": ["urn:scim:schemas:core:1.0"],
            "id": null,
            "meta": {"created": "whatever"},
            "userName": "Ada@Example.com",
            "name": {"givenName": "Ada", "familyName": ""},
            "emails": {"value": "Ada@Example.com", "primary": "true"},
            "active": "True",
            "externalId": "",
            "title": "Countess"
        });
        let s = read_user(&body, None).unwrap();
        assert_eq!(s.user_name, "Ada@Example.com");
        assert_eq!(s.email.as_deref(), Some("Ada@Example.com"));
        assert_eq!(s.first_name, "Ada");
        assert_eq!(s.last_name, "");
        assert!(s.active);
        assert_eq!(s.external_id, None);
    }

    #[test]
    fn email_follows_user_name_or_emails() {
        let cur = current();
        // OneLogin PUT / PATCH of userName alone: the e-mail follows it.
        let by_user_name = json!({"userName": "ada@new.example", "emails": [{"value": "ada@example.com", "primary": true}]});
        let s = read_user(&by_user_name, Some(&cur)).unwrap();
        assert_eq!(
            (s.user_name.as_str(), s.email.as_deref()),
            ("ada@new.example", Some("ada@new.example"))
        );
        // Entra: the work e-mail changes, the UPN stays.
        let by_emails = json!({"userName": "ada@example.com", "emails": [{"value": "countess@example.com", "type": "work"}]});
        let s = read_user(&by_emails, Some(&cur)).unwrap();
        assert_eq!(
            (s.user_name.as_str(), s.email.as_deref()),
            ("ada@example.com", Some("countess@example.com"))
        );
        // A userName that is not an e-mail, with a mailbox in emails.
        let upn = json!({"userName": "ada_upn", "emails": [{"value": "ADA@example.com"}]});
        let s = read_user(&upn, None).unwrap();
        assert_eq!(
            (s.user_name.as_str(), s.email.as_deref()),
            ("ada_upn", Some("ADA@example.com"))
        );
        // No e-mail at all is accepted (no invite can be sent until one arrives).
        assert_eq!(
            read_user(&json!({"userName": "ada_upn"}), None)
                .unwrap()
                .email,
            None
        );
    }

    #[test]
    fn bad_values_are_invalid_value_errors() {
        for body in [
            json!({}),
            json!({"userName": "a@example.com", "emails": [{"value": "not an address"}]}),
            json!({"userName": "a@example.com", "active": "maybe"}),
            json!({"userName": "a@example.com", "name": 5}),
        ] {
            match read_user(&body, None) {
                Err(AppError::InvalidValue(_)) => {}
                other => panic!("{body}: {other:?}"),
            }
        }
    }

    #[test]
    fn projection() {
        let mut doc = render_user(&current(), "http://x/scim/account/a");
        project(
            &mut doc,
            &attribute_list(Some("userName,name.givenName")),
            &[],
        );
        let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 4, "id, schemas, userName, name: {doc}");
        assert_eq!(doc["name"], json!({"givenName": "Ada"}));
        let mut doc = render_user(&current(), "http://x");
        project(&mut doc, &[], &attribute_list(Some("emails, meta, id")));
        assert!(
            doc.get("emails").is_none() && doc.get("meta").is_none() && doc.get("id").is_some()
        );
    }

    #[test]
    fn rendered_users_have_meta_and_string_free_booleans() {
        let mut cur = current();
        cur.status = crate::vocab::UserStatus::Suspended;
        let doc = render_user(&cur, "http://h/scim/account/a");
        assert_eq!(doc["active"], json!(false));
        assert_eq!(doc["meta"]["location"], "http://h/scim/account/a/Users/u1");
        assert_eq!(doc["meta"]["version"], "W/\"3\"");
        assert!(doc.get("externalId").is_none());
        cur.first_name.clear();
        cur.last_name.clear();
        cur.email = None;
        let doc = render_user(&cur, "http://h");
        assert!(
            doc.get("name").is_none() && doc.get("emails").is_none(),
            "unassigned attributes are omitted: {doc}"
        );
    }
}
