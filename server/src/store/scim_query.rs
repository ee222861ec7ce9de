//! Compiles a SCIM filter AST into a SQL `WHERE` fragment with bound parameters only (no value
//! is ever spliced into SQL text), for the attributes we store.
//!
//! Case-insensitive attributes (userName, e-mails, displayName, names) compare lower-cased on
//! both sides; `userName eq` and group `displayName eq` hit the `*_norm` unique indexes.
//! `externalId` and `id` are case-exact, as RFC 7643 defines them.

use crate::error::{AppError, AppResult};
use crate::filter::{AttrPath, CompValue, CompareOp, Filter};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Users,
    Groups,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// Marks where a parameter goes in a [`Fragment`]'s text; [`Fragment::render`] writes the
/// engine's placeholder there (`?`, or `$n` counted from the statement's first parameter).
const PARAM: char = '\u{1}';

/// A condition in one engine's dialect: text with a [`PARAM`] mark per bind, in order. The
/// table aliases are `u` and `g`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fragment {
    text: String,
    pub binds: Vec<Bind>,
}

impl Fragment {
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// The text with SQLite's `?` placeholders.
    pub fn sqlite(&self) -> String {
        self.text.replace(PARAM, "?")
    }

    /// The text with PostgreSQL's `$n` placeholders, the first being `$first`.
    pub fn postgres(&self, first: usize) -> String {
        let mut out = String::with_capacity(self.text.len() + 8);
        let mut n = first;
        for c in self.text.chars() {
            if c == PARAM {
                out.push_str(&format!("${n}"));
                n += 1;
            } else {
                out.push(c);
            }
        }
        out
    }

    fn push(&mut self, text: &str) {
        self.text.push_str(text);
    }

    fn param(&mut self, bind: Bind) {
        self.text.push(PARAM);
        self.binds.push(bind);
    }
}

/// A compiled filter, in each engine's dialect (they differ where the engines do: LIKE's case
/// rules, booleans). The domain holds it without knowing the engine; the store runs the one
/// its engine needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SqlWhere {
    pub sqlite: Fragment,
    pub postgres: Fragment,
    /// The filter is one equality on a column unique per account (`userName`, `emails`, `id`
    /// of Users): at most one row, found through a unique index. Such a read is run on the
    /// request's own thread on SQLite (`store::inline`).
    pub point: bool,
}

impl SqlWhere {
    /// The same text in both dialects.
    fn push(&mut self, text: &str) {
        self.sqlite.push(text);
        self.postgres.push(text);
    }

    /// The same parameter in both dialects.
    fn param(&mut self, bind: Bind) {
        self.sqlite.param(bind.clone());
        self.postgres.param(bind);
    }

    /// `text` with one parameter `bind` in its middle: `before ? after`.
    fn around(&mut self, before: &str, bind: Bind, after: &str) {
        self.push(before);
        self.param(bind);
        self.push(after);
    }
}

