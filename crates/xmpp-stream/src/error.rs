//! Errors of the framer, each mapped to its RFC 6120 §4.9.3 stream error
//! condition.

use alloc::string::String;
use core::fmt;

/// A stream error condition of RFC 6120 §4.9.3, as the framer reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Condition {
    /// §4.9.3.1 `<bad-format/>`: XML that cannot be processed (here: text at
    /// stream level, a BOSH body with invalid attributes).
    BadFormat,
    /// §4.9.3.2 `<bad-namespace-prefix/>`: an undeclared or misused prefix.
    BadNamespacePrefix,
    /// §4.9.3.10 `<invalid-namespace/>`: wrong stream or content namespace.
    InvalidNamespace,
    /// §4.9.3.13 `<not-well-formed/>`: not well-formed XML (XML 1.0 and
    /// Namespaces in XML 1.0).
    NotWellFormed,
    /// §4.9.3.14 `<policy-violation/>`: a configured limit was crossed.
    PolicyViolation,
    /// §4.9.3.18 `<restricted-xml/>`: a construct §11.1 forbids (comment,
    /// processing instruction, DTD, entity reference).
    RestrictedXml,
    /// §4.9.3.22 `<unsupported-encoding/>`: an encoding other than UTF-8.
    UnsupportedEncoding,
    /// §4.9.3.25 `<unsupported-version/>`: a stream version whose major
    /// number is not 1.
    UnsupportedVersion,
}

impl Condition {
    /// The element name of the condition, e.g. `restricted-xml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BadFormat => "bad-format",
            Self::BadNamespacePrefix => "bad-namespace-prefix",
            Self::InvalidNamespace => "invalid-namespace",
            Self::NotWellFormed => "not-well-formed",
            Self::PolicyViolation => "policy-violation",
            Self::RestrictedXml => "restricted-xml",
            Self::UnsupportedEncoding => "unsupported-encoding",
            Self::UnsupportedVersion => "unsupported-version",
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which configured limit was crossed (see [`Limits`](crate::Limits)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Limit {
    /// [`Limits::max_element_bytes`](crate::Limits::max_element_bytes).
    ElementBytes,
    /// [`Limits::max_depth`](crate::Limits::max_depth).
    Depth,
    /// [`Limits::max_attributes`](crate::Limits::max_attributes).
    Attributes,
    /// [`Limits::max_name_bytes`](crate::Limits::max_name_bytes).
    NameBytes,
    /// [`Limits::max_namespace_declarations`](crate::Limits::max_namespace_declarations).
    NamespaceDeclarations,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ElementBytes => "element size",
            Self::Depth => "nesting depth",
            Self::Attributes => "attribute count",
            Self::NameBytes => "name length",
            Self::NamespaceDeclarations => "namespace declaration count",
        })
    }
}

/// A construct RFC 6120 §11.1 forbids in an XML stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Restricted {
    /// `<!-- … -->`.
    Comment,
    /// `<?target …?>` other than the XML declaration at the very start.
    ProcessingInstruction,
    /// `<!DOCTYPE …>` (and with it every internal or external DTD subset).
    Doctype,
    /// `&name;` other than `&lt;`, `&gt;`, `&amp;`, `&apos;`, `&quot;`.
    EntityReference,
}

impl fmt::Display for Restricted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Comment => "comment",
            Self::ProcessingInstruction => "processing instruction",
            Self::Doctype => "document type declaration",
            Self::EntityReference => "entity reference other than the five predefined ones",
        })
    }
}

