//! A bound stream: stanzas typed and stamped (RFC 6120 §8.1.2.1),
//! per-stanza errors, XEP-0198 counting and acknowledgements, probes.

#[allow(
    clippy::wildcard_imports,
    reason = "the parent module's imports and helpers"
)]
use super::*;

impl Server {
    /// Elements once bound: stanzas (typed, stamped) and XEP-0198 nonzas.
    pub(super) fn on_traffic(
        &mut self,
        e: Element,
        frame: Box<xmpp_stream::Frame>,
    ) -> Result<(), Error> {
        if e.ns() == xmpp_stanza::SM_NS {
            return match Sm::from_element(&e) {
                Ok(Some(sm)) => self.on_sm(sm),
                _ => Err(Error::protocol(
                    StreamCondition::InvalidXml,
                    "an unreadable stream management element",
                )),
            };
        }
        if e.ns() != CLIENT_NS || !matches!(e.name(), "message" | "presence" | "iq") {
            return Err(Error::protocol(
                StreamCondition::UnsupportedStanzaType,
                "a first-level element that is not a stanza",
            ));
        }
        if let Some(sm) = &mut self.sm {
            sm.received();
        }
        match Stanza::from_element(e) {
            Ok(stanza) => self.on_stanza(stanza, frame),
            Err(invalid) => {
                // Per-stanza error isolation: answer it, keep the stream.
                // The answer is a stanza for the client's count (XEP-0198
                // §4), so it is counted here too.
                if let Some(mut reply) = invalid.error_reply() {
                    let _ = reply.remove_attr_ns("to", "");
                    if reply.attr("from").is_some_and(|f| Jid::new(f).is_err()) {
                        let _ = reply.remove_attr_ns("from", "");
                    }
                    if let Ok(reply) = Stanza::from_element(reply) {
                        self.send_own(reply);
                    }
                }
                Ok(())
            }
        }
    }

    pub(super) fn on_stanza(
        &mut self,
        mut stanza: Stanza,
        frame: Box<xmpp_stream::Frame>,
    ) -> Result<(), Error> {
        let Some(jid) = &self.jid else {
            return Ok(());
        };
        let from: Jid = match &stanza {
            Stanza::Presence(p) if p.type_.is_subscription() => jid.as_jid().to_bare().into(),
            _ => jid.clone().into(),
        };
        match &mut stanza {
            Stanza::Message(m) => m.header.from = Some(from),
            Stanza::Presence(p) => p.header.from = Some(from),
            Stanza::Iq(i) => i.header.from = Some(from),
        }
        // RFC 6120 §4.7.4: a stanza without `xml:lang` is in the client's
        // stream language, and "the receiving entity SHOULD add the
        // 'xml:lang' attribute to the stanza when routing it"; one with its
        // own is never changed (§8.1.5).
        stanza.inherit_lang(self.client_lang.as_deref());
        if let Stanza::Iq(iq) = &stanza {
            if self.ping_id.as_deref() == Some(iq.id()) && !iq.type_.is_request() {
                self.ping_id = None;
                return Ok(());
            }
            // RFC 3921 §3: an old client's session request is a no-op now.
            let to_server = iq
                .header
                .to
                .as_ref()
                .is_none_or(|t| t.as_str() == self.domain);
            if iq.type_ == IqType::Set
                && to_server
                && iq.payload().is_some_and(|p| p.is("session", SESSION_NS))
            {
                if let Some(result) = iq.make_result(None) {
                    let mut result = result;
                    result.header.to = None;
                    self.send_own(Stanza::Iq(result));
                    return Ok(());
                }
            }
        }
        self.events
            .push_back(ServerEvent::Stanza(RoutedStanza::received(stanza, frame)));
        Ok(())
    }

    pub(super) fn on_sm(&mut self, sm: Sm) -> Result<(), Error> {
        match sm {
            Sm::Enable { resume, max } => {
                if !self.config.sm.enabled || self.sm.is_some() {
                    let failed = Sm::Failed {
                        h: None,
                        condition: Some(DefinedCondition::UnexpectedRequest),
                    };
                    self.wire.send_element(&failed.to_element());
                    return Ok(());
                }
                let enabled = self.enable_sm(resume, max);
                self.wire.send_element(&enabled);
                Ok(())
            }
            Sm::Request => {
                if let Some(sm) = &self.sm {
                    let ack = Sm::Ack { h: sm.inbound };
                    self.wire.send_element(&ack.to_element());
                }
                Ok(())
            }
            Sm::Ack { h } => {
                let Some(sm) = &mut self.sm else {
                    return Ok(());
                };
                let acked = sm.ack(h).map_err(Error::from)?;
                if !acked.is_empty() {
                    self.events.push_back(ServerEvent::Acked(acked));
                }
                Ok(())
            }
            Sm::Resume { .. } => {
                let failed = Sm::Failed {
                    h: None,
                    condition: Some(DefinedCondition::UnexpectedRequest),
                };
                self.wire.send_element(&failed.to_element());
                Ok(())
            }
            _ => Err(Error::protocol(
                StreamCondition::UnsupportedStanzaType,
                "a stream management element only a server sends",
            )),
        }
    }

    /// XEP-0198: as many stanzas wait for acknowledgement as the
    /// configuration allows.
    pub(super) fn queue_full(&self) -> bool {
        self.sm
            .as_ref()
            .is_some_and(|sm| sm.is_full(&self.config.sm))
    }

    /// Sends a stanza the machine makes itself (a ping's answer, an
    /// error), counted like any other; dropped after our close, and while
    /// the XEP-0198 queue is full, whose client acknowledges nothing and
    /// is ended at
    /// [`SmConfig::ack_timeout`](crate::SmConfig::ack_timeout).
    pub(super) fn send_own(&mut self, stanza: Stanza) {
        // Nothing after our close (RFC 6120 §4.4), and nothing counted.
        if !self.wire.closed_out() {
            let _ = self.send_counted(stanza.into());
        }
    }

    pub(super) fn send_counted(&mut self, stanza: RoutedStanza) -> Result<(), Error> {
        if self.queue_full() {
            return Err(Error::QueueFull);
        }
        self.wire.send_routed(&stanza);
        if let Some(sm) = &mut self.sm {
            if sm.sent(stanza, self.clock.now, &self.config.sm) {
                self.request_ack();
            }
        }
        Ok(())
    }

    pub(super) fn probe(&mut self) {
        if !matches!(self.phase, Phase::Ready) {
            self.clock.no_probe();
            return;
        }
        if self.sm.is_some() {
            self.request_ack();
        } else if let Some(jid) = self.jid.clone() {
            self.next_id = self.next_id.wrapping_add(1);
            let id = alloc::format!("ping{}", self.next_id);
            let mut iq =
                Iq::get(StanzaNs::Client, id.clone(), Ping.to_element()).with_to(jid.into());
            if let Ok(domain) = Jid::new(&self.domain) {
                iq = iq.with_from(domain);
            }
            self.ping_id = Some(id);
            self.wire.send_stanza(&Stanza::Iq(iq));
        }
        self.clock.probed();
    }
}
