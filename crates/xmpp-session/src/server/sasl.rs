//! Authentication from the receiving side: RFC 6120 §6 SASL (a stream
//! restart after `<success/>`) and XEP-0388 SASL2 (no restart), with what
//! SASL2 carries inline: XEP-0198 resumption, XEP-0386 Bind2 (with
//! stream management enabled in it) and XEP-0484 FAST tokens.
//!
//! After a SASL2 exchange succeeds the machine settles the inline requests
//! one by one, each a decision of the application (resume, bind, token),
//! and sends `<success/>` with their results only then (XEP-0386 §4.2:
//! binding happens before success is sent).

#[allow(
    clippy::wildcard_imports,
    reason = "the parent module's imports and helpers"
)]
use super::*;

use xmpp_sasl::FastSlot;
use xmpp_stanza::{
    BIND2_NS, Bind2, FAST_NS, FastUse, RequestToken, SM_NS, Sasl2, Token, UserAgent,
};

/// What a SASL2 `<authenticate/>` asked for inline, and the results so far.
#[derive(Debug, Default)]
pub(super) struct Pending2 {
    /// XEP-0198 `<resume/>`: previd and h.
    resume: Option<(String, u32)>,
    /// XEP-0386 `<bind/>`.
    bind2: Option<Bind2>,
    /// XEP-0484 `<fast/>`: the client authenticates with a token.
    pub(super) fast: Option<FastUse>,
    /// XEP-0484 `<request-token/>` (or a rotation the application asked
    /// for).
    pub(super) request_token: Option<Mechanism>,
    /// XEP-0388 `<user-agent/>`: which client installation this is.
    user_agent: Option<UserAgent>,
    /// The mechanism's success data.
    pub(super) additional_data: Option<Vec<u8>>,
    /// The results to send in `<success/>`, in order.
    pub(super) extensions: Vec<Element>,
    /// The session was resumed: its queue is sent again after success.
    pub(super) resumed: bool,
    /// Bind2 asked for stream management (`<enable/>` inside `<bind/>`).
    pub(super) enable_sm: Option<(bool, Option<u32>)>,
}

impl Server {
    /// `<auth/>` (RFC 6120 §6.4.2).
    pub(super) fn start_sasl(&mut self, name: &str, initial: Option<Vec<u8>>) -> Result<(), Error> {
        self.begin(name, initial, None)
    }

    /// `<authenticate/>` (XEP-0388 §2.1) with its inline requests.
    pub(super) fn start_sasl2(
        &mut self,
        name: &str,
        initial: Option<Vec<u8>>,
        inline: &[Element],
        user_agent: Option<UserAgent>,
    ) -> Result<(), Error> {
        let mut pending = Pending2 {
            user_agent,
            ..Pending2::default()
        };
        for e in inline {
            match (e.ns(), e.name()) {
                (SM_NS, "resume") => {
                    if let Ok(Some(Sm::Resume { h, previd })) = Sm::from_element(e) {
                        pending.resume = Some((previd, h));
                    }
                }
                (BIND2_NS, "bind") => pending.bind2 = Bind2::from_element(e).ok(),
                (FAST_NS, "fast") => pending.fast = FastUse::from_element(e).ok(),
                (FAST_NS, "request-token") => {
                    let fast = self.sasl_config().fast_mechanisms();
                    pending.request_token = RequestToken::from_element(e)
                        .ok()
                        .and_then(|r| fast.into_iter().find(|m| m.name() == r.mechanism));
                }
                // Requests this server does not know are ignored
                // (XEP-0388 §2.1: inline features are offered first).
                _ => {}
            }
        }
        self.begin(name, initial, Some(Box::new(pending)))
    }

