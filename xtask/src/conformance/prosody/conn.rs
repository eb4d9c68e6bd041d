//! One c2s connection to Prosody, driven by the library crates: the stream
//! header from xmpp-stream's writer, every received byte through
//! xmpp-stream's [`Framer`] (read from the socket `chunk` bytes at a time),
//! every element into an xmpp-stanza tree and then a typed stanza or nonza,
//! SASL by xmpp-sasl's client.
//!
//! Every received element is also checked on the way: the tree written back
//! and parsed again is the same tree, and the typed value written back and
//! read again is the same value. Every byte sent and received is kept, and
//! a failure message carries them; each stream (the first, and each one
//! after a restart) is framed again at the end in one piece and byte by
//! byte, and must give the same events.

use std::fmt::{Display, Write as _};
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpStream};
use std::time::Duration;

use xmpp_sasl::{Choice, ClientConfig, ClientSession, ClientStep, Mechanism, Nonce};
use xmpp_stanza::{
    CLIENT_NS, Element, InvalidStanza, Iq, IqType, Nonza, Payload, Sasl, SaslCondition, Stanza,
    StreamFeatures,
};
use xmpp_stream::{Event, Framer, Header, Limits, STREAM_NS, Transport, write_close, write_open};

use crate::util::Result;

/// The largest element kept as a vector case, in bytes.
const MAX_RECORDED: usize = 16 * 1024;
/// How long to wait for Prosody before failing.
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// A received top-level element, typed.
#[derive(Debug)]
pub(super) enum Received {
    /// A message, presence or iq.
    Stanza(Stanza),
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
}

/// One connection and everything it saw.
pub(super) struct Conn {
    /// Names the connection in vector cases, e.g. `alice@example.test`.
    name: String,
    /// Names the connection in messages, e.g. `alice@example.test (chunk 1)`.
    label: String,
    socket: TcpStream,
    framer: Framer,
    /// The read buffer; its length is the chunk size.
    buf: Vec<u8>,
    /// Every byte both ways, each run prefixed `C: ` (ours) or `S: `.
    transcript: String,
    /// Whether the transcript's last run is Prosody's.
    last_from_server: bool,
    /// The bytes of the stream being read (since the last restart) and
    /// the events framed from them so far.
    segment: (Vec<u8>, Vec<Event>),
    /// The streams read before the last restart.
    segments: Vec<(Vec<u8>, Vec<Event>)>,
    /// Stanzas that arrived while something else was awaited.
    inbox: Vec<Stanza>,
    /// Elements received and checked.
    pub(super) elements: usize,
    /// Every element received, as a vector case (but the large ones).
    pub(super) recorded: Vec<Recorded>,
    /// The size of the last element received.
    last_len: usize,
    next_id: u32,
}

impl Conn {
    /// Connects to Prosody on `port`, reading `chunk` bytes at a time.
    pub(super) fn connect(port: u16, label: &str, chunk: usize) -> Result<Self> {
        let socket = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .map_err(|e| format!("{label}: cannot connect to 127.0.0.1:{port}: {e}"))?;
        socket
            .set_read_timeout(Some(READ_TIMEOUT))
            .map_err(|e| format!("{label}: {e}"))?;
        Ok(Self {
            name: label.to_owned(),
            label: format!("{label} (chunk {chunk})"),
            socket,
            framer: relayed_framer(),
            buf: vec![0; chunk.max(1)],
            transcript: String::new(),
            last_from_server: false,
            segment: (Vec::new(), Vec::new()),
            segments: Vec::new(),
            inbox: Vec::new(),
            elements: 0,
            recorded: Vec::new(),
            last_len: 0,
            next_id: 0,
        })
    }

    /// The error for `what`, with the bytes of this connection.
    pub(super) fn fail(&self, what: impl Display) -> String {
        format!(
            "{}: {what}\n--- bytes of this connection (C: ours, S: Prosody's) ---{}\n---",
            self.label, self.transcript
        )
    }

    /// A fresh stanza id.
    pub(super) fn id(&mut self) -> String {
        self.next_id += 1;
        format!("x{}", self.next_id)
    }

