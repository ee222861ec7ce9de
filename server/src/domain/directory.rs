//! What administrators do to users and groups from the Access Management UI.
//!
//! The rules: users and groups the identity provider manages (source `idp`) are read-only here —
//! the IdP is the source of truth and would overwrite any change; administrators cannot suspend
//! or delete themselves; the account always keeps an active Account Administrator; the built-in
//! group is never renamed, deleted or emptied. Every change is one audited transaction.

use crate::domain::audit::{self, Actor, Event};
use crate::domain::user_rules::{self, AdminLoss};
use crate::domain::{group_rules, invites, validate};
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::mail::Mailer;
use crate::store::{self, directory as dir, Conn, Db};
use crate::vocab::{
    AuditAction, GroupCommand, Source, TargetKind, UserCommand, UserQuery, UserStatus,
};
use std::collections::HashMap;

pub const PAGE_SIZE: i64 = 50;
/// Rows per query of the CSV export.
pub const EXPORT_CHUNK: i64 = 1000;
/// Users are counted up to this many; beyond, the page says "10,000+".
pub const COUNT_CAP: i64 = 10_000;

pub const IDP_USER: &str = "Managed by your identity provider. Delete or change this user in OneLogin (or your IdP); the change reaches Rollcall through SCIM.";
pub const IDP_GROUP: &str = "This group is pushed by your identity provider through SCIM. Change it in OneLogin (or your IdP).";

/// One page of the Users page with the cursors around it.
pub struct UsersPage {
    pub rows: Vec<dir::AdminUserRow>,
    pub groups: HashMap<String, Vec<String>>,
    /// The matches; with `capped`, a round number they are more than (see [`below`]).
    pub total: i64,
    pub capped: bool,
    pub next: Option<String>,
    pub prev: Option<String>,
}

/// Users a sample examines to tell a common term from a rare one among the many users the
/// filters pass (more than [`COUNT_CAP`]; fewer are all checked and counted exactly). 2,500
/// tells 1 in 100 apart well enough, at a quarter of the cost of 10,000 (docs/benchmarks.md).
const COUNT_SCAN: i64 = 2_500;
/// Entries of a term's range of the name index read first to see how many pass the filters.
const NAME_RANGE_LOOK: i64 = 2_000;
/// At most this many entries of the term's name range are read to see whether more than
/// [`COUNT_CAP`] of them pass the filters (at least 1 in 4); ~0.25 µs each at 1M users.
const NAME_RANGE_SCAN: i64 = 4 * COUNT_CAP;
/// The same, before the filters' sample (at least 6 in 10 must pass).
const NAME_RANGE_GLANCE: i64 = 2 * COUNT_CAP;
/// First words of full names a search term may start for the page to merge each one's users
/// (`Plan::Merged`); a page reads up to a page of each, so a short term that starts hundreds
/// of first names reads its name matches as one range instead.
const NAME_HEADS: i64 = 40;
/// At most this many entries of a term's index ranges, in all, are read to count its matches
/// among the users the filters pass when they pass more ([`count_by_term_ranges`]; a first
/// look reads [`COUNT_CAP`]); ~0.2 µs each.
const BRANCH_SCAN: i64 = 40_000;
/// Matches, at most, that a page finds and then sorts (a row read each, ~6 µs) rather than
/// merging or walking (see [`Merge::few_or_merged`], [`Merge::sorted_or_merged`]).
const SORT_FEW: i64 = 1_000;
/// Matches among the users the filters pass, at least, for a partial count to stand as the
/// total's lower bound when an exact count would read past [`BRANCH_SCAN`].
const LOWER_BOUND_MATCHES: i64 = 1_000;
/// Users examined at the start of a sort order to see whether a page of matches (that pass
/// the filters) is there.
const SORT_PROBE: i64 = 2_000;

