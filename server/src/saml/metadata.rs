//! The SAML documents Rollcall writes (its SP metadata, the AuthnRequest of the HTTP-Redirect
//! binding) and the one it reads from an administrator (the IdP's metadata).

use crate::domain::sso::IdpSettings;
use crate::error::{AppError, AppResult};
use samael::metadata::{EntityDescriptor, HTTP_POST_BINDING, HTTP_REDIRECT_BINDING};
use samael::service_provider::ServiceProvider;
use std::io::Write;

pub const NAME_ID_EMAIL: &str = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
/// The largest IdP metadata we read (OneLogin's is ~3 KB; federations' aggregates are refused).
pub const IDP_METADATA_MAX: usize = 256 * 1024;

/// Escapes text for an XML attribute or element.
pub fn escape(s: &str) -> String {
    crate::error::escape_html(s).replace('\'', "&apos;")
}

/// This account's SP metadata: what an IdP administrator can import instead of typing.
pub fn sp_metadata(entity_id: &str, acs_url: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{e}">
  <md:SPSSODescriptor AuthnRequestsSigned="false" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:NameIDFormat>{NAME_ID_EMAIL}</md:NameIDFormat>
    <md:AssertionConsumerService Binding="{HTTP_POST_BINDING}" Location="{a}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"#,
        e = escape(entity_id),
        a = escape(acs_url),
    )
}

/// The IdP-bound URL of an AuthnRequest (HTTP-Redirect binding: deflated, base64, in the query).
pub fn authn_request_url(
    sso_url: &str,
    request_id: &str,
    entity_id: &str,
    acs_url: &str,
    relay_state: &str,
    now: &str,
) -> AppResult<String> {
    use base64::Engine;
    let xml = format!(
        r#"<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{id}" Version="2.0" IssueInstant="{now}" Destination="{d}" AssertionConsumerServiceURL="{a}" ProtocolBinding="{HTTP_POST_BINDING}"><saml:Issuer>{e}</saml:Issuer><samlp:NameIDPolicy Format="{NAME_ID_EMAIL}" AllowCreate="false"/></samlp:AuthnRequest>"#,
        id = escape(request_id),
        d = escape(sso_url),
        a = escape(acs_url),
        e = escape(entity_id),
    );
    let mut deflate =
        flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflate
        .write_all(xml.as_bytes())
        .and_then(|()| deflate.flush())
        .map_err(|e| AppError::Internal(format!("deflate: {e}")))?;
    let deflated = deflate
        .finish()
        .map_err(|e| AppError::Internal(format!("deflate: {e}")))?;
    let request = base64::engine::general_purpose::STANDARD.encode(deflated);
    let mut url = url::Url::parse(sso_url)
        .map_err(|_| AppError::Internal("the stored SSO URL is not a URL".into()))?;
    url.query_pairs_mut().append_pair("SAMLRequest", &request);
    if !relay_state.is_empty() {
        url.query_pairs_mut().append_pair("RelayState", relay_state);
    }
    Ok(url.into())
}

/// The IdP settings in an IdP metadata document: entity id, HTTP-Redirect SSO URL, signing
/// certificates. Wrong or missing pieces are field errors on `idp_metadata`.
pub fn parse_idp_metadata(xml: &str) -> AppResult<IdpSettings> {
    let bad = |m: &str| AppError::invalid("idp_metadata", m);
    if xml.len() > IDP_METADATA_MAX {
        return Err(bad(
            "This file is too large to be one IdP's metadata (at most 256 KB).",
        ));
    }
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err(bad(
            "The metadata contains a DTD; IdP metadata never needs one.",
        ));
    }
    let descriptor: EntityDescriptor = xml.trim_start_matches('\u{feff}').parse().map_err(|_| {
        bad("This is not SAML metadata (an EntityDescriptor). In OneLogin: the app's SSO tab → More Actions → SAML Metadata.")
    })?;
    let entity_id = descriptor
        .entity_id
        .clone()
        .filter(|e| !e.trim().is_empty())
        .ok_or_else(|| bad("The metadata has no entityID."))?;
    let sp = ServiceProvider {
        idp_metadata: descriptor,
        ..Default::default()
    };
    let sso_url = sp
        .sso_binding_location(HTTP_REDIRECT_BINDING)
        .ok_or_else(|| {
            bad("The metadata has no SingleSignOnService with the HTTP-Redirect binding.")
        })?;
    let certificates: Vec<Vec<u8>> = sp
        .idp_signing_certs()
        .map_err(|_| bad("A signing certificate in the metadata cannot be read."))?
        .unwrap_or_default()
        .iter()
        .map(|c| c.der_data().to_vec())
        .collect();
    Ok(IdpSettings {
        entity_id,
        sso_url,
        certificates,
    })
}

