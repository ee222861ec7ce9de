//! The PATCH engine (RFC 7644 §3.5.2): pure, document in → document out.
//!
//! Handlers render the stored resource as its SCIM JSON, apply every operation here, and hand
//! the resulting document to the domain, which stores it in one transaction (or not at all).
//! Tolerant of what real IdPs send: op names in any case, path-less `add`/`replace` with a value
//! object (also with dotted or URN-qualified keys), value paths such as
//! `emails[type eq "work"].value`, `remove` of members by a value list (Entra's legacy form), and
//! OneLogin's SCIM 1.1 body `{"members": [{"value": …, "operation": "delete"}]}`.
//! Attribute names are matched case-insensitively, as SCIM requires.

use crate::domain::provisioning::MemberDelta;
use crate::error::AppError;
use crate::filter::{self, AttrPath, CompValue, CompareOp, Filter, PatchPath};
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Remove,
    Replace,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub op: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// A PATCH that cannot be applied; `scim_type` is the RFC 7644 §3.12 keyword.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    pub scim_type: &'static str,
    pub detail: String,
}

impl From<PatchError> for AppError {
    /// The meaning of each RFC 7644 keyword this module uses.
    fn from(e: PatchError) -> Self {
        match e.scim_type {
            "invalidPath" => AppError::InvalidPath(e.detail),
            "noTarget" => AppError::NoTarget(e.detail),
            "mutability" => AppError::ReadOnly(e.detail),
            "invalidSyntax" => AppError::InvalidSyntax(e.detail),
            "invalidFilter" => AppError::InvalidFilter(e.detail),
            _ => AppError::InvalidValue(e.detail),
        }
    }
}

fn err(scim_type: &'static str, detail: impl Into<String>) -> PatchError {
    PatchError {
        scim_type,
        detail: detail.into(),
    }
}

/// Schema URNs whose attributes live at the top level of the document.
const CORE_URNS: [&str; 4] = [
    "urn:ietf:params:scim:schemas:core:2.0:user",
    "urn:ietf:params:scim:schemas:core:2.0:group",
    "urn:scim:schemas:core:1.0",
    "urn:scim:schemas:core:2.0",
];

fn is_core_urn(urn: &str) -> bool {
    CORE_URNS.contains(&urn.to_ascii_lowercase().as_str())
}

/// Reads a PatchOp request body into operations.
pub fn parse_request(body: &Value) -> Result<Vec<Operation>, PatchError> {
    let obj = body
        .as_object()
        .ok_or_else(|| err("invalidSyntax", "the PATCH body must be a JSON object"))?;
    let ops = match get_ci(obj, "Operations") {
        Some(Value::Array(ops)) => ops,
        Some(_) => return Err(err("invalidSyntax", "'Operations' must be an array")),
        None => return legacy_members(obj),
    };
    if ops.is_empty() {
        return Err(err("invalidSyntax", "'Operations' is empty"));
    }
    ops.iter()
        .enumerate()
        .map(|(i, op)| parse_operation(i, op))
        .collect()
}

fn parse_operation(i: usize, op: &Value) -> Result<Operation, PatchError> {
    let n = i + 1;
    let obj = op
        .as_object()
        .ok_or_else(|| err("invalidSyntax", format!("operation {n} is not an object")))?;
    let kind = match get_ci(obj, "op")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("add") => OpKind::Add,
        Some("remove") => OpKind::Remove,
        Some("replace") => OpKind::Replace,
        Some(other) => {
            return Err(err(
                "invalidSyntax",
                format!("operation {n}: unknown op '{other}' (add, remove or replace)"),
            ))
        }
        None => return Err(err("invalidSyntax", format!("operation {n} has no 'op'"))),
    };
    let path = match get_ci(obj, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(
            filter::parse_path(s)
                .map_err(|e| err("invalidPath", format!("operation {n}: path '{s}': {e}")))?,
        ),
        Some(_) => {
            return Err(err(
                "invalidPath",
                format!("operation {n}: 'path' must be a string"),
            ))
        }
    };
    let value = get_ci(obj, "value").cloned();
    Ok(Operation {
        op: kind,
        path,
        value,
    })
}

