//! `<iq/>` (RFC 6120 §8.2.3): request and response, `id` required, exactly
//! one payload in a request, at most one in a result.

use alloc::string::String;
use alloc::vec::Vec;

use compact_str::CompactString;
use xmpp_jid::Jid;

use super::{Header, InvalidStanza, StanzaNs};
use crate::element::{Element, Node};
use crate::error::PayloadError;
use crate::stanza_error::StanzaError;

/// The `type` of an iq (RFC 6120 §8.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IqType {
    /// A request for information.
    Get,
    /// A request to change something.
    Set,
    /// A successful response.
    Result,
    /// A failed request.
    Error,
}

impl IqType {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Set => "set",
            Self::Result => "result",
            Self::Error => "error",
        }
    }

    /// The type named `s`.
    pub fn from_name(s: &str) -> Option<Self> {
        Some(match s {
            "get" => Self::Get,
            "set" => Self::Set,
            "result" => Self::Result,
            "error" => Self::Error,
            _ => return None,
        })
    }

    /// Whether the type is a request (`get` or `set`).
    pub fn is_request(self) -> bool {
        matches!(self, Self::Get | Self::Set)
    }
}

/// An `<iq/>` stanza. Its payload and error are read from
/// [`nodes`](Self::nodes), which holds every child as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iq {
    /// Routing attributes (the id is always present) and the other ones.
    pub header: Header,
    /// The type.
    pub type_: IqType,
    /// Every child node in order.
    pub nodes: Vec<Node>,
}

impl Iq {
    /// A request of type `type_` (get or set) with id `id` and `payload`.
    pub fn request(ns: StanzaNs, type_: IqType, id: impl Into<String>, payload: Element) -> Self {
        let mut header = Header::new(ns);
        header.id = Some(CompactString::from(id.into()));
        Self {
            header,
            type_,
            nodes: alloc::vec![Node::Element(payload)],
        }
    }

    /// A `get` request.
    pub fn get(ns: StanzaNs, id: impl Into<String>, payload: Element) -> Self {
        Self::request(ns, IqType::Get, id, payload)
    }

    /// A `set` request.
    pub fn set(ns: StanzaNs, id: impl Into<String>, payload: Element) -> Self {
        Self::request(ns, IqType::Set, id, payload)
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

    /// The id (required on every iq, so present once read).
    pub fn id(&self) -> &str {
        self.header.id.as_deref().unwrap_or_default()
    }

    /// The payload: the one child element other than `<error/>` (for an
    /// error, the request echoed back, if any).
    pub fn payload(&self) -> Option<&Element> {
        let ns = self.header.ns.as_str();
        self.nodes
            .iter()
            .filter_map(Node::as_element)
            .find(|e| !(self.type_ == IqType::Error && e.is("error", ns)))
    }

    /// The `<error/>` of an iq of type `error`.
    pub fn error(&self) -> Option<Result<StanzaError, PayloadError>> {
        super::error_child(&self.nodes, self.header.ns.as_str())
    }

    /// The `result` answering this request: addresses swapped, same id
    /// (RFC 6120 §8.2.3), with `payload` if any. `None` when this is not a
    /// request.
    pub fn make_result(&self, payload: Option<Element>) -> Option<Self> {
        if !self.type_.is_request() {
            return None;
        }
        Some(Self {
            header: self.header.reply(),
            type_: IqType::Result,
            nodes: payload.map(Node::Element).into_iter().collect(),
        })
    }

    /// The `error` answering this iq (RFC 6120 §8.3.1).
    pub fn make_error(&self, error: StanzaError) -> Self {
        Self {
            header: self.header.reply(),
            type_: IqType::Error,
            nodes: alloc::vec![Node::Element(error.to_element(self.header.ns.as_str()))],
        }
    }

    pub(super) fn check(e: &Element) -> Result<(Header, IqType), PayloadError> {
        if e.name() != "iq" {
            return Err(PayloadError::UnexpectedElement {
                expected: "iq",
                name: e.name().into(),
                ns: e.ns().into(),
            });
        }
        let (header, raw) = Header::read(e, "iq")?;
        let Some(raw) = raw else {
            return Err(PayloadError::MissingAttribute {
                element: "iq",
                attribute: "type",
            });
        };
        let type_ = IqType::from_name(raw).ok_or_else(|| PayloadError::InvalidAttribute {
            element: "iq",
            attribute: "type",
            value: raw.into(),
        })?;
        if header.id.is_none() {
            return Err(PayloadError::MissingAttribute {
                element: "iq",
                attribute: "id",
            });
        }
        let ns = header.ns.as_str();
        let mut elements = e.children();
        match type_ {
            IqType::Get | IqType::Set => match (elements.next(), elements.next()) {
                (Some(_), None) => {}
                (None, _) => {
                    return Err(PayloadError::MissingChild {
                        element: "iq",
                        child: "payload",
                    });
                }
                (Some(_), Some(extra)) => {
                    return Err(PayloadError::UnexpectedChild {
                        element: "iq",
                        child: extra.name().into(),
                    });
                }
            },
            IqType::Result => {
                if let (Some(_), Some(extra)) = (elements.next(), elements.next()) {
                    return Err(PayloadError::UnexpectedChild {
                        element: "iq",
                        child: extra.name().into(),
                    });
                }
            }
            IqType::Error => {
                if !e.has_child("error", ns) {
                    return Err(PayloadError::MissingChild {
                        element: "iq",
                        child: "error",
                    });
                }
            }
        }
        Ok((header, type_))
    }
}

super::element_conversions!(Iq, "iq");

impl Iq {
    /// The `type` attribute to write back.
    fn type_attr(&self) -> Option<&'static str> {
        Some(self.type_.as_str())
    }
}
