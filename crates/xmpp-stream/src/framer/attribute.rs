//! The inside of a start tag (XML 1.0 §3.1): white space, attributes and
//! their values (§3.3.3), and the tag's end.

use super::Framer;
use super::scan::{scan_attr, scan_name};
use alloc::vec::Vec;

use super::state::{AttrSpan, NameKind, St, Step, Tag};
use crate::chars::{is_ascii_name_start, is_space};
use crate::error::{FramingError, Limit};
use crate::event::Span;

impl Framer {
    /// [`tag_space`](Self::tag_space) for the dispatcher (a chunk ended
    /// inside a start tag).
    #[inline(never)]
    pub(super) fn tag_space_dispatched(
        &mut self,
        end: usize,
        spaced: bool,
    ) -> Result<Step, FramingError> {
        self.tag_space(end, spaced)
    }

    /// Inside a start tag after its name or an attribute value; in line in
    /// [`lt`](Self::lt), see there.
    #[inline(always)]
    pub(super) fn tag_space(&mut self, end: usize, spaced: bool) -> Result<Step, FramingError> {
        let mut p = self.pos;
        let mut spaced = self.spaced_before(spaced, p);
        loop {
            let Some(&b) = self.buf.get(p).filter(|_| p < end) else {
                self.pos = p;
                self.st = St::TagSpace { spaced };
                return Ok(Step::NeedMore);
            };
            if is_space(b) {
                spaced = true;
                p += 1;
                continue;
            }
            self.pos = p + 1;
            return match b {
                b'>' => self.finish_start(false),
                b'/' => {
                    // `/>` whole ends the tag here, not after a round
                    // through the dispatcher and the punctuation state.
                    if p + 1 < end && self.buf.get(p + 1) == Some(&b'>') {
                        self.pos = p + 2;
                        return self.finish_start(true);
                    }
                    self.st = St::EmptySlash;
                    Ok(Step::Continue)
                }
                _ if is_ascii_name_start(b) || b >= 0x80 => {
                    if !spaced {
                        return Err(self.syntax(p, "white space before an attribute"));
                    }
                    match self.attribute_fast(end, p)? {
                        Some(q) => {
                            p = q;
                            spaced = false;
                            continue;
                        }
                        None => Ok(Step::Continue),
                    }
                }
                _ => Err(self.syntax(p, "an attribute, '>' or '/>'")),
            };
        }
    }

    /// The transition on the byte at `p` that starts an attribute's name
    /// (white space before it checked).
    #[inline(always)]
    pub(super) fn begin_attr_name(&mut self, p: usize) {
        self.st = St::Name {
            kind: NameKind::Attr,
            start: p - self.tok,
            colon: None,
        };
    }

    /// Forgets the attributes of the previous start tag.
    #[inline(always)]
    pub(super) fn clear_attrs(&mut self) {
        self.attrs.clear();
        self.tag.sigs = 0;
        self.tag.attr_flags = 0;
    }

    /// The transition at the end of an attribute's name (`name` relative
    /// to `tok`); false, recording nothing, when the tag already has the
    /// most attributes the limits allow. See [`push_attr`].
    #[inline(always)]
    pub(super) fn push_attr(&mut self, name: Span, colon: Option<usize>) -> bool {
        let max = self.limits.max_attributes;
        push_attr(
            &mut self.tag,
            &mut self.attrs,
            max,
            &self.buf,
            self.tok,
            name,
            colon,
        )
    }

    /// The transition on the quote at `p` that opens the value of the
    /// attribute just named; see [`open_value`].
    #[inline(always)]
    pub(super) fn open_value(&mut self, p: usize, quote: u8) {
        (self.pos, self.st) = open_value(self.attrs.last_mut(), self.tok, p, quote);
    }

    /// The transition on the quote at `p` that closes an attribute value;
    /// see [`close_value`].
    #[inline(always)]
    pub(super) fn close_value(&mut self, p: usize) {
        (self.pos, self.st) = close_value(self.attrs.last_mut(), self.tok, p);
    }

