//! `RoutedStanza`: a stanza one server session read, sent by another
//! from the bytes it came in. What the second session writes is read by
//! its client as the same stanza the serializer's bytes give, `from`
//! stamped (RFC 6120 §8.1.2.1), on TCP and WebSocket, and XEP-0198 keeps
//! it for resending like any other.

use proptest::prelude::*;
use xmpp_session::{ClientEvent, RoutedStanza, ServerEvent, TlsPolicy, Transport};
use xmpp_stanza::Stanza;

use crate::pair::{PASSWORD, Pair};

/// A bound pair for `user` on `transport` (WebSocket without TLS, which
/// belongs to a proxy there), and its full JID.
fn bound(user: &str, password: &str, transport: Transport) -> (Pair, String) {
    let mut client = Pair::client_config(user, password).transport(transport);
    let mut server = Pair::server_config().transport(transport);
    if transport == Transport::WebSocket {
        client = client.tls(TlsPolicy::Off).allow_plain_unencrypted(true);
        server = server.tls(TlsPolicy::Off).allow_plain_unencrypted(true);
    }
    let mut pair = Pair::new(client, server);
    pair.drive();
    let jid = pair.bound_jid().expect("bound");
    pair.client_events.clear();
    pair.server_events.clear();
    (pair, jid)
}

/// `xml` as raw input to the server of `from`: the stanza it reports.
fn receive(from: &mut Pair, xml: &str) -> Option<RoutedStanza> {
    from.server.handle_input(xml.as_bytes()).expect("input");
    from.drive();
    from.server_events.drain(..).find_map(|e| match e {
        ServerEvent::Stanza(s) => Some(s),
        _ => None,
    })
}

/// Sends `stanza` through the server of `to`: the bytes it wrote and the
/// stanza its client read.
fn deliver(to: &mut Pair, stanza: impl Into<RoutedStanza>) -> (String, Stanza) {
    let before = to.s2c_log.len();
    to.server.send(stanza).expect("send");
    to.drive();
    assert_eq!(to.client_error, None);
    let written = String::from_utf8(to.s2c_log[before..].to_vec()).expect("utf-8");
    let read = to
        .client_events
        .drain(..)
        .find_map(|e| match e {
            ClientEvent::Stanza(s) => Some(s),
            _ => None,
        })
        .expect("the client reads a stanza");
    (written, read)
}

struct Route {
    alice: Pair,
    bob: Pair,
    alice_jid: String,
    bob_jid: String,
}

fn route_pair(alice: Transport, bob: Transport) -> Route {
    let (alice, alice_jid) = bound("juliet", PASSWORD, alice);
    let (bob, bob_jid) = bound("romeo", "montague", bob);
    Route {
        alice,
        bob,
        alice_jid,
        bob_jid,
    }
}

#[test]
fn forwarded_bytes_are_the_received_ones_with_from_stamped() {
    let mut r = route_pair(Transport::Tcp, Transport::Tcp);
    let xml = format!(
        "<message to='{}' from='mallory@evil.example/x' type=\"chat\" id='a&amp;b'>\
         <body>Wherefore &lt;art&gt; thou?</body><x:y xmlns:x='urn:x'/></message>",
        r.bob_jid
    );
    let routed = receive(&mut r.alice, &xml).expect("a stanza");
    assert!(routed.frame().is_some(), "the received bytes are kept");
    assert_eq!(
        routed.header().from.as_ref().map(|j| j.as_str()),
        Some(r.alice_jid.as_str())
    );
    let (written, read) = deliver(&mut r.bob, routed.clone());
    assert_eq!(
        written,
        xml.replace("mallory@evil.example/x", &r.alice_jid),
        "only from changes"
    );
    assert_eq!(&read, routed.stanza());
}

/// RFC 6120 §4.7.4: a stanza without `xml:lang` from a stream whose
/// header gave one is forwarded with that language added; one with its
/// own keeps it (§8.1.5), bytes unchanged.
#[test]
fn forwarded_bytes_carry_the_senders_stream_language() {
    let client = Pair::client_config("juliet", PASSWORD).lang("de");
    let mut alice = Pair::new(client, Pair::server_config());
    alice.drive();
    alice.server_events.clear();
    let (mut bob, bob_jid) = bound("romeo", "montague", Transport::Tcp);
    let plain = format!("<message to='{bob_jid}' type='chat'><body>hallo</body></message>");
    let routed = receive(&mut alice, &plain).expect("a stanza");
    assert!(routed.frame().is_some(), "the received bytes are kept");
    let (written, read) = deliver(&mut bob, routed);
    assert!(written.contains(" xml:lang='de'"), "{written}");
    assert_eq!(read.header().lang.as_deref(), Some("de"));
    let own =
        format!("<message to='{bob_jid}' type='chat' xml:lang='fr'><body>salut</body></message>");
    let routed = receive(&mut alice, &own).expect("a stanza");
    let (written, read) = deliver(&mut bob, routed);
    assert_eq!(written.matches("xml:lang").count(), 1, "{written}");
    assert_eq!(read.header().lang.as_deref(), Some("fr"));
}

#[test]
fn forwarded_to_websocket_declares_the_content_namespace() {
    let mut r = route_pair(Transport::Tcp, Transport::WebSocket);
    let xml = format!("<message to='{}'><body>hi</body></message>", r.bob_jid);
    let routed = receive(&mut r.alice, &xml).expect("a stanza");
    let (written, read) = deliver(&mut r.bob, routed.clone());
    assert_eq!(
        written,
        format!(
            "<message xmlns='jabber:client' from='{}' to='{}'><body>hi</body></message>",
            r.alice_jid, r.bob_jid
        )
    );
    assert_eq!(&read, routed.stanza());
}

