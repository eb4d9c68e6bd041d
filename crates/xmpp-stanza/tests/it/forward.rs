//! `xmpp_stream::Frame::write_forwarded`: what it writes stands on its
//! own (it frames under a header that declares nothing it relies on, and
//! parses standalone) and is the original tree with only `from` and the
//! content namespace changed.

use proptest::prelude::*;
use xmpp_stanza::Element;
use xmpp_stream::{Event, Forward, Framer, Transport};

const DIALBACK: &str = "jabber:server:dialback";

/// The one element of `xml` framed under a c2s header that also declares
/// the dialback prefix (as an s2s header would) and a `p` prefix.
fn frame(xml: &str) -> Option<xmpp_stream::Frame> {
    let mut framer = Framer::new(Transport::Tcp);
    framer.feed(
        format!(
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
             xmlns:db='{DIALBACK}' xmlns:p='urn:stream-p' version='1.0'>{xml}"
        )
        .as_bytes(),
    );
    let _header = framer.next_event().ok()??;
    match framer.next_event() {
        Ok(Some(Event::Element(e))) => Some(*e),
        _ => None,
    }
}

/// `e` with every name in `from` moved to `to`, and `from` stamped on top.
fn expected(e: &Element, old: &str, new: &str, stamp: Option<&str>) -> Element {
    let ns = if e.ns() == old { new } else { e.ns() };
    let mut out = Element::new(e.name(), ns);
    for a in e.attrs() {
        if a.ns().is_empty() {
            out.set_attr(a.name(), a.value());
        } else {
            out.set_attr_ns(a.name(), a.ns(), a.value());
        }
    }
    if let Some(from) = stamp {
        out.set_attr("from", from);
    }
    for node in e.nodes().iter() {
        if let Some(child) = node.as_element() {
            out.push_child(expected(child, old, new, None));
        } else if let Some(text) = node.as_text() {
            out.push_text(text);
        }
    }
    out
}

/// A tree's shape with attributes in a fixed order (the writer adds new
/// ones after the name; XML gives their order no meaning).
fn canon(e: &Element) -> String {
    let mut attrs: Vec<String> = e
        .attrs()
        .iter()
        .map(|a| format!("{{{}}}{}={:?}", a.ns(), a.name(), a.value()))
        .collect();
    attrs.sort();
    let mut out = format!("<{{{}}}{} {}>", e.ns(), e.name(), attrs.join(" "));
    for node in e.nodes().iter() {
        if let Some(child) = node.as_element() {
            out.push_str(&canon(child));
        } else if let Some(text) = node.as_text() {
            out.push_str(&format!("{text:?}"));
        }
    }
    out.push_str("</>");
    out
}

/// The one element of a stream of `header_ns` holding `xml`, framed.
fn reframe(header_ns: &str, xml: &str) -> Result<xmpp_stream::Frame, String> {
    let mut framer = Framer::new(Transport::Tcp);
    framer.feed(
        format!(
            "<stream:stream xmlns='{header_ns}' xmlns:stream='http://etherx.jabber.org/streams' \
             version='1.0'>{xml}"
        )
        .as_bytes(),
    );
    let _header = framer.next_event();
    match framer.next_event() {
        Ok(Some(Event::Element(e))) if e.xml() == xml => Ok(*e),
        other => Err(format!("{xml}: framed as {other:?}")),
    }
}

/// Checks one element forwarded with `how`.
fn check(xml: &str, how: &Forward<'_>) -> Result<(), String> {
    let Some(frame) = frame(xml) else {
        return Ok(());
    };
    let original = Element::from_frame(&frame).map_err(|e| format!("{xml}: {e}"))?;
    let out = frame.to_forwarded(how);
    let new_ns = how.content_namespace.unwrap_or("jabber:client");
    let want = canon(&expected(&original, "jabber:client", new_ns, how.from));
    // It frames under a header declaring none of the prefixes it uses
    // (the default namespace is the one it is written for) ...
    let framed = reframe(new_ns, &out)?;
    if framed.uses_stream_prefixes() {
        return Err(format!("{out}: still uses {:?}", framed.stream_prefixes()));
    }
    let got = Element::from_frame(&framed).map_err(|e| format!("{out}: {e}"))?;
    if canon(&got) != want {
        return Err(format!(
            "{xml}\n forwarded: {out}\n framed: {}\n want:   {want}",
            canon(&got)
        ));
    }
    // ... and, with its content namespace set, parses on its own.
    if how.content_namespace.is_some() {
        let parsed = Element::from_bytes(out.as_bytes()).map_err(|e| format!("{out}: {e}"))?;
        if canon(&parsed) != want {
            return Err(format!(
                "{xml}\n forwarded: {out}\n standalone: {}",
                canon(&parsed)
            ));
        }
    }
    Ok(())
}

#[test]
fn unchanged_without_options_or_stream_prefixes() {
    let xml = "<message to='a@b' from=\"x&amp;y\"><body>hi &lt;3</body></message>";
    let e = frame(xml).unwrap();
    assert!(!e.uses_stream_prefixes());
    assert_eq!(e.to_forwarded(&Forward::new()), xml);
}

