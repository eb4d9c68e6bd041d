//! Errors of this crate: [`ParseError`] for bytes that are not an element
//! (a stream-level problem, RFC 6120 §4.9.3) and [`PayloadError`] for an
//! element that is not what it claims to be (a stanza-level problem, RFC
//! 6120 §8.3.3).

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

use xmpp_stream::{Limit, Restricted};

use crate::stanza_error::DefinedCondition;
use crate::stream_error::StreamCondition;

/// Bytes that could not be read as one element. Offsets count bytes from the
/// start of the element's text.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseError {
    /// The parser found XML it cannot read (`not-well-formed`).
    Xml {
        /// Offset of the problem.
        offset: u64,
        /// What was wrong, in words.
        detail: String,
    },
    /// Bytes that are not UTF-8 (`not-well-formed`).
    InvalidUtf8 {
        /// Offset of the first bad byte.
        offset: u64,
    },
    /// A character outside XML 1.0's `Char` (`not-well-formed`).
    InvalidChar {
        /// Offset of the text or value holding it.
        offset: u64,
        /// The code point.
        code_point: u32,
    },
    /// A name that is not a QName (`not-well-formed`).
    InvalidName {
        /// Offset of its tag.
        offset: u64,
        /// The name.
        name: String,
    },
    /// A malformed character or entity reference (`not-well-formed`).
    InvalidReference {
        /// Offset of the text or tag holding it.
        offset: u64,
    },
    /// A construct RFC 6120 §11.1 forbids (`restricted-xml`).
    Restricted {
        /// Offset of the construct.
        offset: u64,
        /// What it was.
        construct: Restricted,
    },
    /// The same attribute twice by namespace and local name
    /// (`not-well-formed`).
    DuplicateAttribute {
        /// Offset of the tag.
        offset: u64,
        /// The attribute as written.
        name: String,
    },
    /// A prefix with no declaration in scope (`bad-namespace-prefix`).
    UndeclaredPrefix {
        /// Offset of the tag.
        offset: u64,
        /// The prefix.
        prefix: String,
    },
    /// A declaration that misuses `xml` or `xmlns`, or undeclares a prefix
    /// (`bad-namespace-prefix`).
    ReservedPrefix {
        /// Offset of the tag.
        offset: u64,
        /// The prefix.
        prefix: String,
    },
    /// Content after the element, or a second element (`not-well-formed`).
    TrailingContent {
        /// Offset of the content.
        offset: u64,
    },
    /// The input ended inside the element (`not-well-formed`).
    Truncated {
        /// The input's length.
        offset: u64,
    },
    /// The input holds no element at all (`not-well-formed`).
    NoElement,
    /// A configured limit was crossed (`policy-violation`).
    LimitExceeded {
        /// Where.
        offset: u64,
        /// Which limit.
        limit: Limit,
        /// Its configured value.
        max: usize,
    },
    /// The [`Limits`](xmpp_stream::Limits) given are outside the bounds of
    /// [`Limits::validate`](xmpp_stream::Limits::validate): a limit too
    /// large would let a peer build a tree too deep to write, compare or
    /// drop (`internal-server-error`: the fault is the configuration's).
    InvalidLimits(xmpp_stream::InvalidLimits),
}

impl ParseError {
    /// The RFC 6120 §4.9.3 stream error condition to close the stream with.
    pub fn condition(&self) -> StreamCondition {
        match self {
            Self::Restricted { .. } => StreamCondition::RestrictedXml,
            Self::UndeclaredPrefix { .. } | Self::ReservedPrefix { .. } => {
                StreamCondition::BadNamespacePrefix
            }
            Self::LimitExceeded { .. } => StreamCondition::PolicyViolation,
            Self::InvalidLimits(_) => StreamCondition::InternalServerError,
            _ => StreamCondition::NotWellFormed,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Xml { offset, detail } => write!(f, "{detail} at byte {offset}"),
            Self::InvalidUtf8 { offset } => write!(f, "invalid UTF-8 at byte {offset}"),
            Self::InvalidChar { offset, code_point } => write!(
                f,
                "character U+{code_point:04X} not allowed (near byte {offset})"
            ),
            Self::InvalidName { offset, name } => {
                write!(f, "'{name}' is not an XML name (byte {offset})")
            }
            Self::InvalidReference { offset } => {
                write!(f, "malformed reference near byte {offset}")
            }
            Self::Restricted { offset, construct } => {
                write!(f, "{construct} at byte {offset} (RFC 6120 §11.1)")
            }
            Self::DuplicateAttribute { offset, name } => {
                write!(
                    f,
                    "attribute {name} repeated on the element at byte {offset}"
                )
            }
            Self::UndeclaredPrefix { offset, prefix } => {
                write!(
                    f,
                    "prefix '{prefix}' not declared (element at byte {offset})"
                )
            }
            Self::ReservedPrefix { offset, prefix } => write!(
                f,
                "prefix '{prefix}' misused in a declaration (element at byte {offset})"
            ),
            Self::TrailingContent { offset } => {
                write!(f, "content after the element at byte {offset}")
            }
            Self::Truncated { offset } => {
                write!(f, "input ended inside the element at byte {offset}")
            }
            Self::NoElement => f.write_str("no element in the input"),
            Self::LimitExceeded { offset, limit, max } => {
                write!(f, "{limit} over the limit of {max} at byte {offset}")
            }
            Self::InvalidLimits(e) => write!(f, "invalid limits: {e}"),
        }
    }
}

