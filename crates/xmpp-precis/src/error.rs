//! The error of every PRECIS operation: which rule refused the string, and
//! where.

use core::fmt;

use crate::bidi::BidiViolation;
use crate::context::ContextRule;

/// Why a string was refused by a PRECIS profile or string class.
///
/// Offsets are byte offsets into the string *after* the profile's mapping
/// rules (RFC 8264 §7 steps 1 to 4) have run, because the string class is
/// checked on the mapped string; the offending code point is given too, so a
/// message can name it whatever the mapping did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The string is empty after the mapping rules (RFC 8265 §3.3.3, §4.2.3;
    /// RFC 8266 §2.3).
    Empty,
    /// A code point the string class does not allow (RFC 8264 §9: DISALLOWED,
    /// or ID_DIS in IdentifierClass).
    Disallowed {
        /// The refused code point.
        code_point: char,
        /// Its byte offset in the mapped string.
        offset: usize,
    },
    /// A code point not assigned in the tables' Unicode version
    /// ([`crate::unicode::UNICODE_VERSION`]). Such code points are refused
    /// before any mapping rule runs.
    Unassigned {
        /// The refused code point.
        code_point: char,
        /// Its byte offset in the input.
        offset: usize,
    },
    /// A CONTEXTJ or CONTEXTO code point whose contextual rule (RFC 5892
    /// Appendix A) does not hold where it stands.
    Context {
        /// The rule that failed.
        rule: ContextRule,
        /// The code point the rule is about.
        code_point: char,
        /// Its byte offset in the mapped string.
        offset: usize,
    },
    /// The RFC 5893 Bidi Rule does not hold (Username profiles, RFC 8265
    /// §3.3.1 and §3.4.1, apply it to strings with right-to-left characters).
    Bidi(BidiViolation),
    /// The mapping rules did not reach a fixed point after three more
    /// applications (RFC 8264 §7).
    Unstable,
}

impl Error {
    /// A stable kebab-case name of the kind of error, for programs and the
    /// `xmpp` command's JSON (`empty`, `disallowed`, `unassigned`,
    /// `context-rule`, `bidi-rule`, `unstable`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::Disallowed { .. } => "disallowed",
            Self::Unassigned { .. } => "unassigned",
            Self::Context { .. } => "context-rule",
            Self::Bidi(_) => "bidi-rule",
            Self::Unstable => "unstable",
        }
    }

    /// The offending code point and its byte offset in the mapped string,
    /// where one code point is to blame.
    pub fn position(&self) -> Option<(char, usize)> {
        match *self {
            Self::Disallowed { code_point, offset }
            | Self::Unassigned { code_point, offset }
            | Self::Context {
                code_point, offset, ..
            } => Some((code_point, offset)),
            Self::Bidi(v) => v.position(),
            Self::Empty | Self::Unstable => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("string is empty after mapping"),
            Self::Disallowed { code_point, offset } => write!(
                f,
                "code point U+{:04X} at byte {offset} is not allowed in this string class",
                *code_point as u32
            ),
            Self::Unassigned { code_point, offset } => write!(
                f,
                "code point U+{:04X} at byte {offset} is unassigned in Unicode {}.{}.{}",
                *code_point as u32,
                crate::unicode::UNICODE_VERSION.0,
                crate::unicode::UNICODE_VERSION.1,
                crate::unicode::UNICODE_VERSION.2,
            ),
            Self::Context {
                rule,
                code_point,
                offset,
            } => write!(
                f,
                "code point U+{:04X} at byte {offset} breaks the {rule} contextual rule",
                *code_point as u32
            ),
            Self::Bidi(v) => write!(f, "bidi rule: {v}"),
            Self::Unstable => f.write_str("mapping rules do not reach a stable result"),
        }
    }
}

impl core::error::Error for Error {}
