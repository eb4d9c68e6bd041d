//! The peak heap of xmpp-stream's framer (every transport) and of
//! xmpp-stanza's tree builder under adversarial input (issue 12), measured
//! with a counting global allocator (`allocation-counter`, which counts
//! per thread, so the tests may run in parallel), against the bounds that
//! the configured [`Limits`] imply, as the docs of `Limits` state them:
//!
//! - a framer fed `chunk` bytes at a time holds at most
//!   `3 × (max_element_bytes + chunk) + 48 × max_depth +
//!   16 × max_attributes + 64 × max_namespace_declarations + 16 KiB`:
//!   its input buffer (at most the element plus one chunk, which `Vec`
//!   growth may double while it copies) and the element's copy as an event;
//!   the attribute, open-element and declaration stacks;
//! - between stanzas, with the events dropped, it holds under 1 KiB;
//! - a tree builder building one element of `n` bytes holds at most
//!   `64 × n + 8 × max_attributes + 16 KiB`: the tree and its scratch
//!   stacks (an element costs at least 4 bytes of input, `<a/>`, and at
//!   most 256 bytes while it is built: its node, and the growth of the
//!   list of finished children that holds it); between elements it keeps
//!   at most 8 KiB in each of its 5 scratch buffers, as `TreeBuilder`'s
//!   docs say (not under 1 KiB: the buffers of usual stanzas are kept so
//!   that a stream of them allocates only its trees).
//!
//! The adversarial elements: a huge attribute, endless text, nesting at
//! the depth limit, the attribute limit, the namespace declaration limit,
//! and as many tiny children as fit (the largest tree per input byte);
//! each once within its limit and once past it.

use allocation_counter::measure;
use xmpp_stanza::TreeBuilder;
use xmpp_stream::{Event, Framer, Limits, Transport};

/// The stream opening and closing of each transport; top-level elements
/// declare their own namespace, as WebSocket and BOSH need.
const TRANSPORTS: [(Transport, &str, &str); 4] = [
    (
        Transport::Tcp,
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>",
        "</stream:stream>",
    ),
    (
        Transport::WebSocket,
        "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>",
        "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>",
    ),
    (
        Transport::Bosh,
        "<body sid='s' xmlns='http://jabber.org/protocol/httpbind'>",
        "</body>",
    ),
    (
        Transport::BoshRequests,
        "<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'>",
        "</body>",
    ),
];

/// A small stanza that follows the adversarial one, so that the framer is
/// idle between two stanzas after it.
const NEXT: &str = "<presence xmlns='jabber:client'/>";

const OPEN: &str = "<message xmlns='jabber:client'>";

/// The bound on a framer's peak heap that `limits` imply when it is fed
/// `chunk` bytes at a time (the docs of `xmpp_stream::Limits`).
fn framer_bound(limits: &Limits, chunk: usize) -> usize {
    3 * (limits.max_element_bytes + chunk)
        + 16 * limits.max_attributes
        + 48 * limits.max_depth
        + 64 * limits.max_namespace_declarations
        + 16 * 1024
}

/// The bound on a tree builder's peak heap while it builds the tree of an
/// element of `n` bytes (the docs of `xmpp_stream::Limits`).
fn tree_bound(limits: &Limits, n: usize) -> usize {
    64 * n + 8 * limits.max_attributes + 16 * 1024
}

/// The adversarial elements for `limits`: name, bytes, and whether the
/// framer accepts them.
fn cases(l: &Limits) -> Vec<(&'static str, String, bool)> {
    let e = l.max_element_bytes;
    let attribute = |n: usize| format!("<message xmlns='jabber:client' a='{}'/>", "v".repeat(n));
    let text = |n: usize| format!("{OPEN}<body>{}</body></message>", "x".repeat(n));
    let nested = |depth: usize| {
        format!(
            "{OPEN}{}{}</message>",
            "<a>".repeat(depth - 1),
            "</a>".repeat(depth - 1)
        )
    };
    let attributes = |n: usize| {
        let list: String = (1..n).map(|i| format!(" a{i}=''")).collect();
        format!("<message xmlns='jabber:client'{list}/>")
    };
    // Declarations spread over nested elements (each under the attribute
    // limit), then a prefixed name for each, resolved against them all.
    let declarations = |n: usize| {
        let per = l.max_attributes - 1;
        let mut s = String::from(OPEN);
        let mut open = 0;
        let mut i = 0;
        while i < n {
            s.push_str("<d");
            for _ in 0..per.min(n - i) {
                s.push_str(&format!(" xmlns:p{i}='urn:p'"));
                i += 1;
            }
            s.push('>');
            open += 1;
        }
        for i in 0..n {
            s.push_str(&format!("<p{i}:x/>"));
        }
        s.push_str(&"</d>".repeat(open));
        s.push_str("</message>");
        s
    };
    let children = |n: usize| format!("{OPEN}{}</message>", "<a/>".repeat(n));
    vec![
        ("huge attribute", attribute(e - 100), true),
        ("huge attribute", attribute(e), false),
        ("endless text", text(e - 100), true),
        ("endless text", text(e), false),
        ("nesting", nested(l.max_depth), true),
        ("nesting", nested(l.max_depth + 1), false),
        ("attributes", attributes(l.max_attributes), true),
        ("attributes", attributes(l.max_attributes + 1), false),
        (
            "namespace declarations",
            declarations(l.max_namespace_declarations - 4),
            true,
        ),
        (
            "namespace declarations",
            declarations(l.max_namespace_declarations + 1),
            false,
        ),
        ("tiny children", children((e - 100) / 4), true),
        ("tiny children", children(e / 4), false),
    ]
}

