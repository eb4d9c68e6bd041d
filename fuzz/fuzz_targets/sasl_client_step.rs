//! The client side of every mechanism on arbitrary server messages: no
//! panic, no unbounded work (the iteration count is bounded by the limits),
//! and a failed session keeps returning the same error.
//!
//! Input: one byte choosing the mechanism, then the server's messages
//! separated by the bytes FF FE.
//!
//! The invariants live in `fuzz/checks/sasl_client_step.rs`, shared with the
//! regression test that replays `testdata/fuzz-regressions/sasl_client_step/`.
#![no_main]

#[path = "../checks/sasl_client_step.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
