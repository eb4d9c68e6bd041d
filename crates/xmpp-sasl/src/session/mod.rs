//! One `step` for every mechanism: [`ClientSession`] and [`ServerSession`].
//!
//! Call order, client: `step(b"")` for the initial response (or with the
//! server's first, empty challenge), then `step(challenge)` for each
//! challenge, then — for mechanisms with mutual authentication — `step` with
//! the additional data of the server's success. A [`ClientStep::Done`] means
//! the client has sent and verified all it can.
//!
//! Server: `step(response)` for each client message; on
//! [`ServerStep::NeedCredentials`] look the user up and call
//! [`ServerSession::credentials`]. Any `Err` ends the exchange with
//! [`Error::condition`]; the session then keeps returning that error.

use alloc::string::String;
use alloc::vec::Vec;

use zeroize::Zeroizing;

use crate::cb::{ChannelBinding, ChannelBindingType};
use crate::config::{Limits, ServerSecret};
use crate::error::Condition;
use crate::ht::HtVersion;
use crate::mechanism::Mechanism;
use crate::prep::Prep;
use crate::scram::{SaltedPassword, StoredCredentials};
use crate::ssdp::{Ssdp, SsdpForm};

/// A successful outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Success {
    /// The authentication identity: the prepared username, the identity
    /// established outside SASL (EXTERNAL), or `None` (ANONYMOUS).
    pub authcid: Option<String>,
    /// The requested authorization identity, if any.
    pub authzid: Option<String>,
    /// The additional data with success: sent by a server (SCRAM's
    /// server-final-message), received and verified by a client.
    pub additional_data: Option<Vec<u8>>,
    /// ANONYMOUS trace information (RFC 4505 §2), if sent.
    pub trace: Option<String>,
    /// With [`Credentials::FastToken`]: the slot whose token the client
    /// proved.
    pub fast_slot: Option<FastSlot>,
}

/// What a client does next.
///
/// A client's messages carry secrets (PLAIN's password, SCRAM's proof and
/// channel-binding data, HT's hashed token), so they are zeroized on drop
/// and `Debug` shows only their length.
#[derive(Clone, PartialEq, Eq)]
pub enum ClientStep {
    /// Send these bytes and pass the server's next challenge (or the
    /// additional data of its success) to the next `step`.
    Send(Zeroizing<Vec<u8>>),
    /// Nothing more to verify: send `send` if present, then wait for the
    /// server's outcome.
    Done {
        /// The last message, if the mechanism has one left to send.
        send: Option<Zeroizing<Vec<u8>>>,
        /// What the client authenticated as and what it verified.
        success: Success,
    },
}

impl core::fmt::Debug for ClientStep {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Send(m) => f.debug_struct("Send").field("len", &m.len()).finish(),
            Self::Done { send, success } => f
                .debug_struct("Done")
                .field("send_len", &send.as_ref().map(|m| m.len()))
                .field("success", success)
                .finish(),
        }
    }
}

/// What the server needs from its caller to go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsRequest {
    /// The mechanism.
    pub mechanism: Mechanism,
    /// The prepared username, if the mechanism carries one.
    pub authcid: Option<String>,
    /// The requested authorization identity, if any.
    pub authzid: Option<String>,
}

/// What a server does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerStep {
    /// Send this challenge.
    Challenge(Vec<u8>),
    /// Look up credentials and call [`ServerSession::credentials`].
    NeedCredentials(CredentialsRequest),
    /// Authentication succeeded; send `additional_data` with the success.
    Success(Success),
}

