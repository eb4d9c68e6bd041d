//! The writer never emits what the readers refuse: trees built from any
//! names, namespaces, values and text (forbidden characters included)
//! either are refused when built or are written as XML that the framer and
//! the strict parser accept and read back equal, the characters XML 1.0
//! cannot carry (§2.2) written as U+FFFD.

use proptest::prelude::*;
use xmpp_stanza::{Element, XML_NS};

/// A tree as the program asked for it, before the constructors judge it.
#[derive(Debug, Clone)]
struct Spec {
    name: String,
    ns: String,
    attrs: Vec<(String, String, String)>,
    kids: Vec<Result<Self, String>>,
}

/// Any character, those XML cannot carry and markup favoured.
fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        Just('\u{0}'),
        Just('\u{1}'),
        Just('\u{B}'),
        Just('\u{1F}'),
        Just('\u{FFFE}'),
        Just('\u{FFFF}'),
        Just('\u{FFFD}'),
        Just('\u{F000}'),
        Just('<'),
        Just('&'),
        Just('\''),
        Just('"'),
        Just('\r'),
        Just('\t'),
        Just('\n'),
        Just(' '),
        Just(':'),
        Just('='),
        Just('>'),
        Just(']'),
        Just('é'),
        prop::char::range('a', 'c'),
        any::<char>(),
    ]
}

fn hostile(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(hostile_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("xmlns".to_owned()),
        Just("a='1' b".to_owned()),
        Just("p:a".to_owned()),
        Just("1a".to_owned()),
        Just("é".to_owned()),
        "[a-z][a-z0-9._-]{0,4}",
        hostile(4),
    ]
}

fn namespace() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("jabber:client".to_owned()),
        Just(XML_NS.to_owned()),
        Just("http://www.w3.org/2000/xmlns/".to_owned()),
        hostile(6).prop_map(|s| format!("urn:{s}")),
    ]
}

fn leaf() -> impl Strategy<Value = Spec> {
    (
        name(),
        namespace(),
        prop::collection::vec((name(), namespace(), hostile(8)), 0..4),
    )
        .prop_map(|(name, ns, attrs)| Spec {
            name,
            ns,
            attrs,
            kids: Vec::new(),
        })
}

fn spec() -> impl Strategy<Value = Spec> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        (
            leaf(),
            prop::collection::vec(
                prop_oneof![inner.prop_map(Ok), hostile(8).prop_map(Err)],
                0..4,
            ),
        )
            .prop_map(|(mut s, kids)| {
                s.kids = kids;
                s
            })
    })
}

/// What XML can carry of `s`.
fn carried(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// The tree the constructors let through (refused names and namespaces
/// leave their element or attribute out), with its values and text as
/// given (`sent`) or as XML carries them.
fn build(s: &Spec, sent: bool) -> Option<Element> {
    let v = |t: &str| if sent { t.to_owned() } else { carried(t) };
    let mut e = Element::try_new(&s.name, &s.ns).ok()?;
    for (n, ns, value) in &s.attrs {
        let _ = e.try_set_attr_ns(n, ns, v(value));
    }
    for k in &s.kids {
        match k {
            Ok(c) => {
                if let Some(c) = build(c, sent) {
                    e.push_child(c);
                }
            }
            Err(t) => e.push_text(&v(t)),
        }
    }
    Some(e)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn whatever_the_writer_emits_reads_back(s in spec()) {
        let (Some(tree), Some(expected)) = (build(&s, true), build(&s, false)) else {
            return Ok(());
        };
        let xml = tree.to_xml();
        prop_assert_eq!(Element::from_bytes(xml.as_bytes()), Ok(expected.clone()), "{}", xml);
        let top = Element::new("message", "jabber:client").with_child(tree);
        let expected = Element::new("message", "jabber:client").with_child(expected);
        let mut xml = String::new();
        top.write_xml_in(&mut xml, "jabber:client");
        let frame = crate::vectors::frame("jabber:client", &xml)
            .map_err(|x| TestCaseError::fail(format!("{x}: {xml}")))?;
        prop_assert_eq!(Element::from_frame(&frame), Ok(expected), "{}", xml);
    }
}

/// The reviewer's cases: each was written as XML the parser refused, or
/// as an attribute injection.
#[test]
fn the_reviewed_cases() {
    let e = Element::new("m", "").with_text("hi\u{1}\u{FFFE}");
    assert_eq!(e.to_xml(), "<m>hi\u{FFFD}\u{FFFD}</m>");
    assert!(Element::from_bytes(e.to_xml().as_bytes()).is_ok());
    let mut m = Element::new("m", "");
    assert!(m.try_set_attr_ns("a='1' b", "", "2").is_err());
    assert!(m.try_set_attr_ns("xmlns", "", "urn:x").is_err());
    assert!(Element::try_new("m", XML_NS).is_err());
    let injected = std::panic::catch_unwind(|| Element::new("m", "").with_attr("a='1' b", "2"));
    assert!(injected.is_err());
}
