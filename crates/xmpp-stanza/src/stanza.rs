//! Typed stanzas (RFC 6120 §8, RFC 6121 §4 and §5): [`Message`],
//! [`Presence`], [`Iq`] and the [`Stanza`] enum over them.
//!
//! A typed stanza holds its parsed routing attributes (§8.1: `to` and
//! `from` as JIDs, `id`, `type`, `xml:lang`) plus everything else of the
//! element as it came: other attributes and every child node in order.
//! Typed accessors (`bodies`, `show`, `payload`, …) read the children, so
//! nothing is duplicated, and serializing gives back every attribute, child
//! and text. Addresses are written in their enforced form (RFC 7622 §3).
//!
//! Reading a stanza never fails the stream: an element with a bad address,
//! type or payload gives an [`InvalidStanza`] that keeps the element whole
//! and has the matching error reply ready.

use alloc::vec::Vec;

use compact_str::CompactString;
use xmpp_jid::Jid;

use crate::element::{Attribute, Element, Node, XML_NS};
use crate::error::{ParseError, PayloadError};
use crate::stanza_error::StanzaError;

/// `to_element`, `TryFrom<Element>` and `From<_> for Element` of a typed
/// stanza with fields `header`, `type_` and `nodes` and a `type_attr()`
/// method; the three stanza kinds share them.
macro_rules! element_conversions {
    ($ty:ident, $name:literal) => {
        impl $ty {
            /// The stanza as an element.
            pub fn to_element(&self) -> Element {
                let mut e = self.header.element($name, self.type_attr());
                e.children = crate::element::Children::from_nodes(self.nodes.clone());
                e
            }
        }

        impl TryFrom<Element> for $ty {
            type Error = InvalidStanza;

            fn try_from(e: Element) -> Result<Self, InvalidStanza> {
                match Self::check(&e) {
                    Ok((header, type_)) => Ok(Self {
                        header,
                        type_,
                        nodes: e.into_nodes(),
                    }),
                    Err(error) => Err(InvalidStanza {
                        element: alloc::boxed::Box::new(e),
                        error,
                    }),
                }
            }
        }

        impl From<$ty> for Element {
            fn from(s: $ty) -> Self {
                let mut e = s.header.element($name, s.type_attr());
                e.children = crate::element::Children::from_nodes(s.nodes);
                e
            }
        }
    };
}
use element_conversions;

mod iq;
mod message;
mod presence;

pub use iq::{Iq, IqType};
pub use message::{Message, MessageType};
pub use presence::{Presence, PresenceType, Show};

/// The client-to-server content namespace (RFC 6120 §4.8.3).
pub const CLIENT_NS: &str = "jabber:client";
/// The server-to-server content namespace (RFC 6120 §4.8.3).
pub const SERVER_NS: &str = "jabber:server";
/// The component content namespace of a component that connects to a
/// server (XEP-0114 §3, "accept" mode on the server's side).
pub const COMPONENT_NS: &str = "jabber:component:accept";
/// The component content namespace of a server that connects to a
/// component (XEP-0114 §3, "connect" mode); its stanzas are the same.
pub const COMPONENT_CONNECT_NS: &str = "jabber:component:connect";

/// The namespace stanzas are qualified by: a runtime value, so one program
/// handles client, server and component streams alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum StanzaNs {
    /// `jabber:client`.
    #[default]
    Client,
    /// `jabber:server`.
    Server,
    /// `jabber:component:accept`.
    Component,
    /// `jabber:component:connect`.
    ComponentConnect,
}

impl StanzaNs {
    /// The namespace name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => CLIENT_NS,
            Self::Server => SERVER_NS,
            Self::Component => COMPONENT_NS,
            Self::ComponentConnect => COMPONENT_CONNECT_NS,
        }
    }

    /// The content namespace named `ns`.
    pub fn from_ns(ns: &str) -> Option<Self> {
        Some(match ns {
            CLIENT_NS => Self::Client,
            SERVER_NS => Self::Server,
            COMPONENT_NS => Self::Component,
            COMPONENT_CONNECT_NS => Self::ComponentConnect,
            _ => return None,
        })
    }
}

