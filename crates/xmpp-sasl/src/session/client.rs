//! [`ClientSession`]: the client side of every mechanism behind one `step`.

use alloc::string::String;
use alloc::vec::Vec;
use core::mem;

use zeroize::Zeroizing;

use super::{ClientConfig, ClientStep, Success};
use crate::cb::ChannelBinding;
use crate::config::Nonce;
use crate::error::{Error, Field};
use crate::ht;
use crate::mechanism::{CbindFlag, Choice, Mechanism};
use crate::scram::{ClientBinding, ClientFinalSent, ClientFirstSent, SaltedPassword, ScramClient};
use crate::simple;

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
    choice: Choice,
    config: ClientConfig,
    nonce: Nonce,
    state: ClientState,
    salted: Option<SaltedPassword>,
}

impl core::fmt::Debug for ClientSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientSession")
            .field("choice", &self.choice)
            .finish_non_exhaustive()
    }
}

impl ClientSession {
    /// A client for the chosen mechanism and channel binding (see
    /// [`select`](crate::select)); `nonce` is used by SCRAM (fresh per
    /// exchange; see [`Nonce::random`]).
    ///
    /// Refuses a flag that does not fit the mechanism
    /// ([`Error::InvalidChoice`]: `-PLUS` and bound HT need their binding
    /// type, a mechanism without binding takes `n`, SCRAM without `-PLUS`
    /// also `y`) and a missing credential: username, password (or cached
    /// salted password), token, or the binding data of the chosen type.
    pub fn new(choice: Choice, config: ClientConfig, nonce: Nonce) -> Result<Self, Error> {
        let mechanism = choice.mechanism;
        let fits = match (mechanism, choice.cbind) {
            (Mechanism::Scram { plus: true, .. }, CbindFlag::Bind(_)) => true,
            (Mechanism::Scram { plus: false, .. }, CbindFlag::Bind(_)) => false,
            (Mechanism::Scram { plus, .. }, _) => !plus,
            (Mechanism::Ht { binding }, CbindFlag::Bind(t)) => {
                binding.channel_binding_type() == Some(t)
            }
            (Mechanism::Ht { binding }, CbindFlag::Unsupported) => {
                binding.channel_binding_type().is_none()
            }
            (_, cbind) => cbind == CbindFlag::Unsupported,
        };
        if !fits {
            return Err(Error::InvalidChoice { mechanism });
        }
        if let CbindFlag::Bind(t) = choice.cbind {
            if !config.channel_bindings.iter().any(|c| c.kind() == t) {
                return Err(Error::MissingCredential {
                    what: "channel binding",
                });
            }
        }
        match mechanism {
            Mechanism::Scram { .. } | Mechanism::Plain | Mechanism::Ht { .. }
                if config.username.is_none() =>
            {
                return Err(Error::MissingCredential { what: "username" });
            }
            Mechanism::Scram { .. } | Mechanism::Plain
                if config.password.is_none() && config.salted_password.is_none() =>
            {
                return Err(Error::MissingCredential { what: "password" });
            }
            Mechanism::Ht { .. } if config.token.is_none() => {
                return Err(Error::MissingCredential { what: "token" });
            }
            _ => {}
        }
        Ok(Self {
            choice,
            config,
            nonce,
            state: ClientState::Start,
            salted: None,
        })
    }

    /// The choice this session runs.
    pub fn choice(&self) -> Choice {
        self.choice
    }

    /// The mechanism.
    pub fn mechanism(&self) -> Mechanism {
        self.choice.mechanism
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
            fast_slot: None,
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
                        Some(sp.hash()) == self.choice.mechanism.scram_hash()
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
        match self.choice.mechanism {
            Mechanism::Plain => {
                let username = c.username.as_deref().unwrap_or_default();
                let password = c
                    .password
                    .as_deref()
                    .map(String::as_str)
                    .unwrap_or_default();
                let authcid = c.prep.prepare(username, Field::Authcid)?;
                let pw = Zeroizing::new(c.prep.prepare(password, Field::Password)?.into_owned());
                let authzid = c.prep.prepare_authzid(c.authzid.clone())?;
                let msg = simple::plain_encode(authzid.as_deref(), &authcid, &pw)?;
                Ok(ClientStep::Done {
                    send: Some(msg),
                    success: self.success(None),
                })
            }
            Mechanism::External => {
                let authzid = c.prep.prepare_authzid(c.authzid.clone())?;
                let authzid = authzid.as_deref().unwrap_or_default();
                if authzid.contains('\0') {
                    return Err(Error::InvalidAuthzid);
                }
                let mut success = self.success(None);
                success.authcid = None;
                Ok(ClientStep::Done {
                    send: Some(Zeroizing::new(authzid.as_bytes().to_vec())),
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
                    fast_slot: None,
                };
                Ok(ClientStep::Done {
                    send: Some(Zeroizing::new(trace.as_bytes().to_vec())),
                    success,
                })
            }
            Mechanism::Scram { hash, plus } => {
                let binding = match (self.choice.cbind, self.cb_data()) {
                    (CbindFlag::Bind(_), Some(cb)) if plus => ClientBinding::Bind(cb.clone()),
                    (CbindFlag::NotOffered, _) => ClientBinding::NotOffered,
                    _ => ClientBinding::Unsupported,
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
                Ok(ClientStep::Send(Zeroizing::new(msg)))
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

    /// The binding data of the chosen type, if the choice binds.
    fn cb_data(&self) -> Option<&ChannelBinding> {
        match self.choice.cbind {
            CbindFlag::Bind(t) => self.config.channel_bindings.iter().find(|c| c.kind() == t),
            _ => None,
        }
    }

    /// The channel-binding data an HT mechanism signs (empty for `-NONE`).
    fn ht_cb_data(&self) -> &[u8] {
        self.cb_data().map(ChannelBinding::data).unwrap_or_default()
    }
}
