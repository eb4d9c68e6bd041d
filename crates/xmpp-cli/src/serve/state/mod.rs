//! What `xmpp serve` knows and does with stanzas: the accounts (SCRAM
//! keys, rosters, FAST tokens, failed logins), the bound and hibernating
//! resources and the stanzas waiting for them; RFC 6121 routing (§8.5),
//! presence broadcast and the server's own iq answers are in [`routing`],
//! the roster (§2) and subscriptions (§3) in [`roster`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand_core::RngCore as _;

use xmpp_jid::{BareJid, FullJid, Jid};
use xmpp_sasl::{Credentials, CredentialsRequest, FastSlot, FastTokenSlot, Hash, Mechanism};
use xmpp_session::{ResumptionState, RoutedStanza};
use xmpp_stanza::{
    DefinedCondition, Iq, Payload, Presence, PresenceType, Roster, RosterItem, Stanza, StanzaNs,
};
use xmpp_tokio::SessionSender;
use zeroize::Zeroizing;

use super::limiter::{Limiter, Limits};

mod roster;
mod routing;

/// One account: SCRAM keys per hash (never the password), the roster,
/// the FAST tokens issued (two slots per client installation).
pub(crate) struct Account {
    pub(crate) keys: HashMap<Hash, xmpp_sasl::StoredCredentials>,
    /// Shared with the roster results being written, which are built
    /// after the state's lock is let go; a change meanwhile copies it.
    roster: Arc<BTreeMap<String, RosterItem>>,
    /// By client id (SASL2's `<user-agent id/>`, XEP-0484 §4.1), at most
    /// [`MAX_TOKEN_CLIENTS`].
    tokens: HashMap<String, TokenSlots>,
}

/// Clients of one account holding FAST tokens at most: past it, issuing
/// to another client drops the one whose tokens expire first.
pub(crate) const MAX_TOKEN_CLIENTS: usize = 32;

/// The longest client id kept (a UUID is 36 bytes): a client sending a
/// longer one gets no token.
pub(crate) const MAX_CLIENT_ID: usize = 128;

/// A client's two token slots (XEP-0484 §5.1): a new token goes into
/// `new`, and moves into `current` when the client first uses it.
#[derive(Default)]
struct TokenSlots {
    current: Option<IssuedToken>,
    new: Option<IssuedToken>,
}

impl TokenSlots {
    fn slot(&self, which: FastSlot) -> Option<&IssuedToken> {
        match which {
            FastSlot::New => self.new.as_ref(),
            FastSlot::Current => self.current.as_ref(),
        }
    }

    /// When the last of its tokens expires.
    fn expiry(&self) -> u64 {
        let e = |t: &Option<IssuedToken>| t.as_ref().map_or(0, |t| t.expiry);
        e(&self.current).max(e(&self.new))
    }
}

/// A XEP-0484 FAST token issued to a client.
struct IssuedToken {
    token: Zeroizing<String>,
    /// The HT mechanism it is bound to (XEP-0484 §3.2).
    mechanism: Mechanism,
    /// The highest `count` of a successful use, so that a replay fails.
    processed: Option<u64>,
    /// When it stops being valid, in seconds since the Unix epoch: the
    /// expiry sent with it (XEP-0484 §3.3).
    expiry: u64,
}

impl IssuedToken {
    /// The slot the machine checks, when the token is for `mechanism`.
    fn slot_for(&self, mechanism: Mechanism) -> Option<FastTokenSlot> {
        (self.mechanism == mechanism).then(|| FastTokenSlot {
            token: self.token.clone(),
            processed: self.processed,
            expiry: Some(self.expiry),
        })
    }
}

/// The key a client's tokens are kept under: its SASL2 user agent's id
/// (XEP-0484 §4.1 requires one; clients sending none share the empty
/// key), or `None` for an id too long to keep.
pub(crate) fn client_key(user_agent: Option<&xmpp_stanza::UserAgent>) -> Option<String> {
    let id = user_agent.and_then(|u| u.id.as_deref()).unwrap_or_default();
    (id.len() <= MAX_CLIENT_ID).then(|| id.to_owned())
}

impl Account {
    pub(crate) fn new(keys: HashMap<Hash, xmpp_sasl::StoredCredentials>) -> Self {
        Self {
            keys,
            roster: Arc::new(BTreeMap::new()),
            tokens: HashMap::new(),
        }
    }
}

/// A bound resource, or one reserved for a bind in progress.
struct Resource {
    /// Its full JID, kept so that routing never prepares it again.
    jid: FullJid,
    sender: SessionSender,
    /// Whether its session reported it bound; until then it is only
    /// reserved (taken for `in_use` and the cap, but no stanza goes to
    /// it), so that two binds of one name at once cannot both pass.
    bound: bool,
    /// The last available presence broadcast, if any (RFC 6121 §4.2);
    /// boxed, so that a resource without one is small.
    presence: Option<Box<Presence>>,
    /// While its connection is gone but the session may resume
    /// (XEP-0198 §5).
    hibernating: Option<Box<Hibernation>>,
    /// Stanzas routed after its session's task stopped taking them and
    /// before the session reported how it ended: they join the
    /// hibernation queue, or bounce when the session is gone for good.
    ending: Held,
    /// How long it has kept its senders waiting.
    slow: Slow,
}

/// An account's resources, by name. A few at most (`--max-resources`,
/// 10 by default), so a list searched in order, of boxes: one resource
/// costs a pointer and its box, where a B-tree node keeps room for eleven
/// names and resources (about 2.7 KB) from the first, part of every idle
/// connection's memory.
#[derive(Default)]
#[allow(
    clippy::vec_box,
    reason = "a first push reserves room for four: four pointers, not four resources"
)]
struct Resources(Vec<Box<Resource>>);