/// The routing attributes every stanza has (RFC 6120 §8.1), plus the
/// attributes this crate does not interpret.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Header {
    /// The stanza namespace.
    pub ns: StanzaNs,
    /// `to` (§8.1.1).
    pub to: Option<Jid>,
    /// `from` (§8.1.2).
    pub from: Option<Jid>,
    /// `id` (§8.1.3). Stored inline up to 24 bytes, as ids usually are,
    /// so reading one costs no allocation.
    pub id: Option<CompactString>,
    /// `xml:lang` (§8.1.5), inline as well.
    pub lang: Option<CompactString>,
    /// Every other attribute, in order (an unknown `type` value of a
    /// message included).
    pub attrs: Vec<Attribute>,
}

impl Header {
    /// A header in namespace `ns` with nothing set.
    pub fn new(ns: StanzaNs) -> Self {
        Self {
            ns,
            ..Self::default()
        }
    }

    /// Reads the routing attributes of `e`; `type` is left to the caller
    /// and returned raw.
    fn read<'e>(
        e: &'e Element,
        element: &'static str,
    ) -> Result<(Self, Option<&'e str>), PayloadError> {
        let ns = StanzaNs::from_ns(e.ns()).ok_or_else(|| PayloadError::UnexpectedElement {
            expected: element,
            name: e.name().into(),
            ns: e.ns().into(),
        })?;
        let mut h = Self::new(ns);
        let mut type_ = None;
        for a in e.attrs() {
            // Most attributes are in no namespace: one test of the
            // namespace, then one dispatch on the name.
            if a.ns().is_empty() {
                match a.name() {
                    "to" => h.to = Some(jid(element, "to", a.value())?),
                    "from" => h.from = Some(jid(element, "from", a.value())?),
                    "id" => h.id = Some(a.value.clone()),
                    "type" => type_ = Some(a.value()),
                    _ => h.attrs.push(a.clone()),
                }
            } else if a.ns() == XML_NS && a.name() == "lang" {
                h.lang = Some(a.value.clone());
            } else {
                h.attrs.push(a.clone());
            }
        }
        Ok((h, type_))
    }

    /// The element `name` with these attributes and `type_`.
    fn element(&self, name: &str, type_: Option<&str>) -> Element {
        let mut e = Element::new(name, self.ns.as_str());
        e.attrs.reserve(self.attrs.len() + 4);
        if let Some(to) = &self.to {
            e.set_attr("to", to.as_str());
        }
        if let Some(from) = &self.from {
            e.set_attr("from", from.as_str());
        }
        if let Some(id) = &self.id {
            e.set_attr("id", id.as_str());
        }
        if let Some(t) = type_ {
            e.set_attr("type", t);
        }
        if let Some(lang) = &self.lang {
            e.set_attr_ns("lang", XML_NS, lang.as_str());
        }
        e.attrs.extend(self.attrs.iter().cloned());
        e
    }

    /// The header of a reply: addresses swapped, same id, namespace and
    /// language (RFC 6120 §8.3.1, §8.2.3).
    fn reply(&self) -> Self {
        Self {
            ns: self.ns,
            to: self.from.clone(),
            from: self.to.clone(),
            id: self.id.clone(),
            lang: self.lang.clone(),
            attrs: Vec::new(),
        }
    }
}

fn jid(element: &'static str, attribute: &'static str, value: &str) -> Result<Jid, PayloadError> {
    Jid::new(value).map_err(|error| PayloadError::InvalidJid {
        element,
        attribute,
        value: value.into(),
        error: alloc::boxed::Box::new(error),
    })
}

/// The child elements of `nodes` named `name` in namespace `ns`.
fn children_named<'a>(
    nodes: &'a [Node],
    name: &'a str,
    ns: &'a str,
) -> impl Iterator<Item = &'a Element> + 'a {
    nodes
        .iter()
        .filter_map(Node::as_element)
        .filter(move |e| e.is(name, ns))
}

