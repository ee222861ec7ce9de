//! Reads a `SAMLResponse` and keeps only what the IdP's signature covers, or says why not, in
//! words an administrator can act on. libxmlsec1 (through samael's `xmlsec` feature) checks the
//! signature; samael's default reduce mode keeps only the signed subtree and refuses more than
//! one assertion (signature wrapping). Before that, this module refuses what no honest IdP sends
//! (DTDs, entities, comments, oversize), and SHA-1; after it, it insists on what samael treats as
//! optional (an Audience naming us, a NameID). Fail closed: without a certificate nothing passes.

use crate::domain::sso_check::{Check, Progress, Refusal};
use samael::crypto::AllowedSignatureAlgorithm;
use samael::metadata::EntityDescriptor;
use samael::service_provider::{Error as SamlError, ServiceProvider};

/// The largest decoded response we read (OneLogin's are 5–15 KB).
pub const RESPONSE_MAX: usize = 48 * 1024;

/// What the signed assertion says, once every check passed.
#[derive(Debug, Clone)]
pub struct Verified {
    pub name_id: String,
    pub assertion_id: String,
    /// The request id it answers (SP-initiated), or None (IdP-initiated).
    pub in_response_to: Option<String>,
    /// When the assertion stops being valid (RFC 3339), for the replay table.
    pub not_on_or_after: time::OffsetDateTime,
}

/// What the service provider (this account) expects.
pub struct Expect<'a> {
    pub entity_id: &'a str,
    pub acs_url: &'a str,
    pub idp_entity_id: &'a str,
    /// DER certificates (one or two).
    pub certificates: &'a [Vec<u8>],
}

const SHA1_HINT: &str = "The response is signed with SHA-1, which is no longer safe. In OneLogin open the app's SSO tab and set “SAML Signature Algorithm” to SHA-256 (Okta and Entra: choose SHA-256 as the signing algorithm).";

/// Skew allowed between our clock and the IdP's.
pub const CLOCK_SKEW_SECS: i64 = 120;

