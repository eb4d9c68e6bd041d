//! Resource binding (RFC 6120 §7) and the roster (RFC 6121 §2).

use alloc::string::String;
use alloc::vec::Vec;

use xmpp_jid::{FullJid, Jid};

use crate::element::{Attribute, Element};
use crate::error::PayloadError;
use crate::features::BIND_NS;
use crate::payload::{Payload, boolean, expect, jid_attr};

/// The roster namespace (RFC 6121 §2.1).
pub const ROSTER_NS: &str = "jabber:iq:roster";

/// `<bind/>` (RFC 6120 §7.6, §7.7): a request with an optional resource, or
/// the result with the full JID bound.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Bind {
    /// The client's request; `None` lets the server pick (§7.6).
    Request(Option<String>),
    /// The server's result (§7.6.1).
    Result(FullJid),
}

impl Payload for Bind {
    const NAME: &'static str = "bind";
    const NS: &'static str = BIND_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        if let Some(j) = e.get_child("jid", BIND_NS) {
            let text = j.text();
            let jid = FullJid::new(text.trim()).map_err(|error| PayloadError::InvalidJid {
                element: "jid",
                attribute: "text",
                value: text.as_ref().into(),
                error: alloc::boxed::Box::new(error),
            })?;
            return Ok(Self::Result(jid));
        }
        Ok(Self::Request(
            e.get_child("resource", BIND_NS)
                .map(|r| r.text().into_owned()),
        ))
    }

    fn to_element(&self) -> Element {
        let e = Element::new("bind", BIND_NS);
        match self {
            Self::Request(None) => e,
            Self::Request(Some(r)) => e.with_child(Element::new("resource", BIND_NS).with_text(r)),
            Self::Result(j) => e.with_child(Element::new("jid", BIND_NS).with_text(j.as_str())),
        }
    }
}

/// The `subscription` of a roster item (RFC 6121 §2.1.2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Subscription {
    /// Neither way (the default).
    #[default]
    None,
    /// The user receives the contact's presence.
    To,
    /// The contact receives the user's presence.
    From,
    /// Both ways.
    Both,
    /// In a roster set: delete the item (§2.5).
    Remove,
}

impl Subscription {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::To => "to",
            Self::From => "from",
            Self::Both => "both",
            Self::Remove => "remove",
        }
    }

    fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "none" => Self::None,
            "to" => Self::To,
            "from" => Self::From,
            "both" => Self::Both,
            "remove" => Self::Remove,
            _ => return None,
        })
    }
}

/// One roster `<item/>` (RFC 6121 §2.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RosterItem {
    /// The contact (§2.1.2.3).
    pub jid: Jid,
    /// The handle (§2.1.2.4).
    pub name: Option<String>,
    /// The subscription state; `None` when absent.
    pub subscription: Option<Subscription>,
    /// `ask='subscribe'`: an outbound request is pending (§2.1.2.2).
    pub ask: bool,
    /// `approved='true'`: pre-approved (§2.1.2.1).
    pub approved: bool,
    /// The groups (§2.1.2.6), in order.
    pub groups: Vec<String>,
    /// Attributes this crate does not interpret.
    pub attrs: Vec<Attribute>,
}