#[test]
fn stream_prefixes_are_found_where_nothing_inside_declares_them() {
    for (xml, want) in [
        ("<message><body>db:x</body></message>", &[][..]),
        ("<db:result to='b'>k</db:result>", &["db"][..]),
        ("<message db:x='1'/>", &["db"]),
        (
            "<message xml:lang='en'><p:x xmlns:p='u' p:y='1'/></message>",
            &[],
        ),
        ("<message><a xmlns:p='u'/><p:b/></message>", &["p"]),
        (
            "<message><a xmlns:db='u'><db:b/></a><p:c/><db:d/></message>",
            &["p", "db"],
        ),
        ("<message><body><![CDATA[<db:x>]]></body></message>", &[]),
        ("<message a='&gt;p:x'><b c=\"/>db:y\"/></message>", &[]),
    ] {
        let e = frame(xml).unwrap_or_else(|| panic!("{xml} frames"));
        assert_eq!(e.stream_prefixes(), want, "{xml}");
        assert_eq!(e.uses_stream_prefixes(), !want.is_empty(), "{xml}");
        check(xml, &Forward::new().content_namespace("jabber:server")).unwrap();
    }
}

#[test]
fn from_is_replaced_in_its_own_quotes_or_added() {
    let e = frame("<iq type='get' from=\"a@b/c\" id='1'/>").unwrap();
    assert_eq!(
        e.to_forwarded(&Forward::new().stamp_from("j@e/\"r'")),
        "<iq type='get' from=\"j@e/&quot;r&apos;\" id='1'/>"
    );
    let e = frame("<iq xmlns='jabber:client' type='get'/>").unwrap();
    assert_eq!(
        e.to_forwarded(
            &Forward::new()
                .stamp_from("j@e")
                .content_namespace("jabber:server")
        ),
        "<iq from='j@e' xmlns='jabber:server' type='get'/>"
    );
}

/// Attributes of the top element, each name at most once.
fn top_attributes() -> impl Strategy<Value = String> {
    let from = prop_oneof![
        Just(" from='juliet@example.com/balcony'"),
        Just(" from=\"a&amp;b&apos;\""),
    ];
    (
        from,
        prop::sample::subsequence(
            vec![
                " to='romeo@example.net'",
                " from",
                " id='x1'",
                " xml:lang='en'",
                " db:key='k'",
                " p:a=\"1\"",
                " xmlns='jabber:client'",
                " xmlns:q='urn:own-q'",
                "\n\ttype = 'chat'",
            ],
            0..6,
        ),
    )
        .prop_map(|(from, attrs)| {
            attrs
                .into_iter()
                .map(|a| if a == " from" { from } else { a })
                .collect()
        })
}

/// Content: text, unprefixed children that take the default namespace,
/// children in other namespaces, and children using the stream's prefixes
/// or prefixes declared on the way.
fn content() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("hi &amp; &lt;3 é".to_owned()),
        Just("<![CDATA[<db:x> & ]]>".to_owned()),
        Just("<body>b</body>".to_owned()),
        Just("<thread/>".to_owned()),
        Just("<db:verify id='1'>v</db:verify>".to_owned()),
        Just("<p:x p:y='1'/>".to_owned()),
        Just("<q:x xmlns:q='urn:q2'/>".to_owned()),
        Just("<x xmlns='urn:other'><y/></x>".to_owned()),
        Just("<x xmlns:db='urn:not-dialback'><db:y/></x>".to_owned()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        (
            prop_oneof![Just("a"), Just("db:a"), Just("p:a")],
            prop::collection::vec(inner, 0..4),
        )
            .prop_map(|(name, kids)| format!("<{name}>{}</{name}>", kids.concat()))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn forwarded_elements_stand_alone_with_only_from_and_namespace_changed(
        name in prop_oneof![Just("message"), Just("iq"), Just("presence"), Just("db:result")],
        attrs in top_attributes(),
        kids in prop::collection::vec(content(), 0..4),
        stamp in prop::option::of(prop_oneof![Just("j@e/r"), Just("o'\"<&>")]),
        server in any::<bool>(),
    ) {
        let xml = format!("<{name}{attrs}>{}</{name}>", kids.concat());
        prop_assume!(frame(&xml).is_some());
        let mut how = Forward::new();
        if let Some(s) = stamp {
            how = how.stamp_from(s);
        }
        if server {
            how = how.content_namespace("jabber:server");
        }
        check(&xml, &how).map_err(TestCaseError::fail)?;
    }
}

/// `Forward::default_lang` adds `xml:lang` to an element without one
/// (RFC 6120 §4.7.4) and leaves an element's own alone (§8.1.5), with the
/// value escaped.
#[test]
fn a_default_language_is_added_only_where_there_is_none() {
    let how = Forward::new().default_lang("d'e");
    let plain = frame("<message to='a@b'><body>x</body></message>").expect("frame");
    let out = plain.to_forwarded(&how);
    assert_eq!(
        out,
        "<message xml:lang='d&apos;e' to='a@b'><body>x</body></message>"
    );
    let e = Element::from_bytes(out.as_bytes()).expect("parses standalone");
    assert_eq!(e.attr_ns("lang", xmpp_stream::XML_NS), Some("d'e"));
    let own = frame("<message xml:lang='fr' to='a@b'/>").expect("frame");
    assert_eq!(own.to_forwarded(&how), "<message xml:lang='fr' to='a@b'/>");
}
