//! The worst-case inputs of `cargo xtask linear`: each case builds a stream
//! at a scale (1 and 10), and [`run`] frames it with xmpp-stream and builds
//! a tree of every element with xmpp-stanza. `cargo xtask linear` counts
//! the instructions of [`run`] alone (callgrind's `--toggle-collect`) at
//! both scales through the `linear` binary of this crate (a binary, not an
//! example, so that its release build needs none of the peer crates); work linear in the input
//! gives a ratio near 10, a quadratic one near 100.
//!
//! The cases are the inputs a quadratic regression would show on: one
//! token (an attribute value, a text node) of 1 MiB fed one byte at a
//! time, where a scanner that re-read the token at every feed would take
//! 10^12 steps; nesting at the depth limit and attributes at the attribute
//! limit, with the limit raised with the scale, where work per level or per
//! attribute that grew with their number would show; and namespace
//! declarations at their limit with ten times as many prefixed names to
//! resolve against them.

use xmpp_stanza::TreeBuilder;
use xmpp_stream::{Event, Framer, Limits, MAX_DEPTH, MAX_ELEMENT_BYTES, Transport};

/// The stream header every case starts with.
const HEAD: &str = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";

/// The cases, by name.
pub const CASES: [&str; 5] = [
    "attribute-value",
    "text",
    "nesting",
    "attributes",
    "namespace-declarations",
];

/// A case's stream at `scale`, the limits to frame it under, and the
/// chunk size to feed it in; `None` for an unknown case.
pub fn input(case: &str, scale: usize) -> Option<(Vec<u8>, Limits, usize)> {
    let raised = Limits::default().with_max_element_bytes(MAX_ELEMENT_BYTES);
    let mut s = String::from(HEAD);
    let (limits, chunk) = match case {
        // 1 MiB per scale unit, one byte at a time.
        "attribute-value" => {
            s.push_str("<message a='");
            s.push_str(&"v".repeat(scale << 20));
            s.push_str("'/>");
            (raised, 1)
        }
        "text" => {
            s.push_str("<message><body>");
            s.push_str(&"t".repeat(scale << 20));
            s.push_str("</body></message>");
            (raised, 1)
        }
        // 64 stanzas nested 100 deep per scale unit, at the depth limit.
        "nesting" => {
            let depth = 100 * scale;
            for _ in 0..64 {
                s.push_str("<message>");
                s.push_str(&"<a>".repeat(depth - 1));
                s.push_str(&"</a>".repeat(depth - 1));
                s.push_str("</message>");
            }
            (raised.with_max_depth(depth.min(MAX_DEPTH)), 64)
        }
        // 64 stanzas of 400 attributes per scale unit, at the limit.
        "attributes" => {
            let n = 400 * scale;
            for _ in 0..64 {
                s.push_str("<message");
                for i in 1..n {
                    s.push_str(&format!(" a{i}='{i}'"));
                }
                s.push_str("/>");
            }
            (raised.with_max_attributes(n), 64)
        }
        // 1,000 declarations in scope (the limit is 1,024), then 2,000
        // prefixed names per scale unit, each resolved against them.
        "namespace-declarations" => {
            s.push_str("<message>");
            let mut open = 0;
            for d in 0..10 {
                s.push_str("<d");
                for i in 0..100 {
                    s.push_str(&format!(" xmlns:p{}='urn:p{}'", d * 100 + i, i));
                }
                s.push('>');
                open += 1;
            }
            for i in 0..2_000 * scale {
                s.push_str(&format!("<p{}:x/>", i % 1000));
            }
            s.push_str(&"</d>".repeat(open));
            s.push_str("</message>");
            (
                raised
                    .with_max_attributes(128)
                    .with_max_namespace_declarations(1024),
                64,
            )
        }
        _ => return None,
    };
    s.push_str("</stream:stream>");
    Some((s.into_bytes(), limits, chunk))
}

/// Frames `input` fed `chunk` bytes at a time under `limits` and builds
/// the tree of every element; returns the number of tree nodes, so that
/// nothing is optimized away. The function `cargo xtask linear` counts.
///
/// # Panics
///
/// When the input is not a valid stream under `limits`, which a case's
/// input always is.
#[inline(never)]
#[allow(
    clippy::expect_used,
    reason = "a measuring tool over generated input: a failure is a bug to stop on"
)]
pub fn run(input: &[u8], limits: Limits, chunk: usize) -> usize {
    let mut framer = Framer::with_limits(Transport::Tcp, limits).expect("limits");
    let mut builder = TreeBuilder::new();
    let mut nodes = 0;
    for c in input.chunks(chunk) {
        framer.feed(c);
        while let Some(event) = framer.next_event().expect("a valid stream") {
            if let Event::Element(frame) = event {
                let tree = builder.from_frame(&frame).expect("a valid element");
                nodes += tree.children().count() + 1;
            }
        }
    }
    framer.finish().expect("a complete stream");
    nodes
}