/// Counts the matches (up to the cap) and picks how to find the page (see
/// `store::directory::Plan`); each step reads at most a capped number of index entries.
/// Returns (total, whether it is a lower bound, plan).
async fn plan(
    db: &Db,
    account_id: &str,
    filter: &dir::UserFilter,
    sort: dir::SortKey,
    descending: bool,
) -> AppResult<(i64, bool, dir::Plan)> {
    use dir::Plan::{FilterFirst, MatchesFirst, SortOrder};
    if filter.search.trim().is_empty() {
        let total = dir::user_count(db, account_id, filter, COUNT_CAP, MatchesFirst).await?;
        let filtered = filter.status.is_some() || filter.source.is_some();
        let plan = match sort {
            // Each filter's index is in e-mail order and holds the other filter; each also
            // has one in creation order and one in name order: walking it is walking the
            // page's order, checked on the index entry, however few pass (no sort of the
            // matches, no table read of the users that do not pass). (Name order walked the
            // name index before migration 0017: where the filter's users cluster — every
            // suspended user an "Ada" — `status=suspended&sort=-name` passed 980,000 others.)
            dir::SortKey::Email if filtered => FilterFirst,
            dir::SortKey::Created | dir::SortKey::Name if filtered => SortOrder(sort),
            _ if total > COUNT_CAP => SortOrder(sort),
            _ => MatchesFirst,
        };
        return Ok((total, total > COUNT_CAP, plan));
    }
    let breadth = dir::search_breadth(db, account_id, &filter.search, COUNT_CAP).await?;
    let rare = breadth.widest() <= COUNT_CAP && {
        let term_alone = dir::UserFilter {
            search: filter.search.clone(),
            ..Default::default()
        };
        dir::user_name_range_count(db, account_id, &term_alone, COUNT_CAP).await? <= COUNT_CAP
    };
    if rare {
        let total = dir::user_count(db, account_id, filter, COUNT_CAP, MatchesFirst).await?;
        return Ok((total, total > COUNT_CAP, MatchesFirst));
    }
    let merge = merged(db, account_id, filter, sort, descending, breadth).await?;
    // A common search term. Alone, it matches more than the cap: no need to count further.
    if filter.status.is_none() && filter.source.is_none() {
        return Ok((COUNT_CAP + 1, true, merge.into_plan(sort, false)));
    }
    // The term's userNames among the users the filters pass: one range of the filters' index,
    // which is in userName order (entries only). More than the cap there and the count is
    // "10,000+" at once — "grace.…@" among active users in a "first.last@" directory, where
    // the full names' side below would read 36,000 entries to say so.
    let user_names = dir::user_name_range_count(db, account_id, filter, COUNT_CAP).await?;
    if user_names > COUNT_CAP {
        return Ok((COUNT_CAP + 1, true, merge.into_plan(sort, true)));
    }
    // The term matches userNames alone (no other address, no full or last name starts with
    // it: "grace.user1"): that range held every match, all counted: the total is exact, and
    // the merged parts (or the walk) find the page. (Before, the count and the page each read
    // every user the filter passes: 326,000 active ones, 94 + 103 ms.)
    if breadth.email == 0 && breadth.name == 0 && breadth.last_name == 0 {
        return Ok((user_names, false, merge.sorted_or_merged(user_names, sort)));
    }
    // Look next at the term's own range of the name index, which holds status and source
    // (index entries only): when more than the cap of the names there pass the filters, the
    // count is "10,000+" and the merged parts, which check the filters on their entries, meet
    // a page early. Otherwise (few pass, e.g. no suspended "Grace") the filters' side below
    // tells. (That side samples the start of the filter's index, in e-mail order: 60,000 new
    // users whose addresses sort first made "grace" look rare among invited users, and its
    // count walked 110,000 of them.)
    // (Here only a quick look: most pages take the sample's answer, which is cheaper.)
    if let Merge::Plan(merged) = &merge {
        if name_range_passes(db, account_id, filter, NAME_RANGE_GLANCE).await? {
            return Ok((COUNT_CAP + 1, true, merged.clone()));
        }
    }
    // With filters: check (up to) a sample of the users they pass (counted first, index only).
    // All of them fit in the sample: the count is exact and those few are the page's
    // candidates. Otherwise, if the term is common among them, walking the sort order fills a
    // page quickly (the count is then a lower bound); if it is rare there, check every user the
    // filters pass instead.
    let only_filters = dir::UserFilter {
        search: String::new(),
        ..filter.clone()
    };
    let passing = dir::user_count(db, account_id, &only_filters, COUNT_CAP, MatchesFirst).await?;
    let sample = if passing <= COUNT_CAP {
        COUNT_CAP
    } else {
        COUNT_SCAN
    };
    let (scanned, mut matched) =
        dir::bounded_count(db, account_id, filter, MatchesFirst, false, sample).await?;
    if scanned <= sample {
        return Ok((
            matched,
            matched > COUNT_CAP,
            merge.few_or_merged(matched, sort),
        ));
    }
    if matched * 100 < scanned {
        // The same question of the term's name range, read further now, before a count that
        // could walk every user the filters pass (before "grace.…" in a "first.last@"
        // directory, the e-mail-order status index holds 133,000 active "ada.…" and "alan.…").
        if let Merge::Plan(merged) = &merge {
            if name_range_passes(db, account_id, filter, NAME_RANGE_SCAN).await? {
                return Ok((COUNT_CAP + 1, true, merged.clone()));
            }
        }
        // Count through the term's own index ranges (each user once; the userNames and the
        // names bounded by the filters, migration 0018), a first look of COUNT_CAP entries: read
        // whole, the count is exact ("grace" among 20,000 suspended users: no suspended
        // "Grace", a few entries). Past it, with many counted, what was counted is the total's
        // lower bound ("More than 9,500 users", see `LOWER_BOUND_MATCHES`), and the merged parts
        // find the page: counting on would read the ranges or every user the filters pass
        // ("grace u" among 46,668 active manual users: 65,000 active "Grace U…"; ~25 ms, > 100
        // ms p50 with 4 clients).
        let counted = |(counted, whole): (i64, bool)| {
            (whole || counted > LOWER_BOUND_MATCHES).then_some((counted, whole))
        };
        let first_look =
            count_by_term_ranges(db, account_id, filter, user_names, COUNT_CAP).await?;
        let mut ranges = counted(first_look);
        // When the filters pass more users than BRANCH_SCAN, look further (326,000 active users
        // read twice, for the count and for the page, made `q=new&status=active` ~100 ms; its
        // ranges hold 21,000); otherwise count through every user the filters pass.
        if ranges.is_none()
            && dir::user_count(db, account_id, &only_filters, BRANCH_SCAN, MatchesFirst).await?
                > BRANCH_SCAN
        {
            let further = count_by_term_ranges(db, account_id, filter, user_names, BRANCH_SCAN);
            ranges = counted(further.await?);
        }
        if let Some((total, whole)) = ranges {
            let plan = if whole {
                merge.sorted_or_merged(total, sort)
            } else {
                merge.into_plan(sort, true)
            };
            return Ok((total.min(COUNT_CAP + 1), !whole || total > COUNT_CAP, plan));
        }
        let total = dir::user_count(db, account_id, filter, COUNT_CAP, FilterFirst).await?;
        if total <= COUNT_CAP {
            return Ok((total, false, merge.few_or_merged(total, sort)));
        }
        // The sample was unlucky: its users (the start of the filter's index, in e-mail
        // order) hold few matches, yet there are more than the cap in all — e.g. new users
        // whose addresses sort first. The term is common among these users after all:
        // sorting every match would read them all, so pick a walk as for a common term.
        matched = total;
    }
    Ok((matched, true, merge.into_plan(sort, true)))
}

