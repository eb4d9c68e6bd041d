//! XEP-0388 Extensible SASL Profile (SASL2) nonzas and XEP-0386 Bind 2.
//!
//! Base64 payloads are strict RFC 4648 inside, as in RFC 6120 SASL, but
//! white space around them is tolerated: the XEP's own examples wrap them
//! on lines of their own.

use alloc::string::String;
use alloc::vec::Vec;

use xmpp_jid::Jid;

use crate::element::Element;
use crate::error::PayloadError;
use crate::features::SASL2_NS;
use crate::payload::{Payload, expect, required};
use crate::sasl::{SASL_NS, SaslCondition, decode, encode};

/// XEP-0386 Bind 2.
pub const BIND2_NS: &str = "urn:xmpp:bind:0";

fn b64(e: &Element, element: &'static str) -> Result<Vec<u8>, PayloadError> {
    let text = e.text();
    Ok(decode(
        text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r')),
        element,
    )?
    .unwrap_or_default())
}

fn b64_child(e: &Element, name: &'static str) -> Result<Option<Vec<u8>>, PayloadError> {
    e.get_child(name, SASL2_NS)
        .map(|c| b64(c, name))
        .transpose()
}

/// `<name/>` with `data` in base64; empty data is an empty element
/// (XEP-0388 §2.2: SASL2 has no `=`, which is RFC 6120's).
fn data_child(name: &str, data: &[u8]) -> Element {
    let e = Element::new(name, SASL2_NS);
    if data.is_empty() {
        return e;
    }
    e.with_text(&encode(Some(data)))
}

fn text_child(e: &Element) -> Option<String> {
    e.get_child("text", SASL2_NS).map(|t| t.text().into_owned())
}

/// The `<user-agent/>` of an `<authenticate/>` (XEP-0388 §2.1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserAgent {
    /// A stable identifier of the client installation (a UUID).
    pub id: Option<String>,
    /// The software's name.
    pub software: Option<String>,
    /// The device's name.
    pub device: Option<String>,
}

/// A SASL2 nonza (XEP-0388).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sasl2 {
    /// `<authenticate/>` (§2.1): mechanism, initial response, user agent,
    /// and inline requests (Bind 2, stream resumption, …) kept as elements.
    Authenticate {
        /// The mechanism, an open string.
        mechanism: String,
        /// The initial response, if any.
        initial_response: Option<Vec<u8>>,
        /// The user agent, if given.
        user_agent: Option<UserAgent>,
        /// Inline feature requests, in order.
        inline: Vec<Element>,
    },
    /// `<challenge/>` (§2.2).
    Challenge(Vec<u8>),
    /// `<response/>` (§2.2).
    Response(Vec<u8>),
    /// `<success/>` (§2.3).
    Success {
        /// Final mechanism data.
        additional_data: Option<Vec<u8>>,
        /// The identity authorized.
        authorization_identifier: Jid,
        /// Results of inline features (`<bound/>`, `<resumed/>`, …).
        extensions: Vec<Element>,
    },
    /// `<failure/>` (§2.4) with an RFC 6120 §6.5 condition.
    Failure {
        /// The condition.
        condition: SaslCondition,
        /// Descriptive text.
        text: Option<String>,
        /// Application-specific conditions.
        app: Vec<Element>,
    },
    /// `<continue/>` (§2.5): tasks to perform before success.
    Continue {
        /// Mechanism data so far.
        additional_data: Option<Vec<u8>>,
        /// Task names offered.
        tasks: Vec<String>,
        /// Descriptive text.
        text: Option<String>,
    },
    /// `<next task='…'/>` (§2.5): the task chosen, with its data.
    Next {
        /// The task.
        task: String,
        /// Task-specific children.
        payload: Vec<Element>,
    },
    /// `<task-data/>` (§2.5): task-specific children.
    TaskData(Vec<Element>),
    /// `<abort/>`: the client gives up, with optional text.
    Abort(Option<String>),
}

