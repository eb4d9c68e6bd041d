//! The `serde` feature: element trees and typed stanzas as JSON-shaped
//! values (serialization only). The shapes, which `xmpp stanza` prints:
//!
//! - element: `{"name","ns","attrs":{NAME:VALUE},"children":[ELEMENT|"text"]}`,
//!   an attribute in a namespace keyed `{ns}name` (Clark notation);
//! - message: `{"ns","to","from","id","type","lang","bodies":[{"lang","text"}],
//!   "subjects":[…],"thread":{"id","parent"}|null,"attrs","payloads":[ELEMENT],"error"}`,
//!   `type` the type in effect (`normal` when absent);
//! - presence: `{"ns","to","from","id","type","lang","show","priority",
//!   "statuses":[…],"attrs","payloads","error"}`, `type` `available` when absent;
//! - iq: `{"ns","to","from","id","type","lang","attrs","payload","error"}`;
//! - error: `{"type","condition","uri","by","texts":[…],"app"}`;
//! - absent values are `null`; `attrs` holds only the attributes the typed
//!   form does not interpret.

use alloc::borrow::Cow;
use alloc::format;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::element::{Attribute, Element, Node};
use crate::error::PayloadError;
use crate::stanza::{Header, Iq, Message, Presence, Stanza};
use crate::stanza_error::{DefinedCondition, StanzaError};

struct Attrs<'a>(&'a [Attribute]);

impl Serialize for Attrs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for a in self.0 {
            if a.ns().is_empty() {
                m.serialize_entry(a.name(), a.value())?;
            } else {
                m.serialize_entry(&format!("{{{}}}{}", a.ns(), a.name()), a.value())?;
            }
        }
        m.end()
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Element(e) => e.serialize(s),
            Self::Text(t) => s.serialize_str(t),
        }
    }
}

impl Serialize for Element {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(4))?;
        m.serialize_entry("name", self.name())?;
        m.serialize_entry("ns", self.ns())?;
        m.serialize_entry("attrs", &Attrs(self.attrs()))?;
        m.serialize_entry("children", &*self.nodes())?;
        m.end()
    }
}

struct Texts<I>(core::cell::Cell<Option<I>>);

impl<'a, I: Iterator<Item = (Option<&'a str>, Cow<'a, str>)>> Serialize for Texts<I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        if let Some(it) = self.0.take() {
            for (lang, text) in it {
                seq.serialize_element(&LangText(lang, &text))?;
            }
        }
        seq.end()
    }
}

struct LangText<'a>(Option<&'a str>, &'a str);

impl Serialize for LangText<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("lang", &self.0)?;
        m.serialize_entry("text", self.1)?;
        m.end()
    }
}

struct Elements<I>(core::cell::Cell<Option<I>>);

impl<'a, I: Iterator<Item = &'a Element>> Serialize for Elements<I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        if let Some(it) = self.0.take() {
            for e in it {
                seq.serialize_element(e)?;
            }
        }
        seq.end()
    }
}

fn elements<'a, I: Iterator<Item = &'a Element>>(it: I) -> Elements<I> {
    Elements(core::cell::Cell::new(Some(it)))
}

fn texts<'a, I: Iterator<Item = (Option<&'a str>, Cow<'a, str>)>>(it: I) -> Texts<I> {
    Texts(core::cell::Cell::new(Some(it)))
}

/// A stanza error as read, or the reason it could not be read.
struct ErrorField<'a>(Option<&'a Result<StanzaError, PayloadError>>);

impl Serialize for ErrorField<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            None => s.serialize_none(),
            Some(Ok(e)) => e.serialize(s),
            Some(Err(e)) => {
                let mut m = s.serialize_map(Some(1))?;
                m.serialize_entry("invalid", &format!("{e}"))?;
                m.end()
            }
        }
    }
}

