"""Client and Server (xmpp-session's machines) driven against each other
in memory, as the Rust tests' pair does: bytes from one side's
poll_transmit() into the other's handle_input(), the server
application's decisions answered from its events."""

import json

import pytest

from xmpp_primitives import (
    Client,
    JidError,
    Server,
    SessionError,
    StanzaError,
)

DOMAIN = "example.com"
USERS = {"juliet": "r0m30myr0m30", "romeo": "montague"}
FAKE_TLS = {"version": "TLSv1.3", "channel_bindings": {"tls-exporter": b"\x01" * 32}}
# The SASL2 user agent: an installation id, which FAST needs (XEP-0484 §4.1).
AGENT = ("5b8e2f0a-9c41-4d7e-8a63-2f1b0c9d7e45", "pytest", None)


class Pair:
    """A client and a server with a lossless in-memory wire, a fake TLS
    layer (it reports FAKE_TLS on both sides and encrypts nothing) and a
    server application with USERS."""

    def __init__(self, client=None, server=None, *, users=USERS, tls=FAKE_TLS):
        self.client = client or Client(
            f"juliet@{DOMAIN}",
            USERS["juliet"],
            tls="off",
            user_agent=AGENT,
            seed=b"\x01" * 32,
            now_ms=0,
        )
        self.server = server or Server(
            DOMAIN, tls="off", seed=b"\x02" * 32, iterations=4096, now_ms=0
        )
        self.users = users
        self.tls = tls
        self.client_events = []
        self.server_events = []
        self.wire = bytearray()

    def step(self):
        """One round each way; whether anything moved."""
        moved = False
        while (data := self.client.poll_transmit()) is not None:
            self.wire += data
            self.server.handle_input(data)
            moved = True
        while (data := self.server.poll_transmit()) is not None:
            self.client.handle_input(data)
            moved = True
        while (e := self.server.poll_event()) is not None:
            moved = True
            self.server_events.append(e)
            self.answer(e)
        while (e := self.client.poll_event()) is not None:
            moved = True
            self.client_events.append(e)
            if e["event"] == "start-tls":
                self.client.tls_established(**self.tls)
        return moved

    def answer(self, e):
        kind = e["event"]
        if kind == "credentials-request":
            self.server.provide_password(self.users.get(e["authcid"]))
        elif kind == "bind-request":
            self.server.accept_bind()
        elif kind == "token-request":
            self.server.decline_token()
        elif kind == "start-tls":
            self.server.tls_established(**self.tls)

    def run(self, rounds=50):
        for _ in range(rounds):
            if not self.step():
                return self
        raise AssertionError("the pair never went quiet")

    def client_event(self, name):
        return [e for e in self.client_events if e["event"] == name]

    def server_event(self, name):
        return [e for e in self.server_events if e["event"] == name]


def test_login_and_messages_both_ways():
    pair = Pair().run()
    (bound,) = pair.client_event("bound")
    assert bound["jid"].startswith(f"juliet@{DOMAIN}/")
    assert pair.client.jid == bound["jid"] == pair.server.jid
    (auth,) = pair.client_event("authenticated")
    assert auth["mechanism"].startswith("SCRAM-SHA-")
    assert pair.client_event("sm-enabled") == [{"event": "sm-enabled", "resumable": True}]

    pair.client.send_message("romeo@example.net", "Wherefore art thou?")
    pair.run()
    (got,) = pair.server_event("stanza")
    assert got["kind"] == "message"
    assert got["stanza"]["to"] == "romeo@example.net"
    # RFC 6120 §8.1.2.1: the server stamps `from` with the full JID.
    assert got["stanza"]["from"] == bound["jid"]
    assert got["stanza"]["type"] == "chat"

    pair.server.send_message("romeo@example.net/garden", "Here!")
    pair.run()
    (reply,) = pair.client_event("stanza")
    assert reply["kind"] == "message"
    assert reply["stanza"]["from"] == "romeo@example.net/garden"
    assert reply["stanza"]["to"] == bound["jid"]
    assert "Here!" in json.dumps(reply["stanza"])


def test_send_xml_sends_a_typed_stanza():
    pair = Pair().run()
    pair.client.send_xml(
        "<iq type='get' id='v1' to='example.com'><query xmlns='jabber:iq:version'/></iq>"
    )
    pair.client.send_xml(b"<presence/>")
    pair.run()
    kinds = [e["kind"] for e in pair.server_event("stanza")]
    assert kinds == ["iq", "presence"]


