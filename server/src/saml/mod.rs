//! The SAML 2.0 front door (Web Browser SSO, Rollcall as the service provider), per account:
//!
//! - `GET  /saml/account/{id}/metadata`: our SP metadata for the IdP;
//! - `GET  /saml/account/{id}/login[?RelayState=/path]`: SP-initiated log-in, a redirect to the
//!   IdP with a deflated AuthnRequest (HTTP-Redirect binding);
//! - `POST /saml/account/{id}/acs`: the IdP's Response (HTTP-POST binding), SP- or
//!   IdP-initiated (the OneLogin app tile);
//! - `GET  /saml/account/{id}/test`: "Test sign-on" for an administrator: the same round trip,
//!   answered by a report of every check instead of a session;
//! - `GET  /sso?email=`: "Log in with single sign-on": the accounts this address may sign in to.
//!
//! This module only translates: `verify` reads the signed document, `domain::sso` decides who
//! gets in, `domain::auth` starts the session exactly as a password log-in does.

pub mod metadata;
pub mod verify;

use crate::domain::{auth, sso, sso_check};
use crate::error::{html_document, AppError};
use crate::startup::AppState;
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use http::{header, StatusCode};
use std::collections::HashMap;
use tower_sessions::Session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/saml/account/{account}/metadata", get(sp_metadata))
        .route("/saml/account/{account}/login", get(login))
        .route("/saml/account/{account}/acs", post(acs))
        .route("/saml/account/{account}/test", get(test_login))
        .route("/sso", get(choose_account))
}

const FAILED: &str = "Single sign-on failed";

/// An account id that can exist; anything else is a 404 before the database is asked.
fn account_param(account: &str) -> Result<&str, AppError> {
    if crate::ids::looks_like_account_id(account) {
        Ok(account)
    } else {
        Err(AppError::NotFound("There is no such account.".into()))
    }
}

async fn sp_metadata(State(state): State<AppState>, Path(account): Path<String>) -> Response {
    let account = match account_param(&account) {
        Ok(a) => a,
        Err(e) => return e.into_html_response(FAILED),
    };
    if let Err(e) = crate::domain::accounts::require(&state.db, account).await {
        return e.into_plain_response();
    }
    let sp = sso::sp_values(&state.settings.public_base(), account);
    (
        [(header::CONTENT_TYPE, "application/samlmetadata+xml")],
        metadata::sp_metadata(&sp.entity_id, &sp.acs_url),
    )
        .into_response()
}

