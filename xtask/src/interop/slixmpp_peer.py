"""slixmpp against `xmpp serve`: one case per invocation, one JSON line out.

Usage: slixmpp_peer.py CASE HOST PORT [MECHANISM]

Cases:
  login     log in as alice (STARTTLS unless MECHANISM is given with
            'plain:' prefix meaning no TLS), report the mechanism, close
  message   alice and bob log in; alice sends bob a message; bob reads it
  presence  alice and bob subscribe to each other; each sees the other
  resume    alice enables XEP-0198, her socket is cut, she resumes and
            receives what bob sent meanwhile

Accounts: alice@localhost/wonderland, bob@localhost/builder. The server's
certificate is self-signed: verification is off (loopback only).
"""

import asyncio
import json
import ssl
import sys

import slixmpp

DOMAIN = "localhost"
TIMEOUT = 15


def client(user, password, host, port, mechanism=None, tls=True):
    kwargs = {}
    if mechanism:
        kwargs["sasl_mech"] = mechanism
    xmpp = slixmpp.ClientXMPP(f"{user}@{DOMAIN}/slixmpp", password, **kwargs)
    xmpp.ssl_context.check_hostname = False
    xmpp.ssl_context.verify_mode = ssl.CERT_NONE
    if not tls:
        # slixmpp refuses SCRAM and PLAIN in the clear unless told.
        # slixmpp 1.17 tries direct TLS, then STARTTLS, then the clear:
        # only the last.
        xmpp.enable_starttls = False
        xmpp.enable_direct_tls = False
        xmpp.enable_plaintext = True
        xmpp.plugin["feature_mechanisms"].unencrypted_scram = True
        xmpp.plugin["feature_mechanisms"].unencrypted_plain = True
    xmpp.register_plugin("xep_0198")
    xmpp.register_plugin("xep_0199")
    xmpp.address = (host, port)
    return xmpp


async def started(xmpp):
    done = asyncio.get_running_loop().create_future()
    mech = {}

    def on_auth(_):
        mech["name"] = xmpp.plugin["feature_mechanisms"].mech.name if xmpp.plugin["feature_mechanisms"].mech else None

    def on_start(_):
        if not done.done():
            done.set_result(True)

    def on_failed(_):
        if not done.done():
            done.set_exception(RuntimeError("authentication failed"))

    xmpp.add_event_handler("auth_success", on_auth)
    xmpp.add_event_handler("session_start", on_start)
    xmpp.add_event_handler("failed_auth", on_failed)
    xmpp.connect(host=xmpp.address[0], port=xmpp.address[1])
    await asyncio.wait_for(done, TIMEOUT)
    return mech.get("name")


async def login(host, port, mechanism):
    tls = True
    if mechanism and mechanism.startswith("plain:"):
        tls, mechanism = False, mechanism[len("plain:"):]
    alice = client("alice", "wonderland", host, port, mechanism, tls)
    mech = await started(alice)
    encrypted = alice.is_secure if hasattr(alice, "is_secure") else None
    alice.disconnect()
    await asyncio.wait_for(alice.disconnected, TIMEOUT)
    return {"mechanism": mech, "tls": encrypted}


async def message(host, port):
    alice = client("alice", "wonderland", host, port)
    bob = client("bob", "builder", host, port)
    await started(alice)
    await started(bob)
    got = asyncio.get_running_loop().create_future()
    bob.add_event_handler("message", lambda m: got.done() or got.set_result((str(m["from"]), m["body"])))
    bob.send_presence()
    await asyncio.sleep(0.2)
    alice.send_message(mto=f"bob@{DOMAIN}", mbody="Hello from slixmpp", mtype="chat")
    frm, body = await asyncio.wait_for(got, TIMEOUT)
    for x in (alice, bob):
        x.disconnect()
    return {"from": frm, "body": body}


async def presence(host, port):
    alice = client("alice", "wonderland", host, port)
    bob = client("bob", "builder", host, port)
    await started(alice)
    await started(bob)
    seen = {"alice": asyncio.get_running_loop().create_future(), "bob": asyncio.get_running_loop().create_future()}
    # slixmpp's roster plugin approves subscription requests by default.
    for name, x in (("alice", alice), ("bob", bob)):
        x.add_event_handler(
            "got_online",
            lambda p, name=name: seen[name].done() or seen[name].set_result(str(p["from"])),
        )
        x.send_presence()
    alice.send_presence_subscription(pto=f"bob@{DOMAIN}")
    bob.send_presence_subscription(pto=f"alice@{DOMAIN}")
    a = await asyncio.wait_for(seen["alice"], TIMEOUT)
    b = await asyncio.wait_for(seen["bob"], TIMEOUT)
    for x in (alice, bob):
        x.disconnect()
    return {"alice_sees": a, "bob_sees": b}


async def resume(host, port):
    alice = client("alice", "wonderland", host, port)
    bob = client("bob", "builder", host, port)
    loop = asyncio.get_running_loop()
    enabled = loop.create_future()
    resumed = loop.create_future()
    got = loop.create_future()
    # Keep the XEP-0198 state when the connection drops, to resume.
    alice.end_session_on_disconnect = False
    alice.add_event_handler("sm_enabled", lambda _: enabled.done() or enabled.set_result(True))
    alice.add_event_handler("session_resumed", lambda _: resumed.done() or resumed.set_result(True))
    alice.add_event_handler("message", lambda m: got.done() or got.set_result(m["body"]))
    await started(alice)
    await started(bob)
    alice.send_presence()
    await asyncio.wait_for(enabled, TIMEOUT)
    await asyncio.sleep(0.2)
    # Cut the socket under the stream: no </stream:stream>.
    alice.abort()
    await asyncio.sleep(0.5)
    bob.send_message(mto=f"alice@{DOMAIN}/slixmpp", mbody="sent while you were away", mtype="chat")
    await asyncio.sleep(0.3)
    alice.connect(host=alice.address[0], port=alice.address[1])
    await asyncio.wait_for(resumed, TIMEOUT)
    body = await asyncio.wait_for(got, TIMEOUT)
    for x in (alice, bob):
        x.disconnect()
    return {"resumed": True, "body": body}


def main():
    case, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    mechanism = sys.argv[4] if len(sys.argv) > 4 else None
    run = {
        "login": lambda: login(host, port, mechanism),
        "message": lambda: message(host, port),
        "presence": lambda: presence(host, port),
        "resume": lambda: resume(host, port),
    }[case]
    try:
        result = asyncio.run(asyncio.wait_for(run(), TIMEOUT * 3))
        print(json.dumps({"ok": True, **result}))
    except Exception as e:  # noqa: BLE001 - every failure is one JSON line
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)


if __name__ == "__main__":
    main()
