//! RFC 6121 routing (§8.5), presence broadcast (§4) and the server's own
//! iq answers (XEP-0199 ping, XEP-0030 disco#info, an error for anything
//! else).

use std::sync::Arc;

use xmpp_jid::{BareJid, FullJid};
use xmpp_session::RoutedStanza;
use xmpp_stanza::{
    DISCO_INFO_NS, DefinedCondition, DiscoInfo, Identity, Iq, IqType, MessageType, PING_NS,
    Payload, Presence, PresenceType, ROSTER_NS, Stanza, StanzaError, Subscription,
};

use super::{RosterGet, State, resource, set_from};

impl State {
    /// A stanza a bound client sent (its `from` stamped by the machine).
    /// Messages and iqs go on as they came, so that the receiving session
    /// forwards their bytes; presence is the server's to rewrite.
    pub(crate) fn route(&mut self, from: &FullJid, stanza: RoutedStanza) {
        match stanza.stanza() {
            Stanza::Message(_) => self.route_message(from, stanza),
            Stanza::Iq(_) => self.route_iq(from, stanza),
            Stanza::Presence(_) => {
                if let Stanza::Presence(p) = stanza.into_stanza() {
                    self.route_presence(from, p);
                }
            }
        }
    }

    /// Stanzas a session never delivered (XEP-0198 §5): messages bounce
    /// back to their sender (`recipient-unavailable`), iq requests get
    /// the error an iq to a resource that is not bound gets
    /// (`service-unavailable`, RFC 6121 §8.5.3.2.1), since every request
    /// is owed an answer (RFC 6120 §8.2.3); the rest is dropped.
    pub(crate) fn undelivered(&mut self, stanzas: Vec<Stanza>) {
        for stanza in stanzas {
            match &stanza {
                Stanza::Message(m) if m.kind() != MessageType::Error => {
                    self.bounce(&stanza, DefinedCondition::RecipientUnavailable);
                }
                Stanza::Iq(iq) if iq.type_.is_request() => {
                    self.bounce(&stanza, DefinedCondition::ServiceUnavailable);
                }
                _ => {}
            }
        }
    }

    /// An error reply to the stanza's sender (RFC 6120 §8.3.1).
    pub(super) fn bounce(&mut self, stanza: &Stanza, condition: DefinedCondition) {
        let Some(mut reply) = stanza.make_error_reply(StanzaError::new(condition)) else {
            return;
        };
        let Some(sender) = stanza.header().from.clone() else {
            return;
        };
        set_from(&mut reply, stanza.header().to.clone());
        match sender.clone().try_into_full() {
            Ok(full) => {
                self.send_to(&full, reply);
            }
            Err(bare) => {
                for r in self.best_resources(&bare) {
                    self.send_to(&r, reply.clone());
                }
            }
        }
    }

    pub(super) fn route_message(&mut self, from: &FullJid, stanza: RoutedStanza) {
        let Some(to) = stanza.header().to.clone() else {
            // To the account itself: nothing is stored here.
            return;
        };
        if !self.is_local(&to) {
            return self.bounce(&stanza, DefinedCondition::RemoteServerNotFound);
        }
        let bare = to.to_bare();
        let stanza = match to.clone().try_into_full() {
            Ok(full) => match self.deliver(&full, stanza) {
                None => return,
                Some(back) => back,
            },
            Err(_) => stanza,
        };
        let kind = match stanza.stanza() {
            Stanza::Message(m) => m.kind(),
            _ => MessageType::Normal,
        };
        // RFC 6121 §8.5.1 lets a message to no account be ignored or
        // answered with service-unavailable; each type gets the answer an
        // account with no available resource gives (§8.5.2.2.1: headline
        // and error ignored, the others an error), so that a user cannot
        // tell which accounts exist.
        if !self.has_account(&bare) {
            if !matches!(kind, MessageType::Headline | MessageType::Error) {
                self.bounce(&stanza, DefinedCondition::ServiceUnavailable);
            }
            return;
        }
        match kind {
            MessageType::Error => return,
            // §8.5.2.1.1 and §8.5.2.2.1: a groupchat message to a user's
            // JID is never delivered and always answered with an error.
            MessageType::Groupchat => {
                return self.bounce(&stanza, DefinedCondition::ServiceUnavailable);
            }
            _ => {}
        }
        // RFC 6121 §8.5.2.1.1 (and §8.5.3.2.1 for a full JID that is not
        // bound): the highest-priority available resources.
        let targets = self.best_resources(&bare);
        if targets.is_empty() {
            // No offline storage here: RFC 6121 §8.5.2.2.1.
            if kind != MessageType::Headline {
                self.bounce(&stanza, DefinedCondition::ServiceUnavailable);
            }
            return;
        }
        for t in targets {
            self.send_to(&t, stanza.clone());
        }
        let _ = from;
    }

    pub(super) fn route_presence(&mut self, from: &FullJid, p: Presence) {
        let bare = from.as_jid().to_bare();
        match (p.type_, p.header.to.clone()) {
            (PresenceType::Available | PresenceType::Unavailable, None) => {
                let first = self
                    .resources
                    .get(&bare)
                    .and_then(|r| r.get(resource(from)))
                    .is_some_and(|r| r.presence.is_none());
                if let Some(r) = self
                    .resources
                    .get_mut(&bare)
                    .and_then(|r| r.get_mut(resource(from)))
                {
                    r.presence = (p.type_ == PresenceType::Available).then(|| Box::new(p.clone()));
                }
                // RFC 6121 §4.2.2: broadcast to contacts with a subscription
                // from the user and to the user's other resources.
                self.broadcast(&bare, &p);
                if first && p.type_ == PresenceType::Available {
                    // §4.2.2: and probe the contacts the user subscribes to.
                    self.deliver_contacts_presence(from);
                }
            }
            (t, Some(to)) if t.is_subscription() => self.subscription(&bare, t, &to),
            (PresenceType::Probe, _) => {}
            (_, Some(to)) => {
                // Directed presence (RFC 6121 §4.6).
                if let Ok(full) = to.clone().try_into_full() {
                    self.send_to(&full, Stanza::Presence(p));
                } else {
                    for r in self.available_resources(&to.to_bare()) {
                        self.send_to(&r, Stanza::Presence(p.clone()));
                    }
                }
            }
            _ => {}
        }
    }