/// The caller's answer to a [`CredentialsRequest`].
///
/// For a user that does not exist, answer [`Self::UnknownUser`]: the
/// session then fails exactly as for a wrong password, at the same step,
/// with the same error and the same work, so the exchange does not tell
/// which accounts exist (RFC 5802 §9).
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// The user's password (PLAIN only; SCRAM needs a salt). Prefer
    /// [`Self::Scram`]: with it a known user costs PLAIN the same PBKDF2
    /// run as an unknown one.
    Password(Zeroizing<String>),
    /// SCRAM stored credentials (SCRAM, and PLAIN by deriving the stored key
    /// from the sent password).
    Scram(StoredCredentials),
    /// HT: the user's current token. The caller revokes it after a success
    /// (draft-schmaus-kitten-sasl-ht-09 §3.2).
    Token(Zeroizing<String>),
    /// HT with XEP-0484 replay protection, expiry and rotation: the
    /// client's token slots, the `count` the client sent on its `<fast/>`
    /// element (`None` if it sent none), and the current time.
    ///
    /// XEP-0484 §5.1 keeps two slots per client: `new`, the token issued
    /// last and not used yet, and `current`, the one used before. The proof
    /// is checked against both (the same HMAC work whichever are filled),
    /// `new` first; [`Success::fast_slot`] says which one matched, so the
    /// application moves a used `new` token into `current` (XEP-0484 §3.5:
    /// a token replaced by one the client has used is invalid). A server
    /// that keeps one token per client passes it as `current`.
    ///
    /// The session first verifies the proof, then refuses a replay
    /// ([`Error::Replay`](crate::Error::Replay), `not-authorized`) unless
    /// `count` is present and above the matched slot's `processed`, and an
    /// expired token ([`Error::TokenExpired`](crate::Error::TokenExpired),
    /// `credentials-expired`, XEP-0484 §4.2). A wrong proof is always
    /// `not-authorized`, so neither refusal tells someone without the
    /// token anything. Record `count` as processed only after the exchange
    /// succeeded: recorded on a failure, a forged request with a huge count
    /// would make every later use of the token a replay.
    ///
    /// XEP-0484 §"Client authenticates using FAST" requires the count for
    /// requests in TLS 0-RTT data, which an attacker can replay; use it for
    /// HT-SHA-256-NONE too, whose initiator message is the same every time
    /// a token is used (draft-schmaus-kitten-sasl-ht-09 §3 binds it to
    /// nothing else), so a captured one logs in again for as long as the
    /// token lives.
    FastToken {
        /// The `current` slot: the token the client used last (or the
        /// only one the server keeps).
        current: Option<FastTokenSlot>,
        /// The `new` slot: a token issued and not used yet.
        new: Option<FastTokenSlot>,
        /// The client's `count`.
        count: Option<u64>,
        /// The current time in seconds since the Unix epoch (UTC), from
        /// the caller's wall clock (the session reads no clock): a token
        /// is expired from its `expiry` on.
        now: u64,
    },
    /// EXTERNAL: the identity established outside SASL (e.g. by the client
    /// certificate), which the caller has checked may act for the authzid.
    External(String),
    /// No such user. The session runs the exchange on made-up credentials
    /// derived from [`ServerConfig::secret`] (RFC 5802 §5.1) and fails as
    /// for a wrong password: SCRAM with `e=invalid-proof` after the
    /// client-final-message, PLAIN with `not-authorized` after the same
    /// PBKDF2 run as a known user, HT after the same HMAC.
    UnknownUser,
    /// Refuse a user that exists, with a condition RFC 6120 §6.5 gives for
    /// it. This tells the client the account exists; for "no such user"
    /// answer [`Self::UnknownUser`].
    Refuse(Refusal),
}

/// One of a client's XEP-0484 token slots as the server application keeps
/// it ([`Credentials::FastToken`]). `Debug` shows no token.
#[derive(Clone, PartialEq, Eq)]
pub struct FastTokenSlot {
    /// The token.
    pub token: Zeroizing<String>,
    /// The highest count processed so far for this token (`None`: none).
    pub processed: Option<u64>,
    /// When the token stops being valid, in seconds since the Unix epoch
    /// (UTC): the expiry sent with it (XEP-0484 §3.3). `None`: it does not
    /// expire.
    pub expiry: Option<u64>,
}

