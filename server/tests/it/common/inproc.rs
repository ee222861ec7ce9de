//! The application built in this process (`startup::build_app`) on a real SQLite file, driven
//! with `tower::ServiceExt::oneshot`: for tests that need no process boundary, above all those
//! that move time. The app's [`Clock`] is the test's, so "a week later" is one call, not a sleep.

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use http::{header, HeaderMap, Method, Request, StatusCode};
use rollcall_server::clock::Clock;
use rollcall_server::config::{Layer, Settings};
use rollcall_server::domain::{accounts, users};
use rollcall_server::startup::{self, AppState};
use rollcall_server::store::{self, Db};
use std::net::SocketAddr;
use std::sync::Mutex;
use tower::ServiceExt;

pub const ORIGIN: &str = "http://rollcall.test";

pub struct App {
    router: Router,
    pub state: AppState,
    pub db: Db,
    pub clock: Clock,
    pub settings: Settings,
    /// The session cookie, as a browser would keep it.
    cookie: Mutex<Option<String>>,
    _dir: super::TempDb,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl App {
    /// A migrated database in a temp folder and the whole HTTP application on it.
    pub async fn start() -> App {
        let dir = super::TempDb::new();
        let url = dir.url();
        let clock = Clock::system();
        let opts = store::OpenOptions {
            clock: clock.clone(),
            ..Default::default()
        };
        let db = store::open_with(&url, &opts)
            .await
            .expect("open the database");
        let over = Layer {
            database_url: Some(url),
            public_url: Some(ORIGIN.into()),
            listen: Some("127.0.0.1:0".into()),
            ..Default::default()
        };
        let settings = Settings::resolve(over).expect("settings");
        let (router, state) = startup::build_app(settings.clone(), db.clone())
            .await
            .expect("build the app");
        App {
            router,
            state,
            db,
            clock,
            settings,
            cookie: Mutex::new(None),
            _dir: dir,
        }
    }

    /// An account with one administrator (`email`, the shared test password); its id.
    pub async fn account_with_admin(&self, email: &str) -> String {
        let account = accounts::create(&self.db, "Acme").await.expect("account");
        let admin = users::NewAdmin {
            email: email.into(),
            password: super::PASSWORD.into(),
            first_name: "Ada".into(),
            last_name: "Admin".into(),
        };
        users::create_admin(&self.db, &account, admin)
            .await
            .expect("admin");
        account
    }

    /// Sends one request from a same-origin browser page, keeping the session cookie.
    pub async fn send(&self, method: Method, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, "rollcall.test")
            .header(header::ORIGIN, ORIGIN);
        if let Some(c) = self.cookie.lock().unwrap().clone() {
            req = req.header(header::COOKIE, c);
        }
        let body = if form.is_empty() {
            Body::empty()
        } else {
            req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            Body::from(serde_urlencoded(form))
        };
        let answer = self.raw(req.body(body).unwrap()).await;
        if let Some(set) = answer.headers.get(header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
            *self.cookie.lock().unwrap() = Some(pair);
        }
        answer
    }

    /// Sends `req` as it is (from a local client address), without cookies.
    pub async fn raw(&self, mut req: Request<Body>) -> Answer {
        req.extensions_mut()
            .insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        let res = self.router.clone().oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn login(&self, email: &str) -> Answer {
        self.send(
            Method::POST,
            "/api/login",
            &[("email", email), ("password", super::PASSWORD)],
        )
        .await
    }

    /// The logged-in person's e-mail by `/api/whoami`, or None when the session is gone.
    pub async fn whoami(&self) -> Option<String> {
        let a = self.send(Method::POST, "/api/whoami", &[]).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let v: serde_json::Value = serde_json::from_str(&a.body).unwrap();
        v["LoggedIn"]["email"].as_str().map(String::from)
    }
}

fn serde_urlencoded(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                super::scim::url_encode(k),
                super::scim::url_encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}
