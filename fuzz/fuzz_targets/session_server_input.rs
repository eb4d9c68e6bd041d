//! Fuzzes `xmpp_session::Server::handle_input` with any bytes at any phase:
//! a server on a plain stream (PLAIN allowed, so that a seed can log in)
//! answers every request itself (any user's password is `pencil`; binds
//! take the suggested resource; resumptions are refused) and fires its
//! timers between chunks. Invariants: no panic; an error repeats on the
//! next call; what it writes stays proportional to what it reads.
//!
//! Input layout: byte 0 is the chunk size (0 means whole); the rest is
//! what the client sends.
//!
//! The invariants live in `fuzz/checks/session_server_input.rs`, shared with the
//! regression test that replays `testdata/fuzz-regressions/session_server_input/`.
#![no_main]

#[path = "../checks/session_server_input.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
