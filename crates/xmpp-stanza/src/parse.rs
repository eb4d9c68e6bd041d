//! Building element trees, under the same [`Limits`] as the framer and
//! RFC 6120 §11's restricted XML, from standalone bytes or from a framed
//! element of xmpp-stream (its bytes plus the namespace declarations it
//! inherits from the stream header).
//!
//! Both are built in one pass over the bytes (`parse/onepass.rs`) that
//! finds the tags, expands references and builds the tree at once, with no
//! general tokenizer in between: running quick-xml over bytes the framer
//! had already validated cost about three times the framing itself, and
//! half of a standalone parse went to checks of pieces quick-xml had
//! already found. Bytes from a [`Framer`](xmpp_stream::Framer) were
//! checked character by character, so that pass trusts them; standalone
//! bytes get every check in the same pass: XML `Char`s, name syntax,
//! references, matching end tags, duplicate attributes by expanded name,
//! prefixes, and the limits.
//!
//! quick-xml (the `Parser` below) is kept as the reference the single
//! pass is held to: `Element::from_bytes_via_quick_xml` and
//! `Element::from_frame_via_quick_xml` (hidden), differential tests over every
//! vector and generated, respelled and broken elements, and the
//! `stanza_parse` fuzz target.

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::str::FromStr;

use compact_str::CompactString;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use xmpp_stream::{Limit, Limits, Namespaces, Restricted, unescape_attribute, unescape_text};

use crate::atom::Atom;
use crate::element::{Attribute, Children, Element, Node, XML_NS};
use crate::error::ParseError;

/// The namespace reserved for `xmlns` declarations themselves.
const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

impl Element {
    /// Parses a top-level element framed by xmpp-stream, resolving its
    /// prefixes and default namespace against the declarations of the
    /// stream header it came with.
    ///
    /// The framer enforced its own [`Limits`] and well-formedness already,
    /// so no limit is applied again here (a framer configured for deeper
    /// elements than the default gives trees that deep); an error here
    /// means an internal disagreement and is reported, never a panic.
    ///
    /// The bytes are read in one trusted pass, without a general XML
    /// tokenizer (see the module docs). Not checked again on this path:
    /// UTF-8 (the frame is a `str`), XML `Char`s, name syntax, reference
    /// syntax and the predefined-entity rule, `]]>` in text, matching end
    /// tags, duplicate attributes by qualified name, and every limit. Still
    /// checked, because building the tree needs the work anyway or because
    /// it costs nothing: namespace resolution (an undeclared or reserved
    /// prefix is an error, as it must be to give a namespace at all),
    /// attributes unique by expanded name (two prefixes bound to one
    /// namespace: the tree could not hold both), and the structure the pass
    /// relies on (comments, processing instructions, a DOCTYPE, unbalanced
    /// tags, content after the root), which the framer never lets through.
    ///
    /// A loop over many frames can use a [`TreeBuilder`] instead, which
    /// keeps the scratch buffers from one tree to the next.
    pub fn from_frame(frame: &xmpp_stream::Element) -> Result<Self, ParseError> {
        onepass::trusted_once(frame.xml(), frame.namespaces())
    }

    /// [`from_frame`](Self::from_frame) through quick-xml instead of the
    /// single trusted pass: the same tree, more slowly. It is the reference
    /// the differential tests and the `stanza_parse` fuzz target hold the
    /// trusted pass to; there is no other reason to call it.
    #[doc(hidden)]
    pub fn from_frame_via_quick_xml(frame: &xmpp_stream::Element) -> Result<Self, ParseError> {
        let unbounded = Limits::default()
            .with_max_element_bytes(usize::MAX)
            .with_max_depth(usize::MAX)
            .with_max_attributes(usize::MAX)
            .with_max_name_bytes(usize::MAX)
            .with_max_namespace_declarations(usize::MAX);
        Parser::new(frame.xml(), unbounded, false, Some(frame.namespaces())).run()
    }