impl Resources {
    fn position(&self, name: &str) -> Option<usize> {
        self.0.iter().position(|r| resource(&r.jid) == name)
    }

    fn get(&self, name: &str) -> Option<&Resource> {
        self.0
            .iter()
            .find(|r| resource(&r.jid) == name)
            .map(|r| &**r)
    }

    fn get_mut(&mut self, name: &str) -> Option<&mut Resource> {
        self.0
            .iter_mut()
            .find(|r| resource(&r.jid) == name)
            .map(|r| &mut **r)
    }

    fn contains_key(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// Puts `r` under `name` (its JID's resourcepart), in place of any
    /// resource of that name.
    fn insert(&mut self, name: &str, r: Box<Resource>) {
        match self.position(name).and_then(|i| self.0.get_mut(i)) {
            Some(slot) => *slot = r,
            None => self.0.push(r),
        }
    }

    fn remove(&mut self, name: &str) -> Option<Box<Resource>> {
        let i = self.position(name)?;
        let r = self.0.swap_remove(i);
        if self.0.is_empty() {
            self.0 = Vec::new();
        }
        Some(r)
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn values(&self) -> impl Iterator<Item = &Resource> {
        self.0.iter().map(|r| &**r)
    }

    fn iter(&self) -> impl Iterator<Item = (&str, &Resource)> {
        self.0.iter().map(|r| (resource(&r.jid), &**r))
    }
}

/// Senders may wait for room in one recipient's queue this long in all
/// (counting waits longer than [`LONG_WAIT`], within a [`SLOW_WINDOW`]);
/// past it the recipient's stream is ended instead of stalling each
/// later sender again (ejabberd ends a recipient past its
/// `max_fsm_queue` likewise, and never makes the sender wait).
pub(crate) const SLOW_RECIPIENT: Duration = Duration::from_secs(10);
/// A wait for room shorter than this is a fast reader that is merely
/// behind (a flood, a moment without CPU): not counted. A reader slower
/// than about two stanzas a second is counted.
pub(crate) const LONG_WAIT: Duration = Duration::from_millis(500);
/// The window [`SLOW_RECIPIENT`] is counted over.
const SLOW_WINDOW: Duration = Duration::from_secs(60);

/// How long a recipient has kept its senders waiting.
#[derive(Default)]
struct Slow {
    /// The long waits of the window that began at `since`.
    waited: Duration,
    since: Option<Instant>,
    /// Past [`SLOW_RECIPIENT`]: its stream is being ended, and stanzas
    /// to it are held (as for a session that is ending), not waited for.
    stalled: bool,
}

/// Stanzas kept for a hibernating (or ending) session at most.
const HIBERNATION_QUEUE: usize = 1000;
/// Bytes of stanzas kept for a hibernating (or ending) session at most,
/// as written: a stanza can be up to the element limit (256 KiB), so a
/// count alone would let one resource hold 250 MiB.
const HIBERNATION_BYTES: usize = 2 << 20;

/// Stanzas kept for a session that cannot take them now, bounded by
/// [`HIBERNATION_QUEUE`] and [`HIBERNATION_BYTES`].
#[derive(Default)]
struct Held {
    stanzas: Vec<RoutedStanza>,
    /// The sum of the stanzas' [`weight`]s.
    bytes: usize,
}

impl Held {
    /// Keeps `stanza`, or gives it back when that would pass a bound.
    fn push(&mut self, stanza: RoutedStanza) -> Option<RoutedStanza> {
        let weight = weight(&stanza);
        if self.stanzas.len() >= HIBERNATION_QUEUE
            || self.bytes.saturating_add(weight) > HIBERNATION_BYTES
        {
            return Some(stanza);
        }
        self.bytes += weight;
        self.stanzas.push(stanza);
        None
    }
}

/// A stanza's size as written: the bytes it was read from, or else its
/// serialization (a stanza the server made, small).
fn weight(stanza: &RoutedStanza) -> usize {
    stanza.frame().map_or_else(
        || stanza.stanza().to_element().to_xml().len(),
        |f| f.xml().len(),
    )
}

/// One hibernation of a resource (XEP-0198 §5): which session, which
/// window, and the stanzas that arrived meanwhile.
struct Hibernation {
    /// The SM-ID. A resumed session keeps it, so the same id can
    /// hibernate again.
    id: String,
    /// Which hibernation this is: a timer expires only the window it was
    /// started for, never a later one of the same (resumed) session.
    generation: u64,
    pending: Held,
}

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
    /// Resources an account may have bound (hibernating ones included)
    /// at once; past it a bind is refused with `resource-constraint`
    /// (RFC 6120 §7.6.2.1).
    max_resources: usize,
    /// Each account's resources.
    resources: HashMap<BareJid, Resources>,
    /// Sessions that ended resumable, by SM-ID, with their hibernation's
    /// generation. A state stays here until a session reports it
    /// `Resumed` or its window closes: handing it to a machine that then
    /// refuses it (another account's, a wrong `h`) does not consume it.
    resumable: HashMap<String, (u64, ResumptionState)>,
    /// The generation the next hibernation gets.
    generations: u64,
    /// Roster gets answered once the state is let go (see [`RosterGet`]).
    rosters: Vec<RosterGet>,
    /// The number in the next roster push's id (RFC 6120 §8.1.3: ids are
    /// unique).
    pushes: u64,
    /// Sessions whose resumption window closed, by SM-ID: the account and
    /// how many of its client's stanzas the session handled, for
    /// `<failed h='…'/>` (XEP-0198 §5). The oldest go first beyond
    /// [`TIMED_OUT_KEPT`].
    timed_out: HashMap<String, (BareJid, u32)>,
    timed_out_order: std::collections::VecDeque<String>,
    /// Stanzas for live sessions whose queues were full, in routing order:
    /// the task that routed them delivers them after it lets go of the
    /// state, waiting for room (see [`Waiting`]).
    waiting: Waiters,
    /// Failed authentications per account and per client address.
    limiter: Limiter,
}

/// The [`Waiting`] stanzas, and who they are for: a stanza for one of
/// those recipients queues behind them (found in constant time, not by a
/// walk of the list for each delivery).
#[derive(Default)]
struct Waiters {
    list: Vec<Waiting>,
    to: HashSet<FullJid>,
}

impl Waiters {
    fn push(&mut self, to: &FullJid, sender: SessionSender, stanza: RoutedStanza) {
        if !self.to.contains(to) {
            self.to.insert(to.clone());
        }
        self.list.push(Waiting {
            to: to.clone(),
            sender,
            stanza,
        });
    }
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

/// A roster get (RFC 6121 §2.1.3), answered by the requesting session's
/// task after it lets go of the state: the result is as long as the
/// roster, and every session waits while the state is held.
pub(crate) struct RosterGet {
    pub(crate) to: FullJid,
    iq: Iq,
    items: Arc<BTreeMap<String, RosterItem>>,
}

impl RosterGet {
    /// The result, addressed to the requester.
    pub(crate) fn reply(self) -> Option<Stanza> {
        let mut roster = Roster::default();
        roster.items = self.items.values().cloned().collect();
        let mut reply = self.iq.make_result(Some(roster.to_element()))?;
        reply.header.to = Some(self.to.into());
        Some(Stanza::Iq(reply))
    }
}

impl State {
    pub(crate) fn new(domain: String, accounts: HashMap<String, Account>) -> Self {
        Self {
            domain,
            accounts,
            max_resources: usize::MAX,
            resources: HashMap::new(),
            resumable: HashMap::new(),
            generations: 0,
            pushes: 0,
            rosters: Vec::new(),
            timed_out: HashMap::new(),
            timed_out_order: std::collections::VecDeque::new(),
            waiting: Waiters::default(),
            limiter: Limiter::new(Limits::default()),
        }
    }

