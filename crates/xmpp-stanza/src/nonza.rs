//! Every first-level element that is not a stanza, read in one call: what
//! a stream negotiation loop matches on.

use crate::element::Element;
use crate::error::PayloadError;
use crate::features::{StartTls, StreamFeatures};
use crate::sasl::Sasl;
use crate::sasl2::Sasl2;
use crate::sm::{Csi, Sm};
use crate::stream_error::{STREAM_NS, StreamError};

/// A first-level element other than a stanza (RFC 6120 §4.3, §5, §6;
/// XEP-0198, XEP-0352, XEP-0388).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Nonza {
    /// `<stream:features/>`.
    Features(StreamFeatures),
    /// `<stream:error/>`.
    StreamError(StreamError),
    /// A STARTTLS nonza.
    StartTls(StartTls),
    /// A SASL nonza.
    Sasl(Sasl),
    /// A SASL2 nonza.
    Sasl2(Sasl2),
    /// A stream management nonza.
    Sm(Sm),
    /// A client state indication.
    Csi(Csi),
    /// Anything else, kept whole.
    Other(Element),
}

impl Nonza {
    /// Reads `e`; an element of a known namespace with a bad shape is an
    /// error, one of an unknown namespace is [`Nonza::Other`].
    pub fn from_element(e: &Element) -> Result<Self, PayloadError> {
        if e.ns() == STREAM_NS {
            return match e.name() {
                "features" => StreamFeatures::from_element(e).map(Self::Features),
                "error" => StreamError::from_element(e).map(Self::StreamError),
                _ => Ok(Self::Other(e.clone())),
            };
        }
        if let Some(t) = StartTls::from_element(e) {
            return Ok(Self::StartTls(t));
        }
        if let Some(s) = Sasl::from_element(e)? {
            return Ok(Self::Sasl(s));
        }
        if let Some(s) = Sasl2::from_element(e)? {
            return Ok(Self::Sasl2(s));
        }
        if let Some(s) = Sm::from_element(e)? {
            return Ok(Self::Sm(s));
        }
        if let Some(c) = Csi::from_element(e) {
            return Ok(Self::Csi(c));
        }
        Ok(Self::Other(e.clone()))
    }

    /// A short name of the kind, e.g. `sasl-auth` or `sm-ack`, for logs and
    /// the CLI.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Features(_) => "features",
            Self::StreamError(_) => "stream-error",
            Self::StartTls(StartTls::Request) => "starttls",
            Self::StartTls(StartTls::Proceed) => "starttls-proceed",
            Self::StartTls(_) => "starttls-failure",
            Self::Sasl(s) => match s {
                Sasl::Auth { .. } => "sasl-auth",
                Sasl::Challenge(_) => "sasl-challenge",
                Sasl::Response(_) => "sasl-response",
                Sasl::Abort => "sasl-abort",
                Sasl::Failure { .. } => "sasl-failure",
                Sasl::Success(_) => "sasl-success",
            },
            Self::Sasl2(s) => match s {
                Sasl2::Authenticate { .. } => "sasl2-authenticate",
                Sasl2::Challenge(_) => "sasl2-challenge",
                Sasl2::Response(_) => "sasl2-response",
                Sasl2::Success { .. } => "sasl2-success",
                Sasl2::Failure { .. } => "sasl2-failure",
                Sasl2::Continue { .. } => "sasl2-continue",
                Sasl2::Next { .. } => "sasl2-next",
                Sasl2::TaskData(_) => "sasl2-task-data",
                Sasl2::Abort(_) => "sasl2-abort",
            },
            Self::Sm(s) => match s {
                Sm::Enable { .. } => "sm-enable",
                Sm::Enabled { .. } => "sm-enabled",
                Sm::Resume { .. } => "sm-resume",
                Sm::Resumed { .. } => "sm-resumed",
                Sm::Failed { .. } => "sm-failed",
                Sm::Request => "sm-request",
                Sm::Ack { .. } => "sm-ack",
            },
            Self::Csi(Csi::Active) => "csi-active",
            Self::Csi(_) => "csi-inactive",
            Self::Other(_) => "other",
        }
    }

    /// The element.
    pub fn to_element(&self) -> Element {
        match self {
            Self::Features(f) => f.to_element(),
            Self::StreamError(e) => e.to_element(),
            Self::StartTls(t) => t.to_element(),
            Self::Sasl(s) => s.to_element(),
            Self::Sasl2(s) => s.to_element(),
            Self::Sm(s) => s.to_element(),
            Self::Csi(c) => c.to_element(),
            Self::Other(e) => e.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_each_kind() {
        let cases = [
            (
                "<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>",
                "features",
            ),
            (
                "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
                "starttls",
            ),
            (
                "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>=</auth>",
                "sasl-auth",
            ),
            ("<a xmlns='urn:xmpp:sm:3' h='3'/>", "sm-ack"),
            ("<inactive xmlns='urn:xmpp:csi:0'/>", "csi-inactive"),
            ("<abort xmlns='urn:xmpp:sasl:2'/>", "sasl2-abort"),
            (
                "<handshake xmlns='jabber:component:accept'>aaee83c2</handshake>",
                "other",
            ),
        ];
        for (xml, kind) in cases {
            let e: Element = xml.parse().unwrap();
            let n = Nonza::from_element(&e).unwrap();
            assert_eq!(n.kind(), kind, "{xml}");
            assert_eq!(Nonza::from_element(&n.to_element()), Ok(n));
        }
        let bad: Element =
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>!!</auth>"
                .parse()
                .unwrap();
        assert_eq!(
            Nonza::from_element(&bad),
            Err(PayloadError::InvalidBase64 { element: "auth" })
        );
    }
}
