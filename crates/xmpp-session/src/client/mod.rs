//! The client machine: RFC 6120 stream negotiation from the initiating
//! side (§4 stream, §5 STARTTLS, §6 SASL, §7 resource binding), the RFC
//! 3921 session when a server marks it mandatory, XEP-0198 stream
//! management and resumption, keepalives.

mod negotiate;
mod sasl;
mod traffic;

use sasl::Asked2;
use traffic::is_stanza;

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use xmpp_jid::{FullJid, Jid};
use xmpp_sasl::{
    Capabilities, CbindFlag, ChannelBindingType, ClientSession, ClientStep, Mechanism, Nonce, Ssdp,
    select,
};
use xmpp_stanza::{
    Bind, DefinedCondition, Element, Iq, IqType, PING_NS, Payload, Ping, SESSION_NS, STREAM_NS,
    Sasl, SaslCondition, Sm, Stanza, StanzaNs, StartTls, StreamCondition, StreamFeatures,
};
use xmpp_stream::OpenHeader;
use zeroize::Zeroizing;

use crate::config::{ClientConfig, TlsMode, TlsPolicy, Transport};
use crate::error::Error;
use crate::rng::{Drbg, Seed};
use crate::sm::{ResumptionState, SmState};
use crate::time::Instant;
use crate::tls::TlsInfo;
use crate::wire::{Clock, Due, Incoming, Wire, earliest, version_major};

/// The XEP-0440 namespace of the advertised channel-binding types.
pub(crate) const SASL_CB_NS: &str = "urn:xmpp:sasl-cb:0";

/// What a [`Client`] tells its driver and application.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientEvent {
    /// Start TLS now: send nothing more in the clear, run the TLS handshake
    /// (feeding it `tls_bytes` first: bytes that came after `<proceed/>`),
    /// then call [`Client::tls_established`]. With direct TLS (XEP-0368)
    /// this is the first event, before any XML.
    StartTls {
        /// Bytes received after the last element: TLS records.
        tls_bytes: Vec<u8>,
    },
    /// SASL succeeded (RFC 6120 §6.4.6), the server verified where the
    /// mechanism allows.
    Authenticated {
        /// The mechanism used.
        mechanism: Mechanism,
        /// The channel-binding type, for `-PLUS` mechanisms.
        channel_binding: Option<ChannelBindingType>,
    },
    /// A resource is bound (RFC 6120 §7): stanzas may flow.
    Bound {
        /// The full JID the server assigned.
        jid: FullJid,
    },
    /// XEP-0198 is on for this stream.
    SmEnabled {
        /// Whether the server allows resuming it.
        resumable: bool,
    },
    /// The earlier session was resumed (XEP-0198 §5) instead of binding;
    /// the stanzas the server had not acknowledged were sent again.
    Resumed {
        /// The full JID of the resumed session.
        jid: FullJid,
        /// How many stanzas were sent again.
        resent: usize,
    },
    /// The server refused to resume; a new resource is being bound. These
    /// stanzas of the old session were never acknowledged: send them again
    /// or report them undelivered.
    ResumeFailed {
        /// The unacknowledged stanzas, oldest first (less those the
        /// `<failed/>` element's `h` says the server handled).
        unacked: Vec<Stanza>,
        /// The condition of the server's `<failed/>` (XEP-0198 §5:
        /// `item-not-found` for an unknown SM-ID); `None` when it gave none,
        /// or when the server offered no stream management at all.
        condition: Option<DefinedCondition>,
    },
    /// The server issued a XEP-0484 FAST token (asked for, or rotated):
    /// store it (as [`FastToken`](crate::FastToken), count 0) for the next
    /// connections.
    TokenIssued {
        /// The HT mechanism it is for.
        mechanism: Mechanism,
        /// The secret.
        token: Zeroizing<String>,
        /// When it expires (XEP-0082 DateTime).
        expiry: String,
    },
    /// The server refused the FAST token: forget it. The client goes on
    /// with the password, if it has one.
    TokenRejected,
    /// A stanza from the server.
    Stanza(Stanza),
    /// The server acknowledged these stanzas (XEP-0198 §4), oldest first.
    Acked(Vec<Stanza>),
    /// The server sent a stream error; the stream is closed.
    StreamError(xmpp_stanza::StreamError),
    /// The stream is over: flush the transmits, then close the transport.
    Closed {
        /// The session may be resumed with
        /// [`Client::take_resumption_state`] on a new connection.
        resumable: bool,
    },
}

