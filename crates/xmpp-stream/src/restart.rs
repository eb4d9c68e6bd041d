//! Stream restarts (RFC 6120 §4.3.3): which elements of stream negotiation
//! end the current XML stream, and whether TLS starts in between, as one
//! rule for both parties and both directions.
//!
//! The same element has the same effect on both parties, whichever of them
//! wrote it: a client that *reads* `<proceed/>` and a server that *writes*
//! it both start TLS right after it (RFC 6120 §5.4.3.3); a client that
//! reads `<success/>` and the server that writes it both treat the stream
//! as restarted right after it (§6.4.6). What a party receives before
//! that (the client's `<starttls/>`, its SASL `<auth/>` or `<response/>`)
//! changes nothing yet: the answer decides.

use crate::event::Frame;
use crate::framer::Transport;

/// The namespace of STARTTLS negotiation (RFC 6120 §5.4).
const TLS_NS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
/// The namespace of SASL negotiation (RFC 6120 §6.4).
const SASL_NS: &str = "urn:ietf:params:xml:ns:xmpp-sasl";

/// What the stream does after a top-level element, from
/// [`restart_after`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Restart {
    /// Nothing: the stream goes on.
    No,
    /// TLS negotiation starts right after this element (RFC 6120
    /// §5.4.3.3: `<proceed/>`): the next bytes in either direction are TLS
    /// records, so neither party writes or frames XML until the handshake
    /// is over; then the stream restarts over TLS (§5.4.3.3 step 5, §4.3.3):
    /// the initiating entity sends a new stream header and both parties
    /// [`reset`](crate::Framer::reset) their framers, after taking the bytes
    /// already fed for the TLS layer
    /// ([`take_unconsumed`](crate::Framer::take_unconsumed)).
    AfterTls,
    /// The stream restarts right after this element (RFC 6120 §6.4.6: SASL
    /// `<success/>`): the initiating entity sends a new stream header
    /// (RFC 7395 §3.7: a new `<open/>`, with no `<close/>` before it) and
    /// both parties [`reset`](crate::Framer::reset) their framers, keeping
    /// the bytes already fed (the start of the new stream).
    Now,
}

impl Restart {
    /// Whether the current stream ends after the element (now or after TLS).
    pub fn restarts_stream(self) -> bool {
        !matches!(self, Self::No)
    }

    /// Whether TLS starts right after the element.
    pub fn starts_tls(self) -> bool {
        matches!(self, Self::AfterTls)
    }
}

/// What the stream does after the top-level element `name` in `namespace`
/// over `transport`, whichever party sent it: the one rule a client and a
/// server both follow, for the elements they read and those they write.
///
/// - TCP: `<proceed/>` in `urn:ietf:params:xml:ns:xmpp-tls` is
///   [`Restart::AfterTls`] (RFC 6120 §5.4.3.3); `<success/>` in
///   `urn:ietf:params:xml:ns:xmpp-sasl` is [`Restart::Now`] (§6.4.6).
///   Everything else, `<starttls/>`, `<failure/>` (which closes the
///   stream, §5.4.2.2, §6.4.5) and XEP-0388's SASL2 `<success/>` (which
///   needs no restart) included, is [`Restart::No`].
/// - WebSocket: `<success/>` is [`Restart::Now`] (RFC 7395 §3.7); TLS is
///   the WebSocket layer's (`wss:`), never negotiated in the stream (RFC
///   7395 §3.9), so `<proceed/>` is [`Restart::No`].
/// - BOSH: always [`Restart::No`]. TLS is HTTPS's, and after `<success/>`
///   the client asks for the restart with a body carrying
///   `xmpp:restart='true'` (XEP-0206 §5), which the framer reports as a
///   new stream open: no framer is reset.
///
/// ```
/// use xmpp_stream::{Restart, Transport, restart_after};
///
/// const TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
/// const SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
/// // A server reads the client's <starttls/>: nothing yet.
/// assert_eq!(restart_after(Transport::Tcp, "starttls", TLS), Restart::No);
/// // It writes <proceed/>, the client reads it: both start TLS.
/// assert!(restart_after(Transport::Tcp, "proceed", TLS).starts_tls());
/// // It writes <success/>, the client reads it: both restart at once.
/// assert_eq!(restart_after(Transport::Tcp, "success", SASL), Restart::Now);
/// ```
pub fn restart_after(transport: Transport, name: &str, namespace: &str) -> Restart {
    match (transport, name, namespace) {
        (Transport::Bosh | Transport::BoshRequests, _, _) => Restart::No,
        (Transport::Tcp, "proceed", TLS_NS) => Restart::AfterTls,
        (Transport::Tcp | Transport::WebSocket, "success", SASL_NS) => Restart::Now,
        _ => Restart::No,
    }
}

impl Frame {
    /// Whether this element ends the stream's current XML document so that
    /// the next bytes are TLS records or a new stream header: `<proceed/>` in
    /// `urn:ietf:params:xml:ns:xmpp-tls` (RFC 6120 §5.4.3.3) or `<success/>`
    /// in `urn:ietf:params:xml:ns:xmpp-sasl` (RFC 6120 §6.4.6).
    ///
    /// That is the TCP answer, for a received element; for any transport
    /// and either party, [`restart_after`](Self::restart_after) also says
    /// whether TLS starts.
    pub fn restarts_stream(&self) -> bool {
        matches!(
            (self.name(), self.namespace()),
            ("proceed", "urn:ietf:params:xml:ns:xmpp-tls")
                | ("success", "urn:ietf:params:xml:ns:xmpp-sasl")
        )
    }

    /// What the stream does after this element over `transport`, for the
    /// party that received it as for the one that sent it (RFC 6120
    /// §4.3.3, §5.4.3.3, §6.4.6); see [`restart_after`](crate::restart_after).
    pub fn restart_after(&self, transport: Transport) -> Restart {
        restart_after(transport, self.name(), self.namespace())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_rule_for_both_sides() {
        use Transport::{Bosh, BoshRequests, Tcp, WebSocket};
        let cases = [
            (Tcp, "starttls", TLS_NS, Restart::No),
            (Tcp, "proceed", TLS_NS, Restart::AfterTls),
            (Tcp, "failure", TLS_NS, Restart::No),
            (Tcp, "auth", SASL_NS, Restart::No),
            (Tcp, "success", SASL_NS, Restart::Now),
            (Tcp, "failure", SASL_NS, Restart::No),
            (Tcp, "success", "urn:xmpp:sasl:2", Restart::No),
            (Tcp, "proceed", SASL_NS, Restart::No),
            (WebSocket, "proceed", TLS_NS, Restart::No),
            (WebSocket, "success", SASL_NS, Restart::Now),
            (Bosh, "success", SASL_NS, Restart::No),
            (BoshRequests, "proceed", TLS_NS, Restart::No),
        ];
        for (t, name, ns, want) in cases {
            let got = restart_after(t, name, ns);
            assert_eq!(got, want, "{t:?} {name} {ns}");
            assert_eq!(got.restarts_stream(), want != Restart::No);
            assert_eq!(got.starts_tls(), want == Restart::AfterTls);
        }
    }
}
