"""Benchmarks of the binding against what Python XMPP code uses today.

    target/py-venv/bin/pip install slixmpp      # the peer, for this script only
    target/py-venv/bin/python crates/xmpp-py/bench.py

1. ``Jid(s)`` against slixmpp's ``JID(s)`` (native code since slixmpp 1.9),
   per call, on the same inputs: a few addresses parsed again and again, and
   as many distinct ones (in case either side caches).
2. Framing a stream built from the recorded streams of testdata/streams
   (their top-level elements, repeated to about 1 MB, fed in 4 KiB reads)
   with ``Framer`` against a pure-Python framer on ``xml.parsers.expat``
   that builds an ElementTree element per top-level child, the way
   slixmpp's XML stream does.

Not part of CI; figures go in the crate's README and notes.
"""

import time
import xml.etree.ElementTree as ET
from pathlib import Path
from xml.parsers import expat

from xmpp_primitives import Framer, Jid

ROOT = Path(__file__).resolve().parents[2]
HEADER = (
    b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    b"xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"
)
INPUTS = [
    "juliet@example.com",
    "Juliet@Example.COM/Balcony",
    "romeo@montague.lit/orchard",
    "example.com",
    "conference.example.org/nick name",
    "user@xn--bcher-kva.example/res",
    "\u00fcser@b\u00fccher.example/\u00df",
    "room@muc.example.net/\u03a3\u03c9\u03ba\u03c1\u03ac\u03c4\u03b7\u03c2",
]


def best_of(runs, fn):
    """The fastest of `runs` timings of fn(), in seconds."""
    best = float("inf")
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def per_call(ctor, inputs, repeat):
    def loop():
        for _ in range(repeat):
            for s in inputs:
                ctor(s)

    return best_of(5, loop) / (repeat * len(inputs)) * 1e9


def bench_jid():
    try:
        from slixmpp.jid import JID
    except ImportError:
        JID = None
        print("slixmpp not installed: only our figures")
    for s in INPUTS:
        if JID is not None and str(Jid(s)) != str(JID(s)):
            # RFC 7622 §3.2 stores U-labels; slixmpp keeps what it got.
            print(f"  differs: {s!r}: ours {str(Jid(s))!r}, slixmpp {str(JID(s))!r}")
    unique = [f"user{i}@host{i % 97}.example/res{i}" for i in range(20000)]
    rows = [("same 8 inputs", INPUTS, 2000), ("20000 distinct inputs", unique, 1)]
    print("JID parsing, ns per call (best of 5):")
    for label, inputs, repeat in rows:
        ours = per_call(Jid, inputs, repeat)
        line = f"  {label:24} xmpp_primitives.Jid {ours:7.0f}"
        if JID is not None:
            theirs = per_call(JID, inputs, repeat)
            line += f"   slixmpp JID {theirs:7.0f}   ratio {theirs / ours:.2f}x"
        print(line)


class ExpatFramer:
    """Top-level elements of a stream as ElementTree elements, on expat,
    as slixmpp's XMLStream reads a stream."""

    def __init__(self):
        self.parser = expat.ParserCreate(namespace_separator="}")
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data
        self.depth = 0
        self.builder = None
        self.events = []

    def feed(self, data):
        self.parser.Parse(data, False)

    def start(self, name, attrs):
        self.depth += 1
        tag = "{" + name if "}" in name else name
        if self.depth == 1:
            self.events.append(("stream-open", tag, attrs))
        else:
            if self.depth == 2:
                self.builder = ET.TreeBuilder()
            self.builder.start(tag, attrs)

    def end(self, name):
        if self.depth == 1:
            self.events.append(("stream-close",))
        else:
            self.builder.end("{" + name if "}" in name else name)
            if self.depth == 2:
                self.events.append(("element", self.builder.close()))
                self.builder = None
        self.depth -= 1

    def data(self, text):
        if self.builder is not None:
            self.builder.data(text)


def standalone(xml):
    try:
        p = expat.ParserCreate(namespace_separator="}")
        p.Parse(HEADER + xml, False)
        return True
    except expat.ExpatError:
        return False


def bench_framing():
    # The top-level elements of the well-formed TCP streams, as framed.
    body = []
    for path in sorted((ROOT / "testdata" / "streams").glob("*.xml")):
        if path.stem.startswith(("rfc7395-", "xep0124-", "xep0206-", "limits-")):
            continue
        f = Framer(auto_restart=True)
        f.feed(path.read_bytes())
        try:
            events = f.events()
            f.finish()
        except ValueError:
            continue
        # Not the elements that restart a stream (<success/>, <proceed/>).
        body += [
            e["xml"].encode()
            for e in events
            if e["event"] == "element" and e["name"] not in ("success", "proceed")
        ]
    # Only what stands on its own under one header (no prefix bound by
    # another stream's header), so that both framers read every element.
    body = [x for x in body if standalone(x)]
    chunk = b"".join(body)
    stream = HEADER + chunk * max(1, 1_000_000 // len(chunk)) + b"</stream:stream>"
    elements = len(body) * max(1, 1_000_000 // len(chunk))
    reads = [stream[i : i + 4096] for i in range(0, len(stream), 4096)]

    def ours():
        f = Framer()
        n = 0
        for r in reads:
            f.feed(r)
            for ev in f:
                n += ev["event"] == "element"
        assert n == elements, n

    def theirs():
        f = ExpatFramer()
        for r in reads:
            f.feed(r)
            f.events.clear()

    def count_expat():
        f = ExpatFramer()
        n = 0
        for r in reads:
            f.feed(r)
            n += sum(1 for e in f.events if e[0] == "element")
            f.events.clear()
        return n

    assert count_expat() == elements
    t_ours, t_theirs = best_of(5, ours), best_of(5, theirs)
    mb = len(stream) / 1e6
    print(
        f"Framing {mb:.2f} MB ({elements} top-level elements from testdata/streams, 4 KiB reads), best of 5:"
    )
    print(f"  xmpp_primitives.Framer    {t_ours * 1e3:7.1f} ms  {mb / t_ours:7.1f} MB/s")
    print(f"  expat + ElementTree       {t_theirs * 1e3:7.1f} ms  {mb / t_theirs:7.1f} MB/s")
    print(f"  ratio                     {t_theirs / t_ours:.1f}x")


if __name__ == "__main__":
    bench_jid()
    bench_framing()
