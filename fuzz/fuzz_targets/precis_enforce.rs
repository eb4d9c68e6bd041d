//! Every profile on arbitrary input: no panic; enforcement is idempotent
//! (RFC 8264 §7); comparison agrees with enforce-then-equal; an enforced
//! string is valid in its profile's class.
//!
//! The invariants live in `fuzz/checks/precis_enforce.rs`, shared with the
//! regression test that replays `testdata/fuzz-regressions/precis_enforce/`.
#![no_main]

#[path = "../checks/precis_enforce.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
