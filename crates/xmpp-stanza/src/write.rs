//! Serialization of element trees: escaping (XML 1.0 §2.4, §3.3.3) and the
//! fewest namespace declarations that give every element and attribute its
//! namespace back (Namespaces in XML 1.0 §6).
//!
//! Elements are written with the default namespace (`xmlns='…'`), declared
//! only where an element's namespace differs from its parent's; attributes
//! in a namespace get a prefix: `xml:` for the XML namespace, otherwise one
//! declared on the element that uses it. Text and attribute values are
//! escaped so that end-of-line and attribute-value normalization give back
//! exactly the same characters.

use alloc::string::String;
use core::fmt;

use crate::element::{Children, Element, Node, XML_NS};

impl Element {
    /// The element as a standalone document fragment: the root declares its
    /// namespace (unless it has none).
    pub fn to_xml(&self) -> String {
        // A typical stanza fits; larger trees grow it a few times.
        let mut out = String::with_capacity(512);
        self.write_xml_in(&mut out, "");
        out
    }

    /// Appends the element as [`to_xml`](Self::to_xml) does.
    pub fn write_xml(&self, out: &mut String) {
        self.write_xml_in(out, "");
    }

    /// Appends the element as a child of a context whose default namespace
    /// is `default_ns`: a stanza written into a `jabber:client` stream with
    /// `default_ns = "jabber:client"` carries no `xmlns` of its own.
    pub fn write_xml_in(&self, out: &mut String, default_ns: &str) {
        out.push('<');
        out.push_str(&self.name);
        if *self.ns != *default_ns {
            out.push_str(" xmlns='");
            push_escaped(out, &self.ns, ESCAPE_IN_ATTRIBUTE);
            out.push('\'');
        }
        let mut declared = 0usize;
        for a in &self.attrs {
            out.push(' ');
            if a.ns.is_empty() {
                // Unprefixed: no namespace.
            } else if *a.ns == *XML_NS {
                out.push_str("xml:");
            } else {
                // A prefix of our own, declared right here; it shadows any
                // outer one of the same spelling, so no clash is possible.
                let prefix = PrefixName(declared);
                declared += 1;
                use fmt::Write as _;
                let _ = write!(out, "xmlns:{prefix}='");
                push_escaped(out, &a.ns, ESCAPE_IN_ATTRIBUTE);
                let _ = write!(out, "' {prefix}:");
            }
            out.push_str(&a.name);
            out.push_str("='");
            push_escaped(out, &a.value, ESCAPE_IN_ATTRIBUTE);
            out.push('\'');
        }
        if self.children.is_empty() {
            out.push_str("/>");
            return;
        }
        out.push('>');
        if let Children::Text(t) = &self.children {
            push_escaped(out, t, ESCAPE_IN_TEXT);
        }
        for node in self.children.vec_slice() {
            match node {
                Node::Element(e) => e.write_xml_in(out, &self.ns),
                Node::Text(t) => push_escaped(out, t, ESCAPE_IN_TEXT),
            }
        }
        out.push_str("</");
        out.push_str(&self.name);
        out.push('>');
    }
}

/// [`ESCAPE`] bit of the bytes escaped everywhere: `<`, `>` (so that `]]>`
/// can never appear), `&`, and CR (which end-of-line handling would turn
/// into LF or a space); and [`MAYBE_FORBIDDEN`].
const ESCAPE_IN_TEXT: u8 = 1 | MAYBE_FORBIDDEN;
/// [`ESCAPE`] bits of the bytes escaped in attribute values: those of text
/// and both quotes, TAB and LF (which attribute-value normalization would
/// turn into spaces).
const ESCAPE_IN_ATTRIBUTE: u8 = ESCAPE_IN_TEXT | 2;
/// [`ESCAPE`] bit of the bytes that start a character XML 1.0 cannot carry
/// (§2.2): a C0 control other than TAB, LF and CR, or 0xEF, the lead byte
/// of U+FFFE and U+FFFF (and of other characters, which stay).
const MAYBE_FORBIDDEN: u8 = 4;