/// A same-origin path to return to after log-in, or "/" (never another site: open redirects).
fn relay_target(relay: Option<&String>) -> String {
    match relay.map(|r| r.trim()) {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && p.len() <= 512
                && !p.chars().any(char::is_control) =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

async fn login(
    State(state): State<AppState>,
    Path(account): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let account = match account_param(&account) {
        Ok(a) => a,
        Err(e) => return e.into_html_response(FAILED),
    };
    let config = match sso::enabled_config(&state.db, account).await {
        Ok(c) => c,
        Err(e) => return e.into_html_response(FAILED),
    };
    let request_id = match sso::new_request(&state.db, account).await {
        Ok(id) => id,
        Err(e) => return e.into_html_response(FAILED),
    };
    let sp = sso::sp_values(&state.settings.public_base(), account);
    let relay = relay_target(q.get("RelayState"));
    let relay = if relay == "/" { String::new() } else { relay };
    match metadata::authn_request_url(
        &config.sso_url,
        &request_id,
        &sp.entity_id,
        &sp.acs_url,
        &relay,
        &state.db.clock().now_text(),
    ) {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => e.into_html_response(FAILED),
    }
}

#[derive(serde::Deserialize)]
struct AcsForm {
    #[serde(rename = "SAMLResponse", default)]
    saml_response: String,
    #[serde(rename = "RelayState", default)]
    relay_state: Option<String>,
}

async fn acs(
    State(state): State<AppState>,
    Path(account): Path<String>,
    session: Session,
    Form(form): Form<AcsForm>,
) -> Response {
    let account = match account_param(&account) {
        Ok(a) => a.to_string(),
        Err(e) => return e.into_html_response(FAILED),
    };
    if form.saml_response.trim().is_empty() {
        let e = AppError::InvalidSyntax("The IdP sent no SAMLResponse.".into());
        return e.into_html_response(FAILED);
    }
    // An answer to a "Test sign-on" gets the report (SSO may still be off); anything else needs
    // SSO on.
    let test = match verify::claimed_request(&form.saml_response) {
        Some(id) => match sso_check::is_test(&state.db, &account, &id).await {
            Ok(true) => Some(id),
            Ok(false) => None,
            Err(e) => return e.into_html_response(FAILED),
        },
        None => None,
    };
    let config = match &test {
        Some(_) => sso::config(&state.db, &account).await,
        None => sso::enabled_config(&state.db, &account).await,
    };
    let config = match config {
        Ok(c) => c,
        Err(e) => return e.into_html_response(FAILED),
    };
    let sp = sso::sp_values(&state.settings.public_base(), &account);
    let certificates = sso::certificates(&config);
    let idp_entity_id = config.idp_entity_id.clone();
    let encoded = form.saml_response;
    let checked = tokio::task::spawn_blocking(move || {
        let expect = verify::Expect {
            entity_id: &sp.entity_id,
            acs_url: &sp.acs_url,
            idp_entity_id: &idp_entity_id,
            certificates: &certificates,
        };
        verify::verify(&encoded, &expect)
    })
    .await
    .unwrap_or_else(|_| {
        Err(sso_check::Progress::default().refuse(
            sso_check::Check::Document,
            "The response could not be checked.",
        ))
    })
    .map(|v| sso::Assertion {
        name_id: v.name_id,
        assertion_id: v.assertion_id,
        in_response_to: v.in_response_to,
        not_on_or_after: v.not_on_or_after,
    });
    if let Some(request) = test {
        return match sso_check::report(&state.db, &account, &request, checked).await {
            Ok(report) => report_page(&report),
            Err(e) => e.into_html_response(FAILED),
        };
    }
    let assertion = match checked {
        Ok(a) => a,
        Err(refusal) => {
            let reason = refusal.reason;
            crate::telemetry::sso::<()>(&Err(AppError::BadCredentials(String::new())));
            tracing::info!(%account, %reason, "SAML response refused");
            let _ = sso::record_failure(&state.db, &account, None, &reason).await;
            return AppError::BadCredentials(reason).into_html_response(FAILED);
        }
    };
    let name_id = assertion.name_id.clone();
    let signed_in = sso::sign_in(&state.db, &account, assertion).await;
    crate::telemetry::sso(&signed_in);
    let auth = match signed_in {
        Ok(a) => a,
        Err(e) => {
            if !matches!(e, AppError::Busy(_)) {
                let _ =
                    sso::record_failure(&state.db, &account, Some(&name_id), &e.to_string()).await;
            }
            return e.into_html_response(FAILED);
        }
    };
    if let Err(e) = auth::start_session(&session, &auth).await {
        return e.into_html_response(FAILED);
    }
    Redirect::to(&relay_target(form.relay_state.as_ref())).into_response()
}

/// "Test sign-on" (an administrator of the account, in a new tab): a real round trip through
/// the IdP whose answer shows every check instead of logging anyone in.
async fn test_login(
    State(state): State<AppState>,
    Path(account): Path<String>,
    session: Session,
) -> Response {
    const TITLE: &str = "Test sign-on";
    let account = match account_param(&account) {
        Ok(a) => a,
        Err(e) => return e.into_html_response(TITLE),
    };
    let admin = match auth::current_user(&state.db, &session, state.settings.session_max_age()).await {
        Ok(Some(u)) if u.is_admin && u.account_id == account => u,
        Ok(Some(_)) => {
            return AppError::Forbidden("Only an administrator of this account can test its single sign-on.".into())
                .into_html_response(TITLE)
        }
        Ok(None) => {
            return AppError::Forbidden("Log in as an administrator of this account first, then start the test from the Single Sign-On page.".into())
                .into_html_response(TITLE)
        }
        Err(e) => return e.into_html_response(TITLE),
    };
    let config = match sso::config(&state.db, &admin.account_id).await {
        Ok(c) => c,
        Err(e) => return e.into_html_response(TITLE),
    };
    let request_id = match sso_check::new_test_request(&state.db, &admin.account_id).await {
        Ok(id) => id,
        Err(e) => return e.into_html_response(TITLE),
    };
    let sp = sso::sp_values(&state.settings.public_base(), &admin.account_id);
    match metadata::authn_request_url(
        &config.sso_url,
        &request_id,
        &sp.entity_id,
        &sp.acs_url,
        "",
        &state.db.clock().now_text(),
    ) {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(e) => e.into_html_response(TITLE),
    }
}

/// The Test sign-on report: each check with its outcome, then what to do next.
fn report_page(report: &sso_check::TestReport) -> Response {
    use sso_check::Outcome;
    let esc = crate::error::escape_html;
    let passed = report.passed();
    let mut body = String::new();
    body.push_str(&format!(
        "<p role=\"status\" data-test-outcome=\"{}\">{}</p>",
        if passed { "passed" } else { "failed" },
        if passed {
            "Every check passed: nobody was logged in by this test. You can switch single sign-on on (and enforce it) on the Single Sign-On page."
        } else {
            "The test failed: fix what is marked below in the IdP (or in Rollcall), then run the test again. Nobody was logged in."
        }
    ));
    body.push_str("<table class=\"table checks\"><caption>Checks</caption><thead><tr><th scope=\"col\">Check</th><th scope=\"col\">Result</th><th scope=\"col\">Detail</th></tr></thead><tbody>");
    for (check, outcome) in &report.checks {
        let (word, detail) = match outcome {
            Outcome::Passed(d) => ("passed", d.as_str()),
            Outcome::Failed(d) => ("failed", d.as_str()),
            Outcome::NotChecked => ("not checked", "An earlier check failed."),
        };
        body.push_str(&format!(
            "<tr data-check=\"{}\" data-outcome=\"{}\"><th scope=\"row\">{}</th><td>{}</td><td>{}</td></tr>",
            check.key(),
            word.replace(' ', "_"),
            esc(check.label()),
            word,
            esc(detail)
        ));
    }
    body.push_str("</tbody></table><p><a href=\"/single-sign-on\">Back to Single Sign-On</a></p>");
    html_document(StatusCode::OK, "Test sign-on", &body)
}

/// "Log in with single sign-on": asks for the e-mail, then offers the accounts where that
/// address is a user and SSO is on. Says the same (nothing) for an address nobody has, after
/// the same work, so it does not tell who exists beyond what SSO itself reveals.
async fn choose_account(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let email = q.get("email").map(|e| e.trim()).unwrap_or("");
    let esc = crate::error::escape_html;
    let mut body = String::from(
        "<form method=\"get\" action=\"/sso\"><label for=\"email\">E-mail</label> \
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required maxlength=\"254\"",
    );
    body.push_str(&format!(
        " value=\"{}\"> <button type=\"submit\">Continue</button></form>",
        esc(email)
    ));
    if !email.is_empty() {
        if crate::domain::validate::email(email).is_err() {
            body.push_str("<p role=\"alert\">Enter the e-mail address you log in with.</p>");
        } else {
            match crate::store::saml::sso_accounts_for(&state.db, &email.to_lowercase()).await {
                Ok(accounts) if accounts.is_empty() => body.push_str(
                    "<p role=\"status\">No account offers single sign-on for this address. Log in with your e-mail and password instead.</p>",
                ),
                Ok(accounts) => {
                    body.push_str("<ul class=\"sso-accounts\">");
                    for (id, name) in accounts {
                        body.push_str(&format!(
                            "<li><a class=\"button\" href=\"/saml/account/{}/login\">Continue to {}</a></li>",
                            esc(&id),
                            esc(&name)
                        ));
                    }
                    body.push_str("</ul>");
                }
                Err(e) => return e.into_html_response(FAILED),
            }
        }
    }
    body.push_str("<p class=\"aside\"><a href=\"/login\">Log in with a password instead</a></p>");
    html_document(StatusCode::OK, "Log in with single sign-on", &body)
}
