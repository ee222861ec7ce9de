//! The administrator's views of users and groups: the Users page (filters, search, keyset
//! pagination that stays fast at millions of rows), group lists and members, each in one query.
//! The Users-page planner (`bounded_count` … `user_count`) builds its statements for either
//! engine: SQLite is told which index to walk (`INDEXED BY`); PostgreSQL chooses itself.

use super::exec::Exec;
use crate::error::AppResult;
use crate::vocab::{Source, UserStatus};
use crate::{sql, sql_built};
use sqlx::QueryBuilder;

pub use crate::vocab::SortKey;

/// The column the Users page is ordered by for `key`; each has an index `(account_id, key, id)`:
/// userName (normally the e-mail) and "first last" lower-cased, creation order by id (UUID v7).
fn column(key: SortKey) -> &'static str {
    match key {
        SortKey::Email => "u.user_name_norm",
        SortKey::Name => "u.name_norm",
        SortKey::Created => "u.id",
    }
}

/// The index that reads users of an account in `key`'s order.
fn index(key: SortKey) -> &'static str {
    match key {
        SortKey::Email => "users_account_user_name",
        SortKey::Name => "users_account_name",
        SortKey::Created => "users_account_id",
    }
}

/// How a page is found. SQLite's planner cannot know how many rows a filter or search term
/// matches, and either choice is slow for the other case, so the domain decides from a capped
/// count: few matches → find them first (filter/search indexes) and sort them; many → walk the
/// sort order's index and keep the rows that match until the page is full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Filter and search indexes find the (few) matches; they are then sorted.
    MatchesFirst,
    /// The status/source index finds the few users the filters match; each is checked
    /// against the search term (a common one), then sorted.
    FilterFirst,
    /// Walk the sort order's index and keep matching rows until the page is full.
    SortOrder(SortKey),
    /// A common term, its matches read column by column and merged: each part is one search
    /// column's users (or, in e-mail and creation order, one first word of full names: the
    /// `name_head`s listed here, at most a few), its first page read through an index that
    /// holds the page's order, the filters and the columns the part checks. A part whose column
    /// is the page's order (names in name order, a head's users or userNames in e-mail order)
    /// is walked in order and stops at a page; another is sorted whole from its index entries
    /// (~0.1 µs each) — the planner chooses this only when those are few, or when a walk of the
    /// page's order would not meet a page early. Instead of walking every user before the first
    /// match ("Ada" and "Alan" before "Grace": 400,000 at 1M users). `walk_short_heads`: the
    /// users whose first word is shorter than the term and starts it, matched by userName, are
    /// many (see `short_head_matches`): walk each such head's users in the page's order.
    Merged {
        heads: Vec<String>,
        walk_short_heads: bool,
    },
}

/// What the Users page asks for. Empty strings mean "any".
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub search: String,
    pub status: Option<UserStatus>,
    pub source: Option<Source>,
}

/// A position in the ordered list: the sort value and the id of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub value: String,
    pub id: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdminUserRow {
    pub id: String,
    pub user_name: String,
    pub email: Option<String>,
    pub first_name: String,
    pub last_name: String,
    #[sqlx(try_from = "String")]
    pub status: UserStatus,
    #[sqlx(try_from = "String")]
    pub source: Source,
    pub last_login_at: Option<String>,
    /// The value of the sort column (for the cursor).
    pub sort_value: String,
}

/// What the planner's statements need of an engine: its dialect, and binds of our types.
pub trait Engine: sqlx::Database {
    const POSTGRES: bool;
}

impl Engine for sqlx::Sqlite {
    const POSTGRES: bool = false;
}

impl Engine for sqlx::Postgres {
    const POSTGRES: bool = true;
}

/// A name term lower-cased as the engine's `lower()` folds the name columns.
fn name_term<DB: Engine>(term: &str) -> String {
    if DB::POSTGRES {
        term.to_lowercase()
    } else {
        term.to_ascii_lowercase()
    }
}

/// Whether a planner statement is kept prepared. On PostgreSQL it is not: a prepared statement
/// switches to a generic plan after five runs, planned without the term and the filters'
/// values, and for these that plan is a bitmap of every branch's range with a heap read for
/// each row (`q=grace&status=suspended&source=idp`: ~200 ms, where the plan for the values
/// reads a few thousand index entries). An unnamed statement is planned for its values each
/// time (~0.3 ms). SQLite plans a statement once and is told its indexes (`INDEXED BY`).
fn cached<DB: Engine>() -> bool {
    !DB::POSTGRES
}

/// The four search branches: (column, lower-cased term). SQLite's lower() folds ASCII only,
/// so there the name terms do the same; PostgreSQL's folds every letter, as Rust's does.
fn search_branches<DB: Engine>(term: &str) -> [(&'static str, String); 4] {
    let unicode = term.to_lowercase();
    let names = name_term::<DB>(term);
    [
        ("user_name_norm", unicode.clone()),
        ("email_norm", unicode),
        ("name_norm", names.clone()),
        ("lower(last_name)", names),
    ]
}

/// ` INDEXED BY` the index of a search branch's column, on SQLite. Its planner would choose
/// it anyway — unless an index has no statistics while the others have (`ANALYZE` run once,
/// then a migration adds or rebuilds one): the one without looks selective and was taken for
/// `account_id = ?` alone, a walk of every user (1.5 s at 1.2M users).
fn branch_index<DB: Engine>(column: &str) -> &'static str {
    if DB::POSTGRES {
        return "";
    }
    match column {
        "user_name_norm" => " INDEXED BY users_account_user_name",
        "email_norm" => " INDEXED BY users_account_email_own",
        "name_norm" => " INDEXED BY users_account_name",
        _ => " INDEXED BY users_account_last_name",
    }
}

