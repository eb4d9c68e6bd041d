//! Small payloads of common XEPs: XEP-0199 ping, XEP-0203 delayed
//! delivery, XEP-0297 forwarding, XEP-0280 carbons, XEP-0359 stanza and
//! origin ids, XEP-0184 receipts, XEP-0333 chat markers, XEP-0085 chat
//! states.

use alloc::boxed::Box;
use alloc::string::String;

use xmpp_jid::Jid;

use crate::element::Element;
use crate::error::PayloadError;
use crate::payload::{Payload, expect, jid_attr, required};

/// XEP-0199.
pub const PING_NS: &str = "urn:xmpp:ping";
/// XEP-0203.
pub const DELAY_NS: &str = "urn:xmpp:delay";
/// XEP-0297.
pub const FORWARD_NS: &str = "urn:xmpp:forward:0";
/// XEP-0280.
pub const CARBONS_NS: &str = "urn:xmpp:carbons:2";
/// XEP-0359.
pub const SID_NS: &str = "urn:xmpp:sid:0";
/// XEP-0184.
pub const RECEIPTS_NS: &str = "urn:xmpp:receipts";
/// XEP-0333.
pub const MARKERS_NS: &str = "urn:xmpp:chat-markers:0";
/// XEP-0085.
pub const CHATSTATES_NS: &str = "http://jabber.org/protocol/chatstates";

/// `<ping xmlns='urn:xmpp:ping'/>` (XEP-0199 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Ping;

impl Payload for Ping {
    const NAME: &'static str = "ping";
    const NS: &'static str = PING_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e).map(|()| Self)
    }

    fn to_element(&self) -> Element {
        Element::new("ping", PING_NS)
    }
}

/// Whether `s` is an XEP-0082 DateTime: `CCYY-MM-DDThh:mm:ss[.sss]TZD`,
/// TZD `Z` or `±hh:mm`.
pub fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: core::ops::Range<usize>| b.get(r).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(digits(0..4)
        && at(4, b'-')
        && digits(5..7)
        && at(7, b'-')
        && digits(8..10)
        && at(10, b'T')
        && digits(11..13)
        && at(13, b':')
        && digits(14..16)
        && at(16, b':')
        && digits(17..19))
    {
        return false;
    }
    let mut i = 19;
    if at(i, b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            digits(i + 1..i + 3) && at(i + 3, b':') && digits(i + 4..i + 6) && i + 6 == b.len()
        }
        _ => false,
    }
}

/// `<delay xmlns='urn:xmpp:delay'/>` (XEP-0203 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delay {
    /// When the stanza was originally sent (XEP-0082 DateTime, UTC
    /// recommended), as written.
    pub stamp: String,
    /// Who delayed it.
    pub from: Option<Jid>,
    /// Why, for people.
    pub reason: Option<String>,
}

impl Payload for Delay {
    const NAME: &'static str = "delay";
    const NS: &'static str = DELAY_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        let stamp = required(e, "delay", "stamp")?;
        if !is_datetime(stamp) {
            return Err(PayloadError::InvalidAttribute {
                element: "delay",
                attribute: "stamp",
                value: stamp.into(),
            });
        }
        let text = e.text();
        Ok(Self {
            stamp: stamp.into(),
            from: jid_attr(e, "delay", "from")?,
            reason: (!text.is_empty()).then(|| text.into_owned()),
        })
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("delay", DELAY_NS).with_attr("stamp", self.stamp.as_str());
        if let Some(f) = &self.from {
            e.set_attr("from", f.as_str());
        }
        if let Some(r) = &self.reason {
            e.push_text(r);
        }
        e
    }
}

/// `<forwarded xmlns='urn:xmpp:forward:0'/>` (XEP-0297 §3): an optional
/// delay and the forwarded stanza, kept as an element so that a bad inner
/// stanza is the reader's business, not the wrapper's.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Forwarded {
    /// When the original was sent.
    pub delay: Option<Delay>,
    /// The forwarded stanza.
    pub stanza: Box<Element>,
}

impl Payload for Forwarded {
    const NAME: &'static str = "forwarded";
    const NS: &'static str = FORWARD_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        let delay = e
            .get_child("delay", DELAY_NS)
            .map(Delay::from_element)
            .transpose()?;
        let stanza =
            e.children()
                .find(|c| !c.is("delay", DELAY_NS))
                .ok_or(PayloadError::MissingChild {
                    element: "forwarded",
                    child: "stanza",
                })?;
        Ok(Self {
            delay,
            stanza: Box::new(stanza.clone()),
        })
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("forwarded", FORWARD_NS);
        if let Some(d) = &self.delay {
            e.push_child(d.to_element());
        }
        e.push_child((*self.stanza).clone());
        e
    }
}

