//! What follows a `<` (XML 1.0 §3.1): start and end tags, and the
//! constructs RFC 6120 §11.1 refuses (comments, DOCTYPE, processing
//! instructions) or allows only inside elements (CDATA sections); and the
//! short punctuation states of tags.

use super::Framer;
use super::scan::{same, scan_name};
use super::state::{Bang, Level, NameKind, St, Step};
use crate::chars::{is_ascii_name_start, is_space};
use crate::error::{FramingError, Restricted};

impl Framer {
    /// The transition on a `<` at `p`: a tag starts there, its kind
    /// decided by the next byte.
    #[inline(always)]
    pub(super) fn open_tag(&mut self, p: usize) {
        self.tag.start = p - self.tok;
        self.pos = p + 1;
        self.st = St::Lt;
    }

    /// The transition on the byte at `p` after `<` that starts a tag's
    /// name: the `/` of an end tag (`end_tag`; the name starts after it)
    /// or the first byte of a start tag's name. No XML declaration may
    /// come after a tag.
    #[inline(always)]
    pub(super) fn begin_name(&mut self, p: usize, end_tag: bool) {
        self.decl_allowed = false;
        let (kind, start) = if end_tag {
            (NameKind::End, p + 1 - self.tok)
        } else {
            (NameKind::Start, p - self.tok)
        };
        self.st = St::Name {
            kind,
            start,
            colon: None,
        };
    }

    /// [`lt`](Self::lt) for the dispatcher, which reaches it only when a
    /// chunk ended just after the `<`.
    #[inline(never)]
    pub(super) fn lt_dispatched(&mut self, end: usize) -> Result<Step, FramingError> {
        self.lt(end)
    }

    /// After `<`: the tag's kind, and the common start and end tags whole.
    /// In line in [`text`](Self::text)'s loop, which reaches most tags:
    /// called there, this and [`tag_space`](Self::tag_space) cost a call,
    /// a frame and a `Result` in memory each per tag, some 7 % more
    /// instructions at 64 KiB feeds.
    #[inline(always)]
    pub(super) fn lt(&mut self, end: usize) -> Result<Step, FramingError> {
        let p = self.pos;
        let Some(&b) = self.buf.get(p) else {
            return Ok(Step::NeedMore);
        };
        match b {
            b'/' => {
                // The common end tag: `</name>` closing the innermost open
                // element, found by comparing its bytes with that
                // element's name (a valid name, within the name limit, so
                // the same bytes before a `>` are that name again) rather
                // than by scanning a name; then the transition on its `>`
                // that the byte path (`finish_end`) and the one-byte path
                // take too (`end_matched`, `end_tag_closes`).
                if let Some(open) = self.open.last().copied() {
                    let (a, b) = (self.tok + open.name.0, self.tok + open.name.1);
                    let gt = p + 1 + (b - a);
                    let closes = gt < end
                        && self.buf.get(gt) == Some(&b'>')
                        && match (self.buf.get(p + 1..gt), self.buf.get(a..b)) {
                            (Some(found), Some(open)) => same(found, open),
                            _ => false,
                        };
                    if closes {
                        return self.end_matched((p + 1 - self.tok, gt - self.tok), gt);
                    }
                }
                // Anything else (cut by the end of the data, white space
                // before the `>`, the stream's end, a mismatch) takes the
                // name state.
                self.pos = p + 1;
                self.begin_name(p, true);
            }
            b'!' | b'?' => return self.lt_bang_or_question(p, b),
            _ if is_ascii_name_start(b) || b >= 0x80 => {
                self.decl_allowed = false;
                // The common start tag: an ASCII name without a prefix,
                // then straight on to the attributes.
                let name_end = scan_name(&self.buf, p, end);
                let after = self.buf.get(name_end).copied().filter(|_| name_end < end);
                let simple = b < 0x80
                    && name_end - p <= self.limits.max_name_bytes
                    && after.is_some_and(|c| c == b'>' || c == b'/' || is_space(c));
                if simple {
                    self.start_tag_named((p - self.tok, name_end - self.tok), None);
                    // `<name>`, a third of the start tags, skips the
                    // attribute loop.
                    if after == Some(b'>') {
                        self.pos = name_end + 1;
                        return self.finish_start(false);
                    }
                    self.pos = name_end;
                    return self.tag_space(end, false);
                }
                self.begin_name(p, false);
            }
            _ => return Err(self.syntax(p, "a name, '/', '!' or '?' after '<'")),
        }
        self.decl_allowed = false;
        Ok(Step::Continue)
    }

