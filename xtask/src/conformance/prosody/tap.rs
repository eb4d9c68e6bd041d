//! What a connection to Prosody carried, checked on the way: every byte
//! sent and received is kept (a failure message carries them), and every
//! byte Prosody sent (the plaintext, after TLS) goes through an xmpp-stream
//! [`Framer`] of its own, beside the one inside `xmpp-session`'s `Client`.
//! Each element is parsed into an xmpp-stanza tree and a typed stanza or
//! nonza; the tree written back and parsed again is the same tree, and the
//! typed value written back and read again is the same value. Each stream
//! (the first, and each one after a restart, by `xmpp_stream`'s one rule)
//! is framed again at the end in one piece and byte by byte, and must give
//! the same events. The elements are kept as vector cases for `--record`.

use std::fmt::{Display, Write as _};

use xmpp_stanza::{CLIENT_NS, Element, InvalidStanza, Nonza, Sm, Stanza};
use xmpp_stream::{Event, Framer, Limits, OpenHeader, STREAM_NS, Transport, write_open};

use crate::util::Result;

/// The largest element kept as a vector case, in bytes.
const MAX_RECORDED: usize = 16 * 1024;

/// A received top-level element, typed.
#[derive(Debug)]
enum Received {
    /// A message, presence or iq.
    Stanza,
    /// Anything else.
    Nonza(Nonza),
    /// A message, presence or iq that is not a valid stanza (the element
    /// is kept whole inside).
    Invalid(Box<InvalidStanza>),
}

/// A received element as a case of `testdata/stanzas/` (see its README):
/// Prosody's bytes, made standalone, and what reading them gave.
#[derive(Debug, Clone)]
pub(super) struct Recorded {
    /// The section title.
    pub(super) title: String,
    /// The `expect:` value.
    pub(super) expect: String,
    /// The XEP-0115 `ver` Prosody advertises for this disco#info result.
    pub(super) caps_ver: Option<String>,
    /// The element as Prosody sent it, with the declaration of its prefix
    /// (made on the stream header) added.
    pub(super) xml: String,
    /// Its `id`, which ties a result to its request.
    id: Option<String>,
}

/// The record and the checks of one connection.
pub(super) struct Tap {
    /// Names the connection in vector cases, e.g. `alice@example.test`.
    name: String,
    /// Names the connection in messages, e.g. `alice@example.test (chunk 1)`.
    label: String,
    /// The `from` every stream header must have; `None` for a host
    /// Prosody does not serve.
    domain: Option<String>,
    framer: Framer,
    /// Every byte both ways, each run prefixed `C: ` (ours) or `S: `, and
    /// notes (`--`) of what happened to the connection.
    transcript: String,
    /// Whether the transcript's last run is Prosody's.
    last_from_server: bool,
    /// The bytes of the stream being read (since the last restart) and
    /// the events framed from them so far.
    segment: (Vec<u8>, Vec<Event>),
    /// The streams read before the last restart.
    segments: Vec<(Vec<u8>, Vec<Event>)>,
    /// Elements received and checked.
    pub(super) elements: usize,
    /// Every element received, as a vector case (but the large ones).
    pub(super) recorded: Vec<Recorded>,
    /// The size of the last element received.
    pub(super) last_len: usize,
    /// The `<stream:features/>` of each stream, in order.
    pub(super) features: Vec<Element>,
    /// The messages, presences and iqs that are no valid stanzas.
    pub(super) invalid: Vec<InvalidStanza>,
    /// The `h` of each XEP-0198 `<a/>` Prosody sent.
    pub(super) acks: Vec<u32>,
}

impl Tap {
    /// The tap of a connection named `name` reading `chunk` bytes at a
    /// time, to `domain`.
    pub(super) fn new(name: &str, domain: Option<&str>, chunk: usize) -> Self {
        Self {
            name: name.to_owned(),
            label: format!("{name} (chunk {chunk})"),
            domain: domain.map(str::to_owned),
            framer: relayed_framer(),
            transcript: String::new(),
            last_from_server: false,
            segment: (Vec::new(), Vec::new()),
            segments: Vec::new(),
            elements: 0,
            recorded: Vec::new(),
            last_len: 0,
            features: Vec::new(),
            invalid: Vec::new(),
            acks: Vec::new(),
        }
    }