/// How a column compares.
#[derive(Clone, Copy)]
enum Kind {
    /// Text compared case-insensitively; the column already holds lower-case text.
    LowerText(&'static str),
    /// Text compared case-insensitively via lower() on both sides.
    Text(&'static str),
    /// Text compared exactly.
    Exact(&'static str),
    /// Timestamps (our fixed-width text); values are normalised before comparing.
    Time(&'static str),
    /// A SQL boolean expression.
    Bool(&'static str),
    /// A constant string for users with an e-mail (`emails.type` is always "work").
    ConstIfEmail(&'static str),
    /// Group membership: `EXISTS` over group_members.
    Member,
}

fn invalid_filter(detail: impl Into<String>) -> AppError {
    AppError::InvalidFilter(detail.into())
}

const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:user";
const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:group";

fn column(resource: Resource, path: &AttrPath, inside: Option<&str>) -> AppResult<Kind> {
    if let Some(urn) = &path.urn {
        let ok = match resource {
            Resource::Users => urn.eq_ignore_ascii_case(USER_URN),
            Resource::Groups => urn.eq_ignore_ascii_case(GROUP_URN),
        };
        if !ok {
            return Err(invalid_filter(format!(
                "filtering on '{path}' is not supported: Rollcall does not keep that schema"
            )));
        }
    }
    let key = match inside {
        Some(parent) => format!("{parent}.{}", path.key()),
        None => path.key(),
    };
    let kind = match (resource, key.as_str()) {
        (Resource::Users, "username") => Kind::LowerText("u.user_name_norm"),
        (Resource::Users, "emails" | "emails.value") => Kind::LowerText("u.email_norm"),
        (Resource::Users, "emails.type") => Kind::ConstIfEmail("work"),
        (Resource::Users, "emails.primary") => Kind::Bool("(u.email IS NOT NULL)"),
        (Resource::Users, "externalid") => Kind::Exact("u.external_id"),
        (Resource::Users, "id") => Kind::Exact("u.id"),
        (Resource::Users, "name.givenname") => Kind::Text("u.first_name"),
        (Resource::Users, "name.familyname") => Kind::Text("u.last_name"),
        (Resource::Users, "displayname" | "name.formatted") => {
            Kind::Text("trim(u.first_name || ' ' || u.last_name)")
        }
        (Resource::Users, "active") => Kind::Bool("(u.status <> 'suspended')"),
        (Resource::Users, "meta.created") => Kind::Time("u.created_at"),
        (Resource::Users, "meta.lastmodified") => Kind::Time("u.updated_at"),
        (Resource::Groups, "displayname") => Kind::LowerText("g.name_norm"),
        (Resource::Groups, "externalid") => Kind::Exact("g.external_id"),
        (Resource::Groups, "id") => Kind::Exact("g.id"),
        (Resource::Groups, "members" | "members.value") => Kind::Member,
        (Resource::Groups, "meta.created") => Kind::Time("g.created_at"),
        (Resource::Groups, "meta.lastmodified") => Kind::Time("g.updated_at"),
        _ => {
            return Err(invalid_filter(format!(
                "filtering on '{path}' is not supported"
            )))
        }
    };
    Ok(kind)
}

/// The SQL expression to sort by for `sortBy`.
pub fn sort_column(resource: Resource, path: &AttrPath) -> AppResult<&'static str> {
    let bad = || AppError::InvalidValue(format!("sorting by '{path}' is not supported"));
    Ok(match column(resource, path, None).map_err(|_| bad())? {
        Kind::LowerText(c) | Kind::Exact(c) | Kind::Time(c) | Kind::Bool(c) => c,
        Kind::Text(c) => c,
        Kind::ConstIfEmail(_) | Kind::Member => return Err(bad()),
    })
}

pub fn compile(filter: &Filter, resource: Resource) -> AppResult<SqlWhere> {
    let mut out = SqlWhere::default();
    emit(filter, resource, None, &mut out)?;
    out.point = is_point(filter, resource);
    Ok(out)
}

/// See [`SqlWhere::point`]. The column names match `column`'s; `emails` is unique per account
/// (`users_account_email`), as are `userName` and `id`.
fn is_point(filter: &Filter, resource: Resource) -> bool {
    match (resource, filter) {
        (
            Resource::Users,
            Filter::Compare {
                path,
                op: CompareOp::Eq,
                ..
            },
        ) => matches!(
            column(resource, path, None),
            Ok(Kind::LowerText("u.user_name_norm" | "u.email_norm") | Kind::Exact("u.id"))
        ),
        _ => false,
    }
}

fn emit(
    filter: &Filter,
    resource: Resource,
    inside: Option<&str>,
    out: &mut SqlWhere,
) -> AppResult<()> {
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => {
            out.push("(");
            emit(a, resource, inside, out)?;
            out.push(if matches!(filter, Filter::And(..)) {
                " AND "
            } else {
                " OR "
            });
            emit(b, resource, inside, out)?;
            out.push(")");
        }
        Filter::Not(a) => {
            out.push("NOT (");
            emit(a, resource, inside, out)?;
            out.push(")");
        }
        Filter::ValuePath { path, filter } => {
            if inside.is_some() {
                return Err(invalid_filter("a value filter cannot be nested in another"));
            }
            // We keep one value per multi-valued attribute, so `emails[…]` is the filter on it.
            let parent = path.key();
            column(
                resource,
                &AttrPath {
                    urn: path.urn.clone(),
                    name: path.name.clone(),
                    sub: None,
                },
                None,
            )?;
            emit(filter, resource, Some(&parent), out)?;
        }
        Filter::Present(path) => match column(resource, path, inside)? {
            Kind::LowerText(c) | Kind::Text(c) | Kind::Exact(c) | Kind::Time(c) => {
                out.push(&format!("({c} IS NOT NULL AND {c} <> '')"))
            }
            Kind::Bool(_) => out.push("TRUE"),
            Kind::ConstIfEmail(_) => out.push("(u.email IS NOT NULL)"),
            Kind::Member => {
                out.push("EXISTS (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id)")
            }
        },
        Filter::Compare { path, op, value } => {
            compare(column(resource, path, inside)?, path, *op, value, out)?
        }
    }
    Ok(())
}

fn like_pattern(s: &str, op: CompareOp) -> String {
    let escaped = s
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    match op {
        CompareOp::Co => format!("%{escaped}%"),
        CompareOp::Sw => format!("{escaped}%"),
        _ => format!("%{escaped}"),
    }
}

fn sql_op(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "<>",
        CompareOp::Gt => ">",
        CompareOp::Ge => ">=",
        CompareOp::Lt => "<",
        CompareOp::Le => "<=",
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => "LIKE",
    }
}

fn compare(
    kind: Kind,
    path: &AttrPath,
    op: CompareOp,
    value: &CompValue,
    out: &mut SqlWhere,
) -> AppResult<()> {
    let text_value = || match value {
        CompValue::Str(s) => Ok(s.clone()),
        CompValue::Num(n) => Ok(n.to_string()),
        other => Err(invalid_filter(format!(
            "'{path}' compares with a string, not {other:?}"
        ))),
    };
    match kind {
        Kind::LowerText(c) | Kind::Text(c) | Kind::Exact(c) => {
            if let CompValue::Null = value {
                out.push(&match op {
                    CompareOp::Eq => format!("({c} IS NULL OR {c} = '')"),
                    CompareOp::Ne => format!("({c} IS NOT NULL AND {c} <> '')"),
                    _ => {
                        return Err(invalid_filter(format!(
                            "'{path}' can only be compared with null by eq or ne"
                        )))
                    }
                });
                return Ok(());
            }
            let v = text_value()?;
            let (lhs, v) = match kind {
                Kind::LowerText(c) => (c.to_string(), v.to_lowercase()),
                Kind::Text(c) => (format!("lower({c})"), v.to_lowercase()),
                _ => (c.to_string(), v),
            };
            match op {
                CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
                    let pattern = Bind::Text(like_pattern(&v, op));
                    // PostgreSQL's LIKE is case-exact; the case-insensitive columns are
                    // lower-cased on both sides already.
                    out.postgres.push(&format!("{lhs} LIKE "));
                    out.postgres.param(pattern.clone());
                    out.postgres.push(" ESCAPE '\\'");
                    // SQLite's LIKE ignores ASCII case, so case-exact columns use instr/substr.
                    if matches!(kind, Kind::Exact(_)) {
                        let f = &mut out.sqlite;
                        match op {
                            CompareOp::Co => {
                                f.push(&format!("instr({lhs}, "));
                                f.param(Bind::Text(v));
                                f.push(") > 0");
                            }
                            CompareOp::Sw => {
                                f.push(&format!("substr({lhs}, 1, length("));
                                f.param(Bind::Text(v.clone()));
                                f.push(")) = ");
                                f.param(Bind::Text(v));
                            }
                            _ => {
                                f.push(&format!("substr({lhs}, -length("));
                                f.param(Bind::Text(v.clone()));
                                f.push(")) = ");
                                f.param(Bind::Text(v));
                            }
                        }
                    } else {
                        out.sqlite.push(&format!("{lhs} LIKE "));
                        out.sqlite.param(pattern);
                        out.sqlite.push(" ESCAPE '\\'");
                    }
                }
                CompareOp::Ne => {
                    out.around(&format!("({lhs} IS NULL OR {lhs} <> "), Bind::Text(v), ")")
                }
                _ => out.around(&format!("{lhs} {} ", sql_op(op)), Bind::Text(v), ""),
            }
        }
        Kind::Time(c) => {
            let CompValue::Str(s) = value else {
                return Err(invalid_filter(format!(
                    "'{path}' compares with a date-time string"
                )));
            };
            let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map_err(|_| invalid_filter(format!("'{s}' is not an RFC 3339 date-time")))?;
            if matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
                return Err(invalid_filter(format!(
                    "'{path}' supports eq, ne, gt, ge, lt, le"
                )));
            }
            out.around(
                &format!("{c} {} ", sql_op(op)),
                Bind::Text(crate::ids::format_time(t)),
                "",
            );
        }
        Kind::Bool(expr) => {
            let b = match value {
                CompValue::Bool(b) => *b,
                CompValue::Str(s) => crate::filter::loose_bool(&serde_json::Value::String(
                    s.clone(),
                ))
                .ok_or_else(|| invalid_filter(format!("'{path}' compares with true or false")))?,
                _ => {
                    return Err(invalid_filter(format!(
                        "'{path}' compares with true or false"
                    )))
                }
            };
            let sql = match op {
                CompareOp::Eq => format!("({expr}) = "),
                CompareOp::Ne => format!("({expr}) <> "),
                _ => return Err(invalid_filter(format!("'{path}' supports eq and ne"))),
            };
            out.around(&sql, Bind::Bool(b), "");
        }
        Kind::ConstIfEmail(constant) => {
            let v = text_value()?.to_lowercase();
            let holds = match op {
                CompareOp::Eq => constant == v,
                CompareOp::Ne => constant != v,
                CompareOp::Co => constant.contains(&v),
                CompareOp::Sw => constant.starts_with(&v),
                CompareOp::Ew => constant.ends_with(&v),
                _ => {
                    return Err(invalid_filter(format!(
                        "'{path}' supports eq, ne, co, sw, ew"
                    )))
                }
            };
            out.push(if holds {
                "(u.email IS NOT NULL)"
            } else {
                "FALSE"
            });
        }
        Kind::Member => {
            let v = text_value()?;
            let exists = match op {
                CompareOp::Eq => "EXISTS",
                CompareOp::Ne => "NOT EXISTS",
                _ => return Err(invalid_filter(format!("'{path}' supports eq and ne"))),
            };
            out.around(
                &format!("{exists} (SELECT 1 FROM group_members gm WHERE gm.group_id = g.id AND gm.user_id = "),
                Bind::Text(v),
                ")",
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse_filter;

    fn sql(f: &str, r: Resource) -> SqlWhere {
        compile(&parse_filter(f).unwrap(), r).unwrap()
    }

    #[test]
    fn user_name_eq_uses_the_normalised_column_and_a_bound_lower_value() {
        let w = sql(r#"userName eq "Ada@Example.COM""#, Resource::Users);
        assert_eq!(w.sqlite.sqlite(), "u.user_name_norm = ?");
        assert_eq!(w.postgres.postgres(2), "u.user_name_norm = $2");
        assert_eq!(w.sqlite.binds, vec![Bind::Text("ada@example.com".into())]);
    }

    #[test]
    fn only_one_equality_on_a_unique_user_column_is_a_point_read() {
        for f in [
            r#"userName eq "ada@example.com""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ada""#,
            r#"emails eq "ada@example.com""#,
            r#"emails.value eq "ada@example.com""#,
            r#"id eq "0190a0a0-0000-7000-8000-000000000001""#,
        ] {
            assert!(sql(f, Resource::Users).point, "{f}");
        }
        for f in [
            r#"userName sw "ada""#,
            r#"userName ne "ada""#,
            r#"externalId eq "x""#,
            r#"name.familyName eq "Lovelace""#,
            r#"userName eq "a" or userName eq "b""#,
            r#"userName eq "a" and active eq true"#,
            r#"not (userName eq "a")"#,
            r#"emails[value eq "ada@example.com"]"#,
        ] {
            assert!(!sql(f, Resource::Users).point, "{f}");
        }
        assert!(!sql(r#"displayName eq "Admins""#, Resource::Groups).point);
        assert!(!sql(r#"id eq "x""#, Resource::Groups).point);
    }

    #[test]
    fn nothing_from_the_filter_reaches_the_sql_text() {
        let w = sql(
            r#"userName eq "x' OR 1=1 --" or externalId co "%_\\""#,
            Resource::Users,
        );
        for text in [w.sqlite.sqlite(), w.postgres.postgres(1)] {
            assert!(!text.contains("OR 1=1") && !text.contains('%'), "{text}");
        }
        assert_eq!(w.sqlite.binds.len(), 2);
        assert_eq!(w.postgres.binds.len(), 2);
    }

    #[test]
    fn compound_and_value_path_filters() {
        let w = sql(
            r#"emails[type eq "work" and value co "@example.com"] and not (active eq false)"#,
            Resource::Users,
        );
        assert_eq!(
            w.sqlite.sqlite(),
            "(((u.email IS NOT NULL) AND u.email_norm LIKE ? ESCAPE '\\') AND NOT (((u.status <> 'suspended')) = ?))"
        );
        assert_eq!(
            w.postgres.postgres(2),
            "(((u.email IS NOT NULL) AND u.email_norm LIKE $2 ESCAPE '\\') AND NOT (((u.status <> 'suspended')) = $3))"
        );
        let w = sql(
            r#"displayName eq "Engineering" and members eq "u1""#,
            Resource::Groups,
        );
        assert!(
            w.sqlite.sqlite().starts_with("(g.name_norm = ? AND EXISTS"),
            "{}",
            w.sqlite.sqlite()
        );
    }

    #[test]
    fn case_exact_substrings_use_instr_on_sqlite_and_like_on_postgres() {
        let w = sql(r#"externalId sw "Ab_""#, Resource::Users);
        assert_eq!(w.sqlite.sqlite(), "substr(u.external_id, 1, length(?)) = ?");
        assert_eq!(w.sqlite.binds, vec![Bind::Text("Ab_".into()); 2]);
        assert_eq!(w.postgres.postgres(1), "u.external_id LIKE $1 ESCAPE '\\'");
        assert_eq!(w.postgres.binds, vec![Bind::Text("Ab\\_%".into())]);
    }

    #[test]
    fn unsupported_attributes_are_invalid_filter() {
        for f in [
            r#"title eq "x""#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager eq "x""#,
            r#"meta.created gt "yesterday""#,
            "active gt true",
        ] {
            match compile(&parse_filter(f).unwrap(), Resource::Users) {
                Err(AppError::InvalidFilter(_)) => {}
                other => panic!("{f}: {other:?}"),
            }
        }
    }
}
