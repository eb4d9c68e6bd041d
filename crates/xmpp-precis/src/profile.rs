//! The profiles: UsernameCaseMapped and UsernameCasePreserved (RFC 8265 §3),
//! OpaqueString (RFC 8265 §4) and Nickname (RFC 8266), each with the three
//! operations of RFC 8264 §3: preparation, enforcement and comparison.
//!
//! Enforcement applies the profile's rules in the order RFC 8264 §7 fixes:
//!
//! 1. width mapping, 2. additional mapping, 3. case mapping, 4. normalization,
//!    repeated until the string no longer changes (RFC 8264 §7: at most three
//!    more times, or the string is refused as [`Error::Unstable`]);
//! 5. the directionality rule, then the emptiness check;
//! 6. the string class's behavioural rules, last, on the mapped string.
//!
//! Checking the class last is what lets KELVIN SIGN (U+212A), ANGSTROM SIGN
//! (U+212B) and sequences of conjoining Hangul jamo, each disallowed on their
//! own, map into valid strings (`k`, `å`, a precomposed syllable).
//!
//! Case mapping is Unicode toLowerCase applied code point by code point
//! (UnicodeData plus the unconditional SpecialCasing mappings), without the
//! context-sensitive Final_Sigma rule: `Σ` always maps to `σ`, so the
//! mapping of a code point never depends on its neighbours and a string
//! maps the same way whether it is enforced whole or in parts.

use alloc::borrow::Cow;
use alloc::string::String;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick, is_nfkc_quick};

use crate::bidi::{bidi_rule, has_rtl};
use crate::class::StringClass;
use crate::error::Error;
use crate::unicode::{DerivedProperty, Props, lowercase, width};

/// A PRECIS profile: the three operations of RFC 8264 §3.
///
/// All take `&str` and return [`Cow`]: a string that is already in the
/// profile's form comes back borrowed, without allocating.
pub trait Profile {
    /// The profile's name as its RFC spells it (e.g. `UsernameCaseMapped`).
    fn name(&self) -> &'static str;

    /// Preparation (RFC 8264 §3): checks that `input` holds only code points
    /// of the profile's string class, applying only the rules the profile
    /// asks for at this stage (width mapping for the Username profiles, RFC
    /// 8265 §3.3.2). Use it on input from users before sending it on;
    /// receivers enforce.
    fn prepare<'a>(&self, input: &'a str) -> Result<Cow<'a, str>, Error>;

    /// Enforcement (RFC 8264 §3): applies every rule of the profile and
    /// returns the string in its canonical form, or why it is refused.
    fn enforce<'a>(&self, input: &'a str) -> Result<Cow<'a, str>, Error>;

    /// Comparison (RFC 8264 §3): whether `a` and `b` are equivalent under the
    /// profile, i.e. whether their comparison forms are equal byte for byte.
    /// A string the profile refuses is an error, never "unequal".
    fn compare(&self, a: &str, b: &str) -> Result<bool, Error>;
}

/// UsernameCaseMapped (RFC 8265 §3.3): IdentifierClass, width mapping, case
/// mapping to lower case, NFC, Bidi Rule. XMPP localparts (RFC 7622 §3.3) and
/// SASL usernames use it.
///
/// ```
/// use xmpp_precis::{Profile, UsernameCaseMapped};
/// assert_eq!(UsernameCaseMapped.enforce("Juliet")?, "juliet");
/// assert_eq!(UsernameCaseMapped.enforce("ＪＵＬＩＥＴ")?, "juliet");
/// assert!(UsernameCaseMapped.enforce("juliet capulet").is_err());
/// # Ok::<(), xmpp_precis::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct UsernameCaseMapped;

/// UsernameCasePreserved (RFC 8265 §3.4): as [`UsernameCaseMapped`] without
/// the case mapping.
///
/// ```
/// use xmpp_precis::{Profile, UsernameCasePreserved};
/// assert_eq!(UsernameCasePreserved.enforce("Juliet")?, "Juliet");
/// assert!(!UsernameCasePreserved.compare("Juliet", "juliet")?);
/// # Ok::<(), xmpp_precis::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct UsernameCasePreserved;

/// OpaqueString (RFC 8265 §4): FreeformClass, non-ASCII spaces mapped to
/// U+0020, NFC. Passwords (and XMPP resourceparts, RFC 7622 §3.4) use it.
///
/// ```
/// use xmpp_precis::{OpaqueString, Profile};
/// assert_eq!(OpaqueString.enforce("correct\u{3000}horse")?, "correct horse");
/// assert!(OpaqueString.enforce("tab\there").is_err());
/// # Ok::<(), xmpp_precis::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct OpaqueString;

