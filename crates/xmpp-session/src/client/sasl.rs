//! Authentication from the initiating side: RFC 6120 §6 SASL (restart
//! after `<success/>`) and XEP-0388 SASL2 (no restart) with what it carries
//! inline: XEP-0198 resumption, XEP-0386 Bind2 with stream management
//! enabled in it, and XEP-0484 FAST tokens (used, asked for, rotated).

#[allow(
    clippy::wildcard_imports,
    reason = "the parent module's imports and helpers"
)]
use super::*;

use xmpp_sasl::Choice;
use zeroize::Zeroizing;

use crate::config::FastToken;
use xmpp_stanza::{
    BIND2_NS, Bind2, Bound, FAST_NS, FastOffer, FastUse, Node, RequestToken, SASL_NS, SASL2_NS,
    SM_NS, Sasl2, Sasl2Authentication, Token,
};

/// What a SASL2 `<authenticate/>` asked for, to read `<success/>` by.
#[derive(Debug)]
pub(crate) struct Asked2 {
    /// The token mechanism asked for with `<request-token/>`.
    token_for: Option<Mechanism>,
    /// The exchange runs on a FAST token (a failure falls back to the
    /// password).
    with_token: bool,
    /// The `<authentication/>` feature and the features element, to start
    /// again with the password.
    offer: Sasl2Authentication,
    features: Element,
    /// XEP-0198 `<enable/>` went inside Bind2's `<bind/>`: only then is an
    /// `<enabled/>` in `<bound/>` taken.
    sm_inline: bool,
}

/// A mechanism chosen and its session started.
struct Started {
    session: ClientSession,
    choice: Choice,
    initial: Zeroizing<Vec<u8>>,
    done: bool,
}

impl Client {
    /// Chooses among `offered` (with a FAST `token` among its mechanisms,
    /// when given) and runs the first step.
    fn begin(
        &mut self,
        offered: &[&str],
        features: &Element,
        token: Option<&FastToken>,
    ) -> Result<Started, Error> {
        let server_cb = advertised_bindings(features);
        let server_cb_types: Option<Vec<ChannelBindingType>> = server_cb.as_ref().map(|names| {
            names
                .iter()
                .filter_map(|n| ChannelBindingType::from_name(n))
                .collect()
        });
        let mut sasl = xmpp_sasl::ClientConfig::new();
        if let Some(local) = self.config.jid.localpart() {
            sasl = sasl.username(local);
        }
        match token {
            Some(t) => sasl = sasl.token(t.token.as_str()),
            None => sasl = sasl.password(self.config.password.as_str()),
        }
        // Every binding the TLS layer gave; the choice picks one.
        for b in self.tls.iter().flat_map(TlsInfo::usable_bindings) {
            sasl = sasl.channel_binding(b.clone());
        }
        let types = sasl.channel_binding_types();
        let only_token = token.map(|t| [t.mechanism]);
        let mut caps = Capabilities::default();
        caps.password = token.is_none() && !self.config.password.is_empty();
        caps.token = token.is_some();
        caps.allow_plain = !self.config.refuse_plain
            && (self.tls.is_some() || self.config.allow_plain_unencrypted);
        caps.channel_bindings = &types;
        caps.server_channel_bindings = server_cb_types.as_deref();
        caps.tls_version = self.tls.as_ref().map(|t| t.version);
        // After a refused guess, the mechanisms without channel binding
        // but never PLAIN: the retry exists for SCRAM with gs2 `y`, which
        // a binding server refuses, while PLAIN would hand the password
        // to whoever made the binding fail.
        let unbound: Vec<Mechanism> = if self.plus_refused {
            let base: Vec<Mechanism> = if self.config.mechanisms.is_empty() {
                Mechanism::all().collect()
            } else {
                self.config.mechanisms.clone()
            };
            base.into_iter()
                .filter(|m| !m.uses_channel_binding() && *m != Mechanism::Plain)
                .collect()
        } else {
            Vec::new()
        };
        caps.allowed = match &only_token {
            // XEP-0484 §3.4: a token only with the mechanism it was
            // issued for.
            Some(m) => Some(&m[..]),
            None if self.plus_refused => Some(&unbound[..]),
            None => (!self.config.mechanisms.is_empty()).then_some(&self.config.mechanisms[..]),
        };
        let mut choice = select(offered.iter().copied(), &caps).ok_or(Error::NoMechanism)?;
        let can_bind = types.iter().any(|t| t.allowed_on(caps.tls_version));
        if self.plus_refused
            && can_bind
            && matches!(choice.mechanism, Mechanism::Scram { plus: false, .. })
        {
            // RFC 5802 §6: `y`, "the client supports channel binding but
            // thinks the server does not". A server that does support it
            // (and so refused our binding for another reason, or saw a
            // man in the middle's channel) refuses `y` too, so the retry
            // gives a downgrade nothing.
            choice.cbind = CbindFlag::NotOffered;
        }
        self.guessed_binding = token.is_none()
            && server_cb_types.is_none()
            && matches!(choice.mechanism, Mechanism::Scram { plus: true, .. });
        sasl = sasl.ssdp(Ssdp::new(offered.iter().copied(), server_cb));
        let nonce = Nonce::new(self.rng.token(18)).map_err(Error::Sasl)?;
        let mut session = ClientSession::new(choice, sasl, nonce).map_err(Error::Sasl)?;
        let (initial, done) = match session.step(b"").map_err(Error::Sasl)? {
            ClientStep::Send(bytes) => (bytes, false),
            ClientStep::Done { send, .. } => (send.unwrap_or_default(), true),
        };
        Ok(Started {
            session,
            choice,
            initial,
            done,
        })
    }

