//! PRECIS: preparation, enforcement and comparison of internationalized
//! strings (RFC 8264), with the profiles XMPP rests on:
//!
//! | profile | RFC | used for |
//! |---|---|---|
//! | [`UsernameCaseMapped`] | RFC 8265 §3.3 | JID localparts (RFC 7622 §3.3), SASL usernames |
//! | [`UsernameCasePreserved`] | RFC 8265 §3.4 | case-sensitive usernames |
//! | [`OpaqueString`] | RFC 8265 §4 | passwords, JID resourceparts (RFC 7622 §3.4) |
//! | [`Nickname`] | RFC 8266 | MUC nicknames, display names |
//!
//! The crate does no I/O and needs no `std`: strings go in, strings (or a
//! typed [`Error`] naming the rule, the code point and its offset) come out.
//! Every operation takes `&str` and returns [`Cow<str>`](alloc::borrow::Cow):
//! input already in enforced form comes back borrowed, without allocating.
//!
//! ```
//! use xmpp_precis::{Error, Nickname, OpaqueString, Profile, UsernameCaseMapped};
//!
//! // Enforcement maps to the canonical form, or says why it cannot.
//! assert_eq!(UsernameCaseMapped.enforce("Ｊｕｌｉｅｔ")?, "juliet");
//! assert_eq!(OpaqueString.enforce("open\u{2003}sesame")?, "open sesame");
//! assert_eq!(Nickname.enforce("  Ｒｏｍｅｏ  ")?, "Romeo");
//! let refused = UsernameCaseMapped.enforce("juliet\u{2764}").unwrap_err();
//! assert_eq!(refused, Error::Disallowed { code_point: '\u{2764}', offset: 6 });
//!
//! // Comparison applies the profile's comparison rules to both sides.
//! assert!(UsernameCaseMapped.compare("JULIET", "juliet")?);
//! assert!(Nickname.compare("Romeo", "ROMEO")?);
//! # Ok::<(), Error>(())
//! ```
//!
//! # Choices the RFCs leave open
//!
//! - **Rule order.** The mapping rules run in the order of RFC 8264 §7 and
//!   repeat until the string is stable (at most three more times); the
//!   string class is checked last, on the mapped string. See [`Profile`].
//! - **Case mapping** is Unicode toLowerCase code point by code point,
//!   without the context-sensitive final-sigma rule (`Σ` → `σ` always), so a
//!   code point's mapping never depends on its neighbours.
//! - **Unicode version.** The tables are generated from the Unicode Character
//!   Database ([`unicode::UNICODE_VERSION`]) by `cargo xtask codegen`; code
//!   points unassigned there are refused ([`Error::Unassigned`]).
//!
//! # Building blocks
//!
//! The [`unicode`] module exposes the RFC 8264 and RFC 5892 (IDNA2008)
//! derived properties; [`bidi`] the RFC 5893 Bidi Rule; [`StringClass`] the
//! class checks with the RFC 5892 Appendix A contextual rules. The JID crate
//! builds its IDNA2008 domain check from them.
//!
//! # Features
//!
//! - `std` (default): enables `std` in the dependencies; the crate itself
//!   needs only `core` and `alloc`, and builds without it.
//! - `arbitrary`: `arbitrary::Arbitrary` generators of strings each
//!   profile accepts (`ValidUsernameCaseMapped`, `ValidUsernameCasePreserved`,
//!   `ValidOpaqueString`, `ValidNickname`), for fuzzing code that takes
//!   PRECIS strings with inputs that get past enforcement; implies `std`.

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

pub mod bidi;
mod class;
mod context;
mod error;
#[cfg(feature = "arbitrary")]
mod fuzzing;
mod profile;
#[rustfmt::skip]
mod tables;
pub mod unicode;

pub use class::StringClass;
pub use context::{ContextChecker, ContextRule};
pub use error::Error;
#[cfg(feature = "arbitrary")]
pub use fuzzing::{
    ValidNickname, ValidOpaqueString, ValidUsernameCaseMapped, ValidUsernameCasePreserved,
};
pub use profile::{
    Nickname, OpaqueString, Profile, ProfileName, UnknownProfile, UsernameCaseMapped,
    UsernameCasePreserved,
};