/// Nickname (RFC 8266): FreeformClass; non-ASCII spaces mapped to U+0020,
/// leading and trailing spaces removed and inner runs of spaces collapsed;
/// NFKC. Enforcement keeps case (RFC 8266 §2.3); comparison also maps to
/// lower case (RFC 8266 §2.4).
///
/// ```
/// use xmpp_precis::{Nickname, Profile};
/// assert_eq!(Nickname.enforce("  Foo   Bar ")?, "Foo Bar");
/// assert!(Nickname.compare("foo bar", "FOO\u{2003}BAR")?);
/// # Ok::<(), xmpp_precis::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Nickname;

/// How the additional mapping rule treats spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spaces {
    /// No additional mapping.
    Keep,
    /// Non-ASCII spaces (Zs) become U+0020 (RFC 8265 §4.2.1).
    ToAscii,
    /// As `ToAscii`, then trim and collapse runs (RFC 8266 §2.1).
    Nickname,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Normalization {
    Nfc,
    Nfkc,
}

/// The rules of one profile operation, RFC 8264 §5.2.
#[derive(Debug, Clone, Copy)]
struct Rules {
    class: StringClass,
    width: bool,
    spaces: Spaces,
    lowercase: bool,
    normalization: Normalization,
    bidi: bool,
}

const USERNAME_CASE_MAPPED: Rules = Rules {
    class: StringClass::Identifier,
    width: true,
    spaces: Spaces::Keep,
    lowercase: true,
    normalization: Normalization::Nfc,
    bidi: true,
};
const USERNAME_CASE_PRESERVED: Rules = Rules {
    lowercase: false,
    ..USERNAME_CASE_MAPPED
};
const OPAQUE_STRING: Rules = Rules {
    class: StringClass::Freeform,
    width: false,
    spaces: Spaces::ToAscii,
    lowercase: false,
    normalization: Normalization::Nfc,
    bidi: false,
};
const NICKNAME_ENFORCE: Rules = Rules {
    class: StringClass::Freeform,
    width: false,
    spaces: Spaces::Nickname,
    lowercase: false,
    normalization: Normalization::Nfkc,
    bidi: false,
};
const NICKNAME_COMPARE: Rules = Rules {
    lowercase: true,
    ..NICKNAME_ENFORCE
};

/// Copies `s`, replacing each code point for which `map` writes something
/// into the output, or returns `None` when no code point needed it. Nothing
/// is allocated for a string that stays the same.
fn map_chars(s: &str, mut map: impl FnMut(char, &mut String) -> bool) -> Option<String> {
    let mut scratch = String::new();
    let (start, first) = s.char_indices().find(|&(_, c)| {
        scratch.clear();
        map(c, &mut scratch)
    })?;
    let mut out = String::with_capacity(s.len() + scratch.len());
    out.push_str(s.get(..start).unwrap_or(""));
    out.push_str(&scratch);
    let rest = s.get(start + first.len_utf8()..).unwrap_or("");
    for c in rest.chars() {
        if !map(c, &mut out) {
            out.push(c);
        }
    }
    Some(out)
}

impl Rules {
    /// RFC 8264 §5.2.1 width mapping: `<wide>`/`<narrow>` decompositions.
    fn map_width(s: &str) -> Option<String> {
        map_chars(s, |c, out| {
            if c.is_ascii() || !Props::of(c).has_width_mapping() {
                return false;
            }
            width(c).map(|w| out.push(w)).is_some()
        })
    }

    /// RFC 8264 §5.2.2 additional mapping, as the profile defines it.
    fn map_spaces(self, s: &str) -> Option<String> {
        let to_ascii = map_chars(s, |c, out| {
            let space = !c.is_ascii() && Props::of(c).is_space();
            if space {
                out.push(' ');
            }
            space
        });
        if self.spaces != Spaces::Nickname {
            return to_ascii;
        }
        let s = to_ascii.as_deref().unwrap_or(s);
        if !s.starts_with(' ') && !s.ends_with(' ') && !s.contains("  ") {
            return to_ascii;
        }
        let mut out = String::with_capacity(s.len());
        for word in s.split(' ').filter(|w| !w.is_empty()) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        Some(out)
    }

