//! Properties: parse(serialize(e)) == e for every tree, standalone and
//! inside a stream; parsing arbitrary bytes never panics.

use proptest::prelude::*;
use xmpp_stanza::{Element, XML_NS};

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("body".to_owned()),
        Just("x-y.z_1".to_owned()),
        Just("é".to_owned()),
        Just("ns0".to_owned()),
        "[a-zA-Z_][a-zA-Z0-9._-]{0,6}",
    ]
}

fn namespace() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("jabber:client".to_owned()),
        Just("urn:a".to_owned()),
        Just("urn:b&<'\"".to_owned()),
        Just("http://jabber.org/protocol/caps".to_owned()),
    ]
}

/// Any string of XML characters, white space and markup characters favoured.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just('<'),
            Just('>'),
            Just('&'),
            Just('\''),
            Just('"'),
            Just('\r'),
            Just('\n'),
            Just('\t'),
            Just(' '),
            Just(']'),
            Just('é'),
            Just('\u{1F600}'),
            Just('\u{FFFD}'),
            prop::char::range('a', 'z'),
        ],
        0..12,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn attr_ns() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(XML_NS.to_owned()),
        Just("urn:attr".to_owned()),
        Just("urn:b&<'\"".to_owned())
    ]
}

fn leaf() -> impl Strategy<Value = Element> {
    (
        name(),
        namespace(),
        prop::collection::vec((name(), attr_ns(), text()), 0..4),
    )
        .prop_map(|(n, ns, attrs)| {
            let mut e = Element::new(&n, &ns);
            for (a, ans, v) in attrs {
                e.set_attr_ns(&a, &ans, v);
            }
            e
        })
}

pub(crate) fn tree() -> impl Strategy<Value = Element> {
    leaf().prop_recursive(4, 32, 5, |inner| {
        (
            leaf(),
            prop::collection::vec(prop_oneof![inner.prop_map(Ok), text().prop_map(Err)], 0..5),
        )
            .prop_map(|(mut e, kids)| {
                for k in kids {
                    match k {
                        Ok(c) => e.push_child(c),
                        Err(t) => e.push_text(&t),
                    }
                }
                e
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parse_of_serialize_is_identity(e in tree()) {
        let xml = e.to_xml();
        prop_assert_eq!(Element::from_bytes(xml.as_bytes()), Ok(e), "{}", xml);
    }

    #[test]
    fn framed_in_a_stream_is_identity(mut e in tree()) {
        // A top-level element of a jabber:client stream, written without
        // its own xmlns where it can be.
        e = Element::new("message", "jabber:client").with_child(e);
        let mut xml = String::new();
        e.write_xml_in(&mut xml, "jabber:client");
        let frame = crate::vectors::frame("jabber:client", &xml).map_err(|x| TestCaseError::fail(format!("{x}: {xml}")))?;
        prop_assert_eq!(Element::from_frame(&frame), Ok(e), "{}", xml);
    }

    #[test]
    fn typed_stanzas_round_trip_with_any_payload(
        kind in prop_oneof![Just("message"), Just("presence"), Just("iq")],
        ns in prop_oneof![
            Just("jabber:client"),
            Just("jabber:server"),
            Just("jabber:component:accept"),
            Just("jabber:component:connect"),
        ],
        type_ in prop_oneof![Just(None), Just(Some("chat")), Just(Some("get")), Just(Some("result")),
                             Just(Some("unavailable")), Just(Some("weird"))],
        payloads in prop::collection::vec(tree(), 0..3),
    ) {
        let mut e = Element::new(kind, ns).with_attr("id", "x1").with_attr("to", "juliet@example.com/balcony");
        if let Some(t) = type_ {
            e.set_attr("type", t);
        }
        for p in payloads {
            e.push_child(p);
        }
        if let Ok(s) = xmpp_stanza::Stanza::from_element(e.clone()) {
            let back = s.to_element();
            prop_assert_eq!(back.nodes(), e.nodes(), "children kept");
            prop_assert_eq!(back.attrs().len(), e.attrs().len(), "attributes kept");
            prop_assert_eq!(xmpp_stanza::Stanza::from_element(back), Ok(s));
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Element::from_bytes(&bytes);
    }

    #[test]
    fn mutated_xml_never_panics(e in tree(), at in any::<prop::sample::Index>(), b in any::<u8>()) {
        let mut xml = e.to_xml().into_bytes();
        if !xml.is_empty() {
            let i = at.index(xml.len());
            xml[i] = b;
        }
        if let Ok(parsed) = Element::from_bytes(&xml) {
            // Whatever parses also round-trips.
            prop_assert_eq!(Element::from_bytes(parsed.to_xml().as_bytes()), Ok(parsed));
        }
    }
}
