//! Stanzas on their way from one session to another: typed for the
//! router, and written for the next hop from the bytes they came in.
//!
//! A server machine reads each stanza into a tree and a [`Stanza`] (the
//! router needs its addresses and type, RFC 6121 §8.5, and a malformed
//! stanza is answered with an error, RFC 6120 §8.3), and stamps `from`
//! (RFC 6120 §8.1.2.1). The [`RoutedStanza`] it reports keeps the framed
//! element beside the typed value, so that the session it is routed to
//! writes it with [`Frame::write_forwarded`]: the received bytes with
//! `from` stamped and the namespace set for the stream it goes to, rather
//! than the tree serialized again. Nothing can change the typed stanza of
//! a [`RoutedStanza`] (it is reached through `&`), so the bytes always
//! stand for it; an application that edits a stanza takes it out with
//! [`RoutedStanza::into_stanza`], and the edited stanza is serialized.

use alloc::boxed::Box;
use alloc::string::String;
use core::ops::Deref;

use xmpp_stanza::{CLIENT_NS, Stanza};
use xmpp_stream::{Forward, Frame};

use crate::config::Transport;

/// A stanza routed between sessions: what [`ServerEvent::Stanza`]
/// carries and what [`Server::send`] takes (a [`Stanza`] converts into
/// one). It dereferences to the typed [`Stanza`].
///
/// One read from a client keeps its framed bytes, and the session it is
/// sent to copies them, `from` stamped (RFC 6120 §8.1.2.1), instead of
/// serializing the stanza again; XEP-0198 counts and keeps it like any
/// other.
///
/// [`ServerEvent::Stanza`]: crate::ServerEvent::Stanza
/// [`Server::send`]: crate::Server::send
#[derive(Debug, Clone)]
pub struct RoutedStanza {
    stanza: Stanza,
    /// The element the stanza was read from, unprefixed, in
    /// `jabber:client`, without its `from` stamped. Present only when
    /// `stanza` was read from it and then only its `from` set, which
    /// [`write`](Self::write) stamps again.
    frame: Option<Box<Frame>>,
    /// The bytes it came in as (the frame's length, kept or not), which
    /// XEP-0198's queue counts ([`SmConfig::max_unacked_bytes`]); zero
    /// for a stanza the application built.
    ///
    /// [`SmConfig::max_unacked_bytes`]: crate::SmConfig::max_unacked_bytes
    weight: u32,
}

impl RoutedStanza {
    /// A stanza read from `frame`, `from` stamped in the typed stanza. The
    /// frame is kept when its bytes can be forwarded as they are: its name
    /// unprefixed, so that the writer's output has the form RFC 6120
    /// §4.8.5 asks for (no prefix on the content namespace), as the
    /// serializer's has.
    pub(crate) fn received(stanza: Stanza, frame: Box<Frame>) -> Self {
        let keep = frame.prefix().is_none()
            && frame.namespace() == CLIENT_NS
            && frame.name() == stanza.kind()
            && stanza.header().from.is_some();
        let weight = u32::try_from(frame.xml().len()).unwrap_or(u32::MAX);
        Self {
            stanza,
            frame: keep.then_some(frame),
            weight,
        }
    }

    /// A stanza read again from `bytes` of its serialized form (a
    /// resumption state's queue), weighing as many.
    pub(crate) fn reread(stanza: Stanza, bytes: usize) -> Self {
        Self {
            stanza,
            frame: None,
            weight: u32::try_from(bytes).unwrap_or(u32::MAX),
        }
    }

    /// The typed stanza.
    pub fn stanza(&self) -> &Stanza {
        &self.stanza
    }

    /// The typed stanza, to edit or keep; the received bytes are dropped.
    pub fn into_stanza(self) -> Stanza {
        self.stanza
    }

    /// The framed element the stanza was read from, as received (before
    /// `from` was stamped), when it is kept for forwarding.
    pub fn frame(&self) -> Option<&Frame> {
        self.frame.as_deref()
    }

    /// Writes the stanza as a top-level element of a `jabber:client`
    /// stream on `transport` (RFC 6120 §4 for TCP, where it inherits the
    /// header's default namespace; RFC 7395 §3.3.3 for WebSocket, where it
    /// declares its own): the received bytes with `from` stamped and the
    /// stream prefixes they use declared, or else the typed stanza
    /// serialized.
    pub(crate) fn write(&self, out: &mut String, transport: Transport) {
        let from = self.stanza.header().from.as_ref();
        let (Some(frame), Some(from)) = (&self.frame, from) else {
            crate::wire::write_element(out, transport, &self.stanza.to_element());
            return;
        };
        let mut how = Forward::new().stamp_from(from.as_str());
        // A language the stanza took from its stream goes with it (RFC
        // 6120 §4.7.4); one of its own is in the bytes already.
        if let Some(lang) = self.stanza.header().lang.as_deref() {
            how = how.default_lang(lang);
        }
        if transport == Transport::WebSocket {
            how = how.content_namespace(CLIENT_NS);
        }
        frame.write_forwarded(out, &how);
    }
}

impl Deref for RoutedStanza {
    type Target = Stanza;

    fn deref(&self) -> &Stanza {
        &self.stanza
    }
}

impl From<Stanza> for RoutedStanza {
    fn from(stanza: Stanza) -> Self {
        Self {
            stanza,
            frame: None,
            weight: 0,
        }
    }
}

impl From<RoutedStanza> for Stanza {
    fn from(routed: RoutedStanza) -> Self {
        routed.stanza
    }
}

/// Two routed stanzas are equal when their typed stanzas are: the bytes
/// kept are one way of writing it.
impl PartialEq for RoutedStanza {
    fn eq(&self, other: &Self) -> bool {
        self.stanza == other.stanza
    }
}

impl Eq for RoutedStanza {}

/// What the XEP-0198 queue holds: a [`Stanza`] (the client's) or a
/// [`RoutedStanza`] (the server's).
pub(crate) trait Queued: From<Stanza> {
    /// The typed stanza.
    fn stanza(&self) -> &Stanza;
    /// Into the typed stanza, for the application.
    fn into_stanza(self) -> Stanza;
    /// The bytes it counts for in the queue's bound.
    fn weight(&self) -> usize;
    /// A stanza read again from `bytes` of its serialized form.
    fn reread(stanza: Stanza, bytes: usize) -> Self;
}

/// A client's own stanzas weigh nothing: its application bounds what it
/// sends.
impl Queued for Stanza {
    fn stanza(&self) -> &Stanza {
        self
    }

    fn into_stanza(self) -> Stanza {
        self
    }

    fn weight(&self) -> usize {
        0
    }

    fn reread(stanza: Stanza, _: usize) -> Self {
        stanza
    }
}

impl Queued for RoutedStanza {
    fn stanza(&self) -> &Stanza {
        &self.stanza
    }

    fn into_stanza(self) -> Stanza {
        self.stanza
    }

    fn weight(&self) -> usize {
        usize::try_from(self.weight).unwrap_or(usize::MAX)
    }

    fn reread(stanza: Stanza, bytes: usize) -> Self {
        Self::reread(stanza, bytes)
    }
}
