//! What `xmpp serve` knows and does with stanzas: the accounts (SCRAM
//! keys, rosters, FAST tokens), the bound resources, RFC 6121 routing
//! (§8.5), presence broadcast and subscriptions (§3, §4), the roster
//! (§2), and the server's own iq answers (XEP-0199 ping, XEP-0030
//! disco#info, an error for anything else).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Instant;

use rand_core::RngCore as _;

use xmpp_jid::{BareJid, FullJid, Jid};
use xmpp_sasl::{Credentials, CredentialsRequest, Hash, Mechanism};
use xmpp_session::{ResumptionState, RoutedStanza};
use xmpp_stanza::{
    DISCO_INFO_NS, DefinedCondition, DiscoInfo, Element, Identity, Iq, IqType, MessageType,
    PING_NS, Payload, Presence, PresenceType, ROSTER_NS, Roster, RosterItem, Stanza, StanzaError,
    StanzaNs, Subscription,
};
use xmpp_tokio::SessionSender;
use zeroize::Zeroizing;

use super::limiter::{Limiter, Limits};

/// One account: SCRAM keys per hash (never the password), the roster,
/// the FAST tokens issued (by secret, one per mechanism).
pub(crate) struct Account {
    pub(crate) keys: HashMap<Hash, xmpp_sasl::StoredCredentials>,
    roster: BTreeMap<String, RosterItem>,
    tokens: HashMap<String, IssuedToken>,
}

/// A XEP-0484 FAST token issued to an account.
struct IssuedToken {
    /// The HT mechanism it is bound to (XEP-0484 §3.3).
    mechanism: Mechanism,
    /// The highest `count` of a successful use, so that a replay fails.
    processed: Option<u64>,
    /// When it stops being valid, in seconds since the Unix epoch: the
    /// expiry sent with it (XEP-0484 §3.2).
    expiry: u64,
}

impl Account {
    pub(crate) fn new(keys: HashMap<Hash, xmpp_sasl::StoredCredentials>) -> Self {
        Self {
            keys,
            roster: BTreeMap::new(),
            tokens: HashMap::new(),
        }
    }
}

/// A bound resource.
struct Resource {
    sender: SessionSender,
    /// The last available presence broadcast, if any (RFC 6121 §4.2);
    /// boxed, so that a resource without one is small.
    presence: Option<Box<Presence>>,
    /// While its connection is gone but the session may resume
    /// (XEP-0198 §5): the SM-ID, and the stanzas that arrived meanwhile.
    hibernating: Option<(String, Vec<RoutedStanza>)>,
    /// Stanzas routed after its session's task stopped taking them and
    /// before the session reported how it ended: they join the
    /// hibernation queue, or bounce when the session is gone for good.
    ending: Vec<RoutedStanza>,
}

/// Stanzas kept for a hibernating session at most.
const HIBERNATION_QUEUE: usize = 1000;

impl Resource {
    fn priority(&self) -> Option<i8> {
        self.presence.as_deref().map(Presence::priority)
    }
}

/// Everything shared between sessions, behind one lock (no await while
/// held).
/// How many timed-out sessions [`State`] remembers for `<failed h/>`.
const TIMED_OUT_KEPT: usize = 4096;

pub(crate) struct State {
    pub(crate) domain: String,
    pub(crate) accounts: HashMap<String, Account>,
    resources: HashMap<BareJid, BTreeMap<String, Resource>>,
    /// Sessions that ended resumable, by SM-ID.
    resumable: HashMap<String, ResumptionState>,
    /// Sessions whose resumption window closed, by SM-ID: the account and
    /// how many of its client's stanzas the session handled, for
    /// `<failed h='…'/>` (XEP-0198 §5). The oldest go first beyond
    /// [`TIMED_OUT_KEPT`].
    timed_out: HashMap<String, (BareJid, u32)>,
    timed_out_order: std::collections::VecDeque<String>,
    /// Stanzas for live sessions whose queues were full, in routing order:
    /// the task that routed them delivers them after it lets go of the
    /// state, waiting for room (see [`Waiting`]).
    waiting: Vec<Waiting>,
    /// Failed authentications per account and per client address.
    limiter: Limiter,
}