impl Sasl2 {
    /// Reads a SASL2 nonza; `Ok(None)` for other elements.
    pub fn from_element(e: &Element) -> Result<Option<Self>, PayloadError> {
        if e.ns() != SASL2_NS {
            return Ok(None);
        }
        let foreign = || {
            e.children()
                .filter(|c| c.ns() != SASL2_NS)
                .cloned()
                .collect()
        };
        Ok(Some(match e.name() {
            "authenticate" => Self::Authenticate {
                mechanism: required(e, "authenticate", "mechanism")?.into(),
                initial_response: b64_child(e, "initial-response")?,
                user_agent: e.get_child("user-agent", SASL2_NS).map(|u| UserAgent {
                    id: u.attr("id").map(String::from),
                    software: u
                        .get_child("software", SASL2_NS)
                        .map(|s| s.text().into_owned()),
                    device: u
                        .get_child("device", SASL2_NS)
                        .map(|s| s.text().into_owned()),
                }),
                inline: foreign(),
            },
            "challenge" => Self::Challenge(b64(e, "challenge")?),
            "response" => Self::Response(b64(e, "response")?),
            "success" => {
                let id = e
                    .get_child("authorization-identifier", SASL2_NS)
                    .ok_or(PayloadError::MissingChild {
                        element: "success",
                        child: "authorization-identifier",
                    })?
                    .text();
                Self::Success {
                    additional_data: b64_child(e, "additional-data")?,
                    authorization_identifier: Jid::new(id.trim()).map_err(|error| {
                        PayloadError::InvalidJid {
                            element: "authorization-identifier",
                            attribute: "text",
                            value: id.as_ref().into(),
                            error: alloc::boxed::Box::new(error),
                        }
                    })?,
                    extensions: foreign(),
                }
            }
            "failure" => {
                let condition = e
                    .children()
                    .find(|c| c.ns() == SASL_NS)
                    .map(|c| SaslCondition::from_name(c.name()))
                    .ok_or(PayloadError::MissingChild {
                        element: "failure",
                        child: "condition",
                    })?;
                Self::Failure {
                    condition,
                    text: text_child(e),
                    app: e
                        .children()
                        .filter(|c| c.ns() != SASL_NS && c.ns() != SASL2_NS)
                        .cloned()
                        .collect(),
                }
            }
            "continue" => Self::Continue {
                additional_data: b64_child(e, "additional-data")?,
                tasks: e
                    .get_child("tasks", SASL2_NS)
                    .map(|t| {
                        t.get_children("task", SASL2_NS)
                            .map(|x| x.text().trim().into())
                            .collect()
                    })
                    .unwrap_or_default(),
                text: text_child(e),
            },
            "next" => Self::Next {
                task: required(e, "next", "task")?.into(),
                payload: e.children().cloned().collect(),
            },
            "task-data" => Self::TaskData(e.children().cloned().collect()),
            "abort" => Self::Abort(text_child(e)),
            _ => return Ok(None),
        }))
    }

    /// The element.
    pub fn to_element(&self) -> Element {
        match self {
            Self::Authenticate {
                mechanism,
                initial_response,
                user_agent,
                inline,
            } => {
                let mut e = Element::new("authenticate", SASL2_NS)
                    .with_attr("mechanism", mechanism.as_str());
                if let Some(r) = initial_response {
                    e.push_child(data_child("initial-response", r));
                }
                if let Some(u) = user_agent {
                    let mut ue = Element::new("user-agent", SASL2_NS);
                    if let Some(id) = &u.id {
                        ue.set_attr("id", id.as_str());
                    }
                    if let Some(s) = &u.software {
                        ue.push_child(Element::new("software", SASL2_NS).with_text(s));
                    }
                    if let Some(d) = &u.device {
                        ue.push_child(Element::new("device", SASL2_NS).with_text(d));
                    }
                    e.push_child(ue);
                }
                for i in inline {
                    e.push_child(i.clone());
                }
                e
            }
            Self::Challenge(d) => data_child("challenge", d),
            Self::Response(d) => data_child("response", d),
            Self::Success {
                additional_data,
                authorization_identifier,
                extensions,
            } => {
                let mut e = Element::new("success", SASL2_NS);
                if let Some(d) = additional_data {
                    e.push_child(data_child("additional-data", d));
                }
                e.push_child(
                    Element::new("authorization-identifier", SASL2_NS)
                        .with_text(authorization_identifier.as_str()),
                );
                for x in extensions {
                    e.push_child(x.clone());
                }
                e
            }
            Self::Failure {
                condition,
                text,
                app,
            } => {
                let mut e = Element::new("failure", SASL2_NS)
                    .with_child(Element::new(condition.as_str(), SASL_NS));
                if let Some(t) = text {
                    e.push_child(Element::new("text", SASL2_NS).with_text(t));
                }
                for a in app {
                    e.push_child(a.clone());
                }
                e
            }
            Self::Continue {
                additional_data,
                tasks,
                text,
            } => {
                let mut e = Element::new("continue", SASL2_NS);
                if let Some(d) = additional_data {
                    e.push_child(data_child("additional-data", d));
                }
                let mut te = Element::new("tasks", SASL2_NS);
                for t in tasks {
                    te.push_child(Element::new("task", SASL2_NS).with_text(t));
                }
                e.push_child(te);
                if let Some(t) = text {
                    e.push_child(Element::new("text", SASL2_NS).with_text(t));
                }
                e
            }
            Self::Next { task, payload } => {
                let mut e = Element::new("next", SASL2_NS).with_attr("task", task.as_str());
                for p in payload {
                    e.push_child(p.clone());
                }
                e
            }
            Self::TaskData(children) => {
                let mut e = Element::new("task-data", SASL2_NS);
                for c in children {
                    e.push_child(c.clone());
                }
                e
            }
            Self::Abort(text) => {
                let e = Element::new("abort", SASL2_NS);
                match text {
                    Some(t) => e.with_child(Element::new("text", SASL2_NS).with_text(t)),
                    None => e,
                }
            }
        }
    }
}

