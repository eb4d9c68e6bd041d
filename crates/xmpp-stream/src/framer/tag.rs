//! What happens when a tag is complete: namespace scoping (Namespaces in XML
//! 1.0 §5-§6), attribute uniqueness (XML 1.0 §3.1 and Namespaces §6.3), tag
//! balance, the stream header checks of RFC 6120 §4.7-§4.8, the transports'
//! open and close elements, and the XML declaration (XML 1.0 §2.8, §4.3.3).
//!
//! Namespace lookups walk a stack of the declarations in scope, which the
//! limits bound, so resolution is linear in the input at any depth.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;

use super::{
    ATTR_MAYBE_DECL, ATTR_PREFIXED, ATTR_SIG_CLASH, Decl, Framer, Level, Open, St, Step, Top,
    Transport,
};
use crate::chars::is_space;
use crate::error::{Limit, StreamError};
use crate::escape::{FRAMING_NS, HTTPBIND_NS, STREAM_NS, unescape_attribute};
use crate::event::{Element, Event, Namespaces, NsRef, Routing, Span, StreamHeader, XML_NS};

const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";
const CONTENT_NAMESPACES: &str =
    "jabber:client, jabber:server, jabber:component:accept or jabber:component:connect";
const WEBSOCKET_NAMESPACE: &str = "a namespace declared on the element itself (RFC 7395 §3.3.3)";
const TOP_LEVEL_NAMESPACE: &str =
    "the stream's content namespace or one declared on the element (RFC 6120 §4.8.2)";

/// Where a prefix was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hit {
    /// In `decls` at this index.
    Decl(usize),
    /// In the inherited context's prefixes at this index (`None`: its default).
    Ctx(Option<usize>),
    /// The built-in `xml` prefix.
    Xml,
    /// The default namespace is undeclared (`xmlns=''` or never declared).
    Nothing,
}

impl Framer {
    fn rel(&self, (a, b): Span) -> &[u8] {
        self.buf.get(self.tok + a..self.tok + b).unwrap_or_default()
    }

    fn rel_str(&self, s: Span) -> String {
        String::from_utf8_lossy(self.rel(s)).into_owned()
    }

    fn bad_prefix(&self, prefix: &[u8], rule: &'static str) -> StreamError {
        StreamError::BadPrefix {
            offset: self.offset(self.tok + self.tag.start),
            prefix: String::from_utf8_lossy(prefix).into_owned(),
            rule,
        }
    }

    /// Looks `prefix` up (empty: the default namespace), innermost first.
    fn lookup(&self, prefix: &[u8]) -> Option<Hit> {
        for (i, d) in self.decls.iter().enumerate().rev() {
            if same(self.rel(d.prefix), prefix) {
                let undeclared = prefix.is_empty() && d.value.0 == d.value.1;
                return Some(if undeclared {
                    Hit::Nothing
                } else {
                    Hit::Decl(i)
                });
            }
        }
        if prefix.is_empty() {
            return Some(if self.ctx.default.is_some() {
                Hit::Ctx(None)
            } else {
                Hit::Nothing
            });
        }
        if let Some(i) = self
            .ctx
            .prefixes
            .iter()
            .rposition(|(p, _)| p.as_bytes() == prefix)
        {
            return Some(Hit::Ctx(Some(i)));
        }
        (prefix == b"xml").then_some(Hit::Xml)
    }

    /// The namespace name a lookup found.
    fn uri(&self, hit: Hit) -> &[u8] {
        match hit {
            Hit::Decl(i) => match self.decls.get(i) {
                Some(Decl { owned: Some(o), .. }) => o.as_bytes(),
                Some(d) => self.rel(d.value),
                None => b"",
            },
            Hit::Ctx(None) => self.ctx.default.as_deref().unwrap_or_default().as_bytes(),
            Hit::Ctx(Some(i)) => self
                .ctx
                .prefixes
                .get(i)
                .map(|(_, n)| n.as_bytes())
                .unwrap_or_default(),
            Hit::Xml => XML_NS.as_bytes(),
            Hit::Nothing => b"",
        }
    }

