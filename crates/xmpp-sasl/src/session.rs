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
use core::mem;

use zeroize::Zeroizing;

use crate::cb::ChannelBinding;
use crate::config::{Limits, Nonce};
use crate::error::{Condition, Error, Field, Message};
use crate::ht::{self, HtVersion};
use crate::mechanism::Mechanism;
use crate::prep::Prep;
use crate::scram::{
    ClientBinding, ClientFinalSent, ClientFirstSent, NeedsCredentials, SaltedPassword, ScramClient,
    ScramServer, ServerFirstSent, StoredCredentials,
};
use crate::simple;
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
}

/// What a client does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientStep {
    /// Send these bytes and pass the server's next challenge (or the
    /// additional data of its success) to the next `step`.
    Send(Vec<u8>),
    /// Nothing more to verify: send `send` if present, then wait for the
    /// server's outcome.
    Done {
        /// The last message, if the mechanism has one left to send.
        send: Option<Vec<u8>>,
        /// What the client authenticated as and what it verified.
        success: Success,
    },
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
#[derive(Clone)]
#[non_exhaustive]
pub enum Credentials {
    /// The user's password (PLAIN only; SCRAM needs a salt).
    Password(Zeroizing<String>),
    /// SCRAM stored credentials (SCRAM, and PLAIN by deriving the stored key
    /// from the sent password).
    Scram(StoredCredentials),
    /// HT: the user's current token. The caller revokes it after a success
    /// (draft-schmaus-kitten-sasl-ht-09 §3.2).
    Token(Zeroizing<String>),
    /// EXTERNAL: the identity established outside SASL (e.g. by the client
    /// certificate), which the caller has checked may act for the authzid.
    External(String),
    /// Refuse with a condition: `NotAuthorized` for an unknown user,
    /// `AccountDisabled`, `CredentialsExpired`, `InvalidAuthzid`, …
    Refuse(Condition),
}

impl core::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Password(_) => f.write_str("Password(..)"),
            Self::Token(_) => f.write_str("Token(..)"),
            Self::Scram(s) => f.debug_tuple("Scram").field(s).finish(),
            Self::External(s) => f.debug_tuple("External").field(s).finish(),
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
    /// Channel-binding data: required for `-PLUS`; with a non-`-PLUS` SCRAM
    /// mechanism its presence sends gs2 flag `y` (RFC 5802 §6), so leave it
    /// out when the server offered `-PLUS` but with no type in common.
    pub channel_binding: Option<ChannelBinding>,
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
    /// Sets the channel-binding data.
    #[must_use]
    pub fn channel_binding(mut self, cb: ChannelBinding) -> Self {
        self.channel_binding = Some(cb);
        self
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
            .field("channel_binding", &self.channel_binding)
            .field("prep", &self.prep)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

/// What a server knows about its connection and policy.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ServerConfig {
    /// String preparation.
    pub prep: Prep,
    /// Bounds on what the client may send.
    pub limits: Limits,
    /// The binding data of this connection, one per type the server
    /// supports. Non-empty means the server offers `-PLUS`.
    pub channel_bindings: Vec<ChannelBinding>,
    /// The advertised lists, for XEP-0474, and which attribute to send.
    pub ssdp: Option<(Ssdp, SsdpForm)>,
    /// Whether the stream is encrypted; PLAIN is refused without it unless
    /// [`Self::allow_plain_unencrypted`].
    pub encrypted: bool,
    /// Allows PLAIN on an unencrypted stream (tests, loopback).
    pub allow_plain_unencrypted: bool,
    /// The HT framing.
    pub ht_version: HtVersion,
}

