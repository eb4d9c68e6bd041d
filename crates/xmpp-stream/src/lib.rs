//! Incremental, validating framing of XMPP's XML streams (RFC 6120 §4 and
//! §11; RFC 7395 for WebSocket; XEP-0124/0206 for BOSH).
//!
//! Bytes arrive from a socket in arbitrary chunks; a [`Framer`] turns them
//! into [`Event`]s: the stream header, one event per complete top-level
//! element (stanza or nonza) carrying its exact bytes, name, namespace and
//! routing attributes, white space keepalives, and the stream's close. On
//! the way it enforces RFC 6120's restricted XML (§11.1: no comments,
//! processing instructions, DTDs or entity references other than the five
//! predefined ones), XML 1.0 well-formedness with namespaces, the stream and
//! content namespaces, UTF-8 as the only encoding, and the configured
//! [`Limits`]. Every error is a [`FramingError`] whose
//! [`condition`](FramingError::condition) is the RFC 6120 §4.9.3 stream error
//! to send.
//!
//! Over BOSH the framer checks what a `<body/>` wrapper shows on its own
//! (a valid `rid`, required on a client's requests; a non-empty `sid`; the
//! `type`); what needs the session's history (the `sid` on every request
//! after the session creation response, the `rid` sequence and window, keys,
//! timers) belongs to the BOSH session manager. The [`bosh`] module
//! documents the split.
//!
//! The crate does no I/O: it never opens a socket, reads a clock or spawns a
//! thread. The events for a byte stream are the same whatever the chunking,
//! and the work is linear in the input: the scanner resumes where it stopped
//! instead of re-reading a growing token, and namespace lookups walk a
//! bounded stack.
//!
//! ```
//! use xmpp_stream::{Event, Framer, Transport};
//!
//! # fn main() -> Result<(), xmpp_stream::FramingError> {
//! let mut framer = Framer::new(Transport::Tcp);
//! let input = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
//!     xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>\
//!     <message to='juliet@example.com' type='chat'><body>Art thou not Romeo?</body></message>\
//!     </stream:stream>";
//! let mut events = Vec::new();
//! // Any chunking gives the same events; here, 7 bytes at a time.
//! for chunk in input.chunks(7) {
//!     framer.feed(chunk);
//!     while let Some(event) = framer.next_event()? {
//!         events.push(event);
//!     }
//! }
//! framer.finish()?;
//!
//! let Event::StreamOpen(header) = &events[0] else { panic!("header first") };
//! assert_eq!(header.to(), Some("example.com"));
//! let Event::Element(message) = &events[1] else { panic!("then the stanza") };
//! assert_eq!((message.name(), message.namespace()), ("message", "jabber:client"));
//! assert_eq!(message.to().as_deref(), Some("juliet@example.com"));
//! assert!(message.xml().ends_with("</message>"));
//! assert_eq!(events[2], Event::StreamClose);
//! # Ok(())
//! # }
//! ```
//!
//! Features: `std` (default) lets `memchr` detect CPU features at run time;
//! without it the crate is `no_std` + `alloc`. `arbitrary` (implies `std`)
//! adds `ValidStream` and `ValidElementXml`, `arbitrary::Arbitrary`
//! generators of streams a framer accepts, for fuzzing code that reads
//! XMPP streams with inputs that get past the framing.

#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod bosh;
mod chars;
mod error;
mod escape;
mod event;
mod forward;
mod framer;
#[cfg(feature = "arbitrary")]
mod fuzzing;
mod limits;
mod restart;

pub use chars::{is_ncname_char, is_ncname_start_char};
pub use error::{Condition, FramingError, Limit, Restricted};
pub use escape::{
    FRAMING_NS, HTTPBIND_NS, OpenHeader, REPLACEMENT, STREAM_NS, XBOSH_NS, decode_reference,
    escape_attribute, escape_text, unescape_attribute, unescape_text, write_close, write_open,
};
pub use event::{Attribute, Attributes, Event, Frame, Namespaces, StreamHeader, XML_NS};
pub use forward::Forward;
pub use framer::{Framer, Transport};
#[cfg(feature = "arbitrary")]
pub use fuzzing::{ValidElementXml, ValidStream};
pub use limits::{
    InvalidLimits, Limits, MAX_ATTRIBUTES, MAX_DEPTH, MAX_ELEMENT_BYTES, MAX_NAME_BYTES,
    MAX_NAMESPACE_DECLARATIONS, MIN_ELEMENT_BYTES,
};
pub use restart::{Restart, restart_after};
