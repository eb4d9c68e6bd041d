#!/usr/bin/env python3
"""An asyncio client on xmpp_primitives.Client: two accounts log in to a
server and exchange a message, printing one JSON line per step.

    python asyncio_client.py --connect 127.0.0.1:5222 --domain localhost \\
        --account alice:wonderland --account bob:builder --tls off

The machine (xmpp-session's Client) does the protocol: stream
negotiation, STARTTLS, SASL, binding, stream management. This file owns
everything else: the sockets (asyncio streams), TLS (Python's ssl, on the
same connection with StreamWriter.start_tls, or loop.start_tls before
Python 3.11), the clock (loop.time()) and the randomness (os.urandom).

The first account sends a message to the second's full JID; the second
answers it; both close their streams. Exit status 0 when the answer came
back, 1 otherwise. `--insecure` turns certificate verification off (for a
test server's self-signed certificate).
"""

import argparse
import asyncio
import json
import os
import ssl
import sys

from xmpp_primitives import Client, SessionError

READ_SIZE = 65536


def log(**fields):
    print(json.dumps(fields, sort_keys=False), flush=True)


def message_body(stanza):
    """The first <body/> text of a stanza dict (parse_stanza's shape)."""
    for body in stanza.get("bodies") or []:
        return body.get("text")
    return None