/// The users whose search branch `column` starts with `low`. The e-mail branch is read only
/// where the address differs from the userName (`users_account_email_own`, migration 0016): an
/// address equal to the userName starts with the term exactly when the userName does, and
/// identity providers send the same value for both, so this branch is empty or small where
/// reading it whole would read every userName match a second time.
fn push_branch<'a, DB: Engine>(q: &mut QueryBuilder<'a, DB>, column: &str, low: &str)
where
    String: Binds<'a, DB>,
{
    push_prefix(q, column, low);
    if column.ends_with("email_norm") {
        let table = column.strip_suffix("email_norm").unwrap_or_default();
        q.push(format!(" AND {table}email_norm <> {table}user_name_norm"));
    }
}

/// The condition of `users_account_user_name_own` (migration 0016), as its queries must say it:
/// the users whose userName does not start with their full name's first word.
const USER_NAME_OWN: &str =
    "NOT (name_head <> '' AND substr(user_name_norm, 1, length(name_head)) = name_head)";

/// The binds the planner pushes, for any engine.
pub trait Binds<'a, DB: sqlx::Database>: sqlx::Encode<'a, DB> + sqlx::Type<DB> + Send + 'a {}
impl<'a, DB: sqlx::Database, T: sqlx::Encode<'a, DB> + sqlx::Type<DB> + Send + 'a> Binds<'a, DB>
    for T
{
}

/// `column >= low AND column < low + U+10FFFF`: the values starting with `low`, an index range
/// (bytewise on both engines: SQLite's BINARY, PostgreSQL's `COLLATE "C"` columns).
fn push_prefix<'a, DB: Engine>(q: &mut QueryBuilder<'a, DB>, column: &str, low: &str)
where
    String: Binds<'a, DB>,
{
    q.push(format!("{column} >= "))
        .push_bind(low.to_string())
        .push(format!(" AND {column} < "))
        .push_bind(format!("{low}\u{10FFFF}"));
}

/// `((col >= low AND col < low+max) OR …)` over the four search branches, checked row by row.
fn push_term_match<'a, DB: Engine>(q: &mut QueryBuilder<'a, DB>, term: &str)
where
    String: Binds<'a, DB>,
{
    q.push("(");
    for (i, (column, low)) in search_branches::<DB>(term).into_iter().enumerate() {
        if i > 0 {
            q.push(" OR ");
        }
        // Unqualified: `users u` is the only table where this is used.
        q.push("(");
        push_prefix(q, column, &low);
        q.push(")");
    }
    q.push(")");
}

/// ` AND u.status = … AND u.source = …` for the filters that are set: the one place the
/// Users page's filters become SQL (a page's WHERE clause, a name range's passing count).
fn push_status_and_source<'a, DB: Engine>(q: &mut QueryBuilder<'a, DB>, f: &UserFilter)
where
    &'static str: Binds<'a, DB>,
{
    if let Some(status) = &f.status {
        q.push(" AND u.status = ").push_bind(status.as_str());
    }
    if let Some(source) = &f.source {
        q.push(" AND u.source = ").push_bind(source.as_str());
    }
}

/// The index SQLite is told to read for `walk` (` INDEXED BY …`), or none.
fn sqlite_index(plan: &Plan, f: &UserFilter) -> String {
    match plan {
        // Newest or oldest first with a filter: that filter's users in creation order.
        Plan::SortOrder(SortKey::Created) if f.status.is_some() => {
            " INDEXED BY users_account_status_id".into()
        }
        Plan::SortOrder(SortKey::Created) if f.source.is_some() => {
            " INDEXED BY users_account_source_id".into()
        }
        // In name order, likewise (migration 0017).
        Plan::SortOrder(SortKey::Name) => format!(" INDEXED BY {}", Led::name_order(f).index),
        Plan::SortOrder(key) => format!(" INDEXED BY {}", index(*key)),
        // The search indexes find the matches (`rowid IN (…)`, below); told nothing, SQLite
        // may walk an order index that holds the filter columns instead (all the users).
        Plan::MatchesFirst if !f.search.trim().is_empty() => " NOT INDEXED".into(),
        // The filters' index ([`Led`]: both filters' own when both are set, migration 0018),
        // which holds the search columns: for `FilterFirst` (told nothing, SQLite prefers the
        // search indexes: a common term, many rows) and for filters alone (a count, or the
        // planner's sample, which checks the term on the entry; told nothing, SQLite took the
        // source's creation-order index, which has no statistics yet: ~7 times the entries of
        // the status's, and a row read for the term).
        Plan::FilterFirst | Plan::MatchesFirst if f.status.is_some() || f.source.is_some() => {
            format!(" INDEXED BY {}", Led::of(f).index)
        }
        Plan::FilterFirst | Plan::MatchesFirst | Plan::Merged { .. } => String::new(),
    }
}

fn push_filter<'a, DB: Engine>(
    q: &mut QueryBuilder<'a, DB>,
    account_id: &str,
    f: &UserFilter,
    plan: &Plan,
) where
    String: Binds<'a, DB>,
    &'static str: Binds<'a, DB>,
{
    q.push(" FROM users u");
    // SQLite is told which index to walk; PostgreSQL's planner has the statistics to choose.
    if !DB::POSTGRES {
        q.push(sqlite_index(plan, f));
    }
    q.push(" WHERE u.account_id = ")
        .push_bind(account_id.to_string());
    let term = f.search.trim();
    match plan {
        // Index range scans joined by UNION, each with the filters: the matches first,
        // whatever the order, then their rows.
        Plan::MatchesFirst if !term.is_empty() => {
            push_branch_union(q, account_id, f, search_branches::<DB>(term))
        }
        // Checked row by row (`Merged` is read part by part, never as one walk).
        _ => {
            push_status_and_source(q, f);
            if !term.is_empty() {
                q.push(" AND ");
                push_term_match(q, term);
            }
        }
    }
}