/// What [`merged`] found.
enum Merge {
    /// Merge the term's matches column by column.
    Plan(dir::Plan),
    /// A walk of the page's order meets a page at its start (probed): walk it instead.
    Walk,
}

impl Merge {
    /// How the page of a common term is found: the merged parts, each in the page's order or
    /// few, meet matches often enough for a page; or the walk [`merged`] probed. With filters
    /// in e-mail order, that walk is the filter's index (it is in e-mail order and holds the
    /// search columns): only the users the filters pass.
    fn into_plan(self, sort: dir::SortKey, filtered: bool) -> dir::Plan {
        match self {
            Merge::Plan(plan) => plan,
            Merge::Walk if filtered && sort == dir::SortKey::Email => dir::Plan::FilterFirst,
            Merge::Walk => dir::Plan::SortOrder(sort),
        }
    }

    /// How the page of a common term is found when its `total` matches are known and the
    /// term's ranges, bounded by the filters, were read whole within a bound: few are found
    /// through those ranges and sorted (`MatchesFirst`, a row read each); more, as
    /// [`Merge::into_plan`]. ("grace.user1" among active manual users in name order walked the
    /// name range of every "Grace" from its end: 39 ms.)
    fn sorted_or_merged(self, total: i64, sort: dir::SortKey) -> dir::Plan {
        if total <= SORT_FEW {
            dir::Plan::MatchesFirst
        } else {
            self.into_plan(sort, true)
        }
    }

    /// How the page of a common term is found when its `total` matches among the users the
    /// filters pass are known and within the cap: read from the filters' index (`FilterFirst`)
    /// in e-mail order, which is that index's order (a page, then stop), or when few enough to
    /// sort (a row read each, ~6 µs); otherwise as [`Merge::into_plan`], whose parts meet
    /// matches often enough. (Sorting 9,524 active manual "grace" users by name, 61 ms.)
    fn few_or_merged(self, total: i64, sort: dir::SortKey) -> dir::Plan {
        if sort == dir::SortKey::Email || total <= SORT_FEW {
            dir::Plan::FilterFirst
        } else {
            self.into_plan(sort, true)
        }
    }
}

/// `Plan::Merged` for a common term, when it suits. Its parts in the page's order stop at a
/// page; the others are sorted whole from their index entries, so the plan costs what those
/// hold: few (at most the cap each), or, for more, less than a walk of the page's order that
/// meets no page at its start (`q=new-` in name order: 65,000 userNames "new-…" of users
/// named "New User", a walk from "Ada" of 500,000 users, > 2 s; sorted, 65,000 entries).
/// `Walk` when a walk is the better plan. Without heads (more than [`NAME_HEADS`]) the name
/// matches are sorted from the name index's entries (it holds the userName and the filters,
/// migration 0016) unless the probe finds a walk better. (A term with a space has one head, its
/// first word; before, it had none and e-mail order walked every user before "grace.…" for
/// "grace u", 0.9 s at 1M.)
async fn merged(
    db: &Db,
    account_id: &str,
    filter: &dir::UserFilter,
    sort: dir::SortKey,
    descending: bool,
    breadth: dir::Breadth,
) -> AppResult<Merge> {
    use dir::SortKey::{Email, Name};
    let heads = if sort == Name {
        Vec::new()
    } else {
        let heads = dir::name_heads(db, account_id, &filter.search, NAME_HEADS).await?;
        if heads.len() as i64 > NAME_HEADS {
            Vec::new()
        } else {
            heads
        }
    };
    let names_sorted = sort != Name && heads.is_empty();
    // In name and creation order, the userName matches of users whose first word is shorter
    // than the term and starts it ("grace." for every "grace.…@" Grace): few are sorted, many
    // are met early in a walk of each such word's users in the page's order.
    let short_heads = if sort == Email {
        0
    } else {
        dir::short_head_matches(db, account_id, &filter.search, COUNT_CAP).await?
    };
    let walk_short_heads = short_heads > COUNT_CAP;
    let sorted = [
        (sort != Email).then_some(breadth.user_name_apart),
        (!walk_short_heads).then_some(short_heads),
        Some(breadth.email),
        Some(breadth.last_name),
        names_sorted.then_some(breadth.name),
    ];
    if sorted.into_iter().flatten().max().unwrap_or(0) > COUNT_CAP
        && walk_meets_a_page(db, account_id, filter, sort, descending).await?
    {
        return Ok(Merge::Walk);
    }
    Ok(Merge::Plan(dir::Plan::Merged {
        heads,
        walk_short_heads,
    }))
}

/// Does the start of the page's order, in its direction ([`SORT_PROBE`] users), hold a page of
/// matches that pass the filters? (Newest first, the start is the newest users.)
async fn walk_meets_a_page(
    db: &Db,
    account_id: &str,
    filter: &dir::UserFilter,
    sort: dir::SortKey,
    descending: bool,
) -> AppResult<bool> {
    let walk = dir::Plan::SortOrder(sort);
    let (_, early) =
        dir::bounded_count(db, account_id, filter, walk, descending, SORT_PROBE).await?;
    Ok(early > PAGE_SIZE)
}

