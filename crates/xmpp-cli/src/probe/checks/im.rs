//! Suite `im`: RFC 6121 between the two accounts (roster, subscriptions,
//! presence).

use xmpp_jid::Jid;
use xmpp_stanza::{
    Iq, IqType, Payload, Presence, PresenceType, Roster, RosterItem, Stanza, StanzaNs, Subscription,
};

use super::{login, pass_if, report};
use crate::probe::{Outcome, Report, Target};

/// RFC 6121 between the two accounts: roster get, set with its push and
/// remove; a subscription request, its approval with the roster push and
/// the contact's presence, then both items removed so that a second run
/// starts from the same rosters.
pub(super) async fn im_suite(t: &Target, out: &mut Vec<Report>) {
    let (mut a, mut b) = match (login(t, 0, |c| c).await, login(t, 1, |c| c).await) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            out.push(report(
                "roster-get",
                "RFC 6121 §2.1.3",
                "MUST",
                Outcome::Skip,
                format!("cannot log in: {e}"),
            ));
            return;
        }
    };
    let a_bare: Jid = a.jid.as_jid().to_bare().into();
    let b_bare: Jid = b.jid.as_jid().to_bare().into();
    // Roster get (§2.1.3): a result with a <query/>.
    a.session
        .send(Stanza::Iq(Iq::get(
            StanzaNs::Client,
            "probe-roster-get",
            Roster::default().to_element(),
        )))
        .await;
    let got = a
        .gather(|g| answered(g, "probe-roster-get").is_some())
        .await;
    let query = got.iter().find_map(|s| match s {
        Stanza::Iq(iq) if iq.id() == "probe-roster-get" && iq.type_ == IqType::Result => Some(
            iq.payload()
                .is_some_and(|p| Roster::from_element(p).is_ok()),
        ),
        _ => None,
    });
    out.push(report(
        "roster-get",
        "RFC 6121 §2.1.3",
        "MUST",
        pass_if(query == Some(true)),
        match query {
            Some(true) => "a result with the roster".to_owned(),
            Some(false) => "a result without a roster <query/>".to_owned(),
            None => format!("answered {:?}", answered(&got, "probe-roster-get")),
        },
    ));
    // Roster set (§2.3): a result and a push of the item.
    let contact = Jid::new(&format!("probe-contact@{}", t.domain)).unwrap_or(b_bare.clone());
    let mut item = RosterItem::new(contact.clone());
    item.name = Some("Probe".into());
    a.session.send(roster_set("probe-roster-set", item)).await;
    let got = a
        .gather(|g| answered(g, "probe-roster-set").is_some() && !pushed(g, &contact).is_empty())
        .await;
    let (result, push) = (answered(&got, "probe-roster-set"), pushed(&got, &contact));
    let named = push.iter().any(|i| i.name.as_deref() == Some("Probe"));
    out.push(report(
        "roster-set-push",
        "RFC 6121 §2.3.2",
        "MUST",
        pass_if(result == Some(IqType::Result) && named),
        format!("answered {result:?}, {} push(es) of the item", push.len()),
    ));
    // Roster remove (§2.5): a result and a push with subscription='remove'.
    let mut item = RosterItem::new(contact.clone());
    item.subscription = Some(Subscription::Remove);
    a.session
        .send(roster_set("probe-roster-remove", item))
        .await;
    let removed = |g: &[Stanza]| {
        pushed(g, &contact)
            .iter()
            .any(|i| i.subscription == Some(Subscription::Remove))
    };
    let got = a
        .gather(|g| answered(g, "probe-roster-remove").is_some() && removed(g))
        .await;
    let result = answered(&got, "probe-roster-remove");
    out.push(report(
        "roster-remove-push",
        "RFC 6121 §2.5.2",
        "MUST",
        pass_if(result == Some(IqType::Result) && removed(&got)),
        format!("answered {result:?}, removal pushed: {}", removed(&got)),
    ));
    // A subscription request (§3.1): b gets it from a's bare JID.
    let available = Stanza::Presence(Presence::new(StanzaNs::Client, PresenceType::Available));
    a.session.send(available.clone()).await;
    b.session.send(available).await;
    let subscribe =
        Presence::new(StanzaNs::Client, PresenceType::Subscribe).with_to(b_bare.clone());
    a.session.send(Stanza::Presence(subscribe)).await;
    let got = b
        .gather(|g| presence_from(g, PresenceType::Subscribe, &a_bare).is_some())
        .await;
    let from = presence_from(&got, PresenceType::Subscribe, &a_bare);
    out.push(report(
        "sub-request-delivered",
        "RFC 6121 §3.1.3",
        "MUST",
        pass_if(from.as_ref().is_some_and(|f| f.as_ref() == Some(&a_bare))),
        match &from {
            Some(f) => format!("delivered from {:?}", f.as_ref().map(Jid::as_str)),
            None => "not delivered".to_owned(),
        },
    ));
    // Approval (§3.1.5, §3.1.6): a gets <subscribed/>, a roster push with
    // subscription='to', and b's available presence.
    let subscribed =
        Presence::new(StanzaNs::Client, PresenceType::Subscribed).with_to(a_bare.clone());
    b.session.send(Stanza::Presence(subscribed)).await;
    let to_pushed = |g: &[Stanza]| {
        pushed(g, &b_bare)
            .iter()
            .any(|i| matches!(i.subscription, Some(Subscription::To | Subscription::Both)))
    };
    let got = a
        .gather(|g| {
            presence_from(g, PresenceType::Subscribed, &b_bare).is_some()
                && to_pushed(g)
                && presence_from(g, PresenceType::Available, &b_bare).is_some()
        })
        .await;
    let (approved, pushed_to, seen) = (
        presence_from(&got, PresenceType::Subscribed, &b_bare).is_some(),
        to_pushed(&got),
        presence_from(&got, PresenceType::Available, &b_bare).is_some(),
    );
    out.push(report(
        "sub-approved",
        "RFC 6121 §3.1.6",
        "MUST",
        pass_if(approved && pushed_to),
        format!(
            "subscribed delivered: {approved}, roster push with subscription 'to': {pushed_to}"
        ),
    ));
    out.push(report(
        "sub-presence-sent",
        "RFC 6121 §3.1.5",
        "MUST",
        pass_if(seen),
        if seen {
            "the contact's available presence followed the approval"
        } else {
            "no presence from the contact after the approval"
        },
    ));
    // A presence probe (§4.3): a new session of the subscribed user gets
    // the contact's current presence after its initial presence.
    let seen = if approved && pushed_to {
        match login(t, 0, |c| c).await {
            Ok(mut again) => {
                let available = Presence::new(StanzaNs::Client, PresenceType::Available);
                again.session.send(Stanza::Presence(available)).await;
                let got = again
                    .gather(|g| presence_from(g, PresenceType::Available, &b_bare).is_some())
                    .await;
                again.close().await;
                Ok(presence_from(&got, PresenceType::Available, &b_bare).is_some())
            }
            Err(e) => Err(format!("cannot log in again: {e}")),
        }
    } else {
        Err("no subscription to probe (see sub-approved)".to_owned())
    };
    let (outcome, detail) = probe_outcome(&seen);
    out.push(report(
        "presence-probe",
        "RFC 6121 §4.3.2",
        "MUST",
        outcome,
        detail,
    ));
    // Both items go, which cancels the subscriptions (§2.5.2).
    for (who, other) in [(&mut a, &b_bare), (&mut b, &a_bare)] {
        let mut item = RosterItem::new(other.clone());
        item.subscription = Some(Subscription::Remove);
        who.session.send(roster_set("probe-cleanup", item)).await;
        let _ = who.gather(|g| answered(g, "probe-cleanup").is_some()).await;
    }
    a.close().await;
    b.close().await;
}