impl core::error::Error for ParseError {}

/// An element that does not have the shape its name and namespace promise:
/// an error for that stanza or payload alone, never for the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadError {
    /// The element is not the one expected.
    UnexpectedElement {
        /// What was expected, e.g. `message`.
        expected: &'static str,
        /// The name found.
        name: String,
        /// The namespace found.
        ns: String,
    },
    /// A required attribute is absent.
    MissingAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attribute: &'static str,
    },
    /// An attribute value outside its grammar.
    InvalidAttribute {
        /// The element.
        element: &'static str,
        /// The attribute.
        attribute: &'static str,
        /// The value found.
        value: String,
    },
    /// An address that is not a JID (`jid-malformed`).
    InvalidJid {
        /// The element.
        element: &'static str,
        /// The attribute (`to`, `from`, `jid`, …).
        attribute: &'static str,
        /// The value as received.
        value: String,
        /// Why it is not a JID.
        error: Box<xmpp_jid::Error>,
    },
    /// A required child element is absent.
    MissingChild {
        /// The element.
        element: &'static str,
        /// The child.
        child: &'static str,
    },
    /// A child that may appear once appears more often, or children that
    /// exclude each other are both present.
    UnexpectedChild {
        /// The element.
        element: &'static str,
        /// The child.
        child: String,
    },
    /// Character data outside its grammar (a number, a `show` value, …).
    InvalidText {
        /// The element holding it.
        element: &'static str,
        /// The text found.
        value: String,
    },
    /// Base64 that is not strictly RFC 4648 §4 (RFC 6120 §6.4.2).
    InvalidBase64 {
        /// The element holding it.
        element: &'static str,
    },
}

impl PayloadError {
    /// The RFC 6120 §8.3.3 condition of the error reply:
    /// `jid-malformed` for addresses, `bad-request` otherwise.
    pub fn condition(&self) -> DefinedCondition {
        match self {
            Self::InvalidJid { .. } => DefinedCondition::JidMalformed,
            _ => DefinedCondition::BadRequest,
        }
    }
}

impl fmt::Display for PayloadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnexpectedElement { expected, name, ns } => {
                write!(
                    f,
                    "expected <{expected}/>, found <{name}/> in namespace '{ns}'"
                )
            }
            Self::MissingAttribute { element, attribute } => {
                write!(f, "<{element}/> lacks the required attribute '{attribute}'")
            }
            Self::InvalidAttribute {
                element,
                attribute,
                value,
            } => write!(f, "<{element}/> has an invalid {attribute} '{value}'"),
            Self::InvalidJid {
                element,
                attribute,
                value,
                error,
            } => write!(
                f,
                "<{element}/> {attribute} '{value}' is not a valid JID: {error}"
            ),
            Self::MissingChild { element, child } => {
                write!(f, "<{element}/> lacks the required child <{child}/>")
            }
            Self::UnexpectedChild { element, child } => {
                write!(
                    f,
                    "<{element}/> has an unexpected or repeated child <{child}/>"
                )
            }
            Self::InvalidText { element, value } => {
                write!(f, "<{element}/> has invalid content '{value}'")
            }
            Self::InvalidBase64 { element } => {
                write!(f, "<{element}/> does not hold strict base64")
            }
        }
    }
}

impl core::error::Error for PayloadError {}