#[derive(Debug)]
enum Phase {
    /// Waiting for the driver's TLS layer.
    AwaitTls,
    AwaitHeader,
    AwaitFeatures,
    /// `<starttls/>` sent.
    StartTls,
    /// `<auth/>` or (with `v2`) SASL2 `<authenticate/>` sent.
    Sasl {
        session: Box<ClientSession>,
        done: bool,
        channel_binding: Option<ChannelBindingType>,
        v2: Option<Box<Asked2>>,
    },
    /// `<resume/>` sent.
    Resume,
    /// The bind iq sent; `retried` once a conflict made us ask the server
    /// for a resource.
    Bind {
        id: String,
        retried: bool,
    },
    /// The RFC 3921 session iq sent.
    Session {
        id: String,
    },
    Ready,
    /// Our close sent; waiting for the server's.
    Closing,
    Closed,
}

/// A c2s client connection, without I/O.
///
/// # Call order
///
/// 1. [`Client::new`] queues the stream header (or, with direct TLS,
///    the [`ClientEvent::StartTls`] event).
/// 2. Loop: write every [`poll_transmit`](Self::poll_transmit) to the
///    transport; handle every [`poll_event`](Self::poll_event); wait for
///    bytes or for [`poll_timeout`](Self::poll_timeout); pass bytes to
///    [`handle_input`](Self::handle_input) (any chunking; on WebSocket one
///    message per call) and expired timers to
///    [`handle_timeout`](Self::handle_timeout).
/// 3. On [`ClientEvent::StartTls`], flush, wrap the transport in TLS and
///    call [`tls_established`](Self::tls_established).
/// 4. After [`ClientEvent::Bound`], [`send`](Self::send) stanzas.
/// 5. [`close`](Self::close) ends the stream; [`ClientEvent::Closed`] says
///    when to close the transport. If the transport ends first, call
///    [`connection_lost`](Self::connection_lost).
///
/// Time is [`Instant`] (milliseconds on the driver's clock); randomness is
/// the [`Seed`] given at creation. A fatal error is returned by every later
/// call; the stream error it implies is queued for transmission first.
#[derive(Debug)]
pub struct Client {
    config: ClientConfig,
    wire: Wire,
    clock: Clock,
    rng: Drbg,
    phase: Phase,
    tls: Option<TlsInfo>,
    authenticated: bool,
    /// The running exchange binds to a type guessed from the TLS version
    /// (the server listed none, XEP-0440): a failure may be the guess.
    guessed_binding: bool,
    /// A guessed binding was refused: the retry runs without `-PLUS`.
    plus_refused: bool,
    /// The features element of an RFC 6120 exchange with a guessed
    /// binding, for its retry on the same stream (§6.4.5).
    retry_features: Option<Box<Element>>,
    /// The features of the stream after authentication.
    features: Option<StreamFeatures>,
    jid: Option<FullJid>,
    sm: Option<SmState>,
    /// `<enabled/>` received: inbound stanzas count from here.
    sm_counting: bool,
    events: VecDeque<ClientEvent>,
    failed: Option<Error>,
    next_id: u32,
    /// The id of our keepalive ping, while one is out.
    ping_id: Option<String>,
}

impl Client {
    /// A client about to open its stream at `now`.
    pub fn new(config: ClientConfig, seed: Seed, now: Instant) -> Self {
        let wire = Wire::new(config.transport, config.limits);
        let clock = Clock::new(now, config.keepalive);
        let direct = config.transport == Transport::Tcp
            && config.tls_mode == TlsMode::Direct
            && config.tls != TlsPolicy::Off;
        let mut client = Self {
            config,
            wire,
            clock,
            rng: Drbg::new(seed),
            phase: Phase::AwaitHeader,
            tls: None,
            authenticated: false,
            guessed_binding: false,
            plus_refused: false,
            retry_features: None,
            features: None,
            jid: None,
            sm: None,
            sm_counting: false,
            events: VecDeque::new(),
            failed: None,
            next_id: 0,
            ping_id: None,
        };
        if direct {
            client.phase = Phase::AwaitTls;
            client.events.push_back(ClientEvent::StartTls {
                tls_bytes: Vec::new(),
            });
        } else {
            client.send_header();
        }
        client
    }