/// The term's matches among the users the filters pass, counted range by range
/// ([`dir::term_range_count`]) while the entries read stay within `budget` in all: (matches
/// counted, whether every range was read whole). Past the budget, the matches among the
/// entries read are a lower bound (each range leaves out the earlier ones' users). The first
/// range, the `user_names` (at most the budget), was counted whole already: every entry of it
/// passes the filters ([`dir::user_name_range_count`]).
async fn count_by_term_ranges(
    db: &Db,
    account_id: &str,
    filter: &dir::UserFilter,
    user_names: i64,
    budget: i64,
) -> AppResult<(i64, bool)> {
    let (mut left, mut total) = (budget - user_names, user_names);
    for range in dir::TermRange::ALL {
        let (walked, counted) = dir::term_range_count(db, account_id, filter, range, left).await?;
        total += counted;
        if walked > left {
            return Ok((total, false));
        }
        left -= walked;
    }
    Ok((total, true))
}

/// Do more than [`COUNT_CAP`] users of the term's range of the name index pass the filters?
/// A first look at [`NAME_RANGE_LOOK`] entries gives the rate at which they pass; the rest is
/// read only if, at that rate (a fifth to spare), `most` entries would do (no
/// suspended "Grace": 6 ms saved of a page that finds none; active ones, 1 in 3: read). A
/// first look that misjudges costs time, never a wrong page: the caller then counts another way.
async fn name_range_passes(
    db: &Db,
    account_id: &str,
    filter: &dir::UserFilter,
    most: i64,
) -> AppResult<bool> {
    let look = NAME_RANGE_LOOK;
    let (walked, passing) = dir::name_range_count(db, account_id, filter, look).await?;
    if walked <= look || passing == 0 {
        return Ok(false);
    }
    let scan = (COUNT_CAP + 1) * walked / passing * 6 / 5;
    if scan > most {
        return Ok(false);
    }
    let (_, passing) = dir::name_range_count(db, account_id, filter, scan).await?;
    Ok(passing > COUNT_CAP)
}

/// What the page says the matches are more than, given that there are `at_least`: a round
/// number (two significant digits) below it — "More than 10,000 users" for the cap's
/// `COUNT_CAP + 1`, "More than 9,500" for at least 9,524 (their userNames alone).
fn below(at_least: i64) -> i64 {
    let under = (at_least - 1).clamp(0, COUNT_CAP);
    let mut step = 1;
    while under / step >= 100 {
        step *= 10;
    }
    under / step * step
}

fn cursor_of(row: &dir::AdminUserRow) -> String {
    format!("{}~{}", row.id, row.sort_value)
}

fn parse_cursor(field: &str, raw: &str) -> AppResult<Option<dir::Cursor>> {
    if raw.is_empty() {
        return Ok(None);
    }
    let (id, value) = raw.split_once('~').ok_or_else(|| {
        AppError::BadRequest(format!(
            "The page link is damaged ({field}); go back to the first page."
        ))
    })?;
    Ok(Some(dir::Cursor {
        value: value.to_string(),
        id: id.to_string(),
    }))
}

/// The Users page for `q` (the URL's state).
/// `page_size`: PAGE_SIZE for the page, larger for an export.
pub async fn users_page(
    db: &Db,
    account_id: &str,
    q: &UserQuery,
    page_size: i64,
) -> AppResult<UsersPage> {
    validate::search_term(&q.q).map_err(|m| AppError::invalid("q", m))?;
    let filter = dir::UserFilter {
        search: q.q.clone(),
        status: q.status,
        source: q.source,
    };
    let (sort, descending) = (q.sort.key, q.sort.descending);
    let after = parse_cursor("after", &q.after)?;
    let before = parse_cursor("before", &q.before)?;
    let backwards = before.is_some();
    let cursor = before.as_ref().or(after.as_ref());
    let (total, capped, plan) = plan(db, account_id, &filter, sort, descending).await?;
    let request = dir::PageRequest {
        filter: &filter,
        sort,
        descending,
        cursor,
        backwards,
        limit: page_size,
        plan,
    };
    // An exact count of none needs no page (a common term with a filter it never meets in:
    // the page would walk every user the filter passes a second time).
    let mut rows = if total == 0 && !capped {
        Vec::new()
    } else {
        dir::user_page(db, account_id, &request).await?
    };
    let more = rows.len() as i64 > page_size;
    rows.truncate(usize::try_from(page_size).unwrap_or(0));
    let (next, prev) = match (backwards, rows.first(), rows.last()) {
        (_, None, _) | (_, _, None) => (None, None),
        (false, Some(first), Some(last)) => (
            more.then(|| cursor_of(last)),
            cursor.is_some().then(|| cursor_of(first)),
        ),
        (true, Some(first), Some(last)) => (Some(cursor_of(last)), more.then(|| cursor_of(first))),
    };
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let mut groups: HashMap<String, Vec<String>> = HashMap::new();
    for g in dir::groups_of_users(db, account_id, &ids).await? {
        groups.entry(g.user_id).or_default().push(g.name);
    }
    Ok(UsersPage {
        rows,
        groups,
        total: if capped { below(total) } else { total },
        capped,
        next,
        prev,
    })
}

pub struct UserDetail {
    pub user: store::users::UserRecord,
    pub last_login_at: Option<String>,
    pub groups: Vec<(String, String)>,
    pub invite: Option<(String, store::invites::InviteState)>,
    pub audit: Vec<store::audit::EventRow>,
}