    /// Whether white space precedes `p` inside a start tag: `spaced` when
    /// the state saw some, or the byte before `p` is white space (the
    /// state is entered after a name or a quote, so such a byte was
    /// stepped over in it, perhaps by `only_plain_bytes_fed`). XML 1.0
    /// §3.1 requires it before every attribute.
    #[inline(always)]
    pub(super) fn spaced_before(&self, spaced: bool, p: usize) -> bool {
        spaced
            || p.checked_sub(1)
                .and_then(|q| self.buf.get(q))
                .is_some_and(|&b| is_space(b))
    }

    /// The common attributes, `name='value'` with an ASCII name and a
    /// value without references or non-ASCII, scanned in one go from the
    /// first byte of the first at `p`, and the next ones while a single
    /// space and an ASCII name start follow a closing quote:
    /// `Some(position after the last closing quote)`. Anything else leaves
    /// the state where the general path must resume (never before `p`,
    /// and at most a name is scanned twice) and returns `None`.
    #[inline(always)]
    pub(super) fn attribute_fast(
        &mut self,
        end: usize,
        mut p: usize,
    ) -> Result<Option<usize>, FramingError> {
        let tok = self.tok;
        // The bytes up to `end`, borrowed apart from the fields written
        // below, so that every look-up is one bounds check.
        let s = self.buf.get(..end).unwrap_or_default();
        loop {
            let name_end = scan_name(s, p, end);
            let first = s.get(p).copied().unwrap_or(0);
            let simple_name = first < 0x80
                && name_end - p <= self.limits.max_name_bytes
                && s.get(name_end).is_some_and(|&c| c == b'=' || is_space(c));
            if !simple_name {
                self.pos = p;
                self.begin_attr_name(p);
                return Ok(None);
            }
            let name = (p - tok, name_end - tok);
            let max = self.limits.max_attributes;
            if !push_attr(&mut self.tag, &mut self.attrs, max, s, tok, name, None) {
                return Err(self.limit_exceeded(p, Limit::Attributes));
            }
            // The value's first byte `v` and the end of its plain bytes.
            let (v, v_end, quote) = 'value: {
                // Mostly `name='` with no white space around the `=`.
                if let Some(&[b'=', quote @ (b'"' | b'\'')]) = s.get(name_end..name_end + 2) {
                    let v = name_end + 2;
                    break 'value (v, scan_attr(s, v, end, quote), quote);
                }
                let mut q = name_end;
                while s.get(q).is_some_and(|&b| is_space(b)) {
                    q += 1;
                }
                if s.get(q) == Some(&b'=') {
                    q += 1;
                    while s.get(q).is_some_and(|&b| is_space(b)) {
                        q += 1;
                    }
                    if let Some(&quote @ (b'"' | b'\'')) = s.get(q) {
                        let v = q + 1;
                        break 'value (v, scan_attr(s, v, end, quote), quote);
                    }
                    self.pos = q;
                    self.st = St::AttrQuote;
                } else {
                    self.pos = q;
                    self.st = St::AttrEq;
                }
                return Ok(None);
            };
            // The value's transitions are those of every path; their
            // states stay in locals while this loop goes on, and are
            // stored only where it stops. The attribute is looked up once,
            // after the scan, and known to be there: each look-up and
            // check costs instructions per attribute.
            let Some(attr) = self.attrs.last_mut() else {
                // Never so (`push_attr` just pushed it); the general path
                // would take the quote.
                self.pos = v - 1;
                self.st = St::AttrQuote;
                return Ok(None);
            };
            let (_, in_value) = open_value(Some(&mut *attr), tok, v - 1, quote);
            if s.get(v_end) != Some(&quote) {
                // Something `attr_value` must look at, or the end of the
                // data: it resumes there, in the value, past the plain
                // bytes scanned.
                self.pos = v_end;
                self.st = in_value;
                return Ok(None);
            }
            // In `TagSpace { spaced: false }` after the quote, the state of
            // `tag_space`'s loop when this returns.
            let (after, _) = close_value(Some(attr), tok, v_end);
            // Most attributes are followed by one space and the next.
            match s.get(after..after + 2) {
                Some(&[b' ', c]) if is_ascii_name_start(c) => p = after + 1,
                _ => return Ok(Some(after)),
            }
        }
    }

    pub(super) fn attr_value(&mut self, end: usize, quote: u8) -> Result<Step, FramingError> {
        let mut p = self.pos;
        loop {
            p = scan_attr(&self.buf, p, end, quote);
            let Some(&b) = self.buf.get(p).filter(|_| p < end) else {
                self.pos = p;
                return Ok(Step::NeedMore);
            };
            match b {
                _ if b == quote => {
                    self.close_value(p);
                    return Ok(Step::Continue);
                }
                b'"' | b'\'' => p += 1,
                b'&' => {
                    if let Some(a) = self.attrs.last_mut() {
                        a.escaped = true;
                    }
                    match self.ampersand(p, end, quote) {
                        Some(n) => p += n,
                        None => return Ok(Step::Continue),
                    }
                }
                b'<' => return Err(self.syntax(p, "no '<' in an attribute value")),
                _ => match self.check_char(p, end, b)? {
                    Some(n) => p += n,
                    None => {
                        self.pos = p;
                        return Ok(Step::NeedMore);
                    }
                },
            }
        }
    }
}

