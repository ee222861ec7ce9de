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
    /// Name order, a term whose name matches are many and whose other matches (e-mail,
    /// userName, last name) are few: the name matches are one contiguous range of the name
    /// index, walked in order from where the term starts (not from "Ada" when it is "Grace");
    /// the few others are found by their indexes, and the two are merged into the page.
    NameRange,
    /// E-mail or creation order, a term without a space that many full names and few others
    /// match: the name matches are the users of a few first words of full names (`name_head`,
    /// listed here), each head's users in either order in an index; the page merges each
    /// head's first rows with the few other matches (as `NameRange` does), instead of walking
    /// every user before the first match.
    NameHeads(Vec<String>),
}

/// What `push_filter` reads: a plan, or a part of `Plan::NameRange` or `Plan::NameHeads`.
#[derive(Debug, Clone, Copy)]
enum Walk<'p> {
    /// For `Plan::NameRange`: its first half, the term's range of the name index.
    Plan(&'p Plan),
    /// The users the term matches through the other three columns and not by name.
    NameRangeRest,
    /// For `Plan::NameHeads`: the users of one head, in the page's order (e-mail or creation).
    NameHead(&'p str, SortKey),
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

/// The four search branches: (column, lower-cased term). SQLite's lower() folds ASCII only,
/// so there the name terms do the same; PostgreSQL's folds every letter, as Rust's does.
fn search_branches<DB: Engine>(term: &str) -> [(&'static str, String); 4] {
    let unicode = term.to_lowercase();
    let names = if DB::POSTGRES {
        unicode.clone()
    } else {
        term.to_ascii_lowercase()
    };
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
        "email_norm" => " INDEXED BY users_account_email",
        "name_norm" => " INDEXED BY users_account_name",
        _ => " INDEXED BY users_account_last_name",
    }
}

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
fn sqlite_index(walk: Walk, f: &UserFilter) -> String {
    let plan = match walk {
        Walk::NameHead(_, SortKey::Created) => {
            return " INDEXED BY users_account_name_head_id".into()
        }
        Walk::NameHead(..) => return " INDEXED BY users_account_name_head".into(),
        Walk::NameRangeRest => &Plan::MatchesFirst,
        Walk::Plan(plan) => plan,
    };
    match plan {
        // Newest or oldest first with a filter: that filter's users in creation order.
        Plan::SortOrder(SortKey::Created) if f.status.is_some() => {
            " INDEXED BY users_account_status_id".into()
        }
        Plan::SortOrder(SortKey::Created) if f.source.is_some() => {
            " INDEXED BY users_account_source_id".into()
        }
        Plan::SortOrder(key) => format!(" INDEXED BY {}", index(*key)),
        Plan::NameRange => format!(" INDEXED BY {}", index(SortKey::Name)),
        // The search indexes find the matches (`rowid IN (…)`, below); told nothing, SQLite
        // may walk an order index that holds the filter columns instead (all the users).
        Plan::MatchesFirst if !f.search.trim().is_empty() => " NOT INDEXED".into(),
        // The filter's index, which holds the search columns and the other filter: for
        // `FilterFirst` (told nothing, SQLite prefers the search indexes: a common term, many
        // rows) and for filters alone (a count, or the planner's sample, which checks the term
        // on the entry; told nothing, SQLite took the source's creation-order index, which has
        // no statistics yet: ~7 times the entries of the status's, and a row read for the term).
        Plan::FilterFirst | Plan::MatchesFirst if f.status.is_some() => {
            " INDEXED BY users_account_status".into()
        }
        Plan::FilterFirst | Plan::MatchesFirst if f.source.is_some() => {
            " INDEXED BY users_account_source".into()
        }
        Plan::FilterFirst | Plan::MatchesFirst | Plan::NameHeads(_) => String::new(),
    }
}

fn push_filter<'a, DB: Engine>(
    q: &mut QueryBuilder<'a, DB>,
    account_id: &str,
    f: &UserFilter,
    walk: Walk,
) where
    String: Binds<'a, DB>,
    &'static str: Binds<'a, DB>,
{
    q.push(" FROM users u");
    // SQLite is told which index to walk; PostgreSQL's planner has the statistics to choose.
    if !DB::POSTGRES {
        q.push(sqlite_index(walk, f));
    }
    q.push(" WHERE u.account_id = ")
        .push_bind(account_id.to_string());
    push_status_and_source(q, f);
    if let Walk::NameHead(head, _) = walk {
        q.push(" AND u.name_head = ").push_bind(head.to_string());
        return;
    }
    let term = f.search.trim();
    if term.is_empty() {
        return;
    }
    let [user_name, email, (name, names), last_name] = search_branches::<DB>(term);
    match walk {
        Walk::NameHead(..) => {}
        // Index range scans joined by UNION: the matching set first, whatever the order.
        Walk::Plan(Plan::MatchesFirst) => {
            push_branch_union(q, account_id, [user_name, email, (name, names), last_name]);
        }
        Walk::Plan(Plan::NameRange) => {
            q.push(" AND ");
            push_prefix(q, &format!("u.{name}"), &names);
        }
        Walk::NameRangeRest => {
            push_branch_union(q, account_id, [user_name, email, last_name]);
            q.push(" AND NOT (");
            push_prefix(q, &format!("u.{name}"), &names);
            q.push(")");
        }
        // Checked row by row (`NameHeads` is read head by head, never as one walk).
        Walk::Plan(Plan::FilterFirst | Plan::SortOrder(_) | Plan::NameHeads(_)) => {
            q.push(" AND ");
            push_term_match(q, term);
        }
    }
}

/// ` AND u.key IN (SELECT key … UNION SELECT key …)`: the users whose `branches` start with
/// their terms, each an index range.
fn push_branch_union<'a, DB: Engine, const N: usize>(
    q: &mut QueryBuilder<'a, DB>,
    account_id: &str,
    branches: [(&'static str, String); N],
) where
    String: Binds<'a, DB>,
{
    let key = if DB::POSTGRES { "id" } else { "rowid" };
    q.push(format!(" AND u.{key} IN ("));
    for (i, (column, low)) in branches.into_iter().enumerate() {
        if i > 0 {
            q.push(" UNION ");
        }
        q.push(format!(
            "SELECT {key} FROM users{} WHERE account_id = ",
            branch_index::<DB>(column)
        ))
        .push_bind(account_id.to_string())
        .push(" AND ");
        push_prefix(q, column, &low);
    }
    q.push(")");
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

/// Walks at most `scan` users that pass the filters and says how many it walked (up to
/// `scan + 1`) and how many of those match the search term. `walk` is `MatchesFirst` for any
/// order (the filters' index), or `SortOrder(key)` for the first users in that order.
pub async fn bounded_count(
    db: impl Exec<'_>,
    account_id: &str,
    filter: &UserFilter,
    walk: Plan,
    scan: i64,
) -> AppResult<(i64, i64)> {
    let only_filters = UserFilter {
        search: String::new(),
        ..filter.clone()
    };
    Ok(sql_built!(
        db,
        |Db| {
            let mut q = QueryBuilder::<Db>::new(count_walked::<Db>());
            push_term_match(&mut q, filter.search.trim());
            q.push(" AS p");
            push_filter(&mut q, account_id, &only_filters, Walk::Plan(&walk));
            if let Plan::SortOrder(key) = walk {
                q.push(format!(" ORDER BY {}, u.id", column(key)));
            }
            q.push(" LIMIT ").push_bind(scan + 1).push(") AS walked");
            q
        },
        |q, e| q.build_query_as().fetch_one(e).await
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
        |q, e| q.build_query_as().fetch_one(e).await
    )?)
}

/// The first words of full names (`name_head`) that start with `term`, in order, at most
/// `cap + 1` of them (one index seek each: a skip scan of `users_account_name_head`). Empty when
/// the term holds a space: its name matches are then not whole heads.
pub async fn name_heads(
    db: impl Exec<'_>,
    account_id: &str,
    term: &str,
    cap: i64,
) -> AppResult<Vec<String>> {
    if term.trim().contains(' ') {
        return Ok(Vec::new());
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
        |q, e| q.build_query_scalar().fetch_all(e).await
    )?)
}

/// How many users a search term matches through each column, each counted no further than a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breadth {
    /// Through the full name ("first last").
    pub name: i64,
    /// The most through any one of the other columns (e-mail, userName, last name).
    pub others: i64,
}

impl Breadth {
    /// The most through any one column: tells a rare term from a common one.
    pub fn widest(self) -> i64 {
        self.name.max(self.others)
    }
}

/// How many users each search branch matches, counting no further than `cap` in each (four
/// short index range scans).
pub async fn search_breadth(
    db: impl Exec<'_>,
    account_id: &str,
    term: &str,
    cap: i64,
) -> AppResult<Breadth> {
    let counts: (i64, i64, i64, i64) = sql_built!(
        db,
        |Db| {
            let mut q = QueryBuilder::<Db>::new("SELECT ");
            for (i, (column, low)) in search_branches::<Db>(term.trim()).into_iter().enumerate() {
                if i > 0 {
                    q.push(", ");
                }
                q.push(format!(
                    "(SELECT count(*) FROM (SELECT 1 FROM users{} WHERE account_id = ",
                    branch_index::<Db>(column)
                ))
                .push_bind(account_id.to_string())
                .push(" AND ");
                push_prefix(&mut q, column, &low);
                q.push(" LIMIT ")
                    .push_bind(cap + 1)
                    .push(format!(") AS branch{i})"));
            }
            q
        },
        |q, e| q.build_query_as().fetch_one(e).await
    )?;
    let (user_name, email, name, last_name) = counts;
    Ok(Breadth {
        name,
        others: user_name.max(email).max(last_name),
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
            let term = !r.filter.search.trim().is_empty();
            match &r.plan {
                // Each part is a page in order; the page is the first rows of the parts merged.
                // Without a term, the name range is the whole name order.
                Plan::NameRange if term => {
                    q.push("SELECT * FROM (");
                    push_page_part(&mut q, account_id, r, Walk::Plan(&Plan::NameRange), upward);
                    q.push(") AS name_range");
                    push_merged_rest(&mut q, account_id, r, upward);
                }
                Plan::NameHeads(heads) if term && !heads.is_empty() => {
                    for (i, head) in heads.iter().enumerate() {
                        q.push(if i == 0 {
                            "SELECT * FROM ("
                        } else {
                            " UNION ALL SELECT * FROM ("
                        });
                        push_page_part(&mut q, account_id, r, Walk::NameHead(head, r.sort), upward);
                        q.push(format!(") AS head{i}"));
                    }
                    push_merged_rest(&mut q, account_id, r, upward);
                }
                plan => push_page_part(&mut q, account_id, r, Walk::Plan(plan), upward),
            }
            q
        },
        |q, e| q.build_query_as().fetch_all(e).await
    )?;
    if r.backwards {
        // Keep the extra row (the "there is more" marker) at the end, reverse the page itself.
        let extra = (rows.len() as i64 > r.limit).then(|| rows.pop()).flatten();
        rows.reverse();
        rows.extend(extra);
    }
    Ok(rows)
}

/// ` UNION ALL` the page of the users the term matches other than by name, and the merged
/// page's order: the end of a `NameRange` or `NameHeads` page.
fn push_merged_rest<'a, DB: Engine>(
    q: &mut QueryBuilder<'a, DB>,
    account_id: &str,
    r: &PageRequest<'_>,
    upward: bool,
) where
    String: Binds<'a, DB>,
    &'static str: Binds<'a, DB>,
    i64: Binds<'a, DB>,
{
    q.push(" UNION ALL SELECT * FROM (");
    push_page_part(q, account_id, r, Walk::NameRangeRest, upward);
    q.push(") AS other_matches");
    push_page_order(q, "sort_value", "id", r, upward);
}

/// One ordered, limited SELECT of page rows read by `walk`, after the cursor.
fn push_page_part<'a, DB: Engine>(
    q: &mut QueryBuilder<'a, DB>,
    account_id: &str,
    r: &PageRequest<'_>,
    walk: Walk,
    upward: bool,
) where
    String: Binds<'a, DB>,
    &'static str: Binds<'a, DB>,
    i64: Binds<'a, DB>,
{
    let key = column(r.sort);
    q.push(format!(
        "SELECT u.id, u.user_name, u.email, u.first_name, u.last_name, u.status, u.source, u.last_login_at, {key} AS sort_value"
    ));
    push_filter(q, account_id, r.filter, walk);
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
            push_filter(&mut q, account_id, filter, Walk::Plan(&plan));
            q.push(" LIMIT ").push_bind(cap + 1).push(") AS counted");
            q
        },
        |q, e| q.build_query_scalar().fetch_one(e).await
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
