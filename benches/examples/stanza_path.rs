//! Runs one depth of the stanza bench's corpus path, for instruction
//! counts (`valgrind --tool=callgrind`, `perf stat -e instructions`), which
//! a shared machine's wall clock cannot give:
//! `stanza_path <none|frame|tree|typed> [MB] [runs]`. The corpus is
//! generated before the path runs; subtract a `none` run to count the path
//! alone. With `runs`, it also prints the CPU time per run (the thread's,
//! not the wall clock's), for same-run A/B comparisons of two builds.
#![allow(
    clippy::print_stdout,
    reason = "a measuring tool: it prints its result"
)]

use core::hint::black_box;

use xmpp_benches::stanza_path::{self, Depth};

fn main() {
    let mut args = std::env::args().skip(1);
    let depth = args.next().unwrap_or_else(|| "typed".into());
    let mb: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2);
    let runs: Option<u32> = args.next().and_then(|a| a.parse().ok());
    let corpus = xmpp_benches::corpus::c2s_stream(mb * 1_000_000);
    let Some(depth) = Depth::parse(&depth) else {
        println!("{} bytes", corpus.len());
        return;
    };
    let Some(runs) = runs.filter(|&r| r > 0) else {
        let count = stanza_path::run(&corpus, depth);
        println!("{} bytes, {}", corpus.len(), black_box(count));
        return;
    };
    let start = cpu_time::ThreadTime::now();
    let mut count = 0;
    for _ in 0..runs {
        count = stanza_path::run(black_box(&corpus), depth);
    }
    let per_run = start.elapsed() / runs;
    let mb_s = corpus.len() as f64 / per_run.as_secs_f64() / 1e6;
    println!(
        "{depth:?}: {} bytes, {}, {per_run:?} CPU per run, {mb_s:.1} MB/s",
        corpus.len(),
        black_box(count)
    );
}
