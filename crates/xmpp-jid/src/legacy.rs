//! Legacy mode: JIDs prepared the RFC 6122 (and RFC 3920) way, with the
//! stringprep profiles Nodeprep (RFC 6122 Appendix A), Nameprep (RFC 3491)
//! and Resourceprep (RFC 6122 Appendix B), for peers and stored data that
//! still compare JIDs so.
//!
//! The `stringprep` crate applies the RFC 3454 tables (Unicode 3.2
//! mappings and prohibitions) with today's NFKC. JIDs are stored strings
//! (RFC 3454 §7), so a code point unassigned in Unicode 3.2 (table A.1) is
//! refused in the input; the crate looks for them only in its output,
//! where today's NFKC may already have turned one into an assigned code
//! point that the Unicode 3.2 mapping never saw (U+03F9 GREEK CAPITAL
//! LUNATE SIGMA came out as an unfolded `Σ`, which a second preparation
//! folds to `σ`). The domainpart gets the
//! same treatment as in RFC 7622 mode first (trailing dot stripped, IPv6
//! literals canonical), then Nameprep label by label (RFC 3490); each label
//! must then be 1 to 63 octets, its ASCII code points letters, digits and
//! hyphens (UseSTD3ASCIIRules), without a hyphen at either end; an A-label
//! is decoded to its U-label (IDNA2003 ToUnicode), which Nameprep must
//! leave as it is and which must encode back to the same A-label.
//! Legacy JIDs differ from RFC 7622 ones exactly where the two RFCs do:
//! `ß` maps to `ss`, `ﬀ` to `ff`, zero-width characters vanish, and
//! symbols such as emoji are refused in resources.

use alloc::borrow::Cow;
use alloc::string::String;
use core::borrow::Borrow;
use core::fmt;
use core::str::FromStr;

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

/// RFC 3454 §7: a stored string must not contain a code point that is
/// unassigned in Unicode 3.2 (table A.1), checked on the input, before any
/// mapping or normalization.
fn assigned(part: Part, s: &str) -> Result<(), Error> {
    if s.is_ascii() || !s.chars().any(stringprep::tables::unassigned_code_point) {
        Ok(())
    } else {
        Err(Error::Stringprep(part))
    }
}

fn nodeprep(s: &str) -> Result<Cow<'_, str>, Error> {
    if s.is_empty() {
        return Err(Error::Empty(Part::Localpart));
    }
    assigned(Part::Localpart, s)?;
    let out = stringprep::nodeprep(s).map_err(|_| Error::Stringprep(Part::Localpart))?;
    check_len(Part::Localpart, out)
}

fn resourceprep(s: &str) -> Result<Cow<'_, str>, Error> {
    if s.is_empty() {
        return Err(Error::Empty(Part::Resourcepart));
    }
    assigned(Part::Resourcepart, s)?;
    let out = stringprep::resourceprep(s).map_err(|_| Error::Stringprep(Part::Resourcepart))?;
    check_len(Part::Resourcepart, out)
}

/// The domainpart of RFC 6122 §2.2: IDNA2003 (RFC 3490) label by label.
/// The label separators are those of RFC 3490 §3.1; each label goes through
/// Nameprep on its own (so the stringprep Bidi check sees one label, as in
/// ToASCII), an A-label is decoded to its U-label, and the STD3 ASCII rules
/// apply.
fn nameprep(input: &str) -> Result<Cow<'_, str>, Error> {
    let s = input.strip_suffix('.').unwrap_or(input);
    if s.is_empty() {
        return Err(Error::Empty(Part::Domainpart));
    }
    if s.starts_with('[') {
        return crate::domain::enforce(s);
    }
    let mut out = String::with_capacity(s.len());
    for label in s.split(['.', '\u{3002}', '\u{FF0E}', '\u{FF61}']) {
        if !out.is_empty() {
            out.push('.');
        }
        let offset = out.len();
        if label.is_empty() {
            return Err(Error::EmptyLabel { offset });
        }
        assigned(Part::Domainpart, label)?;
        let prepped =
            stringprep::nameprep(label).map_err(|_| Error::Stringprep(Part::Domainpart))?;
        let label = match prepped.strip_prefix("xn--") {
            Some(encoded) => Cow::Owned(to_unicode(encoded, offset)?),
            None => prepped,
        };
        check_label(&label, offset)?;
        out.push_str(&label);
    }
    check_len(Part::Domainpart, Cow::Owned(out))
}