    /// Pushes the namespace declarations among the tag's attributes.
    fn push_decls(&mut self) -> Result<(), StreamError> {
        // Every declaration's name starts with `xmlns`.
        if self.tag.attr_flags & ATTR_MAYBE_DECL == 0 {
            return Ok(());
        }
        for i in 0..self.attrs.len() {
            let Some(a) = self.attrs.get(i).copied() else {
                continue;
            };
            let name = self.rel(a.name);
            let prefix = match a.colon {
                None if name == b"xmlns" => (a.name.1, a.name.1),
                Some(c) if self.rel((a.name.0, c)) == b"xmlns" => (c + 1, a.name.1),
                _ => continue,
            };
            // XML 1.0 §3.3.3: the namespace name is the normalized value,
            // references expanded and TAB, LF, CR (CR LF) made spaces, as
            // for any attribute; the scanner only marked references, so
            // the white space is looked for here, where declarations are
            // rare, rather than in the value loop.
            let needs_normalizing = a.escaped
                || self
                    .rel(a.value)
                    .iter()
                    .any(|&b| matches!(b, b'\t' | b'\n' | b'\r'));
            let owned =
                needs_normalizing.then(|| Box::from(unescape_attribute(&self.rel_str(a.value))));
            let value = owned.as_deref().map_or(self.rel(a.value), str::as_bytes);
            let p = self.rel(prefix);
            if p == b"xmlns" || value == XMLNS_NS.as_bytes() {
                return Err(self.bad_prefix(p, "is reserved and cannot be declared"));
            }
            if (p == b"xml") != (value == XML_NS.as_bytes()) {
                return Err(self.bad_prefix(p, "and the XML namespace belong only to each other"));
            }
            if !p.is_empty() && value.is_empty() {
                return Err(self.bad_prefix(p, "cannot be undeclared"));
            }
            if self.decls.len() + self.ctx.len() >= self.limits.max_namespace_declarations {
                return Err(self.limit_exceeded(self.tok + a.name.0, Limit::NamespaceDeclarations));
            }
            self.decls.push(Decl {
                prefix,
                value: a.value,
                owned,
            });
        }
        Ok(())
    }

    /// Resolves the tag's element name. An unprefixed element below the
    /// top level needs no lookup: nothing reads its namespace, and every
    /// default namespace is valid.
    #[inline]
    fn resolve_element(&self) -> Result<Hit, StreamError> {
        let prefix = match self.tag.colon {
            Some(c) => self.rel((self.tag.name.0, c)),
            None if !self.open.is_empty() => return Ok(Hit::Nothing),
            // The common stanza: no prefix and no declaration of its own,
            // in the stream's default namespace, without the lookup.
            None if self.decls.is_empty() => {
                return Ok(if self.ctx.default.is_some() {
                    Hit::Ctx(None)
                } else {
                    Hit::Nothing
                });
            }
            None => b"",
        };
        if prefix == b"xmlns" {
            return Err(self.bad_prefix(prefix, "is reserved for declarations"));
        }
        self.lookup(prefix)
            .ok_or_else(|| self.bad_prefix(prefix, "is not declared"))
    }

    /// Resolves prefixed attributes and refuses duplicates.
    fn check_attrs(&mut self) -> Result<(), StreamError> {
        let n = self.attrs.len();
        // Without prefixes only the qualified names can clash, and distinct
        // signature bits prove that they do not.
        if self.tag.attr_flags & (ATTR_PREFIXED | ATTR_SIG_CLASH) == 0 {
            return Ok(());
        }
        // Expanded names of the prefixed attributes other than declarations.
        let mut expanded: Vec<(usize, Hit)> = Vec::new();
        for (i, a) in self.attrs.iter().enumerate() {
            let Some(c) = a.colon else { continue };
            let prefix = self.rel((a.name.0, c));
            if prefix == b"xmlns" {
                continue;
            }
            let hit = self
                .lookup(prefix)
                .ok_or_else(|| self.bad_prefix(prefix, "is not declared"))?;
            expanded.push((i, hit));
        }
        if self.tag.attr_flags & ATTR_SIG_CLASH != 0 {
            let mut scratch = core::mem::take(&mut self.scratch);
            let qname = |i: usize| {
                let a = self.attrs.get(i).map_or((0, 0), |a| a.name);
                (self.rel(a), &b""[..])
            };
            let dup = find_duplicate(n, qname, &mut scratch);
            self.scratch = scratch;
            if let Some(i) = dup {
                return Err(self.duplicate(i));
            }
        }
        if expanded.len() > 1 {
            let mut scratch = core::mem::take(&mut self.scratch);
            let key = |k: usize| {
                let Some(&(i, hit)) = expanded.get(k) else {
                    return (&b""[..], &b""[..]);
                };
                let a = self
                    .attrs
                    .get(i)
                    .map_or((0, 0, None), |a| (a.name.0, a.name.1, a.colon));
                (self.uri(hit), self.rel((a.2.map_or(a.0, |c| c + 1), a.1)))
            };
            let dup = find_duplicate(expanded.len(), key, &mut scratch);
            self.scratch = scratch;
            if let Some(k) = dup {
                let i = expanded.get(k).map_or(0, |e| e.0);
                return Err(self.duplicate(i));
            }
        }
        Ok(())
    }

