//! Property tests: parse(display(j)) == j, enforcement is idempotent,
//! escaping round-trips, and no input panics.

use proptest::prelude::*;
use xmpp_jid::escape::{escape, unescape};
use xmpp_jid::{DomainPart, Jid, LegacyJid, LocalPart, ResourcePart};

use crate::mapped;

/// Characters where the rules bite, mixed with anything.
fn interesting() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::char::range('a', 'z'),
        2 => prop::char::range('A', 'Z'),
        1 => prop::char::range('0', '9'),
        2 => prop::sample::select(vec![
            '@', '/', '.', '-', ' ', '\\', '\u{FF20}', '\u{FF0F}', '\u{FF0E}', '\u{DF}', '\u{3A3}',
            '\u{3C2}', '\u{212A}', '\u{B7}', 'l', '\u{375}', '\u{5D0}', '\u{5F3}', '\u{627}',
            '\u{660}', '\u{6F0}', '\u{30FB}', '\u{30A2}', '\u{200C}', '\u{200D}', '\u{94D}',
            '\u{915}', '\u{301}', '\u{130}', '\u{FB00}', '\u{2122}', '\u{1F600}', '\u{A0}',
            '\u{3000}', '[', ']', ':', '\u{2603}',
        ]),
        1 => any::<char>(),
    ]
}

fn jidish() -> impl Strategy<Value = String> {
    prop::collection::vec(interesting(), 0..40).prop_map(|v| v.into_iter().collect())
}

/// Names with XEP-0106 sequences in all the forms that enforcement maps to
/// one (upper-case and fullwidth hex, fullwidth backslash) and combining
/// marks that compose with a hex letter.
fn escapish() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        3 => prop::sample::select(vec![
            '\\', '\u{FF3C}', '2', '3', '4', '5', '0', 'a', 'c', 'e', 'f', 'A', 'C', 'E', 'F',
            '\u{FF12}', '\u{FF10}', '\u{FF41}', '\u{FF26}', '\u{FF23}',
        ]),
        2 => prop::sample::select(vec![
            ' ', '"', '&', '\'', '/', ':', '<', '>', '@', '\u{301}', '\u{327}', '\u{307}',
            '\u{316}', '\u{338}', '\u{3A3}', '\u{FF9E}', '\u{3099}', '\u{30AB}',
        ]),
        1 => interesting(),
    ];
    prop::collection::vec(c, 1..24).prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn parse_display_round_trip(s in jidish()) {
        if let Ok(j) = Jid::new(&s) {
            let displayed = format!("{j}");
            let again = Jid::new(&displayed).expect("a displayed JID parses");
            prop_assert_eq!(&again, &j);
            prop_assert_eq!(again.as_str(), j.as_str());
        }
    }

    #[test]
    fn enforcement_is_idempotent(s in jidish()) {
        if let Ok(l) = LocalPart::new(&s) {
            prop_assert_eq!(LocalPart::new(l.as_str()).expect("idempotent").to_string(), l.as_str());
        }
        if let Ok(d) = DomainPart::new(&s) {
            prop_assert_eq!(DomainPart::new(d.as_str()).expect("idempotent").to_string(), d.as_str());
        }
        if let Ok(r) = ResourcePart::new(&s) {
            prop_assert_eq!(ResourcePart::new(r.as_str()).expect("idempotent").to_string(), r.as_str());
        }
    }

    #[test]
    fn parts_agree_with_the_whole(s in jidish()) {
        if let Ok(j) = Jid::new(&s) {
            if let Some(l) = j.localpart() {
                prop_assert_eq!(LocalPart::new(l).expect("a part of a JID").to_string(), l);
            }
            prop_assert_eq!(DomainPart::new(j.domainpart()).expect("domain").to_string(), j.domainpart());
            if let Some(r) = j.resourcepart() {
                prop_assert_eq!(ResourcePart::new(r).expect("resource").to_string(), r);
            }
        }
    }

    #[test]
    fn escaping_round_trips_escapish(s in escapish()) {
        if let Ok(e) = escape(&s) {
            prop_assert_eq!(unescape(&e), s.as_str());
        }
    }

    #[test]
    fn escaping_round_trips(s in jidish()) {
        if let Ok(e) = escape(&s) {
            prop_assert_eq!(unescape(&e), s.as_str());
        }
        let _ = unescape(&s);
    }

    /// XEP-0106 §5.1 rule 2: a localpart is unescaped only after
    /// enforcement. What a client then shows is the name the user typed,
    /// mapped as enforcement maps any localpart (width, case, NFC), never
    /// a character the user did not type.
    #[test]
    fn escaping_agrees_across_enforcement(s in escapish()) {
        if let Ok(e) = escape(&s) {
            if let Ok(stored) = LocalPart::new(&e) {
                let shown = unescape(stored.as_str());
                prop_assert_eq!(shown.as_ref(), mapped(&s), "{:?} escaped as {:?}", s, e);
                let again = escape(&shown);
                prop_assert_eq!(again.as_deref(), Ok(stored.as_str()), "escaping {:?} again", shown);
            }
        }
    }

    #[test]
    fn legacy_never_panics_and_is_stable(s in jidish()) {
        if let Ok(j) = LegacyJid::new(&s) {
            let again = LegacyJid::new(j.as_str());
            prop_assert_eq!(again.as_ref(), Ok(&j), "{:?}", s);
        }
    }
}
