//! The server side of every mechanism on arbitrary client messages: no
//! panic, no unbounded work, and a failed session keeps returning the same
//! error (the sans-I/O contract).
//!
//! Input: one byte choosing the mechanism, then the client's messages
//! separated by the bytes FF FE (never valid UTF-8, so never inside a
//! well-formed text message).
//!
//! The invariants live in `fuzz/checks/sasl_server_step.rs`, shared with the
//! regression test that replays `testdata/fuzz-regressions/sasl_server_step/`.
#![no_main]

#[path = "../checks/sasl_server_step.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
