//! The part both machines share: bytes in through the framer and the tree
//! builder, elements out through the writer, in the form the transport
//! needs (RFC 6120 §4 for TCP, RFC 7395 §3.3.3 for WebSocket: every
//! message one element declaring its own namespaces), and the clock.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;
use xmpp_stanza::{CLIENT_NS, Element, Node, STREAM_NS, Stanza, TreeBuilder};
use xmpp_stream::{
    Event, Frame, Framer, Limits, OpenHeader, StreamHeader, write_close, write_open,
};

use crate::config::{Keepalive, Transport};
use crate::error::Error;
use crate::routed::RoutedStanza;
use crate::time::Instant;
use zeroize::Zeroize as _;

/// A top-level item read from the peer.
pub(crate) enum Incoming {
    /// The peer's stream header (or WebSocket `<open/>`).
    Open(Box<StreamHeader>),
    /// A top-level element, as a tree, and the frame it was built from
    /// (kept to forward a stanza's bytes, [`crate::RoutedStanza`]).
    Element(Element, Box<Frame>),
    /// The peer closed its stream.
    Close,
}

/// Framing in, serialization out. `Debug` shows sizes only: the buffers
/// hold SASL messages (a PLAIN password) on their way.
pub(crate) struct Wire {
    pub(crate) transport: Transport,
    framer: Framer,
    builder: TreeBuilder,
    /// TCP: every byte not yet handed to the driver.
    stream_out: Vec<u8>,
    /// WebSocket: one entry per message not yet handed to the driver.
    messages: VecDeque<Vec<u8>>,
    /// Scratch for serialization.
    scratch: String,
    /// `stream_out` holds a secret ([`Self::send_secret`]) until the
    /// driver takes it: growing it then wipes the buffer it leaves.
    secret_out: bool,
    /// Our stream's close is out: RFC 6120 §4.4 lets nothing follow it
    /// (no ping answer, no `<a/>`, no keepalive, no stream error), so
    /// every later send is dropped here, whichever path makes it.
    closed_out: bool,
    /// Bytes arrived since the clock last looked.
    pub(crate) received: bool,
    /// Bytes queued since the clock last looked.
    pub(crate) sent: bool,
}

impl core::fmt::Debug for Wire {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Wire")
            .field("transport", &self.transport)
            .field("buffered_in", &self.buffered())
            .field("stream_out", &self.stream_out.len())
            .field("messages", &self.messages.len())
            .finish_non_exhaustive()
    }
}

/// What was never handed to the driver may hold a SASL message: wiped.
impl Drop for Wire {
    fn drop(&mut self) {
        self.stream_out.zeroize();
        self.scratch.zeroize();
        self.messages.iter_mut().for_each(|m| m.zeroize());
    }
}

impl Wire {
    pub(crate) fn new(transport: Transport, limits: Limits) -> Self {
        let framer = Framer::with_limits(transport.framing(), limits)
            .unwrap_or_else(|_| Framer::new(transport.framing()));
        Self {
            transport,
            framer,
            builder: TreeBuilder::new(),
            stream_out: Vec::new(),
            messages: VecDeque::new(),
            scratch: String::new(),
            secret_out: false,
            closed_out: false,
            received: false,
            sent: false,
        }
    }