/// `<bind xmlns='urn:xmpp:bind:0'/>` (XEP-0386): in stream features the
/// inline features it can enable (§3); in `<authenticate/>` the request,
/// with the client's tag and the features to enable (§4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Bind2 {
    /// The client's tag for its resource (§4).
    pub tag: Option<String>,
    /// The `var`s of `<inline/>` features, when advertised (§3).
    pub inline_features: Option<Vec<String>>,
    /// Feature requests (`<enable xmlns='urn:xmpp:carbons:2'/>`, …).
    pub requests: Vec<Element>,
}

impl Payload for Bind2 {
    const NAME: &'static str = "bind";
    const NS: &'static str = BIND2_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        Ok(Self {
            tag: e.get_child("tag", BIND2_NS).map(|t| t.text().into_owned()),
            inline_features: e.get_child("inline", BIND2_NS).map(|i| {
                i.get_children("feature", BIND2_NS)
                    .filter_map(|f| f.attr("var").map(String::from))
                    .collect()
            }),
            requests: e
                .children()
                .filter(|c| c.ns() != BIND2_NS)
                .cloned()
                .collect(),
        })
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("bind", BIND2_NS);
        if let Some(t) = &self.tag {
            e.push_child(Element::new("tag", BIND2_NS).with_text(t));
        }
        if let Some(fs) = &self.inline_features {
            let mut i = Element::new("inline", BIND2_NS);
            for f in fs {
                i.push_child(Element::new("feature", BIND2_NS).with_attr("var", f.as_str()));
            }
            e.push_child(i);
        }
        for r in &self.requests {
            e.push_child(r.clone());
        }
        e
    }
}

/// `<bound xmlns='urn:xmpp:bind:0'/>` (XEP-0386 §5): results of the
/// features enabled with the bind, kept as elements.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Bound {
    /// The results, in order.
    pub results: Vec<Element>,
}

impl Payload for Bound {
    const NAME: &'static str = "bound";
    const NS: &'static str = BIND2_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        Ok(Self {
            results: e.children().cloned().collect(),
        })
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("bound", BIND2_NS);
        for r in &self.results {
            e.push_child(r.clone());
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// XEP-0388 §2.2: empty data is an empty element (`=` is RFC 6120's),
    /// and either reads back as empty.
    #[test]
    fn empty_data_is_an_empty_element() {
        let e = Sasl2::Response(Vec::new()).to_element();
        assert_eq!(e.to_xml(), "<response xmlns='urn:xmpp:sasl:2'/>");
        for xml in [
            "<response xmlns='urn:xmpp:sasl:2'/>",
            "<response xmlns='urn:xmpp:sasl:2'>=</response>",
        ] {
            let e: Element = xml.parse().unwrap();
            assert_eq!(
                Sasl2::from_element(&e).unwrap(),
                Some(Sasl2::Response(Vec::new()))
            );
        }
    }

    #[test]
    fn wrapped_base64_is_read_and_bad_base64_refused() {
        let e: Element = "<challenge xmlns='urn:xmpp:sasl:2'>\n  AGE=\n</challenge>"
            .parse()
            .unwrap();
        assert_eq!(
            Sasl2::from_element(&e),
            Ok(Some(Sasl2::Challenge(b"\0a".to_vec())))
        );
        let e: Element =
            "<authenticate xmlns='urn:xmpp:sasl:2' mechanism='X'><initial-response>[data]</initial-response></authenticate>"
                .parse()
                .unwrap();
        assert!(Sasl2::from_element(&e).is_err());
    }

    #[test]
    fn round_trips() {
        let all = [
            Sasl2::Authenticate {
                mechanism: "SCRAM-SHA-1".into(),
                initial_response: Some(b"n,,n=user".to_vec()),
                user_agent: Some(UserAgent {
                    id: Some("d4565fa7".into()),
                    software: Some("A".into()),
                    device: None,
                }),
                inline: alloc::vec![
                    Bind2 {
                        tag: Some("t".into()),
                        ..Bind2::default()
                    }
                    .to_element()
                ],
            },
            Sasl2::Success {
                additional_data: None,
                authorization_identifier: Jid::new("a@b/c").unwrap(),
                extensions: Vec::new(),
            },
            Sasl2::Failure {
                condition: SaslCondition::Aborted,
                text: Some("x".into()),
                app: Vec::new(),
            },
            Sasl2::Continue {
                additional_data: Some(Vec::new()),
                tasks: alloc::vec!["HOTP".into()],
                text: None,
            },
            Sasl2::Next {
                task: "T".into(),
                payload: Vec::new(),
            },
            Sasl2::TaskData(Vec::new()),
            Sasl2::Abort(None),
        ];
        for s in all {
            assert_eq!(
                Sasl2::from_element(&s.to_element()),
                Ok(Some(s.clone())),
                "{s:?}"
            );
        }
    }
}