/// A stanza routed to a bound session whose queue was full. The routing
/// task waits for room ([`SessionSender::send_within`]), and meanwhile
/// takes nothing more from its own client: a reader slower than its
/// senders slows them down instead of losing their messages. RFC 6120
/// §10.1 asks for in-order delivery between two entities, so once a
/// stanza for a resource waits, later ones for it wait behind it.
pub(crate) struct Waiting {
    pub(crate) to: FullJid,
    pub(crate) sender: SessionSender,
    pub(crate) stanza: RoutedStanza,
}

impl State {
    pub(crate) fn new(domain: String, accounts: HashMap<String, Account>) -> Self {
        Self {
            domain,
            accounts,
            resources: HashMap::new(),
            resumable: HashMap::new(),
            timed_out: HashMap::new(),
            timed_out_order: std::collections::VecDeque::new(),
            waiting: Vec::new(),
            limiter: Limiter::new(Limits::default()),
        }
    }

    /// The answer to a credentials request: the account's keys for the
    /// mechanism's hash (SHA-256 ones for PLAIN), its FAST token, or the
    /// fake exchange for an account that does not exist. `unix_now` is
    /// the wall clock, in seconds since the Unix epoch (token expiry);
    /// `now` the monotonic one (failure limits).
    ///
    /// When the client's address or the account is blocked after too many
    /// failures ([`Limiter`]), the answer is credentials that cannot
    /// succeed, so the attempt fails as a wrong password does.
    ///
    /// Nothing else changes here: the request is not verified yet. A
    /// token's count is recorded by [`Self::token_used`] once the machine
    /// reports it proven.
    pub(crate) fn credentials(
        &mut self,
        request: &CredentialsRequest,
        fast: Option<xmpp_stanza::FastUse>,
        peer: SocketAddr,
        unix_now: u64,
        now: Instant,
    ) -> Credentials {
        let user = request.authcid.as_deref();
        let account = user.and_then(|u| self.accounts.get(u));
        // Only password attempts count for the account: a token is not
        // guessed.
        let counted = user.filter(|_| account.is_some() && fast.is_none());
        if !self.limiter.begin(peer, counted, now) {
            return refused(account, request, fast.is_some());
        }
        let Some(account) = account else {
            return Credentials::UnknownUser;
        };
        if let Some(used) = fast {
            // XEP-0484: the token issued for this mechanism, refused on a
            // replayed count or past its expiry.
            let found = account
                .tokens
                .iter()
                .find(|(_, t)| t.mechanism == request.mechanism);
            return match found {
                Some((token, t)) => Credentials::FastToken {
                    token: Zeroizing::new(token.clone()),
                    count: used.count,
                    processed: t.processed,
                    expiry: Some(t.expiry),
                    now: unix_now,
                },
                None => Credentials::UnknownUser,
            };
        }
        let hash = request.mechanism.scram_hash().unwrap_or(Hash::Sha256);
        account
            .keys
            .get(&hash)
            .cloned()
            .map_or(Credentials::UnknownUser, Credentials::Scram)
    }

    /// The authentication on the connection from `peer` succeeded.
    pub(crate) fn auth_succeeded(&mut self, peer: SocketAddr) {
        self.limiter.succeeded(peer);
    }

    /// The connection from `peer` ended: an attempt on it that had not
    /// succeeded failed.
    pub(crate) fn auth_ended(&mut self, peer: SocketAddr, now: Instant) {
        self.limiter.ended(peer, now);
    }

    /// Keeps a token issued to `user` for `mechanism`, valid until
    /// `expiry` (seconds since the Unix epoch).
    pub(crate) fn issued(&mut self, user: &str, mechanism: Mechanism, token: String, expiry: u64) {
        if let Some(account) = self.accounts.get_mut(user) {
            account.tokens.retain(|_, t| t.mechanism != mechanism);
            account.tokens.insert(
                token,
                IssuedToken {
                    mechanism,
                    processed: None,
                    expiry,
                },
            );
        }
    }

