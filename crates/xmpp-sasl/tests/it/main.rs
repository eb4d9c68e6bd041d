//! Integration tests of xmpp-sasl: the vectors and malformed messages under
//! `testdata/sasl/`, client/server pairs, and property tests.

mod common;
mod malformed;
mod pair;
mod props;
mod vectors;