@pytest.mark.parametrize(
    "xml,condition",
    [
        ("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "bad-request"),
        ("<iq type='get' id='1'/>", "bad-request"),  # a get without a payload
        ("<message><body>open", "not-well-formed"),
        ("<message/><message/>", "not-well-formed"),
        ("", "not-well-formed"),
    ],
)
def test_send_xml_refuses_what_is_not_one_valid_stanza(xml, condition):
    pair = Pair().run()
    with pytest.raises(StanzaError) as e:
        pair.client.send_xml(xml)
    assert e.value.condition == condition
    # Nothing was sent; the session goes on.
    assert pair.client.poll_transmit() is None
    pair.client.send_message("romeo@example.net", "still here")


def test_sending_before_binding_is_refused_but_not_fatal():
    client = Client("juliet@example.com", "x", tls="off", now_ms=0)
    with pytest.raises(SessionError) as e:
        client.send_message("romeo@example.net", "too early")
    assert (e.value.kind, e.value.condition, e.value.fatal) == ("wrong-phase", "wrong-phase", False)
    assert isinstance(e.value, ValueError)
    assert client.poll_transmit().startswith(b"<?xml")


@pytest.mark.parametrize("users", [{"juliet": "wrong"}, {}], ids=["wrong-password", "unknown-user"])
def test_failed_authentication_raises_the_sasl_condition(users):
    pair = Pair(users=users)
    with pytest.raises(SessionError) as e:
        pair.run()
    assert e.value.kind == "auth-failed"
    assert e.value.condition == "not-authorized"
    assert e.value.fatal
    # The machine keeps returning the same error.
    with pytest.raises(SessionError) as again:
        pair.client.handle_input(b" ")
    assert again.value.condition == "not-authorized"


def test_starttls_then_plus_mechanism_with_the_binding_data():
    client = Client(f"juliet@{DOMAIN}", USERS["juliet"], now_ms=0)  # tls required
    server = Server(DOMAIN, now_ms=0)
    pair = Pair(client, server).run()
    assert pair.client_event("start-tls") == [{"event": "start-tls", "tls_bytes": b""}]
    assert len(pair.server_event("start-tls")) == 1
    (auth,) = pair.client_event("authenticated")
    assert auth["mechanism"].endswith("-PLUS")
    assert auth["channel_binding"] == "tls-exporter"
    assert pair.client_event("bound")


def test_refuse_plain_keeps_the_password_from_a_plain_only_server():
    def server():
        return Server(DOMAIN, mechanisms=["PLAIN"], now_ms=0)

    # Under TLS, PLAIN is used by default...
    pair = Pair(Client(f"juliet@{DOMAIN}", USERS["juliet"], now_ms=0), server()).run()
    assert pair.client_event("authenticated")[0]["mechanism"] == "PLAIN"
    # ...and never with refuse_plain.
    client = Client(f"juliet@{DOMAIN}", USERS["juliet"], refuse_plain=True, now_ms=0)
    pair = Pair(client, server())
    with pytest.raises(SessionError) as e:
        pair.run()
    assert e.value.kind == "no-mechanism"
    assert b"<starttls" in pair.wire
    assert b"<auth" not in pair.wire


def test_tls_required_without_tls_fails():
    client = Client(f"juliet@{DOMAIN}", USERS["juliet"], now_ms=0)
    server = Server(DOMAIN, tls="off", now_ms=0)
    with pytest.raises(SessionError) as e:
        Pair(client, server).run()
    assert e.value.condition == "tls-required"


def test_tls_established_checks_its_arguments():
    client = Client(f"juliet@{DOMAIN}", "x", tls_mode="direct", now_ms=0)
    assert client.poll_event() == {"event": "start-tls", "tls_bytes": b""}
    with pytest.raises(ValueError):
        client.tls_established("SSLv3")
    with pytest.raises(ValueError):
        client.tls_established("TLSv1.3", {"tls-nonsense": b"x"})
    client.tls_established("TLSv1.2", {"tls-unique": b"\x07" * 12})
    assert client.poll_transmit().startswith(b"<?xml")
    with pytest.raises(SessionError) as e:
        client.tls_established("TLSv1.3")
    assert e.value.kind == "wrong-phase"


def test_close_both_ways():
    pair = Pair().run()
    pair.client.close()
    pair.run()
    assert pair.client_event("closed") == [{"event": "closed", "resumable": False}]
    assert pair.server_event("closed") == [{"event": "closed", "resumable": False}]
    assert pair.client.is_closed and pair.server.is_closed
    with pytest.raises(SessionError) as e:
        pair.client.send_message("romeo@example.net", "late")
    assert e.value.kind in ("closed", "wrong-phase")


def test_malformed_input_sends_a_stream_error():
    client = Client(f"juliet@{DOMAIN}", "x", tls="off", now_ms=0)
    client.poll_transmit()
    with pytest.raises(SessionError) as e:
        client.handle_input(b"<stream:stream xmlns='jabber:client' xmlns:stream='bogus'>")
    assert e.value.fatal
    out = b""
    while (data := client.poll_transmit()) is not None:
        out += data
    assert e.value.condition.encode() in out


def test_silence_times_out():
    pair = Pair().run()
    t = pair.client.poll_timeout()
    assert isinstance(t, int) and t > 0
    with pytest.raises(SessionError) as e:
        for now in range(0, 10_000_000, 10_000):
            pair.client.handle_timeout(now)
            while pair.client.poll_transmit() is not None:
                pass  # the server never hears the probes
    assert (e.value.kind, e.value.condition) == ("timeout", "connection-timeout")


def test_same_seed_same_bytes():
    def server_bytes(seed):
        server = Server(DOMAIN, tls="off", seed=seed, now_ms=0)
        client = Client(f"juliet@{DOMAIN}", "x", tls="off", seed=b"\x05" * 32, now_ms=0)
        server.handle_input(client.poll_transmit())
        return server.poll_transmit()

    assert server_bytes(b"\x03" * 32) == server_bytes(b"\x03" * 32)
    assert server_bytes(b"\x03" * 32) != server_bytes(b"\x04" * 32)
    with pytest.raises(ValueError):
        Client(f"juliet@{DOMAIN}", "x", seed=b"short")


def test_constructor_arguments_are_checked():
    with pytest.raises(JidError):
        Client("@example.com", "x")
    for kwargs in ({"tls": "maybe"}, {"transport": "bosh"}, {"mechanisms": ["NOPE"]}):
        with pytest.raises(ValueError):
            Client(f"juliet@{DOMAIN}", "x", **kwargs)
    assert "Client" in repr(Client(f"juliet@{DOMAIN}/balcony", "x"))


def test_requested_resource_is_bound():
    # RFC 6120 §7 binding (XEP-0386 Bind2 has the server pick the resource).
    client = Client(f"juliet@{DOMAIN}/balcony", USERS["juliet"], tls="off", sasl2=False)
    pair = Pair(client, Server(DOMAIN, tls="off", sasl2=False)).run()
    assert pair.server_event("bind-request")[0]["requested"] == "balcony"
    assert pair.client.jid == f"juliet@{DOMAIN}/balcony"


def test_sasl1_without_stream_management():
    client = Client(
        f"juliet@{DOMAIN}", USERS["juliet"], tls="off", sasl2=False, stream_management=False
    )
    server = Server(DOMAIN, tls="off", sasl2=False)
    pair = Pair(client, server).run()
    assert pair.client_event("bound")
    assert not pair.client_event("sm-enabled")


def test_websocket_pair():
    client = Client(f"juliet@{DOMAIN}", USERS["juliet"], tls="off", transport="websocket")
    server = Server(DOMAIN, tls="off", transport="websocket")
    pair = Pair(client, server).run()
    assert pair.wire.startswith(b"<open ")
    assert pair.client_event("bound")


def test_resumption_after_a_lost_connection():
    pair = Pair().run()
    pair.client.send_message("romeo@example.net", "one")
    pair.client.connection_lost()
    pair.server.connection_lost()
    assert pair.client.events()[-1] == {"event": "closed", "resumable": True}
    client_state = pair.client.take_resumption_state()
    server_state = pair.server.take_resumption_state()
    assert json.loads(client_state) and json.loads(server_state)

    class Resuming(Pair):
        def answer(self, e):
            if e["event"] == "resume-request":
                self.server.accept_resume(server_state)
            else:
                super().answer(e)

    client = Client(f"juliet@{DOMAIN}", USERS["juliet"], tls="off", resume=client_state)
    again = Resuming(client, Server(DOMAIN, tls="off")).run()
    (resumed,) = again.client_event("resumed")
    assert resumed["jid"] == pair.client_event("bound")[0]["jid"]
    assert not again.client_event("bound")


def test_bind_conflict_then_the_server_picks():
    class Conflicting(Pair):
        def answer(self, e):
            if e["event"] == "bind-request" and e["requested"] is not None:
                self.server.reject_bind("conflict")
            else:
                super().answer(e)

    client = Client(f"juliet@{DOMAIN}/balcony", USERS["juliet"], tls="off", sasl2=False)
    pair = Conflicting(client, Server(DOMAIN, tls="off", sasl2=False)).run()
    requests = pair.server_event("bind-request")
    assert [r["requested"] for r in requests] == ["balcony", None]
    assert pair.client.jid == f"juliet@{DOMAIN}/{requests[1]['suggested']}"
    with pytest.raises(ValueError):
        pair.server.reject_bind("no-such-condition")


def test_decisions_out_of_turn_are_refused():
    server = Server(DOMAIN, tls="off")
    for call in (
        lambda: server.accept_bind("r"),
        lambda: server.reject_resume(),
        lambda: server.reject_resume_timed_out(3),
        lambda: server.decline_token(),
        lambda: server.accept_token_use(),
        lambda: server.refuse_token_use(),
        lambda: server.issue_token("t", "2030-01-01T00:00:00Z"),
        lambda: server.provide_password("x"),
    ):
        with pytest.raises(SessionError) as e:
            call()
        assert (e.value.kind, e.value.fatal) == ("wrong-phase", False)


class Fast(Pair):
    """A server application that issues FAST tokens and checks their
    counts (XEP-0484 §3.4) and expiry, recording a count only once the
    token is proven. Each client installation (its user agent's id) has
    two slots (§5.1): a token issued goes into "new", and moves into
    "current" once used."""

    tokens = {}
    # Another connection records each count just before this one (a race).
    used_meanwhile = False
    # Rotate each token used (XEP-0484 §3.5).
    rotate = False
    issued = 0
    # The conditions of failed attempts reported.
    failures = []
    # The application's wall clock and its tokens' expiry (Unix seconds).
    unix_now = 1_700_000_000
    expiry = 1_700_000_000 + 30 * 86_400

    @classmethod
    def slots(cls, user, client=AGENT[0]):
        return cls.tokens.setdefault((user, client), {"current": None, "new": None})

    def answer(self, e):
        kind = e["event"]
        if kind == "credentials-request":
            self.client_id = (e["user_agent"] or {}).get("id") or ""
        if kind == "token-request":
            token = f"fast-token-{Fast.issued:010d}"
            Fast.issued += 1
            self.server.issue_token(token, "2023-12-14T22:13:20Z")
            self.slots("juliet", self.client_id)["new"] = [token, None]
        elif kind == "credentials-request" and e["mechanism"].startswith("HT-"):
            slots = self.slots(e["authcid"], self.client_id)
            current, new = slots["current"] or [None, None], slots["new"]
            self.server.provide_token(
                current[0],
                current[1],
                self.expiry,
                self.unix_now,
                new=(new[0], new[1], self.expiry) if new else None,
            )
        elif kind == "token-used":
            # Checked and recorded in one step: a count recorded meanwhile
            # (another connection's) makes this use a replay.
            slots = self.slots(e["jid"].split("@")[0], self.client_id)
            record = slots[e["slot"]]
            if record and self.used_meanwhile:
                record[1] = e["count"]
            if record is None or (record[1] is not None and e["count"] <= record[1]):
                self.server.refuse_token_use()
            elif e["invalidate"]:
                slots["current"] = slots["new"] = None
                self.server.accept_token_use()
            else:
                record[1] = e["count"]
                if e["slot"] == "new":
                    slots["current"], slots["new"] = record, None
                self.server.accept_token_use(rotate=self.rotate)
        elif kind == "auth-failed":
            self.failures.append(e["condition"])
        else:
            super().answer(e)


def test_fast_token_issued_then_used_and_a_replay_refused():
    Fast.tokens = {}
    first = Fast().run()
    (issued,) = first.client_event("token-issued")
    assert issued["token"].startswith("fast-token-")
    assert Fast.slots("juliet")["new"][0] == issued["token"]
    assert issued["mechanism"].startswith("HT-SHA-256-")

    def with_token(count):
        client = Client(
            f"juliet@{DOMAIN}",
            USERS["juliet"],
            tls="off",
            user_agent=AGENT,
            fast_token=(issued["mechanism"], issued["token"], count),
            request_fast_token=False,
        )
        return Fast(client, Server(DOMAIN, tls="off")).run()

    second = with_token(1)
    (auth,) = second.client_event("authenticated")
    assert auth["mechanism"] == issued["mechanism"]
    assert second.client_event("bound")
    assert Fast.slots("juliet") == {"current": [issued["token"], 1], "new": None}
    # A wrong token with the largest count records nothing (it failed; the
    # client then logs in with its password).
    client = Client(
        f"juliet@{DOMAIN}",
        USERS["juliet"],
        tls="off",
        user_agent=AGENT,
        fast_token=(issued["mechanism"], "not-the-token", 2**64 - 1),
        request_fast_token=False,
    )
    Fast.failures = []
    forged = Fast(client, Server(DOMAIN, tls="off")).run()
    assert forged.client_event("token-rejected")
    assert Fast.slots("juliet")["current"][1] == 1
    assert Fast.failures == ["not-authorized"]
    # The same count again is a replay: the token is refused, the password
    # still logs in.
    third = with_token(1)
    assert third.client_event("token-rejected")
    assert third.client_event("authenticated")[-1]["mechanism"].startswith("SCRAM-")
    fourth = with_token(2)
    assert fourth.client_event("authenticated")[0]["mechanism"] == issued["mechanism"]
    assert Fast.slots("juliet")["current"][1] == 2
    # Count 3, proven, but recorded meanwhile by another connection: the
    # use is refused before the client hears of success.
    Fast.used_meanwhile = True
    try:
        raced = with_token(3)
    finally:
        Fast.used_meanwhile = False
    assert raced.client_event("token-rejected")
    assert raced.client_event("authenticated")[-1]["mechanism"].startswith("SCRAM-")
    assert Fast.slots("juliet")["current"][1] == 3
    # Past its expiry the token is refused and nothing is recorded.
    Fast.unix_now = Fast.expiry
    try:
        expired = with_token(4)
    finally:
        Fast.unix_now = 1_700_000_000
    assert expired.client_event("token-rejected")
    assert Fast.slots("juliet")["current"][1] == 3
    with pytest.raises(ValueError):
        Client(f"juliet@{DOMAIN}", "x", fast_token=("PLAIN", "t", 0))


def test_without_a_user_agent_id_there_is_no_fast():
    Fast.tokens = {}
    (issued,) = Fast().run().client_event("token-issued")
    for agent in (None, (None, "pytest", "laptop")):
        client = Client(
            f"juliet@{DOMAIN}",
            USERS["juliet"],
            tls="off",
            user_agent=agent,
            fast_token=(issued["mechanism"], issued["token"], 1),
        )
        pair = Fast(client, Server(DOMAIN, tls="off")).run()
        (auth,) = pair.client_event("authenticated")
        assert auth["mechanism"].startswith("SCRAM-"), agent
        assert b"urn:xmpp:fast:0" not in pair.wire, agent
        assert not pair.client_event("token-issued"), agent
    # The server sees the user agent as sent.
    pair = Fast(
        Client(f"juliet@{DOMAIN}", USERS["juliet"], tls="off", user_agent=AGENT),
        Server(DOMAIN, tls="off"),
    ).run()
    (request,) = pair.server_event("credentials-request")
    assert request["user_agent"] == {"id": AGENT[0], "software": "pytest", "device": None}


def test_a_rotated_token_replaces_the_old_one_once_used():
    Fast.tokens = {}
    (issued,) = Fast().run().client_event("token-issued")
    mechanism = issued["mechanism"]

    def with_token(token, count):
        client = Client(
            f"juliet@{DOMAIN}",
            USERS["juliet"],
            tls="off",
            user_agent=AGENT,
            fast_token=(mechanism, token, count),
            request_fast_token=False,
        )
        return Fast(client, Server(DOMAIN, tls="off")).run()

    assert with_token(issued["token"], 1).client_event("bound")
    # Accepted with a rotation: a token the client did not ask for, in
    # the new slot beside the current one (XEP-0484 §3.5, §5.1).
    Fast.rotate = True
    try:
        rotated = with_token(issued["token"], 2)
    finally:
        Fast.rotate = False
    (new,) = rotated.client_event("token-issued")
    assert new["token"] != issued["token"]
    assert Fast.slots("juliet")["new"] == [new["token"], None]
    # The old token works until the new one is used; then it is gone.
    assert with_token(issued["token"], 3).client_event("authenticated")[0]["mechanism"] == mechanism
    used = with_token(new["token"], 1)
    assert used.client_event("authenticated")[0]["mechanism"] == mechanism
    assert Fast.slots("juliet") == {"current": [new["token"], 1], "new": None}
    assert with_token(issued["token"], 4).client_event("token-rejected")
