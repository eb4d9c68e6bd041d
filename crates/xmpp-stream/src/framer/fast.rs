//! The fast paths of tiny feeds: what `next_event` decides without
//! entering the scanner when one byte or a few bytes were fed since it
//! last stopped. They only save the scanner's work; the events are the
//! same, which the goldens fed byte by byte and the chunking tests check.

use super::Framer;
use super::state::{NameKind, St};
use crate::chars::{
    ATTR_PLAIN, NAME_CHAR, NAME_START, PLAIN, SPACE, class, is_ascii_name_start, is_space,
};

/// The bytes that open an attribute value.
pub(super) const QUOTES: [u8; 2] = [b'"', b'\''];

/// The bytes that end a start tag, or its name.
pub(super) const TAG_DELIMS: [u8; 2] = [b'>', b'/'];

/// The byte classes that may end state `st` in a way
/// `Framer::one_delimiter_fed` handles: a name start after `<` or in a
/// start tag, white space after a start tag's name.
pub(super) fn delim_class(st: St) -> u8 {
    match st {
        St::Lt | St::TagSpace { .. } => NAME_START,
        St::Name {
            kind: NameKind::Start,
            ..
        } => SPACE,
        _ => 0,
    }
}

/// The most bytes [`Framer::next_event`] steps over without the scanner
/// (see `Framer::only_plain_bytes_fed`).
pub(super) const TINY_FEED: usize = 8;

impl Framer {
    /// The other cheap case of one-byte feeds: the byte is the `<` that
    /// ends character data, the start of a tag or attribute name, the `=`
    /// that ends an attribute name, a quote that opens or closes an
    /// attribute value, the end of a start tag's name, or the `/` or `>`
    /// that ends a nested tag with nothing to check, which only move the
    /// scanner to its next state. Each arm calls the transition the
    /// scanner calls for that byte (`open_tag`, `begin_name`, `start_tag_named`,
    /// `begin_attr_name`, `push_attr`, `open_value`, `close_value`,
    /// `finish_plain_nested_start`, `end_tag_closes`), so the events are the
    /// scanner's; the scanner would
    /// also compact the buffer, which only saves memory and which its next
    /// run does. Anything a transition would check or refuse is left to
    /// the scanner. Kept out of line on purpose: inlined into `next_event`
    /// it saves instructions, yet the criterion bench's 1-byte loop ran
    /// slower with it.
    #[inline(never)]
    pub(super) fn one_delimiter_fed(&mut self, b: u8) -> bool {
        // The caller saw exactly one new byte, `b`, at `pos`.
        let p = self.pos;
        let tok = self.tok;
        let element_end = tok.saturating_add(self.limits.max_element_bytes);
        if p + 1 > element_end || self.failed.is_some() {
            return false;
        }
        match self.st {
            St::Text if b == b'<' => self.open_tag(p),
            // The first character of a start tag's name, or the `/` of an
            // end tag (whose name then starts).
            St::Lt if b == b'/' || is_ascii_name_start(b) => self.begin_name(p, b == b'/'),
            // The end of a start tag's name.
            St::Name {
                kind: NameKind::Start,
                start,
                colon,
            } if b == b'>' || b == b'/' || is_space(b) => {
                if !self.name_is_whole(start, colon, p) {
                    return false;
                }
                self.start_tag_named((start, p - tok), colon);
                match b {
                    b'>' => {
                        if !self.finish_plain_nested_start(false) {
                            return false;
                        }
                    }
                    b'/' => self.st = St::EmptySlash,
                    _ => self.st = St::TagSpace { spaced: true },
                }
            }
            // The end of a start tag inside a top-level element.
            St::TagSpace { .. } | St::EmptySlash if b == b'>' => {
                if !self.finish_plain_nested_start(self.st == St::EmptySlash) {
                    return false;
                }
            }
            St::TagSpace { .. } if b == b'/' => self.st = St::EmptySlash,
            // The end of an end tag that closes an element inside a
            // top-level element (closing the top-level one emits it).
            St::Name {
                kind: NameKind::End,
                start,
                colon: None,
            } if b == b'>' => {
                let name = (start, p - tok);
                if !self.name_is_whole(start, None, p)
                    || !self.ends_innermost(name)
                    || !self.end_tag_closes(name, p)
                {
                    return false;
                }
            }
            // The first character of an attribute name, after white space.
            St::TagSpace { spaced } if is_ascii_name_start(b) => {
                if !self.spaced_before(spaced, p) {
                    return false;
                }
                self.begin_attr_name(p);
            }
            St::Name {
                kind: NameKind::Attr,
                start,
                colon,
            } if b == b'=' => {
                if !self.name_is_whole(start, colon, p) || !self.push_attr((start, p - tok), colon)
                {
                    return false;
                }
                self.st = St::AttrQuote;
            }
            St::AttrQuote if b == b'"' || b == b'\'' => self.open_value(p, b),
            St::AttrValue { quote } if b == quote => self.close_value(p),
            _ => return false,
        }
        self.pos = p + 1;
        self.arm_fast_path();
        true
    }

