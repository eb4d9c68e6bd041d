//! The framing runs of the stream bench, shared by `benches/stream.rs` and
//! the `stream_driver` example so that both measure the same code: ours,
//! the peers the issue names, and the memchr floor, each over one corpus.
//! Each returns the number of events it saw, so that no run can be
//! optimized away.

use xmpp_stream::{Event, Framer, Transport};

/// xmpp-stream fed `chunk` bytes at a time; the number of elements.
///
/// # Panics
///
/// When `input` is not a valid stream, which a generated corpus always is.
#[allow(
    clippy::unwrap_used,
    reason = "a bench over a generated corpus: a failure is a bug to stop on"
)]
pub fn ours(input: &[u8], chunk: usize) -> usize {
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

/// rxml's namespace-resolving incremental parser, same chunking; the
/// number of events.
///
/// # Panics
///
/// When rxml refuses `input`.
pub fn rxml(input: &[u8], chunk: usize) -> usize {
    use rxml::Parse as _;
    let mut p = rxml::Parser::new();
    let mut n = 0;
    for c in input.chunks(chunk) {
        let mut c = c;
        loop {
            match p.parse(&mut c, false) {
                Ok(Some(_)) => n += 1,
                Ok(None) | Err(rxml::error::EndOrError::NeedMoreData) => break,
                Err(e) => panic!("rxml: {e:?}"),
            }
        }
    }
    n
}

/// quick-xml's raw reader over the whole buffer (it has no push API); the
/// number of events.
///
/// # Panics
///
/// When quick-xml refuses `input`.
#[allow(
    clippy::unwrap_used,
    reason = "a bench over a generated corpus: a failure is a bug to stop on"
)]
pub fn quick_xml(input: &[u8]) -> usize {
    let mut r = quick_xml::Reader::from_reader(input);
    let mut n = 0;
    loop {
        match r.read_event().unwrap() {
            quick_xml::events::Event::Eof => return n,
            _ => n += 1,
        }
    }
}

/// The floor: every `<` found with memchr.
pub fn memchr_floor(input: &[u8]) -> usize {
    memchr::memchr_iter(b'<', input).count()
}
