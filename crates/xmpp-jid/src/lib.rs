//! XMPP addresses (JIDs): parsing, enforcement and comparison per RFC 7622,
//! with a legacy RFC 6122 mode and XEP-0106 escaping.
//!
//! A JID is `[localpart@]domainpart[/resourcepart]` (RFC 7622 §3.1). Parsing
//! splits it before any mapping, then enforces each part:
//!
//! | part | rule | RFC 7622 |
//! |---|---|---|
//! | localpart | PRECIS UsernameCaseMapped, then no `" & ' / : < > @` | §3.3 |
//! | domainpart | trailing dot stripped; IPv4 kept; IPv6 in RFC 5952 form; else width, case, NFC mapping and IDNA2008 labels (A-labels become U-labels) | §3.2 |
//! | resourcepart | PRECIS OpaqueString | §3.4 |
//!
//! Each part is 1 to 1023 octets after enforcement. The IDNA2008 check
//! (RFC 5891 §5.4: RFC 5892 derived properties and contextual rules, RFC
//! 5893 Bidi Rule, hyphen rules, 63-octet A-labels) uses the same generated
//! Unicode tables as [`xmpp_precis`], so `☃.net` is refused where UTS 46
//! would accept it.
//!
//! The crate does no I/O and needs no `std`: strings go in, JIDs or a typed
//! [`Error`] (naming the part and the rule, mapping to `jid-malformed`) come
//! out. A parsed JID is stored as one enforced string with the positions of
//! its separators: parsing allocates once; `Hash`, `Eq` and `Ord` compare
//! the enforced form; input that is all ASCII is validated without
//! allocating anything else.
//!
//! ```
//! use xmpp_jid::{BareJid, Error, FullJid, Jid, ResourcePart};
//!
//! let jid: Jid = "Juliet@Example.COM/Balcony".parse()?;
//! assert_eq!(jid, "juliet@example.com/Balcony");
//! assert_eq!(jid.localpart(), Some("juliet"));
//!
//! // A-labels and U-labels are the same domain; IPv6 compares canonically.
//! assert_eq!(Jid::new("xn--bcher-kva.example")?, Jid::new("B\u{FC}cher.example")?);
//! assert_eq!(Jid::new("[0:0::1]")?, Jid::new("[::1]")?);
//!
//! // Typed bare and full JIDs, cheap to convert.
//! let full = FullJid::new("romeo@example.net/orchard")?;
//! let bare: BareJid = full.to_bare();
//! assert_eq!(bare.with_resource(&ResourcePart::new("garden")?), "romeo@example.net/garden");
//!
//! // Errors name the part and the rule.
//! let e = Jid::new("juliet@\u{2603}.net").unwrap_err();
//! assert_eq!(e.kind(), "domainpart-disallowed");
//! assert_eq!(e.condition(), "jid-malformed");
//! # Ok::<(), Error>(())
//! ```
//!
//! # Choices the RFCs leave open
//!
//! - **Case mapping** of localparts and domain labels is code point by code
//!   point, without the final-sigma rule, as in xmpp-precis.
//! - **Bidi**: when any label of the domainpart holds a right-to-left
//!   character, every label must satisfy the Bidi Rule (RFC 5893 §2,
//!   "Bidi domain name"), not only the right-to-left ones.
//! - **Order of errors**: localpart, then domainpart, then resourcepart.
//!
//! # Features
//!
//! - `std` (default): nothing beyond `alloc` in this crate.
//! - `stringprep` (default, implies `std`): [`LegacyJid`], RFC 6122
//!   Nodeprep, Nameprep and Resourceprep. A type of its own, so that every
//!   [`Jid`] is what [`Jid::new`] accepts.
//! - `serde`: JIDs as strings, validated on deserialization.
//! - `arbitrary` (implies `std`): `ValidJid`, an `arbitrary::Arbitrary`
//!   generator of strings [`Jid::new`] accepts, for fuzzing code that takes
//!   addresses with inputs that get past their parsing.

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

mod domain;
mod error;
pub mod escape;
mod fast;
#[cfg(feature = "arbitrary")]
mod fuzzing;
mod jid;
#[cfg(feature = "stringprep")]
mod legacy;
mod parts;
mod punycode;
mod repr;
#[cfg(feature = "serde")]
mod serde;

pub use error::{Error, Part};
#[cfg(feature = "arbitrary")]
pub use fuzzing::ValidJid;
pub use jid::{BareJid, FullJid, Jid};
#[cfg(feature = "stringprep")]
pub use legacy::{LegacyJid, legacy_canonical};
pub use parts::{DomainPart, LocalPart, ResourcePart};