impl FastTokenSlot {
    /// A slot holding `token`, with the highest count processed for it and
    /// its expiry.
    pub fn new(token: impl Into<String>, processed: Option<u64>, expiry: Option<u64>) -> Self {
        Self {
            token: Zeroizing::new(token.into()),
            processed,
            expiry,
        }
    }
}

impl core::fmt::Debug for FastTokenSlot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("FastTokenSlot")
            .field("token", &"..")
            .field("processed", &self.processed)
            .field("expiry", &self.expiry)
            .finish()
    }
}

/// Which of a client's XEP-0484 token slots a proven token was in
/// ([`Success::fast_slot`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FastSlot {
    /// The `new` slot: the client has the token issued last; it replaces
    /// the `current` one, which is invalid from now on (XEP-0484 §3.5).
    New,
    /// The `current` slot.
    Current,
}

/// Why the caller refuses a user that exists (RFC 6120 §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// §6.5.2 `account-disabled`.
    AccountDisabled,
    /// §6.5.3 `credentials-expired`.
    CredentialsExpired,
    /// §6.5.6 `invalid-authzid`: the authcid may not act for the authzid.
    InvalidAuthzid,
    /// §6.5.9 `mechanism-too-weak`: policy wants a stronger mechanism for
    /// this account.
    MechanismTooWeak,
    /// §6.5.11 `temporary-auth-failure`: the account store failed.
    TemporaryAuthFailure,
}

impl Refusal {
    /// The condition sent in the `<failure/>`.
    pub const fn condition(self) -> Condition {
        match self {
            Self::AccountDisabled => Condition::AccountDisabled,
            Self::CredentialsExpired => Condition::CredentialsExpired,
            Self::InvalidAuthzid => Condition::InvalidAuthzid,
            Self::MechanismTooWeak => Condition::MechanismTooWeak,
            Self::TemporaryAuthFailure => Condition::TemporaryAuthFailure,
        }
    }
}

impl core::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Password(_) => f.write_str("Password(..)"),
            Self::Token(_) => f.write_str("Token(..)"),
            Self::FastToken {
                current,
                new,
                count,
                now,
            } => f
                .debug_struct("FastToken")
                .field("current", current)
                .field("new", new)
                .field("count", count)
                .field("now", now)
                .finish(),
            Self::Scram(s) => f.debug_tuple("Scram").field(s).finish(),
            Self::External(s) => f.debug_tuple("External").field(s).finish(),
            Self::UnknownUser => f.write_str("UnknownUser"),
            Self::Refuse(c) => f.debug_tuple("Refuse").field(c).finish(),
        }
    }
}

/// What a client knows: identities, secrets, binding data and policy.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The username (authcid).
    pub username: Option<String>,
    /// The password.
    pub password: Option<Zeroizing<String>>,
    /// A salted password cached from an earlier exchange, used instead of
    /// the password when its hash, salt and iteration count match.
    pub salted_password: Option<(SaltedPassword, Vec<u8>, u32)>,
    /// The authorization identity to request.
    pub authzid: Option<String>,
    /// All the channel-binding data the TLS layer has, one per type; the
    /// [`Choice`](crate::Choice) picks which (if any) is used.
    pub channel_bindings: Vec<ChannelBinding>,
    /// String preparation.
    pub prep: Prep,
    /// Bounds on what the server may demand.
    pub limits: Limits,
    /// The advertised mechanisms and binding types, to check XEP-0474.
    pub ssdp: Option<Ssdp>,
    /// ANONYMOUS trace information.
    pub trace: Option<String>,
    /// The HT token (XEP-0484 FAST), as the server issued it.
    pub token: Option<Zeroizing<String>>,
    /// The HT framing.
    pub ht_version: HtVersion,
}

