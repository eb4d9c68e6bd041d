//! Policy: what each machine offers, requires and accepts. Everything a
//! deployment decides is here; the machines decide nothing else.

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use xmpp_jid::BareJid;
use xmpp_sasl::{Hash, HtBinding, Mechanism, ServerSecret};
use xmpp_stanza::UserAgent;
use xmpp_stream::Limits;
use zeroize::Zeroizing;

use crate::sm::ResumptionState;

/// How the stream is carried.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// One XML document over a TCP connection (RFC 6120 §4), with STARTTLS
    /// or direct TLS ([`TlsMode`]).
    #[default]
    Tcp,
    /// RFC 7395: each WebSocket message is one element; the stream is
    /// opened with `<open/>` and closed with `<close/>`. TLS is the
    /// WebSocket's (`wss://`): the machine asks for none and the driver
    /// reports it with `tls_established` before the first byte if it has
    /// it. Pass each received message whole to `handle_input`, and send
    /// each transmit as one message.
    WebSocket,
}

impl Transport {
    pub(crate) fn framing(self) -> xmpp_stream::Transport {
        match self {
            Self::Tcp => xmpp_stream::Transport::Tcp,
            Self::WebSocket => xmpp_stream::Transport::WebSocket,
        }
    }
}

/// Whether TLS must protect the stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsPolicy {
    /// TLS before authentication, or nothing (the default). A server offers
    /// only STARTTLS (with `<required/>`) before TLS (RFC 6120 §5.3.1); a
    /// client refuses to go on without it.
    #[default]
    Required,
    /// TLS when the peer offers it; a plain stream otherwise.
    Optional,
    /// Never TLS: loopback tests and WebSocket behind a TLS-terminating
    /// proxy.
    Off,
}

/// How TLS starts on a TCP stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsMode {
    /// RFC 6120 §5: a plain stream upgraded by `<starttls/>`.
    #[default]
    StartTls,
    /// XEP-0368: TLS from the first byte. The machine's first event asks
    /// the driver to start TLS; no XML is sent before `tls_established`.
    Direct,
}

/// Keepalives and the silence after which a peer is given up (RFC 6120
/// §4.6.1 white space keepalives; XEP-0198 `<r/>` or XEP-0199 pings as
/// probes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Keepalive {
    /// Send a single space after this long without sending anything (TCP
    /// only: RFC 7395 has no white space between messages). `None`: never.
    pub whitespace: Option<Duration>,
    /// After this long without receiving anything, probe the peer (an
    /// XEP-0198 `<r/>` when stream management is on, otherwise an XEP-0199
    /// ping once bound, otherwise nothing). `None`: never.
    pub idle: Option<Duration>,
    /// How long a probed peer has to answer with anything before the
    /// stream is closed with `connection-timeout` (RFC 6120 §4.9.3.4).
    pub probe_timeout: Duration,
    /// The most time from the machine's start to the end of negotiation
    /// (bound or resumed), after which the stream is closed with
    /// `connection-timeout`. Traffic does not extend it, so a peer that
    /// trickles a byte now and then cannot hold an unauthenticated stream
    /// (and the buffers it grew) open for ever; ejabberd's
    /// `negotiation_timeout` and Prosody's `c2s_timeout` do the same.
    /// `None`: no bound.
    pub negotiation: Option<Duration>,
    /// How long, once this side closed the stream, the peer has to close
    /// its own (RFC 6120 §4.4: then the transport may be ended). Traffic
    /// does not extend it, so a peer that keeps sending and never closes
    /// cannot hold the stream open. `None`: wait for ever.
    pub close: Option<Duration>,
}

impl Default for Keepalive {
    fn default() -> Self {
        Self {
            whitespace: Some(Duration::from_secs(60)),
            idle: Some(Duration::from_secs(120)),
            probe_timeout: Duration::from_secs(30),
            negotiation: Some(Duration::from_secs(60)),
            close: Some(Duration::from_secs(10)),
        }
    }
}