/// The child elements of a stanza other than its own `core` children in
/// the stanza namespace `ns`: the extension payloads, in order.
fn extension_payloads<'a>(
    nodes: &'a [Node],
    ns: &'a str,
    core: &'static [&'static str],
) -> impl Iterator<Item = &'a Element> + 'a {
    nodes
        .iter()
        .filter_map(Node::as_element)
        .filter(move |e| !(e.ns() == ns && core.contains(&e.name())))
}

/// The first child element `name` in `ns`.
fn first_child<'a>(nodes: &'a [Node], name: &str, ns: &str) -> Option<&'a Element> {
    nodes
        .iter()
        .filter_map(Node::as_element)
        .find(|e| e.is(name, ns))
}

/// The first `<error/>` in the stanza namespace `ns`, read as a stanza
/// error (RFC 6120 §8.3.2).
fn error_child(nodes: &[Node], ns: &str) -> Option<Result<StanzaError, PayloadError>> {
    first_child(nodes, "error", ns).map(StanzaError::from_element)
}

/// A stanza: one of the three kinds of RFC 6120 §8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stanza {
    /// `<message/>`.
    Message(Message),
    /// `<presence/>`.
    Presence(Presence),
    /// `<iq/>`.
    Iq(Iq),
}

/// An element that should have been a stanza but is not a valid one: the
/// element is kept whole, the problem is named, and the reply is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidStanza {
    /// The element as received.
    pub element: alloc::boxed::Box<Element>,
    /// What is wrong with it.
    pub error: PayloadError,
}

impl InvalidStanza {
    /// Whether the element is a stanza at all (`message`, `presence` or `iq`
    /// in a content namespace); if not, a stream would answer
    /// `unsupported-stanza-type` (RFC 6120 §4.9.3.24) instead of a reply.
    pub fn is_stanza(&self) -> bool {
        matches!(self.element.name(), "message" | "presence" | "iq")
            && StanzaNs::from_ns(self.element.ns()).is_some()
    }

    /// The stanza error to answer with (`jid-malformed` for an address,
    /// `bad-request` otherwise), its text the problem.
    pub fn stanza_error(&self) -> StanzaError {
        StanzaError::new(self.error.condition())
            .with_text(Some("en"), alloc::format!("{}", self.error))
    }

    /// The error reply to send (RFC 6120 §8.3.1): the element's name,
    /// addresses swapped, same id, type `error`. `None` for elements that
    /// are not stanzas and for stanzas of type `error`, which are never
    /// answered with an error.
    pub fn error_reply(&self) -> Option<Element> {
        if !self.is_stanza() || self.element.attr("type") == Some("error") {
            return None;
        }
        let e = &self.element;
        let mut reply = Element::new(e.name(), e.ns());
        // The raw values are echoed: a malformed address is returned to its
        // sender as it came.
        if let Some(from) = e.attr("from") {
            reply.set_attr("to", from);
        }
        if let Some(to) = e.attr("to") {
            reply.set_attr("from", to);
        }
        if let Some(id) = e.attr("id") {
            reply.set_attr("id", id);
        }
        reply.set_attr("type", "error");
        reply.push_child(self.stanza_error().to_element(e.ns()));
        Some(reply)
    }
}

impl core::fmt::Display for InvalidStanza {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Display::fmt(&self.error, f)
    }
}

impl core::error::Error for InvalidStanza {}

/// Why a framed element could not be read as a stanza.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReadError {
    /// The bytes are not an element (a stream error).
    Parse(ParseError),
    /// The element is not a valid stanza (a stanza error).
    Stanza(InvalidStanza),
}

impl core::fmt::Display for ReadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Parse(e) => core::fmt::Display::fmt(e, f),
            Self::Stanza(e) => core::fmt::Display::fmt(e, f),
        }
    }
}

impl core::error::Error for ReadError {}

