//! One framing run over the bench corpus, for instruction counts
//! (`perf stat -e instructions`, `valgrind --tool=callgrind`), which stay
//! stable on a busy machine where the criterion bench's times do not:
//! `stream_driver <ours|rxml|quick-xml|memchr|none> <chunk bytes> [MB] [runs]`
//! (`none` only builds the corpus, the baseline to subtract). With `runs`,
//! it also prints the CPU time per run, for a rough ratio between peers.

#![allow(
    clippy::std_instead_of_core,
    clippy::unwrap_used,
    reason = "a std-only measuring tool"
)]

use rxml::Parse as _;
use xmpp_benches::corpus;
use xmpp_stream::{Event, Framer, Transport};

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
        "ours" => {
            let mut f = Framer::new(Transport::Tcp);
            let mut n = 0;
            for c in input.chunks(chunk) {
                f.feed(c);
                while let Some(ev) = f.next_event().unwrap() {
                    n += usize::from(matches!(ev, Event::Element(_)));
                }
            }
            n
        }
        "rxml" => {
            let mut p = rxml::Parser::new();
            let mut n = 0;
            for c in input.chunks(chunk) {
                let mut c = c;
                while let Ok(Some(_)) = p.parse(&mut c, false) {
                    n += 1;
                }
            }
            n
        }
        "quick-xml" => {
            let mut r = quick_xml::Reader::from_reader(input);
            let mut n = 0;
            while !matches!(r.read_event().unwrap(), quick_xml::events::Event::Eof) {
                n += 1;
            }
            n
        }
        "memchr" => memchr::memchr_iter(b'<', input).count(),
        _ => 0,
    }
}