#[test]
fn a_prefixed_stanza_is_serialized_instead() {
    let mut r = route_pair(Transport::Tcp, Transport::Tcp);
    let xml = format!(
        "<c:message xmlns:c='jabber:client' to='{}'><c:body>hi</c:body></c:message>",
        r.bob_jid
    );
    let routed = receive(&mut r.alice, &xml).expect("a stanza");
    assert!(routed.frame().is_none());
    let (written, read) = deliver(&mut r.bob, routed.clone());
    assert!(written.starts_with("<message "), "{written}");
    assert_eq!(&read, routed.stanza());
}

#[test]
fn forwarded_stanzas_are_kept_and_resent_after_resumption() {
    let mut r = route_pair(Transport::Tcp, Transport::Tcp);
    let mut sent = Vec::new();
    for n in 0..3 {
        let xml = format!(
            "<message to='{}' id='m{n}'><body>{n}</body></message>",
            r.bob_jid
        );
        let routed = receive(&mut r.alice, &xml).expect("a stanza");
        sent.push(routed.stanza().clone());
        // Written, but the connection is cut before bob's client reads
        // them: only the resumption brings them.
        r.bob.server.send(routed).expect("send");
    }
    r.bob.cut();
    let state = r.bob.server.take_resumption_state().expect("resumable");
    assert_eq!(state.unacked_stanzas(), sent);
    let client_state = r.bob.client.take_resumption_state().expect("client state");
    let config = Pair::client_config("romeo", "montague").resume(client_state);
    let mut next = Pair::new(config, Pair::server_config());
    next.sessions.insert(state.id().to_owned(), state);
    next.drive();
    let got: Vec<Stanza> = next.client_stanzas().into_iter().cloned().collect();
    assert_eq!(got, sent);
}

#[test]
fn acknowledged_forwarded_stanzas_come_back_typed() {
    let mut r = route_pair(Transport::Tcp, Transport::Tcp);
    let xml = format!("<message to='{}'><body>ack me</body></message>", r.bob_jid);
    let routed = receive(&mut r.alice, &xml).expect("a stanza");
    let typed = routed.stanza().clone();
    deliver(&mut r.bob, routed);
    r.bob.server.request_ack();
    r.bob.drive();
    let acked = r.bob.server_events.iter().find_map(|e| match e {
        ServerEvent::Acked(v) => Some(v.clone()),
        _ => None,
    });
    assert_eq!(acked, Some(vec![typed]));
}

/// Attribute values and text that exercise escaping and references.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a",
            "Z",
            " ",
            "&amp;",
            "&lt;",
            "&gt;",
            "&apos;",
            "&quot;",
            "&#x263A;",
            "é",
            "\t",
            ">",
            "\r\n",
            "\r",
            "&#13;",
            "<![CDATA[<x>&]]>",
        ]),
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever form a client's stanza takes, the forwarded bytes read as
    /// the stanza the serializer's bytes read as, and as the stanza the
    /// first session typed.
    #[test]
    fn forwarded_and_serialized_read_the_same(
        bob_ws in any::<bool>(),
        own_ns in any::<bool>(),
        forged in any::<bool>(),
        double in any::<bool>(),
        id in text(),
        body in text(),
        lang in prop::option::of(prop::sample::select(vec!["en", "de-CH"])),
        extension in prop::option::of(prop::sample::select(vec![
            "<p:x xmlns:p='urn:example:p' p:a='1'><y/></p:x>",
            // The stream header's prefix: the forwarded bytes declare it.
            "<stream:x/>",
            "<z xmlns='urn:example:z' a='&#x9;b&#xA;\r\n'>\r\n</z>",
        ])),
        kind in prop::sample::select(vec!["message", "iq"]),
    ) {
        let bob = if bob_ws { Transport::WebSocket } else { Transport::Tcp };
        let mut r = route_pair(Transport::Tcp, bob);
        let q = if double { '"' } else { '\'' };
        // Only the bodies take CDATA: attribute values cannot.
        let attr_id = id.replace("<![CDATA[<x>&]]>", "&lt;x>&amp;").replace(q, "&#39;");
        let mut xml = format!("<{kind} to={q}{}{q}", r.bob_jid);
        if own_ns {
            xml.push_str(" xmlns='jabber:client'");
        }
        if forged {
            xml.push_str(" from='nurse@example.com/x'");
        }
        xml.push_str(&format!(" id={q}{attr_id}{q}"));
        if let Some(lang) = lang {
            xml.push_str(&format!(" xml:lang='{lang}'"));
        }
        match kind {
            "iq" => xml.push_str(" type='get'><q xmlns='urn:example:q'><t>"),
            _ => xml.push_str("><body>"),
        }
        xml.push_str(&body);
        match kind {
            "iq" => xml.push_str("</t></q>"),
            _ => xml.push_str("</body>"),
        }
        // An iq has exactly one payload (RFC 6120 §8.2.3).
        if let (Some(extension), "message") = (extension, kind) {
            xml.push_str(extension);
        }
        xml.push_str(&format!("</{kind}>"));
        let routed = receive(&mut r.alice, &xml).expect("a stanza");
        prop_assert!(routed.frame().is_some());
        let (_, forwarded) = deliver(&mut r.bob, routed.clone());
        let (_, serialized) = deliver(&mut r.bob, routed.clone().into_stanza());
        prop_assert_eq!(&forwarded, &serialized);
        prop_assert_eq!(&forwarded, routed.stanza());
    }
}