impl Keepalive {
    /// No keepalives and no timeouts.
    pub const fn off() -> Self {
        Self {
            whitespace: None,
            idle: None,
            probe_timeout: Duration::from_secs(30),
            negotiation: None,
            close: None,
        }
    }
}

/// XEP-0198 stream management.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct SmConfig {
    /// Enable stream management when the peer offers it (client) or offer
    /// it (server). Default on.
    pub enabled: bool,
    /// Ask for (client) or allow (server) resumption (XEP-0198 §5).
    pub resume: bool,
    /// The preferred maximum resumption time, seconds (`max`).
    pub max_resumption: Option<u32>,
    /// Request an acknowledgement after this many unacknowledged stanzas.
    pub ack_every: u32,
    /// Request an acknowledgement when stanzas have waited this long.
    pub ack_after: Option<Duration>,
    /// The most stanzas kept unacknowledged; past it `send` refuses
    /// (memory stays bounded when a peer never acknowledges).
    pub max_unacked: usize,
    /// The most bytes kept unacknowledged, counted as the stanzas came in
    /// from their senders ([`RoutedStanza`](crate::RoutedStanza)s a server
    /// routes; a stanza built by the application itself counts nothing):
    /// past it `send` refuses, so that one session holds a few megabytes
    /// at most however large the stanzas routed to it, where
    /// `max_unacked` stanzas of the largest size would be gigabytes.
    pub max_unacked_bytes: usize,
    /// How long an `<r/>` may go unanswered (no `<a/>` at all) before the
    /// stream is closed with `connection-timeout`, as ejabberd's
    /// `ack_timeout` does: a peer that reads but never acknowledges is
    /// broken, and what it holds is resumable. `None`: no bound.
    pub ack_timeout: Option<Duration>,
}

impl Default for SmConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            resume: true,
            max_resumption: Some(300),
            ack_every: 5,
            ack_after: Some(Duration::from_secs(5)),
            max_unacked: 10_000,
            max_unacked_bytes: 4 << 20,
            ack_timeout: Some(Duration::from_secs(60)),
        }
    }
}

impl SmConfig {
    /// Stream management off.
    pub fn off() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }
}

