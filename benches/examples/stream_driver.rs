//! One framing run over the bench corpus, for instruction counts
//! (`perf stat -e instructions`, `valgrind --tool=callgrind`), which stay
//! stable on a busy machine where the criterion bench's times do not:
//! `stream_driver <ours|rxml|quick-xml|memchr|none> <chunk bytes> [MB] [runs]`
//! (`none` only builds the corpus, the baseline to subtract). With `runs`,
//! it also prints the CPU time per run, for a rough ratio between peers.

#![allow(clippy::std_instead_of_core, reason = "a std-only measuring tool")]

use xmpp_benches::{corpus, framing};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("ours", String::as_str);
    let chunk: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(65536);
    let mb: usize = args.get(3).and_then(|v| v.parse().ok()).unwrap_or(5);
    let runs: u32 = args.get(4).and_then(|v| v.parse().ok()).unwrap_or(1);
    let input = corpus::c2s_stream(mb * 1_000_000);
    let start = cpu_time::ThreadTime::now();
    let mut n = 0;
    for _ in 0..runs {
        n = run(which, &input, chunk);
    }
    let per_run = start.elapsed() / runs;
    let mib_s = input.len() as f64 / per_run.as_secs_f64() / f64::from(1 << 20);
    println!(
        "{which} chunk {chunk}: {n} events over {} bytes, {per_run:?} per run, {mib_s:.0} MiB/s",
        input.len()
    );
}

fn run(which: &str, input: &[u8], chunk: usize) -> usize {
    match which {
        "ours" => framing::ours(input, chunk),
        "rxml" => framing::rxml(input, chunk),
        "quick-xml" => framing::quick_xml(input),
        "memchr" => framing::memchr_floor(input),
        _ => 0,
    }
}
