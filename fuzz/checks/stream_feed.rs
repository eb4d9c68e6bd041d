//! Fuzzes `xmpp_stream::Framer::feed`/`next_event` with the input choosing
//! the transport and the chunk boundaries too. Invariants: no panic, and the
//! events (and the error, if any) are the same as when the stream is fed
//! whole; an error repeats on the next call.
//!
//! Input layout: byte 0 picks the transport (bits 6-7) and the number of
//! chunk-size bytes that follow (bits 0-3); those bytes are chunk sizes used
//! in turn (0 means 1); the rest is the stream.
//!
//! The fuzz target and the regression test of `cargo test -p xtask` (the
//! files of `testdata/fuzz-regressions/stream_feed/`) both run this.

use xmpp_stream::{Event, Framer, StreamError, Transport};

fn events(t: Transport, input: &[u8], sizes: &[u8]) -> (Vec<Event>, Option<StreamError>) {
    let mut f = Framer::new(t);
    let mut events = Vec::new();
    let mut rest = input;
    let mut i = 0;
    while !rest.is_empty() {
        let n = if sizes.is_empty() {
            rest.len()
        } else {
            usize::from(sizes[i % sizes.len()]).max(1).min(rest.len())
        };
        i += 1;
        let (chunk, tail) = rest.split_at(n);
        rest = tail;
        f.feed(chunk);
        loop {
            match f.next_event() {
                Ok(Some(ev)) => {
                    let restart = matches!(&ev, Event::Element(e) if e.restarts_stream());
                    events.push(ev);
                    if restart && !t.is_bosh() {
                        f.reset();
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    assert_eq!(f.next_event(), Err(e.clone()), "the error must repeat");
                    return (events, Some(e));
                }
            }
        }
    }
    let err = f.finish().err();
    (events, err)
}

/// Runs one input; panics when an invariant does not hold.
pub(crate) fn run(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let t = match head >> 6 {
        1 => Transport::WebSocket,
        2 => Transport::Bosh,
        3 => Transport::BoshRequests,
        _ => Transport::Tcp,
    };
    let k = usize::from(head & 0x0F).min(rest.len());
    let (sizes, input) = rest.split_at(k);
    let whole = events(t, input, &[]);
    let chunked = events(t, input, sizes);
    assert_eq!(chunked, whole);
}
