//! Byte classes and character rules of XML 1.0 (Fifth Edition) §2.2 (`Char`)
//! and §2.3 (`NameStartChar`, `NameChar`), plus an incremental UTF-8 decoder.
//!
//! The framer's hot loops look bytes up in the 256-entry tables here; only
//! bytes of 0x80 and above leave the table path and go through [`decode`].

/// Byte is an ASCII character that may appear in character data as is.
pub(crate) const PLAIN: u8 = 1;
/// Byte is an ASCII character that may appear in an attribute value as is.
pub(crate) const ATTR_PLAIN: u8 = 2;
/// Byte may start a name (ASCII only; `:` is handled by the QName logic).
pub(crate) const NAME_START: u8 = 4;
/// Byte may continue a name (ASCII only).
pub(crate) const NAME_CHAR: u8 = 8;
/// Byte is XML white space (`S`, XML 1.0 §2.3).
pub(crate) const SPACE: u8 = 16;

const fn build() -> [u8; 256] {
    let mut t = [0u8; 256];
    let mut b = 0usize;
    while b < 128 {
        let c = b as u8;
        let mut f = 0u8;
        let char_ok = c >= 0x20 || c == b'\t' || c == b'\n' || c == b'\r';
        if char_ok && c != b'<' && c != b'&' && c != b'>' && c != 0x7f {
            f |= PLAIN;
        }
        if char_ok && c != b'<' && c != b'&' && c != b'"' && c != b'\'' && c != 0x7f {
            f |= ATTR_PLAIN;
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            f |= NAME_START | NAME_CHAR;
        }
        if c.is_ascii_digit() || c == b'-' || c == b'.' {
            f |= NAME_CHAR;
        }
        if c == b' ' || c == b'\t' || c == b'\n' || c == b'\r' {
            f |= SPACE;
        }
        #[allow(clippy::indexing_slicing, reason = "b < 128 indexes a 256-entry table")]
        {
            t[b] = f;
        }
        b += 1;
    }
    t
}

/// The class flags of every byte value.
static CLASS: [u8; 256] = build();

#[inline(always)]
pub(crate) fn class(b: u8) -> u8 {
    // A `[u8; 256]` indexed by a `u8` is always in range.
    #[allow(
        clippy::indexing_slicing,
        reason = "a u8 always indexes a 256-entry table"
    )]
    CLASS[usize::from(b)]
}

/// `b` may appear in character data without further checks (not `<`, `&`,
/// `>`, DEL, a forbidden control character or a non-ASCII byte). DEL is
/// legal XML but takes the slow path so that the table stays simple.
#[inline(always)]
pub(crate) fn is_text_plain(b: u8) -> bool {
    class(b) & PLAIN != 0
}

/// `b` may appear in an attribute value without further checks.
#[inline(always)]
pub(crate) fn is_attr_plain(b: u8) -> bool {
    class(b) & ATTR_PLAIN != 0
}

/// `b` is an ASCII `NameStartChar` other than `:`.
#[inline(always)]
pub(crate) fn is_ascii_name_start(b: u8) -> bool {
    class(b) & NAME_START != 0
}

/// `b` is an ASCII `NameChar` other than `:`.
#[inline(always)]
pub(crate) fn is_ascii_name_char(b: u8) -> bool {
    class(b) & NAME_CHAR != 0
}

/// `b` is XML white space.
#[inline(always)]
pub(crate) fn is_space(b: u8) -> bool {
    class(b) & SPACE != 0
}

/// `c` is a legal XML 1.0 `Char` (§2.2).
pub(crate) fn is_xml_char(c: u32) -> bool {
    matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x1_0000..=0x10_FFFF)
}

/// `c` is a `NameStartChar` (§2.3), `:` excluded (QName rules handle it).
pub(crate) fn is_name_start(c: u32) -> bool {
    matches!(c,
        0x41..=0x5A | 0x5F | 0x61..=0x7A | 0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x2FF
        | 0x370..=0x37D | 0x37F..=0x1FFF | 0x200C..=0x200D | 0x2070..=0x218F
        | 0x2C00..=0x2FEF | 0x3001..=0xD7FF | 0xF900..=0xFDCF | 0xFDF0..=0xFFFD
        | 0x1_0000..=0xE_FFFF)
}

/// `c` is a `NameChar` (§2.3), `:` excluded.
pub(crate) fn is_name_char(c: u32) -> bool {
    is_name_start(c)
        || matches!(c, 0x2D | 0x2E | 0x30..=0x39 | 0xB7 | 0x300..=0x36F | 0x203F..=0x2040)
}

