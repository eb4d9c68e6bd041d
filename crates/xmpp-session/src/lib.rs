//! Sans-I/O XMPP connection state machines: a c2s [`Client`] and
//! [`Server`] that compose the workspace's primitives (framing from
//! `xmpp-stream`, trees and typed stanzas from `xmpp-stanza`, SASL from
//! `xmpp-sasl`, addresses from `xmpp-jid`) into RFC 6120 stream
//! negotiation, RFC 6120 §7 resource binding and XEP-0198 stream
//! management, over TCP (STARTTLS, or direct TLS per XEP-0368) and
//! WebSocket (RFC 7395).
//!
//! The crate does no I/O: it opens no socket, reads no clock, starts no
//! thread and draws no OS randomness. Bytes go in through `handle_input`
//! and come out of `poll_transmit`; what the application must know or
//! decide comes out of `poll_event`; time comes in through
//! `handle_timeout` as an [`Instant`] (milliseconds on the driver's
//! clock); randomness comes in once, as a [`Seed`]. TLS is the driver's:
//! the machine says when to start it and uses what the TLS layer reports
//! ([`TlsInfo`]: the version and the channel-binding data) to pick
//! `-PLUS` mechanisms. The shape is quinn-proto's `Connection`: the same
//! machines are driven by tokio, a C event loop, asyncio or the tests'
//! in-memory pair.
//!
//! # Example
//!
//! A client and a server driven against each other in memory, with
//! SCRAM-SHA-256 over a stream without TLS (allowed here by policy):
//!
//! ```
//! use xmpp_jid::{BareJid, Jid};
//! use xmpp_sasl::{Credentials, Hash, Mechanism, Prep, ServerSecret, StoredCredentials};
//! use xmpp_session::{
//!     Client, ClientConfig, ClientEvent, Instant, Seed, Server, ServerConfig, ServerEvent,
//!     TlsPolicy,
//! };
//! use xmpp_stanza::{Message, Stanza, StanzaNs};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let now = Instant::from_millis(0);
//! let jid = BareJid::new("juliet@example.com")?;
//! let mut client = Client::new(
//!     ClientConfig::new(jid, "r0m30").tls(TlsPolicy::Off),
//!     Seed::new([1; 32]), // from a CSPRNG in real use
//!     now,
//! );
//! // The secret behind unknown users' fake exchanges: random in real use,
//! // with the salt length, hash and iterations of the real accounts.
//! let secret = ServerSecret::new([7; 32])?.accounts(Hash::Sha256, 12, 4096)?;
//! let mut server = Server::new(
//!     // Offer only the hash the account database keeps.
//!     ServerConfig::new("example.com", secret)
//!         .tls(TlsPolicy::Off)
//!         .mechanisms([Mechanism::Scram { hash: Hash::Sha256, plus: false }]),
//!     Seed::new([2; 32]),
//!     now,
//! );
//! // The server keeps SCRAM keys, never passwords.
//! let stored =
//!     StoredCredentials::from_password(Hash::Sha256, Prep::SaslPrep, "r0m30", b"salt-1234567", 4096)?;
//!
//! let mut received = Vec::new();
//! for _ in 0..20 {
//!     while let Some(bytes) = client.poll_transmit() {
//!         server.handle_input(&bytes)?;
//!     }
//!     while let Some(bytes) = server.poll_transmit() {
//!         client.handle_input(&bytes)?;
//!     }
//!     while let Some(event) = server.poll_event() {
//!         match event {
//!             ServerEvent::CredentialsRequest { request, .. } => {
//!                 // An account that does not exist gets the same exchange.
//!                 let answer = match request.authcid.as_deref() {
//!                     Some("juliet") => Credentials::Scram(stored.clone()),
//!                     _ => Credentials::UnknownUser,
//!                 };
//!                 server.provide_credentials(answer)?;
//!             }
//!             ServerEvent::BindRequest { requested, suggested } => {
//!                 server.accept_bind(requested.as_deref().unwrap_or(&suggested))?;
//!             }
//!             ServerEvent::Stanza(stanza) => received.push(stanza),
//!             _ => {}
//!         }
//!     }
//!     while let Some(event) = client.poll_event() {
//!         if let ClientEvent::Bound { jid } = event {
//!             let to = Jid::new("romeo@example.net")?;
//!             client.send(Stanza::Message(Message::chat(StanzaNs::Client, to, "hi")))?;
//!             assert!(jid.as_str().starts_with("juliet@example.com/"));
//!         }
//!     }
//! }
//! // The server typed the message and stamped `from` (RFC 6120 §8.1.2.1).
//! let Some(Stanza::Message(m)) = received.first().map(|s| s.stanza()) else {
//!     panic!("no message")
//! };
//! assert_eq!(m.body(None).as_deref(), Some("hi"));
//! assert_eq!(m.header.from.as_ref(), client.jid().map(|j| j.as_jid()));
//! # Ok(())
//! # }
//! ```
//!
//! # What each side does
//!
//! - [`Client`]: stream open (`to`, version 1.0, `xml:lang`), STARTTLS when
//!   offered (required by default), SASL with `xmpp-sasl`'s choice
//!   (strongest offered; `-PLUS` with binding data; XEP-0440; XEP-0474
//!   checked; gs2 `y` when the server seems to lack `-PLUS`), the restart,
//!   resource binding (a conflict makes it ask the server for a resource),
//!   the RFC 3921 session only when marked mandatory, XEP-0198 enable,
//!   counting, acks and resumption, keepalives and XEP-0199 pings. When the
//!   server offers XEP-0388 SASL2, authentication carries the rest inline
//!   without a restart: resumption, XEP-0386 Bind2 with XEP-0198 enabled
//!   in it, and XEP-0484 FAST tokens (used, requested, rotated; the
//!   application stores them from [`ClientEvent::TokenIssued`]).
//! - [`Server`]: features per phase and policy (only STARTTLS while TLS is
//!   mandatory, RFC 6120 §5.3.1; `-PLUS` only with binding data; PLAIN only
//!   under TLS unless allowed), `host-unknown` for a domain not served,
//!   credentials, binding and resumption asked of the application as
//!   events, stanzas typed and `from`-stamped (a [`RoutedStanza`] that
//!   another session forwards from the bytes it came in), a bad stanza
//!   answered with its error and the stream kept, stanzas before binding refused with
//!   `not-authorized`, retry limits, XEP-0198 both ways with the
//!   unacknowledged stanzas handed back when a session ends unresumed;
//!   SASL2 with Bind2, inline resumption and FAST, each inline request
//!   settled as an application decision before `<success/>` is sent.
//!
//! # Features
//!
//! - `serde`: [`ResumptionState`] is `Serialize` and `Deserialize`.
//!
//! The crate uses `std` because `xmpp-stanza` does (its reference parser
//! is built on `std::io`); its own code names only `core` and `alloc`.

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

mod client;
mod config;
mod error;
mod rng;
mod routed;
mod server;
mod sm;
mod time;
mod tls;
mod wire;

pub use client::{Client, ClientEvent};
pub use config::{
    ClientConfig, FastToken, Keepalive, ServerConfig, SmConfig, TlsMode, TlsPolicy, Transport,
};
pub use error::Error;
pub use rng::Seed;
pub use routed::RoutedStanza;
pub use server::{Server, ServerEvent};
pub use sm::ResumptionState;
pub use time::Instant;
pub use tls::TlsInfo;
pub use xmpp_sasl::TlsVersion;
