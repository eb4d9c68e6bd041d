//! A bound stream: stanzas in, pings answered, XEP-0198 counting and
//! acknowledgements, probes.

#[allow(
    clippy::wildcard_imports,
    reason = "the parent module's imports and helpers"
)]
use super::*;

/// Whether a top-level element is a stanza (RFC 6120 §8), by name: the
/// stream's default namespace is the only one a client's stanzas have.
pub(super) fn is_stanza(e: &Element) -> bool {
    matches!(e.name(), "message" | "presence" | "iq")
}

impl Client {
    /// Elements once negotiation is over: stanzas and XEP-0198 nonzas.
    pub(super) fn on_traffic(&mut self, e: Element) -> Result<(), Error> {
        if let Ok(Some(sm)) = Sm::from_element(&e) {
            return self.on_sm(sm);
        }
        if !is_stanza(&e) {
            // Unknown first-level elements are ignored by a client.
            return Ok(());
        }
        if self.sm_counting {
            if let Some(sm) = &mut self.sm {
                sm.received();
            }
        }
        match Stanza::from_element(e) {
            Ok(Stanza::Iq(iq)) => self.on_iq(iq),
            Ok(stanza) => {
                self.events.push_back(ClientEvent::Stanza(stanza));
                Ok(())
            }
            Err(invalid) => {
                // A stanza like any other for the peer's count (XEP-0198
                // §4), so it is counted here too.
                if invalid.element.name() == "iq" {
                    if let Some(Ok(reply)) = invalid.error_reply().map(Stanza::from_element) {
                        self.send_internal(reply);
                    }
                }
                Ok(())
            }
        }
    }

    pub(super) fn on_iq(&mut self, iq: Iq) -> Result<(), Error> {
        if self.ping_id.as_deref() == Some(iq.id()) && !iq.type_.is_request() {
            self.ping_id = None;
            return Ok(());
        }
        // XEP-0199 §4.2: answer pings ourselves.
        if iq.type_ == IqType::Get && iq.payload().is_some_and(Ping::matches) {
            if let Some(result) = iq.make_result(None) {
                self.send_internal(Stanza::Iq(result));
            }
            return Ok(());
        }
        self.events.push_back(ClientEvent::Stanza(Stanza::Iq(iq)));
        Ok(())
    }

    /// Sends a stanza the machine makes itself (a ping's answer, an
    /// error), counted like any other. Not after our close, nor while the
    /// XEP-0198 queue is full: a peer that acknowledges nothing would
    /// otherwise grow it without bound with answers to its own pings, and
    /// its silence ends the stream at
    /// [`SmConfig::ack_timeout`](crate::SmConfig::ack_timeout).
    pub(super) fn send_internal(&mut self, stanza: Stanza) {
        // Nothing after our close (RFC 6120 §4.4), and nothing counted.
        if self.wire.closed_out()
            || self
                .sm
                .as_ref()
                .is_some_and(|sm| sm.is_full(&self.config.sm))
        {
            return;
        }
        self.wire.send_stanza(&stanza);
        if let Some(sm) = &mut self.sm {
            if sm.sent(stanza, self.clock.now, &self.config.sm) {
                self.request_ack();
            }
        }
    }

    pub(super) fn on_sm(&mut self, sm: Sm) -> Result<(), Error> {
        match sm {
            Sm::Request => {
                let h = self.sm.as_ref().map_or(0, |s| s.inbound);
                if self.sm.is_some() {
                    self.wire.send_element(&Sm::Ack { h }.to_element());
                }
                Ok(())
            }
            Sm::Ack { h } => {
                let acked = self.apply_ack(h)?;
                if !acked.is_empty() {
                    self.events.push_back(ClientEvent::Acked(acked));
                }
                Ok(())
            }
            Sm::Enabled {
                id, resume, max, ..
            } => {
                if let Some(state) = &mut self.sm {
                    state.id = if resume { id } else { None };
                    state.max = max;
                    self.sm_counting = true;
                    let resumable = state.id.is_some();
                    self.events.push_back(ClientEvent::SmEnabled { resumable });
                }
                Ok(())
            }
            Sm::Failed { .. } => {
                // `<enable/>` refused: the stream goes on without it.
                self.sm = None;
                self.sm_counting = false;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    pub(super) fn apply_ack(&mut self, h: u32) -> Result<Vec<Stanza>, Error> {
        let Some(sm) = &mut self.sm else {
            return Ok(Vec::new());
        };
        sm.ack(h).map_err(Error::from)
    }

    /// Sends the unacknowledged queue again (after a resumption).
    pub(super) fn resend(&mut self) -> usize {
        let Some(sm) = &self.sm else { return 0 };
        let stanzas: Vec<Stanza> = sm.queue.iter().cloned().collect();
        for s in &stanzas {
            self.wire.send_stanza(s);
        }
        stanzas.len()
    }

    /// The peer stayed silent: `<r/>` with stream management, an XEP-0199
    /// ping to the server otherwise.
    pub(super) fn probe(&mut self) {
        if !matches!(self.phase, Phase::Ready) {
            self.clock.no_probe();
            return;
        }
        if self.sm_counting && self.sm.is_some() {
            self.request_ack();
        } else {
            let id = self.id("ping");
            let to = Jid::new(self.config.jid.domainpart()).ok();
            let mut iq = Iq::get(StanzaNs::Client, id.clone(), Element::new("ping", PING_NS));
            if let Some(to) = to {
                iq = iq.with_to(to);
            }
            self.ping_id = Some(id);
            self.send_internal(Stanza::Iq(iq));
        }
        self.clock.probed();
    }
}
