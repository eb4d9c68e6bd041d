//! Integration tests of xmpp-stanza: the vectors of `testdata/stanzas/`
//! and round-trip properties.

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    reason = "tests run with std"
)]

mod deep;
mod forward;
mod onepass;
mod payloads;
mod roundtrip;
mod vectors;
mod writer;

use std::path::PathBuf;

/// The workspace's `testdata/` folder.
pub(crate) fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}
