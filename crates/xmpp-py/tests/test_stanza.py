"""parse_stanza against every case of testdata/stanzas/*.txt (their
`expect:` lines, as crates/xmpp-stanza/tests read them), and its shapes."""

import pytest
from conftest import TESTDATA

from xmpp_primitives import StanzaError, parse_stanza


def cases():
    out = []
    for path in sorted((TESTDATA / "stanzas").glob("*.txt")):
        current = None
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("=== "):
                current = {"case": f"{path.name}:{n} {line[4:]}", "ns": "jabber:client",
                           "expect": None, "xml": []}
                out.append(current)
            elif current is None:
                continue
            elif not current["xml"] and line.startswith("ns: "):
                current["ns"] = line[4:].strip()
            elif not current["xml"] and line.startswith("expect: "):
                current["expect"] = line[8:].strip()
            elif not current["xml"] and line.startswith("caps-ver: "):
                pass
            else:
                current["xml"].append(line)
    return [c for c in out if c["expect"]]


CASES = cases()


def test_cases_are_there():
    assert len(CASES) >= 500


@pytest.mark.parametrize("c", CASES, ids=[c["case"] for c in CASES])
def test_case(c):
    xml = "\n".join(c["xml"]).strip()
    expect, _, condition = c["expect"].partition(" ")
    if expect == "invalid":
        with pytest.raises(StanzaError) as info:
            parse_stanza(xml, ns=c["ns"])
        assert info.value.condition == condition, c["case"]
        return
    if expect == "nonza-invalid":
        with pytest.raises(StanzaError):
            parse_stanza(xml, ns=c["ns"])
        return
    got = parse_stanza(xml.encode(), ns=c["ns"])
    if expect in ("stanza", "stanza-error"):
        assert got["event"] == "stanza", c["case"]
        assert got["kind"] in ("message", "presence", "iq")
        assert got["stanza"]["ns"] == c["ns"]
        if expect == "stanza-error":
            assert got["stanza"]["type"] == "error"
            assert got["stanza"]["error"]["condition"] == condition, c["case"]
    else:
        assert got["event"] == "nonza", c["case"]
        if expect == "stream-error":
            assert got["kind"] == "stream-error"


def test_message_shape():
    got = parse_stanza(
        "<message to='Juliet@Example.com' from='romeo@example.net/orchard' type='chat' id='m1'>"
        "<body>Art thou not Romeo?</body><thread>t1</thread></message>"
    )
    assert got["event"] == "stanza" and got["kind"] == "message"
    s = got["stanza"]
    assert s["to"] == "juliet@example.com"
    assert s["from"] == "romeo@example.net/orchard"
    assert (s["type"], s["id"], s["lang"]) == ("chat", "m1", None)
    assert s["bodies"] == [{"lang": None, "text": "Art thou not Romeo?"}]
    assert s["thread"] == {"id": "t1", "parent": None}
    assert s["payloads"] == [] and s["error"] is None


def test_nonza_shape():
    got = parse_stanza(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    assert got["event"] == "nonza" and got["kind"] == "starttls"
    assert got["element"] == {
        "name": "starttls",
        "ns": "urn:ietf:params:xml:ns:xmpp-tls",
        "attrs": {},
        "children": [],
    }


def test_invalid_stanza_has_reply():
    with pytest.raises(StanzaError) as info:
        parse_stanza("<message to='@example.com'><body>x</body></message>")
    e = info.value
    assert e.condition == "jid-malformed" and e.kind == "message"
    assert e.reply and "jid-malformed" in e.reply
    assert isinstance(e, ValueError)


@pytest.mark.parametrize(
    "xml,condition",
    [
        ("<message><body>x</message>", "not-well-formed"),
        ("<message/><message/>", "not-well-formed"),
        ("", "not-well-formed"),
        ("<message><!-- c --></message>", "restricted-xml"),
    ],
)
def test_bad_xml(xml, condition):
    with pytest.raises(StanzaError) as info:
        parse_stanza(xml)
    assert info.value.condition == condition


def test_server_namespace():
    got = parse_stanza("<presence from='a@b/c'/>", ns="jabber:server")
    assert got["stanza"]["ns"] == "jabber:server"
    assert got["stanza"]["type"] == "available"
