//! xmpp-stanza side by side with minidom + xmpp-parsers on the same bytes:
//! parse (tree, then typed) and serialize a chat message, a presence with
//! caps and an iq roster result with 200 items; then the whole path
//! (xmpp-stream framing + tree + typed stanza) over the deterministic c2s
//! corpus of `xmpp_benches::corpus` (the xmpp-stream bench's), 50 MB,
//! beside xmpp-rs's own stream path over the same bytes (rxml's
//! incremental parser feeding xso's builder of `xmpp_parsers::Stanza`).
//!
//! `cargo bench -p xmpp-benches --bench stanza`. Before the timings it
//! prints the allocations per stanza of each path, counted with
//! `stats_alloc`. `XMPP_BENCH_CORPUS_MB` sets the corpus size (default 50).

#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented items"
)]
#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    reason = "a std-only bench binary"
)]

use core::hint::black_box;
use std::alloc::System;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use xmpp_benches::stanza_path::{self, Depth};
use xmpp_parsers::minidom;
use xmpp_stanza::{Element, Stanza, TreeBuilder};
use xmpp_stream::{Event, Framer, Limits, Transport};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const CHAT: &str = "<message xmlns='jabber:client' from='juliet@capulet.example/balcony' \
    to='romeo@montague.example/orchard' id='5a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d' type='chat' xml:lang='en'>\
    <body>Art thou not Romeo, and a Montague? &lt;3 What&apos;s in a name? That which we call a rose \
    by any other word would smell as sweet.</body>\
    <thread>e0ffe42b28561960c6b12b944a092794b9683a38</thread>\
    <active xmlns='http://jabber.org/protocol/chatstates'/>\
    <request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/>\
    <origin-id xmlns='urn:xmpp:sid:0' id='de305d54-75b4-431b-adb2-eb6b9e546014'/></message>";

const PRESENCE: &str = "<presence xmlns='jabber:client' from='romeo@montague.example/orchard' \
    to='juliet@capulet.example' id='pr1' xml:lang='en'><show>away</show>\
    <status>Wooing Juliet under the balcony</status><priority>5</priority>\
    <c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://conversations.im' \
    ver='QgayPKawpkPSDYmwT/WM94uAlu0='/>\
    <delay xmlns='urn:xmpp:delay' from='montague.example' stamp='2002-09-10T23:41:07Z'/></presence>";

fn roster(n: usize) -> String {
    let mut s = String::from(
        "<iq xmlns='jabber:client' id='bv1bs71f' to='juliet@example.com/chamber' type='result'>\
         <query xmlns='jabber:iq:roster' ver='ver11'>",
    );
    for i in 0..n {
        s.push_str(&format!(
            "<item jid='contact{i}@example{}.net' name='Contact &amp; Friend {i}' subscription='both'>\
             <group>Friends</group><group>Group {}</group></item>",
            i % 7,
            i % 13
        ));
    }
    s.push_str("</query></iq>");
    s
}

fn ours_tree(xml: &str) -> Element {
    Element::from_bytes(xml.as_bytes()).expect("parses")
}

fn ours_typed(xml: &str) -> Stanza {
    Stanza::from_element(ours_tree(xml)).expect("a valid stanza")
}

fn peer_tree(xml: &str) -> minidom::Element {
    xml.parse().expect("minidom parses")
}

/// minidom, then xmpp-parsers' typed stanza.
fn peer_typed(xml: &str) -> usize {
    let e = peer_tree(xml);
    match e.name() {
        "message" => {
            let m = xmpp_parsers::message::Message::try_from(e).expect("message");
            m.payloads.len() + m.bodies.len()
        }
        "presence" => {
            let p = xmpp_parsers::presence::Presence::try_from(e).expect("presence");
            p.payloads.len()
        }
        _ => {
            let i = xmpp_parsers::iq::Iq::try_from(e).expect("iq");
            usize::from(matches!(i, xmpp_parsers::iq::Iq::Result { .. }))
        }
    }
}

