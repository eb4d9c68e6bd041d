//! Fuzzes `xmpp_stream::Framer::feed`/`next_event` with the input choosing
//! the transport and the chunk boundaries too. Invariants: no panic, and the
//! events (and the error, if any) are the same as when the stream is fed
//! whole; an error repeats on the next call; and on a TCP stream the framer
//! accepts, quick-xml (an independent, namespace-aware XML parser) reads
//! well-formed XML with the same header and top-level elements: the same
//! bytes, names, namespaces and attributes (see [`agrees_with_quick_xml`]).
//!
//! Input layout: byte 0 picks the transport (bits 6-7) and the number of
//! chunk-size bytes that follow (bits 0-3); those bytes are chunk sizes used
//! in turn (0 means 1); the rest is the stream.
//!
//! The fuzz target and the regression test of `cargo test -p xtask` (the
//! files of `testdata/fuzz-regressions/stream_feed/`) both run this.

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event as XmlEvent};
use quick_xml::name::ResolveResult;
use xmpp_stream::{Event, Framer, FramingError, Transport};

fn events(t: Transport, input: &[u8], sizes: &[u8]) -> (Vec<Event>, Option<FramingError>) {
    let mut f = Framer::new(t);
    let mut events = Vec::new();
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() {
        let n = if sizes.is_empty() {
            rest.len()
        } else {
            usize::from(sizes[i % sizes.len()]).max(1).min(rest.len())
        };
        i += 1;
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        f.feed(chunk);
        loop {
            match f.next_event() {
                Ok(Some(ev)) => {
                    let restart = matches!(&ev, Event::Element(e) if e.restarts_stream());
                    events.push(ev);
                    if restart && !t.is_bosh() {
                        f.reset();
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    assert_eq!(f.next_event(), Err(e.clone()), "the error must repeat");
                    return (events, Some(e));
                }
            }
        }
    }
    let err = f.finish().err();
    (events, err)
}

/// Runs one input; panics when an invariant does not hold.
pub(crate) fn run(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let t = match head >> 6 {
        1 => Transport::WebSocket,
        2 => Transport::Bosh,
        3 => Transport::BoshRequests,
        _ => Transport::Tcp,
    };
    let k = usize::from(head & 0x0F).min(rest.len());
    let (sizes, input) = rest.split_at(k);
    let whole = events(t, input, &[]);
    let chunked = events(t, input, sizes);
    assert_eq!(chunked, whole);
    if t == Transport::Tcp && whole.1.is_none() {
        agrees_with_quick_xml(input, &whole.0);
    }
}

/// A resolved namespace as a string (`""`: none).
fn namespace(r: &ResolveResult<'_>) -> String {
    match r {
        // quick-xml keeps a declaration's value as written; the framer
        // normalizes it as an attribute value (XML 1.0 §3.3.3).
        ResolveResult::Bound(ns) => {
            xmpp_stream::unescape_attribute(&String::from_utf8_lossy(ns.as_ref())).into_owned()
        }
        ResolveResult::Unbound => String::new(),
        ResolveResult::Unknown(p) => panic!(
            "quick-xml finds prefix {:?} undeclared where the framer did not",
            String::from_utf8_lossy(p)
        ),
    }
}

/// The attributes of a start tag as written: (qualified name, raw value).
fn raw_attributes(tag: &BytesStart<'_>) -> Vec<(String, String)> {
    let mut attrs = tag.attributes();
    attrs.with_checks(false);
    attrs
        .map(|a| {
            let a = a.unwrap_or_else(|e| panic!("quick-xml refuses an attribute: {e}"));
            (
                String::from_utf8_lossy(a.key.as_ref()).into_owned(),
                String::from_utf8_lossy(&a.value).into_owned(),
            )
        })
        .collect()
}

/// A top-level element as quick-xml reads it.
struct Top {
    start: usize,
    ns: String,
    name: String,
    attrs: Vec<(String, String)>,
    /// (namespace, local name) of every attribute but the declarations.
    expanded: Vec<(String, String)>,
}

/// Differential on a TCP stream the framer accepted whole (no error, the
/// stream closed or stopped between elements): quick-xml's `NsReader`
/// reads it without error up to the first restart, and finds the same
/// stream header (name, namespace, attribute names) and the same
/// top-level elements: the same bytes (so the same boundaries), local
/// name, namespace, attributes as written, and every attribute's expanded
/// name resolving through the framer's `attr_ns` too. quick-xml checks
/// less than the framer (characters, white space between attributes), so
/// this goes one way only: what the framer accepts, quick-xml must.
fn agrees_with_quick_xml(input: &[u8], events: &[Event]) {
    let text = std::str::from_utf8(input).expect("the framer accepts UTF-8 only");
    // quick-xml skips a byte order mark and counts positions after it.
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut ours = events.iter().filter(|e| !matches!(e, Event::Whitespace));
    let mut reader = NsReader::from_str(text);
    reader.config_mut().trim_text(false);
    reader.config_mut().expand_empty_elements = false;
    let mut depth = 0usize;
    let mut top: Option<Top> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let (resolved, event) = match reader.read_resolved_event() {
            Ok((r, e)) => (namespace(&r), e),
            // quick-xml checks the reserved bindings of `xml` and `xmlns`
            // on values as written, so `&#110;` in one is not its letter.
            Err(quick_xml::Error::Namespace(_)) if text.contains('&') => return,
            Err(e) => panic!("quick-xml refuses at byte {before} what the framer accepted: {e}"),
        };
        let empty = matches!(event, XmlEvent::Empty(_));
        match &event {
            XmlEvent::Start(tag) | XmlEvent::Empty(tag) => {
                depth += 1;
                let local = String::from_utf8_lossy(tag.local_name().as_ref()).into_owned();
                if depth == 1 {
                    let Some(Event::StreamOpen(h)) = ours.next() else {
                        panic!("quick-xml reads a stream header the framer did not report");
                    };
                    assert_eq!(
                        (h.name(), h.namespace()),
                        (local.as_str(), resolved.as_str())
                    );
                    let names: Vec<String> = raw_attributes(tag).into_iter().map(|a| a.0).collect();
                    let ours: Vec<&str> = h.attributes().map(|a| a.0).collect();
                    assert_eq!(ours, names, "stream header attributes");
                } else if depth == 2 {
                    let attrs = raw_attributes(tag);
                    let expanded = attrs
                        .iter()
                        .filter(|(k, _)| k != "xmlns" && !k.starts_with("xmlns:"))
                        .map(|(k, _)| {
                            let (ns, local) = reader
                                .resolver()
                                .resolve_attribute(quick_xml::name::QName(k.as_bytes()));
                            (
                                namespace(&ns),
                                String::from_utf8_lossy(local.as_ref()).into_owned(),
                            )
                        })
                        .collect();
                    top = Some(Top {
                        start: before,
                        ns: resolved,
                        name: local,
                        attrs,
                        expanded,
                    });
                }
            }
            XmlEvent::End(_) => {}
            XmlEvent::Eof => break,
            _ => continue,
        }
        if matches!(event, XmlEvent::End(_)) || empty {
            depth -= 1;
            if depth == 1 {
                let Some(Event::Element(e)) = ours.next() else {
                    panic!("quick-xml reads an element the framer did not report");
                };
                let t = top.take().expect("a top-level element was started");
                let end = reader.buffer_position() as usize;
                assert_eq!(Some(e.xml()), text.get(t.start..end), "element bytes");
                assert_eq!((e.name(), e.namespace()), (t.name.as_str(), t.ns.as_str()));
                let attrs: Vec<(String, String)> = e
                    .attributes()
                    .map(|a| (a.name().to_owned(), a.raw_value().to_owned()))
                    .collect();
                assert_eq!(attrs, t.attrs, "attributes of {}", e.xml());
                for (ns, local) in &t.expanded {
                    assert!(
                        e.attr_ns(local, ns).is_some(),
                        "{{{ns}}}{local} on {}",
                        e.xml()
                    );
                }
                // A restart begins a new document (RFC 6120 §4.3.3).
                if e.restarts_stream() {
                    return;
                }
            } else if depth == 0 {
                assert_eq!(ours.next(), Some(&Event::StreamClose), "stream close");
            }
        }
    }
    assert_eq!(ours.next(), None, "events quick-xml did not find");
}
