//! Stream features (RFC 6120 §4.3.2) and the STARTTLS nonzas (§5.4).
//!
//! Known features are typed: STARTTLS (§5.4.1, required or not), SASL
//! mechanisms (§6.4.1), resource binding (§7.4), the legacy session
//! feature (RFC 3921 §3, `optional` per draft-cridland-xmpp-session),
//! XEP-0198 stream management, XEP-0352 client state indication, RFC 6121
//! roster versioning (§2.6.1) and pre-approval (§3.4), XEP-0388 SASL2
//! `authentication` with its inline features. Every other feature is kept
//! as an element, in order.

use alloc::string::String;
use alloc::vec::Vec;

use crate::element::Element;
use crate::error::PayloadError;
use crate::sasl::SASL_NS;
use crate::stream_error::STREAM_NS;

/// The STARTTLS namespace (RFC 6120 §5.4.1).
pub const TLS_NS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
/// The resource binding namespace (RFC 6120 §7.4).
pub const BIND_NS: &str = "urn:ietf:params:xml:ns:xmpp-bind";
/// The legacy session namespace (RFC 3921 §3).
pub const SESSION_NS: &str = "urn:ietf:params:xml:ns:xmpp-session";
/// XEP-0198 stream management.
pub const SM_NS: &str = "urn:xmpp:sm:3";
/// XEP-0352 client state indication.
pub const CSI_NS: &str = "urn:xmpp:csi:0";
/// RFC 6121 §2.6.1 roster versioning feature.
pub const ROSTERVER_NS: &str = "urn:xmpp:features:rosterver";
/// RFC 6121 §3.4 pre-approval feature.
pub const PREAPPROVAL_NS: &str = "urn:xmpp:features:pre-approval";
/// XEP-0388 SASL2.
pub const SASL2_NS: &str = "urn:xmpp:sasl:2";

/// The STARTTLS nonzas (RFC 6120 §5.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StartTls {
    /// `<starttls/>`: the initiating entity asks to upgrade.
    Request,
    /// `<proceed/>`: go ahead with the TLS handshake.
    Proceed,
    /// `<failure/>`: the receiving entity cannot; it closes the stream.
    Failure,
}

impl StartTls {
    /// Reads a STARTTLS nonza; `None` for other elements.
    pub fn from_element(e: &Element) -> Option<Self> {
        if e.ns() != TLS_NS {
            return None;
        }
        match e.name() {
            "starttls" => Some(Self::Request),
            "proceed" => Some(Self::Proceed),
            "failure" => Some(Self::Failure),
            _ => None,
        }
    }

    /// The element.
    pub fn to_element(self) -> Element {
        Element::new(
            match self {
                Self::Request => "starttls",
                Self::Proceed => "proceed",
                Self::Failure => "failure",
            },
            TLS_NS,
        )
    }
}

/// XEP-0388 `<authentication/>`: the SASL2 mechanisms and the features that
/// can be negotiated inline (XEP-0386 Bind2, XEP-0198 resumption, …).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sasl2Authentication {
    /// Mechanism names, open strings, in order.
    pub mechanisms: Vec<String>,
    /// The children of `<inline/>`, if present.
    pub inline: Option<Vec<Element>>,
}

/// `<stream:features/>` (RFC 6120 §4.3.2).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct StreamFeatures {
    /// STARTTLS offered; `Some(true)` when `<required/>` (§5.4.1).
    pub starttls: Option<bool>,
    /// SASL mechanisms offered (§6.4.1), open strings, in order.
    pub mechanisms: Option<Vec<String>>,
    /// Resource binding offered (§7.4).
    pub bind: bool,
    /// The legacy session feature; `Some(true)` when marked `<optional/>`.
    pub session: Option<bool>,
    /// XEP-0198 stream management offered.
    pub sm: bool,
    /// XEP-0352 client state indication offered.
    pub csi: bool,
    /// RFC 6121 roster versioning offered.
    pub roster_versioning: bool,
    /// RFC 6121 subscription pre-approval offered.
    pub pre_approval: bool,
    /// XEP-0388 SASL2 offered.
    pub sasl2: Option<Sasl2Authentication>,
    /// Every other feature, in order.
    pub other: Vec<Element>,
}

