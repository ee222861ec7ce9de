//! The words every layer shares, as types rather than strings: a user's status, where a user or
//! group comes from, who acts, what an administrator asks for, what the audit log records, and the
//! Users page's query. Wire (server functions, URLs), domain and store all use these types; each
//! is written as the same lowercase text everywhere (serde, URL, database column), and text that
//! is not one of the words is an error, never a silent default.
//!
//! This module lives in the UI crate because the WASM client needs the same types; the server
//! re-exports it as `rollcall_server::vocab`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Text that is not one of a vocabulary's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownWord {
    /// What the word names ("status", "sort", …), for the message.
    pub field: &'static str,
    pub value: String,
    pub allowed: &'static [&'static str],
}

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Unknown {} '{}': use one of {}.",
            self.field,
            self.value,
            self.allowed.join(", ")
        )
    }
}

impl std::error::Error for UnknownWord {}

macro_rules! words {
    ($(#[$doc:meta])* $ty:ident ($field:literal) { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $ty {
            $($(#[$vdoc])* $variant),+
        }

        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            /// The texts of [`Self::ALL`], in the same order.
            pub const TEXTS: &'static [&'static str] = &[$($text),+];

            /// The text stored in the database, sent on the wire and put in URLs.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $text),+
                }
            }
        }

        impl FromStr for $ty {
            type Err = UnknownWord;
            fn from_str(s: &str) -> Result<Self, UnknownWord> {
                match s {
                    $($text => Ok($ty::$variant),)+
                    other => Err(UnknownWord {
                        field: $field,
                        value: other.chars().take(40).collect(),
                        allowed: Self::TEXTS,
                    }),
                }
            }
        }

        impl TryFrom<String> for $ty {
            type Error = UnknownWord;
            fn try_from(s: String) -> Result<Self, UnknownWord> {
                s.parse()
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<$ty> for String {
            fn from(v: $ty) -> String {
                v.as_str().to_string()
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

words!(
    /// Where a user or group is managed: by hand in Rollcall, or by the identity provider (SCIM).
    Source ("source") { Manual = "manual", Idp = "idp" }
);
words!(
    /// A user's state: invited (no password yet), active, or suspended (cannot log in).
    UserStatus ("status") { Invited = "invited", Active = "active", Suspended = "suspended" }
);
words!(
    /// Who did something: a person, an API key (the IdP), or Rollcall itself / its command line.
    ActorKind ("actor") { User = "user", ApiKey = "api_key", System = "system" }
);
words!(
    /// What an audit event is about.
    TargetKind ("target") { User = "user", Group = "group", ApiKey = "api_key", Account = "account" }
);
words!(
    /// What an administrator asks of a user on the user's page.
    UserCommand ("action") {
        Suspend = "suspend",
        Reactivate = "reactivate",
        Delete = "delete",
        ResendInvite = "resend_invite",
        RevokeInvite = "revoke_invite",
    }
);
words!(
    /// What an administrator asks of a manual group on its page.
    GroupCommand ("action") {
        Rename = "rename",
        Delete = "delete",
        AddMember = "add_member",
        RemoveMember = "remove_member",
    }
);
words!(
    /// The Users page's sort keys (a leading `-` in the URL sorts descending).
    SortKey ("sort") { Email = "email", Name = "name", Created = "created" }
);
words!(
    /// The audit log's categories: the part of an action before its dot.
    AuditCategory ("category") { User = "user", Group = "group", ApiKey = "api_key", Session = "session", Sso = "sso" }
);
words!(
    /// Every event the audit log records.
    AuditAction ("audit action") {
        UserInvited = "user.invited",
        UserInviteResent = "user.invite_resent",
        UserInviteRevoked = "user.invite_revoked",
        UserSignedUp = "user.signed_up",
        UserPasswordReset = "user.password_reset",
        UserProvisioned = "user.provisioned",
        UserAdopted = "user.adopted",
        UserUpdated = "user.updated",
        UserEmailChanged = "user.email_changed",
        UserUserNameChanged = "user.user_name_changed",
        UserSuspended = "user.suspended",
        UserReactivated = "user.reactivated",
        UserDeleted = "user.deleted",
        GroupCreated = "group.created",
        GroupProvisioned = "group.provisioned",
        GroupRenamed = "group.renamed",
        GroupMemberAdded = "group.member_added",
        GroupMemberRemoved = "group.member_removed",
        GroupMembersChanged = "group.members_changed",
        GroupDeleted = "group.deleted",
        ApiKeyCreated = "api_key.created",
        ApiKeyRevoked = "api_key.revoked",
        ApiKeyUsed = "api_key.used",
        SessionLogin = "session.login",
        SsoConfigured = "sso.configured",
    }
);

impl AuditAction {
    /// The category the audit log's filter groups this action under.
    pub fn category(self) -> AuditCategory {
        let (prefix, _) = self.as_str().split_once('.').unwrap_or((self.as_str(), ""));
        prefix.parse().unwrap_or(AuditCategory::User)
    }
}

/// The Users page's order: a key and a direction. In URLs `email` (the default, also ``),
/// `-email`, `name`, `-name`, `created`, `-created`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UserSort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for UserSort {
    fn default() -> Self {
        UserSort {
            key: SortKey::Email,
            descending: false,
        }
    }
}

impl UserSort {
    const TEXTS: &'static [&'static str] =
        &["email", "-email", "name", "-name", "created", "-created"];

    /// The URL text; the default order is written as "" so links stay short.
    pub fn to_param(self) -> String {
        if self == UserSort::default() {
            String::new()
        } else if self.descending {
            format!("-{}", self.key)
        } else {
            self.key.to_string()
        }
    }
}

impl FromStr for UserSort {
    type Err = UnknownWord;
    fn from_str(s: &str) -> Result<Self, UnknownWord> {
        let (descending, key) = match s.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, s),
        };
        if key.is_empty() && !descending {
            return Ok(UserSort::default());
        }
        let key = key.parse::<SortKey>().map_err(|_| UnknownWord {
            field: "sort",
            value: s.chars().take(40).collect(),
            allowed: UserSort::TEXTS,
        })?;
        Ok(UserSort { key, descending })
    }
}