    /// RFC 6120 §6.4.2: `<auth/>` with the initial response.
    pub(super) fn start_sasl(&mut self, f: &StreamFeatures, e: &Element) -> Result<(), Error> {
        let offered: Vec<&str> = f.mechanisms.iter().flatten().map(String::as_str).collect();
        let started = self.begin(&offered, e, None)?;
        self.retry_features = self.guessed_binding.then(|| Box::new(e.clone()));
        let mut auth = secret_element("auth", SASL_NS, &started.initial)
            .with_attr("mechanism", started.choice.mechanism.name());
        self.wire.send_secret(&mut auth);
        self.phase = Phase::Sasl {
            session: Box::new(started.session),
            done: started.done,
            channel_binding: bound_type(started.choice),
            v2: None,
        };
        Ok(())
    }

    /// XEP-0388 §2.1: `<authenticate/>` with the initial response, the user
    /// agent and the inline requests the server offers.
    pub(super) fn start_sasl2(
        &mut self,
        offer: &Sasl2Authentication,
        features: &Element,
    ) -> Result<(), Error> {
        let inline = offer.inline.as_deref().unwrap_or_default();
        let find = |name: &str, ns: &str| inline.iter().find(|e| e.is(name, ns));
        let fast = find("fast", FAST_NS).and_then(|e| FastOffer::from_element(e).ok());
        let bind2 = find("bind", BIND2_NS).and_then(|e| Bind2::from_element(e).ok());
        let inline_sm = find("sm", SM_NS).is_some();

        // XEP-0484 §4.1: FAST only from a client that names its
        // installation (the user agent's `id`, which the server keeps the
        // tokens under); without one, neither a token use nor a request.
        let fast = fast.filter(|_| {
            self.config
                .user_agent
                .as_ref()
                .is_some_and(|u| u.id.is_some())
        });
        // A token the server can take, else the password.
        let token = self.config.fast_token.clone().filter(|t| {
            fast.as_ref()
                .is_some_and(|f| f.mechanisms.iter().any(|m| m == t.mechanism.name()))
        });
        let started = match &token {
            Some(t) => {
                let names: Vec<&str> = fast
                    .iter()
                    .flat_map(|f| f.mechanisms.iter().map(String::as_str))
                    .collect();
                self.begin(&names, features, Some(t))?
            }
            None => {
                let names: Vec<&str> = offer.mechanisms.iter().map(String::as_str).collect();
                self.begin(&names, features, None)?
            }
        };

        let mut requests = Vec::new();
        if let Some(state) = self.config.resume.clone().filter(|_| inline_sm) {
            self.config.resume = None;
            self.sm = Some(state.to_sm());
            self.sm_counting = true;
            self.jid = FullJid::new(state.jid()).ok();
            let resume = Sm::Resume {
                h: state.handled(),
                previd: state.id().to_string(),
            };
            requests.push(resume.to_element());
        }
        let mut sm_asked = false;
        if let Some(offered) = &bind2 {
            let mut bind = Bind2::default();
            bind.tag = self.config.resource.clone();
            let sm_inline = offered.inline_features.iter().flatten().any(|f| f == SM_NS);
            if self.config.sm.enabled && sm_inline {
                sm_asked = true;
                let enable = Sm::Enable {
                    resume: self.config.sm.resume,
                    max: self.config.sm.max_resumption,
                };
                bind.requests.push(enable.to_element());
            }
            requests.push(bind.to_element());
        }
        let mut token_for = None;
        match &token {
            Some(t) => {
                let mut used = FastUse::default();
                used.count = Some(t.count);
                requests.push(used.to_element());
            }
            None if self.config.request_fast_token => {
                if let Some(m) = fast.as_ref().and_then(|f| self.token_mechanism(f)) {
                    requests.push(RequestToken::new(m.name()).to_element());
                    token_for = Some(m);
                }
            }
            None => {}
        }
        let mut authenticate = Sasl2::Authenticate {
            mechanism: started.choice.mechanism.name().into(),
            initial_response: None,
            user_agent: self.config.user_agent.clone(),
            inline: requests,
        }
        .to_element();
        // XEP-0388 §2.3's order: the initial response first.
        let initial = secret_element("initial-response", SASL2_NS, &started.initial);
        authenticate.nodes_mut().insert(0, Node::Element(initial));
        self.wire.send_secret(&mut authenticate);
        self.phase = Phase::Sasl {
            session: Box::new(started.session),
            done: started.done,
            channel_binding: bound_type(started.choice),
            v2: Some(Box::new(Asked2 {
                token_for,
                with_token: token.is_some(),
                offer: offer.clone(),
                features: features.clone(),
                sm_inline: sm_asked,
            })),
        };
        Ok(())
    }