impl StreamFeatures {
    /// Reads `<stream:features/>`.
    pub fn from_element(e: &Element) -> Result<Self, PayloadError> {
        if !e.is("features", STREAM_NS) {
            return Err(PayloadError::UnexpectedElement {
                expected: "stream:features",
                name: e.name().into(),
                ns: e.ns().into(),
            });
        }
        let mut f = Self::default();
        for c in e.children() {
            match (c.ns(), c.name()) {
                (TLS_NS, "starttls") => f.starttls = Some(c.has_child("required", TLS_NS)),
                (SASL_NS, "mechanisms") => f.mechanisms = Some(crate::sasl::mechanisms(c)),
                (BIND_NS, "bind") => f.bind = true,
                (SESSION_NS, "session") => f.session = Some(c.has_child("optional", SESSION_NS)),
                (SM_NS, "sm") => f.sm = true,
                (CSI_NS, "csi") => f.csi = true,
                (ROSTERVER_NS, "ver") => f.roster_versioning = true,
                (PREAPPROVAL_NS, "sub") => f.pre_approval = true,
                (SASL2_NS, "authentication") => {
                    f.sasl2 = Some(Sasl2Authentication {
                        mechanisms: c
                            .get_children("mechanism", SASL2_NS)
                            .map(|m| m.text().trim().into())
                            .collect(),
                        inline: c
                            .get_child("inline", SASL2_NS)
                            .map(|i| i.children().cloned().collect()),
                    });
                }
                _ => f.other.push(c.clone()),
            }
        }
        Ok(f)
    }

    /// The `<stream:features/>` element.
    pub fn to_element(&self) -> Element {
        let mut e = Element::new("features", STREAM_NS);
        if let Some(required) = self.starttls {
            let mut s = Element::new("starttls", TLS_NS);
            if required {
                s.push_child(Element::new("required", TLS_NS));
            }
            e.push_child(s);
        }
        if let Some(ms) = &self.mechanisms {
            let mut m = Element::new("mechanisms", SASL_NS);
            for name in ms {
                m.push_child(Element::new("mechanism", SASL_NS).with_text(name));
            }
            e.push_child(m);
        }
        if let Some(a) = &self.sasl2 {
            let mut m = Element::new("authentication", SASL2_NS);
            for name in &a.mechanisms {
                m.push_child(Element::new("mechanism", SASL2_NS).with_text(name));
            }
            if let Some(inline) = &a.inline {
                let mut i = Element::new("inline", SASL2_NS);
                for c in inline {
                    i.push_child(c.clone());
                }
                m.push_child(i);
            }
            e.push_child(m);
        }
        if self.bind {
            e.push_child(Element::new("bind", BIND_NS));
        }
        if let Some(optional) = self.session {
            let mut s = Element::new("session", SESSION_NS);
            if optional {
                s.push_child(Element::new("optional", SESSION_NS));
            }
            e.push_child(s);
        }
        if self.sm {
            e.push_child(Element::new("sm", SM_NS));
        }
        if self.csi {
            e.push_child(Element::new("csi", CSI_NS));
        }
        if self.roster_versioning {
            e.push_child(Element::new("ver", ROSTERVER_NS));
        }
        if self.pre_approval {
            e.push_child(Element::new("sub", PREAPPROVAL_NS));
        }
        for o in &self.other {
            e.push_child(o.clone());
        }
        e
    }

    /// Whether a feature must be negotiated before anything else: STARTTLS
    /// marked required (RFC 6120 §4.3.2, §5.3.1).
    pub fn tls_required(&self) -> bool {
        self.starttls == Some(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_known_features_and_keeps_the_rest() {
        let e: Element = "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>\
            <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>\
            <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>\
            <mechanism>X-UNHEARD-OF</mechanism></mechanisms>\
            <authentication xmlns='urn:xmpp:sasl:2'><mechanism>PLAIN</mechanism>\
            <inline><bind xmlns='urn:xmpp:bind:0'/><sm xmlns='urn:xmpp:sm:3'/></inline></authentication>\
            <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
            <session xmlns='urn:ietf:params:xml:ns:xmpp-session'><optional/></session>\
            <sm xmlns='urn:xmpp:sm:3'/><csi xmlns='urn:xmpp:csi:0'/>\
            <ver xmlns='urn:xmpp:features:rosterver'/><sub xmlns='urn:xmpp:features:pre-approval'/>\
            <c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='n' ver='v'/>\
            </stream:features>"
            .parse()
            .unwrap();
        let f = StreamFeatures::from_element(&e).unwrap();
        assert!(f.tls_required());
        assert_eq!(
            f.mechanisms.as_deref(),
            Some(&["SCRAM-SHA-1".into(), "X-UNHEARD-OF".into()][..])
        );
        assert_eq!(
            f.sasl2.as_ref().map(|a| a.inline.as_ref().map(Vec::len)),
            Some(Some(2))
        );
        assert!(f.bind && f.sm && f.csi && f.roster_versioning && f.pre_approval);
        assert_eq!(f.session, Some(true));
        assert_eq!(f.other.len(), 1);
        assert_eq!(StreamFeatures::from_element(&f.to_element()), Ok(f));
    }

    #[test]
    fn starttls_nonzas() {
        for s in [StartTls::Request, StartTls::Proceed, StartTls::Failure] {
            assert_eq!(StartTls::from_element(&s.to_element()), Some(s));
        }
    }
}