/// ` AND u.key IN (SELECT key … UNION SELECT key …)`: the users whose `branches` start with
/// their terms and that pass the filters, each an index range with the filters on the entry.
/// The userNames and the names are read from the filters' indexes ([`Led`]), bounded by them:
/// a common first name among few users that pass ("grace" among 20,000 suspended users:
/// 200,000 name entries read for none) reads only theirs. On PostgreSQL the matches are read
/// once (`= ANY(ARRAY(…))`, an init plan) and their rows fetched by id, the filters not
/// repeated outside: with statistics from before a directory was loaded (every estimate one
/// row) it walked the users the filters pass and re-ran the union for each, > 30 s for 42,600.
fn push_branch_union<'a, DB: Engine, const N: usize>(
    q: &mut QueryBuilder<'a, DB>,
    account_id: &str,
    filter: &UserFilter,
    branches: [(&'static str, String); N],
) where
    String: Binds<'a, DB>,
    &'static str: Binds<'a, DB>,
{
    q.push(if DB::POSTGRES {
        " AND u.id = ANY(ARRAY("
    } else {
        " AND u.rowid IN ("
    });
    let key = if DB::POSTGRES { "id" } else { "rowid" };
    for (i, (column, low)) in branches.into_iter().enumerate() {
        if i > 0 {
            q.push(" UNION ");
        }
        let led = match column {
            "user_name_norm" => Some(Led::of(filter)),
            "name_norm" => Some(Led::name_order(filter)),
            _ => None,
        };
        let index = match led {
            Some(led) if !DB::POSTGRES => format!(" INDEXED BY {}", led.index),
            _ => branch_index::<DB>(column).to_string(),
        };
        // The subquery's own `u` (the filters' columns are named `u.…`).
        q.push(format!(
            "SELECT u.{key} FROM users u{index} WHERE u.account_id = "
        ))
        .push_bind(account_id.to_string());
        push_status_and_source(q, filter);
        q.push(" AND ");
        push_branch(q, column, &low);
    }
    q.push(if DB::POSTGRES { "))" } else { ")" });
}

/// The opening of a capped walk's count: `SELECT count(*), sum(p) FROM (SELECT <p> …`, where `p`
/// is a boolean of each row walked; the caller writes `p AS p`, the walk, and `) AS walked`.
fn count_walked<DB: Engine>() -> &'static str {
    if DB::POSTGRES {
        "SELECT count(*), coalesce(sum(p::INT), 0)::BIGINT FROM (SELECT "
    } else {
        "SELECT count(*), coalesce(sum(p), 0) FROM (SELECT "
    }
}

/// Walks at most `scan` users and says how many it walked (up to `scan + 1`) and how many of
/// those match. `walk` is `MatchesFirst` for users that pass the filters, in any order (the
/// filters' index), counting those the search term matches; or `SortOrder(key)` for the first
/// users in that order (`descending`: from its end), whatever the filters, counting those that
/// match the term and pass the filters (a rare filter would make a walk of its passing users
/// long: 100,000 users read to pass 2,000 suspended ones).
pub async fn bounded_count(
    db: impl Exec<'_>,
    account_id: &str,
    filter: &UserFilter,
    walk: Plan,
    descending: bool,
    scan: i64,
) -> AppResult<(i64, i64)> {
    let sort_order = matches!(walk, Plan::SortOrder(_));
    let walked = UserFilter {
        search: String::new(),
        ..(if sort_order {
            UserFilter::default()
        } else {
            filter.clone()
        })
    };
    Ok(sql_built!(
        db,
        |Db| {
            let mut q = QueryBuilder::<Db>::new(count_walked::<Db>());
            push_term_match(&mut q, filter.search.trim());
            if sort_order {
                push_status_and_source(&mut q, filter);
            }
            q.push(" AS p");
            push_filter(&mut q, account_id, &walked, &walk);
            if let Plan::SortOrder(key) = walk {
                let dir = if descending { "DESC" } else { "ASC" };
                q.push(format!(" ORDER BY {} {dir}, u.id {dir}", column(key)));
            }
            q.push(" LIMIT ").push_bind(scan + 1).push(") AS walked");
            q
        },
        |q, e| q
            .build_query_as()
            .persistent(cached::<Db>())
            .fetch_one(e)
            .await
    )?)
}

/// Walks at most `scan` users of the term's range of the name index (those whose full name
/// starts with it) and says how many it walked (up to `scan + 1`) and how many of those pass
/// the filters. That index holds status and source, so on SQLite this reads index entries only.
pub async fn name_range_count(
    db: impl Exec<'_>,
    account_id: &str,
    filter: &UserFilter,
    scan: i64,
) -> AppResult<(i64, i64)> {
    Ok(sql_built!(
        db,
        |Db| {
            let mut q = QueryBuilder::<Db>::new(count_walked::<Db>());
            q.push("TRUE");
            push_status_and_source(&mut q, filter);
            q.push(" AS p FROM users u");
            if !<Db as Engine>::POSTGRES {
                q.push(format!(" INDEXED BY {}", index(SortKey::Name)));
            }
            q.push(" WHERE u.account_id = ")
                .push_bind(account_id.to_string())
                .push(" AND ");
            let [_, _, (_, names), _] = search_branches::<Db>(filter.search.trim());
            push_prefix(&mut q, "u.name_norm", &names);
            q.push(" LIMIT ").push_bind(scan + 1).push(") AS walked");
            q
        },
        |q, e| q
            .build_query_as()
            .persistent(cached::<Db>())
            .fetch_one(e)
            .await
    )?)
}

/// The filters whose index a userName range is read from, as columns and values (they bound
/// the range), and that index: both filters' when both are set (migration 0018), else the one
/// that is set (status before source: each is in userName order too), else the userName index.
/// Every such index holds status and source: entries only.
struct Led {
    led: Vec<(&'static str, &'static str)>,
    index: &'static str,
}

impl Led {
    fn of(filter: &UserFilter) -> Led {
        let status = filter.status.map(|s| ("u.status", s.as_str()));
        let source = filter.source.map(|s| ("u.source", s.as_str()));
        let index = match (status, source) {
            (Some(_), Some(_)) => "users_account_status_source",
            (Some(_), None) => "users_account_status",
            (None, Some(_)) => "users_account_source",
            (None, None) => index(SortKey::Email),
        };
        Led {
            led: status.into_iter().chain(source).collect(),
            index,
        }
    }