class Connection:
    """One Client on one TCP connection, driven by an asyncio task."""

    def __init__(self, name, client, host, port, domain, tls_context):
        self.name = name
        self.client = client
        self.host = host
        self.port = port
        self.domain = domain
        self.tls_context = tls_context
        self.reader = None
        self.writer = None
        self.wake = asyncio.Event()
        self.bound = asyncio.get_running_loop().create_future()
        self.on_stanza = None

    def now_ms(self):
        return int(asyncio.get_running_loop().time() * 1000)

    def send_message(self, to, body):
        self.client.send_message(to, body)
        log(account=self.name, event="sent", to=to, body=body)
        self.wake.set()

    def close(self):
        self.client.close()
        self.wake.set()

    async def flush(self):
        while (data := self.client.poll_transmit()) is not None:
            self.writer.write(data)
        try:
            await self.writer.drain()
        except ConnectionError:
            # The server closed first (after its </stream:stream>, or
            # abruptly); the read side reports which.
            pass

    async def start_tls(self, tls_bytes):
        if tls_bytes:
            raise RuntimeError("TLS records before our ClientHello")
        if hasattr(self.writer, "start_tls"):  # Python 3.11
            await self.writer.start_tls(self.tls_context, server_hostname=self.domain)
        else:
            loop = asyncio.get_running_loop()
            transport = self.writer.transport
            tls = await loop.start_tls(
                transport,
                transport.get_protocol(),
                self.tls_context,
                server_hostname=self.domain,
            )
            self.writer._transport = tls  # what 3.11's StreamWriter.start_tls does
        ssl_object = self.writer.get_extra_info("ssl_object")
        version = ssl_object.version()
        # Python's ssl has tls-unique (RFC 5929 §3) on TLS 1.2 only and no
        # tls-exporter (RFC 9266): on TLS 1.3 there is no binding data, so
        # no -PLUS mechanism.
        bindings = {}
        if version == "TLSv1.2":
            unique = ssl_object.get_channel_binding("tls-unique")
            if unique:
                bindings["tls-unique"] = unique
        self.client.tls_established(version, bindings)
        log(account=self.name, event="tls", version=version, cipher=ssl_object.cipher()[0])

    async def handle(self, event):
        kind = event["event"]
        if kind == "start-tls":
            log(account=self.name, event="start-tls")
            await self.start_tls(event["tls_bytes"])
        elif kind == "stanza":
            stanza = event["stanza"]
            log(
                account=self.name,
                event="stanza",
                kind=event["kind"],
                **{"from": stanza.get("from")},
                body=message_body(stanza),
            )
            if self.on_stanza is not None:
                self.on_stanza(event["kind"], stanza)
        elif kind == "acked":
            log(account=self.name, event="acked", count=len(event["stanzas"]))
        else:
            log(account=self.name, **event)
            if kind == "bound" and not self.bound.done():
                self.bound.set_result(event["jid"])

    async def run(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        log(account=self.name, event="connected", server=f"{self.host}:{self.port}")
        read = None
        try:
            while True:
                await self.flush()
                while (event := self.client.poll_event()) is not None:
                    await self.handle(event)
                    await self.flush()
                if self.client.is_closed:
                    return
                if read is None:
                    read = asyncio.ensure_future(self.reader.read(READ_SIZE))
                wake = asyncio.ensure_future(self.wake.wait())
                deadline = self.client.poll_timeout()
                timeout = None if deadline is None else max(0, deadline - self.now_ms()) / 1000
                done, _ = await asyncio.wait(
                    {read, wake}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                wake.cancel()
                self.wake.clear()
                if read in done:
                    try:
                        data = read.result()
                    except ConnectionError:
                        data = b""
                    read = None
                    if not data:
                        self.client.connection_lost()
                        while (event := self.client.poll_event()) is not None:
                            await self.handle(event)
                        return
                    self.client.handle_input(data)
                elif not done:
                    self.client.handle_timeout(self.now_ms())
        except SessionError as e:
            # The stream error the failure implies goes out first.
            await self.flush()
            log(account=self.name, event="error", kind=e.kind, condition=e.condition, text=str(e))
            raise
        finally:
            if read is not None:
                read.cancel()
            self.writer.close()


async def exchange(args):
    host, _, port = args.connect.rpartition(":")
    context = ssl.create_default_context(cafile=args.cafile)
    if args.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    connections = []
    for account in args.account:
        user, _, password = account.partition(":")
        client = Client(
            f"{user}@{args.domain}",
            password,
            resource="asyncio",
            tls=args.tls,
            allow_plain=args.allow_plain,
            seed=os.urandom(32),
            now_ms=int(asyncio.get_running_loop().time() * 1000),
        )
        connections.append(Connection(user, client, host, int(port), args.domain, context))
    alice, bob = connections
    answered = asyncio.get_running_loop().create_future()
    nonce = os.urandom(6).hex()

    def bob_got(kind, stanza):
        body = message_body(stanza)
        if kind == "message" and body and body.startswith("ping "):
            bob.send_message(stanza["from"], "pong " + body[5:])

    def alice_got(kind, stanza):
        body = message_body(stanza)
        if kind == "message" and body == f"pong {nonce}" and not answered.done():
            answered.set_result(stanza["from"])

    bob.on_stanza = bob_got
    alice.on_stanza = alice_got

    async def script():
        bob_jid = await bob.bound
        await alice.bound
        alice.send_message(bob_jid, f"ping {nonce}")
        await answered
        alice.close()
        bob.close()

    tasks = [asyncio.ensure_future(c.run()) for c in connections]
    scripted = asyncio.ensure_future(script())
    try:
        await asyncio.wait_for(asyncio.gather(scripted, *tasks), args.timeout)
    except BaseException:
        for t in [scripted, *tasks]:
            t.cancel()
        raise
    log(event="done", ok=True, answer_from=answered.result())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connect", required=True, help="host:port of the c2s listener")
    parser.add_argument("--domain", required=True, help="the XMPP domain of the accounts")
    parser.add_argument(
        "--account", action="append", required=True, help="user:password (give two)"
    )
    parser.add_argument("--tls", choices=["required", "optional", "off"], default="required")
    parser.add_argument("--insecure", action="store_true", help="do not verify the certificate")
    parser.add_argument("--cafile", help="CA certificates to verify the server with")
    parser.add_argument("--allow-plain", action="store_true", help="PLAIN without TLS")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds for everything")
    args = parser.parse_args()
    if len(args.account) != 2:
        parser.error("give exactly two --account")
    try:
        asyncio.run(exchange(args))
    except (SessionError, OSError, asyncio.TimeoutError, RuntimeError) as e:
        log(event="done", ok=False, error=type(e).__name__, detail=str(e))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