/// IDNA2003 ToUnicode of an A-label (RFC 3490 §4.2): the Punycode must
/// decode to a non-ASCII string that Nameprep leaves unchanged, and ToASCII
/// of that string must give the label back (steps 5 to 7, compared without
/// regard to ASCII case), so that each U-label has one A-label: `xn---9a`
/// decodes to `£` as `xn--9a` does, and is refused.
fn to_unicode(encoded: &str, offset: usize) -> Result<String, Error> {
    if encoded.len() > 59 {
        return Err(Error::LabelTooLong {
            offset,
            len: encoded.len() + 4,
        });
    }
    // ToASCII (RFC 3490 §4.1 step 5) never produces a label with the ACE
    // prefix from a U-label, so a decoded label must not start with it.
    let decoded = crate::punycode::decode(encoded)
        .filter(|u| !u.is_ascii())
        .filter(|u| !u.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--")))
        .ok_or(Error::InvalidALabel { offset })?;
    // ToUnicode with AllowUnassigned off (RFC 3490 §4.2).
    if assigned(Part::Domainpart, &decoded).is_err() {
        return Err(Error::InvalidALabel { offset });
    }
    match stringprep::nameprep(&decoded) {
        Ok(again) if again == decoded => {}
        _ => return Err(Error::InvalidALabel { offset }),
    }
    // ToASCII of the Nameprep-stable U-label is its Punycode (RFC 3490
    // §4.1 steps 5 to 7; the STD3 rules are checked on the U-label after).
    let mut buf = [0; crate::punycode::MAX_ENCODED];
    let again = crate::punycode::encode(&decoded, &mut buf)
        .and_then(|len| buf.get(..len))
        .ok_or(Error::InvalidALabel { offset })?;
    if again.eq_ignore_ascii_case(encoded.as_bytes()) {
        Ok(decoded)
    } else {
        Err(Error::InvalidALabel { offset })
    }
}

/// A label's length and, by UseSTD3ASCIIRules (RFC 3490 §4.1), its ASCII
/// code points: letters, digits and hyphens, no hyphen at either end; so
/// Nameprep cannot map a fullwidth `＠` or `／` into a separator. A decoded
/// A-label must not hold a label separator either.
fn check_label(label: &str, offset: usize) -> Result<(), Error> {
    // Nameprep maps some labels to nothing (`\u{200C}` alone): empty too.
    if label.is_empty() {
        return Err(Error::EmptyLabel { offset });
    }
    if label.len() > 63 {
        return Err(Error::LabelTooLong {
            offset,
            len: label.len(),
        });
    }
    let bad = |c: char| {
        (c.is_ascii() && !(c.is_ascii_alphanumeric() || c == '-'))
            || matches!(c, '\u{3002}' | '\u{FF0E}' | '\u{FF61}')
    };
    if let Some((i, c)) = label.char_indices().find(|&(_, c)| bad(c)) {
        return Err(Error::LabelCodePoint {
            code_point: c,
            offset: offset + i,
            property: xmpp_precis::unicode::DerivedProperty::Disallowed,
        });
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(Error::LabelHyphen { offset });
    }
    Ok(())
}

/// An XMPP address prepared the RFC 6122 way (legacy mode, feature
/// `stringprep`): Nodeprep for the localpart, Nameprep for the domainpart,
/// Resourceprep for the resourcepart, in their canonical form.
///
/// It is a type of its own, not a [`Jid`], so that every `Jid` value stays
/// one that [`Jid::new`] accepts: RFC 6122 accepts addresses RFC 7622
/// refuses (`☃.net`: IDNA2003 allows symbols, IDNA2008 does not) and
/// prepares others to another form (`Straße` is `strasse` in RFC 6122,
/// `straße` in RFC 7622). Compare legacy JIDs only with legacy JIDs;
/// [`LegacyJid::to_jid`] gives the RFC 7622 JID of the same string where
/// there is one. With the `serde` feature a legacy JID is its string,
/// prepared again on deserialization (preparation is idempotent, so the
/// round trip gives the same value).
///
/// ```
/// use xmpp_jid::{Jid, LegacyJid};
/// let legacy = LegacyJid::new("Stra\u{DF}e@Example.com/\u{2163}")?;
/// assert_eq!(legacy, "strasse@example.com/IV");
/// assert_eq!(legacy.localpart(), Some("strasse"));
/// let modern = Jid::new("Stra\u{DF}e@Example.com/\u{2163}")?;
/// assert_eq!(modern, "stra\u{DF}e@example.com/\u{2163}");
///
/// let snowman = LegacyJid::new("juliet@\u{2603}.net")?;
/// assert_eq!(snowman.domainpart(), "\u{2603}.net");
/// assert!(snowman.to_jid().is_err());
/// # Ok::<(), xmpp_jid::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LegacyJid(
    /// The RFC 6122 canonical form, in a [`Jid`]'s storage (one string
    /// and its separator positions). Never handed out as a `Jid`: it need
    /// not be one.
    Jid,
);

