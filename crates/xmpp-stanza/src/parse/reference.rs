//! The reference the single pass (`onepass.rs`) is held to: quick-xml
//! finds the tokens, and every rule on top of them is written here again,
//! plainly and on its own, from the specifications: XML 1.0 §2.2 `Char`,
//! §2.3 names, §2.4 `]]>`, §2.11 line ends, §3.3.3 attribute-value
//! normalization, §4.1 references; Namespaces in XML 1.0 §3 (reserved
//! bindings), §4 (QNames), §5 (resolution), §6.3 (attributes unique by
//! expanded name); RFC 6120 §11.1 restricted XML; the [`Limits`]. It shares
//! no checking code with the single pass, so a mistake there cannot hide
//! by being made twice. Slow on purpose: clarity over speed.
//!
//! Used only through `Element::from_bytes_via_quick_xml` and
//! `Element::from_frame_via_quick_xml` (differential tests, the
//! `stanza_parse` fuzz target).

use alloc::string::String;
use alloc::vec::Vec;

use compact_str::CompactString;
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use xmpp_stream::{Limit, Limits, Namespaces, Restricted};

use crate::atom::Atom;
use crate::element::{Attribute, Children, Element, Node, XML_NS};
use crate::error::ParseError;

const XMLNS_NS: &str = "http://www.w3.org/2000/xmlns/";

/// Parses `input` (one element, white space and, when `standalone`, an XML
/// declaration around it) under `limits`, prefixes not declared inside it
/// resolving against `inherited`.
pub(super) fn parse(
    input: &str,
    limits: Limits,
    standalone: bool,
    inherited: Option<&Namespaces>,
) -> Result<Element, ParseError> {
    Reference {
        input,
        limits,
        standalone,
        inherited,
        scopes: Vec::new(),
        stack: Vec::new(),
        text: String::new(),
    }
    .run()
}

/// The declarations of one open element.
struct Scope {
    default: Option<String>,
    prefixes: Vec<(String, String)>,
}

struct Reference<'i, 'n> {
    input: &'i str,
    limits: Limits,
    standalone: bool,
    inherited: Option<&'n Namespaces>,
    /// One per open element, outermost first.
    scopes: Vec<Scope>,
    /// The open elements and the children each has so far.
    stack: Vec<(Element, Vec<Node>)>,
    /// The character data since the last tag, decoded.
    text: String,
}

