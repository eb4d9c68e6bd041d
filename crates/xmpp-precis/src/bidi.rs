//! The Bidi Rule of RFC 5893 §2, which the Username profiles (RFC 8265
//! §3.3.1, §3.4.1) apply to strings containing right-to-left characters and
//! IDNA2008 (RFC 5891 §5.4) applies to labels of bidi domain names.

use core::fmt;

use crate::unicode::{BidiClass, Props};

/// Which condition of the RFC 5893 §2 Bidi Rule failed, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BidiViolation {
    /// Condition 1: the first character is not of class L, R or AL.
    FirstCharacter {
        /// The first character.
        code_point: char,
    },
    /// Condition 2 (right-to-left) or 5 (left-to-right): a character of a
    /// class the direction does not allow.
    NotAllowed {
        /// The refused character.
        code_point: char,
        /// Its byte offset.
        offset: usize,
        /// Whether the string is right-to-left (its first character is R or AL).
        rtl: bool,
    },
    /// Condition 3 (right-to-left) or 6 (left-to-right): the last character
    /// that is not NSM has the wrong class.
    LastCharacter {
        /// That character.
        code_point: char,
        /// Its byte offset.
        offset: usize,
        /// Whether the string is right-to-left.
        rtl: bool,
    },
    /// Condition 4: a right-to-left string mixes European (EN) and Arabic
    /// (AN) numbers; this is the second of them.
    MixedNumbers {
        /// The character of the second kind.
        code_point: char,
        /// Its byte offset.
        offset: usize,
    },
}

impl BidiViolation {
    /// The RFC 5893 §2 condition number (1 to 6).
    pub fn condition(&self) -> u8 {
        match *self {
            Self::FirstCharacter { .. } => 1,
            Self::NotAllowed { rtl: true, .. } => 2,
            Self::LastCharacter { rtl: true, .. } => 3,
            Self::MixedNumbers { .. } => 4,
            Self::NotAllowed { rtl: false, .. } => 5,
            Self::LastCharacter { rtl: false, .. } => 6,
        }
    }

    /// The character blamed and its byte offset.
    pub fn position(&self) -> Option<(char, usize)> {
        match *self {
            Self::FirstCharacter { code_point } => Some((code_point, 0)),
            Self::NotAllowed {
                code_point, offset, ..
            }
            | Self::LastCharacter {
                code_point, offset, ..
            }
            | Self::MixedNumbers { code_point, offset } => Some((code_point, offset)),
        }
    }
}

impl fmt::Display for BidiViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (c, offset) = self.position().unwrap_or(('\0', 0));
        let what = match self {
            Self::FirstCharacter { .. } => "first character is not of bidi class L, R or AL",
            Self::NotAllowed { rtl: true, .. } => "character not allowed in a right-to-left string",
            Self::NotAllowed { rtl: false, .. } => {
                "character not allowed in a left-to-right string"
            }
            Self::LastCharacter { rtl: true, .. } => {
                "right-to-left string must end with R, AL, EN or AN (then NSM)"
            }
            Self::LastCharacter { rtl: false, .. } => {
                "left-to-right string must end with L or EN (then NSM)"
            }
            Self::MixedNumbers { .. } => "right-to-left string mixes EN and AN digits",
        };
        write!(
            f,
            "condition {}: {what} (U+{:04X} at byte {offset})",
            self.condition(),
            c as u32
        )
    }
}

/// Whether `s` holds a right-to-left character (Bidi_Class R, AL or AN), the
/// trigger of RFC 5893 §1.4's "RTL label" and of the Username profiles'
/// directionality rule.
pub fn has_rtl(s: &str) -> bool {
    s.chars().any(|c| {
        !c.is_ascii()
            && matches!(
                Props::of(c).bidi(),
                BidiClass::R | BidiClass::AL | BidiClass::AN
            )
    })
}

/// Checks the six conditions of the RFC 5893 §2 Bidi Rule on `s`.
///
/// ```
/// use xmpp_precis::bidi::{bidi_rule, BidiViolation};
/// assert!(bidi_rule("\u{05D0}\u{05D1}1").is_ok());
/// assert_eq!(bidi_rule("1\u{05D0}").unwrap_err().condition(), 1);
/// ```
pub fn bidi_rule(s: &str) -> Result<(), BidiViolation> {
    use BidiClass::*;
    let Some(first) = s.chars().next() else {
        return Ok(());
    };
    let rtl = match Props::of(first).bidi() {
        L => false,
        R | AL => true,
        _ => return Err(BidiViolation::FirstCharacter { code_point: first }),
    };
    // Conditions 3 and 6: the last non-NSM character.
    let last = s
        .char_indices()
        .rev()
        .map(|(i, c)| (i, c, Props::of(c).bidi()))
        .find(|&(_, _, b)| b != NSM);
    if let Some((offset, code_point, class)) = last {
        let ok = if rtl {
            matches!(class, R | AL | EN | AN)
        } else {
            matches!(class, L | EN)
        };
        if !ok {
            return Err(BidiViolation::LastCharacter {
                code_point,
                offset,
                rtl,
            });
        }
    }
    // Conditions 2, 4 and 5.
    let mut number: Option<BidiClass> = None;
    for (offset, code_point) in s.char_indices() {
        let class = Props::of(code_point).bidi();
        let allowed = if rtl {
            matches!(class, R | AL | AN | EN | ES | CS | ET | ON | BN | NSM)
        } else {
            matches!(class, L | EN | ES | CS | ET | ON | BN | NSM)
        };
        if !allowed {
            return Err(BidiViolation::NotAllowed {
                code_point,
                offset,
                rtl,
            });
        }
        if rtl && matches!(class, EN | AN) {
            match number {
                Some(seen) if seen != class => {
                    return Err(BidiViolation::MixedNumbers { code_point, offset });
                }
                _ => number = Some(class),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions() {
        assert!(bidi_rule("abc").is_ok());
        assert!(bidi_rule("\u{05D0}\u{05D1}").is_ok());
        assert!(bidi_rule("\u{0627}\u{0661}").is_ok());
        assert!(bidi_rule("\u{05D0}\u{0300}").is_ok());
        assert_eq!(bidi_rule("\u{0661}\u{05D0}").unwrap_err().condition(), 1);
        assert_eq!(bidi_rule("\u{05D0}a\u{05D0}").unwrap_err().condition(), 2);
        assert_eq!(bidi_rule("\u{05D0}!").unwrap_err().condition(), 3);
        assert_eq!(bidi_rule("\u{05D0}1\u{0661}").unwrap_err().condition(), 4);
        assert_eq!(bidi_rule("a\u{05D0}a").unwrap_err().condition(), 5);
        assert_eq!(bidi_rule("a!").unwrap_err().condition(), 6);
        assert!(bidi_rule("a1").is_ok());
        assert!(bidi_rule("a\u{0300}").is_ok());
    }

    #[test]
    fn rtl_detection() {
        assert!(!has_rtl("abc"));
        assert!(has_rtl("a\u{05D0}"));
        assert!(has_rtl("\u{0661}"));
        assert!(!has_rtl("\u{06F1}")); // EXTENDED ARABIC-INDIC DIGIT ONE is EN
    }
}