pub async fn user_detail(db: &Db, account_id: &str, id: &str) -> AppResult<UserDetail> {
    let user = store::users::get_record(db, account_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such user in this account.".into()))?;
    let groups = dir::groups_of_users(db, account_id, &[id.to_string()])
        .await?
        .into_iter()
        .map(|g| (g.group_id, g.name))
        .collect();
    let now = ids::now();
    let invite = store::invites::latest_invite(db, id).await?.map(|i| {
        let state = if i.used_at.is_some() {
            "used"
        } else if i.voided_at.is_some() {
            "revoked"
        } else if i.expires_at < now {
            "expired"
        } else {
            "pending"
        };
        (state.to_string(), i)
    });
    let filter = store::audit::EventFilter {
        target_id: Some(id.to_string()),
        ..Default::default()
    };
    Ok(UserDetail {
        last_login_at: dir::last_login(db, account_id, id).await?,
        audit: store::audit::list(db, account_id, &filter, 20).await?,
        user,
        groups,
        invite,
    })
}

async fn load_user(
    tx: &mut Conn,
    account_id: &str,
    id: &str,
) -> AppResult<store::users::UserRecord> {
    store::users::get_record(&mut *tx, account_id, id)
        .await?
        .ok_or_else(|| AppError::NotFound("There is no such user in this account.".into()))
}

fn manual_only(user: &store::users::UserRecord) -> AppResult<()> {
    if user.source == Source::Idp {
        return Err(AppError::Conflict(IDP_USER.into()));
    }
    Ok(())
}

async fn write_user(
    tx: &mut Conn,
    account_id: &str,
    cur: &store::users::UserRecord,
    first: &str,
    last: &str,
    status: UserStatus,
    end_sessions: bool,
) -> AppResult<()> {
    let done = store::users::update(
        &mut *tx,
        account_id,
        &cur.id,
        cur.version,
        store::users::UserUpdate {
            user_name: &cur.user_name,
            email: cur.email.as_deref(),
            emails_json: cur.emails_json.as_deref(),
            first_name: first,
            last_name: last,
            status,
            source: cur.source,
            external_id: cur.external_id.as_deref(),
            display_name: cur.display_name.as_deref(),
            end_sessions,
            now: &ids::now(),
        },
    )
    .await?;
    if !done {
        return Err(AppError::Conflict(
            "The user changed meanwhile; reload the page and try again.".into(),
        ));
    }
    Ok(())
}

async fn record(
    tx: &mut Conn,
    account_id: &str,
    actor: &Actor,
    user: &store::users::UserRecord,
    action: AuditAction,
    detail: &str,
) -> AppResult<()> {
    audit::record(
        &mut *tx,
        account_id,
        actor,
        Event {
            action,
            target_kind: TargetKind::User,
            target_id: &user.id,
            target_label: user.email.as_deref().unwrap_or(&user.user_name),
            detail: detail.to_string(),
        },
    )
    .await
}

/// `suspend`, `reactivate`, `delete`, `resend_invite` or `revoke_invite`, by `actor` (an
/// administrator whose user id is `actor_user`).
pub async fn user_action(
    db: &Db,
    mailer: &Mailer,
    account_id: &str,
    actor: &Actor,
    actor_user: &str,
    id: &str,
    action: UserCommand,
) -> AppResult<()> {
    let (account_id, actor_user, id) =
        (account_id.to_owned(), actor_user.to_owned(), id.to_owned());
    let actor = actor.clone();
    let outbox = mailer.outbox();
    db.write(move |tx| {
        Box::pin(async move {
            let (account_id, actor_user, id) =
                (account_id.as_str(), actor_user.as_str(), id.as_str());
            let actor = &actor;
            let mailer = &outbox;
            let user = load_user(&mut *tx, account_id, id).await?;
            match action {
                UserCommand::RevokeInvite => {
                    if !invites::void_in(&mut *tx, id).await? {
                        return Err(AppError::Conflict(
                            "There is no open invite to revoke.".into(),
                        ));
                    }
                    record(
                        &mut *tx,
                        account_id,
                        actor,
                        &user,
                        AuditAction::UserInviteRevoked,
                        "the invite link no longer works",
                    )
                    .await?;
                }
                UserCommand::Suspend | UserCommand::Delete => {
                    manual_only(&user)?;
                    let verb = action.as_str();
                    if id == actor_user {
                        return Err(AppError::Conflict(format!(
                            "You cannot {verb} your own account."
                        )));
                    }
                    let loss = if action == UserCommand::Suspend {
                        AdminLoss::Suspend
                    } else {
                        AdminLoss::Delete
                    };
                    user_rules::keep_an_active_admin(&mut *tx, account_id, &[id], loss).await?;
                    if action == UserCommand::Delete {
                        store::users::delete(&mut *tx, account_id, id, &ids::now()).await?;
                        record(
                            &mut *tx,
                            account_id,
                            actor,
                            &user,
                            AuditAction::UserDeleted,
                            "deleted by an administrator",
                        )
                        .await?;
                    } else if user.status == UserStatus::Suspended {
                        return Err(AppError::Conflict("This user is already suspended.".into()));
                    } else {
                        write_user(
                            &mut *tx,
                            account_id,
                            &user,
                            &user.first_name,
                            &user.last_name,
                            UserStatus::Suspended,
                            true,
                        )
                        .await?;
                        invites::void_in(&mut *tx, id).await?;
                        record(
                            &mut *tx,
                            account_id,
                            actor,
                            &user,
                            AuditAction::UserSuspended,
                            "suspended; all sessions ended",
                        )
                        .await?;
                    }
                }
                UserCommand::Reactivate => {
                    manual_only(&user)?;
                    if user.status != UserStatus::Suspended {
                        return Err(AppError::Conflict("This user is not suspended.".into()));
                    }
                    let signed_up = store::users::has_password(&mut *tx, account_id, id).await?;
                    let status = user_rules::status_after(user.status, true, signed_up);
                    write_user(
                        &mut *tx,
                        account_id,
                        &user,
                        &user.first_name,
                        &user.last_name,
                        status,
                        false,
                    )
                    .await?;
                    if let (false, Some(email)) = (signed_up, user.email.as_deref()) {
                        invites::issue_in(
                            &mut *tx,
                            mailer,
                            invites::Invitation {
                                account_id,
                                user_id: id,
                                email,
                                invited_by: &invites::inviter_label(actor),
                            },
                        )
                        .await?;
                    }
                    record(
                        &mut *tx,
                        account_id,
                        actor,
                        &user,
                        AuditAction::UserReactivated,
                        &format!("reactivated ({status})"),
                    )
                    .await?;
                }
                UserCommand::ResendInvite => {
                    invites::resend_in(&mut *tx, mailer, account_id, actor, &user).await?;
                }
            }
            Ok(())
        })
    })
    .await?;
    mailer.wake();
    Ok(())
}

/// Renames a manual user.
pub async fn edit_user(
    db: &Db,
    account_id: &str,
    actor: &Actor,
    id: &str,
    first: &str,
    last: &str,
) -> AppResult<()> {
    let mut problems = validate::Problems::default();
    problems.check(
        "first_name",
        validate::optional_name(first, "a first name", user_rules::NAME_MAX),
    );
    problems.check(
        "last_name",
        validate::optional_name(last, "a last name", user_rules::NAME_MAX),
    );
    problems.finish()?;
    let (first, last) = (first.trim(), last.trim());
    let (account_id, id, first, last) = (
        account_id.to_owned(),
        id.to_owned(),
        first.to_owned(),
        last.to_owned(),
    );
    let actor = actor.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let (account_id, id, first, last) = (
                account_id.as_str(),
                id.as_str(),
                first.as_str(),
                last.as_str(),
            );
            let actor = &actor;
            let user = load_user(&mut *tx, account_id, id).await?;
            manual_only(&user)?;
            if user.first_name == first && user.last_name == last {
                return Ok(());
            }
            write_user(&mut *tx, account_id, &user, first, last, user.status, false).await?;
            let detail = format!(
                "name “{} {}” → “{first} {last}”",
                user.first_name, user.last_name
            );
            record(
                &mut *tx,
                account_id,
                actor,
                &user,
                AuditAction::UserUpdated,
                &detail,
            )
            .await?;
            Ok(())
        })
    })
    .await?;
    Ok(())
}

