use super::*;
use crate::stanza_error::DefinedCondition;

fn el(xml: &str) -> Element {
    xml.parse().unwrap()
}

fn read(xml: &str) -> Result<Stanza, InvalidStanza> {
    Stanza::from_element(xml.parse().unwrap())
}

#[test]
fn message_fields_and_duplicates_kept() {
    let s = read(
        "<message xmlns='jabber:client' to='Juliet@Example.com/balcony' from='romeo@example.net/orchard' \
         id='m1' type='chat' xml:lang='en' extra='kept'><body>Hi</body><body xml:lang='cs'>Ahoj</body>\
         <body xml:lang='cs'>Nazdar</body><thread parent='p'>t1</thread><x xmlns='urn:x'/></message>",
    )
    .unwrap();
    let Stanza::Message(m) = &s else {
        panic!("message")
    };
    assert_eq!(
        m.header.to.as_ref().map(|j| j.as_str()),
        Some("juliet@example.com/balcony")
    );
    assert_eq!(m.kind(), MessageType::Chat);
    assert_eq!(m.body(None).as_deref(), Some("Hi"));
    assert_eq!(m.body(Some("cs")).as_deref(), Some("Ahoj"));
    assert_eq!(m.bodies().count(), 3, "a second same-language body is kept");
    assert_eq!(
        m.thread().map(|(t, p)| (t.into_owned(), p)),
        Some(("t1".into(), Some("p")))
    );
    assert_eq!(m.payloads().count(), 1);
    let e = s.to_element();
    assert_eq!(e.attr("extra"), Some("kept"));
    assert_eq!(Stanza::from_element(e).unwrap(), s);
}

#[test]
fn namespaces_are_runtime_values() {
    for ns in [CLIENT_NS, SERVER_NS, COMPONENT_NS] {
        let s = read(&alloc::format!(
            "<presence xmlns='{ns}' from='a@b/c'><show>dnd</show></presence>"
        ))
        .unwrap();
        assert_eq!(s.header().ns.as_str(), ns);
        let Stanza::Presence(p) = s else { panic!() };
        assert_eq!(p.show(), Some(Show::Dnd));
    }
    let err = read("<message xmlns='urn:other'/>").unwrap_err();
    assert!(!err.is_stanza());
    assert_eq!(err.error_reply(), None);
}

#[test]
fn bad_jid_is_an_error_for_that_stanza_with_the_reply_ready() {
    let err = read("<message xmlns='jabber:client' from='\u{1F600}@example.com' to='me@example.com' id='x'><body>b</body></message>")
        .unwrap_err();
    assert_eq!(err.error.condition(), DefinedCondition::JidMalformed);
    assert_eq!(
        err.element.attr("from"),
        Some("\u{1F600}@example.com"),
        "raw value readable"
    );
    let reply = err.error_reply().unwrap();
    assert_eq!(reply.attr("to"), Some("\u{1F600}@example.com"));
    assert_eq!(reply.attr("from"), Some("me@example.com"));
    assert_eq!(reply.attr("id"), Some("x"));
    assert_eq!(reply.attr("type"), Some("error"));
    let e = StanzaError::from_element(reply.get_child("error", CLIENT_NS).unwrap()).unwrap();
    assert_eq!(e.condition, DefinedCondition::JidMalformed);
}

#[test]
fn iq_payload_rule() {
    let ok = "<iq xmlns='jabber:client' type='get' id='1'><query xmlns='jabber:iq:roster'/></iq>";
    let Stanza::Iq(iq) = read(ok).unwrap() else {
        panic!()
    };
    assert_eq!(iq.payload().map(Element::ns), Some("jabber:iq:roster"));
    let cases = [
        (
            "<iq xmlns='jabber:client' type='get' id='1'/>",
            "bad-request",
        ),
        (
            "<iq xmlns='jabber:client' type='set' id='1'><a/><b/></iq>",
            "bad-request",
        ),
        (
            "<iq xmlns='jabber:client' type='result' id='1'><a/><b/></iq>",
            "bad-request",
        ),
        (
            "<iq xmlns='jabber:client' type='get'><a/></iq>",
            "bad-request",
        ),
        ("<iq xmlns='jabber:client' id='1'><a/></iq>", "bad-request"),
        (
            "<iq xmlns='jabber:client' type='fetch' id='1'><a/></iq>",
            "bad-request",
        ),
        (
            "<iq xmlns='jabber:client' type='error' id='1'/>",
            "bad-request",
        ),
        (
            "<presence xmlns='jabber:client' type='away'/>",
            "bad-request",
        ),
        (
            "<presence xmlns='jabber:client'><priority>128</priority></presence>",
            "bad-request",
        ),
        (
            "<presence xmlns='jabber:client'><show>busy</show></presence>",
            "bad-request",
        ),
        ("<message xmlns='jabber:client' to='@x'/>", "jid-malformed"),
    ];
    for (xml, condition) in cases {
        let err = read(xml).unwrap_err();
        assert_eq!(err.error.condition().as_str(), condition, "{xml}");
    }
}

