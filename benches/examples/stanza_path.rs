//! Runs one depth of the stanza bench's corpus path once, for instruction
//! counts (`valgrind --tool=callgrind`, `perf stat -e instructions`), which
//! a shared machine's wall clock cannot give:
//! `stanza_path <frame|tree|typed> [MB]`. The corpus is generated before
//! the path runs; subtract a `none` run to count the path alone.
#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    reason = "a measuring tool: it prints its result and stops on a bad corpus"
)]

use core::hint::black_box;

use xmpp_stanza::{Stanza, TreeBuilder};
use xmpp_stream::{Event, Framer, Limits, Transport};

fn main() {
    let mut args = std::env::args().skip(1);
    let depth = args.next().unwrap_or_else(|| "typed".into());
    let mb: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let corpus = xmpp_benches::corpus::c2s_stream(mb * 1_000_000);
    if depth == "none" {
        println!("{} bytes", corpus.len());
        return;
    }
    let mut framer = Framer::with_limits(Transport::Tcp, Limits::default()).expect("limits");
    let mut builder = TreeBuilder::new();
    let mut count = 0usize;
    for chunk in corpus.chunks(64 * 1024) {
        framer.feed(chunk);
        while let Some(ev) = framer.next_event().expect("valid corpus") {
            if let Event::Element(frame) = ev {
                if depth == "frame" {
                    count += frame.xml().len() & 1;
                    continue;
                }
                let e = builder.from_frame(&frame).expect("tree");
                if depth == "tree" {
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
    println!("{} bytes, {}", corpus.len(), black_box(count));
}
