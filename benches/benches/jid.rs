//! JID parsing, side by side with the `jid` crate of xmpp-rs (which applies
//! RFC 6122 stringprep and no IDNA2008 check), on the same inputs:
//!
//! (a) `user@example.com`, already in enforced form;
//! (b) `Juliet@Example.COM/Balcony`, which case mapping changes;
//! (c) a non-ASCII full JID;
//! (d) a batch of 10,000 realistic JIDs (mostly ASCII, some upper case, some
//!     non-ASCII, many with resources).
//!
//! Run with `cargo bench -p xmpp-benches --bench jid`.

#![allow(
    missing_docs,
    reason = "criterion_group! generates an undocumented function"
)]

use core::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const SINGLE: &[(&str, &str)] = &[
    ("a-normalized-ascii", "user@example.com"),
    ("b-mapped-ascii", "Juliet@Example.COM/Balcony"),
    ("c-non-ascii", "J\u{FC}rgen@B\u{FC}cher.example/K\u{FC}che"),
];

fn single(c: &mut Criterion) {
    for (name, input) in SINGLE {
        // Both must accept the input, or the comparison means nothing.
        assert!(xmpp_jid::Jid::new(input).is_ok(), "{input}");
        assert!(jid::Jid::new(input).is_ok(), "{input}");
        let mut group = c.benchmark_group(format!("jid/{name}"));
        group.throughput(Throughput::Bytes(input.len() as u64));
        group.bench_function("xmpp-jid", |b| {
            b.iter(|| xmpp_jid::Jid::new(black_box(input)));
        });
        group.bench_function("jid (xmpp-rs)", |b| {
            b.iter(|| jid::Jid::new(black_box(input)));
        });
        group.finish();
    }
}

fn batch_of_10k(c: &mut Criterion) {
    let inputs = xmpp_benches::jids::batch();
    let ours = inputs
        .iter()
        .filter(|s| xmpp_jid::Jid::new(s).is_ok())
        .count();
    let theirs = inputs.iter().filter(|s| jid::Jid::new(s).is_ok()).count();
    assert_eq!((ours, theirs), (inputs.len(), inputs.len()));
    let bytes: usize = inputs.iter().map(String::len).sum();
    let mut group = c.benchmark_group("jid/d-batch-10k");
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function("xmpp-jid", |b| {
        b.iter(|| {
            for s in &inputs {
                let _ = black_box(xmpp_jid::Jid::new(black_box(s)));
            }
        });
    });
    group.bench_function("jid (xmpp-rs)", |b| {
        b.iter(|| {
            for s in &inputs {
                let _ = black_box(jid::Jid::new(black_box(s)));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, single, batch_of_10k);
criterion_main!(benches);
