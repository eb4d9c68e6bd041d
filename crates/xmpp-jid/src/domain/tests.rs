use super::*;

fn ok(input: &str, want: &str) {
    match enforce(input) {
        Ok(got) => assert_eq!(got, want, "domainpart {input:?}"),
        Err(e) => panic!("domainpart {input:?}: unexpected error {e}"),
    }
}

fn err(input: &str) -> Error {
    match enforce(input) {
        Ok(got) => panic!("domainpart {input:?}: accepted as {got:?}"),
        Err(e) => e,
    }
}

#[test]
fn ascii() {
    ok("example.com", "example.com");
    ok("Example.COM", "example.com");
    ok("example.com.", "example.com");
    ok("localhost", "localhost");
    ok("192.0.2.1", "192.0.2.1");
    ok("a-b.c", "a-b.c");
    assert!(matches!(enforce("example.com"), Ok(Cow::Borrowed(_))));
    assert!(matches!(enforce("example.com."), Ok(Cow::Borrowed(_))));
    assert_eq!(err(""), Error::Empty(Part::Domainpart));
    assert_eq!(err("."), Error::Empty(Part::Domainpart));
    assert_eq!(err("example.com.."), Error::EmptyLabel { offset: 12 });
    assert_eq!(err("a..b"), Error::EmptyLabel { offset: 2 });
    assert_eq!(err("-a.b"), Error::LabelHyphen { offset: 0 });
    assert_eq!(err("a.b-"), Error::LabelHyphen { offset: 2 });
    assert_eq!(err("ab--c.d"), Error::LabelReservedHyphens { offset: 0 });
    assert!(matches!(
        err("exa_mple.com"),
        Error::LabelCodePoint {
            code_point: '_',
            offset: 3,
            ..
        }
    ));
    ok(&"a".repeat(63), &"a".repeat(63));
    assert!(matches!(
        err(&"a".repeat(64)),
        Error::LabelTooLong { len: 64, .. }
    ));
}

#[test]
fn length_limits() {
    // 16 labels of 63 octets and 15 dots: 1023 octets, the maximum.
    let max = alloc::vec!["a".repeat(63); 16].join(".");
    assert_eq!(max.len(), 1023);
    ok(&max, &max);
    let over = alloc::format!("{max}a");
    assert!(matches!(
        err(&over),
        Error::LabelTooLong { .. } | Error::TooLong { .. }
    ));
    let over = alloc::format!("b.{max}");
    assert_eq!(
        err(&over),
        Error::TooLong {
            part: Part::Domainpart,
            len: 1025
        }
    );
}

#[test]
fn alabels_and_ulabels() {
    ok("xn--bcher-kva.example", "bücher.example");
    ok("XN--BCHER-KVA.example", "bücher.example");
    ok("bücher.example", "bücher.example");
    ok("BÜCHER.example", "bücher.example");
    ok("ｂüｃｈｅｒ．example", "bücher.example");
    assert!(matches!(enforce("bücher.example"), Ok(Cow::Borrowed(_))));
    // Not the canonical encoding, or not Punycode at all.
    assert!(matches!(err("xn--.example"), Error::LabelHyphen { .. }));
    // The canonical encoding of a string that is not NFC.
    let mut buf = [0; punycode::MAX_ENCODED];
    let n = punycode::encode("e\u{301}x", &mut buf).unwrap();
    let label = alloc::format!("xn--{}", core::str::from_utf8(&buf[..n]).unwrap());
    assert!(
        matches!(err(&label), Error::InvalidALabel { .. }),
        "{label}"
    );
    assert!(matches!(err("xn--abc-.example"), Error::LabelHyphen { .. }));
    // "a" decodes to U+0080, a control.
    assert!(matches!(
        err("xn--a.example"),
        Error::LabelCodePoint {
            code_point: '\u{80}',
            ..
        }
    ));
    assert!(matches!(
        err("xn--99999999999.example"),
        Error::InvalidALabel { .. }
    ));
    assert!(matches!(err("xn--zz-"), Error::LabelHyphen { .. }));
    // UTS 46 accepts a snowman; IDNA2008 does not, in either form.
    assert!(matches!(
        err("\u{2603}.net"),
        Error::LabelCodePoint {
            code_point: '\u{2603}',
            ..
        }
    ));
    assert!(matches!(
        err("xn--n3h.net"),
        Error::LabelCodePoint {
            code_point: '\u{2603}',
            ..
        }
    ));
    // Eszett and final sigma are PVALID in IDNA2008 (not mapped as in IDNA2003).
    ok("stra\u{DF}e.de", "stra\u{DF}e.de");
    ok("\u{3C3}\u{3C2}.gr", "\u{3C3}\u{3C2}.gr");
    // A label starting with a combining mark.
    assert!(matches!(
        err("\u{301}a.com"),
        Error::LabelCombiningMark { .. }
    ));
    // A 64-octet A-label.
    let long = "a\u{e9}".repeat(30);
    assert!(matches!(err(&long), Error::LabelTooLong { .. }));
}

