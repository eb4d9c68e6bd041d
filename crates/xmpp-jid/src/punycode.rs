//! Punycode (RFC 3492), the encoding between A-labels and U-labels.
//!
//! Hand-written rather than taken from the `idna` crate: that crate's UTS 46
//! processing (which IDNA2008 does not want) pulls in ICU4X data through
//! `idna_adapter`, while the conversion itself is sixty lines. Both sides
//! work on one label whose A-label form is at most 63 octets, so the
//! encoder writes into a fixed buffer and stops as soon as the label would
//! be too long: no allocation, and no work beyond 63 output digits.

use alloc::string::String;

const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

/// The longest Punycode part of an A-label: 63 octets less `xn--`.
pub(crate) const MAX_ENCODED: usize = 59;

/// RFC 3492 §6.1.
fn adapt(delta: u32, num_points: u32, first_time: bool) -> u32 {
    let mut delta = if first_time { delta / DAMP } else { delta / 2 };
    delta += delta / num_points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
}

fn threshold(k: u32, bias: u32) -> u32 {
    k.saturating_sub(bias).clamp(T_MIN, T_MAX)
}

fn digit_value(b: u8) -> Option<u32> {
    match b {
        b'a'..=b'z' => Some(u32::from(b - b'a')),
        b'0'..=b'9' => Some(u32::from(b - b'0') + 26),
        _ => None,
    }
}

fn digit(d: u32) -> u8 {
    // d < 36 by construction.
    if d < 26 {
        b'a' + d as u8
    } else {
        b'0' + (d as u8).wrapping_sub(26)
    }
}

/// Decodes the Punycode part of a lower-case A-label (after `xn--`) into
/// its U-label, or `None` when it is not valid Punycode. The caller bounds
/// the input to 59 octets, which bounds the quadratic insertion.
pub(crate) fn decode(input: &str) -> Option<String> {
    let (basic, extended) = match input.rfind('-') {
        Some(i) => (input.get(..i)?, input.get(i + 1..)?),
        None => ("", input),
    };
    if !basic.is_ascii() {
        return None;
    }
    let mut out: alloc::vec::Vec<char> = basic.chars().collect();
    let (mut n, mut i, mut bias) = (INITIAL_N, 0u32, INITIAL_BIAS);
    let mut bytes = extended.bytes().peekable();
    while bytes.peek().is_some() {
        let old_i = i;
        let mut w = 1u32;
        let mut k = BASE;
        loop {
            let d = digit_value(bytes.next()?)?;
            i = i.checked_add(d.checked_mul(w)?)?;
            let t = threshold(k, bias);
            if d < t {
                break;
            }
            w = w.checked_mul(BASE - t)?;
            k += BASE;
        }
        let len = u32::try_from(out.len()).ok()? + 1;
        bias = adapt(i - old_i, len, old_i == 0);
        n = n.checked_add(i / len)?;
        i %= len;
        let c = char::from_u32(n)?;
        if c.is_ascii() {
            return None;
        }
        out.insert(usize::try_from(i).ok()?, c);
        i += 1;
    }
    Some(out.into_iter().collect())
}

/// Encodes `label` as Punycode (without the `xn--` prefix) into `buf`,
/// returning the encoded length, or `None` when the encoding would be longer
/// than [`MAX_ENCODED`] octets (or overflow, which only longer inputs can).
pub(crate) fn encode(label: &str, buf: &mut [u8; MAX_ENCODED]) -> Option<usize> {
    let mut len = 0usize;
    let mut push = |b: u8, len: &mut usize| -> Option<()> {
        *buf.get_mut(*len)? = b;
        *len += 1;
        Some(())
    };
    let mut total = 0u32;
    for c in label.chars() {
        total = total.checked_add(1)?;
        if c.is_ascii() {
            push(c as u8, &mut len)?;
        }
    }
    let basic = u32::try_from(len).ok()?;
    if basic > 0 {
        push(b'-', &mut len)?;
    }
    let (mut n, mut delta, mut bias, mut handled) = (INITIAL_N, 0u32, INITIAL_BIAS, basic);
    while handled < total {
        let m = label.chars().map(u32::from).filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for c in label.chars().map(u32::from) {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = threshold(k, bias);
                    if q < t {
                        break;
                    }
                    push(digit(t + (q - t) % (BASE - t)), &mut len)?;
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                push(digit(q), &mut len)?;
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(len)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> Option<String> {
        let mut buf = [0; MAX_ENCODED];
        let n = encode(s, &mut buf)?;
        Some(String::from_utf8(buf[..n].to_vec()).unwrap())
    }

    #[test]
    fn rfc3492_samples() {
        // RFC 3492 §7.1 (A) Arabic (Egyptian), (B) Chinese (simplified),
        // (L) Japanese "3年B組金八先生", lower-cased, plus IDNA examples.
        let cases = [
            (
                "\u{0644}\u{064A}\u{0647}\u{0645}\u{0627}\u{0628}\u{062A}\u{0643}\u{0644}\u{0645}\u{0648}\u{0634}\u{0639}\u{0631}\u{0628}\u{064A}\u{061F}",
                "egbpdaj6bu4bxfgehfvwxn",
            ),
            (
                "\u{4ED6}\u{4EEC}\u{4E3A}\u{4EC0}\u{4E48}\u{4E0D}\u{8BF4}\u{4E2D}\u{6587}",
                "ihqwcrb4cv8a8dqg056pqjye",
            ),
            (
                "3\u{5E74}b\u{7D44}\u{91D1}\u{516B}\u{5148}\u{751F}",
                "3b-ww4c5e180e575a65lsy2b",
            ),
            ("b\u{fc}cher", "bcher-kva"),
            ("\u{2603}", "n3h"),
            ("m\u{fc}nchen", "mnchen-3ya"),
        ];
        for (u, a) in cases {
            assert_eq!(enc(u).as_deref(), Some(a), "encode {u:?}");
            assert_eq!(decode(a).as_deref(), Some(u), "decode {a:?}");
        }
    }

    #[test]
    fn too_long_and_invalid() {
        assert_eq!(enc(&"\u{e9}".repeat(60)), None);
        assert_eq!(enc(&"a".repeat(59)), None);
        assert!(enc(&"a".repeat(57)).is_some());
        assert_eq!(decode("99999999999999999"), None);
        assert_eq!(decode("abc-!"), None);
        assert_eq!(decode("\u{e9}-a"), None);
        // An extended part that only encodes ASCII is not valid here.
        assert_eq!(decode("a-"), Some("a".into()));
    }
}