    pub(crate) fn feed(&mut self, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.received = true;
        }
        self.framer.feed(bytes);
    }

    /// Bytes fed and not yet read as an item.
    pub(crate) fn buffered(&self) -> usize {
        self.framer.unconsumed().len()
    }

    /// The next item, `Ok(None)` when more bytes are needed. White space
    /// keepalives are consumed here: they only count as activity.
    pub(crate) fn next(&mut self) -> Result<Option<Incoming>, Error> {
        loop {
            let event = self
                .framer
                .next_event()
                .map_err(|e| Error::Framing(Box::new(e)))?;
            return Ok(Some(match event {
                None => return Ok(None),
                Some(Event::Whitespace) => continue,
                Some(Event::StreamOpen(h)) => Incoming::Open(h),
                Some(Event::StreamClose) => Incoming::Close,
                Some(Event::Element(frame)) => {
                    let tree = self.builder.from_frame(&frame).map_err(|e| {
                        Error::protocol(e.condition(), "an element the tree builder refused")
                    })?;
                    Incoming::Element(tree, frame)
                }
                Some(_) => continue,
            }));
        }
    }

    /// Starts reading a new stream (RFC 6120 §4.3.3); bytes already fed are
    /// its first bytes.
    pub(crate) fn restart(&mut self) {
        self.framer.reset();
    }

    /// Takes the bytes fed after the last item: the first TLS records after
    /// `<starttls/>`/`<proceed/>`.
    pub(crate) fn take_unconsumed(&mut self) -> Vec<u8> {
        self.framer.take_unconsumed()
    }

    fn push(&mut self, bytes: &str) {
        if self.closed_out {
            return;
        }
        self.sent = true;
        match self.transport {
            Transport::Tcp => {
                let room = self.stream_out.capacity() - self.stream_out.len();
                if self.secret_out && room < bytes.len() {
                    // Grown by hand, so that the old buffer is wiped
                    // rather than freed with the secret in it.
                    let need = self.stream_out.len() + bytes.len();
                    let mut grown = Vec::with_capacity(need.max(self.stream_out.capacity() * 2));
                    grown.extend_from_slice(&self.stream_out);
                    self.stream_out.zeroize();
                    self.stream_out = grown;
                }
                self.stream_out.extend_from_slice(bytes.as_bytes());
            }
            Transport::WebSocket => self.messages.push_back(bytes.as_bytes().to_vec()),
        }
    }

    fn flush_scratch(&mut self) {
        let s = core::mem::take(&mut self.scratch);
        self.push(&s);
        self.scratch = s;
        self.scratch.clear();
    }

    /// Sends a stream header (TCP: the XML declaration and
    /// `<stream:stream>`; WebSocket: `<open/>`).
    pub(crate) fn send_header(&mut self, header: &OpenHeader<'_>) {
        self.scratch.clear();
        write_open(&mut self.scratch, self.transport.framing(), header);
        self.flush_scratch();
    }

    /// Sends a top-level element. Elements of the streams namespace get
    /// the `stream:` prefix (declared by the TCP header; on WebSocket
    /// declared on the element, RFC 7395 §3.3.3); stanzas in
    /// `jabber:client` inherit the TCP header's default namespace.
    pub(crate) fn send_element(&mut self, e: &Element) {
        self.scratch.clear();
        write_element(&mut self.scratch, self.transport, e);
        self.flush_scratch();
    }

    /// Sends an element that carries a secret (a SASL message: a PLAIN
    /// password, a SCRAM proof, a token) and wipes what this layer kept of
    /// it: the element's text, the serialization scratch (reserved ahead
    /// so that it does not grow, and leave a copy behind, mid-element),
    /// and any buffer `stream_out` leaves behind as it grows until the
    /// driver takes the bytes. What the driver does with them after
    /// [`Self::poll_transmit`] is its own (xmpp-tokio wipes what it wrote).
    pub(crate) fn send_secret(&mut self, e: &mut Element) {
        if self.transport == Transport::Tcp {
            self.secret_out = true;
        }
        self.scratch.clear();
        self.scratch.reserve(size_bound(e));
        let reserved = self.scratch.capacity();
        write_element(&mut self.scratch, self.transport, e);
        debug_assert_eq!(
            reserved,
            self.scratch.capacity(),
            "the scratch grew mid-secret"
        );
        self.flush_scratch();
        self.scratch.zeroize();
        wipe(e);
    }

    pub(crate) fn send_stanza(&mut self, s: &Stanza) {
        self.send_element(&s.to_element());
    }

    /// Sends a routed stanza: its received bytes when it keeps them.
    pub(crate) fn send_routed(&mut self, s: &RoutedStanza) {
        self.scratch.clear();
        s.write(&mut self.scratch, self.transport);
        self.flush_scratch();
    }

    /// Sends a stream error (RFC 6120 §4.9.2).
    pub(crate) fn send_stream_error(&mut self, e: &xmpp_stanza::StreamError) {
        self.send_element(&e.to_element());
    }

    /// Sends a white space keepalive (TCP only; RFC 7395 §3.3.2 has none).
    pub(crate) fn send_whitespace(&mut self) {
        if self.transport == Transport::Tcp {
            self.push(" ");
        }
    }

    /// Closes this side's stream (RFC 6120 §4.4; RFC 7395 §3.6).
    pub(crate) fn send_close(&mut self) {
        self.scratch.clear();
        write_close(&mut self.scratch, self.transport.framing());
        self.flush_scratch();
        self.closed_out = true;
    }

    /// Whether our close is out, after which nothing is sent.
    pub(crate) fn closed_out(&self) -> bool {
        self.closed_out
    }

    pub(crate) fn has_output(&self) -> bool {
        !self.stream_out.is_empty() || !self.messages.is_empty()
    }

    pub(crate) fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        match self.transport {
            Transport::Tcp if self.stream_out.is_empty() => None,
            Transport::Tcp => {
                self.secret_out = false;
                Some(core::mem::take(&mut self.stream_out))
            }
            Transport::WebSocket => self.messages.pop_front(),
        }
    }

    /// Heap held, for the idle-session figure.
    pub(crate) fn heap_size(&self) -> usize {
        self.framer.heap_size()
            + self.stream_out.capacity()
            + self.scratch.capacity()
            + self.messages.capacity() * size_of::<Vec<u8>>()
    }

    /// Gives back every buffer that only speeds up work in progress: the
    /// tree builder's scratch (it holds no state between elements), the
    /// serialization scratch and empty output queues. They grow again
    /// with the next element.
    pub(crate) fn shrink_idle(&mut self) {
        self.builder = TreeBuilder::new();
        self.scratch = String::new();
        if self.stream_out.is_empty() {
            self.stream_out = Vec::new();
        }
        if self.messages.is_empty() {
            self.messages = VecDeque::new();
        }
    }

    /// Gives back serialization scratch above a small size (an idle
    /// session should hold little).
    pub(crate) fn trim(&mut self) {
        if self.scratch.capacity() > 512 {
            self.scratch = String::new();
        }
        if self.stream_out.is_empty() && self.stream_out.capacity() > 512 {
            self.stream_out = Vec::new();
        }
    }
}