    /// RFC 8264 §5.2.3 case mapping: toLowerCase per code point.
    fn map_case(s: &str) -> Option<String> {
        map_chars(s, |c, out| {
            if c.is_ascii() {
                if c.is_ascii_uppercase() {
                    out.push(c.to_ascii_lowercase());
                    return true;
                }
                return false;
            }
            if !Props::of(c).has_lowercase_mapping() {
                return false;
            }
            lowercase(c).map(|m| out.push_str(m)).is_some()
        })
    }

    /// RFC 8264 §5.2.4 normalization.
    fn normalize(self, s: &str) -> Option<String> {
        let quick = match self.normalization {
            Normalization::Nfc => is_nfc_quick(s.chars()),
            Normalization::Nfkc => is_nfkc_quick(s.chars()),
        };
        if quick == IsNormalized::Yes {
            return None;
        }
        let normalized: String = match self.normalization {
            Normalization::Nfc => s.nfc().collect(),
            Normalization::Nfkc => s.nfkc().collect(),
        };
        (normalized != s).then_some(normalized)
    }

    /// One application of the mapping rules (RFC 8264 §7 steps 1 to 4), or
    /// `None` when they change nothing.
    fn map_once(self, s: &str) -> Option<String> {
        let mut current: Option<String> = None;
        let step = |f: &dyn Fn(&str) -> Option<String>, current: &mut Option<String>| {
            if let Some(next) = f(current.as_deref().unwrap_or(s)) {
                *current = Some(next);
            }
        };
        if self.width {
            step(&Self::map_width, &mut current);
        }
        if self.spaces != Spaces::Keep {
            step(&|s| self.map_spaces(s), &mut current);
        }
        if self.lowercase {
            step(&Self::map_case, &mut current);
        }
        step(&|s| self.normalize(s), &mut current);
        current
    }

    /// The mapping rules of an all-ASCII string: width mapping and
    /// normalization change nothing there, and one application is stable.
    fn map_ascii(self, s: &str) -> Cow<'_, str> {
        let spaces = self.spaces == Spaces::Nickname
            && (s.starts_with(' ') || s.ends_with(' ') || s.contains("  "));
        let case = self.lowercase && s.bytes().any(|b| b.is_ascii_uppercase());
        if !spaces && !case {
            return Cow::Borrowed(s);
        }
        let mut out = String::with_capacity(s.len());
        if spaces {
            for word in s.split(' ').filter(|w| !w.is_empty()) {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
        } else {
            out.push_str(s);
        }
        if case {
            out.make_ascii_lowercase();
        }
        Cow::Owned(out)
    }

    /// The mapping rules applied until stable (RFC 8264 §7).
    fn map_until_stable(self, input: &str) -> Result<Cow<'_, str>, Error> {
        if input.is_ascii() {
            return Ok(self.map_ascii(input));
        }
        // A code point unassigned in the tables' Unicode version is refused
        // before any mapping: the normalization data (unicode-normalization)
        // can be newer and would otherwise map a code point this version
        // does not know into valid ones.
        if let Some((offset, code_point)) = input
            .char_indices()
            .find(|&(_, c)| !c.is_ascii() && Props::of(c).precis() == DerivedProperty::Unassigned)
        {
            return Err(Error::Unassigned { code_point, offset });
        }
        let mut current: Option<String> = None;
        // The first application and at most three more.
        for _ in 0..4 {
            match self.map_once(current.as_deref().unwrap_or(input)) {
                None => return Ok(current.map_or(Cow::Borrowed(input), Cow::Owned)),
                Some(next) => current = Some(next),
            }
        }
        Err(Error::Unstable)
    }

    fn enforce(self, input: &str) -> Result<Cow<'_, str>, Error> {
        let mapped = self.map_until_stable(input)?;
        if mapped.is_empty() {
            return Err(Error::Empty);
        }
        if self.bidi && !mapped.is_ascii() && has_rtl(&mapped) {
            bidi_rule(&mapped).map_err(Error::Bidi)?;
        }
        self.class.check(&mapped)?;
        Ok(mapped)
    }

    fn prepare(self, input: &str) -> Result<Cow<'_, str>, Error> {
        let prepared = if self.width && !input.is_ascii() {
            Self::map_width(input).map_or(Cow::Borrowed(input), Cow::Owned)
        } else {
            Cow::Borrowed(input)
        };
        if prepared.is_empty() {
            return Err(Error::Empty);
        }
        self.class.check(&prepared)?;
        Ok(prepared)
    }

    fn compare(self, a: &str, b: &str) -> Result<bool, Error> {
        Ok(self.enforce(a)? == self.enforce(b)?)
    }
}

