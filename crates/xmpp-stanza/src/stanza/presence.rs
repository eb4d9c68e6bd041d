//! `<presence/>` (RFC 6120 §8.2.2, RFC 6121 §3 and §4).

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;

use xmpp_jid::Jid;

use super::{
    Header, InvalidStanza, StanzaNs, children_named, error_child, extension_payloads, first_child,
    text_child, texts,
};
use crate::element::{Element, Node};
use crate::error::PayloadError;
use crate::stanza_error::StanzaError;

/// The `type` of a presence (RFC 6121 §4.7.1); absence means available.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum PresenceType {
    /// No `type`: available (RFC 6121 §4.1).
    #[default]
    Available,
    /// An error reply.
    Error,
    /// A request for the recipient's presence (server use, RFC 6121 §4.3).
    Probe,
    /// A subscription request (RFC 6121 §3.1).
    Subscribe,
    /// A subscription approval (RFC 6121 §3.1.5).
    Subscribed,
    /// No longer available (RFC 6121 §4.5).
    Unavailable,
    /// Unsubscribing (RFC 6121 §3.3).
    Unsubscribe,
    /// A subscription denied or cancelled (RFC 6121 §3.2).
    Unsubscribed,
}

impl PresenceType {
    /// The attribute value, `None` for available.
    pub fn as_str(self) -> Option<&'static str> {
        Some(match self {
            Self::Available => return None,
            Self::Error => "error",
            Self::Probe => "probe",
            Self::Subscribe => "subscribe",
            Self::Subscribed => "subscribed",
            Self::Unavailable => "unavailable",
            Self::Unsubscribe => "unsubscribe",
            Self::Unsubscribed => "unsubscribed",
        })
    }

    /// The type named `s` (not `available`, which is spelt by absence).
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "error" => Self::Error,
            "probe" => Self::Probe,
            "subscribe" => Self::Subscribe,
            "subscribed" => Self::Subscribed,
            "unavailable" => Self::Unavailable,
            "unsubscribe" => Self::Unsubscribe,
            "unsubscribed" => Self::Unsubscribed,
            _ => return None,
        })
    }

    /// Whether this is one of the four subscription types (RFC 6121 §3).
    pub fn is_subscription(self) -> bool {
        matches!(
            self,
            Self::Subscribe | Self::Subscribed | Self::Unsubscribe | Self::Unsubscribed
        )
    }
}

/// The availability sub-state `<show/>` (RFC 6121 §4.7.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Show {
    /// Temporarily away.
    Away,
    /// Free to chat.
    Chat,
    /// Do not disturb.
    Dnd,
    /// Extended away.
    Xa,
}

impl Show {
    /// The element text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Away => "away",
            Self::Chat => "chat",
            Self::Dnd => "dnd",
            Self::Xa => "xa",
        }
    }

    /// The value spelt `s`.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "away" => Self::Away,
            "chat" => Self::Chat,
            "dnd" => Self::Dnd,
            "xa" => Self::Xa,
            _ => return None,
        })
    }
}

/// A `<presence/>` stanza; show, status and priority are read from
/// [`nodes`](Self::nodes), which holds every child as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presence {
    /// Routing attributes and the uninterpreted ones.
    pub header: Header,
    /// The type.
    pub type_: PresenceType,
    /// Every child node in order.
    pub nodes: Vec<Node>,
}

impl Presence {
    /// A presence of type `type_` in namespace `ns`.
    pub fn new(ns: StanzaNs, type_: PresenceType) -> Self {
        Self {
            header: Header::new(ns),
            type_,
            nodes: Vec::new(),
        }
    }

    /// Sets `to`.
    #[must_use]
    pub fn with_to(mut self, to: Jid) -> Self {
        self.header.to = Some(to);
        self
    }

    /// Sets `from`.
    #[must_use]
    pub fn with_from(mut self, from: Jid) -> Self {
        self.header.from = Some(from);
        self
    }

