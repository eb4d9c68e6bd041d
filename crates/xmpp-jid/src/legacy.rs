//! Legacy mode: JIDs prepared the RFC 6122 (and RFC 3920) way, with the
//! stringprep profiles Nodeprep (RFC 6122 Appendix A), Nameprep (RFC 3491)
//! and Resourceprep (RFC 6122 Appendix B), for peers and stored data that
//! still compare JIDs so.
//!
//! The `stringprep` crate applies the RFC 3454 tables (Unicode 3.2
//! mappings and prohibitions) with today's NFKC. The domainpart gets the
//! same treatment as in RFC 7622 mode first (trailing dot stripped, IPv6
//! literals canonical), then Nameprep on each label; a label must then be an
//! LDH label or a non-ASCII label, 1 to 63 octets; A-labels are kept as
//! they are (IDNA2003 ToUnicode would need its own Punycode round-trip).
//! Legacy JIDs differ from RFC 7622 ones exactly where the two RFCs do:
//! `ß` maps to `ss`, `ﬀ` to `ff`, zero-width characters vanish, and
//! symbols such as emoji are refused in resources.

use alloc::borrow::Cow;
use alloc::string::String;

use crate::error::{Error, Part};
use crate::jid::{Jid, split};

const MAX_LEN: usize = 1023;

fn check_len(part: Part, s: Cow<'_, str>) -> Result<Cow<'_, str>, Error> {
    if s.is_empty() {
        return Err(Error::Empty(part));
    }
    if s.len() > MAX_LEN {
        return Err(Error::TooLong { part, len: s.len() });
    }
    Ok(s)
}

fn nodeprep(s: &str) -> Result<Cow<'_, str>, Error> {
    if s.is_empty() {
        return Err(Error::Empty(Part::Localpart));
    }
    let out = stringprep::nodeprep(s).map_err(|_| Error::Stringprep(Part::Localpart))?;
    check_len(Part::Localpart, out)
}

fn resourceprep(s: &str) -> Result<Cow<'_, str>, Error> {
    if s.is_empty() {
        return Err(Error::Empty(Part::Resourcepart));
    }
    let out = stringprep::resourceprep(s).map_err(|_| Error::Stringprep(Part::Resourcepart))?;
    check_len(Part::Resourcepart, out)
}

fn nameprep(input: &str) -> Result<Cow<'_, str>, Error> {
    let s = input.strip_suffix('.').unwrap_or(input);
    if s.is_empty() {
        return Err(Error::Empty(Part::Domainpart));
    }
    if s.starts_with('[') {
        return crate::domain::enforce(s);
    }
    let mapped = stringprep::nameprep(s).map_err(|_| Error::Stringprep(Part::Domainpart))?;
    let mut offset = 0;
    for label in mapped.split('.') {
        if label.is_empty() {
            return Err(Error::EmptyLabel { offset });
        }
        if label.len() > 63 {
            return Err(Error::LabelTooLong {
                offset,
                len: label.len(),
            });
        }
        if label.is_ascii() {
            if let Some(i) = label
                .bytes()
                .position(|b| !(b.is_ascii_alphanumeric() || b == b'-'))
            {
                return Err(Error::LabelCodePoint {
                    code_point: char::from(label.as_bytes().get(i).copied().unwrap_or(b'?')),
                    offset: offset + i,
                    property: xmpp_precis::unicode::DerivedProperty::Disallowed,
                });
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(Error::LabelHyphen { offset });
            }
        }
        offset += label.len() + 1;
    }
    check_len(Part::Domainpart, mapped)
}

impl Jid {
    /// Parses a JID the RFC 6122 way (legacy mode, feature `stringprep`):
    /// Nodeprep for the localpart, Nameprep for the domainpart,
    /// Resourceprep for the resourcepart.
    ///
    /// The result is a [`Jid`] holding the RFC 6122 canonical form; compare
    /// it only with other legacy JIDs.
    ///
    /// ```
    /// use xmpp_jid::Jid;
    /// let legacy = Jid::parse_legacy("Stra\u{DF}e@Example.com/\u{2163}")?;
    /// assert_eq!(legacy, "strasse@example.com/IV");
    /// let modern = Jid::new("Stra\u{DF}e@Example.com/\u{2163}")?;
    /// assert_eq!(modern, "stra\u{DF}e@example.com/\u{2163}");
    /// # Ok::<(), xmpp_jid::Error>(())
    /// ```
    pub fn parse_legacy(s: &str) -> Result<Self, Error> {
        let (local, domain, resource) = split(s);
        let local = local.map(nodeprep).transpose()?;
        let domain = nameprep(domain)?;
        let resource = resource.map(resourceprep).transpose()?;
        Ok(Self::assemble(
            local.as_deref(),
            &domain,
            resource.as_deref(),
        ))
    }
}

/// The legacy canonical string of a JID, as [`Jid::parse_legacy`] gives.
pub fn legacy_canonical(s: &str) -> Result<String, Error> {
    Jid::parse_legacy(s).map(Jid::into_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stringprep_mappings() {
        let j = Jid::parse_legacy("\u{FB00}oo@b\u{FC}cher.example/TM\u{2122}").unwrap();
        assert_eq!(j, "ffoo@bücher.example/TMTM");
        assert_eq!(
            Jid::parse_legacy("a\u{200B}b@example.com").unwrap(),
            "ab@example.com"
        );
        assert_eq!(
            Jid::parse_legacy("a@example.com/\u{1F600}"),
            Err(Error::Stringprep(Part::Resourcepart))
        );
        assert_eq!(
            Jid::parse_legacy("a'b@example.com"),
            Err(Error::Stringprep(Part::Localpart))
        );
        assert_eq!(
            Jid::parse_legacy("@example.com"),
            Err(Error::Empty(Part::Localpart))
        );
        assert_eq!(
            Jid::parse_legacy("a@example.com./res")
                .unwrap()
                .resourcepart(),
            Some("res")
        );
        assert_eq!(Jid::parse_legacy("a@[0:0::1]").unwrap(), "a@[::1]");
        assert!(Jid::parse_legacy("a@exa_mple.com").is_err());
        assert_eq!(legacy_canonical("A@B").unwrap(), "a@b");
    }
}
