//! One grammar for SCIM filters (RFC 7644 §3.4.2.2) and PATCH paths (§3.5.2), parsed into an
//! AST by a small recursive-descent parser.
//!
//! Hand-written rather than generated so that every error names what was expected where, input
//! is never trusted (no panics, no recursion deeper than [`MAX_DEPTH`]), and the same attribute
//! path rules serve both the filter compiler (`store::scim_query`) and the PATCH engine.
//! Keywords and operators are case-insensitive; attribute names keep their case and are compared
//! case-insensitively by their users.
//!
//! It lives outside the SCIM front door because the domain and the store work on the AST too
//! (arrows one way: `scim` parses the wire into it, `store::scim_query` compiles it to SQL).

use serde_json::Value;
use std::fmt;

/// How deeply `( … )`, `not ( … )` and `[ … ]` may nest.
pub const MAX_DEPTH: usize = 32;
/// Longest filter or path we parse.
pub const MAX_LEN: usize = 8 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    Present(AttrPath),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work"]`: some element of a multi-valued attribute matches.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
    },
}

/// `[urn:…:]name[.sub]`
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub name: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// `name` or `name.sub`, lower-cased, without the schema URN: what mappings match on.
    pub fn key(&self) -> String {
        match &self.sub {
            Some(sub) => format!("{}.{}", self.name, sub).to_ascii_lowercase(),
            None => self.name.to_ascii_lowercase(),
        }
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        write!(f, "{}", self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => Self::Eq,
            "ne" => Self::Ne,
            "co" => Self::Co,
            "sw" => Self::Sw,
            "ew" => Self::Ew,
            "gt" => Self::Gt,
            "ge" => Self::Ge,
            "lt" => Self::Lt,
            "le" => Self::Le,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum CompValue {
    Str(String),
    Num(serde_json::Number),
    Bool(bool),
    Null,
}

/// A PATCH target: `attrPath [ "[" valFilter "]" [ "." subAttr ] ]`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    /// The sub-attribute after a value filter: `emails[type eq "work"].value` → `value`.
    pub sub: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn parse_filter(input: &str) -> Result<Filter, ParseError> {
    let mut p = Parser::new(input)?;
    let filter = p.or_expr(0)?;
    p.skip_ws();
    if !p.at_end() {
        return Err(p.error("the end of the filter"));
    }
    Ok(filter)
}

pub fn parse_path(input: &str) -> Result<PatchPath, ParseError> {
    let mut p = Parser::new(input)?;
    p.skip_ws();
    let attr = p.attr_path()?;
    let mut filter = None;
    let mut sub = None;
    if p.eat('[') {
        filter = Some(p.or_expr(1)?);
        p.skip_ws();
        if !p.eat(']') {
            return Err(p.error("']'"));
        }
        if p.eat('.') {
            sub = Some(p.name()?);
        }
    }
    p.skip_ws();
    if !p.at_end() {
        return Err(p.error("the end of the path"));
    }
    if attr.sub.is_some() && filter.is_some() {
        return Err(ParseError(format!(
            "'{input}': a value filter cannot follow a sub-attribute"
        )));
    }
    Ok(PatchPath { attr, filter, sub })
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str) -> Result<Self, ParseError> {
        if src.len() > MAX_LEN {
            return Err(ParseError(format!("longer than {MAX_LEN} characters")));
        }
        if src.trim().is_empty() {
            return Err(ParseError("it is empty".into()));
        }
        Ok(Parser { src, pos: 0 })
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn error(&self, expected: &str) -> ParseError {
        let found: String = self.rest().chars().take(20).collect();
        if found.is_empty() {
            ParseError(format!("expected {expected} at the end of '{}'", self.src))
        } else {
            ParseError(format!(
                "expected {expected} at position {} ('{found}') in '{}'",
                self.pos + 1,
                self.src
            ))
        }
    }

    /// A bare word: letters, digits and `-_.:$` (attribute paths, operators, literals).
    fn word(&mut self) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '$') {
                self.pos += 1;
            } else {
                break;
            }
        }
        &self.src[start..self.pos]
    }

    /// Looks ahead for a case-insensitive keyword followed by a non-word character.
    fn keyword(&mut self, kw: &str) -> bool {
        let save = self.pos;
        self.skip_ws();
        let w = self.word();
        if w.eq_ignore_ascii_case(kw) {
            true
        } else {
            self.pos = save;
            false
        }
    }

    fn or_expr(&mut self, depth: usize) -> Result<Filter, ParseError> {
        let mut left = self.and_expr(depth)?;
        while self.keyword("or") {
            let right = self.and_expr(depth)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and_expr(&mut self, depth: usize) -> Result<Filter, ParseError> {
        let mut left = self.unary(depth)?;
        while self.keyword("and") {
            let right = self.unary(depth)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn nested(&mut self, depth: usize) -> Result<Filter, ParseError> {
        if depth >= MAX_DEPTH {
            return Err(ParseError(format!("nested deeper than {MAX_DEPTH} levels")));
        }
        let inner = self.or_expr(depth + 1)?;
        self.skip_ws();
        if !self.eat(')') {
            return Err(self.error("')'"));
        }
        Ok(inner)
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, ParseError> {
        self.skip_ws();
        if self.eat('(') {
            return self.nested(depth);
        }
        let save = self.pos;
        if self.keyword("not") {
            self.skip_ws();
            if self.eat('(') {
                return Ok(Filter::Not(Box::new(self.nested(depth)?)));
            }
            // An attribute that happens to be called "not…": parse it as a path.
            self.pos = save;
        }
        let path = self.attr_path()?;
        self.skip_ws();
        if self.eat('[') {
            if depth >= MAX_DEPTH {
                return Err(ParseError(format!("nested deeper than {MAX_DEPTH} levels")));
            }
            let inner = self.or_expr(depth + 1)?;
            self.skip_ws();
            if !self.eat(']') {
                return Err(self.error("']'"));
            }
            return Ok(Filter::ValuePath {
                path,
                filter: Box::new(inner),
            });
        }
        let op_start = self.pos;
        let op_word = self.word();
        if op_word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::parse(op_word) else {
            self.pos = op_start;
            return Err(self.error("an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr)"));
        };
        self.skip_ws();
        let value = self.comp_value()?;
        Ok(Filter::Compare { path, op, value })
    }

    fn comp_value(&mut self) -> Result<CompValue, ParseError> {
        if self.peek() == Some('"') {
            return self.string().map(CompValue::Str);
        }
        let start = self.pos;
        let w = self.word();
        match w.to_ascii_lowercase().as_str() {
            "true" => return Ok(CompValue::Bool(true)),
            "false" => return Ok(CompValue::Bool(false)),
            "null" => return Ok(CompValue::Null),
            _ => {}
        }
        // Numbers may carry a sign and exponent sign, which `word` does not take.
        self.pos = start;
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = &self.src[start..self.pos];
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Number(n)) if !text.is_empty() => Ok(CompValue::Num(n)),
            _ => {
                self.pos = start;
                Err(self.error("a value: a \"string\", a number, true, false or null"))
            }
        }
    }

    /// A JSON string literal, escapes decoded.
    fn string(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        self.pos += 1;
        let mut escaped = false;
        while let Some(c) = self.peek() {
            self.pos += c.len_utf8();
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                return serde_json::from_str(&self.src[start..self.pos])
                    .map_err(|e| ParseError(format!("bad string at position {}: {e}", start + 1)));
            }
        }
        self.pos = start;
        Err(self.error("a closing '\"'"))
    }

    fn name(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        let w = self.word();
        if valid_name(w) {
            Ok(w.to_string())
        } else {
            self.pos = start;
            Err(self.error("an attribute name"))
        }
    }

    fn attr_path(&mut self) -> Result<AttrPath, ParseError> {
        let start = self.pos;
        let w = self.word();
        let bad = |p: &mut Self| {
            p.pos = start;
            p.error("an attribute name")
        };
        if w.is_empty() {
            return Err(bad(self));
        }
        let (urn, local) = if w.len() > 4 && w[..4].eq_ignore_ascii_case("urn:") {
            match w.rfind(':') {
                Some(i) if i + 1 < w.len() => (Some(w[..i].to_string()), &w[i + 1..]),
                _ => return Err(bad(self)),
            }
        } else {
            (None, w)
        };
        let (name, sub) = match local.split_once('.') {
            Some((n, s)) => (n, Some(s)),
            None => (local, None),
        };
        if !valid_name(name) || sub.is_some_and(|s| !valid_name(s)) {
            return Err(bad(self));
        }
        Ok(AttrPath {
            urn,
            name: name.to_string(),
            sub: sub.map(str::to_string),
        })
    }
}

/// ATTRNAME = ALPHA *(nameChar), plus `$ref`.
fn valid_name(s: &str) -> bool {
    if s == "$ref" {
        return true;
    }
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

// ---------------------------------------------------------------------------------------------
// In-memory evaluation: used by the PATCH engine on elements of multi-valued attributes.

/// Does `element` (an object such as `{"value": "…", "type": "work"}`) satisfy `filter`?
/// Strings compare case-insensitively (SCIM's default `caseExact: false`).
pub fn matches(filter: &Filter, element: &Value) -> bool {
    match filter {
        Filter::And(a, b) => matches(a, element) && matches(b, element),
        Filter::Or(a, b) => matches(a, element) || matches(b, element),
        Filter::Not(a) => !matches(a, element),
        Filter::Present(path) => lookup(element, path)
            .is_some_and(|v| !v.is_null() && v != "" && v != &Value::Array(vec![])),
        Filter::ValuePath { path, filter } => match lookup(element, path) {
            Some(Value::Array(items)) => items.iter().any(|i| matches(filter, i)),
            Some(v) => matches(filter, v),
            None => false,
        },
        Filter::Compare { path, op, value } => {
            let actual = lookup(element, path);
            compare(actual, *op, value)
        }
    }
}

fn lookup<'v>(element: &'v Value, path: &AttrPath) -> Option<&'v Value> {
    let obj = element.as_object()?;
    let first = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(&path.name))
        .map(|(_, v)| v)?;
    match &path.sub {
        None => Some(first),
        Some(sub) => first
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(sub))
            .map(|(_, v)| v),
    }
}