fn group_not_found() -> AppError {
    AppError::NotFound("There is no such group in this account.".into())
}

fn check_group_name(name: &str) -> AppResult<()> {
    group_rules::check_name("name", name)
}

fn name_taken(name: &str) -> AppError {
    AppError::invalid(
        "name",
        format!("A group named “{}” already exists.", name.trim()),
    )
}

async fn group_event(
    tx: &mut Conn,
    account_id: &str,
    actor: &Actor,
    group_id: &str,
    name: &str,
    action: AuditAction,
    detail: String,
) -> AppResult<()> {
    audit::record(
        &mut *tx,
        account_id,
        actor,
        Event {
            action,
            target_kind: TargetKind::Group,
            target_id: group_id,
            target_label: name,
            detail,
        },
    )
    .await
}

/// Creates a manual group; returns its id.
pub async fn create_group(
    db: &Db,
    account_id: &str,
    actor: &Actor,
    name: &str,
) -> AppResult<String> {
    check_group_name(name)?;
    let name = name.trim();
    let id = ids::new_uuid();
    let (account_id, name) = (account_id.to_owned(), name.to_owned());
    let actor = actor.clone();
    let id = db
        .write(move |tx| {
            Box::pin(async move {
                let (account_id, name) = (account_id.as_str(), name.as_str());
                let actor = &actor;
                let inserted = store::groups::insert(
                    &mut *tx,
                    store::groups::NewGroup {
                        id: &id,
                        account_id,
                        name,
                        builtin: None,
                        source: Source::Manual,
                        now: &ids::now(),
                    },
                )
                .await;
                match inserted {
                    Err(e) if e.is_unique_violation() => return Err(name_taken(name)),
                    other => other?,
                }
                group_event(
                    &mut *tx,
                    account_id,
                    actor,
                    &id,
                    name,
                    AuditAction::GroupCreated,
                    String::new(),
                )
                .await?;
                Ok(id)
            })
        })
        .await?;
    Ok(id)
}

