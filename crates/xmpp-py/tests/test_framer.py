"""Framer against the golden events of testdata/streams (the lines
`xmpp frame` prints, with its restarts), whole and in small chunks, and
the restart, unconsumed and WebSocket calls."""

import json

import pytest
from conftest import TESTDATA

from xmpp_primitives import Framer, StreamError

STREAMS = sorted((TESTDATA / "streams").glob("*.xml"))
HEADER = (
    b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
    b"xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>"
)


def transport_of(name):
    """The transport the stream's name picks (testdata/streams/README.md)."""
    if name.startswith("rfc7395-"):
        return "websocket"
    if name.startswith(("xep0124-", "xep0206-")):
        return "bosh-requests" if "-request" in name else "bosh"
    return "tcp"


def frame(data, transport, chunk):
    """Every event and the error line, as `xmpp frame` prints them."""
    framer = Framer(transport, auto_restart=True)
    out = []
    try:
        for i in range(0, len(data), chunk):
            framer.feed(data[i : i + chunk])
            out.extend(framer)
        framer.finish()
    except StreamError as e:
        out.append({"event": "error", "condition": e.condition, "message": str(e)})
    return out


def test_streams_are_there():
    assert len(STREAMS) >= 50


@pytest.mark.parametrize("path", STREAMS, ids=[p.stem for p in STREAMS])
def test_golden(path):
    data = path.read_bytes()
    golden = path.with_suffix(".jsonl").read_text(encoding="utf-8").splitlines()
    want = [json.loads(line) for line in golden if line.strip()]
    transport = transport_of(path.stem)
    assert frame(data, transport, 64 * 1024) == want, path.name
    if len(data) <= 16 * 1024:
        # Any chunking gives the same events.
        assert frame(data, transport, 7) == want, path.name
    if len(data) <= 2 * 1024:
        assert frame(data, transport, 1) == want, path.name


def test_events_and_iteration():
    f = Framer()
    f.feed(HEADER + b" <message to='juliet@example.com' type='chat'><body>Hi</body></mess")
    events = f.events()
    assert [e["event"] for e in events] == ["stream-open", "whitespace"]
    assert events[0]["name"] == "stream"
    assert events[0]["ns"] == "http://etherx.jabber.org/streams"
    assert events[0]["attrs"]["to"] == "example.com"
    assert f.unconsumed().startswith(b"<message")
    assert f.events() == []
    f.feed(b"age></stream:stream>")
    message, close = list(f)
    assert message == {
        "event": "element",
        "name": "message",
        "ns": "jabber:client",
        "attrs": {"to": "juliet@example.com", "type": "chat"},
        "xml": "<message to='juliet@example.com' type='chat'><body>Hi</body></message>",
    }
    assert close == {"event": "stream-close"}
    assert f.unconsumed() == b""
    f.finish()
    assert f.consumed == len(HEADER) + 1 + len(message["xml"]) + len("</stream:stream>")


def test_error_condition_and_stickiness():
    f = Framer()
    f.feed(HEADER + b"<a></b>")
    with pytest.raises(StreamError) as info:
        f.events()
    assert info.value.condition == "not-well-formed"
    assert [e["event"] for e in info.value.events] == ["stream-open"]
    assert isinstance(info.value, ValueError)
    f.feed(b"<presence/>")
    with pytest.raises(StreamError):
        next(iter(f))
    with pytest.raises(StreamError):
        f.finish()


@pytest.mark.parametrize(
    "tail,condition",
    [
        (b"<!-- comment -->", "restricted-xml"),
        (b"<message xmlns:p='urn:x'><p:x/><q:y/></message>", "bad-namespace-prefix"),
        (b"<a></b>", "not-well-formed"),
        (b"<message>" + b"x" * 10100 + b"</message>", "policy-violation"),
    ],
)
def test_error_conditions(tail, condition):
    f = Framer(max_stanza=10000)
    f.feed(HEADER + tail)
    with pytest.raises(StreamError) as info:
        f.events()
    assert info.value.condition == condition


def test_truncated_input():
    f = Framer()
    f.feed(HEADER + b"<message>")
    assert [e["event"] for e in f.events()] == ["stream-open"]
    with pytest.raises(StreamError) as info:
        f.finish()
    assert info.value.condition == "not-well-formed"


def test_restart_after_sasl_success():
    f = Framer()
    success = b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
    f.feed(HEADER + success + HEADER + b"<presence/>")
    events = f.events()
    assert [e["name"] for e in events if e["event"] == "element"] == ["success"]
    # Framing waits for the restart (RFC 6120 §6.4.6); the new stream is kept.
    assert f.awaiting_restart
    assert f.unconsumed() == HEADER + b"<presence/>"
    f.restart()
    assert not f.awaiting_restart
    assert [e["event"] for e in f.events()] == ["stream-open", "element"]


def test_starttls_take_unconsumed():
    f = Framer()
    f.feed(HEADER + b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\x16\x03\x01")
    assert f.events()[-1]["name"] == "proceed"
    assert f.take_unconsumed() == b"\x16\x03\x01"
    f.restart()
    f.feed(HEADER)
    assert [e["event"] for e in f.events()] == ["stream-open"]


def test_websocket_messages():
    f = Framer("websocket")
    opened = f.feed_message(
        b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='example.com' version='1.0'/>"
    )
    assert opened["event"] == "stream-open" and opened["name"] == "open"
    msg = f.feed_message(b"<message xmlns='jabber:client'><body>x</body></message>")
    assert msg["name"] == "message"
    with pytest.raises(StreamError):
        f.feed_message(b"<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>")


def test_bad_arguments():
    with pytest.raises(ValueError):
        Framer("carrier-pigeon")
    with pytest.raises(ValueError):
        Framer(max_stanza=1)
    with pytest.raises(TypeError):
        Framer().feed("not bytes")
