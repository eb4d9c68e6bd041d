"""precis.enforce/compare against every row of testdata/precis/*.tsv (as
crates/xmpp-precis/tests reads them), and the module's shape."""

import pytest
from conftest import TESTDATA, js, tsv_rows

import xmpp_primitives
from xmpp_primitives import precis
from xmpp_primitives.precis import PrecisError

VECTORS = [
    row
    for path in sorted((TESTDATA / "precis").glob("*.tsv"))
    if path.name != "oracle-differences.tsv"
    for row in tsv_rows(path)
]
CONDITIONS = {"empty", "disallowed", "unassigned", "context-rule", "bidi-rule", "unstable"}


def test_vectors_are_there():
    assert len(VECTORS) >= 300


@pytest.mark.parametrize("case,fields", VECTORS, ids=[c for c, _ in VECTORS])
def test_vector(case, fields):
    profile, raw, expected, output, source = fields
    text = js(raw)
    compare_form = profile == "nickname-compare"
    name = "nickname" if compare_form else profile
    run = precis.comparison_form if compare_form else precis.enforce
    if expected != "ok":
        assert expected in CONDITIONS, case
        with pytest.raises(PrecisError) as info:
            run(name, text)
        assert info.value.condition == expected, f"{case} ({source})"
        assert isinstance(info.value, ValueError)
        if name != "nickname":
            # Nickname compares case-mapped strings (RFC 8266 §2.4), which a
            # context rule may accept where enforcement refused.
            with pytest.raises(PrecisError):
                precis.compare(name, text, "x")
        return
    want = js(output)
    assert run(name, text) == want, f"{case} ({source})"
    # Comparison is enforcement (or Nickname's comparison form) of both sides.
    assert precis.compare(name, text, want), case
    assert precis.compare(name, text, text), case


def test_profiles_are_the_cli_names():
    assert precis.PROFILES == (
        "username-case-mapped",
        "username-case-preserved",
        "opaque-string",
        "nickname",
    )
    with pytest.raises(ValueError):
        precis.enforce("no-such-profile", "x")


def test_module_shape():
    import xmpp_primitives.precis as again

    assert again is precis is xmpp_primitives.precis
    assert xmpp_primitives.precis.enforce("opaque-string", "open\u2003sesame") == "open sesame"
    assert xmpp_primitives.PrecisError is PrecisError


def test_error_attributes():
    with pytest.raises(PrecisError) as info:
        precis.enforce("username-case-mapped", "juliet\u2764")
    e = info.value
    assert (e.condition, e.code_point, e.offset) == ("disallowed", "\u2764", 6)
    with pytest.raises(PrecisError) as info:
        precis.enforce("nickname", "   ")
    assert info.value.condition == "empty" and info.value.code_point is None


def test_compare_examples():
    assert precis.compare("username-case-mapped", "JULIET", "juliet")
    assert not precis.compare("username-case-preserved", "JULIET", "juliet")
    assert precis.compare("nickname", "Romeo", "ROMEO")
    assert not precis.compare("opaque-string", "a", "A")
