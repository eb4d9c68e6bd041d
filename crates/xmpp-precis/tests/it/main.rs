//! Integration tests of xmpp-precis: the vectors of `testdata/precis/` and
//! property tests of the invariants RFC 8264 asks for.

mod properties;
mod vectors;
