//! The error of every JID operation: which part, which rule, and where.

use core::fmt;

use xmpp_precis::ContextRule;
use xmpp_precis::bidi::BidiViolation;
use xmpp_precis::unicode::DerivedProperty;

/// The three parts of a JID (RFC 7622 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// The localpart, before the `@` (RFC 7622 §3.3).
    Localpart,
    /// The domainpart (RFC 7622 §3.2).
    Domainpart,
    /// The resourcepart, after the `/` (RFC 7622 §3.4).
    Resourcepart,
}

impl Part {
    /// The part's name as the RFC spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Localpart => "localpart",
            Self::Domainpart => "domainpart",
            Self::Resourcepart => "resourcepart",
        }
    }
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a string is not a valid JID, or a part not a valid part.
///
/// Each variant names the part and the rule; the code point and its byte
/// offset are given where one code point is to blame. For the localpart and
/// resourcepart the offset is into the part after the PRECIS mapping rules
/// (see [`xmpp_precis::Error`]); for the domainpart it is into the domainpart
/// after width mapping, case mapping and NFC, with A-labels decoded.
///
/// Every error maps to the stanza error condition `jid-malformed` (RFC 6120
/// §8.3.3.8), see [`Error::condition`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The part is empty (RFC 7622 §3.1: `@example.com`, `example.com/`,
    /// `juliet@`, `/resource`).
    Empty(Part),
    /// The part is longer than 1023 octets after enforcement (RFC 7622 §3.2,
    /// §3.3, §3.4).
    TooLong {
        /// The part.
        part: Part,
        /// Its length in octets.
        len: usize,
    },
    /// The localpart is refused by the UsernameCaseMapped profile (RFC 7622
    /// §3.3.2, RFC 8265 §3.3).
    Localpart(xmpp_precis::Error),
    /// The localpart holds one of the characters RFC 7622 §3.3.1 forbids
    /// there: `"` `&` `'` `/` `:` `<` `>` `@` (checked after the PRECIS
    /// mapping, so a fullwidth `＠` is refused too).
    LocalpartCharacter {
        /// The forbidden character.
        code_point: char,
        /// Its byte offset in the enforced localpart.
        offset: usize,
    },
    /// XEP-0106 escaping: enforcement (RFC 7622 §3.3.2) would change an
    /// escape sequence, so the stored localpart would not unescape to the
    /// name. Either a combining mark follows a character to be escaped (NFC
    /// would compose it with the sequence's last hex digit: `:` + U+0301
    /// would be stored as `\3á`), or a fullwidth `＼` (U+FF3C) precedes
    /// what would be a sequence (width mapping would make it a `\` that
    /// starts one, and escaping it as `\5c` would not unescape to `＼`).
    EscapeUnstable {
        /// The combining mark or the fullwidth backslash.
        code_point: char,
        /// Its byte offset in the name.
        offset: usize,
    },
    /// The resourcepart is refused by the OpaqueString profile (RFC 7622
    /// §3.4.2, RFC 8265 §4).
    Resourcepart(xmpp_precis::Error),
    /// A label of the domainpart is empty (`example..com`, `.example.com`).
    EmptyLabel {
        /// The byte offset where the label starts.
        offset: usize,
    },
    /// A label is longer than 63 octets in its A-label form (RFC 5890 §2.3.2.1,
    /// RFC 1034 §3.1).
    LabelTooLong {
        /// The byte offset where the label starts.
        offset: usize,
        /// Its length in octets, as an A-label.
        len: usize,
    },
    /// A label starts or ends with a hyphen (RFC 5891 §4.2.3.1, RFC 5890
    /// §2.3.1 LDH rule).
    LabelHyphen {
        /// The byte offset where the label starts.
        offset: usize,
    },
    /// A label has hyphens in its third and fourth positions without being
    /// an A-label (RFC 5891 §4.2.3.1, reserved LDH labels of RFC 5890
    /// §2.3.1).
    LabelReservedHyphens {
        /// The byte offset where the label starts.
        offset: usize,
    },
    /// A label starts with a combining mark (RFC 5891 §4.2.3.2).
    LabelCombiningMark {
        /// The combining mark.
        code_point: char,
        /// Its byte offset in the domainpart.
        offset: usize,
    },
    /// A code point that IDNA2008 does not allow in a label (RFC 5892
    /// derived property DISALLOWED or UNASSIGNED; RFC 5891 §4.2.2, §5.4).
    LabelCodePoint {
        /// The refused code point.
        code_point: char,
        /// Its byte offset in the domainpart.
        offset: usize,
        /// Its RFC 5892 derived property.
        property: DerivedProperty,
    },
    /// A CONTEXTJ or CONTEXTO code point whose RFC 5892 Appendix A rule does
    /// not hold (RFC 5891 §4.2.3.3, §4.2.3.4).
    LabelContext {
        /// The rule that failed.
        rule: ContextRule,
        /// The code point the rule is about.
        code_point: char,
        /// Its byte offset in the domainpart.
        offset: usize,
    },
    /// The domainpart is a Bidi domain name and this label breaks the RFC
    /// 5893 Bidi Rule (RFC 5891 §4.2.3.4).
    LabelBidi {
        /// The byte offset where the label starts.
        offset: usize,
        /// The condition that failed (its offset is within the label).
        violation: BidiViolation,
    },
    /// A label with the `xn--` prefix is not a valid A-label: its Punycode
    /// (RFC 3492) does not decode, decodes to ASCII only or to a string
    /// that is not in NFC or that the domainpart mappings would change, or
    /// does not encode back to the same label (RFC 5891 §5.3, RFC 5890
    /// §2.3.2.1).
    InvalidALabel {
        /// The byte offset where the label starts.
        offset: usize,
    },
    /// The domainpart starts with `[` but is not a bracketed IPv6 address
    /// (RFC 7622 §3.2, RFC 3986 §3.2.2 IP-literal without IPvFuture).
    InvalidIpLiteral,
    /// A full JID was given where a bare JID ([`crate::BareJid`]) is required.
    UnexpectedResource,
    /// A bare JID was given where a full JID ([`crate::FullJid`]) is required.
    MissingResource,
    /// Legacy mode: the part is refused by its RFC 6122 stringprep profile
    /// (Nodeprep, Nameprep or Resourceprep, RFC 6122 Appendices A and B).
    Stringprep(Part),
}

