//! Fuzzes xmpp-stanza's untrusted entry points. Invariants: no panic; a
//! tree that parses serializes to bytes that parse back to the same tree;
//! a valid stanza round-trips through its element; an invalid one keeps
//! its element and, unless it is an error, has a reply that parses.
//!
//! Input layout: byte 0 bit 0 picks the path: standalone bytes
//! (`Element::from_bytes`) or framing inside a `jabber:client` stream
//! (`Element::from_frame`); the rest is the XML. Both are also built
//! through quick-xml (`from_bytes_via_quick_xml`,
//! `from_frame_via_quick_xml`): a framed element gives the same tree both
//! ways, and standalone bytes the single checking pass accepts are
//! accepted by quick-xml as the same tree. The frames of one input go
//! through one `TreeBuilder` as well, whose reused buffers must give the
//! same trees as a one-off `from_frame`. And the framer is held to the
//! single checking pass: the bytes of every element it frames must pass
//! every check of `Element::from_bytes` but namespace resolution (the
//! stream header's prefixes are not declared in them), and the other way
//! round: standalone bytes the strict pass accepts frame inside a stream
//! (unless they are in no namespace, which no top-level element may be).
//!
//! The fuzz target and the regression test of `cargo test -p xtask` (the
//! files of `testdata/fuzz-regressions/stanza_parse/`) both run this.

use xmpp_stanza::{Element, ParseError, Stanza, TreeBuilder};
use xmpp_stream::{Event, Framer, Limits, Transport};

const HEADER: &[u8] = b"<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";

fn check(e: Element) {
    let xml = e.to_xml();
    let back = Element::from_bytes(xml.as_bytes()).expect("serialized trees parse");
    assert_eq!(back, e, "round trip of {xml}");
    match Stanza::from_element(e) {
        Ok(s) => {
            let again = Stanza::from_element(s.to_element()).expect("typed round trip");
            assert_eq!(again, s);
        }
        Err(invalid) => {
            if let Some(reply) = invalid.error_reply() {
                Element::from_bytes(reply.to_xml().as_bytes()).expect("replies parse");
            }
        }
    }
}

/// Runs one input; panics when an invariant does not hold.
pub(crate) fn run(data: &[u8]) {
    let Some((&mode, xml)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let reference = Element::from_bytes_via_quick_xml(xml, &Limits::default());
        let ours = Element::from_bytes(xml);
        if let (Err(a), Err(b)) = (&ours, &reference) {
            // Refused by both, for the same RFC 6120 §4.9.3 condition;
            // unless quick-xml could not tokenize the rest at all (a quote
            // never closed), or not the next attribute (its attribute
            // errors read `position N: …`: a name too long for the limit
            // that runs into a byte no key may hold), and so never saw
            // the error the single pass found earlier in the same tag.
            let gave_up = matches!(b, ParseError::Xml { detail, .. }
                if detail.starts_with("syntax error") || detail.starts_with("position "));
            assert!(
                a.condition() == b.condition() || gave_up,
                "single pass {a:?} vs quick-xml {b:?}"
            );
        }
        if let (Err(a), Ok(_)) = (&ours, &reference) {
            panic!("single pass refused ({a:?}) what quick-xml accepts");
        }
        if let Ok(e) = ours {
            // The single checking pass accepts nothing quick-xml refuses.
            assert_eq!(reference.as_ref(), Ok(&e), "single pass vs quick-xml");
            // Nor anything the framer refuses inside a stream (an XML
            // declaration or a byte order mark has no place there).
            if !xml.starts_with(b"<?xml") && !xml.starts_with(b"\xEF\xBB\xBF") {
                let mut f = Framer::new(Transport::Tcp);
                f.feed(HEADER);
                f.feed(xml);
                let _header = f.next_event();
                let mut next = f.next_event();
                while let Ok(Some(Event::Whitespace)) = next {
                    next = f.next_event();
                }
                match next {
                    Ok(Some(Event::Element(frame))) => {
                        let framed = Element::from_frame(&frame).expect("framed elements parse");
                        assert_eq!(framed.name(), e.name());
                    }
                    // RFC 6120 §4.8: a top-level element in no namespace
                    // (one that undeclares the stream's default) has no
                    // place in a stream, whatever it is standalone.
                    Err(err)
                        if e.ns().is_empty()
                            && err.condition() == xmpp_stream::Condition::InvalidNamespace => {}
                    other => panic!("parsed standalone but framed as {other:?}"),
                }
            }
            check(e);
        }
        return;
    }
    let mut f = Framer::new(Transport::Tcp);
    f.feed(HEADER);
    f.feed(xml);
    let mut builder = TreeBuilder::new();
    while let Ok(Some(ev)) = f.next_event() {
        if let Event::Element(frame) = ev {
            // What the framer let through is well-formed restricted XML to
            // the strict pass too, except for the header's prefixes.
            match Element::from_bytes(frame.xml().as_bytes()) {
                Ok(_) | Err(ParseError::UndeclaredPrefix { .. }) => {}
                Err(other) => panic!(
                    "framed but refused standalone: {other:?} in {}",
                    frame.xml()
                ),
            }
            let e = Element::from_frame(&frame).expect("framed elements parse");
            let reference = Element::from_frame_via_quick_xml(&frame);
            assert_eq!(
                reference.as_ref(),
                Ok(&e),
                "trusted pass vs quick-xml on {}",
                frame.xml()
            );
            assert_eq!(
                builder.from_frame(&frame).as_ref(),
                Ok(&e),
                "reused buffers"
            );
            check(e);
        }
    }
}
