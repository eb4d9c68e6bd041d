//! What the framer produces: [`Event`]s carrying a [`StreamHeader`] or a
//! framed top-level [`Frame`] (RFC 6120 §4.1: stanzas and other first-level
//! children of the stream).

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use crate::chars::is_space;
use crate::escape::unescape_attribute;

/// The namespace of the `xml` prefix, bound in every document.
pub const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";

/// One event of an XML stream. The header and element are boxed so that an
/// event, and with it every `next_event` result, is two words: returning
/// "feed more" for each byte of a 1-byte feed costs no copying.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The stream header (RFC 6120 §4.7), the WebSocket `<open/>` (RFC 7395
    /// §3.4) or a BOSH `<body>` start tag (XEP-0124 §7).
    StreamOpen(Box<StreamHeader>),
    /// One complete top-level element: a stanza or a nonza.
    Element(Box<Frame>),
    /// White space between top-level elements (RFC 6120 §4.6.1 keepalive);
    /// one event per run, reported as soon as the run starts.
    Whitespace,
    /// The end of the stream: `</stream:stream>`, the WebSocket `<close/>`
    /// or a BOSH `</body>`.
    StreamClose,
}

/// The namespace declarations in force where top-level elements start: those
/// of the stream header (or BOSH `<body>`), shared by every element of the
/// stream so that one can be parsed on its own later.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Namespaces {
    /// The default namespace, if declared.
    pub(crate) default: Option<Box<str>>,
    /// `(prefix, namespace)` pairs in declaration order.
    pub(crate) prefixes: Vec<(Box<str>, Box<str>)>,
}

impl Namespaces {
    /// The default namespace (`xmlns='…'`), if any.
    pub fn default_namespace(&self) -> Option<&str> {
        self.default.as_deref()
    }

    /// The prefix declarations (`xmlns:p='…'`) as `(prefix, namespace)`.
    pub fn prefixes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.prefixes.iter().map(|(p, n)| (&**p, &**n))
    }

    /// The namespace `prefix` is bound to (`""` asks for the default
    /// namespace; `xml` is always bound).
    pub fn resolve(&self, prefix: &str) -> Option<&str> {
        if prefix.is_empty() {
            return self.default_namespace();
        }
        if prefix == "xml" {
            return Some(XML_NS);
        }
        self.prefixes
            .iter()
            .rev()
            .find(|(p, _)| &**p == prefix)
            .map(|(_, n)| &**n)
    }

    /// Number of declarations.
    pub(crate) fn len(&self) -> usize {
        self.prefixes.len() + usize::from(self.default.is_some())
    }
}

/// The opening of a stream: its element's name and namespace and its
/// attributes (RFC 6120 §4.7: `to`, `from`, `id`, `version`, `xml:lang`, and
/// the namespace declarations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHeader {
    pub(crate) qname: String,
    pub(crate) colon: Option<usize>,
    pub(crate) ns: String,
    pub(crate) attrs: Vec<(String, String)>,
    pub(crate) namespaces: Arc<Namespaces>,
}

impl StreamHeader {
    /// The local name: `stream`, `open` or `body`.
    pub fn name(&self) -> &str {
        match self.colon {
            Some(c) => self.qname.get(c + 1..).unwrap_or_default(),
            None => &self.qname,
        }
    }

    /// The name as written, e.g. `stream:stream`.
    pub fn qualified_name(&self) -> &str {
        &self.qname
    }

    /// The namespace of the element, e.g. `http://etherx.jabber.org/streams`.
    pub fn namespace(&self) -> &str {
        &self.ns
    }

    /// Every attribute as `(qualified name, value)`, in document order,
    /// values unescaped; namespace declarations included.
    pub fn attributes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attrs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The value of the attribute with this qualified name.
    pub fn attr(&self, qname: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == qname)
            .map(|(_, v)| v.as_str())
    }

    /// The value of the attribute with local name `local` in namespace
    /// `namespace` (`""`: no namespace, an unprefixed attribute), whatever
    /// prefix it was written with (Namespaces in XML 1.0 §6.3): BOSH's
    /// `restart` in `urn:xmpp:xbosh` is found as `xmpp:restart` or under
    /// any other prefix bound to that namespace. Namespace declarations
    /// are not attributes here. The header is the root, so its own
    /// declarations are every one in scope (with `xml`).
    ///
    /// ```
    /// use xmpp_stream::{Event, Framer, Transport, XBOSH_NS};
    ///
    /// let mut f = Framer::new(Transport::Bosh);
    /// f.feed(b"<body xmlns='http://jabber.org/protocol/httpbind' \
    ///     xmlns:x='urn:xmpp:xbosh' x:restart='true' sid='s'/>");
    /// let Ok(Some(Event::StreamOpen(h))) = f.next_event() else { panic!() };
    /// assert_eq!(h.attr("xmpp:restart"), None);
    /// assert_eq!(h.attr_ns("restart", XBOSH_NS), Some("true"));
    /// assert_eq!(h.attr_ns("sid", ""), Some("s"));
    /// ```
    pub fn attr_ns(&self, local: &str, namespace: &str) -> Option<&str> {
        let resolve = |prefix: &str| {
            if prefix == "xml" {
                return Some(XML_NS);
            }
            self.attrs
                .iter()
                .find(|(n, _)| n.strip_prefix("xmlns:") == Some(prefix))
                .map(|(_, v)| v.as_str())
        };
        self.attrs
            .iter()
            .find(|(n, _)| qname_is(n, local, namespace, resolve))
            .map(|(_, v)| v.as_str())
    }

    /// `to` (RFC 6120 §4.7.2).
    pub fn to(&self) -> Option<&str> {
        self.attr("to")
    }

    /// `from` (RFC 6120 §4.7.1).
    pub fn from(&self) -> Option<&str> {
        self.attr("from")
    }

    /// `id` (RFC 6120 §4.7.3).
    pub fn id(&self) -> Option<&str> {
        self.attr("id")
    }

    /// `version` (RFC 6120 §4.7.5).
    pub fn version(&self) -> Option<&str> {
        self.attr("version")
    }

    /// `xml:lang` (RFC 6120 §4.7.4).
    pub fn lang(&self) -> Option<&str> {
        self.attr("xml:lang")
    }

    /// The namespace declarations that top-level elements inherit.
    pub fn namespaces(&self) -> &Arc<Namespaces> {
        &self.namespaces
    }
}