/// What a [`Client`](crate::Client) is and wants.
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The account: `localpart@domainpart` (the domainpart goes in the
    /// stream header's `to`).
    pub jid: BareJid,
    /// The password (zeroized on drop, never printed).
    pub password: Zeroizing<String>,
    /// The resourcepart to ask for; `None` lets the server pick (RFC 6120
    /// §7.6).
    pub resource: Option<String>,
    /// The transport.
    pub transport: Transport,
    /// STARTTLS or direct TLS.
    pub tls_mode: TlsMode,
    /// Whether TLS is required.
    pub tls: TlsPolicy,
    /// Allow PLAIN on a stream without TLS (tests, loopback). PLAIN under
    /// TLS is allowed unless [`Self::mechanisms`] leaves it out or
    /// [`Self::refuse_plain`] is set.
    pub allow_plain_unencrypted: bool,
    /// Never send the password in PLAIN, even under TLS and even when
    /// [`Self::mechanisms`] names it. PLAIN shows the password to whoever
    /// ends the TLS: where the certificate is not checked, anyone on the
    /// path can offer only PLAIN and read it, while SCRAM gives such a
    /// party no password and, with channel binding, no session either
    /// (RFC 5802 §6, RFC 9266). Default off; set it wherever the server's
    /// certificate is not verified. Either way, the retry after a refused
    /// binding guess ([`Self::fallback_unbound`]) never falls to PLAIN.
    pub refuse_plain: bool,
    /// The mechanisms the client may use; empty means every one this crate
    /// has that a password can complete.
    pub mechanisms: Vec<Mechanism>,
    /// The `xml:lang` of the stream header (RFC 6120 §4.7.4).
    pub lang: Option<String>,
    /// Stream management.
    pub sm: SmConfig,
    /// Keepalives and timeouts.
    pub keepalive: Keepalive,
    /// A session to resume (XEP-0198 §5), from an earlier client's
    /// [`take_resumption_state`](crate::Client::take_resumption_state).
    pub resume: Option<ResumptionState>,
    /// Framing limits for what the server sends.
    pub limits: Limits,
    /// Use XEP-0388 SASL2 (with XEP-0386 Bind2 and inline XEP-0198) when
    /// the server offers it. Default on.
    pub sasl2: bool,
    /// The SASL2 `<user-agent/>` (XEP-0388 §2.1; its `id` a UUID v4 stable
    /// for the installation). FAST needs one with an `id` (XEP-0484 §4.1:
    /// the server keeps tokens per client installation): without it, no
    /// token is asked for or used.
    pub user_agent: Option<UserAgent>,
    /// A XEP-0484 FAST token to authenticate with instead of the password
    /// (with [`Self::user_agent`]'s `id`, the one it was issued to).
    pub fast_token: Option<FastToken>,
    /// Ask for a FAST token when the server offers FAST and none is used,
    /// if [`Self::user_agent`] has an `id`. Default on.
    pub request_fast_token: bool,
    /// When a `-PLUS` exchange fails whose binding type the client had to
    /// guess (the server listed none, XEP-0440, so the TLS version's
    /// default was used: RFC 9266 §3, RFC 5929 §3), try once more on the
    /// same stream without `-PLUS` and with gs2 flag `y` (RFC 5802 §6,
    /// RFC 6120 §6.4.5). A server that supports channel binding refuses
    /// `y`, so a man in the middle gains nothing; a server that advertises
    /// `-PLUS` but binds only another type (ejabberd 23.01: tls-unique,
    /// even on TLS 1.3) lets the client in. Default on. A refusal of a
    /// type the server listed is never retried.
    pub fallback_unbound: bool,
}

/// A XEP-0484 FAST token as the application stored it from
/// [`ClientEvent::TokenIssued`](crate::ClientEvent::TokenIssued). The
/// secret is zeroized on drop and never printed.
#[derive(Clone)]
#[non_exhaustive]
pub struct FastToken {
    /// The HT mechanism the token was issued for.
    pub mechanism: Mechanism,
    /// The secret.
    pub token: Zeroizing<String>,
    /// The attempt counter to send (XEP-0484 §3.4): store `count + 1`
    /// before each connection that uses the token, so that no value is
    /// sent twice; a new token starts at 0.
    pub count: u64,
}

impl FastToken {
    /// A token for `mechanism`.
    pub fn new(mechanism: Mechanism, token: impl Into<String>, count: u64) -> Self {
        Self {
            mechanism,
            token: Zeroizing::new(token.into()),
            count,
        }
    }
}

impl core::fmt::Debug for FastToken {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FastToken")
            .field("mechanism", &self.mechanism)
            .field("count", &self.count)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// A client for `jid` with `password` and default policy: TCP,
    /// STARTTLS required, stream management with resumption, keepalives.
    pub fn new(jid: BareJid, password: impl Into<String>) -> Self {
        Self {
            jid,
            password: Zeroizing::new(password.into()),
            resource: None,
            transport: Transport::Tcp,
            tls_mode: TlsMode::StartTls,
            tls: TlsPolicy::Required,
            allow_plain_unencrypted: false,
            refuse_plain: false,
            mechanisms: Vec::new(),
            lang: None,
            sm: SmConfig::default(),
            keepalive: Keepalive::default(),
            resume: None,
            limits: Limits::default(),
            sasl2: true,
            user_agent: None,
            fast_token: None,
            request_fast_token: true,
            fallback_unbound: true,
        }
    }

    /// Turns SASL2 on or off.
    #[must_use]
    pub fn sasl2(mut self, on: bool) -> Self {
        self.sasl2 = on;
        self
    }