impl LegacyJid {
    /// Parses and prepares a JID the RFC 6122 way. The parts are split as
    /// in RFC 7622 §3.1 and prepared in order, localpart first; the first
    /// error is returned.
    pub fn new(s: &str) -> Result<Self, Error> {
        let (local, domain, resource) = split(s);
        let local = local.map(nodeprep).transpose()?;
        let domain = nameprep(domain)?;
        let resource = resource.map(resourceprep).transpose()?;
        Ok(Self(Jid::assemble(
            local.as_deref(),
            &domain,
            resource.as_deref(),
        )))
    }

    /// The localpart, if any.
    pub fn localpart(&self) -> Option<&str> {
        self.0.localpart()
    }

    /// The domainpart.
    pub fn domainpart(&self) -> &str {
        self.0.domainpart()
    }

    /// The resourcepart, if any.
    pub fn resourcepart(&self) -> Option<&str> {
        self.0.resourcepart()
    }

    /// Whether the JID has no resourcepart.
    pub fn is_bare(&self) -> bool {
        self.0.is_bare()
    }

    /// Whether the JID has a resourcepart.
    pub fn is_full(&self) -> bool {
        self.0.is_full()
    }

    /// The prepared JID as a string.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The prepared string, giving up the JID.
    pub fn into_string(self) -> String {
        self.0.into_string()
    }

    /// The RFC 7622 JID of this JID's string ([`Jid::new`] of it): an
    /// error where RFC 7622 refuses what RFC 6122 accepted. It may differ
    /// from the legacy form where the two enforce differently.
    pub fn to_jid(&self) -> Result<Jid, Error> {
        Jid::new(self.as_str())
    }
}