    /// Parses one element from standalone bytes (surrounding white space and
    /// an XML declaration allowed) under the default [`Limits`], checking
    /// everything the framer would (XML 1.0 well-formedness, RFC 6120 §11
    /// restricted XML, namespaces) in the same pass that builds the tree.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ParseError> {
        Self::from_bytes_with_limits(bytes, &Limits::default())
    }

    /// Parses one element from standalone bytes under `limits`, which must
    /// pass [`Limits::validate`] ([`ParseError::InvalidLimits`] otherwise).
    pub fn from_bytes_with_limits(bytes: &[u8], limits: &Limits) -> Result<Self, ParseError> {
        let s = standalone(bytes, limits)?;
        onepass::strict_once(s, limits)
    }

    /// [`from_bytes_with_limits`](Self::from_bytes_with_limits) through
    /// quick-xml instead of the single checking pass: the same tree and
    /// the same verdict, more slowly. It is the reference the differential
    /// tests and the `stanza_parse` fuzz target hold the single pass to;
    /// there is no other reason to call it.
    #[doc(hidden)]
    pub fn from_bytes_via_quick_xml(bytes: &[u8], limits: &Limits) -> Result<Self, ParseError> {
        let s = standalone(bytes, limits)?;
        Parser::new(s, *limits, true, None).run()
    }
}

/// Builds element trees as [`Element::from_frame`] and
/// [`Element::from_bytes_with_limits`] do, keeping its scratch buffers
/// (the open elements, the finished children waiting for their parent,
/// attributes, text being decoded) from one call to the next, so that
/// reading a stream of usual stanzas allocates the trees and nothing
/// else once the buffers have grown. Each buffer keeps at most 8 KiB
/// between calls (enough for a roster result of some 90 items): one huge
/// element, which the framer's [`Limits`] allow up to 256 KiB by default
/// and which may need megabytes of buffers, does not leave them pinned
/// to the stream.
///
/// Keep one per stream (or per thread) and call it for every frame; it
/// holds no state between calls but those empty buffers, so any call may
/// follow any other, errors included.
#[derive(Default)]
pub struct TreeBuilder {
    scratch: onepass::Scratch,
}

impl core::fmt::Debug for TreeBuilder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TreeBuilder").finish_non_exhaustive()
    }
}

impl TreeBuilder {
    /// A builder with empty buffers; they grow on first use.
    pub fn new() -> Self {
        Self::default()
    }

    /// [`Element::from_frame`], reusing the buffers.
    pub fn from_frame(&mut self, frame: &xmpp_stream::Element) -> Result<Element, ParseError> {
        onepass::trusted(frame.xml(), frame.namespaces(), &mut self.scratch)
    }

    /// [`Element::from_bytes_with_limits`], reusing the buffers.
    pub fn from_bytes_with_limits(
        &mut self,
        bytes: &[u8],
        limits: &Limits,
    ) -> Result<Element, ParseError> {
        let s = standalone(bytes, limits)?;
        onepass::strict(s, limits, &mut self.scratch)
    }
}

/// Standalone bytes as a `str`, within the size limit, under limits that
/// [`Limits::validate`] accepts (their maxima bound the tree's depth, which
/// its recursive writing, comparison and `Drop` need).
fn standalone<'b>(bytes: &'b [u8], limits: &Limits) -> Result<&'b str, ParseError> {
    limits.validate().map_err(ParseError::InvalidLimits)?;
    if bytes.len() > limits.max_element_bytes {
        return Err(ParseError::LimitExceeded {
            offset: limits.max_element_bytes as u64,
            limit: Limit::ElementBytes,
            max: limits.max_element_bytes,
        });
    }
    core::str::from_utf8(bytes).map_err(|e| ParseError::InvalidUtf8 {
        offset: e.valid_up_to() as u64,
    })
}

impl FromStr for Element {
    type Err = ParseError;

    /// [`Element::from_bytes`] on the string's bytes.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Self::from_bytes(s.as_bytes())
    }
}

/// The namespace state of one element.
struct Scope {
    default: Atom,
    /// Length of `Parser::prefixes` before this element's declarations.
    prefixes_before: usize,
    /// Declarations in scope including this element's.
    decls: usize,
}

/// Initial capacities of the parser's scratch buffers (see `Parser::new`).
const SCRATCH_DEPTH: usize = 8;
const SCRATCH_NODES: usize = 16;
const SCRATCH_TEXT: usize = 512;
const SCRATCH_ATTRIBUTES: usize = 8;

/// An element whose end tag is still to come.
struct Open {
    element: Element,
    scope: Scope,
    /// Index in `Parser::nodes` of its first child.
    children: usize,
}

