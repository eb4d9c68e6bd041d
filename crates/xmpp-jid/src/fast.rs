//! The all-ASCII fast path of JID parsing: one table lookup per byte, no
//! allocation but the JID's own string, no Unicode table.
//!
//! On ASCII, RFC 7622 enforcement reduces to byte classes: the localpart
//! (UsernameCaseMapped, RFC 7622 §3.3) is `!` to `~` less `" & ' / : < > @`,
//! lower-cased; the resourcepart (OpaqueString, §3.4) is space to `~`; a
//! domainpart (§3.2) that is not an IP literal is LDH labels, lower-cased.
//! Anything else (non-ASCII bytes, an IPv6 literal, an A-label, any error)
//! returns `None` and the general path decides, so both paths give the
//! same results and the same errors. The unit tests compare them.

use alloc::string::String;
use core::num::NonZeroU16;

use crate::jid::Jid;

/// Allowed in an ASCII localpart.
const LOCAL: u8 = 1;
/// Allowed in an ASCII resourcepart.
const RESOURCE: u8 = 2;
/// A letter, digit or hyphen (RFC 5890 §2.3.1 LDH).
const LDH: u8 = 4;
/// An upper-case letter, which enforcement maps.
const UPPER: u8 = 8;

#[allow(
    clippy::indexing_slicing,
    reason = "b < 0x7F indexes a 256-entry table, evaluated at compile time"
)]
const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0x20;
    while b < 0x7F {
        let mut c = RESOURCE;
        if b != b' ' && !matches!(b, b'"' | b'&' | b'\'' | b'/' | b':' | b'<' | b'>' | b'@') {
            c |= LOCAL;
        }
        if b.is_ascii_alphanumeric() || b == b'-' {
            c |= LDH;
        }
        if b.is_ascii_uppercase() {
            c |= UPPER;
        }
        t[b as usize] = c;
        b += 1;
    }
    t
}

static CLASS: [u8; 256] = classes();

#[inline(always)]
fn class(b: u8) -> u8 {
    // A u8 always indexes a 256-entry table.
    CLASS.get(usize::from(b)).copied().unwrap_or(0)
}

/// Checks a part against one class; returns whether it has upper case.
#[inline(always)]
fn part(bytes: &[u8], allowed: u8) -> Option<bool> {
    if bytes.is_empty() || bytes.len() > 1023 {
        return None;
    }
    let mut all = allowed;
    let mut any = 0;
    for &b in bytes {
        let c = class(b);
        all &= c;
        any |= c;
    }
    (all != 0).then_some(any & UPPER != 0)
}

/// Checks an LDH domainpart (without its trailing dot); returns whether it
/// has upper case. A-labels, IP literals and errors give `None`.
#[inline(always)]
fn domain(bytes: &[u8]) -> Option<bool> {
    if bytes.is_empty() || bytes.len() > 1023 {
        return None;
    }
    let mut upper = false;
    let mut start = 0usize;
    let mut prev = b'.';
    // The first two bytes of the current label, and whether its third is a
    // hyphen, for the RFC 5891 §4.2.3.1 "--" rule.
    let mut third_hyphen = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'.' {
            let len = i - start;
            if len == 0 || len > 63 || prev == b'-' {
                return None;
            }
            start = i + 1;
            prev = b;
            continue;
        }
        let c = class(b);
        if c & LDH == 0 {
            return None;
        }
        upper |= c & UPPER != 0;
        match i - start {
            0 if b == b'-' => return None,
            2 => third_hyphen = b == b'-',
            // Hyphens in the third and fourth positions: an A-label or a
            // reserved label; either way the general path decides.
            3 if third_hyphen && b == b'-' => return None,
            _ => {}
        }
        prev = b;
    }
    let len = bytes.len() - start;
    if len == 0 || len > 63 || prev == b'-' {
        return None;
    }
    Some(upper)
}

fn pos(p: usize) -> Option<NonZeroU16> {
    u16::try_from(p).ok().and_then(NonZeroU16::new)
}

