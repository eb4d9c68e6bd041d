//! Structure-aware fuzzing of `xmpp_stream::Framer`: a valid stream from
//! xmpp-stream's generator (`ValidStream`, the `arbitrary` feature), then a
//! list of structured mutations: truncate, flip a byte, split the feeding
//! at a point or inside a UTF-8 sequence, deepen the nesting, duplicate an
//! attribute. Invariants:
//!
//! - the unmutated stream frames without error, and every element builds
//!   a tree (xmpp-stanza's `Element::from_frame`);
//! - whatever the mutations, no panic, and the events (and the error) are
//!   the same fed whole and fed in the chunks the splits make; an error
//!   repeats on the next call;
//! - a stream only cut short gives a prefix of the whole stream's events,
//!   and an error only at `finish` (input ending inside an element);
//! - an attribute written twice in one tag is refused.
//!
//! The fuzz target and the regression test of `cargo test -p xtask` (the
//! files of `testdata/fuzz-regressions/stream_structured/` and the seeds)
//! both run this.

use arbitrary::{Arbitrary, Unstructured};
use xmpp_stream::{Event, Framer, FramingError, Transport, ValidStream};

/// One structured mutation; offsets wrap around the stream's length.
#[derive(Arbitrary, Debug, Clone, Copy)]
enum Op {
    /// Cut the stream at this offset.
    Truncate(u16),
    /// XOR the byte at this offset with a non-zero mask.
    FlipByte(u16, u8),
    /// Feed the stream in two pieces cut here.
    Split(u16),
    /// Cut the feeding inside the first multi-byte UTF-8 sequence at or
    /// after this offset.
    SplitUtf8(u16),
    /// Insert this many empty `<d>` levels, balanced, before the first end
    /// tag at or after this offset.
    DeepenNesting(u16, u8),
    /// Write the first attribute at or after this offset twice.
    DuplicateAttribute(u16),
}

/// What the mutations made of the stream.
struct Mutated {
    bytes: Vec<u8>,
    /// Where the feeding is cut, sorted.
    splits: Vec<usize>,
    /// Whether only truncation changed the bytes.
    only_cut: bool,
    /// Whether an attribute was duplicated (and nothing else changed).
    duplicated: bool,
}

fn at(offset: u16, len: usize) -> usize {
    usize::from(offset) % (len + 1)
}

fn apply(stream: &[u8], ops: &[Op]) -> Mutated {
    let mut m = Mutated {
        bytes: stream.to_vec(),
        splits: Vec::new(),
        only_cut: true,
        duplicated: false,
    };
    let mut other = false;
    for &op in ops {
        let len = m.bytes.len();
        match op {
            Op::Truncate(o) => m.bytes.truncate(at(o, len)),
            Op::FlipByte(o, mask) => {
                if let Some(b) = m.bytes.get_mut(at(o, len)) {
                    *b ^= mask.max(1);
                    other = true;
                }
            }
            Op::Split(o) => m.splits.push(at(o, len)),
            Op::SplitUtf8(o) => {
                let start = at(o, len);
                if let Some(i) = m.bytes[start..].iter().position(|&b| b >= 0xC0) {
                    m.splits.push(start + i + 1);
                }
            }
            Op::DeepenNesting(o, levels) => {
                let start = at(o, len);
                if let Some(i) = m.bytes[start..].windows(2).position(|w| w == b"</") {
                    let levels = usize::from(levels);
                    let insert = format!("{}{}", "<d>".repeat(levels), "</d>".repeat(levels));
                    m.bytes.splice(start + i..start + i, insert.into_bytes());
                    other = true;
                }
            }
            Op::DuplicateAttribute(o) => {
                if let Some((from, to)) = attribute(&m.bytes, at(o, len)) {
                    let copy = m.bytes[from..to].to_vec();
                    m.bytes.splice(to..to, copy);
                    m.duplicated = !other && m.only_cut;
                    other = true;
                }
            }
        }
        if other {
            m.only_cut = false;
        }
    }
    if m.duplicated
        && ops
            .iter()
            .filter(|op| !matches!(op, Op::Split(_) | Op::SplitUtf8(_)))
            .count()
            != 1
    {
        m.duplicated = false;
    }
    let len = m.bytes.len();
    m.splits.retain(|&s| s <= len);
    m.splits.sort_unstable();
    m
}

/// The first attribute ` name='value'` (or with `"`) at or after `start`
/// inside a tag the generator wrote: its span, leading space included.
fn attribute(bytes: &[u8], start: usize) -> Option<(usize, usize)> {
    let eq = start
        + bytes[start..]
            .windows(2)
            .position(|w| w == b"='" || w == b"=\"")?;
    let quote = bytes[eq + 1];
    let from = bytes[..eq].iter().rposition(|&b| b == b' ')?;
    // The name must be a plain name, so that this is an attribute.
    let name = &bytes[from + 1..eq];
    if name.is_empty()
        || !name
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b':' || b == b'_')
    {
        return None;
    }
    let end = eq + 2 + bytes[eq + 2..].iter().position(|&b| b == quote)?;
    Some((from, end + 1))
}

type Run = (Vec<Event>, Option<FramingError>, bool);

/// The events of `input` fed in the pieces `splits` cut it into; the
/// error, and whether it came from `finish`.
fn events(t: Transport, input: &[u8], splits: &[usize]) -> Run {
    let mut f = Framer::new(t);
    let mut events = Vec::new();
    let mut from = 0;
    for &to in splits.iter().chain(std::iter::once(&input.len())) {
        f.feed(&input[from..to.max(from)]);
        from = to.max(from);
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
                    return (events, Some(e), false);
                }
            }
        }
    }
    let err = f.finish().err();
    let at_finish = err.is_some();
    (events, err, at_finish)
}

/// Runs one input; panics when an invariant does not hold.
pub(crate) fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(stream) = ValidStream::arbitrary(&mut u) else {
        return;
    };
    let Ok(ops) = Vec::<Op>::arbitrary_take_rest(u) else {
        return;
    };
    let t = stream.transport;
    let (original, err, _) = events(t, &stream.bytes, &[]);
    assert_eq!(err, None, "a generated stream must frame");
    for ev in &original {
        if let Event::Element(frame) = ev {
            if let Err(e) = xmpp_stanza::Element::from_frame(frame) {
                panic!("a framed element must build a tree: {e}: {}", frame.xml());
            }
        }
    }

    let m = apply(&stream.bytes, &ops);
    let whole = events(t, &m.bytes, &[]);
    let chunked = events(t, &m.bytes, &m.splits);
    assert_eq!(
        chunked.0, whole.0,
        "the events must not depend on the chunking"
    );
    assert_eq!(
        chunked.1, whole.1,
        "the error must not depend on the chunking"
    );
    if m.only_cut {
        assert!(
            original.starts_with(&whole.0),
            "a cut stream's events must be a prefix of the whole stream's"
        );
        assert!(
            whole.1.is_none() || whole.2,
            "a cut stream fails only at finish: {:?}",
            whole.1
        );
    }
    if m.duplicated {
        assert!(whole.1.is_some(), "a duplicated attribute must be refused");
    }
}