impl ClientConfig {
    /// An empty configuration with default policy.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the username.
    #[must_use]
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }
    /// Sets the password.
    #[must_use]
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(Zeroizing::new(password.into()));
        self
    }
    /// Sets the authorization identity.
    #[must_use]
    pub fn authzid(mut self, authzid: impl Into<String>) -> Self {
        self.authzid = Some(authzid.into());
        self
    }
    /// Adds channel-binding data of this connection (replacing data of the
    /// same type).
    #[must_use]
    pub fn channel_binding(mut self, cb: ChannelBinding) -> Self {
        self.channel_bindings.retain(|c| c.kind() != cb.kind());
        self.channel_bindings.push(cb);
        self
    }

    /// The types of the binding data held, in the order added: what
    /// [`Capabilities::channel_bindings`](crate::Capabilities) should list.
    pub fn channel_binding_types(&self) -> Vec<ChannelBindingType> {
        self.channel_bindings
            .iter()
            .map(ChannelBinding::kind)
            .collect()
    }
    /// Sets the preparation profile.
    #[must_use]
    pub fn prep(mut self, prep: Prep) -> Self {
        self.prep = prep;
        self
    }
    /// Sets the limits.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
    /// Sets the advertised lists to check XEP-0474 against.
    #[must_use]
    pub fn ssdp(mut self, ssdp: Ssdp) -> Self {
        self.ssdp = Some(ssdp);
        self
    }
    /// Sets the HT token.
    #[must_use]
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Zeroizing::new(token.into()));
        self
    }
    /// Sets the HT framing.
    #[must_use]
    pub fn ht_version(mut self, version: HtVersion) -> Self {
        self.ht_version = version;
        self
    }
    /// Sets the ANONYMOUS trace.
    #[must_use]
    pub fn trace(mut self, trace: impl Into<String>) -> Self {
        self.trace = Some(trace.into());
        self
    }
}

impl core::fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("username", &self.username)
            .field("authzid", &self.authzid)
            .field("channel_bindings", &self.channel_bindings)
            .field("prep", &self.prep)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// What a server knows about its connection and policy.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// The secret and account parameters behind
    /// [`Credentials::UnknownUser`].
    pub secret: ServerSecret,
    /// String preparation.
    pub prep: Prep,
    /// Bounds on what the client may send.
    pub limits: Limits,
    /// The mechanisms the server is willing to run. By default the SCRAM
    /// mechanisms with and without `-PLUS`, PLAIN and the four
    /// HT-SHA-256-*; EXTERNAL and ANONYMOUS only when enabled. What is
    /// advertised on a connection is [`Self::advertised_mechanisms`].
    pub mechanisms: Vec<Mechanism>,
    /// The binding data of this connection, one per type the server
    /// supports. Non-empty means the server offers `-PLUS`.
    pub channel_bindings: Vec<ChannelBinding>,
    /// Whether to send XEP-0474's downgrade-protection hash in SCRAM, and
    /// in which form; it is computed from [`Self::ssdp_lists`].
    pub ssdp: Option<SsdpForm>,
    /// Whether the stream is encrypted; PLAIN is refused without it unless
    /// [`Self::allow_plain_unencrypted`].
    pub encrypted: bool,
    /// Allows PLAIN on an unencrypted stream (tests, loopback).
    pub allow_plain_unencrypted: bool,
    /// The HT framing.
    pub ht_version: HtVersion,
}