impl Reference<'_, '_> {
    fn run(mut self) -> Result<Element, ParseError> {
        let mut reader = Reader::from_str(self.input);
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        config.allow_unmatched_ends = false;
        config.allow_dangling_amp = false;
        config.check_comments = false;
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
                Event::Start(_) | Event::Empty(_) if root.is_some() => {
                    return Err(ParseError::TrailingContent { offset });
                }
                Event::Start(start) => {
                    self.flush_text();
                    let e = self.start(&start, offset)?;
                    self.stack.push((e, Vec::new()));
                }
                Event::Empty(start) => {
                    self.flush_text();
                    let e = self.start(&start, offset)?;
                    self.scopes.pop();
                    root = self.attach(e);
                }
                Event::End(_) => {
                    self.flush_text();
                    let Some((mut e, children)) = self.stack.pop() else {
                        return Err(ParseError::TrailingContent { offset });
                    };
                    self.scopes.pop();
                    e.children = Children::from_nodes(children);
                    root = self.attach(e);
                }
                Event::Text(t) => {
                    let raw = utf8(&t, offset)?;
                    check_chars(raw, offset)?;
                    if raw.contains("]]>") {
                        return Err(ParseError::Xml {
                            offset,
                            detail: "']]>' in character data".into(),
                        });
                    }
                    self.push_text(&line_ends(raw), offset)?;
                }
                Event::CData(t) => {
                    let raw = utf8(&t, offset)?;
                    check_chars(raw, offset)?;
                    if self.stack.is_empty() {
                        return Err(ParseError::TrailingContent { offset });
                    }
                    self.text.push_str(&line_ends(raw));
                }
                Event::GeneralRef(r) => {
                    // Only content holds references (XML 1.0 §2.1 `Misc`).
                    if self.stack.is_empty() {
                        return Err(ParseError::TrailingContent { offset });
                    }
                    let name = utf8(&r, offset)?;
                    let c = reference(name, offset).map_err(|e| self.run_error(offset, e))?;
                    let mut buf = [0u8; 4];
                    self.push_text(c.encode_utf8(&mut buf), offset)?;
                }
                Event::Comment(_) => return Err(restricted(offset, Restricted::Comment)),
                Event::PI(_) => return Err(restricted(offset, Restricted::ProcessingInstruction)),
                Event::DocType(_) => return Err(restricted(offset, Restricted::Doctype)),
                // XML 1.0 §2.8: the declaration only at the very start; a
                // frame never has one.
                Event::Decl(_) if self.standalone && at_start => {}
                Event::Decl(_) => {
                    return Err(restricted(offset, Restricted::ProcessingInstruction));
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

    /// The error to report for a bad reference at `offset`. XML ranks no
    /// error of a run of character data above another; like the single
    /// pass, this reports the run's characters and `]]>` before its
    /// references, so the rest of the run is checked first.
    fn run_error(&self, offset: u64, reference: ParseError) -> ParseError {
        let rest = usize::try_from(offset)
            .ok()
            .and_then(|at| self.input.get(at..))
            .unwrap_or_default();
        let run = rest.split('<').next().unwrap_or_default();
        if let Err(e) = check_chars(run, offset) {
            return e;
        }
        if run.contains("]]>") {
            return ParseError::Xml {
                offset,
                detail: "']]>' in character data".into(),
            };
        }
        reference
    }

    /// Puts a finished element into its parent, or returns it when it is
    /// the root.
    fn attach(&mut self, e: Element) -> Option<Element> {
        match self.stack.last_mut() {
            Some((_, children)) => {
                children.push(Node::Element(e));
                None
            }
            None => Some(e),
        }
    }

    fn flush_text(&mut self) {
        if let Some((_, children)) = self.stack.last_mut() {
            if !self.text.is_empty() {
                children.push(Node::Text(CompactString::from(self.text.as_str())));
            }
        }
        self.text.clear();
    }

    /// Character data: inside the root it is text; outside it only white
    /// space may stand.
    fn push_text(&mut self, text: &str, offset: u64) -> Result<(), ParseError> {
        if !self.stack.is_empty() {
            self.text.push_str(text);
            return Ok(());
        }
        if text.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r')) {
            return Ok(());
        }
        Err(ParseError::TrailingContent { offset })
    }

    /// The namespace `prefix` is bound to: the innermost declaration, the
    /// `xml` prefix, then what the stream header declared.
    fn resolve(&self, prefix: &str, offset: u64) -> Result<Atom, ParseError> {
        for scope in self.scopes.iter().rev() {
            if let Some((_, ns)) = scope.prefixes.iter().find(|(p, _)| p == prefix) {
                return Ok(Atom::new(ns));
            }
        }
        if prefix == "xml" {
            return Ok(Atom::new(XML_NS));
        }
        match self.inherited.and_then(|n| n.resolve(prefix)) {
            Some(ns) => Ok(Atom::new(ns)),
            None => Err(ParseError::UndeclaredPrefix {
                offset,
                prefix: prefix.into(),
            }),
        }
    }

    fn default_namespace(&self) -> Atom {
        for scope in self.scopes.iter().rev() {
            if let Some(ns) = &scope.default {
                return Atom::new(ns);
            }
        }
        Atom::new(
            self.inherited
                .and_then(|n| n.default_namespace())
                .unwrap_or_default(),
        )
    }

    fn start(&mut self, start: &BytesStart<'_>, offset: u64) -> Result<Element, ParseError> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(ParseError::LimitExceeded {
                offset,
                limit: Limit::Depth,
                max: self.limits.max_depth,
            });
        }
        let qname = utf8(start.name().into_inner(), offset)?;
        self.check_qname(qname, offset)?;
        let in_scope: usize = self
            .scopes
            .iter()
            .map(|s| s.prefixes.len() + usize::from(s.default.is_some()))
            .sum();
        let mut scope = Scope {
            default: None,
            prefixes: Vec::new(),
        };
        let mut others: Vec<(&str, String)> = Vec::new();
        let mut count = 0usize;
        let mut attributes = start.attributes();
        attributes.with_checks(false);
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
            let key = utf8(attr.key.into_inner(), offset)?;
            // XML 1.0 §3.1: white space before every attribute, which
            // quick-xml does not require.
            let at = (key.as_ptr() as usize).wrapping_sub(self.input.as_ptr() as usize);
            let before = at.checked_sub(1).and_then(|i| self.input.as_bytes().get(i));
            if !matches!(before, Some(b' ' | b'\t' | b'\n' | b'\r')) {
                return Err(ParseError::Xml {
                    offset,
                    detail: "no white space before an attribute".into(),
                });
            }
            let raw = utf8(&attr.value, offset)?;
            self.check_qname(key, offset)?;
            let value = attribute_value(raw, offset)?;
            let prefix = if key == "xmlns" {
                None
            } else if let Some(p) = key.strip_prefix("xmlns:") {
                Some(p)
            } else {
                others.push((key, value));
                continue;
            };
            if in_scope + scope.prefixes.len() + usize::from(scope.default.is_some())
                >= self.limits.max_namespace_declarations
            {
                return Err(ParseError::LimitExceeded {
                    offset,
                    limit: Limit::NamespaceDeclarations,
                    max: self.limits.max_namespace_declarations,
                });
            }
            match prefix {
                None if scope.default.is_some() => {
                    return Err(ParseError::DuplicateAttribute {
                        offset,
                        name: key.into(),
                    });
                }
                None => scope.default = Some(value),
                Some(p) => {
                    // Namespaces in XML 1.0 §3: `xmlns` is never declared,
                    // `xml` only to its namespace, no other prefix to
                    // either of theirs, and no prefix undeclared.
                    let reserved = match p {
                        "xmlns" => true,
                        "xml" => value != XML_NS,
                        _ => value.is_empty() || value == XML_NS || value == XMLNS_NS,
                    };
                    if reserved {
                        return Err(ParseError::ReservedPrefix {
                            offset,
                            prefix: p.into(),
                        });
                    }
                    if scope.prefixes.iter().any(|(q, _)| q == p) {
                        return Err(ParseError::DuplicateAttribute {
                            offset,
                            name: key.into(),
                        });
                    }
                    scope.prefixes.push((p.into(), value));
                }
            }
        }
        self.scopes.push(scope);
        let (prefix, local) = match qname.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, qname),
        };
        let ns = match prefix {
            Some("xmlns") => {
                return Err(ParseError::ReservedPrefix {
                    offset,
                    prefix: "xmlns".into(),
                });
            }
            Some(p) => self.resolve(p, offset)?,
            None => self.default_namespace(),
        };
        let mut attrs: Vec<Attribute> = Vec::new();
        for (key, value) in others {
            let (ns, name) = match key.split_once(':') {
                Some((p, l)) => (self.resolve(p, offset)?, l),
                None => (Atom::default(), key),
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
                value: CompactString::from(value),
            });
        }
        Ok(Element {
            name: Atom::new(local),
            ns,
            attrs,
            children: Children::default(),
        })
    }

    /// Namespaces in XML 1.0 §4: a QName is an NCName or two joined by one
    /// colon; no longer than the limit.
    fn check_qname(&self, qname: &str, offset: u64) -> Result<(), ParseError> {
        let max = self.limits.max_name_bytes;
        // The first error in document order: a character no qualified name
        // holds, at or before byte `max`, comes before the length.
        if qname.len() > max && !qname_start_ok(qname, max) {
            return Err(ParseError::InvalidName {
                offset,
                name: qname.into(),
            });
        }
        if qname.len() > max {
            return Err(ParseError::LimitExceeded {
                offset,
                limit: Limit::NameBytes,
                max: self.limits.max_name_bytes,
            });
        }
        let ok = match qname.split_once(':') {
            Some((p, l)) => ncname(p) && ncname(l),
            None => ncname(qname),
        };
        if ok {
            Ok(())
        } else {
            Err(ParseError::InvalidName {
                offset,
                name: qname.into(),
            })
        }
    }
}