    /// After `<`, the rare `!` (a comment, CDATA section or DOCTYPE) or
    /// `?` (the XML declaration, or a processing instruction, which
    /// restricted XML refuses: RFC 6120 §11.1) at `p`, out of line.
    #[cold]
    #[inline(never)]
    pub(super) fn lt_bang_or_question(&mut self, p: usize, b: u8) -> Result<Step, FramingError> {
        if b == b'!' {
            self.st = St::Bang {
                which: Bang::Undecided,
                matched: 0,
            };
        } else {
            let at_start = self.level == Level::Prolog && self.decl_allowed && self.open.is_empty();
            if !at_start {
                return Err(FramingError::Restricted {
                    offset: self.offset(p - 1),
                    construct: Restricted::ProcessingInstruction,
                });
            }
            self.st = St::Decl;
        }
        self.pos = p + 1;
        self.decl_allowed = false;
        Ok(Step::Continue)
    }

    #[inline(never)]
    pub(super) fn bang(
        &mut self,
        mut which: Bang,
        mut matched: usize,
    ) -> Result<Step, FramingError> {
        let p = self.pos;
        let Some(&b) = self.buf.get(p) else {
            return Ok(Step::NeedMore);
        };
        if which == Bang::Undecided {
            which = match b {
                b'-' => Bang::Comment,
                b'[' => Bang::Cdata,
                b'D' => Bang::Doctype,
                _ => return Err(self.syntax(p, "'--', '[CDATA[' or 'DOCTYPE' after '<!'")),
            };
        }
        let lit = which.literal();
        if lit.get(matched) != Some(&b) {
            return Err(self.syntax(p, "'--', '[CDATA[' or 'DOCTYPE' after '<!'"));
        }
        matched += 1;
        self.pos = p + 1;
        if matched < lit.len() {
            self.st = St::Bang { which, matched };
            return Ok(Step::Continue);
        }
        let lt = self.offset(self.tok + self.tag.start);
        match which {
            Bang::Comment => Err(FramingError::Restricted {
                offset: lt,
                construct: Restricted::Comment,
            }),
            Bang::Doctype => Err(FramingError::Restricted {
                offset: lt,
                construct: Restricted::Doctype,
            }),
            _ if self.open.is_empty() => Err(FramingError::UnexpectedText {
                offset: lt,
                in_stream: self.level == Level::Stream,
            }),
            _ => {
                self.st = St::Cdata;
                Ok(Step::Continue)
            }
        }
    }

    /// The short states that skip white space and expect one byte.
    pub(super) fn punct(&mut self, end: usize) -> Result<Step, FramingError> {
        let mut p = self.pos;
        let skips_space = !matches!(self.st, St::EmptySlash);
        while skips_space && p < end && self.buf.get(p).is_some_and(|&b| is_space(b)) {
            p += 1;
        }
        self.pos = p;
        let Some(&b) = self.buf.get(p).filter(|_| p < end) else {
            return Ok(Step::NeedMore);
        };
        self.pos = p + 1;
        match (self.st, b) {
            (St::AttrEq, b'=') => self.st = St::AttrQuote,
            (St::AttrEq, _) => return Err(self.syntax(p, "'=' after an attribute name")),
            (St::AttrQuote, b'"' | b'\'') => self.open_value(p, b),
            (St::AttrQuote, _) => return Err(self.syntax(p, "a quote opening an attribute value")),
            (St::EmptySlash, b'>') => return self.finish_start(true),
            (St::EmptySlash, _) => return Err(self.syntax(p, "'>' after '/'")),
            (_, b'>') => return self.finish_end(p),
            (_, _) => return Err(self.syntax(p, "'>' closing an end tag")),
        }
        Ok(Step::Continue)
    }
}