    /// Bytes from the server: any chunking over TCP, one message per call
    /// over WebSocket.
    pub fn handle_input(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.check()?;
        match self.phase {
            Phase::AwaitTls => return Err(Error::WrongPhase("input before tls_established")),
            Phase::Closed => return Err(Error::Closed),
            _ => {}
        }
        self.wire.feed(bytes);
        self.process()
    }

    /// The driver's TLS layer finished its handshake.
    pub fn tls_established(&mut self, info: TlsInfo) -> Result<(), Error> {
        self.check()?;
        match self.phase {
            Phase::AwaitTls => {
                self.tls = Some(info);
                self.wire.restart();
                self.send_header();
                self.phase = Phase::AwaitHeader;
                Ok(())
            }
            // WebSocket over TLS (wss): reported before the first byte.
            Phase::AwaitHeader
                if self.config.transport == Transport::WebSocket && self.tls.is_none() =>
            {
                self.tls = Some(info);
                Ok(())
            }
            _ => Err(Error::WrongPhase("tls_established without StartTls")),
        }
    }

    /// The next bytes to send (TCP: everything queued; WebSocket: one
    /// message).
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.wire.poll_transmit()
    }

    /// The next event. [`ClientEvent::StartTls`] waits until every transmit
    /// before it was taken, so that nothing plain is sent after TLS starts.
    pub fn poll_event(&mut self) -> Option<ClientEvent> {
        if matches!(self.events.front(), Some(ClientEvent::StartTls { .. }))
            && self.wire.has_output()
        {
            return None;
        }
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if matches!(self.phase, Phase::Closed | Phase::AwaitTls) || self.failed.is_some() {
            return None;
        }
        let sm = self
            .sm
            .as_ref()
            .and_then(|sm| sm.next_deadline(&self.config.sm, self.clock.now));
        earliest(self.clock.next_deadline(self.config.transport), sm)
    }

    /// Time passed: keepalives, ack requests and the silence timeout.
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        self.check()?;
        if matches!(self.phase, Phase::Closed | Phase::AwaitTls) {
            return Ok(());
        }
        match self.clock.tick(now, &mut self.wire) {
            Due::TimedOut => return self.fail(Error::Timeout),
            // RFC 6120 §4.4: our close went unanswered; the transport may
            // end now.
            Due::CloseOverdue => {
                self.finish(false);
                return Ok(());
            }
            Due::Probe => self.probe(),
            Due::Whitespace => self.wire.send_whitespace(),
            Due::Nothing => {}
        }
        let now = self.clock.now;
        let unanswered = self
            .sm
            .as_mut()
            .is_some_and(|sm| sm.ack_overdue(&self.config.sm, now));
        if unanswered {
            return self.fail(Error::Timeout);
        }
        let due = self
            .sm
            .as_ref()
            .and_then(|sm| sm.request_deadline(&self.config.sm))
            .is_some_and(|t| t <= self.clock.now);
        if due {
            self.request_ack();
        }
        Ok(())
    }

    /// Sends a stanza (after [`ClientEvent::Bound`]). With stream
    /// management it is kept until acknowledged.
    pub fn send(&mut self, stanza: Stanza) -> Result<(), Error> {
        self.can_send()?;
        self.send_internal(stanza);
        Ok(())
    }

    /// Whether [`send`](Self::send) takes a stanza now, or the error it
    /// would return: a driver asks first, so that a stanza the machine
    /// would refuse goes back to the application instead of being
    /// dropped.
    pub fn can_send(&self) -> Result<(), Error> {
        self.check()?;
        if !matches!(self.phase, Phase::Ready) {
            return Err(Error::WrongPhase("send before the resource is bound"));
        }
        if self
            .sm
            .as_ref()
            .is_some_and(|sm| sm.is_full(&self.config.sm))
        {
            return Err(Error::QueueFull);
        }
        Ok(())
    }

    /// Asks the server to acknowledge (XEP-0198 `<r/>`), when stream
    /// management is on.
    pub fn request_ack(&mut self) {
        if let Some(sm) = &mut self.sm {
            sm.requested();
            self.wire.send_element(&Sm::Request.to_element());
        }
    }

    /// Closes the stream (RFC 6120 §4.4); [`ClientEvent::Closed`] follows
    /// the server's close.
    pub fn close(&mut self) -> Result<(), Error> {
        self.check()?;
        match self.phase {
            Phase::Closed | Phase::Closing => Ok(()),
            Phase::AwaitTls => {
                self.finish(false);
                Ok(())
            }
            _ => {
                self.wire.send_close();
                self.clock.closing();
                self.phase = Phase::Closing;
                Ok(())
            }
        }
    }

    /// The transport ended without a close.
    pub fn connection_lost(&mut self) {
        if matches!(self.phase, Phase::Closed) {
            return;
        }
        let resumable = matches!(self.phase, Phase::Ready) && self.resumable();
        self.finish(resumable);
        if self.failed.is_none() {
            self.failed = Some(Error::ConnectionLost);
        }
    }

    /// The state to resume this session on a new connection, once the
    /// stream is over (XEP-0198 §5); `None` when it is not resumable.
    pub fn take_resumption_state(&mut self) -> Option<ResumptionState> {
        let sm = self.sm.take()?;
        let id = sm.id.clone()?;
        let jid = self.jid.as_ref()?.as_str().to_string();
        Some(ResumptionState::from_sm(&sm, id, jid))
    }

    /// The bound full JID.
    pub fn jid(&self) -> Option<&FullJid> {
        self.jid.as_ref()
    }

    /// The TLS channel, once established.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// Whether the stream is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    fn check(&self) -> Result<(), Error> {
        match &self.failed {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn resumable(&self) -> bool {
        self.sm.as_ref().is_some_and(|sm| sm.id.is_some())
    }

    fn send_header(&mut self) {
        let domain = self.config.jid.domainpart().to_string();
        let from = self.config.jid.as_str().to_string();
        let mut header = OpenHeader::new(xmpp_stanza::CLIENT_NS).to(&domain);
        // RFC 6120 §4.7.1: the bare JID, once the stream is protected.
        if self.tls.is_some() && self.config.jid.localpart().is_some() {
            header = header.from(&from);
        }
        if let Some(lang) = &self.config.lang {
            header = header.lang(lang);
        }
        self.wire.send_header(&header);
    }

    fn id(&mut self, prefix: &str) -> String {
        self.next_id = self.next_id.wrapping_add(1);
        format!("{prefix}{}", self.next_id)
    }

    fn process(&mut self) -> Result<(), Error> {
        loop {
            if matches!(self.phase, Phase::AwaitTls | Phase::Closed) {
                return Ok(());
            }
            let item = match self.wire.next() {
                Ok(Some(item)) => item,
                Ok(None) => return Ok(()),
                Err(e) => return self.fail(e),
            };
            if let Err(e) = self.on_item(item) {
                return self.fail(e);
            }
        }
    }

    /// Ends the stream with `e`: the stream error it implies, our close,
    /// then `Closed`.
    fn fail(&mut self, e: Error) -> Result<(), Error> {
        if !matches!(self.phase, Phase::Closed | Phase::AwaitTls) {
            if let Some(error) = e.to_stream_error() {
                self.wire.send_stream_error(&error);
            }
            if !matches!(self.phase, Phase::Closing) {
                self.wire.send_close();
            }
        }
        let resumable = matches!(e, Error::Timeout) && self.resumable();
        self.finish(resumable);
        self.failed = Some(e.clone());
        Err(e)
    }

    fn finish(&mut self, resumable: bool) {
        self.phase = Phase::Closed;
        self.events.push_back(ClientEvent::Closed { resumable });
    }

    fn on_item(&mut self, item: Incoming) -> Result<(), Error> {
        match item {
            Incoming::Open(header) => {
                if !matches!(self.phase, Phase::AwaitHeader) {
                    return Err(Error::protocol(
                        StreamCondition::NotWellFormed,
                        "a second stream header",
                    ));
                }
                // RFC 6120 §4.7.5: a server below 1.0 cannot speak with us.
                if version_major(header.version()).is_none_or(|major| major < 1) {
                    return Err(Error::protocol(
                        StreamCondition::UnsupportedVersion,
                        "the server's stream version is not 1.x",
                    ));
                }
                self.phase = Phase::AwaitFeatures;
                Ok(())
            }
            Incoming::Close => {
                if !matches!(self.phase, Phase::Closing) {
                    self.wire.send_close();
                }
                self.finish(false);
                Ok(())
            }
            Incoming::Element(e, _) => self.on_element(e),
        }
    }

    fn on_element(&mut self, e: Element) -> Result<(), Error> {
        if e.is("error", STREAM_NS) {
            let error = xmpp_stanza::StreamError::from_element(&e).map_err(|_| {
                Error::protocol(StreamCondition::InvalidXml, "an unreadable stream error")
            })?;
            self.events
                .push_back(ClientEvent::StreamError(error.clone()));
            if !matches!(self.phase, Phase::Closing) {
                self.wire.send_close();
            }
            self.finish(false);
            self.failed = Some(Error::PeerStreamError(Box::new(error)));
            return Ok(());
        }
        match core::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::AwaitFeatures if e.is("features", STREAM_NS) => {
                let features = StreamFeatures::from_element(&e).map_err(|_| {
                    Error::protocol(StreamCondition::InvalidXml, "unreadable stream features")
                })?;
                self.on_features(features, &e)
            }
            Phase::StartTls => match StartTls::from_element(&e) {
                Some(StartTls::Proceed) => {
                    let tls_bytes = self.wire.take_unconsumed();
                    self.phase = Phase::AwaitTls;
                    self.events.push_back(ClientEvent::StartTls { tls_bytes });
                    Ok(())
                }
                Some(StartTls::Failure) => {
                    // RFC 6120 §5.4.2.2: the server closes the stream.
                    self.phase = Phase::Closing;
                    Err(Error::TlsRequired)
                }
                _ => Err(unexpected()),
            },
            Phase::Sasl {
                session,
                done,
                channel_binding,
                v2,
            } => self.on_sasl(&e, session, done, channel_binding, v2),
            Phase::Resume => self.on_resume(&e),
            Phase::Bind { id, retried } => self.on_bind(e, id, retried),
            Phase::Session { id } => match iq_response(&e, &id) {
                Some(Ok(())) => {
                    self.bound();
                    Ok(())
                }
                Some(Err(c)) => Err(Error::BindFailed(c)),
                None => {
                    self.phase = Phase::Session { id };
                    // RFC 3921 §3: no stanzas before the session, and the
                    // application has no address until `Bound`: dropped,
                    // as during binding.
                    if is_stanza(&e) {
                        return Ok(());
                    }
                    self.on_traffic(e)
                }
            },
            phase @ (Phase::Ready | Phase::Closing) => {
                self.phase = phase;
                self.on_traffic(e)
            }
            _ => Err(unexpected()),
        }
    }

    /// Heap held by the machine (framer and queues), for the idle-session
    /// figure.
    pub fn heap_size(&self) -> usize {
        self.wire.heap_size()
            + self
                .sm
                .as_ref()
                .map_or(0, |s| s.queue.capacity() * size_of::<Stanza>())
    }
}

/// The result or error of the iq `id`, if `e` is one.
pub(crate) fn iq_response(e: &Element, id: &str) -> Option<Result<(), DefinedCondition>> {
    if e.name() != "iq" || e.attr("id") != Some(id) {
        return None;
    }
    match e.attr("type") {
        Some("result") => Some(Ok(())),
        Some("error") => Some(Err(e
            .get_child("error", e.ns())
            .and_then(|err| xmpp_stanza::StanzaError::from_element(err).ok())
            .map_or(DefinedCondition::UndefinedCondition, |err| err.condition))),
        _ => None,
    }
}

/// The XEP-0440 types a server advertised, if it did.
pub(crate) fn advertised_bindings(features: &Element) -> Option<Vec<String>> {
    let list = features.get_child("sasl-channel-binding", SASL_CB_NS)?;
    Some(
        list.get_children("channel-binding", SASL_CB_NS)
            .filter_map(|c| c.attr("type").map(String::from))
            .collect(),
    )
}

fn unexpected() -> Error {
    Error::protocol(
        StreamCondition::UnsupportedStanzaType,
        "an element this phase does not allow",
    )
}