/// Records an attribute name (`name` relative to `tok` in `buf`) and what
/// its tag will have to check about it: a prefix, a possible namespace
/// declaration, and a signature bit (length, first and last byte) that
/// lets the duplicate check be skipped while no two names share one. False,
/// recording nothing, when `attrs` already holds `max`. A function of the
/// fields it needs rather than a method, so that a caller holding `buf`
/// borrowed can call it.
#[inline(always)]
pub(super) fn push_attr(
    tag: &mut Tag,
    attrs: &mut Vec<AttrSpan>,
    max: usize,
    buf: &[u8],
    tok: usize,
    name: Span,
    colon: Option<usize>,
) -> bool {
    if attrs.len() >= max {
        return false;
    }
    let first = buf.get(tok + name.0).copied().unwrap_or(0);
    let last = (tok + name.1)
        .checked_sub(1)
        .and_then(|i| buf.get(i))
        .copied()
        .unwrap_or(0);
    tag.note_attr(first, last, name.1.wrapping_sub(name.0), colon.is_some());
    attrs.push(AttrSpan {
        name,
        colon,
        value: (0, 0),
        escaped: false,
    });
    true
}

/// The transition on the quote at `p` that opens the value of `attr`, the
/// attribute just named (the last pushed, always there; positions
/// relative to `tok`): the value starts after the quote. Returns the
/// position and the state the scanner goes on in. A function of the
/// pieces it needs, like [`push_attr`], so that `attribute_fast` can call
/// it with the buffer borrowed, look the attribute up once for both
/// quotes and keep the states in locals (each costs instructions per
/// attribute in the hottest loop).
#[inline(always)]
pub(super) fn open_value(
    attr: Option<&mut AttrSpan>,
    tok: usize,
    p: usize,
    quote: u8,
) -> (usize, St) {
    // Its end is the closing quote's business.
    if let Some(a) = attr {
        a.value.0 = p + 1 - tok;
    }
    (p + 1, St::AttrValue { quote })
}

/// The transition on the quote at `p` that closes the value of `attr`
/// (the attribute being scanned): the value ends there. Returns the
/// position and the state the scanner goes on in, as [`open_value`] does.
#[inline(always)]
pub(super) fn close_value(attr: Option<&mut AttrSpan>, tok: usize, p: usize) -> (usize, St) {
    if let Some(a) = attr {
        a.value.1 = p - tok;
    }
    (p + 1, St::TagSpace { spaced: false })
}