    /// Sends `presence` (from a resource of `bare`) to the user's other
    /// resources and to the available resources of contacts whose
    /// subscription is `from` or `both`.
    pub(super) fn broadcast(&mut self, bare: &BareJid, presence: &Presence) {
        let from = presence.header.from.clone();
        let mut targets: Vec<FullJid> = self
            .available_resources(bare)
            .into_iter()
            .filter(|r| from.as_ref().is_none_or(|f| f.as_str() != r.as_str()))
            .collect();
        if let Some(account) = bare.localpart().and_then(|l| self.accounts.get(l)) {
            for item in account.roster.values() {
                if matches!(
                    item.subscription,
                    Some(Subscription::From | Subscription::Both)
                ) {
                    targets.extend(self.available_resources(&item.jid.to_bare()));
                }
            }
        }
        for t in targets {
            let mut p = presence.clone();
            p.header.to = Some(t.clone().into());
            self.send_to(&t, Stanza::Presence(p));
        }
    }

    /// The current presence of every contact `to`/`both` of the user, to
    /// the resource that just came online (RFC 6121 §4.3).
    pub(super) fn deliver_contacts_presence(&mut self, to: &FullJid) {
        let bare = to.as_jid().to_bare();
        let Some(account) = bare.localpart().and_then(|l| self.accounts.get(l)) else {
            return;
        };
        let mut presences = Vec::new();
        for item in account.roster.values() {
            if matches!(
                item.subscription,
                Some(Subscription::To | Subscription::Both)
            ) {
                if let Some(resources) = self.resources.get(&item.jid.to_bare()) {
                    presences.extend(
                        resources
                            .values()
                            .filter_map(|r| r.presence.as_deref().cloned()),
                    );
                }
            }
        }
        for mut p in presences {
            p.header.to = Some(to.clone().into());
            self.send_to(to, Stanza::Presence(p));
        }
    }

    pub(super) fn route_iq(&mut self, from: &FullJid, mut stanza: RoutedStanza) {
        let bare = from.as_jid().to_bare();
        let to = stanza.header().to.clone();
        let to_server = to
            .as_ref()
            .is_none_or(|t| t.as_str() == self.domain || t.to_bare() == bare && t.is_bare());
        if !to_server {
            let to = to.unwrap_or_else(|| bare.clone().into());
            if let Ok(full) = to.try_into_full() {
                match self.deliver(&full, stanza) {
                    None => return,
                    Some(back) => stanza = back,
                }
            }
        }
        let Stanza::Iq(iq) = stanza.stanza() else {
            return;
        };
        if !to_server {
            // RFC 6121 §8.5: an iq to an account (or an unbound resource)
            // is the server's to answer.
            if iq.type_.is_request() {
                self.reply(
                    from,
                    iq.make_error(StanzaError::new(DefinedCondition::ServiceUnavailable)),
                );
            }
            return;
        }
        if !iq.type_.is_request() {
            return;
        }
        let payload = iq.payload().cloned();
        let reply = match payload.as_ref().map(|p| (p.ns(), p.name(), iq.type_)) {
            Some((PING_NS, "ping", IqType::Get)) => iq.make_result(None),
            Some((DISCO_INFO_NS, "query", IqType::Get)) => {
                iq.make_result(Some(self.disco().to_element()))
            }
            Some((ROSTER_NS, "query", IqType::Get)) => {
                let items = bare
                    .localpart()
                    .and_then(|l| self.accounts.get(l))
                    .map(|a| Arc::clone(&a.roster))
                    .unwrap_or_default();
                self.rosters.push(RosterGet {
                    to: from.clone(),
                    iq: iq.clone(),
                    items,
                });
                None
            }
            Some((ROSTER_NS, "query", IqType::Set)) => {
                Some(self.roster_set(&bare, iq, payload.as_ref()))
            }
            _ => Some(iq.make_error(StanzaError::new(DefinedCondition::ServiceUnavailable))),
        };
        if let Some(reply) = reply {
            self.reply(from, reply);
        }
    }

    pub(super) fn disco(&self) -> DiscoInfo {
        let mut info = DiscoInfo::default();
        info.identities.push(Identity {
            category: "server".into(),
            type_: "im".into(),
            lang: String::new(),
            name: "xmpp-primitives".into(),
        });
        for f in [
            DISCO_INFO_NS,
            PING_NS,
            ROSTER_NS,
            "urn:xmpp:sm:3",
            "urn:xmpp:sasl:2",
            "urn:xmpp:bind:0",
            "urn:xmpp:fast:0",
        ] {
            info.features.push(f.into());
        }
        info
    }

    /// An answer from the server itself (RFC 6120 §8.1.2.1: from the
    /// domain, or absent for the account's own data).
    pub(super) fn reply(&mut self, to: &FullJid, mut reply: Iq) {
        reply.header.to = Some(to.clone().into());
        self.send_to(to, Stanza::Iq(reply));
    }
}