/// Everything that can be wrong with an incoming stream. Offsets count bytes
/// from the start of the stream (the last [`reset`](crate::Framer::reset)).
///
/// Once a framer has returned an error it returns a clone of the same error
/// on every later call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FramingError {
    /// A construct RFC 6120 §11.1 forbids (`restricted-xml`).
    Restricted {
        /// Offset of its `<` or `&`.
        offset: u64,
        /// What it was.
        construct: Restricted,
    },
    /// A byte where the XML grammar does not allow it (`not-well-formed`).
    Syntax {
        /// Offset of the byte.
        offset: u64,
        /// The byte found.
        found: u8,
        /// What the grammar expected there.
        expected: &'static str,
    },
    /// Bytes that are not UTF-8 (`not-well-formed`).
    InvalidUtf8 {
        /// Offset of the first byte of the bad sequence.
        offset: u64,
    },
    /// A character outside XML 1.0's `Char` production (§2.2), written
    /// literally or as a character reference, or a character not allowed in
    /// a name (`not-well-formed`).
    InvalidChar {
        /// Offset of the character or of the reference's `&`.
        offset: u64,
        /// The code point (saturated at `u32::MAX` for absurd references).
        code_point: u32,
    },
    /// A `Char` that XML 1.0 §2.3 does not allow where it stands in a
    /// name: a combining mark or a digit first, punctuation, a code point
    /// past U+EFFFF (`not-well-formed`).
    InvalidNameChar {
        /// Offset of the character.
        offset: u64,
        /// The code point.
        code_point: u32,
    },
    /// An end tag that does not match the open element (`not-well-formed`).
    MismatchedEndTag {
        /// Offset of the end tag's `<`.
        offset: u64,
        /// The qualified name of the open element.
        expected: String,
        /// The qualified name in the end tag.
        found: String,
    },
    /// The same attribute twice on one element, by qualified name or by
    /// namespace and local name (`not-well-formed`).
    DuplicateAttribute {
        /// Offset of the element's `<`.
        offset: u64,
        /// The qualified name of the repeated attribute.
        name: String,
    },
    /// Anything but white space after the stream was closed, or a second
    /// root element (`not-well-formed`).
    AfterClose {
        /// Offset of the first offending byte.
        offset: u64,
    },
    /// Character data where only elements may appear: at stream level
    /// (between top-level elements) or before the stream header
    /// (`bad-format` at stream level, `not-well-formed` before the header).
    UnexpectedText {
        /// Offset of the first offending byte.
        offset: u64,
        /// Whether the stream header had been seen.
        in_stream: bool,
    },
    /// An element where the transport does not allow one: a WebSocket
    /// stanza before `<open/>`, an end tag with no open element (`not-well-formed`).
    UnexpectedElement {
        /// Offset of its `<`.
        offset: u64,
        /// Its qualified name.
        name: String,
    },
    /// The input ended inside the stream header, an element or a token
    /// (`not-well-formed`); reported by [`Framer::finish`](crate::Framer::finish).
    Truncated {
        /// Offset at which the input ended.
        offset: u64,
    },
    /// The stream header's namespace is not the stream namespace, its
    /// content namespace is missing or unsupported, or a WebSocket
    /// top-level element declares no namespace (RFC 7395 §3.3.3)
    /// (`invalid-namespace`).
    InvalidNamespace {
        /// What was found (empty when there was none).
        found: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A prefix that is not declared, or a declaration that misuses the
    /// reserved `xml` and `xmlns` prefixes (`bad-namespace-prefix`).
    BadPrefix {
        /// Offset of the element's `<`.
        offset: u64,
        /// The prefix.
        prefix: String,
        /// Which rule was broken.
        rule: &'static str,
    },
    /// An XML declaration naming an encoding other than UTF-8
    /// (`unsupported-encoding`).
    UnsupportedEncoding {
        /// The encoding named.
        encoding: String,
    },
    /// A stream version whose major number is not 1 (`unsupported-version`).
    UnsupportedVersion {
        /// The version given.
        version: String,
    },
    /// A BOSH `<body/>` wrapper whose attributes break XEP-0124 (see the
    /// split between framer and session manager in the crate docs):
    /// `bad-format` on the stream; a connection manager answers it with the
    /// `bad-request` terminal binding condition (XEP-0124 §17.2).
    InvalidBody {
        /// Offset of the body's `<`.
        offset: u64,
        /// The attribute (`rid`, `sid` or `type`).
        attribute: &'static str,
        /// Its value, `None` when it is missing.
        found: Option<String>,
        /// Which rule was broken.
        rule: &'static str,
    },
    /// A WebSocket message that is not exactly one complete element (RFC
    /// 7395 §3.3.3): empty, cut inside an element, or holding more than
    /// one; from [`Framer::feed_message`](crate::Framer::feed_message)
    /// (`not-well-formed`).
    MessageBoundary {
        /// Offset of the problem: the message's end when it is cut, the
        /// second element's start when there is one.
        offset: u64,
        /// Which rule was broken.
        rule: &'static str,
    },
    /// A configured limit was crossed (`policy-violation`).
    LimitExceeded {
        /// Offset at which it was crossed.
        offset: u64,
        /// Which limit.
        limit: Limit,
        /// Its configured value.
        max: usize,
    },
}

