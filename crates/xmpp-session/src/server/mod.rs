//! The server machine: RFC 6120 stream negotiation from the receiving
//! side. It offers what each phase allows, asks the application for every
//! decision (credentials, the resource to bind, a resumption) as an event
//! answered by a command, stamps and types every stanza the client sends,
//! and runs XEP-0198 for its side.

mod negotiate;
mod sasl;
mod traffic;

use sasl::Pending2;

use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;

use xmpp_jid::{BareJid, FullJid, Jid, ResourcePart};
use xmpp_sasl::{
    Credentials, CredentialsRequest, FastSlot, Mechanism, Nonce, ServerSession, ServerStep,
    SsdpForm,
};
use xmpp_stanza::{
    Bind, CLIENT_NS, DefinedCondition, Element, FastUse, Iq, IqType, Payload, Ping, SESSION_NS,
    STREAM_NS, Sasl, SaslCondition, Sm, Stanza, StanzaError, StanzaNs, StartTls, StreamCondition,
    StreamFeatures, UserAgent,
};
use xmpp_stream::{OpenHeader, StreamHeader};

use crate::client::SASL_CB_NS;
use crate::config::{ServerConfig, TlsMode, TlsPolicy, Transport};
use crate::error::Error;
use crate::rng::{Drbg, Seed};
use crate::routed::RoutedStanza;
use crate::sm::{ResumptionState, SmState};
use crate::time::Instant;
use crate::tls::TlsInfo;
use crate::wire::{Clock, Due, Incoming, Wire, earliest, version_major};

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
    CredentialsRequest {
        /// The mechanism, the prepared username and authzid.
        request: CredentialsRequest,
        /// With a FAST token (XEP-0484 §3.4): the client's `count` and
        /// whether it asks to invalidate the token, as the client claims
        /// them (nothing is verified yet). Answer with
        /// [`Credentials::FastToken`]: the token issued for this mechanism,
        /// `processed` the highest count recorded for it (so a replay
        /// fails), and its expiry with the current wall-clock time (so an
        /// expired token fails). Change nothing here: the count to record
        /// and the invalidation come with [`Self::TokenUsed`], once the
        /// token is proven.
        fast: Option<FastUse>,
        /// SASL2's `<user-agent/>` (XEP-0388 §2.1), when the client sent
        /// one: its `id` names the client installation, which XEP-0484
        /// issues tokens to (each client has its own token slots).
        user_agent: Option<UserAgent>,
    },
    /// A FAST token is proven (XEP-0484 §3.4): record its use, then answer
    /// [`Server::accept_token_use`], or [`Server::refuse_token_use`]. The
    /// client gets nothing before the answer, so a replay cannot slip in
    /// between the proof and the record.
    ///
    /// Record and check in one step (under one lock, or one database
    /// transaction): if `count` is no longer above the highest count
    /// recorded for the token (another connection used it meanwhile, or
    /// the token was dropped), refuse; otherwise record `count` as the
    /// highest processed and, when `invalidate` is set, drop the token so
    /// that it never authenticates again (XEP-0484 §3.6; the machine
    /// issues no new token then unless the client asked for one), and
    /// accept. A failed exchange never gets here, whatever count it
    /// carried.
    TokenUsed {
        /// The account the token was issued to.
        jid: BareJid,
        /// The FAST mechanism used.
        mechanism: Mechanism,
        /// The count and invalidation the client sent, now proven.
        fast: FastUse,
        /// Which of the client's token slots held the token (XEP-0484 §5.1):
        /// a used `new` token becomes the `current` one, and the one it
        /// replaces is invalid from now on (§3.4).
        slot: FastSlot,
    },
    /// SASL succeeded (after [`Self::TokenUsed`] was accepted, for a
    /// token).
    Authenticated {
        /// The account.
        jid: BareJid,
        /// The mechanism used.
        mechanism: Mechanism,
    },
    /// An authentication attempt failed: `condition` was sent to the
    /// client (RFC 6120 §6.5, XEP-0388 §2.6). A server counting failed
    /// logins per account or address (beyond the machine's own
    /// [`ServerConfig::max_auth_attempts`] per stream, RFC 6120 §6.4.5)
    /// settles the attempt here. An `<abort/>` before any exchange is not
    /// an attempt.
    AuthFailed {
        /// The condition sent.
        condition: SaslCondition,
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
    /// The client asks for a FAST token for `mechanism` (XEP-0484 §3.2)
    /// in its SASL2 request: answer [`Server::issue_token`] with a fresh
    /// random token and its expiry (stored by the application, which
    /// answers later `CredentialsRequest`s with it), or
    /// [`Server::decline_token`].
    TokenRequest {
        /// The HT mechanism the token is for.
        mechanism: Mechanism,
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
    /// A resource is bound and the client can take stanzas: after the
    /// bind result (RFC 6120 §7), or with SASL2 and Bind2 when the
    /// `<success/>` carrying it is sent (XEP-0386 §5).
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
    /// JID for subscription presence), RFC 6120 §8.1.2.1. It dereferences
    /// to the typed [`Stanza`]; handed to another session's
    /// [`Server::send`] as it is, that session writes the bytes it came
    /// in rather than serializing it again.
    Stanza(RoutedStanza),
    /// The client acknowledged these stanzas, oldest first.
    Acked(Vec<Stanza>),
    /// The client sent a stream error.
    StreamError(xmpp_stanza::StreamError),
    /// The session ended without resumption: these stanzas sent to the
    /// client were never acknowledged (XEP-0198 §5). Bounce, store or
    /// redeliver them. (Drivers report the stanzas the machine refused
    /// the same way.)
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
    /// A SASL exchange; `credentials` while the application looks them up;
    /// `v2` for SASL2, with its inline requests.
    Sasl {
        session: Box<ServerSession>,
        credentials: bool,
        v2: Option<Box<Pending2>>,
    },
    /// A bind request waits for the application.
    AwaitBind {
        request: Box<Iq>,
    },
    /// A resumption waits for the application (inside SASL2 with `v2`).
    AwaitResume {
        previd: String,
        h: u32,
        v2: Option<Box<Pending2>>,
    },
    /// A Bind2 request inside SASL2 waits for the application.
    AwaitBind2(Box<Pending2>),
    /// A FAST token request inside SASL2 waits for the application.
    AwaitToken(Box<Pending2>),
    /// A proven FAST token's use waits for the application to record it.
    AwaitTokenUse {
        account: BareJid,
        mechanism: Mechanism,
        pending: Box<Pending2>,
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
    /// Shared by every connection of a listener.
    config: Arc<ServerConfig>,
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
    sm: Option<SmState<RoutedStanza>>,
    events: VecDeque<ServerEvent>,
    failed: Option<Error>,
    next_id: u32,
    ping_id: Option<String>,
    /// The stream header was sent (a stream error needs one first).
    header_sent: bool,
    /// The `xml:lang` of the client's stream header, which its stanzas
    /// without one get on their way (RFC 6120 §4.7.4).
    client_lang: Option<Box<str>>,
}

impl Server {
    /// A server side of a new connection at `now`.
    /// `config` may be shared (`Arc<ServerConfig>`) by every connection of
    /// a listener, so a session does not hold a copy of it.
    pub fn new(config: impl Into<Arc<ServerConfig>>, seed: Seed, now: Instant) -> Self {
        let config = config.into();
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
            client_lang: None,
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
            .and_then(|sm| sm.next_deadline(&self.config.sm, self.clock.now));
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
            mut session, v2, ..
        } = core::mem::replace(&mut self.phase, Phase::Negotiating)
        else {
            return Err(Error::WrongPhase("no credentials were asked for"));
        };
        let step = session.credentials(credentials);
        if let Err(e) = self.on_sasl_step(session, v2, step) {
            return self.fail(e);
        }
        self.process()
    }

    /// Answers a [`ServerEvent::BindRequest`]: binds `resource`.
    pub fn accept_bind(&mut self, resource: &str) -> Result<FullJid, Error> {
        self.check()?;
        if !matches!(self.phase, Phase::AwaitBind { .. } | Phase::AwaitBind2(_)) {
            return Err(Error::WrongPhase("no bind request is waiting"));
        }
        let (Some(account), Ok(part)) = (&self.account, ResourcePart::new(resource)) else {
            return Err(Error::WrongPhase(
                "accept_bind with an invalid resourcepart",
            ));
        };
        let jid = account.with_resource(&part);
        self.jid = Some(jid.clone());
        match core::mem::replace(&mut self.phase, Phase::Ready) {
            Phase::AwaitBind { request } => {
                self.clock.negotiated();
                self.events
                    .push_back(ServerEvent::Bound { jid: jid.clone() });
                let result = request.make_result(Some(Bind::Result(jid.clone()).to_element()));
                if let Some(result) = result {
                    self.wire.send_stanza(&Stanza::Iq(result));
                }
            }
            Phase::AwaitBind2(mut pending) => {
                // XEP-0386 §5: <bound/>, with XEP-0198's answer inside;
                // `Bound` is reported with the <success/> that carries it,
                // once any token request is settled, so that nothing is
                // sent to the resource before the client can take it.
                let mut bound = xmpp_stanza::Bound::default();
                if let Some((resume, max)) = pending.enable_sm.take() {
                    if self.config.sm.enabled && self.sm.is_none() {
                        bound.results.push(self.enable_sm(resume, max));
                    }
                }
                pending.extensions.push(bound.to_element());
                if let Err(e) = self.advance(pending) {
                    self.fail(e)?;
                }
            }
            _ => {}
        }
        self.process()?;
        Ok(jid)
    }

    /// Answers a [`ServerEvent::BindRequest`] with a stanza error (RFC 6120
    /// §7.6.2, §7.7.2): `conflict`, `not-allowed`, `resource-constraint`…
    pub fn reject_bind(&mut self, condition: DefinedCondition) -> Result<(), Error> {
        self.check()?;
        match core::mem::replace(&mut self.phase, Phase::Negotiating) {
            Phase::AwaitBind { request } => {
                if let Err(e) = self.bind_error(&request, condition) {
                    return self.fail(e);
                }
            }
            // Inside SASL2, success goes out without <bound/>: the client
            // binds afterwards (RFC 6120 §7).
            Phase::AwaitBind2(pending) => {
                if let Err(e) = self.advance(pending) {
                    return self.fail(e);
                }
            }
            other => {
                self.phase = other;
                return Err(Error::WrongPhase("no bind request is waiting"));
            }
        }
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
        let Phase::AwaitResume { previd, h, v2 } =
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
            return self.resume_refused(v2, None);
        };
        let mut sm = state.to_sm();
        let acked = match sm.ack(h) {
            Ok(acked) => acked,
            Err(e) => return self.fail(e.into()),
        };
        let resumed = Sm::Resumed {
            h: sm.inbound,
            previd,
        };
        let resent = sm.queue.len();
        if !acked.is_empty() {
            self.events.push_back(ServerEvent::Acked(acked));
        }
        self.clock.negotiated();
        self.events.push_back(ServerEvent::Resumed {
            jid: jid.clone(),
            resent,
        });
        self.jid = Some(jid);
        match v2 {
            // XEP-0198 §5 inside SASL2: <resumed/> rides on <success/>,
            // and the queue goes out after it.
            Some(mut pending) => {
                pending.extensions.push(resumed.to_element());
                pending.resumed = true;
                self.sm = Some(sm);
                if let Err(e) = self.advance(pending) {
                    return self.fail(e);
                }
            }
            None => {
                self.wire.send_element(&resumed.to_element());
                for s in &sm.queue {
                    self.wire.send_routed(s);
                }
                self.sm = Some(sm);
                self.phase = Phase::Ready;
            }
        }
        self.process()
    }

    /// Answers a [`ServerEvent::ResumeRequest`]: no such session
    /// (`<failed/>` with `item-not-found`); the client binds anew.
    pub fn reject_resume(&mut self) -> Result<(), Error> {
        self.refuse_resume(None)
    }

    /// Answers a [`ServerEvent::ResumeRequest`] for a session the
    /// application knew but whose resumption window closed: `<failed/>`
    /// with `item-not-found` and `h`, the count of the client's stanzas
    /// that session handled (XEP-0198 §5: the server "MAY also include a
    /// 'h' attribute"), so that the client hands back only the stanzas
    /// that never arrived. Give it only to the account that owned the
    /// session.
    pub fn reject_resume_timed_out(&mut self, handled: u32) -> Result<(), Error> {
        self.refuse_resume(Some(handled))
    }

    fn refuse_resume(&mut self, h: Option<u32>) -> Result<(), Error> {
        self.check()?;
        if !matches!(self.phase, Phase::AwaitResume { .. }) {
            return Err(Error::WrongPhase("no resumption is waiting"));
        }
        let Phase::AwaitResume { v2, .. } = core::mem::replace(&mut self.phase, Phase::Negotiating)
        else {
            return Err(Error::WrongPhase("no resumption is waiting"));
        };
        self.resume_refused(v2, h)
    }

    /// `<failed/>` with `item-not-found` (and `h` when given): alone, or
    /// inside SASL2 success before the bind goes on (XEP-0198 §5).
    fn resume_refused(&mut self, v2: Option<Box<Pending2>>, h: Option<u32>) -> Result<(), Error> {
        match v2 {
            Some(mut pending) => {
                let failed = Sm::Failed {
                    h,
                    condition: Some(DefinedCondition::ItemNotFound),
                };
                pending.extensions.push(failed.to_element());
                if let Err(e) = self.advance(pending) {
                    return self.fail(e);
                }
            }
            None => self.resume_failed(h),
        }
        self.process()
    }

    /// Answers a [`ServerEvent::TokenUsed`] the application recorded: the
    /// exchange succeeds ([`ServerEvent::Authenticated`] follows). With
    /// `rotate` (the token is due for rotation, near its expiry say) the
    /// client gets a new token in `<success/>` though it asked for none
    /// (XEP-0484 §3.5): a [`ServerEvent::TokenRequest`] for the mechanism
    /// used follows, answered as any other. Not when the client asked to
    /// invalidate its token and requested none (§3.6).
    pub fn accept_token_use(&mut self, rotate: bool) -> Result<(), Error> {
        self.check()?;
        let Phase::AwaitTokenUse { .. } = self.phase else {
            return Err(Error::WrongPhase("no token use waits"));
        };
        let Phase::AwaitTokenUse {
            account,
            mechanism,
            mut pending,
        } = core::mem::replace(&mut self.phase, Phase::Negotiating)
        else {
            return Err(Error::WrongPhase("no token use waits"));
        };
        let data = pending.additional_data.take();
        let invalidated = pending.fast.is_some_and(|f| f.invalidate);
        if rotate && !invalidated && pending.request_token.is_none() {
            pending.request_token = Some(mechanism);
        }
        if let Err(e) = self.authenticated(account, mechanism, data, Some(pending)) {
            return self.fail(e);
        }
        self.process()
    }

    /// Answers a [`ServerEvent::TokenUsed`] that could not be recorded (its
    /// count was used meanwhile, or the token is gone): the exchange fails
    /// with `not-authorized`, as a wrong token does (RFC 6120 §6.5.10),
    /// and counts as a failed attempt.
    pub fn refuse_token_use(&mut self) -> Result<(), Error> {
        self.check()?;
        let Phase::AwaitTokenUse { .. } = self.phase else {
            return Err(Error::WrongPhase("no token use waits"));
        };
        self.phase = Phase::Negotiating;
        if let Err(e) = self.auth_failed(true, SaslCondition::NotAuthorized) {
            return self.fail(e);
        }
        self.process()
    }

    /// Answers a [`ServerEvent::TokenRequest`]: `token` (fresh, random,
    /// kept by the application) goes to the client with `expiry` (XEP-0082
    /// DateTime) in SASL2 `<success/>` (XEP-0484 §3.3).
    pub fn issue_token(&mut self, token: &str, expiry: &str) -> Result<(), Error> {
        self.check()?;
        if !matches!(self.phase, Phase::AwaitToken(_)) {
            return Err(Error::WrongPhase("no token was asked for"));
        }
        let Phase::AwaitToken(mut pending) =
            core::mem::replace(&mut self.phase, Phase::Negotiating)
        else {
            return Err(Error::WrongPhase("no token was asked for"));
        };
        pending.extensions.push(Self::token_element(token, expiry));
        if let Err(e) = self.advance(pending) {
            return self.fail(e);
        }
        self.process()
    }

    /// Answers a [`ServerEvent::TokenRequest`] with no token.
    pub fn decline_token(&mut self) -> Result<(), Error> {
        self.check()?;
        if !matches!(self.phase, Phase::AwaitToken(_)) {
            return Err(Error::WrongPhase("no token was asked for"));
        }
        let Phase::AwaitToken(pending) = core::mem::replace(&mut self.phase, Phase::Negotiating)
        else {
            return Err(Error::WrongPhase("no token was asked for"));
        };
        if let Err(e) = self.advance(pending) {
            return self.fail(e);
        }
        self.process()
    }

    /// Sends a stanza to the client (once bound). With stream management it
    /// is kept until acknowledged.
    ///
    /// A [`RoutedStanza`] from another session's [`ServerEvent::Stanza`]
    /// is written from the bytes it came in, `from` stamped (RFC 6120
    /// §8.1.2.1); a [`Stanza`] is serialized.
    pub fn send(&mut self, stanza: impl Into<RoutedStanza>) -> Result<(), Error> {
        self.can_send()?;
        self.send_counted(stanza.into())
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
        if self.queue_full() {
            return Err(Error::QueueFull);
        }
        Ok(())
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
                self.clock.closing();
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

    /// The TLS channel, once established. Its channel-binding data is
    /// gone once the client is authenticated and
    /// [`shrink_idle`](Self::shrink_idle) ran.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// Whether the stream is over.
    pub fn is_closed(&self) -> bool {
        matches!(self.phase, Phase::Closed)
    }

    /// Gives back the heap that only speeds up work in progress: the
    /// tree builder's and the writer's scratch, and the event queue and
    /// output buffers when empty. For a driver to call when negotiation is
    /// over (its buffers were sized by the features and the SASL
    /// exchange) and when the connection has been quiet a while: an idle
    /// session then holds little beyond its state. Nothing observable
    /// changes; the buffers grow again with the next element.
    pub fn shrink_idle(&mut self) {
        self.wire.shrink_idle();
        if self.events.is_empty() {
            self.events = VecDeque::new();
        }
        // The offer and the channel-binding data matter only until the
        // client is authenticated (binding data is wiped as it goes).
        if self.account.is_some() {
            self.offered = Vec::new();
            if let Some(tls) = &mut self.tls {
                tls.channel_bindings = Vec::new();
            }
        }
    }

    /// Heap held by the machine (framer, buffers, queues).
    pub fn heap_size(&mut self) -> usize {
        self.wire.trim();
        self.wire.heap_size()
            + self
                .sm
                .as_ref()
                .map_or(0, |s| s.queue.capacity() * size_of::<RoutedStanza>())
            + self.offered.capacity() * size_of::<Mechanism>()
            + self.tls.as_ref().map_or(0, |t| {
                t.channel_bindings.capacity() * size_of::<xmpp_sasl::ChannelBinding>()
                    + t.channel_bindings
                        .iter()
                        .map(|cb| cb.data().len())
                        .sum::<usize>()
            })
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
                | Phase::AwaitBind2(_)
                | Phase::AwaitToken(_)
                | Phase::AwaitTokenUse { .. }
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
            if let Some(error) = e.to_stream_error() {
                // RFC 6120 §4.9.1.2: a stream error needs our header first.
                self.ensure_header();
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
                    let undelivered: Vec<Stanza> = sm
                        .take_queue()
                        .into_iter()
                        .map(RoutedStanza::into_stanza)
                        .collect();
                    self.events.push_back(ServerEvent::Undelivered(undelivered));
                }
            }
        }
        self.events.push_back(ServerEvent::Closed { resumable });
    }

    fn send_header(&mut self, to: Option<&str>, lang: Option<&str>) {
        let id = self.rng.token(12);
        let domain = self.domain.clone();
        let mut header = OpenHeader::new(CLIENT_NS).from(&domain).id(&id);
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
            Incoming::Element(e, frame) => self.on_element(e, frame),
        }
    }

    fn on_element(&mut self, e: Element, frame: Box<xmpp_stream::Frame>) -> Result<(), Error> {
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
                v2,
            } => self.on_sasl(&e, session, v2),
            phase @ (Phase::Ready | Phase::Closing) => {
                self.phase = phase;
                self.on_traffic(e, frame)
            }
            _ => Err(Error::protocol(
                StreamCondition::UnsupportedStanzaType,
                "an element this phase does not allow",
            )),
        }
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