/// Writes `e` as a top-level element of a `jabber:client` stream on
/// `transport`.
pub(crate) fn write_element(out: &mut String, transport: Transport, e: &Element) {
    if e.ns() == STREAM_NS {
        out.push_str("<stream:");
        out.push_str(e.name());
        if transport == Transport::WebSocket {
            out.push_str(" xmlns:stream='");
            out.push_str(STREAM_NS);
            out.push('\'');
        }
        out.push('>');
        for child in e.children() {
            child.write_xml_in(out, "");
        }
        out.push_str("</stream:");
        out.push_str(e.name());
        out.push('>');
        return;
    }
    let default_ns = match transport {
        Transport::Tcp => CLIENT_NS,
        Transport::WebSocket => "",
    };
    e.write_xml_in(out, default_ns);
}

/// At least the length of `e` serialized by [`write_element`]: per
/// element its tags, a prefix and a namespace declaration; per attribute
/// its name, and for a namespaced one a prefix and its declaration; every
/// character of text, attribute value or namespace escaped to the longest
/// entity (`&quot;`, six bytes). It only borrows: a copy of the text would
/// be a copy of the secret.
fn size_bound(e: &Element) -> usize {
    let mut n = 2 * e.name().len() + 6 * e.ns().len() + STREAM_NS.len() + 64;
    for a in e.attrs() {
        n += a.name().len() + 6 * (a.value().len() + a.ns().len()) + 64;
    }
    // Borrowed whenever the text is one run, as in every SASL element.
    n += 6 * e.text().len();
    for c in e.children() {
        n += size_bound(c);
    }
    n
}

/// Zeroes every text of `e`, children's included.
fn wipe(e: &mut Element) {
    for node in e.nodes_mut() {
        match node {
            Node::Text(t) => t.as_mut_str().zeroize(),
            Node::Element(c) => wipe(c),
        }
    }
}

/// Timers from the keepalive policy. The machines learn the time only from
/// `handle_timeout`; traffic in between is noted by [`Wire`] and dated at
/// the next tick, so a silent peer is found between `idle` and twice that
/// after its last byte, never earlier.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    pub(crate) now: Instant,
    policy: Keepalive,
    last_recv: Instant,
    last_send: Instant,
    /// When the probe was sent, if one is out.
    probe: Option<Instant>,
    /// When negotiation must be over ([`Keepalive::negotiation`]), until
    /// it is.
    negotiation: Option<Instant>,
    /// When the peer must have closed its stream ([`Keepalive::close`]),
    /// once ours is closed.
    closing: Option<Instant>,
    /// Ours was closed since the last tick: the wait is dated at the next
    /// one (a machine's clock may be a keepalive interval old).
    closing_undated: bool,
}