    fn begin(
        &mut self,
        name: &str,
        initial: Option<Vec<u8>>,
        v2: Option<Box<Pending2>>,
    ) -> Result<(), Error> {
        // A token is used only with the FAST mechanisms, and they only
        // with a token (XEP-0484 §3.4).
        let with_token = v2.as_ref().is_some_and(|p| p.fast.is_some());
        let usable = if with_token {
            self.sasl_config().fast_mechanisms()
        } else {
            self.offered.clone()
        };
        let Some(mechanism) = usable.iter().copied().find(|m| m.name() == name) else {
            let condition = self.refusal(name, with_token, &usable);
            return self.auth_failed(v2.is_some(), condition);
        };
        let nonce = Nonce::new(self.rng.token(18)).map_err(Error::Sasl)?;
        let mut session = match ServerSession::new(mechanism, self.sasl_config(), nonce) {
            Ok(s) => Box::new(s),
            Err(e) => {
                self.send_sasl_failure(v2.is_some(), sasl_condition(e.condition()));
                return Ok(());
            }
        };
        match initial {
            // RFC 6120 §6.4.2 (and XEP-0388 §2.1): no initial response, an
            // empty challenge.
            None => {
                self.send_challenge(v2.is_some(), Vec::new());
                self.phase = Phase::Sasl {
                    session,
                    credentials: false,
                    v2,
                };
                Ok(())
            }
            Some(data) => {
                let step = session.step(&data);
                self.on_sasl_step(session, v2, step)
            }
        }
    }

    /// Why a mechanism that is not usable here is refused (RFC 6120 §6.5):
    ///
    /// - `encryption-required` (§6.5.3) for one this server is configured
    ///   with but offers only under TLS: PLAIN (§13.8.3) and the `-PLUS`
    ///   mechanisms, before TLS;
    /// - `mechanism-too-weak` (§6.5.9) for a password mechanism the policy
    ///   leaves out and that ranks below every password mechanism offered
    ///   (PLAIN, or SCRAM-SHA-1 when only stronger hashes are configured;
    ///   [`Mechanism::all`] is the order): the policy is the configured list,
    ///   the same for every account, so the answer tells nothing about
    ///   the account;
    /// - `invalid-mechanism` (§6.5.5) for anything else.
    fn refusal(&self, name: &str, with_token: bool, usable: &[Mechanism]) -> SaslCondition {
        let Some(asked) = Mechanism::from_name(name) else {
            return SaslCondition::InvalidMechanism;
        };
        let configured = self.config.mechanisms.contains(&asked);
        if !with_token
            && configured
            && self.tls.is_none()
            && (asked.is_plaintext() || asked.uses_channel_binding())
        {
            return SaslCondition::EncryptionRequired;
        }
        let password = |m: Mechanism| m.is_plaintext() || m.scram_hash().is_some();
        // `Mechanism::all` is strongest first.
        let rank = |m: Mechanism| Mechanism::all().position(|x| x == m).unwrap_or(usize::MAX);
        let mut offered = usable.iter().copied().filter(|&m| password(m)).peekable();
        let below_all = offered.peek().is_some() && offered.all(|m| rank(m) < rank(asked));
        if !with_token && !configured && password(asked) && below_all {
            return SaslCondition::MechanismTooWeak;
        }
        SaslCondition::InvalidMechanism
    }

    fn send_challenge(&mut self, v2: bool, data: Vec<u8>) {
        let e = if v2 {
            Sasl2::Challenge(data).to_element()
        } else {
            Sasl::Challenge((!data.is_empty()).then_some(data)).to_element()
        };
        self.wire.send_element(&e);
    }

    /// A response, an abort or something else during an exchange.
    pub(super) fn on_sasl(
        &mut self,
        e: &Element,
        mut session: Box<ServerSession>,
        v2: Option<Box<Pending2>>,
    ) -> Result<(), Error> {
        let response = if v2.is_some() {
            match Sasl2::from_element(e) {
                Ok(Some(Sasl2::Response(data))) => Ok(Some(data)),
                Ok(Some(Sasl2::Abort(_))) => Ok(None),
                Err(_) => Err(()),
                _ => return Err(not_sasl()),
            }
        } else {
            match Sasl::from_element(e) {
                Ok(Some(Sasl::Response(data))) => Ok(Some(data.unwrap_or_default())),
                Ok(Some(Sasl::Abort)) => Ok(None),
                Err(_) => Err(()),
                _ => return Err(not_sasl()),
            }
        };
        match response {
            Ok(Some(data)) => {
                let step = session.step(&data);
                self.on_sasl_step(session, v2, step)
            }
            Ok(None) => self.auth_failed(v2.is_some(), SaslCondition::Aborted),
            // RFC 6120 §6.4.5: bad base64 is `incorrect-encoding`.
            Err(()) => self.auth_failed(v2.is_some(), SaslCondition::IncorrectEncoding),
        }
    }

