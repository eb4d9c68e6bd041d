//! The three parts of a JID, each enforced on its own (RFC 7622 §3.2 to
//! §3.4), and the part types that carry an enforced part so that JIDs can be
//! built from parts without checking them again.
//!
//! Each part has an all-ASCII fast path that validates without allocating:
//! on ASCII, UsernameCaseMapped is "lower-case, then `!` to `~`" and
//! OpaqueString is "space to `~`", so no table and no copy is needed unless
//! upper-case letters must be mapped.

use alloc::borrow::Cow;
use core::fmt;

use xmpp_precis::{OpaqueString, Profile, UsernameCaseMapped};

use crate::domain;
use crate::error::{Error, Part};

/// RFC 7622 §3.3 and §3.4: at most 1023 octets.
pub(crate) const MAX_LEN: usize = 1023;

/// RFC 7622 §3.3.1: characters that PRECIS IdentifierClass allows but a
/// localpart does not.
pub(crate) fn forbidden_in_localpart(c: char) -> bool {
    matches!(c, '"' | '&' | '\'' | '/' | ':' | '<' | '>' | '@')
}

/// Enforces a localpart: UsernameCaseMapped (RFC 7622 §3.3.2), then the
/// characters of §3.3.1, then the length.
pub(crate) fn enforce_localpart(s: &str) -> Result<Cow<'_, str>, Error> {
    let out = if s.is_ascii() {
        ascii_localpart(s)?
    } else {
        let out = UsernameCaseMapped.enforce(s).map_err(|e| match e {
            xmpp_precis::Error::Empty => Error::Empty(Part::Localpart),
            e => Error::Localpart(e),
        })?;
        if let Some((offset, code_point)) =
            out.char_indices().find(|&(_, c)| forbidden_in_localpart(c))
        {
            return Err(Error::LocalpartCharacter { code_point, offset });
        }
        out
    };
    if out.len() > MAX_LEN {
        return Err(Error::TooLong {
            part: Part::Localpart,
            len: out.len(),
        });
    }
    Ok(out)
}

fn ascii_localpart(s: &str) -> Result<Cow<'_, str>, Error> {
    if s.is_empty() {
        return Err(Error::Empty(Part::Localpart));
    }
    let mut upper = false;
    let mut forbidden = None;
    for (offset, b) in s.bytes().enumerate() {
        match b {
            b'A'..=b'Z' => upper = true,
            b'"' | b'&' | b'\'' | b'/' | b':' | b'<' | b'>' | b'@' => {
                forbidden.get_or_insert((offset, char::from(b)));
            }
            b'!'..=b'~' => {}
            _ => {
                // The class check (PRECIS) runs before the §3.3.1 check,
                // whatever comes first in the string.
                return Err(Error::Localpart(xmpp_precis::Error::Disallowed {
                    code_point: char::from(b),
                    offset,
                }));
            }
        }
    }
    if let Some((offset, code_point)) = forbidden {
        return Err(Error::LocalpartCharacter { code_point, offset });
    }
    if upper {
        Ok(Cow::Owned(s.to_ascii_lowercase()))
    } else {
        Ok(Cow::Borrowed(s))
    }
}

/// Enforces a resourcepart: OpaqueString (RFC 7622 §3.4.2), then the length.
pub(crate) fn enforce_resourcepart(s: &str) -> Result<Cow<'_, str>, Error> {
    let out = if s.is_ascii() {
        if s.is_empty() {
            return Err(Error::Empty(Part::Resourcepart));
        }
        if let Some((offset, b)) = s
            .bytes()
            .enumerate()
            .find(|&(_, b)| !matches!(b, b' '..=b'~'))
        {
            return Err(Error::Resourcepart(xmpp_precis::Error::Disallowed {
                code_point: char::from(b),
                offset,
            }));
        }
        Cow::Borrowed(s)
    } else {
        OpaqueString.enforce(s).map_err(|e| match e {
            xmpp_precis::Error::Empty => Error::Empty(Part::Resourcepart),
            e => Error::Resourcepart(e),
        })?
    };
    if out.len() > MAX_LEN {
        return Err(Error::TooLong {
            part: Part::Resourcepart,
            len: out.len(),
        });
    }
    Ok(out)
}