#[test]
fn alabel_must_be_in_mapped_form() {
    // U+13EF CHEROKEE LETTER YA is PVALID, but lower-cases to U+ABBF,
    // which is DISALLOWED: refused typed, so refused as an A-label too
    // (found by the jid_parse fuzz target).
    let mut buf = [0; punycode::MAX_ENCODED];
    let n = punycode::encode("a\u{13EF}", &mut buf).unwrap();
    let label = alloc::format!("xn--{}", core::str::from_utf8(&buf[..n]).unwrap());
    assert!(
        matches!(err(&label), Error::InvalidALabel { .. }),
        "{label}"
    );
    assert!(matches!(err("a\u{13EF}"), Error::LabelCodePoint { .. }));
    assert!(matches!(err("xn--Q--h-hjule"), Error::InvalidALabel { .. }));
}

#[test]
fn context_and_bidi() {
    // ZWJ after a virama (A.2) is allowed, elsewhere not.
    ok(
        "\u{915}\u{94D}\u{200D}\u{937}.in",
        "\u{915}\u{94D}\u{200D}\u{937}.in",
    );
    assert!(matches!(err("a\u{200D}b.com"), Error::LabelContext { .. }));
    // Middle dot between two l (Catalan), not elsewhere.
    ok("l\u{B7}l.cat", "l\u{B7}l.cat");
    assert!(matches!(err("a\u{B7}b.cat"), Error::LabelContext { .. }));
    // A Hebrew label: fine; with a label starting with a digit, the whole
    // name is a Bidi domain name and the digit label breaks condition 1.
    ok("\u{5D0}\u{5D1}.example", "\u{5D0}\u{5D1}.example");
    assert!(matches!(
        err("1a.\u{5D0}\u{5D1}"),
        Error::LabelBidi { offset: 0, .. }
    ));
    assert!(matches!(err("\u{5D0}a.com"), Error::LabelBidi { .. }));
}

#[test]
fn ipv6() {
    ok("[::1]", "[::1]");
    ok("[0:0::1]", "[::1]");
    ok("[2001:DB8:0:0:0:0:0:1]", "[2001:db8::1]");
    ok("[::ffff:192.0.2.1]", "[::ffff:192.0.2.1]");
    assert!(matches!(enforce("[::1]"), Ok(Cow::Borrowed(_))));
    assert_eq!(err("[::1"), Error::InvalidIpLiteral);
    assert_eq!(err("[example.com]"), Error::InvalidIpLiteral);
    assert_eq!(err("[fe80::1%eth0]"), Error::InvalidIpLiteral);
    assert_eq!(err("[]"), Error::InvalidIpLiteral);
}

#[test]
fn unassigned_is_refused_before_mapping() {
    assert!(matches!(
        err("a\u{0378}.com"),
        Error::LabelCodePoint {
            property: DerivedProperty::Unassigned,
            ..
        }
    ));
}
