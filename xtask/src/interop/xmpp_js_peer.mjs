// @xmpp/client against `xmpp serve`: one case per invocation, one JSON
// line out.
//
// Usage: node xmpp_js_peer.mjs CASE SERVICE [MECHANISM]
//   CASE: login | message
//   SERVICE: xmpp://127.0.0.1:PORT (STARTTLS when offered) or
//            ws://127.0.0.1:PORT/xmpp-websocket
// Accounts alice/wonderland and bob/builder on localhost. The server's
// certificate is self-signed: run with NODE_TLS_REJECT_UNAUTHORIZED=0.
import { client, xml } from "@xmpp/client";

const [, , kase, service, mechanism] = process.argv;
const TIMEOUT = 15000;

function connect(username, password) {
  const options = { service, domain: "localhost", username, password, resource: "xmppjs" };
  const c = client(options);
  c.on("error", () => {});
  if (mechanism) {
    // Offer only the mechanism asked for.
    const sasl = c.saslFactory;
    const names = sasl._mechs.map((m) => m.name).filter((n) => n !== mechanism);
    sasl._mechs = sasl._mechs.filter((m) => !names.includes(m.name));
  }
  return c;
}

function within(promise, what) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), TIMEOUT)),
  ]);
}

async function login() {
  const alice = connect("alice", "wonderland");
  let mech = null;
  alice.on("status", () => {});
  const jid = await within(alice.start(), "alice online");
  mech = alice.mechanism || null;
  const secure = alice.socket && alice.socket.encrypted ? true : (service.startsWith("ws") ? null : false);
  await alice.stop();
  return { jid: jid.toString(), mechanism: mech, tls: secure };
}

async function message() {
  const alice = connect("alice", "wonderland");
  const bob = connect("bob", "builder");
  await within(alice.start(), "alice online");
  await within(bob.start(), "bob online");
  await bob.send(xml("presence"));
  const got = new Promise((resolve) => {
    bob.on("stanza", (s) => {
      if (s.is("message") && s.getChildText("body")) resolve({ from: s.attrs.from, body: s.getChildText("body") });
    });
  });
  await new Promise((r) => setTimeout(r, 200));
  await alice.send(xml("message", { to: "bob@localhost", type: "chat" }, xml("body", {}, "Hello from xmpp.js")));
  const result = await within(got, "bob's message");
  await alice.stop();
  await bob.stop();
  return result;
}

const cases = { login, message };
try {
  const result = await cases[kase]();
  console.log(JSON.stringify({ ok: true, ...result }));
  process.exit(0);
} catch (e) {
  console.log(JSON.stringify({ ok: false, error: String(e && e.message || e) }));
  process.exit(1);
}