    fn duplicate(&self, i: usize) -> StreamError {
        let name = self.attrs.get(i).map_or((0, 0), |a| a.name);
        StreamError::DuplicateAttribute {
            offset: self.offset(self.tok + self.tag.start),
            name: self.rel_str(name),
        }
    }

    /// A start tag ended with `>` or, when `empty`, `/>`.
    #[inline(always)]
    pub(super) fn finish_start(&mut self, empty: bool) -> Result<Step, StreamError> {
        // The common case, an element inside a top-level one, in a few
        // lines; the rest, with the errors, out of line.
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
        Ok(Step::Continue)
    }

    /// [`finish_start`](Self::finish_start) for the root, top-level
    /// elements and the depth limit.
    #[inline(never)]
    fn finish_start_general(&mut self, empty: bool) -> Result<Step, StreamError> {
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
                return Err(StreamError::InvalidNamespace {
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
        if empty {
            self.decls.truncate(mark);
            if self.open.is_empty() {
                return self.complete_element();
            }
        } else {
            self.open.push(Open {
                name: self.tag.name,
                decls: mark,
            });
        }
        self.st = St::Text;
        Ok(Step::Continue)
    }

    /// An end tag ended with `>`.
    #[inline(always)]
    pub(super) fn finish_end(&mut self) -> Result<Step, StreamError> {
        // The common case, the end of an element inside a top-level one,
        // in line; the top-level end, the stream's and the errors out of
        // line.
        if self.open.len() >= 2 {
            if let Some(open) = self.open.last().copied() {
                if same(self.rel(self.tag.name), self.rel(open.name)) {
                    return self.end_matched();
                }
            }
        }
        self.finish_end_general()
    }

    /// [`finish_end`](Self::finish_end) for an end tag whose name is
    /// known to be the innermost open element's.
    #[inline(always)]
    pub(super) fn end_matched(&mut self) -> Result<Step, StreamError> {
        if self.open.len() >= 2 {
            if let Some(open) = self.open.pop() {
                if self.decls.len() > open.decls {
                    self.decls.truncate(open.decls);
                }
                self.st = St::Text;
                return Ok(Step::Continue);
            }
        }
        self.finish_end_general()
    }

    /// [`finish_end`](Self::finish_end) for top-level elements, the
    /// stream's end and the errors.
    #[inline(never)]
    fn finish_end_general(&mut self) -> Result<Step, StreamError> {
        let found = self.rel(self.tag.name);
        let Some(open) = self.open.last().copied() else {
            return self.finish_stream_end();
        };
        if !same(found, self.rel(open.name)) {
            return Err(self.mismatched(open));
        }
        self.open.pop();
        if self.decls.len() > open.decls {
            self.decls.truncate(open.decls);
        }
        if self.open.is_empty() {
            return self.complete_element();
        }
        self.st = St::Text;
        Ok(Step::Continue)
    }

    /// An end tag outside any element: the stream's, or an error.
    #[inline(never)]
    fn finish_stream_end(&mut self) -> Result<Step, StreamError> {
        let stream_end = self.level == Level::Stream && self.transport != Transport::WebSocket;
        if !stream_end {
            return Err(StreamError::UnexpectedElement {
                offset: self.offset(self.tok),
                name: self.rel_str(self.tag.name),
            });
        }
        if self.rel(self.tag.name) != self.root.as_bytes() {
            return Err(StreamError::MismatchedEndTag {
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
    fn mismatched(&self, open: Open) -> StreamError {
        StreamError::MismatchedEndTag {
            offset: self.offset(self.tok + self.tag.start),
            expected: self.rel_str(open.name),
            found: self.rel_str(self.tag.name),
        }
    }

    /// After the stream's end: TCP and WebSocket streams are over, a BOSH
    /// body may be followed by another.
    fn end_stream(&mut self) {
        if self.transport.is_bosh() {
            self.level = Level::Prolog;
            self.st = St::Prolog;
            self.decl_allowed = true;
        } else {
            self.level = Level::Closed;
            self.st = St::Closed;
        }
    }

    /// The current top-level element is complete at `pos`.
    fn complete_element(&mut self) -> Result<Step, StreamError> {
        let bytes = self
            .buf
            .get(self.tok..self.pos)
            .unwrap_or_default()
            .to_vec();
        let xml = String::from_utf8(bytes).map_err(|_| StreamError::InvalidUtf8 {
            offset: self.offset(self.tok),
        })?;
        let offset = self.offset(self.tok);
        // Built in its box at once, and only the owning part of `top`
        // taken: the element is some 200 bytes that would otherwise be
        // written twice, and `top` once more.
        let el = Box::new(Element {
            xml,
            qname: self.top.qname,
            colon: self.top.colon,
            ns: core::mem::replace(&mut self.top.ns, NsRef::None),
            routing: self.top.routing,
            namespaces: self.ctx.clone(),
        });
        self.tok = self.pos;
        self.decls.clear();
        self.st = if self.level == Level::Prolog {
            St::Prolog
        } else {
            St::StreamLevel
        };
        if self.transport == Transport::WebSocket && el.namespace() == FRAMING_NS {
            match el.name() {
                // RFC 7395 §3.4, §3.7: `<open/>` starts a stream, the first
                // or a restarted one (after `reset`); inside a stream it is
                // out of place.
                "open" if self.level == Level::Stream => {
                    return Err(StreamError::UnexpectedElement {
                        offset,
                        name: el.qualified_name().to_string(),
                    });
                }
                "open" => {
                    let header = StreamHeader {
                        qname: el.qualified_name().to_string(),
                        colon: el.prefix().map(str::len),
                        ns: FRAMING_NS.to_string(),
                        attrs: el
                            .attributes()
                            .map(|a| (a.name().to_string(), a.value().into_owned()))
                            .collect(),
                        namespaces: Arc::default(),
                    };
                    check_version(header.version())?;
                    self.level = Level::Stream;
                    self.st = St::StreamLevel;
                    return Ok(self.emit(Event::StreamOpen(Box::new(header))));
                }
                "close" if self.level == Level::Stream => {
                    self.end_stream();
                    return Ok(self.emit(Event::StreamClose));
                }
                _ => {}
            }
        }
        if self.level != Level::Stream {
            return Err(StreamError::UnexpectedElement {
                offset,
                name: el.qualified_name().to_string(),
            });
        }
        Ok(self.emit(Event::Element(el)))
    }

    /// The root start tag (TCP stream header or BOSH body) is complete.
    fn open_root(&mut self, hit: Hit, empty: bool) -> Result<Step, StreamError> {
        let mut ns = Namespaces::default();
        for d in &self.decls {
            let value: Box<str> = match &d.owned {
                Some(o) => o.clone(),
                None => Box::from(&*String::from_utf8_lossy(self.rel(d.value))),
            };
            if d.prefix.0 == d.prefix.1 {
                ns.default = (!value.is_empty()).then_some(value);
            } else {
                ns.prefixes.push((
                    Box::from(&*String::from_utf8_lossy(self.rel(d.prefix))),
                    value,
                ));
            }
        }
        let element_ns = String::from_utf8_lossy(self.uri(hit)).into_owned();
        let qname = self.rel_str(self.tag.name);
        let local = self
            .tag
            .colon
            .map_or(self.tag.name, |c| (c + 1, self.tag.name.1));
        let local_is = |want: &[u8]| self.rel(local) == want;
        match self.transport {
            Transport::Tcp => {
                if element_ns != STREAM_NS {
                    return Err(StreamError::InvalidNamespace {
                        found: element_ns,
                        expected: STREAM_NS,
                    });
                }
                if !local_is(b"stream") {
                    return Err(StreamError::UnexpectedElement {
                        offset: self.offset(self.tok),
                        name: qname,
                    });
                }
                // RFC 6120 §4.8.2: the content namespace, when the header
                // declares one as its default namespace, is one this
                // crate frames: jabber:client or jabber:server (§4.8.3;
                // a server-to-server stream may also declare the dialback
                // prefix, `xmlns:db='jabber:server:dialback'`, XEP-0220
                // §2.1, which its `<db:result/>` and `<db:verify/>`
                // inherit like any prefix), or XEP-0114's component
                // namespaces, jabber:component:accept (a component
                // connecting to a server) and jabber:component:connect
                // (a server connecting to a component). A header may
                // also declare none and let every top-level element
                // declare its own (§4.8.2, prefix-free canonicalization);
                // a top-level element in no namespace is then refused
                // (see `finish_start_general`). That the two directions
                // of a session use the same content namespace is the
                // session's to check.
                if let Some(content) = ns.default.as_deref() {
                    if !matches!(
                        content,
                        "jabber:client"
                            | "jabber:server"
                            | "jabber:component:accept"
                            | "jabber:component:connect"
                    ) {
                        return Err(StreamError::InvalidNamespace {
                            found: content.to_string(),
                            expected: CONTENT_NAMESPACES,
                        });
                    }
                }
            }
            Transport::Bosh | Transport::BoshRequests | Transport::WebSocket => {
                if element_ns != HTTPBIND_NS || !local_is(b"body") {
                    return Err(StreamError::InvalidNamespace {
                        found: element_ns,
                        expected: HTTPBIND_NS,
                    });
                }
            }
        }
        let attrs: Vec<(String, String)> = self
            .attrs
            .iter()
            .map(|a| {
                (
                    self.rel_str(a.name),
                    unescape_attribute(&self.rel_str(a.value)).into_owned(),
                )
            })
            .collect();
        let header = StreamHeader {
            colon: self.tag.colon.map(|c| c - self.tag.name.0),
            qname: qname.clone(),
            ns: element_ns,
            attrs,
            namespaces: Arc::new(ns),
        };
        if self.transport == Transport::Tcp {
            check_version(header.version())?;
        }
        if self.transport.is_bosh() {
            let request = self.transport == Transport::BoshRequests;
            crate::bosh::check_body(&header.attrs, self.offset(self.tok), request)?;
        }
        self.ctx = header.namespaces.clone();
        self.root = qname;
        self.decls.clear();
        self.tok = self.pos;
        self.level = Level::Stream;
        self.st = St::StreamLevel;
        if empty {
            self.close_pending = true;
            self.end_stream();
        }
        Ok(self.emit(Event::StreamOpen(Box::new(header))))
    }
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
fn word<const N: usize>(s: &[u8], i: usize) -> [u8; N] {
    s.get(i..i + N)
        .and_then(|w| <[u8; N]>::try_from(w).ok())
        .unwrap_or([0; N])
}

/// RFC 6120 §4.7.5: a version is `<major>.<minor>`, two integers. Which
/// versions a party speaks is the session's decision, not the framer's: a
/// receiving entity answers a higher version with its own (1.0) and goes on,
/// and only an initiating entity whose peer answers below what it needs
/// closes with `unsupported-version`. The framer refuses only a version that
/// is not a version at all.
fn check_version(v: Option<&str>) -> Result<(), StreamError> {
    let Some(v) = v else { return Ok(()) };
    let number = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if v.split_once('.')
        .is_some_and(|(major, minor)| number(major) && number(minor))
    {
        Ok(())
    } else {
        Err(StreamError::UnsupportedVersion {
            version: v.to_string(),
        })
    }
}

/// The index of an entry whose key equals an earlier one's. Short lists are
/// compared pairwise; longer ones by sorting hashes, so the cost stays
/// `O(n log n)` whatever the attribute limit.
fn find_duplicate<'k>(
    n: usize,
    key: impl Fn(usize) -> (&'k [u8], &'k [u8]),
    scratch: &mut Vec<(u64, usize)>,
) -> Option<usize> {
    if n <= 12 {
        for j in 1..n {
            for i in 0..j {
                let (a, b) = (key(i), key(j));
                if same(a.0, b.0) && same(a.1, b.1) {
                    return Some(j);
                }
            }
        }
        return None;
    }
    find_duplicate_sorted(n, key, scratch, fnv1a)
}

/// FNV-1a over both parts of a key, told apart by a byte no name has.
fn fnv1a(a: &[u8], b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in a.iter().chain(&[0xFF]).chain(b) {
        h = (h ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// [`find_duplicate`] for long lists: sorted by hash, then by the key
/// itself and the index, so that equal keys are neighbours whatever
/// collides (a peer can find FNV collisions; with the hash alone, `a`,
/// a colliding name, `a` again sorted as three neighbours of one hash and
/// the duplicate went unseen), and the first repeat is the one reported.
fn find_duplicate_sorted<'k>(
    n: usize,
    key: impl Fn(usize) -> (&'k [u8], &'k [u8]),
    scratch: &mut Vec<(u64, usize)>,
    hash: impl Fn(&[u8], &[u8]) -> u64,
) -> Option<usize> {
    scratch.clear();
    for i in 0..n {
        let (a, b) = key(i);
        scratch.push((hash(a, b), i));
    }
    scratch.sort_unstable_by(|&(h1, i), &(h2, j)| {
        h1.cmp(&h2)
            .then_with(|| key(i).cmp(&key(j)))
            .then(i.cmp(&j))
    });
    let mut found: Option<usize> = None;
    for w in scratch.windows(2) {
        if let [(h1, i), (h2, j)] = *w {
            if h1 == h2 && key(i) == key(j) {
                // `i < j`: the sort puts equal keys in index order.
                found = Some(found.map_or(j, |f| f.min(j)));
            }
        }
    }
    found
}

/// XML 1.0 §2.8 and §4.3.3: the declaration `buf[start..end]` (from `<?` to
/// `?>`) has a version 1.x, an optional UTF-8 encoding and an optional
/// standalone; anything else that starts `<?xml ` is malformed, and a
/// processing instruction of another target is restricted XML.
pub(super) fn check_declaration(f: &Framer, start: usize, end: usize) -> Result<(), StreamError> {
    let text = f.buf.get(start..end).unwrap_or_default();
    let body = text
        .get(2..text.len().saturating_sub(2))
        .unwrap_or_default();
    let is_xml = body.starts_with(b"xml") && body.get(3).is_some_and(|&b| is_space(b));
    if !is_xml {
        return Err(StreamError::Restricted {
            offset: f.offset(start),
            construct: crate::error::Restricted::ProcessingInstruction,
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
                    return Err(StreamError::UnsupportedEncoding {
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

impl Element {
    /// Whether this element ends the stream's current XML document so that
    /// the next bytes are TLS records or a new stream header: `<proceed/>` in
    /// `urn:ietf:params:xml:ns:xmpp-tls` (RFC 6120 §5.4.3.3) or `<success/>`
    /// in `urn:ietf:params:xml:ns:xmpp-sasl` (RFC 6120 §6.4.6).
    ///
    /// That is the TCP answer, for a received element; for any transport
    /// and either party, [`restart_after`](Self::restart_after) also says
    /// whether TLS starts.
    pub fn restarts_stream(&self) -> bool {
        matches!(
            (self.name(), self.namespace()),
            ("proceed", "urn:ietf:params:xml:ns:xmpp-tls")
                | ("success", "urn:ietf:params:xml:ns:xmpp-sasl")
        )
    }

    /// What the stream does after this element over `transport`, for the
    /// party that received it as for the one that sent it (RFC 6120
    /// §4.3.3, §5.4.3.3, §6.4.6); see [`restart_after`](crate::restart_after).
    pub fn restart_after(&self, transport: Transport) -> crate::Restart {
        crate::restart_after(transport, self.name(), self.namespace())
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::{find_duplicate, find_duplicate_sorted, same};

    /// Under a hash where everything collides, the sorted search still
    /// finds every duplicate and reports its first repeat.
    #[test]
    fn duplicates_are_found_through_hash_collisions() {
        let names: [&[u8]; 16] = [
            b"a", b"b", b"c", b"d", b"e", b"f", b"g", b"h", b"i", b"j", b"k", b"l", b"m", b"n",
            b"o", b"p",
        ];
        let run = |list: &[&'static [u8]]| {
            let mut scratch = Vec::new();
            let key = |i: usize| (list[i], &b""[..]);
            let colliding = find_duplicate_sorted(list.len(), key, &mut scratch, |_, _| 7);
            let real = find_duplicate(list.len(), key, &mut scratch);
            assert_eq!(colliding, real);
            real
        };
        assert_eq!(run(&names), None);
        // `a`, another name, `a` again: the case a bare hash sort missed.
        let mut with = names.to_vec();
        with[2] = b"a";
        assert_eq!(run(&with), Some(2));
        with[15] = b"b";
        with[9] = b"b";
        assert_eq!(run(&with), Some(2));
        let mut late = names.to_vec();
        late[15] = b"c";
        late[12] = b"c";
        assert_eq!(run(&late), Some(12));
        // The pairwise path for short lists agrees.
        assert_eq!(run(&[b"x", b"y", b"x"]), Some(2));
    }

    /// The word comparison agrees with byte equality at every length and
    /// every differing position.
    #[test]
    fn same_is_byte_equality() {
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
