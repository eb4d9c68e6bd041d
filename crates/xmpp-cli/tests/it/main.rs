//! Integration tests of the `xmpp` command, run as a process.

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    reason = "a std-only test binary"
)]

mod frame;
