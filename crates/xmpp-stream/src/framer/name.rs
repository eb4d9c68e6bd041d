//! Qualified names (Namespaces in XML 1.0 §3, XML 1.0 §2.3) of start tags,
//! end tags and attributes, within the name limit.

use super::Framer;
use super::scan::scan_name;
use super::state::{NameKind, St, Step};
use crate::chars::{Utf8, decode, is_ascii_name_char, is_ascii_name_start, is_xml_char};
use crate::error::{FramingError, Limit};
use crate::event::Span;

impl Framer {
    pub(super) fn name(
        &mut self,
        end: usize,
        kind: NameKind,
        start: usize,
        mut colon: Option<usize>,
    ) -> Result<Step, FramingError> {
        let s = self.tok + start;
        let mut p = self.pos;
        let max = self.limits.max_name_bytes;
        let stop = end.min(s.saturating_add(max).saturating_add(1));
        // A name character must start the name and follow the colon; the
        // rest of the name is scanned by the table loop.
        let mut need_start = p == s || colon.is_some_and(|c| self.tok + c + 1 == p);
        loop {
            if !need_start {
                p = scan_name(&self.buf, p, stop);
            }
            let Some(&b) = self.buf.get(p).filter(|_| p < stop) else {
                return self.pause_name(p, stop < end, St::Name { kind, start, colon });
            };
            if b < 0x80 {
                if need_start {
                    if !is_ascii_name_start(b) {
                        if b == b':' || is_ascii_name_char(b) {
                            return Err(self.syntax(p, "a name start character"));
                        }
                        break;
                    }
                    need_start = false;
                    p += 1;
                } else if b == b':' {
                    if colon.is_some() {
                        return Err(self.syntax(p, "a qualified name (one ':' between two names)"));
                    }
                    colon = Some(p - self.tok);
                    need_start = true;
                    p += 1;
                } else {
                    break;
                }
                continue;
            }
            match decode(self.buf.get(p..stop).unwrap_or_default()) {
                Utf8::Incomplete => {
                    return self.pause_name(p, stop < end, St::Name { kind, start, colon });
                }
                Utf8::Invalid => {
                    return Err(FramingError::InvalidUtf8 {
                        offset: self.offset(p),
                    });
                }
                Utf8::Char(c, n) => {
                    let ok = if need_start {
                        crate::chars::is_name_start(c)
                    } else {
                        crate::chars::is_name_char(c)
                    };
                    if !ok {
                        let offset = self.offset(p);
                        return Err(if is_xml_char(c) {
                            FramingError::InvalidNameChar {
                                offset,
                                code_point: c,
                            }
                        } else {
                            FramingError::InvalidChar {
                                offset,
                                code_point: c,
                            }
                        });
                    }
                    need_start = false;
                    p += n;
                }
            }
        }
        // The scan stopped within the name limit.
        if !self.name_is_whole(start, colon, p) {
            return Err(self.syntax(p, "a name"));
        }
        let span = (start, p - self.tok);
        self.pos = p;
        match kind {
            NameKind::Start => {
                self.start_tag_named(span, colon);
                self.st = St::TagSpace { spaced: false };
            }
            NameKind::End => {
                // An end tag's prefix needs no check of its own: the name
                // must equal the open element's.
                self.tag.name = span;
                self.st = St::EndTagSpace;
            }
            NameKind::Attr => {
                if !self.push_attr(span, colon) {
                    return Err(self.limit_exceeded(s, Limit::Attributes));
                }
                self.st = St::AttrEq;
            }
        }
        Ok(Step::Continue)
    }

    /// Whether the name that started at `start` (relative to `tok`), with
    /// its colon, is a whole qualified name if it ends at `p`: not empty,
    /// no empty local part, within the name limit.
    #[inline(always)]
    pub(super) fn name_is_whole(&self, start: usize, colon: Option<usize>, p: usize) -> bool {
        let s = self.tok + start;
        p > s && p - s <= self.limits.max_name_bytes && colon.is_none_or(|c| self.tok + c + 1 != p)
    }

    /// The transition at the end of a start tag's name (`name` relative to
    /// `tok`): the tag's attributes start.
    #[inline(always)]
    pub(super) fn start_tag_named(&mut self, name: Span, colon: Option<usize>) {
        self.tag.name = name;
        self.tag.colon = colon;
        self.clear_attrs();
    }

    /// A name stops at `p` for want of bytes: too long when the name limit,
    /// not the data, cut the scan (`cut`) or `p` is already past the limit;
    /// otherwise it waits in `st`.
    pub(super) fn pause_name(&mut self, p: usize, cut: bool, st: St) -> Result<Step, FramingError> {
        let St::Name { start, .. } = st else {
            return Ok(Step::NeedMore);
        };
        let s = self.tok + start;
        let max = self.limits.max_name_bytes;
        if cut || p > s + max {
            return Err(self.limit_exceeded(s, Limit::NameBytes));
        }
        self.pos = p;
        self.st = st;
        Ok(Step::NeedMore)
    }
}
