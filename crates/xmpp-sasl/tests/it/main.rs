//! Integration tests of xmpp-sasl: the vectors and malformed messages under
//! `testdata/sasl/`, client/server pairs, and property tests.

#![allow(
    clippy::std_instead_of_alloc,
    clippy::std_instead_of_core,
    reason = "integration tests run with std"
)]

mod common;
mod enumeration;
mod malformed;
mod pair;
mod policy;
mod props;
mod secrets;
mod vectors;