    pub(super) fn on_sasl_step(
        &mut self,
        session: Box<ServerSession>,
        v2: Option<Box<Pending2>>,
        step: Result<ServerStep, xmpp_sasl::Error>,
    ) -> Result<(), Error> {
        match step {
            Ok(ServerStep::Challenge(data)) => {
                self.send_challenge(v2.is_some(), data);
                self.phase = Phase::Sasl {
                    session,
                    credentials: false,
                    v2,
                };
                Ok(())
            }
            Ok(ServerStep::NeedCredentials(request)) => {
                let fast = v2.as_ref().and_then(|p| p.fast);
                let user_agent = v2.as_ref().and_then(|p| p.user_agent.clone());
                self.phase = Phase::Sasl {
                    session,
                    credentials: true,
                    v2,
                };
                self.events.push_back(ServerEvent::CredentialsRequest {
                    request,
                    fast,
                    user_agent,
                });
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
                    let condition = if authzid_ok {
                        SaslCondition::NotAuthorized
                    } else {
                        SaslCondition::InvalidAuthzid
                    };
                    return self.auth_failed(v2.is_some(), condition);
                };
                match v2.as_ref().and_then(|p| p.fast) {
                    // The token's count and invalidation reach the
                    // application only now that the token is proven
                    // (XEP-0484 §3.4, §3.6), and the exchange waits for it
                    // to record them.
                    Some(fast) => {
                        if let Some(mut pending) = v2 {
                            pending.additional_data = success.additional_data;
                            self.events.push_back(ServerEvent::TokenUsed {
                                jid: account.clone(),
                                mechanism,
                                fast,
                                slot: success.fast_slot.unwrap_or(FastSlot::Current),
                            });
                            self.phase = Phase::AwaitTokenUse {
                                account,
                                mechanism,
                                pending,
                            };
                        }
                        Ok(())
                    }
                    None => self.authenticated(account, mechanism, success.additional_data, v2),
                }
            }
            Err(e) => self.auth_failed(v2.is_some(), sasl_condition(e.condition())),
        }
    }

    /// SASL succeeded for `account`: reported, then `<success/>` (SASL2's
    /// after its inline requests, which may wait for the application).
    pub(super) fn authenticated(
        &mut self,
        account: BareJid,
        mechanism: Mechanism,
        additional_data: Option<Vec<u8>>,
        v2: Option<Box<Pending2>>,
    ) -> Result<(), Error> {
        self.account = Some(account.clone());
        self.events.push_back(ServerEvent::Authenticated {
            jid: account,
            mechanism,
        });
        match v2 {
            Some(mut pending) => {
                pending.additional_data = additional_data;
                self.advance(pending)
            }
            None => {
                self.wire
                    .send_element(&Sasl::Success(additional_data).to_element());
                // RFC 6120 §6.4.6: the client restarts the stream.
                self.wire.restart();
                self.header_sent = false;
                self.phase = Phase::AwaitHeader;
                Ok(())
            }
        }
    }

    /// Settles the next inline request of a successful SASL2 exchange, or
    /// sends `<success/>` when none is left.
    pub(super) fn advance(&mut self, mut pending: Box<Pending2>) -> Result<(), Error> {
        if let Some((previd, h)) = pending.resume.take() {
            if self.config.sm.enabled && self.config.sm.resume {
                self.phase = Phase::AwaitResume {
                    previd: previd.clone(),
                    h,
                    v2: Some(pending),
                };
                self.events
                    .push_back(ServerEvent::ResumeRequest { previd, h });
                return Ok(());
            }
            pending.extensions.push(
                Sm::Failed {
                    h: None,
                    condition: Some(DefinedCondition::FeatureNotImplemented),
                }
                .to_element(),
            );
        }
        // XEP-0386 §4: a resumed session already has its resource.
        if let Some(bind) = pending.bind2.take().filter(|_| !pending.resumed) {
            if self.config.bind2 {
                pending.enable_sm = bind
                    .requests
                    .iter()
                    .find_map(|r| match Sm::from_element(r) {
                        Ok(Some(Sm::Enable { resume, max })) => Some((resume, max)),
                        _ => None,
                    });
                let tag = bind.tag.as_deref().map(sanitize_tag).unwrap_or_default();
                let random = self.rng.token(6);
                let suggested = if tag.is_empty() {
                    random
                } else {
                    alloc::format!("{tag}.{random}")
                };
                self.phase = Phase::AwaitBind2(pending);
                self.events.push_back(ServerEvent::BindRequest {
                    requested: None,
                    suggested,
                });
                return Ok(());
            }
        }
        if let Some(mechanism) = pending.request_token.take() {
            self.phase = Phase::AwaitToken(pending);
            self.events
                .push_back(ServerEvent::TokenRequest { mechanism });
            return Ok(());
        }
        self.finish_sasl2(*pending);
        Ok(())
    }

    /// Sends SASL2 `<success/>` with the inline results, then the features
    /// of the authenticated stream (XEP-0388 §2.6: no restart).
    fn finish_sasl2(&mut self, pending: Pending2) {
        let identity: Option<Jid> = match (&self.jid, &self.account) {
            (Some(full), _) => Some(full.clone().into()),
            (None, Some(bare)) => Some(bare.clone().into()),
            (None, None) => None,
        };
        let Some(identity) = identity else {
            return;
        };
        let success = Sasl2::Success {
            additional_data: pending.additional_data,
            authorization_identifier: identity,
            extensions: pending.extensions,
        };
        self.wire.send_element(&success.to_element());
        if let (Some(jid), false) = (&self.jid, pending.resumed) {
            self.clock.negotiated();
            self.events
                .push_back(ServerEvent::Bound { jid: jid.clone() });
        }
        if pending.resumed {
            if let Some(sm) = &self.sm {
                for s in &sm.queue {
                    self.wire.send_routed(s);
                }
            }
        }
        let features = self.features();
        self.wire.send_element(&features);
        self.phase = if self.jid.is_some() {
            Phase::Ready
        } else {
            Phase::Negotiating
        };
    }

    pub(super) fn send_sasl_failure(&mut self, v2: bool, condition: SaslCondition) {
        let failure = if v2 {
            Sasl2::Failure {
                condition,
                text: None,
                app: Vec::new(),
            }
            .to_element()
        } else {
            Sasl::Failure {
                condition,
                text: None,
            }
            .to_element()
        };
        self.wire.send_element(&failure);
        self.phase = Phase::Negotiating;
    }

    /// An authentication attempt failed with `condition`: the failure is
    /// sent, reported ([`ServerEvent::AuthFailed`]) and counted; the
    /// stream ends at [`ServerConfig::max_auth_attempts`] (RFC 6120
    /// §6.4.5).
    pub(super) fn auth_failed(&mut self, v2: bool, condition: SaslCondition) -> Result<(), Error> {
        self.send_sasl_failure(v2, condition.clone());
        self.events.push_back(ServerEvent::AuthFailed { condition });
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

    /// A new SM state for `<enable/>` (XEP-0198 §3), with its `<enabled/>`.
    pub(super) fn enable_sm(&mut self, resume: bool, max: Option<u32>) -> Element {
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
        let id = state.id.clone();
        self.sm = Some(state);
        self.events.push_back(ServerEvent::SmEnabled { id });
        enabled.to_element()
    }

    /// The token element to send with success.
    pub(super) fn token_element(token: &str, expiry: &str) -> Element {
        Token::new(token, expiry).to_element()
    }
}

/// A Bind2 tag made fit for a resourcepart: printable ASCII without `/`
/// or `@`, at most 32 characters.
fn sanitize_tag(tag: &str) -> String {
    tag.chars()
        .filter(|c| c.is_ascii_graphic() && !matches!(c, '/' | '@'))
        .take(32)
        .collect()
}

fn not_sasl() -> Error {
    Error::protocol(
        StreamCondition::NotAuthorized,
        "an element other than a SASL response during authentication",
    )
}
