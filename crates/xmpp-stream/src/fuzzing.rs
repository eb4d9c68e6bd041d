//! Generators of valid streams for structure-aware fuzzing (the
//! `arbitrary` feature): a fuzz target of code that reads XMPP streams
//! starts from streams a [`Framer`] accepts, and its mutations (a byte
//! flipped, a cut, a nesting deepened) land past the parser's first checks.
//!
//! A stream is a header ([`write_open`], every [`Transport`]), top-level
//! elements built from a small grammar of XMPP's shapes (stanzas of
//! `jabber:client` with routing attributes, children in their own
//! namespaces, default or prefixed, escaped attribute values and text,
//! character references, CDATA sections, non-ASCII text), white space
//! keepalives over TCP, and maybe the close. What the grammar writes is
//! framed once before it is returned; should it ever be refused, a fixed
//! stream of the same transport is returned instead.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::bosh::Rid;
use crate::{
    Framer, OpenHeader, Transport, escape_attribute, escape_text, write_close, write_open,
};

/// A whole stream that a [`Framer`] of `transport` frames without error:
/// the header, zero or more top-level elements, and, unless it was left
/// open, the close. Stanzas never restart the stream (no `<proceed/>` or
/// SASL `<success/>`).
///
/// ```
/// use arbitrary::{Arbitrary, Unstructured};
/// use xmpp_stream::{Framer, ValidStream};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // In a fuzz target: `fuzz_target!(|s: ValidStream| { … })`.
/// let mut u = Unstructured::new(b"\x00\x02\x13\x37\x41\x42\x43\xfe\x01\x02\x03\x04\x05");
/// let stream = ValidStream::arbitrary(&mut u)?;
/// let mut framer = Framer::new(stream.transport);
/// framer.feed(&stream.bytes);
/// while framer.next_event()?.is_some() {}
/// framer.finish()?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ValidStream {
    /// The transport it is framed for.
    pub transport: Transport,
    /// The stream's bytes.
    pub bytes: Vec<u8>,
}

/// A standalone top-level element of `jabber:client` (its namespace
/// declared on it) as XML text: what [`ValidStream`] puts in its streams,
/// for code that reads one element at a time (xmpp-stanza's
/// `Frame::from_bytes` parses every one).
///
/// ```
/// use arbitrary::{Arbitrary, Unstructured};
/// use xmpp_stream::ValidElementXml;
///
/// let mut u = Unstructured::new(b"\x01\x07\x42");
/// let ValidElementXml(xml) = ValidElementXml::arbitrary(&mut u)?;
/// assert!(xml.starts_with('<') && xml.contains("xmlns='jabber:client'"));
/// # Ok::<(), arbitrary::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ValidElementXml(pub String);

/// Names of top-level elements and of their children.
const TOP: &[&str] = &["message", "presence", "iq"];
const CHILDREN: &[&str] = &[
    "body", "subject", "thread", "show", "status", "query", "item", "x", "data", "error",
];
const ATTRIBUTES: &[&str] = &[
    "to", "from", "id", "type", "name", "jid", "node", "ver", "xml:lang",
];
const NAMESPACES: &[&str] = &[
    "jabber:iq:roster",
    "urn:xmpp:ping",
    "http://jabber.org/protocol/disco#info",
    "urn:example:\u{e9}t\u{e9}",
];
/// Pieces of text and attribute values: markup characters that must be
/// escaped, non-ASCII, white space.
const WORDS: &[&str] = &[
    "hello",
    "Art thou not Romeo",
    "<b>",
    "a & b",
    "'quoted'",
    "\"double\"",
    "]]>",
    "caf\u{e9}",
    "\u{4e2d}\u{6587}",
    "\u{1f600}",
    " ",
    "\t",
    "\n",
    "juliet@example.com/balcony",
    "",
];

fn text(u: &mut Unstructured<'_>) -> Result<String> {
    let mut s = String::new();
    for _ in 0..u.int_in_range(0..=3)? {
        s.push_str(u.choose(WORDS)?);
    }
    Ok(s)
}