    /// Sets `id`.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.header.id = Some(compact_str::CompactString::from(id.into()));
        self
    }

    /// Sets `<show/>`, replacing an earlier one.
    #[must_use]
    pub fn with_show(self, show: Show) -> Self {
        self.replace_text_child("show", show.as_str())
    }

    /// Sets `<priority/>` (RFC 6121 §4.7.2.3), replacing an earlier one.
    #[must_use]
    pub fn with_priority(self, priority: i8) -> Self {
        self.replace_text_child("priority", &alloc::format!("{priority}"))
    }

    /// Adds a `<status/>`.
    #[must_use]
    pub fn with_status(mut self, lang: Option<&str>, text: &str) -> Self {
        self.nodes
            .push(text_child("status", self.header.ns, lang, text));
        self
    }

    /// Adds a payload element.
    #[must_use]
    pub fn with_payload(mut self, payload: Element) -> Self {
        self.nodes.push(Node::Element(payload));
        self
    }

    fn replace_text_child(mut self, name: &str, text: &str) -> Self {
        let ns = self.header.ns;
        self.nodes
            .retain(|n| !n.as_element().is_some_and(|e| e.is(name, ns.as_str())));
        self.nodes.push(text_child(name, ns, None, text));
        self
    }

    /// `<show/>`; validated when the presence was read.
    pub fn show(&self) -> Option<Show> {
        children_named(&self.nodes, "show", self.header.ns.as_str())
            .next()
            .and_then(|s| Show::from_name(s.text().trim()))
    }

    /// `<priority/>`, 0 when absent (RFC 6121 §4.7.2.3).
    pub fn priority(&self) -> i8 {
        children_named(&self.nodes, "priority", self.header.ns.as_str())
            .next()
            .and_then(|p| p.text().trim().parse().ok())
            .unwrap_or(0)
    }

    /// Every `<status/>` with its language: its `xml:lang`, else the
    /// presence's (RFC 6121 §4.7.2.2, XML 1.0 §2.12).
    pub fn statuses(&self) -> impl Iterator<Item = (Option<&str>, Cow<'_, str>)> {
        texts(
            &self.nodes,
            "status",
            self.header.ns.as_str(),
            self.header.lang.as_deref(),
        )
    }

    /// The status in language `lang`, picked as
    /// [`Message::body`](crate::Message::body) picks a body.
    pub fn status(&self, lang: Option<&str>) -> Option<Cow<'_, str>> {
        super::pick(self.statuses(), lang)
    }

    /// The child elements other than show, status, priority and error.
    pub fn payloads(&self) -> impl Iterator<Item = &Element> {
        extension_payloads(
            &self.nodes,
            self.header.ns.as_str(),
            &["show", "status", "priority", "error"],
        )
    }

    /// The first payload `name` in `ns`.
    pub fn payload(&self, name: &str, ns: &str) -> Option<&Element> {
        first_child(&self.nodes, name, ns)
    }

    /// The `<error/>` of a presence of type `error`.
    pub fn error(&self) -> Option<Result<StanzaError, PayloadError>> {
        error_child(&self.nodes, self.header.ns.as_str())
    }

    pub(super) fn check(e: &Element) -> Result<(Header, PresenceType), PayloadError> {
        if e.name() != "presence" {
            return Err(PayloadError::UnexpectedElement {
                expected: "presence",
                name: e.name().into(),
                ns: e.ns().into(),
            });
        }
        let (header, raw) = Header::read(e, "presence")?;
        let type_ = match raw {
            None => PresenceType::Available,
            Some(t) => {
                PresenceType::from_name(t).ok_or_else(|| PayloadError::InvalidAttribute {
                    element: "presence",
                    attribute: "type",
                    value: t.into(),
                })?
            }
        };
        let ns = header.ns.as_str();
        let mut shows = e.get_children("show", ns);
        if let Some(show) = shows.next() {
            let text = show.text();
            if Show::from_name(text.trim()).is_none() {
                return Err(PayloadError::InvalidText {
                    element: "show",
                    value: text.into_owned(),
                });
            }
        }
        if shows.next().is_some() {
            return Err(PayloadError::UnexpectedChild {
                element: "presence",
                child: "show".into(),
            });
        }
        let mut priorities = e.get_children("priority", ns);
        if let Some(p) = priorities.next() {
            let text = p.text();
            if text.trim().parse::<i8>().is_err() {
                return Err(PayloadError::InvalidText {
                    element: "priority",
                    value: text.into_owned(),
                });
            }
        }
        if priorities.next().is_some() {
            return Err(PayloadError::UnexpectedChild {
                element: "presence",
                child: "priority".into(),
            });
        }
        Ok((header, type_))
    }
}

super::element_conversions!(Presence, "presence");

impl Presence {
    /// The `type` attribute to write back.
    fn type_attr(&self) -> Option<&'static str> {
        self.type_.as_str()
    }
}
