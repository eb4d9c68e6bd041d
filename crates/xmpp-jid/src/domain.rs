//! The domainpart, RFC 7622 §3.2: one trailing dot stripped, IP literals
//! kept (IPv6 in its RFC 5952 canonical form), every other domainpart mapped
//! (width, lower case, NFC: RFC 7622 §3.2.2) and checked label by label
//! against IDNA2008 (RFC 5891 §5.4), with A-labels converted to U-labels.
//!
//! The IDNA2008 check is built from the same generated Unicode tables as
//! xmpp-precis: the RFC 5892 derived property of each code point, the RFC
//! 5892 Appendix A contextual rules, and the RFC 5893 Bidi Rule, applied to
//! every label of a domain name that holds a right-to-left label.

use alloc::borrow::Cow;
use alloc::string::String;
use core::net::Ipv6Addr;
use core::str::FromStr;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc, is_nfc_quick};
use xmpp_precis::ContextChecker;
use xmpp_precis::bidi::{bidi_rule, has_rtl};
use xmpp_precis::unicode::{DerivedProperty, idna2008_property, lowercase_mapping, width_mapping};

use crate::error::{Error, Part};
use crate::punycode;

/// RFC 7622 §3.2: at most 1023 octets.
pub(crate) const MAX_LEN: usize = 1023;
/// RFC 5890 §2.3.2.1: a label is at most 63 octets as an A-label.
const MAX_LABEL: usize = 63;

/// Enforces a domainpart (RFC 7622 §3.2.2), borrowing when the input (less
/// one trailing dot) is already in enforced form.
pub(crate) fn enforce(input: &str) -> Result<Cow<'_, str>, Error> {
    // RFC 7622 §3.2: the trailing dot goes before any other step.
    let s = input.strip_suffix('.').unwrap_or(input);
    if s.is_empty() {
        return Err(Error::Empty(Part::Domainpart));
    }
    if let Some(inner) = s.strip_prefix('[') {
        return ip_literal(s, inner);
    }
    let out = if s.is_ascii() {
        ascii_domain(s)?
    } else {
        let mapped = map(s)?;
        if mapped.len() > MAX_LEN * 4 {
            // Far too long for any valid domainpart, even with every label
            // an A-label shrunk back to a short U-label; refuse before work.
            return Err(too_long(mapped.len()));
        }
        labels(mapped)?
    };
    if out.len() > MAX_LEN {
        return Err(too_long(out.len()));
    }
    Ok(out)
}

fn too_long(len: usize) -> Error {
    Error::TooLong {
        part: Part::Domainpart,
        len,
    }
}

/// A bracketed IPv6 address (RFC 3986 §3.2.2), compared in its RFC 5952
/// canonical form (which `Ipv6Addr`'s `Display` produces).
fn ip_literal<'a>(s: &'a str, inner: &str) -> Result<Cow<'a, str>, Error> {
    let addr = inner
        .strip_suffix(']')
        .and_then(|a| Ipv6Addr::from_str(a).ok().map(|ip| (a, ip)));
    let Some((text, addr)) = addr else {
        return Err(Error::InvalidIpLiteral);
    };
    let mut canonical = [0u8; 48];
    let len = {
        let mut w = Cursor {
            buf: &mut canonical,
            len: 0,
        };
        core::fmt::write(&mut w, format_args!("{addr}")).map_err(|_| Error::InvalidIpLiteral)?;
        w.len
    };
    let canonical = canonical
        .get(..len)
        .and_then(|b| core::str::from_utf8(b).ok())
        .ok_or(Error::InvalidIpLiteral)?;
    if canonical == text {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(canonical.len() + 2);
    out.push('[');
    out.push_str(canonical);
    out.push(']');
    Ok(Cow::Owned(out))
}

/// A `fmt::Write` into a fixed buffer, so formatting an address allocates
/// nothing.
struct Cursor<'b> {
    buf: &'b mut [u8; 48],
    len: usize,
}

