"""Jid against every row of testdata/jid/*.tsv (as crates/xmpp-jid/tests
reads them), XEP-0106 escaping, and the Python protocol of the type."""

import pickle

import pytest
from conftest import TESTDATA, js, tsv_rows

import xmpp_primitives
from xmpp_primitives import Jid, JidError, escape_localpart, unescape_localpart

SKIP = {"oracle-differences.tsv", "xep0106-escaping.tsv"}
VECTORS = [
    row
    for path in sorted((TESTDATA / "jid").glob("*.tsv"))
    if path.name not in SKIP
    for row in tsv_rows(path)
]


def test_vectors_are_there():
    assert len(VECTORS) >= 400


@pytest.mark.parametrize("case,fields", VECTORS, ids=[c for c, _ in VECTORS])
def test_vector(case, fields):
    source, mode, raw, expected = fields
    text = js(raw)
    legacy = {"rfc7622": False, "legacy": True}[mode]
    if expected.startswith("!"):
        with pytest.raises(JidError) as info:
            Jid(text, legacy=legacy)
        assert info.value.condition == expected[1:], f"{case} ({source})"
        assert info.value.stanza_condition == "jid-malformed"
        assert isinstance(info.value, ValueError)
        assert str(info.value)
        return
    jid = Jid.legacy(text) if legacy else Jid(text)
    assert str(jid) == js(expected), f"{case} ({source})"
    assert jid.is_legacy is legacy
    # Invariants of every valid JID: the parts rebuild it, reparsing gives
    # it back, and it keys a dict like its string.
    local = f"{jid.localpart}@" if jid.localpart is not None else ""
    resource = f"/{jid.resourcepart}" if jid.resourcepart is not None else ""
    assert f"{local}{jid.domainpart}{resource}" == str(jid), case
    assert Jid(str(jid), legacy=legacy) == jid, case
    assert hash(jid) == hash(str(jid)) and jid == str(jid), case
    assert jid.is_full == (jid.resourcepart is not None) != jid.is_bare, case
    bare = jid.bare
    assert bare.is_bare and bare.resourcepart is None, case
    assert (bare.localpart, bare.domainpart) == (jid.localpart, jid.domainpart), case


ESCAPING = tsv_rows(TESTDATA / "jid" / "xep0106-escaping.tsv")


@pytest.mark.parametrize("case,fields", ESCAPING, ids=[c for c, _ in ESCAPING])
def test_xep0106_escaping(case, fields):
    source, plain, ours, theirs = fields
    plain, ours, theirs = js(plain), js(ours), js(theirs)
    assert escape_localpart(plain) == ours, f"{case} ({source})"
    assert unescape_localpart(ours) == plain, case
    assert unescape_localpart(theirs) == plain, case
    assert Jid(f"{ours}@example.com").localpart is not None, case


def test_escape_refusal_is_a_jid_error():
    with pytest.raises(JidError) as info:
        escape_localpart(" leading")
    assert info.value.part == "localpart" and info.value.condition


def test_parts_and_forms():
    jid = Jid("Juliet@Example.COM/Balcony")
    assert (jid.localpart, jid.domainpart, jid.resourcepart) == ("juliet", "example.com", "Balcony")
    assert str(jid) == "juliet@example.com/Balcony"
    assert repr(jid) == "Jid('juliet@example.com/Balcony')"
    assert jid.is_full and not jid.is_bare
    assert jid.bare == Jid("juliet@example.com") and str(jid.bare) == "juliet@example.com"
    domain = Jid("example.com")
    assert domain.localpart is None and domain.resourcepart is None
    assert domain.bare is domain
    assert repr(Jid.legacy("a@b")) == "Jid('a@b', legacy=True)"


def test_equality_hash_and_dict_keys():
    a = Jid("xn--bcher-kva.example")
    b = Jid("B\u00fccher.example")
    assert a == b and hash(a) == hash(b)
    assert {a: 1}[b] == 1
    assert Jid("example.com/A") != Jid("example.com/a")
    assert Jid("[0:0::1]") == "[::1]"
    assert (Jid("a@b") == 3) is False
    assert len({Jid("A@b"), Jid("a@B"), "a@b"}) == 1


def test_pickle_round_trip():
    for jid in (Jid("juliet@example.com/r"), Jid.legacy("Stra\u00dfe@x")):
        again = pickle.loads(pickle.dumps(jid))
        assert again == jid and again.is_legacy == jid.is_legacy


def test_legacy_keyword_and_static_method_agree():
    assert str(Jid("Stra\u00dfe@x", legacy=True)) == "strasse@x"
    assert str(Jid.legacy("Stra\u00dfe@x")) == "strasse@x"
    assert str(Jid("Stra\u00dfe@x")) == "stra\u00dfe@x"


def test_error_names_the_part_like_the_cli():
    with pytest.raises(JidError) as info:
        Jid("@example.com")
    e = info.value
    assert (e.condition, e.part) == ("empty-localpart", "localpart")
    assert "localpart" in str(e)
    with pytest.raises(ValueError):
        Jid("juliet@\u2603.net")
    assert xmpp_primitives.JidError is JidError


def test_type_errors():
    with pytest.raises(TypeError):
        Jid(b"juliet@example.com")
