//! Byte scanners shared by the states: runs of plain character data,
//! attribute-value bytes and name characters, eight bytes at a time where
//! the bytes allow, and short byte-string equality.

use crate::chars::{is_ascii_name_char, is_attr_plain, is_text_plain};

pub(super) const LO: u64 = 0x0101_0101_0101_0101;

pub(super) const HI: u64 = 0x8080_8080_8080_8080;

/// A mask with the high bit set in the first byte of `x` that is `c`
/// (bytes after it may be flagged falsely; the lowest flag is exact).
#[inline(always)]
pub(super) fn has_byte(x: u64, c: u8) -> u64 {
    let v = x ^ (LO * u64::from(c));
    v.wrapping_sub(LO) & !v & HI
}

/// Advances `p` eight bytes at a time while `special` flags none of them
/// (it sets the high bit of the first byte to stop at, and may flag bytes
/// after it); then byte by byte while `plain` holds. `special` must flag at
/// least the bytes `plain` refuses that the caller cannot step over.
#[inline(always)]
pub(super) fn scan_words(
    buf: &[u8],
    mut p: usize,
    end: usize,
    special: impl Fn(u64) -> u64,
    plain: impl Fn(u8) -> bool,
) -> usize {
    let s = buf.get(..end).unwrap_or_default();
    while let Some(word) = s.get(p..p + 8) {
        let Ok(bytes) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let m = special(u64::from_le_bytes(bytes));
        if m != 0 {
            p += (m.trailing_zeros() / 8) as usize;
            break;
        }
        p += 8;
    }
    scan(buf, p, end, plain)
}

/// Flags the bytes that are neither printable ASCII nor space: non-ASCII
/// and DEL (adding one sets their high bit; a carry only leaves a byte of
/// 0xFF, itself flagged) and control characters (TAB, LF and CR included,
/// which then take the byte loop).
#[inline(always)]
pub(super) fn not_printable(x: u64) -> u64 {
    ((x.wrapping_add(LO) | x) & HI) | (x.wrapping_sub(LO * 0x20) & !x & HI)
}

/// Advances over character data (stops at `<`, `&`, `>` and anything the
/// table does not call plain).
#[inline(always)]
pub(super) fn scan_text(buf: &[u8], p: usize, end: usize) -> usize {
    // Tags mostly follow each other with no text between them.
    if p < end && buf.get(p) == Some(&b'<') {
        return p;
    }
    // `<` (0x3C) and `>` (0x3E) are the two bytes that become 0x3E with
    // bit 1 set, so one comparison finds both.
    let special = |x: u64| not_printable(x) | has_byte(x | (LO * 2), b'>') | has_byte(x, b'&');
    scan_words(buf, p, end, special, is_text_plain)
}

/// Advances over an attribute value delimited by `quote`: stops at `<`,
/// `&`, the bytes the table does not call plain, and `quote`; the word
/// loop also steps over the other quote, which is plain in this value,
/// while the byte loop stops at it (callers step over it).
#[inline(always)]
pub(super) fn scan_attr(buf: &[u8], p: usize, end: usize, quote: u8) -> usize {
    if quote == b'\'' {
        // `&` (0x26) and `'` (0x27) are the two bytes that become 0x27
        // with bit 0 set.
        let special = |x: u64| not_printable(x) | has_byte(x | LO, b'\'') | has_byte(x, b'<');
        scan_words(buf, p, end, special, is_attr_plain)
    } else {
        // `"` (0x22) and `&` (0x26) are the two bytes that become 0x26
        // with bit 2 set.
        let special = |x: u64| not_printable(x) | has_byte(x | (LO * 4), b'&') | has_byte(x, b'<');
        scan_words(buf, p, end, special, is_attr_plain)
    }
}

/// Flags the bytes that are not lowercase ASCII letters (most names are
/// lowercase words: `message`, `item`, `jid`, `type`).
#[inline(always)]
pub(super) fn not_lowercase(x: u64) -> u64 {
    // With the high bit forced on, subtracting per byte cannot borrow
    // across bytes: the high bit stays on exactly where the byte is at
    // least the subtrahend.
    let from_a = (x | HI).wrapping_sub(LO * u64::from(b'a'));
    let past_z = (x | HI).wrapping_sub(LO * u64::from(b'z' + 1));
    !(from_a & !past_z & !x) & HI
}

/// Advances over an ASCII name (stops at the first byte that is not an
/// ASCII name character, `:` included): eight lowercase letters at a time,
/// then byte by byte.
#[inline(always)]
pub(super) fn scan_name(buf: &[u8], p: usize, end: usize) -> usize {
    scan_words(buf, p, end, not_lowercase, is_ascii_name_char)
}

/// Advances `p` over bytes of `buf[..end]` for which `plain` holds.
#[inline(always)]
pub(super) fn scan(buf: &[u8], mut p: usize, end: usize, plain: impl Fn(u8) -> bool) -> usize {
    let s = buf.get(..end).unwrap_or_default();
    while let Some(&b) = s.get(p) {
        if !plain(b) {
            break;
        }
        p += 1;
    }
    p
}

/// Byte equality, inlined: names are short, and a call to `memcmp` for a
/// handful of bytes costs more than the comparison. Names of 4 to 16 bytes
/// (most of them) are compared as two overlapping words.
#[inline(always)]
pub(super) fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        4..=8 => word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, n - 4) == word::<4>(b, n - 4),
        9..=16 => word::<8>(a, 0) == word::<8>(b, 0) && word::<8>(a, n - 8) == word::<8>(b, n - 8),
        _ => a.iter().zip(b).all(|(x, y)| x == y),
    }
}

/// The `N` bytes of `s` at `i` (zeros when out of range, which `same`
/// never asks for).
#[inline(always)]
pub(super) fn word<const N: usize>(s: &[u8], i: usize) -> [u8; N] {
    s.get(i..i + N)
        .and_then(|w| <[u8; N]>::try_from(w).ok())
        .unwrap_or([0; N])
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::same;

    /// The word comparison agrees with byte equality at every length and
    /// every differing position.
    #[test]
    pub(super) fn same_is_byte_equality() {
        for n in 0..=20usize {
            let a: Vec<u8> = (0..n).map(|i| b'a' + i as u8).collect();
            assert!(same(&a, &a.clone()), "{n}");
            for d in 0..n {
                let mut b = a.clone();
                b[d] ^= 0x20;
                assert!(!same(&a, &b), "{n} at {d}");
            }
            assert!(!same(&a, &a[..n.saturating_sub(1)]) || n == 0, "{n}");
        }
    }
}
