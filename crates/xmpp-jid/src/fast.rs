//! The fast path of JID parsing: one table lookup per byte, no allocation
//! but the JID's own string, no Unicode table.
//!
//! On ASCII, RFC 7622 enforcement reduces to byte classes: the localpart
//! (UsernameCaseMapped, RFC 7622 §3.3) is `!` to `~` less `" & ' / : < > @`,
//! lower-cased; the resourcepart (OpaqueString, §3.4) is space to `~`; a
//! domainpart (§3.2) that is not an IP literal is LDH labels, lower-cased.
//!
//! A few common alphabets are as simple: the letters of Latin-1, the basic
//! Cyrillic block, Hiragana, Katakana (without the middle dot) and the CJK
//! Unified Ideographs are PVALID in PRECIS IdentifierClass and in IDNA2008,
//! left-to-right, free of contextual rules, width mappings and combining
//! behaviour, and their lower case is one code point at a fixed distance
//! ([`simple`]). Strings of those and ASCII need no table either, only the
//! Punycode length of non-ASCII labels.
//!
//! Anything else (other code points, an IPv6 literal, an A-label, any
//! error) returns `None` and the general path decides, so both paths give
//! the same results and the same errors. The unit tests compare them, code
//! point by code point for [`simple`].

use compact_str::CompactString;
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
/// A byte of a non-ASCII code point, which [`simple`] must vouch for.
const NON_ASCII: u8 = 16;
/// A dot, or an LDH byte (set with [`LDH`], for a branch-free first pass).
const LDH_OR_DOT: u8 = 32;