/// OneLogin's SCIM 1.1 group PATCH: `{"members": [{"value": "u1"}, {"value": "u2", "operation": "delete"}]}`.
fn legacy_members(obj: &Map<String, Value>) -> Result<Vec<Operation>, PatchError> {
    let Some(Value::Array(members)) = get_ci(obj, "members") else {
        return Err(err("invalidSyntax", "the PATCH body has no 'Operations'"));
    };
    let mut ops = Vec::new();
    for m in members {
        let value = m.as_object().and_then(|o| get_ci(o, "value")).cloned();
        let Some(value) = value else {
            return Err(err("invalidValue", "a member has no 'value'"));
        };
        let delete = m
            .as_object()
            .and_then(|o| get_ci(o, "operation"))
            .and_then(Value::as_str)
            .is_some_and(|s| s.eq_ignore_ascii_case("delete"));
        let members_path = PatchPath {
            attr: attr("members", None),
            filter: None,
            sub: None,
        };
        let member = serde_json::json!([{ "value": value }]);
        ops.push(Operation {
            op: if delete { OpKind::Remove } else { OpKind::Add },
            path: Some(members_path),
            value: Some(member),
        });
    }
    Ok(ops)
}

fn attr(name: &str, sub: Option<&str>) -> AttrPath {
    AttrPath {
        urn: None,
        name: name.into(),
        sub: sub.map(Into::into),
    }
}

/// Applies `ops` in order to `doc` (a JSON object). On error `doc` may be partly changed: the
/// caller discards it, so nothing of a failed request is stored.
pub fn apply(doc: &mut Value, ops: &[Operation]) -> Result<(), PatchError> {
    for (i, op) in ops.iter().enumerate() {
        apply_one(doc, op).map_err(|e| PatchError {
            detail: format!("operation {}: {}", i + 1, e.detail),
            ..e
        })?;
    }
    Ok(())
}

fn apply_one(doc: &mut Value, op: &Operation) -> Result<(), PatchError> {
    let root = doc
        .as_object_mut()
        .ok_or_else(|| err("invalidSyntax", "the resource is not an object"))?;
    match (&op.path, op.op) {
        (None, OpKind::Remove) => Err(err("noTarget", "remove needs a 'path'")),
        (None, kind) => {
            let Some(Value::Object(values)) = &op.value else {
                return Err(err(
                    "invalidValue",
                    "without a 'path', 'value' must be an object of attributes",
                ));
            };
            for (key, value) in values {
                if key.to_ascii_lowercase().starts_with("urn:")
                    && value.is_object()
                    && !is_core_urn(key)
                {
                    // An extension's attributes as one object: merge it.
                    let slot = root
                        .entry(existing_key(root, key).unwrap_or_else(|| key.clone()))
                        .or_insert(Value::Object(Map::new()));
                    merge(slot, value.clone());
                    continue;
                }
                if key.to_ascii_lowercase().starts_with("urn:") && value.is_object() {
                    // Core attributes under their own URN: apply them at the top level.
                    let inner = Operation {
                        op: kind,
                        path: None,
                        value: Some(value.clone()),
                    };
                    let mut whole = Value::Object(std::mem::take(root));
                    let result = apply_one(&mut whole, &inner);
                    if let Value::Object(map) = whole {
                        *root = map;
                    }
                    result?;
                    continue;
                }
                let path = filter::parse_path(key)
                    .map_err(|e| err("invalidPath", format!("attribute '{key}': {e}")))?;
                apply_at(root, kind, &path, Some(value))?;
            }
            Ok(())
        }
        (Some(path), kind) => apply_at(root, kind, path, op.value.as_ref()),
    }
}

/// The object holding `path`'s attribute: the root, or an extension's object.
fn container<'d>(
    root: &'d mut Map<String, Value>,
    attr: &AttrPath,
    create: bool,
) -> Option<&'d mut Map<String, Value>> {
    match &attr.urn {
        Some(urn) if !is_core_urn(urn) => {
            let key = existing_key(root, urn).unwrap_or_else(|| urn.clone());
            if !root.contains_key(&key) {
                if !create {
                    return None;
                }
                root.insert(key.clone(), Value::Object(Map::new()));
            }
            root.get_mut(&key)?.as_object_mut()
        }
        _ => Some(root),
    }
}