impl ServerConfig {
    /// Default policy on an unencrypted stream.
    pub fn new() -> Self {
        Self::default()
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
    /// Adds channel-binding data of this connection.
    #[must_use]
    pub fn channel_binding(mut self, cb: ChannelBinding) -> Self {
        self.channel_bindings.push(cb);
        self
    }
    /// Sets the XEP-0474 lists.
    #[must_use]
    pub fn ssdp(mut self, ssdp: Ssdp, form: SsdpForm) -> Self {
        self.ssdp = Some((ssdp, form));
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

enum ClientState {
    Start,
    HtSent,
    ScramFirst(ClientFirstSent),
    ScramFinal(ClientFinalSent),
    Done,
    Failed(Error),
}

/// A client exchange for any mechanism.
pub struct ClientSession {
    mechanism: Mechanism,
    config: ClientConfig,
    nonce: Nonce,
    state: ClientState,
    salted: Option<SaltedPassword>,
}

impl core::fmt::Debug for ClientSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientSession")
            .field("mechanism", &self.mechanism)
            .finish_non_exhaustive()
    }
}

impl ClientSession {
    /// A client for `mechanism`; `nonce` is used by SCRAM (fresh per
    /// exchange; see [`Nonce::random`]).
    pub fn new(mechanism: Mechanism, config: ClientConfig, nonce: Nonce) -> Result<Self, Error> {
        match mechanism {
            Mechanism::Scram { plus: true, .. } if config.channel_binding.is_none() => {
                return Err(Error::MissingCredential {
                    what: "channel binding",
                });
            }
            Mechanism::Scram { .. } | Mechanism::Plain if config.username.is_none() => {
                return Err(Error::MissingCredential { what: "username" });
            }
            Mechanism::Scram { .. } | Mechanism::Plain
                if config.password.is_none() && config.salted_password.is_none() =>
            {
                return Err(Error::MissingCredential { what: "password" });
            }
            Mechanism::Ht { .. } if config.username.is_none() => {
                return Err(Error::MissingCredential { what: "username" });
            }
            Mechanism::Ht { .. } if config.token.is_none() => {
                return Err(Error::MissingCredential { what: "token" });
            }
            Mechanism::Ht { binding } => {
                if let Some(kind) = binding.channel_binding_type() {
                    if config
                        .channel_binding
                        .as_ref()
                        .is_none_or(|cb| cb.kind() != kind)
                    {
                        return Err(Error::MissingCredential {
                            what: "channel binding",
                        });
                    }
                }
            }
            _ => {}
        }
        Ok(Self {
            mechanism,
            config,
            nonce,
            state: ClientState::Start,
            salted: None,
        })
    }

    /// The mechanism.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// The salted password of a completed SCRAM exchange, to cache.
    pub fn salted_password(&self) -> Option<&SaltedPassword> {
        self.salted.as_ref()
    }

    /// Feeds the server's message (empty for the initial response).
    pub fn step(&mut self, input: &[u8]) -> Result<ClientStep, Error> {
        let state = mem::replace(&mut self.state, ClientState::Done);
        let result = self.advance(state, input);
        if let Err(e) = &result {
            self.state = ClientState::Failed(e.clone());
        }
        result
    }

    fn success(&self, additional_data: Option<Vec<u8>>) -> Success {
        Success {
            authcid: self.config.username.clone(),
            authzid: self.config.authzid.clone(),
            additional_data,
            trace: None,
        }
    }

    fn advance(&mut self, state: ClientState, input: &[u8]) -> Result<ClientStep, Error> {
        match state {
            ClientState::Failed(e) => Err(e),
            ClientState::Done => Err(Error::UnexpectedMessage {
                expected: "nothing (exchange complete)",
            }),
            ClientState::Start if !input.is_empty() => Err(Error::UnexpectedMessage {
                expected: "an empty initial challenge",
            }),
            ClientState::Start => self.start(),
            ClientState::ScramFirst(s) => {
                let needs = s.server_first(input)?;
                let cached = self
                    .config
                    .salted_password
                    .as_ref()
                    .filter(|(sp, salt, i)| {
                        Some(sp.hash()) == self.mechanism.scram_hash()
                            && salt.as_slice() == needs.salt()
                            && *i == needs.iterations()
                    });
                let (next, msg) = match (cached, &self.config.password) {
                    (Some((sp, _, _)), _) => needs.salted_password(sp.clone())?,
                    (None, Some(pw)) => needs.password(pw)?,
                    (None, None) => return Err(Error::MissingCredential { what: "password" }),
                };
                self.state = ClientState::ScramFinal(next);
                Ok(ClientStep::Send(msg))
            }
            ClientState::HtSent => {
                let c = &self.config;
                let token = c.token.as_deref().map(String::as_bytes).unwrap_or_default();
                ht::verify_responder(c.ht_version, input, token, self.ht_cb_data())?;
                Ok(ClientStep::Done {
                    send: None,
                    success: self.success(Some(input.to_vec())),
                })
            }
            ClientState::ScramFinal(s) => {
                let verified = s.server_final(input, &self.config.limits)?;
                self.salted = Some(verified.salted_password);
                Ok(ClientStep::Done {
                    send: None,
                    success: self.success(Some(input.to_vec())),
                })
            }
        }
    }