    /// Sets the SASL2 user agent.
    #[must_use]
    pub fn user_agent(mut self, agent: UserAgent) -> Self {
        self.user_agent = Some(agent);
        self
    }

    /// Authenticates with a FAST token when the server offers its
    /// mechanism.
    #[must_use]
    pub fn fast_token(mut self, token: FastToken) -> Self {
        self.fast_token = Some(token);
        self
    }

    /// Asks for a FAST token, or not.
    #[must_use]
    pub fn request_fast_token(mut self, on: bool) -> Self {
        self.request_fast_token = on;
        self
    }

    /// Sets the resourcepart to request.
    #[must_use]
    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    /// Sets the transport.
    #[must_use]
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Sets the TLS policy.
    #[must_use]
    pub fn tls(mut self, tls: TlsPolicy) -> Self {
        self.tls = tls;
        self
    }

    /// Sets STARTTLS or direct TLS.
    #[must_use]
    pub fn tls_mode(mut self, mode: TlsMode) -> Self {
        self.tls_mode = mode;
        self
    }

    /// Allows PLAIN without TLS.
    #[must_use]
    pub fn allow_plain_unencrypted(mut self, allow: bool) -> Self {
        self.allow_plain_unencrypted = allow;
        self
    }

    /// Sets [`Self::refuse_plain`].
    #[must_use]
    pub fn refuse_plain(mut self, refuse: bool) -> Self {
        self.refuse_plain = refuse;
        self
    }

    /// Restricts the mechanisms to `mechanisms`.
    #[must_use]
    pub fn mechanisms(mut self, mechanisms: impl IntoIterator<Item = Mechanism>) -> Self {
        self.mechanisms = mechanisms.into_iter().collect();
        self
    }

    /// Sets stream management.
    #[must_use]
    pub fn sm(mut self, sm: SmConfig) -> Self {
        self.sm = sm;
        self
    }

    /// Sets keepalives and timeouts.
    #[must_use]
    pub fn keepalive(mut self, keepalive: Keepalive) -> Self {
        self.keepalive = keepalive;
        self
    }

    /// Resumes the session `state` describes instead of binding anew.
    #[must_use]
    pub fn resume(mut self, state: ResumptionState) -> Self {
        self.resume = Some(state);
        self
    }

    /// Sets the stream's language.
    #[must_use]
    pub fn lang(mut self, lang: impl Into<String>) -> Self {
        self.lang = Some(lang.into());
        self
    }
}

impl core::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("jid", &self.jid)
            .field("resource", &self.resource)
            .field("transport", &self.transport)
            .field("tls_mode", &self.tls_mode)
            .field("tls", &self.tls)
            .field("mechanisms", &self.mechanisms)
            .field("sm", &self.sm)
            .finish_non_exhaustive()
    }
}

/// What a [`Server`](crate::Server) offers and enforces.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The domain served: a stream header addressed elsewhere gets
    /// `host-unknown` (RFC 6120 §4.9.3.6).
    pub domain: String,
    /// The secret behind the fake exchange an unknown user gets
    /// ([`xmpp_sasl::Credentials::UnknownUser`]), with the salt length,
    /// hash and iteration count of real accounts.
    pub secret: ServerSecret,
    /// The transport.
    pub transport: Transport,
    /// STARTTLS or direct TLS.
    pub tls_mode: TlsMode,
    /// Whether TLS is required before authentication.
    pub tls: TlsPolicy,
    /// Offer PLAIN without TLS.
    pub allow_plain_unencrypted: bool,
    /// The mechanisms to offer, strongest first. `-PLUS` variants are
    /// offered only when the TLS layer gave binding data, PLAIN only under
    /// TLS unless [`Self::allow_plain_unencrypted`].
    pub mechanisms: Vec<Mechanism>,
    /// Stream management.
    pub sm: SmConfig,
    /// Keepalives and timeouts.
    pub keepalive: Keepalive,
    /// Framing limits for what clients send.
    pub limits: Limits,
    /// Failed authentications allowed before the stream is closed with
    /// `policy-violation` (RFC 6120 §6.4.5: at least 2, at most 5).
    pub max_auth_attempts: u8,
    /// Failed resource bindings allowed before the stream is closed with
    /// `policy-violation` (RFC 6120 §7.7.2.3: at least 5, at most 10).
    pub max_bind_attempts: u8,
    /// Advertise XEP-0474 downgrade protection in SCRAM challenges.
    pub downgrade_protection: bool,
    /// Offer XEP-0388 SASL2 beside RFC 6120 SASL. Default on.
    pub sasl2: bool,
    /// Offer XEP-0386 Bind2 inside SASL2. Default on.
    pub bind2: bool,
}