/// One element named `name` at `depth` (1 for a top-level one) into `out`;
/// `decl` is its namespace declaration (with its leading space), if any.
fn element(
    u: &mut Unstructured<'_>,
    out: &mut String,
    name: &str,
    decl: &str,
    depth: u32,
) -> Result<()> {
    out.push('<');
    out.push_str(name);
    out.push_str(decl);
    let mut used: Vec<&str> = Vec::new();
    for _ in 0..u.int_in_range(0..=3)? {
        let attr = *u.choose(ATTRIBUTES)?;
        if used.contains(&attr) {
            continue;
        }
        used.push(attr);
        let quote = if u.arbitrary()? { '\'' } else { '"' };
        out.push_str(&format!(
            " {attr}={quote}{}{quote}",
            escape_attribute(&text(u)?)
        ));
    }
    let children = if depth < 5 { u.int_in_range(0..=4)? } else { 0 };
    if children == 0 && u.arbitrary()? {
        out.push_str("/>");
        return Ok(());
    }
    out.push('>');
    for _ in 0..children {
        match u.int_in_range(0..=7u8)? {
            0 | 1 => out.push_str(&escape_text(&text(u)?)),
            2 => {
                // A CDATA section holds anything but its own end.
                let t = text(u)?.replace("]]>", "]] >");
                out.push_str(&format!("<![CDATA[{}]]>", escape_text(&t)));
            }
            3 => out.push_str(u.choose(&["&#x41;", "&#233;", "&amp;", "&lt;", "&#x1F600;"])?),
            4 => {
                // A prefixed child, its prefix declared on it.
                let ns = escape_attribute(u.choose(NAMESPACES)?).into_owned();
                let child = format!("p:{}", u.choose(CHILDREN)?);
                element(u, out, &child, &format!(" xmlns:p='{ns}'"), depth + 1)?;
            }
            5 => {
                let ns = escape_attribute(u.choose(NAMESPACES)?).into_owned();
                let child = *u.choose(CHILDREN)?;
                element(u, out, child, &format!(" xmlns='{ns}'"), depth + 1)?;
            }
            _ => {
                let child = *u.choose(CHILDREN)?;
                element(u, out, child, "", depth + 1)?;
            }
        }
    }
    out.push_str("</");
    out.push_str(name);
    out.push('>');
    Ok(())
}

impl<'a> Arbitrary<'a> for ValidElementXml {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut out = String::new();
        let name = *u.choose(TOP)?;
        element(u, &mut out, name, " xmlns='jabber:client'", 1)?;
        Ok(Self(out))
    }
}

/// Whether `bytes` frame without error on `transport`.
fn frames(transport: Transport, bytes: &[u8]) -> bool {
    let mut f = Framer::new(transport);
    f.feed(bytes);
    loop {
        match f.next_event() {
            Ok(Some(_)) => {}
            Ok(None) => return f.finish().is_ok(),
            Err(_) => return false,
        }
    }
}

impl<'a> Arbitrary<'a> for ValidStream {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let transport = *u.choose(&[
            Transport::Tcp,
            Transport::Tcp,
            Transport::WebSocket,
            Transport::Bosh,
            Transport::BoshRequests,
        ])?;
        let mut out = String::new();
        let rid = Rid::new(u.int_in_range(1..=(1 << 40))?);
        let mut header = OpenHeader::new("jabber:client").to("example.com");
        if u.arbitrary()? {
            header = header.from("juliet@example.com").id("s1").lang("en");
        }
        if transport.is_bosh() {
            header = header.sid("SomeSID");
            if let Some(rid) = rid {
                header = header.rid(rid);
            }
        }
        write_open(&mut out, transport, &header);
        for _ in 0..u.int_in_range(0..=6)? {
            if transport == Transport::Tcp && u.ratio(1, 4)? {
                out.push_str(u.choose(&[" ", "\n", "\r\n\t "])?);
            }
            out.push_str(&ValidElementXml::arbitrary(u)?.0);
        }
        if u.ratio(3, 4)? {
            write_close(&mut out, transport);
        }
        if !frames(transport, out.as_bytes()) {
            out.clear();
            write_open(&mut out, transport, &header);
            out.push_str(
                "<message xmlns='jabber:client' to='romeo@example.net'><body>hi</body></message>",
            );
            write_close(&mut out, transport);
        }
        Ok(Self {
            transport,
            bytes: out.into_bytes(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(state: &mut u64, n: usize) -> Vec<u8> {
        (0..n)
            .map(|_| {
                *state ^= *state << 13;
                *state ^= *state >> 7;
                *state ^= *state << 17;
                state.to_le_bytes()[0]
            })
            .collect()
    }

    #[test]
    fn generated_streams_frame_and_are_not_the_fallback() {
        let mut state = 0x1234_5678_9abc_def1_u64;
        let mut rich = 0;
        for _ in 0..1000 {
            let data = bytes(&mut state, 512);
            let s = ValidStream::arbitrary(&mut Unstructured::new(&data)).unwrap();
            assert!(
                frames(s.transport, &s.bytes),
                "{:?}",
                String::from_utf8_lossy(&s.bytes)
            );
            let text = String::from_utf8_lossy(&s.bytes);
            rich += usize::from(text.contains("xmlns:p=") || text.contains("CDATA"));
        }
        assert!(rich > 300, "only {rich} streams with prefixes or CDATA");
    }
}