/// The IdP form of the Single Sign-On page: pasted (or uploaded) metadata, or the three values
/// typed by hand; `None` when all are empty (keep the current IdP, change only the switches).
pub fn idp_from_form(
    metadata: &str,
    entity_id: &str,
    sso_url: &str,
    certificate: &str,
) -> AppResult<Option<IdpSettings>> {
    let metadata = metadata.trim();
    let by_hand = [entity_id, sso_url, certificate]
        .iter()
        .any(|v| !v.trim().is_empty());
    match (metadata.is_empty(), by_hand) {
        (true, false) => Ok(None),
        (false, false) => parse_idp_metadata(metadata).map(Some),
        (false, true) => Err(AppError::invalid(
            "idp_metadata",
            "Give either the IdP's metadata or its values by hand, not both.",
        )),
        (true, true) => {
            let certificates = parse_certificates(certificate)?;
            let mut problems = crate::domain::validate::Problems::default();
            if entity_id.trim().is_empty() {
                problems.add(
                    "entity_id",
                    "Enter the IdP's entity id (OneLogin: “Issuer URL”).",
                );
            }
            if sso_url.trim().is_empty() {
                problems.add(
                    "sso_url",
                    "Enter the IdP's SSO URL (OneLogin: “SAML 2.0 Endpoint (HTTP)”).",
                );
            }
            problems.finish()?;
            Ok(Some(IdpSettings {
                entity_id: entity_id.trim().to_string(),
                sso_url: sso_url.trim().to_string(),
                certificates,
            }))
        }
    }
}

/// Certificates pasted as PEM (one or two `BEGIN CERTIFICATE` blocks) or as one bare base64
/// DER value (what OneLogin's "X.509 Certificate" box shows without its header).
pub fn parse_certificates(text: &str) -> AppResult<Vec<Vec<u8>>> {
    use base64::Engine;
    let bad = |m: &str| AppError::invalid("certificates", m);
    let text = text.trim();
    if text.is_empty() {
        return Err(bad("Paste the IdP's X.509 signing certificate (PEM)."));
    }
    if text.len() > IDP_METADATA_MAX {
        return Err(bad("This is too long to be one or two certificates."));
    }
    let blocks: Vec<String> = if text.contains("-----BEGIN CERTIFICATE-----") {
        text.split("-----BEGIN CERTIFICATE-----")
            .skip(1)
            .map(|b| {
                b.split("-----END CERTIFICATE-----")
                    .next()
                    .unwrap_or("")
                    .to_string()
            })
            .collect()
    } else {
        vec![text.to_string()]
    };
    blocks
        .iter()
        .map(|b| {
            let compact: String = b.chars().filter(|c| !c.is_ascii_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(compact)
                .map_err(|_| bad("This is not a PEM certificate: paste it with its “-----BEGIN CERTIFICATE-----” line."))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificates_are_read_from_pem_or_bare_base64() {
        let pem = "-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\nBAU=\n-----END CERTIFICATE-----";
        assert_eq!(
            parse_certificates(pem).unwrap(),
            vec![vec![0, 1, 2, 3], vec![4, 5]]
        );
        assert_eq!(
            parse_certificates(" AAECAw== ").unwrap(),
            vec![vec![0, 1, 2, 3]]
        );
        assert!(parse_certificates("not base64!").is_err());
        assert!(parse_certificates("").is_err());
    }

    #[test]
    fn the_form_takes_metadata_or_values_by_hand() {
        assert_eq!(idp_from_form(" ", "", "", "").unwrap(), None);
        let both = idp_from_form("<x/>", "https://idp", "", "").unwrap_err();
        assert!(both.to_string().contains("not both"), "{both}");
        let missing = idp_from_form("", "", "", "AAEC").unwrap_err().to_string();
        assert!(
            missing.contains("entity_id") && missing.contains("sso_url"),
            "{missing}"
        );
        let by_hand = idp_from_form("", " https://idp ", "https://idp/sso", "AAEC")
            .unwrap()
            .unwrap();
        assert_eq!(by_hand.entity_id, "https://idp");
        assert_eq!(by_hand.certificates, vec![vec![0, 1, 2]]);
    }
}
