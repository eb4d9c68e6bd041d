//! The end of a tag: element balance (XML 1.0 §3), the depth limit, and a
//! top-level element made into an event with its namespace and routing
//! attributes (RFC 6120 §4.8, §8.1).

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::sync::Arc;

use super::namespaces::Hit;
use super::scan::same;
use super::state::{
    ATTR_MAYBE_DECL, ATTR_PREFIXED, ATTR_SIG_CLASH, Decl, Level, Open, St, Step, Top,
};
use super::{Framer, Transport};
use crate::error::{FramingError, Limit};
use crate::escape::FRAMING_NS;
use crate::event::{Event, Frame, NsRef, Routing, Span, XML_NS};

pub(super) const TOP_LEVEL_NAMESPACE: &str =
    "the stream's content namespace or one declared on the element (RFC 6120 §4.8.2)";

pub(super) const WEBSOCKET_NAMESPACE: &str =
    "a namespace declared on the element itself (RFC 7395 §3.3.3)";

impl Framer {
    /// The transition at the end of a start tag, with `>` or, when
    /// `empty`, `/>`.
    #[inline(always)]
    pub(super) fn finish_start(&mut self, empty: bool) -> Result<Step, FramingError> {
        if self.finish_plain_nested_start(empty) {
            return Ok(Step::Continue);
        }
        self.finish_start_checked(empty)
    }

    /// Whether the start tag just scanned is inside a top-level element and
    /// has nothing to check (no prefix, no possible declaration, distinct
    /// attribute names, depth under the limit); if so, takes
    /// [`start_tag_closed`](Self::start_tag_closed). The one definition of
    /// the common start tag's end, for the scanner and the one-byte path
    /// alike.
    #[inline(always)]
    pub(super) fn finish_plain_nested_start(&mut self, empty: bool) -> bool {
        let depth = self.open.len();
        if depth == 0
            || depth >= self.limits.max_depth
            || self.tag.attr_flags != 0
            || self.tag.colon.is_some()
        {
            return false;
        }
        self.start_tag_closed(empty, self.decls.len());
        true
    }

    /// The transition at the end of a start tag below the root, checked:
    /// the element opens, its declarations (those of `decls` from `mark`
    /// on) in scope until its end tag, or, when `empty`, closes at once and
    /// they go; character data follows. The one definition for every end
    /// of a start tag but the root's and an empty top-level element's (see
    /// [`finish_start_general`](Self::finish_start_general)).
    #[inline(always)]
    pub(super) fn start_tag_closed(&mut self, empty: bool, mark: usize) {
        if empty {
            if self.decls.len() > mark {
                self.decls.truncate(mark);
            }
        } else {
            self.open.push(Open {
                name: self.tag.name,
                decls: mark,
            });
        }
        self.st = St::Text;
    }

    /// The innermost open element goes out of scope, with its
    /// declarations. The one definition for end tags, nested or top-level.
    #[inline(always)]
    pub(super) fn leave_element(&mut self) {
        if let Some(open) = self.open.pop() {
            if self.decls.len() > open.decls {
                self.decls.truncate(open.decls);
            }
        }
    }

    /// [`finish_start`](Self::finish_start) for a start tag with something
    /// to check: declarations, prefixes or attribute names that may clash.
    #[inline(always)]
    fn finish_start_checked(&mut self, empty: bool) -> Result<Step, FramingError> {
        // An element inside a top-level one in a few lines; the rest,
        // with the errors, out of line.
        let depth = self.open.len();
        if depth == 0 || depth >= self.limits.max_depth {
            return self.finish_start_general(empty);
        }
        let mark = self.decls.len();
        let flags = self.tag.attr_flags;
        if flags & ATTR_MAYBE_DECL != 0 {
            self.push_decls()?;
        }
        // Below the top level only a prefix needs resolving (to refuse an
        // undeclared one); see `resolve_element`.
        if self.tag.colon.is_some() {
            self.resolve_element()?;
        }
        if flags & (ATTR_PREFIXED | ATTR_SIG_CLASH) != 0 {
            self.check_attrs()?;
        }
        self.start_tag_closed(empty, mark);
        Ok(Step::Continue)
    }

