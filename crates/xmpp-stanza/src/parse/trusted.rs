//! The tree of a framed element in one pass over its bytes (XML 1.0 §3.1
//! tags, §2.4 character data, §2.7 CDATA sections, §4.1 references), with
//! no tokenizer in between.
//!
//! The framer of xmpp-stream accepted these bytes already: UTF-8, XML
//! `Char`s, name syntax, reference syntax and RFC 6120 §11's restrictions,
//! matching end tags, attributes unique by qualified name, and its limits.
//! So this pass only finds the boundaries it needs (`<` by `memchr`, a name
//! up to white space, `/` or `>`, a value up to its closing quote), copies
//! text that holds no `&` or CR as it is, and resolves namespaces, the one
//! thing the framer does not leave in a usable form. Anything it does not
//! expect is an error (an internal disagreement), never a panic and never a
//! guess; the differential tests hold it to the quick-xml path.

use alloc::string::String;
use alloc::vec::Vec;

use compact_str::CompactString;
use xmpp_stream::{Namespaces, Restricted, decode_reference};

use super::{XMLNS_NS, attribute_value, namespace_value, split_qname};
use crate::atom::Atom;
use crate::element::{Attribute, Element, Node, XML_NS};
use crate::error::ParseError;

/// Initial capacities of the scratch buffers: a typical stanza is a few
/// levels deep with a dozen children and a handful of attributes.
const SCRATCH_DEPTH: usize = 8;
const SCRATCH_NODES: usize = 16;
const SCRATCH_ATTRIBUTES: usize = 8;

/// An element whose end tag is still to come.
struct Open {
    element: Element,
    /// The default namespace in its scope.
    default: Atom,
    /// Length of `Builder::prefixes` before its own declarations.
    prefixes_before: usize,
    /// Index in `Builder::nodes` of its first child.
    children: usize,
}

/// Builds the tree of `input`, a framed element, whose unprefixed names
/// and prefixes not declared inside it resolve against `inherited`.
pub(super) fn build(input: &str, inherited: &Namespaces) -> Result<Element, ParseError> {
    Builder {
        input,
        pos: 0,
        inherited,
        prefixes: Vec::new(),
        stack: Vec::with_capacity(SCRATCH_DEPTH),
        nodes: Vec::with_capacity(SCRATCH_NODES),
        borrowed: "",
        text: String::new(),
        pending: Vec::with_capacity(SCRATCH_ATTRIBUTES),
    }
    .run()
}

struct Builder<'i, 'n> {
    input: &'i str,
    /// Byte offset of the next unread byte; always a char boundary, since
    /// it only ever stops at ASCII bytes or the end.
    pos: usize,
    inherited: &'n Namespaces,
    /// Prefix declarations in scope, innermost last.
    prefixes: Vec<(&'i str, Atom)>,
    stack: Vec<Open>,
    /// The finished children of every open element, in document order;
    /// an element takes its own into a vector of their exact number.
    nodes: Vec<Node>,
    /// The text run since the last tag is either this slice of the input
    /// (one piece that needed no decoding: the usual case, copied once
    /// when the run ends) or, once it needed decoding or a second piece,
    /// `text`; never both.
    borrowed: &'i str,
    text: String,
    /// The non-declaration attributes of the start tag being read, as
    /// written; kept to reuse its allocation.
    pending: Vec<(&'i str, &'i str)>,
}

/// XML 1.0 §2.3 `S`.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

impl<'i> Builder<'i, '_> {
    fn offset(&self) -> u64 {
        self.pos as u64
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.input.as_bytes().get(at).copied()
    }

