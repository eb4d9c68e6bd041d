//! [`ServerSession`]: the server side of every mechanism behind one `step`.

use alloc::string::String;
use alloc::vec::Vec;
use core::mem;

use zeroize::Zeroizing;

use super::{Credentials, CredentialsRequest, FastSlot, ServerConfig, ServerStep, Success};
use crate::cb::ChannelBinding;
use crate::config::Nonce;
use crate::error::{Condition, Error, Field, Message};
use crate::ht;
use crate::mechanism::{Hash, Mechanism};
use crate::prep::Prep;
use crate::scram::{NeedsCredentials, ScramServer, ServerFirstSent, StoredCredentials};
use crate::simple;

enum ServerState {
    Start,
    PlainLookup(simple::PlainMessage, String),
    /// The initiator message (proof of the token), zeroized on drop.
    HtLookup(Zeroizing<Vec<u8>>, String),
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
    /// nonce for SCRAM (fresh per exchange, at least
    /// [`Limits::min_nonce_len`](crate::Limits) characters).
    ///
    /// Only a mechanism the configuration advertises on this connection
    /// ([`ServerConfig::advertised_mechanisms`] or
    /// [`ServerConfig::fast_mechanisms`]) is accepted: PLAIN on an
    /// unencrypted stream is `encryption-required`, anything else
    /// `invalid-mechanism`.
    pub fn new(mechanism: Mechanism, config: ServerConfig, nonce: Nonce) -> Result<Self, Error> {
        if mechanism == Mechanism::Plain
            && config.mechanisms.contains(&mechanism)
            && !config.encrypted
            && !config.allow_plain_unencrypted
        {
            return Err(Error::EncryptionRequired);
        }
        if !config.advertised_mechanisms().contains(&mechanism)
            && !config.fast_mechanisms().contains(&mechanism)
        {
            return Err(Error::UnsupportedMechanism);
        }
        if let Mechanism::Scram { .. } = mechanism {
            crate::scram::server::check_server_nonce(&nonce, &config.limits)?;
        }
        Ok(Self {
            mechanism,
            config,
            nonce,
            state: ServerState::Start,
        })
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
                    let mut m = simple::plain_decode(input, limits.max_message_len)?;
                    let authcid = self
                        .config
                        .prep
                        .prepare(&m.authcid, Field::Authcid)?
                        .into_owned();
                    m.authzid = self.config.prep.prepare_authzid(m.authzid)?;
                    let step = self.request(Some(&authcid), m.authzid.as_deref());
                    self.state = ServerState::PlainLookup(m, authcid);
                    Ok(step)
                }
                Mechanism::External => {
                    let authzid = simple::external_decode(input, limits.max_message_len)?;
                    let authzid = self.config.prep.prepare_authzid(authzid)?;
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
                        fast_slot: None,
                    }))
                }
                Mechanism::Scram { hash, plus } => {
                    let server = ScramServer {
                        hash,
                        plus,
                        channel_bindings: self.config.channel_bindings.clone(),
                        prep: self.config.prep,
                        limits,
                        ssdp: self
                            .config
                            .ssdp
                            .map(|form| (self.config.ssdp_lists(), form)),
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
                    self.state = ServerState::HtLookup(Zeroizing::new(input.to_vec()), authcid);
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
                    fast_slot: None,
                }))
            }
        }
    }

    fn resume(
        &mut self,
        state: ServerState,
        credentials: Credentials,
    ) -> Result<ServerStep, Error> {
        if let Credentials::Refuse(refusal) = credentials {
            return match state {
                ServerState::Failed(e) => Err(e),
                _ => Err(Error::Refused {
                    condition: refusal.condition(),
                }),
            };
        }
        let secret = &self.config.secret;
        match (state, credentials) {
            (ServerState::Failed(e), _) => Err(e),
            (ServerState::PlainLookup(m, authcid), creds) => {
                let prep = self.config.prep;
                let sent = Zeroizing::new(prep.prepare(&m.password, Field::Password)?.into_owned());
                let ok = match creds {
                    Credentials::Password(pw) => {
                        let stored =
                            Zeroizing::new(prep.prepare(&pw, Field::Password)?.into_owned());
                        // Digests of equal length: comparing the passwords
                        // themselves would leak the stored one's length.
                        Hash::Sha256
                            .digest(sent.as_bytes())
                            .ct_eq(Hash::Sha256.digest(stored.as_bytes()).as_bytes())
                    }
                    Credentials::Scram(stored) => plain_matches(&sent, &stored)?,
                    // The same PBKDF2 run as a known user's, then a refusal.
                    Credentials::UnknownUser => {
                        let mock = StoredCredentials::mock(secret.hash(), secret, &authcid);
                        let _ = core::hint::black_box(plain_matches(&sent, &mock)?);
                        false
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
                    fast_slot: None,
                }))
            }
            (
                ServerState::HtLookup(msg, authcid),
                creds @ (Credentials::Token(_)
                | Credentials::FastToken { .. }
                | Credentials::UnknownUser),
            ) => {
                // The tokens to try, `new` slot first (XEP-0484 §5.1). A
                // made-up token stands in for an empty slot, so the work is
                // two HMACs whatever the answer (an unknown user fails as a
                // wrong token does).
                let mock = secret.derive(b"mock token", Hash::Sha256, &authcid);
                let (first, second) = match &creds {
                    Credentials::Token(token) => (Some(token), None),
                    Credentials::FastToken { new, current, .. } => (
                        new.as_ref().map(|s| &s.token),
                        current.as_ref().map(|s| &s.token),
                    ),
                    _ => (None, None),
                };
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
                // The proof first, so that every refusal below costs the
                // same HMAC work and only the token's holder sees one.
                let try_token = |t: Option<&Zeroizing<String>>| {
                    let token = t.map_or(mock.as_bytes(), |t| t.as_bytes());
                    parsed.verify(version, token, cb_data)
                };
                let (on_first, on_second) = (try_token(first), try_token(second));
                let (slot, reply) = match (on_first, on_second) {
                    (Ok(reply), _) if first.is_some() => (FastSlot::New, reply),
                    (_, Ok(reply)) if second.is_some() => (FastSlot::Current, reply),
                    _ => return Err(Error::InvalidProof),
                };
                let mut fast_slot = None;
                if let Credentials::FastToken {
                    current,
                    new,
                    count,
                    now,
                } = &creds
                {
                    let matched = match slot {
                        FastSlot::New => new.as_ref(),
                        FastSlot::Current => current.as_ref(),
                    };
                    let (processed, expiry) =
                        matched.map_or((None, None), |s| (s.processed, s.expiry));
                    // XEP-0484 §3.4: a count at or below one processed is a
                    // replay; §4.2: an expired token is `credentials-expired`.
                    if count.is_none_or(|c| processed.is_some_and(|p| c <= p)) {
                        return Err(Error::Replay {
                            count: *count,
                            processed,
                        });
                    }
                    if let Some(expiry) = expiry.filter(|&e| *now >= e) {
                        return Err(Error::TokenExpired { expiry, now: *now });
                    }
                    fast_slot = Some(slot);
                }
                Ok(ServerStep::Success(Success {
                    authcid: Some(authcid),
                    authzid: None,
                    additional_data: Some(reply),
                    trace: None,
                    fast_slot,
                }))
            }
            (ServerState::ExternalLookup(_), Credentials::UnknownUser) => Err(Error::Refused {
                condition: Condition::NotAuthorized,
            }),
            (ServerState::ExternalLookup(authzid), Credentials::External(identity)) => {
                Ok(ServerStep::Success(Success {
                    authcid: Some(identity),
                    authzid,
                    additional_data: None,
                    trace: None,
                    fast_slot: None,
                }))
            }
            (ServerState::ScramLookup(needs), Credentials::UnknownUser) => {
                let stored = StoredCredentials::mock(needs.hash(), secret, needs.authcid());
                let (next, msg) = needs.credentials(stored, &self.nonce)?;
                self.state = ServerState::ScramFinal(next);
                Ok(ServerStep::Challenge(msg))
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

/// PLAIN against stored SCRAM credentials: PBKDF2 over the sent password
/// with the stored salt and count, then the StoredKeys compared in constant
/// time.
fn plain_matches(sent: &str, stored: &StoredCredentials) -> Result<bool, Error> {
    let mine = StoredCredentials::from_password(
        stored.hash(),
        Prep::None,
        sent,
        stored.salt(),
        stored.iterations(),
    )?;
    Ok(bool::from(subtle::ConstantTimeEq::ct_eq(
        mine.stored_key(),
        stored.stored_key(),
    )))
}
