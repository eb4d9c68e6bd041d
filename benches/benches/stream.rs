//! Framing throughput: xmpp-stream against rxml's incremental parser and
//! quick-xml's raw `Reader` over the whole buffer, with a memchr scan for `<`
//! as the floor, on a generated ~50 MB c2s stream fed in 64 KiB, 1,500-byte,
//! 64-byte and 1-byte chunks (issue 4). Also prints the heap an idle framer
//! holds between stanzas. Times are the CPU time of the measuring thread.
//!
//! `cargo bench -p xmpp-benches --bench stream -- --warm-up-time 1 --measurement-time 3`
//! (`XMPP_BENCH_MB` changes the corpus size).

#![allow(
    clippy::std_instead_of_core,
    clippy::unwrap_used,
    reason = "a std-only bench"
)]
#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{
    BenchmarkId, Criterion, SamplingMode, Throughput, criterion_group, criterion_main,
};
use xmpp_benches::corpus;
use xmpp_benches::framing::{memchr_floor, ours, quick_xml, rxml};
use xmpp_stream::{Framer, Transport};

const CHUNKS: &[(usize, &str)] = &[(65536, "64KiB"), (1500, "1500B"), (64, "64B"), (1, "1B")];

fn corpus_bytes() -> Vec<u8> {
    let mb: usize = std::env::var("XMPP_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    corpus::c2s_stream(mb * 1_000_000)
}

fn idle_heap(input: &[u8]) -> usize {
    // Feed whole stanzas and measure between them, after `Ok(None)`.
    let mut f = Framer::new(Transport::Tcp);
    let end = input.len().min(1 << 20);
    let mut worst = 0;
    for c in input[..end].chunks(1500) {
        f.feed(c);
        while f.next_event().unwrap().is_some() {}
        if f.unconsumed().is_empty() {
            worst = worst.max(f.heap_size());
        }
    }
    worst + size_of::<Framer>()
}

/// CPU time of the measuring thread: the figures are CPU time, and
/// on a machine shared with other builds wall time mostly measures them.
struct CpuTime;

static WALL: WallTime = WallTime;

impl Measurement for CpuTime {
    type Intermediate = cpu_time::ThreadTime;
    type Value = Duration;

    fn start(&self) -> Self::Intermediate {
        cpu_time::ThreadTime::now()
    }

    fn end(&self, i: Self::Intermediate) -> Duration {
        i.elapsed()
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

fn bench(c: &mut Criterion<CpuTime>) {
    let input = corpus_bytes();
    assert_eq!(
        ours(&input, 65536),
        ours(&input, 1500),
        "chunking must not change the events"
    );
    eprintln!(
        "corpus: {} bytes, {} top-level elements; idle framer: {} bytes (struct + heap)",
        input.len(),
        ours(&input, 65536),
        idle_heap(&input)
    );
    for &(chunk, label) in CHUNKS {
        let mut g = c.benchmark_group(format!("stream/{label}"));
        g.throughput(Throughput::Bytes(input.len() as u64));
        g.sample_size(10);
        g.sampling_mode(SamplingMode::Flat);
        g.bench_function(BenchmarkId::new("xmpp-stream", label), |b| {
            b.iter(|| ours(&input, chunk));
        });
        g.bench_function(BenchmarkId::new("rxml", label), |b| {
            b.iter(|| rxml(&input, chunk));
        });
        if chunk == 65536 {
            g.bench_function("quick-xml (whole buffer)", |b| b.iter(|| quick_xml(&input)));
            g.bench_function("memchr '<' (whole buffer)", |b| {
                b.iter(|| memchr_floor(&input));
            });
        }
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(CpuTime);
    targets = bench
}
criterion_main!(benches);
