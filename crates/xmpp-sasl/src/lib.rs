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
//! A SCRAM exchange, client and server driven against each other in
//! memory, the way a server should run it: the advertised list comes from
//! its configuration, the client picks with [`select`], and a user the
//! server does not know is answered with [`Credentials::UnknownUser`], so
//! the exchange fails exactly as a wrong password does.
//!
//! ```
//! use xmpp_sasl::{
//!     Capabilities, ClientConfig, ClientSession, ClientStep, Credentials, Error, Hash, Nonce,
//!     Prep, ScramError, ServerConfig, ServerSecret, ServerSession, ServerStep, StoredCredentials,
//!     select,
//! };
//!
//! # fn main() -> Result<(), Error> {
//! // The server's configuration holds a secret (random bytes, kept across
//! // restarts) and the parameters its accounts are stored with.
//! let secret = ServerSecret::new(*b"32 random bytes, from the config")?
//!     .accounts(Hash::Sha256, 16, 4096)?;
//! let server_config = ServerConfig::new(secret)
//!     .mechanisms([xmpp_sasl::Mechanism::Scram { hash: Hash::Sha256, plus: false }]);
//! // Account creation: the server stores only derived keys (RFC 5803 text
//! // for its database).
//! let juliet = StoredCredentials::from_password(Hash::Sha256, Prep::SaslPrep, "r0m3o", b"0123456789abcdef", 4096)?;
//! let stored_text = juliet.to_text();
//! let lookup = |authcid: Option<&str>| match authcid {
//!     Some("juliet") => StoredCredentials::from_text(&stored_text).map(Credentials::Scram),
//!     _ => Ok(Credentials::UnknownUser),
//! };
//!
//! // One exchange; Ok(true) when both sides succeed.
//! let exchange = |user: &str, password: &str| -> Result<bool, Error> {
//!     let advertised = server_config.advertised_mechanisms();
//!     let mut caps = Capabilities::default();
//!     caps.password = true;
//!     let choice = select(advertised.iter().map(|m| m.name()), &caps).ok_or(Error::UnsupportedMechanism)?;
//!     let config = ClientConfig::new().username(user).password(password);
//!     let mut client = ClientSession::new(choice, config, Nonce::new("rOprNGfwEbeRWgbNEkqO")?)?;
//!     let mut server = ServerSession::new(choice.mechanism, server_config.clone(), Nonce::new("%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")?)?;
//!
//!     let ClientStep::Send(client_first) = client.step(b"")? else { unreachable!() };
//!     let ServerStep::NeedCredentials(request) = server.step(&client_first)? else { unreachable!() };
//!     let ServerStep::Challenge(server_first) = server.credentials(lookup(request.authcid.as_deref())?)? else { unreachable!() };
//!     let ClientStep::Send(client_final) = client.step(&server_first)? else { unreachable!() };
//!     let ServerStep::Success(outcome) = server.step(&client_final)? else { unreachable!() };
//!     // The client verifies the server signature before it reports success.
//!     let ClientStep::Done { success, .. } = client.step(&outcome.additional_data.unwrap_or_default())? else { unreachable!() };
//!     Ok(success.authcid.as_deref() == Some(user))
//! };
//!
//! assert_eq!(exchange("juliet", "r0m3o"), Ok(true));
//! // A wrong password and an unknown user fail alike: at the proof, with
//! // `e=invalid-proof`.
//! let wrong = exchange("juliet", "guess").unwrap_err();
//! let unknown = exchange("romeo", "guess").unwrap_err();
//! assert_eq!(wrong, unknown);
//! assert_eq!(unknown.scram_error(), Some(ScramError::InvalidProof));
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
//! - Proofs, signatures, HT tokens and PLAIN passwords (as digests) are
//!   compared in constant time (`subtle`); keys, salted passwords,
//!   passwords, tokens, channel-binding data and every client message are
//!   zeroized on drop (`zeroize`) and left out of `Debug`.
//! - A client refuses a server nonce that does not extend its own,
//!   iteration counts outside [`Limits::min_iterations`]..=
//!   [`Limits::max_iterations`] (before running PBKDF2), short salts, `m=`,
//!   and reports success only after verifying the server signature.
//! - A server refuses gs2 flag `y` when it offers `-PLUS` (downgrade), its
//!   own short nonce, and stored credentials with no salt or no
//!   iterations. [`Credentials::UnknownUser`] runs the RFC 5802 §5.1 fake
//!   exchange from a [`ServerSecret`], so an unknown user costs and fails
//!   like a wrong password. Authzids are prepared (or refused) before the
//!   caller sees them; [`Credentials::FastToken`] refuses a replayed
//!   XEP-0484 request and an expired token, after checking the proof.
//!
//! # Layers
//!
//! - [`ClientSession`] / [`ServerSession`]: one `step` for every mechanism.
//! - [`select`]: the client's choice among offered mechanisms, with the
//!   gs2-cbind-flag it must send ([`Choice`], [`CbindFlag`]).
//! - [`ServerConfig`]: the server's lists to advertise (mechanisms,
//!   XEP-0484 `<fast/>`, XEP-0440 binding types) and the XEP-0474 hash of
//!   exactly those.
//! - [`scram`]: the SCRAM phases as separate types, for callers who run
//!   PBKDF2 elsewhere or cache [`SaltedPassword`]s.
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
    ClientConfig, ClientSession, ClientStep, Credentials, CredentialsRequest, FastSlot,
    FastTokenSlot, Refusal, ServerConfig, ServerSession, ServerStep, Success,
};
pub use ssdp::{Ssdp, SsdpForm};
