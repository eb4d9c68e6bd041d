//! Allocation counts that are part of the crates' contracts, measured with a
//! counting global allocator (`stats_alloc`). One test function, so no other
//! test thread allocates while a region is open.

use core::hint::black_box;
use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use xmpp_precis::{Nickname, OpaqueString, Profile, UsernameCaseMapped, UsernameCasePreserved};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn allocations(f: impl Fn()) -> usize {
    let region = Region::new(GLOBAL);
    f();
    region.change().allocations
}

#[test]
fn precis_enforcement_of_enforced_input_allocates_nothing() {
    let cases: [(&dyn Profile, &str); 8] = [
        (&UsernameCaseMapped, "juliet.capulet"),
        (&UsernameCaseMapped, "jüliet.καπουλέτη"),
        (&UsernameCasePreserved, "Juliet"),
        (&UsernameCasePreserved, "\u{05D0}\u{05D1}"),
        (&OpaqueString, "correct horse battery staple"),
        (&OpaqueString, "πßå ♦"),
        (&Nickname, "Foo Bar"),
        (&Nickname, "Ρωμαίος ♚"),
    ];
    for (profile, input) in cases {
        let n = allocations(|| {
            let out = profile.enforce(black_box(input));
            assert_eq!(out.as_deref(), Ok(input));
        });
        assert_eq!(n, 0, "{} allocated {n} times on {input:?}", profile.name());
    }
    // A string that maps allocates its result once.
    let n = allocations(|| {
        let _ = black_box(UsernameCaseMapped.enforce(black_box("Juliet")));
    });
    assert_eq!(n, 1);
}