/// The roster items of a roster push (an iq set from the account itself,
/// RFC 6121 §2.1.6) for `contact`.
fn pushed(stanzas: &[Stanza], contact: &Jid) -> Vec<RosterItem> {
    stanzas
        .iter()
        .filter_map(|s| match s {
            Stanza::Iq(iq) if iq.type_ == IqType::Set => iq.payload(),
            _ => None,
        })
        .filter_map(|p| Roster::from_element(p).ok())
        .flat_map(|r| r.items)
        .filter(|i| i.jid == *contact)
        .collect()
}

/// The type of the iq answering `id`, if any came.
fn answered(stanzas: &[Stanza], id: &str) -> Option<IqType> {
    stanzas.iter().find_map(|s| match s {
        Stanza::Iq(iq) if iq.id() == id && iq.type_ != IqType::Set && iq.type_ != IqType::Get => {
            Some(iq.type_)
        }
        _ => None,
    })
}

/// A presence of `kind` from `from`'s bare JID, if any came.
fn presence_from(stanzas: &[Stanza], kind: PresenceType, from: &Jid) -> Option<Option<Jid>> {
    stanzas.iter().find_map(|s| match s {
        Stanza::Presence(p)
            if p.type_ == kind
                && p.header
                    .from
                    .as_ref()
                    .is_some_and(|f| f.to_bare() == from.to_bare()) =>
        {
            Some(p.header.from.clone())
        }
        _ => None,
    })
}

fn roster_set(id: &str, item: RosterItem) -> Stanza {
    let mut roster = Roster::default();
    roster.items.push(item);
    Stanza::Iq(Iq::set(StanzaNs::Client, id, roster.to_element()))
}

/// RFC 6121 §4.3.2: a probe (sent when the user's new resource comes
/// online, §4.2.2) is answered with the contact's current presence; `seen`
/// says whether the new session got it.
fn probe_outcome(seen: &Result<bool, String>) -> (Outcome, String) {
    match seen {
        Ok(true) => (
            Outcome::Pass,
            "a new session's initial presence brought the contact's presence".to_owned(),
        ),
        Ok(false) => (
            Outcome::Fail,
            "a new session's initial presence brought no presence from the contact".to_owned(),
        ),
        Err(e) => (Outcome::Skip, e.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_brings_the_contacts_presence() {
        assert_eq!(probe_outcome(&Ok(true)).0, Outcome::Pass);
        assert_eq!(probe_outcome(&Ok(false)).0, Outcome::Fail);
        assert_eq!(
            probe_outcome(&Err("no subscription".into())).0,
            Outcome::Skip
        );
    }
}