fn apply_at(
    root: &mut Map<String, Value>,
    kind: OpKind,
    path: &PatchPath,
    value: Option<&Value>,
) -> Result<(), PatchError> {
    if kind != OpKind::Remove && value.is_none() {
        return Err(err(
            "invalidValue",
            format!("'{}' needs a 'value'", path.attr),
        ));
    }
    let create = kind != OpKind::Remove;
    let Some(obj) = container(root, &path.attr, create) else {
        return Ok(());
    };
    let name = existing_key(obj, &path.attr.name).unwrap_or_else(|| path.attr.name.clone());

    if let Some(filter) = &path.filter {
        return apply_filtered(obj, &name, kind, filter, path.sub.as_deref(), value);
    }
    match (&path.attr.sub, kind) {
        (Some(sub), OpKind::Remove) => {
            if let Some(Value::Object(inner)) = obj.get_mut(&name) {
                if let Some(k) = existing_key(inner, sub) {
                    inner.remove(&k);
                }
            } else if let Some(Value::Array(items)) = obj.get_mut(&name) {
                // `emails.value` style removal across all elements
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    if let Some(k) = existing_key(item, sub) {
                        item.remove(&k);
                    }
                }
            }
            Ok(())
        }
        (Some(sub), _) => {
            let slot = obj.entry(name).or_insert_with(|| Value::Object(Map::new()));
            match slot {
                Value::Object(inner) => {
                    let k = existing_key(inner, sub).unwrap_or_else(|| sub.clone());
                    set_value(inner, k, value.cloned().unwrap_or(Value::Null), kind);
                }
                Value::Array(items) => {
                    // `emails.value` on a multi-valued attribute: set it on every element
                    // (creating one element if there is none).
                    if items.is_empty() {
                        items.push(Value::Object(Map::new()));
                    }
                    for item in items.iter_mut().filter_map(Value::as_object_mut) {
                        let k = existing_key(item, sub).unwrap_or_else(|| sub.clone());
                        item.insert(k, value.cloned().unwrap_or(Value::Null));
                    }
                }
                other => {
                    let mut inner = Map::new();
                    inner.insert(sub.clone(), value.cloned().unwrap_or(Value::Null));
                    *other = Value::Object(inner);
                }
            }
            Ok(())
        }
        (None, OpKind::Remove) => {
            match (obj.get_mut(&name), value) {
                // Entra's legacy member removal: `remove` `members` with a list of values.
                (Some(Value::Array(items)), Some(v)) if !v.is_null() => {
                    let doomed = as_list(v);
                    items.retain(|item| !doomed.iter().any(|d| same_element(item, d)));
                }
                _ => {
                    obj.remove(&name);
                }
            }
            Ok(())
        }
        (None, _) => {
            set_value(obj, name, value.cloned().unwrap_or(Value::Null), kind);
            Ok(())
        }
    }
}

/// `add` appends to multi-valued attributes (without duplicates); both `add` and `replace`
/// merge into a complex attribute (sub-attributes not given are left unchanged, §3.5.2.3);
/// otherwise the attribute is set as given.
fn set_value(obj: &mut Map<String, Value>, key: String, value: Value, kind: OpKind) {
    match (obj.get_mut(&key), kind) {
        (Some(Value::Array(items)), OpKind::Add) => {
            for v in as_list(&value) {
                if !items.iter().any(|i| same_element(i, &v)) {
                    items.push(v);
                }
            }
        }
        (Some(existing @ Value::Object(_)), _) if value.is_object() => merge(existing, value),
        _ => {
            obj.insert(key, value);
        }
    }
}

