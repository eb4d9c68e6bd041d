//! Forwarding a framed element to another stream without building a tree.
//!
//! A framed [`Frame`]'s exact bytes ([`Frame::xml`]) are only complete
//! together with the stream header they came under: unprefixed names may
//! take the stream's default namespace (the content namespace, RFC 6120
//! §4.8.2), and prefixed names may use a prefix that only the header
//! declares (`db:` of XEP-0220 dialback on server-to-server streams,
//! `stream:`). A router that moves a stanza from a client's stream to a
//! server's also stamps `from` (RFC 6120 §8.1.2.1) and turns `jabber:client`
//! into `jabber:server` (§4.8.2). [`Frame::write_forwarded`] does all of
//! that by editing the top start tag alone, at positions the framer already
//! knows or finds by walking that tag, and copies every other byte as is.
//! [`Frame::uses_stream_prefixes`] tells when the bytes lean on the
//! header's prefixes; it is computed on demand (one pass over the bytes),
//! so framing pays nothing for it.

use alloc::string::String;
use alloc::vec::Vec;

use crate::escape::escape_attribute;
use crate::event::{Attributes, Frame, Span};

/// How [`Frame::write_forwarded`] rewrites an element for the stream it
/// goes to. Built with [`Forward::new`] and the setters.
///
/// ```
/// use xmpp_stream::Forward;
///
/// let how = Forward::new()
///     .stamp_from("juliet@example.com/balcony")
///     .content_namespace("jabber:server");
/// assert_eq!(how.from, Some("juliet@example.com/balcony"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Forward<'a> {
    /// The `from` to stamp on the element (RFC 6120 §8.1.2.1): it replaces
    /// the element's own `from` or is added; `None` leaves `from` alone.
    pub from: Option<&'a str>,
    /// The default namespace the element is written in (RFC 6120 §4.8.2:
    /// `jabber:server` for a server-to-server stream): the element's own
    /// `xmlns` gets this value, or one is added. Every name that took the
    /// default namespace in scope at the element, its own or the stream's,
    /// now has this one; names under a nested `xmlns` keep theirs. `None`
    /// leaves the default namespace alone: the element then still takes
    /// the default namespace of the stream it is written to.
    pub content_namespace: Option<&'a str>,
    /// The `xml:lang` the element gets when it has none of its own (RFC
    /// 6120 §4.7.4: a server routing a stanza without one "SHOULD add the
    /// 'xml:lang' attribute" of the sender's stream); an element with its
    /// own keeps it (§8.1.5). `None` adds nothing.
    pub default_lang: Option<&'a str>,
}

impl<'a> Forward<'a> {
    /// Changes nothing but adding the stream's prefix declarations the
    /// element needs.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stamps `from` (the value unescaped; it is escaped when written).
    #[must_use]
    pub fn stamp_from(mut self, from: &'a str) -> Self {
        self.from = Some(from);
        self
    }

    /// Writes the element with this default namespace.
    #[must_use]
    pub fn content_namespace(mut self, namespace: &'a str) -> Self {
        self.content_namespace = Some(namespace);
        self
    }

    /// Adds `xml:lang='lang'` to an element that has no `xml:lang` of its
    /// own (the value unescaped; it is escaped when written).
    #[must_use]
    pub fn default_lang(mut self, lang: &'a str) -> Self {
        self.default_lang = Some(lang);
        self
    }
}

impl Frame {
    /// Whether the element's bytes use a namespace prefix that is declared
    /// on the stream header and nowhere inside the element (`db:result` on
    /// a server-to-server stream): such bytes do not parse on their own or
    /// under another stream's header. [`write_forwarded`] adds the
    /// declarations they need.
    ///
    /// Computed from the bytes on each call (linear in their length).
    ///
    /// [`write_forwarded`]: Self::write_forwarded
    pub fn uses_stream_prefixes(&self) -> bool {
        !self.stream_prefixes().is_empty()
    }

    /// The prefixes [`uses_stream_prefixes`](Self::uses_stream_prefixes)
    /// finds, in the order of their first use; each resolves through
    /// [`namespaces`](Self::namespaces). `xml` is bound everywhere and
    /// never listed.
    pub fn stream_prefixes(&self) -> Vec<&str> {
        undeclared_prefixes(&self.xml)
    }