/// Whether `c` may start an NCName (Namespaces in XML 1.0 §3): an XML 1.0
/// `NameStartChar` (§2.3) other than `:`. The framer's own rule, for
/// parsers that check names the same way.
///
/// ```
/// assert!(xmpp_stream::is_ncname_start_char('\u{E9}'));
/// assert!(!xmpp_stream::is_ncname_start_char('\u{300}'), "a combining mark continues a name");
/// assert!(!xmpp_stream::is_ncname_start_char('\u{F0000}'), "past #xEFFFF");
/// ```
pub fn is_ncname_start_char(c: char) -> bool {
    is_name_start(u32::from(c))
}

/// Whether `c` may continue an NCName: an XML 1.0 `NameChar` (§2.3) other
/// than `:`.
///
/// ```
/// assert!(xmpp_stream::is_ncname_char('\u{300}'));
/// assert!(!xmpp_stream::is_ncname_char(':'));
/// ```
pub fn is_ncname_char(c: char) -> bool {
    is_name_char(u32::from(c))
}

/// The result of decoding one UTF-8 sequence at the start of a slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Utf8 {
    /// A scalar value and the number of bytes it took.
    Char(u32, usize),
    /// The slice ends inside a sequence that is valid so far: feed more.
    Incomplete,
    /// Not UTF-8 (bad lead or continuation byte, overlong form, surrogate,
    /// or beyond U+10FFFF).
    Invalid,
}

/// Decodes the UTF-8 sequence that starts `s` (which must not be empty for a
/// `Char` result). Every prefix of a valid sequence is reported
/// [`Utf8::Incomplete`], every prefix that cannot become valid
/// [`Utf8::Invalid`], so the answer never depends on where a chunk ended.
pub(crate) fn decode(s: &[u8]) -> Utf8 {
    let Some(&b0) = s.first() else {
        return Utf8::Incomplete;
    };
    let (len, init, lo, hi) = match b0 {
        0x00..=0x7F => return Utf8::Char(u32::from(b0), 1),
        0xC2..=0xDF => (2, u32::from(b0 & 0x1F), 0x80, 0xBF),
        0xE0 => (3, 0, 0xA0, 0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => (3, u32::from(b0 & 0x0F), 0x80, 0xBF),
        0xED => (3, 0xD, 0x80, 0x9F),
        0xF0 => (4, 0, 0x90, 0xBF),
        0xF1..=0xF3 => (4, u32::from(b0 & 0x07), 0x80, 0xBF),
        0xF4 => (4, 4, 0x80, 0x8F),
        _ => return Utf8::Invalid,
    };
    let mut c = init;
    for i in 1..len {
        let Some(&b) = s.get(i) else {
            return Utf8::Incomplete;
        };
        let (l, h) = if i == 1 { (lo, hi) } else { (0x80, 0xBF) };
        if b < l || b > h {
            return Utf8::Invalid;
        }
        c = (c << 6) | u32::from(b & 0x3F);
    }
    Utf8::Char(c, len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_agrees_with_core_on_every_two_and_three_byte_prefix() {
        for b0 in 0x80u8..=0xFF {
            for b1 in 0u8..=0xFF {
                let s = [b0, b1, 0x80, 0x80];
                let ours = decode(&s);
                let core_ok = (2..=4)
                    .filter_map(|n| s.get(..n))
                    .find_map(|p| core::str::from_utf8(p).ok().and_then(|t| t.chars().next()));
                match ours {
                    Utf8::Char(c, _) => assert_eq!(Some(c), core_ok.map(u32::from), "{s:x?}"),
                    Utf8::Invalid => assert_eq!(core_ok, None, "{s:x?}"),
                    Utf8::Incomplete => panic!("four bytes never incomplete: {s:x?}"),
                }
            }
        }
    }

    #[test]
    fn incomplete_only_for_valid_prefixes() {
        assert_eq!(decode(&[0xE2, 0x82]), Utf8::Incomplete);
        assert_eq!(decode(&[0xE2]), Utf8::Incomplete);
        assert_eq!(decode(&[0xED, 0xA0]), Utf8::Invalid, "surrogate");
        assert_eq!(decode(&[0xC0]), Utf8::Invalid, "overlong lead");
        assert_eq!(decode(&[0xF4, 0x90]), Utf8::Invalid, "above U+10FFFF");
        assert_eq!(decode(&[0xE2, 0x82, 0xAC]), Utf8::Char(0x20AC, 3));
    }

    #[test]
    fn char_ranges() {
        assert!(!is_xml_char(0));
        assert!(!is_xml_char(0xFFFE));
        assert!(is_xml_char(0x10FFFF));
        assert!(!is_xml_char(0x110000));
        assert!(is_name_start(0xC0));
        assert!(!is_name_start(0xD7));
        assert!(is_name_char(0xB7));
        assert!(!is_name_start(0xB7));
        assert!(is_text_plain(b'a') && !is_text_plain(b'<') && !is_text_plain(0x80));
        assert!(is_attr_plain(b'>') && !is_attr_plain(b'\'') && !is_attr_plain(1));
    }
}