struct Parser<'i, 'n> {
    input: &'i str,
    limits: Limits,
    /// Whether the input still needs the checks the framer does.
    strict: bool,
    inherited: Option<&'n Namespaces>,
    prefixes: Vec<(Box<str>, Atom)>,
    /// The open elements, outermost first, each with its namespace scope
    /// and where its children start in `nodes`.
    stack: Vec<Open>,
    /// The finished children of every open element, in document order;
    /// an element takes its own (from its `Open::children` on) when it
    /// ends, into a vector of exactly their number: one allocation per
    /// element with children, none for growing.
    nodes: Vec<Node>,
    /// The character data read since the last tag, references expanded;
    /// it becomes one text node, allocated once at its final size, when
    /// the next tag comes (quick-xml ends a text event at every reference,
    /// so a run is often several events). A run of one event that needed
    /// no change stays a slice of the input in `borrowed` (the usual case:
    /// no copy into `text`, which is only allocated when a run needs it);
    /// never both non-empty.
    text: String,
    borrowed: &'i str,
    /// The non-declaration attributes of the start tag being read, as
    /// written; kept to reuse its allocation.
    pending: Vec<(&'i str, &'i str)>,
}

impl<'i, 'n> Parser<'i, 'n> {
    fn new(
        input: &'i str,
        limits: Limits,
        strict: bool,
        inherited: Option<&'n Namespaces>,
    ) -> Self {
        Self {
            input,
            limits,
            strict,
            inherited,
            prefixes: Vec::new(),
            // Sized once for a typical stanza (a few levels, a dozen
            // children, a body of a few hundred bytes, the attributes of
            // a message), so they rarely grow; never more than the input
            // could need.
            stack: Vec::with_capacity(SCRATCH_DEPTH),
            nodes: Vec::with_capacity(SCRATCH_NODES),
            text: String::new(),
            borrowed: "",
            pending: Vec::with_capacity(SCRATCH_ATTRIBUTES),
        }
    }

