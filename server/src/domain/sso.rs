//! Single sign-on rules, whichever door asks (the ACS, the CLI, later the UI): what an
//! account's IdP settings must be, who a verified assertion lets in, and the one-time ids that
//! stop replays. Request and assertion ids live in the database, so every replica shares them.
//!
//! Who gets in: the account's user whose e-mail or userName equals the NameID (any case),
//! provisioned or invited, not suspended; nobody is created on the fly. An invited user's first
//! SSO log-in makes them Active. With "enforce" on, IdP-managed users log in only by SSO;
//! manual administrators keep their password (the break-glass path when the IdP is broken).

use crate::domain::audit::{self, Actor};
use crate::domain::auth::SessionAuth;
use crate::domain::{accounts, user_rules, validate};
use crate::error::{AppError, AppResult};
use crate::ids;
use crate::store::{self, Db};
use crate::vocab::{AuditAction, TargetKind, UserStatus};

/// Certificates trusted at once (the current one and its successor during a rollover).
pub const CERTIFICATES_MAX: usize = 2;
/// How long an AuthnRequest we issued may be answered.
pub const REQUEST_MINUTES: i64 = 10;
/// The longest NameID looked up (no e-mail address or userName is longer).
pub const NAME_ID_MAX: usize = if validate::EMAIL_MAX > user_rules::USER_NAME_MAX {
    validate::EMAIL_MAX
} else {
    user_rules::USER_NAME_MAX
};
/// A certificate this close to expiry is flagged.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// What an account trusts of its IdP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpSettings {
    pub entity_id: String,
    pub sso_url: String,
    /// DER-encoded X.509 signing certificates.
    pub certificates: Vec<Vec<u8>>,
}

/// The values an IdP administrator pastes, for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpValues {
    pub entity_id: String,
    pub acs_url: String,
    /// OneLogin's "ACS (Consumer) URL Validator": the ACS URL as an anchored regular expression.
    pub acs_validator: String,
    pub metadata_url: String,
    pub login_url: String,
}

pub fn sp_values(public_base: &str, account_id: &str) -> SpValues {
    let entity_id = format!("{public_base}/saml/account/{account_id}");
    let acs_url = format!("{entity_id}/acs");
    let special = |c: char| ".^$*+?()[]{}|\\/".contains(c);
    let escaped: String = acs_url
        .chars()
        .flat_map(|c| special(c).then_some('\\').into_iter().chain([c]))
        .collect();
    SpValues {
        acs_validator: format!("^{escaped}$"),
        metadata_url: format!("{entity_id}/metadata"),
        login_url: format!("{entity_id}/login"),
        acs_url,
        entity_id,
    }
}

/// A certificate as an administrator checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    pub subject: String,
    /// SHA-256 of the DER, as colon-separated hex (what OneLogin shows as the fingerprint).
    pub fingerprint: String,
    pub not_after: String,
    pub expired: bool,
    /// Expires within [`EXPIRY_WARNING_DAYS`].
    pub expires_soon: bool,
}

pub fn describe(der: &[u8], now: time::OffsetDateTime) -> AppResult<CertificateInfo> {
    let bad = || AppError::invalid("certificate", "This is not an X.509 certificate.");
    let cert = openssl::x509::X509::from_der(der).map_err(|_| bad())?;
    let subject = cert
        .subject_name()
        .entries()
        .filter_map(|e| {
            let key = e.object().nid().short_name().ok()?;
            let value = e.data().to_string().ok()?;
            Some(format!("{key}={value}"))
        })
        .collect::<Vec<_>>()
        .join(", ");
    let digest =
        openssl::hash::hash(openssl::hash::MessageDigest::sha256(), der).map_err(|_| bad())?;
    let fingerprint = digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");
    let epoch = openssl::asn1::Asn1Time::from_unix(0).map_err(|_| bad())?;
    let diff = epoch.diff(cert.not_after()).map_err(|_| bad())?;
    let secs = i64::from(diff.days) * 86_400 + i64::from(diff.secs);
    let not_after = time::OffsetDateTime::from_unix_timestamp(secs).map_err(|_| bad())?;
    Ok(CertificateInfo {
        subject,
        fingerprint,
        not_after: ids::format_time(not_after),
        expired: not_after <= now,
        expires_soon: not_after <= now + time::Duration::days(EXPIRY_WARNING_DAYS),
    })
}

