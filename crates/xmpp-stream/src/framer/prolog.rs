//! Outside the root element and between top-level elements: the byte
//! order mark, the XML declaration (XML 1.0 §2.8, §4.3.3), white space
//! keepalives (RFC 6120 §4.6.1) and what may follow the stream's end.

use alloc::string::String;

use super::state::{St, Step};
use super::{Framer, Transport};
use crate::chars::is_space;
use crate::error::{FramingError, Restricted};
use crate::event::Event;

impl Framer {
    #[inline(never)]
    pub(super) fn prolog(&mut self, end: usize) -> Result<Step, FramingError> {
        let p = self.pos;
        let Some(&b) = self.buf.get(p) else {
            return Ok(Step::NeedMore);
        };
        if self.bom_allowed && b == 0xEF {
            const BOM: &[u8] = b"\xEF\xBB\xBF";
            let have = self.buf.get(p..end.min(p + 3)).unwrap_or_default();
            if have == BOM {
                self.pos = p + 3;
                self.tok = self.pos;
                self.bom_allowed = false;
                return Ok(Step::Continue);
            }
            if BOM.starts_with(have) {
                return Ok(Step::NeedMore);
            }
        }
        self.bom_allowed = false;
        if is_space(b) {
            let mut q = p;
            while self.buf.get(q).is_some_and(|&b| is_space(b)) && q < end {
                q += 1;
            }
            self.pos = q;
            self.tok = q;
            self.decl_allowed = false;
            return Ok(Step::Continue);
        }
        if b == b'<' {
            return Ok(self.enter_markup(p));
        }
        Err(FramingError::UnexpectedText {
            offset: self.offset(p),
            in_stream: false,
        })
    }

    /// After the stream's end (XML 1.0 §2.1: only white space may follow
    /// the root element).
    pub(super) fn closed(&mut self, end: usize) -> Result<Step, FramingError> {
        let mut p = self.pos;
        while let Some(&b) = self.buf.get(p).filter(|_| p < end) {
            if !is_space(b) {
                return Err(FramingError::AfterClose {
                    offset: self.offset(p),
                });
            }
            p += 1;
        }
        self.pos = p;
        self.tok = p;
        Ok(Step::NeedMore)
    }

    /// Markup starts with the `<` at `p` (outside the root element): the
    /// token begins there and the next state reads what follows it.
    pub(super) fn enter_markup(&mut self, p: usize) -> Step {
        self.tok = p;
        self.open_tag(p);
        Step::Continue
    }

    pub(super) fn stream_level(&mut self, end: usize) -> Result<Step, FramingError> {
        let p = self.pos;
        let Some(&b) = self.buf.get(p) else {
            return Ok(Step::NeedMore);
        };
        if is_space(b) {
            let mut q = p;
            while q < end && self.buf.get(q).is_some_and(|&b| is_space(b)) {
                q += 1;
            }
            self.pos = q;
            self.tok = q;
            if !self.ws_run && self.transport != Transport::WebSocket {
                self.ws_run = true;
                return Ok(self.emit(Event::Whitespace));
            }
            return Ok(Step::Continue);
        }
        if b == b'<' {
            self.ws_run = false;
            let step = self.enter_markup(p);
            // Straight on with the tag, without the dispatcher, when its
            // first byte is there.
            if p + 1 < end {
                return self.lt_dispatched(end);
            }
            return Ok(step);
        }
        Err(FramingError::UnexpectedText {
            offset: self.offset(p),
            in_stream: true,
        })
    }

    #[inline(never)]
    pub(super) fn decl(&mut self, end: usize) -> Result<Step, FramingError> {
        // Only the XML declaration may start with `<?` here: a target other
        // than `xml` and white space is refused as soon as its first bytes
        // show it, not when (or if) `?>` arrives.
        let start = self.tok + 2;
        let seen = self.buf.get(start..end.min(start + 4)).unwrap_or_default();
        let declaration = seen
            .iter()
            .enumerate()
            .all(|(i, &b)| b"xml".get(i).map_or(is_space(b), |&x| x == b));
        if !declaration {
            return Err(FramingError::Restricted {
                offset: self.offset(self.tok),
                construct: Restricted::ProcessingInstruction,
            });
        }
        // No `<` or `>` belongs in a declaration (XML 1.0 §2.8) but the
        // `>` of its `?>`.
        let p = self.pos;
        let Some(i) = memchr::memchr2(b'<', b'>', self.buf.get(p..end).unwrap_or_default()) else {
            self.pos = end;
            return Ok(Step::NeedMore);
        };
        let at = p + i;
        if self.buf.get(at) == Some(&b'>')
            && at > self.tok + 2
            && self.buf.get(at - 1) == Some(&b'?')
        {
            self.pos = at + 1;
            check_declaration(self, self.tok, at + 1)?;
            self.tok = self.pos;
            self.st = St::Prolog;
            return Ok(Step::Continue);
        }
        Err(self.syntax(at, "'?>' to end the XML declaration"))
    }
}

