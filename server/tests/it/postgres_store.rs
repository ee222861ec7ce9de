//! The store's statements give the same answers on both engines: one installation, built
//! through SCIM on SQLite and copied to a real PostgreSQL (`rollcall db copy`), then asked the
//! same questions through the store on each — today the Users-page planner: every plan,
//! filter, search term, sort order and direction, every page walked by cursor.

use crate::common::scim::*;
use crate::common::*;
use rollcall_server::store::directory::{
    bounded_count, name_heads, name_range_count, search_breadth, short_head_matches,
    term_range_count, user_count, user_name_range_count, user_page, Cursor, PageRequest, Plan,
    SortKey, TermRange, UserFilter,
};
use rollcall_server::store::exec::Exec;
use rollcall_server::vocab::{Source, UserStatus};
use serde_json::json;

const GIVEN: [&str; 6] = ["Ada", "Grace", "Alan", "Barbara", "Edsger", "Adele"];
const FAMILY: [&str; 5] = ["Lovelace", "Hopper", "Turing", "Liskov", "Smith"];

/// Every page of one question, walked forwards by cursor (3 rows a page): the ids in order.
async fn walk<E>(
    ex: &E,
    account: &str,
    filter: &UserFilter,
    sort: SortKey,
    descending: bool,
    plan: &Plan,
) -> Vec<String>
where
    for<'c> &'c E: Exec<'c>,
{
    let mut ids = Vec::new();
    let mut cursor: Option<Cursor> = None;
    loop {
        let request = PageRequest {
            filter,
            sort,
            descending,
            cursor: cursor.as_ref(),
            backwards: false,
            limit: 3,
            plan: plan.clone(),
        };
        let mut rows = user_page(ex, account, &request).await.unwrap();
        let more = rows.len() > 3;
        rows.truncate(3);
        ids.extend(rows.iter().map(|r| r.id.clone()));
        match rows.last() {
            Some(last) if more => {
                cursor = Some(Cursor {
                    value: last.sort_value.clone(),
                    id: last.id.clone(),
                })
            }
            _ => return ids,
        }
    }
}