fn allocations(mut f: impl FnMut()) -> usize {
    let region = Region::new(GLOBAL);
    f();
    region.change().allocations
}

fn report_allocations(inputs: &[(&str, String)]) {
    for (name, xml) in inputs {
        let tree = ours_tree(xml);
        let peer = peer_tree(xml);
        let a = allocations(|| drop(black_box(ours_tree(black_box(xml)))));
        let b = allocations(|| drop(black_box(ours_typed(black_box(xml)))));
        let c = allocations(|| drop(black_box(peer_tree(black_box(xml)))));
        let d = allocations(|| {
            black_box(peer_typed(black_box(xml)));
        });
        let e = allocations(|| drop(black_box(black_box(&tree).to_xml())));
        let f = allocations(|| drop(black_box(String::from(black_box(&peer)))));
        println!(
            "allocations, {name} ({} bytes): parse tree ours {a} / minidom {c}; typed ours {b} / \
             minidom+xmpp-parsers {d}; serialize ours {e} / minidom {f}",
            xml.len()
        );
    }
}

fn stanzas(c: &mut Criterion) {
    let inputs = [
        ("chat-message", CHAT.to_owned()),
        ("presence-caps", PRESENCE.to_owned()),
        ("roster-200", roster(200)),
    ];
    report_allocations(&inputs);
    for (name, xml) in &inputs {
        let mut g = c.benchmark_group(format!("stanza/{name}"));
        g.throughput(Throughput::Bytes(xml.len() as u64));
        g.measurement_time(Duration::from_secs(2));
        g.warm_up_time(Duration::from_millis(500));
        g.bench_function("parse-tree/ours", |b| b.iter(|| ours_tree(black_box(xml))));
        g.bench_function("parse-tree/minidom", |b| {
            b.iter(|| peer_tree(black_box(xml)));
        });
        g.bench_function("parse-typed/ours", |b| {
            b.iter(|| ours_typed(black_box(xml)));
        });
        g.bench_function("parse-typed/minidom+xmpp-parsers", |b| {
            b.iter(|| peer_typed(black_box(xml)));
        });
        let tree = ours_tree(xml);
        let peer = peer_tree(xml);
        g.bench_function("serialize/ours", |b| b.iter(|| black_box(&tree).to_xml()));
        g.bench_function("serialize/minidom", |b| {
            b.iter(|| String::from(black_box(&peer)));
        });
        g.finish();
    }
}

fn whole_path(corpus: &[u8]) -> usize {
    stanza_path::run(corpus, Depth::Typed)
}

/// The peer's whole path, as xmpp-rs's own stream reader composes it:
/// rxml's incremental, namespace-resolving parser over the stream, and
/// each child of the stream root fed as events to xso's builder of
/// `xmpp_parsers::stanza::Stanza` (no tree in between). Returns the number of
/// stanzas read; an element that is not one (a mismatch) is skipped, as
/// a client would hand it elsewhere.
fn peer_whole_path(corpus: &[u8]) -> usize {
    use rxml::Parse as _;
    use xso::{FromEventsBuilder as _, FromXml as _};

    let mut parser = rxml::Parser::new();
    let ctx = xso::Context::empty();
    let mut depth = 0usize;
    let mut builder: Option<<xmpp_parsers::stanza::Stanza as xso::FromXml>::Builder> = None;
    let mut count = 0;
    for chunk in corpus.chunks(64 * 1024) {
        let mut rest = chunk;
        // `Err` here is rxml's "feed more" (the chunk is used up).
        while let Ok(Some(ev)) = parser.parse(&mut rest, false) {
            match ev {
                rxml::Event::XmlDeclaration(..) => {}
                rxml::Event::StartElement(_, name, attrs) if depth == 1 => {
                    depth += 1;
                    builder = xmpp_parsers::stanza::Stanza::from_events(name, attrs, &ctx).ok();
                }
                rxml::Event::StartElement(..) if depth == 0 => depth += 1,
                rxml::Event::EndElement(..) if depth <= 1 => depth = depth.saturating_sub(1),
                rxml::Event::Text(..) if depth <= 1 => {}
                ev => {
                    if let rxml::Event::StartElement(..) = ev {
                        depth += 1;
                    } else if let rxml::Event::EndElement(..) = ev {
                        depth -= 1;
                    }
                    if let Some(b) = builder.as_mut() {
                        if let Some(stanza) = b.feed(ev, &ctx).expect("a valid stanza") {
                            black_box(stanza);
                            count += 1;
                            builder = None;
                        }
                    }
                }
            }
        }
    }
    count
}