impl Stanza {
    /// Reads a stanza from an element; the element comes back inside the
    /// error when it is not a valid stanza.
    pub fn from_element(e: Element) -> Result<Self, InvalidStanza> {
        match e.name() {
            "message" => Message::try_from(e).map(Self::Message),
            "presence" => Presence::try_from(e).map(Self::Presence),
            "iq" => Iq::try_from(e).map(Self::Iq),
            _ => Err(InvalidStanza {
                error: PayloadError::UnexpectedElement {
                    expected: "message, presence or iq",
                    name: e.name().into(),
                    ns: e.ns().into(),
                },
                element: alloc::boxed::Box::new(e),
            }),
        }
    }

    /// Parses a framed element and reads it as a stanza.
    pub fn from_frame(frame: &xmpp_stream::Frame) -> Result<Self, ReadError> {
        let e = Element::from_frame(frame).map_err(ReadError::Parse)?;
        Self::from_element(e).map_err(ReadError::Stanza)
    }

    /// [`from_frame`](Self::from_frame) for a stream whose header
    /// declared the default language `stream_lang`
    /// ([`xmpp_stream::StreamHeader::lang`]): a stanza without `xml:lang`
    /// is in that language (RFC 6120 §8.1.5), so it gets it, as
    /// [`inherit_lang`](Self::inherit_lang) does.
    ///
    /// ```
    /// use xmpp_stanza::Stanza;
    /// use xmpp_stream::{Event, Framer, Transport};
    ///
    /// let mut framer = Framer::new(Transport::Tcp);
    /// framer.feed(b"<stream:stream xmlns='jabber:client' xml:lang='de' \
    ///     xmlns:stream='http://etherx.jabber.org/streams'><message><body>Hallo</body></message>");
    /// let Ok(Some(Event::StreamOpen(header))) = framer.next_event() else { panic!() };
    /// let Ok(Some(Event::Element(frame))) = framer.next_event() else { panic!() };
    /// let Ok(Stanza::Message(m)) = Stanza::from_frame_with_lang(&frame, header.lang()) else {
    ///     panic!()
    /// };
    /// assert_eq!(m.header.lang.as_deref(), Some("de"));
    /// assert_eq!(m.body(Some("de")).as_deref(), Some("Hallo"));
    /// ```
    pub fn from_frame_with_lang(
        frame: &xmpp_stream::Frame,
        stream_lang: Option<&str>,
    ) -> Result<Self, ReadError> {
        let mut s = Self::from_frame(frame)?;
        s.inherit_lang(stream_lang);
        Ok(s)
    }

    /// Gives a stanza without `xml:lang` the stream's default language
    /// `stream_lang` (RFC 6120 §8.1.5: such a stanza is in the language of
    /// the stream header's `xml:lang`, §4.7.4). It is then written out
    /// with it, which is what a server routing a client's stanza SHOULD
    /// add (§8.1.5). A stanza with its own `xml:lang` keeps it.
    pub fn inherit_lang(&mut self, stream_lang: Option<&str>) {
        let header = match self {
            Self::Message(m) => &mut m.header,
            Self::Presence(p) => &mut p.header,
            Self::Iq(i) => &mut i.header,
        };
        if header.lang.is_none() {
            header.lang = stream_lang.map(CompactString::from);
        }
    }