macro_rules! profile {
    ($ty:ty, $name:literal, $enforce:expr, $compare:expr) => {
        impl Profile for $ty {
            fn name(&self) -> &'static str {
                $name
            }
            fn prepare<'a>(&self, input: &'a str) -> Result<Cow<'a, str>, Error> {
                $enforce.prepare(input)
            }
            fn enforce<'a>(&self, input: &'a str) -> Result<Cow<'a, str>, Error> {
                $enforce.enforce(input)
            }
            fn compare(&self, a: &str, b: &str) -> Result<bool, Error> {
                $compare.compare(a, b)
            }
        }
    };
}

profile!(
    UsernameCaseMapped,
    "UsernameCaseMapped",
    USERNAME_CASE_MAPPED,
    USERNAME_CASE_MAPPED
);
profile!(
    UsernameCasePreserved,
    "UsernameCasePreserved",
    USERNAME_CASE_PRESERVED,
    USERNAME_CASE_PRESERVED
);
profile!(OpaqueString, "OpaqueString", OPAQUE_STRING, OPAQUE_STRING);
profile!(Nickname, "Nickname", NICKNAME_ENFORCE, NICKNAME_COMPARE);

impl Nickname {
    /// The comparison form of a nickname (RFC 8266 §2.4): its enforcement
    /// form mapped to lower case. Two nicknames are equivalent when their
    /// comparison forms are equal; store this form to look nicknames up.
    ///
    /// ```
    /// use xmpp_precis::Nickname;
    /// assert_eq!(Nickname.comparison_form(" Foo\u{00A0}BAR ")?, "foo bar");
    /// # Ok::<(), xmpp_precis::Error>(())
    /// ```
    pub fn comparison_form<'a>(&self, input: &'a str) -> Result<Cow<'a, str>, Error> {
        NICKNAME_COMPARE.enforce(input)
    }
}

/// A profile chosen at run time, by name.
///
/// ```
/// use xmpp_precis::{Profile, ProfileName};
/// let profile: ProfileName = "opaque-string".parse()?;
/// assert_eq!(profile.enforce("pass word")?, "pass word");
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProfileName {
    /// [`UsernameCaseMapped`].
    UsernameCaseMapped,
    /// [`UsernameCasePreserved`].
    UsernameCasePreserved,
    /// [`OpaqueString`].
    OpaqueString,
    /// [`Nickname`].
    Nickname,
}

impl ProfileName {
    /// Every profile, in the order of the RFCs.
    pub const ALL: [Self; 4] = [
        Self::UsernameCaseMapped,
        Self::UsernameCasePreserved,
        Self::OpaqueString,
        Self::Nickname,
    ];

    /// The kebab-case name the `xmpp` command uses (`username-case-mapped`,
    /// `username-case-preserved`, `opaque-string`, `nickname`).
    pub fn kebab_name(self) -> &'static str {
        match self {
            Self::UsernameCaseMapped => "username-case-mapped",
            Self::UsernameCasePreserved => "username-case-preserved",
            Self::OpaqueString => "opaque-string",
            Self::Nickname => "nickname",
        }
    }

    fn profile(self) -> &'static dyn Profile {
        match self {
            Self::UsernameCaseMapped => &UsernameCaseMapped,
            Self::UsernameCasePreserved => &UsernameCasePreserved,
            Self::OpaqueString => &OpaqueString,
            Self::Nickname => &Nickname,
        }
    }
}

/// The error of parsing a [`ProfileName`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownProfile;

impl core::fmt::Display for UnknownProfile {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(
            "unknown profile: expected username-case-mapped, username-case-preserved, \
             opaque-string or nickname",
        )
    }
}

impl core::error::Error for UnknownProfile {}

impl core::str::FromStr for ProfileName {
    type Err = UnknownProfile;

    /// Accepts the kebab-case names and the RFC names, in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| s.eq_ignore_ascii_case(p.kebab_name()) || s.eq_ignore_ascii_case(p.name()))
            .ok_or(UnknownProfile)
    }
}

impl Profile for ProfileName {
    fn name(&self) -> &'static str {
        self.profile().name()
    }
    fn prepare<'a>(&self, input: &'a str) -> Result<Cow<'a, str>, Error> {
        self.profile().prepare(input)
    }
    fn enforce<'a>(&self, input: &'a str) -> Result<Cow<'a, str>, Error> {
        self.profile().enforce(input)
    }
    fn compare(&self, a: &str, b: &str) -> Result<bool, Error> {
        self.profile().compare(a, b)
    }
}

#[cfg(test)]
mod tests;
