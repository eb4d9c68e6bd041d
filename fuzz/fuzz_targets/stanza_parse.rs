//! Fuzzes xmpp-stanza's untrusted entry points. Invariants: no panic; a
//! tree that parses serializes to bytes that parse back to the same tree;
//! a valid stanza round-trips through its element; an invalid one keeps
//! its element and, unless it is an error, has a reply that parses.
//!
//! Input layout: byte 0 bit 0 picks the path: standalone bytes
//! (`Element::from_bytes`) or framing inside a `jabber:client` stream
//! (`Element::from_frame`); the rest is the XML. Both are also built
//! through quick-xml (`from_bytes_via_quick_xml`,
//! `from_frame_via_quick_xml`): a framed element gives the same tree both
//! ways, and standalone bytes the single checking pass accepts are
//! accepted by quick-xml as the same tree. The frames of one input go
//! through one `TreeBuilder` as well, whose reused buffers must give the
//! same trees as a one-off `from_frame`. And the framer is held to the
//! single checking pass: the bytes of every element it frames must pass
//! every check of `Element::from_bytes` but namespace resolution (the
//! stream header's prefixes are not declared in them), and the other way
//! round: standalone bytes the strict pass accepts frame inside a stream.
//!
//! The invariants live in `fuzz/checks/stanza_parse.rs`, shared with the
//! regression test that replays `testdata/fuzz-regressions/stanza_parse/`.
#![no_main]

#[path = "../checks/stanza_parse.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|data: &[u8]| check::run(data));
