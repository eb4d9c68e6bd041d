//! The server machine: RFC 6120 stream negotiation from the receiving
//! side. It offers what each phase allows, asks the application for every
//! decision (credentials, the resource to bind, a resumption) as an event
//! answered by a command, stamps and types every stanza the client sends,
//! and runs XEP-0198 for its side.

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use xmpp_jid::{BareJid, FullJid, Jid, ResourcePart};
use xmpp_sasl::{
    Credentials, CredentialsRequest, Mechanism, Nonce, ServerSession, ServerStep, SsdpForm,
};
use xmpp_stanza::{
    Bind, CLIENT_NS, DefinedCondition, Element, Iq, IqType, Payload, Ping, SESSION_NS, STREAM_NS,
    Sasl, SaslCondition, Sm, Stanza, StanzaError, StanzaNs, StartTls, StreamCondition,
    StreamFeatures,
};
use xmpp_stream::{Header, StreamHeader};

use crate::client::{SASL_CB_NS, handled_count_too_high};
use crate::config::{ServerConfig, TlsMode, TlsPolicy, Transport};
use crate::error::Error;
use crate::rng::{Drbg, Seed};
use crate::sm::{ResumptionState, SmState};
use crate::time::Instant;
use crate::tls::TlsInfo;
use crate::wire::{Clock, Due, Incoming, Wire, earliest};

/// What a [`Server`] tells its driver and application. The requests
/// (credentials, binding, resumption) wait for their answer command; the
/// machine reads no further input until then.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerEvent {
    /// Start TLS now: flush the transmits (they end with `<proceed/>`),
    /// run the handshake (feeding it `tls_bytes` first), then call
    /// [`Server::tls_established`]. With direct TLS (XEP-0368) this is the
    /// first event.
    StartTls {
        /// Bytes the client sent after `<starttls/>`: TLS records.
        tls_bytes: Vec<u8>,
    },
    /// Look up the credentials of `authcid` and answer with
    /// [`Server::provide_credentials`]. For an account that does not exist,
    /// answer [`Credentials::UnknownUser`]: it runs the same fake exchange
    /// a wrong password gets (RFC 5802 §5.1, from
    /// [`ServerConfig::secret`]), so no one learns which accounts exist.
    CredentialsRequest(CredentialsRequest),
    /// SASL succeeded.
    Authenticated {
        /// The account.
        jid: BareJid,
        /// The mechanism used.
        mechanism: Mechanism,
    },
    /// The client asks to bind a resource (RFC 6120 §7). Answer with
    /// [`Server::accept_bind`] (the requested resourcepart, `suggested`, or
    /// any other, RFC 6120 §7.7.2.2) or [`Server::reject_bind`].
    BindRequest {
        /// The resourcepart asked for, already checked as RFC 7622 §3.4
        /// allows; `None` when the client lets the server choose.
        requested: Option<String>,
        /// A fresh random resourcepart the server may assign.
        suggested: String,
    },
    /// The client asks to resume an earlier session (XEP-0198 §5). Answer
    /// with [`Server::accept_resume`] (the state that session left) or
    /// [`Server::reject_resume`].
    ResumeRequest {
        /// The SM-ID of the earlier session.
        previd: String,
        /// Stanzas the client handled on it.
        h: u32,
    },
    /// A resource is bound.
    Bound {
        /// The client's full JID.
        jid: FullJid,
    },
    /// A session was resumed on this stream.
    Resumed {
        /// The client's full JID.
        jid: FullJid,
        /// Stanzas sent again.
        resent: usize,
    },
    /// XEP-0198 is on for this stream.
    SmEnabled {
        /// The SM-ID when resumption was allowed.
        id: Option<String>,
    },
    /// A stanza from the client, `from` stamped with its full JID (its bare
    /// JID for subscription presence), RFC 6120 §8.1.2.1.
    Stanza(Stanza),
    /// The client acknowledged these stanzas, oldest first.
    Acked(Vec<Stanza>),
    /// The client sent a stream error.
    StreamError(xmpp_stanza::StreamError),
    /// The session ended without resumption: these stanzas sent to the
    /// client were never acknowledged (XEP-0198 §5). Bounce, store or
    /// redeliver them.
    Undelivered(Vec<Stanza>),
    /// The stream is over: flush the transmits, then close the transport.
    Closed {
        /// The session may be resumed: keep
        /// [`Server::take_resumption_state`] for the client's return.
        resumable: bool,
    },
}

#[derive(Debug)]
enum Phase {
    AwaitTls,
    AwaitHeader,
    /// Header and features sent.
    Negotiating,
    /// A SASL exchange; `credentials` while the application looks them up.
    Sasl {
        session: Box<ServerSession>,
        credentials: bool,
    },
    /// A bind request waits for the application.
    AwaitBind {
        request: Box<Iq>,
    },
    /// A resumption waits for the application.
    AwaitResume {
        previd: String,
        h: u32,
    },
    Ready,
    Closing,
    Closed,
}