impl RosterItem {
    /// An item for `jid` with nothing else.
    pub fn new(jid: Jid) -> Self {
        Self {
            jid,
            name: None,
            subscription: None,
            ask: false,
            approved: false,
            groups: Vec::new(),
            attrs: Vec::new(),
        }
    }

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        let jid = jid_attr(e, "item", "jid")?.ok_or(PayloadError::MissingAttribute {
            element: "item",
            attribute: "jid",
        })?;
        let subscription =
            match e.attr("subscription") {
                None => None,
                Some(s) => Some(Subscription::from_name(s).ok_or_else(|| {
                    PayloadError::InvalidAttribute {
                        element: "item",
                        attribute: "subscription",
                        value: s.into(),
                    }
                })?),
            };
        let ask = match e.attr("ask") {
            None => false,
            Some("subscribe") => true,
            Some(other) => {
                return Err(PayloadError::InvalidAttribute {
                    element: "item",
                    attribute: "ask",
                    value: other.into(),
                });
            }
        };
        let approved = boolean(e.attr("approved"), "item", "approved")?.unwrap_or(false);
        Ok(Self {
            jid,
            name: e.attr("name").map(String::from),
            subscription,
            ask,
            approved,
            groups: e
                .get_children("group", ROSTER_NS)
                .map(|g| g.text().into_owned())
                .collect(),
            attrs: e
                .attrs()
                .iter()
                .filter(|a| {
                    !(a.ns().is_empty()
                        && matches!(
                            a.name(),
                            "jid" | "name" | "subscription" | "ask" | "approved"
                        ))
                })
                .cloned()
                .collect(),
        })
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("item", ROSTER_NS).with_attr("jid", self.jid.as_str());
        if let Some(n) = &self.name {
            e.set_attr("name", n.as_str());
        }
        if let Some(s) = self.subscription {
            e.set_attr("subscription", s.as_str());
        }
        if self.ask {
            e.set_attr("ask", "subscribe");
        }
        if self.approved {
            e.set_attr("approved", "true");
        }
        for a in &self.attrs {
            e.set_attr_ns(a.name(), a.ns(), a.value());
        }
        for g in &self.groups {
            e.push_child(Element::new("group", ROSTER_NS).with_text(g));
        }
        e
    }
}

/// `<query xmlns='jabber:iq:roster'/>` (RFC 6121 §2.1): a get (no items),
/// a result, a set or a push.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Roster {
    /// The roster version (§2.6).
    pub ver: Option<String>,
    /// The items, in order.
    pub items: Vec<RosterItem>,
}

impl Payload for Roster {
    const NAME: &'static str = "query";
    const NS: &'static str = ROSTER_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        Ok(Self {
            ver: e.attr("ver").map(String::from),
            items: e
                .get_children("item", ROSTER_NS)
                .map(RosterItem::from_element)
                .collect::<Result<_, _>>()?,
        })
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("query", ROSTER_NS);
        if let Some(v) = &self.ver {
            e.set_attr("ver", v.as_str());
        }
        for i in &self.items {
            e.push_child(i.to_element());
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roster_result_round_trips() {
        let e: Element = "<query xmlns='jabber:iq:roster' ver='ver11'>\
            <item jid='romeo@example.net' name='Romeo' subscription='both' approved='true' x='1'>\
            <group>Friends</group><group>Lovers</group></item>\
            <item jid='nurse@example.com' ask='subscribe'/></query>"
            .parse()
            .unwrap();
        let r = Roster::from_element(&e).unwrap();
        assert_eq!(r.ver.as_deref(), Some("ver11"));
        assert_eq!(r.items[0].groups, ["Friends", "Lovers"]);
        assert_eq!(r.items[0].subscription, Some(Subscription::Both));
        assert!(r.items[0].approved && r.items[1].ask);
        assert_eq!(r.items[0].attrs.len(), 1);
        assert_eq!(Roster::from_element(&r.to_element()), Ok(r));
    }

    #[test]
    fn bad_roster_items_map_to_stanza_errors() {
        let bad = |xml: &str| {
            Roster::from_element(&xml.parse().unwrap())
                .unwrap_err()
                .condition()
        };
        assert_eq!(
            bad("<query xmlns='jabber:iq:roster'><item jid='a@@b'/></query>").as_str(),
            "jid-malformed"
        );
        assert_eq!(
            bad("<query xmlns='jabber:iq:roster'><item/></query>").as_str(),
            "bad-request"
        );
        assert_eq!(
            bad("<query xmlns='jabber:iq:roster'><item jid='a@b' subscription='some'/></query>")
                .as_str(),
            "bad-request"
        );
    }

    #[test]
    fn bind_request_and_result() {
        for b in [
            Bind::Request(None),
            Bind::Request(Some("balcony".into())),
            Bind::Result(FullJid::new("juliet@im.example.com/balcony").unwrap()),
        ] {
            assert_eq!(Bind::from_element(&b.to_element()), Ok(b.clone()));
        }
    }
}
