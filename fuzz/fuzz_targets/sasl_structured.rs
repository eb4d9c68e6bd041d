//! Structure-aware fuzzing of SCRAM: a whole exchange between our client
//! and server with arbitrary valid parameters, one message mutated in
//! flight (truncated, a byte flipped, fields dropped, repeated, swapped or
//! given other values).
//!
//! The invariants live in `fuzz/checks/sasl_structured.rs`, shared with
//! the regression test that replays its seeds and
//! `testdata/fuzz-regressions/sasl_structured/`.
#![no_main]

#[path = "../checks/sasl_structured.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
