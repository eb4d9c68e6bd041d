//! The heap an idle xmpp-stream framer holds between stanzas (issue 4: under
//! 1 KiB), measured with a counting global allocator. One test function, so
//! no other test thread allocates while the region is open.

use std::alloc::System;

use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use xmpp_benches::corpus;
use xmpp_stream::{Framer, Transport};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn an_idle_framer_holds_under_1_kib_of_heap() {
    let input = corpus::c2s_stream(2_000_000);
    // Where each event ends, to feed the stream one stanza at a time too.
    let mut ends = Vec::new();
    let mut f = Framer::new(Transport::Tcp);
    f.feed(&input);
    while f.next_event().unwrap().is_some() {
        ends.push(usize::try_from(f.consumed()).unwrap());
    }
    let stanzas: Vec<&[u8]> = ends.windows(2).map(|w| &input[w[0]..w[1]]).collect();
    let head = &input[..ends[0]];
    for chunk in [1, 7, 64, 0] {
        let pieces: Vec<&[u8]> = if chunk == 0 {
            core::iter::once(head)
                .chain(stanzas.iter().copied())
                .collect()
        } else {
            input.chunks(chunk).collect()
        };
        let region = Region::new(GLOBAL);
        let mut framer = Framer::new(Transport::Tcp);
        let mut worst = 0isize;
        let mut idle_points = 0;
        for c in pieces {
            framer.feed(c);
            while let Some(event) = framer.next_event().unwrap() {
                drop(event);
            }
            if framer.unconsumed().is_empty() {
                // Everything fed has been reported and the events dropped:
                // what is still allocated belongs to the framer.
                let s = region.change();
                // Reallocations are already counted in both totals.
                let held = s.bytes_allocated as isize - s.bytes_deallocated as isize;
                worst = worst.max(held);
                idle_points += 1;
                assert!(
                    framer.heap_size() < 1024,
                    "chunk {chunk}: heap_size {}",
                    framer.heap_size()
                );
            }
        }
        assert!(
            idle_points > 50,
            "chunk {chunk}: only {idle_points} idle points"
        );
        assert!(
            worst < 1024,
            "chunk {chunk}: an idle framer holds {worst} bytes"
        );
        eprintln!("chunk {chunk}: an idle framer holds at most {worst} bytes of heap");
        drop(framer);
    }
}
