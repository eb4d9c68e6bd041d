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

use crate::bidi::bidi_rule;
use crate::class::StringClass;
use crate::error::Error;
use crate::unicode::{BidiClass, DerivedProperty, Props, lowercase, width};

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

/// What one application of the mapping rules did to a string.
enum Pass {
    /// The rules changed the string; this is the result.
    Changed(String),
    /// The rules left the string as it was: it is stable, and these are the
    /// facts about it the remaining checks need, gathered on the way.
    Stable(Facts),
}

/// What the stable pass learned about a string.
#[derive(Default)]
struct Facts {
    /// A code point of Bidi_Class R, AL or AN was seen.
    rtl: bool,
    /// A CONTEXTJ or CONTEXTO code point was seen.
    context: bool,
    /// The first code point the string class refuses outright.
    refused: Option<Error>,
}

/// Drops leading and trailing U+0020 and collapses inner runs of it (RFC
/// 8266 §2.1's additional mapping), or `None` when there is nothing to do.
fn trim_spaces(s: &str) -> Option<String> {
    if !s.starts_with(' ') && !s.ends_with(' ') && !s.contains("  ") {
        return None;
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

/// The output of a pass, allocated only once the first code point changes.
struct Output<'s> {
    input: &'s str,
    out: Option<String>,
}

impl<'s> Output<'s> {
    /// Makes sure the output exists, holding the input up to `offset`.
    fn start(&mut self, offset: usize) -> &mut String {
        let input = self.input;
        self.out.get_or_insert_with(|| {
            let mut out = String::with_capacity(input.len() + 8);
            out.push_str(input.get(..offset).unwrap_or(""));
            out
        })
    }
}

impl Rules {
    /// RFC 8264 §5.2.1 width mapping alone (the preparation of the Username
    /// profiles, RFC 8265 §3.3.2), or `None` when nothing maps.
    fn map_width(s: &str) -> Option<String> {
        let mut output = Output {
            input: s,
            out: None,
        };
        for (offset, c) in s.char_indices() {
            let mapped = (!c.is_ascii() && Props::of(c).has_width_mapping())
                .then(|| width(c))
                .flatten();
            match mapped {
                Some(w) => output.start(offset).push(w),
                None => {
                    if let Some(out) = &mut output.out {
                        out.push(c);
                    }
                }
            }
        }
        output.out
    }

    /// RFC 8264 §5.2.4 normalization, or `None` when the string is already
    /// normalized.
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

    /// One application of the mapping rules (RFC 8264 §7 steps 1 to 4).
    ///
    /// The per-code-point rules (width, non-ASCII space, case) run in one
    /// loop that looks each code point up once. While nothing changes, the
    /// same loop gathers what the directionality rule and the string class
    /// need, so a string already in enforced form costs one pass. A code
    /// point unassigned in the tables' Unicode version is refused here,
    /// before anything maps it: the normalization data (unicode-normalization)
    /// can be newer and would otherwise map code points this version does not
    /// know into valid ones.
    fn pass(self, s: &str) -> Result<Pass, Error> {
        let freeform = self.class == StringClass::Freeform;
        let mut output = Output {
            input: s,
            out: None,
        };
        let mut normalize = false;
        let mut facts = Facts::default();
        for (offset, c) in s.char_indices() {
            if c.is_ascii() {
                if self.lowercase && c.is_ascii_uppercase() {
                    output.start(offset).push(c.to_ascii_lowercase());
                    continue;
                }
                if let Some(out) = &mut output.out {
                    out.push(c);
                } else if facts.refused.is_none()
                    && !(matches!(c, '!'..='~') || (freeform && c == ' '))
                {
                    facts.refused = Some(Error::Disallowed {
                        code_point: c,
                        offset,
                    });
                }
                continue;
            }
            let props = Props::of(c);
            let property = props.precis();
            if property == DerivedProperty::Unassigned {
                return Err(Error::Unassigned {
                    code_point: c,
                    offset,
                });
            }
            // Steps 1 to 3 on this code point.
            let (mut current, mut current_props, mut changed) = (c, props, false);
            if self.width && props.has_width_mapping() {
                if let Some(w) = width(c) {
                    (current, current_props, changed) = (w, Props::of(w), true);
                }
            }
            if self.spaces != Spaces::Keep && !current.is_ascii() && current_props.is_space() {
                (current, changed) = (' ', true);
            }
            let lower = if !self.lowercase {
                None
            } else if current.is_ascii() {
                current.is_ascii_uppercase().then(|| {
                    current = current.to_ascii_lowercase();
                    ""
                })
            } else if current_props.has_lowercase_mapping() {
                lowercase(current)
            } else {
                None
            };
            if changed || lower.is_some() {
                let out = output.start(offset);
                match lower {
                    Some(m) if !m.is_empty() => out.push_str(m),
                    _ => out.push(current),
                }
                // What the mapping produced is checked on the next pass;
                // whether it needs normalizing is known from its own bits.
                let unsafe_for = |c: char| {
                    !c.is_ascii()
                        && match self.normalization {
                            Normalization::Nfc => Props::of(c).nfc_unsafe(),
                            Normalization::Nfkc => Props::of(c).nfkc_unsafe(),
                        }
                };
                normalize |= match lower {
                    Some(m) if !m.is_empty() => m.chars().any(unsafe_for),
                    _ => unsafe_for(current),
                };
                continue;
            }
            if let Some(out) = &mut output.out {
                out.push(c);
            }
            normalize |= match self.normalization {
                Normalization::Nfc => props.nfc_unsafe(),
                Normalization::Nfkc => props.nfkc_unsafe(),
            };
            if output.out.is_some() {
                continue;
            }
            facts.rtl |= matches!(props.bidi(), BidiClass::R | BidiClass::AL | BidiClass::AN);
            match property {
                DerivedProperty::Pvalid => {}
                DerivedProperty::FreePval if freeform => {}
                DerivedProperty::ContextJ | DerivedProperty::ContextO => facts.context = true,
                _ => {
                    if facts.refused.is_none() {
                        facts.refused = Some(Error::Disallowed {
                            code_point: c,
                            offset,
                        });
                    }
                }
            }
        }
        let mut changed = output.out;
        if self.spaces == Spaces::Nickname {
            if let Some(trimmed) = trim_spaces(changed.as_deref().unwrap_or(s)) {
                changed = Some(trimmed);
            }
        }
        if normalize {
            if let Some(normalized) = self.normalize(changed.as_deref().unwrap_or(s)) {
                changed = Some(normalized);
            }
        }
        Ok(changed.map_or(Pass::Stable(facts), Pass::Changed))
    }

    /// The mapping rules of an all-ASCII string: width mapping and
    /// normalization change nothing there, and one application is stable.
    fn map_ascii(self, s: &str) -> Cow<'_, str> {
        let spaces = if self.spaces == Spaces::Nickname {
            trim_spaces(s)
        } else {
            None
        };
        let case = self.lowercase && s.bytes().any(|b| b.is_ascii_uppercase());
        match (spaces, case) {
            (None, false) => Cow::Borrowed(s),
            (Some(mut out), true) => {
                out.make_ascii_lowercase();
                Cow::Owned(out)
            }
            (Some(out), false) => Cow::Owned(out),
            (None, true) => Cow::Owned(s.to_ascii_lowercase()),
        }
    }

    fn enforce(self, input: &str) -> Result<Cow<'_, str>, Error> {
        if input.is_ascii() {
            let mapped = self.map_ascii(input);
            if mapped.is_empty() {
                return Err(Error::Empty);
            }
            self.class.check(&mapped)?;
            return Ok(mapped);
        }
        let mut current: Option<String> = None;
        // The first application and at most three more (RFC 8264 §7).
        for _ in 0..4 {
            let s = current.as_deref().unwrap_or(input);
            match self.pass(s)? {
                Pass::Changed(next) => current = Some(next),
                Pass::Stable(facts) => {
                    self.finish(s, &facts)?;
                    return Ok(current.map_or(Cow::Borrowed(input), Cow::Owned));
                }
            }
        }
        Err(Error::Unstable)
    }

    /// Steps 5 and 6 of RFC 8264 §7 on the stable string `s`.
    fn finish(self, s: &str, facts: &Facts) -> Result<(), Error> {
        if s.is_empty() {
            return Err(Error::Empty);
        }
        if self.bidi && facts.rtl {
            bidi_rule(s).map_err(Error::Bidi)?;
        }
        if facts.context {
            // The contextual rules need the whole string; the full check also
            // keeps errors in string order.
            return self.class.check(s);
        }
        facts.refused.clone().map_or(Ok(()), Err)
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