    fn run(mut self) -> Result<Element, ParseError> {
        let mut reader = Reader::from_str(self.input);
        let config = reader.config_mut();
        // Framed input had its end tags matched by the framer already.
        config.check_end_names = self.strict;
        config.expand_empty_elements = false;
        config.allow_unmatched_ends = false;
        config.allow_dangling_amp = false;
        config.trim_text(false);
        let mut root: Option<Element> = None;
        let mut first = true;
        loop {
            let offset = reader.buffer_position();
            let event = reader.read_event().map_err(|e| ParseError::Xml {
                offset: reader.error_position(),
                detail: alloc::format!("{e}"),
            })?;
            let at_start = core::mem::replace(&mut first, false);
            match event {
                Event::Start(start) | Event::Empty(start) if root.is_some() => {
                    let _ = start;
                    return Err(ParseError::TrailingContent { offset });
                }
                Event::Start(start) => {
                    self.flush_text();
                    let (element, scope) = self.start(&start, offset)?;
                    self.stack.push(Open {
                        element,
                        scope,
                        children: self.nodes.len(),
                    });
                }
                Event::Empty(start) => {
                    self.flush_text();
                    let (e, scope) = self.start(&start, offset)?;
                    self.prefixes.truncate(scope.prefixes_before);
                    if let Some(done) = self.attach(e) {
                        root = Some(done);
                    }
                }
                Event::End(_) => {
                    self.flush_text();
                    let Some(open) = self.stack.pop() else {
                        return Err(ParseError::TrailingContent { offset });
                    };
                    self.prefixes.truncate(open.scope.prefixes_before);
                    let mut e = open.element;
                    // `drain` of a range knows its length: the vector is
                    // allocated once, at its exact size (a lone text run is
                    // then moved out of it, as the one-pass parser keeps it).
                    e.children = Children::from_nodes(self.nodes.drain(open.children..).collect());
                    if let Some(done) = self.attach(e) {
                        root = Some(done);
                    }
                }
                Event::Text(t) => {
                    let raw = self.str_of(&t, offset)?;
                    self.text(raw, offset, false)?;
                }
                Event::CData(t) => {
                    let raw = self.str_of(&t, offset)?;
                    self.text(raw, offset, true)?;
                }
                Event::GeneralRef(r) => {
                    let c = match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        Ok(None) => match &*r {
                            b"lt" => '<',
                            b"gt" => '>',
                            b"amp" => '&',
                            b"apos" => '\'',
                            b"quot" => '"',
                            _ => {
                                return Err(ParseError::Restricted {
                                    offset,
                                    construct: Restricted::EntityReference,
                                });
                            }
                        },
                        Err(_) => return Err(ParseError::InvalidReference { offset }),
                    };
                    if !is_xml_char(c) {
                        return Err(ParseError::InvalidChar {
                            offset,
                            code_point: u32::from(c),
                        });
                    }
                    let mut buf = [0u8; 4];
                    self.push_text(c.encode_utf8(&mut buf), offset)?;
                }
                Event::Comment(_) => {
                    return Err(ParseError::Restricted {
                        offset,
                        construct: Restricted::Comment,
                    });
                }
                Event::PI(_) => {
                    return Err(ParseError::Restricted {
                        offset,
                        construct: Restricted::ProcessingInstruction,
                    });
                }
                Event::DocType(_) => {
                    return Err(ParseError::Restricted {
                        offset,
                        construct: Restricted::Doctype,
                    });
                }
                Event::Decl(_) => {
                    if !(self.strict && at_start) {
                        return Err(ParseError::Restricted {
                            offset,
                            construct: Restricted::ProcessingInstruction,
                        });
                    }
                }
                Event::Eof => break,
            }
        }
        if !self.stack.is_empty() {
            return Err(ParseError::Truncated {
                offset: self.input.len() as u64,
            });
        }
        root.ok_or(ParseError::NoElement)
    }

    /// Puts a finished element into its parent, or returns it when it is
    /// the root.
    fn attach(&mut self, e: Element) -> Option<Element> {
        if self.stack.is_empty() {
            Some(e)
        } else {
            self.nodes.push(Node::Element(e));
            None
        }
    }

    /// Ends the current text run: it becomes a child of the innermost
    /// open element (never empty, never next to another text node).
    fn flush_text(&mut self) {
        if !self.borrowed.is_empty() {
            self.nodes
                .push(Node::Text(CompactString::from(self.borrowed)));
            self.borrowed = "";
        } else if !self.text.is_empty() {
            self.nodes
                .push(Node::Text(CompactString::from(self.text.as_str())));
            self.text.clear();
        }
    }

    fn text(&mut self, raw: &'i str, offset: u64, cdata: bool) -> Result<(), ParseError> {
        if self.strict {
            check_chars(raw, offset)?;
            if !cdata && has_cdata_end(raw) {
                return Err(ParseError::Xml {
                    offset,
                    detail: "']]>' in character data".into(),
                });
            }
        }
        // quick-xml ends a text event at every reference, so `raw` holds
        // none; unescaping only normalizes line ends (XML 1.0 §2.11), and
        // most runs have none to normalize.
        let text = if cdata {
            normalize_eol(raw)
        } else if memchr::memchr2(b'&', b'\r', raw.as_bytes()).is_none() {
            Cow::Borrowed(raw)
        } else {
            unescape_text(raw)
        };
        match text {
            Cow::Borrowed(piece) if !self.stack.is_empty() => {
                if self.borrowed.is_empty() && self.text.is_empty() {
                    self.borrowed = piece;
                } else {
                    self.own_text();
                    self.text.push_str(piece);
                }
                Ok(())
            }
            text => self.push_text(&text, offset),
        }
    }

    /// Moves a borrowed run into `text`, to be extended; `text` gets
    /// room for a typical run the first time.
    fn own_text(&mut self) {
        if self.text.capacity() == 0 {
            self.text.reserve(self.input.len().min(SCRATCH_TEXT));
        }
        if !self.borrowed.is_empty() {
            self.text.push_str(self.borrowed);
            self.borrowed = "";
        }
    }

    fn push_text(&mut self, text: &str, offset: u64) -> Result<(), ParseError> {
        match self.stack.last() {
            Some(_) => {
                self.own_text();
                self.text.push_str(text);
                Ok(())
            }
            None if self.strict
                && text
                    .bytes()
                    .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r')) =>
            {
                Ok(())
            }
            None => Err(ParseError::TrailingContent { offset }),
        }
    }

    fn resolve(&self, prefix: &str, offset: u64) -> Result<Atom, ParseError> {
        if let Some((_, ns)) = self.prefixes.iter().rev().find(|(p, _)| **p == *prefix) {
            return Ok(ns.clone());
        }
        if prefix == "xml" {
            return Ok(Atom::Static(&XML_NS));
        }
        if let Some(ns) = self.inherited.and_then(|n| n.resolve(prefix)) {
            return Ok(Atom::new(ns));
        }
        Err(ParseError::UndeclaredPrefix {
            offset,
            prefix: prefix.into(),
        })
    }

    /// The text of `bytes`, a slice quick-xml took from the input: found
    /// by its position, so no UTF-8 check is repeated (the input is a
    /// `str`); anything else is checked.
    fn str_of(&self, bytes: &[u8], offset: u64) -> Result<&'i str, ParseError> {
        if bytes.is_empty() {
            return Ok("");
        }
        let input = self.input;
        let from = (bytes.as_ptr() as usize).wrapping_sub(input.as_ptr() as usize);
        if let Some(s) = from
            .checked_add(bytes.len())
            .and_then(|to| input.get(from..to))
            .filter(|s| core::ptr::eq(s.as_ptr(), bytes.as_ptr()))
        {
            return Ok(s);
        }
        // quick-xml hands out slices of a `from_str` input, never copies;
        // should that change, refuse rather than guess.
        Err(ParseError::InvalidUtf8 { offset })
    }

    fn start(
        &mut self,
        start: &BytesStart<'_>,
        offset: u64,
    ) -> Result<(Element, Scope), ParseError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(ParseError::LimitExceeded {
                offset,
                limit: Limit::Depth,
                max: self.limits.max_depth,
            });
        }
        let qname = self.str_of(start.name().into_inner(), offset)?;
        if self.strict {
            self.check_name(qname, offset)?;
        }
        let (parent_default, parent_decls) = match self.stack.last() {
            Some(open) => (open.scope.default.clone(), open.scope.decls),
            None => (
                self.inherited
                    .and_then(|n| n.default_namespace())
                    .map(Atom::new)
                    .unwrap_or_default(),
                0,
            ),
        };
        let mut scope = Scope {
            default: parent_default,
            prefixes_before: self.prefixes.len(),
            decls: parent_decls,
        };
        // One pass over the attributes: namespace declarations apply right
        // away (they scope the element's own name and attributes whatever
        // their order); the others wait in `pending` (reused across
        // elements) until every declaration is known.
        let mut pending = core::mem::take(&mut self.pending);
        pending.clear();
        let mut attributes = start.attributes();
        // Uniqueness by qualified name is the framer's (or, standalone, our
        // expanded-name check's) business; quick-xml's own check allocates.
        attributes.with_checks(false);
        let mut count = 0usize;
        let mut default_declared = false;
        for attr in attributes {
            let attr = attr.map_err(|e| ParseError::Xml {
                offset,
                detail: alloc::format!("{e}"),
            })?;
            count += 1;
            if count > self.limits.max_attributes {
                return Err(ParseError::LimitExceeded {
                    offset,
                    limit: Limit::Attributes,
                    max: self.limits.max_attributes,
                });
            }
            let key = self.str_of(attr.key.into_inner(), offset)?;
            let raw = match &attr.value {
                Cow::Borrowed(b) => self.str_of(b, offset)?,
                Cow::Owned(_) => return Err(ParseError::InvalidUtf8 { offset }),
            };
            if self.strict {
                self.check_name(key, offset)?;
                check_value(raw, offset)?;
            }
            let declared = if key == "xmlns" {
                if core::mem::replace(&mut default_declared, true) {
                    return Err(ParseError::DuplicateAttribute {
                        offset,
                        name: key.into(),
                    });
                }
                None
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                Some(p)
            } else {
                pending.push((key, raw));
                continue;
            };
            let value = namespace_value(raw);
            scope.decls += 1;
            if scope.decls > self.limits.max_namespace_declarations {
                return Err(ParseError::LimitExceeded {
                    offset,
                    limit: Limit::NamespaceDeclarations,
                    max: self.limits.max_namespace_declarations,
                });
            }
            match declared {
                None => scope.default = Atom::new(&value),
                Some(prefix) => {
                    if is_reserved_binding(prefix, &value) {
                        return Err(ParseError::ReservedPrefix {
                            offset,
                            prefix: prefix.into(),
                        });
                    }
                    if self
                        .prefixes
                        .get(scope.prefixes_before..)
                        .is_some_and(|own| own.iter().any(|(p, _)| **p == *prefix))
                    {
                        return Err(ParseError::DuplicateAttribute {
                            offset,
                            name: key.into(),
                        });
                    }
                    self.prefixes.push((prefix.into(), Atom::new(&value)));
                }
            }
        }
        let (prefix, local) = split_qname(qname);
        let ns = match prefix {
            Some("xmlns") => {
                return Err(ParseError::ReservedPrefix {
                    offset,
                    prefix: "xmlns".into(),
                });
            }
            Some(p) => self.resolve(p, offset)?,
            None => scope.default.clone(),
        };
        let mut attrs: Vec<Attribute> = Vec::with_capacity(pending.len());
        for &(key, raw) in &pending {
            let (p, name) = split_qname(key);
            let ns = match p {
                None => Atom::default(),
                Some(p) => self.resolve(p, offset)?,
            };
            if attrs.iter().any(|a| *a.name == *name && a.ns == ns) {
                return Err(ParseError::DuplicateAttribute {
                    offset,
                    name: key.into(),
                });
            }
            let value = attribute_value(raw);
            attrs.push(Attribute {
                name: Atom::new(name),
                ns,
                value,
            });
        }
        self.pending = pending;
        Ok((
            Element {
                name: Atom::new(local),
                ns,
                attrs,
                children: Children::default(),
            },
            scope,
        ))
    }

    fn check_name(&self, qname: &str, offset: u64) -> Result<(), ParseError> {
        check_name(qname, offset, &self.limits)
    }
}