fn apply_filtered(
    obj: &mut Map<String, Value>,
    name: &str,
    kind: OpKind,
    filter: &Filter,
    sub: Option<&str>,
    value: Option<&Value>,
) -> Result<(), PatchError> {
    // Normalise the attribute to a list: a single object (OneLogin's `emails`) becomes a
    // one-element list, a missing one an empty list (nothing to do for `remove`).
    match obj.get_mut(name) {
        Some(Value::Array(_)) => {}
        Some(single @ Value::Object(_)) => {
            let taken = std::mem::take(single);
            *single = Value::Array(vec![taken]);
        }
        None | Some(Value::Null) if kind == OpKind::Remove => return Ok(()),
        None | Some(Value::Null) => {
            obj.insert(name.to_string(), Value::Array(Vec::new()));
        }
        Some(_) => {
            return Err(err(
                "invalidPath",
                format!("'{name}' is not multi-valued; a value filter does not apply"),
            ))
        }
    }
    let Some(Value::Array(items)) = obj.get_mut(name) else {
        return Err(err("invalidPath", format!("'{name}' is not multi-valued")));
    };
    if kind == OpKind::Remove {
        match sub {
            None => items.retain(|item| !filter::matches(filter, item)),
            Some(sub) => {
                for item in items
                    .iter_mut()
                    .filter(|i| filter::matches(filter, i))
                    .filter_map(Value::as_object_mut)
                {
                    if let Some(k) = existing_key(item, sub) {
                        item.remove(&k);
                    }
                }
            }
        }
        return Ok(());
    }
    let value = value.cloned().unwrap_or(Value::Null);
    let mut matched = false;
    for item in items.iter_mut().filter(|i| filter::matches(filter, i)) {
        matched = true;
        write_element(item, sub, &value, kind);
    }
    if !matched {
        // No element matches: create one from the filter's equalities (what Entra expects
        // for `emails[type eq "work"].value` on a user without a work e-mail).
        let mut element = Value::Object(seed_from_filter(filter).ok_or_else(|| {
            err("noTarget", format!("no '{name}' value matches the filter, and the filter does not describe a new one"))
        })?);
        write_element(&mut element, sub, &value, OpKind::Replace);
        items.push(element);
    }
    Ok(())
}

fn write_element(item: &mut Value, sub: Option<&str>, value: &Value, kind: OpKind) {
    match (sub, item) {
        (Some(sub), Value::Object(map)) => {
            let k = existing_key(map, sub).unwrap_or_else(|| sub.to_string());
            map.insert(k, value.clone());
        }
        (None, item @ Value::Object(_)) if value.is_object() && kind == OpKind::Add => {
            merge(item, value.clone())
        }
        (None, item) => *item = value.clone(),
        (Some(_), item) => *item = value.clone(),
    }
}

/// `type eq "work" and primary eq true` → `{"type": "work", "primary": true}`.
fn seed_from_filter(filter: &Filter) -> Option<Map<String, Value>> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } if path.sub.is_none() => {
            let v = match value {
                CompValue::Str(s) => Value::String(s.clone()),
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Num(n) => Value::Number(n.clone()),
                CompValue::Null => Value::Null,
            };
            let mut m = Map::new();
            m.insert(path.name.clone(), v);
            Some(m)
        }
        Filter::And(a, b) => {
            let mut m = seed_from_filter(a)?;
            m.extend(seed_from_filter(b)?);
            Some(m)
        }
        _ => None,
    }
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

/// Two elements of a multi-valued attribute are the same if their `value`s are (members,
/// e-mails), otherwise if they are equal.
fn same_element(a: &Value, b: &Value) -> bool {
    let val = |v: &Value| v.as_object().and_then(|o| get_ci(o, "value")).cloned();
    match (val(a), val(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                let key = existing_key(t, &k).unwrap_or(k);
                match t.get_mut(&key) {
                    Some(existing) if existing.is_object() && v.is_object() => merge(existing, v),
                    _ => {
                        t.insert(key, v);
                    }
                }
            }
        }
        (t, p) => *t = p,
    }
}

/// The key in `obj` equal to `name` ignoring ASCII case.
pub fn existing_key(obj: &Map<String, Value>, name: &str) -> Option<String> {
    obj.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
}

/// `obj[name]`, ignoring ASCII case.
pub fn get_ci<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

