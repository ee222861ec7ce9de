//! The SAML 2.0 front door (Web Browser SSO, Rollcall as the service provider), per account:
//!
//! - `GET  /saml/account/{id}/metadata`: our SP metadata for the IdP;
//! - `GET  /saml/account/{id}/login[?RelayState=/path]`: SP-initiated log-in, a redirect to the
//!   IdP with a deflated AuthnRequest (HTTP-Redirect binding);
//! - `POST /saml/account/{id}/acs`: the IdP's Response (HTTP-POST binding), SP- or
//!   IdP-initiated (the OneLogin app tile);
//! - `GET  /sso?email=`: "Log in with single sign-on": the accounts this address may sign in to.
//!
//! This module only translates: `verify` reads the signed document, `domain::sso` decides who
//! gets in, `domain::auth` starts the session exactly as a password log-in does.

pub mod metadata;
pub mod verify;

use crate::domain::{auth, sso};
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
    let config = match sso::enabled_config(&state.db, &account).await {
        Ok(c) => c,
        Err(e) => return e.into_html_response(FAILED),
    };
    if form.saml_response.trim().is_empty() {
        let e = AppError::InvalidSyntax("The IdP sent no SAMLResponse.".into());
        return e.into_html_response(FAILED);
    }
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
    .unwrap_or_else(|_| Err("The response could not be checked.".into()));
    let verified = match checked {
        Ok(v) => v,
        Err(reason) => {
            tracing::info!(%account, %reason, "SAML response refused");
            let _ = sso::record_failure(&state.db, &account, None, &reason).await;
            return AppError::BadCredentials(reason).into_html_response(FAILED);
        }
    };
    let name_id = verified.name_id.clone();
    let assertion = sso::Assertion {
        name_id: verified.name_id,
        assertion_id: verified.assertion_id,
        in_response_to: verified.in_response_to,
        not_on_or_after: verified.not_on_or_after,
    };
    let auth = match sso::sign_in(&state.db, &account, assertion).await {
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
