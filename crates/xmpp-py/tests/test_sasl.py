"""SaslClient against the byte-exact exchanges of testdata/sasl (SCRAM and
PLAIN), client and server driven against each other, and the failure
conditions."""

import base64

import pytest
from conftest import TESTDATA

from xmpp_primitives import SaslClient, SaslError, SaslServer, ScramClient

EXCHANGES = sorted(
    p
    for p in (TESTDATA / "sasl").glob("*.txt")
    if p.name.startswith(("rfc5802-", "rfc7677-", "derived-scram-", "rfc4616-"))
)


def read_exchange(path):
    keys, messages = {}, []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition(": ")
        if key in ("C", "S"):
            messages.append((key, value.encode()))
        elif key in ("C64", "S64"):
            messages.append((key[0], base64.b64decode(value)))
        else:
            keys[key] = value
    return keys, messages


def test_exchanges_are_there():
    assert len(EXCHANGES) >= 6


@pytest.mark.parametrize("path", EXCHANGES, ids=[p.stem for p in EXCHANGES])
def test_client_is_byte_exact(path):
    keys, messages = read_exchange(path)
    cb = None
    if "cb-type" in keys:
        cb = (keys["cb-type"], base64.b64decode(keys["cb-data-b64"]))
    client = SaslClient(
        keys["mechanism"],
        keys["username"],
        keys["password"],
        authzid=keys.get("authzid"),
        nonce=keys.get("client-nonce"),
        channel_binding=cb,
    )
    assert client.mechanism == keys["mechanism"]
    incoming = b""
    for side, message in messages:
        if side == "C":
            assert client.step(incoming) == message, path.name
            incoming = None
        else:
            incoming = message
    if incoming is not None:
        # The server's success data: verified, nothing more to send.
        assert client.step(incoming) is None
    assert client.done


def run(client, server):
    """Drives the pair to the end; the server's success data goes to the client."""
    message = client.step()
    while True:
        reply = server.step(message)
        if server.done:
            if reply is not None or not client.done:
                assert client.step(reply or b"") is None
            return
        message = client.step(reply)


@pytest.mark.parametrize(
    "mechanism", ["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"]
)
def test_pair_succeeds(mechanism):
    client = SaslClient(mechanism, "juliet", "r0m3o")
    server = SaslServer(mechanism, {"juliet": "r0m3o"}, iterations=4096)
    run(client, server)
    assert server.done and client.done
    assert server.authcid == "juliet" and client.authcid == "juliet"


def test_plus_with_channel_binding():
    cb = ("tls-exporter", b"\x01" * 32)
    client = SaslClient("SCRAM-SHA-256-PLUS", "juliet", "r0m3o", channel_binding=cb)
    server = SaslServer("SCRAM-SHA-256-PLUS", {"juliet": "r0m3o"}, channel_binding=cb)
    run(client, server)
    assert server.done
    other = SaslServer("SCRAM-SHA-256-PLUS", {"juliet": "r0m3o"},
                       channel_binding=("tls-exporter", b"\x02" * 32))
    with pytest.raises(SaslError):
        run(SaslClient("SCRAM-SHA-256-PLUS", "juliet", "r0m3o", channel_binding=cb), other)


def test_authzid_and_callable_lookup():
    seen = []

    def lookup(user):
        seen.append(user)
        return {"juliet": "r0m3o"}.get(user)

    client = ScramClient("SCRAM-SHA-256", "juliet", "r0m3o", authzid="romeo@example.net")
    server = SaslServer("SCRAM-SHA-256", lookup)
    run(client, server)
    assert seen == ["juliet"]
    assert server.authzid == "romeo@example.net"


@pytest.mark.parametrize("user,password", [("juliet", "guess"), ("nobody", "guess")])
def test_wrong_password_and_unknown_user_fail_alike(user, password):
    client = SaslClient("SCRAM-SHA-256", user, password)
    server = SaslServer("SCRAM-SHA-256", {"juliet": "r0m3o"}, secret=b"k" * 32)
    with pytest.raises(SaslError) as info:
        run(client, server)
    assert info.value.condition == "not-authorized"
    assert info.value.scram_error == "invalid-proof"
    assert isinstance(info.value, ValueError)
    # A failed session keeps failing.
    with pytest.raises(SaslError):
        server.step(b"c=biws")


def test_plain_wrong_password():
    with pytest.raises(SaslError) as info:
        run(SaslClient("PLAIN", "juliet", "nope"), SaslServer("PLAIN", {"juliet": "r0m3o"}))
    assert info.value.condition == "not-authorized"


def test_plain_refused_unencrypted():
    # RFC 6120 §13.8: PLAIN only over TLS.
    with pytest.raises(SaslError) as info:
        SaslServer("PLAIN", {"juliet": "r0m3o"}, encrypted=False)
    assert info.value.condition == "encryption-required"


def test_malformed_client_message():
    server = SaslServer("SCRAM-SHA-256", {})
    with pytest.raises(SaslError) as info:
        server.step(b"garbage")
    assert info.value.condition in ("malformed-request", "incorrect-encoding")


def test_unknown_mechanism():
    with pytest.raises(SaslError) as info:
        SaslClient("DIGEST-MD5", "a", "b")
    assert info.value.condition == "invalid-mechanism"
    with pytest.raises(ValueError):
        SaslClient("PLAIN", "a", "b", prep="rot13")


def test_external_anonymous_and_ht():
    server = SaslServer("EXTERNAL", {}, external="juliet@example.com")
    run(SaslClient("EXTERNAL"), server)
    assert server.done and server.authcid == "juliet@example.com"
    server = SaslServer("ANONYMOUS", {})
    run(SaslClient("ANONYMOUS"), server)
    assert server.done and server.authcid is None
    # XEP-0484 FAST: the "password" is the token; the client checks the
    # server's answer before it is done.
    client = SaslClient("HT-SHA-256-NONE", "juliet", "token")
    server = SaslServer("HT-SHA-256-NONE", {"juliet": "token"})
    run(client, server)
    assert server.done and client.done and server.authcid == "juliet"
    with pytest.raises(SaslError) as info:
        run(SaslClient("HT-SHA-256-NONE", "juliet", "stale"),
            SaslServer("HT-SHA-256-NONE", {"juliet": "token"}))
    assert info.value.condition == "not-authorized"
