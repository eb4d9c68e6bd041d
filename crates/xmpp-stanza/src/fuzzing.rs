//! Generators of valid element trees and stanzas for structure-aware
//! fuzzing (the `arbitrary` feature), so that a fuzz target of code that
//! handles stanzas starts from ones that parse and type-check.
//!
//! [`ValidElement`] parses the elements of xmpp-stream's generator
//! (`ValidElementXml`); [`ValidStanza`] puts a message, presence or iq
//! together from valid addresses (xmpp-jid's `ValidJid`), the types
//! RFC 6121 defines, bodies, subjects, threads, shows, priorities and
//! payloads in their own namespaces, and checks it with
//! [`Stanza::from_element`]. A draw that is refused anyway gives a fixed
//! element or stanza instead.

use alloc::format;
use alloc::string::String;

use arbitrary::{Arbitrary, Result, Unstructured};
use xmpp_jid::ValidJid;
use xmpp_stream::ValidElementXml;

use crate::{Element, Stanza};

/// The content namespace of the generated stanzas.
const CLIENT: &str = "jabber:client";

/// An element tree that [`Element::from_bytes`] built from a generated
/// element: namespaces default and prefixed, attributes, text with markup
/// characters and non-ASCII, CDATA, nesting up to 5 deep.
///
/// ```
/// use arbitrary::{Arbitrary, Unstructured};
/// use xmpp_stanza::{Element, ValidElement};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut u = Unstructured::new(b"\x02\x05\x01\x03\x07\x00\x42\x13");
/// let ValidElement(tree) = ValidElement::arbitrary(&mut u)?;
/// // Its serialization parses back to the same tree.
/// let mut xml = String::new();
/// tree.write_xml_in(&mut xml, "");
/// assert_eq!(Element::from_bytes(xml.as_bytes())?, tree);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidElement(pub Element);

/// A stanza that [`Stanza::from_element`] accepts: a message, presence or
/// iq of `jabber:client` with valid addresses and a type RFC 6121 defines
/// (an iq of type `get` or `set` with its one payload).
///
/// ```
/// use arbitrary::{Arbitrary, Unstructured};
/// use xmpp_stanza::{Stanza, ValidStanza};
///
/// let mut u = Unstructured::new(b"\x01\x00\x02\x33\x44\x55\x66\x77\x88\x99");
/// let ValidStanza(stanza) = ValidStanza::arbitrary(&mut u)?;
/// assert!(Stanza::from_element(stanza.to_element()).is_ok());
/// # Ok::<(), arbitrary::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ValidStanza(pub Stanza);

impl<'a> Arbitrary<'a> for ValidElement {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let ValidElementXml(xml) = ValidElementXml::arbitrary(u)?;
        Ok(Self(
            Element::from_bytes(xml.as_bytes()).unwrap_or_else(|_| Element::new("message", CLIENT)),
        ))
    }
}

/// Payload namespaces and names (XEP-0199 ping, XEP-0030 disco, a roster
/// query, XEP-0085 chat states, one of no XEP).
const PAYLOADS: &[(&str, &str)] = &[
    ("ping", "urn:xmpp:ping"),
    ("query", "http://jabber.org/protocol/disco#info"),
    ("query", "jabber:iq:roster"),
    ("active", "http://jabber.org/protocol/chatstates"),
    ("thing", "urn:example:fuzz"),
];

const WORDS: &[&str] = &[
    "hi",
    "Art thou not Romeo?",
    "<&>'\"",
    "caf\u{e9}",
    "\u{4e2d}\u{6587}",
    "\u{1f600}",
    " ",
];

fn words(u: &mut Unstructured<'_>) -> Result<String> {
    let mut s = String::from(*u.choose(WORDS)?);
    for _ in 0..u.int_in_range(0..=3)? {
        s.push_str(u.choose(WORDS)?);
    }
    Ok(s)
}

