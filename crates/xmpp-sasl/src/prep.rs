//! String preparation of usernames, authzids and passwords: SASLprep
//! (RFC 4013) or the PRECIS profiles of RFC 8265, chosen by the caller.

use alloc::borrow::Cow;
use alloc::string::String;

use crate::error::{Error, Field};

/// How usernames, authzids and passwords are prepared before use.
///
/// RFC 5802 §5.1 and RFC 4616 §2 name SASLprep; RFC 8265 (which obsoletes
/// SASLprep for new deployments) prepares usernames with UsernameCaseMapped
/// (§3.3) or UsernameCasePreserved (§3.4) and passwords with OpaqueString
/// (§4.2). The choice must be the same on client and server, or non-ASCII
/// names and passwords differ between them.
///
/// An authzid is, in XMPP, a JID (RFC 6120 §6.3.8): it is prepared with the
/// same profile as a password (SASLprep, or OpaqueString, the profile of the
/// most permissive JID part, RFC 7622 §3.4), which refuses control
/// characters, unassigned code points and other characters no JID holds.
/// Even with [`Prep::None`] control characters are refused in it. It is
/// still not a parsed JID: parse it (`xmpp-jid`) before comparing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Prep {
    /// SASLprep (RFC 4013), the default. Needs the `saslprep` feature.
    ///
    /// U+200B ZERO WIDTH SPACE is in both tables RFC 4013 §2.1 maps with
    /// (RFC 3454 C.1.2, to SPACE, and B.1, to nothing) and the RFC gives
    /// no order: it becomes SPACE here, as in libidn; Python's scramp and
    /// passlib drop it. `cargo xtask conformance sasl` finds no other
    /// difference from scramp.
    #[default]
    SaslPrep,
    /// PRECIS: usernames with UsernameCaseMapped (RFC 8265 §3.3), so
    /// `Ｕser` and `User` are the same account `user` and `ju liet` is
    /// refused; passwords and authzids with OpaqueString (§4.2).
    PrecisCaseMapped,
    /// PRECIS, usernames with UsernameCasePreserved (RFC 8265 §3.4): as
    /// [`Self::PrecisCaseMapped`] but `User` and `user` differ.
    PrecisCasePreserved,
    /// No preparation: the bytes are used as given.
    None,
}

impl Prep {
    /// Prepares `s` as the given field; an empty result is refused
    /// (RFC 4616 §2: authcid and passwd are non-empty).
    pub fn prepare<'s>(self, s: &'s str, field: Field) -> Result<Cow<'s, str>, Error> {
        use xmpp_precis::{OpaqueString, UsernameCaseMapped, UsernameCasePreserved};
        let out = match (self, field) {
            (Self::None, Field::Authzid) => match s.chars().find(|c| c.is_control()) {
                Some(c) => {
                    return Err(Error::Prep {
                        field,
                        code_point: Some(c),
                    });
                }
                None => Cow::Borrowed(s),
            },
            (Self::None, _) => Cow::Borrowed(s),
            (Self::SaslPrep, _) => saslprep(s, field)?,
            (Self::PrecisCaseMapped, Field::Authcid) => precis(&UsernameCaseMapped, s, field)?,
            (Self::PrecisCasePreserved, Field::Authcid) => {
                precis(&UsernameCasePreserved, s, field)?
            }
            (Self::PrecisCaseMapped | Self::PrecisCasePreserved, _) => {
                precis(&OpaqueString, s, field)?
            }
        };
        if out.is_empty() {
            return Err(Error::Prep {
                field,
                code_point: None,
            });
        }
        Ok(out)
    }
}

impl Prep {
    /// Prepares an optional authzid (RFC 6120 §6.3.8), keeping its absence.
    pub(crate) fn prepare_authzid(self, authzid: Option<String>) -> Result<Option<String>, Error> {
        authzid
            .map(|a| self.prepare(&a, Field::Authzid).map(Cow::into_owned))
            .transpose()
    }
}

/// Enforces a PRECIS profile, naming the refused code point.
fn precis<'s>(
    profile: &dyn xmpp_precis::Profile,
    s: &'s str,
    field: Field,
) -> Result<Cow<'s, str>, Error> {
    profile.enforce(s).map_err(|e| Error::Prep {
        field,
        code_point: e.position().map(|(c, _)| c),
    })
}

/// SASLprep with the input treated as a stored string (RFC 3454 §7): a
/// code point unassigned in Unicode 3.2 (table A.1) is refused, as
/// RFC 5802 §2.2 requires of SCRAM's `Normalize`. The stringprep crate
/// looks for them only after normalizing with today's NFKC, which maps
/// some (U+03F9 to `Σ`) into assigned ones that a Unicode 3.2 peer keeps
/// as they are, so the two would derive different keys. Usernames are
/// held to the same rule (RFC 5802 §5.1 would allow them as queries), since
/// the crate refuses unassigned output anyway.
#[cfg(feature = "saslprep")]
fn saslprep(s: &str, field: Field) -> Result<Cow<'_, str>, Error> {
    if !s.is_ascii() {
        if let Some(c) = s
            .chars()
            .find(|&c| stringprep::tables::unassigned_code_point(c))
        {
            return Err(Error::Prep {
                field,
                code_point: Some(c),
            });
        }
    }
    stringprep::saslprep(s).map_err(|_| Error::Prep {
        field,
        code_point: first_refused(s),
    })
}