/// A c2s server connection, without I/O.
///
/// # Call order
///
/// As for [`Client`](crate::Client): transmits out, events handled, input
/// and timers in. Requests ([`ServerEvent::CredentialsRequest`],
/// [`ServerEvent::BindRequest`], [`ServerEvent::ResumeRequest`]) are
/// answered by their commands, at any later time: the machine buffers
/// input meanwhile (up to the element limit).
#[derive(Debug)]
pub struct Server {
    config: ServerConfig,
    wire: Wire,
    clock: Clock,
    rng: Drbg,
    phase: Phase,
    tls: Option<TlsInfo>,
    /// The served domain, normalized.
    domain: String,
    account: Option<BareJid>,
    jid: Option<FullJid>,
    auth_failures: u8,
    bind_failures: u8,
    /// The mechanisms offered in the current features.
    offered: Vec<Mechanism>,
    sm: Option<SmState>,
    events: VecDeque<ServerEvent>,
    failed: Option<Error>,
    next_id: u32,
    ping_id: Option<String>,
    /// The stream header was sent (a stream error needs one first).
    header_sent: bool,
}

impl Server {
    /// A server side of a new connection at `now`.
    pub fn new(config: ServerConfig, seed: Seed, now: Instant) -> Self {
        let wire = Wire::new(config.transport, config.limits);
        let clock = Clock::new(now, config.keepalive);
        let domain = Jid::new(&config.domain)
            .map(|j| j.domainpart().to_string())
            .unwrap_or_else(|_| config.domain.to_ascii_lowercase());
        let direct = config.transport == Transport::Tcp
            && config.tls_mode == TlsMode::Direct
            && config.tls != TlsPolicy::Off;
        let mut server = Self {
            config,
            wire,
            clock,
            rng: Drbg::new(seed),
            phase: Phase::AwaitHeader,
            tls: None,
            domain,
            account: None,
            jid: None,
            auth_failures: 0,
            bind_failures: 0,
            offered: Vec::new(),
            sm: None,
            events: VecDeque::new(),
            failed: None,
            next_id: 0,
            ping_id: None,
            header_sent: false,
        };
        if direct {
            server.phase = Phase::AwaitTls;
            server.events.push_back(ServerEvent::StartTls {
                tls_bytes: Vec::new(),
            });
        }
        server
    }