/// A payload: a name in its own namespace, maybe with a generated element
/// inside (as XEP-0297 forwards one) or text.
fn payload(u: &mut Unstructured<'_>) -> Result<Element> {
    let (name, ns) = *u.choose(PAYLOADS)?;
    let mut p = Element::new(name, ns);
    if u.ratio(1, 3)? {
        p.push_child(ValidElement::arbitrary(u)?.0);
    } else if u.ratio(1, 2)? {
        p.set_attr("node", words(u)?);
    }
    Ok(p)
}

fn stanza_element(u: &mut Unstructured<'_>) -> Result<Element> {
    let name = *u.choose(&["message", "presence", "iq"])?;
    let kind = match name {
        "message" => 0,
        "presence" => 1,
        _ => 2,
    };
    let mut e = Element::new(name, CLIENT);
    if u.arbitrary()? {
        e.set_attr("to", ValidJid::arbitrary(u)?.0);
    }
    if u.arbitrary()? {
        e.set_attr("from", ValidJid::arbitrary(u)?.0);
    }
    if kind == 2 || u.arbitrary()? {
        e.set_attr("id", format!("id{}", u.int_in_range(0..=9999u32)?));
    }
    if u.ratio(1, 4)? {
        e.set_attr_ns("lang", crate::XML_NS, *u.choose(&["en", "de", "fr-CA"])?);
    }
    match kind {
        0 => {
            if let Some(t) = u.choose(&[
                None,
                Some("chat"),
                Some("normal"),
                Some("groupchat"),
                Some("headline"),
            ])? {
                e.set_attr("type", *t);
            }
            for _ in 0..u.int_in_range(0..=2)? {
                let child = *u.choose(&["body", "subject", "thread"])?;
                if e.has_child(child, CLIENT) {
                    continue;
                }
                e.push_child(Element::new(child, CLIENT).with_text(&words(u)?));
            }
            for _ in 0..u.int_in_range(0..=2)? {
                e.push_child(payload(u)?);
            }
        }
        1 => {
            let t = *u.choose(&[None, Some("unavailable"), Some("subscribe"), Some("probe")])?;
            if let Some(t) = t {
                e.set_attr("type", t);
            }
            if u.arbitrary()? {
                e.push_child(
                    Element::new("show", CLIENT)
                        .with_text(u.choose(&["away", "chat", "dnd", "xa"])?),
                );
            }
            if u.arbitrary()? {
                e.push_child(Element::new("status", CLIENT).with_text(&words(u)?));
            }
            if u.arbitrary()? {
                let p: i8 = u.arbitrary()?;
                e.push_child(Element::new("priority", CLIENT).with_text(&format!("{p}")));
            }
            if u.arbitrary()? {
                e.push_child(payload(u)?);
            }
        }
        _ => {
            let t = *u.choose(&["get", "set", "result"])?;
            e.set_attr("type", t);
            // RFC 6120 §8.2.3: get and set carry exactly one payload,
            // result at most one.
            if t != "result" || u.arbitrary()? {
                e.push_child(payload(u)?);
            }
        }
    }
    Ok(e)
}

impl<'a> Arbitrary<'a> for ValidStanza {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let e = stanza_element(u)?;
        match Stanza::from_element(e) {
            Ok(s) => Ok(Self(s)),
            Err(_) => Stanza::from_element(Element::new("message", CLIENT))
                .map(Self)
                .map_err(|_| arbitrary::Error::IncorrectFormat),
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

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
    fn generated_stanzas_and_elements_are_seldom_the_fallback() {
        let mut state = 0x0123_4567_89ab_cdef_u64;
        let (mut refused, mut rich) = (0, 0);
        for _ in 0..1000 {
            let data = bytes(&mut state, 512);
            let e = stanza_element(&mut Unstructured::new(&data)).unwrap();
            if let Err(err) = Stanza::from_element(e.clone()) {
                refused += 1;
                assert!(refused < 10, "{e:?}: {err}");
            }
            let ValidElement(tree) =
                ValidElement::arbitrary(&mut Unstructured::new(&data)).unwrap();
            rich += usize::from(tree.node_count() > 0);
        }
        // The fallback element is empty.
        assert!(rich > 300, "only {rich} elements with children");
    }
}