impl Error {
    /// The part the error is about.
    pub fn part(&self) -> Part {
        match *self {
            Self::Empty(part) | Self::TooLong { part, .. } | Self::Stringprep(part) => part,
            Self::Localpart(_) | Self::LocalpartCharacter { .. } | Self::EscapeUnstable { .. } => {
                Part::Localpart
            }
            Self::Resourcepart(_) | Self::UnexpectedResource | Self::MissingResource => {
                Part::Resourcepart
            }
            Self::EmptyLabel { .. }
            | Self::LabelTooLong { .. }
            | Self::LabelHyphen { .. }
            | Self::LabelReservedHyphens { .. }
            | Self::LabelCombiningMark { .. }
            | Self::LabelCodePoint { .. }
            | Self::LabelContext { .. }
            | Self::LabelBidi { .. }
            | Self::InvalidALabel { .. }
            | Self::InvalidIpLiteral => Part::Domainpart,
        }
    }

    /// The stanza error condition of RFC 6120 §8.3.3: always `jid-malformed`.
    pub fn condition(&self) -> &'static str {
        "jid-malformed"
    }

    /// A stable kebab-case name of the error, part first, for programs and
    /// the `xmpp jid` command (`empty-localpart`, `localpart-disallowed`,
    /// `localpart-forbidden-character`, `domainpart-label-too-long`,
    /// `domainpart-bidi-rule`, `resourcepart-disallowed`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Empty(Part::Localpart) => "empty-localpart",
            Self::Empty(Part::Domainpart) => "empty-domainpart",
            Self::Empty(Part::Resourcepart) => "empty-resourcepart",
            Self::TooLong { part, .. } => match part {
                Part::Localpart => "localpart-too-long",
                Part::Domainpart => "domainpart-too-long",
                Part::Resourcepart => "resourcepart-too-long",
            },
            Self::Localpart(e) => match e.kind() {
                "empty" => "empty-localpart",
                "disallowed" => "localpart-disallowed",
                "unassigned" => "localpart-unassigned",
                "context-rule" => "localpart-context-rule",
                "bidi-rule" => "localpart-bidi-rule",
                "unstable" => "localpart-unstable",
                _ => "localpart-precis",
            },
            Self::Resourcepart(e) => match e.kind() {
                "empty" => "empty-resourcepart",
                "disallowed" => "resourcepart-disallowed",
                "unassigned" => "resourcepart-unassigned",
                "context-rule" => "resourcepart-context-rule",
                "bidi-rule" => "resourcepart-bidi-rule",
                "unstable" => "resourcepart-unstable",
                _ => "resourcepart-precis",
            },
            Self::LocalpartCharacter { .. } => "localpart-forbidden-character",
            Self::EscapeUnstable { .. } => "localpart-escape-unstable",
            Self::EmptyLabel { .. } => "domainpart-empty-label",
            Self::LabelTooLong { .. } => "domainpart-label-too-long",
            Self::LabelHyphen { .. } => "domainpart-hyphen",
            Self::LabelReservedHyphens { .. } => "domainpart-reserved-hyphens",
            Self::LabelCombiningMark { .. } => "domainpart-combining-mark",
            Self::LabelCodePoint { property, .. } => match property {
                DerivedProperty::Unassigned => "domainpart-unassigned",
                _ => "domainpart-disallowed",
            },
            Self::LabelContext { .. } => "domainpart-context-rule",
            Self::LabelBidi { .. } => "domainpart-bidi-rule",
            Self::InvalidALabel { .. } => "domainpart-invalid-a-label",
            Self::InvalidIpLiteral => "domainpart-invalid-ip-literal",
            Self::UnexpectedResource => "unexpected-resourcepart",
            Self::MissingResource => "missing-resourcepart",
            Self::Stringprep(Part::Localpart) => "localpart-nodeprep",
            Self::Stringprep(Part::Domainpart) => "domainpart-nameprep",
            Self::Stringprep(Part::Resourcepart) => "resourcepart-resourceprep",
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty(part) => write!(f, "{part} is empty"),
            Self::TooLong { part, len } => {
                write!(f, "{part} is {len} bytes long, more than 1023")
            }
            Self::Localpart(e) => write!(f, "localpart (UsernameCaseMapped): {e}"),
            Self::Resourcepart(e) => write!(f, "resourcepart (OpaqueString): {e}"),
            Self::LocalpartCharacter { code_point, offset } => write!(
                f,
                "localpart: character {code_point:?} (U+{:04X}) at byte {offset} is forbidden \
                 in a localpart (RFC 7622 §3.3.1)",
                *code_point as u32
            ),
            Self::EscapeUnstable { code_point, offset } => write!(
                f,
                "localpart: enforcement would merge U+{:04X} at byte {offset} into an \
                 escape sequence (XEP-0106)",
                *code_point as u32
            ),
            Self::EmptyLabel { offset } => {
                write!(f, "domainpart: empty label at byte {offset}")
            }
            Self::LabelTooLong { offset, len } => write!(
                f,
                "domainpart: label at byte {offset} is {len} bytes long as an A-label, more than 63"
            ),
            Self::LabelHyphen { offset } => write!(
                f,
                "domainpart: label at byte {offset} starts or ends with a hyphen"
            ),
            Self::LabelReservedHyphens { offset } => write!(
                f,
                "domainpart: label at byte {offset} has hyphens in its third and fourth \
                 positions but is not an A-label"
            ),
            Self::LabelCombiningMark { code_point, offset } => write!(
                f,
                "domainpart: label starts with the combining mark U+{:04X} at byte {offset}",
                *code_point as u32
            ),
            Self::LabelCodePoint {
                code_point,
                offset,
                property,
            } => write!(
                f,
                "domainpart: code point U+{:04X} at byte {offset} is {} in IDNA2008",
                *code_point as u32,
                property.as_str()
            ),
            Self::LabelContext {
                rule,
                code_point,
                offset,
            } => write!(
                f,
                "domainpart: code point U+{:04X} at byte {offset} breaks the {rule} contextual rule",
                *code_point as u32
            ),
            Self::LabelBidi { offset, violation } => write!(
                f,
                "domainpart: label at byte {offset} breaks the bidi rule, {violation}"
            ),
            Self::InvalidALabel { offset } => write!(
                f,
                "domainpart: label at byte {offset} has the xn-- prefix but is not a valid A-label"
            ),
            Self::InvalidIpLiteral => {
                f.write_str("domainpart: bracketed IP literal is not an IPv6 address")
            }
            Self::UnexpectedResource => {
                f.write_str("a bare JID is required but this JID has a resourcepart")
            }
            Self::MissingResource => {
                f.write_str("a full JID is required but this JID has no resourcepart")
            }
            Self::Stringprep(part) => {
                let profile = match part {
                    Part::Localpart => "Nodeprep",
                    Part::Domainpart => "Nameprep",
                    Part::Resourcepart => "Resourceprep",
                };
                write!(f, "{part} is refused by {profile} (RFC 6122)")
            }
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Localpart(e) | Self::Resourcepart(e) => Some(e),
            _ => None,
        }
    }
}
