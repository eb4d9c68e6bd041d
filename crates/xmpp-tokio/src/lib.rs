//! The tokio runtime adapter of `xmpp-session`: what quinn is to
//! quinn-proto. It moves bytes, timers and TLS for the sans-I/O
//! [`xmpp_session::Client`] and [`xmpp_session::Server`] and decides
//! nothing about XMPP:
//!
//! - TCP with STARTTLS (RFC 6120 §5) or direct TLS (XEP-0368), TLS from
//!   rustls with the `ring` provider; the machines get the version and the
//!   channel-binding data rustls gives (`tls-exporter`, RFC 9266;
//!   `tls-server-end-point`, RFC 5929 §4.1; never `tls-unique`, which
//!   rustls does not expose and TLS 1.3 does not have).
//! - WebSocket (RFC 7395) on the server side: subprotocol `xmpp` on
//!   [`WEBSOCKET_PATH`], one element per message.
//! - A client API ([`connect`], then [`ClientSession`]: events, send,
//!   close) and a server API ([`Listener`], whose [`ServerSession`]s hand
//!   the machine's decisions to the application and take its answers).
//!
//! # Example
//!
//! A server and a client on loopback, without TLS:
//!
//! ```
//! use xmpp_jid::BareJid;
//! use xmpp_sasl::{Credentials, Hash, Mechanism, Prep, ServerSecret, StoredCredentials};
//! use xmpp_session::{ClientConfig, ClientEvent, ServerConfig, ServerEvent, TlsPolicy};
//! use xmpp_tokio::{ConnectOptions, Listener, ListenerKind, Trust};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! runtime.block_on(async {
//!     let secret = ServerSecret::new([7; 32])?.accounts(Hash::Sha256, 12, 4096)?;
//!     let stored = StoredCredentials::from_password(
//!         Hash::Sha256, Prep::SaslPrep, "r0m30", b"salt-1234567", 4096)?;
//!     let config = ServerConfig::new("example.com", secret)
//!         .tls(TlsPolicy::Off)
//!         .mechanisms([Mechanism::Scram { hash: Hash::Sha256, plus: false }]);
//!     let listener =
//!         Listener::bind("127.0.0.1:0".parse()?, ListenerKind::Tcp, config, None).await?;
//!     let addr = listener.local_addr()?;
//!     // The application's side of one session.
//!     tokio::spawn(async move {
//!         let Ok(mut session) = listener.accept().await else { return };
//!         while let Some(event) = session.next_event().await {
//!             match event {
//!                 xmpp_tokio::ServerSessionEvent::Session(ServerEvent::CredentialsRequest { .. }) => {
//!                     session.provide_credentials(Credentials::Scram(stored.clone()));
//!                 }
//!                 xmpp_tokio::ServerSessionEvent::Session(ServerEvent::BindRequest { suggested, .. }) => {
//!                     session.accept_bind(&suggested);
//!                 }
//!                 _ => {}
//!             }
//!         }
//!     });
//!     let jid = BareJid::new("juliet@example.com")?;
//!     let config = ClientConfig::new(jid, "r0m30").tls(TlsPolicy::Off);
//!     let mut client =
//!         xmpp_tokio::connect(ConnectOptions::new(config, addr.to_string(), Trust::Insecure)).await?;
//!     while let Some(event) = client.next_event().await {
//!         if let xmpp_tokio::ClientSessionEvent::Session(ClientEvent::Bound { jid }) = event {
//!             assert!(jid.as_str().starts_with("juliet@example.com/"));
//!             client.close().await;
//!         }
//!     }
//!     Ok::<_, Box<dyn std::error::Error>>(())
//! })?;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]
#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    reason = "the I/O adapter is a std crate: sockets, tasks and time are std's"
)]

mod client;
mod gate;
mod io;
mod queue;
mod server;
mod tls;

pub use client::{ClientSession, ConnectOptions, Event as ClientSessionEvent, connect};
pub use server::{
    DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_WRITE_STALL, Direction, Event as ServerSessionEvent,
    Listener, ListenerKind, ServerSession, SessionSender, Tap, WEBSOCKET_PATH,
};
pub use tls::{CertSource, ServerTls, Trust, client_config as tls_client_config};