/// A byte range inside an element's XML.
pub(crate) type Span = (usize, usize);

/// Where an element's namespace name is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NsRef {
    /// In the element's own bytes (an `xmlns` value without references).
    Xml(Span),
    /// The inherited default namespace.
    Default,
    /// The inherited prefix declaration at this index.
    Prefix(usize),
    /// Unescaped from a value with references, or the `xml` namespace.
    Owned(Box<str>),
    /// No namespace at all.
    None,
}

/// The routing attributes, found while framing (RFC 6120 §8.1.1–§8.1.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Routing {
    pub(crate) to: Option<Span>,
    pub(crate) from: Option<Span>,
    pub(crate) id: Option<Span>,
    pub(crate) type_: Option<Span>,
}

/// One complete top-level element, as received: its exact bytes, its name
/// and namespace, its routing attributes, and the namespace declarations it
/// inherits from the stream header. It can be forwarded as is or parsed on
/// its own later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub(crate) xml: String,
    /// The qualified name, after the `<`.
    pub(crate) qname: Span,
    /// Offset of the `:` in the qualified name, if prefixed.
    pub(crate) colon: Option<usize>,
    pub(crate) ns: NsRef,
    pub(crate) routing: Routing,
    pub(crate) namespaces: Arc<Namespaces>,
}

impl Frame {
    fn slice(&self, (a, b): Span) -> &str {
        self.xml.get(a..b).unwrap_or_default()
    }

    /// The exact bytes of the element as received (valid UTF-8).
    pub fn xml(&self) -> &str {
        &self.xml
    }

    /// Takes the element's bytes.
    pub fn into_xml(self) -> String {
        self.xml
    }

    /// The local name, e.g. `message`.
    pub fn name(&self) -> &str {
        match self.colon {
            Some(c) => self.slice((c + 1, self.qname.1)),
            None => self.slice(self.qname),
        }
    }

    /// The prefix, e.g. `stream` for `<stream:features>`.
    pub fn prefix(&self) -> Option<&str> {
        self.colon.map(|c| self.slice((self.qname.0, c)))
    }

    /// The name as written.
    pub fn qualified_name(&self) -> &str {
        self.slice(self.qname)
    }

    /// The namespace name, resolved against the element's own declarations
    /// and the inherited ones (`""` when the element is in no namespace).
    pub fn namespace(&self) -> &str {
        match &self.ns {
            NsRef::Xml(s) => self.slice(*s),
            NsRef::Default => self.namespaces.default_namespace().unwrap_or_default(),
            NsRef::Prefix(i) => self
                .namespaces
                .prefixes
                .get(*i)
                .map(|(_, n)| &**n)
                .unwrap_or_default(),
            NsRef::Owned(s) => s,
            NsRef::None => "",
        }
    }