macro_rules! part_type {
    ($(#[$doc:meta])* $name:ident, $enforce:path) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name<'a>(Cow<'a, str>);

        impl<'a> $name<'a> {
            /// Enforces `s` as this part; borrows it when it is already in
            /// enforced form.
            pub fn new(s: &'a str) -> Result<Self, Error> {
                $enforce(s).map(Self)
            }

            /// The enforced part.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The part, owning its string.
            pub fn into_owned(self) -> $name<'static> {
                $name(Cow::Owned(self.0.into_owned()))
            }

            /// A part known to be enforced already (taken from a JID).
            pub(crate) fn trusted(s: &'a str) -> Self {
                Self(Cow::Borrowed(s))
            }
        }

        impl fmt::Display for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.as_str()).finish()
            }
        }

        impl AsRef<str> for $name<'_> {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'a> TryFrom<&'a str> for $name<'a> {
            type Error = Error;
            fn try_from(s: &'a str) -> Result<Self, Error> {
                Self::new(s)
            }
        }

        impl core::str::FromStr for $name<'static> {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self, Error> {
                $name::new(s).map($name::into_owned)
            }
        }
    };
}

part_type!(
    /// An enforced localpart (RFC 7622 §3.3).
    ///
    /// ```
    /// use xmpp_jid::LocalPart;
    /// assert_eq!(LocalPart::new("Juliet")?.as_str(), "juliet");
    /// assert!(LocalPart::new("juliet@capulet").is_err());
    /// # Ok::<(), xmpp_jid::Error>(())
    /// ```
    LocalPart,
    enforce_localpart
);
part_type!(
    /// An enforced domainpart (RFC 7622 §3.2).
    ///
    /// ```
    /// use xmpp_jid::DomainPart;
    /// assert_eq!(DomainPart::new("Example.COM.")?.as_str(), "example.com");
    /// assert_eq!(DomainPart::new("xn--bcher-kva.example")?.as_str(), "bücher.example");
    /// assert!(DomainPart::new("\u{2603}.net").is_err());
    /// # Ok::<(), xmpp_jid::Error>(())
    /// ```
    DomainPart,
    domain::enforce
);
part_type!(
    /// An enforced resourcepart (RFC 7622 §3.4).
    ///
    /// ```
    /// use xmpp_jid::ResourcePart;
    /// assert_eq!(ResourcePart::new("Balcony / 2@home")?.as_str(), "Balcony / 2@home");
    /// assert!(ResourcePart::new("tab\there").is_err());
    /// # Ok::<(), xmpp_jid::Error>(())
    /// ```
    ResourcePart,
    enforce_resourcepart
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_fast_paths_agree_with_precis() {
        // Every printable and control ASCII byte, alone and in context.
        for b in 0u8..0x80 {
            let s = alloc::format!("a{}b", char::from(b));
            let slow = UsernameCaseMapped.enforce(&s);
            let fast = enforce_localpart(&s);
            match (&slow, &fast) {
                (Ok(x), Ok(y)) => assert_eq!(x, y, "localpart {s:?}"),
                (Ok(_), Err(Error::LocalpartCharacter { .. })) => {
                    assert!(forbidden_in_localpart(char::from(b)), "{s:?}");
                }
                (Err(e), Err(Error::Localpart(f))) => assert_eq!(e, f, "localpart {s:?}"),
                _ => panic!("localpart {s:?}: precis {slow:?}, ours {fast:?}"),
            }
            let slow = OpaqueString.enforce(&s).map_err(Error::Resourcepart);
            assert_eq!(slow, enforce_resourcepart(&s), "resourcepart {s:?}");
        }
    }

    #[test]
    fn borrowed_when_enforced() {
        assert!(matches!(enforce_localpart("juliet"), Ok(Cow::Borrowed(_))));
        assert!(matches!(enforce_localpart("jüliet"), Ok(Cow::Borrowed(_))));
        assert!(matches!(
            enforce_resourcepart("Balcony"),
            Ok(Cow::Borrowed(_))
        ));
        assert_eq!(enforce_localpart("JULIET").unwrap(), "juliet");
    }

    #[test]
    fn errors() {
        assert_eq!(enforce_localpart(""), Err(Error::Empty(Part::Localpart)));
        assert_eq!(
            enforce_resourcepart(""),
            Err(Error::Empty(Part::Resourcepart))
        );
        assert_eq!(
            enforce_localpart("a\u{FF20}b"),
            Err(Error::LocalpartCharacter {
                code_point: '@',
                offset: 1
            })
        );
        // The class check wins over §3.3.1, in both paths.
        assert!(matches!(
            enforce_localpart("a@b c"),
            Err(Error::Localpart(_))
        ));
        assert_eq!(
            enforce_localpart(&"a".repeat(1024)),
            Err(Error::TooLong {
                part: Part::Localpart,
                len: 1024
            })
        );
        assert!(enforce_localpart(&"a".repeat(1023)).is_ok());
        assert!(enforce_resourcepart(&"\u{e9}".repeat(512)).is_err());
        assert!(enforce_resourcepart(&"\u{e9}".repeat(511)).is_ok());
    }
}
