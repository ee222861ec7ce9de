//! Deadlines, decided by the application's clock: the test moves it forward instead of
//! sleeping (in-process, `common::inproc`). Each deadline is checked on both sides.

use crate::common::inproc::App;
use http::Method;
use rollcall_server::domain::audit::Actor;
use rollcall_server::domain::{api_keys, invites};
use rollcall_server::store;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn a_session_ends_at_its_absolute_lifetime_however_active() {
    let app = App::start().await;
    app.account_with_admin("ada@example.com").await;
    assert_eq!(
        app.settings.session_max_age(),
        7 * DAY,
        "the default is 7 days"
    );
    let r = app.login("ada@example.com").await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(app.whoami().await.as_deref(), Some("ada@example.com"));
    // Used every day, the session still ends 7 days after the log-in.
    for _ in 0..6 {
        app.clock.advance(DAY);
        assert_eq!(app.whoami().await.as_deref(), Some("ada@example.com"));
    }
    app.clock.advance(DAY - Duration::from_secs(2));
    assert_eq!(app.whoami().await.as_deref(), Some("ada@example.com"));
    app.clock.advance(Duration::from_secs(2));
    assert_eq!(
        app.whoami().await,
        None,
        "7 days after log-in the session is over"
    );
    // A new log-in starts a new lifetime.
    assert_eq!(app.login("ada@example.com").await.status, 200);
    assert_eq!(app.whoami().await.as_deref(), Some("ada@example.com"));
}

#[tokio::test]
async fn an_invite_link_works_until_it_expires() {
    let app = App::start().await;
    let account = app.account_with_admin("ada@example.com").await;
    let invitee = invites::Invitee {
        email: "bo@example.com",
        first_name: "Bo",
        last_name: "",
        groups: &[],
    };
    let mailer = &app.state.mailer;
    invites::invite_new(&app.db, mailer, &account, &Actor::cli(), invitee)
        .await
        .unwrap();
    let mail = store::outbox::recent(&app.db, &account, 1).await.unwrap();
    let text = &mail[0].text_body;
    let at = text.find("/signup/").expect("a sign-up link") + "/signup/".len();
    let token: String = text[at..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let page = format!("/signup/{token}");
    app.clock
        .advance(mailer.invite_days * DAY - Duration::from_secs(60));
    let r = app.send(Method::GET, &page, &[]).await;
    assert_eq!(r.status, 200);
    assert!(
        r.body.contains("bo@example.com"),
        "the link still works: {}",
        r.body
    );
    app.clock.advance(Duration::from_secs(120));
    let r = app.send(Method::GET, &page, &[]).await;
    assert!(
        r.body.contains("expired"),
        "{} days later the link has expired: {}",
        mailer.invite_days,
        r.body
    );
    assert!(
        !r.body.contains("input[password]"),
        "no sign-up form on an expired link"
    );
}

#[tokio::test]
async fn an_api_key_stops_at_its_expiry() {
    let app = App::start().await;
    let account = app.account_with_admin("ada@example.com").await;
    let key = api_keys::NewKey {
        name: "OneLogin",
        expires_in_days: Some(30),
        groups: None,
        created_by: None,
    };
    let key = api_keys::create(&app.db, &account, &Actor::cli(), key)
        .await
        .unwrap();
    let users = format!("/scim/account/{account}/Users");
    let scim = || {
        http::Request::get(&users)
            .header(http::header::AUTHORIZATION, format!("Bearer {}", key.token))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    app.clock.advance(30 * DAY - Duration::from_secs(60));
    assert_eq!(app.raw(scim()).await.status, 200);
    app.clock.advance(Duration::from_secs(120));
    let r = app.raw(scim()).await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("expired"), "{}", r.body);
}