/// What the clock says is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Due {
    Nothing,
    Whitespace,
    Probe,
    TimedOut,
    /// The peer did not close its stream in time after ours.
    CloseOverdue,
}

impl Clock {
    pub(crate) fn new(now: Instant, policy: Keepalive) -> Self {
        Self {
            now,
            policy,
            last_recv: now,
            last_send: now,
            probe: None,
            negotiation: policy.negotiation.map(|d| now + d),
            closing: None,
            closing_undated: false,
        }
    }

    /// This side closed its stream: the peer's close is awaited for
    /// [`Keepalive::close`] from the next tick on.
    pub(crate) fn closing(&mut self) {
        self.closing_undated = self.policy.close.is_some();
    }

    /// Negotiation is over (bound or resumed): its deadline no longer
    /// applies.
    pub(crate) fn negotiated(&mut self) {
        self.negotiation = None;
    }

    /// Moves to `now`, dating the traffic `wire` saw since the last tick,
    /// and says what is due.
    pub(crate) fn tick(&mut self, now: Instant, wire: &mut Wire) -> Due {
        self.now = self.now.max(now);
        if core::mem::take(&mut wire.received) {
            self.last_recv = self.now;
            self.probe = None;
        }
        if core::mem::take(&mut wire.sent) {
            self.last_send = self.now;
        }
        if core::mem::take(&mut self.closing_undated) {
            self.closing = self.policy.close.map(|d| self.now + d);
        }
        if self.closing.is_some_and(|t| self.now >= t) {
            return Due::CloseOverdue;
        }
        if self.negotiation.is_some_and(|t| self.now >= t) {
            return Due::TimedOut;
        }
        if let Some(sent) = self.probe {
            if self.now >= sent + self.policy.probe_timeout {
                return Due::TimedOut;
            }
        } else if let Some(idle) = self.policy.idle {
            if self.now >= self.last_recv + idle {
                return Due::Probe;
            }
        }
        if let Some(ws) = self.policy.whitespace {
            if wire.transport == Transport::Tcp && self.now >= self.last_send + ws {
                return Due::Whitespace;
            }
        }
        Due::Nothing
    }

    /// Notes that a probe went out now.
    pub(crate) fn probed(&mut self) {
        self.probe = Some(self.now);
    }

    /// Notes that a probe could not be sent: the silence limit then ends
    /// the stream after `probe_timeout` all the same.
    pub(crate) fn no_probe(&mut self) {
        self.probe = Some(self.now);
    }

    /// The next instant something may be due.
    pub(crate) fn next_deadline(&self, transport: Transport) -> Option<Instant> {
        let silence = match self.probe {
            Some(sent) => Some(sent + self.policy.probe_timeout),
            None => self.policy.idle.map(|idle| self.last_recv + idle),
        };
        let ws = match transport {
            Transport::Tcp => self.policy.whitespace.map(|ws| self.last_send + ws),
            Transport::WebSocket => None,
        };
        let closing = if self.closing_undated {
            Some(self.now)
        } else {
            self.closing
        };
        earliest(earliest(earliest(silence, ws), self.negotiation), closing)
    }
}

/// The major number of a stream header's `version` (RFC 6120 §4.7.5:
/// `<major>.<minor>`, compared as integers, leading zeros ignored); `None`
/// for an absent or malformed value.
pub(crate) fn version_major(version: Option<&str>) -> Option<u32> {
    let (major, minor) = version?.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) {
        return None;
    }
    let major = major.trim_start_matches('0');
    // A huge major saturates: it is still "at least 1".
    Some(if major.is_empty() {
        0
    } else {
        major.parse().unwrap_or(u32::MAX)
    })
}