    /// Caps the resources an account may have bound at once.
    pub(crate) fn with_max_resources(mut self, max: usize) -> Self {
        self.max_resources = max;
        self
    }

    /// Whether `account` may bind one more resource. At the cap, the
    /// resource hibernating longest gives way: its resumption window
    /// closes now, as if it had timed out (what it never acknowledged or
    /// never received bounces), since a device that comes back without
    /// resuming must not be refused for its own old session. With every
    /// resource live, no (RFC 6120 §7.6.2.1: the bind is refused with
    /// `resource-constraint`).
    pub(crate) fn make_room(&mut self, account: &BareJid) -> bool {
        let Some(resources) = self.resources.get(account) else {
            return true;
        };
        if resources.len() < self.max_resources {
            return true;
        }
        let oldest = resources
            .values()
            .filter_map(|r| {
                r.hibernating
                    .as_ref()
                    .map(|h| (h.generation, h.id.clone(), r.jid.clone()))
            })
            .min_by_key(|(generation, ..)| *generation);
        match oldest {
            Some((generation, id, jid)) => {
                self.expire(&jid, &id, generation);
                true
            }
            None => false,
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
    /// token's count is checked and recorded by [`Self::token_used`] once
    /// the machine reports it proven.
    pub(crate) fn credentials(
        &mut self,
        request: &CredentialsRequest,
        fast: Option<xmpp_stanza::FastUse>,
        client: Option<&str>,
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
            // XEP-0484 §5.1: the client's tokens for this mechanism, `new`
            // tried first; refused on a replayed count or past expiry.
            let slots = client.and_then(|c| account.tokens.get(c));
            let slot = |which| {
                slots
                    .and_then(|s| s.slot(which))
                    .and_then(|t| t.slot_for(request.mechanism))
            };
            let (new, current) = (slot(FastSlot::New), slot(FastSlot::Current));
            if new.is_none() && current.is_none() {
                return Credentials::UnknownUser;
            }
            return Credentials::FastToken {
                current,
                new,
                count: used.count,
                now: unix_now,
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

    /// The attempt on the connection from `peer` failed, or the connection
    /// ended: an attempt on it that had not succeeded failed.
    pub(crate) fn auth_ended(&mut self, peer: SocketAddr, now: Instant) {
        self.limiter.ended(peer, now);
    }

    /// Keeps a token issued to `user`'s `client` for `mechanism`, valid
    /// until `expiry` (seconds since the Unix epoch), in the client's `new`
    /// slot: the `current` token stays valid until the new one is used,
    /// and a `new` one never used is replaced (XEP-0484 §3.5, §5.1).
    pub(crate) fn issued(
        &mut self,
        user: &str,
        client: &str,
        mechanism: Mechanism,
        token: String,
        expiry: u64,
    ) {
        let Some(account) = self.accounts.get_mut(user) else {
            return;
        };
        if !account.tokens.contains_key(client) && account.tokens.len() >= MAX_TOKEN_CLIENTS {
            let first = account
                .tokens
                .iter()
                .min_by_key(|(_, s)| s.expiry())
                .map(|(c, _)| c.clone());
            if let Some(first) = first {
                account.tokens.remove(&first);
            }
        }
        account.tokens.entry(client.to_owned()).or_default().new = Some(IssuedToken {
            token: Zeroizing::new(token),
            mechanism,
            processed: None,
            expiry,
        });
    }

    /// A token of `user`'s `client` for `mechanism`, from `slot`, is
    /// proven by the machine (`TokenUsed`): whether this use may succeed,
    /// with the token's expiry (for the rotation). It may not when `count`
    /// is no longer above the highest processed (another connection used
    /// it since the credentials were looked up) or the token is gone.
    /// Otherwise `count` is processed now, so that a replay of it fails;
    /// a `new` token becomes the `current` one, the one it replaces gone
    /// (XEP-0484 §3.5, §5.1); with `invalidate` the client's tokens go
    /// (§3.6). Check and record are one step under the state's lock.
    /// Nothing else moves a token's count: a failed attempt's count,
    /// however large, changes nothing.
    pub(crate) fn token_used(
        &mut self,
        user: &str,
        client: &str,
        used: (Mechanism, FastSlot),
        count: Option<u64>,
        invalidate: bool,
    ) -> Option<u64> {
        let (mechanism, which) = used;
        let account = self.accounts.get_mut(user)?;
        let slots = account.tokens.get_mut(client)?;
        let t = slots.slot(which).filter(|t| t.mechanism == mechanism)?;
        if count.is_some_and(|c| t.processed.is_some_and(|p| c <= p)) {
            return None;
        }
        let expiry = t.expiry;
        if invalidate {
            account.tokens.remove(client);
            return Some(expiry);
        }
        if which == FastSlot::New {
            slots.current = slots.new.take();
        }
        if let Some(t) = slots.current.as_mut() {
            t.processed = count.max(t.processed);
        }
        Some(expiry)
    }

    /// Whether `resource` is bound for `account` (RFC 6120 §7.7.2.2).
    pub(crate) fn in_use(&self, account: &BareJid, resource: &str) -> bool {
        self.resources
            .get(account)
            .is_some_and(|r| r.contains_key(resource))
    }

    /// A bind of `jid` was accepted: the resource is taken from now on
    /// (RFC 6120 §7.7.2.2 asks a server to keep two sessions from the
    /// same resource), until [`bound`](Self::bound) or
    /// [`unbound`](Self::unbound).
    pub(crate) fn reserve(&mut self, jid: &FullJid, sender: SessionSender) {
        self.insert(jid, sender, false);
    }

    /// A resource is bound.
    pub(crate) fn bound(&mut self, jid: &FullJid, sender: SessionSender) {
        self.insert(jid, sender, true);
    }

    fn insert(&mut self, jid: &FullJid, sender: SessionSender, bound: bool) {
        let resource = resource(jid).to_owned();
        let resources = self.resources.entry(jid.as_jid().to_bare()).or_default();
        resources.insert(
            &resource,
            Box::new(Resource {
                jid: jid.clone(),
                sender,
                bound,
                presence: None,
                hibernating: None,
                ending: Held::default(),
                slow: Slow::default(),
            }),
        );
    }

    /// A hibernating resource resumed (XEP-0198 §5): its state is
    /// consumed now, and what arrived while it slept goes out, after the
    /// machine's own resend. `false` when `jid` is not hibernating with a
    /// state still kept (another connection resumed it first, or its
    /// window closed meanwhile): that session must not take the resource.
    pub(crate) fn resumed(&mut self, jid: &FullJid, sender: SessionSender) -> bool {
        let Some(r) = self
            .resources
            .get_mut(&jid.as_jid().to_bare())
            .and_then(|r| r.get_mut(resource(jid)))
        else {
            return false;
        };
        let Some(h) = r.hibernating.as_ref() else {
            return false;
        };
        let kept = self.resumable.get(&h.id);
        if kept.is_none_or(|(generation, _)| *generation != h.generation) {
            return false;
        }
        self.resumable.remove(&h.id);
        r.sender = sender;
        r.slow = Slow::default();
        let pending = r.hibernating.take().map(|h| h.pending).unwrap_or_default();
        // Up to 1,000 stanzas for a queue of 256: what does not fit now
        // waits for room, in order, like any stanza to a full queue.
        let mut full = false;
        for stanza in pending.stanzas {
            let stanza = if full {
                stanza
            } else {
                match r.sender.try_send(stanza) {
                    Ok(()) => continue,
                    Err(stanza) => *stanza,
                }
            };
            full = true;
            self.waiting.push(jid, r.sender.clone(), stanza);
        }
        true
    }

    /// A session ended resumable: its resource stays, stanzas to it wait.
    /// Gives the hibernation's generation, for [`expire`](Self::expire).
    pub(crate) fn hibernate(&mut self, jid: &FullJid, state: ResumptionState) -> u64 {
        let id = state.id().to_owned();
        let generation = self.generations;
        self.generations += 1;
        if let Some(r) = self
            .resources
            .get_mut(&jid.as_jid().to_bare())
            .and_then(|r| r.get_mut(resource(jid)))
        {
            r.hibernating = Some(Box::new(Hibernation {
                id: id.clone(),
                generation,
                pending: core::mem::take(&mut r.ending),
            }));
        }
        self.resumable.insert(id, (generation, state));
        generation
    }

    /// The resumption window of hibernation `generation` of `id` closed
    /// (XEP-0198 §5): the resource goes, and what it never acknowledged
    /// or never received bounces. A later hibernation of the same
    /// session (resumed, then cut again) is left alone; a resource whose
    /// state is gone (which no resumption that failed can do now) still
    /// goes, so that it never stays taken for ever.
    pub(crate) fn expire(&mut self, jid: &FullJid, id: &str, generation: u64) {
        let state = match self.resumable.get(id) {
            Some((g, _)) if *g == generation => self.resumable.remove(id).map(|(_, s)| s),
            _ => None,
        };
        let pending = self
            .resources
            .get_mut(&jid.as_jid().to_bare())
            .and_then(|r| r.get_mut(resource(jid)))
            .filter(|r| {
                r.hibernating
                    .as_ref()
                    .is_some_and(|h| h.id == id && h.generation == generation)
            })
            .and_then(|r| r.hibernating.take())
            .map(|h| h.pending);
        if pending.is_some() {
            self.unbound(jid);
        }
        let mut stanzas = Vec::new();
        if let Some(state) = state {
            // One entry per id in the order, so that evicting an old copy
            // never removes a newer record.
            if self
                .timed_out
                .insert(id.to_owned(), (jid.as_jid().to_bare(), state.handled()))
                .is_some()
            {
                self.timed_out_order.retain(|o| o != id);
            }
            self.timed_out_order.push_back(id.to_owned());
            if self.timed_out_order.len() > TIMED_OUT_KEPT {
                if let Some(oldest) = self.timed_out_order.pop_front() {
                    self.timed_out.remove(&oldest);
                }
            }
            stanzas = state.unacked_stanzas();
        }
        stanzas.extend(
            pending
                .into_iter()
                .flat_map(|p| p.stanzas)
                .map(RoutedStanza::into_stanza),
        );
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
                    .stanzas
                    .into_iter()
                    .map(RoutedStanza::into_stanza)
                    .collect(),
            );
        }
        if self.resources.get(&bare).is_some_and(Resources::is_empty) {
            self.resources.remove(&bare);
        }
        if was_available {
            let gone = Presence::new(StanzaNs::Client, PresenceType::Unavailable)
                .with_from(jid.clone().into());
            self.broadcast(&bare, &gone);
        }
    }

    /// The state of the resumable session `previd` of `account`, for
    /// its machine to check and take up; it stays kept until
    /// [`resumed`](Self::resumed). `None` for an unknown id or another
    /// account's session (refused alike, `item-not-found`).
    pub(crate) fn resumable(
        &self,
        previd: &str,
        account: Option<&BareJid>,
    ) -> Option<ResumptionState> {
        let (_, state) = self.resumable.get(previd)?;
        let owner = FullJid::new(state.jid()).ok()?.as_jid().to_bare();
        (Some(&owner) == account).then(|| state.clone())
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
        // A resource reserved by an accepted bind takes stanzas already:
        // its client learns it is bound when the machine applies the bind
        // answer, which is queued before them, so a stanza routed to it
        // meanwhile (another client that saw it bound, say) waits behind
        // the answer instead of bouncing.
        let Some(r) = self
            .resources
            .get_mut(&bare)
            .and_then(|r| r.get_mut(resource))
        else {
            return Some(stanza);
        };
        match &mut r.hibernating {
            Some(h) => h.pending.push(stanza),
            None if r.slow.stalled => r.ending.push(stanza),
            None if self.waiting.to.contains(to) => {
                self.waiting.push(to, r.sender.clone(), stanza);
                None
            }
            None => match r.sender.try_send(stanza) {
                Ok(()) => None,
                // The session is ending; how it ends decides.
                Err(stanza) if !r.sender.is_alive() => r.ending.push(*stanza),
                Err(stanza) => {
                    self.waiting.push(to, r.sender.clone(), *stanza);
                    None
                }
            },
        }
    }

    /// The stanzas that wait for room in their sessions' queues, for the
    /// task that routed them to deliver once it lets go of the state.
    pub(crate) fn take_waiting(&mut self) -> Vec<Waiting> {
        core::mem::take(&mut self.waiting).list
    }

    /// The roster gets to answer once the state is let go.
    pub(crate) fn take_rosters(&mut self) -> Vec<RosterGet> {
        core::mem::take(&mut self.rosters)
    }

    /// A waiting stanza whose session ended meanwhile: routed again, to
    /// its hibernation or its end.
    pub(crate) fn not_taken(&mut self, to: &FullJid, stanza: RoutedStanza) {
        if !self.send_to(to, stanza.clone()) {
            self.bounce(&stanza, DefinedCondition::RecipientUnavailable);
        }
    }

    /// How long a sender may still wait for room in `to`'s queue: what
    /// is left of [`SLOW_RECIPIENT`] in the current window; zero once `to`
    /// is stalled or gone.
    pub(crate) fn patience(&mut self, to: &FullJid, now: Instant) -> Duration {
        let Some(r) = self.resource_mut(to) else {
            return Duration::ZERO;
        };
        if r.slow.stalled {
            return Duration::ZERO;
        }
        if r.slow
            .since
            .is_none_or(|s| now.duration_since(s) > SLOW_WINDOW)
        {
            r.slow = Slow {
                since: Some(now),
                ..Slow::default()
            };
        }
        SLOW_RECIPIENT.saturating_sub(r.slow.waited)
    }

    /// A sender waited `waited` for room in `to`'s queue.
    pub(crate) fn waited(&mut self, to: &FullJid, waited: Duration) {
        if waited < LONG_WAIT {
            return;
        }
        if let Some(r) = self.resource_mut(to) {
            r.slow.waited = r.slow.waited.saturating_add(waited);
        }
    }

    /// `to` kept its senders waiting past [`SLOW_RECIPIENT`], and still
    /// had no room for `stanza`: the stanza is held with what follows
    /// (it joins the hibernation queue if the session can resume, or
    /// bounces when it ends), and the first time, the session's sender
    /// comes back for the caller to end its stream.
    pub(crate) fn stall(&mut self, to: &FullJid, stanza: RoutedStanza) -> Option<SessionSender> {
        let Some(r) = self.resource_mut(to).filter(|r| r.hibernating.is_none()) else {
            self.not_taken(to, stanza);
            return None;
        };
        let first = !r.slow.stalled;
        r.slow.stalled = true;
        let sender = first.then(|| r.sender.clone());
        if let Some(stanza) = r.ending.push(stanza) {
            // RFC 6120 §8.3.3.18.
            self.bounce(&stanza, DefinedCondition::ResourceConstraint);
        }
        sender
    }

    fn resource_mut(&mut self, jid: &FullJid) -> Option<&mut Resource> {
        self.resources
            .get_mut(&jid.as_jid().to_bare())
            .and_then(|r| r.get_mut(resource(jid)))
            .filter(|r| r.bound)
    }

    /// The available resources of `bare` with the highest non-negative
    /// priority (RFC 6121 §8.5.2.1.1).
    fn best_resources(&self, bare: &BareJid) -> Vec<FullJid> {
        let Some(resources) = self.resources.get(bare) else {
            return Vec::new();
        };
        let best = resources.values().filter_map(|r| r.priority()).max();
        match best {
            Some(p) if p >= 0 => resources
                .iter()
                .filter(|(_, r)| r.priority() == Some(p))
                .map(|(_, r)| r.jid.clone())
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
                    .map(|(_, r)| r.jid.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn all_resources(&self, bare: &BareJid) -> Vec<FullJid> {
        self.resources
            .get(bare)
            .map(|r| {
                r.iter()
                    .filter(|(_, r)| r.bound)
                    .map(|(_, r)| r.jid.clone())
                    .collect()
            })
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
}

fn resource(jid: &FullJid) -> &str {
    jid.as_jid().resourcepart().unwrap_or_default()
}

fn set_from(stanza: &mut Stanza, from: Option<Jid>) {
    match stanza {
        Stanza::Message(m) => m.header.from = from,
        Stanza::Presence(p) => p.header.from = from,
        Stanza::Iq(i) => i.header.from = from,
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
        let g = st.hibernate(&jid, resumable("sm-1", jid.as_str(), 7));
        assert_eq!(st.timed_out("sm-1", Some(&jid.as_jid().to_bare())), None);
        st.expire(&jid, "sm-1", g);
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
            let g = st.hibernate(&jid, resumable(&id, jid.as_str(), 1));
            st.expire(&jid, &id, g);
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
        let phone = "d4565fa7-4d72-4749-b3d3-740edbf87770";
        st.issued("alice", phone, ht, "first".into(), 2_000);
        let request = CredentialsRequest {
            mechanism: ht,
            authcid: Some("alice".into()),
            authzid: None,
        };
        // What the machine is given: (new, current) as (token, processed,
        // expiry).
        type Slot = Option<(String, Option<u64>, Option<u64>)>;
        let ask = |st: &mut State, client: &str, count| -> Option<(Slot, Slot)> {
            let mut used = xmpp_stanza::FastUse::default();
            used.count = Some(count);
            let peer = SocketAddr::from(([192, 0, 2, 1], 5222));
            let shown =
                |s: Option<FastTokenSlot>| s.map(|s| (s.token.to_string(), s.processed, s.expiry));
            match st.credentials(
                &request,
                Some(used),
                Some(client),
                peer,
                1_000,
                Instant::now(),
            ) {
                Credentials::FastToken { new, current, .. } => Some((shown(new), shown(current))),
                _ => None,
            }
        };
        let slot = |t: &str, p, e| Some((t.to_owned(), p, Some(e)));
        // A request, however large its count, records nothing. The token
        // waits in the `new` slot.
        assert_eq!(
            ask(&mut st, phone, u64::MAX),
            Some((slot("first", None, 2_000), None))
        );
        assert_eq!(
            ask(&mut st, "another client", 1),
            None,
            "tokens are per client"
        );
        assert_eq!(
            st.token_used("alice", phone, (ht, FastSlot::New), Some(1), false),
            Some(2_000)
        );
        // The same count proven on a second connection at once: the record
        // refuses it (the token is `current` now).
        assert_eq!(
            st.token_used("alice", phone, (ht, FastSlot::Current), Some(1), false),
            None
        );
        assert_eq!(
            ask(&mut st, phone, 2),
            Some((None, slot("first", Some(1), 2_000)))
        );
        // A rotation: the new token waits beside the current one, which
        // still works...
        st.issued("alice", phone, ht, "second".into(), 3_000);
        assert_eq!(
            ask(&mut st, phone, 2),
            Some((slot("second", None, 3_000), slot("first", Some(1), 2_000)))
        );
        assert_eq!(
            st.token_used("alice", phone, (ht, FastSlot::Current), Some(2), false),
            Some(2_000)
        );
        // ...until the new one is used: the old one is gone.
        assert_eq!(
            st.token_used("alice", phone, (ht, FastSlot::New), Some(1), false),
            Some(3_000)
        );
        assert_eq!(
            ask(&mut st, phone, 3),
            Some((None, slot("second", Some(1), 3_000)))
        );
        // Invalidation drops the client's tokens.
        assert_eq!(
            st.token_used("alice", phone, (ht, FastSlot::Current), Some(3), true),
            Some(3_000)
        );
        assert_eq!(ask(&mut st, phone, 4), None, "invalidated");
        assert_eq!(
            st.token_used("alice", phone, (ht, FastSlot::Current), Some(4), false),
            None,
            "gone"
        );
    }

    /// An account keeps tokens for [`MAX_TOKEN_CLIENTS`] clients; one
    /// more drops the client whose tokens expire first. A client id too
    /// long to keep gets none; clients without one share the empty id.
    #[test]
    fn token_clients_are_bounded() {
        let mut accounts = HashMap::new();
        accounts.insert("alice".to_owned(), Account::new(HashMap::new()));
        let mut st = State::new("localhost".into(), accounts);
        let ht = Mechanism::Ht {
            binding: xmpp_sasl::HtBinding::None,
        };
        for i in 0..=MAX_TOKEN_CLIENTS as u64 {
            st.issued(
                "alice",
                &format!("client-{i}"),
                ht,
                format!("t{i}"),
                10_000 - i,
            );
        }
        let tokens = &st.accounts["alice"].tokens;
        assert_eq!(tokens.len(), MAX_TOKEN_CLIENTS);
        let last = format!("client-{}", MAX_TOKEN_CLIENTS - 1);
        assert!(!tokens.contains_key(&last), "the first to expire went");
        assert!(tokens.contains_key(&format!("client-{MAX_TOKEN_CLIENTS}")));
        let ua = |id: &str| xmpp_stanza::UserAgent {
            id: Some(id.to_owned()),
            ..xmpp_stanza::UserAgent::default()
        };
        assert_eq!(
            client_key(Some(&ua(&"x".repeat(MAX_CLIENT_ID)))).map(|k| k.len()),
            Some(MAX_CLIENT_ID)
        );
        assert_eq!(client_key(Some(&ua(&"x".repeat(MAX_CLIENT_ID + 1)))), None);
        assert_eq!(client_key(None).as_deref(), Some(""));
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
            let answer = st.credentials(&request(user), None, None, peer, 0, now);
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
        let later = t0 + Duration::from_secs(600);
        assert_eq!(key(&ask(&mut st, "alice", 12, later)), Some(real));
    }

    #[test]
    fn a_resumable_state_is_kept_until_resumed_and_expires_once() {
        let mut st = State::new("localhost".into(), HashMap::new());
        let jid = FullJid::new("alice@localhost/phone").expect("jid");
        let alice = BareJid::new("alice@localhost").expect("jid");
        let bob = BareJid::new("bob@localhost").expect("jid");
        let first = st.hibernate(&jid, resumable("sm-1", jid.as_str(), 3));
        // Looking it up for a machine to check does not consume it; another
        // account gets nothing.
        assert!(st.resumable("sm-1", Some(&bob)).is_none());
        assert!(st.resumable("sm-1", Some(&alice)).is_some());
        assert!(st.resumable("sm-1", Some(&alice)).is_some());
        // Resumed (the state leaves) and cut again: the first window's
        // timer leaves the second hibernation alone.
        st.resumable.remove("sm-1");
        let second = st.hibernate(&jid, resumable("sm-1", jid.as_str(), 4));
        st.expire(&jid, "sm-1", first);
        assert!(st.resumable("sm-1", Some(&alice)).is_some());
        st.expire(&jid, "sm-1", second);
        assert_eq!(st.timed_out("sm-1", Some(&alice)), Some(4));
        // The same id timing out twice is one entry in the order.
        let third = st.hibernate(&jid, resumable("sm-1", jid.as_str(), 5));
        st.expire(&jid, "sm-1", third);
        assert_eq!(st.timed_out_order.len(), 1);
        assert_eq!(st.timed_out("sm-1", Some(&alice)), Some(5));
    }

    #[test]
    fn a_hibernation_queue_is_bounded_in_bytes_and_count() {
        let to = Jid::new("alice@localhost").expect("jid");
        let message = |body: usize| {
            let m = xmpp_stanza::Message::chat(StanzaNs::Client, to.clone(), &"x".repeat(body));
            RoutedStanza::from(Stanza::Message(m))
        };
        let mut held = Held::default();
        // Large stanzas: the byte bound comes first.
        while held.push(message(200_000)).is_none() {}
        assert!(held.bytes <= HIBERNATION_BYTES);
        assert!(held.stanzas.len() < 11, "{}", held.stanzas.len());
        // Small ones: the count.
        let mut held = Held::default();
        while held.push(message(1)).is_none() {}
        assert_eq!(held.stanzas.len(), HIBERNATION_QUEUE);
    }

    /// A live session's sender: a loopback connection accepted by a
    /// listener, kept open by the rest of the tuple.
    async fn session() -> (
        SessionSender,
        (xmpp_tokio::ServerSession, tokio::net::TcpStream),
    ) {
        let secret = xmpp_sasl::ServerSecret::random(&mut rand_core::OsRng)
            .and_then(|s| s.accounts(Hash::Sha256, 16, 4096))
            .expect("a secret");
        let config = xmpp_session::ServerConfig::new("localhost".to_owned(), secret)
            .tls(xmpp_session::TlsPolicy::Off);
        let listener = xmpp_tokio::Listener::bind(
            ([127, 0, 0, 1], 0).into(),
            xmpp_tokio::ListenerKind::Tcp,
            config,
            None,
        )
        .await
        .expect("a listener");
        let addr = listener.local_addr().expect("its address");
        let client = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let session = listener.accept().await.expect("accept");
        (session.sender(), (session, client))
    }

    #[test]
    fn a_resource_is_taken_from_the_bind_request_on() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (sender, _kept) = session().await;
            let mut st = State::new("localhost".into(), HashMap::new()).with_max_resources(1);
            let jid = FullJid::new("alice@localhost/phone").expect("jid");
            let alice = jid.as_jid().to_bare();
            st.reserve(&jid, sender.clone());
            // A second bind of the name meanwhile gets another; one past
            // the cap is refused.
            assert!(st.in_use(&alice, "phone"));
            assert!(!st.make_room(&alice));
            // A stanza routed to it before the machine reports it bound
            // queues behind the bind answer.
            let to: Jid = jid.clone().into();
            let message = || {
                RoutedStanza::from(Stanza::Message(xmpp_stanza::Message::chat(
                    StanzaNs::Client,
                    to.clone(),
                    "x",
                )))
            };
            assert!(st.deliver(&jid, message()).is_none());
            st.bound(&jid, sender);
            assert!(st.deliver(&jid, message()).is_none());
            st.unbound(&jid);
            assert!(!st.in_use(&alice, "phone"));
        });
    }

    /// At the cap, a bind makes the resource hibernating longest give way
    /// (its window closes as if it timed out); live resources never do.
    #[test]
    fn a_bind_at_the_cap_ends_the_oldest_hibernation() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (sender, _kept) = session().await;
            let mut st = State::new("localhost".into(), HashMap::new()).with_max_resources(3);
            let jid = |r: &str| FullJid::new(&format!("alice@localhost/{r}")).expect("jid");
            let alice = BareJid::new("alice@localhost").expect("jid");
            for r in ["phone", "laptop", "desk"] {
                st.bound(&jid(r), sender.clone());
            }
            assert!(!st.make_room(&alice), "three live resources");
            st.hibernate(
                &jid("laptop"),
                resumable("sm-laptop", jid("laptop").as_str(), 2),
            );
            st.hibernate(
                &jid("phone"),
                resumable("sm-phone", jid("phone").as_str(), 5),
            );
            assert!(st.make_room(&alice));
            // The laptop hibernated first: its window is closed, the
            // phone's is not.
            assert!(!st.in_use(&alice, "laptop"));
            assert_eq!(st.timed_out("sm-laptop", Some(&alice)), Some(2));
            assert!(st.in_use(&alice, "phone"));
            assert!(st.resumable("sm-phone", Some(&alice)).is_some());
            // Room is there now, without ending anything more.
            assert!(st.make_room(&alice));
            assert!(st.in_use(&alice, "phone"));
        });
    }