#[test]
fn replies_swap_addresses_and_keep_the_id() {
    let Stanza::Iq(iq) = read(
        "<iq xmlns='jabber:server' type='get' id='p1' from='a@b/c' to='b'><ping xmlns='urn:xmpp:ping'/></iq>",
    )
    .unwrap() else {
        panic!()
    };
    let r = iq.make_result(None).unwrap();
    assert_eq!(
        r.to_element().to_xml(),
        "<iq xmlns='jabber:server' to='a@b/c' from='b' id='p1' type='result'/>"
    );
    let s = Stanza::Iq(iq);
    let err = s
        .make_error_reply(StanzaError::new(DefinedCondition::ServiceUnavailable))
        .unwrap();
    assert!(err.is_error());
    assert_eq!(
        err.make_error_reply(StanzaError::new(DefinedCondition::BadRequest)),
        None
    );
    let Stanza::Iq(e) = err else { panic!() };
    assert_eq!(
        e.error().unwrap().unwrap().condition,
        DefinedCondition::ServiceUnavailable
    );
}

#[test]
fn presence_builders_and_unknown_message_type() {
    let p = Presence::new(StanzaNs::Client, PresenceType::Available)
        .with_show(Show::Away)
        .with_priority(-128)
        .with_status(Some("en"), "out");
    let back = Stanza::from_element(p.to_element()).unwrap();
    let Stanza::Presence(b) = back else { panic!() };
    assert_eq!((b.show(), b.priority()), (Some(Show::Away), -128));
    let Stanza::Message(m) = read("<message xmlns='jabber:client' type='weird'/>").unwrap() else {
        panic!()
    };
    assert_eq!(m.kind(), MessageType::Normal);
    assert_eq!(m.to_element().attr("type"), Some("weird"));
}

/// RFC 6120 §8.1.5, RFC 6121 §5.2.3: a body, subject or status without
/// `xml:lang` is in the stanza's language, and a stanza without one is in
/// the stream's.
#[test]
fn languages_are_inherited() {
    let m = Message::try_from(el(
        "<message xmlns='jabber:client' xml:lang='en'><subject>s</subject><body>hi</body>\
         <body xml:lang='de'>hallo</body></message>",
    ))
    .unwrap();
    assert_eq!(m.body(Some("en")).as_deref(), Some("hi"));
    assert_eq!(m.body(Some("EN")).as_deref(), Some("hi"));
    assert_eq!(m.body(Some("de")).as_deref(), Some("hallo"));
    assert_eq!(m.body(None).as_deref(), Some("hi"));
    assert_eq!(m.subject(Some("en")).as_deref(), Some("s"));
    let langs: Vec<_> = m.bodies().map(|(l, _)| l).collect();
    assert_eq!(langs, [Some("en"), Some("de")]);
    let p = Presence::try_from(el(
        "<presence xmlns='jabber:client' xml:lang='fr'><status>là</status></presence>",
    ))
    .unwrap();
    assert_eq!(p.status(Some("fr")).as_deref(), Some("là"));

    let mut framer = xmpp_stream::Framer::new(xmpp_stream::Transport::Tcp);
    framer.feed(
        b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
          xml:lang='cs'><message><body>ahoj</body></message><message xml:lang='en'><body>hi</body></message>",
    );
    let Ok(Some(xmpp_stream::Event::StreamOpen(header))) = framer.next_event() else {
        panic!("a header")
    };
    let mut got = Vec::new();
    while let Ok(Some(xmpp_stream::Event::Element(frame))) = framer.next_event() {
        let Ok(Stanza::Message(m)) = Stanza::from_frame_with_lang(&frame, header.lang()) else {
            panic!("a message")
        };
        got.push((m.header.lang.clone(), m.body(header.lang()).is_some()));
    }
    assert_eq!(got, [(Some("cs".into()), true), (Some("en".into()), false)]);
    // Without the stream's language nothing is made up.
    let mut s = Stanza::from_element(el("<message xmlns='jabber:client'/>")).unwrap();
    s.inherit_lang(None);
    assert_eq!(s.header().lang, None);
}