    /// The index of users in name order that holds the filters, and the one that bounds it:
    /// the status's users (the source on the entry), else the source's, else every user (both
    /// filters on the entry; migration 0017).
    fn name_order(filter: &UserFilter) -> Led {
        let (led, index) = match (filter.status, filter.source) {
            (Some(status), _) => (("u.status", status.as_str()), "users_account_status_name"),
            (None, Some(source)) => (("u.source", source.as_str()), "users_account_source_name"),
            (None, None) => {
                return Led {
                    led: Vec::new(),
                    index: index(SortKey::Name),
                }
            }
        };
        Led {
            led: vec![led],
            index,
        }
    }

    /// ` AND column = value` for each led filter.
    fn push_bounds<'a, DB: Engine>(&self, q: &mut QueryBuilder<'a, DB>)
    where
        &'static str: Binds<'a, DB>,
    {
        for (column, value) in &self.led {
            q.push(format!(" AND {column} = ")).push_bind(*value);
        }
    }
}

/// How many users whose userName starts with the term pass the filters, counted no further
/// than `cap` (the answer is at most `cap + 1`): one range of the filters' index ([`Led`]),
/// which is in userName order, index entries only.
pub async fn user_name_range_count(
    db: impl Exec<'_>,
    account_id: &str,
    filter: &UserFilter,
    cap: i64,
) -> AppResult<i64> {
    Ok(sql_built!(
        db,
        |Db| {
            let led = Led::of(filter);
            let mut q = QueryBuilder::<Db>::new("SELECT count(*) FROM (SELECT 1 FROM users u");
            if !<Db as Engine>::POSTGRES {
                q.push(format!(" INDEXED BY {}", led.index));
            }
            q.push(" WHERE u.account_id = ")
                .push_bind(account_id.to_string());
            led.push_bounds(&mut q);
            q.push(" AND ");
            let [(_, user_name), ..] = search_branches::<Db>(filter.search.trim());
            push_prefix(&mut q, "u.user_name_norm", &user_name);
            q.push(" LIMIT ").push_bind(cap + 1).push(") AS passing");
            q
        },
        |q, e| q
            .build_query_scalar()
            .persistent(cached::<Db>())
            .fetch_one(e)
            .await
    )?)
}

/// The search term's index ranges after its userNames (those are counted by
/// [`user_name_range_count`]: one range of the filters' index), in the order
/// [`term_range_count`] counts them: each leaves out the users an earlier one (or the
/// userNames) holds, so every match is counted once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermRange {
    /// The full names ("first last"), in the filter's name-order index ([`Led::name_order`]).
    Name,
    /// Addresses other than the userName.
    Email,
    LastName,
}

impl TermRange {
    pub const ALL: [TermRange; 3] = [TermRange::Name, TermRange::Email, TermRange::LastName];
}

/// Of the users in the search term's `range` (after the ranges before it), how many pass the
/// filters: (entries read, up to `scan + 1`; entries that count). Entries only, the filters
/// checked on each: with a common filter this reads far fewer than the filter's index would
/// ("new" among 326,000 active users: 21,000 name entries). ~0.2 µs an entry.
pub async fn term_range_count(
    db: impl Exec<'_>,
    account_id: &str,
    filter: &UserFilter,
    range: TermRange,
    scan: i64,
) -> AppResult<(i64, i64)> {
    Ok(sql_built!(
        db,
        |Db| {
            let [(_, user_name), (_, email), (_, names), (_, last_name)] =
                search_branches::<Db>(filter.search.trim());
            let led = Led::name_order(filter);
            let (index, earlier) = match range {
                TermRange::Name => (led.index, 1),
                TermRange::Email => ("users_account_email_own", 2),
                TermRange::LastName => ("users_account_last_name", 3),
            };
            let ranges = [
                ("u.user_name_norm", &user_name),
                ("u.name_norm", &names),
                ("u.email_norm", &email),
            ];
            let mut q = QueryBuilder::<Db>::new(count_walked::<Db>());
            q.push("TRUE");
            push_status_and_source(&mut q, filter);
            for (column, low) in &ranges[..earlier] {
                q.push(" AND NOT (");
                push_branch(&mut q, column, low);
                q.push(")");
            }
            q.push(" AS p FROM users u");
            if !<Db as Engine>::POSTGRES {
                q.push(format!(" INDEXED BY {index}"));
            }
            q.push(" WHERE u.account_id = ")
                .push_bind(account_id.to_string())
                .push(" AND ");
            match range {
                TermRange::Name => {
                    // The filter bounds the range to its users (the status's or the
                    // source's, the other on the entry: "grace u" among manual users read
                    // every "Grace U…", 200,000, for the source on each).
                    q.push("TRUE");
                    led.push_bounds(&mut q);
                    q.push(" AND ");
                    push_prefix(&mut q, "u.name_norm", &names);
                }
                TermRange::Email => push_branch(&mut q, "u.email_norm", &email),
                TermRange::LastName => push_prefix(&mut q, "lower(u.last_name)", &last_name),
            }
            q.push(" LIMIT ").push_bind(scan + 1).push(") AS walked");
            q
        },
        |q, e| q
            .build_query_as()
            .persistent(cached::<Db>())
            .fetch_one(e)
            .await
    )?)
}