/// `""` is "any"; anything else must be a word.
pub fn any_of<T: FromStr<Err = UnknownWord>>(text: &str) -> Result<Option<T>, UnknownWord> {
    if text.is_empty() {
        Ok(None)
    } else {
        text.parse().map(Some)
    }
}

/// serde for an optional word in a URL-shaped query: `""` (or absent) is `None`.
pub mod any {
    use super::UnknownWord;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::str::FromStr;

    pub fn serialize<T: Serialize, S: Serializer>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => v.serialize(s),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<T>, D::Error>
    where
        T: FromStr<Err = UnknownWord>,
        D: Deserializer<'de>,
    {
        let text = String::deserialize(d)?;
        super::any_of(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for UserSort {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_param())
    }
}

impl<'de> Deserialize<'de> for UserSort {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The Users page's state (`?q=&status=&source=&sort=&after=&before=`): the page, its server
/// function, its CSV export and the domain all read this one type. Every field is optional in a
/// URL; `""` means "any" / "first page".
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct UserQuery {
    /// Prefix of the e-mail / userName, the full name or the last name.
    pub q: String,
    #[serde(with = "any")]
    pub status: Option<UserStatus>,
    #[serde(with = "any")]
    pub source: Option<Source>,
    pub sort: UserSort,
    /// Opaque cursors: the page after / before this row.
    pub after: String,
    pub before: String,
}

impl UserQuery {
    /// The query a URL describes; `param` returns a parameter's value or "" when absent.
    /// A word that is not one (a hand-edited link) is an error that says what to use.
    pub fn from_params(param: impl Fn(&'static str) -> String) -> Result<UserQuery, UnknownWord> {
        Ok(UserQuery {
            q: param("q"),
            status: any_of(&param("status"))?,
            source: any_of(&param("source"))?,
            sort: param("sort").parse()?,
            after: param("after"),
            before: param("before"),
        })
    }

    /// The URL parameters of the filters and the order (not the page position), as strings.
    pub fn filter_params(&self) -> [(&'static str, String); 4] {
        [
            ("q", self.q.clone()),
            ("status", self.status.map(String::from).unwrap_or_default()),
            ("source", self.source.map(String::from).unwrap_or_default()),
            ("sort", self.sort.to_param()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_and_unknown_ones_are_refused() {
        for (s, text) in Source::ALL.iter().zip(Source::TEXTS) {
            assert_eq!(text.parse::<Source>().unwrap(), *s);
        }
        assert_eq!(UserStatus::TEXTS, ["invited", "active", "suspended"]);
        for s in UserStatus::ALL {
            assert_eq!(UserStatus::try_from(s.to_string()).unwrap(), *s);
        }
        assert!("Active".parse::<UserStatus>().is_err());
        assert!("".parse::<Source>().is_err());
        let e = "bogus".parse::<UserCommand>().unwrap_err();
        assert_eq!(
            e.to_string(),
            "Unknown action 'bogus': use one of suspend, reactivate, delete, resend_invite, revoke_invite."
        );
    }

    #[test]
    fn every_audit_action_has_its_category() {
        for a in AuditAction::ALL {
            assert!(a.as_str().starts_with(&format!("{}.", a.category())), "{a}");
        }
    }

    #[test]
    fn the_user_query_reads_and_writes_its_url() {
        let url = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default()
            }
        };
        let q = UserQuery::from_params(url(&[("status", "active"), ("sort", "-created")])).unwrap();
        assert_eq!(q.status, Some(UserStatus::Active));
        assert_eq!(q.source, None);
        assert_eq!(
            q.sort,
            UserSort {
                key: SortKey::Created,
                descending: true
            }
        );
        assert_eq!(q.filter_params()[3].1, "-created");
        assert_eq!(
            UserQuery::from_params(url(&[])).unwrap(),
            UserQuery::default()
        );
        assert_eq!(UserQuery::default().filter_params()[3].1, "");
        let e = UserQuery::from_params(url(&[("sort", "shoe")])).unwrap_err();
        assert!(e.to_string().contains("use one of email, -email"), "{e}");
        assert!(UserQuery::from_params(url(&[("source", "ldap")])).is_err());
        assert!("-".parse::<UserSort>().is_err());
    }
}