pub fn verify(encoded: &str, expect: &Expect<'_>) -> Result<Verified, Refusal> {
    use base64::Engine;
    let mut p = Progress::default();
    if expect.certificates.is_empty() {
        return Err(p.refuse(Check::Signature, "Single sign-on has no IdP certificate configured, so no response can be trusted. Upload the IdP metadata again."));
    }
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    if compact.len() > RESPONSE_MAX * 4 / 3 + 4 {
        return Err(p.refuse(
            Check::Document,
            format!(
                "The response is larger than {} KB; no IdP sends one that big.",
                RESPONSE_MAX / 1024
            ),
        ));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| {
            p.refuse(
                Check::Document,
                "The SAMLResponse field is not base64: the IdP (or something between) damaged it.",
            )
        })?;
    let xml = String::from_utf8(bytes)
        .map_err(|_| p.refuse(Check::Document, "The response is not UTF-8 XML."))?;
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(p.refuse(Check::Document, "The response contains a DTD or entity declarations; SAML responses never do, so it is refused."));
    }
    if xml.contains("<!--") {
        return Err(p.refuse(
            Check::Document,
            "The response contains XML comments, which can hide a changed NameID; it is refused.",
        ));
    }
    // Exactly one assertion, and no ID twice: a signed assertion beside (or under the same ID
    // as) an unsigned one is signature wrapping, whichever of them a reader would pick.
    let assertions = elements(&xml, "Assertion");
    if assertions != 1 {
        return Err(p.refuse(Check::Document, format!(
            "The response holds {assertions} assertions; exactly one is accepted (more is how signature-wrapping attacks hide an unsigned one)."
        )));
    }
    if let Some(id) = duplicate_id(&xml) {
        return Err(p.refuse(Check::Document, format!(
            "The ID {id} appears twice in the response (a signature-wrapping attack); it is refused."
        )));
    }
    p.pass(Check::Document);
    if uses_sha1(&xml) {
        return Err(p.refuse(Check::Algorithm, SHA1_HINT));
    }
    p.pass(Check::Algorithm);
    // samael checks Destination only when the Response itself is signed; it must name our ACS
    // either way (the signed Recipient below is what cannot be forged).
    if let Some(destination) = root_attribute(&xml, "Destination") {
        if destination != expect.acs_url {
            return Err(p.refuse(Check::Destination, format!(
                "The destination is {destination}, expected {}. In OneLogin set “ACS (Consumer) URL” to {}.",
                expect.acs_url, expect.acs_url
            )));
        }
    }
    let sp = service_provider(expect).map_err(|reason| p.refuse(Check::Signature, reason))?;
    let assertion = sp.parse_xml_response(&xml, None).map_err(|e| {
        let (check, reason) = explain(&e, expect, &xml);
        // samael verifies the signature before anything else it checks.
        if check != Check::Signature && check != Check::Document {
            p.pass(Check::Signature);
        }
        p.refuse(check, reason)
    })?;
    for check in [
        Check::Signature,
        Check::Issuer,
        Check::Destination,
        Check::TimeWindow,
    ] {
        p.pass(check);
    }
    let audiences: Vec<&String> = assertion
        .conditions
        .iter()
        .flat_map(|c| c.audience_restrictions.iter().flatten())
        .flat_map(|r| r.audience.iter())
        .collect();
    if !audiences.iter().any(|a| a.as_str() == expect.entity_id) {
        let got = audiences.first().map(|a| a.as_str()).unwrap_or("missing");
        return Err(p.refuse(Check::Audience, format!(
            "The audience is {got}, expected {}. In OneLogin set “Audience (EntityID)” to exactly {}.",
            expect.entity_id, expect.entity_id
        )));
    }
    p.pass(Check::Audience);
    let subject = assertion.subject.as_ref();
    let name_id = subject
        .and_then(|s| s.name_id.as_ref())
        .map(|n| n.value.trim().to_string())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| p.refuse(Check::NameId, "The assertion names nobody (no NameID). In OneLogin set “SAML nameID format” to Email."))?;
    p.pass(Check::NameId);
    let confirmation = subject
        .and_then(|s| s.subject_confirmations.as_ref())
        .and_then(|c| c.iter().find_map(|c| c.subject_confirmation_data.as_ref()));
    let in_response_to = confirmation.and_then(|d| d.in_response_to.clone());
    let until = confirmation
        .and_then(|d| d.not_on_or_after)
        .or_else(|| {
            assertion
                .conditions
                .as_ref()
                .and_then(|c| c.not_on_or_after)
        })
        .map(|t| t.timestamp())
        .ok_or_else(|| p.refuse(Check::TimeWindow, "The assertion has no NotOnOrAfter."))?;
    let not_on_or_after = time::OffsetDateTime::from_unix_timestamp(until).map_err(|_| {
        p.refuse(
            Check::TimeWindow,
            "The assertion's NotOnOrAfter is out of range.",
        )
    })?;
    Ok(Verified {
        name_id,
        assertion_id: assertion.id,
        in_response_to,
        not_on_or_after,
    })
}

/// The request id a response claims to answer, read before any check: it only decides whether
/// the ACS shows the Test sign-on report (a test id is random and single-use), never who gets in.
pub fn claimed_request(encoded: &str) -> Option<String> {
    use base64::Engine;
    let compact: String = encoded
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .take(RESPONSE_MAX * 4 / 3 + 4)
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .ok()?;
    let xml = String::from_utf8_lossy(&bytes);
    let key = "InResponseTo=\"";
    let at = xml.find(key)? + key.len();
    let id: String = xml[at..]
        .chars()
        .take_while(|c| *c != '"')
        .take(101)
        .collect();
    (!id.is_empty() && id.len() <= 100).then_some(id)
}

/// How many elements named `local` (any namespace prefix) the document has.
fn elements(xml: &str, local: &str) -> usize {
    xml.split('<')
        .skip(1)
        .filter(|tag| {
            let name = tag
                .split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .next()
                .unwrap_or("");
            name.rsplit(':').next() == Some(local) && !name.starts_with(['/', '?', '!'])
        })
        .count()
}

/// The text of the first element named `local` (any prefix), for messages only: the signature
/// decides what is trusted.
fn first_text(xml: &str, local: &str) -> Option<String> {
    let start = xml.split('<').skip(1).find(|tag| {
        let name = tag
            .split(|c: char| c.is_whitespace() || c == '>')
            .next()
            .unwrap_or("");
        name.rsplit(':').next() == Some(local)
    })?;
    let text = start.split_once('>')?.1.trim();
    Some(text.chars().take(200).collect())
}