/// The membership change a group PATCH makes, when it is only `add` / `remove` of members by
/// id (and perhaps a new `displayName`): what identity providers send when a person joins or
/// leaves. `None` for anything else (a `replace` of all members, a value filter on other than
/// `value eq`, …), which then goes the whole-group way. Applied in order: the last operation on
/// an id wins.
pub fn member_delta(ops: &[Operation]) -> Option<MemberDelta> {
    let mut last: Vec<(String, bool)> = Vec::new();
    let mut name = None;
    for op in ops {
        let path = op.path.as_ref()?;
        let attr = &path.attr;
        if attr.urn.as_deref().is_some_and(|u| !is_core_urn(u)) || attr.sub.is_some() {
            return None;
        }
        if attr.name.eq_ignore_ascii_case("displayName") {
            match (op.op, &op.value, &path.filter) {
                (OpKind::Add | OpKind::Replace, Some(Value::String(n)), None) => {
                    name = Some(n.clone())
                }
                _ => return None,
            }
            continue;
        }
        if !attr.name.eq_ignore_ascii_case("members") || path.sub.is_some() {
            return None;
        }
        let ids = match (op.op, &path.filter, &op.value) {
            (OpKind::Add, None, Some(v)) => member_values(v)?,
            (OpKind::Remove, None, Some(v)) if !v.is_null() => member_values(v)?,
            (OpKind::Remove, Some(f), _) => value_equalities(f)?,
            _ => return None,
        };
        for id in ids {
            last.push((id, op.op == OpKind::Add));
        }
    }
    let mut delta = MemberDelta {
        name,
        ..MemberDelta::default()
    };
    let mut decided = std::collections::HashSet::new();
    for (id, add) in last.into_iter().rev() {
        if decided.insert(id.clone()) {
            if add {
                delta.add.push(id);
            } else {
                delta.remove.push(id);
            }
        }
    }
    delta.add.reverse();
    delta.remove.reverse();
    Some(delta)
}

/// The ids in a PATCH value of members: `[{"value": id}, …]`, one such object, or bare ids.
fn member_values(v: &Value) -> Option<Vec<String>> {
    as_list(v)
        .iter()
        .map(|m| match m {
            Value::Object(o) => get_ci(o, "value")?.as_str().map(|s| s.trim().to_string()),
            Value::String(s) => Some(s.trim().to_string()),
            _ => None,
        })
        .map(|id| id.filter(|i| !i.is_empty()))
        .collect()
}