    /// `user` authenticated with its token for `mechanism`, proven by the
    /// machine (`Authenticated` with `fast`): `count` is processed now,
    /// so that a replay of it fails; with `invalidate` the token goes
    /// (XEP-0484 §3.3, §3.5). Nothing else moves a token's count: a
    /// failed attempt's count, however large, changes nothing.
    pub(crate) fn token_used(
        &mut self,
        user: &str,
        mechanism: Mechanism,
        count: Option<u64>,
        invalidate: bool,
    ) {
        if let Some(account) = self.accounts.get_mut(user) {
            if invalidate {
                account.tokens.retain(|_, t| t.mechanism != mechanism);
            } else if let Some(t) = account
                .tokens
                .values_mut()
                .find(|t| t.mechanism == mechanism)
            {
                t.processed = count.max(t.processed);
            }
        }
    }

    /// Whether `resource` is bound for `account` (RFC 6120 §7.7.2.2).
    pub(crate) fn in_use(&self, account: &BareJid, resource: &str) -> bool {
        self.resources
            .get(account)
            .is_some_and(|r| r.contains_key(resource))
    }

    /// A resource is bound, or a hibernating one resumed: what arrived
    /// while it slept goes out now, after the machine's own resend.
    pub(crate) fn bound(&mut self, jid: &FullJid, sender: SessionSender) {
        let resource = jid.as_jid().resourcepart().unwrap_or_default().to_owned();
        let resources = self.resources.entry(jid.as_jid().to_bare()).or_default();
        match resources.get_mut(&resource) {
            Some(r) if r.hibernating.is_some() => {
                r.sender = sender;
                let (_, pending) = r.hibernating.take().unwrap_or_default();
                for stanza in pending {
                    r.sender.send(stanza);
                }
            }
            _ => {
                resources.insert(
                    resource,
                    Resource {
                        sender,
                        presence: None,
                        hibernating: None,
                        ending: Vec::new(),
                    },
                );
            }
        }
    }

    /// A session ended resumable: its resource stays, stanzas to it wait.
    pub(crate) fn hibernate(&mut self, jid: &FullJid, state: ResumptionState) {
        let id = state.id().to_owned();
        if let Some(r) = self
            .resources
            .get_mut(&jid.as_jid().to_bare())
            .and_then(|r| r.get_mut(resource(jid)))
        {
            r.hibernating = Some((id.clone(), core::mem::take(&mut r.ending)));
        }
        self.resumable.insert(id, state);
    }

    /// The resumption window of `id` closed (XEP-0198 §5): the resource
    /// goes, and what it never acknowledged or never received bounces.
    pub(crate) fn expire(&mut self, jid: &FullJid, id: &str) {
        let Some(state) = self.resumable.remove(id) else {
            return;
        };
        if self.timed_out_order.len() >= TIMED_OUT_KEPT {
            if let Some(oldest) = self.timed_out_order.pop_front() {
                self.timed_out.remove(&oldest);
            }
        }
        self.timed_out
            .insert(id.to_owned(), (jid.as_jid().to_bare(), state.handled()));
        self.timed_out_order.push_back(id.to_owned());
        let pending = self
            .resources
            .get_mut(&jid.as_jid().to_bare())
            .and_then(|r| r.get_mut(resource(jid)))
            .and_then(|r| r.hibernating.take())
            .map(|(_, p)| p)
            .unwrap_or_default();
        self.unbound(jid);
        let mut stanzas = state.unacked_stanzas();
        stanzas.extend(pending.into_iter().map(RoutedStanza::into_stanza));
        self.undelivered(stanzas);
    }

    /// A session ended: its resource goes, and if it was available its
    /// contacts and other resources see it leave (RFC 6121 §4.5.2).
    pub(crate) fn unbound(&mut self, jid: &FullJid) {
        let bare = jid.as_jid().to_bare();
        let resource = jid.as_jid().resourcepart().unwrap_or_default();
        let removed = self
            .resources
            .get_mut(&bare)
            .and_then(|r| r.remove(resource));
        let was_available = removed.as_ref().is_some_and(|r| r.presence.is_some());
        if let Some(r) = removed {
            self.undelivered(
                r.ending
                    .into_iter()
                    .map(RoutedStanza::into_stanza)
                    .collect(),
            );
        }
        if self.resources.get(&bare).is_some_and(BTreeMap::is_empty) {
            self.resources.remove(&bare);
        }
        if was_available {
            let gone = Presence::new(StanzaNs::Client, PresenceType::Unavailable)
                .with_from(jid.clone().into());
            self.broadcast(&bare, &gone);
        }
    }

