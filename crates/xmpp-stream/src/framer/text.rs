//! Character data (XML 1.0 §2.4) and CDATA sections (§2.7) inside a
//! top-level element, and the character checks they share with attribute
//! values (§2.2: UTF-8, no control characters).

use super::Framer;
use super::scan::{scan, scan_text};
use super::state::{St, Step};
use crate::chars::{Utf8, decode, is_text_plain, is_xml_char};
use crate::error::FramingError;

impl Framer {
    pub(super) fn text(&mut self, end: usize) -> Result<Step, FramingError> {
        let mut p = self.pos;
        loop {
            p = scan_text(&self.buf, p, end);
            let Some(&b) = self.buf.get(p).filter(|_| p < end) else {
                self.pos = p;
                return Ok(Step::NeedMore);
            };
            match b {
                b'<' => {
                    self.open_tag(p);
                    if p + 1 >= end {
                        return Ok(Step::Continue);
                    }
                    // Most tags end back in character data: stay in this
                    // loop rather than going through the dispatcher.
                    match self.lt(end)? {
                        Step::Continue if matches!(self.st, St::Text) => p = self.pos,
                        step => return Ok(step),
                    }
                }
                b'&' => match self.ampersand(p, end, 0) {
                    Some(n) => p += n,
                    None => return Ok(Step::Continue),
                },
                b'>' => {
                    // XML 1.0 §2.4: `]]>` may not appear in character data.
                    // The two bytes before are inside this text run when
                    // both are `]`, since markup always ends with `>`.
                    if p >= 2 && self.buf.get(p - 2..p) == Some(b"]]") {
                        return Err(self.syntax(p, "no ']]>' in character data"));
                    }
                    p += 1;
                }
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

    #[inline(never)]
    pub(super) fn cdata(&mut self, end: usize) -> Result<Step, FramingError> {
        let mut p = self.pos;
        loop {
            p = scan(&self.buf, p, end, |b| {
                is_text_plain(b) || b == b'<' || b == b'&'
            });
            let Some(&b) = self.buf.get(p).filter(|_| p < end) else {
                self.pos = p;
                return Ok(Step::NeedMore);
            };
            match b {
                b'>' => {
                    p += 1;
                    // The section's `[` opener is never one of the two bytes.
                    if p >= 3 && self.buf.get(p - 3..p - 1) == Some(b"]]") {
                        self.pos = p;
                        self.st = St::Text;
                        return Ok(Step::Continue);
                    }
                }
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

    /// Checks the byte `b` at `p` that the scanners of character data and
    /// attribute values stopped at and that has no meaning there: a
    /// non-ASCII character (its length, `None` when `end` cuts it) or a
    /// control character (refused but DEL).
    #[inline(always)]
    pub(super) fn check_char(
        &self,
        p: usize,
        end: usize,
        b: u8,
    ) -> Result<Option<usize>, FramingError> {
        if b >= 0x80 {
            return self.check_utf8(p, end);
        }
        self.check_control(p, b)?;
        Ok(Some(1))
    }

    /// Checks the non-ASCII character at `p`: its length, `None` when the
    /// sequence is cut by `end`.
    pub(super) fn check_utf8(&self, p: usize, end: usize) -> Result<Option<usize>, FramingError> {
        match decode(self.buf.get(p..end).unwrap_or_default()) {
            Utf8::Incomplete => Ok(None),
            Utf8::Invalid => Err(FramingError::InvalidUtf8 {
                offset: self.offset(p),
            }),
            Utf8::Char(c, n) => {
                if is_xml_char(c) {
                    Ok(Some(n))
                } else {
                    Err(FramingError::InvalidChar {
                        offset: self.offset(p),
                        code_point: c,
                    })
                }
            }
        }
    }

    /// Checks a forbidden-looking ASCII byte of character data or an
    /// attribute value: DEL is allowed, other control characters are not.
    pub(super) fn check_control(&self, p: usize, b: u8) -> Result<(), FramingError> {
        if b == 0x7F {
            Ok(())
        } else {
            Err(FramingError::InvalidChar {
                offset: self.offset(p),
                code_point: u32::from(b),
            })
        }
    }
}