/// The earlier of two optional deadlines.
pub(crate) fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::time::Duration;
    use xmpp_stanza::{StartTls, StreamCondition, StreamError};

    #[test]
    fn stream_elements_get_the_prefix_and_websocket_declares_it() {
        let e = StreamError::new(StreamCondition::HostUnknown).to_element();
        let mut tcp = String::new();
        write_element(&mut tcp, Transport::Tcp, &e);
        assert_eq!(
            tcp,
            "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
        );
        let mut ws = String::new();
        write_element(&mut ws, Transport::WebSocket, &e);
        assert!(ws.starts_with("<stream:error xmlns:stream='http://etherx.jabber.org/streams'>"));
        // What the writer emits on WebSocket frames on its own.
        let mut f = Framer::new(xmpp_stream::Transport::WebSocket);
        f.feed(b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='a' version='1.0'/>");
        f.feed(ws.as_bytes());
        assert!(matches!(f.next_event(), Ok(Some(Event::StreamOpen(_)))));
        assert!(matches!(f.next_event(), Ok(Some(Event::Element(_)))));
        let mut tls = String::new();
        write_element(&mut tls, Transport::Tcp, &StartTls::Proceed.to_element());
        assert_eq!(tls, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    }

    /// An element whose texts and attribute values are all characters
    /// the writer escapes, the worst case for [`size_bound`].
    fn escaped(depth: usize) -> Element {
        let mut e = Element::new("response", "urn:xmpp:sasl:2")
            .with_attr("a", "\"'<>&\"'<>&")
            .with_text("&&&<<<>>>\"\"\"'''");
        if depth > 0 {
            e.push_child(escaped(depth - 1));
            e.push_child(Element::new("x", "other:ns").with_attr_ns("b", "urn:ns", "&&"));
        }
        e
    }

    #[test]
    fn the_size_bound_holds_for_the_worst_case() {
        // Namespaced attributes, each with its own declaration.
        let mut many = Element::new("x", "n");
        for i in 0..40 {
            many.set_attr_ns(&alloc::format!("a{i}"), &alloc::format!("u{i}&'"), "");
        }
        for transport in [Transport::Tcp, Transport::WebSocket] {
            let mut out = String::new();
            write_element(&mut out, transport, &many);
            assert!(
                size_bound(&many) >= out.len(),
                "{} < {}",
                size_bound(&many),
                out.len()
            );
        }
        for depth in 0..4 {
            let e = escaped(depth);
            for transport in [Transport::Tcp, Transport::WebSocket] {
                let mut out = String::new();
                write_element(&mut out, transport, &e);
                assert!(
                    size_bound(&e) >= out.len(),
                    "{} < {}",
                    size_bound(&e),
                    out.len()
                );
            }
        }
    }

    #[test]
    fn a_secret_goes_out_whole_and_its_element_is_wiped() {
        for transport in [Transport::Tcp, Transport::WebSocket] {
            let mut w = Wire::new(transport, Limits::default());
            let mut secret = Element::new("auth", "urn:ietf:params:xml:ns:xmpp-sasl")
                .with_attr("mechanism", "PLAIN")
                .with_text("AGp1bGlldABTM2NyM3Qh");
            let before = StartTls::Request.to_element();
            let after = escaped(3);
            let mut want = String::new();
            write_element(&mut want, transport, &before);
            write_element(&mut want, transport, &secret);
            for _ in 0..64 {
                write_element(&mut want, transport, &after);
            }
            // A little before the secret, and much after it: stream_out
            // grows (by hand, wiping) while the secret is in it.
            w.send_element(&before);
            w.send_secret(&mut secret);
            assert!(w.scratch.is_empty());
            assert_eq!(secret.text(), "\0".repeat(20), "the element is wiped");
            for _ in 0..64 {
                w.send_element(&after);
            }
            let mut out = Vec::new();
            while let Some(bytes) = w.poll_transmit() {
                out.extend_from_slice(&bytes);
            }
            assert_eq!(String::from_utf8(out).unwrap(), want);
            assert!(!w.secret_out);
        }
        let mut e = escaped(2);
        wipe(&mut e);
        let zeroed = |t: &str| !t.is_empty() && t.bytes().all(|b| b == 0);
        assert!(zeroed(&e.text()));
        let first = e.children().next().unwrap();
        assert!(zeroed(&first.text()));
        assert!(zeroed(&first.children().next().unwrap().text()));
    }

    #[test]
    fn versions_compare_as_integers() {
        assert_eq!(version_major(Some("1.0")), Some(1));
        assert_eq!(version_major(Some("01.0")), Some(1));
        assert_eq!(version_major(Some("2.13")), Some(2));
        assert_eq!(version_major(Some("0.9")), Some(0));
        assert_eq!(version_major(Some("00.9")), Some(0));
        assert_eq!(version_major(Some("99999999999999.0")), Some(u32::MAX));
        for bad in ["1", "1.", ".0", "a.b", "1.0.0", "-1.0", ""] {
            assert_eq!(version_major(Some(bad)), None, "{bad}");
        }
        assert_eq!(version_major(None), None);
    }

    #[test]
    fn clock_probes_after_silence_and_times_out() {
        let policy = Keepalive {
            whitespace: Some(Duration::from_secs(10)),
            idle: Some(Duration::from_secs(30)),
            probe_timeout: Duration::from_secs(5),
            negotiation: None,
            close: None,
        };
        let mut wire = Wire::new(Transport::Tcp, Limits::default());
        let mut c = Clock::new(Instant::from_millis(0), policy);
        assert_eq!(
            c.next_deadline(Transport::Tcp),
            Some(Instant::from_millis(10_000))
        );
        assert_eq!(
            c.tick(Instant::from_millis(10_000), &mut wire),
            Due::Whitespace
        );
        wire.send_whitespace();
        assert_eq!(
            c.tick(Instant::from_millis(10_000), &mut wire),
            Due::Nothing
        );
        wire.feed(b" ");
        assert_eq!(
            c.tick(Instant::from_millis(20_000), &mut wire),
            Due::Whitespace
        );
        wire.send_whitespace();
        assert_eq!(
            c.tick(Instant::from_millis(20_000), &mut wire),
            Due::Nothing
        );
        // Silent since 20 s: probe at 50 s, time out 5 s later.
        wire.send_whitespace();
        assert_eq!(c.tick(Instant::from_millis(50_000), &mut wire), Due::Probe);
        c.probed();
        assert_eq!(
            c.next_deadline(Transport::Tcp),
            Some(Instant::from_millis(55_000))
        );
        assert_eq!(
            c.tick(Instant::from_millis(55_000), &mut wire),
            Due::TimedOut
        );
    }

    #[test]
    fn traffic_does_not_extend_negotiation() {
        let policy = Keepalive {
            negotiation: Some(Duration::from_secs(60)),
            ..Keepalive::default()
        };
        let mut wire = Wire::new(Transport::Tcp, Limits::default());
        let mut c = Clock::new(Instant::from_millis(0), policy);
        for t in (10_000..60_000).step_by(10_000) {
            wire.feed(b" ");
            wire.send_whitespace();
            assert_ne!(c.tick(Instant::from_millis(t), &mut wire), Due::TimedOut);
        }
        assert_eq!(
            c.next_deadline(Transport::Tcp),
            Some(Instant::from_millis(60_000))
        );
        wire.feed(b" ");
        assert_eq!(
            c.tick(Instant::from_millis(60_000), &mut wire),
            Due::TimedOut
        );
        // Once negotiated, only silence counts.
        let mut c = Clock::new(Instant::from_millis(0), policy);
        c.negotiated();
        wire.feed(b" ");
        assert_eq!(
            c.tick(Instant::from_millis(60_000), &mut wire),
            Due::Whitespace
        );
    }

    /// Once our stream is closed, the peer has `Keepalive::close` to close
    /// its own, however much it sends meanwhile; the wait starts at the
    /// first tick after the close.
    #[test]
    fn the_close_wait_is_not_extended_by_traffic() {
        let mut wire = Wire::new(Transport::Tcp, Limits::default());
        let mut c = Clock::new(Instant::from_millis(0), Keepalive::default());
        c.tick(Instant::from_millis(50_000), &mut wire);
        // Closed long after the last tick: dated at the next one.
        c.closing();
        assert_eq!(
            c.next_deadline(Transport::Tcp),
            Some(Instant::from_millis(50_000))
        );
        assert_eq!(
            c.tick(Instant::from_millis(55_000), &mut wire),
            Due::Nothing
        );
        for t in (56_000..65_000).step_by(1_000) {
            wire.feed(b" ");
            assert_ne!(
                c.tick(Instant::from_millis(t), &mut wire),
                Due::CloseOverdue
            );
        }
        assert!(c.next_deadline(Transport::Tcp) <= Some(Instant::from_millis(65_000)));
        wire.feed(b" ");
        assert_eq!(
            c.tick(Instant::from_millis(65_000), &mut wire),
            Due::CloseOverdue
        );
    }
}
