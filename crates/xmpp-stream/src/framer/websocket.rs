//! RFC 7395: XMPP over WebSocket, one element per message, the stream
//! opened and closed by `<open/>` and `<close/>` in the framing namespace.

use alloc::boxed::Box;
use alloc::string::ToString;
use alloc::sync::Arc;

use super::Framer;
use super::header::check_version;
use super::state::{Level, Step};
use crate::chars::is_space;
use crate::error::FramingError;
use crate::escape::FRAMING_NS;
use crate::event::{Event, Frame, StreamHeader};

impl Framer {
    /// Frames one WebSocket message (RFC 7395 §3.3.3: every message holds
    /// exactly one complete element, the `<open/>` and `<close/>` of the
    /// framing namespace included) and returns its event. An error, which
    /// ends the stream, when the message holds no element, ends inside one
    /// or holds a second one ([`FramingError::MessageBoundary`]), or when the
    /// element itself is refused. White space around the element is
    /// allowed.
    ///
    /// A framer fed with messages is fed only with them: with
    /// [`feed`](Self::feed) the message boundaries are lost, and two
    /// elements in one message, or one split over two, go unnoticed.
    ///
    /// ```
    /// use xmpp_stream::{Event, Framer, Transport};
    ///
    /// let mut f = Framer::new(Transport::WebSocket);
    /// let open = b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>";
    /// assert!(matches!(f.feed_message(open), Ok(Event::StreamOpen(_))));
    /// let two = b"<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>";
    /// assert!(f.feed_message(two).is_err());
    /// ```
    pub fn feed_message(&mut self, message: &[u8]) -> Result<Event, FramingError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if let Some(i) = self.unconsumed().iter().position(|&b| !is_space(b)) {
            // Bytes of an earlier message (or feed) left inside an element.
            let offset = self.offset(self.tok + i);
            return Err(self.fail(FramingError::MessageBoundary {
                offset,
                rule: "a WebSocket message ended inside an element",
            }));
        }
        self.feed(message);
        let Some(event) = self.next_event()? else {
            let (offset, rule) = if self.unconsumed().iter().all(|&b| is_space(b)) {
                (
                    self.offset(self.tok),
                    "a WebSocket message holds no element",
                )
            } else {
                (
                    self.offset(self.buf.len()),
                    "a WebSocket message ended inside an element",
                )
            };
            return Err(self.fail(FramingError::MessageBoundary { offset, rule }));
        };
        if let Some(i) = self.unconsumed().iter().position(|&b| !is_space(b)) {
            let offset = self.offset(self.tok + i);
            return Err(self.fail(FramingError::MessageBoundary {
                offset,
                rule: "a WebSocket message holds more than one element",
            }));
        }
        Ok(event)
    }

    /// RFC 7395 §3.4, §3.6, §3.7: a complete top-level element `el` at
    /// `offset` in the framing namespace: `<open/>` starts a stream, the
    /// first or a restarted one (after `reset`), and is out of place inside
    /// one; `<close/>` ends the stream. `None` for any other element, which
    /// is framed like a stanza.
    pub(super) fn framing_element(
        &mut self,
        el: &Frame,
        offset: u64,
    ) -> Result<Option<Step>, FramingError> {
        match el.name() {
            "open" if self.level == Level::Stream => Err(FramingError::UnexpectedElement {
                offset,
                name: el.qualified_name().to_string(),
            }),
            "open" => {
                let header = StreamHeader {
                    qname: el.qualified_name().to_string(),
                    colon: el.prefix().map(str::len),
                    ns: FRAMING_NS.to_string(),
                    attrs: el
                        .attributes()
                        .map(|a| (a.name().to_string(), a.value().into_owned()))
                        .collect(),
                    namespaces: Arc::default(),
                };
                check_version(header.version())?;
                self.enter_level(Level::Stream);
                Ok(Some(self.emit(Event::StreamOpen(Box::new(header)))))
            }
            "close" if self.level == Level::Stream => {
                self.end_stream();
                Ok(Some(self.emit(Event::StreamClose)))
            }
            _ => Ok(None),
        }
    }
}