/// Allocations of the tree and typed stanza of each element of the corpus
/// (the framer's own not counted), by element name: (name, elements,
/// allocations).
fn allocations_by_name(corpus: &[u8]) -> Vec<(String, usize, usize)> {
    let mut by: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    let mut framer = Framer::with_limits(Transport::Tcp, Limits::default()).expect("limits");
    let mut builder = TreeBuilder::new();
    for chunk in corpus.chunks(64 * 1024) {
        framer.feed(chunk);
        while let Some(ev) = framer.next_event().expect("valid corpus") {
            if let Event::Element(frame) = ev {
                let n = allocations(|| {
                    let e = builder.from_frame(black_box(&frame)).expect("tree");
                    if matches!(e.name(), "message" | "presence" | "iq") {
                        drop(black_box(Stanza::from_element(e)));
                    } else {
                        drop(black_box(e));
                    }
                });
                let entry = by.entry(frame.name().to_owned()).or_default();
                entry.0 += 1;
                entry.1 += n;
            }
        }
    }
    by.into_iter().map(|(k, (c, a))| (k, c, a)).collect()
}

fn corpus_path(c: &mut Criterion) {
    let mb = std::env::var("XMPP_BENCH_CORPUS_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    // The same generated c2s stream as the xmpp-stream bench.
    let corpus = xmpp_benches::corpus::c2s_stream(mb * 1_000_000);
    let stanzas = whole_path(&corpus);
    let allocs = allocations(|| {
        black_box(whole_path(black_box(&corpus)));
    });
    println!(
        "corpus: {} bytes, {stanzas} stanzas; whole path allocations: {allocs} ({:.1} per stanza, framer included)",
        corpus.len(),
        allocs as f64 / stanzas as f64
    );
    let peer_stanzas = peer_whole_path(&corpus);
    assert_eq!(peer_stanzas, stanzas, "both paths read every stanza");
    let peer_allocs = allocations(|| {
        black_box(peer_whole_path(black_box(&corpus)));
    });
    println!(
        "corpus: rxml+xso whole path allocations: {peer_allocs} ({:.1} per stanza, parser included)",
        peer_allocs as f64 / peer_stanzas as f64
    );
    let by_name = allocations_by_name(&corpus);
    let line: Vec<String> = by_name
        .iter()
        .map(|(name, n, a)| format!("{name} {:.1} ({n})", *a as f64 / *n as f64))
        .collect();
    println!(
        "corpus: tree + typed allocations per element by name (framer not counted): {}",
        line.join(", ")
    );
    let mut g = c.benchmark_group("stanza/corpus");
    g.throughput(Throughput::Bytes(corpus.len() as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(8));
    g.warm_up_time(Duration::from_secs(1));
    g.bench_function("frame/ours", |b| {
        b.iter(|| stanza_path::run(black_box(&corpus), Depth::Frame));
    });
    g.bench_function("frame+tree/ours", |b| {
        b.iter(|| stanza_path::run(black_box(&corpus), Depth::Tree));
    });
    g.bench_function("frame+tree+typed/ours", |b| {
        b.iter(|| whole_path(black_box(&corpus)));
    });
    g.bench_function("frame+typed/rxml+xso", |b| {
        b.iter(|| peer_whole_path(black_box(&corpus)));
    });
    g.finish();
}

criterion_group!(benches, stanzas, corpus_path);
criterion_main!(benches);