/// A qualified name (Namespaces in XML 1.0 §4): one or two NCNames, no
/// longer than the limit.
fn check_name(qname: &str, offset: u64, limits: &Limits) -> Result<(), ParseError> {
    if qname.len() > limits.max_name_bytes {
        return Err(ParseError::LimitExceeded {
            offset,
            limit: Limit::NameBytes,
            max: limits.max_name_bytes,
        });
    }
    // Fast path, one pass: ASCII NCName characters with at most one colon,
    // each part starting with a name-start character.
    let mut at_start = true;
    let mut colons = 0u32;
    let mut ok = true;
    for &c in qname.as_bytes() {
        if c == b':' {
            colons += 1;
            ok &= !at_start;
            at_start = true;
        } else {
            let need = if at_start { NAME_START } else { NAME_CHAR };
            ok &= name_class(c) & need != 0;
            at_start = false;
        }
    }
    if ok && !at_start && colons <= 1 {
        return Ok(());
    }
    let (prefix, local) = split_qname(qname);
    let ok = prefix.is_none_or(is_ncname) && is_ncname(local);
    if ok {
        Ok(())
    } else {
        Err(ParseError::InvalidName {
            offset,
            name: qname.into(),
        })
    }
}

/// Splits `p:local` at its first colon (names are short: a byte loop beats
/// a searcher).
#[inline]
fn split_qname(qname: &str) -> (Option<&str>, &str) {
    match qname.bytes().position(|b| b == b':') {
        Some(i) => (qname.get(..i), qname.get(i + 1..).unwrap_or_default()),
        None => (None, qname),
    }
}