/// XML 1.0 §2.8 and §4.3.3: the declaration `buf[start..end]` (from `<?` to
/// `?>`) has a version 1.x, an optional UTF-8 encoding and an optional
/// standalone; anything else that starts `<?xml ` is malformed, and a
/// processing instruction of another target is restricted XML.
pub(super) fn check_declaration(f: &Framer, start: usize, end: usize) -> Result<(), FramingError> {
    let text = f.buf.get(start..end).unwrap_or_default();
    let body = text
        .get(2..text.len().saturating_sub(2))
        .unwrap_or_default();
    let is_xml = body.starts_with(b"xml") && body.get(3).is_some_and(|&b| is_space(b));
    if !is_xml {
        return Err(FramingError::Restricted {
            offset: f.offset(start),
            construct: Restricted::ProcessingInstruction,
        });
    }
    let mut p = 3;
    let mut expect = 0;
    let names: [&[u8]; 3] = [b"version", b"encoding", b"standalone"];
    let err = |at: usize, what: &'static str| f.syntax(start + 2 + at, what);
    loop {
        let spaced = body.get(p).is_some_and(|&b| is_space(b));
        while body.get(p).is_some_and(|&b| is_space(b)) {
            p += 1;
        }
        if p >= body.len() {
            break;
        }
        if !spaced {
            return Err(err(p, "white space in the XML declaration"));
        }
        let rest = body.get(p..).unwrap_or_default();
        let Some(k) = (expect..3).find(|&k| names.get(k).is_some_and(|n| rest.starts_with(n)))
        else {
            return Err(err(
                p,
                "version, encoding or standalone in the XML declaration",
            ));
        };
        if k == 0 && expect != 0 || k != 0 && expect == 0 {
            return Err(err(p, "version first in the XML declaration"));
        }
        p += names.get(k).map_or(0, |n| n.len());
        while body.get(p).is_some_and(|&b| is_space(b)) {
            p += 1;
        }
        if body.get(p) != Some(&b'=') {
            return Err(err(p, "'=' in the XML declaration"));
        }
        p += 1;
        while body.get(p).is_some_and(|&b| is_space(b)) {
            p += 1;
        }
        let Some(&quote @ (b'"' | b'\'')) = body.get(p) else {
            return Err(err(p, "a quoted value in the XML declaration"));
        };
        let vstart = p + 1;
        let Some(len) = body
            .get(vstart..)
            .and_then(|r| r.iter().position(|&b| b == quote))
        else {
            return Err(err(body.len(), "a closing quote in the XML declaration"));
        };
        let value = body.get(vstart..vstart + len).unwrap_or_default();
        let valid = match k {
            0 => {
                value.starts_with(b"1.")
                    && value.len() > 2
                    && value.iter().skip(2).all(u8::is_ascii_digit)
            }
            1 => {
                if !value.eq_ignore_ascii_case(b"UTF-8") && !value.eq_ignore_ascii_case(b"UTF8") {
                    let ok_name = value.first().is_some_and(u8::is_ascii_alphabetic)
                        && value
                            .iter()
                            .all(|&b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
                    if !ok_name {
                        return Err(err(vstart, "an encoding name"));
                    }
                    return Err(FramingError::UnsupportedEncoding {
                        encoding: String::from_utf8_lossy(value).into_owned(),
                    });
                }
                true
            }
            _ => value == b"yes" || value == b"no",
        };
        if !valid {
            return Err(err(vstart, "a valid value in the XML declaration"));
        }
        p = vstart + len + 1;
        expect = k + 1;
    }
    if expect == 0 {
        return Err(err(p, "version in the XML declaration"));
    }
    Ok(())
}