/// Checks IdP settings (field errors for every problem at once).
pub fn check(settings: &IdpSettings, now: time::OffsetDateTime) -> AppResult<()> {
    let mut problems = validate::Problems::default();
    if settings.entity_id.trim().is_empty() || settings.entity_id.len() > 1024 {
        problems.add(
            "entity_id",
            "The IdP's entity id must be 1 to 1,024 characters.",
        );
    }
    match url::Url::parse(&settings.sso_url) {
        Ok(u) if matches!(u.scheme(), "https" | "http") && settings.sso_url.len() <= 2048 => {}
        _ => problems.add("sso_url", "The SSO URL must be an absolute https:// URL."),
    }
    match settings.certificates.len() {
        0 => problems.add("certificates", "Add the IdP's signing certificate: without one no response can be trusted."),
        n if n > CERTIFICATES_MAX => problems.add(
            "certificates",
            format!("Trust at most {CERTIFICATES_MAX} certificates (the current one and the next, during a rollover)."),
        ),
        _ => {}
    }
    for der in &settings.certificates {
        match describe(der, now) {
            Ok(c) if c.expired => problems.add(
                "certificates",
                format!("The certificate {} expired at {}.", c.subject, c.not_after),
            ),
            Ok(_) => {}
            Err(_) => problems.add(
                "certificates",
                "A certificate is not a valid X.509 certificate.",
            ),
        }
    }
    problems.finish()
}

/// What to change: new IdP settings (or keep the current ones), and the two switches.
pub struct Change {
    pub idp: Option<IdpSettings>,
    pub enabled: Option<bool>,
    pub enforced: Option<bool>,
}

/// Sets up or changes an account's SSO, audited.
pub async fn configure(
    db: &Db,
    account_id: &str,
    actor: &Actor,
    change: Change,
) -> AppResult<store::saml::ConfigRow> {
    accounts::require(db, account_id).await?;
    let now = db.clock().now();
    if let Some(idp) = &change.idp {
        check(idp, now)?;
    }
    let current = store::saml::config(db, account_id).await?;
    let (idp_entity_id, sso_url, certificates) = match (&change.idp, &current) {
        (Some(idp), _) => (
            idp.entity_id.trim().to_string(),
            idp.sso_url.clone(),
            encode(&idp.certificates),
        ),
        (None, Some(c)) => (
            c.idp_entity_id.clone(),
            c.sso_url.clone(),
            c.certificates.clone(),
        ),
        (None, None) => {
            return Err(AppError::invalid(
                "idp_metadata",
                "Single sign-on is not set up for this account yet: give the IdP's metadata.",
            ))
        }
    };
    let row = store::saml::ConfigRow {
        account_id: account_id.to_string(),
        idp_entity_id,
        sso_url,
        certificates,
        enabled: change
            .enabled
            .or(current.as_ref().map(|c| c.enabled))
            .unwrap_or(true),
        enforced: change
            .enforced
            .or(current.as_ref().map(|c| c.enforced))
            .unwrap_or(false),
        updated_at: ids::format_time(now),
    };
    let detail = format!(
        "IdP {}; single sign-on {}; {}",
        row.idp_entity_id,
        if row.enabled { "on" } else { "off" },
        if row.enforced {
            "enforced for IdP-managed users"
        } else {
            "passwords allowed"
        }
    );
    let (saved, actor) = (row.clone(), actor.clone());
    db.write(move |tx| {
        Box::pin(async move {
            store::saml::put_config(&mut *tx, &saved).await?;
            audit::record(
                &mut *tx,
                &saved.account_id,
                &actor,
                audit::Event {
                    action: AuditAction::SsoConfigured,
                    target_kind: TargetKind::Account,
                    target_id: &saved.account_id,
                    target_label: "single sign-on",
                    detail,
                },
            )
            .await
        })
    })
    .await?;
    Ok(row)
}

