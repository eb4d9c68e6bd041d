//! Generators of valid PRECIS strings for structure-aware fuzzing (the
//! `arbitrary` feature): a fuzz target that takes a [`ValidNickname`]
//! instead of bytes starts from strings that get past enforcement, so its
//! time goes to the code behind it.
//!
//! Each type holds a string that its profile enforces to itself: it is
//! drawn from a palette of code points that profile allows (ASCII, Latin,
//! Greek, Cyrillic, CJK, fullwidth forms that the width mapping folds,
//! combining marks that NFC composes, spaces for the freeform profiles),
//! enforced, and kept in enforced form; a draw that enforcement refuses
//! (one code point in 16 is any `char` at all, which may be disallowed,
//! unassigned or break the Bidi Rule of RFC 5893) is replaced by
//! lowercase ASCII letters made from the same bytes, which every profile
//! accepts.

use alloc::string::String;

use arbitrary::{Arbitrary, Result, Unstructured};

use crate::{Nickname, OpaqueString, Profile, UsernameCaseMapped, UsernameCasePreserved};

/// Code points every profile's class allows (IdentifierClass is the
/// narrower): ASCII letters, digits and symbols, letters of several
/// scripts, fullwidth letters (width-mapped in the username profiles,
/// compatibility-decomposed by Nickname's NFKC), and a combining acute
/// accent that NFC composes with the letter before it.
const IDENTIFIER: &[char] = &[
    'a', 'b', 'c', 'j', 'r', 'x', 'z', 'J', 'R', 'Z', '0', '1', '9', '.', '-', '_', '!', '#', '$',
    '%', '+', '=', '~', '\u{e9}', '\u{fc}', '\u{f1}', '\u{f8}', '\u{e6}', '\u{c9}', '\u{3b1}',
    '\u{3b2}', '\u{3a3}', '\u{436}', '\u{414}', '\u{4e2d}', '\u{6587}', '\u{3042}', '\u{ff2a}',
    '\u{ff55}', '\u{301}',
];

/// What the freeform profiles (OpaqueString, Nickname) allow besides:
/// ASCII and non-ASCII spaces (mapped to U+0020), symbols.
const FREEFORM: &[char] = &[
    ' ', '\u{2003}', '\u{3000}', '\u{a0}', '\u{2764}', '\u{263a}', '@', '/',
];

/// A candidate string: 1 to 32 code points from the palettes (or, one in
/// 16, any `char` at all).
fn candidate(u: &mut Unstructured<'_>, freeform: bool) -> Result<String> {
    let len = u.int_in_range(1..=32)?;
    let mut s = String::new();
    for _ in 0..len {
        let c = match u.int_in_range(0..=15u8)? {
            0 => char::arbitrary(u)?,
            1 | 2 if freeform => *u.choose(FREEFORM)?,
            _ => *u.choose(IDENTIFIER)?,
        };
        s.push(c);
    }
    Ok(s)
}

/// Lowercase ASCII letters, one per byte of `s` (at least one): valid in
/// every profile.
fn fallback(s: &str) -> String {
    let mut out: String = s
        .bytes()
        .take(32)
        .map(|b| char::from(b'a' + b % 26))
        .collect();
    if out.is_empty() {
        out.push('a');
    }
    out
}

/// `candidate` enforced by `profile` when that gives a non-empty string
/// that enforces to itself, else its [`fallback`].
fn valid(profile: &impl Profile, candidate: String) -> String {
    match profile.enforce(&candidate) {
        Ok(enforced)
            if !enforced.is_empty() && profile.enforce(&enforced).as_deref() == Ok(&*enforced) =>
        {
            enforced.into_owned()
        }
        _ => fallback(&candidate),
    }
}

macro_rules! valid_string {
    ($(#[$doc:meta])* $name:ident, $profile:expr, $freeform:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(pub String);

        impl<'a> Arbitrary<'a> for $name {
            fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
                Ok(Self(valid(&$profile, candidate(u, $freeform)?)))
            }

            fn size_hint(_depth: usize) -> (usize, Option<usize>) {
                (1, None)
            }
        }
    };
}

valid_string!(
    /// A string in [`UsernameCaseMapped`] enforced form (RFC 8265 §3.3):
    /// a JID localpart's or SASL username's shape.
    ValidUsernameCaseMapped,
    UsernameCaseMapped,
    false
);
valid_string!(
    /// A string in [`UsernameCasePreserved`] enforced form (RFC 8265 §3.4).
    ValidUsernameCasePreserved,
    UsernameCasePreserved,
    false
);
valid_string!(
    /// A string in [`OpaqueString`] enforced form (RFC 8265 §4): a
    /// password's or JID resourcepart's shape.
    ValidOpaqueString,
    OpaqueString,
    true
);
valid_string!(
    /// A string in [`Nickname`] enforced form (RFC 8266).
    ///
    /// ```
    /// use arbitrary::{Arbitrary, Unstructured};
    /// use xmpp_precis::{Nickname, Profile, ValidNickname};
    ///
    /// # fn main() -> arbitrary::Result<()> {
    /// // Bytes from the fuzzer; any bytes give a valid nickname.
    /// let mut u = Unstructured::new(b"\x03\x41\x80\x17\xfe\x11\x42\x99\x00\x07");
    /// let ValidNickname(nick) = ValidNickname::arbitrary(&mut u)?;
    /// assert_eq!(Nickname.enforce(&nick).as_deref(), Ok(nick.as_str()));
    /// # Ok(())
    /// # }
    /// ```
    ValidNickname,
    Nickname,
    true
);

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    /// Every profile's generator, over many pseudo-random inputs: the
    /// string enforces to itself, and most draws are not the fallback.
    #[test]
    fn generated_strings_enforce_to_themselves() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut non_ascii = 0;
        for _ in 0..2000 {
            let bytes: Vec<u8> = (0..64)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state.to_le_bytes()[0]
                })
                .collect();
            let mut u = Unstructured::new(&bytes);
            let ValidUsernameCaseMapped(a) = ValidUsernameCaseMapped::arbitrary(&mut u).unwrap();
            assert_eq!(UsernameCaseMapped.enforce(&a).as_deref(), Ok(a.as_str()));
            let ValidUsernameCasePreserved(b) =
                ValidUsernameCasePreserved::arbitrary(&mut u).unwrap();
            assert_eq!(UsernameCasePreserved.enforce(&b).as_deref(), Ok(b.as_str()));
            let ValidOpaqueString(c) = ValidOpaqueString::arbitrary(&mut u).unwrap();
            assert_eq!(OpaqueString.enforce(&c).as_deref(), Ok(c.as_str()));
            let ValidNickname(d) = ValidNickname::arbitrary(&mut u).unwrap();
            assert_eq!(Nickname.enforce(&d).as_deref(), Ok(d.as_str()));
            non_ascii += usize::from(!a.is_ascii());
        }
        assert!(
            non_ascii > 500,
            "only {non_ascii} of 2000 usernames are not ASCII"
        );
    }
}