    /// Bytes from the client: any chunking over TCP, one message per call
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
                self.header_sent = false;
                self.phase = Phase::AwaitHeader;
                self.process()
            }
            Phase::AwaitHeader
                if self.config.transport == Transport::WebSocket && self.tls.is_none() =>
            {
                self.tls = Some(info);
                Ok(())
            }
            _ => Err(Error::WrongPhase("tls_established without StartTls")),
        }
    }

    /// The next bytes to send.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.wire.poll_transmit()
    }

    /// The next event; [`ServerEvent::StartTls`] waits until the transmits
    /// before it (ending with `<proceed/>`) were taken.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        if matches!(self.events.front(), Some(ServerEvent::StartTls { .. }))
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
            .and_then(|sm| sm.request_deadline(&self.config.sm));
        earliest(self.clock.next_deadline(self.config.transport), sm)
    }

    /// Time passed: keepalives, ack requests and the silence timeout
    /// (`connection-timeout`, RFC 6120 §4.9.3.4).
    pub fn handle_timeout(&mut self, now: Instant) -> Result<(), Error> {
        self.check()?;
        if matches!(self.phase, Phase::Closed | Phase::AwaitTls) {
            return Ok(());
        }
        match self.clock.tick(now, &mut self.wire) {
            Due::TimedOut => return self.fail(Error::Timeout),
            Due::Probe => self.probe(),
            Due::Whitespace => self.wire.send_whitespace(),
            Due::Nothing => {}
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

    /// Answers a [`ServerEvent::CredentialsRequest`].
    pub fn provide_credentials(&mut self, credentials: Credentials) -> Result<(), Error> {
        self.check()?;
        if !matches!(
            self.phase,
            Phase::Sasl {
                credentials: true,
                ..
            }
        ) {
            return Err(Error::WrongPhase("no credentials were asked for"));
        }
        let Phase::Sasl {
            mut session,
            credentials: true,
        } = core::mem::replace(&mut self.phase, Phase::Negotiating)
        else {
            return Err(Error::WrongPhase("no credentials were asked for"));
        };
        let step = session.credentials(credentials);
        if let Err(e) = self.on_sasl_step(session, step) {
            return self.fail(e);
        }
        self.process()
    }

    /// Answers a [`ServerEvent::BindRequest`]: binds `resource`.
    pub fn accept_bind(&mut self, resource: &str) -> Result<FullJid, Error> {
        self.check()?;
        let Phase::AwaitBind { request } = &self.phase else {
            return Err(Error::WrongPhase("no bind request is waiting"));
        };
        let (Some(account), Ok(part)) = (&self.account, ResourcePart::new(resource)) else {
            return Err(Error::WrongPhase(
                "accept_bind with an invalid resourcepart",
            ));
        };
        let jid = account.with_resource(&part);
        let result = request.make_result(Some(Bind::Result(jid.clone()).to_element()));
        if let Some(result) = result {
            self.wire.send_stanza(&Stanza::Iq(result));
        }
        self.jid = Some(jid.clone());
        self.phase = Phase::Ready;
        self.events
            .push_back(ServerEvent::Bound { jid: jid.clone() });
        self.process()?;
        Ok(jid)
    }

    /// Answers a [`ServerEvent::BindRequest`] with a stanza error (RFC 6120
    /// §7.6.2, §7.7.2): `conflict`, `not-allowed`, `resource-constraint`…
    pub fn reject_bind(&mut self, condition: DefinedCondition) -> Result<(), Error> {
        self.check()?;
        if !matches!(self.phase, Phase::AwaitBind { .. }) {
            return Err(Error::WrongPhase("no bind request is waiting"));
        }
        let Phase::AwaitBind { request } = core::mem::replace(&mut self.phase, Phase::Negotiating)
        else {
            return Err(Error::WrongPhase("no bind request is waiting"));
        };
        self.bind_error(&request, condition)?;
        self.process()
    }

    /// Answers a [`ServerEvent::ResumeRequest`] with the state the earlier
    /// session left; refused (`item-not-found`) when it is another
    /// account's or another SM-ID's.
    pub fn accept_resume(&mut self, state: ResumptionState) -> Result<(), Error> {
        self.check()?;
        if !matches!(self.phase, Phase::AwaitResume { .. }) {
            return Err(Error::WrongPhase("no resumption is waiting"));
        }
        let Phase::AwaitResume { previd, h } =
            core::mem::replace(&mut self.phase, Phase::Negotiating)
        else {
            return Err(Error::WrongPhase("no resumption is waiting"));
        };
        let jid = FullJid::new(state.jid()).ok();
        let same_account = jid
            .as_ref()
            .zip(self.account.as_ref())
            .is_some_and(|(j, a)| j.as_jid().to_bare() == *a);
        let (Some(jid), true, true) = (jid, same_account, state.id() == previd) else {
            self.resume_failed();
            return self.process();
        };
        let mut sm = state.to_sm();
        let Ok(acked) = sm.ack(h) else {
            return self.fail(handled_count_too_high());
        };
        let resumed = Sm::Resumed {
            h: sm.inbound,
            previd,
        };
        self.wire.send_element(&resumed.to_element());
        for s in &sm.queue {
            self.wire.send_stanza(s);
        }
        let resent = sm.queue.len();
        self.sm = Some(sm);
        self.jid = Some(jid.clone());
        self.phase = Phase::Ready;
        if !acked.is_empty() {
            self.events.push_back(ServerEvent::Acked(acked));
        }
        self.events.push_back(ServerEvent::Resumed { jid, resent });
        self.process()
    }

    /// Answers a [`ServerEvent::ResumeRequest`]: no such session
    /// (`<failed/>` with `item-not-found`); the client binds anew.
    pub fn reject_resume(&mut self) -> Result<(), Error> {
        self.check()?;
        if !matches!(self.phase, Phase::AwaitResume { .. }) {
            return Err(Error::WrongPhase("no resumption is waiting"));
        }
        self.resume_failed();
        self.process()
    }

    /// Sends a stanza to the client (once bound). With stream management it
    /// is kept until acknowledged.
    pub fn send(&mut self, stanza: Stanza) -> Result<(), Error> {
        self.check()?;
        if !matches!(self.phase, Phase::Ready) {
            return Err(Error::WrongPhase("send before the resource is bound"));
        }
        self.send_counted(stanza)
    }

    /// Asks the client to acknowledge (XEP-0198 `<r/>`).
    pub fn request_ack(&mut self) {
        if let Some(sm) = &mut self.sm {
            sm.requested();
            self.wire.send_element(&Sm::Request.to_element());
        }
    }

    /// Closes the stream cleanly (RFC 6120 §4.4).
    pub fn close(&mut self) -> Result<(), Error> {
        self.check()?;
        match self.phase {
            Phase::Closed | Phase::Closing => Ok(()),
            _ => {
                self.ensure_header();
                self.wire.send_close();
                self.phase = Phase::Closing;
                Ok(())
            }
        }
    }

    /// Closes the stream with a stream error, e.g. `system-shutdown` or
    /// `conflict` (RFC 6120 §4.9.3); the session ends now.
    pub fn close_with_error(&mut self, error: xmpp_stanza::StreamError) {
        if matches!(self.phase, Phase::Closed) || self.failed.is_some() {
            return;
        }
        self.ensure_header();
        self.wire.send_stream_error(&error);
        self.wire.send_close();
        self.finish(false);
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

    /// The state a resumption of this session needs, once the stream is
    /// over (XEP-0198 §5); `None` when it is not resumable.
    pub fn take_resumption_state(&mut self) -> Option<ResumptionState> {
        let sm = self.sm.take()?;
        let id = sm.id.clone()?;
        let jid = self.jid.as_ref()?.as_str().to_string();
        Some(ResumptionState::from_sm(&sm, id, jid))
    }

    /// The client's full JID, once bound.
    pub fn jid(&self) -> Option<&FullJid> {
        self.jid.as_ref()
    }

    /// The authenticated account.
    pub fn account(&self) -> Option<&BareJid> {
        self.account.as_ref()
    }

    /// The TLS channel, once established.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// Whether the stream is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Heap held by the machine (framer, buffers, queues).
    pub fn heap_size(&mut self) -> usize {
        self.wire.trim();
        self.wire.heap_size()
            + self
                .sm
                .as_ref()
                .map_or(0, |s| s.queue.capacity() * size_of::<Stanza>())
            + self.offered.capacity() * size_of::<Mechanism>()
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

    /// Waiting for the application: input stays buffered.
    fn blocked(&self) -> bool {
        matches!(
            self.phase,
            Phase::AwaitTls
                | Phase::AwaitBind { .. }
                | Phase::AwaitResume { .. }
                | Phase::Closed
                | Phase::Sasl {
                    credentials: true,
                    ..
                }
        )
    }

    fn process(&mut self) -> Result<(), Error> {
        loop {
            if self.blocked() {
                if self.wire.buffered() > self.config.limits.max_element_bytes {
                    return self.fail(Error::protocol(
                        StreamCondition::PolicyViolation,
                        "too much data while a request was pending",
                    ));
                }
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

    fn ensure_header(&mut self) {
        if !self.header_sent {
            self.send_header(None, None);
        }
    }

    fn fail(&mut self, e: Error) -> Result<(), Error> {
        if !matches!(self.phase, Phase::Closed | Phase::AwaitTls) {
            if let Some(condition) = e.condition() {
                // RFC 6120 §4.9.1.2: a stream error needs our header first.
                self.ensure_header();
                let mut error = xmpp_stanza::StreamError::new(condition);
                if let Error::Protocol { reason, .. } = &e {
                    error = error.with_text(None, *reason);
                }
                self.wire.send_stream_error(&error);
            }
            if !matches!(self.phase, Phase::Closing) {
                self.ensure_header();
                self.wire.send_close();
            }
        }
        let resumable =
            matches!(e, Error::Timeout) && matches!(self.phase, Phase::Ready) && self.resumable();
        self.finish(resumable);
        self.failed = Some(e.clone());
        Err(e)
    }

    /// Ends the session; without resumption, the unacknowledged stanzas go
    /// back to the application (XEP-0198 §5).
    fn finish(&mut self, resumable: bool) {
        self.phase = Phase::Closed;
        if !resumable {
            if let Some(sm) = &mut self.sm {
                sm.id = None;
                if !sm.queue.is_empty() {
                    let undelivered: Vec<Stanza> = sm.queue.drain(..).collect();
                    self.events.push_back(ServerEvent::Undelivered(undelivered));
                }
            }
        }
        self.events.push_back(ServerEvent::Closed { resumable });
    }

    fn send_header(&mut self, to: Option<&str>, lang: Option<&str>) {
        let id = self.rng.token(12);
        let domain = self.domain.clone();
        let mut header = Header::new(CLIENT_NS).from(&domain).id(&id);
        if let Some(to) = to {
            header = header.to(to);
        }
        header = header.lang(lang.unwrap_or("en"));
        self.wire.send_header(&header);
        self.header_sent = true;
    }

    fn on_item(&mut self, item: Incoming) -> Result<(), Error> {
        match item {
            Incoming::Open(header) => self.on_header(&header),
            Incoming::Close => {
                if !matches!(self.phase, Phase::Closing) {
                    self.wire.send_close();
                }
                self.finish(false);
                Ok(())
            }
            Incoming::Element(e) => self.on_element(e),
        }
    }

    fn on_header(&mut self, h: &StreamHeader) -> Result<(), Error> {
        if !matches!(self.phase, Phase::AwaitHeader) {
            return Err(Error::protocol(
                StreamCondition::NotWellFormed,
                "a stream header in the middle of a stream",
            ));
        }
        // A client's `from` is echoed as `to` (RFC 6120 §4.7.2) only when
        // it is a JID.
        let from = h.from().filter(|f| Jid::new(f).is_ok());
        let lang = h.lang().filter(|l| is_language_tag(l));
        self.send_header(from, lang);
        if self.config.transport == Transport::Tcp
            && h.namespaces().default_namespace() != Some(CLIENT_NS)
        {
            return Err(Error::protocol(
                StreamCondition::InvalidNamespace,
                "the content namespace is not jabber:client",
            ));
        }
        // RFC 6120 §4.7.5: no version means 0.9, which is not spoken here.
        if !h.version().is_some_and(|v| v.starts_with("1.")) {
            return Err(Error::protocol(
                StreamCondition::UnsupportedVersion,
                "the stream version is not 1.x",
            ));
        }
        let served = h.to().and_then(|to| Jid::new(to).ok()).is_some_and(|to| {
            to.is_bare() && to.localpart().is_none() && to.domainpart() == self.domain
        });
        if !served {
            return Err(Error::protocol(
                StreamCondition::HostUnknown,
                "the stream is addressed to a domain not served here",
            ));
        }
        if self.tls.is_none() && self.config.tls == TlsPolicy::Required && !self.can_starttls() {
            return Err(Error::protocol(
                StreamCondition::PolicyViolation,
                "tls is required and this transport has none",
            ));
        }
        let features = self.features();
        self.wire.send_element(&features);
        self.phase = Phase::Negotiating;
        Ok(())
    }

    fn can_starttls(&self) -> bool {
        self.config.transport == Transport::Tcp && self.config.tls_mode == TlsMode::StartTls
    }

    /// The features this phase offers (RFC 6120 §4.3.2).
    fn features(&mut self) -> Element {
        let mut f = StreamFeatures::default();
        self.offered.clear();
        let mut extra = None;
        if self.account.is_none() {
            let starttls =
                self.tls.is_none() && self.can_starttls() && self.config.tls != TlsPolicy::Off;
            if starttls {
                let required = self.config.tls == TlsPolicy::Required;
                f.starttls = Some(required);
                // RFC 6120 §5.3.1: nothing else while TLS is mandatory.
                if required {
                    return f.to_element();
                }
            }
            let sasl = self.sasl_config();
            // One source for what is offered, what XEP-0440 lists and what
            // XEP-0474 signs.
            self.offered = sasl.advertised_mechanisms();
            f.mechanisms = Some(self.offered.iter().map(|m| m.name().into()).collect());
            let types = sasl.channel_binding_types();
            if !types.is_empty() {
                let mut list = Element::new("sasl-channel-binding", SASL_CB_NS);
                for t in &types {
                    list.push_child(
                        Element::new("channel-binding", SASL_CB_NS).with_attr("type", t.name()),
                    );
                }
                extra = Some(list);
            }
        } else {
            f.bind = true;
            f.sm = self.config.sm.enabled;
        }
        let mut e = f.to_element();
        if let Some(x) = extra {
            e.push_child(x);
        }
        e
    }

    /// The SASL policy of this connection as it stands: the configured
    /// mechanisms, the TLS layer's binding data (no `tls-unique` on TLS
    /// 1.3), encryption, and XEP-0474 over what is advertised.
    fn sasl_config(&self) -> xmpp_sasl::ServerConfig {
        let mut sasl = xmpp_sasl::ServerConfig::new(self.config.secret.clone())
            .mechanisms(self.config.mechanisms.iter().copied())
            .encrypted(self.tls.is_some())
            .allow_plain_unencrypted(self.config.allow_plain_unencrypted);
        for cb in self.tls.iter().flat_map(TlsInfo::usable_bindings) {
            sasl = sasl.channel_binding(cb.clone());
        }
        if self.config.downgrade_protection {
            sasl = sasl.ssdp(SsdpForm::Current);
        }
        sasl
    }

    fn on_element(&mut self, e: Element) -> Result<(), Error> {
        if e.is("error", STREAM_NS) {
            if let Ok(error) = xmpp_stanza::StreamError::from_element(&e) {
                self.events
                    .push_back(ServerEvent::StreamError(error.clone()));
                self.failed = Some(Error::PeerStreamError(Box::new(error)));
            }
            if !matches!(self.phase, Phase::Closing) {
                self.wire.send_close();
            }
            self.finish(false);
            return Ok(());
        }
        match core::mem::replace(&mut self.phase, Phase::Closed) {
            Phase::Negotiating => {
                self.phase = Phase::Negotiating;
                self.negotiate(e)
            }
            Phase::Sasl {
                session,
                credentials: false,
            } => self.on_sasl(&e, session),
            phase @ (Phase::Ready | Phase::Closing) => {
                self.phase = phase;
                self.on_traffic(e)
            }
            _ => Err(Error::protocol(
                StreamCondition::UnsupportedStanzaType,
                "an element this phase does not allow",
            )),
        }
    }

    /// An element while features are out: STARTTLS, SASL, bind, resume.
    fn negotiate(&mut self, e: Element) -> Result<(), Error> {
        if let Some(StartTls::Request) = StartTls::from_element(&e) {
            if self.tls.is_some() || !self.can_starttls() || self.config.tls == TlsPolicy::Off {
                // RFC 6120 §5.4.2.2.
                self.wire.send_element(&StartTls::Failure.to_element());
                self.wire.send_close();
                self.phase = Phase::Closing;
                return Ok(());
            }
            self.wire.send_element(&StartTls::Proceed.to_element());
            let tls_bytes = self.wire.take_unconsumed();
            self.phase = Phase::AwaitTls;
            self.events.push_back(ServerEvent::StartTls { tls_bytes });
            return Ok(());
        }
        if self.account.is_none() {
            let tls_first =
                self.tls.is_none() && self.config.tls == TlsPolicy::Required && self.can_starttls();
            return match Sasl::from_element(&e) {
                Ok(Some(Sasl::Auth { mechanism, initial })) if !tls_first => {
                    self.start_sasl(&mechanism, initial)
                }
                Ok(Some(Sasl::Abort)) => {
                    self.send_sasl_failure(SaslCondition::Aborted);
                    Ok(())
                }
                // RFC 6120 §4.3.5: nothing else before authentication.
                _ => Err(Error::protocol(
                    StreamCondition::NotAuthorized,
                    "data before authentication",
                )),
            };
        }
        if let Ok(Some(Sm::Resume { h, previd })) = Sm::from_element(&e) {
            if !self.config.sm.enabled || !self.config.sm.resume || self.jid.is_some() {
                let failed = Sm::Failed {
                    h: None,
                    condition: Some(DefinedCondition::UnexpectedRequest),
                };
                self.wire.send_element(&failed.to_element());
                return Ok(());
            }
            self.phase = Phase::AwaitResume {
                previd: previd.clone(),
                h,
            };
            self.events
                .push_back(ServerEvent::ResumeRequest { previd, h });
            return Ok(());
        }
        if e.name() == "iq" && e.ns() == CLIENT_NS {
            if let Ok(Stanza::Iq(iq)) = Stanza::from_element(e.clone()) {
                if iq.type_ == IqType::Set {
                    if let Some(Ok(Bind::Request(requested))) = iq
                        .payload()
                        .filter(|p| Bind::matches(p))
                        .map(Bind::from_element)
                    {
                        return self.on_bind_request(iq, requested);
                    }
                }
            }
        }
        Err(Error::protocol(
            StreamCondition::NotAuthorized,
            "a stanza before resource binding",
        ))
    }

    fn on_bind_request(&mut self, iq: Iq, requested: Option<String>) -> Result<(), Error> {
        if let Some(r) = &requested {
            // RFC 6120 §7.7.2.1: a resourcepart RFC 7622 §3.4 refuses.
            if ResourcePart::new(r).is_err() {
                return self.bind_error(&iq, DefinedCondition::BadRequest);
            }
        }
        let requested = requested.map(|r| {
            ResourcePart::new(&r)
                .map(|p| p.as_str().to_string())
                .unwrap_or(r)
        });
        let suggested = self.rng.token(9);
        self.phase = Phase::AwaitBind {
            request: Box::new(iq),
        };
        self.events.push_back(ServerEvent::BindRequest {
            requested,
            suggested,
        });
        Ok(())
    }

    fn bind_error(&mut self, request: &Iq, condition: DefinedCondition) -> Result<(), Error> {
        let error = request.make_error(StanzaError::new(condition));
        self.wire.send_stanza(&Stanza::Iq(error));
        self.bind_failures = self.bind_failures.saturating_add(1);
        self.phase = Phase::Negotiating;
        if self.bind_failures >= self.config.max_bind_attempts {
            // RFC 6120 §7.7.2.3.
            return Err(Error::protocol(
                StreamCondition::PolicyViolation,
                "too many failed resource bindings",
            ));
        }
        Ok(())
    }

    fn resume_failed(&mut self) {
        let failed = Sm::Failed {
            h: None,
            condition: Some(DefinedCondition::ItemNotFound),
        };
        self.wire.send_element(&failed.to_element());
        self.phase = Phase::Negotiating;
    }

    fn start_sasl(&mut self, name: &str, initial: Option<Vec<u8>>) -> Result<(), Error> {
        let Some(mechanism) = self.offered.iter().copied().find(|m| m.name() == name) else {
            self.send_sasl_failure(SaslCondition::InvalidMechanism);
            return Ok(());
        };
        let sasl = self.sasl_config();
        let nonce = Nonce::new(self.rng.token(18)).map_err(Error::Sasl)?;
        let mut session = match ServerSession::new(mechanism, sasl, nonce) {
            Ok(s) => Box::new(s),
            Err(e) => {
                self.send_sasl_failure(sasl_condition(e.condition()));
                return Ok(());
            }
        };
        match initial {
            // RFC 6120 §6.4.2: no initial response, an empty challenge.
            None => {
                self.wire.send_element(&Sasl::Challenge(None).to_element());
                self.phase = Phase::Sasl {
                    session,
                    credentials: false,
                };
                Ok(())
            }
            Some(data) => {
                let step = session.step(&data);
                self.on_sasl_step(session, step)
            }
        }
    }

    fn on_sasl(&mut self, e: &Element, mut session: Box<ServerSession>) -> Result<(), Error> {
        match Sasl::from_element(e) {
            Ok(Some(Sasl::Response(data))) => {
                let step = session.step(&data.unwrap_or_default());
                self.on_sasl_step(session, step)
            }
            Ok(Some(Sasl::Abort)) => {
                self.send_sasl_failure(SaslCondition::Aborted);
                self.count_auth_failure()
            }
            Err(_) => {
                // RFC 6120 §6.4.5: bad base64 is `incorrect-encoding`.
                self.send_sasl_failure(SaslCondition::IncorrectEncoding);
                self.count_auth_failure()
            }
            _ => Err(Error::protocol(
                StreamCondition::NotAuthorized,
                "an element other than a SASL response during authentication",
            )),
        }
    }

    fn on_sasl_step(
        &mut self,
        session: Box<ServerSession>,
        step: Result<ServerStep, xmpp_sasl::Error>,
    ) -> Result<(), Error> {
        match step {
            Ok(ServerStep::Challenge(data)) => {
                self.wire
                    .send_element(&Sasl::Challenge(Some(data)).to_element());
                self.phase = Phase::Sasl {
                    session,
                    credentials: false,
                };
                Ok(())
            }
            Ok(ServerStep::NeedCredentials(request)) => {
                self.phase = Phase::Sasl {
                    session,
                    credentials: true,
                };
                self.events
                    .push_back(ServerEvent::CredentialsRequest(request));
                Ok(())
            }
            Ok(ServerStep::Success(success)) => {
                let mechanism = session.mechanism();
                let account = success
                    .authcid
                    .as_deref()
                    .and_then(|u| BareJid::new(&alloc::format!("{u}@{}", self.domain)).ok());
                // Proxy authorization is not offered: an authzid must name
                // the account itself (RFC 6120 §6.3.8).
                let authzid_ok = match (&success.authzid, &account) {
                    (None, _) => true,
                    (Some(z), Some(a)) => BareJid::new(z).is_ok_and(|z| z == *a),
                    _ => false,
                };
                let Some(account) = account.filter(|_| authzid_ok) else {
                    self.send_sasl_failure(if authzid_ok {
                        SaslCondition::NotAuthorized
                    } else {
                        SaslCondition::InvalidAuthzid
                    });
                    return self.count_auth_failure();
                };
                self.wire
                    .send_element(&Sasl::Success(success.additional_data).to_element());
                self.account = Some(account.clone());
                self.events.push_back(ServerEvent::Authenticated {
                    jid: account,
                    mechanism,
                });
                // RFC 6120 §6.4.6: the client restarts the stream.
                self.wire.restart();
                self.header_sent = false;
                self.phase = Phase::AwaitHeader;
                Ok(())
            }
            Err(e) => {
                self.send_sasl_failure(sasl_condition(e.condition()));
                self.count_auth_failure()
            }
        }
    }

    fn send_sasl_failure(&mut self, condition: SaslCondition) {
        let failure = Sasl::Failure {
            condition,
            text: None,
        };
        self.wire.send_element(&failure.to_element());
        self.phase = Phase::Negotiating;
    }

    fn count_auth_failure(&mut self) -> Result<(), Error> {
        self.auth_failures = self.auth_failures.saturating_add(1);
        self.phase = Phase::Negotiating;
        if self.auth_failures >= self.config.max_auth_attempts {
            // RFC 6120 §6.4.5.
            return Err(Error::protocol(
                StreamCondition::PolicyViolation,
                "too many failed authentications",
            ));
        }
        Ok(())
    }

    /// Elements once bound: stanzas (typed, stamped) and XEP-0198 nonzas.
    fn on_traffic(&mut self, e: Element) -> Result<(), Error> {
        if e.ns() == xmpp_stanza::SM_NS {
            return match Sm::from_element(&e) {
                Ok(Some(sm)) => self.on_sm(sm),
                _ => Err(Error::protocol(
                    StreamCondition::InvalidXml,
                    "an unreadable stream management element",
                )),
            };
        }
        if e.ns() != CLIENT_NS || !matches!(e.name(), "message" | "presence" | "iq") {
            return Err(Error::protocol(
                StreamCondition::UnsupportedStanzaType,
                "a first-level element that is not a stanza",
            ));
        }
        if let Some(sm) = &mut self.sm {
            sm.received();
        }
        match Stanza::from_element(e) {
            Ok(stanza) => self.on_stanza(stanza),
            Err(invalid) => {
                // Per-stanza error isolation: answer it, keep the stream.
                if let Some(mut reply) = invalid.error_reply() {
                    let _ = reply.remove_attr_ns("to", "");
                    if reply.attr("from").is_some_and(|f| Jid::new(f).is_err()) {
                        let _ = reply.remove_attr_ns("from", "");
                    }
                    self.wire.send_element(&reply);
                }
                Ok(())
            }
        }
    }

    fn on_stanza(&mut self, mut stanza: Stanza) -> Result<(), Error> {
        let Some(jid) = &self.jid else {
            return Ok(());
        };
        let from: Jid = match &stanza {
            Stanza::Presence(p) if p.type_.is_subscription() => jid.as_jid().to_bare().into(),
            _ => jid.clone().into(),
        };
        match &mut stanza {
            Stanza::Message(m) => m.header.from = Some(from),
            Stanza::Presence(p) => p.header.from = Some(from),
            Stanza::Iq(i) => i.header.from = Some(from),
        }
        if let Stanza::Iq(iq) = &stanza {
            if self.ping_id.as_deref() == Some(iq.id()) && !iq.type_.is_request() {
                self.ping_id = None;
                return Ok(());
            }
            // RFC 3921 §3: an old client's session request is a no-op now.
            let to_server = iq
                .header
                .to
                .as_ref()
                .is_none_or(|t| t.as_str() == self.domain);
            if iq.type_ == IqType::Set
                && to_server
                && iq.payload().is_some_and(|p| p.is("session", SESSION_NS))
            {
                if let Some(result) = iq.make_result(None) {
                    let mut result = result;
                    result.header.to = None;
                    return self.send_counted(Stanza::Iq(result));
                }
            }
        }
        self.events.push_back(ServerEvent::Stanza(stanza));
        Ok(())
    }

    fn on_sm(&mut self, sm: Sm) -> Result<(), Error> {
        match sm {
            Sm::Enable { resume, max } => {
                if !self.config.sm.enabled || self.sm.is_some() {
                    let failed = Sm::Failed {
                        h: None,
                        condition: Some(DefinedCondition::UnexpectedRequest),
                    };
                    self.wire.send_element(&failed.to_element());
                    return Ok(());
                }
                let mut state = SmState::new();
                let resume = resume && self.config.sm.resume;
                if resume {
                    state.id = Some(self.rng.token(18));
                    let ours = self.config.sm.max_resumption;
                    state.max = match (max, ours) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => b.or(a),
                    };
                }
                let enabled = Sm::Enabled {
                    id: state.id.clone(),
                    location: None,
                    max: state.max,
                    resume,
                };
                self.wire.send_element(&enabled.to_element());
                let id = state.id.clone();
                self.sm = Some(state);
                self.events.push_back(ServerEvent::SmEnabled { id });
                Ok(())
            }
            Sm::Request => {
                if let Some(sm) = &self.sm {
                    let ack = Sm::Ack { h: sm.inbound };
                    self.wire.send_element(&ack.to_element());
                }
                Ok(())
            }
            Sm::Ack { h } => {
                let Some(sm) = &mut self.sm else {
                    return Ok(());
                };
                let acked = sm.ack(h).map_err(|_| handled_count_too_high())?;
                if !acked.is_empty() {
                    self.events.push_back(ServerEvent::Acked(acked));
                }
                Ok(())
            }
            Sm::Resume { .. } => {
                let failed = Sm::Failed {
                    h: None,
                    condition: Some(DefinedCondition::UnexpectedRequest),
                };
                self.wire.send_element(&failed.to_element());
                Ok(())
            }
            _ => Err(Error::protocol(
                StreamCondition::UnsupportedStanzaType,
                "a stream management element only a server sends",
            )),
        }
    }

    fn send_counted(&mut self, stanza: Stanza) -> Result<(), Error> {
        if let Some(sm) = &self.sm {
            if sm.queue.len() >= self.config.sm.max_unacked {
                return Err(Error::QueueFull);
            }
        }
        self.wire.send_stanza(&stanza);
        if let Some(sm) = &mut self.sm {
            if sm.sent(stanza, self.clock.now, &self.config.sm) {
                self.request_ack();
            }
        }
        Ok(())
    }

    fn probe(&mut self) {
        if !matches!(self.phase, Phase::Ready) {
            self.clock.no_probe();
            return;
        }
        if self.sm.is_some() {
            self.request_ack();
        } else if let Some(jid) = self.jid.clone() {
            self.next_id = self.next_id.wrapping_add(1);
            let id = alloc::format!("ping{}", self.next_id);
            let mut iq =
                Iq::get(StanzaNs::Client, id.clone(), Ping.to_element()).with_to(jid.into());
            if let Ok(domain) = Jid::new(&self.domain) {
                iq = iq.with_from(domain);
            }
            self.ping_id = Some(id);
            self.wire.send_stanza(&Stanza::Iq(iq));
        }
        self.clock.probed();
    }
}

/// The `<failure/>` condition for a SASL error (RFC 6120 §6.5).
fn sasl_condition(c: xmpp_sasl::Condition) -> SaslCondition {
    SaslCondition::from_name(c.as_str())
}

/// A plausible BCP 47 tag to echo in `xml:lang` (letters, digits and
/// hyphens, at most 35 characters).
fn is_language_tag(s: &str) -> bool {
    !s.is_empty() && s.len() <= 35 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}