fn encode(certs: &[Vec<u8>]) -> String {
    use base64::Engine;
    certs
        .iter()
        .map(|c| base64::engine::general_purpose::STANDARD.encode(c))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The DER certificates of a stored configuration.
pub fn certificates(row: &store::saml::ConfigRow) -> Vec<Vec<u8>> {
    use base64::Engine;
    row.certificates
        .lines()
        .filter_map(|l| {
            base64::engine::general_purpose::STANDARD
                .decode(l.trim())
                .ok()
        })
        .collect()
}

/// The configuration of an account, on or off (a test may run before SSO is on), or a 404.
pub async fn config(db: &Db, account_id: &str) -> AppResult<store::saml::ConfigRow> {
    store::saml::config(db, account_id).await?.ok_or_else(|| {
        AppError::NotFound(
            "Single sign-on is not set up for this account yet: give the IdP's metadata first."
                .into(),
        )
    })
}

/// The enabled configuration of an account, or a clear 404.
pub async fn enabled_config(db: &Db, account_id: &str) -> AppResult<store::saml::ConfigRow> {
    match store::saml::config(db, account_id).await? {
        Some(c) if c.enabled => Ok(c),
        _ => Err(AppError::NotFound(
            "Single sign-on is not set up for this account. Log in with your e-mail and password, or ask your administrator.".into(),
        )),
    }
}

/// Issues a one-time AuthnRequest id for `account_id` (SP-initiated log-in).
pub async fn new_request(db: &Db, account_id: &str) -> AppResult<String> {
    issue_request(db, account_id, false).await
}

/// A one-time request id, for a log-in or for a test (see `sso_check`); never both.
pub(crate) async fn issue_request(db: &Db, account_id: &str, test: bool) -> AppResult<String> {
    let id = format!("_{}", ids::random_base62(32));
    let expires = ids::format_time(db.clock().now() + time::Duration::minutes(REQUEST_MINUTES));
    let (request, account) = (id.clone(), account_id.to_string());
    db.write(move |tx| {
        Box::pin(async move {
            store::saml::insert_request(&mut *tx, &request, &account, &expires, test).await
        })
    })
    .await?;
    Ok(id)
}

/// A verified assertion, as the domain needs it.
pub struct Assertion {
    pub name_id: String,
    pub assertion_id: String,
    pub in_response_to: Option<String>,
    pub not_on_or_after: time::OffsetDateTime,
}

/// Lets the person an assertion names in, or says why not (nothing changes then). In one
/// transaction: the request id is used up, the assertion id recorded, an invited user
/// activated, the log-in stamped and audited, the attempt recorded.
pub async fn sign_in(db: &Db, account_id: &str, a: Assertion) -> AppResult<SessionAuth> {
    let name_norm = a.name_id.trim().to_lowercase();
    if name_norm.len() > NAME_ID_MAX {
        return Err(AppError::BadCredentials(
            "The NameID is longer than any e-mail address or userName.".into(),
        ));
    }
    let now_t = db.clock().now();
    let now = ids::format_time(now_t);
    let until = ids::format_time(a.not_on_or_after + time::Duration::seconds(300));
    let account = account_id.to_string();
    let (user_id, epoch) = db
        .write(move |tx| {
            Box::pin(async move {
                if let Some(request) = &a.in_response_to {
                    if !store::saml::take_request(&mut *tx, request, &account, &now, false).await? {
                        return Err(AppError::BadCredentials(
                            "This response answers a log-in request Rollcall did not make, one already answered, or one older than 10 minutes. Start the log-in again.".into(),
                        ));
                    }
                }
                if !store::saml::use_assertion(&mut *tx, &account, &a.assertion_id, &until).await? {
                    return Err(AppError::BadCredentials(
                        "This assertion was already used to log in (a replay). Start the log-in again from the IdP.".into(),
                    ));
                }
                let user = store::users::by_login_name(&mut *tx, &account, &name_norm)
                    .await?
                    .ok_or_else(|| {
                        AppError::BadCredentials(format!(
                            "No user of this account has the e-mail or userName {}. Provision them through SCIM (assign the app in the IdP) or invite them first.",
                            a.name_id.trim()
                        ))
                    })?;
                match user.status {
                    UserStatus::Suspended => {
                        return Err(AppError::Forbidden(format!(
                            "{} is suspended in this account and cannot log in.",
                            a.name_id.trim()
                        )))
                    }
                    UserStatus::Invited => {
                        store::users::activate(&mut *tx, &account, &user.id, &now).await?;
                        store::invites::void_invites(&mut *tx, &user.id, &now).await?;
                    }
                    UserStatus::Active => {}
                }
                store::users::record_login(&mut *tx, &account, &user.id, &now).await?;
                let label = user.email.clone().unwrap_or(user.user_name.clone());
                audit::record(
                    &mut *tx,
                    &account,
                    &Actor::user(&user.id, &label),
                    audit::Event {
                        action: AuditAction::SessionLogin,
                        target_kind: TargetKind::User,
                        target_id: &user.id,
                        target_label: &label,
                        detail: if user.status == UserStatus::Invited {
                            "logged in with single sign-on (method: saml); first log-in, now active".into()
                        } else {
                            "logged in with single sign-on (method: saml)".into()
                        },
                    },
                )
                .await?;
                store::saml::record_attempt(&mut *tx, &account, &now, true, Some(&label), "logged in", false).await?;
                store::saml::prune(&mut *tx, &now).await?;
                let session = store::users::session_user(&mut *tx, &account, &user.id)
                    .await?
                    .ok_or_else(|| AppError::Internal("the user vanished during log-in".into()))?;
                Ok((user.id, session.auth_epoch))
            })
        })
        .await?;
    Ok(SessionAuth::new(
        account_id.to_string(),
        user_id,
        epoch,
        db.clock(),
    ))
}

/// Records a refused attempt (its reason is what the person and the administrator see).
pub async fn record_failure(
    db: &Db,
    account_id: &str,
    name_id: Option<&str>,
    reason: &str,
) -> AppResult<()> {
    let now = db.clock().now_text();
    let (account, name, reason) = (
        account_id.to_string(),
        name_id.map(|n| n.chars().take(256).collect::<String>()),
        reason.chars().take(1000).collect::<String>(),
    );
    db.write(move |tx| {
        Box::pin(async move {
            store::saml::record_attempt(
                &mut *tx,
                &account,
                &now,
                false,
                name.as_deref(),
                &reason,
                false,
            )
            .await
        })
    })
    .await
}

/// When `account_id` enforces SSO and `user_id` is IdP-managed: the IdP's name for their mail
/// ("OneLogin", "Okta", "Microsoft Entra" or "your identity provider").
pub async fn enforced_idp_for(
    tx: &mut crate::store::Conn,
    account_id: &str,
    user_id: &str,
) -> AppResult<Option<String>> {
    let Some(config) = store::saml::config(&mut *tx, account_id).await? else {
        return Ok(None);
    };
    if !(config.enabled && config.enforced) {
        return Ok(None);
    }
    let managed = store::users::get_record(&mut *tx, account_id, user_id)
        .await?
        .is_some_and(|u| u.source == crate::vocab::Source::Idp);
    Ok(managed.then(|| idp_name(&config.idp_entity_id, &config.sso_url).to_string()))
}

/// What people call their IdP, from its URLs.
pub fn idp_name(entity_id: &str, sso_url: &str) -> &'static str {
    let both = format!("{entity_id} {sso_url}").to_lowercase();
    if both.contains("onelogin.com") {
        "OneLogin"
    } else if both.contains("okta.com") || both.contains("oktapreview.com") {
        "Okta"
    } else if both.contains("microsoftonline.com") || both.contains("windows.net") {
        "Microsoft Entra"
    } else {
        "your identity provider"
    }
}