/// XEP-0280 message carbons elements.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Carbons {
    /// `<enable/>` in an iq set (§4).
    Enable,
    /// `<disable/>` in an iq set (§5).
    Disable,
    /// `<received/>` wrapping a forwarded inbound message (§6).
    Received(Forwarded),
    /// `<sent/>` wrapping a forwarded outbound message (§6).
    Sent(Forwarded),
    /// `<private/>`: do not carbon-copy this message (§7).
    Private,
}

impl Carbons {
    /// Reads a carbons element; `Ok(None)` for other elements.
    pub fn from_element(e: &Element) -> Result<Option<Self>, PayloadError> {
        if e.ns() != CARBONS_NS {
            return Ok(None);
        }
        let forwarded = |name: &'static str| {
            e.get_child("forwarded", FORWARD_NS)
                .ok_or(PayloadError::MissingChild {
                    element: name,
                    child: "forwarded",
                })
                .and_then(Forwarded::from_element)
        };
        Ok(Some(match e.name() {
            "enable" => Self::Enable,
            "disable" => Self::Disable,
            "private" => Self::Private,
            "received" => Self::Received(forwarded("received")?),
            "sent" => Self::Sent(forwarded("sent")?),
            _ => return Ok(None),
        }))
    }

    /// The element.
    pub fn to_element(&self) -> Element {
        match self {
            Self::Enable => Element::new("enable", CARBONS_NS),
            Self::Disable => Element::new("disable", CARBONS_NS),
            Self::Private => Element::new("private", CARBONS_NS),
            Self::Received(f) => Element::new("received", CARBONS_NS).with_child(f.to_element()),
            Self::Sent(f) => Element::new("sent", CARBONS_NS).with_child(f.to_element()),
        }
    }
}

/// `<stanza-id/>` (XEP-0359 §3): an id the entity `by` gave the stanza.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StanzaId {
    /// The id.
    pub id: String,
    /// Who assigned it.
    pub by: Jid,
}

impl Payload for StanzaId {
    const NAME: &'static str = "stanza-id";
    const NS: &'static str = SID_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        Ok(Self {
            id: required(e, "stanza-id", "id")?.into(),
            by: jid_attr(e, "stanza-id", "by")?.ok_or(PayloadError::MissingAttribute {
                element: "stanza-id",
                attribute: "by",
            })?,
        })
    }

    fn to_element(&self) -> Element {
        Element::new("stanza-id", SID_NS)
            .with_attr("id", self.id.as_str())
            .with_attr("by", self.by.as_str())
    }
}

/// `<origin-id/>` (XEP-0359 §4): the id the originating client chose.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OriginId {
    /// The id.
    pub id: String,
}

impl Payload for OriginId {
    const NAME: &'static str = "origin-id";
    const NS: &'static str = SID_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        Ok(Self {
            id: required(e, "origin-id", "id")?.into(),
        })
    }

    fn to_element(&self) -> Element {
        Element::new("origin-id", SID_NS).with_attr("id", self.id.as_str())
    }
}

/// XEP-0184 message delivery receipts.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Receipt {
    /// `<request/>`: please acknowledge (§4).
    Request,
    /// `<received id='…'/>`: delivered (§4); the id of the message, absent
    /// in some old implementations.
    Received(Option<String>),
}

impl Receipt {
    /// Reads a receipts element; `None` for other elements.
    pub fn from_element(e: &Element) -> Option<Self> {
        match (e.ns(), e.name()) {
            (RECEIPTS_NS, "request") => Some(Self::Request),
            (RECEIPTS_NS, "received") => Some(Self::Received(e.attr("id").map(String::from))),
            _ => None,
        }
    }

    /// The element.
    pub fn to_element(&self) -> Element {
        match self {
            Self::Request => Element::new("request", RECEIPTS_NS),
            Self::Received(id) => {
                let e = Element::new("received", RECEIPTS_NS);
                match id {
                    Some(id) => e.with_attr("id", id.as_str()),
                    None => e,
                }
            }
        }
    }
}

/// XEP-0333 chat markers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Marker {
    /// `<markable/>`: the sender wants markers for this message.
    Markable,
    /// `<received id='…'/>`.
    Received(String),
    /// `<displayed id='…'/>`.
    Displayed(String),
    /// `<acknowledged id='…'/>`.
    Acknowledged(String),
}