/// An attribute of the document's root element (after the XML declaration).
fn root_attribute(xml: &str, name: &str) -> Option<String> {
    let start = xml
        .match_indices('<')
        .map(|(i, _)| i)
        .find(|&i| !xml[i + 1..].starts_with(['?', '!']))?;
    let tag = &xml[start..start + xml[start..].find('>')?];
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    Some(tag[at..].split('"').next()?.to_string())
}

/// The first `ID` attribute value that occurs twice.
fn duplicate_id(xml: &str) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    for (at, m) in xml.match_indices(" ID=\"") {
        let rest = &xml[at + m.len()..];
        let id = &rest[..rest.find('"').unwrap_or(rest.len())];
        if !seen.insert(id) {
            return Some(id.chars().take(80).collect());
        }
    }
    None
}

/// Any `SignatureMethod` or `DigestMethod` that is SHA-1 (RSA, DSA, ECDSA, HMAC).
fn uses_sha1(xml: &str) -> bool {
    xml.match_indices("Algorithm=\"").any(|(at, m)| {
        let rest = &xml[at + m.len()..];
        let uri = &rest[..rest.find('"').unwrap_or(rest.len())];
        uri.ends_with("#sha1") || uri.ends_with("-sha1")
    })
}

fn service_provider(expect: &Expect<'_>) -> Result<ServiceProvider, String> {
    use base64::Engine;
    let keys: String = expect
        .certificates
        .iter()
        .map(|der| {
            format!(
                r#"<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#,
                base64::engine::general_purpose::STANDARD.encode(der)
            )
        })
        .collect();
    let metadata = format!(
        r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{}"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{keys}</md:IDPSSODescriptor></md:EntityDescriptor>"#,
        super::metadata::escape(expect.idp_entity_id)
    );
    let idp: EntityDescriptor = metadata.parse().map_err(|e| {
        format!("The stored IdP settings cannot be read ({e}); configure SSO again.")
    })?;
    Ok(ServiceProvider {
        entity_id: Some(expect.entity_id.to_string()),
        acs_url: Some(expect.acs_url.to_string()),
        idp_metadata: idp,
        // InResponseTo is checked by the domain against the ids we issued (shared by every
        // replica through the database); responses without one are IdP-initiated.
        allow_idp_initiated: true,
        max_clock_skew: chrono::Duration::seconds(CLOCK_SKEW_SECS),
        max_issue_delay: chrono::Duration::seconds(300),
        allowed_signature_algorithms: Some(vec![
            AllowedSignatureAlgorithm::RsaSha256,
            AllowedSignatureAlgorithm::RsaSha384,
            AllowedSignatureAlgorithm::RsaSha512,
            AllowedSignatureAlgorithm::EcdsaSha256,
            AllowedSignatureAlgorithm::EcdsaSha384,
            AllowedSignatureAlgorithm::EcdsaSha512,
        ]),
        ..Default::default()
    })
}

