//! The checks a SAML response goes through, named once, and "Test sign-on": an administrator
//! runs a real round trip through their IdP and sees every check passed, failed or not reached
//! — before they switch single sign-on on or enforce it. A test never logs anyone in: its
//! request id is marked as a test in the database, a real log-in refuses it, and the test
//! report is the only thing its answer can produce.

use crate::domain::sso::{Assertion, REQUEST_MINUTES};
use crate::error::AppResult;
use crate::ids;
use crate::store::{self, Db};
use crate::vocab::UserStatus;

/// One check, in the order a response meets them (and the report lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Base64 XML, small, no DTD or comments, exactly one assertion, no repeated ID.
    Document,
    /// SHA-256 or stronger (never SHA-1).
    Algorithm,
    /// Signed by a certificate this account trusts.
    Signature,
    Issuer,
    /// Destination and the SubjectConfirmation Recipient are this account's ACS.
    Destination,
    /// NotBefore / NotOnOrAfter, with the allowed clock skew.
    TimeWindow,
    Audience,
    NameId,
    /// SP-initiated: answers a request we issued (for a test: this test's request).
    Request,
    /// The person is a user of this account and may log in.
    User,
}

impl Check {
    pub const ALL: [Check; 10] = [
        Check::Document,
        Check::Algorithm,
        Check::Signature,
        Check::Issuer,
        Check::Destination,
        Check::TimeWindow,
        Check::Audience,
        Check::NameId,
        Check::Request,
        Check::User,
    ];

    /// A stable key (tests and styles use it).
    pub fn key(self) -> &'static str {
        match self {
            Check::Document => "document",
            Check::Algorithm => "algorithm",
            Check::Signature => "signature",
            Check::Issuer => "issuer",
            Check::Destination => "destination",
            Check::TimeWindow => "time_window",
            Check::Audience => "audience",
            Check::NameId => "name_id",
            Check::Request => "request",
            Check::User => "user",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Check::Document => "A well-formed SAML response (one assertion, no DTD or comments)",
            Check::Algorithm => "Signed with SHA-256 or stronger",
            Check::Signature => "Signature made with the IdP certificate trusted here",
            Check::Issuer => "Issuer is the IdP configured here",
            Check::Destination => "Destination and Recipient are this account's ACS URL",
            Check::TimeWindow => "Within its validity period (2 minutes of clock skew allowed)",
            Check::Audience => "Audience is this account's entity id",
            Check::NameId => "Names a person (NameID)",
            Check::Request => "Answers this test's log-in request",
            Check::User => "The person is an active user of this account",
        }
    }
}

/// Why a response was refused, and what had passed before (the rest was never reached).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub check: Check,
    pub reason: String,
    pub passed: Vec<Check>,
}

/// Notes the checks passed while reading a response, and makes the refusal when one fails.
#[derive(Debug, Default)]
pub struct Progress {
    passed: Vec<Check>,
}

impl Progress {
    pub fn pass(&mut self, check: Check) {
        if !self.passed.contains(&check) {
            self.passed.push(check);
        }
    }

