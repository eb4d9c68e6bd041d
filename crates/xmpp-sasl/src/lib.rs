//! SASL mechanisms as client and server state machines, free of I/O and
//! XML: PLAIN (RFC 4616), EXTERNAL (RFC 4422 Appendix A), ANONYMOUS
//! (RFC 4505), SCRAM-SHA-1/-256/-512 and their `-PLUS` variants (RFC 5802,
//! RFC 7677) with `tls-unique`, `tls-server-end-point` (RFC 5929) and
//! `tls-exporter` (RFC 9266) channel binding, XEP-0474 downgrade
//! protection, and HT-SHA-256-* for XEP-0484 FAST tokens (both draft
//! framings, see [`HtVersion`]).
//!
//! The crate does no I/O: bytes go in, bytes and outcomes come out. The
//! caller carries the messages (base64 in XML for XMPP), supplies the
//! credentials, the channel-binding data from its TLS layer, and the nonces
//! (randomness is injected so that tests are deterministic).
//!
//! # Example
//!
//! A SCRAM-SHA-256 exchange, client and server driven against each other in
//! memory:
//!
//! ```
//! use xmpp_sasl::{
//!     Choice, ClientConfig, ClientSession, ClientStep, Credentials, Hash, Mechanism, Nonce, Prep,
//!     ServerConfig, ServerSecret, ServerSession, ServerStep, StoredCredentials,
//! };
//!
//! # fn main() -> Result<(), xmpp_sasl::Error> {
//! let mechanism = Mechanism::Scram { hash: Hash::Sha256, plus: false };
//! // Account creation: the server stores only derived keys.
//! let stored = StoredCredentials::from_password(Hash::Sha256, Prep::SaslPrep, "pencil", b"0123456789ab", 4096)?;
//!
//! let config = ClientConfig::new().username("user").password("pencil");
//! let mut client = ClientSession::new(Choice::unbound(mechanism), config, Nonce::new("rOprNGfwEbeRWgbNEkqO")?)?;
//! let mut server = ServerSession::new(mechanism, ServerConfig::new(ServerSecret::new(*b"from the server's configuration")?), Nonce::new("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")?)?;
//!
//! let ClientStep::Send(client_first) = client.step(b"")? else { unreachable!() };
//! let ServerStep::NeedCredentials(request) = server.step(&client_first)? else { unreachable!() };
//! assert_eq!(request.authcid.as_deref(), Some("user"));
//! let ServerStep::Challenge(server_first) = server.credentials(Credentials::Scram(stored))? else { unreachable!() };
//! let ClientStep::Send(client_final) = client.step(&server_first)? else { unreachable!() };
//! let ServerStep::Success(outcome) = server.step(&client_final)? else { unreachable!() };
//! let server_final = outcome.additional_data.unwrap_or_default();
//! // The client verifies the server signature before it reports success.
//! let ClientStep::Done { success, .. } = client.step(&server_final)? else { unreachable!() };
//! assert_eq!(success.authcid.as_deref(), Some("user"));
//! # Ok(())
//! # }
//! ```
//!
//! # Hostile input and secrets
//!
//! - Every message is bounded ([`Limits::max_message_len`]) and parsed
//!   (with `nom`) into borrowed slices; nothing panics, and after an error a
//!   session keeps returning that error. Each failure maps to an RFC 6120
//!   §6.5 [`Condition`] and, for SCRAM, to the `e=` value of RFC 5802 §7
//!   ([`Error::scram_error`]).
//! - The SCRAM AuthMessage is built from the exact bytes exchanged, so
//!   optional attributes (XEP-0474 `h=`, anything unknown) are signed.
//! - Proofs, signatures and HT tokens are compared in constant time
//!   (`subtle`); keys, salted passwords, passwords and channel-binding data
//!   are zeroized on drop (`zeroize`).
//! - A client refuses a server nonce that does not extend its own,
//!   iteration counts outside [`Limits::min_iterations`]..=
//!   [`Limits::max_iterations`] (before running PBKDF2), short salts, `m=`,
//!   and reports success only after verifying the server signature.
//! - A server refuses gs2 flag `y` when it offers `-PLUS` (downgrade), and
//!   can answer for unknown users with [`StoredCredentials::mock`] so they
//!   fail like a wrong password.
//!
//! # Layers
//!
//! - [`ClientSession`] / [`ServerSession`]: one `step` for every mechanism.
//! - [`scram`]: the SCRAM phases as separate types, for callers who run
//!   PBKDF2 elsewhere or cache [`SaltedPassword`]s.
//! - [`select`]: the client's choice among offered mechanisms.
//!
//! # Features
//!
//! - `std` (default): `std` support in dependencies.
//! - `saslprep` (default): SASLprep (RFC 4013) through the `stringprep`
//!   crate; without it, only [`Prep::None`] works.
//! - `getrandom` (default): [`Nonce::from_os`].

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
#[cfg(test)]
extern crate std;

mod cb;
mod config;
mod error;
mod ht;
mod mechanism;
mod prep;
pub mod scram;
mod session;
mod simple;
mod ssdp;

pub use cb::{ChannelBinding, ChannelBindingType, TlsVersion};
pub use config::{Limits, Nonce, ServerSecret};
pub use error::{Condition, Error, Field, Message, ScramError};
pub use ht::HtVersion;
pub use mechanism::{Capabilities, CbindFlag, Choice, Hash, HtBinding, Mechanism, select};
pub use prep::Prep;
pub use scram::{SaltedPassword, StoredCredentials};
pub use session::{
    ClientConfig, ClientSession, ClientStep, Credentials, CredentialsRequest, Refusal,
    ServerConfig, ServerSession, ServerStep, Success,
};
pub use ssdp::{Ssdp, SsdpForm};
