//! The RFC 3921 §3 session a server may still require after binding,
//! against a scripted server: the client establishes it before `Bound`,
//! and a stanza that comes in between is dropped, as one before the bind
//! result is (RFC 6120 §7.1; review8 finding 7).

use xmpp_jid::BareJid;
use xmpp_sasl::Mechanism;
use xmpp_session::{Client, ClientConfig, ClientEvent, Instant, Seed, SmConfig, TlsPolicy};

const HEADER: &[u8] = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.test' version='1.0'>";

/// Everything the client sent since the last call, as text.
fn sent(c: &mut Client) -> String {
    let mut out = Vec::new();
    while let Some(bytes) = c.poll_transmit() {
        out.extend(bytes);
    }
    String::from_utf8(out).expect("utf-8")
}

/// The `id` of the first `<iq>` in `text`.
fn iq_id(text: &str) -> String {
    text.split("<iq")
        .nth(1)
        .and_then(|iq| iq.split("id='").nth(1))
        .and_then(|rest| rest.split('\'').next())
        .expect("an iq with an id")
        .to_owned()
}

fn events(c: &mut Client) -> Vec<ClientEvent> {
    core::iter::from_fn(|| c.poll_event()).collect()
}

#[test]
fn a_required_session_comes_before_bound_and_stanzas_meanwhile_are_dropped() {
    let jid = BareJid::new("juliet@example.test").expect("jid");
    let config = ClientConfig::new(jid, "r0m30")
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true)
        .mechanisms([Mechanism::Plain])
        .sasl2(false)
        .sm(SmConfig::off());
    let mut c = Client::new(config, Seed::new([7; 32]), Instant::from_millis(0));
    assert!(sent(&mut c).contains("<stream:stream"));
    c.handle_input(HEADER).expect("header");
    c.handle_input(
        b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
          <mechanism>PLAIN</mechanism></mechanisms></stream:features>",
    )
    .expect("features");
    assert!(sent(&mut c).contains("mechanism='PLAIN'"));
    c.handle_input(b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")
        .expect("success");
    assert!(sent(&mut c).contains("<stream:stream"));
    c.handle_input(HEADER).expect("header after SASL");
    // The session feature without <optional/>: required.
    c.handle_input(
        b"<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
          <session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></stream:features>",
    )
    .expect("features after SASL");
    let bind = sent(&mut c);
    assert!(bind.contains("urn:ietf:params:xml:ns:xmpp-bind"), "{bind}");
    let result = format!(
        "<iq type='result' id='{}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
         <jid>juliet@example.test/balcony</jid></bind></iq>",
        iq_id(&bind)
    );
    c.handle_input(result.as_bytes()).expect("bind result");
    let session = sent(&mut c);
    assert!(
        session.contains("<session xmlns='urn:ietf:params:xml:ns:xmpp-session'/>"),
        "{session}"
    );
    assert!(
        !events(&mut c)
            .iter()
            .any(|e| matches!(e, ClientEvent::Bound { .. })),
        "not bound before the session"
    );
    // A message and a roster push before the session result: dropped.
    c.handle_input(
        b"<message from='admin@example.test' to='juliet@example.test/balcony'>\
          <body>early</body></message>\
          <iq type='set' id='push1'><query xmlns='jabber:iq:roster'/></iq>",
    )
    .expect("stanzas before the session");
    assert!(events(&mut c).is_empty());
    let answer = format!("<iq type='result' id='{}'/>", iq_id(&session));
    c.handle_input(answer.as_bytes()).expect("session result");
    let got = events(&mut c);
    assert!(
        got.iter()
            .any(|e| matches!(e, ClientEvent::Bound { jid } if jid.as_str() == "juliet@example.test/balcony")),
        "{got:?}"
    );
    assert!(
        !got.iter().any(|e| matches!(e, ClientEvent::Stanza(_))),
        "{got:?}"
    );
    // From now on, stanzas arrive.
    c.handle_input(b"<message from='admin@example.test'><body>now</body></message>")
        .expect("a message once bound");
    assert!(
        events(&mut c)
            .iter()
            .any(|e| matches!(e, ClientEvent::Stanza(_)))
    );
}
