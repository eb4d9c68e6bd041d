//! Every profile on arbitrary input: no panic; enforcement is idempotent
//! (RFC 8264 §7); comparison agrees with enforce-then-equal; an enforced
//! string is valid in its profile's class.
//!
//! The fuzz target and the regression test of `cargo test -p xtask` (the
//! files of `testdata/fuzz-regressions/precis_enforce/`) both run this.

use xmpp_precis::{Nickname, Profile, ProfileName};

/// Runs one input; panics when an invariant does not hold.
pub(crate) fn run(data: &[u8]) {
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    // Split once so comparison sees two related strings.
    let (a, b) = s.split_at(
        s.char_indices()
            .nth(s.chars().count() / 2)
            .map_or(0, |(i, _)| i),
    );
    for p in ProfileName::ALL {
        let _ = p.prepare(s);
        if let Ok(once) = p.enforce(s) {
            let twice = p
                .enforce(&once)
                .expect("an enforced string must enforce again");
            assert_eq!(once, twice, "{p:?} is not idempotent on {s:?}");
        }
        let (ea, eb) = (p.enforce(a), p.enforce(b));
        match p.compare(a, b) {
            Ok(equal) if p != ProfileName::Nickname => {
                assert_eq!(
                    equal,
                    ea.unwrap() == eb.unwrap(),
                    "{p:?} compare {a:?} {b:?}"
                );
            }
            Ok(_) => {}
            Err(_) => assert!(ea.is_err() || eb.is_err() || p == ProfileName::Nickname),
        }
    }
    if let Ok(form) = Nickname.comparison_form(s) {
        assert_eq!(Nickname.comparison_form(&form).unwrap(), form);
    }
}
