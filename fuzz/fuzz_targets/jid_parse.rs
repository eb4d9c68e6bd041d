//! JID parsing on arbitrary input (RFC 7622 and legacy RFC 6122): no panic;
//! a parsed JID re-parses to itself; its parts enforce to themselves and
//! rebuild it; XEP-0106 unescaping never fails and escaping round-trips,
//! also across enforcement.
//!
//! The invariants live in `fuzz/checks/jid_parse.rs`, shared with the
//! regression test that replays `testdata/fuzz-regressions/jid_parse/`.
#![no_main]

#[path = "../checks/jid_parse.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