#[tokio::test]
async fn the_users_page_planner_answers_the_same_on_both_engines() {
    let f = fixture_on(TempDb::sqlite());
    for i in 0..36 {
        let (given, family) = (GIVEN[i % GIVEN.len()], FAMILY[i % FAMILY.len()]);
        let email = format!(
            "{}.{}{i}@example.com",
            given.to_lowercase(),
            family.to_lowercase()
        );
        let r = f
            .scim
            .post(
                "/Users",
                // Every third userName is not the address (`users_account_email_own`).
                json!({"userName": if i % 3 == 0 { format!("{}{i}", family.to_lowercase()) } else { email.clone() },
                       "active": i % 4 != 0,
                       "name": {"givenName": given, "familyName": family},
                       "emails": [{"value": email, "primary": true}]}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    add_admin(&f.db, &f.account, "zed.admin@example.com");
    let ScimFixture {
        db,
        server,
        account,
        ..
    } = f;
    server.terminate();
    let target = pg::new_database().await;
    let out = rollcall(
        &db,
        &["db", "copy", "--from", &db.url(), "--to", &target],
        &[],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let sqlite = sqlite_pool(&db).await;
    let pg = sqlx::PgPool::connect(&target).await.unwrap();

    let mut compared = 0;
    for search in [
        "",
        "a",
        "ada",
        "LOVE",
        "smith",
        "grace.hopper1",
        "nobody",
        "grace h",
    ] {
        for status in [None, Some(UserStatus::Active), Some(UserStatus::Suspended)] {
            for source in [None, Some(Source::Idp), Some(Source::Manual)] {
                let filter = UserFilter {
                    search: search.to_string(),
                    status,
                    source,
                };
                let counts = (
                    user_count(&sqlite, &account, &filter, 10_000, Plan::MatchesFirst)
                        .await
                        .unwrap(),
                    user_count(&pg, &account, &filter, 10_000, Plan::MatchesFirst)
                        .await
                        .unwrap(),
                );
                assert_eq!(counts.0, counts.1, "count of {filter:?}");
                // Which rows a capped walk visits is the engine's choice; walking them all,
                // the counts are facts.
                let bounded = (
                    bounded_count(&sqlite, &account, &filter, Plan::MatchesFirst, false, 1000)
                        .await
                        .unwrap(),
                    bounded_count(&pg, &account, &filter, Plan::MatchesFirst, false, 1000)
                        .await
                        .unwrap(),
                );
                assert_eq!(bounded.0, bounded.1, "bounded count of {filter:?}");
                // The start of a sort order (the planner's probe), from either end, is the
                // same rows on both.
                for (sort, descending) in [SortKey::Email, SortKey::Name, SortKey::Created]
                    .into_iter()
                    .flat_map(|s| [(s, false), (s, true)])
                {
                    let walk = Plan::SortOrder(sort);
                    let early = (
                        bounded_count(&sqlite, &account, &filter, walk.clone(), descending, 7)
                            .await
                            .unwrap(),
                        bounded_count(&pg, &account, &filter, walk, descending, 7)
                            .await
                            .unwrap(),
                    );
                    assert_eq!(
                        early.0, early.1,
                        "start of {sort:?} ({descending}) for {filter:?}"
                    );
                }
                if !search.is_empty() {
                    let breadth = (
                        search_breadth(&sqlite, &account, search, 10).await.unwrap(),
                        search_breadth(&pg, &account, search, 10).await.unwrap(),
                    );
                    assert_eq!(breadth.0, breadth.1, "breadth of {search}");
                    let short = (
                        short_head_matches(&sqlite, &account, search, 1000)
                            .await
                            .unwrap(),
                        short_head_matches(&pg, &account, search, 1000)
                            .await
                            .unwrap(),
                    );
                    assert_eq!(short.0, short.1, "short heads of {search}");
                    if search == "grace.hopper1" {
                        // "grace" starts the term; userNames "grace.hopper1…@".
                        assert!(short.0 > 0, "{short:?}");
                    }
                    // The term's name range, read whole: the names that start with it and pass
                    // the filters, against the count of those found another way.
                    let range = (
                        name_range_count(&sqlite, &account, &filter, 1000)
                            .await
                            .unwrap(),
                        name_range_count(&pg, &account, &filter, 1000)
                            .await
                            .unwrap(),
                    );
                    assert_eq!(range.0, range.1, "name range of {filter:?}");
                    let passing = UserFilter {
                        search: String::new(),
                        ..filter.clone()
                    };
                    let request = PageRequest {
                        filter: &passing,
                        sort: SortKey::Name,
                        descending: false,
                        cursor: None,
                        backwards: false,
                        limit: 1000,
                        plan: Plan::MatchesFirst,
                    };
                    let term = search.to_ascii_lowercase();
                    let named = user_page(&sqlite, &account, &request)
                        .await
                        .unwrap()
                        .into_iter()
                        .filter(|r| {
                            format!("{} {}", r.first_name, r.last_name)
                                .trim()
                                .to_ascii_lowercase()
                                .starts_with(&term)
                        })
                        .count() as i64;
                    assert_eq!(range.0 .1, named, "name range of {filter:?}");
                    // The term's userNames among the users the filters pass, read whole.
                    let user_names = (
                        user_name_range_count(&sqlite, &account, &filter, 1000)
                            .await
                            .unwrap(),
                        user_name_range_count(&pg, &account, &filter, 1000)
                            .await
                            .unwrap(),
                    );
                    assert_eq!(user_names.0, user_names.1, "userName range of {filter:?}");
                    let low = search.to_lowercase();
                    let started = user_page(&sqlite, &account, &request)
                        .await
                        .unwrap()
                        .into_iter()
                        .filter(|r| r.user_name.to_lowercase().starts_with(&low))
                        .count() as i64;
                    assert_eq!(user_names.0, started, "userName range of {filter:?}");
                    // Counted no further than the cap.
                    if started > 2 {
                        let capped = user_name_range_count(&sqlite, &account, &filter, 2)
                            .await
                            .unwrap();
                        assert_eq!(capped, 3, "{filter:?}");
                    }
                    // The term's userNames and its other ranges, each user counted in one only:
                    // their sum is the count of the matches that pass the filters, on both
                    // engines; a short read stops after `scan + 1` entries.
                    let mut summed = user_names.0;
                    for range in TermRange::ALL {
                        let counted = (
                            term_range_count(&sqlite, &account, &filter, range, 1000)
                                .await
                                .unwrap(),
                            term_range_count(&pg, &account, &filter, range, 1000)
                                .await
                                .unwrap(),
                        );
                        assert_eq!(counted.0, counted.1, "{range:?} of {filter:?}");
                        summed += counted.0 .1;
                        let short = term_range_count(&sqlite, &account, &filter, range, 2)
                            .await
                            .unwrap();
                        assert!(short.0 <= 3 && short.1 <= short.0, "{range:?}: {short:?}");
                    }
                    let total = user_count(&sqlite, &account, &filter, 1000, Plan::MatchesFirst)
                        .await
                        .unwrap();
                    assert_eq!(summed, total, "term ranges of {filter:?}");
                    // A short walk stops after `scan + 1` entries.
                    let short = name_range_count(&sqlite, &account, &filter, 2)
                        .await
                        .unwrap();
                    assert!(short.0 <= 3 && short.1 <= short.0, "{short:?}");
                }
                for sort in [SortKey::Email, SortKey::Name, SortKey::Created] {
                    // Every plan finds every match, in order. Merged: the name matches as one
                    // range (name order, or sorted), or head by head in the other orders.
                    let mut plans = vec![
                        Plan::MatchesFirst,
                        Plan::FilterFirst,
                        Plan::SortOrder(sort),
                        Plan::Merged {
                            heads: Vec::new(),
                            walk_short_heads: false,
                        },
                        Plan::Merged {
                            heads: Vec::new(),
                            walk_short_heads: true,
                        },
                    ];
                    if sort != SortKey::Name && !search.is_empty() {
                        // The first words of full names the term starts, on either engine.
                        let heads = (
                            name_heads(&sqlite, &account, search, 40).await.unwrap(),
                            name_heads(&pg, &account, search, 40).await.unwrap(),
                        );
                        assert_eq!(heads.0, heads.1, "heads of {search}");
                        if search == "a" {
                            assert_eq!(heads.0, ["ada", "adele", "alan"]);
                        }
                        plans.push(Plan::Merged {
                            heads: heads.0,
                            walk_short_heads: false,
                        });
                    }
                    for plan in &plans {
                        for descending in [false, true] {
                            let on_sqlite =
                                walk(&sqlite, &account, &filter, sort, descending, plan).await;
                            let on_pg = walk(&pg, &account, &filter, sort, descending, plan).await;
                            assert_eq!(
                                on_sqlite, on_pg,
                                "{filter:?} sorted by {sort:?} (descending: {descending}) with {plan:?}"
                            );
                            assert_eq!(on_sqlite.len() as i64, counts.0);
                            compared += 1;
                        }
                    }
                }
            }
        }
    }
    // The longest term (256 characters): a merged page of 255 short heads' parts is one
    // statement either engine takes (SQLite allows 500 parts).
    let longest = UserFilter {
        search: format!("grace.{}", "h".repeat(250)),
        ..Default::default()
    };
    for (sort, walk_short_heads) in [SortKey::Name, SortKey::Created]
        .into_iter()
        .flat_map(|s| [(s, false), (s, true)])
    {
        let plan = Plan::Merged {
            heads: Vec::new(),
            walk_short_heads,
        };
        let on_sqlite = walk(&sqlite, &account, &longest, sort, false, &plan).await;
        assert!(on_sqlite.is_empty(), "{on_sqlite:?}");
        assert_eq!(
            on_sqlite,
            walk(&pg, &account, &longest, sort, false, &plan).await
        );
    }
    // Per filter and direction: without a term, 5 plans in each order; with one of the seven
    // terms, the heads in e-mail and creation order too.
    assert_eq!(compared, 3 * 3 * 2 * (3 * 5 + 7 * (3 * 5 + 2)));
}