    /// Sends raw bytes.
    pub(super) fn send_raw(&mut self, xml: &str) -> Result {
        let _ = write!(self.transcript, "\nC: {xml}");
        self.last_from_server = false;
        self.socket
            .write_all(xml.as_bytes())
            .map_err(|e| self.fail(format!("write: {e}")))
    }

    /// Sends a stanza in the stream's default namespace; returns its size
    /// in bytes.
    pub(super) fn send(&mut self, stanza: &Stanza) -> Result<usize> {
        let mut xml = String::new();
        stanza.to_element().write_xml_in(&mut xml, CLIENT_NS);
        self.send_raw(&xml)?;
        Ok(xml.len())
    }

    /// The size in bytes of the last element received.
    pub(super) fn last_received_len(&self) -> usize {
        self.last_len
    }

    /// Sends a nonza.
    pub(super) fn send_nonza(&mut self, nonza: &Nonza) -> Result {
        self.send_raw(&nonza.to_element().to_xml())
    }

    /// The next event; reads from the socket when the framer needs bytes.
    pub(super) fn next_event(&mut self) -> Result<Event> {
        loop {
            match self.framer.next_event() {
                Ok(Some(event)) => {
                    self.segment.1.push(event.clone());
                    return Ok(event);
                }
                Ok(None) => {}
                Err(e) => {
                    let c = e.condition();
                    return Err(self.fail(format!("xmpp-stream framing error ({c}): {e}")));
                }
            }
            let n = match self.socket.read(&mut self.buf) {
                Ok(n) => n,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(self.fail(format!("no answer from Prosody in {READ_TIMEOUT:?}")));
                }
                Err(e) => return Err(self.fail(format!("read: {e}"))),
            };
            let Some(bytes) = self.buf.get(..n) else {
                return Err(self.fail("read more than the buffer"));
            };
            if n == 0 {
                let finished = self.framer.finish();
                return Err(self.fail(match finished {
                    Ok(()) => "Prosody closed the connection".to_owned(),
                    Err(e) => format!("Prosody closed the connection mid-element: {e}"),
                }));
            }
            if !self.last_from_server {
                self.transcript.push_str("\nS: ");
                self.last_from_server = true;
            }
            self.transcript.push_str(&String::from_utf8_lossy(bytes));
            self.segment.0.extend_from_slice(bytes);
            self.framer.feed(bytes);
        }
    }

    /// Reads until Prosody closes the connection; the framer must accept
    /// the end of input there.
    pub(super) fn expect_eof(&mut self) -> Result {
        match self.socket.read(&mut self.buf) {
            Ok(0) => {}
            Ok(n) => {
                let extra = String::from_utf8_lossy(self.buf.get(..n).unwrap_or_default());
                return Err(self.fail(format!("bytes after the stream's close: {extra}")));
            }
            Err(e) => return Err(self.fail(format!("waiting for the end of input: {e}"))),
        }
        self.framer
            .finish()
            .map_err(|e| self.fail(format!("framer refused the end of input: {e}")))
    }

    /// Opens (or reopens) the stream to `domain` and reads Prosody's stream
    /// header; returns the `from` of the header.
    pub(super) fn open(&mut self, domain: &str) -> Result<Option<String>> {
        let mut header = String::new();
        write_open(
            &mut header,
            Transport::Tcp,
            &Header::new(CLIENT_NS).to(domain),
        );
        self.send_raw(&header)?;
        let event = self.next_event()?;
        let Event::StreamOpen(h) = event else {
            return Err(self.fail(format!("expected a stream header, got {event:?}")));
        };
        if h.namespace() != STREAM_NS
            || h.version() != Some("1.0")
            || h.namespaces().default_namespace() != Some(CLIENT_NS)
            || h.id().is_none_or(str::is_empty)
        {
            return Err(self.fail(format!("unexpected stream header {h:?}")));
        }
        Ok(h.from().map(String::from))
    }

    /// Opens the stream to `domain` and reads its features.
    pub(super) fn open_with_features(&mut self, domain: &str) -> Result<StreamFeatures> {
        let from = self.open(domain)?;
        if from.as_deref() != Some(domain) {
            return Err(self.fail(format!("stream header from {from:?}, not {domain}")));
        }
        match self.next_received()? {
            Received::Nonza(Nonza::Features(f)) => Ok(f),
            other => Err(self.fail(format!("expected stream features, got {other:?}"))),
        }
    }

    /// Restarts the stream after SASL success (RFC 6120 §6.4.6): the framer
    /// starts over on the bytes after `<success/>` (none: Prosody waits for
    /// our new header) and the stream is opened again.
    pub(super) fn restart(&mut self, domain: &str) -> Result<StreamFeatures> {
        let rest = self.framer.take_unconsumed();
        if !rest.is_empty() {
            let rest = String::from_utf8_lossy(&rest).into_owned();
            return Err(self.fail(format!("bytes after <success/>: {rest}")));
        }
        self.framer.reset();
        self.segments.push(std::mem::take(&mut self.segment));
        self.open_with_features(domain)
    }

    /// The next top-level element (white space skipped), checked and typed.
    pub(super) fn next_received(&mut self) -> Result<Received> {
        let frame = loop {
            match self.next_event()? {
                Event::Whitespace => {}
                Event::Element(frame) => break frame,
                other => return Err(self.fail(format!("expected an element, got {other:?}"))),
            }
        };
        self.check(&frame)
    }

    /// Parses a framed element into a tree and a typed value, and checks
    /// that both write back to themselves: the tree standalone and inside
    /// a stream, the typed value through its element.
    fn check(&mut self, frame: &xmpp_stream::Element) -> Result<Received> {
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
            (Received::Stanza(stanza), expect)
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
    fn record(&mut self, frame: &xmpp_stream::Element, expect: String) {
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
        });
    }

    /// Notes the `ver` the last element received (a disco#info result)
    /// hashes to.
    pub(super) fn note_caps_ver(&mut self, ver: &str) {
        if let Some(last) = self.recorded.last_mut() {
            last.caps_ver = Some(ver.to_owned());
        }
    }

    /// The next element, which must be an invalid stanza.
    pub(super) fn next_invalid(&mut self) -> Result<InvalidStanza> {
        match self.next_received()? {
            Received::Invalid(invalid) => Ok(*invalid),
            other => Err(self.fail(format!("expected an invalid stanza, got {other:?}"))),
        }
    }

    /// The next nonza; stanzas in between go to the inbox.
    pub(super) fn next_nonza(&mut self) -> Result<Nonza> {
        loop {
            match self.next_received()? {
                Received::Nonza(n) => return Ok(n),
                Received::Stanza(s) => self.inbox.push(s),
                Received::Invalid(i) => {
                    return Err(self.fail(format!("invalid stanza: {i}")));
                }
            }
        }
    }

    /// The first stanza, from the inbox or the wire, for which `want`
    /// gives a value; the others stay in the inbox.
    pub(super) fn wait_for<T>(&mut self, mut want: impl FnMut(&Stanza) -> Option<T>) -> Result<T> {
        if let Some(i) = self.inbox.iter().position(|s| want(s).is_some()) {
            let s = self.inbox.remove(i);
            return want(&s).ok_or_else(|| self.fail("inbox changed"));
        }
        loop {
            match self.next_received()? {
                Received::Stanza(s) => match want(&s) {
                    Some(t) => return Ok(t),
                    None => self.inbox.push(s),
                },
                Received::Nonza(n) => {
                    return Err(self.fail(format!("expected a stanza, got {n:?}")));
                }
                Received::Invalid(i) => {
                    return Err(self.fail(format!("invalid stanza: {i}")));
                }
            }
        }
    }

    /// Sends `iq` (its id set here) and waits for the answer with its id.
    pub(super) fn iq(&mut self, mut iq: Iq) -> Result<Iq> {
        let id = self.id();
        iq.header.id = Some(id.as_str().into());
        self.send(&Stanza::Iq(iq))?;
        self.wait_for(|s| match s {
            Stanza::Iq(r) if r.id() == id && !r.type_.is_request() => Some(r.clone()),
            _ => None,
        })
    }

    /// Like [`iq`](Self::iq), but the answer must be a result; returns its
    /// payload read as `P`, if it has one.
    pub(super) fn iq_result<P: Payload>(&mut self, iq: Iq) -> Result<Option<P>> {
        let answer = self.iq(iq)?;
        if answer.type_ != IqType::Result {
            return Err(self.fail(format!("expected an iq result, got {answer:?}")));
        }
        answer
            .payload()
            .map(P::from_element)
            .transpose()
            .map_err(|e| self.fail(format!("bad <{}/> payload: {e}", P::NAME)))
    }

    /// Runs one SASL exchange with `mechanism`; `Ok(Err(condition))` when
    /// Prosody answers with `<failure/>`. For SCRAM, success means the
    /// server's signature was verified too.
    pub(super) fn authenticate(
        &mut self,
        mechanism: Mechanism,
        user: &str,
        password: &str,
    ) -> Result<std::result::Result<(), SaslCondition>> {
        let config = ClientConfig::new().username(user).password(password);
        let nonce = Nonce::from_os().map_err(|e| self.fail(format!("nonce: {e}")))?;
        let mut sasl = ClientSession::new(Choice::unbound(mechanism), config, nonce)
            .map_err(|e| self.fail(format!("xmpp-sasl client: {e}")))?;
        let mut step = |conn: &Self, input: &[u8]| {
            sasl.step(input)
                .map_err(|e| conn.fail(format!("xmpp-sasl client refused Prosody's message: {e}")))
        };
        let (initial, mut done) = match step(self, b"")? {
            ClientStep::Send(b) => (b.to_vec(), false),
            ClientStep::Done { send, .. } => (send.map(|b| b.to_vec()).unwrap_or_default(), true),
        };
        self.send_nonza(&Nonza::Sasl(Sasl::Auth {
            mechanism: mechanism.name().to_owned(),
            initial: Some(initial),
        }))?;
        loop {
            let nonza = self.next_nonza()?;
            let Nonza::Sasl(sasl_nonza) = nonza else {
                return Err(self.fail(format!("expected a SASL nonza, got {nonza:?}")));
            };
            match sasl_nonza {
                Sasl::Challenge(data) if !done => {
                    let reply = match step(self, &data.unwrap_or_default())? {
                        ClientStep::Send(b) => b.to_vec(),
                        ClientStep::Done { send, .. } => {
                            done = true;
                            send.map(|b| b.to_vec()).unwrap_or_default()
                        }
                    };
                    self.send_nonza(&Nonza::Sasl(Sasl::Response(Some(reply))))?;
                }
                Sasl::Success(data) => {
                    if !done {
                        // SCRAM's server-final message (its signature).
                        step(self, &data.unwrap_or_default())?;
                    }
                    return Ok(Ok(()));
                }
                Sasl::Failure { condition, .. } => return Ok(Err(condition)),
                other => return Err(self.fail(format!("unexpected SASL nonza {other:?}"))),
            }
        }
    }

    /// Closes our side and reads up to Prosody's close (stanzas in between
    /// go to the inbox), then the end of input.
    pub(super) fn close(&mut self) -> Result {
        let mut close = String::new();
        write_close(&mut close, Transport::Tcp);
        self.send_raw(&close)?;
        self.expect_close()
    }

    /// Reads up to Prosody's `</stream:stream>` (elements before it are
    /// checked; stanzas go to the inbox) and the end of input.
    pub(super) fn expect_close(&mut self) -> Result {
        loop {
            match self.next_event()? {
                Event::StreamClose => break,
                Event::Whitespace => {}
                Event::Element(frame) => match self.check(&frame)? {
                    Received::Stanza(s) => self.inbox.push(s),
                    other => {
                        return Err(self.fail(format!("expected the close, got {other:?}")));
                    }
                },
                other => return Err(self.fail(format!("expected the close, got {other:?}"))),
            }
        }
        self.expect_eof()
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
fn standalone(frame: &xmpp_stream::Element) -> String {
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
    write_open(&mut stream, Transport::Tcp, &Header::new(CLIENT_NS));
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

    fn frames(input: &str) -> Vec<xmpp_stream::Element> {
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