    pub(crate) fn take_resumable(&mut self, previd: &str) -> Option<ResumptionState> {
        self.resumable.remove(previd)
    }

    /// How many of its client's stanzas the timed-out session `previd` of
    /// `account` handled; `None` for a session unknown, or another
    /// account's (which learns nothing).
    pub(crate) fn timed_out(&self, previd: &str, account: Option<&BareJid>) -> Option<u32> {
        self.timed_out
            .get(previd)
            .filter(|(owner, _)| Some(owner) == account)
            .map(|&(_, h)| h)
    }

    /// Hands `stanza` to the session bound to `to` (a stanza a client
    /// sent goes as the [`RoutedStanza`] its session reported, so that the
    /// receiving session forwards its bytes); whether it was taken.
    fn send_to(&mut self, to: &FullJid, stanza: impl Into<RoutedStanza>) -> bool {
        self.deliver(to, stanza.into()).is_none()
    }

    /// [`send_to`](Self::send_to), giving the stanza back when it was
    /// not taken, so that a router tries the next place without having
    /// cloned it first.
    fn deliver(&mut self, to: &FullJid, stanza: RoutedStanza) -> Option<RoutedStanza> {
        let bare = to.as_jid().to_bare();
        let resource = to.as_jid().resourcepart().unwrap_or_default();
        let Some(r) = self
            .resources
            .get_mut(&bare)
            .and_then(|r| r.get_mut(resource))
        else {
            return Some(stanza);
        };
        match &mut r.hibernating {
            Some((_, pending)) if pending.len() < HIBERNATION_QUEUE => {
                pending.push(stanza);
                None
            }
            Some(_) => Some(stanza),
            None if self.waiting.iter().any(|w| &w.to == to) => {
                self.waiting.push(Waiting {
                    to: to.clone(),
                    sender: r.sender.clone(),
                    stanza,
                });
                None
            }
            None => match r.sender.try_send(stanza) {
                Ok(()) => None,
                // The session is ending; how it ends decides.
                Err(stanza) if !r.sender.is_alive() && r.ending.len() < HIBERNATION_QUEUE => {
                    r.ending.push(*stanza);
                    None
                }
                Err(stanza) if !r.sender.is_alive() => Some(*stanza),
                Err(stanza) => {
                    self.waiting.push(Waiting {
                        to: to.clone(),
                        sender: r.sender.clone(),
                        stanza: *stanza,
                    });
                    None
                }
            },
        }
    }

    /// The stanzas that wait for room in their sessions' queues, for the
    /// task that routed them to deliver once it lets go of the state.
    pub(crate) fn take_waiting(&mut self) -> Vec<Waiting> {
        core::mem::take(&mut self.waiting)
    }

    /// A waiting stanza its session did not take: the session ended
    /// meanwhile (routed again, to its hibernation or its end), or it
    /// still had no room after the wait (bounced with
    /// `resource-constraint`, RFC 6120 §8.3.3.18).
    pub(crate) fn not_taken(&mut self, to: &FullJid, stanza: RoutedStanza, alive: bool) {
        if alive {
            self.bounce(&stanza, DefinedCondition::ResourceConstraint);
        } else if !self.send_to(to, stanza.clone()) {
            self.bounce(&stanza, DefinedCondition::RecipientUnavailable);
        }
    }

