//! SAML single sign-on against the real binary, with a real IdP process signing real responses
//! (`end2end/saml_idp.py`: openssl keys, libxmlsec1 signatures through the `xmlsec1` program),
//! and every attack an SP must refuse, each with the reason the administrator reads.

use crate::common::scim::{fixture, pool, ScimFixture};
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
    sqlx::query_scalar("SELECT status FROM users WHERE email = ?")
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
    let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM saml_attempts WHERE success = 0")
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
