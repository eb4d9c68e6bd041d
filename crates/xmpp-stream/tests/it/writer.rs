//! Property: what the output side writes (stream headers, escaped text and
//! attribute values) the framer accepts and reads back, the characters XML
//! 1.0 cannot carry (§2.2) written as U+FFFD.

use proptest::prelude::*;
use xmpp_stream::{
    Event, Framer, OpenHeader, Transport, escape_attribute, escape_text, unescape_text, write_open,
};

fn hostile() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('\u{0}'),
            Just('\u{1}'),
            Just('\u{FFFE}'),
            Just('\u{FFFF}'),
            Just('\u{F000}'),
            Just('<'),
            Just('&'),
            Just('\''),
            Just('"'),
            Just('\r'),
            Just('\n'),
            Just('\t'),
            Just(']'),
            Just('>'),
            any::<char>(),
        ],
        1..10,
    )
    .prop_map(|v| v.into_iter().collect())
}

fn carried(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{0}'..='\u{1F}' | '\u{FFFE}' | '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn written_headers_and_text_frame_and_read_back(to in hostile(), text in hostile(), value in hostile()) {
        let mut xml = String::new();
        write_open(&mut xml, Transport::Tcp, &OpenHeader::new("jabber:client").to(&to).id(&value));
        xml.push_str(&format!("<m a='{}'>{}</m>", escape_attribute(&value), escape_text(&text)));
        let mut f = Framer::new(Transport::Tcp);
        f.feed(xml.as_bytes());
        let Ok(Some(Event::StreamOpen(h))) = f.next_event() else {
            return Err(TestCaseError::fail(format!("header refused: {xml}")));
        };
        let (to_c, value_c) = (carried(&to), carried(&value));
        prop_assert_eq!(h.to(), Some(to_c.as_str()));
        prop_assert_eq!(h.id(), Some(value_c.as_str()));
        let el = match f.next_event() {
            Ok(Some(Event::Element(e))) => e,
            other => return Err(TestCaseError::fail(format!("{other:?}: {xml}"))),
        };
        let a = el.attr("a");
        prop_assert_eq!(a.as_deref(), Some(value_c.as_str()));
        let inner = el.xml().strip_prefix(&format!("<m a='{}'>", escape_attribute(&value)))
            .and_then(|s| s.strip_suffix("</m>"))
            .unwrap_or_default();
        prop_assert_eq!(unescape_text(inner), carried(&text));
    }
}