/// Which bytes to escape where (the same as `xmpp_stream::escape_text` and
/// `escape_attribute`, written straight into the output).
#[allow(
    clippy::indexing_slicing,
    reason = "evaluated at compile time with constant indexes < 256; never reached by input"
)]
const ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 0x20 {
        if c != 0x09 && c != 0x0A && c != 0x0D {
            t[c] = MAYBE_FORBIDDEN;
        }
        c += 1;
    }
    t[0xEF] = MAYBE_FORBIDDEN;
    t[b'<' as usize] = 1;
    t[b'>' as usize] = 1;
    t[b'&' as usize] = 1;
    t[b'\r' as usize] = 1;
    t[b'\'' as usize] = 2;
    t[b'"' as usize] = 2;
    t[b'\t' as usize] = 2;
    t[b'\n' as usize] = 2;
    t
};

/// Appends `s` with the bytes of class `mask` replaced by references,
/// copying the runs between them whole. A character XML 1.0 cannot carry
/// (§2.2), which no reference can express either, is written as U+FFFD,
/// so that the output always parses.
fn push_escaped(out: &mut String, s: &str, mask: u8) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if ESCAPE.get(usize::from(b)).copied().unwrap_or(0) & mask == 0 {
            i += 1;
            continue;
        }
        let (with, len) = match b {
            b'<' => ("&lt;", 1),
            b'>' => ("&gt;", 1),
            b'&' => ("&amp;", 1),
            b'\'' => ("&apos;", 1),
            b'"' => ("&quot;", 1),
            b'\t' => ("&#9;", 1),
            b'\n' => ("&#10;", 1),
            b'\r' => ("&#13;", 1),
            // U+FFFE and U+FFFF; other characters led by 0xEF stay.
            0xEF => match bytes.get(i + 1..i + 3) {
                Some([0xBF, 0xBE | 0xBF]) => ("\u{FFFD}", 3),
                _ => {
                    i += 1;
                    continue;
                }
            },
            // The C0 controls other than TAB, LF and CR.
            _ => ("\u{FFFD}", 1),
        };
        // `i` starts a character (an ASCII byte or a 0xEF lead): a char
        // boundary.
        out.push_str(s.get(start..i).unwrap_or_default());
        out.push_str(with);
        i += len;
        start = i;
    }
    out.push_str(s.get(start..).unwrap_or_default());
}

/// The `n`th generated prefix: `ns0`, `ns1`, …
struct PrefixName(usize);

impl fmt::Display for PrefixName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ns{}", self.0)
    }
}

impl fmt::Display for Element {
    /// The same text as [`Element::to_xml`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_xml())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declares_namespaces_only_where_they_change() {
        let e = Element::new("message", "jabber:client")
            .with_attr("to", "a<b'")
            .with_child(Element::new("body", "jabber:client").with_text("x & y\r"))
            .with_child(
                Element::new("x", "urn:a")
                    .with_attr_ns("lang", XML_NS, "en")
                    .with_attr_ns("k", "urn:b", "v\t"),
            )
            .with_child(Element::new("bare", ""));
        assert_eq!(
            e.to_xml(),
            "<message xmlns='jabber:client' to='a&lt;b&apos;'><body>x &amp; y&#13;</body>\
             <x xmlns='urn:a' xml:lang='en' xmlns:ns0='urn:b' ns0:k='v&#9;'/><bare xmlns=''/></message>"
        );
        let mut in_stream = String::new();
        Element::new("presence", "jabber:client").write_xml_in(&mut in_stream, "jabber:client");
        assert_eq!(in_stream, "<presence/>");
    }

    #[test]
    fn escapes_as_xmpp_stream_does() {
        let s = "a<b>c&d'e\"f\tg\nh\ri]]>é😀\u{1}\u{0}\u{FFFE}\u{FFFF}\u{F000}\u{FFFD}x";
        for (mask, theirs) in [
            (ESCAPE_IN_TEXT, xmpp_stream::escape_text(s)),
            (ESCAPE_IN_ATTRIBUTE, xmpp_stream::escape_attribute(s)),
        ] {
            let mut ours = String::new();
            push_escaped(&mut ours, s, mask);
            assert_eq!(ours, theirs);
        }
    }
}