    /// The strongest token mechanism of the offer this connection can use
    /// later: bound to a channel type the TLS layer gives, else unbound.
    fn token_mechanism(&self, fast: &FastOffer) -> Option<Mechanism> {
        let types: Vec<ChannelBindingType> = self
            .tls
            .iter()
            .flat_map(TlsInfo::usable_bindings)
            .map(|b| b.kind())
            .collect();
        let mut caps = Capabilities::default();
        caps.token = true;
        caps.channel_bindings = &types;
        caps.tls_version = self.tls.as_ref().map(|t| t.version);
        select(fast.mechanisms.iter().map(String::as_str), &caps).map(|c| c.mechanism)
    }

    /// A challenge, success or failure of either profile.
    pub(super) fn on_sasl(
        &mut self,
        e: &Element,
        mut session: Box<ClientSession>,
        mut done: bool,
        channel_binding: Option<ChannelBindingType>,
        v2: Option<Box<Asked2>>,
    ) -> Result<(), Error> {
        let unreadable =
            |_| Error::protocol(StreamCondition::InvalidXml, "an unreadable SASL nonza");
        let outcome = if v2.is_some() {
            match Sasl2::from_element(e).map_err(unreadable)? {
                Some(Sasl2::Challenge(data)) => Outcome::Challenge(data),
                Some(Sasl2::Success {
                    additional_data,
                    authorization_identifier,
                    extensions,
                }) => Outcome::Success2(additional_data, authorization_identifier, extensions),
                Some(Sasl2::Failure {
                    condition, text, ..
                }) => Outcome::Failure(condition, text),
                // XEP-0388 §2.5 tasks (second factors) are not supported.
                Some(Sasl2::Continue { .. }) => {
                    self.wire.send_element(&Sasl2::Abort(None).to_element());
                    Outcome::Failure(SaslCondition::Aborted, Some("tasks not supported".into()))
                }
                _ => return Err(unexpected()),
            }
        } else {
            match Sasl::from_element(e).map_err(unreadable)? {
                Some(Sasl::Challenge(data)) => Outcome::Challenge(data.unwrap_or_default()),
                Some(Sasl::Success(data)) => Outcome::Success(data),
                Some(Sasl::Failure { condition, text }) => {
                    Outcome::Failure(condition, text.map(|(_, t)| t))
                }
                _ => return Err(unexpected()),
            }
        };
        match outcome {
            Outcome::Challenge(data) => {
                let send = match session.step(&data).map_err(Error::Sasl)? {
                    ClientStep::Send(bytes) => bytes,
                    ClientStep::Done { send, .. } => {
                        done = true;
                        send.unwrap_or_default()
                    }
                };
                let ns = if v2.is_some() { SASL2_NS } else { SASL_NS };
                self.wire
                    .send_secret(&mut secret_element("response", ns, &send));
                self.phase = Phase::Sasl {
                    session,
                    done,
                    channel_binding,
                    v2,
                };
                Ok(())
            }
            Outcome::Success(data) => {
                finish_exchange(&mut session, done, data)?;
                self.authenticated(&session, channel_binding);
                // RFC 6120 §6.4.6: restart the stream.
                self.wire.restart();
                self.send_header();
                self.phase = Phase::AwaitHeader;
                Ok(())
            }
            Outcome::Success2(data, identity, extensions) => {
                finish_exchange(&mut session, done, data)?;
                self.authenticated(&session, channel_binding);
                let asked = v2.ok_or_else(unexpected)?;
                self.on_success2(&asked, &identity, &extensions)
            }
            Outcome::Failure(condition, text) => {
                if let Some(asked) = v2.as_ref().filter(|a| a.with_token) {
                    // XEP-0484: a refused token; the password may still do.
                    self.events.push_back(ClientEvent::TokenRejected);
                    self.config.fast_token = None;
                    if !self.config.password.is_empty() {
                        return self.start_sasl2(&asked.offer, &asked.features);
                    }
                }
                if self.guessed_binding && !self.plus_refused && self.config.fallback_unbound {
                    // The server listed no binding types and refused the
                    // one the TLS version implies (ejabberd 23.01 takes
                    // only tls-unique, even on TLS 1.3): once more,
                    // without -PLUS, on the same stream (RFC 6120 §6.4.5).
                    // A policy that allows only -PLUS has nothing to retry
                    // with: the server's refusal stands.
                    self.plus_refused = true;
                    self.guessed_binding = false;
                    let retried = match (&v2, self.retry_features.take()) {
                        (Some(asked), _) => Some(self.start_sasl2(&asked.offer, &asked.features)),
                        (None, Some(e)) => StreamFeatures::from_element(&e)
                            .ok()
                            .map(|f| self.start_sasl(&f, &e)),
                        (None, None) => None,
                    };
                    match retried {
                        None | Some(Err(Error::NoMechanism)) => {}
                        Some(result) => return result,
                    }
                }
                self.wire.send_close();
                self.phase = Phase::Closing;
                Err(Error::AuthFailed { condition, text })
            }
        }
    }