/// An NCName (Namespaces in XML 1.0 §3): a name without colons, checked
/// against XML 1.0 §2.3 exactly as the framer checks it.
pub(crate) fn is_ncname(s: &str) -> bool {
    // Fast path: the names of XMPP are ASCII, checked against a table.
    let b = s.as_bytes();
    if b.first().is_some_and(|&c| name_class(c) & NAME_START != 0)
        && b.iter().all(|&c| name_class(c) & NAME_CHAR != 0)
    {
        return true;
    }
    if s.is_ascii() {
        return false;
    }
    let mut chars = s.chars();
    chars.next().is_some_and(xmpp_stream::is_ncname_start_char)
        && chars.all(xmpp_stream::is_ncname_char)
}

/// [`name_class`] bit of the ASCII bytes that may start an NCName.
const NAME_START: u8 = 1;
/// [`name_class`] bit of the ASCII bytes that may continue an NCName.
const NAME_CHAR: u8 = 2;

/// XML 1.0 §2.3 for ASCII, minus the colon: letters and `_` start a name;
/// those, digits, `-` and `.` continue it. Other bytes are 0 (non-ASCII
/// names take the slow path).
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time over 0..128 < 256; never reached by input"
)]
const NAME_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        if c.is_ascii_alphabetic() || c == b'_' {
            t[i] = NAME_START | NAME_CHAR;
        } else if c.is_ascii_digit() || c == b'-' || c == b'.' {
            t[i] = NAME_CHAR;
        }
        i += 1;
    }
    t
};

