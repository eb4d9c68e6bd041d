//! XEP-0198 stream management nonzas (§3 enable/enabled/failed, §4
//! r and a, §5 resume/resumed) and XEP-0352 client state indication.

use alloc::string::String;

use crate::element::Element;
use crate::error::PayloadError;
use crate::features::{CSI_NS, SM_NS};
use crate::stanza_error::{DefinedCondition, STANZAS_NS};

/// A stream management nonza (XEP-0198). `h` counts handled stanzas
/// modulo 2^32 (§4).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Sm {
    /// `<enable/>` (§3): `resume` asks for resumption, `max` a preferred
    /// resumption time in seconds.
    Enable {
        /// Whether resumption is requested.
        resume: bool,
        /// Preferred maximum resumption time, seconds.
        max: Option<u32>,
    },
    /// `<enabled/>` (§3).
    Enabled {
        /// The resumption id, when resumption is allowed.
        id: Option<String>,
        /// Where to reconnect for resumption.
        location: Option<String>,
        /// Maximum resumption time, seconds.
        max: Option<u32>,
        /// Whether resumption is allowed.
        resume: bool,
    },
    /// `<resume/>` (§5).
    Resume {
        /// Stanzas the client handled.
        h: u32,
        /// The id from `<enabled/>`.
        previd: String,
    },
    /// `<resumed/>` (§5).
    Resumed {
        /// Stanzas the server handled.
        h: u32,
        /// The id resumed.
        previd: String,
    },
    /// `<failed/>` (§3, §5) with an optional stanza error condition.
    Failed {
        /// Stanzas handled, when given.
        h: Option<u32>,
        /// The condition, e.g. `item-not-found` for an unknown previd.
        condition: Option<DefinedCondition>,
    },
    /// `<r/>`: request an acknowledgement (§4).
    Request,
    /// `<a h='…'/>`: acknowledge (§4).
    Ack {
        /// Stanzas handled.
        h: u32,
    },
}

fn h_attr(e: &Element, element: &'static str) -> Result<Option<u32>, PayloadError> {
    e.attr("h")
        .map(|v| {
            v.parse().map_err(|_| PayloadError::InvalidAttribute {
                element,
                attribute: "h",
                value: v.into(),
            })
        })
        .transpose()
}

fn required_h(e: &Element, element: &'static str) -> Result<u32, PayloadError> {
    h_attr(e, element)?.ok_or(PayloadError::MissingAttribute {
        element,
        attribute: "h",
    })
}

fn max_attr(e: &Element, element: &'static str) -> Result<Option<u32>, PayloadError> {
    e.attr("max")
        .map(|v| {
            v.parse().map_err(|_| PayloadError::InvalidAttribute {
                element,
                attribute: "max",
                value: v.into(),
            })
        })
        .transpose()
}

fn resume_attr(e: &Element, element: &'static str) -> Result<bool, PayloadError> {
    Ok(crate::payload::boolean(e.attr("resume"), element, "resume")?.unwrap_or(false))
}

fn previd(e: &Element, element: &'static str) -> Result<String, PayloadError> {
    crate::payload::required(e, element, "previd").map(String::from)
}

impl Sm {
    /// Reads a stream management nonza; `Ok(None)` for other elements.
    pub fn from_element(e: &Element) -> Result<Option<Self>, PayloadError> {
        if e.ns() != SM_NS {
            return Ok(None);
        }
        Ok(Some(match e.name() {
            "enable" => Self::Enable {
                resume: resume_attr(e, "enable")?,
                max: max_attr(e, "enable")?,
            },
            "enabled" => Self::Enabled {
                id: e.attr("id").map(String::from),
                location: e.attr("location").map(String::from),
                max: max_attr(e, "enabled")?,
                resume: resume_attr(e, "enabled")?,
            },
            "resume" => Self::Resume {
                h: required_h(e, "resume")?,
                previd: previd(e, "resume")?,
            },
            "resumed" => Self::Resumed {
                h: required_h(e, "resumed")?,
                previd: previd(e, "resumed")?,
            },
            "failed" => Self::Failed {
                h: h_attr(e, "failed")?,
                condition: e
                    .children()
                    .filter(|c| c.ns() == STANZAS_NS)
                    .find_map(|c| DefinedCondition::from_name(c.name(), &c.text())),
            },
            "r" => Self::Request,
            "a" => Self::Ack {
                h: required_h(e, "a")?,
            },
            _ => return Ok(None),
        }))
    }