/// The ids of `value eq "id" [or value eq "id" …]`.
fn value_equalities(f: &Filter) -> Option<Vec<String>> {
    match f {
        Filter::Or(a, b) => {
            let mut ids = value_equalities(a)?;
            ids.extend(value_equalities(b)?);
            Some(ids)
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::Str(id),
        } if path.urn.is_none()
            && path.sub.is_none()
            && path.name.eq_ignore_ascii_case("value") =>
        {
            Some(vec![id.clone()])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(mut doc: Value, body: Value) -> Result<Value, PatchError> {
        let ops = parse_request(&body)?;
        apply(&mut doc, &ops)?;
        Ok(doc)
    }

    fn patch(ops: Value) -> Value {
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
    }

    fn group() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "id": "g1",
            "displayName": "Tour Guides",
            "members": [
                {"value": "2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen"},
                {"value": "902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge"}
            ]
        })
    }

    fn user() -> Value {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "u1",
            "userName": "bjensen@example.com",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
            "active": true
        })
    }

    fn member_ids(doc: &Value) -> Vec<String> {
        doc["members"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|v| v["value"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    // RFC 7644 §3.5.2.1: add members.
    #[test]
    fn rfc_add_member_appends() {
        let doc = run(group(), patch(json!([{"op": "add", "path": "members", "value": [{"display": "Babs Jensen", "$ref": "…", "value": "2819c223-7f76-453a-919d-413861904646"}, {"value": "new"}]}]))).unwrap();
        assert_eq!(
            member_ids(&doc),
            vec![
                "2819c223-7f76-453a-919d-413861904646",
                "902c246b-6245-4190-8e05-00816be7344a",
                "new"
            ]
        );
    }

    // §3.5.2.1: path-less add of attributes.
    #[test]
    fn rfc_add_without_path() {
        let doc = run(user(), patch(json!([{"op": "add", "value": {"emails": [{"value": "babs@jensen.org", "type": "home"}], "nickName": "Babs"}}]))).unwrap();
        assert_eq!(doc["emails"].as_array().unwrap().len(), 2);
        assert_eq!(doc["nickName"], "Babs");
    }

    // §3.5.2.2: remove a single member; remove all members; remove with a compound filter.
    #[test]
    fn rfc_remove_forms() {
        let doc = run(group(), patch(json!([{"op": "remove", "path": "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"}]))).unwrap();
        assert_eq!(
            member_ids(&doc),
            vec!["902c246b-6245-4190-8e05-00816be7344a"]
        );
        let doc = run(group(), patch(json!([{"op": "remove", "path": "members"}]))).unwrap();
        assert!(doc.get("members").is_none());
        let doc = run(user(), patch(json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]))).unwrap();
        assert_eq!(doc["emails"], json!([]));
        assert!(
            run(group(), patch(json!([{"op": "remove"}])))
                .unwrap_err()
                .scim_type
                == "noTarget"
        );
    }

    // §3.5.2.2: remove all members then add (replace membership in two ops).
    #[test]
    fn rfc_remove_then_add_members() {
        let doc = run(
            group(),
            patch(json!([
                {"op": "remove", "path": "members"},
                {"op": "add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]}
            ])),
        )
        .unwrap();
        assert_eq!(member_ids(&doc), vec!["a", "b"]);
    }

    // §3.5.2.3: replace members; replace a value-path sub-attribute; path-less replace.
    #[test]
    fn rfc_replace_forms() {
        let doc = run(
            group(),
            patch(json!([{"op": "replace", "path": "members", "value": [{"value": "x"}]}])),
        )
        .unwrap();
        assert_eq!(member_ids(&doc), vec!["x"]);
        let doc = run(user(), patch(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"}]))).unwrap();
        assert_eq!(doc["emails"][0]["value"], "new@example.com");
        let doc = run(user(), patch(json!([{"op": "replace", "value": {"name": {"givenName": "Babs"}, "active": false}}]))).unwrap();
        assert_eq!(doc["name"]["givenName"], "Babs");
        assert_eq!(
            doc["name"]["familyName"], "Jensen",
            "sub-attributes not given are left unchanged (§3.5.2.3)"
        );
    }

    #[test]
    fn replace_of_a_sub_attribute_keeps_its_siblings() {
        let doc = run(
            user(),
            patch(json!([{"op": "replace", "path": "name.familyName", "value": "Doe"}])),
        )
        .unwrap();
        assert_eq!(
            doc["name"],
            json!({"givenName": "Barbara", "familyName": "Doe"})
        );
    }

    #[test]
    fn tolerant_forms() {
        // Entra legacy: capitalised op, string boolean left for the mapper to read.
        let doc = run(
            user(),
            patch(json!([{"op": "Replace", "path": "active", "value": "False"}])),
        )
        .unwrap();
        assert_eq!(doc["active"], "False");
        // Okta: path-less replace with {active:false}.
        let doc = run(
            user(),
            patch(json!([{"op": "replace", "value": {"active": false}}])),
        )
        .unwrap();
        assert_eq!(doc["active"], false);
        // Entra (aadOptscim062020): dotted keys in a path-less replace.
        let doc = run(user(), patch(json!([{"op": "replace", "value": {"name.givenName": "Ada", "name.familyName": "Lovelace"}}]))).unwrap();
        assert_eq!(
            doc["name"],
            json!({"givenName": "Ada", "familyName": "Lovelace"})
        );
        // Enterprise extension by URN path and URN key.
        let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let doc = run(
            user(),
            patch(json!([{"op": "add", "path": format!("{ent}:employeeNumber"), "value": "42"}])),
        )
        .unwrap();
        assert_eq!(doc[ent]["employeeNumber"], "42");
        let doc = run(
            user(),
            patch(json!([{"op": "replace", "value": {format!("{ent}:department"): "R&D"}}])),
        )
        .unwrap();
        assert_eq!(doc[ent]["department"], "R&D");
        // Core URN-qualified path.
        let doc = run(user(), patch(json!([{"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:userName", "value": "x@example.com"}]))).unwrap();
        assert_eq!(doc["userName"], "x@example.com");
        // Attribute names in any case.
        let doc = run(
            user(),
            patch(json!([{"op": "REPLACE", "path": "USERNAME", "value": "y@example.com"}])),
        )
        .unwrap();
        assert_eq!(doc["userName"], "y@example.com");
        // Entra: remove members by a value list.
        let doc = run(group(), patch(json!([{"op": "Remove", "path": "members", "value": [{"value": "902c246b-6245-4190-8e05-00816be7344a"}]}]))).unwrap();
        assert_eq!(
            member_ids(&doc),
            vec!["2819c223-7f76-453a-919d-413861904646"]
        );
        // A value filter that matches nothing creates the element.
        let mut u = user();
        u["emails"] = json!([]);
        let doc = run(u, patch(json!([{"op": "add", "path": "emails[type eq \"work\"].value", "value": "z@example.com"}]))).unwrap();
        assert_eq!(
            doc["emails"],
            json!([{"type": "work", "value": "z@example.com"}])
        );
    }

    #[test]
    fn onelogin_scim_1_1_member_body() {
        let doc = run(group(), json!({"members": [{"value": "c"}, {"value": "2819c223-7f76-453a-919d-413861904646", "operation": "delete"}]})).unwrap();
        assert_eq!(
            member_ids(&doc),
            vec!["902c246b-6245-4190-8e05-00816be7344a", "c"]
        );
    }

    #[test]
    fn add_never_duplicates_a_member() {
        let doc = run(group(), patch(json!([{"op": "add", "path": "members", "value": [{"value": "902c246b-6245-4190-8e05-00816be7344a"}]}]))).unwrap();
        assert_eq!(member_ids(&doc).len(), 2);
    }

    #[test]
    fn bad_requests_name_the_problem() {
        assert_eq!(
            run(user(), json!({"Operations": [{"op": "move", "path": "x"}]}))
                .unwrap_err()
                .scim_type,
            "invalidSyntax"
        );
        assert_eq!(
            run(
                user(),
                json!({"Operations": [{"op": "add", "path": "emails[type eq", "value": 1}]})
            )
            .unwrap_err()
            .scim_type,
            "invalidPath"
        );
        assert_eq!(
            run(
                user(),
                json!({"Operations": [{"op": "add", "path": "nickName"}]})
            )
            .unwrap_err()
            .scim_type,
            "invalidValue"
        );
        assert_eq!(
            run(user(), json!({"Operations": []}))
                .unwrap_err()
                .scim_type,
            "invalidSyntax"
        );
        assert_eq!(
            run(user(), json!([1])).unwrap_err().scim_type,
            "invalidSyntax"
        );
        let e = run(user(), json!({"Operations": [{"op": "replace", "path": "active", "value": true}, {"op": "bogus"}]})).unwrap_err();
        assert!(e.detail.starts_with("operation 2"), "{e:?}");
    }

    #[test]
    fn member_changes_are_a_delta_and_anything_else_is_not() {
        let delta = |ops: Value| member_delta(&parse_request(&patch(ops)).unwrap());
        let d = delta(json!([
            {"op": "add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]},
            {"op": "remove", "path": "members[value eq \"b\" or value eq \"c\"]"},
            {"op": "Remove", "path": "members", "value": [{"value": "d"}]},
            {"op": "replace", "path": "displayName", "value": "New"}
        ]))
        .unwrap();
        assert_eq!(d.add, vec!["a"]);
        assert_eq!(d.remove, vec!["b", "c", "d"]);
        assert_eq!(d.name.as_deref(), Some("New"));
        // OneLogin's SCIM 1.1 form is a delta too.
        let legacy = member_delta(
            &parse_request(
                &json!({"members": [{"value": "x"}, {"value": "y", "operation": "delete"}]}),
            )
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            (legacy.add, legacy.remove),
            (vec!["x".to_string()], vec!["y".to_string()])
        );
        for whole in [
            json!([{"op": "replace", "path": "members", "value": [{"value": "a"}]}]),
            json!([{"op": "remove", "path": "members"}]),
            json!([{"op": "remove", "path": "members[display eq \"a\"]"}]),
            json!([{"op": "replace", "value": {"displayName": "x"}}]),
            json!([{"op": "replace", "path": "externalId", "value": "x"}]),
        ] {
            assert_eq!(delta(whole.clone()), None, "{whole}");
        }
    }
}