#[cfg(not(feature = "saslprep"))]
fn saslprep(_: &str, _: Field) -> Result<Cow<'_, str>, Error> {
    Err(Error::PrepUnavailable)
}

/// The first code point SASLprep refuses on its own, for the error message.
#[cfg(feature = "saslprep")]
fn first_refused(s: &str) -> Option<char> {
    let mut buf = [0u8; 4];
    s.chars()
        .find(|c| stringprep::saslprep(c.encode_utf8(&mut buf)).is_err())
}

#[cfg(all(test, feature = "saslprep"))]
mod tests {
    use super::*;

    #[test]
    fn unassigned_in_unicode_3_2_is_refused() {
        // U+03F9 came in Unicode 4.0; today's NFKC maps it to U+03A3.
        assert_eq!(
            Prep::SaslPrep.prepare("pass\u{3F9}", Field::Password),
            Err(Error::Prep {
                field: Field::Password,
                code_point: Some('\u{3F9}')
            })
        );
        assert_eq!(
            Prep::SaslPrep
                .prepare("pass\u{3A3}", Field::Password)
                .as_deref(),
            Ok("pass\u{3A3}")
        );
    }

    #[test]
    fn rfc4013_examples() {
        // RFC 4013 §3.
        let p = Prep::SaslPrep;
        assert_eq!(
            p.prepare("I\u{00AD}X", Field::Password).ok().as_deref(),
            Some("IX")
        );
        assert_eq!(
            p.prepare("user", Field::Password).ok().as_deref(),
            Some("user")
        );
        assert_eq!(
            p.prepare("USER", Field::Password).ok().as_deref(),
            Some("USER")
        );
        assert_eq!(
            p.prepare("\u{00AA}", Field::Password).ok().as_deref(),
            Some("a")
        );
        assert_eq!(
            p.prepare("\u{2168}", Field::Password).ok().as_deref(),
            Some("IX")
        );
        assert_eq!(
            p.prepare("\u{0007}", Field::Password),
            Err(Error::Prep {
                field: Field::Password,
                code_point: Some('\u{7}')
            })
        );
        assert!(p.prepare("\u{0627}\u{0031}", Field::Password).is_err());
        assert!(
            p.prepare("\u{00AD}", Field::Password).is_err(),
            "empty after mapping"
        );
    }

    #[test]
    fn precis_usernames_use_the_username_profiles() {
        // RFC 8265 §3.3 and §3.4: no spaces in a username; width is mapped
        // (so a fullwidth name is the same account), case only by CaseMapped.
        let user = |p: Prep, s: &str| p.prepare(s, Field::Authcid).ok().map(Cow::into_owned);
        for p in [Prep::PrecisCaseMapped, Prep::PrecisCasePreserved] {
            assert_eq!(user(p, "ju liet"), None, "{p:?}");
            assert!(p.prepare("ju liet", Field::Password).is_ok(), "{p:?}");
        }
        let mapped = Prep::PrecisCaseMapped;
        assert_eq!(user(mapped, "\u{FF35}ser"), user(mapped, "User"));
        assert_eq!(user(mapped, "User").as_deref(), Some("user"));
        let preserved = Prep::PrecisCasePreserved;
        assert_eq!(user(preserved, "\u{FF35}ser").as_deref(), Some("User"));
        assert_ne!(user(preserved, "User"), user(preserved, "user"));
    }

    #[test]
    fn authzids_are_prepared_or_refused() {
        // An authzid is a JID: no control characters under any profile.
        for p in [
            Prep::SaslPrep,
            Prep::PrecisCaseMapped,
            Prep::PrecisCasePreserved,
            Prep::None,
        ] {
            for bad in ["\u{FF21}dmin\u{A0}\u{7}", "adm\u{1}in"] {
                assert!(
                    matches!(
                        p.prepare(bad, Field::Authzid),
                        Err(Error::Prep {
                            field: Field::Authzid,
                            code_point: Some(_)
                        })
                    ),
                    "{p:?} {bad:?}"
                );
            }
        }
        assert_eq!(
            Prep::SaslPrep
                .prepare("\u{FF21}dmin\u{A0}x@example.com", Field::Authzid)
                .as_deref(),
            Ok("Admin x@example.com")
        );
    }

    #[test]
    fn opaque_string_differs_from_saslprep() {
        // RFC 8265 §4.2: OpaqueString maps non-ASCII spaces to U+0020 and
        // applies NFC, not NFKC, so U+2168 ROMAN NUMERAL NINE stays as is.
        let p = Prep::PrecisCaseMapped;
        assert_eq!(
            p.prepare("correct\u{00A0}horse", Field::Password)
                .ok()
                .as_deref(),
            Some("correct horse")
        );
        assert_eq!(
            p.prepare("\u{2168}", Field::Password).ok().as_deref(),
            Some("\u{2168}")
        );
        assert!(p.prepare("\u{0007}", Field::Password).is_err());
        assert!(p.prepare("", Field::Password).is_err());
    }
}
