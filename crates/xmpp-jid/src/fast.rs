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

use core::num::NonZeroU16;

use crate::jid::Jid;
use crate::repr::Repr;

/// Not allowed in an ASCII localpart (RFC 7622 §3.3): controls, space,
/// DEL and `" & ' / : < > @`.
const NOT_LOCAL: u8 = 1;
/// Not allowed in an ASCII resourcepart (§3.4): controls and DEL.
const NOT_RESOURCE: u8 = 2;
/// Not a letter, digit, hyphen (RFC 5890 §2.3.1 LDH) or dot, nor a byte of
/// a non-ASCII code point.
const NOT_HOST: u8 = 4;
/// An upper-case letter, which enforcement maps.
const UPPER: u8 = 8;
/// A byte of a non-ASCII code point, which [`simple`] must vouch for.
const NON_ASCII: u8 = 16;
/// A dot or a hyphen. Two in a row in a domainpart, or one at either end,
/// make an empty label, a label that starts or ends with a hyphen, or a
/// `--` (perhaps an A-label or a reserved label): the fast path leaves all
/// of those to the general path.
const PUNCT: u8 = 32;
/// Not a lower-case letter, digit, dot, hyphen, `@` or `/`: a JID of only
/// those needs no mapping and no check per part ([`plain`]).
const NOT_PLAIN: u8 = 64;

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
    reason = "b < 0x100 indexes a 256-entry table, evaluated at compile time"
)]
const fn classes() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x80 {
        let b = i as u8;
        let mut c = 0;
        if b < 0x20 || b == 0x7F {
            c |= NOT_RESOURCE;
        }
        if b <= b' '
            || b == 0x7F
            || matches!(b, b'"' | b'&' | b'\'' | b'/' | b':' | b'<' | b'>' | b'@')
        {
            c |= NOT_LOCAL;
        }
        if !(b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
            c |= NOT_HOST;
        }
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.' | b'@' | b'/'))
        {
            c |= NOT_PLAIN;
        }
        if b == b'-' || b == b'.' {
            c |= PUNCT;
        }
        if b.is_ascii_uppercase() {
            c |= UPPER;
        }
        t[i] = c;
        i += 1;
    }
    while i < 0x100 {
        t[i] = NON_ASCII | NOT_PLAIN;
        i += 1;
    }
    t
}

static CLASS: [u8; 256] = classes();

#[inline(always)]
fn class(b: u8) -> u8 {
    // A u8 always indexes a 256-entry table.
    CLASS
        .get(usize::from(b))
        .copied()
        .unwrap_or(NOT_LOCAL | NOT_RESOURCE | NOT_HOST)
}

/// The OR of the classes of `bytes`, eight at a time.
#[inline(always)]
fn fold(bytes: &[u8]) -> u8 {
    let mut chunks = bytes.chunks_exact(8);
    let mut any = 0;
    for chunk in &mut chunks {
        for &b in chunk {
            any |= class(b);
        }
    }
    for &b in chunks.remainder() {
        any |= class(b);
    }
    any
}

