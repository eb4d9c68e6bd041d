//! XMPP element trees, typed stanzas, stanza and stream errors (RFC 6120,
//! RFC 6121), built on [`xmpp_stream`]'s framing and [`xmpp_jid`]'s
//! addresses.
//!
//! What a server or client does with a framed top-level element:
//!
//! - read it as an owned, namespace-resolved [`Element`] tree (built in
//!   one pass over the bytes, trusting what the framer validated; standalone
//!   bytes get every check in the same pass, under the framer's [`Limits`]
//!   and RFC 6120 §11 restricted XML, and quick-xml is the reference both
//!   are tested against), look children up by name and namespace, and write it back with correct
//!   escaping and the fewest namespace declarations; nothing is dropped:
//!   unknown attributes, children and text stay;
//! - read it as a typed [`Stanza`] ([`Message`], [`Presence`], [`Iq`]) whose
//!   stanza namespace is a runtime value ([`StanzaNs`]: `jabber:client`,
//!   `jabber:server`, and XEP-0114's `jabber:component:accept` and `:connect`)
//!   and whose addresses are
//!   [`xmpp_jid::Jid`]s; a bad address or payload is an [`InvalidStanza`]
//!   for that stanza alone, with the raw element readable and the error
//!   reply ready;
//! - answer: [`Stanza::make_error_reply`], [`Iq::make_result`], the 22
//!   stanza error conditions of RFC 6120 §8.3.3 ([`StanzaError`]) and the
//!   25 stream error conditions of §4.9.3 ([`StreamError`], convertible from
//!   [`xmpp_stream::FramingError`]).
//!
//! - read and write the stream-negotiation nonzas, one at a time or all at
//!   once as a [`Nonza`]: [`StreamFeatures`]
//!   (unknown features kept), [`StartTls`] (RFC 6120 §5), [`Sasl`] (§6,
//!   strict base64, open mechanism names, every §6.5 condition),
//!   [`Bind`] (§7), [`Roster`] (RFC 6121 §2), [`Sm`] (XEP-0198),
//!   [`Csi`] (XEP-0352), [`Sasl2`] (XEP-0388), [`Bind2`] (XEP-0386) and
//!   the XEP-0484 FAST elements ([`FastOffer`], [`FastUse`],
//!   [`RequestToken`], [`Token`]);
//! - read and write common payloads through the [`Payload`] trait and a few
//!   enums: [`DiscoInfo`] / [`DiscoItems`] (XEP-0030) with the XEP-0115
//!   verification string ([`DiscoInfo::caps_ver`]) and [`Caps`], [`Ping`]
//!   (XEP-0199), [`Delay`] (XEP-0203), [`Forwarded`] (XEP-0297),
//!   [`Carbons`] (XEP-0280), [`StanzaId`] / [`OriginId`] (XEP-0359),
//!   [`Receipt`] (XEP-0184), [`Marker`] (XEP-0333), [`ChatState`]
//!   (XEP-0085).
//!
//! The crate does no I/O: elements and bytes go in, values and strings come
//! out. Hostile input is the normal case: parsing is bounded by
//! [`Limits`] (element size, depth, attributes, name length, namespace
//! declarations), linear in the input, and never panics; the element tree
//! is as deep as the depth limit allows, at most
//! [`xmpp_stream::MAX_DEPTH`], so its recursive `Drop`, `Clone`,
//! comparison and serialization fit a 2 MiB thread stack (a tree built by
//! hand is the caller's to keep as shallow).
//!
//! # Choices
//!
//! - Prefixes are spelling, not data: a tree keeps namespace names, and
//!   serialization writes default-namespace declarations where the
//!   namespace changes and its own `ns0`, `ns1`… prefixes for namespaced
//!   attributes. The exact received bytes are
//!   [`xmpp_stream::Frame::xml`], for forwarding.
//! - White space between children is kept as text nodes (lossless); typed
//!   accessors ignore it.
//! - A typed stanza keeps its children as nodes and reads bodies, show,
//!   payloads, … from them; addresses are written back in their enforced
//!   (RFC 7622) form.
//! - A message with an unknown `type` is `normal` (RFC 6121 §5.2.2) and
//!   keeps the value; a presence or iq with one is refused (`bad-request`).
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
//! - `std` (default, required): quick-xml's reader (the reference parser)
//!   is built on `std::io`, so this crate needs std even though its own
//!   code names only `core` and `alloc` paths.
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
//! - `arbitrary`: `ValidElement` and `ValidStanza`, `arbitrary::Arbitrary`
//!   generators of element trees and stanzas that parse and type-check
//!   (built on the generators of xmpp-stream and xmpp-jid), for fuzzing
//!   code that handles stanzas with inputs that get past their parsing.

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
mod fast;
mod features;
#[cfg(feature = "arbitrary")]
mod fuzzing;
mod nonza;
mod parse;
mod payload;
mod roster;
mod sasl;
mod sasl2;
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
pub use element::{Attribute, Element, InvalidName, Node, XML_NS};
pub use error::{ParseError, PayloadError};
pub use fast::{FAST_NS, FastOffer, FastUse, RequestToken, Token};
pub use features::{
    BIND_NS, CSI_NS, PREAPPROVAL_NS, ROSTERVER_NS, SASL2_NS, SESSION_NS, SM_NS,
    Sasl2Authentication, StartTls, StreamFeatures, TLS_NS,
};
#[cfg(feature = "arbitrary")]
pub use fuzzing::{ValidElement, ValidStanza};
pub use nonza::Nonza;
pub use parse::TreeBuilder;
pub use payload::Payload;
pub use roster::{Bind, ROSTER_NS, Roster, RosterItem, Subscription};
pub use sasl::{SASL_NS, Sasl, SaslCondition};
pub use sasl2::{BIND2_NS, Bind2, Bound, Sasl2, UserAgent};
pub use sm::{Csi, Sm};
pub use stanza::{
    CLIENT_NS, COMPONENT_CONNECT_NS, COMPONENT_NS, Header, InvalidStanza, Iq, IqType, Message,
    MessageType, Presence, PresenceType, ReadError, SERVER_NS, Show, Stanza, StanzaNs,
};
pub use stanza_error::{DefinedCondition, ErrorType, STANZAS_NS, StanzaError};
pub use stream_error::{STREAM_ERROR_NS, STREAM_NS, StreamCondition, StreamError};
pub use xep::{
    CARBONS_NS, CHATSTATES_NS, Carbons, ChatState, DELAY_NS, Delay, FORWARD_NS, Forwarded,
    MARKERS_NS, Marker, OriginId, PING_NS, Ping, RECEIPTS_NS, Receipt, SID_NS, StanzaId,
    is_datetime,
};
pub use xmpp_stream::Limits;