fn restricted(offset: u64, construct: Restricted) -> ParseError {
    ParseError::Restricted { offset, construct }
}

/// The text of a slice quick-xml took from the (UTF-8) input.
fn utf8(bytes: &[u8], offset: u64) -> Result<&str, ParseError> {
    core::str::from_utf8(bytes).map_err(|_| ParseError::InvalidUtf8 { offset })
}

/// XML 1.0 §2.2 `Char`.
fn xml_char(c: char) -> bool {
    let c = u32::from(c);
    c == 0x9
        || c == 0xA
        || c == 0xD
        || (0x20..=0xD7FF).contains(&c)
        || (0xE000..=0xFFFD).contains(&c)
        || (0x1_0000..=0x10_FFFF).contains(&c)
}

fn check_chars(raw: &str, offset: u64) -> Result<(), ParseError> {
    match raw.chars().find(|&c| !xml_char(c)) {
        Some(c) => Err(ParseError::InvalidChar {
            offset,
            code_point: u32::from(c),
        }),
        None => Ok(()),
    }
}

/// XML 1.0 §2.3 `NameStartChar`, without the colon.
fn name_start(c: char) -> bool {
    let c = u32::from(c);
    [
        (0x41, 0x5A),
        (0x5F, 0x5F),
        (0x61, 0x7A),
        (0xC0, 0xD6),
        (0xD8, 0xF6),
        (0xF8, 0x2FF),
        (0x370, 0x37D),
        (0x37F, 0x1FFF),
        (0x200C, 0x200D),
        (0x2070, 0x218F),
        (0x2C00, 0x2FEF),
        (0x3001, 0xD7FF),
        (0xF900, 0xFDCF),
        (0xFDF0, 0xFFFD),
        (0x1_0000, 0xE_FFFF),
    ]
    .iter()
    .any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// XML 1.0 §2.3 `NameChar`, without the colon.
fn name_char(c: char) -> bool {
    let n = u32::from(c);
    name_start(c)
        || c == '-'
        || c == '.'
        || c.is_ascii_digit()
        || n == 0xB7
        || (0x300..=0x36F).contains(&n)
        || (0x203F..=0x2040).contains(&n)
}

/// Whether the characters of `qname` that start at or before byte `max`
/// are name characters (XML 1.0 §2.3 `Name`, colons included: where the
/// colons stand is judged on the whole name, after its length): a name of
/// `max` bytes followed by anything else is not too long but broken.
fn qname_start_ok(qname: &str, max: usize) -> bool {
    qname
        .char_indices()
        .take_while(|&(i, _)| i <= max)
        .all(|(i, c)| c == ':' || if i == 0 { name_start(c) } else { name_char(c) })
}

/// Namespaces in XML 1.0 §3 `NCName`.
fn ncname(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(name_start) && chars.all(name_char)
}

/// XML 1.0 §4.1 and RFC 6120 §11.1: the character a reference (`name`,
/// between `&` and `;`) stands for.
fn reference(name: &str, offset: u64) -> Result<char, ParseError> {
    let number = |digits: &str, radix: u32| {
        if digits.is_empty() {
            return Err(ParseError::InvalidReference { offset });
        }
        // Held just past Unicode once out of range, however many digits
        // follow.
        let mut value = 0u32;
        for c in digits.chars() {
            let d = c
                .to_digit(radix)
                .ok_or(ParseError::InvalidReference { offset })?;
            value = value.saturating_mul(radix).saturating_add(d).min(0x11_0000);
        }
        match char::from_u32(value) {
            Some(c) if xml_char(c) => Ok(c),
            Some(c) => Err(ParseError::InvalidChar {
                offset,
                code_point: u32::from(c),
            }),
            None => Err(ParseError::InvalidReference { offset }),
        }
    };
    match name {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        _ => match (name.strip_prefix("#x"), name.strip_prefix('#')) {
            (Some(hex), _) => number(hex, 16),
            (None, Some(dec)) => number(dec, 10),
            (None, None) if ncname(name) => Err(restricted(offset, Restricted::EntityReference)),
            (None, None) => Err(ParseError::InvalidReference { offset }),
        },
    }
}

/// XML 1.0 §2.11: CR LF and a lone CR are read as LF.
fn line_ends(raw: &str) -> String {
    raw.replace("\r\n", "\n").replace('\r', "\n")
}

/// XML 1.0 §3.3.3 for CDATA attributes: `Char`s without `<`, references
/// expanded, each literal white space character (CR LF counting as one
/// after §2.11) a space; a space from a reference stays what it names.
fn attribute_value(raw: &str, offset: u64) -> Result<String, ParseError> {
    check_chars(raw, offset)?;
    if raw.contains('<') {
        return Err(ParseError::Xml {
            offset,
            detail: "'<' in an attribute value".into(),
        });
    }
    let normalized = line_ends(raw);
    let mut out = String::with_capacity(normalized.len());
    let mut rest = normalized.as_str();
    while let Some(c) = rest.chars().next() {
        if c == '&' {
            let after = rest.get(1..).unwrap_or_default();
            let Some(semi) = after.find(';') else {
                return Err(ParseError::InvalidReference { offset });
            };
            out.push(reference(after.get(..semi).unwrap_or_default(), offset)?);
            rest = after.get(semi + 1..).unwrap_or_default();
        } else {
            out.push(if matches!(c, '\t' | '\n') { ' ' } else { c });
            rest = rest.get(c.len_utf8()..).unwrap_or_default();
        }
    }
    Ok(out)
}
