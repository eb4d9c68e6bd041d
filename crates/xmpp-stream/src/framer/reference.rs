//! Character and entity references (XML 1.0 §4.1, §4.6) in character data
//! and attribute values; RFC 6120 §11.1 allows only the five predefined
//! entities.

use super::Framer;
use super::state::{RefKind, St, Step};
use crate::chars::{is_ascii_name_char, is_ascii_name_start, is_xml_char};
use crate::error::{FramingError, Limit, Restricted};

impl Framer {
    /// The transition on the `&` at `p` in character data (`quote` 0) or in
    /// an attribute value delimited by `quote`: `Some(length)` of a whole
    /// reference to a predefined entity, which the caller steps over;
    /// otherwise `None`, in the reference state, which checks the rest.
    #[inline(always)]
    pub(super) fn ampersand(&mut self, p: usize, end: usize, quote: u8) -> Option<usize> {
        if let Some(n) = predefined_entity(&self.buf, p, end) {
            return Some(n);
        }
        self.pos = p + 1;
        self.st = St::Ref {
            kind: RefKind::Start,
            start: p - self.tok,
            quote,
        };
        None
    }

    #[inline(never)]
    pub(super) fn reference(
        &mut self,
        end: usize,
        mut kind: RefKind,
        start: usize,
        quote: u8,
    ) -> Result<Step, FramingError> {
        let amp = self.tok + start;
        let mut p = self.pos;
        while let Some(&b) = self.buf.get(p).filter(|_| p < end) {
            kind = match (kind, b) {
                (RefKind::Start, b'#') => RefKind::Hash,
                (RefKind::Start, _) if is_ascii_name_start(b) || b >= 0x80 => RefKind::Name,
                (RefKind::Name, b';') => {
                    let name = self.buf.get(amp + 1..p).unwrap_or_default();
                    if !matches!(name, b"lt" | b"gt" | b"amp" | b"apos" | b"quot") {
                        return Err(FramingError::Restricted {
                            offset: self.offset(amp),
                            construct: Restricted::EntityReference,
                        });
                    }
                    return Ok(self.end_reference(p, quote));
                }
                (RefKind::Name, _) if is_ascii_name_char(b) || b == b':' || b >= 0x80 => {
                    if p - amp > self.limits.max_name_bytes {
                        return Err(self.limit_exceeded(amp, Limit::NameBytes));
                    }
                    RefKind::Name
                }
                (RefKind::Hash, b'x') => RefKind::HexStart,
                (RefKind::Hash | RefKind::Dec(_), b'0'..=b'9') => {
                    let v = if let RefKind::Dec(v) = kind { v } else { 0 };
                    RefKind::Dec((v * 10 + u32::from(b - b'0')).min(0x11_0000))
                }
                (RefKind::HexStart | RefKind::Hex(_), _) if b.is_ascii_hexdigit() => {
                    let v = if let RefKind::Hex(v) = kind { v } else { 0 };
                    let d = match b {
                        b'0'..=b'9' => b - b'0',
                        b'a'..=b'f' => b - b'a' + 10,
                        _ => b - b'A' + 10,
                    };
                    RefKind::Hex((v * 16 + u32::from(d)).min(0x11_0000))
                }
                (RefKind::Dec(v) | RefKind::Hex(v), b';') => {
                    if !is_xml_char(v) {
                        return Err(FramingError::InvalidChar {
                            offset: self.offset(amp),
                            code_point: if v > 0x10_FFFF { u32::MAX } else { v },
                        });
                    }
                    return Ok(self.end_reference(p, quote));
                }
                _ => return Err(self.syntax(p, "a character or entity reference ending in ';'")),
            };
            p += 1;
        }
        self.pos = p;
        self.st = St::Ref { kind, start, quote };
        Ok(Step::NeedMore)
    }

    pub(super) fn end_reference(&mut self, semicolon: usize, quote: u8) -> Step {
        self.pos = semicolon + 1;
        self.st = if quote == 0 {
            St::Text
        } else {
            St::AttrValue { quote }
        };
        Step::Continue
    }
}

/// The length of the reference to a predefined entity (`&amp;`, `&lt;`,
/// `&gt;`, `&quot;`, `&apos;`; XML 1.0 §4.6) whole in `buf[p..end]`, so that
/// character data and attribute values step over the common references
/// without the reference state. `None` for anything else, which that state
/// then checks (cut references included).
#[inline(always)]
pub(super) fn predefined_entity(buf: &[u8], p: usize, end: usize) -> Option<usize> {
    let rest = buf.get(p + 1..end)?;
    let n = match rest {
        [b'l' | b'g', b't', b';', ..] => 3,
        [b'a', b'm', b'p', b';', ..] => 4,
        [b'q', b'u', b'o', b't', b';', ..] | [b'a', b'p', b'o', b's', b';', ..] => 5,
        _ => return None,
    };
    Some(n + 1)
}