fn name_class(b: u8) -> u8 {
    NAME_CLASS.get(usize::from(b)).copied().unwrap_or(0)
}

/// [`byte_flags`]: a byte below 0x20.
const F_CONTROL: u8 = 1;
/// [`byte_flags`]: a control byte other than TAB, LF, CR (not an XML
/// `Char`, XML 1.0 §2.2).
const F_NOT_CHAR: u8 = 2;
/// [`byte_flags`]: `&`.
const F_AMP: u8 = 4;
/// [`byte_flags`]: `<`.
const F_LT: u8 = 8;
/// [`byte_flags`]: 0xEF, the lead byte of U+FFFE and U+FFFF (and of many
/// valid characters).
const F_EF: u8 = 16;

/// The `F_*` class of every byte (a table: a `match` in the loop does not
/// compile to one).
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time over constant indexes < 256; never reached by input"
)]
const BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = if i == 0x09 || i == 0x0A || i == 0x0D {
            F_CONTROL
        } else {
            F_CONTROL | F_NOT_CHAR
        };
        i += 1;
    }
    t[b'&' as usize] = F_AMP;
    t[b'<' as usize] = F_LT;
    t[0xEF] = F_EF;
    t
};

/// Which of the `F_*` classes of bytes `raw` holds, in one pass without
/// branches on the bytes.
fn byte_flags(raw: &str) -> u8 {
    raw.bytes().fold(0, |acc, b| {
        acc | BYTE_CLASS.get(usize::from(b)).copied().unwrap_or(0)
    })
}

/// Whether `raw` holds a byte that attribute-value normalization or
/// reference expansion changes (`&`, TAB, LF, CR; other control bytes,
/// which valid values never hold, only cost the slow path).
fn needs_unescape(raw: &str) -> bool {
    byte_flags(raw) & (F_CONTROL | F_AMP) != 0
}

/// The value of a namespace declaration, references expanded; borrowed
/// when there is nothing to expand (always, in practice).
/// Namespaces in XML 1.0 §3: `xmlns` cannot be declared, `xml` only to
/// its own namespace, no other prefix to either of those two or to the
/// empty name.
pub(super) fn is_reserved_binding(prefix: &str, value: &str) -> bool {
    match prefix {
        "xmlns" => true,
        "xml" => value != XML_NS,
        _ => value == XML_NS || value == XMLNS_NS || value.is_empty(),
    }
}

fn namespace_value(raw: &str) -> Cow<'_, str> {
    if needs_unescape(raw) {
        unescape_attribute(raw)
    } else {
        Cow::Borrowed(raw)
    }
}

/// Whether character data holds `]]>` (XML 1.0 §2.4), found from its rare
/// `>`s rather than by a substring search.
fn has_cdata_end(raw: &str) -> bool {
    let b = raw.as_bytes();
    memchr::memchr_iter(b'>', b).any(|i| i >= 2 && b.get(i - 2..i) == Some(b"]]".as_slice()))
}

/// XML 1.0 §2.2 `Char`.
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Every character of `raw` is an XML `Char`.
fn check_chars(raw: &str, offset: u64) -> Result<(), ParseError> {
    // Fast path: only control bytes and the UTF-8 of U+FFFE/U+FFFF can
    // fail.
    if byte_flags(raw) & (F_NOT_CHAR | F_EF) == 0 {
        return Ok(());
    }
    match raw.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        Some((i, c)) => Err(ParseError::InvalidChar {
            offset: offset + i as u64,
            code_point: u32::from(c),
        }),
        None => Ok(()),
    }
}

/// An attribute value as written: `Char`s, no `<`, references well formed
/// and predefined (RFC 6120 §11.1 forbids other entities).
fn check_value(raw: &str, offset: u64) -> Result<(), ParseError> {
    check_value_with(raw, byte_flags(raw), offset)
}

