//! The contextual rules of RFC 5892 Appendix A, which decide where a CONTEXTJ
//! or CONTEXTO code point may stand. PRECIS (RFC 8264 §9.6, §9.8) and
//! IDNA2008 (RFC 5891 §5.4) share them.
//!
//! Each rule looks at the neighbours of the code point, or at the whole
//! string; the whole-string facts (RFC 5892 A.7 to A.9) are computed once per
//! string, and the ZWNJ scan (A.1) stops at the first non-transparent code
//! point on each side, so checking a string is linear in its length.

use core::fmt;

use crate::unicode::{JoiningType, Props, Script};

/// A contextual rule of RFC 5892 Appendix A.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ContextRule {
    /// A.1 ZERO WIDTH NON-JOINER: after a virama, or between joining
    /// characters.
    ZeroWidthNonJoiner,
    /// A.2 ZERO WIDTH JOINER: after a virama.
    ZeroWidthJoiner,
    /// A.3 MIDDLE DOT: between two `l`.
    MiddleDot,
    /// A.4 GREEK LOWER NUMERAL SIGN (KERAIA): before a Greek character.
    GreekKeraia,
    /// A.5 and A.6 HEBREW PUNCTUATION GERESH and GERSHAYIM: after a Hebrew
    /// character.
    HebrewPunctuation,
    /// A.7 KATAKANA MIDDLE DOT: in a string with Hiragana, Katakana or Han.
    KatakanaMiddleDot,
    /// A.8 ARABIC-INDIC DIGITS: not mixed with extended Arabic-Indic digits.
    ArabicIndicDigits,
    /// A.9 EXTENDED ARABIC-INDIC DIGITS: not mixed with Arabic-Indic digits.
    ExtendedArabicIndicDigits,
    /// A CONTEXTJ or CONTEXTO code point that no rule covers (none in the
    /// current tables; kept so a newer table cannot let one through).
    NoRule,
}

impl ContextRule {
    /// The rule's name, in kebab case.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ZeroWidthNonJoiner => "zero-width-non-joiner",
            Self::ZeroWidthJoiner => "zero-width-joiner",
            Self::MiddleDot => "middle-dot",
            Self::GreekKeraia => "greek-keraia",
            Self::HebrewPunctuation => "hebrew-punctuation",
            Self::KatakanaMiddleDot => "katakana-middle-dot",
            Self::ArabicIndicDigits => "arabic-indic-digits",
            Self::ExtendedArabicIndicDigits => "extended-arabic-indic-digits",
            Self::NoRule => "no-rule",
        }
    }
}

impl fmt::Display for ContextRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_arabic_indic(c: char) -> bool {
    ('\u{0660}'..='\u{0669}').contains(&c)
}

fn is_extended_arabic_indic(c: char) -> bool {
    ('\u{06F0}'..='\u{06F9}').contains(&c)
}

/// Facts about the whole string that some rules need; computed on first use.
#[derive(Debug, Default)]
struct WholeString {
    computed: bool,
    has_hiragana_katakana_han: bool,
    has_arabic_indic: bool,
    has_extended_arabic_indic: bool,
}

impl WholeString {
    fn get(&mut self, s: &str) -> &Self {
        if !self.computed {
            self.computed = true;
            for c in s.chars() {
                self.has_arabic_indic |= is_arabic_indic(c);
                self.has_extended_arabic_indic |= is_extended_arabic_indic(c);
                self.has_hiragana_katakana_han |=
                    !c.is_ascii() && Props::of(c).script() == Script::HiraganaKatakanaHan;
            }
        }
        self
    }
}

/// Checks the contextual rules of the CONTEXTJ and CONTEXTO code points of
/// one string, computing the whole-string facts (RFC 5892 A.7 to A.9) at most
/// once, so a whole string is checked in linear time.
///
/// ```
/// use xmpp_precis::{ContextChecker, ContextRule};
/// let label = "l\u{00B7}l\u{00B7}";
/// let mut checker = ContextChecker::new(label);
/// assert_eq!(checker.check('\u{00B7}', 1), Ok(()));
/// assert_eq!(checker.check('\u{00B7}', 4), Err(ContextRule::MiddleDot));
/// ```
#[derive(Debug)]
pub struct ContextChecker<'s> {
    s: &'s str,
    whole: WholeString,
}

impl<'s> ContextChecker<'s> {
    /// A checker for the string `s`.
    pub fn new(s: &'s str) -> Self {
        Self {
            s,
            whole: WholeString::default(),
        }
    }

    /// Checks the rule of the CONTEXTJ or CONTEXTO code point `c`, which
    /// starts at byte `offset` of the string; `Ok(())` when its context
    /// allows it. A code point no rule covers fails with
    /// [`ContextRule::NoRule`].
    pub fn check(&mut self, c: char, offset: usize) -> Result<(), ContextRule> {
        let before = self.s.get(..offset).and_then(|b| b.chars().next_back());
        let after = self
            .s
            .get(offset + c.len_utf8()..)
            .and_then(|a| a.chars().next());
        let (rule, ok) = match c {
            '\u{200C}' => (
                ContextRule::ZeroWidthNonJoiner,
                before.is_some_and(|b| Props::of(b).is_virama()) || self.joins(offset, c),
            ),
            '\u{200D}' => (
                ContextRule::ZeroWidthJoiner,
                before.is_some_and(|b| Props::of(b).is_virama()),
            ),
            '\u{00B7}' => (
                ContextRule::MiddleDot,
                before == Some('l') && after == Some('l'),
            ),
            '\u{0375}' => (
                ContextRule::GreekKeraia,
                after.is_some_and(|a| Props::of(a).script() == Script::Greek),
            ),
            '\u{05F3}' | '\u{05F4}' => (
                ContextRule::HebrewPunctuation,
                before.is_some_and(|b| Props::of(b).script() == Script::Hebrew),
            ),
            '\u{30FB}' => (
                ContextRule::KatakanaMiddleDot,
                self.whole.get(self.s).has_hiragana_katakana_han,
            ),
            c if is_arabic_indic(c) => (
                ContextRule::ArabicIndicDigits,
                !self.whole.get(self.s).has_extended_arabic_indic,
            ),
            c if is_extended_arabic_indic(c) => (
                ContextRule::ExtendedArabicIndicDigits,
                !self.whole.get(self.s).has_arabic_indic,
            ),
            _ => (ContextRule::NoRule, false),
        };
        if ok { Ok(()) } else { Err(rule) }
    }