impl FramingError {
    /// The RFC 6120 §4.9.3 condition to send in the `<stream:error/>`.
    pub fn condition(&self) -> Condition {
        match self {
            Self::Restricted { .. } => Condition::RestrictedXml,
            Self::Syntax { .. }
            | Self::InvalidUtf8 { .. }
            | Self::InvalidChar { .. }
            | Self::InvalidNameChar { .. }
            | Self::MismatchedEndTag { .. }
            | Self::DuplicateAttribute { .. }
            | Self::AfterClose { .. }
            | Self::UnexpectedElement { .. }
            | Self::MessageBoundary { .. }
            | Self::Truncated { .. } => Condition::NotWellFormed,
            Self::InvalidBody { .. } => Condition::BadFormat,
            Self::UnexpectedText { in_stream, .. } => {
                if *in_stream {
                    Condition::BadFormat
                } else {
                    Condition::NotWellFormed
                }
            }
            Self::InvalidNamespace { .. } => Condition::InvalidNamespace,
            Self::BadPrefix { .. } => Condition::BadNamespacePrefix,
            Self::UnsupportedEncoding { .. } => Condition::UnsupportedEncoding,
            Self::UnsupportedVersion { .. } => Condition::UnsupportedVersion,
            Self::LimitExceeded { .. } => Condition::PolicyViolation,
        }
    }
}

impl fmt::Display for FramingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Restricted { offset, construct } => {
                write!(f, "{construct} at byte {offset} (RFC 6120 §11.1)")
            }
            Self::Syntax {
                offset,
                found,
                expected,
            } => {
                write!(f, "expected {expected} at byte {offset}, found ")?;
                if found.is_ascii_graphic() {
                    write!(f, "'{}'", char::from(*found))
                } else {
                    write!(f, "byte 0x{found:02x}")
                }
            }
            Self::InvalidUtf8 { offset } => write!(f, "invalid UTF-8 at byte {offset}"),
            Self::InvalidChar { offset, code_point } => {
                write!(
                    f,
                    "character U+{code_point:04X} not allowed at byte {offset}"
                )
            }
            Self::InvalidNameChar { offset, code_point } => {
                write!(
                    f,
                    "character U+{code_point:04X} not allowed in a name at byte {offset}"
                )
            }
            Self::MismatchedEndTag {
                offset,
                expected,
                found,
            } => {
                write!(
                    f,
                    "end tag </{found}> at byte {offset} does not close <{expected}>"
                )
            }
            Self::DuplicateAttribute { offset, name } => {
                write!(
                    f,
                    "attribute {name} repeated on the element at byte {offset}"
                )
            }
            Self::AfterClose { offset } => {
                write!(f, "data after the end of the stream at byte {offset}")
            }
            Self::UnexpectedText { offset, in_stream } => {
                let place = if *in_stream {
                    "at stream level"
                } else {
                    "before the stream header"
                };
                write!(f, "character data {place} at byte {offset}")
            }
            Self::UnexpectedElement { offset, name } => {
                write!(f, "unexpected element {name} at byte {offset}")
            }
            Self::Truncated { offset } => {
                write!(f, "input ended inside an element or tag at byte {offset}")
            }
            Self::MessageBoundary { offset, rule } => {
                write!(f, "{rule} (RFC 7395 §3.3.3), at byte {offset}")
            }
            Self::InvalidNamespace { found, expected } => {
                if found.is_empty() {
                    write!(f, "missing namespace, expected {expected}")
                } else {
                    write!(f, "namespace {found} not supported, expected {expected}")
                }
            }
            Self::BadPrefix {
                offset,
                prefix,
                rule,
            } => {
                write!(f, "prefix '{prefix}' {rule} (element at byte {offset})")
            }
            Self::UnsupportedEncoding { encoding } => {
                write!(f, "encoding {encoding} not supported, only UTF-8")
            }
            Self::UnsupportedVersion { version } => {
                write!(
                    f,
                    "stream version {version} is not <major>.<minor> (RFC 6120 §4.7.5)"
                )
            }
            Self::InvalidBody {
                offset,
                attribute,
                found,
                rule,
            } => {
                write!(f, "BOSH body at byte {offset}: attribute {attribute}")?;
                if let Some(v) = found {
                    write!(f, " '{v}'")?;
                }
                write!(f, " {rule}")
            }
            Self::LimitExceeded { offset, limit, max } => {
                write!(f, "{limit} over the limit of {max} at byte {offset}")
            }
        }
    }
}

impl core::error::Error for FramingError {}