/// Feeds `input` `chunk` bytes at a time, dropping events as they come;
/// the framer (idle or failed), the frames of the elements kept, and
/// whether the stream failed.
fn frame(
    transport: Transport,
    limits: Limits,
    input: &[u8],
    chunk: usize,
    keep: bool,
) -> (Framer, Vec<xmpp_stream::Frame>, bool) {
    let mut f = Framer::with_limits(transport, limits).unwrap();
    let mut frames = Vec::new();
    for c in input.chunks(chunk) {
        f.feed(c);
        loop {
            match f.next_event() {
                Ok(Some(Event::Element(e))) if keep => frames.push(*e),
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => return (f, frames, true),
            }
        }
    }
    (f, frames, false)
}

fn check(limits: Limits, chunks: &[usize]) {
    for (name, element, accepted) in cases(&limits) {
        for (transport, open, close) in TRANSPORTS {
            let input = format!("{open}{element}{NEXT}{close}");
            let case = format!("{transport:?}, {name} of {} bytes", element.len());
            for &chunk in chunks {
                let mut outcome = None;
                let info = measure(|| {
                    outcome = Some(frame(transport, limits, input.as_bytes(), chunk, false));
                });
                let (framer, _, failed) = outcome.unwrap();
                assert_eq!(failed, !accepted, "{case}, chunk {chunk}");
                let bound = framer_bound(&limits, chunk);
                assert!(
                    info.bytes_max as usize <= bound,
                    "{case}, chunk {chunk}: peak {} over {bound}",
                    info.bytes_max
                );
                if accepted {
                    // The framer is what is left allocated: it is idle.
                    assert!(
                        info.bytes_current < 1024,
                        "{case}, chunk {chunk}: holds {} bytes between stanzas",
                        info.bytes_current
                    );
                    assert!(framer.heap_size() < 1024, "{case}, chunk {chunk}");
                }
                eprintln!(
                    "{case}, chunk {chunk}: peak {} (bound {bound}), then {}",
                    info.bytes_max, info.bytes_current
                );
                drop(framer);
            }
        }
        if accepted {
            let (_, frames, _) = frame(
                Transport::Tcp,
                limits,
                format!("{}{element}", TRANSPORTS[0].1).as_bytes(),
                usize::MAX,
                true,
            );
            let [frame] = &frames[..] else {
                panic!("{name}: one frame")
            };
            // A fresh builder each time, made inside the measurement: what
            // is left allocated after the tree is dropped is its scratch.
            let mut builder = None;
            let info = measure(|| {
                let mut b = TreeBuilder::new();
                assert!(b.from_frame(frame).is_ok(), "{name}");
                builder = Some(b);
            });
            let bound = tree_bound(&limits, element.len());
            assert!(
                info.bytes_max as usize <= bound,
                "tree of {name}: peak {} over {bound}",
                info.bytes_max
            );
            assert!(
                info.bytes_current <= 5 * 8 * 1024,
                "tree of {name}: keeps {}",
                info.bytes_current
            );
            eprintln!(
                "tree of {name}: peak {} (bound {bound}), keeps {}",
                info.bytes_max, info.bytes_current
            );
            builder = None;
            let info = measure(|| {
                let mut b = TreeBuilder::new();
                let tree = b.from_bytes_with_limits(element.as_bytes(), &limits);
                assert!(tree.is_ok(), "{name}");
                builder = Some(b);
            });
            assert!(
                info.bytes_max as usize <= bound,
                "standalone tree of {name}: peak {} over {bound}",
                info.bytes_max
            );
            assert!(
                info.bytes_current <= 5 * 8 * 1024,
                "standalone tree of {name}: keeps {}",
                info.bytes_current
            );
            eprintln!(
                "standalone tree of {name}: peak {} (bound {bound}), keeps {}",
                info.bytes_max, info.bytes_current
            );
        }
    }
}

#[test]
fn default_limits_bound_the_peak_heap() {
    check(Limits::default(), &[1, 1500, 65536]);
}

#[test]
fn raised_limits_bound_the_peak_heap() {
    let limits = Limits::default()
        .with_max_element_bytes(1 << 20)
        .with_max_depth(xmpp_stream::MAX_DEPTH)
        .with_max_attributes(4096)
        .with_max_namespace_declarations(xmpp_stream::MAX_NAMESPACE_DECLARATIONS);
    check(limits, &[1500, 65536]);
}