    /// RFC 5892 A.1, second clause: `(Joining_Type:{L,D})(Joining_Type:T)*`
    /// before the ZWNJ and `(Joining_Type:T)*(Joining_Type:{R,D})` after it.
    fn joins(&self, offset: usize, zwnj: char) -> bool {
        let before = self.s.get(..offset).unwrap_or("");
        let after = self.s.get(offset + zwnj.len_utf8()..).unwrap_or("");
        let left = before
            .chars()
            .rev()
            .map(|c| Props::of(c).joining())
            .find(|&j| j != JoiningType::T);
        let right = after
            .chars()
            .map(|c| Props::of(c).joining())
            .find(|&j| j != JoiningType::T);
        matches!(left, Some(JoiningType::L | JoiningType::D))
            && matches!(right, Some(JoiningType::R | JoiningType::D))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_at(s: &str, c: char) -> Result<(), ContextRule> {
        let offset = s.find(c).unwrap();
        ContextChecker::new(s).check(c, offset)
    }

    #[test]
    fn zero_width_non_joiner() {
        // After a virama (Devanagari KA + VIRAMA + ZWNJ + SSA).
        assert!(check_at("\u{0915}\u{094D}\u{200C}\u{0937}", '\u{200C}').is_ok());
        // Persian: BEH (D) ZWNJ ALEF (R); with a transparent mark in between.
        assert!(check_at("\u{0628}\u{200C}\u{0627}", '\u{200C}').is_ok());
        assert!(check_at("\u{0628}\u{064B}\u{200C}\u{064B}\u{0627}", '\u{200C}').is_ok());
        // Latin on both sides, at the start, at the end.
        assert_eq!(
            check_at("a\u{200C}b", '\u{200C}'),
            Err(ContextRule::ZeroWidthNonJoiner)
        );
        assert!(check_at("\u{200C}\u{0627}", '\u{200C}').is_err());
        assert!(check_at("\u{0628}\u{200C}", '\u{200C}').is_err());
        // ALEF (R) cannot join to the left.
        assert!(check_at("\u{0627}\u{200C}\u{0627}", '\u{200C}').is_err());
    }

    #[test]
    fn zero_width_joiner() {
        assert!(check_at("\u{0915}\u{094D}\u{200D}", '\u{200D}').is_ok());
        assert_eq!(
            check_at("a\u{200D}b", '\u{200D}'),
            Err(ContextRule::ZeroWidthJoiner)
        );
        assert!(check_at("\u{200D}", '\u{200D}').is_err());
    }

    #[test]
    fn middle_dot() {
        assert!(check_at("l\u{00B7}l", '\u{00B7}').is_ok());
        assert!(check_at("L\u{00B7}l", '\u{00B7}').is_err());
        assert!(check_at("l\u{00B7}", '\u{00B7}').is_err());
        assert!(check_at("\u{00B7}l", '\u{00B7}').is_err());
    }

    #[test]
    fn greek_and_hebrew() {
        assert!(check_at("\u{0375}\u{03B1}", '\u{0375}').is_ok());
        assert!(check_at("\u{0375}a", '\u{0375}').is_err());
        assert!(check_at("\u{03B1}\u{0375}", '\u{0375}').is_err());
        assert!(check_at("\u{05D0}\u{05F3}", '\u{05F3}').is_ok());
        assert!(check_at("\u{05D0}\u{05F4}", '\u{05F4}').is_ok());
        assert!(check_at("a\u{05F4}", '\u{05F4}').is_err());
        assert!(check_at("\u{05F3}\u{05D0}", '\u{05F3}').is_err());
    }

    #[test]
    fn katakana_middle_dot() {
        assert!(check_at("\u{30AB}\u{30FB}", '\u{30FB}').is_ok());
        assert!(check_at("a\u{30FB}\u{6F22}", '\u{30FB}').is_ok());
        assert!(check_at("\u{30FB}", '\u{30FB}').is_err());
        assert!(check_at("a\u{30FB}b", '\u{30FB}').is_err());
    }

    #[test]
    fn arabic_indic_digits() {
        assert!(check_at("\u{0661}\u{0662}", '\u{0661}').is_ok());
        assert_eq!(
            check_at("\u{0661}\u{06F2}", '\u{0661}'),
            Err(ContextRule::ArabicIndicDigits)
        );
        assert!(check_at("\u{06F1}\u{06F2}", '\u{06F1}').is_ok());
        assert_eq!(
            check_at("\u{06F1}\u{0662}", '\u{06F1}'),
            Err(ContextRule::ExtendedArabicIndicDigits)
        );
    }
}