    /// Writes the element to `out` as `how` says: `from` replaced or added,
    /// the default namespace declaration set, and a declaration added for
    /// each prefix in [`stream_prefixes`](Self::stream_prefixes), with the
    /// namespace the stream header gave it. Only the top start tag changes
    /// (new attributes follow the element's name); every other byte is
    /// copied as received. With [`Forward::new`] and no stream prefixes in
    /// use, the output is [`xml`](Self::xml) itself.
    ///
    /// ```
    /// use xmpp_stream::{Event, Forward, Framer, Transport};
    ///
    /// let mut f = Framer::new(Transport::Tcp);
    /// f.feed(b"<stream:stream xmlns='jabber:server' xmlns:db='jabber:server:dialback' \
    ///     xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\
    ///     <db:result from='a.example' to='b.example'>k</db:result>");
    /// let _header = f.next_event();
    /// let Ok(Some(Event::Element(e))) = f.next_event() else { panic!() };
    /// assert!(e.uses_stream_prefixes());
    /// let mut out = String::new();
    /// e.write_forwarded(&mut out, &Forward::new());
    /// assert_eq!(
    ///     out,
    ///     "<db:result xmlns:db='jabber:server:dialback' from='a.example' to='b.example'>k</db:result>"
    /// );
    ///
    /// let mut f = Framer::new(Transport::Tcp);
    /// f.feed(b"<stream:stream xmlns='jabber:client' \
    ///     xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>\
    ///     <message to='romeo@example.net' from='forged'><body>hi</body></message>");
    /// let _header = f.next_event();
    /// let Ok(Some(Event::Element(e))) = f.next_event() else { panic!() };
    /// let how = Forward::new()
    ///     .stamp_from("juliet@example.com/balcony")
    ///     .content_namespace("jabber:server");
    /// let mut out = String::new();
    /// e.write_forwarded(&mut out, &how);
    /// assert_eq!(
    ///     out,
    ///     "<message xmlns='jabber:server' to='romeo@example.net' \
    ///      from='juliet@example.com/balcony'><body>hi</body></message>"
    /// );
    /// ```
    pub fn write_forwarded(&self, out: &mut String, how: &Forward<'_>) {
        let xml = self.xml.as_str();
        let name_end = self.qname.1;
        // The element's own `xmlns` matters only when the namespace is set.
        let mut own_default: Option<Span> = None;
        if how.content_namespace.is_some() {
            let mut attrs = Attributes::at(xml, name_end);
            while let Some((name, value)) = attrs.next_spans() {
                if xml.get(name.0..name.1) == Some("xmlns") {
                    own_default = Some(value);
                }
            }
        }
        let mut replace: [Option<(Span, &str)>; 2] = [
            own_default.zip(how.content_namespace),
            self.routing.from.zip(how.from),
        ];
        replace.sort_by_key(|r| r.map(|(span, _)| span.0));

        out.reserve(xml.len() + 64);
        out.push_str(xml.get(..name_end).unwrap_or_default());
        let mut add = |name: &str, value: &str| {
            out.push(' ');
            out.push_str(name);
            out.push_str("='");
            out.push_str(&escape_attribute(value));
            out.push('\'');
        };
        if let (None, Some(ns)) = (own_default, how.content_namespace) {
            add("xmlns", ns);
        }
        for prefix in self.stream_prefixes() {
            if let Some(ns) = self.namespaces.resolve(prefix) {
                out.push_str(" xmlns:");
                out.push_str(prefix);
                out.push_str("='");
                out.push_str(&escape_attribute(ns));
                out.push('\'');
            }
        }
        if let (None, Some(from)) = (self.routing.from, how.from) {
            out.push_str(" from='");
            out.push_str(&escape_attribute(from));
            out.push('\'');
        }
        if let Some(lang) = how.default_lang {
            if self.attr_ns("lang", crate::XML_NS).is_none() {
                out.push_str(" xml:lang='");
                out.push_str(&escape_attribute(lang));
                out.push('\'');
            }
        }
        let mut cursor = name_end;
        for ((start, end), value) in replace.into_iter().flatten() {
            out.push_str(xml.get(cursor..start).unwrap_or_default());
            out.push_str(&escape_attribute(value));
            cursor = end;
        }
        out.push_str(xml.get(cursor..).unwrap_or_default());
    }

    /// [`write_forwarded`](Self::write_forwarded) into a new string.
    pub fn to_forwarded(&self, how: &Forward<'_>) -> String {
        let mut out = String::new();
        self.write_forwarded(&mut out, how);
        out
    }
}

/// The prefixes used by element or attribute names in `xml` (an element
/// the framer validated) at a place where no enclosing element of `xml`
/// declares them, each once, in order of first use.
fn undeclared_prefixes(xml: &str) -> Vec<&str> {
    let bytes = xml.as_bytes();
    let mut found: Vec<&str> = Vec::new();
    // Without a colon there is no prefix (nor a `xmlns:` declaration).
    if memchr::memchr(b':', bytes).is_none() {
        return found;
    }
    // The prefixes declared by the open elements, innermost last, and
    // where each open element's own declarations start. Both are bounded
    // by what the framer allowed (depth, declarations).
    let mut declared: Vec<&str> = Vec::new();
    let mut scopes: Vec<usize> = Vec::new();
    let mut used: Vec<&str> = Vec::new();
    let mut pos = 0;
    // Text and attribute values hold no raw `<`, so every `<` outside a
    // CDATA section starts markup; a frame holds no comment or processing
    // instruction.
    while let Some(i) = memchr::memchr(b'<', bytes.get(pos..).unwrap_or_default()) {
        let at = pos + i;
        let rest = bytes.get(at..).unwrap_or_default();
        match rest.get(1) {
            Some(b'/') => {
                if let Some(before) = scopes.pop() {
                    declared.truncate(before);
                }
                pos = at + memchr::memchr(b'>', rest).map_or(rest.len(), |j| j + 1);
            }
            Some(b'!') => {
                pos = at + memchr::memmem::find(rest, b"]]>").map_or(rest.len(), |j| j + 3);
            }
            _ => {
                let name_end = at
                    + 1
                    + rest
                        .get(1..)
                        .unwrap_or_default()
                        .iter()
                        .position(|&b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'/' | b'>'))
                        .unwrap_or(rest.len() - 1);
                let qname = xml.get(at + 1..name_end).unwrap_or_default();
                let before = declared.len();
                used.clear();
                used.extend(qname.split_once(':').map(|(p, _)| p));
                let mut attrs = Attributes::at(xml, name_end);
                while let Some((name, _)) = attrs.next_spans() {
                    let name = xml.get(name.0..name.1).unwrap_or_default();
                    match name.split_once(':') {
                        Some(("xmlns", p)) => declared.push(p),
                        Some((p, _)) => used.push(p),
                        None => {}
                    }
                }
                for &p in &used {
                    if p != "xml" && !declared.contains(&p) && !found.contains(&p) {
                        found.push(p);
                    }
                }
                let end = attrs.position();
                if bytes.get(end) == Some(&b'/') {
                    declared.truncate(before);
                    pos = end + 2;
                } else {
                    scopes.push(before);
                    pos = end + 1;
                }
            }
        }
    }
    found
}
