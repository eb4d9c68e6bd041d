//! Stream errors (RFC 6120 §4.9): the `<stream:error/>` element, its 25
//! defined conditions (§4.9.3.1–§4.9.3.25), descriptive text (§4.9.4) and
//! application-specific conditions (§4.9.4).

use alloc::string::String;
use core::fmt;

use crate::element::{Element, XML_NS};
use crate::error::PayloadError;

/// The stream namespace (RFC 6120 §4.8.1), of `<stream:error/>`: the
/// framer's own constant, so there is one.
pub use xmpp_stream::STREAM_NS;
/// The namespace of stream error conditions (RFC 6120 §4.9.2), not to be
/// confused with the stream namespace [`STREAM_NS`].
pub const STREAM_ERROR_NS: &str = "urn:ietf:params:xml:ns:xmpp-streams";

macro_rules! stream_conditions {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// A defined stream error condition (RFC 6120 §4.9.3). The one that
        /// carries data, `see-other-host`, is
        /// [`StreamError::see_other_host`]'s business.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum StreamCondition {
            $($(#[$doc])* $variant,)*
        }

        impl StreamCondition {
            /// Every condition, in RFC order.
            pub const ALL: &'static [Self] = &[$(Self::$variant,)*];

            /// The element name, e.g. `not-well-formed`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            /// The condition named `name`.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(Self::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

stream_conditions! {
    /// §4.9.3.1: XML that cannot be processed.
    BadFormat = "bad-format",
    /// §4.9.3.2: an unsupported or missing namespace prefix.
    BadNamespacePrefix = "bad-namespace-prefix",
    /// §4.9.3.3: a new stream for the same entity replaces this one.
    Conflict = "conflict",
    /// §4.9.3.4: no traffic for too long.
    ConnectionTimeout = "connection-timeout",
    /// §4.9.3.5: the `to` domain is no longer served.
    HostGone = "host-gone",
    /// §4.9.3.6: the `to` domain is not served.
    HostUnknown = "host-unknown",
    /// §4.9.3.7: a stanza lacks a required `to` or `from`.
    ImproperAddressing = "improper-addressing",
    /// §4.9.3.8: a server misconfiguration.
    InternalServerError = "internal-server-error",
    /// §4.9.3.9: a `from` that does not match the authenticated identity.
    InvalidFrom = "invalid-from",
    /// §4.9.3.10: a wrong stream or content namespace.
    InvalidNamespace = "invalid-namespace",
    /// §4.9.3.11: XML invalid against a schema the server validates with.
    InvalidXml = "invalid-xml",
    /// §4.9.3.12: data before authentication that needs it.
    NotAuthorized = "not-authorized",
    /// §4.9.3.13: XML that is not well formed.
    NotWellFormed = "not-well-formed",
    /// §4.9.3.14: a local service policy was violated (limits, rate).
    PolicyViolation = "policy-violation",
    /// §4.9.3.15: a remote connection the server needs cannot be made.
    RemoteConnectionFailed = "remote-connection-failed",
    /// §4.9.3.16: security properties changed; reconnect.
    Reset = "reset",
    /// §4.9.3.17: the server lacks resources for the stream.
    ResourceConstraint = "resource-constraint",
    /// §4.9.3.18: XML that RFC 6120 §11.1 forbids.
    RestrictedXml = "restricted-xml",
    /// §4.9.3.19: connect to another host, named in the element's text.
    SeeOtherHost = "see-other-host",
    /// §4.9.3.20: the server is shutting down.
    SystemShutdown = "system-shutdown",
    /// §4.9.3.21: none of the others; see the application condition.
    UndefinedCondition = "undefined-condition",
    /// §4.9.3.22: an encoding other than UTF-8.
    UnsupportedEncoding = "unsupported-encoding",
    /// §4.9.3.23: a feature the receiver mandates is not offered.
    UnsupportedFeature = "unsupported-feature",
    /// §4.9.3.24: a first-level child the server does not support.
    UnsupportedStanzaType = "unsupported-stanza-type",
    /// §4.9.3.25: an unsupported stream version.
    UnsupportedVersion = "unsupported-version",
}

impl fmt::Display for StreamCondition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<xmpp_stream::Condition> for StreamCondition {
    fn from(c: xmpp_stream::Condition) -> Self {
        use xmpp_stream::Condition as C;
        match c {
            C::BadFormat => Self::BadFormat,
            C::BadNamespacePrefix => Self::BadNamespacePrefix,
            C::InvalidNamespace => Self::InvalidNamespace,
            C::NotWellFormed => Self::NotWellFormed,
            C::PolicyViolation => Self::PolicyViolation,
            C::RestrictedXml => Self::RestrictedXml,
            C::UnsupportedEncoding => Self::UnsupportedEncoding,
            C::UnsupportedVersion => Self::UnsupportedVersion,
            // A condition the framer adds later is at worst undefined here.
            _ => Self::UndefinedCondition,
        }
    }
}

/// A `<stream:error/>` (RFC 6120 §4.9.2): a condition, optional text with
/// its language, and an optional application-specific condition.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamError {
    /// The defined condition.
    pub condition: StreamCondition,
    /// For `see-other-host`: the host (and port) to connect to (§4.9.3.19).
    pub see_other_host: Option<String>,
    /// Descriptive text (§4.9.4), for people, with its `xml:lang`.
    pub text: Option<(Option<String>, String)>,
    /// An application-specific condition element (§4.9.4).
    pub app: Option<Element>,
}

impl StreamError {
    /// A stream error with `condition` and nothing else.
    pub fn new(condition: StreamCondition) -> Self {
        Self {
            condition,
            see_other_host: None,
            text: None,
            app: None,
        }
    }

    /// `see-other-host` naming `host` (§4.9.3.19).
    pub fn see_other_host(host: impl Into<String>) -> Self {
        Self {
            see_other_host: Some(host.into()),
            ..Self::new(StreamCondition::SeeOtherHost)
        }
    }

    /// Adds descriptive text.
    #[must_use]
    pub fn with_text(mut self, lang: Option<&str>, text: impl Into<String>) -> Self {
        self.text = Some((lang.map(String::from), text.into()));
        self
    }

    /// Reads a `<stream:error/>` element.
    pub fn from_element(e: &Element) -> Result<Self, PayloadError> {
        if !e.is("error", STREAM_NS) {
            return Err(PayloadError::UnexpectedElement {
                expected: "stream:error",
                name: e.name().into(),
                ns: e.ns().into(),
            });
        }
        let mut condition = None;
        let mut see_other_host = None;
        let mut text = None;
        let mut app = None;
        for c in e.children() {
            if c.ns() == STREAM_ERROR_NS {
                if c.name() == "text" {
                    text = Some((c.lang().map(String::from), c.text().into_owned()));
                } else if let Some(cond) = StreamCondition::from_name(c.name()) {
                    if condition.is_some() {
                        return Err(PayloadError::UnexpectedChild {
                            element: "stream:error",
                            child: c.name().into(),
                        });
                    }
                    if cond == StreamCondition::SeeOtherHost {
                        let host = c.text();
                        see_other_host = (!host.is_empty()).then(|| host.into_owned());
                    }
                    condition = Some(cond);
                }
            } else if app.is_none() {
                app = Some(c.clone());
            }
        }
        let condition = condition.ok_or(PayloadError::MissingChild {
            element: "stream:error",
            child: "condition",
        })?;
        Ok(Self {
            condition,
            see_other_host,
            text,
            app,
        })
    }

    /// The `<stream:error/>` element.
    pub fn to_element(&self) -> Element {
        let mut cond = Element::new(self.condition.as_str(), STREAM_ERROR_NS);
        if let Some(host) = &self.see_other_host {
            cond.push_text(host);
        }
        let mut e = Element::new("error", STREAM_NS).with_child(cond);
        if let Some((lang, text)) = &self.text {
            let mut t = Element::new("text", STREAM_ERROR_NS);
            if let Some(lang) = lang {
                t.set_attr_ns("lang", XML_NS, lang.as_str());
            }
            t.push_text(text);
            e.push_child(t);
        }
        if let Some(app) = &self.app {
            e.push_child(app.clone());
        }
        e
    }

    /// The error as the bytes to send before `</stream:stream>`, with the
    /// `stream` prefix that the stream header declares (RFC 6120 §4.9.2).
    /// That is the TCP form; over WebSocket or BOSH, where no header
    /// declares the prefix for it, use [`to_xml_for`](Self::to_xml_for).
    pub fn to_xml(&self) -> String {
        self.to_xml_for(xmpp_stream::Transport::Tcp)
    }

    /// The error as the bytes to send over `transport`:
    ///
    /// - TCP: `<stream:error>` using the `stream` prefix the stream header
    ///   declared (RFC 6120 §4.9.2, §4.8.5), as
    ///   [`xmpp_stream::write_open`] writes it;
    /// - WebSocket: one message that declares its own namespaces (RFC
    ///   7395 §3.3.3: there is no stream header to inherit them from), so
    ///   `<stream:error xmlns:stream='http://etherx.jabber.org/streams'>`,
    ///   followed by the `<close/>` the caller sends (§3.6);
    /// - BOSH: the same self-declaring element, to go inside the
    ///   terminating `<body/>` (XEP-0206), whose writer need not declare
    ///   the prefix.
    ///
    /// ```
    /// use xmpp_stanza::{StreamCondition, StreamError};
    /// use xmpp_stream::Transport;
    /// let e = StreamError::new(StreamCondition::HostUnknown);
    /// assert_eq!(
    ///     e.to_xml_for(Transport::WebSocket),
    ///     "<stream:error xmlns:stream='http://etherx.jabber.org/streams'>\
    ///      <host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
    /// );
    /// ```
    pub fn to_xml_for(&self, transport: xmpp_stream::Transport) -> String {
        let inner = self.to_element();
        let mut out = String::from("<stream:error");
        if transport != xmpp_stream::Transport::Tcp {
            out.push_str(" xmlns:stream='");
            out.push_str(STREAM_NS);
            out.push('\'');
        }
        out.push('>');
        for child in inner.children() {
            child.write_xml_in(&mut out, "");
        }
        out.push_str("</stream:error>");
        out
    }
}

impl From<&xmpp_stream::FramingError> for StreamError {
    /// The stream error to send for a framing error, its text the framer's
    /// description.
    fn from(e: &xmpp_stream::FramingError) -> Self {
        Self::new(e.condition().into()).with_text(Some("en"), alloc::format!("{e}"))
    }
}

impl From<&crate::error::ParseError> for StreamError {
    fn from(e: &crate::error::ParseError) -> Self {
        Self::new(e.condition()).with_text(Some("en"), alloc::format!("{e}"))
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.condition.as_str())?;
        if let Some(host) = &self.see_other_host {
            write!(f, " ({host})")?;
        }
        if let Some((_, text)) = &self.text {
            write!(f, ": {text}")?;
        }
        Ok(())
    }
}

impl core::error::Error for StreamError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_25_conditions_round_trip_by_name() {
        assert_eq!(StreamCondition::ALL.len(), 25);
        for &c in StreamCondition::ALL {
            assert_eq!(StreamCondition::from_name(c.as_str()), Some(c));
            let e = StreamError::new(c);
            assert_eq!(StreamError::from_element(&e.to_element()), Ok(e));
        }
    }

    #[test]
    fn see_other_host_keeps_its_host() {
        let e = StreamError::see_other_host("[2001:db8::1]:9090").with_text(Some("en"), "moved");
        let back = StreamError::from_element(&e.to_element()).unwrap();
        assert_eq!(back.see_other_host.as_deref(), Some("[2001:db8::1]:9090"));
        assert_eq!(back, e);
        assert_eq!(
            e.to_xml(),
            "<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>\
             [2001:db8::1]:9090</see-other-host><text xmlns='urn:ietf:params:xml:ns:xmpp-streams' \
             xml:lang='en'>moved</text></stream:error>"
        );
    }

    /// RFC 7395 §3.3.3: a WebSocket message declares its namespaces; the
    /// TCP form's undeclared `stream` prefix is refused there.
    #[test]
    fn websocket_errors_declare_the_stream_prefix() {
        use xmpp_stream::{Event, Framer, Transport};
        let e = StreamError::new(StreamCondition::PolicyViolation).with_text(Some("en"), "no");
        let frame = |xml: &str| {
            let mut f = Framer::new(Transport::WebSocket);
            f.feed(b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' version='1.0'/>");
            f.feed(xml.as_bytes());
            assert!(matches!(f.next_event(), Ok(Some(Event::StreamOpen(_)))));
            match f.next_event() {
                Ok(Some(Event::Element(el))) => Ok(el),
                other => Err(alloc::format!("{other:?}")),
            }
        };
        assert!(frame(&e.to_xml()).is_err());
        for t in [Transport::WebSocket, Transport::Bosh] {
            let el = frame(&e.to_xml_for(t)).unwrap();
            let back = StreamError::from_element(&Element::from_frame(&el).unwrap());
            assert_eq!(back, Ok(e.clone()));
        }
        assert_eq!(e.to_xml_for(Transport::Tcp), e.to_xml());
    }

    #[test]
    fn from_framer_errors() {
        let mut f = xmpp_stream::Framer::new(xmpp_stream::Transport::Tcp);
        f.feed(b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><!-- x -->");
        let err = loop {
            match f.next_event() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("needs an error"),
                Err(e) => break e,
            }
        };
        let se = StreamError::from(&err);
        assert_eq!(se.condition, StreamCondition::RestrictedXml);
    }
}