/// The first words of full names (`name_head`) that start with `term`, in order, at most
/// `cap + 1` of them (one index seek each: a skip scan of `users_account_name_head`); for a
/// term with a space, its first word (see below).
pub async fn name_heads(
    db: impl Exec<'_>,
    account_id: &str,
    term: &str,
    cap: i64,
) -> AppResult<Vec<String>> {
    // A full name starts with a term that has a space only where its first word is the
    // term's first word (`name_head` is the name up to its first space): that one head, whose
    // users the merged part checks for the rest of the term on the entry. ("grace u" in
    // e-mail order sorted 200,000 names before; walked in that head's userName order, a page.)
    if let Some((first, _)) = term.trim().split_once(' ') {
        let head = match db.ex() {
            super::exec::Ex::PgPool(_) | super::exec::Ex::PgConn(_) => {
                name_term::<sqlx::Postgres>(first)
            }
            _ => name_term::<sqlx::Sqlite>(first),
        };
        return Ok(vec![head]);
    }
    Ok(sql_built!(
        db,
        |Db| {
            let [_, _, (_, low), _] = search_branches::<Db>(term.trim());
            let high = format!("{low}\u{10FFFF}");
            let hint = if <Db as Engine>::POSTGRES {
                ""
            } else {
                " INDEXED BY users_account_name_head"
            };
            // The least head of the range from `low` (the first), or after the last one found.
            let next_head = |q: &mut QueryBuilder<'_, Db>, first: bool| {
                q.push(format!(
                    "(SELECT name_head FROM users{hint} WHERE account_id = "
                ))
                .push_bind(account_id.to_string());
                if first {
                    q.push(" AND name_head >= ").push_bind(low.clone());
                } else {
                    q.push(" AND name_head > heads.head");
                }
                q.push(" AND name_head < ")
                    .push_bind(high.clone())
                    .push(" ORDER BY name_head LIMIT 1)");
            };
            let mut q = QueryBuilder::<Db>::new("WITH RECURSIVE heads(head) AS (SELECT ");
            next_head(&mut q, true);
            q.push(" UNION ALL SELECT ");
            next_head(&mut q, false);
            q.push(" FROM heads WHERE heads.head IS NOT NULL)");
            q.push(" SELECT head FROM heads WHERE head IS NOT NULL LIMIT ")
                .push_bind(cap + 1);
            q
        },
        |q, e| q
            .build_query_scalar()
            .persistent(cached::<Db>())
            .fetch_all(e)
            .await
    )?)
}

/// The first words a term's userName matches may have without a name match (besides those of
/// `users_account_user_name_own`): the term's own beginnings, shorter than it.
fn short_heads(term: &str) -> impl Iterator<Item = &str> {
    term.char_indices().skip(1).map(|(end, _)| &term[..end])
}

/// How many users, at most `cap + 1`, have a first word shorter than `term` that starts it and
/// a userName that starts with it (`Plan::Merged`'s `walk_short_heads`): one index range per
/// such first word.
pub async fn short_head_matches(
    db: impl Exec<'_>,
    account_id: &str,
    term: &str,
    cap: i64,
) -> AppResult<i64> {
    if term.trim().chars().nth(1).is_none() {
        return Ok(0);
    }
    Ok(sql_built!(
        db,
        |Db| {
            let [(_, user_name), ..] = search_branches::<Db>(term.trim());
            let mut q = QueryBuilder::<Db>::new("SELECT count(*) FROM (SELECT 1 FROM users");
            if !<Db as Engine>::POSTGRES {
                q.push(" INDEXED BY users_account_name_head");
            }
            q.push(" WHERE account_id = ")
                .push_bind(account_id.to_string())
                .push(" AND name_head IN (");
            let mut heads = q.separated(", ");
            for head in short_heads(&user_name) {
                heads.push_bind(head.to_string());
            }
            q.push(") AND ");
            push_prefix(&mut q, "user_name_norm", &user_name);
            q.push(" LIMIT ").push_bind(cap + 1).push(") AS counted");
            q
        },
        |q, e| q
            .build_query_scalar()
            .persistent(cached::<Db>())
            .fetch_one(e)
            .await
    )?)
}

/// How many users a search term matches through each column, each counted no further than a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breadth {
    /// Through an e-mail address that differs from the userName (see `push_branch`).
    pub email: i64,
    /// Through the full name ("first last").
    pub name: i64,
    pub last_name: i64,
    /// The userName matches a `Plan::Merged` page sorts in name or creation order (besides
    /// those of `short_head_matches`): of `users_account_user_name_own` where the split of
    /// `push_merged` holds, otherwise all of them.
    pub user_name_apart: i64,
}

impl Breadth {
    /// The most through any one column: tells a rare term from a common one.
    pub fn widest(self) -> i64 {
        self.email.max(self.name).max(self.last_name)
    }
}

/// How many users each search branch but the userNames matches, counting no further than `cap`
/// in each (short index range scans). The userNames are counted apart
/// ([`user_name_range_count`]), only when no branch here passes the cap: "grace" in a
/// "first.last@" directory would read 10,001 of each for the same answer (~2 ms).
pub async fn search_breadth(
    db: impl Exec<'_>,
    account_id: &str,
    term: &str,
    cap: i64,
) -> AppResult<Breadth> {
    let counts: (i64, i64, i64, i64) = sql_built!(
        db,
        |Db| {
            let branches = search_branches::<Db>(term.trim());
            // The userNames a merged page sorts (see `push_merged`): where the term's userName
            // and name forms agree, those of `users_account_user_name_own` only.
            let apart = (
                branches[0].0,
                branches[0].1.clone(),
                branches[0].1 == branches[2].1,
            );
            let mut q = QueryBuilder::<Db>::new("SELECT ");
            let counted = branches.into_iter().skip(1).map(|(c, low)| (c, low, false));
            for (i, (column, low, own)) in counted.chain([apart]).enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                let index = if own && !<Db as Engine>::POSTGRES {
                    " INDEXED BY users_account_user_name_own"
                } else {
                    branch_index::<Db>(column)
                };
                q.push(format!(
                    "(SELECT count(*) FROM (SELECT 1 FROM users{index} WHERE account_id = "
                ))
                .push_bind(account_id.to_string())
                .push(" AND ");
                push_branch(&mut q, column, &low);
                if own {
                    q.push(format!(" AND {USER_NAME_OWN}"));
                }
                q.push(" LIMIT ")
                    .push_bind(cap + 1)
                    .push(format!(") AS branch{i})"));
            }
            q
        },
        |q, e| q
            .build_query_as()
            .persistent(cached::<Db>())
            .fetch_one(e)
            .await
    )?;
    let (email, name, last_name, user_name_apart) = counts;
    Ok(Breadth {
        email,
        name,
        last_name,
        user_name_apart,
    })
}

/// One page of the Users page, as the domain asks for it.
pub struct PageRequest<'a> {
    pub filter: &'a UserFilter,
    pub sort: SortKey,
    /// The page's order.
    pub descending: bool,
    pub cursor: Option<&'a Cursor>,
    /// Read the rows before `cursor` (the previous page); returned in page order.
    pub backwards: bool,
    pub limit: i64,
    pub plan: Plan,
}