    /// The input from `from` to `to`; an error if that is not a slice of
    /// it on char boundaries (which the scanning never produces).
    fn slice(&self, from: usize, to: usize) -> Result<&'i str, ParseError> {
        let input: &'i str = self.input;
        input.get(from..to).ok_or(ParseError::InvalidUtf8 {
            offset: from as u64,
        })
    }

    fn unexpected(&self, detail: &str) -> ParseError {
        ParseError::Xml {
            offset: self.offset(),
            detail: detail.into(),
        }
    }

    fn run(mut self) -> Result<Element, ParseError> {
        let bytes = self.input.as_bytes();
        let mut root: Option<Element> = None;
        while self.pos < bytes.len() {
            if root.is_some() {
                return Err(ParseError::TrailingContent {
                    offset: self.offset(),
                });
            }
            let rest = bytes.get(self.pos..).unwrap_or_default();
            if rest.first() != Some(&b'<') {
                // One scan finds the end of a plain run; a run with
                // something to decode is scanned on for its end.
                let (end, special) = match memchr::memchr3(b'<', b'&', b'\r', rest) {
                    Some(i) if rest.get(i) == Some(&b'<') => (i, None),
                    Some(i) => (
                        memchr::memchr(b'<', rest.get(i..).unwrap_or_default())
                            .map_or(rest.len(), |j| i + j),
                        Some(i),
                    ),
                    None => (rest.len(), None),
                };
                let raw = self.slice(self.pos, self.pos + end)?;
                self.text_piece(raw, special)?;
                self.pos += end;
                continue;
            }
            match rest.get(1) {
                Some(b'/') => {
                    self.flush_text();
                    let Some(gt) = memchr::memchr(b'>', rest) else {
                        return Err(ParseError::Truncated {
                            offset: bytes.len() as u64,
                        });
                    };
                    let Some(open) = self.stack.pop() else {
                        return Err(ParseError::TrailingContent {
                            offset: self.offset(),
                        });
                    };
                    self.pos += gt + 1;
                    self.prefixes.truncate(open.prefixes_before);
                    let mut e = open.element;
                    // A drained range knows its length: one allocation of
                    // the exact size.
                    e.children = self.nodes.drain(open.children..).collect();
                    root = self.attach(e);
                }
                Some(b'!') => self.cdata(rest)?,
                Some(b'?') => {
                    return Err(ParseError::Restricted {
                        offset: self.offset(),
                        construct: Restricted::ProcessingInstruction,
                    });
                }
                _ => {
                    self.flush_text();
                    root = self.start()?;
                }
            }
        }
        if !self.stack.is_empty() {
            return Err(ParseError::Truncated {
                offset: bytes.len() as u64,
            });
        }
        root.ok_or(ParseError::NoElement)
    }

    /// A CDATA section at `pos` (`rest` starts with `<!`); comments and
    /// DOCTYPEs, which the framer refuses, are refused here too.
    fn cdata(&mut self, rest: &[u8]) -> Result<(), ParseError> {
        const OPEN: &str = "<![CDATA[";
        if !rest.starts_with(OPEN.as_bytes()) {
            let construct = if rest.starts_with(b"<!--") {
                Restricted::Comment
            } else {
                Restricted::Doctype
            };
            return Err(ParseError::Restricted {
                offset: self.offset(),
                construct,
            });
        }
        let from = self.pos + OPEN.len();
        let tail = self.slice(from, self.input.len())?;
        let Some(len) = tail.find("]]>") else {
            return Err(ParseError::Truncated {
                offset: self.input.len() as u64,
            });
        };
        let raw = self.slice(from, from + len)?;
        if self.stack.is_empty() {
            return Err(ParseError::TrailingContent {
                offset: self.offset(),
            });
        }
        if raw.as_bytes().contains(&b'\r') {
            self.own_text();
            push_normalized(&mut self.text, raw);
        } else {
            self.push_plain(raw);
        }
        self.pos = from + len + 3;
        Ok(())
    }

    /// Character data up to the next tag: references expanded, line ends
    /// normalized (XML 1.0 §2.11), copied as is when it has neither
    /// (`special`: the index of its first `&` or CR, if any).
    fn text_piece(&mut self, raw: &'i str, special: Option<usize>) -> Result<(), ParseError> {
        if self.stack.is_empty() {
            return Err(ParseError::TrailingContent {
                offset: self.offset(),
            });
        }
        let Some(mut i) = special else {
            self.push_plain(raw);
            return Ok(());
        };
        self.own_text();
        let mut rest = raw;
        loop {
            // `i` indexes an ASCII byte or the end: a char boundary.
            self.text.push_str(rest.get(..i).unwrap_or_default());
            let tail = rest.get(i..).unwrap_or_default();
            let take = match tail.as_bytes().first() {
                None => break,
                Some(b'&') => {
                    let Some((c, len)) = decode_reference(tail) else {
                        return Err(ParseError::InvalidReference {
                            offset: self.offset() + (raw.len() - tail.len()) as u64,
                        });
                    };
                    self.text.push(c);
                    len
                }
                Some(_) => {
                    self.text.push('\n');
                    if tail.as_bytes().get(1) == Some(&b'\n') {
                        2
                    } else {
                        1
                    }
                }
            };
            rest = tail.get(take..).unwrap_or_default();
            i = memchr::memchr2(b'&', b'\r', rest.as_bytes()).unwrap_or(rest.len());
        }
        Ok(())
    }

    /// Adds a piece that needs no decoding to the current run.
    fn push_plain(&mut self, piece: &'i str) {
        if self.borrowed.is_empty() && self.text.is_empty() {
            self.borrowed = piece;
        } else {
            self.own_text();
            self.text.push_str(piece);
        }
    }

    /// Moves a borrowed run into `text`, to be extended.
    fn own_text(&mut self) {
        if !self.borrowed.is_empty() {
            self.text.push_str(self.borrowed);
            self.borrowed = "";
        }
    }

    /// Ends the current text run: it becomes a child of the innermost open
    /// element, allocated once at its final size.
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

    fn resolve(&self, prefix: &str) -> Result<Atom, ParseError> {
        if let Some((_, ns)) = self.prefixes.iter().rev().find(|(p, _)| **p == *prefix) {
            return Ok(ns.clone());
        }
        if prefix == "xml" {
            return Ok(Atom::Static(XML_NS));
        }
        match self.inherited.resolve(prefix) {
            Some(ns) => Ok(Atom::new(ns)),
            None => Err(ParseError::UndeclaredPrefix {
                offset: self.offset(),
                prefix: prefix.into(),
            }),
        }
    }

    /// Skips white space from `pos`.
    fn skip_space(&mut self) {
        while self.byte(self.pos).is_some_and(is_space) {
            self.pos += 1;
        }
    }

    /// Reads a name from `pos` up to white space, `=`, `/` or `>`.
    fn name(&mut self) -> Result<&'i str, ParseError> {
        let from = self.pos;
        while self
            .byte(self.pos)
            .is_some_and(|b| !is_space(b) && !matches!(b, b'=' | b'/' | b'>'))
        {
            self.pos += 1;
        }
        if from == self.pos {
            return Err(self.unexpected("expected a name"));
        }
        self.slice(from, self.pos)
    }

    /// A start tag at `pos`: builds the element, and returns it when it is
    /// an empty root.
    fn start(&mut self) -> Result<Option<Element>, ParseError> {
        let offset = self.offset();
        self.pos += 1;
        let qname = self.name()?;
        let mut default = match self.stack.last() {
            Some(open) => open.default.clone(),
            None => self
                .inherited
                .default_namespace()
                .map(Atom::new)
                .unwrap_or_default(),
        };
        let prefixes_before = self.prefixes.len();
        let mut default_declared = false;
        let mut pending = core::mem::take(&mut self.pending);
        pending.clear();
        // Attributes up to `>` or `/>`; declarations apply at once (they
        // scope the element's own name and attributes whatever their
        // order), the others wait in `pending`.
        let empty = loop {
            self.skip_space();
            match self.byte(self.pos) {
                Some(b'>') => {
                    self.pos += 1;
                    break false;
                }
                Some(b'/') if self.byte(self.pos + 1) == Some(b'>') => {
                    self.pos += 2;
                    break true;
                }
                None => {
                    return Err(ParseError::Truncated {
                        offset: self.input.len() as u64,
                    });
                }
                Some(_) => {}
            }
            let key = self.name()?;
            self.skip_space();
            if self.byte(self.pos) != Some(b'=') {
                return Err(self.unexpected("expected '=' after an attribute name"));
            }
            self.pos += 1;
            self.skip_space();
            let Some(quote @ (b'\'' | b'"')) = self.byte(self.pos) else {
                return Err(self.unexpected("expected a quoted attribute value"));
            };
            let from = self.pos + 1;
            let after = self.input.as_bytes().get(from..).unwrap_or_default();
            let Some(len) = memchr::memchr(quote, after) else {
                return Err(ParseError::Truncated {
                    offset: self.input.len() as u64,
                });
            };
            let raw = self.slice(from, from + len)?;
            self.pos = from + len + 1;
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
            match declared {
                None => default = Atom::new(&value),
                Some(prefix) => {
                    let reserved = match prefix {
                        "xmlns" => true,
                        "xml" => *value != *XML_NS,
                        _ => *value == *XML_NS || *value == *XMLNS_NS || value.is_empty(),
                    };
                    if reserved {
                        return Err(ParseError::ReservedPrefix {
                            offset,
                            prefix: prefix.into(),
                        });
                    }
                    if self
                        .prefixes
                        .get(prefixes_before..)
                        .is_some_and(|own| own.iter().any(|(p, _)| **p == *prefix))
                    {
                        return Err(ParseError::DuplicateAttribute {
                            offset,
                            name: key.into(),
                        });
                    }
                    self.prefixes.push((prefix, Atom::new(&value)));
                }
            }
        };
        let (prefix, local) = split_qname(qname);
        let ns = match prefix {
            Some("xmlns") => {
                return Err(ParseError::ReservedPrefix {
                    offset,
                    prefix: "xmlns".into(),
                });
            }
            Some(p) => self.resolve(p)?,
            None => default.clone(),
        };
        let mut attrs: Vec<Attribute> = Vec::with_capacity(pending.len());
        for &(key, raw) in &pending {
            let (p, name) = split_qname(key);
            let ns = match p {
                None => Atom::default(),
                Some(p) => self.resolve(p)?,
            };
            if attrs.iter().any(|a| *a.name == *name && a.ns == ns) {
                return Err(ParseError::DuplicateAttribute {
                    offset,
                    name: key.into(),
                });
            }
            attrs.push(Attribute {
                name: Atom::new(name),
                ns,
                value: attribute_value(raw),
            });
        }
        self.pending = pending;
        let element = Element {
            name: Atom::new(local),
            ns,
            attrs,
            children: Vec::new(),
        };
        if empty {
            self.prefixes.truncate(prefixes_before);
            return Ok(self.attach(element));
        }
        self.stack.push(Open {
            element,
            default,
            prefixes_before,
            children: self.nodes.len(),
        });
        Ok(None)
    }
}

/// XML 1.0 §2.11: CR LF and lone CR become LF.
fn push_normalized(out: &mut String, raw: &str) {
    let mut rest = raw;
    while let Some(i) = memchr::memchr(b'\r', rest.as_bytes()) {
        out.push_str(rest.get(..i).unwrap_or_default());
        out.push('\n');
        let skip = if rest.as_bytes().get(i + 1) == Some(&b'\n') {
            2
        } else {
            1
        };
        rest = rest.get(i + skip..).unwrap_or_default();
    }
    out.push_str(rest);
}