impl Marker {
    /// Reads a marker; `Ok(None)` for other elements.
    pub fn from_element(e: &Element) -> Result<Option<Self>, PayloadError> {
        if e.ns() != MARKERS_NS {
            return Ok(None);
        }
        let id = |name| required(e, name, "id").map(String::from);
        Ok(Some(match e.name() {
            "markable" => Self::Markable,
            "received" => Self::Received(id("received")?),
            "displayed" => Self::Displayed(id("displayed")?),
            "acknowledged" => Self::Acknowledged(id("acknowledged")?),
            _ => return Ok(None),
        }))
    }

    /// The element.
    pub fn to_element(&self) -> Element {
        let (name, id) = match self {
            Self::Markable => return Element::new("markable", MARKERS_NS),
            Self::Received(id) => ("received", id),
            Self::Displayed(id) => ("displayed", id),
            Self::Acknowledged(id) => ("acknowledged", id),
        };
        Element::new(name, MARKERS_NS).with_attr("id", id.as_str())
    }
}

/// XEP-0085 chat states (§2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChatState {
    /// Paying attention.
    Active,
    /// Typing.
    Composing,
    /// Stopped typing.
    Paused,
    /// Not paying attention.
    Inactive,
    /// Left the conversation.
    Gone,
}

impl ChatState {
    /// Reads a chat state; `None` for other elements.
    pub fn from_element(e: &Element) -> Option<Self> {
        if e.ns() != CHATSTATES_NS {
            return None;
        }
        Some(match e.name() {
            "active" => Self::Active,
            "composing" => Self::Composing,
            "paused" => Self::Paused,
            "inactive" => Self::Inactive,
            "gone" => Self::Gone,
            _ => return None,
        })
    }

    /// The element.
    pub fn to_element(self) -> Element {
        Element::new(
            match self {
                Self::Active => "active",
                Self::Composing => "composing",
                Self::Paused => "paused",
                Self::Inactive => "inactive",
                Self::Gone => "gone",
            },
            CHATSTATES_NS,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes() {
        for ok in [
            "2002-09-10T23:08:25Z",
            "1969-07-21T02:56:15.123Z",
            "2002-09-10T23:08:25-08:00",
        ] {
            assert!(is_datetime(ok), "{ok}");
        }
        for bad in [
            "2002-09-10",
            "2002-09-10T23:08:25",
            "2002-09-10T23:08:25.Z",
            "2002-09-10T23:08:25+8:00",
            "x",
        ] {
            assert!(!is_datetime(bad), "{bad}");
        }
    }

    #[test]
    fn payloads_round_trip() {
        let d = Delay {
            stamp: "2002-09-10T23:08:25Z".into(),
            from: Some(Jid::new("capulet.com").unwrap()),
            reason: Some("Offline Storage".into()),
        };
        assert_eq!(Delay::from_element(&d.to_element()), Ok(d.clone()));
        let f = Forwarded {
            delay: Some(d),
            stanza: Box::new(Element::new("message", "jabber:client")),
        };
        assert_eq!(Forwarded::from_element(&f.to_element()), Ok(f.clone()));
        for c in [
            Carbons::Enable,
            Carbons::Disable,
            Carbons::Private,
            Carbons::Received(f.clone()),
            Carbons::Sent(f),
        ] {
            assert_eq!(Carbons::from_element(&c.to_element()), Ok(Some(c.clone())));
        }
        for m in [
            Marker::Markable,
            Marker::Displayed("m1".into()),
            Marker::Received("m".into()),
            Marker::Acknowledged("a".into()),
        ] {
            assert_eq!(Marker::from_element(&m.to_element()), Ok(Some(m.clone())));
        }
        for s in [
            ChatState::Active,
            ChatState::Composing,
            ChatState::Paused,
            ChatState::Inactive,
            ChatState::Gone,
        ] {
            assert_eq!(ChatState::from_element(&s.to_element()), Some(s));
        }
        for r in [
            Receipt::Request,
            Receipt::Received(Some("x".into())),
            Receipt::Received(None),
        ] {
            assert_eq!(Receipt::from_element(&r.to_element()), Some(r.clone()));
        }
        let s = StanzaId {
            id: "de305d54".into(),
            by: Jid::new("room@muc.example.com").unwrap(),
        };
        assert_eq!(StanzaId::from_element(&s.to_element()), Ok(s));
        assert_eq!(Ping::from_element(&Ping.to_element()), Ok(Ping));
    }
}