    /// The error for `what`, with the bytes of this connection.
    pub(super) fn fail(&self, what: impl Display) -> String {
        format!(
            "{}: {what}\n--- bytes of this connection (C: ours, S: Prosody's) ---{}\n---",
            self.label, self.transcript
        )
    }

    /// Bytes we sent.
    pub(super) fn sent(&mut self, bytes: &[u8]) {
        let _ = write!(self.transcript, "\nC: {}", String::from_utf8_lossy(bytes));
        self.last_from_server = false;
    }

    /// A note in the transcript: what happened to the connection.
    pub(super) fn note(&mut self, what: impl Display) {
        let _ = write!(self.transcript, "\n-- {what}");
        self.last_from_server = false;
    }

    /// Bytes Prosody sent (the plaintext): framed and checked.
    pub(super) fn received(&mut self, bytes: &[u8]) -> Result {
        if !self.last_from_server {
            self.transcript.push_str("\nS: ");
            self.last_from_server = true;
        }
        self.transcript.push_str(&String::from_utf8_lossy(bytes));
        self.segment.0.extend_from_slice(bytes);
        self.framer.feed(bytes);
        loop {
            let event = match self.framer.next_event() {
                Ok(Some(event)) => event,
                Ok(None) => return Ok(()),
                Err(e) => {
                    let c = e.condition();
                    return Err(self.fail(format!("xmpp-stream framing error ({c}): {e}")));
                }
            };
            self.segment.1.push(event.clone());
            match event {
                Event::StreamOpen(h) => self.check_header(&h)?,
                Event::Element(frame) => {
                    match self.check(&frame)? {
                        Received::Nonza(Nonza::Features(_)) => {
                            let tree = Element::from_frame(&frame).map_err(|e| self.fail(e))?;
                            self.features.push(tree);
                        }
                        Received::Nonza(Nonza::Sm(Sm::Ack { h })) => self.acks.push(h),
                        Received::Invalid(invalid) => self.invalid.push(*invalid),
                        _ => {}
                    }
                    if frame.restart_after(Transport::Tcp).restarts_stream() {
                        self.restart();
                    }
                }
                _ => {}
            }
        }
    }

    /// The end of Prosody's bytes: the framer must accept it there.
    pub(super) fn eof(&mut self) -> Result {
        self.note("end of input");
        self.framer
            .finish()
            .map_err(|e| self.fail(format!("framer refused the end of input: {e}")))
    }

    /// A new stream starts after the element just read (RFC 6120 §4.3.3):
    /// the bytes after it are the next stream's.
    fn restart(&mut self) {
        let rest = self.framer.take_unconsumed();
        self.framer.reset();
        self.framer.feed(&rest);
        let (mut bytes, events) = std::mem::take(&mut self.segment);
        bytes.truncate(bytes.len() - rest.len());
        self.segments.push((bytes, events));
        self.segment.0 = rest;
    }

    /// Prosody's stream header (RFC 6120 §4.7): version 1.0, an id, our
    /// domain as `from`, `jabber:client` as the default namespace.
    fn check_header(&self, h: &xmpp_stream::StreamHeader) -> Result {
        if h.namespace() != STREAM_NS
            || h.version() != Some("1.0")
            || h.namespaces().default_namespace() != Some(CLIENT_NS)
            || h.id().is_none_or(str::is_empty)
        {
            return Err(self.fail(format!("unexpected stream header {h:?}")));
        }
        if let Some(domain) = &self.domain {
            if h.from() != Some(domain.as_str()) {
                return Err(self.fail(format!("stream header from {:?}, not {domain}", h.from())));
            }
        }
        Ok(())
    }