    fn start(&mut self) -> Result<ClientStep, Error> {
        let c = &self.config;
        match self.mechanism {
            Mechanism::Plain => {
                let username = c.username.as_deref().unwrap_or_default();
                let password = c
                    .password
                    .as_deref()
                    .map(String::as_str)
                    .unwrap_or_default();
                let authcid = c.prep.prepare(username, Field::Authcid)?;
                let pw = Zeroizing::new(c.prep.prepare(password, Field::Password)?.into_owned());
                let msg = simple::plain_encode(c.authzid.as_deref(), &authcid, &pw)?;
                Ok(ClientStep::Done {
                    send: Some(msg),
                    success: self.success(None),
                })
            }
            Mechanism::External => {
                let authzid = c.authzid.as_deref().unwrap_or_default();
                if authzid.contains('\0') {
                    return Err(Error::InvalidAuthzid);
                }
                let mut success = self.success(None);
                success.authcid = None;
                Ok(ClientStep::Done {
                    send: Some(authzid.as_bytes().to_vec()),
                    success,
                })
            }
            Mechanism::Anonymous => {
                let trace = c.trace.as_deref().unwrap_or_default();
                simple::anonymous_decode(trace.as_bytes())?;
                let success = Success {
                    authcid: None,
                    authzid: None,
                    additional_data: None,
                    trace: c.trace.clone(),
                };
                Ok(ClientStep::Done {
                    send: Some(trace.as_bytes().to_vec()),
                    success,
                })
            }
            Mechanism::Scram { hash, plus } => {
                let binding = match (&c.channel_binding, plus) {
                    (Some(cb), true) => ClientBinding::Bind(cb.clone()),
                    (Some(_), false) => ClientBinding::NotOffered,
                    (None, _) => ClientBinding::Unsupported,
                };
                let client = ScramClient {
                    hash,
                    binding,
                    username: c.username.clone().unwrap_or_default(),
                    authzid: c.authzid.clone(),
                    prep: c.prep,
                    limits: c.limits,
                    ssdp: c.ssdp.clone(),
                };
                let (next, msg) = client.start(self.nonce.clone())?;
                self.state = ClientState::ScramFirst(next);
                Ok(ClientStep::Send(msg))
            }
            Mechanism::Ht { .. } => {
                let username = c
                    .prep
                    .prepare(c.username.as_deref().unwrap_or_default(), Field::Authcid)?;
                let token = c.token.as_deref().map(String::as_bytes).unwrap_or_default();
                let msg = ht::initiator(c.ht_version, &username, token, self.ht_cb_data())?;
                self.state = ClientState::HtSent;
                Ok(ClientStep::Send(msg))
            }
        }
    }

    /// The channel-binding data an HT mechanism signs (empty for `-NONE`).
    fn ht_cb_data(&self) -> &[u8] {
        match self.mechanism {
            Mechanism::Ht { binding } if binding.channel_binding_type().is_some() => self
                .config
                .channel_binding
                .as_ref()
                .map(ChannelBinding::data)
                .unwrap_or_default(),
            _ => &[],
        }
    }
}

enum ServerState {
    Start,
    PlainLookup(simple::PlainMessage, String),
    HtLookup(Vec<u8>, String),
    ExternalLookup(Option<String>),
    ScramLookup(NeedsCredentials),
    ScramFinal(ServerFirstSent),
    Done,
    Failed(Error),
}

/// A server exchange for any mechanism.
pub struct ServerSession {
    mechanism: Mechanism,
    config: ServerConfig,
    nonce: Nonce,
    state: ServerState,
}

impl core::fmt::Debug for ServerSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerSession")
            .field("mechanism", &self.mechanism)
            .finish_non_exhaustive()
    }
}

