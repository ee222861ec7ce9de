//! SAML single sign-on against the real binary, with a real IdP process signing real responses
//! (`end2end/saml_idp.py`: openssl keys, libxmlsec1 signatures through the `xmlsec1` program),
//! and every attack an SP must refuse, each with the reason the administrator reads.

use crate::common::pool;
use crate::common::scim::{fixture, ScimFixture};
use crate::common::{ok, rollcall, PASSWORD};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The test IdP: its keys and metadata in a temp folder.
struct Idp {
    dir: tempfile::TempDir,
}

const SSO_URL: &str = "http://idp.test/sso";

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../end2end/saml_idp.py")
}

impl Idp {
    fn new() -> Idp {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("python3")
            .arg(script())
            .args(["keygen", dir.path().to_str().unwrap(), "--sso-url", SSO_URL])
            .output()
            .expect("python3 runs the test IdP");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Idp { dir }
    }

    fn metadata(&self) -> String {
        self.dir.path().join("metadata.xml").display().to_string()
    }

    /// A base64 SAMLResponse for `spec` (see the script's doc).
    fn response(&self, spec: &Value) -> String {
        use std::io::Write;
        let mut child = Command::new("python3")
            .arg(script())
            .args(["response", self.dir.path().to_str().unwrap()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(spec.to_string().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

struct World {
    f: ScimFixture,
    idp: Idp,
    entity_id: String,
    acs: String,
}

impl World {
    fn spec(&self, name_id: &str) -> Value {
        json!({"acs": self.acs, "audience": self.entity_id, "name_id": name_id})
    }

    fn with(&self, name_id: &str, extra: Value) -> Value {
        let mut spec = self.spec(name_id);
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        spec
    }

    /// Posts a Response to the ACS as the IdP's auto-submitting form does (cross-site).
    async fn post_acs(
        &self,
        client: &reqwest::Client,
        response: &str,
        relay: &str,
    ) -> reqwest::Response {
        client
            .post(&self.acs)
            .header(reqwest::header::ORIGIN, "http://idp.test")
            .form(&[("SAMLResponse", response), ("RelayState", relay)])
            .send()
            .await
            .unwrap()
    }

    async fn whoami(&self, client: &reqwest::Client) -> Option<String> {
        let r = client
            .post(self.f.server.url("/api/whoami"))
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        v["LoggedIn"]["email"].as_str().map(String::from)
    }

    fn configure(&self, extra: &[&str]) -> crate::common::Output {
        let mut args = vec!["saml", "configure", "--account", &self.f.account];
        let metadata = self.idp.metadata();
        args.extend(["--idp-metadata", &metadata]);
        args.extend(extra);
        rollcall(&self.f.db, &args, &[], None)
    }
}

async fn world() -> World {
    let f = fixture();
    let idp = Idp::new();
    let entity_id = f.server.url(&format!("/saml/account/{}", f.account));
    let w = World {
        acs: format!("{entity_id}/acs"),
        entity_id,
        f,
        idp,
    };
    let out = w.configure(&[]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("CN=Test IdP"), "{}", out.stdout);
    w
}

async fn status_of(w: &World, email: &str) -> String {
    sqlx::query_scalar("SELECT status FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&pool(&w.f.db).await)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_signed_response_logs_a_provisioned_user_in_once() {
    let w = world().await;
    w.f.scim.user("bo@example.com").await;
    assert_eq!(status_of(&w, "bo@example.com").await, "invited");
    for sign in ["assertion", "response", "both"] {
        let client = w.f.server.client();
        let response = w
            .idp
            .response(&w.with("Bo@Example.com", json!({"sign": sign})));
        let r = w.post_acs(&client, &response, "/users?q=a").await;
        assert_eq!(r.status(), 303, "{sign}: {}", r.text().await.unwrap());
        assert_eq!(r.headers()["location"], "/users?q=a");
        assert_eq!(
            w.whoami(&client).await.as_deref(),
            Some("bo@example.com"),
            "{sign}"
        );
        // The same response again is a replay.
        let again = w.post_acs(&w.f.server.client(), &response, "/").await;
        assert_eq!(again.status(), 401, "{sign}");
        assert!(again.text().await.unwrap().contains("replay"));
    }
    // The first SSO log-in made the invited user Active; the log-in is audited with its method.
    assert_eq!(status_of(&w, "bo@example.com").await, "active");
    let details: Vec<String> = sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE action = 'session.login' ORDER BY id",
    )
    .fetch_all(&pool(&w.f.db).await)
    .await
    .unwrap();
    assert_eq!(details.len(), 3);
    assert!(
        details.iter().all(|d| d.contains("method: saml")),
        "{details:?}"
    );
    // RelayState is a same-origin path or nothing: never another site.
    for relay in ["https://evil.example/", "//evil.example/x", "\\\\evil"] {
        let client = w.f.server.client();
        let r = w
            .post_acs(&client, &w.idp.response(&w.spec("bo@example.com")), relay)
            .await;
        assert_eq!(r.status(), 303);
        assert_eq!(r.headers()["location"], "/", "{relay}");
    }
}

fn inflate_request_id(location: &str) -> String {
    use base64::Engine;
    use std::io::Read;
    let url = url::Url::parse(location).unwrap();
    let request = url
        .query_pairs()
        .find(|(k, _)| k == "SAMLRequest")
        .unwrap()
        .1
        .to_string();
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(request)
        .unwrap();
    let mut xml = String::new();
    flate2::read::DeflateDecoder::new(&deflated[..])
        .read_to_string(&mut xml)
        .unwrap();
    assert!(
        xml.contains("AuthnRequest") && xml.contains("AssertionConsumerServiceURL"),
        "{xml}"
    );
    let at = xml.find(" ID=\"").unwrap() + 5;
    xml[at..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn sp_initiated_log_in_answers_our_request_once() {
    let w = world().await;
    w.f.scim.user("bo@example.com").await;
    let client = w.f.server.client();
    let login = format!("{}/login?RelayState=/groups", w.entity_id);
    let r = client.get(&login).send().await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(SSO_URL), "{location}");
    assert!(location.contains("RelayState=%2Fgroups"), "{location}");
    let id = inflate_request_id(&location);
    let answer = w
        .idp
        .response(&w.with("bo@example.com", json!({"in_response_to": id})));
    let r = w.post_acs(&client, &answer, "/groups").await;
    assert_eq!(r.status(), 303);
    assert_eq!(w.whoami(&client).await.as_deref(), Some("bo@example.com"));
    // A second answer to the same request (a new assertion) is refused, as is an unknown id.
    for irt in [id.as_str(), "_never-issued"] {
        let answer = w
            .idp
            .response(&w.with("bo@example.com", json!({"in_response_to": irt})));
        let r = w.post_acs(&w.f.server.client(), &answer, "/").await;
        assert_eq!(r.status(), 401, "{irt}");
        assert!(r.text().await.unwrap().contains("did not make"));
    }
}

#[tokio::test]
async fn forged_and_misdirected_responses_are_refused_with_reasons() {
    let w = world().await;
    w.f.scim.user("bo@example.com").await;
    let other = Idp::new();
    let other_key = other.dir.path().display().to_string();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "unsigned",
            json!({"sign": "none"}),
            "signature does not verify",
        ),
        (
            "signed by another key",
            json!({"key_dir": other_key}),
            "signature does not verify",
        ),
        ("SHA-1", json!({"alg": "sha1"}), "SHA-256"),
        (
            "a second, unsigned assertion",
            json!({"attack": "second_assertion"}),
            "exactly one is accepted",
        ),
        (
            "a duplicated ID (wrapping)",
            json!({"attack": "duplicate_id"}),
            "exactly one is accepted",
        ),
        (
            "a changed NameID",
            json!({"attack": "tamper"}),
            "signature does not verify",
        ),
        (
            "a comment in the NameID",
            json!({"attack": "comment"}),
            "comments",
        ),
        ("a DTD", json!({"attack": "doctype"}), "DTD"),
        (
            "another audience",
            json!({"audience": "https://other.example/sp"}),
            "audience",
        ),
        (
            "another recipient",
            json!({"recipient": "https://other.example/acs"}),
            "recipient",
        ),
        (
            "another destination",
            json!({"destination": "https://other.example/acs"}),
            "destination",
        ),
        (
            "another issuer",
            json!({"issuer": "http://evil.test/metadata"}),
            "issuer",
        ),
        ("expired", json!({"not_on_or_after": -600}), "expired"),
        ("not yet valid", json!({"not_before": 600}), "not valid yet"),
    ];
    let n = cases.len();
    for (what, extra, reason) in cases {
        let client = w.f.server.client();
        let response = w.idp.response(&w.with("bo@example.com", extra));
        let r = w.post_acs(&client, &response, "/").await;
        let status = r.status();
        let body = r.text().await.unwrap();
        assert!(status.is_client_error(), "{what}: {status} {body}");
        assert!(
            body.contains(reason),
            "{what}: expected “{reason}” in {body}"
        );
        assert_eq!(w.whoami(&client).await, None, "{what}: no session");
    }
    // Nobody the account does not have, and nothing without a response at all.
    let r = w
        .post_acs(
            &w.f.server.client(),
            &w.idp.response(&w.spec("mallory@example.com")),
            "/",
        )
        .await;
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("No user of this account"));
    let r = w.post_acs(&w.f.server.client(), "", "/").await;
    assert_eq!(r.status(), 400);
    // Every refusal is recorded with its reason for the administrator.
    let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM saml_attempts WHERE NOT success")
        .fetch_one(&pool(&w.f.db).await)
        .await
        .unwrap();
    assert_eq!(failed, i64::try_from(n + 1).unwrap());
    assert_eq!(
        status_of(&w, "bo@example.com").await,
        "invited",
        "nothing changed"
    );
}

#[tokio::test]
async fn suspended_users_are_refused_and_suspension_ends_the_sso_session() {
    let w = world().await;
    let bo = w.f.scim.user("bo@example.com").await;
    let client = w.f.server.client();
    let r = w
        .post_acs(&client, &w.idp.response(&w.spec("bo@example.com")), "/")
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(w.whoami(&client).await.as_deref(), Some("bo@example.com"));
    let off = json!([{"op": "replace", "path": "active", "value": false}]);
    assert_eq!(
        w.f.scim.patch(&format!("/Users/{bo}"), off).await.status,
        200
    );
    assert_eq!(
        w.whoami(&client).await,
        None,
        "SCIM suspension ends the SSO session"
    );
    let r = w
        .post_acs(&client, &w.idp.response(&w.spec("bo@example.com")), "/")
        .await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("suspended"));
}

#[tokio::test]
async fn enforcing_sso_keeps_administrators_break_glass_password() {
    let w = world().await;
    w.f.scim.user("bo@example.com").await;
    // Bo signs up from the invite (a password), as people did before SSO.
    let token: String = {
        let text: String =
            sqlx::query_scalar("SELECT text_body FROM outbox WHERE to_addr = 'bo@example.com'")
                .fetch_one(&pool(&w.f.db).await)
                .await
                .unwrap();
        let at = text.find("/signup/").unwrap() + 8;
        text[at..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect()
    };
    let client = w.f.server.client();
    let r = client
        .post(w.f.server.url("/api/signup"))
        .form(&[
            ("input[token]", token.as_str()),
            ("input[password]", PASSWORD),
            ("input[password_confirm]", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let password_login = |email: &'static str| {
        let client = w.f.server.client();
        let url = w.f.server.url("/api/login");
        async move {
            let r = client
                .post(url)
                .form(&[("email", email), ("password", PASSWORD)])
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    assert_eq!(password_login("bo@example.com").await.0, 200);
    let out = w.configure(&["--enforce"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("enforced"), "{}", out.stdout);
    let (status, body) = password_login("bo@example.com").await;
    assert_ne!(status, 200, "{body}");
    assert!(body.contains("Log in with single sign-on"), "{body}");
    // People provisioned now are invited to log in through the IdP: no password, no sign-up link.
    w.f.scim.user("cy@example.com").await;
    let mail: String =
        sqlx::query_scalar("SELECT text_body FROM outbox WHERE to_addr = 'cy@example.com'")
            .fetch_one(&pool(&w.f.db).await)
            .await
            .unwrap();
    assert!(
        mail.contains("log in with your identity provider"),
        "{mail}"
    );
    assert!(mail.contains(&format!("{}/login", w.entity_id)), "{mail}");
    assert!(!mail.contains("/signup/"), "{mail}");
    // The manual administrator still has their password; Bo still has SSO.
    assert_eq!(password_login("admin@example.com").await.0, 200);
    let sso = w.f.server.client();
    let r = w
        .post_acs(&sso, &w.idp.response(&w.spec("bo@example.com")), "/")
        .await;
    assert_eq!(r.status(), 303);
    // Switched off, the ACS refuses everything, and `saml show` says so.
    let off = w.configure(&["--disable"]);
    assert_eq!(off.code, 0, "{}", off.stderr);
    let r = w
        .post_acs(
            &w.f.server.client(),
            &w.idp.response(&w.spec("bo@example.com")),
            "/",
        )
        .await;
    assert_eq!(r.status(), 404);
    let shown = ok(&w.f.db, &["saml", "show", "--account", &w.f.account], &[]);
    assert!(shown.contains("Single sign-on:             off"), "{shown}");
}

#[tokio::test]
async fn metadata_show_and_configuration_errors() {
    let f = fixture();
    // Before set-up: metadata is served (the IdP admin needs it first); the ACS refuses.
    let meta = reqwest::get(
        f.server
            .url(&format!("/saml/account/{}/metadata", f.account)),
    )
    .await
    .unwrap();
    assert_eq!(meta.status(), 200);
    assert_eq!(
        meta.headers()["content-type"],
        "application/samlmetadata+xml"
    );
    let xml = meta.text().await.unwrap();
    let entity = f.server.url(&format!("/saml/account/{}", f.account));
    assert!(xml.contains(&format!("entityID=\"{entity}\"")), "{xml}");
    assert!(xml.contains(&format!("Location=\"{entity}/acs\"")), "{xml}");
    let unknown = reqwest::get(
        f.server
            .url("/saml/account/AAAAAAAAAAAAAAAAAAAAAA/metadata"),
    )
    .await
    .unwrap();
    assert_eq!(unknown.status(), 404);
    let public = f.server.url("");
    let shown = ok(
        &f.db,
        &[
            "saml",
            "show",
            "--account",
            &f.account,
            "--public-url",
            public.trim_end_matches('/'),
        ],
        &[],
    );
    assert!(
        shown.contains(&format!("Audience (EntityID):        {entity}")),
        "{shown}"
    );
    assert!(shown.contains("not set up"), "{shown}");
    let r = f
        .server
        .client()
        .get(f.server.url(&format!("/saml/account/{}/login", f.account)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Fail closed: metadata without a signing certificate is refused, in one line.
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("bare.xml");
    std::fs::write(
        &bare,
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://idp.test/metadata"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="http://idp.test/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>"#,
    )
    .unwrap();
    let args = [
        "saml",
        "configure",
        "--account",
        &f.account,
        "--idp-metadata",
        bare.to_str().unwrap(),
    ];
    let out = rollcall(&f.db, &args, &[], None);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr
            .contains("--certificates: Add the IdP's signing certificate"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    std::fs::write(&bare, "not xml").unwrap();
    let out = rollcall(&f.db, &args, &[], None);
    assert!(
        out.stderr
            .contains("--idp-metadata: This is not SAML metadata"),
        "{}",
        out.stderr
    );
    let args = ["saml", "configure", "--account", &f.account, "--enforce"];
    let out = rollcall(&f.db, &args, &[], None);
    assert!(
        out.stderr.contains("not set up for this account yet"),
        "{}",
        out.stderr
    );
}

#[tokio::test]
async fn the_sso_page_offers_the_accounts_of_an_address() {
    let w = world().await;
    w.f.scim.user("bo@example.com").await;
    let page = |q: &str| {
        let url = w.f.server.url(&format!("/sso?email={q}"));
        async move { reqwest::get(url).await.unwrap().text().await.unwrap() }
    };
    let offered = page("Bo%40example.com").await;
    assert!(
        offered.contains(&format!("/saml/account/{}/login", w.f.account)),
        "{offered}"
    );
    assert!(offered.contains("Continue to Acme"), "{offered}");
    let none = page("nobody%40example.com").await;
    assert!(none.contains("No account offers single sign-on"), "{none}");
    let bad = page("%3Cscript%3E").await;
    assert!(!bad.contains("<script>"), "escaped: {bad}");
}

/// The outcome of each check on a Test sign-on report page (`data-check` → `data-outcome`).
fn report_outcomes(html: &str) -> Vec<(String, String)> {
    html.split("<tr data-check=\"")
        .skip(1)
        .map(|row| {
            let check = row.split('"').next().unwrap().to_string();
            let at = row.find("data-outcome=\"").unwrap() + 14;
            (check, row[at..].split('"').next().unwrap().to_string())
        })
        .collect()
}

impl World {
    /// An administrator's browser, logged in with a password.
    async fn admin(&self) -> reqwest::Client {
        let client = self.f.server.client();
        let r = client
            .post(self.f.server.url("/api/login"))
            .form(&[("email", "admin@example.com"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        client
    }

    /// Starts a Test sign-on as `admin`; the id of the request sent to the IdP.
    async fn start_test(&self, admin: &reqwest::Client) -> String {
        let r = admin
            .get(format!("{}/test", self.entity_id))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_redirection(), "{}", r.status());
        let location = r.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with(SSO_URL), "{location}");
        inflate_request_id(&location)
    }

    /// Runs a whole test: the IdP's answer for `name_id` (plus `extra`), posted to the ACS.
    async fn run_test(&self, admin: &reqwest::Client, name_id: &str, extra: Value) -> String {
        let id = self.start_test(admin).await;
        let mut spec = self.with(name_id, extra);
        spec["in_response_to"] = json!(id);
        let browser = self.f.server.client();
        let r = self.post_acs(&browser, &self.idp.response(&spec), "").await;
        assert_eq!(r.status(), 200);
        let html = r.text().await.unwrap();
        // A test logs nobody in.
        assert_eq!(self.whoami(&browser).await, None);
        html
    }
}

#[tokio::test]
async fn test_sign_on_shows_every_check_and_logs_nobody_in() {
    let w = world().await;
    w.f.scim.user("bo@example.com").await;
    // Before switching SSO on: the test still runs (SSO off refuses real log-ins).
    assert_eq!(w.configure(&["--disable"]).code, 0);
    let anonymous = w.f.server.client();
    let r = anonymous
        .get(format!("{}/test", w.entity_id))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Log in as an administrator"));
    let admin = w.admin().await;

    // Everything right: ten checks passed, and the person is named.
    let id = w.start_test(&admin).await;
    let answer = w
        .idp
        .response(&w.with("bo@example.com", json!({"in_response_to": id})));
    let browser = w.f.server.client();
    let r = w.post_acs(&browser, &answer, "").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("data-test-outcome=\"passed\""), "{html}");
    let outcomes = report_outcomes(&html);
    assert_eq!(outcomes.len(), 10, "{outcomes:?}");
    assert!(outcomes.iter().all(|(_, o)| o == "passed"), "{outcomes:?}");
    assert!(html.contains("bo@example.com is invited"), "{html}");
    assert_eq!(w.whoami(&browser).await, None);
    assert_eq!(status_of(&w, "bo@example.com").await, "invited");
    // The same answer again is no longer a test, and with SSO off nothing else is accepted.
    let again = w.post_acs(&w.f.server.client(), &answer, "").await;
    assert_eq!(again.status(), 404);

    // A key the account does not trust: the signature fails; what depends on it is not checked.
    let other = Idp::new();
    let html = w
        .run_test(
            &admin,
            "bo@example.com",
            json!({"key_dir": other.dir.path().display().to_string()}),
        )
        .await;
    assert!(html.contains("data-test-outcome=\"failed\""), "{html}");
    let outcomes = report_outcomes(&html);
    let of = |c: &str| outcomes.iter().find(|(k, _)| k == c).unwrap().1.clone();
    assert_eq!(of("document"), "passed");
    assert_eq!(of("algorithm"), "passed");
    assert_eq!(of("signature"), "failed");
    assert_eq!(of("audience"), "not_checked");
    assert_eq!(of("user"), "not_checked");
    assert!(html.contains("signature does not verify"), "{html}");

    // Signed right, but for another audience: the signature passed, the audience is named.
    let html = w
        .run_test(
            &admin,
            "bo@example.com",
            json!({"audience": "https://other.example/sp"}),
        )
        .await;
    let outcomes = report_outcomes(&html);
    let of = |c: &str| outcomes.iter().find(|(k, _)| k == c).unwrap().1.clone();
    assert_eq!(of("signature"), "passed");
    assert_eq!(of("audience"), "failed");
    assert!(html.contains("https://other.example/sp"), "{html}");

    // SHA-1: the algorithm check says what to change in OneLogin.
    let html = w
        .run_test(&admin, "bo@example.com", json!({"alg": "sha1"}))
        .await;
    let outcomes = report_outcomes(&html);
    assert_eq!(
        outcomes.iter().find(|(k, _)| k == "algorithm").unwrap().1,
        "failed"
    );
    assert!(html.contains("SHA-256"));

    // Nobody with that address: every protocol check passed, the user check says who is missing.
    let html = w.run_test(&admin, "nobody@example.com", json!({})).await;
    let failed: Vec<_> = report_outcomes(&html)
        .into_iter()
        .filter(|(_, o)| o != "passed")
        .collect();
    assert_eq!(failed, vec![("user".to_string(), "failed".to_string())]);
    assert!(html.contains("No user of this account has the e-mail or userName nobody@example.com"));

    // A test's request can never start a session, even with SSO on.
    assert_eq!(w.configure(&[]).code, 0);
    let html = w.run_test(&admin, "bo@example.com", json!({})).await;
    assert!(html.contains("data-test-outcome=\"passed\""), "{html}");
    // And a real log-in request is not a test: it logs in.
    let client = w.f.server.client();
    let r = client
        .get(format!("{}/login", w.entity_id))
        .send()
        .await
        .unwrap();
    let id = inflate_request_id(r.headers()["location"].to_str().unwrap());
    let answer = w
        .idp
        .response(&w.with("bo@example.com", json!({"in_response_to": id})));
    assert_eq!(w.post_acs(&client, &answer, "").await.status(), 303);
    assert_eq!(w.whoami(&client).await.as_deref(), Some("bo@example.com"));

    // Each test is listed with the attempts, marked as a test.
    // (A boolean column reads as an integer from SQLite through the tests' Any driver.)
    let tests: Vec<(i64, String)> = sqlx::query_as(
        "SELECT CAST(CASE WHEN success THEN 1 ELSE 0 END AS BIGINT), reason
         FROM saml_attempts WHERE test ORDER BY id",
    )
    .fetch_all(&pool(&w.f.db).await)
    .await
    .unwrap();
    assert_eq!(
        tests.iter().map(|t| t.0 == 1).collect::<Vec<_>>(),
        vec![true, false, false, false, false, true]
    );
    assert!(
        tests[1].1.starts_with("Test sign-on: The signature"),
        "{tests:?}"
    );
}

#[tokio::test]
async fn two_certificates_are_trusted_during_a_rollover() {
    let w = world().await;
    w.f.scim.user("bo@example.com").await;
    let next = Idp::new();
    let next_key = next.dir.path().display().to_string();
    let key_descriptor = |metadata: &str| {
        let start = metadata.find("<md:KeyDescriptor").unwrap();
        let end = metadata.find("</md:KeyDescriptor>").unwrap() + "</md:KeyDescriptor>".len();
        metadata[start..end].to_string()
    };
    let current = std::fs::read_to_string(w.idp.metadata()).unwrap();
    let upcoming = std::fs::read_to_string(next.metadata()).unwrap();
    let both = current.replacen(
        "<md:NameIDFormat>",
        &format!("{}\n    <md:NameIDFormat>", key_descriptor(&upcoming)),
        1,
    );
    let both_file = w.idp.dir.path().join("both.xml");
    std::fs::write(&both_file, both).unwrap();
    let out = rollcall(
        &w.f.db,
        &[
            "saml",
            "configure",
            "--account",
            &w.f.account,
            "--idp-metadata",
            both_file.to_str().unwrap(),
        ],
        &[],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout.matches("CN=Test IdP").count(),
        2,
        "{}",
        out.stdout
    );
    // During the rollover, responses signed by either key are accepted.
    let old_signed = w.idp.response(&w.spec("bo@example.com"));
    let r = w.post_acs(&w.f.server.client(), &old_signed, "").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let new_signed = || {
        w.idp
            .response(&w.with("bo@example.com", json!({"key_dir": next_key})))
    };
    let r = w.post_acs(&w.f.server.client(), &new_signed(), "").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    // The rollover done (only the new certificate): the old key is refused, the new one works.
    let out = rollcall(
        &w.f.db,
        &[
            "saml",
            "configure",
            "--account",
            &w.f.account,
            "--idp-metadata",
            &next.metadata(),
        ],
        &[],
        None,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let old_again = w.idp.response(&w.spec("bo@example.com"));
    let r = w.post_acs(&w.f.server.client(), &old_again, "").await;
    assert_eq!(r.status(), 401);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("signature does not verify"));
    let r = w.post_acs(&w.f.server.client(), &new_signed(), "").await;
    assert_eq!(r.status(), 303);
}