/// Parses an all-ASCII JID whose domainpart is a host name, or gives up.
#[inline]
pub(crate) fn parse(s: &str) -> Option<Jid> {
    let bytes = s.as_bytes();
    let slash = bytes.iter().position(|&b| b == b'/');
    let bare = bytes.get(..slash.unwrap_or(bytes.len()))?;
    let at = bare.iter().position(|&b| b == b'@');
    let (local, domain_bytes) = match at {
        Some(a) => (Some(bare.get(..a)?), bare.get(a + 1..)?),
        None => (None, bare),
    };
    let local_upper = match local {
        Some(l) => part(l, LOCAL)?,
        None => false,
    };
    let (domain_bytes, dot) = match domain_bytes.split_last() {
        Some((b'.', rest)) => (rest, true),
        _ => (domain_bytes, false),
    };
    let domain_upper = domain(domain_bytes)?;
    let resource = match slash {
        Some(p) => {
            let r = bytes.get(p + 1..)?;
            part(r, RESOURCE)?;
            Some(r)
        }
        None => None,
    };
    if !local_upper && !domain_upper && !dot {
        // Already enforced: the JID is the input.
        return Some(Jid::from_raw(
            String::from(s),
            at.and_then(pos),
            slash.and_then(pos),
        ));
    }
    // Map: lower-case the localpart and domainpart, drop the dot. The
    // resourcepart keeps its case.
    let domain_len = domain_bytes.len();
    let local_len = local.map_or(0, |l| l.len() + 1);
    let len = local_len + domain_len + resource.map_or(0, |r| r.len() + 1);
    let mut out = String::with_capacity(len);
    out.push_str(s.get(..local_len + domain_len)?);
    out.make_ascii_lowercase();
    let slash_out = match resource {
        Some(_) => {
            let p = out.len();
            out.push_str(s.get(slash?..)?);
            pos(p)
        }
        None => None,
    };
    Some(Jid::from_raw(out, at.and_then(pos), slash_out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jid::Parsed;

    /// The fast path, when it answers, agrees with the general path.
    fn agree(s: &str) {
        let general = Parsed::new(s).map(|p| p.build());
        match parse(s) {
            Some(fast) => {
                let general = general.unwrap_or_else(|e| panic!("{s:?}: fast ok, general {e}"));
                assert_eq!(fast.as_str(), general.as_str(), "{s:?}");
                assert_eq!(fast.localpart(), general.localpart(), "{s:?}");
                assert_eq!(fast.domainpart(), general.domainpart(), "{s:?}");
                assert_eq!(fast.resourcepart(), general.resourcepart(), "{s:?}");
            }
            None => {
                // Giving up is always allowed; it must not be the common case.
            }
        }
    }

    #[test]
    fn agrees_with_the_general_path() {
        let parts = [
            "",
            "a",
            "A",
            "-",
            "a-",
            "-a",
            "ab--c",
            "xn--a",
            "a.b",
            "a..b",
            ".a",
            "a.",
            "A.B.",
            "@",
            "/",
            "a b",
            "a\"b",
            "a'b",
            "[::1]",
            "1.2.3.4",
            "~!#$%^*()_+=`{}|?;,",
            "ExAmPlE",
            "a_b",
        ];
        for l in parts {
            for d in parts {
                for r in parts {
                    agree(&alloc::format!("{l}@{d}/{r}"));
                    agree(&alloc::format!("{d}/{r}"));
                    agree(&alloc::format!("{l}@{d}"));
                }
                agree(d);
            }
        }
        for b in 0u8..0x80 {
            let c = char::from(b);
            agree(&alloc::format!("a{c}b@example.com/x{c}y"));
            agree(&alloc::format!("a@ex{c}ample.com"));
        }
        agree(&alloc::format!("{}@example.com", "a".repeat(1023)));
        agree(&alloc::format!("{}@example.com", "a".repeat(1024)));
        agree(&alloc::format!("{}.com", "a".repeat(63)));
        agree(&alloc::format!("{}.com", "a".repeat(64)));
    }

    #[test]
    fn answers_the_common_cases() {
        for s in [
            "user@example.com",
            "Juliet@Example.COM/Balcony",
            "example.com.",
            "a@b./c",
            "conference.example.org/Nick Name",
        ] {
            assert!(parse(s).is_some(), "{s}");
            agree(s);
        }
        assert_eq!(
            parse("Juliet@Example.COM/Balcony").unwrap().as_str(),
            "juliet@example.com/Balcony"
        );
        assert_eq!(parse("A@B./C").unwrap().as_str(), "a@b/C");
    }
}