    /// The available resources of `bare` with the highest non-negative
    /// priority (RFC 6121 §8.5.2.1.1).
    fn best_resources(&self, bare: &BareJid) -> Vec<FullJid> {
        let Some(resources) = self.resources.get(bare) else {
            return Vec::new();
        };
        let best = resources.values().filter_map(Resource::priority).max();
        match best {
            Some(p) if p >= 0 => resources
                .iter()
                .filter(|(_, r)| r.priority() == Some(p))
                .filter_map(|(name, _)| full(bare, name))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn available_resources(&self, bare: &BareJid) -> Vec<FullJid> {
        self.resources
            .get(bare)
            .map(|r| {
                r.iter()
                    .filter(|(_, r)| r.presence.is_some())
                    .filter_map(|(name, _)| full(bare, name))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn all_resources(&self, bare: &BareJid) -> Vec<FullJid> {
        self.resources
            .get(bare)
            .map(|r| r.keys().filter_map(|name| full(bare, name)).collect())
            .unwrap_or_default()
    }

    fn is_local(&self, jid: &Jid) -> bool {
        jid.domainpart() == self.domain
    }

    fn has_account(&self, bare: &BareJid) -> bool {
        bare.domainpart() == self.domain
            && bare
                .localpart()
                .is_some_and(|l| self.accounts.contains_key(l))
    }

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
    /// back to their sender, the rest is dropped.
    pub(crate) fn undelivered(&mut self, stanzas: Vec<Stanza>) {
        for stanza in stanzas {
            if let Stanza::Message(m) = &stanza {
                if m.kind() != MessageType::Error {
                    self.bounce(&stanza, DefinedCondition::RecipientUnavailable);
                }
            }
        }
    }

    /// An error reply to the stanza's sender (RFC 6120 §8.3.1).
    fn bounce(&mut self, stanza: &Stanza, condition: DefinedCondition) {
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

    fn route_message(&mut self, from: &FullJid, stanza: RoutedStanza) {
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
        if !self.has_account(&bare) {
            return self.bounce(&stanza, DefinedCondition::ServiceUnavailable);
        }
        // RFC 6121 §8.5.2.1.1 (and §8.5.3.2.1 for a full JID that is not
        // bound): the highest-priority available resources.
        let kind = match stanza.stanza() {
            Stanza::Message(m) => m.kind(),
            _ => MessageType::Normal,
        };
        if matches!(kind, MessageType::Groupchat | MessageType::Error) {
            return;
        }
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

    fn route_presence(&mut self, from: &FullJid, p: Presence) {
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
    fn broadcast(&mut self, bare: &BareJid, presence: &Presence) {
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
    fn deliver_contacts_presence(&mut self, to: &FullJid) {
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

    /// RFC 6121 §3: the four subscription stanzas between two local
    /// accounts, with roster pushes on both sides.
    fn subscription(&mut self, user: &BareJid, t: PresenceType, to: &Jid) {
        let contact = to.to_bare();
        if !self.has_account(&contact) {
            return;
        }
        let user_jid: Jid = user.clone().into();
        let contact_jid: Jid = contact.clone().into();
        match t {
            PresenceType::Subscribe => {
                self.update_item(user, &contact_jid, |i| i.ask = true);
            }
            PresenceType::Subscribed => {
                self.update_item(user, &contact_jid, |i| {
                    i.subscription = Some(add(i.subscription, Subscription::From));
                });
                self.update_item(&contact, &user_jid, |i| {
                    i.ask = false;
                    i.subscription = Some(add(i.subscription, Subscription::To));
                });
            }
            PresenceType::Unsubscribe => {
                self.update_item(user, &contact_jid, |i| {
                    i.ask = false;
                    i.subscription = Some(remove(i.subscription, Subscription::To));
                });
                self.update_item(&contact, &user_jid, |i| {
                    i.subscription = Some(remove(i.subscription, Subscription::From));
                });
            }
            PresenceType::Unsubscribed => {
                self.update_item(user, &contact_jid, |i| {
                    i.subscription = Some(remove(i.subscription, Subscription::From));
                });
                self.update_item(&contact, &user_jid, |i| {
                    i.ask = false;
                    i.subscription = Some(remove(i.subscription, Subscription::To));
                });
            }
            _ => return,
        }
        // Deliver the subscription stanza, from the bare JID (§3.1.3).
        let mut p = Presence::new(StanzaNs::Client, t).with_to(contact_jid.clone());
        p.header.from = Some(user_jid);
        for r in self.all_resources(&contact) {
            self.send_to(&r, Stanza::Presence(p.clone()));
        }
        // §3.1.5: once subscribed, the contact's user sees the presence.
        if t == PresenceType::Subscribed {
            let presences: Vec<Presence> = self
                .resources
                .get(user)
                .map(|r| {
                    r.values()
                        .filter_map(|r| r.presence.as_deref().cloned())
                        .collect()
                })
                .unwrap_or_default();
            for target in self.available_resources(&contact) {
                for pr in &presences {
                    let mut pr = pr.clone();
                    pr.header.to = Some(target.clone().into());
                    self.send_to(&target, Stanza::Presence(pr));
                }
            }
        }
    }

    /// Changes (or creates) `user`'s roster item for `contact` and pushes
    /// it to every resource of the user (RFC 6121 §2.1.6).
    fn update_item(&mut self, user: &BareJid, contact: &Jid, change: impl FnOnce(&mut RosterItem)) {
        let Some(account) = user.localpart().and_then(|l| self.accounts.get_mut(l)) else {
            return;
        };
        let item = account
            .roster
            .entry(contact.as_str().to_owned())
            .or_insert_with(|| {
                let mut i = RosterItem::new(contact.clone());
                i.subscription = Some(Subscription::None);
                i
            });
        change(item);
        let item = item.clone();
        self.push(user, item);
    }

    fn push(&mut self, user: &BareJid, item: RosterItem) {
        let mut roster = Roster::default();
        roster.items.push(item);
        for r in self.all_resources(user) {
            let id = format!("push{}", r.as_str().len());
            let iq = Iq::set(StanzaNs::Client, id, roster.to_element()).with_to(r.clone().into());
            self.send_to(&r, Stanza::Iq(iq));
        }
    }

    fn route_iq(&mut self, from: &FullJid, mut stanza: RoutedStanza) {
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
                let roster = bare
                    .localpart()
                    .and_then(|l| self.accounts.get(l))
                    .map(|a| {
                        let mut r = Roster::default();
                        r.items = a.roster.values().cloned().collect();
                        r
                    })
                    .unwrap_or_default();
                iq.make_result(Some(roster.to_element()))
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

    /// RFC 6121 §2.3: one item added, updated or removed, then pushed.
    fn roster_set(&mut self, user: &BareJid, iq: &Iq, payload: Option<&Element>) -> Iq {
        let items = payload
            .and_then(|p| Roster::from_element(p).ok())
            .map(|r| r.items)
            .unwrap_or_default();
        let [item] = items.as_slice() else {
            return iq.make_error(StanzaError::new(DefinedCondition::BadRequest));
        };
        if item.subscription == Some(Subscription::Remove) {
            if let Some(account) = user.localpart().and_then(|l| self.accounts.get_mut(l)) {
                account.roster.remove(item.jid.as_str());
            }
            self.push(user, item.clone());
        } else {
            let (name, groups) = (item.name.clone(), item.groups.clone());
            self.update_item(user, &item.jid, |i| {
                i.name = name;
                i.groups = groups;
            });
        }
        iq.make_result(None)
            .unwrap_or_else(|| iq.make_error(StanzaError::new(DefinedCondition::BadRequest)))
    }

    fn disco(&self) -> DiscoInfo {
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
    fn reply(&mut self, to: &FullJid, mut reply: Iq) {
        reply.header.to = Some(to.clone().into());
        self.send_to(to, Stanza::Iq(reply));
    }
}

fn resource(jid: &FullJid) -> &str {
    jid.as_jid().resourcepart().unwrap_or_default()
}

fn full(bare: &BareJid, resource: &str) -> Option<FullJid> {
    FullJid::new(&format!("{}/{resource}", bare.as_str())).ok()
}

fn set_from(stanza: &mut Stanza, from: Option<Jid>) {
    match stanza {
        Stanza::Message(m) => m.header.from = from,
        Stanza::Presence(p) => p.header.from = from,
        Stanza::Iq(i) => i.header.from = from,
    }
}

/// A subscription with `half` added (none + to = to, from + to = both).
fn add(s: Option<Subscription>, half: Subscription) -> Subscription {
    let (to, from) = halves(s);
    let (to, from) = match half {
        Subscription::To => (true, from),
        _ => (to, true),
    };
    join(to, from)
}

/// A subscription with `half` removed.
fn remove(s: Option<Subscription>, half: Subscription) -> Subscription {
    let (to, from) = halves(s);
    let (to, from) = match half {
        Subscription::To => (false, from),
        _ => (to, false),
    };
    join(to, from)
}

fn halves(s: Option<Subscription>) -> (bool, bool) {
    match s {
        Some(Subscription::To) => (true, false),
        Some(Subscription::From) => (false, true),
        Some(Subscription::Both) => (true, true),
        _ => (false, false),
    }
}

fn join(to: bool, from: bool) -> Subscription {
    match (to, from) {
        (true, true) => Subscription::Both,
        (true, false) => Subscription::To,
        (false, true) => Subscription::From,
        (false, false) => Subscription::None,
    }
}

/// The answer to a blocked attempt: credentials no client can prove, so
/// that it fails like any other, at the same step with the same work
/// (RFC 5802 §9 and RFC 6120 §6.5.10 `not-authorized`). An existing
/// account keeps its real salt and iteration count (SCRAM shows them
/// before the proof: made-up ones would tell that something changed), with
/// random keys; an unknown account and a token get the fake exchange, as
/// they would anyway.
fn refused(account: Option<&Account>, request: &CredentialsRequest, token: bool) -> Credentials {
    let hash = request.mechanism.scram_hash().unwrap_or(Hash::Sha256);
    let decoy = |real: &xmpp_sasl::StoredCredentials| {
        let mut key = vec![0u8; real.hash().output_len()];
        rand_core::OsRng.fill_bytes(&mut key);
        xmpp_sasl::StoredCredentials::new(real.hash(), real.salt(), real.iterations(), &key, &key)
            .ok()
    };
    match account {
        Some(a) if !token => a
            .keys
            .get(&hash)
            .and_then(decoy)
            .map_or(Credentials::UnknownUser, Credentials::Scram),
        _ => Credentials::UnknownUser,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resumable(id: &str, jid: &str, handled: u32) -> ResumptionState {
        serde_json::from_value(serde_json::json!({
            "id": id, "jid": jid, "inbound": handled, "acked": 0,
            "unacked": [], "max": 300,
        }))
        .expect("a resumption state")
    }

    #[test]
    fn a_timed_out_session_tells_its_own_account_how_much_it_handled() {
        let mut st = State::new("localhost".into(), HashMap::new());
        let jid = FullJid::new("alice@localhost/phone").expect("jid");
        st.hibernate(&jid, resumable("sm-1", jid.as_str(), 7));
        assert_eq!(st.timed_out("sm-1", Some(&jid.as_jid().to_bare())), None);
        st.expire(&jid, "sm-1");
        let alice = BareJid::new("alice@localhost").expect("jid");
        let bob = BareJid::new("bob@localhost").expect("jid");
        assert_eq!(st.timed_out("sm-1", Some(&alice)), Some(7));
        // Another account, or none, learns nothing; nor does a wrong id.
        assert_eq!(st.timed_out("sm-1", Some(&bob)), None);
        assert_eq!(st.timed_out("sm-1", None), None);
        assert_eq!(st.timed_out("sm-2", Some(&alice)), None);
        // Bounded: the oldest go first.
        for i in 0..TIMED_OUT_KEPT {
            let id = format!("sm-x{i}");
            st.hibernate(&jid, resumable(&id, jid.as_str(), 1));
            st.expire(&jid, &id);
        }
        assert_eq!(st.timed_out("sm-1", Some(&alice)), None);
        assert_eq!(st.timed_out.len(), TIMED_OUT_KEPT);
        assert_eq!(st.timed_out("sm-x4095", Some(&alice)), Some(1));
    }

    #[test]
    fn a_fast_token_moves_only_when_proven() {
        let mut accounts = HashMap::new();
        accounts.insert("alice".to_owned(), Account::new(HashMap::new()));
        let mut st = State::new("localhost".into(), accounts);
        let ht = Mechanism::Ht {
            binding: xmpp_sasl::HtBinding::None,
        };
        st.issued("alice", ht, "secret".into(), 2_000);
        let request = CredentialsRequest {
            mechanism: ht,
            authcid: Some("alice".into()),
            authzid: None,
        };
        let ask = |st: &mut State, count, now| {
            let mut used = xmpp_stanza::FastUse::default();
            used.count = Some(count);
            let peer = SocketAddr::from(([192, 0, 2, 1], 5222));
            match st.credentials(&request, Some(used), peer, now, Instant::now()) {
                Credentials::FastToken {
                    processed,
                    expiry,
                    now,
                    ..
                } => Some((processed, expiry, now)),
                _ => None,
            }
        };
        // A request, however large its count, records nothing.
        assert_eq!(
            ask(&mut st, u64::MAX, 1_000),
            Some((None, Some(2_000), 1_000))
        );
        assert_eq!(ask(&mut st, 1, 1_000), Some((None, Some(2_000), 1_000)));
        st.token_used("alice", ht, Some(1), false);
        assert_eq!(ask(&mut st, 2, 1_999), Some((Some(1), Some(2_000), 1_999)));
        st.token_used("alice", ht, Some(2), true);
        assert_eq!(ask(&mut st, 3, 1_000), None, "invalidated");
    }

    /// Blocked after ten failures from one address: an existing account
    /// gets its real salt and iteration count with keys nothing proves,
    /// an unknown one the fake exchange, as always; after the block the
    /// owner gets in.
    #[test]
    fn a_blocked_attempt_fails_like_a_wrong_password() {
        let stored = |hash| {
            xmpp_sasl::StoredCredentials::from_password(
                hash,
                xmpp_sasl::Prep::SaslPrep,
                "pw",
                b"salt-of-alice!!!",
                4096,
            )
            .expect("keys")
        };
        let mut keys = HashMap::new();
        keys.insert(Hash::Sha256, stored(Hash::Sha256));
        let mut accounts = HashMap::new();
        accounts.insert("alice".to_owned(), Account::new(keys));
        let mut st = State::new("localhost".into(), accounts);
        let scram = Mechanism::Scram {
            hash: Hash::Sha256,
            plus: false,
        };
        let request = |user: &str| CredentialsRequest {
            mechanism: scram,
            authcid: Some(user.into()),
            authzid: None,
        };
        let t0 = Instant::now();
        let ask = |st: &mut State, user, port, now| {
            let peer = SocketAddr::from(([192, 0, 2, 1], port));
            let answer = st.credentials(&request(user), None, peer, 0, now);
            st.auth_ended(peer, now);
            answer
        };
        let key = |c: &Credentials| match c {
            Credentials::Scram(s) => {
                Some((s.salt().to_vec(), s.iterations(), s.stored_key().to_vec()))
            }
            _ => None,
        };
        let real = stored(Hash::Sha256);
        let real = (real.salt().to_vec(), 4096, real.stored_key().to_vec());
        for port in 0..10 {
            assert_eq!(key(&ask(&mut st, "alice", port, t0)).as_ref(), Some(&real));
        }
        let blocked = key(&ask(&mut st, "alice", 10, t0)).expect("scram");
        assert_eq!((&blocked.0, blocked.1), (&real.0, real.1), "the salt shown");
        assert_ne!(blocked.2, real.2, "keys nothing proves");
        assert!(matches!(
            ask(&mut st, "nobody", 11, t0),
            Credentials::UnknownUser
        ));
        let later = t0 + std::time::Duration::from_secs(600);
        assert_eq!(key(&ask(&mut st, "alice", 12, later)), Some(real));
    }

    #[test]
    fn subscription_halves() {
        assert_eq!(add(None, Subscription::To), Subscription::To);
        assert_eq!(
            add(Some(Subscription::To), Subscription::From),
            Subscription::Both
        );
        assert_eq!(
            remove(Some(Subscription::Both), Subscription::To),
            Subscription::From
        );
        assert_eq!(
            remove(Some(Subscription::From), Subscription::From),
            Subscription::None
        );
    }
}