impl ServerConfig {
    /// Default policy on an unencrypted stream. The secret is required so
    /// that an unknown user can always be answered safely.
    pub fn new(secret: ServerSecret) -> Self {
        Self {
            secret,
            prep: Prep::default(),
            limits: Limits::default(),
            mechanisms: Mechanism::all()
                .filter(|m| !matches!(m, Mechanism::External | Mechanism::Anonymous))
                .collect(),
            channel_bindings: Vec::new(),
            ssdp: None,
            encrypted: false,
            allow_plain_unencrypted: false,
            ht_version: HtVersion::default(),
        }
    }
    /// Sets the preparation profile.
    #[must_use]
    pub fn prep(mut self, prep: Prep) -> Self {
        self.prep = prep;
        self
    }
    /// Sets the limits.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
    /// Sets the mechanisms the server is willing to run.
    #[must_use]
    pub fn mechanisms(mut self, mechanisms: impl IntoIterator<Item = Mechanism>) -> Self {
        self.mechanisms = mechanisms.into_iter().collect();
        self
    }
    /// Adds channel-binding data of this connection (replacing data of the
    /// same type).
    #[must_use]
    pub fn channel_binding(mut self, cb: ChannelBinding) -> Self {
        self.channel_bindings.retain(|c| c.kind() != cb.kind());
        self.channel_bindings.push(cb);
        self
    }
    /// Sends XEP-0474's hash of [`Self::ssdp_lists`] in this form.
    #[must_use]
    pub fn ssdp(mut self, form: SsdpForm) -> Self {
        self.ssdp = Some(form);
        self
    }
    /// Marks the stream as encrypted (TLS).
    #[must_use]
    pub fn encrypted(mut self, encrypted: bool) -> Self {
        self.encrypted = encrypted;
        self
    }
    /// Sets the HT framing.
    #[must_use]
    pub fn ht_version(mut self, version: HtVersion) -> Self {
        self.ht_version = version;
        self
    }
    /// Allows PLAIN without encryption.
    #[must_use]
    pub fn allow_plain_unencrypted(mut self, allow: bool) -> Self {
        self.allow_plain_unencrypted = allow;
        self
    }
}

impl ServerConfig {
    /// Whether `mechanism` can run on this connection: a binding mechanism
    /// needs data of its type, PLAIN an encrypted stream (or the explicit
    /// allowance).
    fn runnable(&self, mechanism: Mechanism) -> bool {
        let has = |t: ChannelBindingType| self.channel_bindings.iter().any(|c| c.kind() == t);
        match mechanism {
            Mechanism::Scram { plus: true, .. } => !self.channel_bindings.is_empty(),
            Mechanism::Ht { binding } => binding.channel_binding_type().is_none_or(has),
            Mechanism::Plain => self.encrypted || self.allow_plain_unencrypted,
            _ => true,
        }
    }

    /// The SASL mechanisms to advertise on this connection (RFC 6120
    /// §6.4.1 `<mechanisms/>`, or XEP-0388 `<authentication/>`), strongest
    /// first: the enabled ones that can run here. HT mechanisms are not
    /// among them: XEP-0484 advertises them in `<fast/>`
    /// ([`Self::fast_mechanisms`]).
    pub fn advertised_mechanisms(&self) -> Vec<Mechanism> {
        Mechanism::all()
            .filter(|m| !matches!(m, Mechanism::Ht { .. }))
            .filter(|m| self.mechanisms.contains(m) && self.runnable(*m))
            .collect()
    }

    /// The HT mechanisms to advertise in XEP-0484's `<fast/>`: the enabled
    /// ones whose binding data this connection has.
    pub fn fast_mechanisms(&self) -> Vec<Mechanism> {
        Mechanism::all()
            .filter(|m| matches!(m, Mechanism::Ht { .. }))
            .filter(|m| self.mechanisms.contains(m) && self.runnable(*m))
            .collect()
    }

    /// The channel-binding types to advertise with XEP-0440
    /// (`<sasl-channel-binding/>`): those this connection has data for.
    /// Advertise none when the list is empty.
    pub fn channel_binding_types(&self) -> Vec<ChannelBindingType> {
        self.channel_bindings
            .iter()
            .map(ChannelBinding::kind)
            .collect()
    }

    /// The advertised lists XEP-0474 hashes: exactly
    /// [`Self::advertised_mechanisms`] and, when there are any,
    /// [`Self::channel_binding_types`]. The session hashes these, so what
    /// is signed cannot drift from what is advertised.
    pub fn ssdp_lists(&self) -> Ssdp {
        let types = self.channel_binding_types();
        Ssdp::new(
            self.advertised_mechanisms().iter().map(|m| m.name()),
            (!types.is_empty()).then(|| types.into_iter().map(ChannelBindingType::name)),
        )
    }
}

mod client;
mod server;

pub use client::ClientSession;
pub use server::ServerSession;