    #[test]
    fn stanzas_for_a_full_queue_wait_in_order() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (sender, _kept) = session().await;
            let mut st = State::new("localhost".into(), HashMap::new());
            let jid = FullJid::new("alice@localhost/phone").expect("jid");
            st.bound(&jid, sender);
            let to: Jid = jid.clone().into();
            let message = |i: usize| {
                let m = xmpp_stanza::Message::chat(StanzaNs::Client, to.clone(), &i.to_string())
                    .with_id(i.to_string());
                RoutedStanza::from(Stanza::Message(m))
            };
            // The driver does not run meanwhile: 256 fit, the rest wait,
            // in order, and so does one sent once the queue had room for
            // no one behind them.
            for i in 0..1000 {
                assert!(st.deliver(&jid, message(i)).is_none());
            }
            let ids = |w: Vec<Waiting>| -> Vec<usize> {
                w.iter()
                    .filter_map(|w| w.stanza.header().id.as_deref()?.parse().ok())
                    .collect()
            };
            assert_eq!(ids(st.take_waiting()), (256..1000).collect::<Vec<_>>());
            assert!(st.deliver(&jid, message(1000)).is_none());
            assert_eq!(ids(st.take_waiting()), vec![1000]);
        });
    }

    #[test]
    fn a_recipient_that_keeps_its_senders_waiting_too_long_is_stalled() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let (sender, _kept) = session().await;
            let mut st = State::new("localhost".into(), HashMap::new());
            let jid = FullJid::new("alice@localhost/phone").expect("jid");
            st.bound(&jid, sender);
            let t0 = Instant::now();
            assert_eq!(st.patience(&jid, t0), SLOW_RECIPIENT);
            // Short waits (a fast reader behind a flood) do not count;
            // long ones add up.
            for _ in 0..100 {
                st.waited(&jid, LONG_WAIT / 2);
            }
            assert_eq!(st.patience(&jid, t0), SLOW_RECIPIENT);
            st.waited(&jid, Duration::from_secs(4));
            st.waited(&jid, Duration::from_secs(4));
            assert_eq!(st.patience(&jid, t0), Duration::from_secs(2));
            // A new window starts afresh.
            let later = t0 + SLOW_WINDOW + Duration::from_secs(1);
            assert_eq!(st.patience(&jid, later), SLOW_RECIPIENT);
            st.waited(&jid, SLOW_RECIPIENT);
            assert_eq!(st.patience(&jid, later), Duration::ZERO);
            // Stalled: its sender comes back once, for its stream to end;
            // later stanzas are held for its end, not waited for.
            let to: Jid = jid.clone().into();
            let message = || {
                RoutedStanza::from(Stanza::Message(xmpp_stanza::Message::chat(
                    StanzaNs::Client,
                    to.clone(),
                    "x",
                )))
            };
            assert!(st.stall(&jid, message()).is_some());
            assert!(st.stall(&jid, message()).is_none());
            assert!(st.deliver(&jid, message()).is_none());
            assert!(st.take_waiting().is_empty());
            let held = st.resource_mut(&jid).map(|r| r.ending.stanzas.len());
            assert_eq!(held, Some(3));
            assert_eq!(st.patience(&jid, later), Duration::ZERO);
        });
    }
}