impl FromStr for LegacyJid {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

impl TryFrom<&str> for LegacyJid {
    type Error = Error;
    fn try_from(s: &str) -> Result<Self, Error> {
        Self::new(s)
    }
}

impl TryFrom<String> for LegacyJid {
    type Error = Error;
    fn try_from(s: String) -> Result<Self, Error> {
        Self::new(&s)
    }
}

impl PartialEq<str> for LegacyJid {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for LegacyJid {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for LegacyJid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for LegacyJid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("LegacyJid").field(&self.as_str()).finish()
    }
}

impl AsRef<str> for LegacyJid {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for LegacyJid {
    /// Hashes and compares as the prepared string does.
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

/// The legacy canonical string of a JID, as [`LegacyJid::new`] gives.
pub fn legacy_canonical(s: &str) -> Result<String, Error> {
    LegacyJid::new(s).map(LegacyJid::into_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_nameprep_empties_is_empty() {
        // A proptest finding: "a." came out, which parses again as "a".
        assert_eq!(
            LegacyJid::new("a\u{FF0E}\u{200C}"),
            Err(Error::EmptyLabel { offset: 2 })
        );
        assert_eq!(
            LegacyJid::new("\u{200C}.example"),
            Err(Error::EmptyLabel { offset: 0 })
        );
    }

    #[test]
    fn unassigned_in_unicode_3_2_is_refused() {
        // A jid_parse fuzz finding: U+03F9 (Unicode 4.0) NFKC-maps to `Σ`,
        // which came out unfolded and folded on a second parse.
        for s in ["he-ka\u{3F9}mple", "\u{3F9}@example.com", "a@b/\u{3F9}"] {
            assert!(
                matches!(LegacyJid::new(s), Err(Error::Stringprep(_))),
                "{s:?}"
            );
        }
        // Its A-label is refused by ToUnicode.
        let mut buf = [0; crate::punycode::MAX_ENCODED];
        let len = crate::punycode::encode("a\u{3F9}", &mut buf).unwrap();
        let a_label = alloc::format!("xn--{}", core::str::from_utf8(&buf[..len]).unwrap());
        assert!(matches!(
            LegacyJid::new(&a_label),
            Err(Error::InvalidALabel { .. })
        ));
        // Assigned Greek is prepared as before.
        assert_eq!(
            LegacyJid::new("\u{3A3}.example").unwrap(),
            "\u{3C3}.example"
        );
    }

    #[test]
    fn a_label_must_encode_back_to_itself() {
        // RFC 3490 §4.2 steps 5 to 7: `-9a` decodes to `£` as `9a` does,
        // but ToASCII of `£` gives `xn--9a` only.
        assert_eq!(LegacyJid::new("xn--9a.example").unwrap(), "\u{A3}.example");
        assert_eq!(LegacyJid::new("XN--9A.example").unwrap(), "\u{A3}.example");
        assert_eq!(
            LegacyJid::new("xn---9a.example"),
            Err(Error::InvalidALabel { offset: 0 })
        );
        // The comparison ignores ASCII case (RFC 3490 §4.2 step 7).
        assert_eq!(
            LegacyJid::new("a@b.xn--bcher-KVA").unwrap(),
            "a@b.b\u{FC}cher"
        );
    }

    #[test]
    fn stringprep_mappings() {
        let j = LegacyJid::new("\u{FB00}oo@b\u{FC}cher.example/TM\u{2122}").unwrap();
        assert_eq!(j, "ffoo@bücher.example/TMTM");
        assert_eq!(
            LegacyJid::new("a\u{200B}b@example.com").unwrap(),
            "ab@example.com"
        );
        assert_eq!(
            LegacyJid::new("a@example.com/\u{1F600}"),
            Err(Error::Stringprep(Part::Resourcepart))
        );
        assert_eq!(
            LegacyJid::new("a'b@example.com"),
            Err(Error::Stringprep(Part::Localpart))
        );
        assert_eq!(
            LegacyJid::new("@example.com"),
            Err(Error::Empty(Part::Localpart))
        );
        assert_eq!(
            LegacyJid::new("a@example.com./res").unwrap().resourcepart(),
            Some("res")
        );
        assert_eq!(LegacyJid::new("a@[0:0::1]").unwrap(), "a@[::1]");
        assert!(LegacyJid::new("a@exa_mple.com").is_err());
        assert!(LegacyJid::new("\u{3A3}\u{FF20}").is_err());
        assert!(LegacyJid::new("b\u{FC}cher\u{FF0F}x").is_err());
        assert_eq!(legacy_canonical("A@B").unwrap(), "a@b");
    }

    #[test]
    fn a_legacy_only_jid_is_no_jid() {
        // IDNA2003 allows the snowman, IDNA2008 does not: the legacy JID
        // exists, but no `Jid` holds it (every `Jid` is what `Jid::new`
        // accepts).
        let legacy = LegacyJid::new("\u{2603}.net").unwrap();
        assert_eq!(legacy, "\u{2603}.net");
        assert!(legacy.to_jid().is_err());
        assert!(Jid::new(legacy.as_str()).is_err());
        // Where both accept, `to_jid` enforces the string the RFC 7622 way.
        let both = LegacyJid::new("Romeo@Example.net/Orchard").unwrap();
        assert_eq!(both.to_jid().unwrap(), "romeo@example.net/Orchard");
        assert_eq!(
            (both.localpart(), both.domainpart(), both.resourcepart()),
            (Some("romeo"), "example.net", Some("Orchard"))
        );
        assert!(both.is_full() && !both.is_bare());
        assert_eq!(alloc::format!("{both}"), "romeo@example.net/Orchard");
        assert_eq!("a@b".parse::<LegacyJid>().unwrap(), "a@b");
        assert_eq!(alloc::format!("{legacy:?}"), "LegacyJid(\"\u{2603}.net\")");
    }
}