fn compare(actual: Option<&Value>, op: CompareOp, expected: &CompValue) -> bool {
    use CompareOp::*;
    let actual = actual.unwrap_or(&Value::Null);
    match (actual, expected) {
        (Value::Null, CompValue::Null) => matches!(op, Eq),
        (_, CompValue::Null) => matches!(op, Ne),
        (Value::String(a), CompValue::Str(e)) => {
            let (a, e) = (a.to_lowercase(), e.to_lowercase());
            match op {
                Eq => a == e,
                Ne => a != e,
                Co => a.contains(&e),
                Sw => a.starts_with(&e),
                Ew => a.ends_with(&e),
                Gt => a > e,
                Ge => a >= e,
                Lt => a < e,
                Le => a <= e,
            }
        }
        (Value::Bool(a), CompValue::Bool(e)) => match op {
            Eq => a == e,
            Ne => a != e,
            _ => false,
        },
        // Tolerate "true"/"false" strings on either side.
        (Value::String(a), CompValue::Bool(e)) => loose_bool(&Value::String(a.clone()))
            .map(|a| {
                if matches!(op, Ne) {
                    a != *e
                } else {
                    matches!(op, Eq) && a == *e
                }
            })
            .unwrap_or(false),
        (Value::Number(a), CompValue::Num(e)) => {
            let (Some(a), Some(e)) = (a.as_f64(), e.as_f64()) else {
                return false;
            };
            match op {
                Eq => a == e,
                Ne => a != e,
                Gt => a > e,
                Ge => a >= e,
                Lt => a < e,
                Le => a <= e,
                Co | Sw | Ew => false,
            }
        }
        _ => matches!(op, Ne),
    }
}