    fn authenticated(
        &mut self,
        session: &ClientSession,
        channel_binding: Option<ChannelBindingType>,
    ) {
        self.authenticated = true;
        self.events.push_back(ClientEvent::Authenticated {
            mechanism: session.mechanism(),
            channel_binding,
        });
    }

    /// XEP-0388 §2.6 success: the inline results, then the features of
    /// the authenticated stream (no restart).
    fn on_success2(
        &mut self,
        asked: &Asked2,
        identity: &Jid,
        extensions: &[Element],
    ) -> Result<(), Error> {
        let mut resumed = false;
        for ext in extensions {
            match (ext.ns(), ext.name()) {
                (SM_NS, "resumed") => {
                    if let Ok(Some(Sm::Resumed { h, .. })) = Sm::from_element(ext) {
                        let jid = self.jid.clone().ok_or(Error::protocol(
                            StreamCondition::UndefinedCondition,
                            "resumed a session without a JID",
                        ))?;
                        let acked = self.apply_ack(h)?;
                        let resent = self.resend();
                        if !acked.is_empty() {
                            self.events.push_back(ClientEvent::Acked(acked));
                        }
                        self.clock.negotiated();
                        self.events.push_back(ClientEvent::Resumed { jid, resent });
                        resumed = true;
                    }
                }
                (SM_NS, "failed") => {
                    let (h, condition) = match Sm::from_element(ext) {
                        Ok(Some(Sm::Failed { h, condition })) => (h, condition),
                        _ => (None, None),
                    };
                    self.resume_failed(h, condition);
                    self.jid = None;
                    self.sm_counting = false;
                }
                (BIND2_NS, "bound") => {
                    let jid = FullJid::new(identity.as_str()).map_err(|_| {
                        Error::protocol(
                            StreamCondition::InvalidXml,
                            "a bound stream whose identity is not a full JID",
                        )
                    })?;
                    self.check_bound(&jid)?;
                    self.jid = Some(jid.clone());
                    self.clock.negotiated();
                    self.events.push_back(ClientEvent::Bound { jid });
                    let results = Bound::from_element(ext)
                        .map(|b| b.results)
                        .unwrap_or_default();
                    for r in results {
                        if let Ok(Some(sm)) = Sm::from_element(&r) {
                            // XEP-0198 §4: our counts start with <enable/>
                            // sent and <enabled/> received, both done. An
                            // <enabled/> never asked for is ignored.
                            if matches!(sm, Sm::Enabled { .. }) {
                                if !asked.sm_inline {
                                    continue;
                                }
                                self.sm = Some(SmState::new());
                            }
                            self.on_sm(sm)?;
                        }
                    }
                }
                (FAST_NS, "token") => {
                    if let Ok(token) = Token::from_element(ext) {
                        let mechanism = asked.token_for.or(self
                            .config
                            .fast_token
                            .as_ref()
                            .map(|t| t.mechanism));
                        if let Some(mechanism) = mechanism {
                            self.events.push_back(ClientEvent::TokenIssued {
                                mechanism,
                                token: Zeroizing::new(token.token),
                                expiry: token.expiry,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        self.phase = if resumed || self.jid.is_some() {
            // The features that follow are read and ignored in Ready.
            Phase::Ready
        } else {
            Phase::AwaitFeatures
        };
        Ok(())
    }
}

/// What the server said, in either profile.
enum Outcome {
    Challenge(Vec<u8>),
    Success(Option<Vec<u8>>),
    Success2(Option<Vec<u8>>, Jid, Vec<Element>),
    Failure(SaslCondition, Option<String>),
}

/// Checks the server's last word (SCRAM's `v=` rides on success).
fn finish_exchange(
    session: &mut ClientSession,
    done: bool,
    data: Option<Vec<u8>>,
) -> Result<(), Error> {
    if done {
        return Ok(());
    }
    match session
        .step(&data.unwrap_or_default())
        .map_err(Error::Sasl)?
    {
        ClientStep::Done { .. } => Ok(()),
        ClientStep::Send(_) => Err(Error::AuthFailed {
            condition: SaslCondition::MalformedRequest,
            text: Some("success before the exchange ended".into()),
        }),
    }
}

/// The binding type a choice uses.
fn bound_type(choice: Choice) -> Option<ChannelBindingType> {
    match choice.cbind {
        CbindFlag::Bind(t) => Some(t),
        _ => None,
    }
}

/// `<name xmlns=ns>` with `data` in base64; empty data is `=` in RFC
/// 6120 (§6.4.2) and an empty element in SASL2 (XEP-0388 §2.2). The
/// base64 is encoded into a buffer wiped on drop, and
/// [`Wire::send_secret`] wipes the element once serialized. A text of 24
/// bytes or less lives inline in the element and is moved by value (the
/// stack copies that leaves are not wiped); SASL messages with a secret
/// are longer.
fn secret_element(name: &str, ns: &str, data: &[u8]) -> Element {
    use base64::Engine as _;
    let e = Element::new(name, ns);
    if data.is_empty() {
        return if ns == SASL_NS { e.with_text("=") } else { e };
    }
    let mut text = Zeroizing::new(alloc::vec![0u8; data.len().div_ceil(3) * 4]);
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(data, &mut text)
        .unwrap_or_default();
    e.with_text(core::str::from_utf8(text.get(..written).unwrap_or_default()).unwrap_or_default())
}