    pub fn refuse(&self, check: Check, reason: impl Into<String>) -> Refusal {
        Refusal {
            check,
            reason: reason.into(),
            passed: self
                .passed
                .iter()
                .copied()
                .filter(|c| *c != check)
                .collect(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed(String),
    Failed(String),
    /// An earlier check failed, so this one could not be trusted to run.
    NotChecked,
}

/// The test report: every check with its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestReport {
    pub checks: Vec<(Check, Outcome)>,
    pub name_id: Option<String>,
}

impl TestReport {
    pub fn passed(&self) -> bool {
        self.checks
            .iter()
            .all(|(_, o)| matches!(o, Outcome::Passed(_)))
    }

    /// The first failure's reason, or "every check passed".
    pub fn summary(&self) -> String {
        self.checks
            .iter()
            .find_map(|(_, o)| match o {
                Outcome::Failed(reason) => Some(reason.clone()),
                _ => None,
            })
            .unwrap_or_else(|| "Every check passed.".into())
    }
}

/// Issues a test request id for `account_id` (its IdP must be configured; SSO may be off).
pub async fn new_test_request(db: &Db, account_id: &str) -> AppResult<String> {
    crate::domain::sso::config(db, account_id).await?;
    crate::domain::sso::issue_request(db, account_id, true).await
}

/// Whether `request_id` is a live test request of `account_id`.
pub async fn is_test(db: &Db, account_id: &str, request_id: &str) -> AppResult<bool> {
    if request_id.len() > 100 {
        return Ok(false);
    }
    store::saml::is_test_request(db, request_id, account_id, &db.clock().now_text()).await
}

/// Answers a test: uses up its request, finds the person (logs nobody in), records the attempt.
pub async fn report(
    db: &Db,
    account_id: &str,
    request_id: &str,
    verified: Result<Assertion, Refusal>,
) -> AppResult<TestReport> {
    let now_t = db.clock().now();
    let now = ids::format_time(now_t);
    let (account, request) = (account_id.to_string(), request_id.to_string());
    db.write(move |tx| {
        Box::pin(async move {
            let fresh = store::saml::take_request(&mut *tx, &request, &account, &now, true).await?;
            let mut checks = Vec::with_capacity(Check::ALL.len());
            let name_id = verified.as_ref().ok().map(|a| a.name_id.trim().to_string());
            match &verified {
                Err(refusal) => {
                    for check in Check::ALL {
                        let outcome = if check == refusal.check {
                            Outcome::Failed(refusal.reason.clone())
                        } else if refusal.passed.contains(&check) {
                            Outcome::Passed(String::new())
                        } else {
                            Outcome::NotChecked
                        };
                        checks.push((check, outcome));
                    }
                }
                Ok(a) => {
                    for check in Check::ALL {
                        if !matches!(check, Check::Request | Check::User) {
                            checks.push((check, Outcome::Passed(String::new())));
                        }
                    }
                    let answers = a.in_response_to.as_deref() == Some(request.as_str());
                    checks.push((
                        Check::Request,
                        if answers && fresh {
                            Outcome::Passed(String::new())
                        } else if answers {
                            Outcome::Failed(format!(
                                "This test was already answered, or started more than {REQUEST_MINUTES} minutes ago. Start the test again."
                            ))
                        } else {
                            Outcome::Failed("The response does not answer this test's request (its InResponseTo differs). Start the test from the Single Sign-On page.".into())
                        },
                    ));
                    let norm = a.name_id.trim().to_lowercase();
                    let user = store::users::by_login_name(&mut *tx, &account, &norm).await?;
                    checks.push((
                        Check::User,
                        match user.map(|u| u.status) {
                            None => Outcome::Failed(format!(
                                "No user of this account has the e-mail or userName {}. Provision them through SCIM (assign the app in the IdP) or invite them first.",
                                a.name_id.trim()
                            )),
                            Some(UserStatus::Suspended) => Outcome::Failed(format!(
                                "{} is suspended in this account and could not log in.",
                                a.name_id.trim()
                            )),
                            Some(UserStatus::Invited) => Outcome::Passed(format!(
                                "{} is invited: their first single sign-on log-in makes them Active.",
                                a.name_id.trim()
                            )),
                            Some(UserStatus::Active) => {
                                Outcome::Passed(format!("{} is active.", a.name_id.trim()))
                            }
                        },
                    ));
                }
            }
            let report = TestReport { checks, name_id };
            let reason = format!("Test sign-on: {}", report.summary());
            let reason: String = reason.chars().take(1000).collect();
            let name: Option<String> = report.name_id.as_ref().map(|n| n.chars().take(256).collect());
            store::saml::record_attempt(
                &mut *tx,
                &account,
                &now,
                report.passed(),
                name.as_deref(),
                &reason,
                true,
            )
            .await?;
            Ok(report)
        })
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_keeps_what_passed_before_it() {
        let mut p = Progress::default();
        p.pass(Check::Document);
        p.pass(Check::Algorithm);
        p.pass(Check::Document);
        let r = p.refuse(Check::Document, "damaged");
        assert_eq!(r.passed, vec![Check::Algorithm]);
        assert_eq!(r.check, Check::Document);
    }

    #[test]
    fn the_summary_is_the_first_failure() {
        let report = TestReport {
            checks: vec![
                (Check::Document, Outcome::Passed(String::new())),
                (Check::Signature, Outcome::Failed("bad key".into())),
                (Check::User, Outcome::NotChecked),
            ],
            name_id: None,
        };
        assert!(!report.passed());
        assert_eq!(report.summary(), "bad key");
        let ok = TestReport {
            checks: vec![(Check::User, Outcome::Passed("x".into()))],
            name_id: None,
        };
        assert!(ok.passed());
        assert_eq!(ok.summary(), "Every check passed.");
    }
}