/// A boolean as IdPs send one: `true`, `false`, `"True"`, `"false"`, `1`, `0`. Used for
/// attribute values and filter comparison values alike.
pub fn loose_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Some(true),
            "false" | "0" | "no" => Some(false),
            _ => None,
        },
        Value::Number(n) => n.as_i64().and_then(|i| match i {
            1 => Some(true),
            0 => Some(false),
            _ => None,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(name: &str, sub: Option<&str>) -> AttrPath {
        AttrPath {
            urn: None,
            name: name.into(),
            sub: sub.map(Into::into),
        }
    }

    #[test]
    fn rfc_examples_parse() {
        for f in [
            r#"userName Eq "john""#,
            r#"name.familyName co "O'Malley""#,
            r#"userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            "title pr",
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"meta.lastModified ge "2011-05-13T04:42:34Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and (emails.type eq "work")"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
            "active eq true",
            "count gt -1.5e3",
            "manager eq null",
        ] {
            parse_filter(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        }
    }

    #[test]
    fn precedence_is_not_then_and_then_or() {
        let f = parse_filter(r#"a eq "1" or b eq "2" and c eq "3""#).unwrap();
        match f {
            Filter::Or(left, right) => {
                assert!(matches!(*left, Filter::Compare { .. }));
                assert!(matches!(*right, Filter::And(..)));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn urn_prefixed_paths_split_at_the_last_colon() {
        let f =
            parse_filter(r#"urn:ietf:params:scim:schemas:core:2.0:User:name.givenName eq "Ada""#)
                .unwrap();
        let Filter::Compare { path, .. } = f else {
            panic!()
        };
        assert_eq!(
            path.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:core:2.0:User")
        );
        assert_eq!(path.key(), "name.givenname");
    }

    #[test]
    fn operators_and_keywords_are_case_insensitive_and_strings_unescape() {
        let f = parse_filter(r#"userName EQ "a\"b" AND active Eq TRUE"#).unwrap();
        let Filter::And(a, b) = f else { panic!() };
        assert_eq!(
            *a,
            Filter::Compare {
                path: path("userName", None),
                op: CompareOp::Eq,
                value: CompValue::Str("a\"b".into())
            }
        );
        assert_eq!(
            *b,
            Filter::Compare {
                path: path("active", None),
                op: CompareOp::Eq,
                value: CompValue::Bool(true)
            }
        );
    }

    #[test]
    fn errors_say_what_was_expected() {
        for (f, expected) in [
            ("userName", "operator"),
            (r#"userName eq"#, "value"),
            (r#"userName zz "x""#, "operator"),
            (r#"userName eq "x"#, "closing"),
            (r#"(userName eq "x""#, "')'"),
            (r#"userName eq "x" junk"#, "end of the filter"),
            (r#"emails[type eq "work""#, "']'"),
            ("", "empty"),
            ("1abc eq 2", "attribute name"),
        ] {
            let err = parse_filter(f).unwrap_err();
            assert!(err.0.contains(expected), "{f}: {err}");
        }
    }

    #[test]
    fn nesting_is_limited_and_never_overflows() {
        let deep = format!(
            "{}a eq 1{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(parse_filter(&deep).unwrap_err().0.contains("nested"));
        let very_deep = format!("{}a eq 1", "not (".repeat(5000));
        assert!(parse_filter(&very_deep).is_err());
        let ok = format!("{}a eq 1{}", "(".repeat(10), ")".repeat(10));
        assert!(parse_filter(&ok).is_ok());
    }

    #[test]
    fn patch_paths() {
        let p = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert_eq!(p.attr, path("emails", None));
        assert_eq!(p.sub.as_deref(), Some("value"));
        assert!(p.filter.is_some());
        let p = parse_path(r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#).unwrap();
        assert_eq!(p.attr.name, "members");
        let p = parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")
            .unwrap();
        assert_eq!(
            p.attr.urn.as_deref(),
            Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        );
        let p = parse_path("name.givenName").unwrap();
        assert_eq!(p.attr.key(), "name.givenname");
        assert!(parse_path("emails[type eq \"work\"].").is_err());
        assert!(parse_path("").is_err());
    }

    #[test]
    fn in_memory_matching() {
        let e = json!({"value": "Ada@Example.com", "type": "work", "primary": true});
        assert!(matches(&parse_filter(r#"type eq "WORK""#).unwrap(), &e));
        assert!(matches(
            &parse_filter(r#"value ew "example.com" and primary eq true"#).unwrap(),
            &e
        ));
        assert!(!matches(&parse_filter(r#"type eq "home""#).unwrap(), &e));
        assert!(matches(
            &parse_filter(r#"not (type eq "home")"#).unwrap(),
            &e
        ));
        assert!(matches(
            &parse_filter("display pr or value pr").unwrap(),
            &e
        ));
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // A cheap deterministic fuzz: every prefix and a few mutations of tricky inputs.
        let seeds = [
            r#"emails[type eq "work" and value co "@example.com"] or not (x pr)"#,
            r#"urn:a:b:c:d.e eq "\u00e9\"" and (a gt -1e9)"#,
        ];
        for seed in seeds {
            for i in 0..=seed.len() {
                if seed.is_char_boundary(i) {
                    let _ = parse_filter(&seed[..i]);
                    let _ = parse_path(&seed[..i]);
                    let _ = parse_filter(&seed[i..]);
                }
            }
        }
    }
}