    /// The cheap case of tiny feeds, checked before entering the scanner:
    /// the few bytes fed since the last call all belong to the class
    /// `fast` names (plain character data, plain attribute-value bytes or
    /// name characters) and the buffer stays within `fast_end`, so there is
    /// nothing to decide but to step over them. Exactly what the scanner
    /// would do, so the events do not change.
    #[inline(always)]
    pub(super) fn only_plain_bytes_fed(&mut self) -> bool {
        let len = self.buf.len();
        if len > self.fast_end {
            return false;
        }
        let new = self.buf.get(self.pos..).unwrap_or_default();
        if new.is_empty() || new.len() > TINY_FEED {
            return false;
        }
        let (first, then) = (self.fast, self.fast_then);
        let Some((&b, rest)) = new.split_first() else {
            return false;
        };
        if class(b) & first != 0 && rest.iter().all(|&b| class(b) & then != 0) {
            self.step_over_plain(len);
            return true;
        }
        false
    }

    /// The transition of the fast paths over bytes of the class `fast`
    /// names, up to `len`: the state stays, and after the first byte the
    /// following ones need only be of the class `fast_then` (name
    /// characters after a name start).
    #[inline(always)]
    pub(super) fn step_over_plain(&mut self, len: usize) {
        self.pos = len;
        self.fast = self.fast_then;
    }

    /// Arms the fast paths after a run over a tiny feed, which another
    /// tiny one likely follows; after a larger feed turns them off
    /// instead, which is what they would say of the larger feeds that
    /// likely follow (more than [`TINY_FEED`] bytes take the scanner), at
    /// the cost of four stores rather than a look at the state. Either
    /// way the events are the same: the fast paths only save the
    /// scanner's work.
    #[inline(always)]
    pub(super) fn rearm(&mut self, tiny: bool) {
        if tiny {
            self.arm_fast_path();
        } else {
            self.fast = 0;
            self.fast_end = 0;
            self.delim = [0; 2];
            self.delim_class = 0;
        }
    }

    /// Sets `fast` and `fast_end` for the state the scanner stopped in (see
    /// [`only_plain_bytes_fed`](Self::only_plain_bytes_fed)).
    #[inline(always)]
    pub(super) fn arm_fast_path(&mut self) {
        let element_end = self.tok.saturating_add(self.limits.max_element_bytes);
        // Character data, where most chunks end, in one step.
        if matches!(self.st, St::Text) {
            (self.fast, self.fast_then, self.fast_end) = (PLAIN, PLAIN, element_end);
            (self.delim, self.delim_class) = ([b'<'; 2], 0);
            return;
        }
        (self.fast, self.fast_then, self.fast_end) = match self.st {
            St::Text => (PLAIN, PLAIN, element_end),
            St::AttrValue { .. } => (ATTR_PLAIN, ATTR_PLAIN, element_end),
            // Inside a name and within the name limit: ASCII name
            // characters, a name start character first where the name or
            // its local part begins.
            St::Name { start, colon, .. } => {
                let s = self.tok + start;
                let at_start = self.pos == s || colon.is_some_and(|c| self.tok + c + 1 == self.pos);
                let first = if at_start { NAME_START } else { NAME_CHAR };
                let name_end = s.saturating_add(self.limits.max_name_bytes);
                (first, NAME_CHAR, element_end.min(name_end))
            }
            // White space inside tags: `tag_space` tells from the byte
            // before `pos` whether it has seen some.
            St::TagSpace { .. } | St::AttrEq | St::AttrQuote | St::EndTagSpace => {
                (SPACE, SPACE, element_end)
            }
            _ => (0, 0, 0),
        };
        self.delim_class = delim_class(self.st);
        self.delim = match self.st {
            St::Text => [b'<'; 2],
            St::Lt => [b'/'; 2],
            St::Name {
                kind: NameKind::Attr,
                ..
            } => [b'='; 2],
            St::Name {
                kind: NameKind::Start,
                ..
            }
            | St::TagSpace { .. } => TAG_DELIMS,
            St::Name {
                kind: NameKind::End,
                ..
            }
            | St::EmptySlash => [b'>'; 2],
            St::AttrQuote => QUOTES,
            St::AttrValue { quote } => [quote; 2],
            _ => [0; 2],
        };
    }
}
