//! Integration tests of xmpp-stream: golden event files of
//! `testdata/streams/`, chunking independence, adversarial inputs.

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    reason = "a std-only test binary"
)]

mod adversarial;
mod chunking;
mod golden;
mod render;
mod writer;