impl ServerSession {
    /// A server for the mechanism the client chose; `nonce` is the server
    /// nonce for SCRAM (fresh per exchange).
    pub fn new(mechanism: Mechanism, config: ServerConfig, nonce: Nonce) -> Result<Self, Error> {
        match mechanism {
            Mechanism::Plain if !config.encrypted && !config.allow_plain_unencrypted => {
                Err(Error::EncryptionRequired)
            }
            Mechanism::Scram { plus: true, .. } if config.channel_bindings.is_empty() => {
                Err(Error::UnsupportedMechanism)
            }
            Mechanism::Ht { binding }
                if binding
                    .channel_binding_type()
                    .is_some_and(|t| !config.channel_bindings.iter().any(|c| c.kind() == t)) =>
            {
                Err(Error::UnsupportedMechanism)
            }
            _ => Ok(Self {
                mechanism,
                config,
                nonce,
                state: ServerState::Start,
            }),
        }
    }

    /// Parses a mechanism name the client sent and starts a session for it
    /// (`invalid-mechanism` for unknown names).
    pub fn from_name(name: &str, config: ServerConfig, nonce: Nonce) -> Result<Self, Error> {
        Self::new(
            Mechanism::from_name(name).ok_or(Error::UnsupportedMechanism)?,
            config,
            nonce,
        )
    }

    /// The mechanism.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Feeds the client's next message.
    pub fn step(&mut self, input: &[u8]) -> Result<ServerStep, Error> {
        let state = mem::replace(&mut self.state, ServerState::Done);
        let result = self.advance(state, input);
        if let Err(e) = &result {
            self.state = ServerState::Failed(e.clone());
        }
        result
    }

    /// Answers a [`ServerStep::NeedCredentials`].
    pub fn credentials(&mut self, credentials: Credentials) -> Result<ServerStep, Error> {
        let state = mem::replace(&mut self.state, ServerState::Done);
        let result = self.resume(state, credentials);
        if let Err(e) = &result {
            self.state = ServerState::Failed(e.clone());
        }
        result
    }

    fn request(&self, authcid: Option<&str>, authzid: Option<&str>) -> ServerStep {
        ServerStep::NeedCredentials(CredentialsRequest {
            mechanism: self.mechanism,
            authcid: authcid.map(String::from),
            authzid: authzid.map(String::from),
        })
    }

    fn advance(&mut self, state: ServerState, input: &[u8]) -> Result<ServerStep, Error> {
        let limits = self.config.limits;
        match state {
            ServerState::Failed(e) => Err(e),
            ServerState::Done => Err(Error::UnexpectedMessage {
                expected: "nothing (exchange complete)",
            }),
            ServerState::PlainLookup(..)
            | ServerState::HtLookup(..)
            | ServerState::ExternalLookup(..)
            | ServerState::ScramLookup(..) => Err(Error::UnexpectedMessage {
                expected: "credentials from the caller",
            }),
            ServerState::Start => match self.mechanism {
                Mechanism::Plain => {
                    let m = simple::plain_decode(input, limits.max_message_len)?;
                    let authcid = self
                        .config
                        .prep
                        .prepare(&m.authcid, Field::Authcid)?
                        .into_owned();
                    let step = self.request(Some(&authcid), m.authzid.as_deref());
                    self.state = ServerState::PlainLookup(m, authcid);
                    Ok(step)
                }
                Mechanism::External => {
                    let authzid = simple::external_decode(input, limits.max_message_len)?;
                    let step = self.request(None, authzid.as_deref());
                    self.state = ServerState::ExternalLookup(authzid);
                    Ok(step)
                }
                Mechanism::Anonymous => {
                    if input.len() > limits.max_message_len {
                        return Err(Error::MessageTooLong {
                            message: Message::Anonymous,
                            max: limits.max_message_len,
                            len: input.len(),
                        });
                    }
                    let trace = simple::anonymous_decode(input)?;
                    Ok(ServerStep::Success(Success {
                        authcid: None,
                        authzid: None,
                        additional_data: None,
                        trace,
                    }))
                }
                Mechanism::Scram { hash, plus } => {
                    let server = ScramServer {
                        hash,
                        plus,
                        channel_bindings: self.config.channel_bindings.clone(),
                        prep: self.config.prep,
                        limits,
                        ssdp: self.config.ssdp.clone(),
                    };
                    let needs = server.client_first(input)?;
                    let step = self.request(Some(needs.authcid()), needs.authzid());
                    self.state = ServerState::ScramLookup(needs);
                    Ok(step)
                }
                Mechanism::Ht { .. } => {
                    let parsed =
                        ht::parse_initiator(self.config.ht_version, input, limits.max_message_len)?;
                    let authcid = self
                        .config
                        .prep
                        .prepare(&parsed.authcid, Field::Authcid)?
                        .into_owned();
                    let step = self.request(Some(&authcid), None);
                    self.state = ServerState::HtLookup(input.to_vec(), authcid);
                    Ok(step)
                }
            },
            ServerState::ScramFinal(s) => {
                let auth = s.client_final(input)?;
                Ok(ServerStep::Success(Success {
                    authcid: Some(auth.authcid),
                    authzid: auth.authzid,
                    additional_data: Some(auth.server_final),
                    trace: None,
                }))
            }
        }
    }

