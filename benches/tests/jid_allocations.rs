//! Allocation counts of xmpp-jid, part of its contract (issue 3: at most
//! one allocation per parsed JID, none when combining enforced parts beyond
//! the JID's own string), measured with a counting global allocator. One
//! test function, so no other test thread allocates while a region is open.

use core::hint::black_box;
use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use xmpp_jid::{BareJid, DomainPart, FullJid, Jid, LocalPart, ResourcePart};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn allocations(f: impl Fn()) -> usize {
    let region = Region::new(GLOBAL);
    f();
    region.change().allocations
}

#[test]
fn jid_allocations() {
    // Parsing: at most one allocation, none for JIDs that fit inline (48
    // bytes), whether they are enforced already or need mapping.
    for (input, most) in [
        ("user@example.com", 0),
        ("Juliet@Example.COM/Balcony", 0),
        ("juliet@example.com/Balcony", 0),
        ("J\u{FC}rgen@b\u{FC}cher.example", 0),
        ("J\u{FC}rgen@B\u{FC}cher.example/K\u{FC}che", 0),
        ("carol.smith42@conference.example.net/Gajim.x4Tq", 0),
        ("Carol.Smith42@Conference.Example.NET/Gajim.x4Tq", 0),
        ("a-rather-long-localpart@conference.example.org/resource", 1),
        ("[::1]", 0),
    ] {
        let n = allocations(|| {
            black_box(Jid::new(black_box(input)).expect("valid"));
        });
        assert!(
            n <= most,
            "Jid::new({input:?}) allocated {n} times, expected at most {most}"
        );
    }
    // A String already in enforced form keeps its buffer.
    let owned = String::from("a-rather-long-localpart@conference.example.org/resource");
    let n = allocations(|| {
        black_box(Jid::try_from(black_box(owned.clone())).expect("valid"));
    });
    assert_eq!(n, 1, "only the clone allocates");
    // Parts already enforced borrow; combining them is one allocation at
    // most, none inline (48 bytes).
    let local = LocalPart::new("romeo").expect("valid");
    let domain = DomainPart::new("conference.example.net").expect("valid");
    let resource = ResourcePart::new("a resource that is long").expect("valid");
    let n = allocations(|| {
        black_box(LocalPart::new(black_box("romeo")).expect("valid"));
        black_box(DomainPart::new(black_box("example.net")).expect("valid"));
    });
    assert_eq!(n, 0, "enforced parts are borrowed");
    let n = allocations(|| {
        black_box(FullJid::from_parts(Some(&local), &domain, &resource));
    });
    assert_eq!(n, 1, "52 bytes: one allocation");
    let n = allocations(|| {
        black_box(BareJid::from_parts(Some(&local), &domain));
    });
    assert_eq!(n, 0, "28 bytes: inline");
    let short = DomainPart::new("example.net").expect("valid");
    let n = allocations(|| {
        black_box(BareJid::from_parts(Some(&local), &short));
    });
    assert_eq!(n, 0, "17 bytes: inline");
    // Conversions by value reuse the string.
    let full =
        FullJid::new("a-rather-long-localpart@conference.example.org/resource").expect("valid");
    let n = allocations(|| {
        black_box(full.clone().into_bare());
    });
    assert_eq!(n, 1, "only the clone allocates");
}
