//! Negotiation from the initiating side: features, STARTTLS, SASL, the
//! restart, XEP-0198 resumption and resource binding (RFC 6120 §5-§7).

#[allow(
    clippy::wildcard_imports,
    reason = "the parent module's imports and helpers"
)]
use super::*;

impl Client {
    pub(super) fn on_features(&mut self, f: StreamFeatures, e: &Element) -> Result<(), Error> {
        let tcp = self.config.transport == Transport::Tcp;
        if self.tls.is_none() && tcp && self.config.tls != TlsPolicy::Off && f.starttls.is_some() {
            self.wire.send_element(&StartTls::Request.to_element());
            self.phase = Phase::StartTls;
            return Ok(());
        }
        if self.tls.is_none() && self.config.tls == TlsPolicy::Required {
            // RFC 6120 §5.3.1 leaves the stream to the client's policy.
            self.wire.send_close();
            self.phase = Phase::Closing;
            return Err(Error::TlsRequired);
        }
        if !self.authenticated {
            return match &f.sasl2 {
                Some(auth) if self.config.sasl2 => self.start_sasl2(auth, e),
                _ => self.start_sasl(&f, e),
            };
        }
        if let Some(state) = self.config.resume.take() {
            if f.sm {
                self.sm = Some(state.to_sm());
                self.sm_counting = true;
                self.jid = FullJid::new(state.jid()).ok();
                let resume = Sm::Resume {
                    h: state.handled(),
                    previd: state.id().to_string(),
                };
                self.wire.send_element(&resume.to_element());
                self.features = Some(f);
                self.phase = Phase::Resume;
                return Ok(());
            }
            self.events.push_back(ClientEvent::ResumeFailed {
                unacked: state.unacked_stanzas(),
                condition: None,
            });
        }
        if !f.bind {
            return Err(Error::protocol(
                StreamCondition::UnsupportedFeature,
                "the server offers no resource binding",
            ));
        }
        self.features = Some(f);
        let resource = self.config.resource.clone();
        self.send_bind(resource, false);
        Ok(())
    }

    pub(super) fn on_resume(&mut self, e: &Element) -> Result<(), Error> {
        match Sm::from_element(e) {
            Ok(Some(Sm::Resumed { h, .. })) => {
                let jid = self.jid.clone().ok_or(Error::protocol(
                    StreamCondition::UndefinedCondition,
                    "resumed a session without a JID",
                ))?;
                let acked = self.apply_ack(h)?;
                let resent = self.resend();
                self.phase = Phase::Ready;
                if !acked.is_empty() {
                    self.events.push_back(ClientEvent::Acked(acked));
                }
                self.clock.negotiated();
                self.events.push_back(ClientEvent::Resumed { jid, resent });
                Ok(())
            }
            Ok(Some(Sm::Failed { h, condition })) => {
                self.resume_failed(h, condition);
                self.jid = None;
                self.sm_counting = false;
                let resource = self.config.resource.clone();
                self.send_bind(resource, false);
                Ok(())
            }
            _ => Err(unexpected()),
        }
    }

    /// The server refused to resume (XEP-0198 §5): the stanzas its `h`
    /// does not cover go back to the application.
    pub(super) fn resume_failed(&mut self, h: Option<u32>, condition: Option<DefinedCondition>) {
        let mut old = self.sm.take().unwrap_or_else(SmState::new);
        if let Some(h) = h {
            // Stanzas the server did handle are not handed back.
            let _ = old.ack(h);
        }
        self.events.push_back(ClientEvent::ResumeFailed {
            unacked: old.queue.into(),
            condition,
        });
    }

    /// A resource is bound to the account that authenticated (RFC 6120
    /// §7.6: the server chooses the resourcepart only; XEP-0388 §2.6): a
    /// bound JID of another account or domain is refused, so that the
    /// application never takes another identity for its own. An account
    /// configured without a localpart (SASL ANONYMOUS) takes the one the
    /// server assigns.
    pub(super) fn check_bound(&self, jid: &FullJid) -> Result<(), Error> {
        let ours = &self.config.jid;
        let bound = jid.as_jid();
        let same_domain = bound.domainpart() == ours.domainpart();
        let same_local = ours.localpart().is_none() || bound.localpart() == ours.localpart();
        if same_domain && same_local {
            Ok(())
        } else {
            Err(Error::protocol(
                StreamCondition::UndefinedCondition,
                "bound to another account than the one that authenticated",
            ))
        }
    }

    pub(super) fn send_bind(&mut self, resource: Option<String>, retried: bool) {
        let id = self.id("bind");
        let iq = Iq::set(
            StanzaNs::Client,
            id.clone(),
            Bind::Request(resource).to_element(),
        );
        self.wire.send_stanza(&Stanza::Iq(iq));
        self.phase = Phase::Bind { id, retried };
    }

    pub(super) fn on_bind(&mut self, e: Element, id: String, retried: bool) -> Result<(), Error> {
        let Some(result) = iq_response(&e, &id) else {
            self.phase = Phase::Bind { id, retried };
            // RFC 6120 §7.1: no stanza comes before the resource is bound
            // (the application does not know its address yet); one sent
            // anyway is dropped. Stream management nonzas still count.
            if is_stanza(&e) {
                return Ok(());
            }
            return self.on_traffic(e);
        };
        match result {
            Ok(()) => {
                let jid = e
                    .get_child("bind", xmpp_stanza::BIND_NS)
                    .and_then(|b| Bind::from_element(b).ok())
                    .and_then(|b| match b {
                        Bind::Result(jid) => Some(jid),
                        _ => None,
                    })
                    .ok_or(Error::protocol(
                        StreamCondition::InvalidXml,
                        "a bind result without a full JID",
                    ))?;
                self.check_bound(&jid)?;
                self.jid = Some(jid);
                let mandatory_session = self
                    .features
                    .as_ref()
                    .is_some_and(|f| f.session == Some(false));
                if mandatory_session {
                    // RFC 3921 §3, only for servers that still require it.
                    let id = self.id("sess");
                    let iq = Iq::set(
                        StanzaNs::Client,
                        id.clone(),
                        Element::new("session", SESSION_NS),
                    );
                    self.wire.send_stanza(&Stanza::Iq(iq));
                    self.phase = Phase::Session { id };
                } else {
                    self.bound();
                }
                Ok(())
            }
            // RFC 6120 §7.7.2.2: on a conflict, let the server choose.
            Err(DefinedCondition::Conflict) if !retried && self.config.resource.is_some() => {
                self.send_bind(None, true);
                Ok(())
            }
            Err(c) => Err(Error::BindFailed(c)),
        }
    }

    pub(super) fn bound(&mut self) {
        self.phase = Phase::Ready;
        let offers_sm = self.features.as_ref().is_some_and(|f| f.sm);
        if self.config.sm.enabled && offers_sm {
            let enable = Sm::Enable {
                resume: self.config.sm.resume,
                max: self.config.sm.max_resumption,
            };
            self.wire.send_element(&enable.to_element());
            // XEP-0198 §4: our sent-stanza count starts now; the handled
            // count when `<enabled/>` arrives.
            self.sm = Some(SmState::new());
            self.sm_counting = false;
        }
        if let Some(jid) = self.jid.clone() {
            self.clock.negotiated();
            self.events.push_back(ClientEvent::Bound { jid });
        }
    }
}