/// Returns up to `limit + 1` rows: the extra one says there is more in the reading direction.
pub async fn user_page(
    db: impl Exec<'_>,
    account_id: &str,
    r: &PageRequest<'_>,
) -> AppResult<Vec<AdminUserRow>> {
    // Reading forwards in ascending order, or backwards in descending order, goes up.
    let upward = r.descending == r.backwards;
    let mut rows: Vec<AdminUserRow> = sql_built!(
        db,
        |Db| {
            let mut q = QueryBuilder::<Db>::new("");
            match &r.plan {
                Plan::Merged {
                    heads,
                    walk_short_heads,
                } if !r.filter.search.trim().is_empty() => {
                    push_merged(&mut q, account_id, r, heads, *walk_short_heads, upward)
                }
                plan => push_page_part(&mut q, account_id, r, plan, upward),
            }
            q
        },
        |q, e| q
            .build_query_as()
            .persistent(cached::<Db>())
            .fetch_all(e)
            .await
    )?;
    if r.backwards {
        // Keep the extra row (the "there is more" marker) at the end, reverse the page itself.
        let extra = (rows.len() as i64 > r.limit).then(|| rows.pop()).flatten();
        rows.reverse();
        rows.extend(extra);
    }
    Ok(rows)
}

/// `SELECT` the page row's columns and the sort column's value (for the cursor).
fn push_row_columns<DB: Engine>(q: &mut QueryBuilder<'_, DB>, key: &str) {
    q.push(format!(
        "SELECT u.id, u.user_name, u.email, u.first_name, u.last_name, u.status, u.source, u.last_login_at, {key} AS sort_value"
    ));
}

/// ` AND (key, id) > (cursor)` (or `<`): the rows after the cursor in the reading direction.
fn push_after_cursor<'a, DB: Engine>(
    q: &mut QueryBuilder<'a, DB>,
    key: &str,
    r: &PageRequest<'_>,
    upward: bool,
) where
    String: Binds<'a, DB>,
{
    if let Some(c) = r.cursor {
        q.push(format!(
            " AND ({key}, u.id) {} (",
            if upward { ">" } else { "<" }
        ))
        .push_bind(c.value.clone())
        .push(", ")
        .push_bind(c.id.clone())
        .push(")");
    }
}

/// One ordered, limited SELECT of page rows read by `plan`, after the cursor.
fn push_page_part<'a, DB: Engine>(
    q: &mut QueryBuilder<'a, DB>,
    account_id: &str,
    r: &PageRequest<'_>,
    plan: &Plan,
    upward: bool,
) where
    String: Binds<'a, DB>,
    &'static str: Binds<'a, DB>,
    i64: Binds<'a, DB>,
{
    let key = column(r.sort);
    push_row_columns(q, key);
    push_filter(q, account_id, r.filter, plan);
    push_after_cursor(q, key, r, upward);
    push_page_order(q, key, "u.id", r, upward);
}

