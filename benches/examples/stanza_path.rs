//! Runs one depth of the stanza bench's corpus path, for instruction
//! counts (`valgrind --tool=callgrind`, `perf stat -e instructions`), which
//! a shared machine's wall clock cannot give:
//! `stanza_path <none|frame|tree|typed> [MB] [runs]`. The corpus is
//! generated before the path runs; subtract a `none` run to count the path
//! alone. With `runs`, it also prints the CPU time per run (the thread's,
//! not the wall clock's), for same-run A/B comparisons of two builds.
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
    let runs: Option<u32> = args.next().and_then(|a| a.parse().ok());
    let corpus = xmpp_benches::corpus::c2s_stream(mb * 1_000_000);
    if depth == "none" {
        println!("{} bytes", corpus.len());
        return;
    }
    let Some(runs) = runs.filter(|&r| r > 0) else {
        let count = path(&corpus, &depth);
        println!("{} bytes, {}", corpus.len(), black_box(count));
        return;
    };
    let start = cpu_time::ThreadTime::now();
    let mut count = 0;
    for _ in 0..runs {
        count = path(black_box(&corpus), &depth);
    }
    let per_run = start.elapsed() / runs;
    let mb_s = corpus.len() as f64 / per_run.as_secs_f64() / 1e6;
    println!(
        "{depth}: {} bytes, {}, {per_run:?} CPU per run, {mb_s:.1} MB/s",
        corpus.len(),
        black_box(count)
    );
}

/// Frames `corpus` and reads every element as deep as `depth` says.
fn path(corpus: &[u8], depth: &str) -> usize {
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
    count
}
