use super::*;
use crate::context::ContextRule;

fn ok<P: Profile>(p: P, input: &str, want: &str) {
    match p.enforce(input) {
        Ok(got) => assert_eq!(got, want, "{} enforce {input:?}", p.name()),
        Err(e) => panic!("{} enforce {input:?}: unexpected error {e}", p.name()),
    }
}

fn err<P: Profile>(p: P, input: &str) -> Error {
    match p.enforce(input) {
        Ok(got) => panic!("{} enforce {input:?}: accepted as {got:?}", p.name()),
        Err(e) => e,
    }
}

#[test]
fn enforced_ascii_is_borrowed() {
    for (p, s) in [
        (ProfileName::UsernameCaseMapped, "juliet"),
        (ProfileName::UsernameCasePreserved, "Juliet"),
        (ProfileName::OpaqueString, "Correct Horse"),
        (ProfileName::Nickname, "Foo Bar"),
    ] {
        assert!(matches!(p.enforce(s), Ok(Cow::Borrowed(_))), "{p:?} {s}");
    }
    assert!(matches!(
        UsernameCaseMapped.enforce("jüliet"),
        Ok(Cow::Borrowed(_))
    ));
}

#[test]
fn class_is_checked_after_mapping() {
    // KELVIN SIGN and ANGSTROM SIGN are ID_DIS (HasCompat) on their own.
    ok(UsernameCaseMapped, "\u{212A}", "k");
    ok(UsernameCasePreserved, "\u{212A}", "K");
    ok(UsernameCaseMapped, "\u{212B}", "\u{00E5}");
    ok(UsernameCasePreserved, "\u{212B}", "\u{00C5}");
    // Conjoining jamo compose under NFC into a PVALID syllable.
    ok(UsernameCaseMapped, "\u{1100}\u{1161}", "\u{AC00}");
    // A lone jamo stays disallowed.
    assert!(matches!(
        err(UsernameCaseMapped, "\u{1100}"),
        Error::Disallowed {
            code_point: '\u{1100}',
            offset: 0
        }
    ));
}

#[test]
fn final_sigma_is_not_special() {
    ok(UsernameCaseMapped, "ΣΑΣ", "σασ");
    ok(UsernameCaseMapped, "\u{0130}", "i\u{0307}");
}

#[test]
fn width_mapping() {
    ok(UsernameCaseMapped, "ＪＵＬＩＥＴ", "juliet");
    ok(UsernameCasePreserved, "ｶ", "\u{30AB}");
    // OpaqueString keeps fullwidth characters.
    ok(OpaqueString, "ＰＡＳＳ", "ＰＡＳＳ");
}

#[test]
fn spaces() {
    ok(OpaqueString, "a\u{00A0}b\u{3000}c", "a b c");
    ok(OpaqueString, " lead", " lead");
    ok(Nickname, "\u{2003} a \u{00A0}\u{00A0}b  ", "a b");
    assert_eq!(err(Nickname, "   "), Error::Empty);
    assert_eq!(err(OpaqueString, ""), Error::Empty);
    assert!(matches!(
        err(UsernameCaseMapped, "a b"),
        Error::Disallowed {
            code_point: ' ',
            offset: 1
        }
    ));
}

#[test]
fn nickname_is_nfkc_and_keeps_case() {
    ok(Nickname, "Ⅸ", "IX");
    ok(Nickname, "\u{FB03}", "ffi");
    ok(Nickname, "Richard \u{2163}", "Richard IV");
    // U+00A8 DIAERESIS becomes space + combining diaeresis, and the leading
    // space goes on the next application of the rules.
    ok(Nickname, "\u{00A8}", "\u{0308}");
    assert!(Nickname.compare("Richard \u{2163}", "richard iv").unwrap());
    assert!(!Nickname.compare("Richard", "Richard I").unwrap());
}

#[test]
fn controls_and_unassigned() {
    assert!(matches!(
        err(OpaqueString, "a\tb"),
        Error::Disallowed {
            code_point: '\t',
            offset: 1
        }
    ));
    assert!(matches!(
        err(OpaqueString, "a\u{0378}"),
        Error::Unassigned { offset: 1, .. }
    ));
    assert!(matches!(
        err(OpaqueString, "\u{FFFF}"),
        Error::Disallowed { .. }
    ));
}

#[test]
fn context_rules_apply() {
    assert!(matches!(
        err(UsernameCaseMapped, "a\u{200D}"),
        Error::Context {
            rule: ContextRule::ZeroWidthJoiner,
            ..
        }
    ));
    ok(UsernameCaseMapped, "l\u{00B7}l", "l\u{00B7}l");
    // Only between two lower-case `l`: case is not folded for the rule.
    assert!(matches!(
        err(OpaqueString, "L\u{00B7}l"),
        Error::Context {
            rule: ContextRule::MiddleDot,
            offset: 1,
            ..
        }
    ));
}

#[test]
fn bidi_rule_for_usernames_only() {
    ok(UsernameCaseMapped, "\u{05D0}\u{05D1}", "\u{05D0}\u{05D1}");
    assert!(matches!(
        err(UsernameCaseMapped, "\u{05D0}a"),
        Error::Bidi(_)
    ));
    // OpaqueString has no directionality rule.
    ok(OpaqueString, "\u{05D0}a", "\u{05D0}a");
}

#[test]
fn prepare() {
    assert_eq!(
        UsernameCaseMapped.prepare("ＪＵＬＩＥＴ").unwrap(),
        "JULIET"
    );
    assert!(UsernameCaseMapped.prepare("\u{212A}").is_err());
    assert!(OpaqueString.prepare("pass word").is_ok());
    assert!(Nickname.prepare("").is_err());
}

#[test]
fn ascii_fast_path_agrees_with_the_general_path() {
    let samples = [
        "Juliet", "juliet", " a  b ", "a b", "A\tB", "", " ", "~!@#", "\u{7f}", "x y z",
    ];
    for rules in [
        USERNAME_CASE_MAPPED,
        USERNAME_CASE_PRESERVED,
        OPAQUE_STRING,
        NICKNAME_ENFORCE,
        NICKNAME_COMPARE,
    ] {
        for s in samples {
            let mut general: Option<String> = None;
            let facts = loop {
                match rules.pass(general.as_deref().unwrap_or(s)).unwrap() {
                    Pass::Changed(n) => general = Some(n),
                    Pass::Stable(facts) => break facts,
                }
            };
            let mapped = general.as_deref().unwrap_or(s);
            assert_eq!(rules.map_ascii(s), mapped, "{rules:?} {s:?}");
            let general_result = rules.finish(mapped, &facts);
            assert_eq!(
                general_result,
                if mapped.is_empty() {
                    Err(Error::Empty)
                } else {
                    rules.class.check(mapped)
                },
                "{rules:?} {s:?}"
            );
        }
    }
}

#[test]
fn profile_names() {
    for p in ProfileName::ALL {
        assert_eq!(p.kebab_name().parse::<ProfileName>(), Ok(p));
        assert_eq!(p.name().parse::<ProfileName>(), Ok(p));
    }
    assert!("sasl-prep".parse::<ProfileName>().is_err());
}