    /// Parses a framed element into a tree and a typed value, and checks
    /// that both write back to themselves: the tree standalone and inside
    /// a stream, the typed value through its element.
    fn check(&mut self, frame: &xmpp_stream::Frame) -> Result<Received> {
        let tree = Element::from_frame(frame)
            .map_err(|e| self.fail(format!("xmpp-stanza cannot parse {}: {e}", frame.xml())))?;
        let xml = tree.to_xml();
        let standalone = Element::from_bytes(xml.as_bytes()).map_err(|e| e.to_string());
        let mut in_stream = String::new();
        tree.write_xml_in(&mut in_stream, CLIENT_NS);
        let reframed = reframe(&in_stream);
        for (how, written, back) in [
            ("standalone", &xml, standalone),
            ("inside a stream", &in_stream, reframed),
        ] {
            match back {
                Ok(back) if back == tree => {}
                other => {
                    return Err(self.fail(format!(
                        "tree round trip ({how}): {} was written {written}, which reads as {other:?}",
                        frame.xml()
                    )));
                }
            }
        }
        self.elements += 1;
        let stanza_name = matches!(tree.name(), "message" | "presence" | "iq");
        let (received, expect) = if stanza_name && tree.ns() == CLIENT_NS {
            let stanza = match Stanza::from_element(tree) {
                Ok(s) => s,
                Err(invalid) => {
                    let expect = format!("invalid {}", invalid.error.condition().as_str());
                    self.record(frame, expect);
                    return Ok(Received::Invalid(Box::new(invalid)));
                }
            };
            match Stanza::from_element(stanza.to_element()) {
                Ok(back) if back == stanza => {}
                other => {
                    return Err(self.fail(format!(
                        "typed stanza round trip differs: {} gave {stanza:?}, then {other:?}",
                        frame.xml()
                    )));
                }
            }
            let expect = match stanza_error(&stanza) {
                Some(Ok(e)) => format!("stanza-error {}", e.condition.as_str()),
                Some(Err(e)) => {
                    return Err(self.fail(format!("unreadable <error/> in {}: {e}", frame.xml())));
                }
                None => "stanza".to_owned(),
            };
            (Received::Stanza, expect)
        } else {
            let nonza = Nonza::from_element(&tree)
                .map_err(|e| self.fail(format!("not a valid nonza: {} ({e})", frame.xml())))?;
            match Nonza::from_element(&nonza.to_element()) {
                Ok(back) if back == nonza => {}
                other => {
                    return Err(self.fail(format!(
                        "typed nonza round trip differs: {} gave {nonza:?}, then {other:?}",
                        frame.xml()
                    )));
                }
            }
            let expect = match &nonza {
                Nonza::StreamError(e) => format!("stream-error {}", e.condition.as_str()),
                _ => "nonza".to_owned(),
            };
            (Received::Nonza(nonza), expect)
        };
        self.record(frame, expect);
        Ok(received)
    }

    /// Keeps `frame` as a vector case, unless it is large.
    fn record(&mut self, frame: &xmpp_stream::Frame, expect: String) {
        self.last_len = frame.xml().len();
        if self.last_len > MAX_RECORDED {
            return;
        }
        let xml = standalone(frame);
        let kind = match frame.type_() {
            Some(t) => format!("{} {t}", frame.name()),
            None => frame.name().to_owned(),
        };
        let title = format!("{} {} {kind}", self.name, self.recorded.len() + 1);
        self.recorded.push(Recorded {
            title,
            expect,
            caps_ver: None,
            xml,
            id: frame.id().map(std::borrow::Cow::into_owned),
        });
    }

    /// Notes the `ver` the element with `id` (a disco#info result)
    /// hashes to.
    pub(super) fn note_caps_ver(&mut self, id: &str, ver: &str) {
        let result = self.recorded.iter_mut().rev();
        if let Some(r) = result.into_iter().find(|r| r.id.as_deref() == Some(id)) {
            r.caps_ver = Some(ver.to_owned());
        }
    }

