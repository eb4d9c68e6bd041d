//! Why a session ended, or why a command was refused.

use alloc::boxed::Box;
use alloc::format;
use alloc::string::{String, ToString};
use core::fmt;

use xmpp_stanza::{DefinedCondition, Element, SM_NS, SaslCondition, StreamCondition, StreamError};

/// Everything that ends a session, and the few ways a command can be
/// refused. A fatal error is returned by every later call; the stream
/// error it implies, if any, was queued for transmission first (RFC 6120
/// §4.9.1.1), then the close.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The peer's bytes broke XML or RFC 6120 §11 rules; a stream error
    /// with the framer's condition was sent.
    Framing(Box<xmpp_stream::FramingError>),
    /// The peer broke a protocol rule; a stream error with `condition` was
    /// sent.
    Protocol {
        /// The condition sent.
        condition: StreamCondition,
        /// What the peer did.
        reason: &'static str,
    },
    /// The peer closed the stream with a `<stream:error/>` (RFC 6120 §4.9).
    PeerStreamError(Box<StreamError>),
    /// Authentication failed: the server's `<failure/>` condition and text
    /// (client), or too many failures (server: `policy-violation` sent).
    AuthFailed {
        /// The SASL condition (RFC 6120 §6.5).
        condition: SaslCondition,
        /// The server's text, if any.
        text: Option<String>,
    },
    /// The SASL exchange failed on this side (a bad server signature, a
    /// malformed challenge, …).
    Sasl(xmpp_sasl::Error),
    /// The server offered no mechanism this client may use.
    NoMechanism,
    /// Policy requires TLS and the peer does not offer it, or it failed
    /// (`<failure/>` to `<starttls/>`).
    TlsRequired,
    /// Resource binding failed with this stanza error condition.
    BindFailed(DefinedCondition),
    /// A timer ran out; `connection-timeout` was sent (RFC 6120
    /// §4.9.3.4): the peer stayed silent past the probe timeout, did not
    /// finish negotiating in time ([`Keepalive::negotiation`]), or left an
    /// `<r/>` unanswered ([`SmConfig::ack_timeout`]).
    ///
    /// [`Keepalive::negotiation`]: crate::Keepalive::negotiation
    /// [`SmConfig::ack_timeout`]: crate::SmConfig::ack_timeout
    Timeout,
    /// The transport ended without the stream being closed.
    ConnectionLost,
    /// The stream is closed (after a clean close both ways); nothing more
    /// can be sent.
    Closed,
    /// A command that this phase does not allow (not fatal): for example
    /// sending a stanza before binding, or answering a request that was not
    /// asked.
    WrongPhase(&'static str),
    /// XEP-0198 §4: the peer acknowledged stanzas never sent;
    /// `undefined-condition` with `<handled-count-too-high/>` was sent.
    HandledCountTooHigh {
        /// The `h` the peer sent.
        h: u32,
        /// How many stanzas this side had sent (modulo 2^32).
        send_count: u32,
    },
    /// XEP-0198: more stanzas are unacknowledged than
    /// [`SmConfig::max_unacked`](crate::SmConfig::max_unacked) allows (not
    /// fatal: wait for acknowledgements).
    QueueFull,
}

impl Error {
    /// The stream error condition this side sent because of the error, if
    /// it sent one.
    pub fn condition(&self) -> Option<StreamCondition> {
        match self {
            Self::Framing(e) => Some(StreamCondition::from(e.condition())),
            Self::Protocol { condition, .. } => Some(*condition),
            Self::HandledCountTooHigh { .. } => Some(StreamCondition::UndefinedCondition),
            Self::Timeout => Some(StreamCondition::ConnectionTimeout),
            _ => None,
        }
    }

    /// The `<stream:error/>` this side sends for the error, if any: the
    /// condition, the reason as text, and XEP-0198's application condition.
    pub(crate) fn to_stream_error(&self) -> Option<StreamError> {
        let mut error = StreamError::new(self.condition()?);
        match self {
            Self::Protocol { reason, .. } => error = error.with_text(None, *reason),
            Self::HandledCountTooHigh { h, send_count } => {
                error.app = Some(
                    Element::new("handled-count-too-high", SM_NS)
                        .with_attr("h", h.to_string())
                        .with_attr("send-count", send_count.to_string()),
                );
                error = error.with_text(
                    Some("en"),
                    format!("{h} stanzas acknowledged, {send_count} sent"),
                );
            }
            _ => {}
        }
        Some(error)
    }

    /// Whether a session ends with this error (everything but the
    /// refused commands).
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Self::WrongPhase(_) | Self::QueueFull)
    }

    pub(crate) fn protocol(condition: StreamCondition, reason: &'static str) -> Self {
        Self::Protocol { condition, reason }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Framing(e) => write!(f, "stream framing error: {e}"),
            Self::Protocol { condition, reason } => {
                write!(f, "protocol violation ({condition}): {reason}")
            }
            Self::PeerStreamError(e) => write!(f, "peer sent a stream error: {e}"),
            Self::AuthFailed { condition, text } => {
                write!(f, "authentication failed: {}", condition.as_str())?;
                if let Some(t) = text {
                    write!(f, " ({t})")?;
                }
                Ok(())
            }
            Self::Sasl(e) => write!(f, "sasl: {e}"),
            Self::NoMechanism => f.write_str("no offered mechanism is acceptable"),
            Self::TlsRequired => f.write_str("tls required by policy but not available"),
            Self::BindFailed(c) => write!(f, "resource binding failed: {c}"),
            Self::Timeout => f.write_str("timed out (silence, negotiation or an unanswered <r/>)"),
            Self::ConnectionLost => f.write_str("connection lost"),
            Self::Closed => f.write_str("stream closed"),
            Self::WrongPhase(what) => write!(f, "not allowed now: {what}"),
            Self::HandledCountTooHigh { h, send_count } => write!(
                f,
                "handled-count-too-high: the peer acknowledged {h} stanzas, {send_count} were sent"
            ),
            Self::QueueFull => f.write_str("too many unacknowledged stanzas"),
        }
    }
}

impl core::error::Error for Error {}
