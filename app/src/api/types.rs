//! Wire types (DTOs) shared by the server functions and the WASM client.

use serde::{Deserialize, Serialize};

/// The logged-in person, as the UI needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub account_id: String,
    pub account_name: String,
    /// Member of the account's *Account Administrator* group.
    pub is_admin: bool,
}

impl CurrentUser {
    pub fn display_name(&self) -> String {
        let name = format!("{} {}", self.first_name, self.last_name);
        let name = name.trim();
        if name.is_empty() {
            self.email.clone()
        } else {
            name.to_string()
        }
    }
}

/// What the UI must show for this request: the first-run set-up, the log-in page, or the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Viewer {
    /// The database has no account yet: show the first-run set-up page.
    SetupRequired,
    Anonymous,
    LoggedIn(CurrentUser),
}

/// The first-run form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SetupInput {
    pub setup_code: String,
    pub account_name: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub password: String,
    pub password_confirm: String,
}

/// What the sign-up page shows for a valid invite link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupView {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// False for users provisioned by an identity provider: their names come from there.
    pub names_editable: bool,
    pub account_name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SignupInput {
    pub token: String,
    pub first_name: String,
    pub last_name: String,
    pub password: String,
    pub password_confirm: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct InviteInput {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// Manual groups to add the new user to.
    pub groups: Vec<String>,
}

/// One message of the outbox, as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub id: i64,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub created_at: String,
    /// stored (no SMTP), pending, sent or failed
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub sent_at: Option<String>,
}

/// The outbox page: how mail leaves, and the newest messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outbox {
    /// "smtp" or "outbox"
    pub mode: String,
    pub items: Vec<OutboxItem>,
}

/// One SCIM request, briefly (connection status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimRequestBrief {
    pub at: String,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub detail: Option<String>,
}

/// The SCIM Provisioning page: where to point the IdP, and how the connection is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimSetup {
    pub base_url: String,
    pub account_id: String,
    pub last_request: Option<ScimRequestBrief>,
    pub last_success: Option<ScimRequestBrief>,
    pub last_failure: Option<ScimRequestBrief>,
}

/// The Settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettingsView {
    pub account_name: String,
    pub account_id: String,
    pub public_url: String,
    /// "smtp" or "outbox"
    pub mail_mode: String,
    pub session_hours: u32,
    pub invite_days: u32,
}

/// The Single Sign-On page: what to paste into the IdP, what is trusted, recent attempts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoSetup {
    pub account_id: String,
    pub entity_id: String,
    pub acs_url: String,
    /// OneLogin's "ACS (Consumer) URL Validator" (a regular expression).
    pub acs_validator: String,
    pub metadata_url: String,
    pub login_url: String,
    pub idp: Option<SsoIdp>,
    pub attempts: Vec<SsoAttempt>,
}

/// The identity provider an account trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoIdp {
    pub entity_id: String,
    pub sso_url: String,
    pub enabled: bool,
    pub enforced: bool,
    pub certificates: Vec<SsoCertificate>,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoCertificate {
    pub subject: String,
    /// SHA-256, colon-separated hex.
    pub fingerprint: String,
    pub not_after: String,
    pub expired: bool,
    /// Within 30 days of expiry.
    pub expires_soon: bool,
}

/// One sign-on attempt and why it failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoAttempt {
    pub at: String,
    pub success: bool,
    pub name_id: Option<String>,
    pub reason: String,
    /// A "Test sign-on" (nobody was logged in).
    pub test: bool,
}

/// The IdP form: new metadata, or the IdP's values typed by hand (all empty keeps the current
/// IdP), and the two switches (checkboxes: present = on).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SsoInput {
    pub idp_metadata: String,
    pub entity_id: String,
    pub sso_url: String,
    /// PEM (or bare base64) certificates, one or two.
    pub certificate: String,
    pub enabled: Option<String>,
    pub enforced: Option<String>,
}
