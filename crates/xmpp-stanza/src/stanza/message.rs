//! `<message/>` (RFC 6120 §8.2.1, RFC 6121 §5).

use alloc::borrow::Cow;
use alloc::vec::Vec;

use xmpp_jid::Jid;

use super::{
    Header, InvalidStanza, StanzaNs, children_named, error_child, extension_payloads, first_child,
    pick, text_child, texts,
};
use crate::element::{Element, Node};
use crate::error::PayloadError;
use crate::stanza_error::StanzaError;

/// The `type` of a message (RFC 6121 §5.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MessageType {
    /// One-to-one chat.
    Chat,
    /// An error reply.
    Error,
    /// Multi-user chat.
    Groupchat,
    /// An alert or notification; no reply expected.
    Headline,
    /// A standalone message; what a message without `type` is.
    Normal,
}

impl MessageType {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Error => "error",
            Self::Groupchat => "groupchat",
            Self::Headline => "headline",
            Self::Normal => "normal",
        }
    }

    /// The type named `s`.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "chat" => Self::Chat,
            "error" => Self::Error,
            "groupchat" => Self::Groupchat,
            "headline" => Self::Headline,
            "normal" => Self::Normal,
            _ => return None,
        })
    }
}

/// A `<message/>` stanza. Bodies, subjects and the thread are read from
/// [`nodes`](Self::nodes), which holds every child as received; payloads of
/// other namespaces stay there too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Routing attributes and the uninterpreted ones.
    pub header: Header,
    /// The `type`; `None` when absent, which means `normal` (RFC 6121
    /// §5.2.2). An unknown value is also treated as `normal` and stays in
    /// `header.attrs`.
    pub type_: Option<MessageType>,
    /// Every child node in order.
    pub nodes: Vec<Node>,
}

impl Message {
    /// An empty message in namespace `ns`.
    pub fn new(ns: StanzaNs) -> Self {
        Self {
            header: Header::new(ns),
            type_: None,
            nodes: Vec::new(),
        }
    }

    /// A `chat` message to `to` with one body (RFC 6121 §5.1).
    pub fn chat(ns: StanzaNs, to: Jid, body: &str) -> Self {
        Self::new(ns)
            .with_to(to)
            .with_type(MessageType::Chat)
            .with_body(None, body)
    }

    /// The type in effect: `normal` when absent or unknown.
    pub fn kind(&self) -> MessageType {
        self.type_.unwrap_or(MessageType::Normal)
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
    pub fn with_id(mut self, id: impl Into<alloc::string::String>) -> Self {
        self.header.id = Some(compact_str::CompactString::from(id.into()));
        self
    }

    /// Sets the type.
    #[must_use]
    pub fn with_type(mut self, t: MessageType) -> Self {
        self.type_ = Some(t);
        self
    }

    /// Adds a `<body/>` (RFC 6121 §5.2.3).
    #[must_use]
    pub fn with_body(mut self, lang: Option<&str>, text: &str) -> Self {
        self.nodes
            .push(text_child("body", self.header.ns, lang, text));
        self
    }

    /// Adds a `<subject/>` (RFC 6121 §5.2.4).
    #[must_use]
    pub fn with_subject(mut self, lang: Option<&str>, text: &str) -> Self {
        self.nodes
            .push(text_child("subject", self.header.ns, lang, text));
        self
    }

    /// Sets the `<thread/>` (RFC 6121 §5.2.5), replacing an earlier one.
    #[must_use]
    pub fn with_thread(mut self, thread: &str, parent: Option<&str>) -> Self {
        let ns = self.header.ns.as_str();
        self.nodes
            .retain(|n| !n.as_element().is_some_and(|e| e.is("thread", ns)));
        let mut t = Element::new("thread", ns).with_text(thread);
        if let Some(p) = parent {
            t.set_attr("parent", p);
        }
        self.nodes.push(Node::Element(t));
        self
    }

    /// Adds a payload element.
    #[must_use]
    pub fn with_payload(mut self, payload: Element) -> Self {
        self.nodes.push(Node::Element(payload));
        self
    }

    /// Every body with its language, in order; duplicates kept. The
    /// language is the body's `xml:lang`, else the message's (RFC 6121
    /// §5.2.3: a body without one is in the language of the stanza, which
    /// is the stream's when it has none either, RFC 6120 §8.1.5: see
    /// [`Stanza::from_frame_with_lang`](crate::Stanza::from_frame_with_lang)).
    pub fn bodies(&self) -> impl Iterator<Item = (Option<&str>, Cow<'_, str>)> {
        texts(
            &self.nodes,
            "body",
            self.header.ns.as_str(),
            self.header.lang.as_deref(),
        )
    }

    /// The body in language `lang`, as [`bodies`](Self::bodies) gives it
    /// (language tags compared ignoring ASCII case); `None`: the one
    /// without a language, else the first.
    pub fn body(&self, lang: Option<&str>) -> Option<Cow<'_, str>> {
        pick(self.bodies(), lang)
    }