    fn resume(
        &mut self,
        state: ServerState,
        credentials: Credentials,
    ) -> Result<ServerStep, Error> {
        if let Credentials::Refuse(condition) = credentials {
            return match state {
                ServerState::Failed(e) => Err(e),
                _ => Err(Error::Refused { condition }),
            };
        }
        match (state, credentials) {
            (ServerState::Failed(e), _) => Err(e),
            (ServerState::PlainLookup(m, authcid), creds) => {
                let prep = self.config.prep;
                let sent = Zeroizing::new(prep.prepare(&m.password, Field::Password)?.into_owned());
                let ok = match creds {
                    Credentials::Password(pw) => {
                        let stored =
                            Zeroizing::new(prep.prepare(&pw, Field::Password)?.into_owned());
                        bool::from(subtle::ConstantTimeEq::ct_eq(
                            sent.as_bytes(),
                            stored.as_bytes(),
                        ))
                    }
                    Credentials::Scram(stored) => {
                        let mine = StoredCredentials::from_password(
                            stored.hash(),
                            Prep::None,
                            &sent,
                            stored.salt(),
                            stored.iterations(),
                        )?;
                        bool::from(subtle::ConstantTimeEq::ct_eq(
                            mine.stored_key(),
                            stored.stored_key(),
                        ))
                    }
                    _ => return Err(Error::CredentialsMismatch),
                };
                if !ok {
                    return Err(Error::Refused {
                        condition: Condition::NotAuthorized,
                    });
                }
                Ok(ServerStep::Success(Success {
                    authcid: Some(authcid),
                    authzid: m.authzid.clone(),
                    additional_data: None,
                    trace: None,
                }))
            }
            (ServerState::HtLookup(msg, authcid), Credentials::Token(token)) => {
                let version = self.config.ht_version;
                let parsed =
                    ht::parse_initiator(version, &msg, self.config.limits.max_message_len)?;
                let cb_data = match self.mechanism {
                    Mechanism::Ht { binding } => binding
                        .channel_binding_type()
                        .and_then(|t| self.config.channel_bindings.iter().find(|c| c.kind() == t))
                        .map(ChannelBinding::data)
                        .unwrap_or_default(),
                    _ => &[],
                };
                let reply = parsed.verify(version, token.as_bytes(), cb_data)?;
                Ok(ServerStep::Success(Success {
                    authcid: Some(authcid),
                    authzid: None,
                    additional_data: Some(reply),
                    trace: None,
                }))
            }
            (ServerState::ExternalLookup(authzid), Credentials::External(identity)) => {
                Ok(ServerStep::Success(Success {
                    authcid: Some(identity),
                    authzid,
                    additional_data: None,
                    trace: None,
                }))
            }
            (ServerState::ScramLookup(needs), Credentials::Scram(stored)) => {
                let (next, msg) = needs.credentials(stored, &self.nonce)?;
                self.state = ServerState::ScramFinal(next);
                Ok(ServerStep::Challenge(msg))
            }
            (
                ServerState::ExternalLookup(_)
                | ServerState::ScramLookup(_)
                | ServerState::HtLookup(..),
                _,
            ) => Err(Error::CredentialsMismatch),
            _ => Err(Error::UnexpectedMessage {
                expected: "a message from the client",
            }),
        }
    }
}
