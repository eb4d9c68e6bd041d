//! XEP-0484 Fast Authentication Streamlining Tokens: the elements of the
//! SASL2 exchange that carry tokens. The HT mechanisms themselves are
//! `xmpp-sasl`'s.

use alloc::string::String;
use alloc::vec::Vec;

use crate::element::Element;
use crate::error::PayloadError;
use crate::payload::{Payload, boolean, expect, required};

/// The XEP-0484 namespace.
pub const FAST_NS: &str = "urn:xmpp:fast:0";

/// `<fast/>` in the SASL2 `<inline/>` of stream features (XEP-0484 §3.1):
/// the mechanisms a token can be used with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FastOffer {
    /// The token mechanisms, e.g. `HT-SHA-256-EXPR`, in order.
    pub mechanisms: Vec<String>,
    /// Whether the server accepts authentication in TLS 0-RTT data.
    pub tls_0rtt: bool,
}

impl Payload for FastOffer {
    const NAME: &'static str = "fast";
    const NS: &'static str = FAST_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        Ok(Self {
            mechanisms: e
                .get_children("mechanism", FAST_NS)
                .map(|m| m.text().trim().into())
                .collect(),
            tls_0rtt: boolean(e.attr("tls-0rtt"), "fast", "tls-0rtt")?.unwrap_or(false),
        })
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("fast", FAST_NS);
        if self.tls_0rtt {
            e.set_attr("tls-0rtt", "true");
        }
        for m in &self.mechanisms {
            e.push_child(Element::new("mechanism", FAST_NS).with_text(m));
        }
        e
    }
}

/// `<fast/>` in `<authenticate/>` (XEP-0484 §3.4): the client
/// authenticates with a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct FastUse {
    /// The attempt counter, required in TLS 0-RTT data.
    pub count: Option<u64>,
    /// Invalidate the token after this authentication (§3.5).
    pub invalidate: bool,
}

impl Payload for FastUse {
    const NAME: &'static str = "fast";
    const NS: &'static str = FAST_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        let count = e
            .attr("count")
            .map(|v| {
                v.parse().map_err(|_| PayloadError::InvalidAttribute {
                    element: "fast",
                    attribute: "count",
                    value: v.into(),
                })
            })
            .transpose()?;
        Ok(Self {
            count,
            invalidate: boolean(e.attr("invalidate"), "fast", "invalidate")?.unwrap_or(false),
        })
    }

    fn to_element(&self) -> Element {
        let mut e = Element::new("fast", FAST_NS);
        if let Some(c) = self.count {
            e.set_attr("count", alloc::format!("{c}"));
        }
        if self.invalidate {
            e.set_attr("invalidate", "true");
        }
        e
    }
}

/// `<request-token/>` in `<authenticate/>` (XEP-0484 §3.2): issue a token
/// for this mechanism.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestToken {
    /// One of the advertised token mechanisms.
    pub mechanism: String,
}

impl RequestToken {
    /// A request for a token for `mechanism`.
    pub fn new(mechanism: impl Into<String>) -> Self {
        Self {
            mechanism: mechanism.into(),
        }
    }
}

impl Payload for RequestToken {
    const NAME: &'static str = "request-token";
    const NS: &'static str = FAST_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        Ok(Self {
            mechanism: required(e, "request-token", "mechanism")?.into(),
        })
    }

    fn to_element(&self) -> Element {
        Element::new("request-token", FAST_NS).with_attr("mechanism", self.mechanism.as_str())
    }
}

/// `<token/>` in SASL2 `<success/>` (XEP-0484 §3.3): a new token. The
/// token is a secret: `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Token {
    /// The secret.
    pub token: String,
    /// When it expires (XEP-0082 DateTime).
    pub expiry: String,
}

impl Token {
    /// A token with its expiry.
    pub fn new(token: impl Into<String>, expiry: impl Into<String>) -> Self {
        Self {
            token: token.into(),
            expiry: expiry.into(),
        }
    }
}

impl core::fmt::Debug for Token {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Token")
            .field("expiry", &self.expiry)
            .finish_non_exhaustive()
    }
}

impl Payload for Token {
    const NAME: &'static str = "token";
    const NS: &'static str = FAST_NS;

    fn from_element(e: &Element) -> Result<Self, PayloadError> {
        expect::<Self>(e)?;
        Ok(Self {
            token: required(e, "token", "token")?.into(),
            expiry: required(e, "token", "expiry")?.into(),
        })
    }

    fn to_element(&self) -> Element {
        Element::new("token", FAST_NS)
            .with_attr("expiry", self.expiry.as_str())
            .with_attr("token", self.token.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The examples of XEP-0484 §3.1, §3.2, §3.3 and §3.4.
    #[test]
    fn reads_the_xep_examples() {
        let offer: Element = "<fast xmlns='urn:xmpp:fast:0' tls-0rtt='true'>\
            <mechanism>HT-SHA-256-ENDP</mechanism><mechanism>HT-SHA-256-EXPR</mechanism>\
            <mechanism>HT-SHA-256-NONE</mechanism></fast>"
            .parse()
            .unwrap();
        let offer = FastOffer::from_element(&offer).unwrap();
        assert!(offer.tls_0rtt);
        assert_eq!(offer.mechanisms.len(), 3);
        let used: Element = "<fast xmlns='urn:xmpp:fast:0' count='123'/>"
            .parse()
            .unwrap();
        assert_eq!(
            FastUse::from_element(&used).unwrap(),
            FastUse {
                count: Some(123),
                invalidate: false
            }
        );
        let token: Element = "<token xmlns='urn:xmpp:fast:0' expiry='2020-03-12T14:36:15Z' \
            token='WXZzciBwYmFmdmZnZiBqdmd1IGp2eXFhcmZm'/>"
            .parse()
            .unwrap();
        let token = Token::from_element(&token).unwrap();
        assert_eq!(token.expiry, "2020-03-12T14:36:15Z");
        assert!(!alloc::format!("{token:?}").contains("WXZz"));
        let req: Element = "<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-ENDP'/>"
            .parse()
            .unwrap();
        assert_eq!(
            RequestToken::from_element(&req).unwrap().mechanism,
            "HT-SHA-256-ENDP"
        );
        for e in [
            offer.to_element(),
            FastUse::from_element(&used).unwrap().to_element(),
            token.to_element(),
        ] {
            assert_eq!(e.to_xml().parse::<Element>().unwrap(), e);
        }
        let bad: Element = "<fast xmlns='urn:xmpp:fast:0' count='-1'/>"
            .parse()
            .unwrap();
        assert!(FastUse::from_element(&bad).is_err());
    }
}
