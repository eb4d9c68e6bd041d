//! The whole path of the stanza bench, shared by `benches/stanza.rs` and
//! the `stanza_path` driver so that both measure the same code: xmpp-stream
//! frames the corpus in 64 KiB chunks, xmpp-stanza reads every element as a
//! tree and every stanza as a typed one, as far as [`Depth`] says. One
//! `TreeBuilder` serves the whole stream, as it would a connection.

use xmpp_stanza::{Stanza, TreeBuilder};
use xmpp_stream::{Event, Framer, Limits, Transport};

/// How far along the path to go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// Framing only.
    Frame,
    /// Framing and a tree of every element.
    Tree,
    /// Framing, trees, and a typed stanza of every stanza.
    Typed,
}

impl Depth {
    /// `frame`, `tree` or `typed`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "frame" => Some(Self::Frame),
            "tree" => Some(Self::Tree),
            "typed" => Some(Self::Typed),
            _ => None,
        }
    }
}

/// Runs the path over `corpus`, a generated stream; returns a count that
/// depends on every element read (so that no stage can be optimized away):
/// odd frame lengths, tree nodes, or stanzas that are not errors.
///
/// # Panics
///
/// When `corpus` is not a valid stream of valid stanzas, which a generated
/// corpus always is.
#[allow(
    clippy::expect_used,
    reason = "a bench over a generated corpus: a failure is a bug to stop on"
)]
pub fn run(corpus: &[u8], depth: Depth) -> usize {
    let mut framer = Framer::with_limits(Transport::Tcp, Limits::default()).expect("limits");
    let mut builder = TreeBuilder::new();
    let mut count = 0;
    for chunk in corpus.chunks(64 * 1024) {
        framer.feed(chunk);
        while let Some(ev) = framer.next_event().expect("valid corpus") {
            if let Event::Element(frame) = ev {
                if depth == Depth::Frame {
                    count += frame.xml().len() & 1;
                    continue;
                }
                let e = builder.from_frame(&frame).expect("tree");
                if depth == Depth::Tree {
                    count += e.node_count();
                    continue;
                }
                if matches!(e.name(), "message" | "presence" | "iq") {
                    let s = Stanza::from_element(e).expect("stanza");
                    count += usize::from(!s.is_error());
                }
            }
        }
    }
    count
}