/// The page of `Plan::Merged`: the users among the parts' first pages (`IN` drops a user two
/// parts hold), in the page's order. Each part reads one index and only its entries; the rows
/// are read for the page alone. A part that is sorted whole leaves out, on the entry, the
/// users an earlier part holds (their names, their userNames), so it sorts only its own few.
fn push_merged<'a, DB: Engine>(
    q: &mut QueryBuilder<'a, DB>,
    account_id: &str,
    r: &PageRequest<'_>,
    heads: &[String],
    walk_short_heads: bool,
    upward: bool,
) where
    String: Binds<'a, DB>,
    &'static str: Binds<'a, DB>,
    i64: Binds<'a, DB>,
{
    let key = column(r.sort);
    let row = if DB::POSTGRES { "id" } else { "rowid" };
    let [(_, user_name), (_, email), (_, names), (_, last_name)] =
        search_branches::<DB>(r.filter.search.trim());
    push_row_columns(q, key);
    q.push(if DB::POSTGRES {
        " FROM users u"
    } else {
        " FROM users u NOT INDEXED"
    });
    q.push(" WHERE u.account_id = ")
        .push_bind(account_id.to_string())
        .push(format!(" AND u.{row} IN ("));
    let mut parts = 0;
    // `walked`: the part's index holds the page's order, so reading it stops at a page. A part
    // that is not is sorted whole; on PostgreSQL it is fenced (`OFFSET 0`: planned on its own,
    // for all its rows), or the planner, trusting its estimate of the term's matches, walks the
    // order's index for them instead — every user of the account when the part is empty
    // (1.0 s for "grace" at 1M users, where the fenced part takes 0.04 ms).
    let mut part = |q: &mut QueryBuilder<'a, DB>,
                    index: &str,
                    walked: bool,
                    matches: &dyn Fn(&mut QueryBuilder<'a, DB>)| {
        if parts > 0 {
            q.push(" UNION ALL ");
        }
        let fenced = DB::POSTGRES && !walked;
        if fenced {
            q.push(format!(
                "SELECT k FROM (SELECT k FROM (SELECT u.id AS k, {key} AS s FROM users u"
            ));
        } else {
            q.push(format!("SELECT k FROM (SELECT u.{row} AS k FROM users u"));
        }
        if !DB::POSTGRES {
            q.push(format!(" INDEXED BY {index}"));
        }
        q.push(" WHERE u.account_id = ")
            .push_bind(account_id.to_string());
        push_status_and_source(q, r.filter);
        q.push(" AND ");
        matches(q);
        push_after_cursor(q, key, r, upward);
        if fenced {
            q.push(" OFFSET 0) AS fenced");
            push_page_order(q, "s", "k", r, upward);
        } else {
            push_page_order(q, key, "u.id", r, upward);
        }
        q.push(format!(") AS part{parts}"));
        parts += 1;
    };
    // The name matches: in name order (or without heads) the term's range of the name index
    // (the filter's own, with a filter: a walk of every "Grace" for the few that pass read
    // 200,000 entries), otherwise each head's users, in the page's order.
    if r.sort == SortKey::Name || heads.is_empty() {
        part(
            q,
            Led::name_order(r.filter).index,
            r.sort == SortKey::Name,
            &|q| push_prefix(q, "name_norm", &names),
        );
    } else {
        let index = match r.sort {
            SortKey::Created => "users_account_name_head_id",
            _ => "users_account_name_head",
        };
        for head in heads {
            part(q, index, true, &|q| {
                // The rest of a term with a space is checked on the entry (a head that starts
                // the term matches whole: its users' names all start with the term).
                q.push("name_head = ").push_bind(head.clone()).push(" AND ");
                push_prefix(q, "name_norm", &names);
            });
        }
    }
    let not = |q: &mut QueryBuilder<'a, DB>, column: &str, low: &str| {
        q.push(" AND NOT (");
        push_prefix(q, column, low);
        q.push(")");
    };
    // The userNames. In e-mail order, the page's own order: walked in order (all of them;
    // leaving the named out on the way would pass every one when they are the same people, as
    // "grace.hopper@" and "Grace Hopper" are).
    // With filters, read from their index ([`Led`], in userName order): the userName index
    // holds neither filter, a row read for each ("grace" among suspended users: 36,000 rows
    // for none).
    if r.sort == SortKey::Email {
        part(q, Led::of(r.filter).index, true, &|q| {
            push_prefix(q, "user_name_norm", &user_name)
        });
    } else if user_name == names {
        // Otherwise sorted, without the name matches: those of users whose userName does not
        // start with their name's first word (`users_account_user_name_own`, see migration
        // 0016), and those whose first word is shorter than the term and starts it — the
        // only others a userName match can be without a name match ("al" of "al.smith@" for
        // "al.s"). In a "first.last@" directory, a first-name term's 200,000 userName
        // matches are its name matches: neither part reads them.
        part(q, "users_account_user_name_own", false, &|q| {
            push_prefix(q, "user_name_norm", &user_name);
            q.push(format!(" AND {USER_NAME_OWN}"));
            not(q, "name_norm", &names);
        });
        for head in short_heads(&user_name) {
            let starts = |q: &mut QueryBuilder<'a, DB>| {
                q.push(" AND ");
                push_prefix(q, "user_name_norm", &user_name);
                not(q, "name_norm", &names);
            };
            match r.sort {
                // Many: the head's users in name order are one range of the name index
                // (its full name is the head, or the head and a space), walked.
                SortKey::Name if walk_short_heads => part(q, "users_account_name", true, &|q| {
                    q.push("name_norm >= ").push_bind(head.to_string());
                    q.push(" AND name_norm < ")
                        .push_bind(format!("{head} \u{10FFFF}"));
                    starts(q);
                }),
                SortKey::Created if walk_short_heads => {
                    part(q, "users_account_name_head_id", true, &|q| {
                        q.push("name_head = ").push_bind(head.to_string());
                        starts(q);
                    })
                }
                // Few: the head's range of userNames, sorted.
                _ => part(
                    q,
                    "users_account_name_head",
                    r.sort == SortKey::Email,
                    &|q| {
                        q.push("name_head = ").push_bind(head.to_string());
                        starts(q);
                    },
                ),
            }
        }
    } else {
        // SQLite, a term with capitals beyond ASCII: the name branch's term is not the
        // userName's, so the split above does not hold; every userName match, each row read.
        part(
            q,
            "users_account_user_name",
            r.sort == SortKey::Email,
            &|q| {
                push_prefix(q, "user_name_norm", &user_name);
                not(q, "name_norm", &names);
            },
        );
    }
    // Addresses other than the userName, and last names: sorted, the earlier parts left out.
    let others = [
        ("users_account_email_own", "email_norm", &email),
        ("users_account_last_name", "lower(last_name)", &last_name),
    ];
    for (index, column, low) in others {
        part(q, index, false, &|q| {
            push_branch(q, column, low);
            not(q, "name_norm", &names);
            not(q, "user_name_norm", &user_name);
        });
    }
    q.push(")");
    push_page_order(q, key, "u.id", r, upward);
}

/// ` ORDER BY key dir, id dir LIMIT n`: the page's order in the reading direction, one row more.
fn push_page_order<'a, DB: Engine>(
    q: &mut QueryBuilder<'a, DB>,
    key: &str,
    id: &str,
    r: &PageRequest<'_>,
    upward: bool,
) where
    i64: Binds<'a, DB>,
{
    let dir = if upward { "ASC" } else { "DESC" };
    q.push(format!(" ORDER BY {key} {dir}, {id} {dir} LIMIT "))
        .push_bind(r.limit + 1);
}