/// [`check_value`] given the value's [`byte_flags`], which find what needs
/// a closer look.
fn check_value_with(raw: &str, flags: u8, offset: u64) -> Result<(), ParseError> {
    let amp = flags & F_AMP != 0;
    if flags & (F_NOT_CHAR | F_EF) != 0 {
        check_chars(raw, offset)?;
    }
    if flags & F_LT != 0 {
        return Err(ParseError::Xml {
            offset,
            detail: "'<' in an attribute value".into(),
        });
    }
    if !amp {
        return Ok(());
    }
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        let after = rest.get(amp + 1..).unwrap_or_default();
        let Some(semi) = after.find(';') else {
            return Err(ParseError::InvalidReference { offset });
        };
        let name = after.get(..semi).unwrap_or_default();
        let ok = match name {
            "lt" | "gt" | "amp" | "apos" | "quot" => true,
            _ => match name.strip_prefix('#') {
                Some(num) => {
                    // Any number of digits (XML 1.0 §4.1: leading zeros
                    // are allowed, as the framer allows them), the value
                    // held at 0x110000 once it is out of range.
                    let code = match num.strip_prefix('x') {
                        Some(hex) => reference_value(hex, 16),
                        None => reference_value(num, 10),
                    };
                    match code.and_then(char::from_u32) {
                        Some(c) if is_xml_char(c) => true,
                        Some(c) => {
                            return Err(ParseError::InvalidChar {
                                offset,
                                code_point: u32::from(c),
                            });
                        }
                        None => false,
                    }
                }
                None if !name.is_empty() && is_ncname(name) => {
                    return Err(ParseError::Restricted {
                        offset,
                        construct: Restricted::EntityReference,
                    });
                }
                None => false,
            },
        };
        if !ok {
            return Err(ParseError::InvalidReference { offset });
        }
        rest = after.get(semi + 1..).unwrap_or_default();
    }
    Ok(())
}

/// The code point a character reference's digits in `radix` name, held
/// at 0x110000 (past Unicode) once it is larger; `None` when there are no
/// digits or something else is among them.
fn reference_value(digits: &str, radix: u32) -> Option<u32> {
    if digits.is_empty() {
        return None;
    }
    digits.chars().try_fold(0u32, |v, c| {
        c.to_digit(radix)
            .map(|d| v.saturating_mul(radix).saturating_add(d).min(0x11_0000))
    })
}

/// An attribute value as stored: what
/// [`unescape_attribute`] gives (references expanded, XML 1.0 §3.3.3 white
/// space normalized, malformed references kept as written), built straight
/// into its final string (inline when short, else one allocation of the
/// raw length, which the result never exceeds) and copying the runs between
/// special bytes whole rather than character by character.
fn attribute_value(raw: &str) -> CompactString {
    attribute_value_with(raw, byte_flags(raw))
}

/// [`attribute_value`] given the value's [`byte_flags`].
fn attribute_value_with(raw: &str, flags: u8) -> CompactString {
    if flags & (F_CONTROL | F_AMP) == 0 {
        return CompactString::from(raw);
    }
    let special = |b: u8| matches!(b, b'&' | b'\r' | b'\t' | b'\n');
    let mut i = raw.bytes().position(special).unwrap_or(raw.len());
    let mut out = CompactString::with_capacity(raw.len());
    let mut rest = raw;
    loop {
        // `i` is the index of an ASCII byte or the end: a char boundary.
        out.push_str(rest.get(..i).unwrap_or_default());
        let tail = rest.get(i..).unwrap_or_default();
        let (c, take) = match tail.as_bytes().first() {
            None => break,
            Some(b'&') => xmpp_stream::decode_reference(tail).unwrap_or(('&', 1)),
            Some(b'\r') if tail.as_bytes().get(1) == Some(&b'\n') => (' ', 2),
            Some(_) => (' ', 1),
        };
        out.push(c);
        rest = tail.get(take..).unwrap_or_default();
        i = rest.bytes().position(special).unwrap_or(rest.len());
    }
    out
}

/// XML 1.0 §2.11 for CDATA sections: CR LF and lone CR become LF.
fn normalize_eol(raw: &str) -> Cow<'_, str> {
    if memchr::memchr(b'\r', raw.as_bytes()).is_none() {
        return Cow::Borrowed(raw);
    }
    Cow::Owned(raw.replace("\r\n", "\n").replace('\r', "\n"))
}

mod onepass;
#[cfg(test)]
mod tests;
