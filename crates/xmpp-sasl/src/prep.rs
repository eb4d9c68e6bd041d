//! String preparation of usernames and passwords: SASLprep (RFC 4013) or the
//! PRECIS OpaqueString profile (RFC 8265 §4.2), chosen by the caller.

use alloc::borrow::Cow;

use crate::error::{Error, Field};

/// How usernames, authzids and passwords are prepared before use.
///
/// RFC 5802 §5.1 and RFC 4616 §2 name SASLprep; RFC 8265 §4.2 and
/// RFC 7677 allow the PRECIS OpaqueString profile instead. The choice must be
/// the same on client and server, or passwords with non-ASCII characters
/// derive different keys.
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
    /// The PRECIS OpaqueString profile (RFC 8265 §4.2), enforced on
    /// usernames, authzids and passwords alike: the successor of SASLprep,
    /// which RFC 8265 §4 obsoletes for new deployments.
    OpaqueString,
    /// No preparation: the bytes are used as given.
    None,
}

impl Prep {
    /// Prepares `s`; an empty result is refused (RFC 4616 §2: authcid and
    /// passwd are non-empty).
    pub fn prepare<'s>(self, s: &'s str, field: Field) -> Result<Cow<'s, str>, Error> {
        let out = match self {
            Self::None => Cow::Borrowed(s),
            Self::SaslPrep => saslprep(s, field)?,
            Self::OpaqueString => xmpp_precis::Profile::enforce(&xmpp_precis::OpaqueString, s)
                .map_err(|e| Error::Prep {
                    field,
                    code_point: e.position().map(|(c, _)| c),
                })?,
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
    fn opaque_string_differs_from_saslprep() {
        // RFC 8265 §4.2: OpaqueString maps non-ASCII spaces to U+0020 and
        // applies NFC, not NFKC, so U+2168 ROMAN NUMERAL NINE stays as is.
        let p = Prep::OpaqueString;
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
