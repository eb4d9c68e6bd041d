//! PRECIS enforcement, ours and the `precis-profiles` crate, on the same
//! inputs in the same group: UsernameCaseMapped and OpaqueString on
//! (a) ASCII already enforced, (b) ASCII mixed case, (c) non-ASCII.
//!
//! `cargo bench -p xmpp-benches --bench precis`. Before the timings it
//! prints the allocations each call makes, counted with `stats_alloc`.

#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]

use core::hint::black_box;
use std::alloc::System;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use precis_core::profile::Profile as _;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use xmpp_precis::{OpaqueString, Profile as _, UsernameCaseMapped};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const INPUTS: &[(&str, &str)] = &[
    ("a-ascii-enforced", "juliet.capulet"),
    ("b-ascii-mixed-case", "Juliet.Capulet"),
    ("c-non-ascii", "Jüliet.Καπουλέτη"),
];

fn allocations(f: impl Fn()) -> usize {
    let region = Region::new(GLOBAL);
    f();
    region.change().allocations
}

fn report_allocations() {
    let theirs_u = precis_profiles::UsernameCaseMapped::default();
    let theirs_o = precis_profiles::OpaqueString::default();
    for (name, input) in INPUTS {
        let ours_u = allocations(|| {
            let _ = black_box(UsernameCaseMapped.enforce(black_box(input)));
        });
        let ours_o = allocations(|| {
            let _ = black_box(OpaqueString.enforce(black_box(input)));
        });
        let peer_u = allocations(|| {
            let _ = black_box(theirs_u.enforce(black_box(*input)));
        });
        let peer_o = allocations(|| {
            let _ = black_box(theirs_o.enforce(black_box(*input)));
        });
        println!(
            "allocations per call, {name}: UsernameCaseMapped ours {ours_u} / precis-profiles {peer_u}; \
             OpaqueString ours {ours_o} / precis-profiles {peer_o}"
        );
    }
}

type Enforce = Box<dyn Fn(&str) -> usize>;

fn bench(c: &mut Criterion) {
    report_allocations();
    let theirs_u = precis_profiles::UsernameCaseMapped::default();
    let theirs_o = precis_profiles::OpaqueString::default();
    let profiles: [(&str, Enforce, Enforce); 2] = [
        (
            "UsernameCaseMapped",
            Box::new(|s| UsernameCaseMapped.enforce(s).map_or(0, |c| c.len())),
            Box::new(move |s| theirs_u.enforce(s).map_or(0, |c| c.len())),
        ),
        (
            "OpaqueString",
            Box::new(|s| OpaqueString.enforce(s).map_or(0, |c| c.len())),
            Box::new(move |s| theirs_o.enforce(s).map_or(0, |c| c.len())),
        ),
    ];
    for (profile, ours, peer) in &profiles {
        let mut group = c.benchmark_group(format!("precis/{profile}"));
        for (name, input) in INPUTS {
            group.throughput(Throughput::Bytes(input.len() as u64));
            group.bench_with_input(BenchmarkId::new("xmpp-precis", name), input, |b, s| {
                b.iter(|| ours(black_box(s)));
            });
            group.bench_with_input(BenchmarkId::new("precis-profiles", name), input, |b, s| {
                b.iter(|| peer(black_box(s)));
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