/// The enforced form of a code point of the simple alphabets (see the
/// module docs), or `None` for any other non-ASCII code point.
#[inline]
pub(crate) fn simple(c: char) -> Option<char> {
    let shifted = |by: u32| char::from_u32(c as u32 + by);
    match c {
        '\u{C0}'..='\u{DE}' if c != '\u{D7}' => shifted(0x20),
        '\u{DF}'..='\u{FF}' if c != '\u{F7}' => Some(c),
        '\u{400}'..='\u{40F}' => shifted(0x50),
        '\u{410}'..='\u{42F}' => shifted(0x20),
        '\u{430}'..='\u{45F}'
        | '\u{3041}'..='\u{3096}'
        | '\u{30A1}'..='\u{30FA}'
        | '\u{4E00}'..='\u{9FFF}' => Some(c),
        _ => None,
    }
}

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
            c |= LDH | LDH_OR_DOT;
        }
        if b == b'.' {
            c |= LDH_OR_DOT;
        }
        if b.is_ascii_uppercase() {
            c |= UPPER;
        }
        t[b as usize] = c;
        b += 1;
    }
    let mut b = 0x80;
    while b <= 0xFF {
        t[b] = LOCAL | RESOURCE | LDH | LDH_OR_DOT | NON_ASCII;
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

/// What a scan of a valid part found.
#[derive(Clone, Copy, Default)]
struct Scan {
    /// Some code point must be lower-cased.
    upper: bool,
    /// Some code point is not ASCII.
    non_ascii: bool,
}

/// Checks the non-ASCII code points of a part against [`simple`].
#[inline(never)]
fn non_ascii(s: &str) -> Option<bool> {
    let mut upper = false;
    for c in s.chars().filter(|c| !c.is_ascii()) {
        upper |= simple(c)? != c;
    }
    Some(upper)
}

/// The AND and the OR of the classes of `bytes`.
#[inline(always)]
fn fold(bytes: &[u8]) -> (u8, u8) {
    let mut all = 0xFF;
    let mut any = 0;
    for &b in bytes {
        let c = class(b);
        all &= c;
        any |= c;
    }
    (all, any)
}

/// Checks a part whose byte classes are known against one class.
#[inline(always)]
fn checked(s: &str, (all, any): (u8, u8), allowed: u8) -> Option<Scan> {
    if s.is_empty() || s.len() > 1023 || all & allowed == 0 {
        return None;
    }
    let mut scan = Scan {
        upper: any & UPPER != 0,
        non_ascii: any & NON_ASCII != 0,
    };
    if scan.non_ascii {
        scan.upper |= non_ascii(s)?;
    }
    Some(scan)
}

/// Checks a domainpart of LDH labels and labels of the simple alphabets
/// (without its trailing dot). A-labels, IP literals and errors give `None`.
#[inline(always)]
fn domain(s: &str, (all, any): (u8, u8)) -> Option<Scan> {
    let bytes = s.as_bytes();
    if bytes.is_empty() || bytes.len() > 1023 {
        return None;
    }
    // Pass 1 (the caller's): every byte is a letter, digit, hyphen, dot or
    // part of a non-ASCII code point.
    if all & LDH_OR_DOT == 0 {
        return None;
    }
    // Pass 2, per label: length and hyphen rules (RFC 5891 §4.2.3.1).
    for label in bytes.split(|&b| b == b'.') {
        let (Some(&first), Some(&last)) = (label.first(), label.last()) else {
            return None;
        };
        // Hyphens in the third and fourth positions: an A-label or a
        // reserved label; either way the general path decides.
        if first == b'-' || last == b'-' || label.get(2..4) == Some(b"--".as_slice()) {
            return None;
        }
        if label.len() > 63 && any & NON_ASCII == 0 {
            return None;
        }
    }
    let mut scan = Scan {
        upper: any & UPPER != 0,
        non_ascii: any & NON_ASCII != 0,
    };
    if scan.non_ascii {
        scan.upper |= non_ascii(s)?;
        // Byte positions are not code point positions in a label with
        // non-ASCII code points: check "--" at code points 3 and 4 again.
        for label in s.split('.') {
            let mut chars = label.chars().skip(2);
            if chars.next() == Some('-') && chars.next() == Some('-') {
                return None;
            }
        }
    }
    Some(scan)
}

/// An upper bound of the A-label length of a label with `basic` ASCII code
/// points and `other` non-ASCII ones: `xn--`, the basic code points and
/// their `-`, and one RFC 3492 delta per non-ASCII code point. A delta is
/// below 2^31 and each of its base-36 digits (threshold at most 26) carries
/// a factor of at least 10, so it takes at most 10 digits.
fn alabel_bound(basic: usize, other: usize) -> usize {
    4 + basic + 1 + 10 * other
}

/// Whether every label of an enforced domainpart fits in 63 octets, as an
/// A-label for the non-ASCII ones (RFC 5890 §2.3.2.1). Short labels are
/// decided by [`alabel_bound`] without encoding them.
#[inline(never)]
fn alabels_fit(domain: &str) -> bool {
    domain.split('.').all(|label| {
        if label.is_ascii() {
            return label.len() <= 63;
        }
        let other = label.chars().filter(|c| !c.is_ascii()).count();
        let basic = label.chars().count() - other;
        if alabel_bound(basic, other) <= 63 {
            return true;
        }
        let mut buf = [0u8; crate::punycode::MAX_ENCODED];
        crate::punycode::encode(label, &mut buf).is_some()
    })
}

fn pos(p: usize) -> Option<NonZeroU16> {
    u16::try_from(p).ok().and_then(NonZeroU16::new)
}

/// Parses a JID whose domainpart is a host name and whose parts are ASCII
/// or of the simple alphabets, or gives up.
#[inline]
pub(crate) fn parse(s: &str) -> Option<Jid> {
    let bytes = s.as_bytes();
    // One pass up to the first `@` or `/` (RFC 7622 §3.1), gathering byte
    // classes on the way: that segment is the localpart or the domainpart.
    let (mut all, mut any) = (0xFF, 0);
    let mut first = (bytes.len(), 0u8);
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'@' || b == b'/' {
            first = (i, b);
            break;
        }
        let c = class(b);
        all &= c;
        any |= c;
    }
    let (at, local_scan, domain_start, domain_classes, domain_end) = if first.1 == b'@' {
        let local = checked(s.get(..first.0)?, (all, any), LOCAL)?;
        // Then up to the first `/`: the domainpart.
        let start = first.0 + 1;
        let (mut all, mut any) = (0xFF, 0);
        let mut end = bytes.len();
        for (i, &b) in bytes.get(start..)?.iter().enumerate() {
            if b == b'/' {
                end = start + i;
                break;
            }
            let c = class(b);
            all &= c;
            any |= c;
        }
        (Some(first.0), local, start, (all, any), end)
    } else {
        (None, Scan::default(), 0, (all, any), first.0)
    };
    let slash = (domain_end < bytes.len()).then_some(domain_end);
    let domain_str = s.get(domain_start..domain_end)?;
    let (domain_str, dot) = match domain_str.strip_suffix('.') {
        Some(rest) => (rest, true),
        None => (domain_str, false),
    };
    let domain_scan = domain(domain_str, domain_classes)?;
    let resource = match slash {
        Some(p) => {
            let r = s.get(p + 1..)?;
            checked(r, fold(r.as_bytes()), RESOURCE)?;
            Some(r)
        }
        None => None,
    };
    if !local_scan.upper && !domain_scan.upper && !dot {
        // Already enforced: the JID is the input.
        if domain_scan.non_ascii && !alabels_fit(domain_str) {
            return None;
        }
        return Some(Jid::from_raw(
            CompactString::from(s),
            at.and_then(pos),
            slash.and_then(pos),
        ));
    }
    // Map: lower-case the localpart and domainpart, drop the dot. The
    // resourcepart keeps its case. Lower-casing keeps every length.
    // The localpart and its `@`: lower-casing keeps every length.
    let local_len = at.map_or(0, |a| a + 1);
    let len = local_len + domain_str.len() + resource.map_or(0, |r| r.len() + 1);
    let mut out = CompactString::with_capacity(len);
    let head = s.get(..local_len + domain_str.len())?;
    if local_scan.non_ascii || domain_scan.non_ascii {
        // Copy runs of code points that stay, push the ones that map.
        let mut run = 0;
        for (i, c) in head.char_indices() {
            let lower = if c.is_ascii() {
                c.to_ascii_lowercase()
            } else {
                simple(c)?
            };
            if lower != c {
                out.push_str(head.get(run..i)?);
                out.push(lower);
                run = i + c.len_utf8();
            }
        }
        out.push_str(head.get(run..)?);
    } else {
        out.push_str(head);
        out.as_mut_str().make_ascii_lowercase();
    }
    if domain_scan.non_ascii && !alabels_fit(out.get(local_len..)?) {
        return None;
    }
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

    #[test]
    fn alabel_bound_is_an_upper_bound() {
        // Labels of every mix of basic and non-ASCII code points, with the
        // largest deltas the simple alphabets allow and code points far
        // apart: the bound never undercuts the real encoding.
        let others = [
            '\u{E9}',
            '\u{44F}',
            '\u{30A2}',
            '\u{9FFF}',
            '\u{10FFFD}',
            '\u{80}',
        ];
        for other in 1..=6usize {
            for basic in 0..=40usize {
                for pick in 0..others.len() {
                    let mut label: alloc::string::String = "a".repeat(basic);
                    for k in 0..other {
                        label.push(others[(pick + k * 5) % others.len()]);
                    }
                    let mut buf = [0u8; crate::punycode::MAX_ENCODED];
                    if let Some(n) = crate::punycode::encode(&label, &mut buf) {
                        assert!(4 + n <= alabel_bound(basic, other), "{label:?}");
                    }
                }
            }
        }
    }

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
        agree(&alloc::format!("{}.com", "\u{E9}a".repeat(30)));
        agree(&alloc::format!("{}.com", "\u{E9}".repeat(40)));
        agree("\u{E9}--a.com");
        agree("a\u{E9}--.com");
        agree("ab--\u{E9}.com");
        agree("\u{E9}\u{E9}--x.com");
        agree("\u{C9}@\u{C9}.com/\u{C9}");
        agree("\u{D7}@x.com");
        agree("a@\u{30FB}.jp");
        // An ASCII label too long beside a non-ASCII one (a fuzz finding).
        agree(&alloc::format!("a.b\u{FC}.{}", "w".repeat(64)));
        assert!(parse(&alloc::format!("a.b\u{FC}.{}", "w".repeat(64))).is_none());
    }

    #[test]
    fn simple_alphabets_agree_with_precis_and_idna2008() {
        use xmpp_precis::{OpaqueString, Profile, UsernameCaseMapped};
        let mut n = 0;
        for c in (0x80..0x3_0000).filter_map(char::from_u32) {
            let Some(lower) = simple(c) else { continue };
            n += 1;
            let s = alloc::format!("{c}");
            let want = alloc::format!("{lower}");
            assert_eq!(
                UsernameCaseMapped.enforce(&s).unwrap(),
                want,
                "U+{:04X}",
                c as u32
            );
            assert_eq!(OpaqueString.enforce(&s).unwrap(), s, "U+{:04X}", c as u32);
            assert_eq!(
                crate::domain::enforce(&s).unwrap(),
                want,
                "U+{:04X}",
                c as u32
            );
            // And in context, where NFC or a contextual rule could bite.
            agree(&alloc::format!("a{c}b@x{c}-y.example/{c}z"));
        }
        assert_eq!(n, 62 + 96 + 86 + 90 + 20992);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// The fast path never accepts what the general path refuses, nor
        /// gives another form.
        #[test]
        fn never_disagrees(
            parts in proptest::collection::vec(
                proptest::sample::select(alloc::vec![
                    "a", "Z", "0", "-", ".", "@", "/", " ", "\u{FC}", "\u{DC}", "\u{436}",
                    "\u{416}", "\u{674E}", "\u{30A2}", "--", "xn--", "www", "\u{D7}", "_",
                ]),
                0..40,
            ),
            long in 0usize..70,
        ) {
            let mut s: alloc::string::String = parts.concat();
            s.push_str(&"w".repeat(long));
            if s.len() % 2 == 0 {
                s.push_str(".\u{FC}");
            }
            agree(&s);
        }
    }

    #[test]
    fn answers_the_common_cases() {
        for s in [
            "user@example.com",
            "Juliet@Example.COM/Balcony",
            "example.com.",
            "a@b./c",
            "conference.example.org/Nick Name",
            "J\u{FC}rgen@B\u{FC}cher.example/K\u{FC}che",
            "\u{41C}\u{430}\u{448}\u{430}@\u{43F}\u{440}\u{438}\u{43C}\u{435}\u{440}.\u{440}\u{444}",
            "\u{674E}\u{96F7}@example.cn/\u{624B}\u{673A}",
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