/// Whether `account_id` requires SSO of IdP-managed users.
pub async fn enforced(db: &Db, account_id: &str) -> AppResult<bool> {
    store::saml::enforced(db, account_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_values_to_paste_follow_the_account() {
        let sp = sp_values("https://r.example", "A1");
        assert_eq!(sp.entity_id, "https://r.example/saml/account/A1");
        assert_eq!(sp.acs_url, "https://r.example/saml/account/A1/acs");
        assert_eq!(
            sp.acs_validator,
            r"^https:\/\/r\.example\/saml\/account\/A1\/acs$"
        );
        assert_eq!(
            sp.metadata_url,
            "https://r.example/saml/account/A1/metadata"
        );
        assert_eq!(sp.login_url, "https://r.example/saml/account/A1/login");
    }

    #[test]
    fn idps_are_named_from_their_urls() {
        assert_eq!(
            idp_name("https://app.onelogin.com/saml/metadata/1", ""),
            "OneLogin"
        );
        assert_eq!(
            idp_name(
                "http://www.okta.com/exk1",
                "https://acme.okta.com/app/x/sso/saml"
            ),
            "Okta"
        );
        assert_eq!(
            idp_name(
                "https://sts.windows.net/t/",
                "https://login.microsoftonline.com/t/saml2"
            ),
            "Microsoft Entra"
        );
        assert_eq!(
            idp_name("http://idp.test/metadata", "http://idp.test/sso"),
            "your identity provider"
        );
    }

    #[test]
    fn settings_need_one_or_two_certificates_and_a_url() {
        let now = time::OffsetDateTime::now_utc();
        let settings = |certs: usize, url: &str| IdpSettings {
            entity_id: "https://idp".into(),
            sso_url: url.into(),
            certificates: vec![b"not a certificate".to_vec(); certs],
        };
        let fields = |s: IdpSettings| match check(&s, now) {
            Err(AppError::Invalid(f)) => f
                .into_iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect::<Vec<_>>(),
            other => panic!("expected field errors, got {other:?}"),
        };
        let none = fields(settings(0, "https://idp/sso"));
        assert!(
            none[0].starts_with("certificates: Add the IdP's signing certificate"),
            "{none:?}"
        );
        let three = fields(settings(3, "https://idp/sso"));
        assert!(three.iter().any(|m| m.contains("at most 2")), "{three:?}");
        let bad = fields(settings(1, "idp/sso"));
        assert!(bad.iter().any(|m| m.starts_with("sso_url:")), "{bad:?}");
        assert!(
            bad.iter().any(|m| m.contains("not a valid X.509")),
            "{bad:?}"
        );
    }
}
