//! Structure-aware fuzzing of `xmpp_stream::Framer`: a valid stream from
//! `xmpp_stream::ValidStream`, mutated by a list of structured operations
//! (truncate, flip a byte, split, split inside UTF-8, deepen the nesting,
//! duplicate an attribute).
//!
//! The invariants live in `fuzz/checks/stream_structured.rs`, shared with
//! the regression test that replays its seeds and
//! `testdata/fuzz-regressions/stream_structured/`.
#![no_main]

#[path = "../checks/stream_structured.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