    /// [`finish_start`](Self::finish_start) for the root, top-level
    /// elements and the depth limit.
    #[inline(never)]
    pub(super) fn finish_start_general(&mut self, empty: bool) -> Result<Step, FramingError> {
        let is_root = self.open.is_empty()
            && self.level == Level::Prolog
            && self.transport != Transport::WebSocket;
        if is_root {
            self.ctx = Arc::default();
        } else if self.open.len() >= self.limits.max_depth {
            return Err(self.limit_exceeded(self.tok + self.tag.start, Limit::Depth));
        }
        let mark = self.decls.len();
        // The flags spare most stanzas the calls (see `finish_start`).
        let flags = self.tag.attr_flags;
        if flags & ATTR_MAYBE_DECL != 0 {
            self.push_decls()?;
        }
        let hit = self.resolve_element()?;
        if flags & (ATTR_PREFIXED | ATTR_SIG_CLASH) != 0 {
            self.check_attrs()?;
        }
        if is_root {
            return self.open_root(hit, empty);
        }
        if self.open.is_empty() {
            // A top-level element is in the stream namespace, the content
            // namespace or an extension's (RFC 6120 §4.8.1-§4.8.4), never
            // in none: one that undeclares the default namespace, or
            // inherits none because the header declared no content
            // namespace (prefix-free canonicalization, §4.8.2) or because
            // a WebSocket message has no header to inherit from (RFC 7395
            // §3.3.3), is refused like a stream in an unsupported content
            // namespace (RFC 6120 §4.9.3.10), as soon as its start tag
            // ends, on every transport.
            if hit == Hit::Nothing {
                return Err(FramingError::InvalidNamespace {
                    found: String::new(),
                    expected: if self.transport == Transport::WebSocket {
                        WEBSOCKET_NAMESPACE
                    } else {
                        TOP_LEVEL_NAMESPACE
                    },
                });
            }
            let ns = match hit {
                Hit::Decl(i) => match self.decls.get(i) {
                    Some(Decl { owned: Some(o), .. }) => NsRef::Owned(o.clone()),
                    Some(d) => NsRef::Xml(d.value),
                    None => NsRef::None,
                },
                Hit::Ctx(None) => NsRef::Default,
                Hit::Ctx(Some(i)) => NsRef::Prefix(i),
                Hit::Xml => NsRef::Owned(Box::from(XML_NS)),
                Hit::Nothing => NsRef::None,
            };
            let mut routing = Routing::default();
            for a in self.attrs.iter().filter(|a| a.colon.is_none()) {
                let slot = match self.rel(a.name) {
                    b"to" => &mut routing.to,
                    b"from" => &mut routing.from,
                    b"id" => &mut routing.id,
                    b"type" => &mut routing.type_,
                    _ => continue,
                };
                *slot = Some(a.value);
            }
            self.top = Top {
                qname: self.tag.name,
                colon: self.tag.colon,
                ns,
                routing,
            };
        }
        if empty && self.open.is_empty() {
            // An empty top-level element is complete.
            self.decls.truncate(mark);
            return self.complete_element();
        }
        self.start_tag_closed(empty, mark);
        Ok(Step::Continue)
    }

    /// The `>` at `gt` of an end tag whose name the name state recorded
    /// in `tag.name`.
    #[inline(always)]
    pub(super) fn finish_end(&mut self, gt: usize) -> Result<Step, FramingError> {
        // The common case, the end of an element inside a top-level one,
        // in line; the top-level end, the stream's and the errors out of
        // line.
        let name = self.tag.name;
        if self.ends_innermost(name) {
            return self.end_matched(name, gt);
        }
        self.finish_end_general()
    }

    /// Whether an end tag named `name` (relative to `tok`) closes the
    /// innermost open element, and that element is below the top level.
    #[inline(always)]
    pub(super) fn ends_innermost(&self, name: Span) -> bool {
        self.open.len() >= 2
            && self
                .open
                .last()
                .is_some_and(|open| same(self.rel(name), self.rel(open.name)))
    }

    /// The `>` at `gt` of an end tag named `name` (relative to `tok`),
    /// which the caller found to be the innermost open element's name:
    /// [`end_tag_closes`](Self::end_tag_closes), or for a top-level
    /// element [`finish_end_general`](Self::finish_end_general). Where
    /// [`finish_end`](Self::finish_end) and `lt()`'s look-ahead at the
    /// common end tag meet.
    #[inline(always)]
    pub(super) fn end_matched(&mut self, name: Span, gt: usize) -> Result<Step, FramingError> {
        if self.end_tag_closes(name, gt) {
            return Ok(Step::Continue);
        }
        self.pos = gt + 1;
        self.finish_end_general()
    }