    /// Frames every stream of this connection again, in one piece and byte
    /// by byte: the events must be those seen live. Returns the number of
    /// streams and bytes.
    pub(super) fn check_rechunked(&mut self) -> Result<(usize, usize)> {
        self.segments.push(std::mem::take(&mut self.segment));
        let mut bytes = 0;
        for (input, live) in &self.segments {
            bytes += input.len();
            for chunk in [input.len().max(1), 1] {
                let mut framer = relayed_framer();
                let mut events = Vec::new();
                for piece in input.chunks(chunk) {
                    framer.feed(piece);
                    while let Some(event) = framer
                        .next_event()
                        .map_err(|e| self.fail(format!("reframing by {chunk}: {e}")))?
                    {
                        events.push(event);
                    }
                }
                if events.get(..live.len()) != Some(live.as_slice()) {
                    return Err(self.fail(format!(
                        "framing in chunks of {chunk} gave other events: {events:?}, live {live:?}"
                    )));
                }
            }
        }
        Ok((self.segments.len(), bytes))
    }
}

/// The `<error/>` of a stanza of type error.
fn stanza_error(
    stanza: &Stanza,
) -> Option<std::result::Result<xmpp_stanza::StanzaError, xmpp_stanza::PayloadError>> {
    if !stanza.is_error() {
        return None;
    }
    match stanza {
        Stanza::Message(m) => m.error(),
        Stanza::Presence(p) => p.error(),
        Stanza::Iq(i) => i.error(),
    }
}

/// The bytes of `frame` as a document of their own: a prefix the stream
/// header declared (`stream:`) is declared on the element.
fn standalone(frame: &xmpp_stream::Frame) -> String {
    let mut xml = frame.xml().to_owned();
    if let Some(prefix) = frame.prefix() {
        let at = 1 + frame.qualified_name().len();
        let decl = format!(" xmlns:{prefix}='{}'", frame.namespace());
        if xml.is_char_boundary(at) {
            xml.insert_str(at, &decl);
        }
    }
    xml
}

/// A framer for what Prosody relays: [`Limits::relayed`], since Prosody
/// may write a stanza up to six times the size it accepted.
fn relayed_framer() -> Framer {
    Framer::with_limits(Transport::Tcp, Limits::relayed()).expect("the relayed limits are valid")
}

/// Frames `xml` inside a `jabber:client` stream and parses the one element.
fn reframe(xml: &str) -> std::result::Result<Element, String> {
    let mut framer = relayed_framer();
    let mut stream = String::new();
    write_open(&mut stream, Transport::Tcp, &OpenHeader::new(CLIENT_NS));
    stream.push_str(xml);
    framer.feed(stream.as_bytes());
    loop {
        match framer.next_event().map_err(|e| e.to_string())? {
            Some(Event::Element(frame)) => {
                return Element::from_frame(&frame).map_err(|e| e.to_string());
            }
            Some(_) => {}
            None => return Err("no element".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &str) -> Vec<xmpp_stream::Frame> {
        let mut framer = Framer::new(Transport::Tcp);
        framer.feed(input.as_bytes());
        let mut out = Vec::new();
        while let Some(event) = framer.next_event().unwrap() {
            if let Event::Element(e) = event {
                out.push(*e);
            }
        }
        out
    }

    #[test]
    fn standalone_declares_the_stream_prefix() {
        let got = frames(
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
             version='1.0'><stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
             </stream:features><iq id='a' type='result'/>",
        );
        let xml: Vec<String> = got.iter().map(standalone).collect();
        assert_eq!(
            xml,
            [
                "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
                 <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
                "<iq id='a' type='result'/>",
            ]
        );
        // Both parse on their own.
        for x in &xml {
            Element::from_bytes(x.as_bytes()).unwrap();
        }
    }

    #[test]
    fn reframe_reads_a_stanza_in_the_client_namespace() {
        let e = reframe("<message id='m'><body>hi</body></message>").unwrap();
        assert!(e.is("message", CLIENT_NS));
        assert!(reframe("").is_err());
    }
}