/// `rename` (value: the new name), `delete`, `add_member` (value: an e-mail) or
/// `remove_member` (value: a user id) on a manual group.
pub async fn group_action(
    db: &Db,
    account_id: &str,
    actor: &Actor,
    id: &str,
    action: GroupCommand,
    value: &str,
) -> AppResult<()> {
    let (account_id, id, value) = (account_id.to_owned(), id.to_owned(), value.to_owned());
    let actor = actor.clone();
    db.write(move |tx| {
        Box::pin(async move {
            let (account_id, id, value) = (account_id.as_str(), id.as_str(), value.as_str());
            let actor = &actor;
            let group = store::groups::get(&mut *tx, account_id, id)
                .await?
                .ok_or_else(group_not_found)?;
            if group.source == Source::Idp {
                return Err(AppError::Conflict(IDP_GROUP.into()));
            }
            let builtin = group.builtin.is_some();
            let now = ids::now();
            match action {
                GroupCommand::Rename => {
                    if builtin {
                        return Err(group_rules::builtin_rename(&group.name));
                    }
                    check_group_name(value)?;
                    let name = value.trim();
                    let done = store::groups::update(
                        &mut *tx,
                        account_id,
                        id,
                        group.version,
                        name,
                        Source::Manual,
                        group.external_id.as_deref(),
                        &now,
                    )
                    .await;
                    match done {
                        Err(e) if e.is_unique_violation() => return Err(name_taken(name)),
                        other => other?,
                    };
                    group_event(
                        &mut *tx,
                        account_id,
                        actor,
                        id,
                        name,
                        AuditAction::GroupRenamed,
                        format!("“{}” → “{name}”", group.name),
                    )
                    .await?;
                }
                GroupCommand::Delete => {
                    if builtin {
                        return Err(group_rules::builtin_delete(&group.name));
                    }
                    store::groups::delete(&mut *tx, account_id, id).await?;
                    group_event(
                        &mut *tx,
                        account_id,
                        actor,
                        id,
                        &group.name,
                        AuditAction::GroupDeleted,
                        String::new(),
                    )
                    .await?;
                }
                GroupCommand::AddMember => {
                    validate::email(value).map_err(|m| AppError::invalid("email", m))?;
                    let user_id = dir::user_id_by_email(&mut *tx, account_id, value)
                        .await?
                        .ok_or_else(|| {
                            AppError::invalid(
                                "email",
                                format!("No user of this account has the e-mail {}.", value.trim()),
                            )
                        })?;
                    if dir::is_member(&mut *tx, id, &user_id).await? {
                        return Err(AppError::invalid(
                            "email",
                            format!("{} is already a member.", value.trim()),
                        ));
                    }
                    store::groups::add_member(&mut *tx, id, &user_id, &now).await?;
                    store::groups::touch(&mut *tx, id, &now).await?;
                    group_event(
                        &mut *tx,
                        account_id,
                        actor,
                        id,
                        &group.name,
                        AuditAction::GroupMemberAdded,
                        format!("added {}", value.trim()),
                    )
                    .await?;
                }
                GroupCommand::RemoveMember => {
                    if !dir::is_member(&mut *tx, id, value).await? {
                        return Err(AppError::NotFound(
                            "That user is not a member of this group.".into(),
                        ));
                    }
                    if builtin {
                        user_rules::keep_an_active_admin(
                            &mut *tx,
                            account_id,
                            &[value],
                            AdminLoss::Demote,
                        )
                        .await?;
                        let members =
                            store::groups::members_of(&mut *tx, &[id.to_string()]).await?;
                        if members.len() <= 1 {
                            return Err(group_rules::builtin_empty(&group.name));
                        }
                    }
                    let label = store::users::get_record(&mut *tx, account_id, value)
                        .await?
                        .map(|u| u.email.unwrap_or(u.user_name))
                        .unwrap_or_else(|| value.to_string());
                    store::groups::remove_member(&mut *tx, id, value).await?;
                    store::groups::touch(&mut *tx, id, &now).await?;
                    group_event(
                        &mut *tx,
                        account_id,
                        actor,
                        id,
                        &group.name,
                        AuditAction::GroupMemberRemoved,
                        format!("removed {label}"),
                    )
                    .await?;
                }
            }
            Ok(())
        })
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixture::World;

    async fn act(w: &World, id: &str, action: UserCommand) -> AppResult<()> {
        user_action(&w.db, &w.mailer, &w.account, &w.actor, &w.admin, id, action).await
    }

    async fn status(w: &World, id: &str) -> UserStatus {
        store::users::get_record(&w.db, &w.account, id)
            .await
            .unwrap()
            .unwrap()
            .status
    }

    fn conflict(r: AppResult<()>) -> String {
        match r {
            Err(AppError::Conflict(m)) => m,
            other => panic!("expected a conflict, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn administrators_cannot_suspend_or_delete_themselves() {
        let w = World::new().await;
        let m = conflict(act(&w, &w.admin, UserCommand::Suspend).await);
        assert_eq!(m, "You cannot suspend your own account.");
        let m = conflict(act(&w, &w.admin, UserCommand::Delete).await);
        assert_eq!(m, "You cannot delete your own account.");
        assert_eq!(status(&w, &w.admin).await, UserStatus::Active);
    }

    #[tokio::test]
    async fn suspend_and_reactivate_follow_the_transitions() {
        let w = World::new().await;
        let bo = w.another_admin("bo@example.com").await;
        act(&w, &bo, UserCommand::Suspend).await.unwrap();
        assert_eq!(status(&w, &bo).await, UserStatus::Suspended);
        let m = conflict(act(&w, &bo, UserCommand::Suspend).await);
        assert_eq!(m, "This user is already suspended.");
        act(&w, &bo, UserCommand::Reactivate).await.unwrap();
        // Bo has a password: back to Active, not Invited.
        assert_eq!(status(&w, &bo).await, UserStatus::Active);
        let m = conflict(act(&w, &bo, UserCommand::Reactivate).await);
        assert_eq!(m, "This user is not suspended.");
        // Someone who never signed up goes back to Invited, with a fresh invite.
        let cy = w.invited("cy@example.com").await;
        let first = w.token_in_mail("cy@example.com", "/signup/").await;
        act(&w, &cy, UserCommand::Suspend).await.unwrap();
        act(&w, &cy, UserCommand::Reactivate).await.unwrap();
        assert_eq!(status(&w, &cy).await, UserStatus::Invited);
        let second = w.token_in_mail("cy@example.com", "/signup/").await;
        assert_ne!(first, second);
        assert!(invites::lookup(&w.db, &first).await.is_err());
        assert!(invites::lookup(&w.db, &second).await.is_ok());
    }

    #[tokio::test]
    async fn invite_follow_ups_only_while_invited() {
        let w = World::new().await;
        let cy = w.invited("cy@example.com").await;
        let first = w.token_in_mail("cy@example.com", "/signup/").await;
        act(&w, &cy, UserCommand::ResendInvite).await.unwrap();
        let second = w.token_in_mail("cy@example.com", "/signup/").await;
        assert!(
            invites::lookup(&w.db, &first).await.is_err(),
            "resend voids the old link"
        );
        assert!(invites::lookup(&w.db, &second).await.is_ok());
        act(&w, &cy, UserCommand::RevokeInvite).await.unwrap();
        assert!(invites::lookup(&w.db, &second).await.is_err());
        let m = conflict(act(&w, &cy, UserCommand::RevokeInvite).await);
        assert_eq!(m, "There is no open invite to revoke.");
        let bo = w.another_admin("bo@example.com").await;
        let m = conflict(act(&w, &bo, UserCommand::ResendInvite).await);
        assert_eq!(m, "This user has already signed up.");
    }

    #[tokio::test]
    async fn users_the_identity_provider_manages_are_read_only_here() {
        let w = World::new().await;
        let ida = w.provisioned("ida@example.com").await;
        let before = status(&w, &ida).await;
        for action in [
            UserCommand::Suspend,
            UserCommand::Delete,
            UserCommand::Reactivate,
        ] {
            assert_eq!(conflict(act(&w, &ida, action).await), IDP_USER);
        }
        let edit = edit_user(&w.db, &w.account, &w.actor, &ida, "New", "Name").await;
        assert_eq!(conflict(edit), IDP_USER);
        assert_eq!(status(&w, &ida).await, before);
    }

    #[tokio::test]
    async fn the_built_in_group_keeps_its_name_and_an_active_member() {
        let w = World::new().await;
        let g = w.builtin_group().await;
        let rename = group_action(&w.db, &w.account, &w.actor, &g, GroupCommand::Rename, "X").await;
        assert!(matches!(rename, Err(AppError::ReadOnly(_))), "{rename:?}");
        let delete = group_action(&w.db, &w.account, &w.actor, &g, GroupCommand::Delete, "").await;
        assert!(matches!(delete, Err(AppError::ReadOnly(_))), "{delete:?}");
        // The only active administrator cannot be removed, whoever asks.
        let remove = |who: String| {
            let (db, account, actor, g) =
                (w.db.clone(), w.account.clone(), w.actor.clone(), g.clone());
            async move {
                group_action(&db, &account, &actor, &g, GroupCommand::RemoveMember, &who).await
            }
        };
        let m = conflict(remove(w.admin.clone()).await);
        assert!(m.contains("last active Account Administrator"), "{m}");
        // With a second, suspended administrator, still refused: suspended people cannot log in.
        let bo = w.another_admin("bo@example.com").await;
        act(&w, &bo, UserCommand::Suspend).await.unwrap();
        let m = conflict(remove(w.admin.clone()).await);
        assert!(m.contains("last active Account Administrator"), "{m}");
        // Once Bo is active again, Ada may leave the group.
        act(&w, &bo, UserCommand::Reactivate).await.unwrap();
        remove(w.admin.clone()).await.unwrap();
    }

    #[test]
    fn a_lower_bound_is_shown_as_a_round_number_below_it() {
        assert_eq!(below(COUNT_CAP + 1), 10_000);
        assert_eq!(below(9_524), 9_500);
        assert_eq!(below(517), 510);
        assert_eq!(below(51), 50);
        assert_eq!(below(100), 99);
        assert_eq!(below(1), 0);
    }

    /// The Users page's keyset paging against a plain sort of every user, both directions.
    #[tokio::test]
    async fn users_pages_walk_forward_and_back_in_order() {
        let w = World::new().await;
        for i in 0..23 {
            w.invited(&format!("u{i:02}@example.com")).await;
        }
        let sort: crate::vocab::UserSort = "-email".parse().unwrap();
        let mut q = UserQuery {
            sort,
            status: Some(UserStatus::Invited),
            ..Default::default()
        };
        let mut seen = Vec::new();
        let mut pages = Vec::new();
        loop {
            let page = users_page(&w.db, &w.account, &q, 10).await.unwrap();
            assert_eq!(page.total, 23);
            let emails: Vec<String> = page.rows.iter().map(|r| r.user_name.clone()).collect();
            seen.extend(emails.clone());
            pages.push((emails, page.prev.clone()));
            match page.next {
                Some(next) => q.after = next,
                None => break,
            }
        }
        let mut expected: Vec<String> = (0..23).map(|i| format!("u{i:02}@example.com")).collect();
        expected.reverse();
        assert_eq!(seen, expected);
        // Back from the last page: the page before it, exactly.
        let (_, prev) = pages.last().unwrap().clone();
        let back = UserQuery {
            after: String::new(),
            before: prev.unwrap(),
            ..q.clone()
        };
        let page = users_page(&w.db, &w.account, &back, 10).await.unwrap();
        let emails: Vec<String> = page.rows.iter().map(|r| r.user_name.clone()).collect();
        assert_eq!(emails, pages[pages.len() - 2].0);
        // A damaged cursor is the request's fault, in words.
        let bad = UserQuery {
            after: "no-tilde".into(),
            ..Default::default()
        };
        let err = users_page(&w.db, &w.account, &bad, 10).await.err().unwrap();
        assert!(
            matches!(err, AppError::BadRequest(ref m) if m.contains("damaged")),
            "{err:?}"
        );
    }
}
