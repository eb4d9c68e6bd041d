//! Property tests: enforcement is idempotent (RFC 8264 §7), comparison
//! agrees with enforce-then-equal, and an enforced string passes its class.

use proptest::prelude::*;
use xmpp_precis::{Nickname, Profile, ProfileName, StringClass};

/// Strings drawn mostly from the blocks where the rules interact.
fn tricky() -> impl Strategy<Value = String> {
    let ranges = prop_oneof![
        4 => 0x20u32..0x7F,
        2 => 0xA0u32..0x250,
        2 => 0x300u32..0x370,
        2 => 0x370u32..0x400,
        1 => 0x590u32..0x700,
        1 => 0x1100u32..0x1200,
        1 => 0x2000u32..0x2070,
        1 => 0x2100u32..0x2190,
        1 => 0x3000u32..0x3100,
        1 => 0xFF00u32..0xFFF0,
        1 => 0u32..0x11_0000,
    ];
    proptest::collection::vec(ranges, 0..12)
        .prop_map(|cps| cps.into_iter().filter_map(char::from_u32).collect())
}

fn profile() -> impl Strategy<Value = ProfileName> {
    proptest::sample::select(ProfileName::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn enforcement_is_idempotent(p in profile(), s in tricky()) {
        if let Ok(once) = p.enforce(&s) {
            let twice = p.enforce(&once);
            prop_assert_eq!(twice.as_deref(), Ok(&*once), "{:?} on {:?}", p, s);
        }
    }

    #[test]
    fn nickname_comparison_form_is_idempotent(s in tricky()) {
        if let Ok(once) = Nickname.comparison_form(&s) {
            let twice = Nickname.comparison_form(&once);
            prop_assert_eq!(twice.as_deref(), Ok(&*once));
        }
    }

    #[test]
    fn compare_is_enforce_then_equal(p in profile(), a in tricky(), b in tricky()) {
        let (ea, eb) = if p == ProfileName::Nickname {
            (Nickname.comparison_form(&a), Nickname.comparison_form(&b))
        } else {
            (p.enforce(&a), p.enforce(&b))
        };
        match (ea, eb) {
            (Ok(x), Ok(y)) => prop_assert_eq!(p.compare(&a, &b), Ok(x == y)),
            _ => prop_assert!(p.compare(&a, &b).is_err()),
        }
    }

    #[test]
    fn compare_is_reflexive_on_valid_strings(p in profile(), s in tricky()) {
        if p.enforce(&s).is_ok() {
            prop_assert_eq!(p.compare(&s, &s), Ok(true));
        }
    }

    #[test]
    fn enforced_strings_are_in_their_class(p in profile(), s in tricky()) {
        if let Ok(out) = p.enforce(&s) {
            let class = match p {
                ProfileName::UsernameCaseMapped | ProfileName::UsernameCasePreserved => {
                    StringClass::Identifier
                }
                _ => StringClass::Freeform,
            };
            prop_assert!(class.check(&out).is_ok());
            prop_assert!(!out.is_empty());
        }
    }
}