/// How many users match, counting no further than `cap` (an exact count of a million rows
/// costs more than the page itself; "10,000+" is what a person needs to know).
pub async fn user_count(
    db: impl Exec<'_>,
    account_id: &str,
    filter: &UserFilter,
    cap: i64,
    plan: Plan,
) -> AppResult<i64> {
    Ok(sql_built!(
        db,
        |Db| {
            let mut q = QueryBuilder::<Db>::new("SELECT count(*) FROM (SELECT 1");
            push_filter(&mut q, account_id, filter, &plan);
            q.push(" LIMIT ").push_bind(cap + 1).push(") AS counted");
            q
        },
        |q, e| q
            .build_query_scalar()
            .persistent(cached::<Db>())
            .fetch_one(e)
            .await
    )?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserGroupRow {
    pub user_id: String,
    pub group_id: String,
    pub name: String,
}

/// The groups of each of `user_ids`, in one query.
pub async fn groups_of_users(
    db: impl Exec<'_>,
    account_id: &str,
    user_ids: &[String],
) -> AppResult<Vec<UserGroupRow>> {
    if user_ids.is_empty() {
        return Ok(Vec::new());
    }
    let json =
        serde_json::to_string(user_ids).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    Ok(sql!(db, fetch_all as _,
        sqlite: "SELECT gm.user_id, g.id AS group_id, g.name FROM group_members gm JOIN user_groups g ON g.id = gm.group_id
         WHERE gm.user_id IN (SELECT value FROM json_each(?)) AND g.account_id = ? ORDER BY g.name_norm" => [json, account_id],
        postgres: "SELECT gm.user_id, g.id AS group_id, g.name FROM group_members gm JOIN user_groups g ON g.id = gm.group_id
         WHERE gm.user_id = ANY($1) AND g.account_id = $2 ORDER BY g.name_norm" => [user_ids, account_id])?)
}

pub async fn last_login(
    db: impl Exec<'_>,
    account_id: &str,
    user_id: &str,
) -> AppResult<Option<String>> {
    Ok(sql!(db, fetch_optional scalar _,
        sqlite: "SELECT last_login_at FROM users WHERE account_id = ? AND id = ?",
        postgres: "SELECT last_login_at FROM users WHERE account_id = $1 AND id = $2",
        account_id, user_id,
    )?
    .flatten())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GroupSummaryRow {
    pub id: String,
    pub name: String,
    pub builtin: Option<String>,
    #[sqlx(try_from = "String")]
    pub source: Source,
    pub members: i64,
}

/// Every group of the account with its member count, by name.
pub async fn group_summaries(
    db: impl Exec<'_>,
    account_id: &str,
) -> AppResult<Vec<GroupSummaryRow>> {
    Ok(sql!(db, fetch_all as _,
        sqlite: "SELECT g.id, g.name, g.builtin, g.source,
                (SELECT count(*) FROM group_members gm WHERE gm.group_id = g.id) AS members
         FROM user_groups g WHERE g.account_id = ? ORDER BY g.builtin IS NULL, g.name_norm",
        postgres: "SELECT g.id, g.name, g.builtin, g.source,
                (SELECT count(*) FROM group_members gm WHERE gm.group_id = g.id) AS members
         FROM user_groups g WHERE g.account_id = $1 ORDER BY g.builtin IS NULL, g.name_norm",
        account_id,
    )?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberDetailRow {
    pub user_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub status: UserStatus,
}

/// Members of a group with what the UI shows about them, first `limit` by e-mail.
pub async fn members(
    db: impl Exec<'_>,
    group_id: &str,
    limit: i64,
) -> AppResult<Vec<MemberDetailRow>> {
    Ok(sql!(db, fetch_all as _,
        sqlite: "SELECT u.id AS user_id, u.first_name, u.last_name, COALESCE(u.email, u.user_name) AS email, u.status
         FROM group_members gm JOIN users u ON u.id = gm.user_id
         WHERE gm.group_id = ? ORDER BY u.user_name_norm LIMIT ?",
        postgres: "SELECT u.id AS user_id, u.first_name, u.last_name, COALESCE(u.email, u.user_name) AS email, u.status
         FROM group_members gm JOIN users u ON u.id = gm.user_id
         WHERE gm.group_id = $1 ORDER BY u.user_name_norm LIMIT $2",
        group_id, limit,
    )?)
}

pub async fn member_count(db: impl Exec<'_>, group_id: &str) -> AppResult<i64> {
    Ok(sql!(db, fetch_one scalar _,
        sqlite: "SELECT count(*) FROM group_members WHERE group_id = ?",
        postgres: "SELECT count(*) FROM group_members WHERE group_id = $1",
        group_id,
    )?)
}

/// Is the user in the group?
pub async fn is_member(db: impl Exec<'_>, group_id: &str, user_id: &str) -> AppResult<bool> {
    let found: Option<i64> = sql!(db, fetch_optional scalar _,
        sqlite: "SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?",
        postgres: "SELECT 1::BIGINT FROM group_members WHERE group_id = $1 AND user_id = $2",
        group_id, user_id,
    )?;
    Ok(found.is_some())
}

/// The id of the account's user with this e-mail (or userName), if any.
pub async fn user_id_by_email(
    db: impl Exec<'_>,
    account_id: &str,
    email: &str,
) -> AppResult<Option<String>> {
    let norm = email.trim().to_lowercase();
    Ok(sql!(db, fetch_optional scalar _,
        sqlite: "SELECT id FROM users WHERE account_id = ? AND (email_norm = ? OR user_name_norm = ?) LIMIT 1",
        postgres: "SELECT id FROM users WHERE account_id = $1 AND (email_norm = $2 OR user_name_norm = $3) LIMIT 1",
        account_id, &norm, &norm,
    )?)
}

/// Which of `group_ids` are groups of the account (only manual ones, those an administrator
/// may assign members to, when `manual_only`).
pub async fn groups_in_account(
    db: impl Exec<'_>,
    account_id: &str,
    group_ids: &[String],
    manual_only: bool,
) -> AppResult<Vec<String>> {
    if group_ids.is_empty() {
        return Ok(Vec::new());
    }
    let json =
        serde_json::to_string(group_ids).map_err(|e| crate::AppError::Internal(e.to_string()))?;
    let manual = if manual_only {
        " AND source = 'manual'"
    } else {
        ""
    };
    Ok(sql!(db, fetch_all scalar _,
        sqlite: &format!(
            "SELECT id FROM user_groups WHERE account_id = ?{manual} AND id IN (SELECT value FROM json_each(?))"
        ) => [account_id, json],
        postgres: &format!(
            "SELECT id FROM user_groups WHERE account_id = $1{manual} AND id = ANY($2)"
        ) => [account_id, group_ids])?)
}

/// Up to `limit` ids of the account's active Account Administrators.
pub async fn active_admins(
    db: impl Exec<'_>,
    account_id: &str,
    limit: i64,
) -> AppResult<Vec<String>> {
    Ok(sql!(db, fetch_all scalar _,
        sqlite: "SELECT gm.user_id FROM group_members gm JOIN user_groups g ON g.id = gm.group_id JOIN users u ON u.id = gm.user_id
         WHERE g.account_id = ? AND g.builtin = ? AND u.status = 'active' LIMIT ?",
        postgres: "SELECT gm.user_id FROM group_members gm JOIN user_groups g ON g.id = gm.group_id JOIN users u ON u.id = gm.user_id
         WHERE g.account_id = $1 AND g.builtin = $2 AND u.status = 'active' LIMIT $3",
        account_id, crate::store::groups::ADMIN_BUILTIN, limit,
    )?)
}