    /// The element name: `message`, `presence` or `iq`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Message(_) => "message",
            Self::Presence(_) => "presence",
            Self::Iq(_) => "iq",
        }
    }

    /// The routing attributes.
    pub fn header(&self) -> &Header {
        match self {
            Self::Message(m) => &m.header,
            Self::Presence(p) => &p.header,
            Self::Iq(i) => &i.header,
        }
    }

    /// Whether the stanza is of type `error`.
    pub fn is_error(&self) -> bool {
        match self {
            Self::Message(m) => m.type_ == Some(MessageType::Error),
            Self::Presence(p) => p.type_ == PresenceType::Error,
            Self::Iq(i) => i.type_ == IqType::Error,
        }
    }

    /// The error reply to this stanza (RFC 6120 §8.3.1): same kind,
    /// addresses swapped, same id, type `error`, holding `error`. `None`
    /// when the stanza is itself an error, which is never answered.
    pub fn make_error_reply(&self, error: StanzaError) -> Option<Self> {
        if self.is_error() {
            return None;
        }
        Some(match self {
            Self::Message(m) => {
                let mut r = Message::new(m.header.ns);
                r.header = m.header.reply();
                r.type_ = Some(MessageType::Error);
                r.nodes
                    .push(Node::Element(error.to_element(m.header.ns.as_str())));
                Self::Message(r)
            }
            Self::Presence(p) => {
                let mut r = Presence::new(p.header.ns, PresenceType::Error);
                r.header = p.header.reply();
                r.nodes
                    .push(Node::Element(error.to_element(p.header.ns.as_str())));
                Self::Presence(r)
            }
            Self::Iq(i) => Self::Iq(i.make_error(error)),
        })
    }

    /// The stanza as an element.
    pub fn to_element(&self) -> Element {
        match self {
            Self::Message(m) => m.to_element(),
            Self::Presence(p) => p.to_element(),
            Self::Iq(i) => i.to_element(),
        }
    }
}

impl From<Stanza> for Element {
    fn from(s: Stanza) -> Self {
        match s {
            Stanza::Message(m) => m.into(),
            Stanza::Presence(p) => p.into(),
            Stanza::Iq(i) => i.into(),
        }
    }
}

impl TryFrom<Element> for Stanza {
    type Error = InvalidStanza;
    fn try_from(e: Element) -> Result<Self, InvalidStanza> {
        Self::from_element(e)
    }
}

/// The text of the element children `name` (in `ns`) of `nodes` with
/// the language each is in: its own `xml:lang`, else the stanza's
/// (`inherited`; XML 1.0 §2.12: the attribute applies to the element's
/// content, RFC 6121 §5.2.3).
fn texts<'a>(
    nodes: &'a [Node],
    name: &'a str,
    ns: &'a str,
    inherited: Option<&'a str>,
) -> impl Iterator<Item = (Option<&'a str>, alloc::borrow::Cow<'a, str>)> + 'a {
    children_named(nodes, name, ns).map(move |e| (e.lang().or(inherited), e.text()))
}

/// The text for `lang` among `(language, text)` pairs: the first in that
/// language (compared ignoring ASCII case, as language tags are: RFC 5646
/// §2.1.1); for `None`, the first without a language, else the first.
fn pick<'a>(
    mut it: impl Iterator<Item = (Option<&'a str>, alloc::borrow::Cow<'a, str>)>,
    lang: Option<&str>,
) -> Option<alloc::borrow::Cow<'a, str>> {
    let mut first = None;
    for (l, t) in it.by_ref() {
        let same = match (l, lang) {
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            (a, b) => a == b,
        };
        if same {
            return Some(t);
        }
        if first.is_none() {
            first = Some(t);
        }
    }
    if lang.is_none() { first } else { None }
}

/// A text child with an optional `xml:lang`.
fn text_child(name: &str, ns: StanzaNs, lang: Option<&str>, text: &str) -> Node {
    let mut e = Element::new(name, ns.as_str());
    if let Some(lang) = lang {
        e.set_attr_ns("lang", XML_NS, lang);
    }
    e.push_text(text);
    Node::Element(e)
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod component_namespaces {
    use super::*;

    /// XEP-0114's two modes carry the same stanzas in their own
    /// namespaces; both are typed, and each writes back its own.
    #[test]
    fn both_component_namespaces_are_stanza_namespaces() {
        for (ns, want) in [
            (COMPONENT_NS, StanzaNs::Component),
            (COMPONENT_CONNECT_NS, StanzaNs::ComponentConnect),
        ] {
            assert_eq!(StanzaNs::from_ns(ns), Some(want));
            assert_eq!(want.as_str(), ns);
        }
        assert_eq!(StanzaNs::from_ns("jabber:component:other"), None);
    }
}