    /// Every subject with its language, inherited as for
    /// [`bodies`](Self::bodies).
    pub fn subjects(&self) -> impl Iterator<Item = (Option<&str>, Cow<'_, str>)> {
        texts(
            &self.nodes,
            "subject",
            self.header.ns.as_str(),
            self.header.lang.as_deref(),
        )
    }

    /// The subject for `lang`, as [`body`](Self::body) picks.
    pub fn subject(&self, lang: Option<&str>) -> Option<Cow<'_, str>> {
        pick(self.subjects(), lang)
    }

    /// The thread identifier and its parent (RFC 6121 §5.2.5).
    pub fn thread(&self) -> Option<(Cow<'_, str>, Option<&str>)> {
        children_named(&self.nodes, "thread", self.header.ns.as_str())
            .next()
            .map(|t| (t.text(), t.attr("parent")))
    }

    /// The child elements that are not body, subject, thread or error:
    /// the extension payloads, in order.
    pub fn payloads(&self) -> impl Iterator<Item = &Element> {
        extension_payloads(
            &self.nodes,
            self.header.ns.as_str(),
            &["body", "subject", "thread", "error"],
        )
    }

    /// The first payload `name` in `ns`.
    pub fn payload(&self, name: &str, ns: &str) -> Option<&Element> {
        first_child(&self.nodes, name, ns)
    }

    /// The `<error/>` of a message of type `error`.
    pub fn error(&self) -> Option<Result<StanzaError, PayloadError>> {
        error_child(&self.nodes, self.header.ns.as_str())
    }

    /// The header and type of `e`, checked.
    pub(super) fn check(e: &Element) -> Result<(Header, Option<MessageType>), PayloadError> {
        if e.name() != "message" {
            return Err(PayloadError::UnexpectedElement {
                expected: "message",
                name: e.name().into(),
                ns: e.ns().into(),
            });
        }
        let (mut header, raw) = Header::read(e, "message")?;
        let type_ = match raw {
            None => None,
            Some(t) => match MessageType::from_name(t) {
                Some(t) => Some(t),
                None => {
                    // RFC 6121 §5.2.2: treated as normal; kept as written.
                    header.attrs.insert(0, attr("type", t));
                    None
                }
            },
        };
        let ns = header.ns.as_str();
        if e.get_children("thread", ns).nth(1).is_some() {
            return Err(PayloadError::UnexpectedChild {
                element: "message",
                child: "thread".into(),
            });
        }
        Ok((header, type_))
    }
}

/// An attribute in no namespace.
fn attr(name: &str, value: &str) -> crate::element::Attribute {
    crate::element::Attribute {
        name: name.into(),
        ns: crate::atom::Atom::default(),
        value: value.into(),
    }
}

super::element_conversions!(Message, "message");

impl Message {
    /// The `type` attribute to write back.
    fn type_attr(&self) -> Option<&'static str> {
        self.type_.map(MessageType::as_str)
    }
}
