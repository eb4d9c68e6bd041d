//! Fuzzes `xmpp_session::Client::handle_input` with any bytes as the
//! server's: a client on a plain stream (PLAIN allowed) fed the input in
//! chunks, its timers fired between them. Invariants: no panic; an error
//! repeats on the next call; what it writes stays proportional to what it
//! reads.
//!
//! Input layout: byte 0 is the chunk size (0 means whole); the rest is
//! what the server sends.
//!
//! The invariants live in `fuzz/checks/session_client_input.rs`, shared with the
//! regression test that replays `testdata/fuzz-regressions/session_client_input/`.
#![no_main]

#[path = "../checks/session_client_input.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
