//! The transports a stream is carried over, which decide what opens and
//! closes it.

/// How the stream is carried, which decides what opens and closes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transport {
    /// One long XML document over TCP (RFC 6120 §4): `<stream:stream>` …
    /// `</stream:stream>`, white space keepalives between elements.
    #[default]
    Tcp,
    /// RFC 7395: every message one complete element, the stream opened and
    /// closed by `<open/>` and `<close/>` in `urn:ietf:params:xml:ns:xmpp-framing`,
    /// no keepalives (white space between messages is ignored). Feed the
    /// messages in order; each element must declare its own namespaces.
    WebSocket,
    /// XEP-0124/0206: one `<body>` per HTTP request or response, reported as
    /// a stream open (its attributes: `rid`, `sid`, `xmpp:restart`, …), the
    /// stanzas inside, and a stream close; another body may follow. For
    /// bodies of either direction (a client reading a connection manager's
    /// responses): a `rid`, when present, is checked but not required.
    Bosh,
    /// [`Bosh`](Self::Bosh) as a connection manager reads a client's
    /// requests: every body must also carry a valid `rid` (XEP-0124 §6).
    BoshRequests,
}

impl Transport {
    /// Whether this is one of the BOSH transports (XEP-0124/0206), where a
    /// stream restart is a body with `xmpp:restart` rather than a new
    /// stream header after `<proceed/>` or `<success/>`.
    pub fn is_bosh(self) -> bool {
        matches!(self, Self::Bosh | Self::BoshRequests)
    }
}