/// The OR of the classes of `bytes`, and the OR of the ANDs of the classes
/// of neighbouring bytes (for [`PUNCT`] pairs).
#[inline(always)]
fn fold_pairs(bytes: &[u8]) -> (u8, u8) {
    let mut any = 0;
    let mut pairs = 0;
    let mut prev = 0;
    for &b in bytes {
        let c = class(b);
        any |= c;
        pairs |= prev & c;
        prev = c;
    }
    (any, pairs)
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `w` that is `a` or `b`. The lowest bit set
/// is exact; bits above it may be false positives (a borrow), so only the
/// lowest is used.
#[inline(always)]
fn matches2(w: u64, a: u8, b: u8) -> u64 {
    let x = w ^ (LO * u64::from(a));
    let y = w ^ (LO * u64::from(b));
    (x.wrapping_sub(LO) & !x | y.wrapping_sub(LO) & !y) & HI
}

/// The position of the first `a` or `b` in `bytes`, eight bytes at a time.
#[inline(always)]
fn find2(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let m = matches2(u64::from_le_bytes(w), a, b);
        if m != 0 {
            return Some(base + (m.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    let rest = chunks.remainder();
    if rest.is_empty() {
        return None;
    }
    if let Some(last) = bytes.last_chunk::<8>() {
        // The last eight bytes, of which the first `8 - rest.len()` were
        // seen (and matched nothing, so they set no bit, not even a false
        // positive): shift them out.
        let m = matches2(u64::from_le_bytes(*last), a, b) >> (8 * (8 - rest.len()));
        return (m != 0).then(|| base + (m.trailing_zeros() / 8) as usize);
    }
    rest.iter()
        .position(|&c| c == a || c == b)
        .map(|p| base + p)
}

/// [`simple`] on UTF-8: for the lead byte `b` of a non-ASCII code point
/// and the bytes after it (which it consumes), whether the code point maps
/// (`Some(true)`), stays (`Some(false)`) or is not of the simple alphabets
/// (`None`). The unit tests compare it with [`simple`] code point by code
/// point.
#[inline(always)]
fn simple_utf8(b: u8, rest: &mut core::slice::Iter<'_, u8>) -> Option<bool> {
    match b {
        // U+00C0 to U+00FF, less U+00D7 and U+00F7; U+00C0 to U+00DE map.
        0xC3 => {
            let b2 = *rest.next()?;
            (b2 != 0x97 && b2 != 0xB7).then_some(b2 < 0x9F)
        }
        // U+0400 to U+043F; U+0400 to U+042F map.
        0xD0 => Some(*rest.next()? < 0xB0),
        // U+0440 to U+045F.
        0xD1 => (*rest.next()? < 0xA0).then_some(false),
        // Hiragana U+3041 to U+3096, Katakana U+30A1 to U+30FA.
        0xE3 => {
            let (b2, b3) = (*rest.next()?, *rest.next()?);
            let pvalid = match b2 {
                0x81 => b3 >= 0x81,
                0x82 => b3 <= 0x96 || b3 >= 0xA1,
                0x83 => b3 <= 0xBA,
                _ => false,
            };
            pvalid.then_some(false)
        }
        // U+4E00 to U+4FFF.
        0xE4 => {
            let b2 = *rest.next()?;
            rest.next()?;
            (b2 >= 0xB8).then_some(false)
        }
        // U+5000 to U+9FFF.
        0xE5..=0xE9 => {
            rest.next()?;
            rest.next()?;
            Some(false)
        }
        _ => None,
    }
}

/// Checks the non-ASCII code points of a part against [`simple`]: whether
/// one maps, and how many there are; or `None` if one is not of the simple
/// alphabets.
#[inline(never)]
fn non_ascii(bytes: &[u8]) -> Option<(bool, usize)> {
    let mut upper = false;
    let mut n = 0;
    let mut it = bytes.iter();
    while let Some(&b) = it.next() {
        if b >= 0x80 {
            upper |= simple_utf8(b, &mut it)?;
            n += 1;
        }
    }
    Some((upper, n))
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

/// Checks a localpart or resourcepart: `Some(true)` if a non-ASCII code
/// point maps, `None` if the fast path cannot vouch for it.
#[inline(always)]
fn part(bytes: &[u8], any: u8, not_allowed: u8) -> Option<bool> {
    if bytes.is_empty() || bytes.len() > 1023 || any & not_allowed != 0 {
        return None;
    }
    if any & NON_ASCII != 0 {
        return non_ascii(bytes).map(|(upper, _)| upper);
    }
    Some(false)
}

/// What [`scan`] found a JID to need.
#[derive(Clone, Copy)]
pub(crate) enum Plan {
    /// The JID is its own enforced form.
    Verbatim {
        /// The position of the `@`.
        at: Option<NonZeroU16>,
        /// The position of the `/`.
        slash: Option<NonZeroU16>,
    },
    /// Lower-casing ASCII letters before `end` (the localpart and the
    /// domainpart) enforces it: no length or position changes.
    Lower {
        /// The end of the domainpart.
        end: usize,
        /// The position of the `@`.
        at: Option<NonZeroU16>,
        /// The position of the `/`.
        slash: Option<NonZeroU16>,
    },
    /// Its enforced form drops the trailing dot, maps non-ASCII code
    /// points of the simple alphabets or needs its A-labels encoded: see
    /// [`mapped`].
    Mapped {
        /// The position of the `@`.
        at: Option<usize>,
        /// Where the domainpart starts.
        domain_start: usize,
        /// Where it ends, without its trailing dot.
        domain_end: usize,
        /// The position of the `/`.
        slash: Option<usize>,
    },
}

/// Checks a JID whose domainpart is a host name and whose parts are ASCII
/// or of the simple alphabets, and says how to build its enforced form; or
/// gives up. Nothing is allocated: the caller builds the common case
/// ([`Plan::Verbatim`]) inline and the others with [`build`].
#[inline(always)]
pub(crate) fn scan(s: &str) -> Option<Plan> {
    let bytes = s.as_bytes();
    if bytes.len() <= 24 {
        if let Some(plan) = plain(bytes) {
            return Some(plan);
        }
    }
    // RFC 7622 §3.1: the resourcepart follows the first `/`, the localpart
    // precedes the first `@` before it.
    let (at, slash) = match find2(bytes, b'@', b'/') {
        Some(i) if bytes.get(i) == Some(&b'@') => {
            let after = bytes.get(i + 1..)?;
            (Some(i), find2(after, b'/', b'/').map(|j| i + 1 + j))
        }
        other => (None, other),
    };
    let domain_start = at.map_or(0, |a| a + 1);
    let domain_end = slash.unwrap_or(bytes.len());
    let mut map_non_ascii = false;
    let mut cased = 0;
    if let Some(a) = at {
        let local = bytes.get(..a)?;
        let any = fold(local);
        map_non_ascii |= part(local, any, NOT_LOCAL)?;
        cased |= any;
    }
    let domain = bytes.get(domain_start..domain_end)?;
    let (domain, dot) = match domain.strip_suffix(b".") {
        Some(rest) => (rest, true),
        None => (domain, false),
    };
    let (first, last) = (domain.first()?, domain.last()?);
    let (any, pairs) = fold_pairs(domain);
    let edges = class(*first) | class(*last) | pairs;
    if domain.len() > 1023 || any & NOT_HOST != 0 || edges & PUNCT != 0 {
        return None;
    }
    let mut encode = false;
    if any & NON_ASCII != 0 {
        let (upper, n) = non_ascii(domain)?;
        map_non_ascii |= upper;
        // No label is longer than the domainpart, nor has more than its
        // `n` non-ASCII code points of at least two bytes each: if the
        // bound holds for that, it holds for every label (and no ASCII
        // label is over 63 octets). Otherwise mapped() encodes.
        encode = alabel_bound(domain.len().saturating_sub(2 * n), n) > 63;
    } else if domain.len() > 63 && domain.split(|&b| b == b'.').any(|label| label.len() > 63) {
        return None;
    }
    cased |= any;
    if let Some(p) = slash {
        let resource = bytes.get(p + 1..)?;
        part(resource, fold(resource), NOT_RESOURCE)?;
    }
    if dot || map_non_ascii || encode {
        return Some(Plan::Mapped {
            at,
            domain_start,
            domain_end: domain_start + domain.len(),
            slash,
        });
    }
    let (at, slash) = (at.and_then(pos), slash.and_then(pos));
    Some(if cased & UPPER != 0 {
        Plan::Lower {
            end: domain_end,
            at,
            slash,
        }
    } else {
        Plan::Verbatim { at, slash }
    })
}

/// [`scan`] for a short JID of lower-case letters, digits, dots, hyphens
/// and separators only, no two dots or hyphens in a row: every byte is
/// allowed in every part, the domainpart needs only its ends checked and
/// (63 octets at most) no part is too long. Its classes are folded over the
/// whole JID, not part by part after the separators are found. `None`
/// leaves the JID to the rest of [`scan`].
#[inline(always)]
fn plain(bytes: &[u8]) -> Option<Plan> {
    let (any, pairs) = fold_pairs(bytes);
    if any & NOT_PLAIN != 0 || pairs & PUNCT != 0 {
        return None;
    }
    let (at, domain_start) = match find2(bytes, b'@', b'/') {
        Some(i) if bytes.get(i) == Some(&b'@') => (Some(i), i + 1),
        _ => (None, 0),
    };
    let rest = bytes.get(domain_start..)?;
    // A second `@` before the first `/` is in the domainpart.
    let slash = match find2(rest, b'@', b'/') {
        Some(j) if rest.get(j) == Some(&b'/') => Some(domain_start + j),
        Some(_) => return None,
        None => None,
    };
    let domain = bytes.get(domain_start..slash.unwrap_or(bytes.len()))?;
    let edges = class(*domain.first()?) | class(*domain.last()?);
    let empty = at == Some(0) || slash.is_some_and(|p| p + 1 == bytes.len());
    if edges & PUNCT != 0 || empty {
        return None;
    }
    Some(Plan::Verbatim {
        at: at.and_then(pos),
        slash: slash.and_then(pos),
    })
}

/// Builds the enforced form [`scan`] planned, or gives up.
#[inline(never)]
pub(crate) fn build(s: &str, plan: Plan) -> Option<Jid> {
    match plan {
        Plan::Verbatim { at, slash } => Some(Jid::from_raw(Repr::new(s), at, slash)),
        Plan::Lower { end, at, slash } => {
            let mut out = Repr::new(s);
            out.as_mut_str().get_mut(..end)?.make_ascii_lowercase();
            Some(Jid::from_raw(out, at, slash))
        }
        Plan::Mapped {
            at,
            domain_start,
            domain_end,
            slash,
        } => mapped(s, at, domain_start, s.get(domain_start..domain_end)?, slash),
    }
}

/// Parses a JID by the fast path, or gives up (tests only: [`Jid::new`]
/// calls [`scan`] and [`build`] itself).
#[cfg(test)]
pub(crate) fn parse(s: &str) -> Option<Jid> {
    build(s, scan(s)?)
}

/// [`build`] for a JID with a trailing dot or a non-ASCII code
/// point to map: copies runs of code points that stay, pushes the ones that
/// map, drops the dot. The resourcepart keeps its case.
#[inline(never)]
fn mapped(
    s: &str,
    at: Option<usize>,
    domain_start: usize,
    domain: &str,
    slash: Option<usize>,
) -> Option<Jid> {
    let resource = match slash {
        Some(p) => Some(s.get(p..)?),
        None => None,
    };
    let head_len = domain_start + domain.len();
    let mut out = Repr::with_capacity(head_len + resource.map_or(0, str::len));
    let head = s.get(..head_len)?;
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
    if !domain.is_ascii() && !alabels_fit(out.get(domain_start..)?) {
        return None;
    }
    let slash_out = match resource {
        Some(r) => {
            let p = out.len();
            out.push_str(r);
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
        // Jid::new builds some plans itself: it must agree too.
        match (&general, Jid::new(s)) {
            (Ok(g), Ok(j)) => {
                assert_eq!(j.as_str(), g.as_str(), "{s:?}");
                assert_eq!(j.localpart(), g.localpart(), "{s:?}");
                assert_eq!(j.resourcepart(), g.resourcepart(), "{s:?}");
            }
            (Err(_), Err(_)) => {}
            (g, j) => panic!("{s:?}: general {g:?}, Jid::new {j:?}"),
        }
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

    proptest::proptest! {
        /// The folds agree with byte-at-a-time ones.
        #[test]
        fn folds_agree_with_bytes(
            bytes in proptest::collection::vec(
                proptest::sample::select(alloc::vec![b'a', b'.', b'-', b'A', b' ', b'@', 0x80, 0xC3]),
                0..40,
            ),
        ) {
            let any = bytes.iter().fold(0, |any, &b| any | class(b));
            let pairs = bytes
                .windows(2)
                .fold(0, |p, w| p | class(w[0]) & class(w[1]));
            proptest::prop_assert_eq!(fold(&bytes), any);
            proptest::prop_assert_eq!(fold_pairs(&bytes), (any, pairs));
        }
    }

    proptest::proptest! {
        /// The word-at-a-time search agrees with a byte-at-a-time one.
        #[test]
        fn find2_agrees_with_position(
            bytes in proptest::collection::vec(
                proptest::sample::select(alloc::vec![b'a', b'@', b'/', b'?', b'A', b'.', 0, 0x80, 0xC0, 0xFF]),
                0..40,
            ),
        ) {
            let first = bytes.iter().position(|&b| b == b'@' || b == b'/');
            proptest::prop_assert_eq!(find2(&bytes, b'@', b'/'), first);
            let slash = bytes.iter().position(|&b| b == b'/');
            proptest::prop_assert_eq!(find2(&bytes, b'/', b'/'), slash);
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// JIDs of the plain alphabet (the lane of `plain`), short and
        /// long: the fast path agrees with the general path.
        #[test]
        fn plain_lane_agrees(
            bytes in proptest::collection::vec(
                proptest::sample::select(alloc::vec![b'a', b'z', b'0', b'.', b'-', b'@', b'/', b'A', b'_']),
                0..30,
            ),
        ) {
            let s = alloc::string::String::from_utf8(bytes).unwrap();
            agree(&s);
        }
    }

    #[test]
    fn simple_utf8_agrees_with_simple() {
        for c in (0x80..=0x10_FFFF).filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            let bytes = c.encode_utf8(&mut buf).as_bytes();
            let mut rest = bytes[1..].iter();
            let got = simple_utf8(bytes[0], &mut rest);
            assert_eq!(got, simple(c).map(|l| l != c), "U+{:04X}", c as u32);
            if got.is_some() {
                assert!(rest.as_slice().is_empty(), "U+{:04X}", c as u32);
            }
        }
    }

    #[test]
    fn sizes_non_ascii_labels() {
        // Within the bound, beyond it (so encoded), an ASCII label too long
        // beside a non-ASCII one, each beside a short label.
        let five = "\u{E9}".repeat(5);
        let six = "\u{E9}".repeat(6);
        let long = "w".repeat(64);
        for s in [
            "b\u{FC}cher.example".into(),
            "B\u{DC}cher.example".into(),
            alloc::format!("{five}.example"),
            alloc::format!("a.{six}.b"),
            alloc::format!("\u{E9}.{long}"),
            alloc::format!("\u{E9}.{}", &long[1..]),
            alloc::format!("{}.com", "\u{674E}".repeat(17)),
            alloc::format!("{}.com", "\u{674E}".repeat(18)),
            "\u{D7}.com".into(),
        ] {
            agree(&s);
        }
        assert!(parse(&alloc::format!("a.{six}.b")).is_some());
        assert!(parse(&alloc::format!("\u{E9}.{long}")).is_none());
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
