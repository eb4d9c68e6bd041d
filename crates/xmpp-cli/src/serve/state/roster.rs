//! The roster (RFC 6121 §2) and subscriptions (§3), bounded.

use std::sync::Arc;

use xmpp_jid::{BareJid, Jid};
use xmpp_stanza::{
    DefinedCondition, Element, Iq, Payload, Presence, PresenceType, Roster, RosterItem, Stanza,
    StanzaError, StanzaNs, Subscription,
};

use super::State;

/// Items in an account's roster at most (RFC 6121 §2 leaves the bound to
/// the server; Prosody's `max_roster_size` is commonly a few thousand).
const MAX_ROSTER_ITEMS: usize = 1000;
/// Bytes of a roster item's name at most (RFC 6121 §2.3.3: "a
/// server-configured limit").
const MAX_ROSTER_NAME: usize = 256;
/// Groups of a roster item at most.
const MAX_ROSTER_GROUPS: usize = 16;
/// Bytes of a roster group's name at most (RFC 6121 §2.3.3).
const MAX_ROSTER_GROUP: usize = 256;

impl State {
    /// RFC 6121 §3: the four subscription stanzas, with roster pushes.
    /// The user's side (its roster item and push, §3.1.2, §3.2.2, §3.3.2,
    /// §3.4.2) is processed whether or not the contact exists, as the RFC
    /// asks of the user's server; only the contact's side (§3.1.3 …)
    /// needs a local account, and a stanza to none is ignored (§8.5.1).
    /// So the user sees the same for an account that exists and one that
    /// does not.
    pub(super) fn subscription(&mut self, user: &BareJid, t: PresenceType, to: &Jid) {
        let contact = to.to_bare();
        let exists = self.has_account(&contact);
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
                if exists {
                    self.update_item(&contact, &user_jid, |i| {
                        i.ask = false;
                        i.subscription = Some(add(i.subscription, Subscription::To));
                    });
                }
            }
            PresenceType::Unsubscribe => {
                self.update_item(user, &contact_jid, |i| {
                    i.ask = false;
                    i.subscription = Some(remove(i.subscription, Subscription::To));
                });
                if exists {
                    self.update_item(&contact, &user_jid, |i| {
                        i.subscription = Some(remove(i.subscription, Subscription::From));
                    });
                }
            }
            PresenceType::Unsubscribed => {
                self.update_item(user, &contact_jid, |i| {
                    i.subscription = Some(remove(i.subscription, Subscription::From));
                });
                if exists {
                    self.update_item(&contact, &user_jid, |i| {
                        i.ask = false;
                        i.subscription = Some(remove(i.subscription, Subscription::To));
                    });
                }
            }
            _ => return,
        }
        if !exists {
            return;
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
    pub(super) fn update_item(
        &mut self,
        user: &BareJid,
        contact: &Jid,
        change: impl FnOnce(&mut RosterItem),
    ) {
        let Some(account) = user.localpart().and_then(|l| self.accounts.get_mut(l)) else {
            return;
        };
        if account.roster.len() >= MAX_ROSTER_ITEMS
            && !account.roster.contains_key(contact.as_str())
        {
            // A full roster takes no new contact, from a subscription
            // stanza either.
            return;
        }
        let item = Arc::make_mut(&mut account.roster)
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

    pub(super) fn push(&mut self, user: &BareJid, item: RosterItem) {
        let mut roster = Roster::default();
        roster.items.push(item);
        for r in self.all_resources(user) {
            let id = format!("push{}", self.pushes);
            self.pushes += 1;
            let iq = Iq::set(StanzaNs::Client, id, roster.to_element()).with_to(r.clone().into());
            self.send_to(&r, Stanza::Iq(iq));
        }
    }

    /// RFC 6121 §2.3: one item added, updated or removed, then pushed.
    pub(super) fn roster_set(&mut self, user: &BareJid, iq: &Iq, payload: Option<&Element>) -> Iq {
        let items = payload
            .and_then(|p| Roster::from_element(p).ok())
            .map(|r| r.items)
            .unwrap_or_default();
        let [item] = items.as_slice() else {
            return iq.make_error(StanzaError::new(DefinedCondition::BadRequest));
        };
        if item.subscription == Some(Subscription::Remove) {
            if let Some(account) = user.localpart().and_then(|l| self.accounts.get_mut(l)) {
                if account.roster.contains_key(item.jid.as_str()) {
                    Arc::make_mut(&mut account.roster).remove(item.jid.as_str());
                }
            }
            self.push(user, item.clone());
        } else {
            if let Some(condition) = roster_item_refused(item) {
                return iq.make_error(StanzaError::new(condition));
            }
            let full = user
                .localpart()
                .and_then(|l| self.accounts.get(l))
                .is_some_and(|a| {
                    a.roster.len() >= MAX_ROSTER_ITEMS && !a.roster.contains_key(item.jid.as_str())
                });
            if full {
                // RFC 6120 §8.3.3.18: no room for one more contact.
                return iq.make_error(StanzaError::new(DefinedCondition::ResourceConstraint));
            }
            let (name, groups) = (item.name.clone(), item.groups.clone());
            self.update_item(user, &item.jid, |i| {
                i.name = name;
                i.groups = groups;
            });
        }
        iq.make_result(None)
            .unwrap_or_else(|| iq.make_error(StanzaError::new(DefinedCondition::BadRequest)))
    }
}

/// Why a roster set of `item` is refused (RFC 6121 §2.3.3:
/// `not-acceptable` for a name or group longer than the server's limit,
/// an empty group, a group twice; and here more groups than
/// [`MAX_ROSTER_GROUPS`]).
fn roster_item_refused(item: &RosterItem) -> Option<DefinedCondition> {
    let name = item.name.as_deref().unwrap_or_default();
    let groups = &item.groups;
    let bad = name.len() > MAX_ROSTER_NAME
        || groups.len() > MAX_ROSTER_GROUPS
        || groups
            .iter()
            .any(|g| g.is_empty() || g.len() > MAX_ROSTER_GROUP)
        || groups
            .iter()
            .enumerate()
            .any(|(i, g)| groups.iter().skip(i + 1).any(|h| h == g));
    bad.then_some(DefinedCondition::NotAcceptable)
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::super::Account;
    use super::*;

    #[test]
    fn roster_sets_are_bounded() {
        let mut accounts = HashMap::new();
        accounts.insert("alice".to_owned(), Account::new(HashMap::new()));
        let mut st = State::new("localhost".into(), accounts);
        let alice = BareJid::new("alice@localhost").expect("jid");
        let set = |st: &mut State, jid: &str, name: Option<String>, groups: Vec<String>| {
            let mut item = RosterItem::new(Jid::new(jid).expect("jid"));
            item.name = name;
            item.groups = groups;
            let mut roster = Roster::default();
            roster.items.push(item);
            let payload = roster.to_element();
            let iq = Iq::set(StanzaNs::Client, "s".to_owned(), payload.clone());
            let reply = st.roster_set(&alice, &iq, Some(&payload));
            reply.error().and_then(Result::ok).map(|e| e.condition)
        };
        let not_acceptable = Some(DefinedCondition::NotAcceptable);
        let long = "x".repeat(MAX_ROSTER_NAME + 1);
        assert_eq!(set(&mut st, "a@x", Some(long), vec![]), not_acceptable);
        let group = "g".repeat(MAX_ROSTER_GROUP + 1);
        assert_eq!(set(&mut st, "a@x", None, vec![group]), not_acceptable);
        assert_eq!(
            set(&mut st, "a@x", None, vec![String::new()]),
            not_acceptable
        );
        let twice = vec!["g".to_owned(), "g".to_owned()];
        assert_eq!(set(&mut st, "a@x", None, twice), not_acceptable);
        let many = (0..=MAX_ROSTER_GROUPS).map(|i| i.to_string()).collect();
        assert_eq!(set(&mut st, "a@x", None, many), not_acceptable);
        // Within the limits, up to the item cap; then only known items.
        let name = Some("n".repeat(MAX_ROSTER_NAME));
        for i in 0..MAX_ROSTER_ITEMS {
            assert_eq!(set(&mut st, &format!("c{i}@x"), name.clone(), vec![]), None);
        }
        assert_eq!(
            set(&mut st, "one-more@x", None, vec![]),
            Some(DefinedCondition::ResourceConstraint)
        );
        assert_eq!(set(&mut st, "c0@x", None, vec!["friends".into()]), None);
        // Subscription stanzas add no item to a full roster either.
        st.subscription(
            &alice,
            PresenceType::Subscribe,
            &Jid::new("new@x").expect("jid"),
        );
        assert_eq!(st.accounts["alice"].roster.len(), MAX_ROSTER_ITEMS);
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