impl core::fmt::Write for Cursor<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(core::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// The all-ASCII domainpart: NR-LDH labels and A-labels only, so the check
/// needs no table and, for a lower-case name without A-labels, no
/// allocation.
fn ascii_domain(s: &str) -> Result<Cow<'_, str>, Error> {
    if s.len() > MAX_LEN {
        return Err(too_long(s.len()));
    }
    let mut upper = false;
    let mut alabel = false;
    let mut start = 0;
    for label in s.split('.') {
        let b = label.as_bytes();
        if b.is_empty() {
            return Err(Error::EmptyLabel { offset: start });
        }
        if b.len() > MAX_LABEL {
            return Err(Error::LabelTooLong {
                offset: start,
                len: b.len(),
            });
        }
        for (i, &c) in b.iter().enumerate() {
            match c {
                b'a'..=b'z' | b'0'..=b'9' | b'-' => {}
                b'A'..=b'Z' => upper = true,
                _ => {
                    return Err(Error::LabelCodePoint {
                        code_point: char::from(c),
                        offset: start + i,
                        property: DerivedProperty::Disallowed,
                    });
                }
            }
        }
        if b.first() == Some(&b'-') || b.last() == Some(&b'-') {
            return Err(Error::LabelHyphen { offset: start });
        }
        if b.get(2..4) == Some(b"--") {
            if !b.get(..2).is_some_and(|p| p.eq_ignore_ascii_case(b"xn")) {
                return Err(Error::LabelReservedHyphens { offset: start });
            }
            alabel = true;
        }
        start += b.len() + 1;
    }
    if alabel {
        let mut lower = String::from(s);
        lower.make_ascii_lowercase();
        return labels(Cow::Owned(lower));
    }
    if upper {
        let mut lower = String::from(s);
        lower.make_ascii_lowercase();
        return Ok(Cow::Owned(lower));
    }
    Ok(Cow::Borrowed(s))
}

/// The mappings of RFC 7622 §3.2.2 (via RFC 5895 §2): width mapping, lower
/// case, NFC. A code point unassigned in the tables' Unicode version is
/// refused before mapping, as xmpp-precis does, so that newer normalization
/// data cannot map it into a valid label.
fn map(s: &str) -> Result<Cow<'_, str>, Error> {
    let mut changed = false;
    for (offset, c) in s.char_indices() {
        if c.is_ascii() {
            changed |= c.is_ascii_uppercase();
            continue;
        }
        if idna2008_property(c) == DerivedProperty::Unassigned {
            return Err(Error::LabelCodePoint {
                code_point: c,
                offset,
                property: DerivedProperty::Unassigned,
            });
        }
        changed |= width_mapping(c).is_some() || lowercase_mapping(c).is_some();
    }
    let mapped: Cow<'_, str> = if changed {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            let c = width_mapping(c).unwrap_or(c);
            match lowercase_mapping(c) {
                Some(lower) => out.push_str(lower),
                None => out.push(c),
            }
        }
        Cow::Owned(out)
    } else {
        Cow::Borrowed(s)
    };
    if is_nfc_quick(mapped.chars()) == IsNormalized::Yes {
        return Ok(mapped);
    }
    let nfc: String = mapped.nfc().collect();
    if nfc == mapped {
        Ok(mapped)
    } else {
        Ok(Cow::Owned(nfc))
    }
}

