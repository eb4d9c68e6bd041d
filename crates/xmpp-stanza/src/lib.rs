//! XMPP element trees, typed stanzas, stanza and stream errors (RFC 6120,
//! RFC 6121), built on [`xmpp_stream`]'s framing and [`xmpp_jid`]'s
//! addresses.
//!
//! What a server or client does with a framed top-level element:
//!
//! - read it as an owned, namespace-resolved [`Element`] tree (quick-xml,
//!   under the framer's [`Limits`] and RFC 6120 §11 restricted XML), look
//!   children up by name and namespace, and write it back with correct
//!   escaping and the fewest namespace declarations; nothing is dropped:
//!   unknown attributes, children and text stay;
//! - read it as a typed [`Stanza`] ([`Message`], [`Presence`], [`Iq`]) whose
//!   stanza namespace is a runtime value ([`StanzaNs`]: `jabber:client`,
//!   `jabber:server`, `jabber:component:accept`) and whose addresses are
//!   [`xmpp_jid::Jid`]s; a bad address or payload is an [`InvalidStanza`]
//!   for that stanza alone, with the raw element readable and the error
//!   reply ready;
//! - answer: [`Stanza::make_error_reply`], [`Iq::make_result`], the 22
//!   stanza error conditions of RFC 6120 §8.3.3 ([`StanzaError`]) and the
//!   25 stream error conditions of §4.9.3 ([`StreamError`], convertible from
//!   [`xmpp_stream::StreamError`]).
//!
//! The crate does no I/O: elements and bytes go in, values and strings come
//! out.
//!
//! ```
//! use xmpp_stanza::{DefinedCondition, Element, Stanza, StanzaError};
//! use xmpp_stream::{Event, Framer, Transport};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut framer = Framer::new(Transport::Tcp);
//! framer.feed(b"<stream:stream xmlns='jabber:client' \
//!     xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>\
//!     <iq from='juliet@example.com/balcony' id='v1' type='get'>\
//!     <query xmlns='jabber:iq:version'/></iq>");
//! let mut replies = String::new();
//! while let Some(event) = framer.next_event()? {
//!     let Event::Element(frame) = event else { continue };
//!     // Tree and typed stanza from the frame and its stream context.
//!     let stanza = Stanza::from_element(Element::from_frame(&frame)?)?;
//!     let Stanza::Iq(iq) = &stanza else { continue };
//!     assert_eq!(iq.payload().map(Element::ns), Some("jabber:iq:version"));
//!     // Not supported here: answer with an error reply (RFC 6120 §8.3.3.19).
//!     let error = StanzaError::new(DefinedCondition::ServiceUnavailable);
//!     if let Some(reply) = stanza.make_error_reply(error) {
//!         reply.to_element().write_xml_in(&mut replies, "jabber:client");
//!     }
//! }
//! assert_eq!(
//!     replies,
//!     "<iq to='juliet@example.com/balcony' id='v1' type='error'><error type='cancel'>\
//!      <service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
//! );
//! # Ok(())
//! # }
//! ```
//!
//! # Features
//!
//! - `std` (default, required): quick-xml's reader is built on `std::io`,
//!   so this crate needs std even though its own code names only `core`
//!   and `alloc` paths.
//! - `serde`: typed stanzas, stanza errors and element trees implement
//!   `Serialize`. The JSON shapes (those `xmpp stanza` prints):
//!   - element: `{"name","ns","attrs":{NAME:VALUE},"children":[ELEMENT|"text"]}`,
//!     an attribute in a namespace keyed `{ns}name` (Clark notation);
//!   - message: `{"ns","to","from","id","type","lang","bodies":[{"lang","text"}],
//!     "subjects":[…],"thread":{"id","parent"}|null,"attrs","payloads":[ELEMENT],"error"}`,
//!     `type` the type in effect (`normal` when absent);
//!   - presence: `{"ns","to","from","id","type","lang","show","priority",
//!     "statuses":[…],"attrs","payloads","error"}`, `type` `available` when absent;
//!   - iq: `{"ns","to","from","id","type","lang","attrs","payload","error"}`;
//!   - stanza error: `{"type","condition","uri","by","texts":[…],"app"}`,
//!     or `{"invalid":"…"}` when the `<error/>` child cannot be read;
//!   - absent values are `null`; `attrs` holds only the attributes the
//!     typed form does not interpret.

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
// quick-xml is built on std::io, so the crate needs std; its own code names
// only core and alloc paths.
extern crate std;

mod atom;
mod disco;
mod element;
mod error;
mod features;
mod parse;
mod payload;
mod roster;
mod sasl;
#[cfg(feature = "serde")]
mod serde;
mod sm;
mod stanza;
mod stanza_error;
mod stream_error;
mod write;
mod xep;

pub use disco::{
    CAPS_NS, Caps, CapsError, DATA_FORMS_NS, DISCO_INFO_NS, DISCO_ITEMS_NS, DataForm, DiscoInfo,
    DiscoItem, DiscoItems, FormField, Identity,
};
pub use element::{Attribute, Element, Node, XML_NS};
pub use error::{ParseError, PayloadError};
pub use features::{
    BIND_NS, CSI_NS, PREAPPROVAL_NS, ROSTERVER_NS, SASL2_NS, SESSION_NS, SM_NS,
    Sasl2Authentication, StartTls, StreamFeatures, TLS_NS,
};
pub use payload::Payload;
pub use roster::{Bind, ROSTER_NS, Roster, RosterItem, Subscription};
pub use sasl::{SASL_NS, Sasl, SaslCondition};
pub use sm::{Csi, Sm};
pub use stanza::{
    CLIENT_NS, COMPONENT_NS, Header, InvalidStanza, Iq, IqType, Message, MessageType, Presence,
    PresenceType, ReadError, SERVER_NS, Show, Stanza, StanzaNs,
};
pub use stanza_error::{DefinedCondition, ErrorType, STANZAS_NS, StanzaError};
pub use stream_error::{STREAM_NS, STREAMS_NS, StreamCondition, StreamError};
pub use xep::{
    CARBONS_NS, CHATSTATES_NS, Carbons, ChatState, DELAY_NS, Delay, FORWARD_NS, Forwarded,
    MARKERS_NS, Marker, OriginId, PING_NS, Ping, RECEIPTS_NS, Receipt, SID_NS, StanzaId,
    is_datetime,
};
pub use xmpp_stream::Limits;
