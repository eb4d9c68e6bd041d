//! Fuzzes `xmpp_stream::Framer::feed`/`next_event` with the input choosing
//! the transport and the chunk boundaries too. Invariants: no panic, and the
//! events (and the error, if any) are the same as when the stream is fed
//! whole; an error repeats on the next call; a TCP stream the framer
//! accepts is read by quick-xml with the same header and top-level elements.
//!
//! Input layout: byte 0 picks the transport (bits 6-7) and the number of
//! chunk-size bytes that follow (bits 0-3); those bytes are chunk sizes used
//! in turn (0 means 1); the rest is the stream.
//!
//! The invariants live in `fuzz/checks/stream_feed.rs`, shared with the
//! regression test that replays `testdata/fuzz-regressions/stream_feed/`.
#![no_main]

#[path = "../checks/stream_feed.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