    /// The transition on the `>` at `gt` of an end tag named `name`
    /// (relative to `tok`) that closes the innermost open element (the
    /// caller compared the names), for an element below the top level: it
    /// and its declarations go out of scope, character data follows. False,
    /// having only recorded the name, when the innermost open element is
    /// the top-level one or there is none. The one definition for the
    /// scanner, its look-ahead in `lt()` and the one-byte path.
    #[inline(always)]
    pub(super) fn end_tag_closes(&mut self, name: Span, gt: usize) -> bool {
        self.tag.name = name;
        if self.open.len() < 2 {
            return false;
        }
        self.leave_element();
        self.pos = gt + 1;
        self.st = St::Text;
        true
    }

    /// [`finish_end`](Self::finish_end) for top-level elements, the
    /// stream's end and the errors.
    #[inline(never)]
    pub(super) fn finish_end_general(&mut self) -> Result<Step, FramingError> {
        let found = self.rel(self.tag.name);
        let Some(open) = self.open.last().copied() else {
            return self.finish_stream_end();
        };
        if !same(found, self.rel(open.name)) {
            return Err(self.mismatched(open));
        }
        self.leave_element();
        if self.open.is_empty() {
            return self.complete_element();
        }
        self.st = St::Text;
        Ok(Step::Continue)
    }

    /// An end tag outside any element: the stream's, or an error.
    #[inline(never)]
    pub(super) fn finish_stream_end(&mut self) -> Result<Step, FramingError> {
        let stream_end = self.level == Level::Stream && self.transport != Transport::WebSocket;
        if !stream_end {
            return Err(FramingError::UnexpectedElement {
                offset: self.offset(self.tok),
                name: self.rel_str(self.tag.name),
            });
        }
        if self.rel(self.tag.name) != self.root.as_bytes() {
            return Err(FramingError::MismatchedEndTag {
                offset: self.offset(self.tok),
                expected: self.root.clone(),
                found: self.rel_str(self.tag.name),
            });
        }
        self.tok = self.pos;
        self.end_stream();
        Ok(self.emit(Event::StreamClose))
    }

    #[cold]
    pub(super) fn mismatched(&self, open: Open) -> FramingError {
        FramingError::MismatchedEndTag {
            offset: self.offset(self.tok + self.tag.start),
            expected: self.rel_str(open.name),
            found: self.rel_str(self.tag.name),
        }
    }

    /// After the stream's end: TCP and WebSocket streams are over, a BOSH
    /// body may be followed by another.
    pub(super) fn end_stream(&mut self) {
        if self.transport.is_bosh() {
            self.enter_level(Level::Prolog);
            self.decl_allowed = true;
        } else {
            self.enter_level(Level::Closed);
        }
    }

    /// The transition to another level of the document (the stream opens
    /// or ends), between top-level elements.
    pub(super) fn enter_level(&mut self, level: Level) {
        self.level = level;
        self.st = level.between_elements();
    }

    /// The current top-level element is complete at `pos`.
    pub(super) fn complete_element(&mut self) -> Result<Step, FramingError> {
        let bytes = self
            .buf
            .get(self.tok..self.pos)
            .unwrap_or_default()
            .to_vec();
        let xml = String::from_utf8(bytes).map_err(|_| FramingError::InvalidUtf8 {
            offset: self.offset(self.tok),
        })?;
        let offset = self.offset(self.tok);
        // Built in its box at once, and only the owning part of `top`
        // taken: the element is some 200 bytes that would otherwise be
        // written twice, and `top` once more.
        let el = Box::new(Frame {
            xml,
            qname: self.top.qname,
            colon: self.top.colon,
            ns: core::mem::replace(&mut self.top.ns, NsRef::None),
            routing: self.top.routing,
            namespaces: self.ctx.clone(),
        });
        self.tok = self.pos;
        self.decls.clear();
        self.st = self.level.between_elements();
        if self.transport == Transport::WebSocket && el.namespace() == FRAMING_NS {
            if let Some(step) = self.framing_element(&el, offset)? {
                return Ok(step);
            }
        }
        if self.level != Level::Stream {
            return Err(FramingError::UnexpectedElement {
                offset,
                name: el.qualified_name().to_string(),
            });
        }
        Ok(self.emit(Event::Element(el)))
    }
}
