//! A real SQLite file with one account and its administrator, for the domain's unit tests:
//! rules are tested where they live, on the same database the server uses.

use crate::clock::Clock;
use crate::domain::audit::Actor;
use crate::domain::{accounts, invites, provisioning, users};
use crate::mail::Mailer;
use crate::store::{self, Db};

pub const PASSWORD: &str = "violet-harbour-engine-42";

pub struct World {
    pub db: Db,
    pub mailer: Mailer,
    pub account: String,
    /// The administrator made at set-up, and acting as themself.
    pub admin: String,
    pub actor: Actor,
    _dir: tempfile::TempDir,
}

impl World {
    pub async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/rollcall.db", dir.path().display());
        let clock = Clock::system();
        let opts = store::OpenOptions {
            clock: clock.clone(),
            ..Default::default()
        };
        let db = store::open_with(&url, &opts).await.unwrap();
        let mailer =
            Mailer::new(None, "Rollcall <r@example.com>", "http://r.test", 7, clock).unwrap();
        let account = accounts::create(&db, "Acme").await.unwrap();
        let admin = World::admin_in(&db, &account, "ada@example.com").await;
        World {
            db,
            mailer,
            account,
            actor: Actor::user(&admin, "ada@example.com"),
            admin,
            _dir: dir,
        }
    }

    async fn admin_in(db: &Db, account: &str, email: &str) -> String {
        let admin = users::NewAdmin {
            email: email.into(),
            password: PASSWORD.into(),
            first_name: String::new(),
            last_name: String::new(),
        };
        users::create_admin(db, account, admin).await.unwrap()
    }

    /// Another administrator with a password (active).
    pub async fn another_admin(&self, email: &str) -> String {
        World::admin_in(&self.db, &self.account, email).await
    }

    /// A manual user invited by the administrator (Invited).
    pub async fn invited(&self, email: &str) -> String {
        let who = invites::Invitee {
            email,
            first_name: "",
            last_name: "",
            groups: &[],
        };
        invites::invite_new(&self.db, &self.mailer, &self.account, &self.actor, who)
            .await
            .unwrap()
    }

    /// A user provisioned by the identity provider (SCIM), active.
    pub async fn provisioned(&self, user_name: &str) -> String {
        let state = provisioning::UserState {
            user_name: user_name.into(),
            email: Some(user_name.into()),
            first_name: "Ida".into(),
            last_name: "Provisioned".into(),
            active: true,
            external_id: None,
            emails: None,
            display_name: None,
        };
        let key = Actor::api_key("k", "OneLogin");
        provisioning::create_user(&self.db, &self.mailer, &self.account, &key, state)
            .await
            .unwrap()
            .id
    }

    /// The id of the built-in Account Administrator group.
    pub async fn builtin_group(&self) -> String {
        store::directory::group_summaries(&self.db, &self.account)
            .await
            .unwrap()
            .into_iter()
            .find(|g| g.builtin.is_some())
            .unwrap()
            .id
    }

    /// The newest link in mail to `to` that starts with `prefix` (e.g. "/signup/"): its token.
    pub async fn token_in_mail(&self, to: &str, prefix: &str) -> String {
        let mail = store::outbox::recent(&self.db, &self.account, 100)
            .await
            .unwrap();
        let text = &mail
            .iter()
            .find(|m| m.to_addr == to)
            .expect("a mail")
            .text_body;
        let at = text.find(prefix).expect("a link") + prefix.len();
        text[at..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect()
    }
}