    /// The element.
    pub fn to_element(&self) -> Element {
        let el = |name: &str| Element::new(name, SM_NS);
        let opt = |e: Element, name: &str, v: Option<String>| match v {
            Some(v) => e.with_attr(name, v),
            None => e,
        };
        match self {
            Self::Enable { resume, max } => {
                let e = opt(el("enable"), "max", max.map(|m| alloc::format!("{m}")));
                if *resume {
                    e.with_attr("resume", "true")
                } else {
                    e
                }
            }
            Self::Enabled {
                id,
                location,
                max,
                resume,
            } => {
                let e = opt(el("enabled"), "id", id.clone());
                let e = opt(e, "location", location.clone());
                let e = opt(e, "max", max.map(|m| alloc::format!("{m}")));
                if *resume {
                    e.with_attr("resume", "true")
                } else {
                    e
                }
            }
            Self::Resume { h, previd } => el("resume")
                .with_attr("h", alloc::format!("{h}"))
                .with_attr("previd", previd.as_str()),
            Self::Resumed { h, previd } => el("resumed")
                .with_attr("h", alloc::format!("{h}"))
                .with_attr("previd", previd.as_str()),
            Self::Failed { h, condition } => {
                let mut e = opt(el("failed"), "h", h.map(|h| alloc::format!("{h}")));
                if let Some(c) = condition {
                    let mut ce = Element::new(c.as_str(), STANZAS_NS);
                    if let DefinedCondition::Gone(Some(u)) | DefinedCondition::Redirect(Some(u)) = c
                    {
                        ce.push_text(u);
                    }
                    e.push_child(ce);
                }
                e
            }
            Self::Request => el("r"),
            Self::Ack { h } => el("a").with_attr("h", alloc::format!("{h}")),
        }
    }
}

/// XEP-0352 client state indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Csi {
    /// `<active/>`: the user is looking.
    Active,
    /// `<inactive/>`: the client is in the background.
    Inactive,
}

impl Csi {
    /// Reads a CSI nonza; `None` for other elements.
    pub fn from_element(e: &Element) -> Option<Self> {
        match (e.ns(), e.name()) {
            (CSI_NS, "active") => Some(Self::Active),
            (CSI_NS, "inactive") => Some(Self::Inactive),
            _ => None,
        }
    }

    /// The element.
    pub fn to_element(self) -> Element {
        Element::new(
            match self {
                Self::Active => "active",
                Self::Inactive => "inactive",
            },
            CSI_NS,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_nonzas_round_trip() {
        let all = [
            Sm::Enable {
                resume: true,
                max: Some(300),
            },
            Sm::Enable {
                resume: false,
                max: None,
            },
            Sm::Enabled {
                id: Some("some-long-sm-id".into()),
                location: Some("[2001:41D0:1:A49b::1]:9222".into()),
                max: None,
                resume: true,
            },
            Sm::Resume {
                h: 4_294_967_295,
                previd: "id".into(),
            },
            Sm::Resumed {
                h: 0,
                previd: "id".into(),
            },
            Sm::Failed {
                h: Some(5),
                condition: Some(DefinedCondition::ItemNotFound),
            },
            Sm::Failed {
                h: None,
                condition: Some(DefinedCondition::UnexpectedRequest),
            },
            Sm::Request,
            Sm::Ack { h: 1 },
        ];
        for s in all {
            assert_eq!(
                Sm::from_element(&s.to_element()),
                Ok(Some(s.clone())),
                "{s:?}"
            );
        }
        for c in [Csi::Active, Csi::Inactive] {
            assert_eq!(Csi::from_element(&c.to_element()), Some(c));
        }
    }

    #[test]
    fn h_is_a_32_bit_counter() {
        let e: Element = "<a xmlns='urn:xmpp:sm:3' h='4294967296'/>".parse().unwrap();
        assert!(Sm::from_element(&e).is_err());
        let e: Element = "<a xmlns='urn:xmpp:sm:3'/>".parse().unwrap();
        assert!(Sm::from_element(&e).is_err());
    }
}