    fn routing_attr(&self, s: Option<Span>) -> Option<Cow<'_, str>> {
        s.map(|s| unescape_attribute(self.slice(s)))
    }

    /// `to`, unescaped (RFC 6120 §8.1.1).
    pub fn to(&self) -> Option<Cow<'_, str>> {
        self.routing_attr(self.routing.to)
    }

    /// `from`, unescaped (RFC 6120 §8.1.2).
    pub fn from(&self) -> Option<Cow<'_, str>> {
        self.routing_attr(self.routing.from)
    }

    /// `id`, unescaped (RFC 6120 §8.1.3).
    pub fn id(&self) -> Option<Cow<'_, str>> {
        self.routing_attr(self.routing.id)
    }

    /// `type`, unescaped (RFC 6120 §8.1.4).
    pub fn type_(&self) -> Option<Cow<'_, str>> {
        self.routing_attr(self.routing.type_)
    }

    /// The attributes of the element's start tag, in document order,
    /// namespace declarations included.
    pub fn attributes(&self) -> Attributes<'_> {
        Attributes {
            tag: self.xml.as_bytes(),
            xml: &self.xml,
            pos: self.qname.1,
        }
    }

    /// The unescaped value of the attribute with this qualified name.
    pub fn attr(&self, qname: &str) -> Option<Cow<'_, str>> {
        self.attributes()
            .find(|a| a.name() == qname)
            .map(|a| a.value())
    }

    /// The unescaped value of the attribute with local name `local` in
    /// namespace `namespace` (`""`: no namespace) on the element's start
    /// tag, whatever prefix it was written with (Namespaces in XML 1.0
    /// §6.3): a prefix resolves against the tag's own declarations, then
    /// those inherited from the stream header. Namespace declarations are
    /// not attributes here.
    pub fn attr_ns(&self, local: &str, namespace: &str) -> Option<Cow<'_, str>> {
        // The own declarations' values, normalized as the framer resolved
        // them (XML 1.0 §3.3.3); a lookup is rare, so they are unescaped
        // on demand rather than kept.
        let own = |prefix: &str| {
            self.attributes()
                .find(|a| a.name().strip_prefix("xmlns:") == Some(prefix))
                .map(|a| a.value())
        };
        let resolve = |prefix: &str| -> Option<Cow<'_, str>> {
            own(prefix).or_else(|| self.namespaces.resolve(prefix).map(Cow::Borrowed))
        };
        self.attributes()
            .find(|a| qname_is(a.name(), local, namespace, |p| resolve(p)))
            .map(|a| a.value())
    }

    /// The namespace declarations inherited from the stream header.
    pub fn namespaces(&self) -> &Arc<Namespaces> {
        &self.namespaces
    }
}

/// Whether the attribute written `qname` is `local` in `namespace`, its
/// prefix resolved by `resolve`; declarations (`xmlns`, `xmlns:*`) are
/// never attributes.
fn qname_is<N: AsRef<str>>(
    qname: &str,
    local: &str,
    namespace: &str,
    resolve: impl FnOnce(&str) -> Option<N>,
) -> bool {
    match qname.split_once(':') {
        None => qname != "xmlns" && namespace.is_empty() && qname == local,
        Some(("xmlns", _)) => false,
        Some((prefix, name)) => {
            name == local
                && !namespace.is_empty()
                && resolve(prefix).is_some_and(|ns| ns.as_ref() == namespace)
        }
    }
}

/// One attribute of a framed start tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attribute<'a> {
    name: &'a str,
    raw: &'a str,
}

impl<'a> Attribute<'a> {
    /// The qualified name as written.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// The value as written, references not expanded.
    pub fn raw_value(&self) -> &'a str {
        self.raw
    }

    /// The value with references expanded and white space normalized (XML
    /// 1.0 §3.3.3); borrowed when there was nothing to change.
    pub fn value(&self) -> Cow<'a, str> {
        unescape_attribute(self.raw)
    }
}

/// Iterator over the attributes of a framed element's start tag.
#[derive(Debug, Clone)]
pub struct Attributes<'a> {
    tag: &'a [u8],
    xml: &'a str,
    pos: usize,
}

impl<'a> Attributes<'a> {
    /// The attributes of the start tag in `xml` whose name ends at `pos`
    /// (a tag the framer validated).
    pub(crate) fn at(xml: &'a str, pos: usize) -> Self {
        Self {
            tag: xml.as_bytes(),
            xml,
            pos,
        }
    }

    /// Where the walk stands: after the last attribute, at the tag's `>`
    /// or `/>` once the iterator is exhausted.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// The next attribute as the byte ranges of its name and of its raw
    /// value (inside the quotes).
    pub(crate) fn next_spans(&mut self) -> Option<(Span, Span)> {
        // The start tag was validated while framing, so this walk only has
        // to find the pieces: names end at `=` or space, values at their quote.
        let mut p = self.pos;
        while self.tag.get(p).is_some_and(|&b| is_space(b)) {
            p += 1;
        }
        let first = *self.tag.get(p)?;
        if first == b'>' || first == b'/' {
            self.pos = p;
            return None;
        }
        let name_start = p;
        while self.tag.get(p).is_some_and(|&b| b != b'=' && !is_space(b)) {
            p += 1;
        }
        let name_end = p;
        let quote_at = p + self
            .tag
            .get(p..)?
            .iter()
            .position(|&b| b == b'"' || b == b'\'')?;
        let quote = *self.tag.get(quote_at)?;
        let value_start = quote_at + 1;
        let value_len = self
            .tag
            .get(value_start..)?
            .iter()
            .position(|&b| b == quote)?;
        self.pos = value_start + value_len + 1;
        Some((
            (name_start, name_end),
            (value_start, value_start + value_len),
        ))
    }
}

impl<'a> Iterator for Attributes<'a> {
    type Item = Attribute<'a>;

    fn next(&mut self) -> Option<Attribute<'a>> {
        let (name, raw) = self.next_spans()?;
        Some(Attribute {
            name: self.xml.get(name.0..name.1)?,
            raw: self.xml.get(raw.0..raw.1)?,
        })
    }
}