/// Checks every label of a mapped domainpart, converting A-labels to
/// U-labels; then, for a Bidi domain name, the Bidi Rule on every label.
fn labels(domain: Cow<'_, str>) -> Result<Cow<'_, str>, Error> {
    let has_alabel = domain
        .split('.')
        .any(|l| l.len() >= 4 && l.as_bytes().get(..4) == Some(b"xn--"));
    let out = if has_alabel {
        let mut out = String::with_capacity(domain.len());
        for label in domain.split('.') {
            if !out.is_empty() {
                out.push('.');
            }
            let offset = out.len();
            if label.as_bytes().get(..4) == Some(b"xn--") {
                let ulabel = a_to_u(label, offset)?;
                check_label(&ulabel, offset)?;
                out.push_str(&ulabel);
            } else {
                check_label(label, offset)?;
                out.push_str(label);
            }
        }
        Cow::Owned(out)
    } else {
        let mut offset = 0;
        for label in domain.split('.') {
            check_label(label, offset)?;
            offset += label.len() + 1;
        }
        domain
    };
    if !out.is_ascii() && has_rtl(&out) {
        let mut offset = 0;
        for label in out.split('.') {
            bidi_rule(label).map_err(|violation| Error::LabelBidi { offset, violation })?;
            offset += label.len() + 1;
        }
    }
    Ok(out)
}

/// RFC 5891 §5.3: decodes an A-label (lower case, `xn--` prefix) and checks
/// that it is the canonical encoding of a non-ASCII NFC string.
fn a_to_u(label: &str, offset: usize) -> Result<String, Error> {
    let invalid = Error::InvalidALabel { offset };
    if label.len() > MAX_LABEL {
        return Err(Error::LabelTooLong {
            offset,
            len: label.len(),
        });
    }
    let encoded = label.get(4..).unwrap_or("");
    let ulabel = punycode::decode(encoded).ok_or_else(|| invalid.clone())?;
    if ulabel.is_ascii() || !is_nfc(&ulabel) {
        return Err(invalid);
    }
    let mut buf = [0u8; punycode::MAX_ENCODED];
    let len = punycode::encode(&ulabel, &mut buf).ok_or_else(|| invalid.clone())?;
    if buf.get(..len) != Some(encoded.as_bytes()) {
        return Err(invalid);
    }
    // The U-label must already be in mapped form, or enforcement would not
    // be idempotent: Cherokee capitals are PVALID (stable under case
    // folding, which maps to them) but toLowerCase maps them to the small
    // letters, which are DISALLOWED; typed as a U-label such a label is
    // refused, so it is refused as an A-label too.
    if matches!(map(&ulabel), Ok(Cow::Owned(_))) {
        return Err(invalid);
    }
    Ok(ulabel)
}

/// The label rules of RFC 5891 §5.4 (via §4.2.2 and §4.2.3) on one NR-LDH
/// label or U-label, except the Bidi Rule, which needs the whole name.
fn check_label(label: &str, offset: usize) -> Result<(), Error> {
    let Some(first) = label.chars().next() else {
        return Err(Error::EmptyLabel { offset });
    };
    if label.starts_with('-') || label.ends_with('-') {
        return Err(Error::LabelHyphen { offset });
    }
    let mut chars = label.chars();
    if chars.nth(2) == Some('-') && chars.next() == Some('-') {
        return Err(Error::LabelReservedHyphens { offset });
    }
    if is_combining_mark(first) {
        return Err(Error::LabelCombiningMark {
            code_point: first,
            offset,
        });
    }
    let mut context: Option<ContextChecker<'_>> = None;
    for (i, c) in label.char_indices() {
        match idna2008_property(c) {
            DerivedProperty::Pvalid => {}
            DerivedProperty::ContextJ | DerivedProperty::ContextO => {
                context
                    .get_or_insert_with(|| ContextChecker::new(label))
                    .check(c, i)
                    .map_err(|rule| Error::LabelContext {
                        rule,
                        code_point: c,
                        offset: offset + i,
                    })?;
            }
            property => {
                return Err(Error::LabelCodePoint {
                    code_point: c,
                    offset: offset + i,
                    property,
                });
            }
        }
    }
    if label.is_ascii() {
        if label.len() > MAX_LABEL {
            return Err(Error::LabelTooLong {
                offset,
                len: label.len(),
            });
        }
    } else {
        let mut buf = [0u8; punycode::MAX_ENCODED];
        if punycode::encode(label, &mut buf).is_none() {
            return Err(Error::LabelTooLong {
                offset,
                len: alabel_len_at_least(label),
            });
        }
    }
    Ok(())
}

/// A lower bound of the A-label length of a label too long to encode: the
/// prefix, the basic code points and their delimiter, one digit for each
/// other code point.
fn alabel_len_at_least(label: &str) -> usize {
    let basic = label.bytes().filter(u8::is_ascii).count();
    let other = label.chars().filter(|c| !c.is_ascii()).count();
    (4 + basic + usize::from(basic > 0) + other).max(MAX_LABEL + 1)
}

#[cfg(test)]
mod tests;