fn header<M: SerializeMap>(m: &mut M, h: &Header, type_: &str) -> Result<(), M::Error> {
    m.serialize_entry("ns", h.ns.as_str())?;
    m.serialize_entry("to", &h.to.as_ref().map(|j| j.as_str()))?;
    m.serialize_entry("from", &h.from.as_ref().map(|j| j.as_str()))?;
    m.serialize_entry("id", &h.id.as_deref())?;
    m.serialize_entry("type", type_)?;
    m.serialize_entry("lang", &h.lang.as_deref())
}

impl Serialize for Message {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        header(&mut m, &self.header, self.kind().as_str())?;
        m.serialize_entry("bodies", &texts(self.bodies()))?;
        m.serialize_entry("subjects", &texts(self.subjects()))?;
        let thread = self.thread();
        m.serialize_entry(
            "thread",
            &thread.as_ref().map(|(id, parent)| ThreadJson(id, *parent)),
        )?;
        m.serialize_entry("attrs", &Attrs(&self.header.attrs))?;
        m.serialize_entry("payloads", &elements(self.payloads()))?;
        m.serialize_entry("error", &ErrorField(self.error().as_ref()))?;
        m.end()
    }
}

struct ThreadJson<'a>(&'a str, Option<&'a str>);

impl Serialize for ThreadJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("id", self.0)?;
        m.serialize_entry("parent", &self.1)?;
        m.end()
    }
}

impl Serialize for Presence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        header(
            &mut m,
            &self.header,
            self.type_.as_str().unwrap_or("available"),
        )?;
        m.serialize_entry("show", &self.show().map(|s| s.as_str()))?;
        m.serialize_entry("priority", &self.priority())?;
        m.serialize_entry("statuses", &texts(self.statuses()))?;
        m.serialize_entry("attrs", &Attrs(&self.header.attrs))?;
        m.serialize_entry("payloads", &elements(self.payloads()))?;
        m.serialize_entry("error", &ErrorField(self.error().as_ref()))?;
        m.end()
    }
}

impl Serialize for Iq {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        header(&mut m, &self.header, self.type_.as_str())?;
        m.serialize_entry("attrs", &Attrs(&self.header.attrs))?;
        m.serialize_entry("payload", &self.payload())?;
        m.serialize_entry("error", &ErrorField(self.error().as_ref()))?;
        m.end()
    }
}

impl Serialize for Stanza {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Message(m) => m.serialize(s),
            Self::Presence(p) => p.serialize(s),
            Self::Iq(i) => i.serialize(s),
        }
    }
}

impl Serialize for StanzaError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(6))?;
        m.serialize_entry("type", self.type_.as_str())?;
        m.serialize_entry("condition", self.condition.as_str())?;
        let uri = match &self.condition {
            DefinedCondition::Gone(u) | DefinedCondition::Redirect(u) => u.as_deref(),
            _ => None,
        };
        m.serialize_entry("uri", &uri)?;
        m.serialize_entry("by", &self.by)?;
        m.serialize_entry(
            "texts",
            &texts(
                self.texts
                    .iter()
                    .map(|(l, t)| (l.as_deref(), Cow::Borrowed(t.as_str()))),
            ),
        )?;
        m.serialize_entry("app", &self.app)?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use crate::{Element, Stanza};

    #[test]
    fn message_json_shape() {
        let e: Element = "<message xmlns='jabber:client' to='a@b' type='chat' x='1'>\
                          <body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>"
            .parse()
            .unwrap();
        let s = Stanza::from_element(e).unwrap();
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(
            v,
            serde_json::json!({
                "ns": "jabber:client", "to": "a@b", "from": null, "id": null, "type": "chat",
                "lang": null, "bodies": [{"lang": null, "text": "hi"}], "subjects": [],
                "thread": null, "attrs": {"x": "1"},
                "payloads": [{"name": "active", "ns": "http://jabber.org/protocol/chatstates",
                              "attrs": {}, "children": []}],
                "error": null
            })
        );
    }
}