impl ServerConfig {
    /// A server for `domain` with default policy: TCP, STARTTLS required,
    /// SCRAM-SHA-512/-256/-1 with their `-PLUS` forms and PLAIN (under
    /// TLS), SASL2 with Bind2 and FAST (the four HT-SHA-256 mechanisms),
    /// stream management with resumption, keepalives. `secret` must
    /// describe real accounts (salt length, hash, iterations) so that an
    /// unknown user's fake exchange looks like theirs.
    pub fn new(domain: impl Into<String>, secret: ServerSecret) -> Self {
        let mut mechanisms = Vec::new();
        for plus in [true, false] {
            for hash in [Hash::Sha512, Hash::Sha256, Hash::Sha1] {
                mechanisms.push(Mechanism::Scram { hash, plus });
            }
        }
        mechanisms.push(Mechanism::Plain);
        // XEP-0484 FAST tokens, offered inside SASL2 only.
        for binding in [
            HtBinding::Exporter,
            HtBinding::EndPoint,
            HtBinding::Unique,
            HtBinding::None,
        ] {
            mechanisms.push(Mechanism::Ht { binding });
        }
        Self {
            domain: domain.into(),
            secret,
            transport: Transport::Tcp,
            tls_mode: TlsMode::StartTls,
            tls: TlsPolicy::Required,
            allow_plain_unencrypted: false,
            mechanisms,
            sm: SmConfig::default(),
            keepalive: Keepalive::default(),
            limits: Limits::default(),
            max_auth_attempts: 3,
            max_bind_attempts: 5,
            downgrade_protection: true,
            sasl2: true,
            bind2: true,
        }
    }

    /// Sets the transport.
    #[must_use]
    pub fn transport(mut self, transport: Transport) -> Self {
        self.transport = transport;
        self
    }

    /// Sets the TLS policy.
    #[must_use]
    pub fn tls(mut self, tls: TlsPolicy) -> Self {
        self.tls = tls;
        self
    }

    /// Sets STARTTLS or direct TLS.
    #[must_use]
    pub fn tls_mode(mut self, mode: TlsMode) -> Self {
        self.tls_mode = mode;
        self
    }

    /// Offers PLAIN without TLS.
    #[must_use]
    pub fn allow_plain_unencrypted(mut self, allow: bool) -> Self {
        self.allow_plain_unencrypted = allow;
        self
    }

    /// Sets the mechanisms to offer.
    #[must_use]
    pub fn mechanisms(mut self, mechanisms: impl IntoIterator<Item = Mechanism>) -> Self {
        self.mechanisms = mechanisms.into_iter().collect();
        self
    }

    /// Sets stream management.
    #[must_use]
    pub fn sm(mut self, sm: SmConfig) -> Self {
        self.sm = sm;
        self
    }

    /// Sets keepalives and timeouts.
    #[must_use]
    pub fn keepalive(mut self, keepalive: Keepalive) -> Self {
        self.keepalive = keepalive;
        self
    }

    /// Turns SASL2 (and with it Bind2 and FAST) on or off.
    #[must_use]
    pub fn sasl2(mut self, on: bool) -> Self {
        self.sasl2 = on;
        self
    }
}
