//! SCRAM (RFC 5802, RFC 7677): the key schedule, the message grammar, and
//! the client and server state machines with one type per phase.
//!
//! The [`ClientSession`](crate::ClientSession) and
//! [`ServerSession`](crate::ServerSession) wrap these for callers who want
//! one `step` for every mechanism; use these types directly to run PBKDF2
//! elsewhere or to cache salted passwords.

pub(crate) mod client;
pub(crate) mod keys;
pub(crate) mod parse;
pub(crate) mod server;
mod text;

pub use client::{
    ClientBinding, ClientFinalSent, ClientFirstSent, NeedsSaltedPassword, ScramClient,
    ServerVerified,
};
pub use keys::{SALT_LEN, SaltedPassword, StoredCredentials};
pub use server::{Authenticated, NeedsCredentials, ScramServer, ServerFirstSent};
pub use text::MAX_TEXT_LEN;
