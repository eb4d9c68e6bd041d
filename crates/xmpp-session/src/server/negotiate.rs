//! Negotiation from the receiving side: the stream header, features per
//! phase, STARTTLS (RFC 6120 §5), SASL (§6), resource binding (§7) and
//! XEP-0198 resumption requests.

#[allow(
    clippy::wildcard_imports,
    reason = "the parent module's imports and helpers"
)]
use super::*;

impl Server {
    pub(super) fn on_header(&mut self, h: &StreamHeader) -> Result<(), Error> {
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
        self.client_lang = lang.map(Box::from);
        self.send_header(from, lang);
        if self.config.transport == Transport::Tcp
            && h.namespaces().default_namespace() != Some(CLIENT_NS)
        {
            return Err(Error::protocol(
                StreamCondition::InvalidNamespace,
                "the content namespace is not jabber:client",
            ));
        }
        // RFC 6120 §4.7.5: our header already answers with 1.0, the lower
        // of the two for any client at 1.0 or above; no version (0.9) or a
        // malformed one is not spoken here.
        if version_major(h.version()).is_none_or(|major| major < 1) {
            return Err(Error::protocol(
                StreamCondition::UnsupportedVersion,
                "the stream version is below 1.0",
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

    pub(super) fn can_starttls(&self) -> bool {
        self.config.transport == Transport::Tcp && self.config.tls_mode == TlsMode::StartTls
    }

    /// The features this phase offers (RFC 6120 §4.3.2).
    pub(super) fn features(&mut self) -> Element {
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
            if self.config.sasl2 && !self.offered.is_empty() {
                f.sasl2 = Some(self.sasl2_offer(&sasl));
            }
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
            // After SASL2 the stream may already be bound (XEP-0386) or
            // resumed, and stream management on.
            f.bind = self.jid.is_none();
            f.sm = self.config.sm.enabled && self.sm.is_none();
        }
        let mut e = f.to_element();
        if let Some(x) = extra {
            e.push_child(x);
        }
        e
    }

    /// XEP-0388 `<authentication/>`: the same mechanisms, and what can be
    /// negotiated inline: Bind2 (with XEP-0198 inside it), resumption, FAST.
    fn sasl2_offer(&self, sasl: &xmpp_sasl::ServerConfig) -> xmpp_stanza::Sasl2Authentication {
        let mut inline = Vec::new();
        if self.config.bind2 {
            let mut bind = xmpp_stanza::Bind2::default();
            let features = if self.config.sm.enabled {
                alloc::vec![xmpp_stanza::SM_NS.to_string()]
            } else {
                Vec::new()
            };
            bind.inline_features = Some(features);
            inline.push(bind.to_element());
        }
        if self.config.sm.enabled && self.config.sm.resume {
            inline.push(Element::new("sm", xmpp_stanza::SM_NS));
        }
        let fast = sasl.fast_mechanisms();
        if !fast.is_empty() {
            let mut offer = xmpp_stanza::FastOffer::default();
            offer.mechanisms = fast.iter().map(|m| m.name().to_string()).collect();
            inline.push(offer.to_element());
        }
        xmpp_stanza::Sasl2Authentication {
            mechanisms: self.offered.iter().map(|m| m.name().to_string()).collect(),
            inline: Some(inline),
        }
    }

    /// The SASL policy of this connection as it stands: the configured
    /// mechanisms, the TLS layer's binding data (no `tls-unique` on TLS
    /// 1.3), encryption, and XEP-0474 over what is advertised.
    pub(super) fn sasl_config(&self) -> xmpp_sasl::ServerConfig {
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

    /// An element while features are out: STARTTLS, SASL, bind, resume.
    pub(super) fn negotiate(&mut self, e: Element) -> Result<(), Error> {
        if let Some(StartTls::Request) = StartTls::from_element(&e) {
            if self.tls.is_some() || !self.can_starttls() || self.config.tls == TlsPolicy::Off {
                // RFC 6120 §5.4.2.2.
                self.wire.send_element(&StartTls::Failure.to_element());
                self.wire.send_close();
                self.clock.closing();
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
            if self.config.sasl2 && !tls_first {
                match xmpp_stanza::Sasl2::from_element(&e) {
                    Ok(Some(xmpp_stanza::Sasl2::Authenticate {
                        mechanism,
                        initial_response,
                        inline,
                        user_agent,
                    })) => {
                        return self.start_sasl2(&mechanism, initial_response, &inline, user_agent);
                    }
                    // XEP-0388 §2.4 carries RFC 6120's conditions: an
                    // initial response that is not base64 is a failed
                    // exchange (§6.5.5), not a stream error.
                    Err(xmpp_stanza::PayloadError::InvalidBase64 { .. }) => {
                        return self.auth_failed(true, SaslCondition::IncorrectEncoding);
                    }
                    _ => {}
                }
            }
            return match Sasl::from_element(&e) {
                Ok(Some(Sasl::Auth { mechanism, initial })) if !tls_first => {
                    self.start_sasl(&mechanism, initial)
                }
                // RFC 6120 §6.5.3: TLS is required first (§5.3.1), and
                // nothing is offered before it (§6.3.4); an `<auth/>` sent
                // anyway is refused as needing encryption and counted as a
                // failure (§6.4.5), so no credentials are read in the clear.
                Ok(Some(Sasl::Auth { .. })) => {
                    self.auth_failed(false, SaslCondition::EncryptionRequired)
                }
                Ok(Some(Sasl::Abort)) => {
                    self.send_sasl_failure(false, SaslCondition::Aborted);
                    Ok(())
                }
                // RFC 6120 §6.5.5: an initial response that is not base64
                // is a failed handshake, not a stream error.
                Err(xmpp_stanza::PayloadError::InvalidBase64 { .. }) if !tls_first => {
                    self.auth_failed(false, SaslCondition::IncorrectEncoding)
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
                v2: None,
            };
            self.events
                .push_back(ServerEvent::ResumeRequest { previd, h });
            return Ok(());
        }
        // XEP-0198 §3: stream management waits for resource binding, and
        // "The server SHALL enforce this order and return a <failed/>
        // element": refused, not a stream error (§4: recoverable).
        if let Ok(Some(Sm::Enable { .. })) = Sm::from_element(&e) {
            let failed = Sm::Failed {
                h: None,
                condition: Some(DefinedCondition::UnexpectedRequest),
            };
            self.wire.send_element(&failed.to_element());
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

    pub(super) fn on_bind_request(
        &mut self,
        iq: Iq,
        requested: Option<String>,
    ) -> Result<(), Error> {
        // RFC 6120 §7.7.2.1: a resourcepart RFC 7622 §3.4 refuses is not
        // refused back (the server "SHOULD instead process the resourcepart
        // so that it is in conformance"): the request counts as none, and
        // the application binds the suggested one.
        let requested =
            requested.and_then(|r| ResourcePart::new(&r).ok().map(|p| p.as_str().to_string()));
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

    pub(super) fn bind_error(
        &mut self,
        request: &Iq,
        condition: DefinedCondition,
    ) -> Result<(), Error> {
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

    pub(super) fn resume_failed(&mut self, h: Option<u32>) {
        let failed = Sm::Failed {
            h,
            condition: Some(DefinedCondition::ItemNotFound),
        };
        self.wire.send_element(&failed.to_element());
        self.phase = Phase::Negotiating;
    }
}
