//! The words every layer shares, as types rather than strings: a user's status and where a
//! user or group comes from. The store decodes them from their column text (a value outside the
//! migrations' `CHECK` lists is an error, never a silent default); the wire still carries the same
//! lowercase text.

use std::fmt;
use std::str::FromStr;

/// Where a user or group is managed: by hand in Rollcall, or by the identity provider (SCIM).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Manual,
    Idp,
}

/// A user's state: invited (no password yet), active, or suspended (cannot log in).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserStatus {
    Invited,
    Active,
    Suspended,
}

/// A column or parameter that is not one of the words.
#[derive(Debug)]
pub struct UnknownWord(String);

impl fmt::Display for UnknownWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown value '{}'", self.0)
    }
}

impl std::error::Error for UnknownWord {}

macro_rules! words {
    ($ty:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        impl $ty {
            pub const ALL: &'static [$ty] = &[$($ty::$variant),+];
            /// The texts of [`Self::ALL`], in the same order.
            pub const TEXTS: &'static [&'static str] = &[$($text),+];

            /// The text stored in the database and sent on the wire.
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
                    other => Err(UnknownWord(other.to_string())),
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
    };
}

words!(Source { Manual = "manual", Idp = "idp" });
words!(UserStatus { Invited = "invited", Active = "active", Suspended = "suspended" });

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
    }
}