/// samael's errors in the administrator's words, with the check each one is.
fn explain(e: &SamlError, expect: &Expect<'_>, xml: &str) -> (Check, String) {
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "missing".into());
    match e {
        SamlError::FailedToValidateSignature => (Check::Signature, "The signature does not verify against the IdP certificate configured for this account (or nothing in the response is signed, or it holds more than one assertion). Check that the IdP signs the Assertion or the Response with the certificate you configured; after a certificate change, upload the new metadata.".into()),
        SamlError::AssertionIssuerMismatch { issuer, .. } | SamlError::ResponseIssuerMismatch { issuer, .. } => (Check::Issuer, format!(
            "The issuer is {}, expected {}. The response comes from another IdP (or app) than the one configured.",
            opt(issuer), expect.idp_entity_id
        )),
        SamlError::AssertionRecipientMismatch { assertion_recipient, .. } => (Check::Destination, format!(
            "The recipient is {}, expected {}. In OneLogin set “Recipient” and “ACS (Consumer) URL” to {}.",
            opt(assertion_recipient), expect.acs_url, expect.acs_url
        )),
        SamlError::DestinationValidationError { response_destination, .. } => (Check::Destination, format!(
            "The destination is {}, expected {}. In OneLogin set “ACS (Consumer) URL” to {}.",
            opt(response_destination), expect.acs_url, expect.acs_url
        )),
        SamlError::AssertionConditionAudienceRestrictionFailed { .. } => (Check::Audience, format!(
            "The audience is {}, expected {}. In OneLogin set “Audience (EntityID)” to exactly {}.",
            first_text(xml, "Audience").unwrap_or_else(|| "missing".into()),
            expect.entity_id,
            expect.entity_id
        )),
        SamlError::AssertionExpired { time } | SamlError::ResponseExpired { time } => (Check::TimeWindow, format!(
            "The response was issued too long ago (valid until {time}). Sign in again; if it keeps happening, check the clocks of the IdP and of this server."
        )),
        SamlError::AssertionConditionExpired { time } | SamlError::AssertionSubjectConfirmationExpired { time } => (Check::TimeWindow, format!(
            "The assertion has expired (at {time}). Sign in again; if it keeps happening, check this server's clock."
        )),
        SamlError::AssertionConditionExpiredBefore { time } | SamlError::AssertionSubjectConfirmationExpiredBefore { time } => (Check::TimeWindow, format!(
            "The assertion is not valid yet (from {time}): the IdP's clock or this server's is wrong."
        )),
        SamlError::ResponseBadStatusCode { code } => (Check::Document, format!("The IdP did not sign the person in (status {code}).")),
        SamlError::AssertionBearerSubjectConfirmationMissing | SamlError::AssertionSubjectConfirmationMissing => (
            Check::Destination,
            "The assertion has no bearer SubjectConfirmation with a Recipient and NotOnOrAfter.".into(),
        ),
        SamlError::EncryptedAssertionsNotYetSupported | SamlError::MissingPrivateKeySP => (
            Check::Document,
            "The assertion is encrypted; Rollcall needs it signed, not encrypted. Turn assertion encryption off in the IdP.".into(),
        ),
        other => (Check::Document, format!("The response could not be read as a SAML Response ({other}).")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assertions_are_counted_whatever_their_prefix() {
        let xml = r#"<p:Response><saml2:Assertion ID="a"/><Assertion xmlns="x">t</Assertion><saml:EncryptedAssertion/></p:Response>"#;
        assert_eq!(elements(xml, "Assertion"), 2);
        assert_eq!(
            elements("<r><a:Assertion\nID=\"x\"></a:Assertion></r>", "Assertion"),
            1
        );
    }

    #[test]
    fn the_root_destination_is_read() {
        let xml = "<?xml version=\"1.0\"?><p:Response ID=\"r\" Destination=\"https://x/acs\"><a Destination=\"y\"/></p:Response>";
        assert_eq!(
            root_attribute(xml, "Destination").as_deref(),
            Some("https://x/acs")
        );
        assert_eq!(root_attribute("<p:Response ID=\"r\">", "Destination"), None);
    }

    #[test]
    fn the_first_audience_is_read_for_the_message() {
        let xml = "<a:Conditions><a:AudienceRestriction><a:Audience>https://x</a:Audience></a:AudienceRestriction></a:Conditions>";
        assert_eq!(first_text(xml, "Audience").as_deref(), Some("https://x"));
        assert_eq!(first_text(xml, "Issuer"), None);
    }

    #[test]
    fn a_repeated_id_is_found() {
        assert_eq!(
            duplicate_id(r#"<a ID="1"><b ID="2"/><c ID="1"/></a>"#).as_deref(),
            Some("1")
        );
        assert_eq!(duplicate_id(r#"<a ID="1"><b ID="2"/></a>"#), None);
    }

    #[test]
    fn sha1_is_spotted_in_signature_and_digest_methods() {
        assert!(uses_sha1(
            r#"<SignatureMethod Algorithm="http://www.w3.org/2000/09/xmldsig#rsa-sha1"/>"#
        ));
        assert!(uses_sha1(
            r#"<DigestMethod Algorithm="http://www.w3.org/2000/09/xmldsig#sha1"/>"#
        ));
        assert!(!uses_sha1(
            r#"<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>"#
        ));
    }

    #[test]
    fn without_a_certificate_nothing_is_accepted() {
        let expect = Expect {
            entity_id: "https://r/saml/account/x",
            acs_url: "https://r/saml/account/x/acs",
            idp_entity_id: "https://idp",
            certificates: &[],
        };
        let err = verify("PHg+PC94Pg==", &expect).unwrap_err();
        assert!(err.reason.contains("no IdP certificate"), "{err:?}");
        assert_eq!(err.check, Check::Signature);
        assert!(err.passed.is_empty());
    }
}
